//! Proxies for what a GUI and its node exchange: [`Node`] and [`NodeNotifications`].

use std::rc::Rc;
use std::sync::Arc;

use hashvive_interfaces::{
    async_trait, Handler, Node, NodeNotifications, NodeStatus, PeerSummary, Result, RpcFault, WalletLoader,
};

use super::chain::handler_proxy;
use super::wallet::WalletLoaderProxy;
use super::{caller, stored, text, ClientConnection, Proxy};
use crate::convert::{from_capnp, read_node_status, read_peer_summary, write_node_status};
use crate::event_loop::Remote;
use crate::log;
use crate::schema::node_capnp::{node, node_notifications};
use crate::server::NodeNotificationsServer;

/// A node as its GUI sees it.
pub(crate) struct NodeProxy {
    pub(super) remote: Remote<Proxy<node::Client>>,
}

#[async_trait]
impl Node for NodeProxy {
    async fn start(&self, args: Vec<String>) -> Result<()> {
        call!(
            self,
            p,
            start_request,
            "Node.start",
            |params| {
                let mut list = params.init_args(args.len() as u32);
                for (i, arg) in args.iter().enumerate() {
                    list.set(i as u32, arg);
                }
            },
            |results| Ok(())
        )
    }

    async fn status(&self) -> Result<NodeStatus> {
        call!(self, p, status_request, "Node.status", |params| {}, |results| {
            read_node_status(results.get_result().map_err(from_capnp)?).map_err(from_capnp)
        })
    }

    async fn peers(&self) -> Result<Vec<PeerSummary>> {
        call!(self, p, peers_request, "Node.peers", |params| {}, |results| {
            let list = results.get_result().map_err(from_capnp)?;
            list.iter().map(|peer| read_peer_summary(peer).map_err(from_capnp)).collect()
        })
    }

    async fn set_network_active(&self, active: bool) -> Result<()> {
        call!(
            self,
            p,
            set_network_active_request,
            "Node.setNetworkActive",
            |params| { params.set_active(active) },
            |results| Ok(())
        )
    }

    async fn execute_rpc(
        &self,
        method: String,
        params: String,
        uri: String,
    ) -> Result<std::result::Result<String, RpcFault>> {
        call!(
            self,
            p,
            execute_rpc_request,
            "Node.executeRpc",
            |request| {
                request.set_method(&method);
                request.set_params(&params);
                request.set_uri(&uri);
            },
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

    async fn list_rpc_commands(&self) -> Result<Vec<String>> {
        call!(self, p, list_rpc_commands_request, "Node.listRpcCommands", |params| {}, |results| {
            results.get_result().map_err(from_capnp)?.iter().map(text).collect()
        })
    }

    async fn handle_notifications(&self, notifications: Arc<dyn NodeNotifications>) -> Result<Box<dyn Handler>> {
        call!(
            self,
            p,
            handle_notifications_request,
            "Node.handleNotifications",
            |params| { params.set_notifications(NodeNotificationsServer::client(notifications, p.conn.local())) },
            |results| handler_proxy(&p.conn, results.get_result())
        )
    }

    async fn shutdown(&self) -> Result<()> {
        call!(self, p, shutdown_request, "Node.shutdown", |params| {}, |results| Ok(()))
    }

    async fn wallet_loader(&self) -> Result<Arc<dyn WalletLoader>> {
        call!(self, p, wallet_loader_request, "Node.walletLoader", |params| {}, |results| {
            let client = results.get_result().map_err(from_capnp)?;
            Ok(Arc::new(WalletLoaderProxy { remote: stored(&p.conn, client) }) as Arc<dyn WalletLoader>)
        })
    }

    async fn setting(&self, name: String) -> Result<Option<String>> {
        call!(self, p, get_setting_request, "Node.getSetting", |params| { params.set_name(&name) }, |results| {
            let list = results.get_result().map_err(from_capnp)?;
            list.iter().next().map(text).transpose()
        })
    }

    async fn update_setting(&self, name: String, value: Option<String>) -> Result<()> {
        call!(
            self,
            p,
            update_setting_request,
            "Node.updateSetting",
            |params| {
                params.set_name(&name);
                let mut list = params.init_value(u32::from(value.is_some()));
                if let Some(value) = &value {
                    list.set(0, value);
                }
            },
            |results| Ok(())
        )
    }
}

/// A GUI's [`NodeNotifications`], as its node calls them. A GUI that went
/// away misses them; the node carries on.
pub(crate) struct NodeNotificationsProxy {
    remote: Remote<Proxy<node_notifications::Client>>,
}

impl NodeNotificationsProxy {
    pub(crate) fn new(conn: &Rc<ClientConnection>, client: node_notifications::Client) -> NodeNotificationsProxy {
        NodeNotificationsProxy { remote: stored(conn, client) }
    }
}

#[async_trait]
impl NodeNotifications for NodeNotificationsProxy {
    async fn init_message(&self, message: String) {
        notify!(self, init_message_request, "NodeNotifications.initMessage", |params| { params.set_message(&message) })
    }

    async fn block_tip(&self, status: NodeStatus) {
        notify!(self, block_tip_request, "NodeNotifications.blockTip", |params| {
            write_node_status(params.init_status(), &status)
        })
    }

    async fn connections_changed(&self, inbound: u32, outbound: u32) {
        notify!(self, connections_changed_request, "NodeNotifications.connectionsChanged", |params| {
            params.set_inbound(inbound);
            params.set_outbound(outbound);
        })
    }

    async fn network_active_changed(&self, active: bool) {
        notify!(self, network_active_changed_request, "NodeNotifications.networkActiveChanged", |params| {
            params.set_active(active)
        })
    }

    async fn shutting_down(&self) {
        notify!(self, shutting_down_request, "NodeNotifications.shuttingDown", |params| {})
    }
}
