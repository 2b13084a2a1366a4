//! The node's RPC methods, one module per reference category.

pub mod blockchain;
pub mod control;
