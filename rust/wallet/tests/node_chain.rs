//! Wallets on the node's real `Chain` implementation over a real chain state
//! in a temporary directory: following blocks and the mempool, the RPC
//! methods as the node's table serves them, a reorganisation, reloading, and
//! the `Wallet` interface a GUI follows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bitcoin::{Address, Amount, BlockHash, Network, ScriptBuf};
use serde_json::{json, Value};

use hashvive_chain::mempool::MempoolOptions;
use hashvive_chain::{ChainConfig, Chainstate};
use hashvive_common::rw_settings::RwSettings;
use hashvive_consensus::ChainParams;
use hashvive_interfaces::{Chain, WalletBalances, WalletLoader, WalletLoaderNotifications, WalletNotifications};
use hashvive_node::chain_client::NodeChain;
use hashvive_policy::PolicyOptions;
use hashvive_rpc::{Request, RpcError, RpcTable};
use hashvive_wallet::{LocalWalletLoader, WalletClient, WalletOptions, WalletStartup};

struct Node {
    _dir: tempfile::TempDir,
    chainstate: Arc<Chainstate>,
    table: Arc<RpcTable>,
    wallets_dir: std::path::PathBuf,
}

fn node() -> Node {
    let dir = tempfile::tempdir().unwrap();
    let config = ChainConfig {
        params: ChainParams::new(Network::Regtest),
        blocks_dir: dir.path().join("blocks"),
        chainstate_dir: dir.path().join("chainstate"),
        db_cache_bytes: 4 << 20,
        txindex: false,
        prune: hashvive_chain::PruneMode::Off,
        fast_prune: false,
        mempool: MempoolOptions::defaults(PolicyOptions::default()),
        flush_interval: Duration::from_secs(60),
        script_threads: 1,
    };
    let chainstate = Arc::new(Chainstate::open(config).unwrap());
    let table = Arc::new(RpcTable::new());
    table.set_warmup(None);
    let wallets_dir = dir.path().join("wallets");
    Node { _dir: dir, chainstate, table, wallets_dir }
}

impl Node {
    /// The node's `Chain`, and how wallets `wallets` start on it.
    fn wallet_startup(&self, wallets: &[&str]) -> (Arc<dyn Chain>, WalletStartup) {
        let settings = RwSettings::load(Some(self._dir.path().join("settings.json"))).unwrap();
        let chain =
            Arc::new(NodeChain::new(self.chainstate.clone(), self.table.clone(), Arc::new(Mutex::new(settings))));
        let options = WalletOptions {
            fallback_fee: 20_000,
            keypool: 50,
            ..WalletOptions::new(self.wallets_dir.clone(), Network::Regtest)
        };
        (chain, WalletStartup { options, wallets: wallets.iter().map(|w| w.to_string()).collect() })
    }

    async fn start_wallets(&self, wallets: &[&str]) -> WalletClient {
        let (chain, startup) = self.wallet_startup(wallets);
        WalletClient::start(chain, startup).await.unwrap()
    }

    async fn call(&self, wallet: &str, method: &str, params: Value) -> Result<Value, RpcError> {
        let uri = if wallet.is_empty() { "/".to_string() } else { format!("/wallet/{wallet}") };
        self.table.execute(Request { method: method.into(), params, uri, ..Request::default() }).await
    }

    fn mine(&self, address: &str, n: u32) -> Vec<BlockHash> {
        let spk = script(address);
        self.chainstate.generate_blocks(&spk, n, &mut 1_000_000).unwrap()
    }
}

fn script(address: &str) -> ScriptBuf {
    address.parse::<Address<_>>().unwrap().require_network(Network::Regtest).unwrap().script_pubkey()
}

fn btc(v: &Value) -> Amount {
    Amount::from_str_in(&v.to_string(), bitcoin::Denomination::Bitcoin).unwrap()
}

/// Waits for notifications to reach the wallets (they are delivered on a task).
async fn eventually(mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not reached");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_the_chain_sends_and_reloads() {
    let node = node();
    let client = node.start_wallets(&[]).await;
    node.call("", "createwallet", json!(["alice"])).await.unwrap();
    node.call("", "createwallet", json!(["bob"])).await.unwrap();
    let err = node.call("", "getbalance", json!([])).await.unwrap_err();
    assert_eq!(err.code, -19);

    let alice = node.call("alice", "getnewaddress", json!([])).await.unwrap();
    let alice = alice.as_str().unwrap().to_string();
    node.mine(&alice, 101);
    let balances = node.call("alice", "getbalances", json!([])).await.unwrap();
    assert_eq!(btc(&balances["mine"]["trusted"]), Amount::from_btc(50.0).unwrap());
    assert_eq!(
        btc(&balances["mine"]["immature"]),
        Amount::from_btc(5000.0).unwrap(),
        "coinbases need 101 confirmations"
    );
    assert_eq!(balances["lastprocessedblock"]["height"], 101);

    // A wallet created now starts at the tip: no old block is read for it.
    node.call("", "createwallet", json!(["carol"])).await.unwrap();
    let carol = client.manager().get("carol").unwrap();
    let checkpoints: Vec<u32> = carol.lock().await.ledger().latest_checkpoint().iter().map(|c| c.height()).collect();
    assert_eq!(checkpoints, vec![101, 0]);
    node.call("", "unloadwallet", json!(["carol"])).await.unwrap();

    // A payment to bob: alice records it at once, bob hears of it from the mempool.
    let bob = node.call("bob", "getnewaddress", json!([])).await.unwrap();
    let txid = node.call("alice", "sendtoaddress", json!([bob, 2])).await.unwrap();
    let txid = txid.as_str().unwrap().to_string();
    let manager = client.manager();
    eventually(async || {
        let bob = manager.get("bob").unwrap();
        let wallet = bob.lock().await;
        let pending: Amount =
            wallet.ledger().list_unspent().filter(|c| !c.chain_position.is_confirmed()).map(|c| c.txout.value).sum();
        pending == Amount::from_btc(2.0).unwrap()
    })
    .await;

    // Confirmed by a block, then that block is replaced by another (which
    // mines the payment again from the mempool): the wallet follows the new
    // chain, and the payment's confirmation moves to the replacement.
    let block = node.mine(&alice, 1)[0];
    let tx = node.call("bob", "gettransaction", json!([txid])).await.unwrap();
    assert_eq!(tx["confirmations"], 1);
    assert_eq!(tx["blockhash"], block.to_string());
    node.chainstate.invalidate_block(&block).unwrap();
    let replacement = node.chainstate.generate_blocks(&ScriptBuf::from(vec![0x51]), 1, &mut 2_000_000).unwrap();
    assert_ne!(replacement[0], block);
    let info = node.call("bob", "getwalletinfo", json!([])).await.unwrap();
    assert_eq!(info["lastprocessedblock"]["hash"], replacement[0].to_string());
    let tx = node.call("bob", "gettransaction", json!([txid])).await.unwrap();
    assert_eq!(tx["confirmations"], 1);
    assert_eq!(tx["blockhash"], replacement[0].to_string());

    // A wallet loaded later takes in what reached the mempool meanwhile.
    node.call("", "unloadwallet", json!(["alice"])).await.unwrap();
    node.call("bob", "sendtoaddress", json!([alice, 1])).await.unwrap();
    node.call("", "loadwallet", json!(["alice"])).await.unwrap();
    let balances = node.call("alice", "getbalances", json!([])).await.unwrap();
    assert_eq!(btc(&balances["mine"]["untrusted_pending"]), Amount::from_btc(1.0).unwrap());

    // Reloading from wallet.dat keeps keys and history; the wallet catches up
    // with blocks it missed while unloaded (one more coinbase matures, and the
    // pending payment confirms).
    let before = node.call("alice", "getbalance", json!([])).await.unwrap();
    // Dropping the client closes the wallets: the files are free to open again.
    drop(client);
    assert!(node.table.get("getbalance").is_none(), "wallet methods leave with the wallet");
    node.mine(&alice, 1);
    let _client = node.start_wallets(&["alice"]).await;
    let after = node.call("", "getbalance", json!([])).await.unwrap();
    assert_eq!(btc(&after), btc(&before) + Amount::from_btc(51.0).unwrap());
    let listed = node.call("", "listtransactions", json!(["*", 500])).await.unwrap();
    assert!(listed.as_array().unwrap().iter().any(|t| t["txid"] == json!(txid) && t["category"] == "send"));
    let fresh = node.call("", "getnewaddress", json!([])).await.unwrap();
    assert_ne!(fresh, json!(alice));
}

/// The fee a wallet transaction in the mempool pays, and its virtual size.
fn fee_and_vsize(node: &Node, txid: &Value) -> (Amount, u64) {
    let txid: bitcoin::Txid = txid.as_str().unwrap().parse().unwrap();
    node.chainstate.with_mempool(|pool| {
        let entry = pool.get(&txid).expect("in the mempool");
        (entry.fee, entry.vsize)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_rates_fees_from_recipients_and_sendall() {
    let node = node();
    let _client = node.start_wallets(&[]).await;
    node.call("", "createwallet", json!(["alice"])).await.unwrap();
    node.call("", "createwallet", json!(["bob"])).await.unwrap();
    let alice = node.call("alice", "getnewaddress", json!([])).await.unwrap();
    node.mine(alice.as_str().unwrap(), 102);
    let bob = node.call("bob", "getnewaddress", json!([])).await.unwrap();

    // settxfee's rate is charged on the signed transaction's virtual size.
    node.call("alice", "settxfee", json!([0.00012345])).await.unwrap();
    let txid = node.call("alice", "sendtoaddress", json!([bob, 1])).await.unwrap();
    let (fee, vsize) = fee_and_vsize(&node, &txid);
    assert_eq!(fee.to_sat(), (12_345 * vsize).div_ceil(1000));
    node.call("alice", "settxfee", json!([0])).await.unwrap();

    // The recipient pays the fee: the amount less the fee arrives.
    let txid = node.call("alice", "sendtoaddress", json!([bob, 2, "", "", true])).await.unwrap();
    let (fee, vsize) = fee_and_vsize(&node, &txid);
    assert_eq!(fee.to_sat(), (20_000 * vsize).div_ceil(1000), "-fallbackfee's rate");
    eventually(async || node.call("bob", "gettransaction", json!([txid])).await.is_ok()).await;
    let tx = node.call("bob", "gettransaction", json!([txid])).await.unwrap();
    assert_eq!(btc(&tx["amount"]), Amount::from_btc(2.0).unwrap() - fee);

    // sendall leaves nothing behind.
    let everything = btc(&node.call("alice", "getbalances", json!([])).await.unwrap()["mine"]["trusted"]);
    let result = node.call("alice", "sendall", json!([[bob]])).await.unwrap();
    assert_eq!(result["complete"], true);
    let (fee, _) = fee_and_vsize(&node, &result["txid"]);
    let txid = &result["txid"];
    eventually(async || node.call("bob", "gettransaction", json!([txid])).await.is_ok()).await;
    let tx = node.call("bob", "gettransaction", json!([txid])).await.unwrap();
    assert_eq!(btc(&tx["amount"]), everything - fee);
    let balances = node.call("alice", "getbalances", json!([])).await.unwrap();
    assert_eq!(btc(&balances["mine"]["trusted"]), Amount::ZERO);
}

/// What a GUI hears from a wallet: changed transactions, whether it was
/// unloaded, how many times its encryption state changed.
#[derive(Default)]
struct Heard(Mutex<Vec<bitcoin::Txid>>, Mutex<bool>, Mutex<u32>);

#[hashvive_interfaces::async_trait]
impl WalletNotifications for Heard {
    async fn transaction_changed(&self, txid: [u8; 32]) {
        self.0.lock().unwrap().push(bitcoin::hashes::Hash::from_byte_array(txid));
    }
    async fn status_changed(&self) {
        *self.2.lock().unwrap() += 1;
    }
    async fn unloaded(&self) {
        *self.1.lock().unwrap() = true;
    }
}

/// The names of the wallets a GUI hears were loaded.
#[derive(Default)]
struct Loads(Mutex<Vec<String>>);

#[hashvive_interfaces::async_trait]
impl WalletLoaderNotifications for Loads {
    async fn wallet_loaded(&self, wallet: Arc<dyn hashvive_interfaces::Wallet>) {
        let name = wallet.name().await.unwrap();
        self.0.lock().unwrap().push(name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gui_follows_a_wallets_balances_by_its_notifications() {
    let node = node();
    let (chain, startup) = node.wallet_startup(&[]);
    let loader = LocalWalletLoader::new(chain, startup);
    loader.start().await.unwrap();
    assert!(loader.wallets().await.unwrap().is_empty());
    let loads = Arc::new(Loads::default());
    let loads_handler = loader.handle_load_wallet(loads.clone()).await.unwrap();
    node.call("", "createwallet", json!(["payer"])).await.unwrap();
    node.call("", "createwallet", json!(["gui"])).await.unwrap();
    eventually(async || loads.0.lock().unwrap().clone() == ["payer", "gui"]).await;
    drop(loads_handler);
    let wallets = loader.wallets().await.unwrap();
    let gui = &wallets[0];
    assert_eq!(gui.name().await.unwrap(), "gui");
    assert_eq!(gui.balances().await.unwrap(), WalletBalances::default());
    let heard = Arc::new(Heard::default());
    let handler = gui.handle_notifications(heard.clone()).await.unwrap();

    // Mining to another wallet tells this one nothing.
    let payer = node.call("payer", "getnewaddress", json!([])).await.unwrap();
    node.mine(payer.as_str().unwrap(), 101);
    let to_gui = node.call("gui", "getnewaddress", json!([])).await.unwrap();
    let txid = node.call("payer", "sendtoaddress", json!([to_gui, 1.5])).await.unwrap();
    let txid: bitcoin::Txid = txid.as_str().unwrap().parse().unwrap();
    eventually(async || heard.0.lock().unwrap().clone() == [txid]).await;
    assert_eq!(
        gui.balances().await.unwrap(),
        WalletBalances { trusted: 0, untrusted_pending: 150_000_000, immature: 0 }
    );

    // Confirmed: heard again, and the payment is trusted.
    node.mine(to_gui.as_str().unwrap(), 1);
    eventually(async || heard.0.lock().unwrap().len() == 3).await;
    assert!(heard.0.lock().unwrap()[1..].contains(&txid), "the payment's confirmation and the coinbase");
    let balances = gui.balances().await.unwrap();
    assert_eq!((balances.trusted, balances.untrusted_pending), (150_000_000, 0));
    assert!(balances.immature > 5_000_000_000, "the coinbase, with the payment's fee");

    // Encrypted, unlocked and locked over RPC, and locked again when the
    // unlock's time runs out: each heard, so a GUI can show the state.
    node.call("gui", "encryptwallet", json!(["pw"])).await.unwrap();
    eventually(async || *heard.2.lock().unwrap() == 1).await;
    node.call("gui", "walletpassphrase", json!(["pw", 600])).await.unwrap();
    node.call("gui", "walletlock", json!([])).await.unwrap();
    eventually(async || *heard.2.lock().unwrap() == 3).await;
    node.call("gui", "walletpassphrase", json!(["pw", 1])).await.unwrap();
    eventually(async || *heard.2.lock().unwrap() == 5).await;
    assert_eq!(gui.encryption().await.unwrap(), hashvive_interfaces::WalletEncryption::Locked);

    // Unloaded: its listener hears so, and the wallet says so when asked.
    node.call("", "unloadwallet", json!(["gui"])).await.unwrap();
    eventually(async || *heard.1.lock().unwrap()).await;
    drop(handler);
    assert_eq!(
        gui.balances().await.unwrap_err(),
        hashvive_interfaces::Error::Remote("Wallet \"gui\" is not loaded".into())
    );
    assert_eq!(loader.wallets().await.unwrap().len(), 1);
    loader.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gui_receives_and_pays_through_the_wallet_interface() {
    use bitcoin::hashes::Hash as _;
    use hashvive_interfaces::{
        Error, Payment, PaymentFee, Recipient, TransactionKind, TransactionState, WalletTransaction,
    };
    let node = node();
    let (chain, startup) = node.wallet_startup(&[]);
    let loader = LocalWalletLoader::new(chain, startup);
    loader.start().await.unwrap();
    node.call("", "createwallet", json!(["gui"])).await.unwrap();
    node.call("", "createwallet", json!(["other"])).await.unwrap();
    let gui = loader.wallets().await.unwrap().remove(0);
    assert_eq!(gui.name().await.unwrap(), "gui");

    // Receiving: a new address of the default type, filed under its label.
    let address = gui.new_address("salary".into()).await.unwrap();
    assert!(address.starts_with("bcrt1q"), "{address}");
    let labelled = node.call("gui", "getaddressesbylabel", json!(["salary"])).await.unwrap();
    assert_eq!(labelled, json!({ address.clone(): { "purpose": "receive" } }));
    assert_ne!(gui.new_address(String::new()).await.unwrap(), address, "each call hands out another");
    node.mine(&address, 101);
    eventually(async || gui.balances().await.unwrap().trusted == 5_000_000_000).await;

    let to_other = node.call("other", "getnewaddress", json!([])).await.unwrap().as_str().unwrap().to_string();
    let pay = |address: &str, amount: i64, fee: PaymentFee| Payment {
        recipients: vec![Recipient { address: address.into(), amount, subtract_fee: false }],
        fee,
        replaceable: true,
        inputs: Vec::new(),
    };
    // What the wallet refuses, in its RPC methods' words.
    let refused = async |payment: Payment| gui.create_transaction(payment).await.unwrap_err();
    let remote = |text: &str| Error::Remote(text.into());
    assert_eq!(refused(pay("nope", 1, PaymentFee::WalletDefault)).await, remote("Invalid Bitcoin address: nope"));
    assert_eq!(refused(pay(&to_other, 0, PaymentFee::WalletDefault)).await, remote("Invalid amount for send"));
    assert_eq!(
        refused(pay(&to_other, 1000, PaymentFee::ConfTarget(0))).await,
        remote("Invalid conf_target, must be between 1 and 1008")
    );
    assert_eq!(
        refused(pay(&to_other, 1000, PaymentFee::SatPerKvb(1))).await,
        remote("Fee rate (0.001 sat/vB) is lower than the minimum fee rate setting (0.100 sat/vB)")
    );
    assert_eq!(refused(pay(&to_other, 6_000_000_000, PaymentFee::WalletDefault)).await, remote("Insufficient funds"));
    assert_eq!(
        refused(Payment { recipients: vec![], ..pay(&to_other, 1, PaymentFee::WalletDefault) }).await,
        remote("Transaction must have at least one recipient")
    );

    // Coin control: the coins it can spend (the one mature coinbase), and a
    // payment from the coin picked; a coin not the wallet's is refused.
    let coins = gui.coins().await.unwrap();
    assert_eq!(coins.len(), 1, "{coins:?}");
    let coin = &coins[0];
    assert_eq!(
        (coin.amount, coin.address.as_str(), coin.label.as_str(), coin.confirmations, coin.locked),
        (5_000_000_000, address.as_str(), "salary", 101, false)
    );
    let picked = Payment { inputs: vec![(coin.txid, coin.vout)], ..pay(&to_other, 1000, PaymentFee::WalletDefault) };
    let prepared = gui.create_transaction(picked).await.unwrap();
    let tx: bitcoin::Transaction = bitcoin::consensus::deserialize(&prepared.tx).unwrap();
    let spent: Vec<_> =
        tx.input.iter().map(|i| (i.previous_output.txid.to_byte_array(), i.previous_output.vout)).collect();
    assert_eq!(spent, [(coin.txid, coin.vout)]);
    let stranger = Payment { inputs: vec![([7; 32], 0)], ..pay(&to_other, 1000, PaymentFee::WalletDefault) };
    let refused_coin = refused(stranger).await.to_string();
    assert!(refused_coin.contains("Not found pre-selected input"), "{refused_coin}");

    // Prepared: signed, paying what was asked at the rate asked, and not sent.
    let prepared = gui.create_transaction(pay(&to_other, 100_000_000, PaymentFee::SatPerKvb(3_000))).await.unwrap();
    let tx: bitcoin::Transaction = bitcoin::consensus::deserialize(&prepared.tx).unwrap();
    assert!(tx.is_explicitly_rbf());
    assert!(tx.output.iter().any(|o| o.value == Amount::ONE_BTC && o.script_pubkey == script(&to_other)));
    let vsize = tx.vsize() as i64;
    assert!((3 * vsize..=3 * vsize + 3).contains(&prepared.fee), "fee {} for {vsize} vB", prepared.fee);
    let txid = tx.compute_txid();
    assert!(node.call("gui", "gettransaction", json!([txid.to_string()])).await.is_err(), "not recorded yet");

    // Committed: sent, recorded with its fee, and the recipient hears of it.
    assert_eq!(gui.commit_transaction(prepared.tx.clone()).await.unwrap(), txid.to_byte_array());
    let recorded = node.call("gui", "gettransaction", json!([txid.to_string()])).await.unwrap();
    assert_eq!(recorded["fee"].as_f64(), Some(-(prepared.fee as f64) / 1e8));
    eventually(async || {
        node.call("other", "getbalances", json!([])).await.unwrap()["mine"]["untrusted_pending"].as_f64() == Some(1.0)
    })
    .await;

    // The history: the payment as sent, with its fee, and as received by the other wallet.
    let history = gui.transactions().await.unwrap();
    assert_eq!(history.len(), 102);
    let mined = history.iter().filter(|t| t.kind == TransactionKind::Mined && t.height.is_some()).count();
    assert_eq!(mined, 101, "{history:?}");
    let sent = WalletTransaction {
        txid: txid.to_byte_array(),
        kind: TransactionKind::Sent,
        address: to_other.clone(),
        label: String::new(),
        amount: -100_000_000 - prepared.fee,
        fee: prepared.fee,
        time: history.iter().find(|t| t.kind == TransactionKind::Sent).unwrap().time,
        height: None,
        state: TransactionState::Active,
        replaceable: true,
    };
    assert!(history.contains(&sent), "{history:?}");
    assert_eq!(gui.transaction(txid.to_byte_array()).await.unwrap(), Some(sent));
    assert_eq!(gui.transaction([0; 32]).await.unwrap(), None);
    let other = loader.wallets().await.unwrap().remove(1);
    let received = other.transaction(txid.to_byte_array()).await.unwrap().unwrap();
    assert_eq!((received.kind, received.amount, received.fee), (TransactionKind::Received, 100_000_000, 0));

    // Its fee raised, as the transactions screen does: a replacement
    // spending the same coins at a higher fee, sent only once committed,
    // then recorded as replacing the payment.
    let bump = gui.create_bump_transaction(txid.to_byte_array()).await.unwrap();
    assert!(bump.fee > prepared.fee, "{} after {}", bump.fee, prepared.fee);
    let replacement: bitcoin::Transaction = bitcoin::consensus::deserialize(&bump.tx).unwrap();
    let new_txid = replacement.compute_txid();
    assert!(replacement.input.iter().all(|i| tx.input.iter().any(|o| o.previous_output == i.previous_output)));
    assert!(node.call("gui", "gettransaction", json!([new_txid.to_string()])).await.is_err(), "not recorded yet");
    assert_eq!(gui.commit_transaction(bump.tx).await.unwrap(), new_txid.to_byte_array());
    let recorded = node.call("gui", "gettransaction", json!([new_txid.to_string()])).await.unwrap();
    assert_eq!(recorded["replaces_txid"], json!(txid.to_string()));
    assert_eq!(recorded["fee"].as_f64(), Some(-(bump.fee as f64) / 1e8));
    let replaced = node.call("gui", "gettransaction", json!([txid.to_string()])).await.unwrap();
    assert_eq!(replaced["replaced_by_txid"], json!(new_txid.to_string()));

    node.mine(&address, 1);
    eventually(async || gui.transaction(new_txid.to_byte_array()).await.unwrap().unwrap().height == Some(102)).await;
    // What cannot be bumped, in bumpfee's words.
    let refused = async |txid: [u8; 32]| gui.create_bump_transaction(txid).await.unwrap_err();
    assert_eq!(
        refused(new_txid.to_byte_array()).await,
        remote("Transaction has been mined, or is conflicted with a mined transaction")
    );
    assert_eq!(refused([7; 32]).await, remote("Invalid or non-wallet transaction id"));

    // What is not a transaction of the wallet's is refused.
    assert_eq!(gui.commit_transaction(vec![1, 2, 3]).await.unwrap_err(), remote("TX decode failed"));
    let foreign = bitcoin::Transaction {
        output: vec![bitcoin::TxOut { value: Amount::ONE_SAT, script_pubkey: ScriptBuf::new() }],
        ..tx
    };
    let foreign = bitcoin::consensus::serialize(&bitcoin::Transaction { input: vec![], ..foreign });
    assert_eq!(gui.commit_transaction(foreign).await.unwrap_err(), remote("The transaction is not the wallet's"));
    loader.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gui_creates_opens_encrypts_backs_up_and_closes_wallets() {
    use hashvive_interfaces::{Error, WalletCreation, WalletEncryption};
    let node = node();
    let (chain, startup) = node.wallet_startup(&[]);
    let loader = LocalWalletLoader::new(chain, startup);
    loader.start().await.unwrap();
    assert!(loader.list_wallet_dir().await.unwrap().is_empty());
    let remote = |text: &str| Error::Remote(text.into());

    // Created encrypted: locked until unlocked with its passphrase.
    let options = WalletCreation { passphrase: "pw".into(), ..WalletCreation::default() };
    let vault = loader.create_wallet("vault".into(), options).await.unwrap();
    assert_eq!(vault.name().await.unwrap(), "vault");
    assert_eq!(vault.encryption().await.unwrap(), WalletEncryption::Locked);
    assert_eq!(
        vault.unlock("wrong".into(), 60).await.unwrap_err(),
        remote("Error: The wallet passphrase entered was incorrect.")
    );
    vault.unlock("pw".into(), 60).await.unwrap();
    assert_eq!(vault.encryption().await.unwrap(), WalletEncryption::Unlocked);
    vault.lock().await.unwrap();
    assert_eq!(vault.encryption().await.unwrap(), WalletEncryption::Locked);
    // The node loads it at start from now on.
    let settings = std::fs::read_to_string(node._dir.path().join("settings.json")).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&settings).unwrap()["wallet"], json!(["vault"]));

    // Created plain, then encrypted.
    let plain = loader.create_wallet("plain".into(), WalletCreation::default()).await.unwrap();
    assert_eq!(plain.encryption().await.unwrap(), WalletEncryption::Unencrypted);
    assert_eq!(
        plain.lock().await.unwrap_err(),
        remote("Error: running with an unencrypted wallet, but walletlock was called.")
    );
    assert_eq!(plain.encrypt(String::new()).await.unwrap_err(), remote("passphrase cannot be empty"));
    plain.encrypt("pw2".into()).await.unwrap();
    assert_eq!(plain.encryption().await.unwrap(), WalletEncryption::Locked);
    assert_eq!(
        plain.encrypt("pw3".into()).await.unwrap_err(),
        remote("Error: running with an encrypted wallet, but encryptwallet was called.")
    );

    // Backed up into a directory, under the wallet file's own name; a place
    // that cannot be written says so.
    let backups = tempfile::tempdir().unwrap();
    plain.backup(backups.path().display().to_string()).await.unwrap();
    assert!(backups.path().join("wallet.dat").is_file());
    assert_eq!(plain.backup("/nonexistent/dir/file".into()).await.unwrap_err(), remote("Error: Wallet backup failed!"));

    // Closed: gone from the loaded wallets and the start-up list, still in the
    // directory, and opened again.
    plain.unload().await.unwrap();
    assert_eq!(plain.encryption().await.unwrap_err(), remote("Wallet \"plain\" is not loaded"));
    assert_eq!(loader.list_wallets().await.unwrap(), ["vault"]);
    assert_eq!(loader.list_wallet_dir().await.unwrap(), ["plain", "vault"]);
    let settings = std::fs::read_to_string(node._dir.path().join("settings.json")).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&settings).unwrap()["wallet"], json!(["vault"]));
    let reopened = loader.load_wallet("plain".into()).await.unwrap();
    assert_eq!(reopened.encryption().await.unwrap(), WalletEncryption::Locked);
    assert!(loader.load_wallet("plain".into()).await.is_err(), "loaded already");
    assert!(loader.load_wallet("nope".into()).await.is_err(), "no such wallet");
    loader.stop().await.unwrap();
}
