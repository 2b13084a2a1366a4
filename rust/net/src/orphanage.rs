//! Transactions that arrived before their parents (the reference's
//! `TxOrphanage`): kept a while, bounded in number and size, and tried again
//! when a parent enters the mempool.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::{OutPoint, Transaction, Txid, Weight, Wtxid};

/// The reference's `DEFAULT_MAX_ORPHAN_TRANSACTIONS`.
pub const MAX_ORPHANS: usize = 100;
/// How long an orphan waits for its parents (`ORPHAN_TX_EXPIRE_TIME`).
pub const ORPHAN_EXPIRY: Duration = Duration::from_secs(20 * 60);
/// Orphans heavier than a standard transaction may be are not kept: their
/// parents' arrival could not make them acceptable.
const MAX_ORPHAN_WEIGHT: Weight = Weight::from_wu(400_000);

struct Orphan {
    tx: Arc<Transaction>,
    /// The peer that gave it, which is asked for its parents.
    from_peer: u64,
    expires: Instant,
}

#[derive(Default)]
pub struct Orphanage {
    orphans: BTreeMap<Wtxid, Orphan>,
    /// Orphans by the outputs they spend.
    by_prevout: HashMap<OutPoint, HashSet<Wtxid>>,
}

impl Orphanage {
    /// Keeps `tx` from `peer` until its parents come; `false` when it is too
    /// heavy or already kept. The oldest-expiring orphans make room.
    pub fn add(&mut self, tx: Arc<Transaction>, peer: u64, now: Instant) -> bool {
        let wtxid = tx.compute_wtxid();
        if tx.weight() > MAX_ORPHAN_WEIGHT || self.orphans.contains_key(&wtxid) {
            return false;
        }
        self.expire(now);
        while self.orphans.len() >= MAX_ORPHANS {
            // The reference evicts at random; the first by wtxid is as good
            // as random to a peer, which cannot choose its wtxid freely
            // without also paying for the transaction.
            let Some(first) = self.orphans.keys().next().copied() else { break };
            self.remove(&first);
        }
        for input in &tx.input {
            self.by_prevout.entry(input.previous_output).or_default().insert(wtxid);
        }
        self.orphans.insert(wtxid, Orphan { tx, from_peer: peer, expires: now + ORPHAN_EXPIRY });
        true
    }

    pub fn contains(&self, wtxid: &Wtxid) -> bool {
        self.orphans.contains_key(wtxid)
    }

    /// Forgets an orphan (accepted, refused for good, or made room for).
    pub fn remove(&mut self, wtxid: &Wtxid) -> Option<Arc<Transaction>> {
        let orphan = self.orphans.remove(wtxid)?;
        for input in &orphan.tx.input {
            if let Some(set) = self.by_prevout.get_mut(&input.previous_output) {
                set.remove(wtxid);
                if set.is_empty() {
                    self.by_prevout.remove(&input.previous_output);
                }
            }
        }
        Some(orphan.tx)
    }

    /// The orphans spending an output of `parent`, with the peer each came from.
    pub fn children_of(&self, parent: &Transaction) -> Vec<(Arc<Transaction>, u64)> {
        let txid = parent.compute_txid();
        let mut found: Vec<Wtxid> = (0..parent.output.len() as u32)
            .filter_map(|vout| self.by_prevout.get(&OutPoint { txid, vout }))
            .flatten()
            .copied()
            .collect();
        found.sort();
        found.dedup();
        found.iter().filter_map(|w| self.orphans.get(w)).map(|o| (o.tx.clone(), o.from_peer)).collect()
    }

    /// Forgets the orphans of a peer that left.
    pub fn forget_peer(&mut self, peer: u64) {
        let gone: Vec<Wtxid> = self.orphans.iter().filter(|(_, o)| o.from_peer == peer).map(|(w, _)| *w).collect();
        gone.iter().for_each(|w| {
            self.remove(w);
        });
    }

    /// Forgets orphans a block confirmed or made impossible (they spend
    /// what one of its transactions spends).
    pub fn forget_for_block(&mut self, block: &bitcoin::Block) {
        let mut gone = Vec::new();
        for tx in &block.txdata {
            for input in &tx.input {
                if let Some(set) = self.by_prevout.get(&input.previous_output) {
                    gone.extend(set.iter().copied());
                }
            }
        }
        gone.iter().for_each(|w| {
            self.remove(w);
        });
    }

    fn expire(&mut self, now: Instant) {
        let gone: Vec<Wtxid> = self.orphans.iter().filter(|(_, o)| o.expires <= now).map(|(w, _)| *w).collect();
        gone.iter().for_each(|w| {
            self.remove(w);
        });
    }
}

/// The distinct parents `tx` spends from.
pub fn parent_txids(tx: &Transaction) -> Vec<Txid> {
    let mut parents: Vec<Txid> = tx.input.iter().map(|i| i.previous_output.txid).collect();
    parents.sort();
    parents.dedup();
    parents
}

#[cfg(test)]
mod tests {
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, ScriptBuf, Sequence, TxIn, TxOut, Witness};

    use super::*;

    fn spending(parent: Txid, vout: u32, tag: u64) -> Arc<Transaction> {
        Arc::new(Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint { txid: parent, vout },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut { value: Amount::from_sat(tag), script_pubkey: ScriptBuf::new() }],
        })
    }

    #[test]
    fn children_are_found_by_their_parent_and_forgotten_with_their_peer() {
        let mut orphans = Orphanage::default();
        let now = Instant::now();
        let parent = spending(Txid::all_zeros(), 0, 1);
        let child = spending(parent.compute_txid(), 0, 2);
        assert!(orphans.add(child.clone(), 7, now));
        assert!(!orphans.add(child.clone(), 8, now), "kept once");
        assert_eq!(orphans.children_of(&parent).len(), 1);
        assert_eq!(orphans.children_of(&parent)[0].1, 7);
        orphans.forget_peer(7);
        assert!(orphans.orphans.is_empty());
        assert!(orphans.children_of(&parent).is_empty());
    }

    #[test]
    fn the_orphanage_is_bounded_and_old_orphans_expire() {
        let mut orphans = Orphanage::default();
        let now = Instant::now();
        for i in 0..(MAX_ORPHANS as u64 + 20) {
            orphans.add(spending(Txid::all_zeros(), i as u32, i), 1, now);
        }
        assert_eq!(orphans.orphans.len(), MAX_ORPHANS);
        orphans.add(spending(Txid::all_zeros(), 9999, 9999), 1, now + ORPHAN_EXPIRY + Duration::from_secs(1));
        assert_eq!(orphans.orphans.len(), 1, "the others expired");
    }
}
