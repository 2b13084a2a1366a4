//! Bitcoin's consensus rules, kept apart from storage and networking so each
//! rule can be read and tested on its own. Everything here is a pure function
//! of its inputs; the chain state supplies the context. Reject reasons and
//! debug messages are the reference node's, word for word.

pub mod block;
pub mod locks;
pub mod mining;
pub mod params;
pub mod pow;
pub mod script;
pub mod sigops;
pub mod tx;

#[cfg(test)]
mod test_util;

pub use block::{BlockError, BlockValidationResult, HeaderContext};
pub use locks::LockPoints;
pub use params::{ChainParams, Deployment};
pub use pow::HeaderInfo;
pub use script::{ConsensusVerifier, ScriptError, ScriptFlags, ScriptVerifier};
pub use tx::{SpentOutput, TxError};
