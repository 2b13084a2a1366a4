//! What a GUI and its node exchange, through proxies and servers over a real
//! socket pair: every `Node` call, `NodeNotifications` crossing back, and the
//! node's wallets (`WalletLoader`, `Wallet`, `WalletNotifications`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use hashvive_interfaces::{
    async_trait, BlockRef, Error, Handler, Init, Node, NodeNotifications, NodeStatus, Payment, PaymentFee, PeerSummary,
    PreparedTransaction, Recipient, Result, RpcFault, TransactionKind, TransactionState, Wallet, WalletBalances,
    WalletCoin, WalletCreation, WalletEncryption, WalletLoader, WalletLoaderNotifications, WalletNotifications,
    WalletTransaction,
};

use crate::tests::{pair_serving, runtime, wait_for, Registration};

fn status(height: i32) -> NodeStatus {
    NodeStatus {
        tip: BlockRef { hash: [height as u8; 32], height },
        tip_time: 1_700_000_000 + i64::from(height),
        headers: height + 10,
        initial_block_download: true,
        connections_in: 2,
        connections_out: 8,
        network_active: true,
        bytes_recv: 1 << 40,
        bytes_sent: 12345,
        mempool_transactions: 3,
        mempool_usage: 4096,
    }
}

fn peer(id: i64, ping: Option<f64>) -> PeerSummary {
    PeerSummary {
        id,
        address: format!("127.0.0.1:{}", 18000 + id),
        user_agent: "/Hashvive:0.1.0(ü)/".into(),
        inbound: id % 2 == 0,
        connection_type: "manual".into(),
        ping_seconds: ping,
        bytes_recv: 10,
        bytes_sent: 20,
        synced_blocks: -1,
        connected_since: 1_700_000_000,
    }
}

/// A node that tells every listener three things at once, then answers from constants.
#[derive(Default)]
struct TestNode {
    started: Mutex<Option<Vec<String>>>,
    active: Mutex<Option<bool>>,
    ended: Arc<AtomicUsize>,
    settings: Mutex<std::collections::BTreeMap<String, String>>,
}

#[async_trait]
impl Node for TestNode {
    async fn start(&self, args: Vec<String>) -> Result<()> {
        if args.iter().any(|a| a == "-bad") {
            return Err(Error::Remote("Error parsing command line arguments: Invalid parameter -bad".into()));
        }
        *self.started.lock().unwrap() = Some(args);
        Ok(())
    }
    async fn status(&self) -> Result<NodeStatus> {
        Ok(status(7))
    }
    async fn peers(&self) -> Result<Vec<PeerSummary>> {
        Ok(vec![peer(1, Some(0.25)), peer(2, None)])
    }
    async fn set_network_active(&self, active: bool) -> Result<()> {
        *self.active.lock().unwrap() = Some(active);
        Ok(())
    }
    async fn execute_rpc(
        &self,
        method: String,
        params: String,
        uri: String,
    ) -> Result<std::result::Result<String, RpcFault>> {
        Ok(match method.as_str() {
            "echo" => Ok(format!("{{\"params\":{params},\"uri\":\"{uri}\"}}")),
            _ => Err(RpcFault { code: -32601, message: "Method not found".into() }),
        })
    }
    async fn list_rpc_commands(&self) -> Result<Vec<String>> {
        Ok(vec!["echo".into(), "stop".into()])
    }
    async fn handle_notifications(&self, notifications: Arc<dyn NodeNotifications>) -> Result<Box<dyn Handler>> {
        tokio::spawn(async move {
            notifications.init_message("Loading block index…".into()).await;
            notifications.block_tip(status(8)).await;
            notifications.connections_changed(1, 8).await;
            notifications.network_active_changed(false).await;
            notifications.shutting_down().await;
        });
        Ok(Box::new(Registration(self.ended.clone())))
    }
    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }
    async fn wallet_loader(&self) -> Result<Arc<dyn WalletLoader>> {
        Ok(Arc::new(TestWallets(self.ended.clone())))
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
}

/// Two wallets; the second was unloaded since it was listed.
struct TestWallets(Arc<AtomicUsize>);

#[async_trait]
impl WalletLoader for TestWallets {
    async fn start(&self) -> Result<()> {
        Ok(())
    }
    async fn list_wallets(&self) -> Result<Vec<String>> {
        Ok(vec!["".into(), "gone".into()])
    }
    async fn wallets(&self) -> Result<Vec<Arc<dyn Wallet>>> {
        Ok(vec![Arc::new(TestWallet("".into(), self.0.clone())), Arc::new(TestWallet("gone".into(), self.0.clone()))])
    }
    async fn handle_load_wallet(&self, notifications: Arc<dyn WalletLoaderNotifications>) -> Result<Box<dyn Handler>> {
        let ended = self.0.clone();
        tokio::spawn(async move { notifications.wallet_loaded(Arc::new(TestWallet("late".into(), ended))).await });
        Ok(Box::new(Registration(self.0.clone())))
    }
    /// Named after what it was given, so a test sees every field crossed.
    async fn create_wallet(&self, name: String, options: WalletCreation) -> Result<Arc<dyn Wallet>> {
        let named = format!("{name}|{}|{}|{}", options.passphrase, options.disable_private_keys, options.blank);
        Ok(Arc::new(TestWallet(named, self.0.clone())))
    }
    async fn load_wallet(&self, name: String) -> Result<Arc<dyn Wallet>> {
        match name.as_str() {
            "missing" => Err(Error::Remote("Wallet file verification failed.".into())),
            _ => Ok(Arc::new(TestWallet(name, self.0.clone()))),
        }
    }
    async fn list_wallet_dir(&self) -> Result<Vec<String>> {
        Ok(vec!["".into(), "nested/w".into()])
    }
    async fn stop(&self) -> Result<()> {
        Ok(())
    }
}

struct TestWallet(String, Arc<AtomicUsize>);

const BALANCES: WalletBalances = WalletBalances { trusted: 5_000_000_000, untrusted_pending: 1, immature: -1 };

#[async_trait]
impl Wallet for TestWallet {
    async fn name(&self) -> Result<String> {
        Ok(self.0.clone())
    }
    async fn balances(&self) -> Result<WalletBalances> {
        match self.0.as_str() {
            "gone" => Err(Error::Remote("Wallet \"gone\" is not loaded".into())),
            _ => Ok(BALANCES),
        }
    }
    async fn new_address(&self, label: String) -> Result<String> {
        Ok(format!("bcrt1-for-{label}"))
    }
    async fn coins(&self) -> Result<Vec<WalletCoin>> {
        Ok(coins())
    }
    /// The payment as it arrived, to be compared with the one sent.
    async fn create_transaction(&self, payment: Payment) -> Result<PreparedTransaction> {
        Ok(PreparedTransaction { tx: format!("{payment:?}").into_bytes(), fee: -7 })
    }
    /// The txid as it arrived, and a refusal for a txid of zeros.
    async fn create_bump_transaction(&self, txid: [u8; 32]) -> Result<PreparedTransaction> {
        match txid == [0; 32] {
            true => Err(Error::Remote("Invalid or non-wallet transaction id".into())),
            false => Ok(PreparedTransaction { tx: txid.to_vec(), fee: 2 }),
        }
    }
    async fn commit_transaction(&self, tx: Vec<u8>) -> Result<[u8; 32]> {
        tx.try_into().map_err(|_| Error::Remote("TX decode failed".into()))
    }
    async fn transactions(&self) -> Result<Vec<WalletTransaction>> {
        Ok(history())
    }
    async fn transaction(&self, txid: [u8; 32]) -> Result<Option<WalletTransaction>> {
        Ok(history().into_iter().find(|t| t.txid == txid))
    }
    async fn encryption(&self) -> Result<WalletEncryption> {
        Ok(WalletEncryption::Locked)
    }
    /// Refusals that repeat what arrived.
    async fn encrypt(&self, passphrase: String) -> Result<()> {
        Err(Error::Remote(format!("encrypt with {passphrase}")))
    }
    async fn unlock(&self, passphrase: String, seconds: u32) -> Result<()> {
        Err(Error::Remote(format!("unlock with {passphrase} for {seconds}")))
    }
    async fn lock(&self) -> Result<()> {
        Ok(())
    }
    async fn backup(&self, destination: String) -> Result<()> {
        Err(Error::Remote(format!("backup to {destination}")))
    }
    async fn unload(&self) -> Result<()> {
        Ok(())
    }
    async fn handle_notifications(&self, notifications: Arc<dyn WalletNotifications>) -> Result<Box<dyn Handler>> {
        tokio::spawn(async move {
            notifications.transaction_changed([7; 32]).await;
            notifications.transaction_changed([8; 32]).await;
            notifications.status_changed().await;
            notifications.unloaded().await;
        });
        Ok(Box::new(Registration(self.1.clone())))
    }
}

/// Coins with every field set, the extremes of each number.
fn coins() -> Vec<WalletCoin> {
    let coin = |n: u8, amount, confirmations, locked| WalletCoin {
        txid: [n; 32],
        vout: u32::from(n) * 1000,
        amount,
        address: format!("bcrt1q{n}"),
        label: if locked { "läbel".into() } else { String::new() },
        confirmations,
        locked,
    };
    vec![coin(1, i64::MAX, 0, true), coin(2, 1, i64::MAX, false)]
}

/// A transaction of each kind and state, the extremes of each number.
fn history() -> Vec<WalletTransaction> {
    let kinds = [TransactionKind::Received, TransactionKind::Sent, TransactionKind::ToSelf, TransactionKind::Mined];
    let states = [TransactionState::Active, TransactionState::Abandoned, TransactionState::Conflicted];
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| WalletTransaction {
            txid: [i as u8; 32],
            kind,
            address: format!("bcrt1-{i}"),
            label: if i == 0 { String::new() } else { "läbel".into() },
            amount: if i % 2 == 0 { i64::MIN } else { i64::MAX },
            fee: i as i64,
            time: 1_700_000_000 + i as i64,
            height: [None, Some(0), Some(u32::MAX >> 1), Some(7)][i],
            state: states[i % 3],
            replaceable: i == 1,
        })
        .collect()
}

#[derive(Default)]
struct Changed(Mutex<Vec<String>>);

#[async_trait]
impl WalletNotifications for Changed {
    async fn transaction_changed(&self, txid: [u8; 32]) {
        self.0.lock().unwrap().push(format!("changed {}", txid[0]));
    }
    async fn status_changed(&self) {
        self.0.lock().unwrap().push("status".into());
    }
    async fn unloaded(&self) {
        self.0.lock().unwrap().push("unloaded".into());
    }
}

/// Keeps the wallets it hears of, to call them back.
#[derive(Default)]
struct Loaded(Mutex<Vec<Arc<dyn Wallet>>>);

#[async_trait]
impl WalletLoaderNotifications for Loaded {
    async fn wallet_loaded(&self, wallet: Arc<dyn Wallet>) {
        self.0.lock().unwrap().push(wallet);
    }
}

struct GuiInit(Arc<TestNode>);

#[async_trait]
impl Init for GuiInit {
    async fn make_node(&self) -> Result<Arc<dyn Node>> {
        Ok(self.0.clone())
    }
}

#[derive(Default)]
struct Heard(Mutex<Vec<String>>);

#[async_trait]
impl NodeNotifications for Heard {
    async fn init_message(&self, message: String) {
        self.0.lock().unwrap().push(message);
    }
    async fn block_tip(&self, status: NodeStatus) {
        self.0.lock().unwrap().push(format!("tip {} of {}", status.tip.height, status.headers));
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

#[test]
fn node_calls_and_notifications_round_trip() {
    let served = Arc::new(TestNode::default());
    let (_server, _client, init) = pair_serving(Arc::new(GuiInit(served.clone())));
    runtime().block_on(async {
        let node = init.make_node().await.unwrap();
        let args = vec!["-regtest".to_string(), "-datadir=/tmp/ü x".to_string()];
        node.start(args.clone()).await.unwrap();
        assert_eq!(served.started.lock().unwrap().as_ref(), Some(&args));
        let refused = node.start(vec!["-bad".into()]).await.unwrap_err();
        assert_eq!(refused, Error::Remote("Error parsing command line arguments: Invalid parameter -bad".into()));

        assert_eq!(node.status().await.unwrap(), status(7));
        assert_eq!(node.peers().await.unwrap(), vec![peer(1, Some(0.25)), peer(2, None)]);
        node.set_network_active(false).await.unwrap();
        assert_eq!(*served.active.lock().unwrap(), Some(false));
        let reply = node.execute_rpc("echo".into(), "[1]".into(), "/wallet/w".into()).await.unwrap();
        assert_eq!(reply, Ok("{\"params\":[1],\"uri\":\"/wallet/w\"}".into()));
        let fault = node.execute_rpc("nope".into(), "[]".into(), "/".into()).await.unwrap().unwrap_err();
        assert_eq!((fault.code, fault.message.as_str()), (-32601, "Method not found"));
        assert_eq!(node.list_rpc_commands().await.unwrap(), ["echo", "stop"]);
        // Settings: set, read back, removed; unset reads as none.
        assert_eq!(node.setting("dbcache".into()).await.unwrap(), None);
        node.update_setting("dbcache".into(), Some("600".into())).await.unwrap();
        assert_eq!(node.setting("dbcache".into()).await.unwrap().as_deref(), Some("600"));
        node.update_setting("dbcache".into(), None).await.unwrap();
        assert_eq!(node.setting("dbcache".into()).await.unwrap(), None);

        let heard = Arc::new(Heard::default());
        let handler = node.handle_notifications(heard.clone()).await.unwrap();
        wait_for(|| heard.0.lock().unwrap().len() == 5).await;
        assert_eq!(
            *heard.0.lock().unwrap(),
            ["Loading block index…", "tip 8 of 18", "1 in, 8 out", "network active false", "shutting down"]
        );
        node.shutdown().await.unwrap();

        // Dropping the handler ends the registration on the node's side.
        drop(handler);
        wait_for(|| served.ended.load(Ordering::SeqCst) == 1).await;
    });
}

#[test]
fn a_nodes_wallets_reach_its_gui() {
    let served = Arc::new(TestNode::default());
    let (_server, _client, init) = pair_serving(Arc::new(GuiInit(served.clone())));
    runtime().block_on(async {
        let node = init.make_node().await.unwrap();
        let loader = node.wallet_loader().await.unwrap();
        assert_eq!(loader.list_wallets().await.unwrap(), ["", "gone"]);
        let wallets = loader.wallets().await.unwrap();
        assert_eq!(wallets.len(), 2);
        assert_eq!(wallets[0].name().await.unwrap(), "");
        assert_eq!(wallets[0].balances().await.unwrap(), BALANCES);
        assert_eq!(wallets[1].name().await.unwrap(), "gone");
        // The wallet's own error, as it said it.
        assert_eq!(wallets[1].balances().await.unwrap_err(), Error::Remote("Wallet \"gone\" is not loaded".into()));

        // Receiving and paying: every field crosses, each fee choice too.
        assert_eq!(wallets[0].new_address("rent".into()).await.unwrap(), "bcrt1-for-rent");
        for fee in [PaymentFee::WalletDefault, PaymentFee::ConfTarget(6), PaymentFee::SatPerKvb(u64::MAX)] {
            let payment = Payment {
                recipients: vec![
                    Recipient { address: "bcrt1qa".into(), amount: 1, subtract_fee: true },
                    Recipient { address: "bcrt1qb".into(), amount: i64::MAX, subtract_fee: false },
                ],
                fee,
                replaceable: fee != PaymentFee::WalletDefault,
                inputs: match fee {
                    PaymentFee::WalletDefault => Vec::new(),
                    _ => vec![([1; 32], 0), ([2; 32], u32::MAX)],
                },
            };
            let prepared = wallets[0].create_transaction(payment.clone()).await.unwrap();
            assert_eq!(prepared, PreparedTransaction { tx: format!("{payment:?}").into_bytes(), fee: -7 });
        }
        assert_eq!(wallets[0].coins().await.unwrap(), coins());
        assert_eq!(wallets[0].commit_transaction(vec![9; 32]).await.unwrap(), [9; 32]);
        let bump = wallets[0].create_bump_transaction([5; 32]).await.unwrap();
        assert_eq!(bump, PreparedTransaction { tx: vec![5; 32], fee: 2 });
        let refused = wallets[0].create_bump_transaction([0; 32]).await.unwrap_err();
        assert_eq!(refused, Error::Remote("Invalid or non-wallet transaction id".into()));
        assert_eq!(wallets[0].transactions().await.unwrap(), history());
        assert_eq!(wallets[0].transaction([3; 32]).await.unwrap(), Some(history()[3].clone()));
        assert_eq!(wallets[0].transaction([9; 32]).await.unwrap(), None);

        // Managing wallets: each call and its arguments cross, and so do refusals.
        assert_eq!(wallets[0].encryption().await.unwrap(), WalletEncryption::Locked);
        let refused = |text: &str| Error::Remote(text.into());
        assert_eq!(wallets[0].encrypt("pässword".into()).await.unwrap_err(), refused("encrypt with pässword"));
        assert_eq!(wallets[0].unlock("pw".into(), 60).await.unwrap_err(), refused("unlock with pw for 60"));
        wallets[0].lock().await.unwrap();
        assert_eq!(wallets[0].backup("/tmp/b".into()).await.unwrap_err(), refused("backup to /tmp/b"));
        wallets[0].unload().await.unwrap();
        let options = WalletCreation { passphrase: "pw".into(), disable_private_keys: true, blank: false };
        let created = loader.create_wallet("new".into(), options).await.unwrap();
        assert_eq!(created.name().await.unwrap(), "new|pw|true|false");
        assert_eq!(loader.load_wallet("old".into()).await.unwrap().name().await.unwrap(), "old");
        let missing = loader.load_wallet("missing".into()).await.err();
        assert_eq!(missing, Some(refused("Wallet file verification failed.")));
        assert_eq!(loader.list_wallet_dir().await.unwrap(), ["", "nested/w"]);
        assert_eq!(wallets[0].commit_transaction(vec![9]).await.unwrap_err(), Error::Remote("TX decode failed".into()));

        let changed = Arc::new(Changed::default());
        let handler = wallets[0].handle_notifications(changed.clone()).await.unwrap();
        wait_for(|| changed.0.lock().unwrap().len() == 4).await;
        assert_eq!(*changed.0.lock().unwrap(), ["changed 7", "changed 8", "status", "unloaded"]);
        drop(handler);
        wait_for(|| served.ended.load(Ordering::SeqCst) == 1).await;

        // A wallet loaded later arrives as a capability in the callback, and answers.
        let loaded = Arc::new(Loaded::default());
        let loads = loader.handle_load_wallet(loaded.clone()).await.unwrap();
        wait_for(|| loaded.0.lock().unwrap().len() == 1).await;
        let late = loaded.0.lock().unwrap()[0].clone();
        assert_eq!(late.name().await.unwrap(), "late");
        drop(loads);
        wait_for(|| served.ended.load(Ordering::SeqCst) == 2).await;
    });
}
