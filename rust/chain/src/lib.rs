//! The node's chain state: blocks on disk, the block index and UTXO set in
//! redb, connecting and disconnecting blocks, the mempool and block assembly.

pub mod blockfiles;
pub mod coins;
pub mod error;
pub mod index;
pub mod store;
