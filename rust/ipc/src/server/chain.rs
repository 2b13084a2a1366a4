//! Servers for what a node and its wallets exchange: [`Chain`] (node to
//! wallet), [`ChainNotifications`] and [`RpcActor`] (wallet to node, as
//! callbacks) and [`Handler`] (either way).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use hashvive_interfaces::{BroadcastError, Chain, ChainNotifications, Handler, RpcActor};

use super::{log_results, ConnectionState, Held};
use crate::client::{ChainNotificationsProxy, RpcActorProxy};
use crate::convert::{
    hash32, read_block_ref, read_removal_reason, read_rpc_call, read_rpc_command, text, write_block_ref,
};
use crate::log;
use crate::schema::chain_capnp::{self, chain, chain_notifications, rpc_actor};
use crate::schema::handler_capnp::handler;

/// Serves a [`Chain`] until the client calls `destroy`.
pub(crate) struct ChainServer {
    chain: Held<dyn Chain>,
    conn: Rc<ConnectionState>,
}

impl ChainServer {
    pub(crate) fn client(chain: Arc<dyn Chain>, conn: &Rc<ConnectionState>) -> chain::Client {
        capnp_rpc::new_client(ChainServer { chain: Held::new(chain, "Chain"), conn: conn.clone() })
    }
}

fn write_data_list(mut list: capnp::data_list::Builder<'_>, items: &[Vec<u8>]) {
    for (i, item) in items.iter().enumerate() {
        list.set(i as u32, item);
    }
}

impl chain::Server for ChainServer {
    async fn destroy(
        self: Rc<Self>,
        params: chain::DestroyParams,
        _: chain::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "Chain.destroy", self.chain)
    }

    async fn get_tip(
        self: Rc<Self>,
        params: chain::GetTipParams,
        mut results: chain::GetTipResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (request, tip) = serve!(self, params, "Chain.getTip", async move { chain.get_tip().await });
        write_block_ref(results.get().init_result(), &tip);
        log_results(request, "Chain.getTip$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_block_hash(
        self: Rc<Self>,
        params: chain::GetBlockHashParams,
        mut results: chain::GetBlockHashResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let height = params.get()?.get_height();
        let (request, hash) =
            serve!(self, params, "Chain.getBlockHash", async move { chain.get_block_hash(height).await });
        if let Some(hash) = hash {
            let mut r = results.get();
            r.set_result(&hash);
            r.set_has_result(true);
        }
        log_results(request, "Chain.getBlockHash$Results", &results.get().into_reader());
        Ok(())
    }

    async fn find_block(
        self: Rc<Self>,
        params: chain::FindBlockParams,
        mut results: chain::FindBlockResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (hash, with_data) = {
            let p = params.get()?;
            (hash32(p.get_hash()?, "hash")?, p.get_with_data())
        };
        let (request, found) =
            serve!(self, params, "Chain.findBlock", async move { chain.find_block(hash, with_data).await });
        if let Some(found) = found {
            let mut r = results.get();
            r.set_has_result(true);
            let mut b = r.init_result();
            b.set_hash(&found.hash);
            b.set_height(found.height);
            b.set_time(found.time);
            b.set_median_time_past(found.median_time_past);
            b.set_in_active_chain(found.in_active_chain);
            if let Some(data) = &found.data {
                b.set_data(data);
                b.set_has_data(true);
            }
        }
        log_results(request, "Chain.findBlock$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_prune_height(
        self: Rc<Self>,
        params: chain::GetPruneHeightParams,
        mut results: chain::GetPruneHeightResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (request, height) = serve!(self, params, "Chain.getPruneHeight", async move { chain.prune_height().await });
        if let Some(height) = height {
            let mut r = results.get();
            r.set_result(height);
            r.set_has_result(true);
        }
        log_results(request, "Chain.getPruneHeight$Results", &results.get().into_reader());
        Ok(())
    }

    async fn read_blocks(
        self: Rc<Self>,
        params: chain::ReadBlocksParams,
        mut results: chain::ReadBlocksResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (start, max) = {
            let p = params.get()?;
            (p.get_start_height(), p.get_max_count())
        };
        let (request, blocks) =
            serve!(self, params, "Chain.readBlocks", async move { chain.read_blocks(start, max).await });
        write_data_list(results.get().init_result(blocks.len() as u32), &blocks);
        log_results(request, "Chain.readBlocks$Results", &results.get().into_reader());
        Ok(())
    }

    async fn is_in_mempool(
        self: Rc<Self>,
        params: chain::IsInMempoolParams,
        mut results: chain::IsInMempoolResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let txid = hash32(params.get()?.get_txid()?, "txid")?;
        let (request, found) =
            serve!(self, params, "Chain.isInMempool", async move { chain.is_in_mempool(txid).await });
        results.get().set_result(found);
        log_results(request, "Chain.isInMempool$Results", &results.get().into_reader());
        Ok(())
    }

    async fn find_coins(
        self: Rc<Self>,
        params: chain::FindCoinsParams,
        mut results: chain::FindCoinsResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let outpoints = crate::convert::read_outpoints(params.get()?.get_outpoints()?)?;
        let (request, coins) =
            serve!(self, params, "Chain.findCoins", async move { chain.find_coins(outpoints).await });
        let coins: Vec<Vec<u8>> = coins.into_iter().map(Option::unwrap_or_default).collect();
        write_data_list(results.get().init_result(coins.len() as u32), &coins);
        log_results(request, "Chain.findCoins$Results", &results.get().into_reader());
        Ok(())
    }

    async fn edit_settings_list(
        self: Rc<Self>,
        params: chain::EditSettingsListParams,
        mut results: chain::EditSettingsListResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (name, item, present) = {
            let p = params.get()?;
            (text(p.get_name())?, text(p.get_item())?, p.get_present())
        };
        let (request, written) = serve!(self, params, "Chain.editSettingsList", async move {
            chain.edit_settings_list(name, item, present).await
        });
        results.get().set_result(written);
        log_results(request, "Chain.editSettingsList$Results", &results.get().into_reader());
        Ok(())
    }

    async fn mempool_transactions(
        self: Rc<Self>,
        params: chain::MempoolTransactionsParams,
        mut results: chain::MempoolTransactionsResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (request, txs) =
            serve!(self, params, "Chain.mempoolTransactions", async move { chain.mempool_transactions().await });
        write_data_list(results.get().init_result(txs.len() as u32), &txs);
        log_results(request, "Chain.mempoolTransactions$Results", &results.get().into_reader());
        Ok(())
    }

    async fn broadcast_transaction(
        self: Rc<Self>,
        params: chain::BroadcastTransactionParams,
        mut results: chain::BroadcastTransactionResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (tx, max_fee) = {
            let p = params.get()?;
            (p.get_tx()?.to_vec(), p.get_max_fee())
        };
        let (request, verdict) = serve!(self, params, "Chain.broadcastTransaction", async move {
            chain.broadcast_transaction(tx, max_fee).await
        });
        let mut r = results.get().init_result();
        let (code, reason) = match &verdict {
            Ok(()) => (chain_capnp::BroadcastError::Ok, ""),
            Err(BroadcastError::MissingInputs) => (chain_capnp::BroadcastError::MissingInputs, ""),
            Err(BroadcastError::AlreadyInChain) => (chain_capnp::BroadcastError::AlreadyInChain, ""),
            Err(BroadcastError::MaxFeeExceeded) => (chain_capnp::BroadcastError::MaxFeeExceeded, ""),
            Err(BroadcastError::Rejected(reason)) => (chain_capnp::BroadcastError::Rejected, reason.as_str()),
        };
        r.set_error(code);
        r.set_reason(reason);
        log_results(request, "Chain.broadcastTransaction$Results", &results.get().into_reader());
        Ok(())
    }

    async fn estimate_smart_fee(
        self: Rc<Self>,
        params: chain::EstimateSmartFeeParams,
        mut results: chain::EstimateSmartFeeResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (target, conservative) = {
            let p = params.get()?;
            (p.get_target(), p.get_conservative())
        };
        let (request, estimate) = serve!(self, params, "Chain.estimateSmartFee", async move {
            chain.estimate_smart_fee(target, conservative).await
        });
        if let Some(estimate) = estimate {
            let mut r = results.get();
            r.set_has_result(true);
            let mut e = r.init_result();
            e.set_sat_per_kvb(estimate.sat_per_kvb);
            e.set_blocks(estimate.blocks);
        }
        log_results(request, "Chain.estimateSmartFee$Results", &results.get().into_reader());
        Ok(())
    }

    async fn relay_min_fee(
        self: Rc<Self>,
        params: chain::RelayMinFeeParams,
        mut results: chain::RelayMinFeeResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (request, fee) = serve!(self, params, "Chain.relayMinFee", async move { chain.relay_min_fee().await });
        results.get().set_result(fee);
        log_results(request, "Chain.relayMinFee$Results", &results.get().into_reader());
        Ok(())
    }

    async fn mempool_min_fee(
        self: Rc<Self>,
        params: chain::MempoolMinFeeParams,
        mut results: chain::MempoolMinFeeResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (request, fee) = serve!(self, params, "Chain.mempoolMinFee", async move { chain.mempool_min_fee().await });
        results.get().set_result(fee);
        log_results(request, "Chain.mempoolMinFee$Results", &results.get().into_reader());
        Ok(())
    }

    async fn is_initial_block_download(
        self: Rc<Self>,
        params: chain::IsInitialBlockDownloadParams,
        mut results: chain::IsInitialBlockDownloadResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (request, ibd) =
            serve!(
                self,
                params,
                "Chain.isInitialBlockDownload",
                async move { chain.is_initial_block_download().await }
            );
        results.get().set_result(ibd);
        log_results(request, "Chain.isInitialBlockDownload$Results", &results.get().into_reader());
        Ok(())
    }

    async fn handle_notifications(
        self: Rc<Self>,
        params: chain::HandleNotificationsParams,
        mut results: chain::HandleNotificationsResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let notifications: Arc<dyn ChainNotifications> =
            Arc::new(ChainNotificationsProxy::new(&self.conn.peer()?, params.get()?.get_notifications()?));
        let (request, registration) = serve!(self, params, "Chain.handleNotifications", async move {
            chain.handle_notifications(notifications).await
        });
        results.get().set_result(HandlerServer::client(registration));
        log_results(request, "Chain.handleNotifications$Results", &results.get().into_reader());
        Ok(())
    }

    async fn handle_rpc(
        self: Rc<Self>,
        params: chain::HandleRpcParams,
        mut results: chain::HandleRpcResults,
    ) -> Result<(), capnp::Error> {
        let chain = self.chain.get()?;
        let (command, actor) = {
            let p = params.get()?;
            let actor: Arc<dyn RpcActor> = Arc::new(RpcActorProxy::new(&self.conn.peer()?, p.get_actor()?));
            (read_rpc_command(p.get_command()?)?, actor)
        };
        let (request, registration) =
            serve!(self, params, "Chain.handleRpc", async move { chain.handle_rpc(command, actor).await });
        results.get().set_result(HandlerServer::client(registration));
        log_results(request, "Chain.handleRpc$Results", &results.get().into_reader());
        Ok(())
    }
}

/// Serves [`ChainNotifications`]: a wallet's, called by its node.
pub(crate) struct ChainNotificationsServer {
    notifications: Held<dyn ChainNotifications>,
    conn: Rc<ConnectionState>,
}

impl ChainNotificationsServer {
    pub(crate) fn client(
        notifications: Arc<dyn ChainNotifications>,
        conn: &Rc<ConnectionState>,
    ) -> chain_notifications::Client {
        capnp_rpc::new_client(ChainNotificationsServer {
            notifications: Held::new(notifications, "ChainNotifications"),
            conn: conn.clone(),
        })
    }
}

impl chain_notifications::Server for ChainNotificationsServer {
    async fn destroy(
        self: Rc<Self>,
        params: chain_notifications::DestroyParams,
        _: chain_notifications::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "ChainNotifications.destroy", self.notifications)
    }

    async fn transaction_added_to_mempool(
        self: Rc<Self>,
        params: chain_notifications::TransactionAddedToMempoolParams,
        _: chain_notifications::TransactionAddedToMempoolResults,
    ) -> Result<(), capnp::Error> {
        let tx = params.get()?.get_tx()?.to_vec();
        notify!(self, params, "ChainNotifications.transactionAddedToMempool", |n| n.transaction_added_to_mempool(tx))
    }

    async fn transaction_removed_from_mempool(
        self: Rc<Self>,
        params: chain_notifications::TransactionRemovedFromMempoolParams,
        _: chain_notifications::TransactionRemovedFromMempoolResults,
    ) -> Result<(), capnp::Error> {
        let (tx, reason) = {
            let p = params.get()?;
            (p.get_tx()?.to_vec(), read_removal_reason(p.get_reason()?))
        };
        notify!(self, params, "ChainNotifications.transactionRemovedFromMempool", |n| n
            .transaction_removed_from_mempool(tx, reason))
    }

    async fn block_connected(
        self: Rc<Self>,
        params: chain_notifications::BlockConnectedParams,
        _: chain_notifications::BlockConnectedResults,
    ) -> Result<(), capnp::Error> {
        let (block, height) = {
            let p = params.get()?;
            (p.get_block()?.to_vec(), p.get_height())
        };
        notify!(self, params, "ChainNotifications.blockConnected", |n| n.block_connected(block, height))
    }

    async fn block_disconnected(
        self: Rc<Self>,
        params: chain_notifications::BlockDisconnectedParams,
        _: chain_notifications::BlockDisconnectedResults,
    ) -> Result<(), capnp::Error> {
        let (block, height) = {
            let p = params.get()?;
            (p.get_block()?.to_vec(), p.get_height())
        };
        notify!(self, params, "ChainNotifications.blockDisconnected", |n| n.block_disconnected(block, height))
    }

    async fn updated_block_tip(
        self: Rc<Self>,
        params: chain_notifications::UpdatedBlockTipParams,
        _: chain_notifications::UpdatedBlockTipResults,
    ) -> Result<(), capnp::Error> {
        let tip = read_block_ref(params.get()?.get_tip()?)?;
        notify!(self, params, "ChainNotifications.updatedBlockTip", |n| n.updated_block_tip(tip))
    }
}

/// Serves an [`RpcActor`]: a wallet's methods, called by its node.
pub(crate) struct RpcActorServer {
    actor: Held<dyn RpcActor>,
    conn: Rc<ConnectionState>,
}

impl RpcActorServer {
    pub(crate) fn client(actor: Arc<dyn RpcActor>, conn: &Rc<ConnectionState>) -> rpc_actor::Client {
        capnp_rpc::new_client(RpcActorServer { actor: Held::new(actor, "RpcActor"), conn: conn.clone() })
    }
}

impl rpc_actor::Server for RpcActorServer {
    async fn destroy(
        self: Rc<Self>,
        params: rpc_actor::DestroyParams,
        _: rpc_actor::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "RpcActor.destroy", self.actor)
    }

    async fn call(
        self: Rc<Self>,
        params: rpc_actor::CallParams,
        mut results: rpc_actor::CallResults,
    ) -> Result<(), capnp::Error> {
        let actor = self.actor.get()?;
        let call = read_rpc_call(params.get()?.get_call()?)?;
        let (request, outcome) = serve!(self, params, "RpcActor.call", async move { actor.call(call).await });
        let mut r = results.get();
        match outcome {
            Ok(json) => r.set_result(&json),
            Err(fault) => {
                r.set_has_fault(true);
                let mut f = r.init_fault();
                f.set_code(fault.code);
                f.set_message(&fault.message);
            }
        }
        log_results(request, "RpcActor.call$Results", &results.get().into_reader());
        Ok(())
    }
}

/// Serves a [`Handler`]: the registration ends when the client disconnects
/// it, destroys it, lets go of it, or goes away.
pub(crate) struct HandlerServer {
    registration: RefCell<Option<Box<dyn Handler>>>,
}

impl HandlerServer {
    pub(crate) fn client(registration: Box<dyn Handler>) -> handler::Client {
        capnp_rpc::new_client(HandlerServer { registration: RefCell::new(Some(registration)) })
    }

    fn end(&self, params_name: &str, request: u64) {
        if let Some(mut registration) = self.registration.borrow_mut().take() {
            registration.disconnect();
        }
        log::event(&format!("IPC server send response #{request} {params_name} ()"));
    }
}

impl handler::Server for HandlerServer {
    async fn destroy(
        self: Rc<Self>,
        params: handler::DestroyParams,
        _: handler::DestroyResults,
    ) -> Result<(), capnp::Error> {
        let request = log::next_request();
        log::message("IPC server recv request ", request, "Handler.destroy$Params", &params.get()?);
        self.end("Handler.destroy$Results", request);
        Ok(())
    }

    async fn disconnect(
        self: Rc<Self>,
        params: handler::DisconnectParams,
        _: handler::DisconnectResults,
    ) -> Result<(), capnp::Error> {
        let request = log::next_request();
        log::message("IPC server recv request ", request, "Handler.disconnect$Params", &params.get()?);
        self.end("Handler.disconnect$Results", request);
        Ok(())
    }
}
