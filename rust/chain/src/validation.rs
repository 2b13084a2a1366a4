//! Accepting headers and blocks, connecting and disconnecting them, and moving
//! the active chain to the most-work valid tip (reorganising when needed).

use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::consensus::serialize;
use bitcoin::{Amount, Block, BlockHash, OutPoint, Transaction, TxOut};

use hashvive_consensus::block::{
    block_subsidy, check_block, check_block_header, contextual_check_block, contextual_check_block_header, BlockError,
    HeaderContext,
};
use hashvive_consensus::locks::{calculate_sequence_locks, sequence_locks_satisfied};
use hashvive_consensus::pow::{next_work_required, HeaderInfo};
use hashvive_consensus::script::{block_script_flags, ScriptFlags, ScriptVerifier};
use hashvive_consensus::sigops::{transaction_sigop_cost, MAX_BLOCK_SIGOPS_COST};
use hashvive_consensus::tx::{check_tx_inputs, TxError};
use hashvive_consensus::{ChainParams, Deployment};
use hashvive_policy::is_unspendable;

use crate::blockfiles::FilePos;
use crate::chainstate::{ChainError, Chainstate, Inner};
use crate::coins::{BlockUndo, Coin};
use crate::error::StoreError;
use crate::events::ChainEvent;
use crate::index::{BlockIndex, Idx, Status};
use crate::store::{TxLocation, Writer};

/// Why a block or header was refused, in the reference's words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}{}", debug.as_ref().map(|d| format!(", {d}")).unwrap_or_default())]
pub struct Rejection {
    /// The reject reason (`bad-txnmrklroot`, `duplicate-invalid`, ...).
    pub reason: String,
    pub debug: Option<String>,
    /// The data may have been damaged in transit rather than the block being
    /// invalid; such a block is not marked invalid.
    pub mutated: bool,
}

impl Rejection {
    pub fn new(reason: impl Into<String>, debug: Option<String>) -> Rejection {
        Rejection { reason: reason.into(), debug, mutated: false }
    }
}

impl From<BlockError> for Rejection {
    fn from(e: BlockError) -> Rejection {
        Rejection { reason: e.reason().into_owned(), debug: e.debug(), mutated: e.is_mutation() }
    }
}

impl From<TxError> for Rejection {
    fn from(e: TxError) -> Rejection {
        Rejection::new(e.reason(), e.debug())
    }
}

/// What happened to a block handed to [`Chainstate::process_new_block`].
#[derive(Debug, PartialEq, Eq)]
pub struct BlockOutcome {
    /// The block's data was new to the node.
    pub new_block: bool,
    /// The verdict on this block, when it was fully checked (connected, or
    /// refused); `None` when it was stored without being connected.
    pub checked: Option<Result<(), Rejection>>,
}

/// A block connection failed either on the block's merits or on the node's storage.
enum ConnectError {
    Invalid(Rejection),
    Store(StoreError),
}

impl From<StoreError> for ConnectError {
    fn from(e: StoreError) -> Self {
        ConnectError::Store(e)
    }
}

impl From<Rejection> for ConnectError {
    fn from(r: Rejection) -> Self {
        ConnectError::Invalid(r)
    }
}

impl Chainstate {
    /// Checks, stores and (if it leads to the most-work chain) connects a block.
    pub fn process_new_block(&self, block: Arc<Block>) -> Result<BlockOutcome, ChainError> {
        let mut inner = self.lock();
        let params = self.params();
        if let Err(e) = check_block(&block, params, true, true) {
            return Ok(BlockOutcome { new_block: false, checked: Some(Err(e.into())) });
        }
        let idx = match inner.accept_header(&block.header, params) {
            Ok(idx) => idx,
            Err(r) => return Ok(BlockOutcome { new_block: false, checked: Some(Err(r)) }),
        };
        if inner.index.get(idx).status().contains(Status::HAVE_DATA) {
            return Ok(BlockOutcome { new_block: false, checked: None });
        }
        let (height, prev_mtp) = {
            let prev = inner.index.get(idx).prev.expect("only the genesis block has no parent, and it is stored");
            (inner.index.get(idx).height(), inner.index.median_time_past(prev))
        };
        if let Err(e) = contextual_check_block(&block, height, prev_mtp, params) {
            let rejection = Rejection::from(e);
            if !rejection.mutated {
                inner.mark_invalid(idx);
                inner.flush(false)?;
            }
            return Ok(BlockOutcome { new_block: false, checked: Some(Err(rejection)) });
        }
        let pos = inner.files.write_block(&block)?;
        inner.file_table.add(pos.file, height);
        for ready in inner.index.data_received(idx, block.txdata.len() as u32, pos) {
            let tip_work = inner.index.get(inner.tip_idx()).chain_work;
            if inner.index.get(ready).chain_work >= tip_work && !inner.index.get(ready).status().is_failed() {
                inner.index.add_candidate(ready);
            }
        }
        inner.recent_block = Some((idx, block));
        let checked = self.activate_locked(&mut inner, Some(idx))?;
        Ok(BlockOutcome { new_block: true, checked })
    }

    /// Checks a header and adds it to the index (`submitheader`).
    pub fn process_new_header(&self, header: &Header) -> Result<Result<(), Rejection>, ChainError> {
        self.process_new_headers(std::slice::from_ref(header))
    }

    /// Checks headers in order and adds them to the index, stopping at the
    /// first one refused; one lock and one index write for the lot (a peer's
    /// `headers` message carries up to 2000).
    pub fn process_new_headers(&self, headers: &[Header]) -> Result<Result<(), Rejection>, ChainError> {
        let mut inner = self.lock();
        let result = headers.iter().try_for_each(|h| inner.accept_header(h, self.params()).map(drop));
        inner.flush(false)?;
        Ok(result)
    }

    /// Connects blocks until the most-work valid chain is active.
    pub fn activate_best_chain(&self) -> Result<(), ChainError> {
        let mut inner = self.lock();
        self.activate_locked(&mut inner, None).map(drop)
    }

    /// `invalidateblock`: marks the block and its descendants invalid and
    /// moves the tip off them.
    pub fn invalidate_block(&self, hash: &BlockHash) -> Result<bool, ChainError> {
        let mut inner = self.lock();
        let Some(idx) = inner.index.lookup(hash) else { return Ok(false) };
        let mut disconnected = Vec::new();
        while inner.index.is_active(idx) {
            // The genesis block cannot be invalidated: stop above it.
            if inner.index.get(idx).prev.is_none() {
                break;
            }
            let tip = inner.tip_idx();
            disconnected.push(inner.disconnect_tip(tip)?);
        }
        if inner.index.get(idx).prev.is_some() {
            inner.mark_invalid(idx);
        }
        inner.rebuild_candidates();
        self.after_tip_change(&mut inner, disconnected, Vec::new())?;
        self.activate_locked(&mut inner, None)?;
        Ok(true)
    }

    /// `reconsiderblock`: clears invalidity from the block, its ancestors and descendants.
    pub fn reconsider_block(&self, hash: &BlockHash) -> Result<bool, ChainError> {
        let mut inner = self.lock();
        let Some(idx) = inner.index.lookup(hash) else { return Ok(false) };
        let mut affected = inner.index.descendants(idx);
        let mut cur = Some(idx);
        while let Some(i) = cur {
            affected.push(i);
            cur = inner.index.get(i).prev;
        }
        for i in affected {
            if inner.index.get(i).status().is_failed() {
                inner.index.update(i, |r| r.status.clear_failed());
            }
        }
        inner.rebuild_candidates();
        self.activate_locked(&mut inner, None)?;
        Ok(true)
    }

    /// `preciousblock`: prefers the block over others with the same work.
    pub fn precious_block(&self, hash: &BlockHash) -> Result<bool, ChainError> {
        let mut inner = self.lock();
        let Some(idx) = inner.index.lookup(hash) else { return Ok(false) };
        let tip_work = inner.index.get(inner.tip_idx()).chain_work;
        if inner.index.get(idx).chain_work >= tip_work {
            inner.index.make_precious(idx);
            inner.rebuild_candidates();
            self.activate_locked(&mut inner, None)?;
        }
        Ok(true)
    }

    /// The expected `bits` of a block on top of `prev`.
    pub(crate) fn required_bits(inner: &Inner, params: &ChainParams, prev: Idx, time: u32) -> bitcoin::CompactTarget {
        let info = |idx: Idx| {
            let e = inner.index.get(idx);
            HeaderInfo { height: e.height(), time: e.record.header.time, bits: e.record.header.bits }
        };
        // Heights are asked for in decreasing order (testnet and regtest walk
        // back over minimum-difficulty blocks, up to a period): walking the
        // parent links on from the last answer keeps a header's check linear
        // in that walk even off the active chain, where `ancestor` would
        // start again from `prev` each time.
        let cursor = std::cell::Cell::new(prev);
        next_work_required(params, info(prev), time, |h| {
            let mut idx = cursor.get();
            if inner.index.get(idx).height() < h {
                idx = prev;
            }
            while inner.index.get(idx).height() > h {
                // Ancestors of a known block are always in the index.
                idx = inner.index.get(idx).prev.expect("ancestor below a known block");
            }
            cursor.set(idx);
            info(idx)
        })
    }

    /// The reorganisation loop. Returns the verdict on `target` if it was connected or refused.
    pub(crate) fn activate_locked(
        &self,
        inner: &mut Inner,
        target: Option<Idx>,
    ) -> Result<Option<Result<(), Rejection>>, ChainError> {
        let mut verdict = None;
        let mut disconnected = Vec::new();
        let mut connected = Vec::new();
        while let Some(best) = inner.index.best_candidate() {
            let tip = inner.tip_idx();
            // Equal work can still win: `preciousblock` reorders equal tips.
            if best == tip || inner.index.get(best).chain_work < inner.index.get(tip).chain_work {
                break;
            }
            let fork = inner
                .index
                .fork_point(best)
                .ok_or_else(|| ChainError::Index("candidate off the genesis block".into()))?;
            let mut path = Vec::new();
            let mut cur = best;
            while cur != fork {
                path.push(cur);
                cur = inner.index.get(cur).prev.expect("the fork point is an ancestor");
            }
            // A branch with pruned blocks cannot be connected until they are downloaded again.
            if path.iter().any(|i| !inner.index.get(*i).status().contains(Status::HAVE_DATA)) {
                inner.index.remove_candidate(best);
                continue;
            }
            // Keep the old tip as a way back if the new branch turns out invalid.
            inner.index.add_candidate(tip);
            while inner.tip_idx() != fork {
                let tip = inner.tip_idx();
                disconnected.push(inner.disconnect_tip(tip)?);
            }
            for idx in path.into_iter().rev() {
                match self.connect_tip(inner, idx) {
                    Ok(block) => {
                        if Some(idx) == target {
                            verdict = Some(Ok(()));
                        }
                        connected.push(block);
                    }
                    Err(ConnectError::Invalid(rejection)) => {
                        tracing::info!("ConnectBlock {} failed: {rejection}", inner.index.get(idx).hash);
                        inner.mark_invalid(idx);
                        if Some(idx) == target {
                            verdict = Some(Err(rejection));
                        }
                        break;
                    }
                    Err(ConnectError::Store(e)) => return Err(e.into()),
                }
            }
            inner.index.prune_candidates();
        }
        if !disconnected.is_empty() || !connected.is_empty() {
            self.after_tip_change(inner, disconnected, connected)?;
        }
        Ok(verdict)
    }

    /// Brings the mempool and the readers of the tip up to date.
    fn after_tip_change(
        &self,
        inner: &mut Inner,
        disconnected: Vec<Arc<Block>>,
        connected: Vec<Arc<Block>>,
    ) -> Result<(), ChainError> {
        inner.flush(false)?;
        inner.prune_to_target(self.params())?;
        let tip = inner.tip_summary();
        self.update_mempool_for_blocks(inner, &disconnected, &connected);
        self.publish_tip(inner);
        inner.events.emit(ChainEvent::TipUpdated(tip));
        tracing::info!(
            "UpdateTip: new best={} height={} tx={} date='{}'",
            tip.hash,
            tip.height,
            inner.index.get(inner.tip_idx()).chain_tx,
            hashvive_common::time::format_iso8601(i64::from(tip.time), None)
        );
        Ok(())
    }

    /// Connects `idx`, a child of the tip, and makes it the tip.
    fn connect_tip(&self, inner: &mut Inner, idx: Idx) -> Result<Arc<Block>, ConnectError> {
        let block = match inner.recent_block.take() {
            Some((i, block)) if i == idx => block,
            other => {
                inner.recent_block = other;
                let pos = inner
                    .record(idx)
                    .data
                    .ok_or_else(|| StoreError::Corrupt("connecting a block without data".into()))?;
                Arc::new(inner.files.read_block(pos)?)
            }
        };
        let entry = inner.index.get(idx);
        let (hash, height) = (entry.hash, entry.height());
        let prev = entry.prev.ok_or_else(|| StoreError::Corrupt("connecting a second genesis block".into()))?;
        let prev_hash = inner.index.get(prev).hash;
        let block_pos =
            inner.record(idx).data.ok_or_else(|| StoreError::Corrupt("connecting a block without data".into()))?;
        let txindex = inner.txindex;
        let mut record = inner.record(idx).clone();
        let Inner { store, files, index, .. } = inner;
        let rules = BlockRules::new(self, index, prev, hash, height);
        store.write(false, |w| -> Result<_, ConnectError> {
            let undo = rules.apply(w, &block)?;
            if txindex {
                index_block_txs(w, &block, block_pos)?;
                w.set_txindex_height(Some(height))?;
            }
            // The block's own record commits with its effects: a tip always has its undo data.
            record.undo = Some(files.write_undo(block_pos.file, &prev_hash, &undo)?);
            record.status |= Status::HAVE_UNDO;
            record.status.raise_validity(Status::VALID_SCRIPTS);
            w.put_block(&hash, &record)?;
            w.set_tip(&hash)?;
            Ok(())
        })?;
        inner.index.update(idx, |r| *r = record);
        inner.index.set_tip(Some(idx));
        inner.flush(false)?;
        inner.events.emit(ChainEvent::BlockConnected { block: block.clone(), height });
        Ok(block)
    }

    /// The reference's `TestBlockValidity`: every check a block on the tip
    /// must pass, without storing or connecting it. Proof of work and the
    /// merkle root are checked on request: a template has neither yet.
    pub fn check_block_template(
        &self,
        block: &Block,
        check_pow: bool,
        check_merkle_root: bool,
    ) -> Result<(), Rejection> {
        let mut inner = self.lock();
        let params = self.params();
        let tip = inner.tip_idx();
        if block.header.prev_blockhash != inner.index.get(tip).hash {
            return Err(Rejection::new("inconclusive-not-best-prevblk", None));
        }
        check_block(block, params, check_pow, check_merkle_root)?;
        let height = inner.index.get(tip).height() + 1;
        let prev_mtp = inner.index.median_time_past(tip);
        let ctx = HeaderContext {
            prev_height: height - 1,
            prev_time: inner.index.get(tip).record.header.time,
            prev_median_time_past: prev_mtp,
            expected_bits: Chainstate::required_bits(&inner, params, tip, block.header.time),
            now: hashvive_common::time::now(),
        };
        contextual_check_block_header(&block.header, &ctx, params)?;
        contextual_check_block(block, height, prev_mtp, params)?;
        let Inner { store, index, .. } = &mut *inner;
        let rules = BlockRules::new(self, index, tip, block.block_hash(), height);
        match store.dry_run(|w| rules.apply(w, block)) {
            Ok(_) => Ok(()),
            Err(ConnectError::Invalid(r)) => Err(r),
            Err(ConnectError::Store(e)) => Err(Rejection::new("storage-error", Some(e.to_string()))),
        }
    }
}

/// The contextual rules for connecting one block at `height` on `prev`.
struct BlockRules<'a> {
    params: &'a ChainParams,
    index: &'a BlockIndex,
    verifier: &'a dyn ScriptVerifier,
    threads: usize,
    prev: Idx,
    height: u32,
    flags: ScriptFlags,
    enforce_bip68: bool,
    enforce_bip30: bool,
    prev_mtp: i64,
}

impl<'a> BlockRules<'a> {
    fn new(chain: &'a Chainstate, index: &'a BlockIndex, prev: Idx, hash: BlockHash, height: u32) -> Self {
        let params = chain.params();
        BlockRules {
            params,
            index,
            verifier: chain.verifier.as_ref(),
            threads: chain.script_threads,
            prev,
            height,
            flags: block_script_flags(params, height, hash),
            enforce_bip68: params.is_active(Deployment::Csv, height),
            enforce_bip30: !params.is_active(Deployment::Bip34, height),
            prev_mtp: index.median_time_past(prev),
        }
    }

    /// Spends the block's inputs and adds its outputs in `w`, checking
    /// amounts, locks, sigops and scripts; returns what was spent.
    fn apply(&self, w: &mut Writer<'_>, block: &Block) -> Result<BlockUndo, ConnectError> {
        let height = self.height;
        let mtp_at = |h: u32| self.index.ancestor(self.prev, h).map_or(0, |a| self.index.median_time_past(a));
        let mut undo = BlockUndo::default();
        let mut fees = Amount::ZERO;
        let mut sigops = 0u64;
        let mut script_jobs: Vec<ScriptJob> = Vec::new();
        for (i, tx) in block.txdata.iter().enumerate() {
            let txid = tx.compute_txid();
            if self.enforce_bip30 {
                for vout in 0..tx.output.len() as u32 {
                    if w.coin(&OutPoint { txid, vout })?.is_some() {
                        return Err(
                            Rejection::new("bad-txns-BIP30", Some("tried to overwrite transaction".into())).into()
                        );
                    }
                }
            }
            let mut spent_txouts = Vec::new();
            if i > 0 {
                let mut spent = Vec::with_capacity(tx.input.len());
                for input in &tx.input {
                    match w.spend_coin(&input.previous_output)? {
                        Some(coin) => spent.push(coin),
                        None => {
                            return Err(Rejection::new(
                                "bad-txns-inputs-missingorspent",
                                Some(format!("CheckTxInputs: inputs missing/spent in transaction {txid}")),
                            )
                            .into())
                        }
                    }
                }
                let fee = check_tx_inputs(tx, &spent, height).map_err(Rejection::from)?;
                fees =
                    fees.checked_add(fee).ok_or_else(|| Rejection::new("bad-txns-accumulated-fee-outofrange", None))?;
                if self.enforce_bip68 {
                    let mut prev_heights: Vec<u32> = spent.iter().map(|c| c.height).collect();
                    let locks = calculate_sequence_locks(tx, true, &mut prev_heights, height, mtp_at);
                    if !sequence_locks_satisfied(&locks, height, self.prev_mtp) {
                        return Err(Rejection::new(
                            "bad-txns-nonfinal",
                            Some("contains a non-BIP68-final transaction".into()),
                        )
                        .into());
                    }
                }
                spent_txouts = spent.iter().map(|c| c.txout.clone()).collect();
                undo.txs.push(spent);
            }
            sigops += transaction_sigop_cost(tx, &spent_txouts, self.flags);
            if sigops > MAX_BLOCK_SIGOPS_COST {
                return Err(Rejection::new("bad-blk-sigops", Some("too many sigops".into())).into());
            }
            if i > 0 {
                script_jobs.push(ScriptJob { tx, spent: spent_txouts });
            }
            for (vout, txout) in tx.output.iter().enumerate() {
                if !is_unspendable(&txout.script_pubkey) {
                    let coin = Coin { txout: txout.clone(), height, is_coinbase: i == 0 };
                    w.add_coin(&OutPoint { txid, vout: vout as u32 }, &coin)?;
                }
            }
        }
        let reward = block_subsidy(height, self.params) + fees;
        let coinbase_out: Amount = block.txdata[0].output.iter().map(|o| o.value).sum();
        if coinbase_out > reward {
            return Err(Rejection::new(
                "bad-cb-amount",
                Some(format!("coinbase pays too much (actual={} vs limit={})", coinbase_out.to_sat(), reward.to_sat())),
            )
            .into());
        }
        check_scripts(self.verifier, &script_jobs, self.flags, self.threads)?;
        Ok(undo)
    }
}

struct ScriptJob<'a> {
    tx: &'a Transaction,
    spent: Vec<TxOut>,
}

/// Verifies every input's scripts, split over `threads` threads for large blocks.
fn check_scripts(
    verifier: &dyn ScriptVerifier,
    jobs: &[ScriptJob<'_>],
    flags: ScriptFlags,
    threads: usize,
) -> Result<(), Rejection> {
    let check = |job: &ScriptJob<'_>| -> Result<(), Rejection> {
        let bytes = serialize(job.tx);
        for i in 0..job.tx.input.len() {
            verifier.verify_input(&bytes, i, &job.spent, flags).map_err(|e| Rejection::new(e.reason(), None))?;
        }
        Ok(())
    };
    let inputs: usize = jobs.iter().map(|j| j.tx.input.len()).sum();
    if threads <= 1 || inputs < 64 {
        return jobs.iter().try_for_each(check);
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = jobs.chunks(chunk).map(|part| s.spawn(move || part.iter().try_for_each(check))).collect();
        // A panicking checker is a bug; report it as a failed check rather than crash the node.
        handles
            .into_iter()
            .try_for_each(|h| h.join().unwrap_or_else(|_| Err(Rejection::new("script-check-panicked", None))))
    })
}

/// Records where each of the block's transactions starts, for `-txindex`.
pub(crate) fn index_block_txs(w: &mut Writer<'_>, block: &Block, pos: FilePos) -> Result<(), StoreError> {
    let mut offset = 80 + varint_len(block.txdata.len() as u64);
    for tx in &block.txdata {
        w.index_tx(&tx.compute_txid(), TxLocation { block: pos, offset })?;
        offset += tx.total_size() as u32;
    }
    Ok(())
}

fn varint_len(n: u64) -> u32 {
    match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

impl Inner {
    /// Checks a header against its parent and adds it to the index.
    pub(crate) fn accept_header(&mut self, header: &Header, params: &ChainParams) -> Result<Idx, Rejection> {
        let hash = header.block_hash();
        if let Some(idx) = self.index.lookup(&hash) {
            if self.index.get(idx).status().is_failed() {
                return Err(Rejection::new(
                    "duplicate-invalid",
                    Some(format!("block {hash} was previously marked invalid")),
                ));
            }
            return Ok(idx);
        }
        check_block_header(header, params).map_err(Rejection::from)?;
        let Some(prev) = self.index.lookup(&header.prev_blockhash) else {
            return Err(Rejection::new(
                "prev-blk-not-found",
                Some(format!("prev block not found: {}", header.prev_blockhash)),
            ));
        };
        if self.index.get(prev).status().is_failed() {
            return Err(Rejection::new(
                "bad-prevblk",
                Some(format!("previous block invalid: {}", header.prev_blockhash)),
            ));
        }
        let ctx = HeaderContext {
            prev_height: self.index.get(prev).height(),
            prev_time: self.index.get(prev).record.header.time,
            prev_median_time_past: self.index.median_time_past(prev),
            expected_bits: Chainstate::required_bits(self, params, prev, header.time),
            now: hashvive_common::time::now(),
        };
        contextual_check_block_header(header, &ctx, params).map_err(Rejection::from)?;
        Ok(self.index.insert(*header, Status::VALID_TREE))
    }

    /// Marks `idx` invalid and its descendants as descending from an invalid block.
    pub(crate) fn mark_invalid(&mut self, idx: Idx) {
        self.index.remove_candidate(idx);
        self.index.update(idx, |r| r.status |= Status::FAILED_VALID);
        for d in self.index.descendants(idx) {
            self.index.remove_candidate(d);
            self.index.update(d, |r| r.status |= Status::FAILED_CHILD);
        }
    }

    /// Undoes the tip block; returns it so its transactions can go back to the mempool.
    pub(crate) fn disconnect_tip(&mut self, idx: Idx) -> Result<Arc<Block>, ChainError> {
        let record = self.record(idx).clone();
        let prev =
            self.index.get(idx).prev.ok_or_else(|| ChainError::Index("cannot disconnect the genesis block".into()))?;
        let prev_hash = self.index.get(prev).hash;
        let data = record.data.ok_or_else(|| StoreError::Corrupt("active block without data".into()))?;
        let undo_pos = record.undo.ok_or_else(|| StoreError::Corrupt("active block without undo data".into()))?;
        let block = self.files.read_block(data)?;
        let undo = self.files.read_undo(undo_pos, &prev_hash)?;
        if undo.txs.len() + 1 != block.txdata.len() {
            return Err(
                StoreError::Corrupt(format!("undo data of block {} does not match it", block.block_hash())).into()
            );
        }
        let txindex = self.txindex;
        let Inner { store, index, .. } = self;
        store.write(false, |w| {
            for (i, tx) in block.txdata.iter().enumerate().rev() {
                let txid = tx.compute_txid();
                for vout in 0..tx.output.len() as u32 {
                    // Unspendable outputs were never added; others must be there.
                    w.spend_coin(&OutPoint { txid, vout })?;
                }
                if i > 0 {
                    for (input, coin) in tx.input.iter().zip(&undo.txs[i - 1]) {
                        w.add_coin(&input.previous_output, coin)?;
                    }
                }
                if txindex {
                    w.unindex_tx(&txid)?;
                }
            }
            for (h, r) in index.take_dirty() {
                w.put_block(&h, &r)?;
            }
            w.set_tip(&prev_hash)?;
            if txindex {
                w.set_txindex_height(Some(index.get(prev).height()))?;
            }
            Ok::<_, StoreError>(())
        })?;
        self.index.set_tip(Some(prev));
        let block = Arc::new(block);
        self.events.emit(ChainEvent::BlockDisconnected { block: block.clone(), height: self.index.get(idx).height() });
        Ok(block)
    }
}
