//! Servers for what a GUI and its node exchange: [`Node`] (node to GUI) and
//! [`NodeNotifications`] (GUI to node, as a callback).

use std::rc::Rc;
use std::sync::Arc;

use hashvive_interfaces::{Node, NodeNotifications};

use super::chain::HandlerServer;
use super::wallet::WalletLoaderServer;
use super::{log_results, ConnectionState, Held};
use crate::client::NodeNotificationsProxy;
use crate::convert::{read_node_status, text, write_node_status, write_peer_summary, write_text_list};
use crate::log;
use crate::schema::node_capnp::{node, node_notifications};

/// Serves a [`Node`] until the client calls `destroy`.
pub(crate) struct NodeServer {
    node: Held<dyn Node>,
    conn: Rc<ConnectionState>,
}

impl NodeServer {
    pub(crate) fn client(node: Arc<dyn Node>, conn: &Rc<ConnectionState>) -> node::Client {
        capnp_rpc::new_client(NodeServer { node: Held::new(node, "Node"), conn: conn.clone() })
    }
}

impl node::Server for NodeServer {
    async fn destroy(self: Rc<Self>, params: node::DestroyParams, _: node::DestroyResults) -> Result<(), capnp::Error> {
        serve_destroy!(params, "Node.destroy", self.node)
    }

    async fn start(self: Rc<Self>, params: node::StartParams, _: node::StartResults) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let args = params.get()?.get_args()?.iter().map(text).collect::<Result<Vec<_>, _>>()?;
        let (request, ()) = serve!(self, params, "Node.start", async move { node.start(args).await });
        log::event(&format!("IPC server send response #{request} Node.start$Results ()"));
        Ok(())
    }

    async fn status(
        self: Rc<Self>,
        params: node::StatusParams,
        mut results: node::StatusResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let (request, status) = serve!(self, params, "Node.status", async move { node.status().await });
        write_node_status(results.get().init_result(), &status);
        log_results(request, "Node.status$Results", &results.get().into_reader());
        Ok(())
    }

    async fn peers(
        self: Rc<Self>,
        params: node::PeersParams,
        mut results: node::PeersResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let (request, peers) = serve!(self, params, "Node.peers", async move { node.peers().await });
        let mut list = results.get().init_result(peers.len() as u32);
        for (i, peer) in peers.iter().enumerate() {
            write_peer_summary(list.reborrow().get(i as u32), peer);
        }
        log_results(request, "Node.peers$Results", &results.get().into_reader());
        Ok(())
    }

    async fn set_network_active(
        self: Rc<Self>,
        params: node::SetNetworkActiveParams,
        _: node::SetNetworkActiveResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let active = params.get()?.get_active();
        let (request, ()) =
            serve!(self, params, "Node.setNetworkActive", async move { node.set_network_active(active).await });
        log::event(&format!("IPC server send response #{request} Node.setNetworkActive$Results ()"));
        Ok(())
    }

    async fn execute_rpc(
        self: Rc<Self>,
        params: node::ExecuteRpcParams,
        mut results: node::ExecuteRpcResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let (method, args, uri) = {
            let p = params.get()?;
            (text(p.get_method())?, text(p.get_params())?, text(p.get_uri())?)
        };
        let (request, outcome) =
            serve!(self, params, "Node.executeRpc", async move { node.execute_rpc(method, args, uri).await });
        let mut r = results.get();
        match outcome {
            Ok(result) => r.set_result(&result),
            Err(fault) => {
                r.set_has_fault(true);
                let mut f = r.init_fault();
                f.set_code(fault.code);
                f.set_message(&fault.message);
            }
        }
        log_results(request, "Node.executeRpc$Results", &results.get().into_reader());
        Ok(())
    }

    async fn list_rpc_commands(
        self: Rc<Self>,
        params: node::ListRpcCommandsParams,
        mut results: node::ListRpcCommandsResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let (request, names) =
            serve!(self, params, "Node.listRpcCommands", async move { node.list_rpc_commands().await });
        write_text_list(results.get().init_result(names.len() as u32), names.iter().map(String::as_str));
        log_results(request, "Node.listRpcCommands$Results", &results.get().into_reader());
        Ok(())
    }

    async fn handle_notifications(
        self: Rc<Self>,
        params: node::HandleNotificationsParams,
        mut results: node::HandleNotificationsResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let notifications: Arc<dyn NodeNotifications> =
            Arc::new(NodeNotificationsProxy::new(&self.conn.peer()?, params.get()?.get_notifications()?));
        let (request, registration) =
            serve!(
                self,
                params,
                "Node.handleNotifications",
                async move { node.handle_notifications(notifications).await }
            );
        results.get().set_result(HandlerServer::client(registration));
        log_results(request, "Node.handleNotifications$Results", &results.get().into_reader());
        Ok(())
    }

    async fn shutdown(
        self: Rc<Self>,
        params: node::ShutdownParams,
        _: node::ShutdownResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let (request, ()) = serve!(self, params, "Node.shutdown", async move { node.shutdown().await });
        log::event(&format!("IPC server send response #{request} Node.shutdown$Results ()"));
        Ok(())
    }

    async fn wallet_loader(
        self: Rc<Self>,
        params: node::WalletLoaderParams,
        mut results: node::WalletLoaderResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let (request, loader) = serve!(self, params, "Node.walletLoader", async move { node.wallet_loader().await });
        results.get().set_result(WalletLoaderServer::client(loader, &self.conn));
        log_results(request, "Node.walletLoader$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_setting(
        self: Rc<Self>,
        params: node::GetSettingParams,
        mut results: node::GetSettingResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let name = text(params.get()?.get_name())?;
        let (request, value) = serve!(self, params, "Node.getSetting", async move { node.setting(name).await });
        write_text_list(results.get().init_result(u32::from(value.is_some())), value.as_deref());
        log_results(request, "Node.getSetting$Results", &results.get().into_reader());
        Ok(())
    }

    async fn update_setting(
        self: Rc<Self>,
        params: node::UpdateSettingParams,
        _: node::UpdateSettingResults,
    ) -> Result<(), capnp::Error> {
        let node = self.node.get()?;
        let (name, value) = {
            let p = params.get()?;
            let value = p.get_value()?;
            if value.len() > 1 {
                return Err(capnp::Error::failed("a setting has one value".into()));
            }
            (text(p.get_name())?, value.iter().next().map(text).transpose()?)
        };
        let (request, ()) =
            serve!(self, params, "Node.updateSetting", async move { node.update_setting(name, value).await });
        log::event(&format!("IPC server send response #{request} Node.updateSetting$Results ()"));
        Ok(())
    }
}

/// Serves [`NodeNotifications`]: a GUI's, called by its node.
pub(crate) struct NodeNotificationsServer {
    notifications: Held<dyn NodeNotifications>,
    conn: Rc<ConnectionState>,
}

impl NodeNotificationsServer {
    pub(crate) fn client(
        notifications: Arc<dyn NodeNotifications>,
        conn: &Rc<ConnectionState>,
    ) -> node_notifications::Client {
        capnp_rpc::new_client(NodeNotificationsServer {
            notifications: Held::new(notifications, "NodeNotifications"),
            conn: conn.clone(),
        })
    }
}

impl node_notifications::Server for NodeNotificationsServer {
    async fn destroy(
        self: Rc<Self>,
        params: node_notifications::DestroyParams,
        _: node_notifications::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "NodeNotifications.destroy", self.notifications)
    }

    async fn init_message(
        self: Rc<Self>,
        params: node_notifications::InitMessageParams,
        _: node_notifications::InitMessageResults,
    ) -> Result<(), capnp::Error> {
        let message = text(params.get()?.get_message())?;
        notify!(self, params, "NodeNotifications.initMessage", |n| n.init_message(message))
    }

    async fn block_tip(
        self: Rc<Self>,
        params: node_notifications::BlockTipParams,
        _: node_notifications::BlockTipResults,
    ) -> Result<(), capnp::Error> {
        let status = read_node_status(params.get()?.get_status()?)?;
        notify!(self, params, "NodeNotifications.blockTip", |n| n.block_tip(status))
    }

    async fn connections_changed(
        self: Rc<Self>,
        params: node_notifications::ConnectionsChangedParams,
        _: node_notifications::ConnectionsChangedResults,
    ) -> Result<(), capnp::Error> {
        let (inbound, outbound) = {
            let p = params.get()?;
            (p.get_inbound(), p.get_outbound())
        };
        notify!(self, params, "NodeNotifications.connectionsChanged", |n| n.connections_changed(inbound, outbound))
    }

    async fn network_active_changed(
        self: Rc<Self>,
        params: node_notifications::NetworkActiveChangedParams,
        _: node_notifications::NetworkActiveChangedResults,
    ) -> Result<(), capnp::Error> {
        let active = params.get()?.get_active();
        notify!(self, params, "NodeNotifications.networkActiveChanged", |n| n.network_active_changed(active))
    }

    async fn shutting_down(
        self: Rc<Self>,
        params: node_notifications::ShuttingDownParams,
        _: node_notifications::ShuttingDownResults,
    ) -> Result<(), capnp::Error> {
        notify!(self, params, "NodeNotifications.shuttingDown", |n| n.shutting_down())
    }
}
