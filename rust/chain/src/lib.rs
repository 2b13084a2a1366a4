//! The node's chain state: blocks on disk, the block index and UTXO set in
//! redb, connecting and disconnecting blocks, the mempool and block assembly.

mod accept;
pub mod blockfiles;
mod chainstate;
pub mod coins;
pub mod error;
mod events;
mod fee_estimator;
pub mod index;
pub mod mempool;
mod mempool_file;
mod miner;
mod peer_queries;
pub mod prune;
pub mod store;
mod validation;

pub use accept::{AcceptMode, Accepted, MempoolReject, RejectKind, MEMPOOL_HEIGHT};
pub use chainstate::{BlockInfo, ChainConfig, ChainError, ChainTip, Chainstate, Tip};
pub use events::{ChainEvent, FlushMarker, RemovalReason};
pub use fee_estimator::MAX_TARGET as MAX_FEE_ESTIMATE_TARGET;
pub use miner::{BlockTemplate, CoinbaseReserve, MineError};
pub use prune::{PruneMode, MIN_BLOCKS_TO_KEEP};
pub use validation::{BlockOutcome, Rejection};
