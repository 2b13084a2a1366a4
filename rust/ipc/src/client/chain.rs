//! Proxies for what a node and its wallets exchange: [`Chain`],
//! [`ChainNotifications`], [`RpcActor`] and [`Handler`].

use std::rc::Rc;
use std::sync::Arc;

use hashvive_interfaces::{
    async_trait, BlockRef, BroadcastError, Chain, ChainNotifications, Error, FeeEstimate, FoundBlock, Handler,
    RemovalReason, Result, RpcActor, RpcCall, RpcCommand, RpcFault,
};

use super::{block_ref, caller, stored, text, ClientConnection, Proxy};
use crate::convert::{from_capnp, write_block_ref, write_removal_reason, write_rpc_call, write_rpc_command};
use crate::event_loop::Remote;
use crate::log;
use crate::schema::chain_capnp::{self, chain, chain_notifications, rpc_actor};
use crate::schema::handler_capnp::handler;
use crate::server::{ChainNotificationsServer, RpcActorServer};

fn hash(data: capnp::Result<capnp::data::Reader<'_>>, what: &str) -> Result<[u8; 32]> {
    data.map_err(from_capnp)?.try_into().map_err(|_| Error::Remote(format!("{what} is not 32 bytes")))
}

fn data_list(list: capnp::Result<capnp::data_list::Reader<'_>>) -> Result<Vec<Vec<u8>>> {
    list.map_err(from_capnp)?.iter().map(|d| d.map(<[u8]>::to_vec).map_err(from_capnp)).collect()
}

/// A node's [`Chain`], as its wallet process sees it.
pub(crate) struct ChainProxy {
    pub(super) remote: Remote<Proxy<chain::Client>>,
}

impl ChainProxy {
    pub(crate) fn new(conn: &Rc<ClientConnection>, client: chain::Client) -> ChainProxy {
        ChainProxy { remote: stored(conn, client) }
    }
}

/// The registration a `handle*` call returned.
pub(super) fn handler_proxy(
    conn: &Rc<ClientConnection>,
    client: capnp::Result<handler::Client>,
) -> Result<Box<dyn Handler>> {
    Ok(Box::new(HandlerProxy { remote: stored(conn, client.map_err(from_capnp)?) }))
}

#[async_trait]
impl Chain for ChainProxy {
    async fn get_tip(&self) -> Result<BlockRef> {
        call!(self, p, get_tip_request, "Chain.getTip", |params| {}, |results| block_ref(results.get_result()))
    }

    async fn get_block_hash(&self, height: i32) -> Result<Option<[u8; 32]>> {
        call!(
            self,
            p,
            get_block_hash_request,
            "Chain.getBlockHash",
            |params| { params.set_height(height) },
            |results| {
                match results.get_has_result() {
                    true => hash(results.get_result(), "block hash").map(Some),
                    false => Ok(None),
                }
            }
        )
    }

    async fn find_block(&self, block: [u8; 32], with_data: bool) -> Result<Option<FoundBlock>> {
        call!(
            self,
            p,
            find_block_request,
            "Chain.findBlock",
            |params| {
                params.set_hash(&block);
                params.set_with_data(with_data);
            },
            |results| {
                if !results.get_has_result() {
                    return Ok(None);
                }
                let r = results.get_result().map_err(from_capnp)?;
                Ok(Some(FoundBlock {
                    hash: hash(r.get_hash(), "block hash")?,
                    height: r.get_height(),
                    time: r.get_time(),
                    median_time_past: r.get_median_time_past(),
                    in_active_chain: r.get_in_active_chain(),
                    data: match r.get_has_data() {
                        true => Some(r.get_data().map_err(from_capnp)?.to_vec()),
                        false => None,
                    },
                }))
            }
        )
    }

    async fn prune_height(&self) -> Result<Option<i32>> {
        call!(self, p, get_prune_height_request, "Chain.getPruneHeight", |params| {}, |results| {
            Ok(results.get_has_result().then(|| results.get_result()))
        })
    }

    async fn read_blocks(&self, start_height: i32, max_count: u32) -> Result<Vec<Vec<u8>>> {
        call!(
            self,
            p,
            read_blocks_request,
            "Chain.readBlocks",
            |params| {
                params.set_start_height(start_height);
                params.set_max_count(max_count);
            },
            |results| data_list(results.get_result())
        )
    }

    async fn is_in_mempool(&self, txid: [u8; 32]) -> Result<bool> {
        call!(self, p, is_in_mempool_request, "Chain.isInMempool", |params| { params.set_txid(&txid) }, |results| {
            Ok(results.get_result())
        })
    }

    async fn find_coins(&self, outpoints: Vec<([u8; 32], u32)>) -> Result<Vec<Option<Vec<u8>>>> {
        call!(
            self,
            p,
            find_coins_request,
            "Chain.findCoins",
            |params| { crate::convert::write_outpoints(params.init_outpoints(outpoints.len() as u32), &outpoints) },
            |results| {
                let coins = data_list(results.get_result())?;
                if coins.len() != outpoints.len() {
                    return Err(Error::Remote("findCoins answered for other outpoints".into()));
                }
                Ok(coins.into_iter().map(|c| (!c.is_empty()).then_some(c)).collect())
            }
        )
    }

    async fn edit_settings_list(&self, name: String, item: String, present: bool) -> Result<bool> {
        call!(
            self,
            p,
            edit_settings_list_request,
            "Chain.editSettingsList",
            |params| {
                params.set_name(&name);
                params.set_item(&item);
                params.set_present(present);
            },
            |results| Ok(results.get_result())
        )
    }

    async fn mempool_transactions(&self) -> Result<Vec<Vec<u8>>> {
        call!(self, p, mempool_transactions_request, "Chain.mempoolTransactions", |params| {}, |results| {
            data_list(results.get_result())
        })
    }

    async fn broadcast_transaction(
        &self,
        tx: Vec<u8>,
        max_fee: i64,
    ) -> Result<std::result::Result<(), BroadcastError>> {
        call!(
            self,
            p,
            broadcast_transaction_request,
            "Chain.broadcastTransaction",
            |params| {
                params.set_tx(&tx);
                params.set_max_fee(max_fee);
            },
            |results| {
                let r = results.get_result().map_err(from_capnp)?;
                let code = r.get_error().map_err(|e| Error::Remote(format!("unknown broadcast verdict: {e}")))?;
                Ok(match code {
                    chain_capnp::BroadcastError::Ok => Ok(()),
                    chain_capnp::BroadcastError::MissingInputs => Err(BroadcastError::MissingInputs),
                    chain_capnp::BroadcastError::AlreadyInChain => Err(BroadcastError::AlreadyInChain),
                    chain_capnp::BroadcastError::MaxFeeExceeded => Err(BroadcastError::MaxFeeExceeded),
                    chain_capnp::BroadcastError::Rejected => Err(BroadcastError::Rejected(text(r.get_reason())?)),
                })
            }
        )
    }

    async fn estimate_smart_fee(&self, target: u32, conservative: bool) -> Result<Option<FeeEstimate>> {
        call!(
            self,
            p,
            estimate_smart_fee_request,
            "Chain.estimateSmartFee",
            |params| {
                params.set_target(target);
                params.set_conservative(conservative);
            },
            |results| {
                if !results.get_has_result() {
                    return Ok(None);
                }
                let r = results.get_result().map_err(from_capnp)?;
                Ok(Some(FeeEstimate { sat_per_kvb: r.get_sat_per_kvb(), blocks: r.get_blocks() }))
            }
        )
    }

    async fn relay_min_fee(&self) -> Result<u64> {
        call!(self, p, relay_min_fee_request, "Chain.relayMinFee", |params| {}, |results| Ok(results.get_result()))
    }

    async fn mempool_min_fee(&self) -> Result<u64> {
        call!(self, p, mempool_min_fee_request, "Chain.mempoolMinFee", |params| {}, |results| Ok(results.get_result()))
    }

    async fn is_initial_block_download(&self) -> Result<bool> {
        call!(self, p, is_initial_block_download_request, "Chain.isInitialBlockDownload", |params| {}, |results| {
            Ok(results.get_result())
        })
    }

    async fn handle_notifications(&self, notifications: Arc<dyn ChainNotifications>) -> Result<Box<dyn Handler>> {
        call!(
            self,
            p,
            handle_notifications_request,
            "Chain.handleNotifications",
            |params| { params.set_notifications(ChainNotificationsServer::client(notifications, p.conn.local())) },
            |results| handler_proxy(&p.conn, results.get_result())
        )
    }

    async fn handle_rpc(&self, command: RpcCommand, actor: Arc<dyn RpcActor>) -> Result<Box<dyn Handler>> {
        call!(
            self,
            p,
            handle_rpc_request,
            "Chain.handleRpc",
            |params| {
                write_rpc_command(params.reborrow().init_command(), &command);
                params.set_actor(RpcActorServer::client(actor, p.conn.local()));
            },
            |results| handler_proxy(&p.conn, results.get_result())
        )
    }
}

/// A wallet's [`ChainNotifications`], as its node calls them. A wallet that
/// went away misses them; its node carries on.
pub(crate) struct ChainNotificationsProxy {
    remote: Remote<Proxy<chain_notifications::Client>>,
}

impl ChainNotificationsProxy {
    pub(crate) fn new(conn: &Rc<ClientConnection>, client: chain_notifications::Client) -> ChainNotificationsProxy {
        ChainNotificationsProxy { remote: stored(conn, client) }
    }
}

#[async_trait]
impl ChainNotifications for ChainNotificationsProxy {
    async fn transaction_added_to_mempool(&self, tx: Vec<u8>) {
        notify!(self, transaction_added_to_mempool_request, "ChainNotifications.transactionAddedToMempool", |params| {
            params.set_tx(&tx)
        })
    }

    async fn transaction_removed_from_mempool(&self, tx: Vec<u8>, reason: RemovalReason) {
        notify!(
            self,
            transaction_removed_from_mempool_request,
            "ChainNotifications.transactionRemovedFromMempool",
            |params| {
                params.set_tx(&tx);
                params.set_reason(write_removal_reason(reason));
            }
        )
    }

    async fn block_connected(&self, block: Vec<u8>, height: i32) {
        notify!(self, block_connected_request, "ChainNotifications.blockConnected", |params| {
            params.set_block(&block);
            params.set_height(height);
        })
    }

    async fn block_disconnected(&self, block: Vec<u8>, height: i32) {
        notify!(self, block_disconnected_request, "ChainNotifications.blockDisconnected", |params| {
            params.set_block(&block);
            params.set_height(height);
        })
    }

    async fn updated_block_tip(&self, tip: BlockRef) {
        notify!(self, updated_block_tip_request, "ChainNotifications.updatedBlockTip", |params| {
            write_block_ref(params.init_tip(), &tip)
        })
    }
}

/// A wallet's [`RpcActor`], as its node calls it.
pub(crate) struct RpcActorProxy {
    remote: Remote<Proxy<rpc_actor::Client>>,
}

impl RpcActorProxy {
    pub(crate) fn new(conn: &Rc<ClientConnection>, client: rpc_actor::Client) -> RpcActorProxy {
        RpcActorProxy { remote: stored(conn, client) }
    }
}

#[async_trait]
impl RpcActor for RpcActorProxy {
    async fn call(&self, call: RpcCall) -> Result<std::result::Result<String, RpcFault>> {
        call!(
            self,
            p,
            call_request,
            "RpcActor.call",
            |params| { write_rpc_call(params.init_call(), &call) },
            |results| {
                if results.get_has_fault() {
                    let fault = results.get_fault().map_err(from_capnp)?;
                    Ok(Err(RpcFault { code: fault.get_code(), message: text(fault.get_message())? }))
                } else {
                    Ok(Ok(text(results.get_result())?))
                }
            }
        )
    }
}

/// A registration held by the other process; dropping the proxy ends it.
struct HandlerProxy {
    remote: Remote<Proxy<handler::Client>>,
}

impl Handler for HandlerProxy {
    fn disconnect(&mut self) {
        let caller = caller();
        self.remote.spawn_with(move |p| async move {
            let Ok(thread) = p.conn.thread_for(caller).await else { return };
            let mut request = p.client.disconnect_request();
            request.get().init_context().set_thread(thread);
            let outcome: Result<()> = async { exchange!(request, "Handler.disconnect", |results| Ok(())) }.await;
            super::missed(outcome, "Handler.disconnect");
        });
    }
}
