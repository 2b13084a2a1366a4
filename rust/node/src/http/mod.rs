//! The HTTP side of the RPC server: listening sockets, access control,
//! authentication, the work queue, and JSON-RPC over HTTP semantics.

pub mod allowip;
pub mod auth;
mod config;
mod jsonrpc;
mod server;

pub use config::{rpc_settings, ConfigError, RpcSettings};
pub use server::{HttpConfig, HttpError, HttpServer};
