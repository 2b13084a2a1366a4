//! The HTTP side of the RPC server: listening sockets, access control,
//! authentication, the work queue, and JSON-RPC over HTTP semantics.

pub mod allowip;
pub mod auth;
mod config;
mod jsonrpc;
mod server;

pub use config::{rpc_settings, ConfigError, RpcSettings};
pub use server::{HttpConfig, HttpError, HttpServer, Whitelist};

/// Executes a JSON-RPC request body as the HTTP server would and returns the
/// reply text (empty when nothing is owed, as for notifications).
pub async fn execute_json(table: &hashvive_rpc::RpcTable, body: &[u8], template: &hashvive_rpc::Request) -> String {
    jsonrpc::handle_body(table, body, template, None).await.body.map(|b| b.to_string()).unwrap_or_default()
}
