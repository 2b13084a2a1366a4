//! The node: start-up and shutdown, the JSON-RPC server over HTTP and the node's
//! RPC methods. Chain state, mempool and P2P join it as their issues land.

pub mod chain;
pub mod chain_client;
mod daemon;
pub mod http;
pub mod init;
pub mod local;
pub mod local_node;
pub mod rpc;
pub mod wallets;
