//! [`NodeChain`]: the node's side of the `Chain` interface, what a wallet (in
//! this process or, through an IPC server, another) uses to follow the chain,
//! broadcast and offer its RPC methods.

use std::sync::{Arc, Weak};

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Amount, BlockHash, Transaction, Txid};
use serde_json::Value;
use tokio::task::JoinHandle;

use hashvive_chain::{ChainEvent, Chainstate};
use hashvive_common::rw_settings::RwSettings;
use hashvive_interfaces::{
    async_trait, BlockRef, BroadcastError, Chain, ChainNotifications, Error, FeeEstimate, FoundBlock, Handler, Result,
    RpcActor, RpcCall, RpcCommand,
};
use hashvive_rpc::error::codes;
use hashvive_rpc::table::{Call, Command, Forwarded};
use hashvive_rpc::{RpcError, RpcTable};

use crate::rpc::chaintx::{broadcast, FeeCap};

/// The node's `settings.json`, shared by whoever edits it.
pub type SharedRwSettings = Arc<std::sync::Mutex<RwSettings>>;

/// The chain state, RPC table and settings file, as a wallet sees them.
pub struct NodeChain {
    chainstate: Arc<Chainstate>,
    table: Arc<RpcTable>,
    rw_settings: SharedRwSettings,
}

impl NodeChain {
    pub fn new(chainstate: Arc<Chainstate>, table: Arc<RpcTable>, rw_settings: SharedRwSettings) -> NodeChain {
        NodeChain { chainstate, table, rw_settings }
    }

    /// Runs chain work (locks, disk reads) off the async threads.
    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce(&Chainstate) -> T + Send + 'static) -> Result<T> {
        let chainstate = self.chainstate.clone();
        tokio::task::spawn_blocking(move || work(&chainstate))
            .await
            .map_err(|e| Error::Remote(format!("chain call failed: {e}")))
    }
}

fn storage(e: impl std::fmt::Display) -> Error {
    Error::Remote(e.to_string())
}

#[async_trait]
impl Chain for NodeChain {
    async fn get_tip(&self) -> Result<BlockRef> {
        let tip = self.chainstate.tip();
        Ok(BlockRef { hash: tip.hash.to_byte_array(), height: tip.height as i32 })
    }

    async fn get_block_hash(&self, height: i32) -> Result<Option<[u8; 32]>> {
        let Ok(height) = u32::try_from(height) else { return Ok(None) };
        Ok(self.chainstate.block_hash_at(height).map(|h| h.to_byte_array()))
    }

    async fn find_block(&self, hash: [u8; 32], with_data: bool) -> Result<Option<FoundBlock>> {
        let hash = BlockHash::from_byte_array(hash);
        self.blocking(move |c| {
            let Some(info) = c.block_info(&hash) else { return Ok(None) };
            let data = match with_data {
                true => c.read_block_bytes(&hash).map_err(storage)?,
                false => None,
            };
            Ok(Some(FoundBlock {
                hash: hash.to_byte_array(),
                height: info.height as i32,
                time: i64::from(info.header.time),
                median_time_past: info.median_time_past,
                in_active_chain: info.active,
                data,
            }))
        })
        .await?
    }

    async fn prune_height(&self) -> Result<Option<i32>> {
        self.blocking(|c| c.prune_height().map(|h| h as i32)).await
    }

    async fn read_blocks(&self, start_height: i32, max_count: u32) -> Result<Vec<Vec<u8>>> {
        let Ok(start) = u32::try_from(start_height) else { return Ok(Vec::new()) };
        self.blocking(move |c| {
            let mut blocks = Vec::new();
            for height in (start..).take(max_count as usize) {
                let Some(hash) = c.block_hash_at(height) else { break };
                // The wallet checks `prune_height` first: a missing block is a failure.
                let bytes = c
                    .read_block_bytes(&hash)
                    .map_err(storage)?
                    .ok_or_else(|| Error::Remote(format!("block {hash} not available")))?;
                blocks.push(bytes);
            }
            Ok(blocks)
        })
        .await?
    }

    async fn is_in_mempool(&self, txid: [u8; 32]) -> Result<bool> {
        let txid = Txid::from_byte_array(txid);
        Ok(self.chainstate.with_mempool(|m| m.contains(&txid)))
    }

    async fn edit_settings_list(&self, name: String, item: String, present: bool) -> Result<bool> {
        let settings = self.rw_settings.clone();
        // A file write: off the async threads.
        let edited = tokio::task::spawn_blocking(move || {
            let mut settings = settings.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            settings.edit_list(&name, &item, present)
        })
        .await
        .map_err(|e| Error::Remote(format!("settings edit failed: {e}")))?;
        if let Err(e) = &edited {
            tracing::warn!("{e}");
        }
        Ok(edited.is_ok())
    }

    async fn find_coins(&self, outpoints: Vec<([u8; 32], u32)>) -> Result<Vec<Option<Vec<u8>>>> {
        self.blocking(move |c| {
            outpoints
                .iter()
                .map(|(txid, vout)| {
                    let outpoint = bitcoin::OutPoint { txid: Txid::from_byte_array(*txid), vout: *vout };
                    Ok(c.find_coin(&outpoint).map_err(storage)?.map(|o| serialize(&o)))
                })
                .collect()
        })
        .await?
    }

    async fn mempool_transactions(&self) -> Result<Vec<Vec<u8>>> {
        self.blocking(|c| c.with_mempool(|m| m.entries_in_order().iter().map(|e| serialize(&*e.tx)).collect())).await
    }

    async fn broadcast_transaction(
        &self,
        tx: Vec<u8>,
        max_fee: i64,
    ) -> Result<std::result::Result<(), BroadcastError>> {
        let tx: Transaction = deserialize(&tx).map_err(|e| Error::Remote(format!("undecodable transaction: {e}")))?;
        let cap = match max_fee {
            ..=0 => FeeCap::None,
            max => FeeCap::Absolute(Amount::from_sat(max as u64)),
        };
        self.blocking(move |c| broadcast(c, Arc::new(tx), cap)).await
    }

    async fn estimate_smart_fee(&self, target: u32, conservative: bool) -> Result<Option<FeeEstimate>> {
        let rate = self.blocking(move |c| c.estimate_fee(target, conservative)).await?;
        Ok(rate.map(|r| FeeEstimate { sat_per_kvb: r.to_sat_per_kvb(), blocks: target }))
    }

    async fn relay_min_fee(&self) -> Result<u64> {
        Ok(self.chainstate.with_mempool(|m| m.options().policy.min_relay_fee.to_sat_per_kvb()))
    }

    async fn mempool_min_fee(&self) -> Result<u64> {
        Ok(self.chainstate.mempool_min_fee().to_sat_per_kvb())
    }

    async fn is_initial_block_download(&self) -> Result<bool> {
        Ok(self.chainstate.tip().is_initial_block_download())
    }

    async fn handle_notifications(&self, notifications: Arc<dyn ChainNotifications>) -> Result<Box<dyn Handler>> {
        let (_, mut events) = self.chainstate.subscribe_events();
        // One task per listener: each hears every event in order, and a slow
        // listener delays only itself, never the chain.
        let task = tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                deliver(&*notifications, event).await;
            }
        });
        Ok(Box::new(NotificationHandler { task }))
    }

    async fn handle_rpc(&self, command: RpcCommand, actor: Arc<dyn RpcActor>) -> Result<Box<dyn Handler>> {
        let handler: hashvive_rpc::table::Handler = Arc::new(move |call: Call| {
            let actor = actor.clone();
            Box::pin(async move { forward(&*actor, call).await })
        });
        let forwarded = Forwarded { signature: command.signature, help: command.help };
        let registered = self.table.register(Command::forwarded(command.name, command.category, forwarded, handler));
        Ok(Box::new(RpcHandler { table: Some(Arc::downgrade(&self.table)), registered }))
    }
}

async fn deliver(n: &dyn ChainNotifications, event: ChainEvent) {
    match event {
        ChainEvent::TransactionAdded(tx) => n.transaction_added_to_mempool(serialize(&*tx)).await,
        ChainEvent::TransactionRemoved { tx, reason } => {
            n.transaction_removed_from_mempool(serialize(&*tx), reason).await
        }
        ChainEvent::BlockConnected { block, height } => n.block_connected(serialize(&*block), height as i32).await,
        ChainEvent::BlockDisconnected { block, height } => {
            n.block_disconnected(serialize(&*block), height as i32).await
        }
        ChainEvent::TipUpdated(tip) => {
            n.updated_block_tip(BlockRef { hash: tip.hash.to_byte_array(), height: tip.height as i32 }).await
        }
        // Handled by reaching it: everything before was delivered.
        ChainEvent::Flush(_) => {}
    }
}

/// Passes a call to the component serving the method, as it was sent.
async fn forward(actor: &dyn RpcActor, call: Call) -> std::result::Result<Value, RpcError> {
    let request = call.request;
    let rpc_call = RpcCall {
        method: request.method,
        params: request.params.to_string(),
        uri: request.uri,
        user: request.auth_user,
    };
    match actor.call(rpc_call).await {
        Ok(Ok(json)) => serde_json::from_str(&json)
            .map_err(|e| RpcError::new(codes::RPC_INTERNAL_ERROR, format!("invalid result from the wallet: {e}"))),
        Ok(Err(fault)) => Err(RpcError::new(fault.code, fault.message)),
        Err(Error::Disconnected(e)) => {
            Err(RpcError::new(codes::RPC_WALLET_ERROR, format!("The wallet process went away during the call ({e})")))
        }
        Err(e) => Err(RpcError::new(codes::RPC_MISC_ERROR, e.to_string())),
    }
}

/// Stops delivering notifications when dropped.
struct NotificationHandler {
    task: JoinHandle<()>,
}

impl Handler for NotificationHandler {
    fn disconnect(&mut self) {
        self.task.abort();
    }
}

impl Drop for NotificationHandler {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// Takes a forwarded method out of the table when dropped.
struct RpcHandler {
    /// Weak: a handler outliving the server must not keep its table alive.
    table: Option<Weak<RpcTable>>,
    registered: Arc<Command>,
}

impl Handler for RpcHandler {
    fn disconnect(&mut self) {
        if let Some(table) = self.table.take().and_then(|t| t.upgrade()) {
            table.unregister(&self.registered);
        }
    }
}

impl Drop for RpcHandler {
    fn drop(&mut self) {
        self.disconnect();
    }
}
