//! The GUI's side of its node, without Qt: starts (or attaches to) the node,
//! follows its wallets, turns their notifications into [`ViewState`]s for the
//! screens, runs console lines, and shuts down. The GUI only learns of changes
//! from notifications: an idle GUI makes no calls.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use hashvive_interfaces::{
    async_trait, Error, Handler, Node, NodeNotifications, NodeStatus, RpcFault, Wallet, WalletLoader,
    WalletLoaderNotifications, WalletNotifications, WalletTransaction,
};
use serde_json::Value;
use tokio::sync::mpsc;

use super::bip21::PaymentUri;
use super::console::{self, History};
use super::format;
use super::peers::{self, PeerRow};
use super::sync::{SyncTracker, SyncView};
use super::transactions::{self, TransactionRow};
use super::wallets::WalletView;

/// Where the GUI is in its node's life.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Phase {
    /// Waiting for the node: the splash screen.
    #[default]
    Starting,
    Ready,
    ShuttingDown,
    /// Over: the process exits with this status.
    Finished(i32),
    /// The node could not start or was lost; the message is for a dialog,
    /// after which the process exits with status 1.
    Failed(String),
}

/// Everything the screens show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ViewState {
    pub phase: Phase,
    /// The last start-up step ("Loading block index…").
    pub init_message: String,
    pub sync: Option<SyncView>,
    pub connections_in: u32,
    pub connections_out: u32,
    pub network_active: bool,
    /// "12 KB" received and sent over P2P.
    pub traffic_in: String,
    pub traffic_out: String,
    /// "3 (2 KB)": transactions in the mempool and their memory.
    pub mempool: String,
    pub peers: Vec<PeerRow>,
    /// The loaded wallets' balances, in the order the node lists them.
    pub wallets: Vec<WalletView>,
    /// Every loaded wallet's transactions, newest first.
    pub transactions: Vec<TransactionRow>,
    /// The payment URI the GUI was started with, read once the node is
    /// ready, or why it cannot be used.
    pub payment_uri: Option<Result<PaymentUri, String>>,
}

/// The screens, told of each new state from any thread.
pub trait View: Send + Sync + 'static {
    fn show(&self, state: ViewState);
}

/// Whether this GUI runs its node (and so starts and stops it) or attached
/// to one that runs on its own (and must leave it running).
#[derive(Clone, Debug)]
pub enum NodeRole {
    /// Start it with this command line (the GUI's options taken out).
    Owned {
        args: Vec<String>,
    },
    Attached,
}

/// What happened, in the order the controller handles it.
#[derive(Debug)]
enum Event {
    InitMessage(String),
    Status(NodeStatus),
    Connections(u32, u32),
    NetworkActive(bool),
    NodeShuttingDown,
    /// A transaction of a followed wallet changed.
    WalletChanged,
    /// A wallet was encrypted, unlocked or locked: its state is read again.
    WalletStatusChanged,
    /// A wallet was loaded or unloaded.
    WalletsChanged,
}

/// Notifications from the node go into a queue and return at once: the node
/// never waits on the GUI's calls.
struct Listener(mpsc::UnboundedSender<Event>);

#[async_trait]
impl NodeNotifications for Listener {
    async fn init_message(&self, message: String) {
        let _ = self.0.send(Event::InitMessage(message));
    }
    async fn block_tip(&self, status: NodeStatus) {
        let _ = self.0.send(Event::Status(status));
    }
    async fn connections_changed(&self, inbound: u32, outbound: u32) {
        let _ = self.0.send(Event::Connections(inbound, outbound));
    }
    async fn network_active_changed(&self, active: bool) {
        let _ = self.0.send(Event::NetworkActive(active));
    }
    async fn shutting_down(&self) {
        let _ = self.0.send(Event::NodeShuttingDown);
    }
}

/// Transactions the wallets named, by wallet name, not yet read again.
type ChangedTransactions = Arc<Mutex<Vec<(String, [u8; 32])>>>;

/// A wallet's notifications go into the same queue. A burst of them (a
/// block full of the wallet's payments) is one event until it is handled,
/// with the transactions it named.
struct WalletListener {
    wallet: String,
    events: mpsc::UnboundedSender<Event>,
    queued: Arc<AtomicBool>,
    changed: ChangedTransactions,
}

#[async_trait]
impl WalletNotifications for WalletListener {
    async fn transaction_changed(&self, txid: [u8; 32]) {
        lock(&self.changed).push((self.wallet.clone(), txid));
        if !self.queued.swap(true, Ordering::SeqCst) {
            let _ = self.events.send(Event::WalletChanged);
        }
    }
    async fn status_changed(&self) {
        let _ = self.events.send(Event::WalletStatusChanged);
    }
    async fn unloaded(&self) {
        let _ = self.events.send(Event::WalletsChanged);
    }
}

/// Loads go into the same queue; the wallets are then listed again.
struct LoadListener(mpsc::UnboundedSender<Event>);

#[async_trait]
impl WalletLoaderNotifications for LoadListener {
    async fn wallet_loaded(&self, _wallet: Arc<dyn Wallet>) {
        let _ = self.0.send(Event::WalletsChanged);
    }
}

/// A wallet the overview shows; its notifications last as long as this.
struct Followed {
    name: String,
    wallet: Arc<dyn Wallet>,
    /// Its transactions, kept current from its notifications.
    history: Vec<WalletTransaction>,
    _notifications: Box<dyn Handler>,
}

pub struct Controller {
    node: Arc<dyn Node>,
    role: NodeRole,
    view: Arc<dyn View>,
    state: Mutex<(ViewState, SyncTracker)>,
    history: Mutex<History>,
    started: Instant,
    /// Where wallets' notifications go; the receiver is taken by [`Controller::run`].
    wallet_events_tx: mpsc::UnboundedSender<Event>,
    wallet_events: Mutex<Option<mpsc::UnboundedReceiver<Event>>>,
    /// The node's wallets, once asked for; `None` inside while it has none.
    loader: tokio::sync::OnceCell<Option<Arc<dyn WalletLoader>>>,
    wallets: Mutex<Vec<Followed>>,
    wallet_event_queued: Arc<AtomicBool>,
    /// Transactions the wallets named since their last event was handled.
    changed_transactions: ChangedTransactions,
    /// The registration for wallets loaded later.
    loads: Mutex<Option<Box<dyn Handler>>>,
    /// A payment or fee bump signed and shown for confirmation, not yet
    /// sent; the confirmation is modal, so there is one at most.
    pending: Mutex<Option<PendingTransaction>>,
    /// Where the payment URIs to open come from, taken once ready.
    payment_uris: Mutex<Option<PaymentUris>>,
    /// The desktop's entry that starts this GUI on login.
    autostart: Mutex<Option<super::autostart::Autostart>>,
}

struct PendingTransaction {
    wallet: Arc<dyn Wallet>,
    tx: Vec<u8>,
}

impl Controller {
    pub fn new(node: Arc<dyn Node>, role: NodeRole, view: Arc<dyn View>) -> Arc<Controller> {
        let (wallet_events_tx, wallet_events) = mpsc::unbounded_channel();
        Arc::new(Controller {
            node,
            role,
            view,
            state: Mutex::default(),
            history: Mutex::default(),
            started: Instant::now(),
            wallet_events_tx,
            wallet_events: Mutex::new(Some(wallet_events)),
            loader: tokio::sync::OnceCell::new(),
            wallets: Mutex::default(),
            wallet_event_queued: Arc::default(),
            changed_transactions: Arc::default(),
            loads: Mutex::default(),
            pending: Mutex::default(),
            payment_uris: Mutex::default(),
            autostart: Mutex::default(),
        })
    }

    /// Listens, starts the node if it is ours, then follows it until it shuts
    /// down or `lost` resolves (its process or connection went away).
    pub async fn run(self: Arc<Self>, lost: Option<Pin<Box<dyn Future<Output = ()> + Send>>>) {
        let Some(mut wallet_events) = lock(&self.wallet_events).take() else { return };
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let handler = match self.node.handle_notifications(Arc::new(Listener(events_tx))).await {
            Ok(handler) => handler,
            Err(e) => return self.fail(format!("Cannot follow the node: {e}")),
        };
        if let NodeRole::Owned { args } = &self.role {
            if let Err(e) = self.node.start(args.clone()).await {
                return self.fail(self.failure(e, ""));
            }
        }
        if let Err(e) = self.refresh().await {
            return self.fail(self.failure(e, "Cannot read the node's state: "));
        }
        self.listen_for_loads().await;
        self.follow_wallets().await;
        let uris = lock(&self.payment_uris).take();
        let payment_uri =
            uris.as_ref().and_then(|u| Some(screens::read_payment_uri(u.from_command_line.as_deref()?, u.network)));
        self.edit(|state| {
            state.payment_uri = payment_uri;
            state.phase = Phase::Ready;
        });
        // Ends, and its socket goes, when this returns.
        let _uri_server = uris.and_then(|u| self.serve_payment_uris(u.chain_dir.as_deref()?, u.network));
        let lost = lost.unwrap_or_else(|| Box::pin(std::future::pending()));
        tokio::pin!(lost);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Some(Event::NodeShuttingDown) => break,
                    Some(event) => self.handle(event).await,
                    // The node dropped our registration without a word: it is gone.
                    None => return self.lost(),
                },
                Some(event) = wallet_events.recv() => self.handle(event).await,
                _ = &mut lost => return self.lost(),
            }
        }
        drop(handler);
        lock(&self.loads).take();
        lock(&self.wallets).clear();
        self.finish().await;
    }

    /// The node or the connection to it is gone. While in use that is a
    /// failure; after the window asked it to close, it is what was asked.
    fn lost(&self) {
        if self.phase() == Phase::Ready {
            self.fail(self.lost_message());
        }
    }

    fn lost_message(&self) -> String {
        match self.role {
            NodeRole::Owned { .. } => "The node process exited unexpectedly.".into(),
            NodeRole::Attached => "The connection to the node was lost. The node may have stopped.".into(),
        }
    }

    /// What to tell the user of a failed call while starting: a node that
    /// went away is reported as such, whichever call noticed.
    fn failure(&self, error: Error, context: &str) -> String {
        match error {
            Error::Disconnected(_) => self.lost_message(),
            other => format!("{context}{other}"),
        }
    }

    async fn handle(&self, event: Event) {
        match event {
            Event::InitMessage(message) => self.edit(|state| state.init_message = message),
            Event::Status(status) => {
                self.show_status(&status);
                self.refresh_peers().await;
                // A new block matures coins, and deepens transactions.
                self.refresh_balances().await;
                self.show_transactions();
            }
            Event::Connections(inbound, outbound) => {
                self.edit(|state| (state.connections_in, state.connections_out) = (inbound, outbound));
                self.refresh_peers().await;
            }
            Event::NetworkActive(active) => self.edit(|state| state.network_active = active),
            Event::NodeShuttingDown => {}
            Event::WalletChanged => {
                self.wallet_event_queued.store(false, Ordering::SeqCst);
                self.refresh_transactions().await;
                self.refresh_balances().await;
            }
            Event::WalletStatusChanged => self.refresh_balances().await,
            Event::WalletsChanged => self.follow_wallets().await,
        }
    }

    /// The node's wallets, asked for once; a node without them has none.
    async fn loader(&self) -> Option<Arc<dyn WalletLoader>> {
        let loader = self
            .loader
            .get_or_init(|| async {
                match self.node.wallet_loader().await {
                    Ok(loader) => Some(loader),
                    Err(Error::Unavailable(_)) => None,
                    Err(e) => {
                        tracing::warn!("cannot reach the node's wallets: {e}");
                        None
                    }
                }
            })
            .await;
        loader.clone()
    }

    /// Follows the wallets the node has loaded now, in place of those
    /// followed before, and shows their balances.
    async fn follow_wallets(&self) {
        let Some(loader) = self.loader().await else { return };
        let wallets = match loader.wallets().await {
            Ok(wallets) => wallets,
            Err(e) => return tracing::warn!("cannot list the node's wallets: {e}"),
        };
        let mut followed = Vec::new();
        for wallet in wallets {
            // A wallet unloaded meanwhile is left out.
            let Ok(name) = wallet.name().await else { continue };
            let listener = WalletListener {
                wallet: name.clone(),
                events: self.wallet_events_tx.clone(),
                queued: self.wallet_event_queued.clone(),
                changed: self.changed_transactions.clone(),
            };
            // Listening first: what changes while the history is read is read again.
            let Ok(notifications) = wallet.handle_notifications(Arc::new(listener)).await else { continue };
            let Ok(history) = wallet.transactions().await else { continue };
            followed.push(Followed { name, wallet, history, _notifications: notifications });
        }
        *lock(&self.wallets) = followed;
        self.refresh_balances().await;
        self.show_transactions();
    }

    /// Reads again each transaction the wallets said changed.
    async fn refresh_transactions(&self) {
        let mut changed = std::mem::take(&mut *lock(&self.changed_transactions));
        changed.sort_unstable();
        changed.dedup();
        for (name, txid) in changed {
            let Ok(wallet) = self.wallet(&name) else { continue };
            let found = match wallet.transaction(txid).await {
                Ok(found) => found,
                // Unloaded: its `unloaded` notice lists the wallets again.
                Err(e) => {
                    tracing::debug!(target: "qt", "Wallet {name}: {e}");
                    continue;
                }
            };
            // A row of its own only for the log; the screens' rows are made below.
            if let Some(t) = found.as_ref().filter(|_| tracing::enabled!(target: "qt", tracing::Level::DEBUG)) {
                let row = TransactionRow::new(&name, t, self.tip());
                tracing::debug!(target: "qt", "Wallet {name}: {} {} {} {}, {}", row.txid, row.kind, row.address, row.amount, row.status);
            }
            let mut wallets = lock(&self.wallets);
            let Some(followed) = wallets.iter_mut().find(|f| f.name == name) else { continue };
            let at = followed.history.iter().position(|t| t.txid == txid);
            match (at, found) {
                (Some(i), Some(t)) => followed.history[i] = t,
                (None, Some(t)) => followed.history.push(t),
                (Some(i), None) => {
                    followed.history.remove(i);
                }
                (None, None) => {}
            }
        }
        self.show_transactions();
    }

    /// The height of the node's tip, as last reported.
    fn tip(&self) -> i32 {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0.sync.as_ref().map_or(0, |s| s.blocks)
    }

    /// The transactions' rows from the histories held and the tip: no calls.
    fn show_transactions(&self) {
        let tip = self.tip();
        let rows = {
            let wallets = lock(&self.wallets);
            transactions::rows(wallets.iter().map(|f| (f.name.as_str(), f.history.as_slice())), tip)
        };
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if guard.0.transactions != rows {
            guard.0.transactions = rows;
            self.view.show(guard.0.clone());
        }
    }

    /// Hears of wallets loaded from now on (over RPC, from the console).
    async fn listen_for_loads(&self) {
        let Some(loader) = self.loader().await else { return };
        match loader.handle_load_wallet(Arc::new(LoadListener(self.wallet_events_tx.clone()))).await {
            Ok(handler) => *lock(&self.loads) = Some(handler),
            Err(e) => tracing::warn!("cannot hear of wallets loaded: {e}"),
        }
    }

    async fn refresh_balances(&self) {
        let wallets: Vec<(String, Arc<dyn Wallet>)> =
            lock(&self.wallets).iter().map(|f| (f.name.clone(), f.wallet.clone())).collect();
        let mut views = Vec::with_capacity(wallets.len());
        for (name, wallet) in wallets {
            match async { Ok::<_, Error>((wallet.balances().await?, wallet.encryption().await?)) }.await {
                Ok((balances, encryption)) => views.push(WalletView::new(&name, &balances, encryption)),
                // Unloaded: its `unloaded` notice lists the wallets again.
                Err(e) => tracing::debug!(target: "qt", "Wallet {name}: {e}"),
            }
        }
        self.edit(|state| {
            if state.wallets != views {
                for view in &views {
                    tracing::debug!(
                        target: "qt",
                        "Wallet {}: available {}, pending {}, immature {}, {}",
                        view.name,
                        view.available,
                        view.pending,
                        view.immature,
                        view.encryption
                    );
                }
                state.wallets = views;
            }
        });
    }

    /// Reads the whole state once (after start, and when asked).
    pub async fn refresh(&self) -> hashvive_interfaces::Result<()> {
        let status = self.node.status().await?;
        self.show_status(&status);
        let peers = self.node.peers().await?;
        self.edit(|state| state.peers = peers::rows(&peers, unix_now()));
        Ok(())
    }

    async fn refresh_peers(&self) {
        match self.node.peers().await {
            Ok(peers) => self.edit(|state| state.peers = peers::rows(&peers, unix_now())),
            Err(e) => tracing::warn!("cannot list the node's peers: {e}"),
        }
    }

    fn show_status(&self, status: &NodeStatus) {
        let monotonic = self.started.elapsed().as_secs_f64();
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (state, tracker) = &mut *guard;
        state.sync = Some(tracker.update(status, unix_now(), monotonic));
        state.connections_in = status.connections_in;
        state.connections_out = status.connections_out;
        state.network_active = status.network_active;
        state.traffic_in = format::bytes(status.bytes_recv);
        state.traffic_out = format::bytes(status.bytes_sent);
        state.mempool = format!("{} ({})", status.mempool_transactions, format::bytes(status.mempool_usage));
        self.view.show(state.clone());
    }

    fn edit(&self, change: impl FnOnce(&mut ViewState)) {
        let mut guard = self.state.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut guard.0);
        self.view.show(guard.0.clone());
    }

    fn phase(&self) -> Phase {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0.phase.clone()
    }

    /// Ends the GUI with an error: on stderr as the daemon prints its own,
    /// and in a dialog.
    fn fail(&self, message: String) {
        tracing::error!("{message}");
        eprintln!("Error: {message}");
        self.edit(|state| state.phase = Phase::Failed(message));
    }

    /// The window was closed: a node this GUI runs is stopped and waited for;
    /// an attached one is left running.
    pub async fn close(&self) {
        if matches!(self.phase(), Phase::Finished(_) | Phase::Failed(_)) {
            return;
        }
        self.edit(|state| state.phase = Phase::ShuttingDown);
        self.finish().await;
    }

    async fn finish(&self) {
        if let NodeRole::Owned { .. } = self.role {
            if let Err(e) = self.node.shutdown().await {
                tracing::warn!("the node did not confirm its shutdown: {e}");
            }
        }
        self.edit(|state| {
            if !matches!(state.phase, Phase::Failed(_)) {
                state.phase = Phase::Finished(0);
            }
        });
    }

    pub async fn set_network_active(&self, active: bool) {
        if let Err(e) = self.node.set_network_active(active).await {
            tracing::warn!("cannot switch the network: {e}");
        }
    }

    /// Runs a console line against `wallet` (or the node) and returns what
    /// the console prints: the result, or the error as the reference shows it.
    pub async fn console(&self, line: &str, wallet: Option<&str>) -> String {
        self.history.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        let call = match console::parse(line) {
            Ok(Some(call)) => call,
            Ok(None) => return String::new(),
            Err(e) => return e.to_string(),
        };
        if call.method == "help-console" {
            return console::HELP_CONSOLE.to_string();
        }
        let uri = hashvive_rpc::request::wallet_uri(wallet);
        let execute = |method: String, params: Value| {
            let (node, uri) = (self.node.clone(), uri.clone());
            Box::pin(async move {
                let reply = node
                    .execute_rpc(method, params.to_string(), uri)
                    .await
                    .map_err(|e| RpcFault { code: -1, message: e.to_string() })??;
                serde_json::from_str(&reply)
                    .map_err(|e| RpcFault { code: -1, message: format!("unreadable result: {e}") })
            }) as Pin<Box<dyn Future<Output = Result<Value, RpcFault>> + Send>>
        };
        match console::evaluate(&call, &execute).await {
            Ok(result) => console::render(&result),
            Err(fault) => format!("{} (code {})", fault.message, fault.code),
        }
    }

    /// A loaded wallet by its name.
    fn wallet(&self, name: &str) -> Result<Arc<dyn Wallet>, String> {
        let found = lock(&self.wallets).iter().find(|f| f.name == name).map(|f| f.wallet.clone());
        found.ok_or_else(|| format!("Wallet \"{name}\" is not loaded"))
    }

    /// The console's up and down keys.
    pub fn history_older(&self) -> Option<String> {
        self.history.lock().unwrap_or_else(|e| e.into_inner()).older().map(str::to_string)
    }

    pub fn history_newer(&self) -> Option<String> {
        self.history.lock().unwrap_or_else(|e| e.into_inner()).newer().map(str::to_string)
    }

    pub async fn rpc_commands(&self) -> Vec<String> {
        self.node.list_rpc_commands().await.unwrap_or_default()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

mod screens;

pub use screens::PaymentUris;
#[cfg(test)]
mod tests;
