//! The controller against a fake node and fake wallets: what the screens
//! show, and what each action asks.

use std::time::Duration;

use hashvive_interfaces::{
    BlockRef, Handler, Payment, PeerSummary, PreparedTransaction, Result, WalletBalances, WalletCoin, WalletCreation,
    WalletEncryption, WalletLoader,
};

use super::*;
use crate::model::amount::Unit;
use crate::model::autostart::Autostart;
use crate::model::send::{self, RecipientForm, SendForm};
use crate::model::settings::SettingsForm;

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
    async fn handle_load_wallet(&self, notifications: Arc<dyn WalletLoaderNotifications>) -> Result<Box<dyn Handler>> {
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
    /// One coin holding the whole balance.
    async fn coins(&self) -> Result<Vec<WalletCoin>> {
        Ok(vec![WalletCoin {
            txid: [0x22; 32],
            vout: 0,
            amount: self.balances.lock().unwrap().trusted,
            address: REGTEST_ADDRESS.into(),
            label: "change".into(),
            confirmations: 101,
            locked: false,
        }])
    }
    async fn create_transaction(&self, payment: Payment) -> Result<PreparedTransaction> {
        if let Some((_, vout)) = payment.inputs.iter().find(|(txid, vout)| (*txid, *vout) != ([0x22; 32], 0)) {
            return Err(Error::Remote(format!("Not found pre-selected input {}:{vout}", "22".repeat(32))));
        }
        let amount = payment.recipients[0].amount;
        match amount > self.balances.lock().unwrap().trusted {
            true => Err(Error::Remote("Insufficient funds".into())),
            false => Ok(PreparedTransaction { tx: amount.to_le_bytes().to_vec(), fee: 141 }),
        }
    }
    /// A replacement of a transaction in its history, paying 110 sat more
    /// and nothing else.
    async fn create_bump_transaction(&self, txid: [u8; 32]) -> Result<PreparedTransaction> {
        let history = self.history.lock().unwrap();
        let old = history.iter().find(|t| t.txid == txid);
        let old = old.ok_or_else(|| Error::Remote("Invalid or non-wallet transaction id".into()))?;
        // Committed, it costs "amount" + 141: the 110 more.
        Ok(PreparedTransaction { tx: (110i64 - 141).to_le_bytes().to_vec(), fee: old.fee + 110 })
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
        self.becomes(WalletEncryption::Locked).await;
        Ok(())
    }
    async fn unlock(&self, passphrase: String, _seconds: u32) -> Result<()> {
        match passphrase.as_str() {
            "pw" => {
                self.becomes(WalletEncryption::Unlocked).await;
                Ok(())
            }
            _ => Err(Error::Remote("Error: The wallet passphrase entered was incorrect.".into())),
        }
    }
    async fn lock(&self) -> Result<()> {
        self.becomes(WalletEncryption::Locked).await;
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
    /// Encrypted, unlocked or locked, by the GUI or anyone else: its
    /// listener hears so, as from a real wallet.
    async fn becomes(&self, encryption: WalletEncryption) {
        *self.encryption.lock().unwrap() = encryption;
        let listener = self.listener.lock().unwrap().clone();
        if let Some(listener) = listener {
            listener.status_changed().await;
        }
    }

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
    let second = wallets.load_later("savings", WalletBalances { trusted: 1, untrusted_pending: 0, immature: 2 }).await;
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
    let pay = |amount: &str| SendForm {
        recipients: vec![RecipientForm { address: REGTEST_ADDRESS.into(), amount: amount.into(), subtract_fee: false }],
        unit: Unit::Btc,
        fee: send::FeeField::Recommended { conf_target: 6 },
        replaceable: true,
        inputs: Vec::new(),
    };
    let regtest = bitcoin::Network::Regtest;
    assert_eq!(controller.prepare_send("", &pay("100"), regtest, "").await.unwrap_err(), "Insufficient funds");
    // Coin control: the wallet's coins listed, a picked one spent, another refused in the wallet's words.
    let coins: serde_json::Value = serde_json::from_str(&controller.coins("", Unit::Btc).await.unwrap()).unwrap();
    let coin = format!("{}:0", "22".repeat(32));
    assert_eq!(
        (coins[0]["outpoint"].as_str(), coins[0]["amount"].as_str()),
        (Some(coin.as_str()), Some("50.00000000 BTC"))
    );
    let picked = SendForm { inputs: vec![coin], ..pay("1") };
    assert!(controller.prepare_send("", &picked, regtest, "").await.is_ok());
    controller.cancel_send();
    let other = SendForm { inputs: vec![format!("{}:1", "22".repeat(32))], ..pay("1") };
    let refused = controller.prepare_send("", &other, regtest, "").await.unwrap_err();
    assert!(refused.starts_with("Not found pre-selected input"), "{refused}");
    let form = pay("1");
    let question = controller.prepare_send("", &form, regtest, "").await.unwrap();
    assert!(question.contains("Transaction fee: 0.00000141 BTC\nTotal amount: 1.00000141 BTC"), "{question}");
    controller.cancel_send();
    assert_eq!(controller.confirm_send().await.unwrap_err(), "There is no payment to send.");
    assert_eq!(wallet.balances.lock().unwrap().trusted, 5_000_000_000, "nothing sent when declined");

    controller.prepare_send("", &form, regtest, "").await.unwrap();
    assert_eq!(controller.confirm_send().await.unwrap(), "ab".repeat(32));
    assert_eq!(wallet.balances.lock().unwrap().trusted, 5_000_000_000 - 100_000_000 - 141);
    assert!(controller.confirm_send().await.is_err(), "sent once");

    // Its fee raised from the transactions screen: shown, then sent.
    let sent = WalletTransaction {
        txid: [0xab; 32],
        kind: hashvive_interfaces::TransactionKind::Sent,
        address: REGTEST_ADDRESS.into(),
        label: String::new(),
        amount: -100_000_141,
        fee: 141,
        time: 1_800_000_000,
        height: None,
        state: hashvive_interfaces::TransactionState::Active,
        replaceable: true,
    };
    wallet.history.lock().unwrap().push(sent);
    let txid = "ab".repeat(32);
    let question = controller.prepare_bump("", &txid, "").await.unwrap();
    assert!(
        question.starts_with("Current fee: 0.00000141 BTC\nIncrease: 0.00000110 BTC\nNew fee: 0.00000251 BTC"),
        "{question}"
    );
    controller.cancel_send();
    assert_eq!(wallet.balances.lock().unwrap().trusted, 5_000_000_000 - 100_000_000 - 141, "declined");
    controller.prepare_bump("", &txid, "").await.unwrap();
    controller.confirm_send().await.unwrap();
    assert_eq!(wallet.balances.lock().unwrap().trusted, 5_000_000_000 - 100_000_000 - 141 - 110);
    let unknown = controller.prepare_bump("", &"cd".repeat(32), "").await.unwrap_err();
    assert_eq!(unknown, "The wallet no longer has this transaction.");
    assert_eq!(controller.prepare_bump("", "xyz", "").await.unwrap_err(), "Not a transaction id: xyz");
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
        recipients: vec![RecipientForm { address: REGTEST_ADDRESS.into(), amount: "1".into(), subtract_fee: false }],
        unit: Unit::Btc,
        fee: send::FeeField::Recommended { conf_target: 6 },
        replaceable: true,
        inputs: Vec::new(),
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
    // Unlocked elsewhere (walletpassphrase over RPC), and locked again when
    // its time runs out: shown from the wallet's word alone.
    first.becomes(WalletEncryption::Unlocked).await;
    screens.until(|s| s.wallets[0].encryption == "unlocked").await;
    first.becomes(WalletEncryption::Locked).await;
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
        let network = bitcoin::Network::Regtest;
        controller.take_payment_uris(PaymentUris { network, from_command_line: Some(uri), chain_dir: None });
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_uri_from_a_later_start_opens_the_send_screen() {
    let dir = tempfile::tempdir().unwrap();
    let (_node, screens, controller) = setup(NodeRole::Attached, FakeNode::default());
    let chain_dir = Some(dir.path().to_path_buf());
    controller.take_payment_uris(PaymentUris {
        network: bitcoin::Network::Regtest,
        from_command_line: None,
        chain_dir,
    });
    let run = tokio::spawn(controller.clone().run(None));
    let ready = screens.until(|s| s.phase == Phase::Ready).await;
    assert!(ready.payment_uri.is_none());
    let chain_dir = dir.path().to_path_buf();
    let uri = format!("bitcoin:{REGTEST_ADDRESS}?amount=0.25");
    let forwarded = tokio::task::spawn_blocking(move || crate::instance::forward(&chain_dir, &uri)).await.unwrap();
    assert_eq!(forwarded, Ok(true));
    let shown = screens.until(|s| s.payment_uri.is_some()).await;
    assert_eq!(shown.payment_uri.unwrap().unwrap().amount, Some(25_000_000));
    // Gone, the GUI takes no more: a later start runs a GUI of its own.
    controller.close().await;
    run.abort();
    let _ = run.await;
    let chain_dir = dir.path().to_path_buf();
    let forwarded = tokio::task::spawn_blocking(move || crate::instance::forward(&chain_dir, "bitcoin:x")).await;
    assert_eq!(forwarded.unwrap(), Ok(false));
}

#[tokio::test]
async fn settings_are_kept_in_the_nodes_settings_file() {
    let (node, screens, controller) = setup(NodeRole::Attached, FakeNode::default());
    let run = tokio::spawn(controller.clone().run(None));
    screens.until(|s| s.phase == Phase::Ready).await;
    assert_eq!(controller.settings().await.unwrap(), SettingsForm::default());
    let form = SettingsForm {
        dbcache: "600".into(),
        proxy: "127.0.0.1:9050".into(),
        prune: true,
        prune_gb: "3".into(),
        start_on_login: false,
    };
    controller.save_settings(&form).await.unwrap();
    assert_eq!(node.settings.lock().unwrap().get("proxy").map(String::as_str), Some("\"127.0.0.1:9050\""));
    assert_eq!(node.settings.lock().unwrap().get("prune").map(String::as_str), Some("2861"), "3 GB in MiB");
    assert_eq!(controller.settings().await.unwrap(), form);
    let refused = SettingsForm { dbcache: "1".into(), ..form.clone() };
    assert!(controller.save_settings(&refused).await.is_err());
    assert_eq!(node.settings.lock().unwrap().get("dbcache").map(String::as_str), Some("600"), "unchanged");
    controller.save_settings(&SettingsForm::default()).await.unwrap();
    assert!(node.settings.lock().unwrap().is_empty(), "blank fields remove their settings");

    // Starting on login: refused where the desktop has no place for it, else
    // the desktop's autostart entry, written and removed.
    let on = SettingsForm { start_on_login: true, ..form };
    let refused = controller.save_settings(&on).await.unwrap_err();
    assert_eq!(refused, "This desktop has no place for programs started on login.");
    let config = tempfile::tempdir().unwrap();
    let exe = std::path::Path::new("/usr/bin/hashvive-qt");
    let autostart = Autostart::new(config.path(), exe, hashvive_common::chain::Chain::Regtest, &[]);
    controller.set_autostart(Some(autostart.clone()));
    assert!(!controller.settings().await.unwrap().start_on_login);
    controller.save_settings(&on).await.unwrap();
    assert!(autostart.is_on());
    assert_eq!(controller.settings().await.unwrap(), on);
    controller.save_settings(&SettingsForm::default()).await.unwrap();
    assert!(!autostart.is_on());
    controller.close().await;
    run.abort();
}
