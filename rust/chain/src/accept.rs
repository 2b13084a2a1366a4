//! Mempool acceptance (the reference's `AcceptToMemoryPool`): consensus and
//! standardness checks, fees, chain limits, replacement, scripts; and keeping
//! the mempool right when blocks connect and disconnect.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{Amount, Block, BlockHash, OutPoint, Transaction, TxOut, Txid, Wtxid};

use hashvive_consensus::locks::{calculate_sequence_locks, is_final_tx, sequence_locks_satisfied};
use hashvive_consensus::script::block_script_flags;
use hashvive_consensus::sigops::transaction_sigop_cost;
use hashvive_consensus::tx::{check_transaction, check_tx_inputs};
use hashvive_consensus::Deployment;
use hashvive_policy::constants::{MAX_STANDARD_TX_SIGOPS_COST, MIN_STANDARD_TX_NONWITNESS_SIZE};
use hashvive_policy::{are_inputs_standard, is_standard_tx, is_witness_standard, virtual_size, FeeRate};

use crate::chainstate::{Chainstate, Inner};
use crate::coins::Coin;
use crate::events::RemovalReason;
use crate::mempool::{MempoolEntry, Package};

/// Coins created by mempool transactions have this height while unconfirmed.
pub const MEMPOOL_HEIGHT: u32 = 0x7FFF_FFFF;

/// The most transactions one replacement may evict.
const MAX_REPLACEMENT_CANDIDATES: usize = 100;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectKind {
    /// Breaks a consensus rule.
    Consensus,
    /// Breaks the node's relay policy.
    Policy,
    /// Spends outputs the node does not know (yet).
    MissingInputs,
    /// Already in the mempool.
    AlreadyInMempool,
    /// Its outputs are already in the UTXO set: it is confirmed.
    AlreadyKnown,
}

/// Why a transaction stayed out of the mempool, in the reference's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MempoolReject {
    pub kind: RejectKind,
    pub reason: String,
    pub debug: Option<String>,
}

impl MempoolReject {
    fn new(kind: RejectKind, reason: impl Into<String>, debug: Option<String>) -> MempoolReject {
        MempoolReject { kind, reason: reason.into(), debug }
    }

    fn policy(reason: impl Into<String>, debug: impl Into<Option<String>>) -> MempoolReject {
        MempoolReject::new(RejectKind::Policy, reason, debug.into())
    }
}

impl fmt::Display for MempoolReject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)?;
        match &self.debug {
            Some(d) => write!(f, ", {d}"),
            None => Ok(()),
        }
    }
}

/// A transaction the mempool took (or would take, for a test).
#[derive(Clone, Debug)]
pub struct Accepted {
    pub txid: Txid,
    pub wtxid: Wtxid,
    pub vsize: u64,
    pub fee: Amount,
    /// Transactions it replaced.
    pub replaced: Vec<Txid>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptMode {
    /// Add it.
    Submit,
    /// Check only (`testmempoolaccept`).
    Test,
    /// Re-adding transactions of disconnected blocks: fee and size limits do not apply.
    Reorg,
}

impl Chainstate {
    /// Offers a transaction to the mempool.
    pub fn accept_to_mempool(&self, tx: Arc<Transaction>, mode: AcceptMode) -> Result<Accepted, MempoolReject> {
        let mut inner = self.lock();
        let accepted = self.accept_locked(&mut inner, tx, mode)?;
        if mode == AcceptMode::Submit {
            // Nobody listening (no networking) is fine.
            let _ = self.accepted.send(accepted.clone());
        }
        Ok(accepted)
    }

    pub(crate) fn accept_locked(
        &self,
        inner: &mut Inner,
        tx: Arc<Transaction>,
        mode: AcceptMode,
    ) -> Result<Accepted, MempoolReject> {
        let params = self.params();
        let options = inner.mempool.options.clone();
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        let invalid =
            |e: hashvive_consensus::tx::TxError| MempoolReject::new(RejectKind::Consensus, e.reason(), e.debug());

        check_transaction(&tx).map_err(invalid)?;
        if tx.is_coinbase() {
            return Err(MempoolReject::new(RejectKind::Consensus, "coinbase", None));
        }
        if options.require_standard {
            is_standard_tx(&tx, &options.policy).map_err(|r| MempoolReject::policy(r, None))?;
        }
        if tx.base_size() < MIN_STANDARD_TX_NONWITNESS_SIZE {
            return Err(MempoolReject::policy("tx-size-small", None));
        }
        let tip = inner.tip_summary();
        let height = tip.height + 1;
        if !is_final_tx(&tx, height, tip.median_time_past) {
            return Err(MempoolReject::policy("non-final", None));
        }
        if inner.mempool.contains_wtxid(&wtxid) {
            return Err(MempoolReject::new(RejectKind::AlreadyInMempool, "txn-already-in-mempool", None));
        }
        if inner.mempool.contains(&txid) {
            return Err(MempoolReject::new(RejectKind::AlreadyInMempool, "txn-same-nonwitness-data-in-mempool", None));
        }

        // Conflicts: mempool transactions spending the same outputs.
        let mut conflicts = HashSet::new();
        for input in &tx.input {
            if let Some(spender) = inner.mempool.spender(&input.previous_output) {
                if !options.full_rbf && !signals_replaceability(inner, &spender) {
                    return Err(MempoolReject::policy("txn-mempool-conflict", None));
                }
                conflicts.insert(spender);
            }
        }

        // The coins spent, from the mempool or the UTXO set.
        let mut spent = Vec::with_capacity(tx.input.len());
        let mut parents = std::collections::BTreeSet::new();
        for input in &tx.input {
            let prev = input.previous_output;
            let from_mempool = inner.mempool.get(&prev.txid).and_then(|e| e.tx.output.get(prev.vout as usize));
            let coin = match from_mempool {
                Some(txout) => {
                    parents.insert(prev.txid);
                    Some(Coin { txout: txout.clone(), height: MEMPOOL_HEIGHT, is_coinbase: false })
                }
                None => inner.store.coin(&prev).map_err(|e| MempoolReject::policy("storage-error", e.to_string()))?,
            };
            match coin {
                Some(coin) => spent.push(coin),
                None => {
                    for vout in 0..tx.output.len() as u32 {
                        let known = inner.store.coin(&OutPoint { txid, vout }).ok().flatten().is_some();
                        if known {
                            return Err(MempoolReject::new(RejectKind::AlreadyKnown, "txn-already-known", None));
                        }
                    }
                    return Err(MempoolReject::new(RejectKind::MissingInputs, "missing-inputs", None));
                }
            }
        }

        if params.is_active(Deployment::Csv, height) {
            let mut prev_heights: Vec<u32> =
                spent.iter().map(|c| if c.height == MEMPOOL_HEIGHT { height } else { c.height }).collect();
            let index = &inner.index;
            let tip_idx = inner.tip_idx();
            let mtp_at =
                |h: u32| index.ancestor(tip_idx, h).map_or(tip.median_time_past, |a| index.median_time_past(a));
            let locks = calculate_sequence_locks(&tx, true, &mut prev_heights, height, mtp_at);
            if !sequence_locks_satisfied(&locks, height, tip.median_time_past) {
                return Err(MempoolReject::policy("non-BIP68-final", None));
            }
        }

        let fee = check_tx_inputs(&tx, &spent, height).map_err(invalid)?;
        let spent_txouts: Vec<_> = spent.iter().map(|c| c.txout.clone()).collect();
        if options.require_standard {
            are_inputs_standard(&tx, &spent_txouts)
                .map_err(|d| MempoolReject::policy("bad-txns-nonstandard-inputs", d.to_string()))?;
            if tx.input.iter().any(|i| !i.witness.is_empty()) {
                is_witness_standard(&tx, &spent_txouts)
                    .map_err(|_| MempoolReject::policy("bad-witness-nonstandard", None))?;
            }
        }
        let flags = block_script_flags(params, height, BlockHash::all_zeros());
        let sigop_cost = transaction_sigop_cost(&tx, &spent_txouts, flags);
        if sigop_cost > MAX_STANDARD_TX_SIGOPS_COST {
            return Err(MempoolReject::policy("bad-txns-too-many-sigops", sigop_cost.to_string()));
        }
        let weight = tx.weight().to_wu();
        let vsize = virtual_size(weight, sigop_cost, options.policy.bytes_per_sigop);
        let modified_fee = fee.to_sat() as i64 + inner.mempool.delta(&txid);

        if mode != AcceptMode::Reorg {
            let min_fee = options.policy.min_relay_fee.fee(vsize).to_sat() as i64;
            if modified_fee < min_fee {
                return Err(MempoolReject::policy("min relay fee not met", format!("{modified_fee} < {min_fee}")));
            }
            let floor = inner.mempool_min_fee().fee(vsize).to_sat() as i64;
            if modified_fee < floor {
                return Err(MempoolReject::policy("mempool min fee not met", format!("{modified_fee} < {floor}")));
            }
        }

        // Chain limits.
        let mut ancestors: HashSet<Txid> = parents.iter().copied().collect();
        for p in &parents {
            ancestors.extend(inner.mempool.ancestors(p));
        }
        if mode != AcceptMode::Reorg {
            check_chain_limits(inner, &ancestors, &conflicts, vsize)?;
        }

        // Replacement (BIP125 rules 2-5 and the fee-rate rule).
        let mut replaced = Vec::new();
        if !conflicts.is_empty() {
            replaced = check_replacement(inner, &tx, txid, &conflicts, &ancestors, &parents, modified_fee, vsize)?;
        }

        let tx_bytes = bitcoin::consensus::serialize(&*tx);
        for i in 0..tx.input.len() {
            self.verifier.verify_input(&tx_bytes, i, &spent_txouts, flags).map_err(|e| {
                MempoolReject::new(
                    RejectKind::Consensus,
                    format!("mempool-script-verify-flag-failed ({})", e.detail()),
                    None,
                )
            })?;
        }

        if mode == AcceptMode::Test {
            return Ok(Accepted { txid, wtxid, vsize, fee, replaced });
        }
        for t in &replaced {
            inner.mempool.remove(t, RemovalReason::Replaced);
        }
        let sequence = inner.mempool.next_sequence();
        let spends_coinbase = spent.iter().any(|c| c.is_coinbase);
        inner.mempool.insert(MempoolEntry {
            tx,
            txid,
            wtxid,
            fee,
            vsize,
            weight,
            sigop_cost,
            time: hashvive_common::time::now(),
            height: tip.height,
            sequence,
            spends_coinbase,
            parents,
            children: Default::default(),
        });
        if mode == AcceptMode::Submit {
            inner.fee_estimator.track(txid, FeeRate::from_fee(fee, vsize), tip.height);
            if let Some(floor) = inner.mempool.trim_to_size() {
                inner.rolling_min_fee = inner.rolling_min_fee.max(floor);
            }
            if !inner.mempool.contains(&txid) {
                return Err(MempoolReject::policy("mempool full", None));
            }
        }
        Ok(Accepted { txid, wtxid, vsize, fee, replaced })
    }

    /// Removes what blocks confirmed (and what conflicts with it); after a
    /// reorganisation, offers the disconnected blocks' transactions again,
    /// oldest first, followed by what was in the mempool.
    pub(crate) fn update_mempool_for_blocks(
        &self,
        inner: &mut Inner,
        disconnected: &[Arc<Block>],
        connected: &[Arc<Block>],
    ) {
        if !disconnected.is_empty() {
            let previous = inner.mempool.drain();
            let readd = disconnected.iter().rev().flat_map(|b| b.txdata.iter().skip(1).cloned().map(Arc::new));
            let readd: Vec<Arc<Transaction>> = readd.chain(previous.into_iter().map(|e| e.tx)).collect();
            for tx in readd {
                // Transactions that no longer fit simply drop out, as in the reference.
                let _ = self.accept_locked(inner, tx, AcceptMode::Reorg);
            }
        }
        let tip_height = inner.tip_summary().height;
        for (i, block) in connected.iter().enumerate() {
            let height = tip_height + 1 + i as u32 - connected.len() as u32;
            let rates: Vec<_> = block
                .txdata
                .iter()
                .skip(1)
                .filter_map(|tx| {
                    inner.mempool.get(&tx.compute_txid()).map(|e| (e.txid, FeeRate::from_fee(e.fee, e.vsize)))
                })
                .collect();
            inner.fee_estimator.block_connected(height, rates);
            for tx in block.txdata.iter().skip(1) {
                inner.mempool.remove(&tx.compute_txid(), RemovalReason::Block);
                for input in &tx.input {
                    if let Some(conflict) = inner.mempool.spender(&input.previous_output) {
                        inner.mempool.remove_with_descendants(&conflict, RemovalReason::Conflict);
                    }
                }
            }
        }
        if !connected.is_empty() {
            inner.mempool.expire(hashvive_common::time::now());
            let Inner { mempool, fee_estimator, .. } = inner;
            fee_estimator.retain_pending(|txid| mempool.contains(txid));
        }
    }

    /// `prioritisetransaction`.
    pub fn prioritise_transaction(&self, txid: Txid, fee_delta: i64) {
        self.lock().mempool.prioritise(txid, fee_delta);
    }

    /// The output `outpoint` names, if spendable now: an output of a mempool
    /// transaction, or an unspent output of the active chain (the
    /// reference's `findCoins`, which signing uses to learn what inputs spend).
    pub fn find_coin(&self, outpoint: &OutPoint) -> Result<Option<TxOut>, crate::error::StoreError> {
        let inner = self.lock();
        if let Some(entry) = inner.mempool.get(&outpoint.txid) {
            return Ok(entry.tx.output.get(outpoint.vout as usize).cloned());
        }
        Ok(inner.store.coin(outpoint)?.map(|c| c.txout))
    }

    /// Runs `f` with the mempool locked.
    pub fn with_mempool<R>(&self, f: impl FnOnce(&crate::mempool::Mempool) -> R) -> R {
        f(&self.lock().mempool)
    }

    /// `estimatesmartfee`: a fee rate that got transactions confirmed within
    /// `target` blocks, never below what the mempool takes.
    pub fn estimate_fee(&self, target: u32, conservative: bool) -> Option<FeeRate> {
        let inner = self.lock();
        let tip = inner.tip_summary().height;
        let estimate = inner.fee_estimator.estimate(target, conservative, tip)?;
        Some(estimate.max(inner.mempool_min_fee()))
    }

    /// `getmempoolinfo`'s `mempoolminfee`: the rate a new transaction must pay.
    pub fn mempool_min_fee(&self) -> FeeRate {
        self.lock().mempool_min_fee()
    }
}

impl Inner {
    pub(crate) fn mempool_min_fee(&self) -> FeeRate {
        self.rolling_min_fee.max(self.mempool.options.policy.min_relay_fee)
    }
}

/// Whether the transaction or any unconfirmed ancestor opts in to replacement (BIP125).
fn signals_replaceability(inner: &Inner, txid: &Txid) -> bool {
    let signals = |t: &Txid| inner.mempool.get(t).is_some_and(|e| e.tx.input.iter().any(|i| i.sequence.is_rbf()));
    signals(txid) || inner.mempool.ancestors(txid).iter().any(signals)
}

fn check_chain_limits(
    inner: &Inner,
    ancestors: &HashSet<Txid>,
    conflicts: &HashSet<Txid>,
    vsize: u64,
) -> Result<(), MempoolReject> {
    let options = &inner.mempool.options;
    let chain = |debug: String| MempoolReject::policy("too-long-mempool-chain", debug);
    if ancestors.len() + 1 > options.ancestor_count {
        return Err(chain(format!("too many unconfirmed ancestors [limit: {}]", options.ancestor_count)));
    }
    let ancestor_size: u64 =
        ancestors.iter().filter_map(|t| inner.mempool.get(t)).map(|e| e.vsize).sum::<u64>() + vsize;
    if ancestor_size > options.ancestor_size {
        return Err(chain(format!("exceeds ancestor size limit [limit: {}]", options.ancestor_size)));
    }
    for a in ancestors {
        // Descendants about to be replaced do not count.
        let descendants: HashSet<Txid> =
            inner.mempool.descendants(a).into_iter().filter(|d| !conflicts.contains(d)).collect();
        let package = inner.mempool.package(a, &descendants);
        if package.count + 1 > options.descendant_count {
            return Err(chain(format!("too many descendants for tx {a} [limit: {}]", options.descendant_count)));
        }
        if package.vsize + vsize > options.descendant_size {
            return Err(chain(format!(
                "exceeds descendant size limit for tx {a} [limit: {}]",
                options.descendant_size
            )));
        }
    }
    Ok(())
}

/// Fee rate as the reference prints it in replacement errors.
fn format_rate(fee: i64, vsize: u64) -> String {
    FeeRate::from_fee(Amount::from_sat(fee.max(0) as u64), vsize).to_string()
}

#[allow(clippy::too_many_arguments)]
fn check_replacement(
    inner: &Inner,
    tx: &Transaction,
    txid: Txid,
    conflicts: &HashSet<Txid>,
    ancestors: &HashSet<Txid>,
    parents: &std::collections::BTreeSet<Txid>,
    modified_fee: i64,
    vsize: u64,
) -> Result<Vec<Txid>, MempoolReject> {
    let mempool = &inner.mempool;
    let insufficient = |debug: String| MempoolReject::policy("insufficient fee", debug);
    if let Some(c) = ancestors.iter().find(|a| conflicts.contains(*a)) {
        return Err(MempoolReject::new(
            RejectKind::Consensus,
            "bad-txns-spends-conflicting-tx",
            Some(format!("{txid} spends conflicting transaction {c}")),
        ));
    }
    let mut all: HashSet<Txid> = conflicts.clone();
    for c in conflicts {
        all.extend(mempool.descendants(c));
        if all.len() > MAX_REPLACEMENT_CANDIDATES {
            break;
        }
    }
    if all.len() > MAX_REPLACEMENT_CANDIDATES {
        return Err(MempoolReject::policy(
            "too many potential replacements",
            format!(
                "rejecting replacement {txid}; too many potential replacements ({} > {MAX_REPLACEMENT_CANDIDATES})\n",
                all.len()
            ),
        ));
    }
    // Rule 2: no new unconfirmed inputs.
    let conflict_parents: HashSet<Txid> = conflicts
        .iter()
        .filter_map(|c| mempool.get(c))
        .flat_map(|e| e.tx.input.iter().map(|i| i.previous_output.txid))
        .collect();
    for (j, input) in tx.input.iter().enumerate() {
        let t = input.previous_output.txid;
        if parents.contains(&t) && !conflict_parents.contains(&t) {
            return Err(MempoolReject::policy(
                "replacement-adds-unconfirmed",
                format!("replacement {txid} adds unconfirmed input, idx {j}"),
            ));
        }
    }
    // The replacement's fee rate beats each transaction it directly replaces.
    for c in conflicts {
        if let Some(e) = mempool.get(c) {
            let old = mempool.modified_fee(e).to_sat();
            if modified_fee * e.vsize as i64 <= old * vsize as i64 {
                return Err(insufficient(format!(
                    "rejecting replacement {txid}; new feerate {} <= old feerate {}",
                    format_rate(modified_fee, vsize),
                    format_rate(old, e.vsize)
                )));
            }
        }
    }
    // Rules 3 and 4: pays for what it evicts, plus its own relay.
    let evicted: Package = all.iter().filter_map(|t| mempool.get(t)).fold(Package::default(), |mut p, e| {
        p.count += 1;
        p.vsize += e.vsize;
        p.modified_fees += mempool.modified_fee(e);
        p
    });
    let old_fees = evicted.modified_fees.to_sat();
    if modified_fee < old_fees {
        return Err(insufficient(format!(
            "rejecting replacement {txid}, less fees than conflicting txs; {} < {}",
            format_btc(modified_fee),
            format_btc(old_fees)
        )));
    }
    let relay = mempool.options.policy.incremental_relay_fee.fee(vsize).to_sat() as i64;
    if modified_fee - old_fees < relay {
        return Err(insufficient(format!(
            "rejecting replacement {txid}, not enough additional fees to relay; {} < {}",
            format_btc(modified_fee - old_fees),
            format_btc(relay)
        )));
    }
    Ok(all.into_iter().collect())
}

fn format_btc(sat: i64) -> String {
    let sign = if sat < 0 { "-" } else { "" };
    format!("{sign}{}.{:08}", sat.unsigned_abs() / 100_000_000, sat.unsigned_abs() % 100_000_000)
}
