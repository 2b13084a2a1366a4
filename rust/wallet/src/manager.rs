//! [`WalletManager`]: the loaded wallets, kept in step with the node's chain
//! through a `dyn Chain` — caught up from blocks at load and before each
//! request, and told of every change through `ChainNotifications`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};

use bdk_wallet::chain::BlockId;
use bitcoin::consensus::deserialize;
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, Network, Transaction};
use tokio::sync::Mutex as AsyncMutex;

use hashvive_interfaces::{
    async_trait, BlockRef, Chain, ChainNotifications, Handler, RemovalReason, WalletNotifications,
};

use crate::error::WalletError;
use crate::output_type::OutputType;
use crate::wallet::{CreateOptions, NewWalletFile, Wallet, WALLET_FILE};

/// A loaded wallet; the lock is held across a whole request (a send holds it
/// from coin selection to broadcast, so two sends never pick the same coins).
pub type SharedWallet = Arc<AsyncMutex<Wallet>>;

/// Blocks read from the node per call while catching up.
const CATCH_UP_BATCH: u32 = 100;

/// Settings the wallets run with.
#[derive(Clone, Debug)]
pub struct WalletOptions {
    /// `-walletdir`, or `<chain dir>/wallets`.
    pub dir: PathBuf,
    pub network: Network,
    /// `-fallbackfee` in sat/kvB; 0 disables it.
    pub fallback_fee: u64,
    /// `-maxtxfee` in satoshis.
    pub max_tx_fee: i64,
    /// `-paytxfee` in sat/kvB, each wallet's rate until `settxfee`; 0 lets
    /// the wallet estimate.
    pub pay_tx_fee: u64,
    /// `-mintxfee` in sat/kvB: no transaction pays less.
    pub min_tx_fee: u64,
    /// `-txconfirmtarget`: the blocks a fee estimate aims at.
    pub confirm_target: u32,
    /// `-keypool`: addresses derived ahead, per descriptor.
    pub keypool: u32,
    /// `-addresstype`: what `getnewaddress` hands out unless told.
    pub address_type: OutputType,
    /// `-changetype`: the type of change addresses; the wallet picks if unset.
    pub change_type: Option<OutputType>,
}

impl WalletOptions {
    /// The defaults, for wallets in `dir` on `network`.
    pub fn new(dir: PathBuf, network: Network) -> WalletOptions {
        WalletOptions {
            dir,
            network,
            fallback_fee: 0,
            max_tx_fee: 10_000_000,
            pay_tx_fee: 0,
            min_tx_fee: 100,
            confirm_target: 6,
            keypool: crate::wallet::DEFAULT_KEYPOOL,
            address_type: OutputType::Bech32,
            change_type: None,
        }
    }
}

pub struct WalletManager {
    chain: Arc<dyn Chain>,
    options: WalletOptions,
    wallets: Mutex<BTreeMap<String, SharedWallet>>,
    /// Rescans under way, by wallet name.
    scans: Mutex<BTreeMap<String, Arc<Scan>>>,
    /// Notifications stop when the manager goes.
    notifications: Mutex<Option<Box<dyn Handler>>>,
    /// Who hears of each wallet's changed transactions (a GUI).
    watchers: Arc<Watchers>,
    /// Who hears the name of each wallet loaded (a GUI, through its loader).
    load_watchers: Mutex<Vec<(u64, tokio::sync::mpsc::UnboundedSender<String>)>>,
}

impl WalletManager {
    /// A manager with no wallets loaded, listening to the chain.
    pub async fn start(chain: Arc<dyn Chain>, options: WalletOptions) -> Result<Arc<WalletManager>, WalletError> {
        std::fs::create_dir_all(&options.dir).map_err(|e| {
            WalletError::Other(format!("Cannot create wallet directory {}: {e}", options.dir.display()))
        })?;
        let manager = Arc::new(WalletManager {
            chain: chain.clone(),
            options,
            wallets: Mutex::new(BTreeMap::new()),
            scans: Mutex::new(BTreeMap::new()),
            notifications: Mutex::new(None),
            watchers: Arc::default(),
            load_watchers: Mutex::default(),
        });
        let follower = Arc::new(Follower(Arc::downgrade(&manager)));
        let handler = chain.handle_notifications(follower).await?;
        *lock(&manager.notifications) = Some(handler);
        Ok(manager)
    }

    pub fn chain(&self) -> &Arc<dyn Chain> {
        &self.chain
    }

    pub fn options(&self) -> &WalletOptions {
        &self.options
    }

    /// The directory of wallet `name` (the wallet directory itself for "").
    pub fn wallet_dir(&self, name: &str) -> PathBuf {
        self.options.dir.join(name)
    }

    /// Creates a wallet as `options` say (the keypool is `-keypool`);
    /// one already there (loaded or not) is refused by its file.
    pub async fn create_wallet(&self, name: &str, options: CreateOptions<'_>) -> Result<SharedWallet, WalletError> {
        let tip = self.chain.get_tip().await?;
        let options = CreateOptions { keypool: self.options.keypool, ..options };
        let mut wallet = Wallet::create(name, &self.wallet_dir(name), self.options.network, options)?;
        let tip = BlockId { height: tip.height as u32, hash: BlockHash::from_byte_array(tip.hash) };
        wallet.start_at(tip)?;
        self.add(name, wallet).await
    }

    pub async fn load_wallet(&self, name: &str) -> Result<SharedWallet, WalletError> {
        self.check_not_loaded(name)?;
        let wallet = Wallet::load(name, &self.wallet_dir(name), self.options.network, self.options.keypool)?;
        self.add(name, wallet).await
    }

    /// Loads a wallet restored from the backup `file` as `name`; nothing is
    /// left behind if it does not load.
    pub async fn restore_wallet(&self, name: &str, file: &Path) -> Result<SharedWallet, WalletError> {
        let target = NewWalletFile::start(&self.wallet_dir(name))?;
        std::fs::copy(file, target.path())
            .map_err(|e| WalletError::Other(format!("Cannot copy the backup {}: {e}", file.display())))?;
        let wallet = self.load_wallet(name).await?;
        target.keep();
        Ok(wallet)
    }

    /// Takes the wallet out; it is closed once requests under way finish.
    pub fn unload_wallet(&self, name: &str) -> Option<SharedWallet> {
        let unloaded = lock(&self.wallets).remove(name);
        if unloaded.is_some() {
            self.watchers.unloaded(name);
        }
        unloaded
    }

    pub fn get(&self, name: &str) -> Option<SharedWallet> {
        lock(&self.wallets).get(name).cloned()
    }

    /// Loaded wallets by name.
    pub fn loaded(&self) -> Vec<(String, SharedWallet)> {
        lock(&self.wallets).iter().map(|(n, w)| (n.clone(), w.clone())).collect()
    }

    /// Names of the wallets in the wallet directory, loaded or not.
    pub fn list_wallet_dir(&self) -> Vec<String> {
        let mut names = Vec::new();
        if self.options.dir.join(WALLET_FILE).is_file() {
            names.push(String::new());
        }
        collect_wallets(&self.options.dir, &self.options.dir, &mut names);
        names.sort();
        names
    }

    fn check_not_loaded(&self, name: &str) -> Result<(), WalletError> {
        match lock(&self.wallets).contains_key(name) {
            true => Err(WalletError::AlreadyLoaded(name.to_string())),
            false => Ok(()),
        }
    }

    async fn add(&self, name: &str, mut wallet: Wallet) -> Result<SharedWallet, WalletError> {
        wallet.set_pay_tx_fee(self.options.pay_tx_fee);
        let wallet = Arc::new(AsyncMutex::new(wallet));
        // Listed first, so no notification after the catch-up is missed.
        lock(&self.wallets).insert(name.to_string(), wallet.clone());
        if let Err(e) = self.catch_up_with_mempool(&mut *wallet.lock().await).await {
            lock(&self.wallets).remove(name);
            return Err(e);
        }
        lock(&self.load_watchers).retain(|(_, sender)| sender.send(name.to_string()).is_ok());
        Ok(wallet)
    }

    /// A wallet just loaded catches up with blocks, then takes in the mempool.
    async fn catch_up_with_mempool(&self, wallet: &mut Wallet) -> Result<(), WalletError> {
        self.catch_up(wallet).await?;
        let now = hashvive_common::time::now().max(0) as u64;
        for tx in self.chain.mempool_transactions().await? {
            wallet.apply_unconfirmed(decode(&tx)?, now)?;
        }
        Ok(())
    }

    /// Brings a wallet to the node's tip: back to where its blocks still
    /// match the active chain, then forward block by block.
    pub async fn catch_up(&self, wallet: &mut Wallet) -> Result<(), WalletError> {
        let tip = self.chain.get_tip().await?;
        if wallet.last_block().hash.to_byte_array() == tip.hash {
            return Ok(());
        }
        let mut fork = wallet.ledger().latest_checkpoint();
        while self.chain.get_block_hash(fork.height() as i32).await? != Some(fork.hash().to_byte_array()) {
            fork = fork.prev().ok_or_else(|| WalletError::Load("the wallet is for another chain".into()))?;
        }
        if self.chain.prune_height().await?.is_some_and(|pruned| pruned > fork.height() as i32) {
            return Err(WalletError::Load(
                "Prune: last wallet synchronisation goes beyond pruned data. The blocks it missed are no longer on \
                 this node: it must download the whole blockchain again (an empty data directory) to load this wallet."
                    .into(),
            ));
        }
        // Blocks the wallet took above the fork are no longer in the chain.
        wallet.disconnect_above(fork.height())?;
        let mut height = fork.height() + 1;
        loop {
            let blocks = self.chain.read_blocks(height as i32, CATCH_UP_BATCH).await?;
            if blocks.is_empty() {
                return Ok(());
            }
            for bytes in blocks {
                let block: Block = decode(&bytes)?;
                if !wallet.apply_block(&block, height)? {
                    return Err(WalletError::Other(format!("block {} does not connect", block.block_hash())));
                }
                height += 1;
            }
        }
    }

    /// Marks wallet `name` as rescanning `start..=stop` until the guard is
    /// dropped; `None` while another rescan of it runs.
    pub fn begin_scan(self: &Arc<Self>, name: &str, start: u32, stop: u32) -> Option<ScanGuard> {
        let mut scans = lock(&self.scans);
        if scans.contains_key(name) {
            return None;
        }
        let scan = Arc::new(Scan {
            started: std::time::Instant::now(),
            start,
            stop,
            reached: AtomicU32::new(start),
            abort: AtomicBool::new(false),
        });
        scans.insert(name.to_string(), scan.clone());
        Some(ScanGuard { manager: self.clone(), name: name.to_string(), scan })
    }

    /// The rescan of wallet `name` under way, if any.
    pub fn scan(&self, name: &str) -> Option<Arc<Scan>> {
        lock(&self.scans).get(name).cloned()
    }

    /// Tells `notifications` of wallet `name`'s changed transactions, and
    /// of its unloading, until the returned handler is dropped.
    pub fn watch(&self, name: &str, notifications: Arc<dyn WalletNotifications>) -> Box<dyn Handler> {
        self.watchers.add(name, notifications)
    }

    /// Sends `loaded` the name of each wallet loaded from now on, until the
    /// returned handler is dropped.
    pub fn watch_loads(self: &Arc<Self>, loaded: tokio::sync::mpsc::UnboundedSender<String>) -> Box<dyn Handler> {
        let id = self.watchers.next_id.fetch_add(1, Ordering::Relaxed);
        lock(&self.load_watchers).push((id, loaded));
        let manager = Arc::downgrade(self);
        Box::new(OnDrop(Some(Box::new(move || {
            if let Some(manager) = manager.upgrade() {
                lock(&manager.load_watchers).retain(|(watcher, _)| *watcher != id);
            }
        }))))
    }

    /// Tells the watchers of wallet `name` that it was encrypted, unlocked
    /// or locked.
    pub(crate) fn status_changed(&self, name: &str) {
        self.watchers.send(name, WalletEvent::StatusChanged);
    }

    /// Tells the watchers of wallet `name` which of `txs` concern it.
    fn changed<'a>(&self, name: &str, wallet: &Wallet, txs: impl IntoIterator<Item = &'a Transaction>) {
        if !self.watchers.any_of(name) {
            return;
        }
        for tx in txs.into_iter().filter(|tx| wallet.concerns(tx, &[])) {
            self.watchers.send(name, WalletEvent::Changed(tx.compute_txid().to_byte_array()));
        }
    }
}

/// What a wallet's watchers hear.
#[derive(Clone, Copy)]
enum WalletEvent {
    Changed([u8; 32]),
    StatusChanged,
    Unloaded,
}

/// The [`WalletNotifications`] registered per wallet, each served in order by
/// a task of its own, so a slow GUI delays no wallet and no other listener.
#[derive(Default)]
struct Watchers {
    list: Mutex<Vec<Watcher>>,
    next_id: std::sync::atomic::AtomicU64,
}

struct Watcher {
    id: u64,
    wallet: String,
    sender: tokio::sync::mpsc::UnboundedSender<WalletEvent>,
}

impl Watchers {
    fn add(self: &Arc<Self>, wallet: &str, notifications: Arc<dyn WalletNotifications>) -> Box<dyn Handler> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel();
        lock(&self.list).push(Watcher { id, wallet: wallet.to_string(), sender });
        tokio::spawn(async move {
            while let Some(event) = receiver.recv().await {
                match event {
                    WalletEvent::Changed(txid) => notifications.transaction_changed(txid).await,
                    WalletEvent::StatusChanged => notifications.status_changed().await,
                    WalletEvent::Unloaded => return notifications.unloaded().await,
                }
            }
        });
        let watchers = Arc::downgrade(self);
        Box::new(OnDrop(Some(Box::new(move || {
            if let Some(watchers) = watchers.upgrade() {
                lock(&watchers.list).retain(|w| w.id != id);
            }
        }))))
    }

    fn any_of(&self, wallet: &str) -> bool {
        lock(&self.list).iter().any(|w| w.wallet == wallet)
    }

    fn send(&self, wallet: &str, event: WalletEvent) {
        for watcher in lock(&self.list).iter().filter(|w| w.wallet == wallet) {
            let _ = watcher.sender.send(event);
        }
    }

    /// The last word to a wallet's watchers: a wallet loaded again under the
    /// same name has watchers of its own.
    fn unloaded(&self, wallet: &str) {
        self.send(wallet, WalletEvent::Unloaded);
        lock(&self.list).retain(|w| w.wallet != wallet);
    }
}

/// A registration that ends when its handler is disconnected or dropped.
struct OnDrop(Option<Box<dyn FnOnce() + Send>>);

impl Handler for OnDrop {
    fn disconnect(&mut self) {
        if let Some(end) = self.0.take() {
            end();
        }
    }
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.disconnect();
    }
}

/// A rescan under way (`rescanblockchain`), as `getwalletinfo` and
/// `abortrescan` see it.
pub struct Scan {
    pub started: std::time::Instant,
    start: u32,
    stop: u32,
    /// The next height to scan.
    reached: AtomicU32,
    abort: AtomicBool,
}

impl Scan {
    /// How far along the rescan is, from 0 to 1.
    pub fn progress(&self) -> f64 {
        let done = self.reached.load(Ordering::Relaxed).saturating_sub(self.start);
        f64::from(done) / f64::from(self.stop - self.start + 1)
    }

    pub fn set_reached(&self, height: u32) {
        self.reached.store(height, Ordering::Relaxed);
    }

    /// Asks the rescan to stop; `false` when it was asked already.
    pub fn request_abort(&self) -> bool {
        !self.abort.swap(true, Ordering::Relaxed)
    }

    pub fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }
}

/// Ends a rescan's registration when dropped, however the rescan ends.
pub struct ScanGuard {
    manager: Arc<WalletManager>,
    name: String,
    pub scan: Arc<Scan>,
}

impl Drop for ScanGuard {
    fn drop(&mut self) {
        lock(&self.manager.scans).remove(&self.name);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn decode<T: bitcoin::consensus::Decodable>(bytes: &[u8]) -> Result<T, WalletError> {
    deserialize(bytes).map_err(|e| WalletError::Other(format!("undecodable data from the node: {e}")))
}

/// Wallet directories below `dir`, named relative to `root`.
fn collect_wallets(root: &Path, dir: &Path, names: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.join(WALLET_FILE).is_file() {
            if let Ok(rel) = path.strip_prefix(root) {
                names.push(rel.to_string_lossy().into_owned());
            }
        }
        collect_wallets(root, &path, names);
    }
}

/// Hears the node's notifications for the manager's wallets; weak, so the
/// manager's end is not delayed by a notification in flight.
struct Follower(Weak<WalletManager>);

#[async_trait]
impl ChainNotifications for Follower {
    async fn transaction_added_to_mempool(&self, tx: Vec<u8>) {
        let (Some(m), Ok(tx)) = (self.0.upgrade(), decode::<Transaction>(&tx)) else { return };
        let mut concerned = Vec::new();
        for (name, wallet) in m.loaded() {
            if wallet.lock().await.concerns(&tx, &[]) {
                concerned.push((name, wallet));
            }
        }
        if concerned.is_empty() {
            return;
        }
        // The notice may come after a wallet caught up with a block that
        // confirmed the transaction already (a wallet catches up before each
        // call, notices arrive when they arrive); only one still in the
        // mempool is pending.
        let txid = tx.compute_txid();
        if !m.chain.is_in_mempool(txid.to_byte_array()).await.unwrap_or(false) {
            return;
        }
        let now = hashvive_common::time::now().max(0) as u64;
        for (name, wallet) in concerned {
            let mut wallet = wallet.lock().await;
            match wallet.apply_unconfirmed(tx.clone(), now) {
                Ok(()) => m.changed(&name, &wallet, [&tx]),
                Err(e) => tracing::error!("Wallet {name}: {e}"),
            }
        }
    }

    async fn transaction_removed_from_mempool(&self, tx: Vec<u8>, reason: RemovalReason) {
        // Confirmed ones arrive with their block; reorganised ones come back.
        if matches!(reason, RemovalReason::Block | RemovalReason::Reorg) {
            return;
        }
        let (Some(m), Ok(tx)) = (self.0.upgrade(), decode::<Transaction>(&tx)) else { return };
        let now = hashvive_common::time::now().max(0) as u64;
        let txid = tx.compute_txid();
        for (name, wallet) in m.loaded() {
            let mut wallet = wallet.lock().await;
            match wallet.apply_evicted(txid, now) {
                Ok(()) => m.changed(&name, &wallet, [&tx]),
                Err(e) => tracing::error!("Wallet {name}: {e}"),
            }
        }
    }

    async fn block_connected(&self, block: Vec<u8>, height: i32) {
        let (Some(m), Ok(block)) = (self.0.upgrade(), decode::<Block>(&block)) else { return };
        for (name, wallet) in m.loaded() {
            let mut wallet = wallet.lock().await;
            let applied = wallet.apply_block(&block, height as u32);
            // A wallet that missed blocks (or is behind a reorganisation) reads them.
            let result = match applied {
                Ok(true) => Ok(()),
                Ok(false) => m.catch_up(&mut wallet).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => m.changed(&name, &wallet, &block.txdata),
                Err(e) => tracing::error!("Wallet {name}: block {}: {e}", block.block_hash()),
            }
        }
    }

    async fn block_disconnected(&self, block: Vec<u8>, height: i32) {
        let (Some(m), Ok(block)) = (self.0.upgrade(), decode::<Block>(&block)) else { return };
        let id = BlockId { height: height.max(0) as u32, hash: block.block_hash() };
        // Its transactions are unconfirmed from now (those the node takes
        // back into its mempool come back as such).
        for (name, wallet) in m.loaded() {
            let mut wallet = wallet.lock().await;
            match wallet.disconnect_block(id) {
                Ok(()) => m.changed(&name, &wallet, &block.txdata),
                Err(e) => tracing::error!("Wallet {name}: {e}"),
            }
        }
    }

    async fn updated_block_tip(&self, _tip: BlockRef) {
        // Each connected block was persisted as it came; nothing is pending.
    }
}
