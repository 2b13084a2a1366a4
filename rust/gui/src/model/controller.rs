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
    async_trait, Error, Handler, Node, NodeNotifications, NodeStatus, RpcFault, Wallet, WalletCreation, WalletLoader,
    WalletLoaderNotifications, WalletNotifications, WalletTransaction,
};
use serde_json::Value;
use tokio::sync::mpsc;

use super::amount::{self, Unit};
use super::bip21::PaymentUri;
use super::console::{self, History};
use super::format;
use super::peers::{self, PeerRow};
use super::receive::PaymentRequest;
use super::send::{self, SendForm};
use super::settings::{self as node_settings, SettingsForm};
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
    /// A payment signed and shown for confirmation, not yet sent.
    pending_send: Mutex<Option<PendingSend>>,
    /// The command line's payment URI, and the network its address must be of.
    payment_uri: Mutex<Option<(String, bitcoin::Network)>>,
}

/// How long a wallet unlocked to sign a payment stays open at most (it is
/// locked again as soon as the payment is signed).
const SIGNING_UNLOCK_SECONDS: u32 = 60;

struct PendingSend {
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
            pending_send: Mutex::default(),
            payment_uri: Mutex::default(),
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
        let payment_uri = lock(&self.payment_uri).take().map(|(uri, network)| read_payment_uri(&uri, network));
        self.edit(|state| {
            state.payment_uri = payment_uri;
            state.phase = Phase::Ready;
        });
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
            let tip = self.tip();
            if let Some(t) = &found {
                let row = TransactionRow::new(&name, t, tip);
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
                        "Wallet {}: available {}, pending {}, immature {}",
                        view.name,
                        view.available,
                        view.pending,
                        view.immature
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

    /// Opens the send screen with `uri` once the node is ready.
    pub fn set_payment_uri(&self, uri: String, network: bitcoin::Network) {
        *lock(&self.payment_uri) = Some((uri, network));
    }

    /// The settings screen's form, from the node's `settings.json`.
    pub async fn settings(&self) -> Result<SettingsForm, String> {
        let mut values: [Option<String>; 2] = Default::default();
        for (value, name) in values.iter_mut().zip(node_settings::NAMES) {
            *value = self.node.setting(name.to_string()).await.map_err(|e| e.to_string())?;
        }
        Ok(SettingsForm::from_settings(values))
    }

    /// Writes the settings screen's form to the node's `settings.json`.
    pub async fn save_settings(&self, form: &SettingsForm) -> Result<String, String> {
        let values = form.to_settings()?;
        for (name, value) in node_settings::NAMES.into_iter().zip(values) {
            self.node.update_setting(name.to_string(), value).await.map_err(|e| e.to_string())?;
        }
        Ok("Saved. The node uses them from its next start.".into())
    }

    /// A loaded wallet by its name.
    fn wallet(&self, name: &str) -> Result<Arc<dyn Wallet>, String> {
        let found = lock(&self.wallets).iter().find(|f| f.name == name).map(|f| f.wallet.clone());
        found.ok_or_else(|| format!("Wallet \"{name}\" is not loaded"))
    }

    /// The receive screen's request: a new address of `wallet` under `label`,
    /// asking for `amount` (in `unit`, none if blank) with `message`.
    pub async fn request_payment(
        &self,
        wallet: &str,
        label: &str,
        amount: &str,
        unit: Unit,
        message: &str,
    ) -> Result<PaymentRequest, String> {
        let amount = match amount.trim() {
            "" => None,
            text => Some(amount::parse(text, unit)?),
        };
        let address = self.wallet(wallet)?.new_address(label.to_string()).await.map_err(|e| e.to_string())?;
        tracing::debug!(target: "qt", "Payment request: {address}");
        PaymentRequest::new(address, amount, label, message)
    }

    /// The send screen's first step: the payment built and signed by
    /// `wallet`, kept for [`Controller::confirm_send`]; what to ask the user.
    /// A locked wallet is unlocked with `passphrase` just to sign, then
    /// locked again, as the reference GUI does.
    pub async fn prepare_send(
        &self,
        wallet: &str,
        form: &SendForm,
        network: bitcoin::Network,
        passphrase: &str,
    ) -> Result<String, String> {
        let payment = form.payment(network)?;
        let wallet = self.wallet(wallet)?;
        let unlocked = !passphrase.is_empty();
        if unlocked {
            wallet.unlock(passphrase.to_string(), SIGNING_UNLOCK_SECONDS).await.map_err(|e| e.to_string())?;
        }
        let prepared = wallet.create_transaction(payment.clone()).await;
        if unlocked {
            if let Err(e) = wallet.lock().await {
                tracing::warn!("cannot lock the wallet again: {e}");
            }
        }
        let prepared = prepared.map_err(|e| e.to_string())?;
        let question = send::confirmation(&payment, &prepared, form.unit);
        *lock(&self.pending_send) = Some(PendingSend { wallet, tx: prepared.tx });
        Ok(question)
    }

    /// The user agreed: sends the prepared payment; its txid.
    pub async fn confirm_send(&self) -> Result<String, String> {
        let pending = lock(&self.pending_send).take().ok_or("There is no payment to send.")?;
        let txid = pending.wallet.commit_transaction(pending.tx).await.map_err(|e| e.to_string())?;
        let txid = <bitcoin::Txid as bitcoin::hashes::Hash>::from_byte_array(txid).to_string();
        tracing::debug!(target: "qt", "Sent {txid}");
        Ok(txid)
    }

    /// The wallet screen's actions; each answers with what to tell the user.
    pub async fn create_wallet(&self, name: &str, options: WalletCreation) -> Result<String, String> {
        let loader = self.loader().await.ok_or("The node has no wallets.")?;
        loader.create_wallet(name.to_string(), options).await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" created."))
    }

    pub async fn open_wallet(&self, name: &str) -> Result<String, String> {
        let loader = self.loader().await.ok_or("The node has no wallets.")?;
        loader.load_wallet(name.to_string()).await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" opened."))
    }

    /// The wallets in the wallet directory that are not loaded.
    pub async fn closed_wallets(&self) -> Result<Vec<String>, String> {
        let loader = self.loader().await.ok_or("The node has no wallets.")?;
        let all = loader.list_wallet_dir().await.map_err(|e| e.to_string())?;
        let wallets = lock(&self.wallets);
        Ok(all.into_iter().filter(|name| !wallets.iter().any(|f| &f.name == name)).collect())
    }

    pub async fn close_wallet(&self, name: &str) -> Result<String, String> {
        self.wallet(name)?.unload().await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" closed."))
    }

    pub async fn encrypt_wallet(&self, name: &str, passphrase: &str) -> Result<String, String> {
        self.wallet(name)?.encrypt(passphrase.to_string()).await.map_err(|e| e.to_string())?;
        self.refresh_balances().await;
        // The reference GUI's reminder: copies made before hold the keys in the clear.
        Ok("Wallet encrypted. Remember that earlier backups of it are not encrypted: make a new backup.".into())
    }

    /// Opens the wallet's keys for `seconds`, and shows it locked again after.
    pub async fn unlock_wallet(self: &Arc<Self>, name: &str, passphrase: &str, seconds: u32) -> Result<String, String> {
        self.wallet(name)?.unlock(passphrase.to_string(), seconds).await.map_err(|e| e.to_string())?;
        self.refresh_balances().await;
        let controller = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs(u64::from(seconds) + 1)).await;
            if let Some(controller) = controller.upgrade() {
                controller.refresh_balances().await;
            }
        });
        Ok(format!("Wallet \"{name}\" unlocked for {seconds} seconds."))
    }

    pub async fn lock_wallet(&self, name: &str) -> Result<String, String> {
        self.wallet(name)?.lock().await.map_err(|e| e.to_string())?;
        self.refresh_balances().await;
        Ok(format!("Wallet \"{name}\" locked."))
    }

    pub async fn backup_wallet(&self, name: &str, destination: &str) -> Result<String, String> {
        if destination.trim().is_empty() {
            return Err("Enter where to write the backup.".into());
        }
        self.wallet(name)?.backup(destination.to_string()).await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" backed up to {destination}."))
    }

    /// The user declined: the prepared payment is dropped unsent.
    pub fn cancel_send(&self) {
        lock(&self.pending_send).take();
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

/// A payment URI read, and said in the log (which the node has set up by now).
fn read_payment_uri(uri: &str, network: bitcoin::Network) -> Result<PaymentUri, String> {
    let read = PaymentUri::parse(uri, network);
    match &read {
        Ok(payment) => {
            let amount = payment.amount.map_or("any amount".into(), |sats| amount::format(sats, Unit::Btc));
            tracing::debug!(target: "qt", "Payment URI: pay {amount} to {}", payment.address);
        }
        Err(e) => tracing::warn!("{e}"),
    }
    read
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hashvive_interfaces::{
        BlockRef, Handler, Payment, PeerSummary, PreparedTransaction, Result, WalletBalances, WalletEncryption,
        WalletLoader,
    };

    use super::*;

    /// A node in memory: records what the GUI asks, and lets the test speak
    /// as the node through the listener the GUI registered.
    #[derive(Default)]
    struct FakeNode {
        calls: Mutex<Vec<String>>,
        listener: Mutex<Option<Arc<dyn NodeNotifications>>>,
        height: std::sync::atomic::AtomicI32,
        refuse_start: bool,
        /// The node's wallets; none (a node without them) if unset.
        wallets: Option<Arc<FakeWallets>>,
        /// Its `settings.json`, as JSON texts by name.
        settings: Mutex<std::collections::BTreeMap<String, String>>,
    }

    /// Wallets in memory; the test loads them, changes their balances and
    /// speaks as them through the listeners the GUI registered.
    #[derive(Default)]
    struct FakeWallets {
        loaded: Mutex<Vec<Arc<FakeWallet>>>,
        balance_calls: std::sync::atomic::AtomicUsize,
        load_listener: Mutex<Option<Arc<dyn WalletLoaderNotifications>>>,
        /// Itself, for the loader's calls that load wallets.
        myself: Mutex<std::sync::Weak<FakeWallets>>,
    }

    struct FakeWallet {
        name: String,
        balances: Mutex<WalletBalances>,
        history: Mutex<Vec<WalletTransaction>>,
        encryption: Mutex<WalletEncryption>,
        listener: Mutex<Option<Arc<dyn WalletNotifications>>>,
        wallets: std::sync::Weak<FakeWallets>,
    }

    impl FakeWallets {
        fn new() -> Arc<FakeWallets> {
            let wallets = Arc::new(FakeWallets::default());
            *wallets.myself.lock().unwrap() = Arc::downgrade(&wallets);
            wallets
        }

        fn load(self: &Arc<Self>, name: &str, balances: WalletBalances) -> Arc<FakeWallet> {
            let wallet = Arc::new(FakeWallet {
                name: name.into(),
                balances: Mutex::new(balances),
                history: Mutex::default(),
                encryption: Mutex::new(WalletEncryption::Unencrypted),
                listener: Mutex::default(),
                wallets: Arc::downgrade(self),
            });
            self.loaded.lock().unwrap().push(wallet.clone());
            wallet
        }

        /// Loaded after the GUI started: it hears of it.
        async fn load_later(self: &Arc<Self>, name: &str, balances: WalletBalances) -> Arc<FakeWallet> {
            let wallet = self.load(name, balances);
            let listener = self.load_listener.lock().unwrap().clone().expect("the GUI listens for loads");
            listener.wallet_loaded(wallet.clone()).await;
            wallet
        }
    }

    #[async_trait]
    impl WalletLoader for FakeWallets {
        async fn start(&self) -> Result<()> {
            Ok(())
        }
        async fn list_wallets(&self) -> Result<Vec<String>> {
            Ok(self.loaded.lock().unwrap().iter().map(|w| w.name.clone()).collect())
        }
        async fn wallets(&self) -> Result<Vec<Arc<dyn Wallet>>> {
            Ok(self.loaded.lock().unwrap().iter().map(|w| w.clone() as Arc<dyn Wallet>).collect())
        }
        async fn handle_load_wallet(
            &self,
            notifications: Arc<dyn WalletLoaderNotifications>,
        ) -> Result<Box<dyn Handler>> {
            *self.load_listener.lock().unwrap() = Some(notifications);
            Ok(Box::new(NoHandler))
        }
        async fn create_wallet(&self, name: String, options: WalletCreation) -> Result<Arc<dyn Wallet>> {
            let wallets = self.myself.lock().unwrap().upgrade().expect("alive");
            let wallet = wallets.load_later(&name, WalletBalances::default()).await;
            if !options.passphrase.is_empty() {
                *wallet.encryption.lock().unwrap() = WalletEncryption::Locked;
            }
            Ok(wallet)
        }
        async fn load_wallet(&self, name: String) -> Result<Arc<dyn Wallet>> {
            let wallets = self.myself.lock().unwrap().upgrade().expect("alive");
            Ok(wallets.load_later(&name, WalletBalances::default()).await)
        }
        async fn list_wallet_dir(&self) -> Result<Vec<String>> {
            Ok(vec!["".into(), "archive".into()])
        }
        async fn stop(&self) -> Result<()> {
            Ok(())
        }
    }

    #[async_trait]
    impl Wallet for FakeWallet {
        async fn name(&self) -> Result<String> {
            Ok(self.name.clone())
        }
        async fn balances(&self) -> Result<WalletBalances> {
            if let Some(wallets) = self.wallets.upgrade() {
                wallets.balance_calls.fetch_add(1, Ordering::SeqCst);
            }
            Ok(*self.balances.lock().unwrap())
        }
        async fn new_address(&self, label: String) -> Result<String> {
            match label.as_str() {
                "*" => Err(Error::Remote("Invalid label name".into())),
                _ => Ok(REGTEST_ADDRESS.into()),
            }
        }
        async fn create_transaction(&self, payment: Payment) -> Result<PreparedTransaction> {
            let amount = payment.recipients[0].amount;
            match amount > self.balances.lock().unwrap().trusted {
                true => Err(Error::Remote("Insufficient funds".into())),
                false => Ok(PreparedTransaction { tx: amount.to_le_bytes().to_vec(), fee: 141 }),
            }
        }
        /// Pays: the balance falls by the amount and the fee.
        async fn commit_transaction(&self, tx: Vec<u8>) -> Result<[u8; 32]> {
            let amount = i64::from_le_bytes(tx.try_into().map_err(|_| Error::Remote("TX decode failed".into()))?);
            self.balances.lock().unwrap().trusted -= amount + 141;
            Ok([0xab; 32])
        }
        async fn transactions(&self) -> Result<Vec<WalletTransaction>> {
            Ok(self.history.lock().unwrap().clone())
        }
        async fn encryption(&self) -> Result<WalletEncryption> {
            Ok(*self.encryption.lock().unwrap())
        }
        async fn encrypt(&self, _passphrase: String) -> Result<()> {
            *self.encryption.lock().unwrap() = WalletEncryption::Locked;
            Ok(())
        }
        async fn unlock(&self, passphrase: String, _seconds: u32) -> Result<()> {
            match passphrase.as_str() {
                "pw" => {
                    *self.encryption.lock().unwrap() = WalletEncryption::Unlocked;
                    Ok(())
                }
                _ => Err(Error::Remote("Error: The wallet passphrase entered was incorrect.".into())),
            }
        }
        async fn lock(&self) -> Result<()> {
            *self.encryption.lock().unwrap() = WalletEncryption::Locked;
            Ok(())
        }
        async fn backup(&self, destination: String) -> Result<()> {
            Err(Error::Remote(format!("cannot write {destination}")))
        }
        /// Gone from the loaded wallets; its listener hears so.
        async fn unload(&self) -> Result<()> {
            if let Some(wallets) = self.wallets.upgrade() {
                wallets.loaded.lock().unwrap().retain(|w| w.name != self.name);
            }
            let listener = self.listener.lock().unwrap().clone();
            if let Some(listener) = listener {
                listener.unloaded().await;
            }
            Ok(())
        }
        async fn transaction(&self, txid: [u8; 32]) -> Result<Option<WalletTransaction>> {
            Ok(self.history.lock().unwrap().iter().find(|t| t.txid == txid).cloned())
        }
        async fn handle_notifications(&self, notifications: Arc<dyn WalletNotifications>) -> Result<Box<dyn Handler>> {
            *self.listener.lock().unwrap() = Some(notifications);
            Ok(Box::new(NoHandler))
        }
    }

    impl FakeWallet {
        /// A payment of what `balances` has pending, as transaction 3…3.
        async fn receives(&self, balances: WalletBalances) {
            *self.balances.lock().unwrap() = balances;
            self.history.lock().unwrap().push(WalletTransaction {
                txid: [3; 32],
                kind: hashvive_interfaces::TransactionKind::Received,
                address: REGTEST_ADDRESS.into(),
                label: "rent".into(),
                amount: balances.untrusted_pending,
                fee: 0,
                time: 1_800_000_000,
                height: None,
                state: hashvive_interfaces::TransactionState::Active,
                replaceable: false,
            });
            let listener = self.listener.lock().unwrap().clone().expect("the GUI listens to the wallet");
            listener.transaction_changed([3; 32]).await;
        }
    }

    struct NoHandler;
    impl Handler for NoHandler {
        fn disconnect(&mut self) {}
    }

    impl FakeNode {
        fn record(&self, call: &str) {
            self.calls.lock().unwrap().push(call.to_string());
        }
        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
        fn listener(&self) -> Arc<dyn NodeNotifications> {
            self.listener.lock().unwrap().clone().expect("the GUI listens")
        }
        fn status_now(&self) -> NodeStatus {
            NodeStatus {
                tip: BlockRef { hash: [1; 32], height: self.height.load(std::sync::atomic::Ordering::SeqCst) },
                tip_time: unix_now(),
                headers: 0,
                initial_block_download: false,
                connections_in: 1,
                connections_out: 0,
                network_active: true,
                bytes_recv: 4096,
                bytes_sent: 10,
                mempool_transactions: 2,
                mempool_usage: 2048,
            }
        }
    }

    #[async_trait]
    impl Node for FakeNode {
        async fn start(&self, args: Vec<String>) -> Result<()> {
            self.record(&format!("start {}", args.join(" ")));
            match self.refuse_start {
                true => Err(Error::Remote("Cannot obtain a lock on data directory".into())),
                false => Ok(()),
            }
        }
        async fn status(&self) -> Result<NodeStatus> {
            self.record("status");
            Ok(self.status_now())
        }
        async fn peers(&self) -> Result<Vec<PeerSummary>> {
            self.record("peers");
            Ok(vec![PeerSummary {
                id: 0,
                address: "127.0.0.1:5000".into(),
                user_agent: "/peer/".into(),
                inbound: true,
                connection_type: "inbound".into(),
                ping_seconds: None,
                bytes_recv: 0,
                bytes_sent: 0,
                synced_blocks: -1,
                connected_since: unix_now(),
            }])
        }
        async fn set_network_active(&self, active: bool) -> Result<()> {
            self.record(&format!("set_network_active {active}"));
            Ok(())
        }
        async fn execute_rpc(
            &self,
            method: String,
            params: String,
            uri: String,
        ) -> Result<std::result::Result<String, RpcFault>> {
            self.record(&format!("execute_rpc {method} {params} {uri}"));
            Ok(match method.as_str() {
                "getblockcount" => Ok("7".into()),
                _ => Err(RpcFault { code: -32601, message: "Method not found".into() }),
            })
        }
        async fn list_rpc_commands(&self) -> Result<Vec<String>> {
            Ok(vec!["getblockcount".into()])
        }
        async fn handle_notifications(&self, notifications: Arc<dyn NodeNotifications>) -> Result<Box<dyn Handler>> {
            *self.listener.lock().unwrap() = Some(notifications);
            Ok(Box::new(NoHandler))
        }
        async fn shutdown(&self) -> Result<()> {
            self.record("shutdown");
            Ok(())
        }
        async fn setting(&self, name: String) -> Result<Option<String>> {
            Ok(self.settings.lock().unwrap().get(&name).cloned())
        }
        async fn update_setting(&self, name: String, value: Option<String>) -> Result<()> {
            let mut settings = self.settings.lock().unwrap();
            match value {
                Some(value) => settings.insert(name, value),
                None => settings.remove(&name),
            };
            Ok(())
        }
        async fn wallet_loader(&self) -> Result<Arc<dyn WalletLoader>> {
            self.record("wallet_loader");
            match &self.wallets {
                Some(wallets) => Ok(wallets.clone()),
                None => Err(Error::Unavailable("no wallets".into())),
            }
        }
    }

    /// The screens: every state shown, and a way to wait for one.
    #[derive(Default)]
    struct Screens {
        shown: Mutex<Vec<ViewState>>,
        changed: tokio::sync::Notify,
    }

    impl View for Screens {
        fn show(&self, state: ViewState) {
            self.shown.lock().unwrap().push(state);
            self.changed.notify_waiters();
        }
    }

    impl Screens {
        async fn until(&self, what: impl Fn(&ViewState) -> bool) -> ViewState {
            tokio::time::timeout(Duration::from_secs(10), async {
                loop {
                    let changed = self.changed.notified();
                    if let Some(state) = self.shown.lock().unwrap().last().filter(|s| what(s)) {
                        return state.clone();
                    }
                    changed.await;
                }
            })
            .await
            .expect("the screens reach the expected state")
        }
    }

    fn setup(role: NodeRole, node: FakeNode) -> (Arc<FakeNode>, Arc<Screens>, Arc<Controller>) {
        let node = Arc::new(node);
        let screens = Arc::new(Screens::default());
        let controller = Controller::new(node.clone(), role, screens.clone());
        (node, screens, controller)
    }

    #[tokio::test]
    async fn an_owned_node_is_started_followed_and_stopped_by_notifications_alone() {
        let (node, screens, controller) = setup(NodeRole::Owned { args: vec!["-regtest".into()] }, FakeNode::default());
        let run = tokio::spawn(controller.clone().run(None));
        let ready = screens.until(|s| s.phase == Phase::Ready).await;
        assert_eq!(node.calls(), ["start -regtest", "status", "peers", "wallet_loader"]);
        assert_eq!(ready.connections_in, 1);
        assert_eq!(ready.traffic_in, "4 KB");
        assert_eq!(ready.mempool, "2 (2 KB)");
        assert_eq!(ready.peers[0].direction, "Inbound");
        assert!(ready.sync.as_ref().unwrap().synced);

        // Nothing happens, nothing is asked.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(node.calls().len(), 4);

        node.height.store(5, std::sync::atomic::Ordering::SeqCst);
        node.listener().block_tip(node.status_now()).await;
        let tip = screens.until(|s| s.sync.as_ref().is_some_and(|v| v.blocks == 5)).await;
        assert_eq!(tip.sync.unwrap().detail, "Processed 5 blocks of transaction history.");
        node.listener().network_active_changed(false).await;
        screens.until(|s| !s.network_active).await;
        node.listener().init_message("Done loading".into()).await;
        screens.until(|s| s.init_message == "Done loading").await;

        // `stop` over RPC: the node says it is going; the GUI waits for it and ends.
        node.listener().shutting_down().await;
        screens.until(|s| s.phase == Phase::Finished(0)).await;
        run.await.unwrap();
        assert_eq!(node.calls().last().map(String::as_str), Some("shutdown"));
    }

    #[tokio::test]
    async fn closing_leaves_an_attached_node_running() {
        let (node, screens, controller) = setup(NodeRole::Attached, FakeNode::default());
        let run = tokio::spawn(controller.clone().run(None));
        screens.until(|s| s.phase == Phase::Ready).await;
        controller.close().await;
        screens.until(|s| s.phase == Phase::Finished(0)).await;
        assert!(!node.calls().iter().any(|c| c.starts_with("start") || c == "shutdown"));
        run.abort();
    }

    #[tokio::test]
    async fn a_node_that_cannot_start_or_is_lost_fails_with_a_message() {
        let (_, screens, controller) =
            setup(NodeRole::Owned { args: vec![] }, FakeNode { refuse_start: true, ..FakeNode::default() });
        controller.run(None).await;
        let failed = screens.until(|s| matches!(s.phase, Phase::Failed(_))).await;
        assert_eq!(failed.phase, Phase::Failed("Cannot obtain a lock on data directory".into()));

        let (_, screens, controller) = setup(NodeRole::Owned { args: vec![] }, FakeNode::default());
        let (gone_tx, gone) = tokio::sync::oneshot::channel::<()>();
        let run = tokio::spawn(controller.run(Some(Box::pin(async move {
            let _ = gone.await;
        }))));
        screens.until(|s| s.phase == Phase::Ready).await;
        drop(gone_tx);
        run.await.unwrap();
        let lost = screens.until(|s| matches!(s.phase, Phase::Failed(_))).await;
        assert_eq!(lost.phase, Phase::Failed("The node process exited unexpectedly.".into()));
    }

    #[tokio::test]
    async fn console_lines_go_to_the_node_or_a_wallet_and_errors_read_as_the_reference_prints_them() {
        let (node, _, controller) = setup(NodeRole::Attached, FakeNode::default());
        assert_eq!(controller.console("getblockcount", None).await, "7");
        assert_eq!(controller.console("nosuch 1", Some("my wallet")).await, "Method not found (code -32601)");
        assert!(node.calls().contains(&r#"execute_rpc nosuch ["1"] /wallet/my%20wallet"#.to_string()));
        assert!(controller.console("help-console", None).await.starts_with("This console accepts"));
        assert_eq!(controller.console("getblock(", None).await, "Invalid Syntax: missing ')'");
        assert_eq!(controller.history_older().as_deref(), Some("getblock("));
        controller.set_network_active(false).await;
        assert_eq!(node.calls().last().map(String::as_str), Some("set_network_active false"));
    }

    #[tokio::test]
    async fn wallet_balances_follow_the_wallets_notifications_and_new_blocks() {
        let wallets = FakeWallets::new();
        let first = wallets.load("", WalletBalances { trusted: 5_000_000_000, untrusted_pending: 0, immature: 0 });
        let node = FakeNode { wallets: Some(wallets.clone()), ..FakeNode::default() };
        let (node, screens, controller) = setup(NodeRole::Attached, node);
        let run = tokio::spawn(controller.clone().run(None));
        let ready = screens.until(|s| s.phase == Phase::Ready).await;
        assert_eq!(
            ready.wallets,
            [WalletView::new(
                "",
                &WalletBalances { trusted: 5_000_000_000, ..Default::default() },
                WalletEncryption::Unencrypted
            )]
        );

        // A payment arrives: the wallet says so, the overview shows it pending.
        let paid = WalletBalances { trusted: 5_000_000_000, untrusted_pending: 100_000_000, immature: 0 };
        first.receives(paid).await;
        let shown = screens.until(|s| s.wallets.first().is_some_and(|w| w.pending == "1.00000000 BTC")).await;
        assert_eq!(shown.wallets[0].total, "51.00000000 BTC");
        // And its transactions list it, read alone by its txid.
        let row = screens.until(|s| !s.transactions.is_empty()).await.transactions.remove(0);
        assert_eq!(
            (row.kind, row.label.as_str(), row.amount.as_str(), row.status.as_str()),
            ("Received with", "rent", "+1.00000000 BTC", "0/unconfirmed, in memory pool")
        );

        // Quiet wallets are not asked.
        let calls = wallets.balance_calls.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(wallets.balance_calls.load(Ordering::SeqCst), calls);

        // A wallet loaded over RPC shows at once.
        let second =
            wallets.load_later("savings", WalletBalances { trusted: 1, untrusted_pending: 0, immature: 2 }).await;
        let both = screens.until(|s| s.wallets.len() == 2).await;
        assert_eq!((both.wallets[1].name.as_str(), both.wallets[1].immature.as_str()), ("savings", "0.00000002 BTC"));

        // A new block matures coins: the balances are read again.
        *second.balances.lock().unwrap() = WalletBalances { trusted: 3, untrusted_pending: 0, immature: 0 };
        node.listener().block_tip(node.status_now()).await;
        screens.until(|s| s.wallets.get(1).is_some_and(|w| w.available == "0.00000003 BTC")).await;

        // Unloaded: it leaves the overview.
        wallets.loaded.lock().unwrap().retain(|w| w.name != "savings");
        let listener = second.listener.lock().unwrap().clone().unwrap();
        listener.unloaded().await;
        screens.until(|s| s.wallets.len() == 1).await;
        controller.close().await;
        run.abort();
    }

    const REGTEST_ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

    #[tokio::test]
    async fn receiving_and_sending_go_through_the_chosen_wallet() {
        let wallets = FakeWallets::new();
        let wallet = wallets.load("", WalletBalances { trusted: 5_000_000_000, untrusted_pending: 0, immature: 0 });
        let node = FakeNode { wallets: Some(wallets.clone()), ..FakeNode::default() };
        let (_node, screens, controller) = setup(NodeRole::Attached, node);
        let run = tokio::spawn(controller.clone().run(None));
        screens.until(|s| s.phase == Phase::Ready && s.wallets.len() == 1).await;

        // Receive: the wallet's new address, as a BIP21 request.
        let request = controller.request_payment("", "rent", "1.5", Unit::Btc, "March").await.unwrap();
        assert_eq!(request.uri, format!("bitcoin:{REGTEST_ADDRESS}?amount=1.50000000&label=rent&message=March"));
        let no_amount = controller.request_payment("", "", " ", Unit::Btc, "").await.unwrap();
        assert_eq!((no_amount.uri, no_amount.amount), (format!("bitcoin:{REGTEST_ADDRESS}"), None));
        let refused = controller.request_payment("", "*", "", Unit::Btc, "").await.unwrap_err();
        assert_eq!(refused, "Invalid label name", "the wallet's own words");
        let bad_amount = controller.request_payment("", "", "1.5.", Unit::Btc, "").await.unwrap_err();
        assert!(bad_amount.contains("not an amount"), "{bad_amount}");
        let unknown = controller.request_payment("nope", "", "", Unit::Btc, "").await.unwrap_err();
        assert_eq!(unknown, "Wallet \"nope\" is not loaded");

        // Send: prepared and shown, sent only once the user agrees.
        let form = SendForm {
            address: REGTEST_ADDRESS.into(),
            amount: "100".into(),
            unit: Unit::Btc,
            subtract_fee: false,
            fee: send::FeeField::Recommended { conf_target: 6 },
            replaceable: true,
        };
        let regtest = bitcoin::Network::Regtest;
        assert_eq!(controller.prepare_send("", &form, regtest, "").await.unwrap_err(), "Insufficient funds");
        let form = SendForm { amount: "1".into(), ..form };
        let question = controller.prepare_send("", &form, regtest, "").await.unwrap();
        assert!(question.contains("Transaction fee: 0.00000141 BTC\nTotal amount: 1.00000141 BTC"), "{question}");
        controller.cancel_send();
        assert_eq!(controller.confirm_send().await.unwrap_err(), "There is no payment to send.");
        assert_eq!(wallet.balances.lock().unwrap().trusted, 5_000_000_000, "nothing sent when declined");

        controller.prepare_send("", &form, regtest, "").await.unwrap();
        assert_eq!(controller.confirm_send().await.unwrap(), "ab".repeat(32));
        assert_eq!(wallet.balances.lock().unwrap().trusted, 5_000_000_000 - 100_000_000 - 141);
        assert!(controller.confirm_send().await.is_err(), "sent once");
        controller.close().await;
        run.abort();
    }

    #[tokio::test]
    async fn wallets_are_created_opened_encrypted_backed_up_and_closed() {
        let wallets = FakeWallets::new();
        let first = wallets.load("", WalletBalances { trusted: 5_000_000_000, untrusted_pending: 0, immature: 0 });
        let node = FakeNode { wallets: Some(wallets.clone()), ..FakeNode::default() };
        let (_node, screens, controller) = setup(NodeRole::Attached, node);
        let run = tokio::spawn(controller.clone().run(None));
        screens.until(|s| s.phase == Phase::Ready && s.wallets.len() == 1).await;

        // Created encrypted: it arrives locked.
        let options = WalletCreation { passphrase: "pw".into(), ..WalletCreation::default() };
        assert_eq!(controller.create_wallet("vault", options).await.unwrap(), "Wallet \"vault\" created.");
        screens.until(|s| s.wallets.get(1).is_some_and(|w| w.name == "vault" && w.encryption == "locked")).await;

        // Encrypted, then paid from: unlocked only to sign, and locked again.
        let said = controller.encrypt_wallet("", "pw").await.unwrap();
        assert!(said.contains("make a new backup"), "{said}");
        screens.until(|s| s.wallets[0].encryption == "locked").await;
        let form = SendForm {
            address: REGTEST_ADDRESS.into(),
            amount: "1".into(),
            unit: Unit::Btc,
            subtract_fee: false,
            fee: send::FeeField::Recommended { conf_target: 6 },
            replaceable: true,
        };
        let regtest = bitcoin::Network::Regtest;
        let wrong = controller.prepare_send("", &form, regtest, "nope").await.unwrap_err();
        assert_eq!(wrong, "Error: The wallet passphrase entered was incorrect.");
        assert!(controller.prepare_send("", &form, regtest, "pw").await.is_ok());
        assert_eq!(*first.encryption.lock().unwrap(), WalletEncryption::Locked, "locked again once signed");

        // Unlocked for a while, and locked by hand.
        controller.unlock_wallet("", "pw", 60).await.unwrap();
        screens.until(|s| s.wallets[0].encryption == "unlocked").await;
        assert_eq!(controller.lock_wallet("").await.unwrap(), "Wallet \"\" locked.");
        screens.until(|s| s.wallets[0].encryption == "locked").await;

        // Backups: the wallet's refusal, and a blank destination refused first.
        assert_eq!(controller.backup_wallet("", " ").await.unwrap_err(), "Enter where to write the backup.");
        assert_eq!(controller.backup_wallet("", "/x").await.unwrap_err(), "cannot write /x");

        // Closed, and another opened from the wallet directory.
        assert_eq!(controller.closed_wallets().await.unwrap(), ["archive"]);
        controller.close_wallet("vault").await.unwrap();
        screens.until(|s| s.wallets.len() == 1).await;
        controller.open_wallet("archive").await.unwrap();
        screens.until(|s| s.wallets.iter().any(|w| w.name == "archive")).await;
        assert_eq!(controller.close_wallet("gone").await.unwrap_err(), "Wallet \"gone\" is not loaded");
        controller.close().await;
        run.abort();
    }

    #[tokio::test]
    async fn a_payment_uri_from_the_command_line_is_read_once_ready() {
        for (uri, expected) in [
            (format!("hashvive:{REGTEST_ADDRESS}?amount=0.5"), Ok(Some(50_000_000))),
            ("bitcoin:nope".to_string(), Err("The payment URI cannot be used")),
        ] {
            let (_node, screens, controller) = setup(NodeRole::Attached, FakeNode::default());
            controller.set_payment_uri(uri, bitcoin::Network::Regtest);
            let run = tokio::spawn(controller.clone().run(None));
            let ready = screens.until(|s| s.phase == Phase::Ready).await;
            match (ready.payment_uri, expected) {
                (Some(Ok(payment)), Ok(amount)) => assert_eq!(payment.amount, amount),
                (Some(Err(why)), Err(start)) => assert!(why.starts_with(start), "{why}"),
                (other, _) => panic!("{other:?}"),
            }
            controller.close().await;
            run.abort();
        }
    }

    #[tokio::test]
    async fn settings_are_kept_in_the_nodes_settings_file() {
        let (node, screens, controller) = setup(NodeRole::Attached, FakeNode::default());
        let run = tokio::spawn(controller.clone().run(None));
        screens.until(|s| s.phase == Phase::Ready).await;
        assert_eq!(controller.settings().await.unwrap(), SettingsForm::default());
        let form = SettingsForm { dbcache: "600".into(), proxy: "127.0.0.1:9050".into() };
        controller.save_settings(&form).await.unwrap();
        assert_eq!(node.settings.lock().unwrap().get("proxy").map(String::as_str), Some("\"127.0.0.1:9050\""));
        assert_eq!(controller.settings().await.unwrap(), form);
        let refused = SettingsForm { dbcache: "1".into(), ..form };
        assert!(controller.save_settings(&refused).await.is_err());
        assert_eq!(node.settings.lock().unwrap().get("dbcache").map(String::as_str), Some("600"), "unchanged");
        controller.save_settings(&SettingsForm::default()).await.unwrap();
        assert!(node.settings.lock().unwrap().is_empty(), "blank fields remove their settings");
        controller.close().await;
        run.abort();
    }
}
