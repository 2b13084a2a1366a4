//! The boundaries between hashvive components, as traits and plain data.
//!
//! A component holds `Arc<dyn Trait>` and never learns whether the other side
//! is in this process or another: each executable's init plugs in either the
//! local implementation or an IPC proxy (the `hashvive-ipc` crate provides a
//! proxy and a server for every trait here). Nothing in this crate knows how
//! calls travel.
//!
//! Methods are `async` because a call may cross a process boundary; a local
//! implementation simply answers at once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use async_trait::async_trait;

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The other process went away (or the object was destroyed).
    #[error("IPC peer disconnected: {0}")]
    Disconnected(String),
    /// The other side answered with an error.
    #[error("{0}")]
    Remote(String),
    /// This implementation does not offer the capability.
    #[error("{0}")]
    Unavailable(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// A block by hash and height.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// The block hash in internal byte order (as it is serialised).
    pub hash: [u8; 32],
    pub height: i32,
}

/// The first object a process offers another: a factory for the rest. Each
/// process offers what it has; the rest answer [`Error::Unavailable`].
#[async_trait]
pub trait Init: Send + Sync {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>> {
        Err(unavailable("Echo"))
    }
    async fn make_mining(&self) -> Result<Arc<dyn Mining>> {
        Err(unavailable("Mining"))
    }
    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>> {
        Err(unavailable("Rpc"))
    }
    /// The node's chain, for a wallet process attaching to a running node.
    async fn make_chain(&self) -> Result<Arc<dyn Chain>> {
        Err(unavailable("Chain"))
    }
    /// Wallets on `chain`, configured by `args` (a command line, read with
    /// the configuration file it names as a process started with it would):
    /// what a node asks of the wallet process it spawned.
    async fn make_wallet_loader(&self, _chain: Arc<dyn Chain>, _args: Vec<String>) -> Result<Arc<dyn WalletLoader>> {
        Err(unavailable("WalletLoader"))
    }
    /// The node, for a GUI: one it spawned (which starts it with
    /// [`Node::start`]) or one already running that it attached to.
    async fn make_node(&self) -> Result<Arc<dyn Node>> {
        Err(unavailable("Node"))
    }
}

fn unavailable(interface: &str) -> Error {
    Error::Unavailable(format!("this process does not offer the {interface} interface"))
}

/// The wallets of a process, as the node that started it sees them.
#[async_trait]
pub trait WalletLoader: Send + Sync {
    /// Offers the wallet RPC methods through the chain and loads the wallets
    /// the options name (`-wallet`); fails with the reason a wallet did not load.
    async fn start(&self) -> Result<()>;
    /// Names of the loaded wallets.
    async fn list_wallets(&self) -> Result<Vec<String>>;
    /// The loaded wallets, for a GUI (the reference's `getWallets`).
    async fn wallets(&self) -> Result<Vec<Arc<dyn Wallet>>>;
    /// Tells `notifications` of each wallet loaded from now on (created,
    /// loaded or restored) until the returned handler is dropped (the
    /// reference's `handleLoadWallet`).
    async fn handle_load_wallet(&self, notifications: Arc<dyn WalletLoaderNotifications>) -> Result<Box<dyn Handler>>;
    /// Creates wallet `name` and loads it, and the node loads it at start
    /// from now on, as the reference's GUI does. (A loader only a node
    /// uses, as in tests, need not offer the GUI's calls.)
    async fn create_wallet(&self, _name: String, _options: WalletCreation) -> Result<Arc<dyn Wallet>> {
        Err(unavailable("WalletLoader.createWallet"))
    }
    /// Loads wallet `name` from the wallet directory, and at start from now on.
    async fn load_wallet(&self, _name: String) -> Result<Arc<dyn Wallet>> {
        Err(unavailable("WalletLoader.loadWallet"))
    }
    /// Names of the wallets in the wallet directory, loaded or not.
    async fn list_wallet_dir(&self) -> Result<Vec<String>> {
        Err(unavailable("WalletLoader.listWalletDir"))
    }
    /// Withdraws the RPC methods and closes every wallet.
    async fn stop(&self) -> Result<()>;
}

/// How a GUI's new wallet is made (`createwallet`'s options).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WalletCreation {
    /// Encrypt it under this passphrase from the start; none if empty.
    pub passphrase: String,
    /// Watch-only: it never holds private keys.
    pub disable_private_keys: bool,
    /// No keys or descriptors at first.
    pub blank: bool,
}

/// Whether a wallet's keys are encrypted, and if so whether they are open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WalletEncryption {
    Unencrypted,
    Locked,
    Unlocked,
}

/// A wallet's own coins, in satoshis, as `getbalances` counts them ("mine").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WalletBalances {
    /// Confirmed, or unconfirmed and sent by the wallet itself: spendable.
    pub trusted: i64,
    /// Unconfirmed payments from others.
    pub untrusted_pending: i64,
    /// Coinbase outputs not yet mature.
    pub immature: i64,
}

/// A payment a GUI asks a wallet to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    pub recipients: Vec<Recipient>,
    pub fee: PaymentFee,
    /// Signal BIP125 replaceability.
    pub replaceable: bool,
    /// Coin control: the coins (txid, output index) to spend, and no
    /// others; empty lets the wallet choose.
    pub inputs: Vec<([u8; 32], u32)>,
}

/// How a [`Payment`]'s fee rate is chosen. Whatever the choice, the wallet
/// pays no less than its and the node's minimum rates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentFee {
    /// The wallet's own: its `settxfee` rate, else an estimate for `-txconfirmtarget`.
    WalletDefault,
    /// The node's estimate for confirmation within this many blocks (1 to 1008).
    ConfTarget(u32),
    /// This rate, in sat/kvB.
    SatPerKvb(u64),
}

/// One output of a [`Payment`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub address: String,
    /// Satoshis.
    pub amount: i64,
    /// The recipient pays (a share of) the fee out of `amount`.
    pub subtract_fee: bool,
}

/// A signed payment not yet sent, and what it pays in fees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreparedTransaction {
    /// The transaction, consensus-serialised.
    pub tx: Vec<u8>,
    /// Satoshis.
    pub fee: i64,
}

/// A coin a wallet can spend, as coin control lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletCoin {
    pub txid: [u8; 32],
    pub vout: u32,
    /// Satoshis.
    pub amount: i64,
    /// The address it pays (`""` for a script without one), and its label.
    pub address: String,
    pub label: String,
    /// 0 while unconfirmed.
    pub confirmations: i64,
    /// Kept from automatic coin selection (`lockunspent`); coin control may
    /// still spend it.
    pub locked: bool,
}

/// One transaction of a wallet as its history lists it (the reference
/// GUI's `TransactionRecord`, one per transaction).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletTransaction {
    pub txid: [u8; 32],
    pub kind: TransactionKind,
    /// Who was paid (a send) or the wallet's address paid (a receipt); `""`
    /// for an output without an address.
    pub address: String,
    /// That address's label in the wallet's address book.
    pub label: String,
    /// What it did to the wallet's balance, fee included, in satoshis.
    pub amount: i64,
    /// The fee the wallet paid, in satoshis; 0 when others paid it.
    pub fee: i64,
    /// When the wallet first saw it, else its block's time; Unix seconds.
    pub time: i64,
    /// The height of the block holding it, if one does.
    pub height: Option<u32>,
    pub state: TransactionState,
    /// Unconfirmed and signalling BIP125.
    pub replaceable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionKind {
    Received,
    Sent,
    /// Every output the wallet's own.
    ToSelf,
    /// A coinbase paying the wallet.
    Mined,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransactionState {
    /// In the chain or the wallet's view of the mempool.
    Active,
    /// Given up by the user (`abandontransaction`).
    Abandoned,
    /// Spends what a transaction that won spent.
    Conflicted,
}

/// One loaded wallet, as a GUI sees it: the reference's `interfaces::Wallet`,
/// cut to what hashvive's GUI uses. A wallet unloaded since answers
/// [`Error::Remote`] with the reason.
#[async_trait]
pub trait Wallet: Send + Sync {
    /// Its name (`""` for the default wallet).
    async fn name(&self) -> Result<String>;
    async fn balances(&self) -> Result<WalletBalances>;
    /// A new receiving address of the wallet's default type, filed under
    /// `label` (`""` for none), as `getnewaddress` hands one out.
    async fn new_address(&self, label: String) -> Result<String>;
    /// The coins the wallet can spend now (mature, not spent in its view of
    /// the mempool), largest first, for coin control.
    async fn coins(&self) -> Result<Vec<WalletCoin>>;
    /// Builds and signs a payment without sending it, so its fee can be
    /// shown before the user agrees (the reference's `createTransaction`).
    async fn create_transaction(&self, payment: Payment) -> Result<PreparedTransaction>;
    /// Builds and signs a replacement of the unconfirmed transaction `txid`
    /// paying a higher fee, without sending it: what `bumpfee` with no
    /// options would send (the reference's `createBumpTransaction`).
    async fn create_bump_transaction(&self, txid: [u8; 32]) -> Result<PreparedTransaction>;
    /// Sends a transaction [`Wallet::create_transaction`] or
    /// [`Wallet::create_bump_transaction`] made and records it in the wallet
    /// (a bump as replacing the transaction it bumps); its txid. A
    /// transaction the node refuses is kept, as `sendtoaddress` keeps it,
    /// until it is abandoned.
    async fn commit_transaction(&self, tx: Vec<u8>) -> Result<[u8; 32]>;
    /// Every transaction of the wallet, oldest first (the reference's `getWalletTxs`).
    async fn transactions(&self) -> Result<Vec<WalletTransaction>>;
    /// One transaction of the wallet as it stands now; `None` if the wallet
    /// holds no such transaction (any more).
    async fn transaction(&self, txid: [u8; 32]) -> Result<Option<WalletTransaction>>;
    /// Whether its keys are encrypted and open.
    async fn encryption(&self) -> Result<WalletEncryption>;
    /// Encrypts its keys under `passphrase` and locks it (`encryptwallet`).
    async fn encrypt(&self, passphrase: String) -> Result<()>;
    /// Opens its keys for `seconds` (`walletpassphrase`).
    async fn unlock(&self, passphrase: String, seconds: u32) -> Result<()>;
    /// Closes its keys (`walletlock`).
    async fn lock(&self) -> Result<()>;
    /// Copies its file to `destination`, a file or a directory (`backupwallet`).
    async fn backup(&self, destination: String) -> Result<()>;
    /// Unloads it, and the node no longer loads it at start (the reference's `remove`).
    async fn unload(&self) -> Result<()>;
    /// Tells `notifications` of each transaction of the wallet that arrives,
    /// confirms, leaves the mempool or is taken back by a reorganisation,
    /// until the returned handler is dropped.
    async fn handle_notifications(&self, notifications: Arc<dyn WalletNotifications>) -> Result<Box<dyn Handler>>;
}

/// What a GUI hears from one wallet. Each call returns before the next is made.
#[async_trait]
pub trait WalletNotifications: Send + Sync {
    /// A transaction of the wallet changed (its balances may have too).
    async fn transaction_changed(&self, txid: [u8; 32]);
    /// The wallet was encrypted, unlocked or locked (by whoever: an RPC
    /// client, the console, the time of an unlock running out).
    async fn status_changed(&self);
    /// The wallet was unloaded: nothing more comes.
    async fn unloaded(&self);
}

/// What a GUI hears from the wallets' loader.
#[async_trait]
pub trait WalletLoaderNotifications: Send + Sync {
    async fn wallet_loaded(&self, wallet: Arc<dyn Wallet>);
}

/// A test interface that returns what it is given.
#[async_trait]
pub trait Echo: Send + Sync {
    async fn echo(&self, text: String) -> Result<String>;
}

/// The most satoshis there can ever be (the reference's `MAX_MONEY`); as a
/// fee threshold it means "never wake for fees".
pub const MAX_MONEY: i64 = 21_000_000 * 100_000_000;

/// How to build a block template (the reference's `BlockCreateOptions`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockCreateOptions {
    /// Fill the block from the mempool; otherwise it holds the coinbase only.
    pub use_mempool: bool,
    /// Block weight kept free for the header and the coinbase the miner writes.
    pub block_reserved_weight: u64,
    /// Signature operations kept free for the miner's coinbase outputs.
    pub coinbase_output_max_additional_sigops: u64,
}

impl Default for BlockCreateOptions {
    /// The reference's defaults, which are also the schema's.
    fn default() -> Self {
        BlockCreateOptions {
            use_mempool: true,
            block_reserved_weight: 8000,
            coinbase_output_max_additional_sigops: 400,
        }
    }
}

/// When [`BlockTemplate::wait_next`] gives up or answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockWaitOptions {
    /// Longest wait; `Duration::MAX` waits forever.
    pub timeout: Duration,
    /// How much the next block's total fees (satoshis) must rise for a new
    /// template; [`MAX_MONEY`] ignores fees and waits for a new tip only.
    pub fee_threshold: i64,
}

impl Default for BlockWaitOptions {
    fn default() -> Self {
        BlockWaitOptions { timeout: Duration::MAX, fee_threshold: MAX_MONEY }
    }
}

/// Which context-free checks [`Mining::check_block`] runs besides the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockCheckOptions {
    pub check_merkle_root: bool,
    /// Off for templates whose proof of work is not done yet.
    pub check_pow: bool,
}

impl Default for BlockCheckOptions {
    fn default() -> Self {
        BlockCheckOptions { check_merkle_root: true, check_pow: true }
    }
}

/// What a miner needs to write a coinbase the template accepts (the
/// reference's `CoinbaseTx`). Transactions parts are in consensus encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CoinbaseTx {
    pub version: u32,
    pub sequence: u32,
    /// The start of the input script (the BIP34 height); the miner appends
    /// its own data.
    pub script_sig_prefix: Vec<u8>,
    /// The witness reserved value the input must carry, if any.
    pub witness: Option<[u8; 32]>,
    /// Subsidy plus fees, in satoshis, for the miner's own outputs.
    pub block_reward_remaining: i64,
    /// Outputs the coinbase must have besides the miner's (the witness
    /// commitment), each a serialized `TxOut`.
    pub required_outputs: Vec<Vec<u8>>,
    pub lock_time: u32,
}

/// The verdict on a checked or submitted block, in BIP22's words: `reason`
/// is empty when `accepted`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BlockVerdict {
    pub accepted: bool,
    pub reason: String,
    pub debug: String,
}

impl BlockVerdict {
    pub fn accepted() -> BlockVerdict {
        BlockVerdict { accepted: true, ..BlockVerdict::default() }
    }

    pub fn rejected(reason: impl Into<String>, debug: impl Into<String>) -> BlockVerdict {
        BlockVerdict { accepted: false, reason: reason.into(), debug: debug.into() }
    }
}

/// What mining software needs from a node.
#[async_trait]
pub trait Mining: Send + Sync {
    /// Whether the node runs a test chain (anything but mainnet).
    async fn is_test_chain(&self) -> Result<bool>;
    async fn is_initial_block_download(&self) -> Result<bool>;
    /// The active chain's tip; `None` while no chain is loaded.
    async fn get_tip(&self) -> Result<Option<BlockRef>>;
    /// Waits until the tip differs from `current_tip` or `timeout` passes, and
    /// returns the tip then; `None` when [`interrupt`](Self::interrupt)ed.
    async fn wait_tip_changed(&self, current_tip: [u8; 32], timeout: Duration) -> Result<Option<BlockRef>>;
    /// A template for the block after the tip. With `cooldown`, waits first
    /// while the node is in initial block download. `None` when interrupted.
    async fn create_new_block(
        &self,
        options: BlockCreateOptions,
        cooldown: bool,
    ) -> Result<Option<Arc<dyn BlockTemplate>>>;
    /// Checks a serialized block on the tip without storing it.
    async fn check_block(&self, block: Vec<u8>, options: BlockCheckOptions) -> Result<BlockVerdict>;
    /// Processes a serialized, complete block as `submitblock` does; with
    /// `precious` it is preferred over other tips with as much work.
    async fn submit_block(&self, block: Vec<u8>, precious: bool) -> Result<BlockVerdict>;
    /// Serialized mempool transactions by txid (internal byte order); `None`
    /// for each one not in the mempool.
    async fn get_transactions_by_txid(&self, txids: Vec<[u8; 32]>) -> Result<Vec<Option<Vec<u8>>>>;
    /// Like [`get_transactions_by_txid`](Self::get_transactions_by_txid), by wtxid.
    async fn get_transactions_by_witness_id(&self, wtxids: Vec<[u8; 32]>) -> Result<Vec<Option<Vec<u8>>>>;
    /// Ends the next (or the current) `wait_tip_changed` or `create_new_block`
    /// wait of this object early.
    async fn interrupt(&self) -> Result<()>;
}

/// A block the node proposes to mine, with what a miner needs to finish it.
/// Serialized parts are in consensus encoding; hashes in internal byte order.
#[async_trait]
pub trait BlockTemplate: Send + Sync {
    /// The 80-byte header (proof of work not done).
    async fn get_block_header(&self) -> Result<Vec<u8>>;
    /// The whole block, with a coinbase standing in for the miner's.
    async fn get_block(&self) -> Result<Vec<u8>>;
    /// Fees (satoshis) of each transaction after the coinbase.
    async fn get_tx_fees(&self) -> Result<Vec<i64>>;
    /// Signature operation cost of each transaction after the coinbase.
    async fn get_tx_sigops(&self) -> Result<Vec<i64>>;
    async fn get_coinbase_tx(&self) -> Result<CoinbaseTx>;
    /// The merkle branch of the coinbase, deepest first.
    async fn get_coinbase_merkle_path(&self) -> Result<Vec<[u8; 32]>>;
    /// Finishes the block with these header fields and this serialized
    /// coinbase, and processes it. The template keeps the finished block.
    async fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: Vec<u8>,
        precious: bool,
    ) -> Result<BlockVerdict>;
    /// A new template once the tip changes or fees rise by the threshold;
    /// `None` on timeout or when [`interrupt_wait`](Self::interrupt_wait)ed.
    async fn wait_next(&self, options: BlockWaitOptions) -> Result<Option<Arc<dyn BlockTemplate>>>;
    /// Ends the next (or the current) `wait_next` of this template early.
    async fn interrupt_wait(&self) -> Result<()>;
}

/// Runs JSON-RPC requests as if they had arrived over HTTP.
#[async_trait]
pub trait Rpc: Send + Sync {
    /// `request` is a JSON-RPC request or batch; `uri` the HTTP path it would
    /// have used (`/` or `/wallet/<name>`); `user` who is calling, for the log.
    /// Returns the JSON reply (empty for a notification).
    async fn execute_rpc(&self, request: String, uri: String, user: String) -> Result<String>;
}

/// Other processes, for executables built to talk to them.
#[async_trait]
pub trait Ipc: Send + Sync {
    /// Starts `<dir of this executable>/<exe_name> -ipcfd <fd>` and returns its `Init`.
    async fn spawn_process(&self, exe_name: &str) -> Result<Connected>;
    /// Serves `init` on each address (`unix`, `unix:<path>`; relative paths are
    /// taken under `default_dir`) until the returned guard is dropped.
    async fn listen(&self, addresses: &[String], default_dir: &Path, init: Arc<dyn Init>) -> Result<Box<dyn Send>>;
    /// Connects to the `Init` a process serves at `address`.
    async fn connect(&self, address: &str, default_dir: &Path) -> Result<Connected>;
    /// Closes every connection (spawned children see their parent go and
    /// exit) and waits at most `timeout` for the children to be gone.
    async fn shutdown(&self, timeout: Duration);
}

/// A connection to another process's `Init`.
pub struct Connected {
    pub init: Arc<dyn Init>,
    /// Completes when the connection ends (the other process went away).
    pub closed: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
}

/// A registration (of notifications, of RPC methods): dropping it undoes the
/// registration. The reference's `interfaces::Handler`.
pub trait Handler: Send {
    /// Undoes the registration now; dropping the handler does the same.
    fn disconnect(&mut self);
}

/// A block found by [`Chain::find_block`] (the reference's `FoundBlock`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundBlock {
    pub hash: [u8; 32],
    pub height: i32,
    /// Header time, seconds since the epoch.
    pub time: i64,
    /// Median time of the eleven blocks up to this one (for locktime checks
    /// and rescans by time).
    pub median_time_past: i64,
    /// Whether the block is on the active chain; a wallet treats transactions
    /// in blocks off it as unconfirmed.
    pub in_active_chain: bool,
    /// The serialized block, when asked for and stored.
    pub data: Option<Vec<u8>>,
}

/// A fee rate estimate and the confirmation target it was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeeEstimate {
    /// Satoshis per 1000 virtual bytes.
    pub sat_per_kvb: u64,
    /// The target the estimate is for (may be larger than asked).
    pub blocks: u32,
}

/// Why the node did not take a transaction the wallet broadcast (the
/// reference's `TransactionError`); the texts are the reference's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BroadcastError {
    #[error("Inputs missing or spent")]
    MissingInputs,
    #[error("Transaction outputs already in utxo set")]
    AlreadyInChain,
    #[error("Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)")]
    MaxFeeExceeded,
    /// Mempool policy or consensus refused it, with the reason.
    #[error("{0}")]
    Rejected(String),
}

/// Why a transaction left the mempool (the reference's `MemPoolRemovalReason`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemovalReason {
    /// Older than `-mempoolexpiry`.
    Expiry,
    /// Evicted to keep the mempool within `-maxmempool`.
    SizeLimit,
    /// Taken out while a reorganisation reshuffles the mempool; if it still
    /// fits it comes back as a new addition.
    Reorg,
    /// Confirmed in a connected block.
    Block,
    /// Spends an output that a connected block spent differently.
    Conflict,
    /// Replaced by a transaction paying more (RBF).
    Replaced,
}

/// What a wallet needs from the node: the active chain, blocks to scan, the
/// mempool, fee levels, and a way to hear about changes and to offer RPC
/// methods. Blocks and transactions travel serialized (consensus encoding),
/// hashes in internal byte order, so the trait serves as is across IPC.
#[async_trait]
pub trait Chain: Send + Sync {
    /// The active chain's tip; the wallet's "synced to" point and the basis of
    /// confirmation counts.
    async fn get_tip(&self) -> Result<BlockRef>;
    /// The hash of the active chain's block at `height`, `None` above the tip;
    /// lets a wallet find where its last seen block forked off.
    async fn get_block_hash(&self, height: i32) -> Result<Option<[u8; 32]>>;
    /// What the node knows of a block, with its data when `with_data`; `None`
    /// when the block is unknown.
    async fn find_block(&self, hash: [u8; 32], with_data: bool) -> Result<Option<FoundBlock>>;
    /// The highest active block whose data the node pruned (every block
    /// above it is held); `None` when it pruned nothing. A wallet cannot scan
    /// at or below it.
    async fn prune_height(&self) -> Result<Option<i32>>;
    /// The active chain's serialized blocks from `start_height` on, at most
    /// `max_count`, for rescans; fewer (maybe none) at the tip.
    async fn read_blocks(&self, start_height: i32, max_count: u32) -> Result<Vec<Vec<u8>>>;
    /// Whether a transaction (txid) is in the mempool, i.e. unconfirmed but
    /// still valid: such wallet transactions count as pending, others as
    /// abandoned or conflicted.
    async fn is_in_mempool(&self, txid: [u8; 32]) -> Result<bool>;
    /// The outputs `outpoints` (txid, index) name, serialized, where they
    /// are spendable now: in the mempool or unspent in the active chain
    /// (the reference's `findCoins`, for signing what a wallet did not make).
    async fn find_coins(&self, outpoints: Vec<([u8; 32], u32)>) -> Result<Vec<Option<Vec<u8>>>>;
    /// Adds `item` to list setting `name` of the node's `settings.json`
    /// (`present`), or takes it out; `false` when the file cannot be written
    /// (`-nosettings`, a read-only disk). Wallets keep `load_on_startup` so.
    async fn edit_settings_list(&self, name: String, item: String, present: bool) -> Result<bool>;
    /// Every serialized mempool transaction, parents first (the reference's
    /// `requestMempoolTransactions`): what a wallet loaded now has missed.
    async fn mempool_transactions(&self) -> Result<Vec<Vec<u8>>>;
    /// Submits a serialized transaction to the mempool and relays it; refused
    /// when its fee exceeds `max_fee` satoshis (0: no limit). The outer error
    /// is the call failing; the inner one the node's verdict.
    async fn broadcast_transaction(&self, tx: Vec<u8>, max_fee: i64)
        -> Result<std::result::Result<(), BroadcastError>>;
    /// The node's fee estimate for confirmation within `target` blocks;
    /// `None` without enough data (the wallet then uses `-fallbackfee`).
    async fn estimate_smart_fee(&self, target: u32, conservative: bool) -> Result<Option<FeeEstimate>>;
    /// The least fee rate (sat/kvB) the node relays: a wallet never pays less.
    async fn relay_min_fee(&self) -> Result<u64>;
    /// The least fee rate (sat/kvB) the mempool takes now (rises when full).
    async fn mempool_min_fee(&self) -> Result<u64>;
    /// Whether the node is still catching up; wallets delay broadcasts then.
    async fn is_initial_block_download(&self) -> Result<bool>;
    /// Delivers every later change to `notifications`, in order, until the
    /// returned handler is dropped. The tip at registration is
    /// [`get_tip`](Self::get_tip)'s answer before any notification arrives.
    async fn handle_notifications(&self, notifications: Arc<dyn ChainNotifications>) -> Result<Box<dyn Handler>>;
    /// Serves `command` from the node's JSON-RPC server (at `/` and
    /// `/wallet/<name>`) by passing its calls to `actor`, until the returned
    /// handler is dropped.
    async fn handle_rpc(&self, command: RpcCommand, actor: Arc<dyn RpcActor>) -> Result<Box<dyn Handler>>;
}

/// What a wallet hears from the node, in the order things happened. Each
/// call returns before the next is made.
#[async_trait]
pub trait ChainNotifications: Send + Sync {
    /// A serialized transaction entered the mempool.
    async fn transaction_added_to_mempool(&self, tx: Vec<u8>);
    /// A serialized transaction left the mempool; for [`RemovalReason::Block`]
    /// the block's connection is (or was) announced as well.
    async fn transaction_removed_from_mempool(&self, tx: Vec<u8>, reason: RemovalReason);
    /// A serialized block became part of the active chain at `height`.
    async fn block_connected(&self, block: Vec<u8>, height: i32);
    /// A serialized block at `height` left the active chain (reorganisation
    /// or `invalidateblock`).
    async fn block_disconnected(&self, block: Vec<u8>, height: i32);
    /// The tip after a batch of connections and disconnections; a wallet
    /// saves its sync point here.
    async fn updated_block_tip(&self, tip: BlockRef);
}

/// An RPC method served by another component (a wallet): how the node's
/// table shows it. Parameters are matched and checked by the component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcCommand {
    pub name: String,
    /// Help group, e.g. `wallet`.
    pub category: String,
    /// The one-line form `help` lists.
    pub signature: String,
    /// The text `help <name>` shows.
    pub help: String,
}

/// One call of an [`RpcCommand`], as the client sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcCall {
    pub method: String,
    /// The `params` member as JSON text: an array or an object.
    pub params: String,
    /// The HTTP path, `/` or `/wallet/<name>` (URL-encoded as sent).
    pub uri: String,
    /// Who authenticated, for logs.
    pub user: String,
}

/// RPC methods whose arguments carry secrets (passphrases, private keys):
/// the GUI console keeps no line naming one in its history, and `-debug=ipc`
/// masks the parameters of a call to one. The reference console's list.
pub const SENSITIVE_RPC_METHODS: [&str; 10] = [
    "createwallet",
    "encryptwallet",
    "importmulti",
    "importprivkey",
    "migratewallet",
    "sethdseed",
    "signmessagewithprivkey",
    "signrawtransactionwithkey",
    "walletpassphrase",
    "walletpassphrasechange",
];

/// A JSON-RPC error, with the reference's code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcFault {
    pub code: i32,
    pub message: String,
}

/// Runs calls of the RPC methods a component registered.
#[async_trait]
pub trait RpcActor: Send + Sync {
    /// The result as JSON text, or the error to answer with.
    async fn call(&self, call: RpcCall) -> Result<std::result::Result<String, RpcFault>>;
}

/// What a GUI shows of a node at a glance: read once with
/// [`Node::status`], then kept current by [`NodeNotifications`] rather than
/// by polling.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeStatus {
    /// The active chain's tip.
    pub tip: BlockRef,
    /// Header time of the tip, seconds since the epoch: how far behind the
    /// node is, for the "blocks left" estimate.
    pub tip_time: i64,
    /// Height of the best header known (at least the tip's).
    pub headers: i32,
    pub initial_block_download: bool,
    pub connections_in: u32,
    pub connections_out: u32,
    pub network_active: bool,
    /// Bytes received and sent over P2P since start.
    pub bytes_recv: u64,
    pub bytes_sent: u64,
    /// Transactions in the mempool and their memory use.
    pub mempool_transactions: u64,
    pub mempool_usage: u64,
}

/// One connected peer, as a GUI's peer table lists it (a subset of
/// `getpeerinfo`).
#[derive(Clone, Debug, PartialEq)]
pub struct PeerSummary {
    pub id: i64,
    /// `host:port` as connected.
    pub address: String,
    /// The user agent it announced.
    pub user_agent: String,
    pub inbound: bool,
    /// The reference's names: `outbound-full-relay`, `block-relay-only`,
    /// `inbound`, `manual`, `feeler`, `addr-fetch`.
    pub connection_type: String,
    /// Last ping round trip in seconds, once measured.
    pub ping_seconds: Option<f64>,
    pub bytes_recv: u64,
    pub bytes_sent: u64,
    /// Height of the last block we both have (-1 unknown).
    pub synced_blocks: i32,
    /// Seconds since the epoch when the connection was made.
    pub connected_since: i64,
}

/// What a GUI needs from a node: start it (when spawned for the GUI), watch
/// it, drive its network, run console commands, stop it. The reference's
/// `interfaces::Node`, cut to what hashvive's GUI uses.
#[async_trait]
pub trait Node: Send + Sync {
    /// Starts a node that was spawned for a GUI with `args`, a command line
    /// read with the configuration file it names exactly as a `hashvive-node`
    /// started with it would; returns once the node serves, or with the
    /// start-up error the daemon would print. A node that runs already (the
    /// GUI attached with `-ipcconnect`) refuses.
    async fn start(&self, args: Vec<String>) -> Result<()>;
    async fn status(&self) -> Result<NodeStatus>;
    async fn peers(&self) -> Result<Vec<PeerSummary>>;
    /// `setnetworkactive`: disconnects every peer and stops connecting, or resumes.
    async fn set_network_active(&self, active: bool) -> Result<()>;
    /// Runs a JSON-RPC call for the GUI's console, as if sent over HTTP to
    /// `uri` (`/` or `/wallet/<name>`): `params` and the result are JSON text.
    async fn execute_rpc(
        &self,
        method: String,
        params: String,
        uri: String,
    ) -> Result<std::result::Result<String, RpcFault>>;
    /// The RPC method names, for the console's completion.
    async fn list_rpc_commands(&self) -> Result<Vec<String>>;
    /// Delivers start-up messages, new tips, changes in connections and
    /// network activity, and the start of shutdown to `notifications` until
    /// the returned handler is dropped.
    async fn handle_notifications(&self, notifications: Arc<dyn NodeNotifications>) -> Result<Box<dyn Handler>>;
    /// Requests shutdown (as `stop` does) and returns once the node has
    /// stopped, when this process runs it; an attached node only hears the
    /// request.
    async fn shutdown(&self) -> Result<()>;
    /// The node's wallets, wherever they run; [`Error::Unavailable`] for a
    /// node without them (`-disablewallet`, or built without).
    async fn wallet_loader(&self) -> Result<Arc<dyn WalletLoader>>;
    /// A setting kept in the node's `settings.json`, as JSON text; `None`
    /// when the file does not set it (the reference's `getPersistentSetting`).
    async fn setting(&self, name: String) -> Result<Option<String>>;
    /// Sets (JSON text) or removes (`None`) a setting in `settings.json`,
    /// read at the node's next start (the reference's `updateRwSetting`).
    async fn update_setting(&self, name: String, value: Option<String>) -> Result<()>;
}

/// What a GUI hears from its node. Each call returns before the next is made.
#[async_trait]
pub trait NodeNotifications: Send + Sync {
    /// A start-up step, for the splash screen ("Loading block index…").
    async fn init_message(&self, message: String);
    /// A new active tip and the status with it. During initial block download
    /// these are at most a few per second.
    async fn block_tip(&self, status: NodeStatus);
    /// The number of peers changed (checked once a second).
    async fn connections_changed(&self, inbound: u32, outbound: u32);
    /// P2P networking was switched off or on (`setnetworkactive`).
    async fn network_active_changed(&self, active: bool);
    /// The node has begun to shut down (`stop`, a signal, the GUI's request).
    async fn shutting_down(&self);
}
