//! The node as a GUI sees it (the [`Node`] interface): one this process runs
//! already (`-ipcbind`, or the GUI's own process), or one a GUI spawned and
//! starts through [`Node::start`].

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use hashvive_chain::Chainstate;
use hashvive_common::shutdown::Shutdown;
use hashvive_interfaces::{
    async_trait, BlockRef, Error, Handler, Node, NodeNotifications, NodeStatus, PeerSummary, Result, RpcFault,
    WalletLoader,
};
use hashvive_net::NetManager;
use hashvive_rpc::request::Request;
use hashvive_rpc::RpcTable;

use crate::http::execute_json;
use crate::init::{Embedding, Executable, Wiring};
use crate::wallets::{NodeWallets, Wallets};

/// During initial block download the tip moves hundreds of times a second;
/// a GUI hears of it at most this often.
const TIP_NOTIFY_INTERVAL: Duration = Duration::from_millis(250);
/// How often the peer count and network switch are compared with what
/// listeners were last told (in this process: no IPC unless they changed).
const NETWORK_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// What happens to a node that a GUI hears of.
#[derive(Clone, Debug)]
enum NodeEvent {
    InitMessage(String),
    BlockTip(NodeStatus),
    ConnectionsChanged(u32, u32),
    NetworkActiveChanged(bool),
    ShuttingDown,
}

/// The node's listeners ([`NodeNotifications`]), each served in order by a
/// task of its own, so a slow GUI delays nobody but itself.
#[derive(Default)]
pub struct NodeEvents {
    listeners: Mutex<Vec<(u64, mpsc::UnboundedSender<NodeEvent>)>>,
    next_id: std::sync::atomic::AtomicU64,
    /// A listener came since the network state was last sent: it gets the
    /// current state on the next check, whatever changed before it came.
    newcomer: std::sync::atomic::AtomicBool,
}

impl NodeEvents {
    fn send(&self, event: NodeEvent) {
        let mut listeners = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
        listeners.retain(|(_, tx)| tx.send(event.clone()).is_ok());
    }

    fn is_heard(&self) -> bool {
        !self.listeners.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    /// A start-up step, also written to the log as the reference does.
    pub(crate) fn init_message(&self, message: &str) {
        tracing::info!("init message: {message}");
        self.send(NodeEvent::InitMessage(message.to_string()));
    }

    pub(crate) fn shutting_down(&self) {
        self.send(NodeEvent::ShuttingDown);
    }

    fn listen(self: &Arc<Self>, notifications: Arc<dyn NodeNotifications>) -> Box<dyn Handler> {
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.listeners.lock().unwrap_or_else(|e| e.into_inner()).push((id, tx));
        self.newcomer.store(true, std::sync::atomic::Ordering::SeqCst);
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                match event {
                    NodeEvent::InitMessage(message) => notifications.init_message(message).await,
                    NodeEvent::BlockTip(status) => notifications.block_tip(status).await,
                    NodeEvent::ConnectionsChanged(inbound, outbound) => {
                        notifications.connections_changed(inbound, outbound).await
                    }
                    NodeEvent::NetworkActiveChanged(active) => notifications.network_active_changed(active).await,
                    NodeEvent::ShuttingDown => notifications.shutting_down().await,
                }
            }
        });
        Box::new(Listening { events: Arc::downgrade(self), id })
    }
}

/// A [`NodeNotifications`] registration; dropping it stops the deliveries.
struct Listening {
    events: std::sync::Weak<NodeEvents>,
    id: u64,
}

impl Handler for Listening {
    fn disconnect(&mut self) {
        if let Some(events) = self.events.upgrade() {
            events.listeners.lock().unwrap_or_else(|e| e.into_inner()).retain(|(id, _)| *id != self.id);
        }
    }
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// A running node's parts that a GUI reaches.
pub struct NodeContext {
    pub(crate) chainstate: Arc<Chainstate>,
    pub(crate) table: Arc<RpcTable>,
    pub(crate) shutdown: Shutdown,
    pub(crate) events: Arc<NodeEvents>,
    /// Set once peers are started (they come last).
    pub(crate) net: OnceLock<NetManager>,
    /// Set once the wallets are started, if the node has them.
    pub(crate) wallets: OnceLock<Arc<Wallets>>,
    /// The node's runtime: RPC handlers and deliveries run there, whichever
    /// thread asked.
    pub(crate) runtime: tokio::runtime::Handle,
    /// `settings.json`, which the GUI's settings screen edits.
    pub(crate) rw_settings: crate::chain_client::SharedRwSettings,
}

impl NodeContext {
    fn status(&self) -> NodeStatus {
        let tip = self.chainstate.tip();
        let headers = self.chainstate.best_header().map_or(tip.height, |h| h.height.max(tip.height));
        let (mempool_transactions, mempool_usage) =
            self.chainstate.with_mempool(|m| (m.len() as u64, m.dynamic_usage()));
        let (connections_in, connections_out, network_active, (bytes_recv, bytes_sent)) = match self.net.get() {
            Some(net) => {
                let (inbound, outbound) = net.connection_counts();
                (inbound as u32, outbound as u32, net.network_active(), net.totals())
            }
            None => (0, 0, false, (0, 0)),
        };
        NodeStatus {
            tip: BlockRef { hash: bitcoin::hashes::Hash::to_byte_array(tip.hash), height: tip.height as i32 },
            tip_time: i64::from(tip.time),
            headers: headers as i32,
            initial_block_download: tip.is_initial_block_download(),
            connections_in,
            connections_out,
            network_active,
            bytes_recv,
            bytes_sent,
            mempool_transactions,
            mempool_usage,
        }
    }

    /// Tells listeners of each new tip, at most every [`TIP_NOTIFY_INTERVAL`],
    /// and of changes in the peer count and the network switch, until shutdown.
    pub(crate) fn spawn_watches(self: &Arc<Self>) {
        self.spawn_tip_watch();
        self.spawn_network_watch();
    }

    fn spawn_network_watch(self: &Arc<Self>) {
        let context = self.clone();
        self.runtime.spawn(async move {
            let mut tick = tokio::time::interval(NETWORK_CHECK_INTERVAL);
            let mut told: Option<(u32, u32, bool)> = None;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = context.shutdown.wait() => return,
                }
                let Some(net) = context.net.get() else { continue };
                let (inbound, outbound) = net.connection_counts();
                let now = (inbound as u32, outbound as u32, net.network_active());
                let before = match context.events.newcomer.swap(false, std::sync::atomic::Ordering::SeqCst) {
                    true => None,
                    false => told,
                };
                told = Some(now);
                if !context.events.is_heard() {
                    continue;
                }
                if before.map(|(i, o, _)| (i, o)) != Some((now.0, now.1)) {
                    context.events.send(NodeEvent::ConnectionsChanged(now.0, now.1));
                }
                if before.map(|b| b.2) != Some(now.2) {
                    context.events.send(NodeEvent::NetworkActiveChanged(now.2));
                }
            }
        });
    }

    fn spawn_tip_watch(self: &Arc<Self>) {
        let context = self.clone();
        let mut tips = self.chainstate.subscribe_tip();
        self.runtime.spawn(async move {
            loop {
                tokio::select! {
                    changed = tips.changed() => if changed.is_err() { return },
                    _ = context.shutdown.wait() => return,
                }
                if context.events.is_heard() {
                    context.events.send(NodeEvent::BlockTip(context.status()));
                }
                tokio::time::sleep(TIP_NOTIFY_INTERVAL).await;
            }
        });
    }

    fn peers(&self) -> Vec<PeerSummary> {
        let Some(net) = self.net.get() else { return Vec::new() };
        net.peer_info()
            .into_iter()
            .map(|p| PeerSummary {
                id: p.id as i64,
                address: p.addr.to_string(),
                user_agent: p.stats.subver.clone(),
                inbound: p.conn_type == hashvive_net::ConnectionType::Inbound,
                connection_type: p.conn_type.name().to_string(),
                ping_seconds: p.stats.ping_time,
                bytes_recv: p.stats.bytes_recv,
                bytes_sent: p.stats.bytes_sent,
                synced_blocks: p.stats.synced_blocks as i32,
                connected_since: p.connected_at,
            })
            .collect()
    }

    async fn execute_rpc(&self, method: String, params: String, uri: String) -> std::result::Result<String, RpcFault> {
        let params: Value = serde_json::from_str(&params)
            .map_err(|e| RpcFault { code: -32700, message: format!("Parse error: params: {e}") })?;
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let template = Request { uri, auth_user: "gui".into(), peer_addr: "ipc".into(), ..Default::default() };
        let table = self.table.clone();
        // Handlers may be heavy: they run on the node's threads, not the caller's.
        let reply = self
            .runtime
            .spawn(async move { execute_json(&table, body.as_bytes(), &template).await })
            .await
            .map_err(|e| RpcFault { code: -1, message: format!("RPC execution failed: {e}") })?;
        let reply: Value = serde_json::from_str(&reply)
            .map_err(|e| RpcFault { code: -1, message: format!("unreadable RPC reply: {e}") })?;
        match reply.get("error").filter(|e| !e.is_null()) {
            Some(error) => Err(RpcFault {
                code: error.get("code").and_then(Value::as_i64).unwrap_or(-1) as i32,
                message: error.get("message").and_then(Value::as_str).unwrap_or_default().to_string(),
            }),
            None => Ok(reply.get("result").cloned().unwrap_or(Value::Null).to_string()),
        }
    }

    fn rpc_commands(&self) -> Vec<String> {
        let mut names: Vec<String> = self.table.commands().iter().map(|c| c.name.to_string()).collect();
        names.sort();
        names
    }
}

/// Builds the wiring of a node a GUI starts, from the command line it passes.
pub type WiringFactory = Arc<dyn Fn(&[String]) -> Wiring + Send + Sync>;

/// A node run on a thread of this process for the GUI that spawned it.
struct Started {
    context: Arc<NodeContext>,
    /// Resolves when the node's thread has finished.
    stopped: Option<oneshot::Receiver<()>>,
}

/// The node as a GUI's [`Node`]: one this process runs already, or one a GUI
/// spawned this process for.
pub struct LocalNode {
    events: Arc<NodeEvents>,
    role: Role,
}

enum Role {
    /// Running already (`-ipcbind`): `start` is refused, `shutdown` only asks.
    Attached(Arc<NodeContext>),
    /// Spawned for a GUI: `start` runs it, `shutdown` stops it and waits.
    Spawned { exe: &'static Executable, wiring: WiringFactory, started: tokio::sync::Mutex<Option<Started>> },
}

impl LocalNode {
    pub(crate) fn attached(context: Arc<NodeContext>) -> LocalNode {
        LocalNode { events: context.events.clone(), role: Role::Attached(context) }
    }

    pub(crate) fn spawned(exe: &'static Executable, wiring: WiringFactory) -> LocalNode {
        LocalNode {
            events: Arc::default(),
            role: Role::Spawned { exe, wiring, started: tokio::sync::Mutex::new(None) },
        }
    }

    async fn context(&self) -> Result<Arc<NodeContext>> {
        match &self.role {
            Role::Attached(context) => Ok(context.clone()),
            Role::Spawned { started, .. } => match &*started.lock().await {
                Some(started) => Ok(started.context.clone()),
                None => Err(Error::Remote("the node has not been started (Node.start)".into())),
            },
        }
    }

    /// Stops a node started here and waits for it, from outside any runtime:
    /// the GUI went away, and the process ends after this.
    pub(crate) fn stop_blocking(&self) {
        if let Role::Spawned { started, .. } = &self.role {
            if let Some(started) = started.blocking_lock().as_mut() {
                started.context.shutdown.request();
                if let Some(stopped) = started.stopped.take() {
                    let _ = stopped.blocking_recv();
                }
            }
        }
    }
}

#[async_trait]
impl Node for LocalNode {
    async fn start(&self, args: Vec<String>) -> Result<()> {
        let Role::Spawned { exe, wiring, started } = &self.role else {
            return Err(Error::Remote("the node is already running".into()));
        };
        let mut started = started.lock().await;
        if started.is_some() {
            return Err(Error::Remote("the node is already running".into()));
        }
        let (ready_tx, ready) = oneshot::channel();
        let (done_tx, mut done) = oneshot::channel();
        let (stopped_tx, stopped) = oneshot::channel();
        let embedding = Embedding { events: self.events.clone(), ready: ready_tx };
        let (exe, wiring) = (*exe, wiring.clone());
        // The node builds and blocks on its own runtime, as `main` does.
        std::thread::Builder::new()
            .name("node".into())
            .spawn(move || {
                let wiring = wiring(&args);
                let result = crate::init::run(exe, args, wiring, Some(embedding));
                let _ = done_tx.send(result.map_err(|e| e.message));
                let _ = stopped_tx.send(());
            })
            .map_err(|e| Error::Remote(format!("cannot start the node thread: {e}")))?;
        tokio::select! {
            context = ready => match context {
                Ok(context) => {
                    *started = Some(Started { context, stopped: Some(stopped) });
                    Ok(())
                }
                Err(_) => Err(ended((&mut done).await)),
            },
            result = &mut done => Err(ended(result)),
        }
    }

    async fn status(&self) -> Result<NodeStatus> {
        Ok(self.context().await?.status())
    }

    async fn peers(&self) -> Result<Vec<PeerSummary>> {
        Ok(self.context().await?.peers())
    }

    async fn set_network_active(&self, active: bool) -> Result<()> {
        let context = self.context().await?;
        let net = context.net.get().ok_or_else(|| Error::Remote("the network is not started yet".into()))?;
        net.set_network_active(active);
        Ok(())
    }

    async fn execute_rpc(
        &self,
        method: String,
        params: String,
        uri: String,
    ) -> Result<std::result::Result<String, RpcFault>> {
        Ok(self.context().await?.execute_rpc(method, params, uri).await)
    }

    async fn list_rpc_commands(&self) -> Result<Vec<String>> {
        Ok(self.context().await?.rpc_commands())
    }

    async fn handle_notifications(&self, notifications: Arc<dyn NodeNotifications>) -> Result<Box<dyn Handler>> {
        Ok(self.events.listen(notifications))
    }

    /// A node spawned for the GUI stops and is waited for; one that runs
    /// already is only asked to stop: it is not this GUI's to wait for.
    async fn shutdown(&self) -> Result<()> {
        match &self.role {
            Role::Attached(context) => context.shutdown.request(),
            Role::Spawned { started, .. } => {
                if let Some(started) = started.lock().await.as_mut() {
                    started.context.shutdown.request();
                    if let Some(stopped) = started.stopped.take() {
                        let _ = stopped.await;
                    }
                }
            }
        }
        Ok(())
    }

    async fn wallet_loader(&self) -> Result<Arc<dyn WalletLoader>> {
        let context = self.context().await?;
        let wallets = context.wallets.get().ok_or_else(|| Error::Unavailable("the node runs no wallets".into()))?;
        Ok(Arc::new(NodeWallets(wallets.clone())))
    }

    async fn setting(&self, name: String) -> Result<Option<String>> {
        let context = self.context().await?;
        let settings = context.rw_settings.lock().unwrap_or_else(|e| e.into_inner());
        Ok(settings.values().get(&name).map(|value| value.to_string()))
    }

    async fn update_setting(&self, name: String, value: Option<String>) -> Result<()> {
        let value = value
            .map(|text| serde_json::from_str(&text).map_err(|e| Error::Remote(format!("not a JSON value: {e}"))))
            .transpose()?;
        let context = self.context().await?;
        let mut settings = context.rw_settings.lock().unwrap_or_else(|e| e.into_inner());
        settings.set(&name, value).map_err(|e| Error::Remote(e.to_string()))
    }
}

/// Why a node thread ended before it served.
fn ended(result: std::result::Result<std::result::Result<(), String>, oneshot::error::RecvError>) -> Error {
    match result {
        Ok(Err(message)) => Error::Remote(message),
        _ => Error::Remote("the node stopped before it was ready".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Heard(Mutex<Vec<String>>);

    #[async_trait]
    impl NodeNotifications for Heard {
        async fn init_message(&self, message: String) {
            self.0.lock().unwrap().push(message);
        }
        async fn block_tip(&self, status: NodeStatus) {
            self.0.lock().unwrap().push(format!("tip {}", status.tip.height));
        }
        async fn connections_changed(&self, inbound: u32, outbound: u32) {
            self.0.lock().unwrap().push(format!("{inbound} in, {outbound} out"));
        }
        async fn network_active_changed(&self, active: bool) {
            self.0.lock().unwrap().push(format!("network active {active}"));
        }
        async fn shutting_down(&self) {
            self.0.lock().unwrap().push("shutting down".into());
        }
    }

    #[tokio::test]
    async fn listeners_hear_events_in_order_until_their_handler_goes() {
        let events = Arc::new(NodeEvents::default());
        assert!(!events.is_heard());
        let (first, second) = (Arc::new(Heard::default()), Arc::new(Heard::default()));
        let first_handler = events.listen(first.clone());
        let _second_handler = events.listen(second.clone());
        events.init_message("Loading block index…");
        events.init_message("Done loading");
        drop(first_handler);
        events.shutting_down();
        for _ in 0..200 {
            if second.0.lock().unwrap().len() == 3 && first.0.lock().unwrap().len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(*second.0.lock().unwrap(), ["Loading block index…", "Done loading", "shutting down"]);
        assert_eq!(*first.0.lock().unwrap(), ["Loading block index…", "Done loading"]);
    }
}
