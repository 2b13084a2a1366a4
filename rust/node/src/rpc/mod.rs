//! The node's RPC methods, one module per reference category, and the shared
//! pieces they are built from (parameters, scripts, addresses, transactions and
//! their JSON shapes, signing, PSBTs).

pub mod address;
pub mod bech32;
pub mod blockchain;
pub mod control;
pub mod format;
pub mod params;
pub mod psbt;
pub mod rawtransaction;
pub mod script;
pub mod sign;
pub mod transaction;
pub mod util;
