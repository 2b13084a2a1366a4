//! The reference node's standardness policy: the rules beyond consensus that
//! decide which transactions a node relays and mines by default. Reject
//! reasons are the reference's, word for word.

pub mod constants;
pub mod feerate;
pub mod solver;
pub mod standard;

pub use feerate::FeeRate;
pub use solver::{classify, is_unspendable, solver, TxoutType};
pub use standard::{
    are_inputs_standard, dust_outputs, dust_threshold, is_dust, is_standard_tx, is_witness_standard, virtual_size,
    PolicyOptions,
};
