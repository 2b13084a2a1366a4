//! The node's RPC methods, one module per reference category, and the shared
//! pieces they are built from (parameters, scripts, addresses, transactions and
//! their JSON shapes, signing, PSBTs).

use std::sync::Arc;

use serde_json::Value;

use hashvive_chain::{ChainError, Chainstate};
use hashvive_common::chain::Chain;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::{Call, Handler};
use hashvive_rpc::{RpcError, RpcTable};

pub mod address;
pub mod bech32;
pub mod blockchain;
pub mod chaintx;
pub mod control;
pub mod mempool;
pub mod mining;
pub mod net;
pub mod peers;
pub mod psbt;
pub use hashvive_rpc::params;
pub use hashvive_script::{format, script, sign, transaction};
pub mod rawtransaction;
pub mod util;

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
pub fn register_chain(
    table: &RpcTable,
    chainstate: &Arc<Chainstate>,
    chain: Chain,
    blocks_dir: &std::path::Path,
    cli: &'static str,
) {
    blockchain::register(table, chainstate.clone(), chain, blocks_dir, cli);
    let chainstate_dir = blocks_dir.with_file_name("chainstate");
    blockchain::register_stats(table, chainstate.clone(), &chainstate_dir, cli);
    blockchain::register_block_stats(table, chainstate.clone(), cli);
    blockchain::register_scantxoutset(table, chainstate.clone(), crate::chain::network(chain), cli);
    mempool::register(table, chainstate.clone(), cli);
    mining::register(table, chainstate.clone(), chain, cli);
    let network = crate::chain::network(chain);
    chaintx::register(table, chainstate.clone(), network, cli);
    rawtransaction::register(table, network, Arc::new(ChainCoins(chainstate.clone())), cli);
    util::register(table, network, cli);
}

/// Registers the `network` methods, once the networking runs.
pub fn register_network(
    table: &Arc<RpcTable>,
    chainstate: &Arc<Chainstate>,
    net_settings: Arc<net::NetworkSettings>,
    manager: hashvive_net::NetManager,
    cli: &'static str,
) {
    net::register(table, chainstate.clone(), net_settings, manager.clone(), cli);
    peers::register(table, manager, cli);
}

/// Coins for signing: unspent outputs of the active chain, then of the mempool.
struct ChainCoins(Arc<Chainstate>);

impl rawtransaction::CoinLookup for ChainCoins {
    fn coin(&self, outpoint: &bitcoin::OutPoint) -> Option<bitcoin::TxOut> {
        self.0.find_coin(outpoint).ok().flatten()
    }
}
