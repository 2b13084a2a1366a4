//! The node's RPC methods, one module per reference category.

use std::sync::Arc;

use serde_json::Value;

use hashvive_chain::{ChainError, Chainstate};
use hashvive_common::chain::Chain;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::{Call, Handler};
use hashvive_rpc::{RpcError, RpcTable};

pub mod blockchain;
pub mod control;
pub mod mempool;
pub mod mining;

/// Wraps a handler that does chain work (disk reads, validation) so it runs
/// on the blocking pool instead of an async worker.
pub fn blocking<F>(f: F) -> Handler
where
    F: Fn(&Call) -> Result<Value, RpcError> + Send + Sync + 'static,
{
    let f = Arc::new(f);
    Arc::new(move |call: Call| {
        let f = f.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || f(&call))
                .await
                .unwrap_or_else(|e| Err(RpcError::new(codes::RPC_INTERNAL_ERROR, format!("handler failed: {e}"))))
        })
    })
}

/// A storage failure under an RPC: reported, not hidden.
pub fn chain_error(e: impl Into<ChainError>) -> RpcError {
    let e = e.into();
    tracing::error!("chain state error: {e}");
    RpcError::new(codes::RPC_DATABASE_ERROR, e.to_string())
}

/// Registers every method that works on the chain state.
pub fn register_chain(table: &RpcTable, chainstate: &Arc<Chainstate>, chain: Chain, blocks_dir: &std::path::Path, cli: &'static str) {
    blockchain::register(table, chainstate.clone(), chain, blocks_dir, cli);
    let chainstate_dir = blocks_dir.with_file_name("chainstate");
    blockchain::register_stats(table, chainstate.clone(), &chainstate_dir, cli);
    mempool::register(table, chainstate.clone(), cli);
    mining::register(table, chainstate.clone(), chain, cli);
}
