//! [`Chainstate`]: the one owner of the block index, block files, UTXO set
//! and mempool. One lock guards them (like the reference's `cs_main`), held
//! only for synchronous work; readers of the tip use a watch channel instead.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bitcoin::block::Header;
use bitcoin::{Block, BlockHash, OutPoint, Transaction, Txid, Work};
use tokio::sync::{broadcast, watch};

use hashvive_consensus::script::{ConsensusVerifier, ScriptVerifier};
use hashvive_consensus::ChainParams;

use crate::blockfiles::{BlockFiles, FAST_PRUNE_BLOCKFILE_SIZE, MAX_BLOCKFILE_SIZE};
use crate::coins::{BlockUndo, Coin};
use crate::error::StoreError;
use crate::events::{ChainEvent, EventSink};
use crate::index::{BlockIndex, BlockRecord, Idx, Status};
use crate::mempool::{Mempool, MempoolOptions};
use crate::prune::{FileTable, PruneMode};
use crate::store::Store;

/// How many accepted transactions may wait for a slow subscriber before it
/// misses some (it is told how many through `RecvError::Lagged`).
const ACCEPTED_CHANNEL_CAPACITY: usize = 4096;

/// The active chain's tip as readers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tip {
    pub hash: BlockHash,
    pub height: u32,
    /// Block time, seconds since the epoch.
    pub time: u32,
    pub median_time_past: i64,
}

impl Tip {
    /// Whether the node is still catching up: its tip is older than a day
    /// (the reference's `IsInitialBlockDownload`, without the latch).
    pub fn is_initial_block_download(&self) -> bool {
        i64::from(self.time) < hashvive_common::time::now() - MAX_TIP_AGE
    }
}

/// A tip older than this means the node is still catching up.
const MAX_TIP_AGE: i64 = 24 * 60 * 60;

#[derive(Clone, Debug)]
pub struct ChainConfig {
    pub params: ChainParams,
    /// `<chain dir>/blocks`
    pub blocks_dir: PathBuf,
    /// `<chain dir>/chainstate`
    pub chainstate_dir: PathBuf,
    /// Database page cache (`-dbcache`).
    pub db_cache_bytes: usize,
    /// `-txindex`
    pub txindex: bool,
    /// `-prune`
    pub prune: PruneMode,
    /// `-fastprune`: small block files, so tests prune after a few blocks.
    pub fast_prune: bool,
    pub mempool: MempoolOptions,
    /// Longest time connected blocks stay in unsynced commits.
    pub flush_interval: Duration,
    /// Threads checking scripts (`-par`), at least 1.
    pub script_threads: usize,
}

/// Everything known about one block in the index.
#[derive(Clone, Debug)]
pub struct BlockInfo {
    pub hash: BlockHash,
    pub header: Header,
    pub height: u32,
    pub status: Status,
    pub n_tx: u32,
    pub chain_tx: u64,
    pub chain_work: Work,
    pub median_time_past: i64,
    /// Whether the block is on the active chain.
    pub active: bool,
    /// The next block on the active chain.
    pub next: Option<BlockHash>,
    pub have_data: bool,
}

impl BlockInfo {
    /// Whether the block's data was stored once and pruned since.
    pub fn pruned(&self) -> bool {
        !self.have_data && self.n_tx > 0
    }
}

/// A tip of the block tree, for `getchaintips`.
#[derive(Clone, Debug)]
pub struct ChainTip {
    pub hash: BlockHash,
    pub height: u32,
    /// Length of the branch from the active chain.
    pub branch_len: u32,
    pub status: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Index(String),
    /// The block files were pruned before and pruning is now off.
    #[error(
        "The block files of this data directory were pruned: the node cannot run on it without -prune. Start it \
         with -prune, or with an empty data directory to download the whole blockchain again."
    )]
    PrunedBefore,
}

pub struct Chainstate {
    params: ChainParams,
    pub(crate) inner: Mutex<Inner>,
    tip: watch::Sender<Tip>,
    /// Transactions submitted to the mempool, for relay to peers.
    pub(crate) accepted: broadcast::Sender<crate::Accepted>,
    pub(crate) verifier: Arc<dyn ScriptVerifier>,
    pub(crate) script_threads: usize,
}

pub(crate) struct Inner {
    pub(crate) index: BlockIndex,
    pub(crate) files: BlockFiles,
    pub(crate) store: Store,
    pub(crate) txindex: bool,
    pub(crate) prune: PruneMode,
    /// Whether any block file was ever pruned (kept in the database).
    pub(crate) have_pruned: bool,
    pub(crate) file_table: FileTable,
    pub(crate) mempool: Mempool,
    pub(crate) last_flush: Instant,
    pub(crate) flush_interval: Duration,
    /// The block just received, so connecting it does not read it back from disk.
    pub(crate) recent_block: Option<(Idx, Arc<Block>)>,
    pub(crate) fee_estimator: crate::fee_estimator::FeeEstimator,
    /// Fee rate (sat/kvB) below which the full mempool takes nothing, raised by evictions.
    pub(crate) rolling_min_fee: hashvive_policy::FeeRate,
    /// Where block and mempool changes are announced (the mempool holds a clone).
    pub(crate) events: EventSink,
}

impl Chainstate {
    /// Opens (or creates, starting from the genesis block) the chain state.
    pub fn open(config: ChainConfig) -> Result<Chainstate, ChainError> {
        std::fs::create_dir_all(&config.chainstate_dir).map_err(|e| StoreError::io(&config.chainstate_dir, e))?;
        let store = Store::open(&config.chainstate_dir.join("chainstate.redb"), config.db_cache_bytes)?;
        let have_pruned = store.have_pruned()?;
        if have_pruned && !config.prune.is_on() {
            return Err(ChainError::PrunedBefore);
        }
        let file_size = if config.fast_prune { FAST_PRUNE_BLOCKFILE_SIZE } else { MAX_BLOCKFILE_SIZE };
        let files = BlockFiles::open(&config.blocks_dir, config.params.network.magic(), file_size)?;
        let index = BlockIndex::load(store.load_index()?).map_err(ChainError::Index)?;
        let events = EventSink::default();
        let mut inner = Inner {
            // Only pruning reads it: an unpruned node skips the walk over every record.
            file_table: if config.prune.is_on() { FileTable::from_index(&index) } else { FileTable::default() },
            index,
            files,
            store,
            txindex: config.txindex,
            prune: config.prune,
            have_pruned,
            mempool: Mempool::new(config.mempool.clone(), events.clone()),
            last_flush: Instant::now(),
            flush_interval: config.flush_interval,
            recent_block: None,
            fee_estimator: Default::default(),
            rolling_min_fee: hashvive_policy::FeeRate::ZERO,
            events,
        };
        match inner.store.tip()? {
            Some(hash) => {
                let idx = inner
                    .index
                    .lookup(&hash)
                    .ok_or_else(|| ChainError::Index(format!("tip {hash} not in the block index")))?;
                inner.index.set_tip(Some(idx));
                // Of equal-work tips the one that was active stays so across restarts.
                inner.index.make_precious(idx);
            }
            None => inner.write_genesis(&config.params.genesis)?,
        }
        inner.remove_forgotten_files()?;
        inner.rebuild_candidates();
        let tip = inner.tip_summary();
        let chainstate = Chainstate {
            params: config.params,
            inner: Mutex::new(inner),
            tip: watch::Sender::new(tip),
            accepted: broadcast::Sender::new(ACCEPTED_CHANNEL_CAPACITY),
            verifier: Arc::new(ConsensusVerifier),
            script_threads: config.script_threads.max(1),
        };
        chainstate.sync_txindex()?;
        // Blocks that arrived but were not connected before a restart connect now.
        chainstate.activate_best_chain()?;
        // A lower target than last time takes effect at once.
        chainstate.lock().prune_to_target(&chainstate.params)?;
        Ok(chainstate)
    }

    /// Builds the transaction index up to the tip when `-txindex` is on, or
    /// drops it when it was turned off.
    fn sync_txindex(&self) -> Result<(), ChainError> {
        let inner = self.lock();
        let indexed = inner.store.txindex_height()?;
        if !inner.txindex {
            if indexed.is_some() {
                inner.store.write(true, |w| w.set_txindex_height(None))?;
            }
            return Ok(());
        }
        let tip_height = inner.tip_summary().height;
        let start = indexed.map_or(0, |h| h + 1);
        if start <= tip_height {
            tracing::info!("txindex is enabled at height {start}; indexing up to {tip_height}");
        }
        for height in start..=tip_height {
            let idx = inner
                .index
                .at_height(height)
                .ok_or_else(|| ChainError::Index(format!("no active block at {height}")))?;
            let pos = inner
                .record(idx)
                .data
                .ok_or_else(|| StoreError::Corrupt(format!("active block {height} has no data")))?;
            let block = inner.files.read_block(pos)?;
            inner.store.write(height == tip_height, |w| {
                crate::validation::index_block_txs(w, &block, pos)?;
                w.set_txindex_height(Some(height))
            })?;
        }
        Ok(())
    }

    pub fn params(&self) -> &ChainParams {
        &self.params
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock would be a bug; the state it guards is
        // still consistent on disk, so carry on rather than poison every caller.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn tip(&self) -> Tip {
        *self.tip.borrow()
    }

    pub fn subscribe_tip(&self) -> watch::Receiver<Tip> {
        self.tip.subscribe()
    }

    /// Every block and mempool change from now on, in order, with the tip
    /// they start from (taken together under the lock, so none is missed).
    pub fn subscribe_events(&self) -> (Tip, tokio::sync::mpsc::UnboundedReceiver<ChainEvent>) {
        let inner = self.lock();
        (inner.tip_summary(), inner.events.subscribe())
    }

    /// Waits (up to `timeout`) until every event listener has handled the
    /// events emitted so far: `sendrawtransaction` returns once wallets know
    /// of the transaction, as the reference's does.
    pub fn flush_events(&self, timeout: std::time::Duration) {
        let done = self.lock().events.flush();
        // Only disconnection ends the wait: nothing is ever sent.
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = done.recv_timeout(timeout) {
            tracing::warn!("Event listeners did not catch up within {} s", timeout.as_secs());
        }
    }

    pub(crate) fn publish_tip(&self, inner: &Inner) {
        let tip = inner.tip_summary();
        self.tip.send_if_modified(|current| {
            let changed = *current != tip;
            *current = tip;
            changed
        });
    }

    /// Transactions accepted into the mempool with [`crate::AcceptMode::Submit`]
    /// from now on (from peers, RPC or the mempool file), for relay. Unlike
    /// [`ChainEvent::TransactionAdded`](crate::ChainEvent), which reports every
    /// addition in order (reorganisations re-adding transactions included), this
    /// names only what should be announced to peers, as the reference relays
    /// explicitly rather than on every mempool change; a slow reader may miss
    /// some, which only delays their relay.
    pub fn subscribe_accepted(&self) -> broadcast::Receiver<crate::Accepted> {
        self.accepted.subscribe()
    }

    /// Waits until the tip is not `current` or `timeout` has passed; returns the tip then.
    pub async fn wait_tip_changed(&self, current: BlockHash, timeout: Duration) -> Tip {
        self.wait_for_tip(|tip| tip.hash != current, timeout).await
    }

    /// Waits until `done(tip)` holds or `timeout` has passed; returns the tip then.
    pub async fn wait_for_tip(&self, mut done: impl FnMut(&Tip) -> bool, timeout: Duration) -> Tip {
        let mut rx = self.tip.subscribe();
        // The sender lives as long as `self`, so waiting only ends with a match.
        let _ = tokio::time::timeout(timeout, rx.wait_for(|tip| done(tip))).await;
        self.tip()
    }

    pub fn block_info(&self, hash: &BlockHash) -> Option<BlockInfo> {
        let inner = self.lock();
        inner.index.lookup(hash).map(|idx| inner.info(idx))
    }

    pub fn block_hash_at(&self, height: u32) -> Option<BlockHash> {
        let inner = self.lock();
        inner.index.at_height(height).map(|i| inner.index.get(i).hash)
    }

    /// The height of the first active block whose time, or an earlier
    /// block's, is at least `time` (the reference's `FindEarliestAtLeast`).
    pub fn first_height_at_time(&self, time: i64) -> Option<u32> {
        let inner = self.lock();
        let index = &inner.index;
        let tip = inner.tip_summary().height;
        // `time_max` never decreases along a chain: a binary search finds it.
        let time_max = |h: u32| index.at_height(h).map_or(i64::MAX, |i| i64::from(index.get(i).time_max));
        let (mut low, mut high) = (0, tip + 1);
        while low < high {
            let mid = low + (high - low) / 2;
            if time_max(mid) < time {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        (low <= tip).then_some(low)
    }

    /// The ancestor of `hash` at `height`.
    pub fn ancestor_info(&self, hash: &BlockHash, height: u32) -> Option<BlockInfo> {
        let inner = self.lock();
        let idx = inner.index.lookup(hash)?;
        inner.index.ancestor(idx, height).map(|a| inner.info(a))
    }

    /// Reads a block from disk; `None` if unknown or its data is not held.
    pub fn read_block(&self, hash: &BlockHash) -> Result<Option<Block>, StoreError> {
        let inner = self.lock();
        let Some(pos) = inner.index.lookup(hash).and_then(|i| inner.index.get(i).record.data) else {
            return Ok(None);
        };
        inner.files.read_block(pos).map(Some)
    }

    pub fn read_block_bytes(&self, hash: &BlockHash) -> Result<Option<Vec<u8>>, StoreError> {
        let inner = self.lock();
        let Some(pos) = inner.index.lookup(hash).and_then(|i| inner.index.get(i).record.data) else {
            return Ok(None);
        };
        inner.files.read_block_bytes(pos).map(Some)
    }

    /// What the block spent, for connected blocks (`None` for the genesis block
    /// and blocks never connected).
    pub fn read_undo(&self, hash: &BlockHash) -> Result<Option<BlockUndo>, StoreError> {
        let inner = self.lock();
        let Some(idx) = inner.index.lookup(hash) else { return Ok(None) };
        let entry = inner.index.get(idx);
        let Some(pos) = entry.record.undo else { return Ok(None) };
        inner.files.read_undo(pos, &entry.record.header.prev_blockhash).map(Some)
    }

    /// An unspent output of the active chain.
    pub fn utxo(&self, outpoint: &OutPoint) -> Result<Option<Coin>, StoreError> {
        self.lock().store.coin(outpoint)
    }

    /// Calls `f` with every unspent output of the active chain, and returns the tip it belongs to.
    pub fn for_each_utxo(&self, f: impl FnMut(OutPoint, Coin)) -> Result<Tip, StoreError> {
        let inner = self.lock();
        inner.store.for_each_coin(f)?;
        Ok(inner.tip_summary())
    }

    /// A confirmed transaction through `-txindex`, with its block's hash.
    pub fn indexed_tx(&self, txid: &Txid) -> Result<Option<(Transaction, BlockHash)>, StoreError> {
        let inner = self.lock();
        if !inner.txindex {
            return Ok(None);
        }
        let Some(loc) = inner.store.tx_location(txid)? else { return Ok(None) };
        let block = inner.files.read_block(loc.block)?;
        let hash = block.block_hash();
        let tx = block.txdata.into_iter().find(|tx| tx.compute_txid() == *txid);
        Ok(tx.map(|tx| (tx, hash)))
    }

    pub fn txindex_enabled(&self) -> bool {
        self.lock().txindex
    }

    /// Every tip of the block tree (blocks without children), active one first.
    pub fn chain_tips(&self) -> Vec<ChainTip> {
        let inner = self.lock();
        let index = &inner.index;
        let active_tip = index.tip();
        let mut tips: Vec<ChainTip> = index
            .iter()
            .filter(|(i, _)| index.is_leaf(*i) || Some(*i) == active_tip)
            .map(|(i, e)| {
                let fork = index.fork_point(i).map_or(0, |f| index.get(f).height());
                let status = if Some(i) == active_tip {
                    "active"
                } else if e.status().is_failed() {
                    "invalid"
                } else if e.chain_tx == 0 {
                    "headers-only"
                } else if e.status().contains(Status::VALID_SCRIPTS) {
                    "valid-fork"
                } else {
                    "valid-headers"
                };
                ChainTip { hash: e.hash, height: e.height(), branch_len: e.height() - fork, status }
            })
            .collect();
        tips.sort_by_key(|t| (t.status != "active", std::cmp::Reverse(t.height)));
        tips
    }

    /// The most-work header not known to be invalid.
    pub fn best_header(&self) -> Option<BlockInfo> {
        let inner = self.lock();
        let best = inner.index.iter().filter(|(_, e)| !e.status().is_failed()).max_by_key(|(_, e)| e.chain_work);
        best.map(|(idx, _)| inner.info(idx))
    }

    /// `verifychain`: re-reads the last `depth` active blocks and their undo
    /// data and checks them again without context.
    pub fn verify_chain(&self, depth: u32) -> Result<bool, ChainError> {
        let tip = self.tip();
        let lowest = tip.height.saturating_sub(depth.saturating_sub(1)).max(1);
        for height in (lowest..=tip.height).rev() {
            let Some(hash) = self.block_hash_at(height) else { return Ok(false) };
            let Some(block) = self.read_block(&hash)? else {
                if self.prune_mode().is_on() {
                    tracing::info!("Block verification stopping at height {height} (no data)");
                    break;
                }
                return Ok(false);
            };
            if block.block_hash() != hash
                || hashvive_consensus::block::check_block(&block, &self.params, true, true).is_err()
            {
                tracing::error!("Verification error: block {hash} at height {height} does not check");
                return Ok(false);
            }
            match self.read_undo(&hash) {
                Ok(Some(undo)) if undo.txs.len() + 1 == block.txdata.len() => {}
                _ => {
                    tracing::error!("Verification error: undo data of block {hash} is missing or corrupt");
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// Syncs everything to disk (at shutdown, and after bulk work like `generatetoaddress`).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.lock().flush(true)
    }
}

impl Inner {
    pub(crate) fn tip_idx(&self) -> Idx {
        // Set at open and never cleared.
        self.index.tip().expect("the chain always has a tip")
    }

    pub(crate) fn tip_summary(&self) -> Tip {
        let idx = self.tip_idx();
        let e = self.index.get(idx);
        Tip {
            hash: e.hash,
            height: e.height(),
            time: e.record.header.time,
            median_time_past: self.index.median_time_past(idx),
        }
    }

    pub(crate) fn info(&self, idx: Idx) -> BlockInfo {
        let e = self.index.get(idx);
        let active = self.index.is_active(idx);
        BlockInfo {
            hash: e.hash,
            header: e.record.header,
            height: e.height(),
            status: e.status(),
            n_tx: e.record.n_tx,
            chain_tx: e.chain_tx,
            chain_work: e.chain_work,
            median_time_past: self.index.median_time_past(idx),
            active,
            next: if active { self.index.at_height(e.height() + 1).map(|n| self.index.get(n).hash) } else { None },
            have_data: e.status().contains(Status::HAVE_DATA),
        }
    }

    fn write_genesis(&mut self, genesis: &Block) -> Result<(), StoreError> {
        let pos = self.files.write_block(genesis)?;
        self.file_table.add(pos.file, 0);
        let idx = self.index.insert(genesis.header, Status::VALID_TREE);
        self.index.data_received(idx, genesis.txdata.len() as u32, pos);
        self.index.update(idx, |r| r.status.raise_validity(Status::VALID_SCRIPTS));
        self.index.set_tip(Some(idx));
        // The genesis coinbase is not spendable: no coin is added for it.
        self.files.sync()?;
        let dirty = self.index.take_dirty();
        let hash = genesis.block_hash();
        self.store.write(true, |w| {
            for (h, r) in &dirty {
                w.put_block(h, r)?;
            }
            w.set_tip(&hash)
        })
    }

    /// Every block that could become the tip: all data on the way, not known
    /// invalid, at least as much work as the tip.
    pub(crate) fn rebuild_candidates(&mut self) {
        let tip_work = self.index.get(self.tip_idx()).chain_work;
        let candidates: Vec<Idx> = self
            .index
            .iter()
            .filter(|(_, e)| e.chain_tx > 0 && !e.status().is_failed() && e.chain_work >= tip_work)
            .map(|(i, _)| i)
            .collect();
        for idx in candidates {
            self.index.add_candidate(idx);
        }
    }

    /// Writes changed index records; synced to disk when `durable`, or when
    /// the last sync is older than the flush interval.
    pub(crate) fn flush(&mut self, durable: bool) -> Result<(), StoreError> {
        let durable = durable || self.last_flush.elapsed() >= self.flush_interval;
        if durable {
            self.files.sync()?;
        }
        let dirty = self.index.take_dirty();
        self.store.write(durable, |w| {
            for (h, r) in &dirty {
                w.put_block(h, r)?;
            }
            Ok::<_, StoreError>(())
        })?;
        if durable {
            self.last_flush = Instant::now();
        }
        Ok(())
    }

    pub(crate) fn record(&self, idx: Idx) -> &BlockRecord {
        &self.index.get(idx).record
    }
}
