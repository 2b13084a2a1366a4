//! The mempool: unconfirmed transactions that passed the standard policy,
//! with their in-mempool parent/child links, fees and sizes.
//!
//! The data structure lives here; acceptance (which needs the UTXO set and the
//! tip) is in `accept.rs`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use bitcoin::{Amount, OutPoint, SignedAmount, Transaction, Txid, Wtxid};

use hashvive_policy::constants::{
    DEFAULT_ANCESTOR_LIMIT, DEFAULT_ANCESTOR_SIZE_LIMIT_KVB, DEFAULT_DESCENDANT_LIMIT,
    DEFAULT_DESCENDANT_SIZE_LIMIT_KVB,
};
use hashvive_policy::{FeeRate, PolicyOptions};

use crate::events::{ChainEvent, EventSink, RemovalReason};

#[derive(Clone, Debug)]
pub struct MempoolOptions {
    pub policy: PolicyOptions,
    /// `-acceptnonstdtxn=0` (test chains may turn standardness off).
    pub require_standard: bool,
    /// `-maxmempool`, bytes of virtual size.
    pub max_size: u64,
    /// `-mempoolexpiry`
    pub expiry: Duration,
    /// `-mempoolfullrbf`: replace transactions that did not signal BIP125.
    pub full_rbf: bool,
    pub ancestor_count: usize,
    /// Virtual bytes.
    pub ancestor_size: u64,
    pub descendant_count: usize,
    pub descendant_size: u64,
}

impl MempoolOptions {
    /// The reference's defaults around the given relay policy.
    pub fn defaults(policy: PolicyOptions) -> MempoolOptions {
        MempoolOptions {
            policy,
            require_standard: true,
            max_size: 300_000_000,
            expiry: Duration::from_secs(336 * 3600),
            full_rbf: true,
            ancestor_count: DEFAULT_ANCESTOR_LIMIT,
            ancestor_size: DEFAULT_ANCESTOR_SIZE_LIMIT_KVB * 1000,
            descendant_count: DEFAULT_DESCENDANT_LIMIT,
            descendant_size: DEFAULT_DESCENDANT_SIZE_LIMIT_KVB * 1000,
        }
    }
}

/// One transaction in the mempool.
#[derive(Clone, Debug)]
pub struct MempoolEntry {
    pub tx: Arc<Transaction>,
    pub txid: Txid,
    pub wtxid: Wtxid,
    pub fee: Amount,
    pub vsize: u64,
    pub weight: u64,
    pub sigop_cost: u64,
    /// Entry time, seconds since the epoch (mockable).
    pub time: i64,
    /// Chain height when it entered.
    pub height: u32,
    /// Order of arrival, for re-adding in the same order after a reorganisation.
    pub sequence: u64,
    pub spends_coinbase: bool,
    pub parents: BTreeSet<Txid>,
    pub children: BTreeSet<Txid>,
}

/// Totals over a set of related entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Package {
    pub count: usize,
    pub vsize: u64,
    pub fees: Amount,
    /// Fees including `prioritisetransaction` deltas.
    pub modified_fees: SignedAmount,
}

pub struct Mempool {
    pub(crate) options: MempoolOptions,
    entries: HashMap<Txid, MempoolEntry>,
    by_wtxid: HashMap<Wtxid, Txid>,
    /// Which mempool transaction spends an outpoint.
    spenders: HashMap<OutPoint, Txid>,
    /// `prioritisetransaction` fee deltas, kept for transactions not (yet) in the mempool too.
    deltas: HashMap<Txid, i64>,
    next_sequence: u64,
    total_vsize: u64,
    total_fee: Amount,
    /// Counts additions and removals (`getrawmempool`'s `mempool_sequence`).
    change_sequence: u64,
    /// Whether the persisted mempool finished loading (`getmempoolinfo`'s `loaded`).
    pub(crate) loaded: bool,
    /// Additions and removals are announced here.
    events: EventSink,
}

impl Mempool {
    pub(crate) fn new(options: MempoolOptions, events: EventSink) -> Mempool {
        Mempool {
            options,
            entries: HashMap::new(),
            by_wtxid: HashMap::new(),
            spenders: HashMap::new(),
            deltas: HashMap::new(),
            next_sequence: 0,
            total_vsize: 0,
            total_fee: Amount::ZERO,
            change_sequence: 1,
            loaded: false,
            events,
        }
    }

    pub fn is_loaded(&self) -> bool {
        self.loaded
    }

    pub fn options(&self) -> &MempoolOptions {
        &self.options
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn total_vsize(&self) -> u64 {
        self.total_vsize
    }

    pub fn total_fee(&self) -> Amount {
        self.total_fee
    }

    pub fn change_sequence(&self) -> u64 {
        self.change_sequence
    }

    /// Rough heap usage, for `getmempoolinfo`'s `usage`.
    pub fn dynamic_usage(&self) -> u64 {
        self.entries.values().map(|e| e.weight + 400 + 64 * (e.parents.len() + e.children.len()) as u64).sum()
    }

    pub fn get(&self, txid: &Txid) -> Option<&MempoolEntry> {
        self.entries.get(txid)
    }

    pub fn contains(&self, txid: &Txid) -> bool {
        self.entries.contains_key(txid)
    }

    pub fn contains_wtxid(&self, wtxid: &Wtxid) -> bool {
        self.by_wtxid.contains_key(wtxid)
    }

    pub fn get_by_wtxid(&self, wtxid: &Wtxid) -> Option<&MempoolEntry> {
        self.by_wtxid.get(wtxid).and_then(|txid| self.entries.get(txid))
    }

    pub fn spender(&self, outpoint: &OutPoint) -> Option<Txid> {
        self.spenders.get(outpoint).copied()
    }

    pub fn entries(&self) -> impl Iterator<Item = &MempoolEntry> {
        self.entries.values()
    }

    /// Entries in arrival order.
    pub fn entries_in_order(&self) -> Vec<&MempoolEntry> {
        let mut all: Vec<_> = self.entries.values().collect();
        all.sort_by_key(|e| e.sequence);
        all
    }

    pub fn delta(&self, txid: &Txid) -> i64 {
        self.deltas.get(txid).copied().unwrap_or(0)
    }

    pub fn deltas(&self) -> &HashMap<Txid, i64> {
        &self.deltas
    }

    /// `prioritisetransaction`: adds to a transaction's fee for mining and eviction purposes.
    pub fn prioritise(&mut self, txid: Txid, delta: i64) {
        let d = self.deltas.entry(txid).or_insert(0);
        *d = d.saturating_add(delta);
        if *d == 0 {
            self.deltas.remove(&txid);
        }
    }

    pub fn modified_fee(&self, entry: &MempoolEntry) -> SignedAmount {
        SignedAmount::from_sat(entry.fee.to_sat() as i64 + self.delta(&entry.txid))
    }

    /// The transaction's in-mempool ancestors (not itself).
    pub fn ancestors(&self, txid: &Txid) -> HashSet<Txid> {
        self.closure(txid, |e| &e.parents)
    }

    /// The transaction's in-mempool descendants (not itself).
    pub fn descendants(&self, txid: &Txid) -> HashSet<Txid> {
        self.closure(txid, |e| &e.children)
    }

    fn closure(&self, txid: &Txid, next: impl Fn(&MempoolEntry) -> &BTreeSet<Txid>) -> HashSet<Txid> {
        let mut seen = HashSet::new();
        let mut stack: Vec<Txid> =
            self.entries.get(txid).map(|e| next(e).iter().copied().collect()).unwrap_or_default();
        while let Some(t) = stack.pop() {
            if seen.insert(t) {
                if let Some(e) = self.entries.get(&t) {
                    stack.extend(next(e).iter().copied());
                }
            }
        }
        seen
    }

    /// Totals over `txids` plus `txid` itself.
    pub fn package(&self, txid: &Txid, related: &HashSet<Txid>) -> Package {
        let mut p = Package::default();
        for t in related.iter().chain(std::iter::once(txid)) {
            if let Some(e) = self.entries.get(t) {
                p.count += 1;
                p.vsize += e.vsize;
                p.fees += e.fee;
                p.modified_fees += self.modified_fee(e);
            }
        }
        p
    }

    pub(crate) fn next_sequence(&mut self) -> u64 {
        self.next_sequence += 1;
        self.next_sequence
    }

    /// Adds an entry whose parents in the mempool are already linked in `entry.parents`.
    pub(crate) fn insert(&mut self, mut entry: MempoolEntry) {
        let txid = entry.txid;
        for input in &entry.tx.input {
            self.spenders.insert(input.previous_output, txid);
        }
        for parent in &entry.parents {
            if let Some(p) = self.entries.get_mut(parent) {
                p.children.insert(txid);
            }
        }
        // Children may already be here after a reorganisation re-adds a parent.
        entry.children = (0..entry.tx.output.len() as u32)
            .filter_map(|vout| self.spenders.get(&OutPoint { txid, vout }).copied())
            .collect();
        for child in &entry.children {
            if let Some(c) = self.entries.get_mut(child) {
                c.parents.insert(txid);
            }
        }
        self.total_vsize += entry.vsize;
        self.total_fee += entry.fee;
        self.by_wtxid.insert(entry.wtxid, txid);
        if self.events.is_active() {
            self.events.emit(ChainEvent::TransactionAdded(entry.tx.clone()));
        }
        self.entries.insert(txid, entry);
        self.change_sequence += 1;
    }

    /// Removes one entry, unlinking it from parents and children.
    pub(crate) fn remove(&mut self, txid: &Txid, reason: RemovalReason) -> Option<MempoolEntry> {
        let entry = self.entries.remove(txid)?;
        if self.events.is_active() {
            self.events.emit(ChainEvent::TransactionRemoved { tx: entry.tx.clone(), reason });
        }
        for input in &entry.tx.input {
            if self.spenders.get(&input.previous_output) == Some(txid) {
                self.spenders.remove(&input.previous_output);
            }
        }
        for parent in &entry.parents {
            if let Some(p) = self.entries.get_mut(parent) {
                p.children.remove(txid);
            }
        }
        for child in &entry.children {
            if let Some(c) = self.entries.get_mut(child) {
                c.parents.remove(txid);
            }
        }
        self.by_wtxid.remove(&entry.wtxid);
        self.total_vsize -= entry.vsize;
        self.total_fee -= entry.fee;
        self.change_sequence += 1;
        Some(entry)
    }

    /// Removes a transaction and everything that depends on it.
    pub(crate) fn remove_with_descendants(&mut self, txid: &Txid, reason: RemovalReason) -> Vec<MempoolEntry> {
        let mut doomed: Vec<Txid> = self.descendants(txid).into_iter().collect();
        doomed.push(*txid);
        doomed.iter().filter_map(|t| self.remove(t, reason)).collect()
    }

    /// Empties the mempool, returning its entries in arrival order.
    pub(crate) fn drain(&mut self) -> Vec<MempoolEntry> {
        let mut all: Vec<MempoolEntry> = self.entries.drain().map(|(_, e)| e).collect();
        all.sort_by_key(|e| e.sequence);
        if self.events.is_active() {
            for e in &all {
                self.events.emit(ChainEvent::TransactionRemoved { tx: e.tx.clone(), reason: RemovalReason::Reorg });
            }
        }
        self.by_wtxid.clear();
        self.spenders.clear();
        self.total_vsize = 0;
        self.total_fee = Amount::ZERO;
        self.change_sequence += 1;
        all
    }

    /// Drops transactions older than the expiry; returns how many went.
    pub(crate) fn expire(&mut self, now: i64) -> usize {
        let cutoff = now - self.options.expiry.as_secs() as i64;
        let old: Vec<Txid> = self.entries.values().filter(|e| e.time < cutoff).map(|e| e.txid).collect();
        old.iter().map(|t| self.remove_with_descendants(t, RemovalReason::Expiry).len()).sum()
    }

    /// Evicts the packages with the lowest descendant fee rate until the mempool
    /// fits `max_size`; returns the fee rate of the last eviction plus the
    /// incremental relay fee, which becomes the minimum for new transactions.
    pub(crate) fn trim_to_size(&mut self) -> Option<FeeRate> {
        let mut floor = None;
        while self.total_vsize > self.options.max_size {
            let worst = self
                .entries
                .values()
                .map(|e| {
                    let d = self.package(&e.txid, &self.descendants(&e.txid));
                    (d.modified_fees.to_sat() * 1000 / d.vsize.max(1) as i64, e.txid)
                })
                .min()?;
            let incremental = self.options.policy.incremental_relay_fee.to_sat_per_kvb();
            floor = Some(FeeRate::from_sat_per_kvb(worst.0.max(0) as u64 + incremental));
            self.remove_with_descendants(&worst.1, RemovalReason::SizeLimit);
        }
        floor
    }
}
