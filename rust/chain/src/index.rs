//! The block index: every header the node knows, as a tree in memory, with
//! the active chain and the set of tips it could move to.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::{BitOr, BitOrAssign};

use bitcoin::block::Header;
use bitcoin::{BlockHash, Work};

use crate::blockfiles::FilePos;

/// How far a block has been validated and what the node has of it; the
/// reference's `BlockStatus` bits, so the meaning carries over.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Status(u32);

impl Status {
    const VALID_MASK: u32 = 7;
    /// Header valid, its ancestors known.
    pub const VALID_TREE: Status = Status(2);
    /// Transactions checked without context; the block's data is on disk.
    pub const VALID_TRANSACTIONS: Status = Status(3);
    /// Connected: inputs exist, amounts and scripts check.
    pub const VALID_SCRIPTS: Status = Status(5);
    pub const HAVE_DATA: Status = Status(8);
    pub const HAVE_UNDO: Status = Status(16);
    /// The block itself broke a rule.
    pub const FAILED_VALID: Status = Status(32);
    /// An ancestor broke a rule.
    pub const FAILED_CHILD: Status = Status(64);
    const FAILED_MASK: u32 = 32 | 64;

    pub fn bits(self) -> u32 {
        self.0
    }

    pub fn from_bits(bits: u32) -> Status {
        Status(bits)
    }

    pub fn contains(self, flag: Status) -> bool {
        if flag.0 & Self::VALID_MASK != 0 {
            return self.0 & Self::FAILED_MASK == 0 && self.0 & Self::VALID_MASK >= flag.0 & Self::VALID_MASK;
        }
        self.0 & flag.0 == flag.0
    }

    pub fn is_failed(self) -> bool {
        self.0 & Self::FAILED_MASK != 0
    }

    /// Raises the validity level (never lowers it).
    pub fn raise_validity(&mut self, level: Status) {
        if self.0 & Self::VALID_MASK < level.0 {
            self.0 = (self.0 & !Self::VALID_MASK) | level.0;
        }
    }

    pub fn clear_failed(&mut self) {
        self.0 &= !Self::FAILED_MASK;
    }

    /// Drops what the node has of the block's data (pruning); its validity stays.
    pub fn clear_data(&mut self) {
        self.0 &= !(Self::HAVE_DATA.0 | Self::HAVE_UNDO.0);
    }
}

impl BitOr for Status {
    type Output = Status;
    fn bitor(self, rhs: Status) -> Status {
        Status(self.0 | rhs.0)
    }
}

impl BitOrAssign for Status {
    fn bitor_assign(&mut self, rhs: Status) {
        self.0 |= rhs.0;
    }
}

/// What the database keeps of a block index entry; the rest is derived on load.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockRecord {
    pub header: Header,
    pub height: u32,
    pub status: Status,
    pub n_tx: u32,
    pub data: Option<FilePos>,
    pub undo: Option<FilePos>,
}

/// A position in the index's arena. Entries are never removed while the node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Idx(u32);

impl Idx {
    pub fn as_usize(self) -> usize {
        self.0 as usize
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub hash: BlockHash,
    pub record: BlockRecord,
    pub prev: Option<Idx>,
    /// Total work of the chain up to and including this block.
    pub chain_work: Work,
    /// Transactions in the chain up to this block; 0 while any block on the
    /// way never had its data (pruned blocks keep their count).
    pub chain_tx: u64,
    /// Arrival order of the block's data: of two tips with equal work the
    /// first one seen wins. Loaded blocks share 0; `preciousblock` goes negative.
    pub sequence: i64,
    /// The latest block time on the way to this block.
    pub time_max: u32,
}

impl Entry {
    pub fn height(&self) -> u32 {
        self.record.height
    }

    pub fn status(&self) -> Status {
        self.record.status
    }
}

type CandidateKey = (Work, Reverse<i64>, Reverse<Idx>);

#[derive(Default)]
pub struct BlockIndex {
    entries: Vec<Entry>,
    by_hash: HashMap<BlockHash, Idx>,
    /// Each entry's children, by the entry's position.
    children: Vec<Vec<Idx>>,
    /// The active chain, by height.
    active: Vec<Idx>,
    /// Blocks with all data on the way, not known invalid, that could be a tip.
    candidates: BTreeSet<CandidateKey>,
    /// Entries changed since the last database write.
    dirty: HashSet<Idx>,
    next_sequence: i64,
    /// Counter for `preciousblock`, which moves a tip ahead of others with equal work.
    precious_sequence: i64,
}

impl BlockIndex {
    /// Rebuilds the tree from the database records. Every record's parent must be present.
    pub fn load(mut records: Vec<(BlockHash, BlockRecord)>) -> Result<BlockIndex, String> {
        records.sort_by_key(|(_, r)| r.height);
        let mut index = BlockIndex { next_sequence: 1, ..BlockIndex::default() };
        for (hash, record) in records {
            let prev = if record.height == 0 {
                None
            } else {
                let prev_hash = record.header.prev_blockhash;
                let prev = index.lookup(&prev_hash).ok_or_else(|| format!("block {hash} has no parent {prev_hash}"))?;
                if index.get(prev).height() + 1 != record.height {
                    return Err(format!("block {hash} has height {} after its parent's", record.height));
                }
                Some(prev)
            };
            let idx = index.push(hash, record, prev);
            index.entries[idx.0 as usize].sequence = 0;
        }
        Ok(index)
    }

    /// Adds a header whose parent (if any) is in the index.
    pub fn insert(&mut self, header: Header, status: Status) -> Idx {
        let prev = self.lookup(&header.prev_blockhash);
        let height = prev.map_or(0, |p| self.get(p).height() + 1);
        let mut record = BlockRecord { header, height, status, n_tx: 0, data: None, undo: None };
        if prev.is_some_and(|p| self.get(p).status().is_failed()) {
            record.status |= Status::FAILED_CHILD;
        }
        let idx = self.push(header.block_hash(), record, prev);
        self.dirty.insert(idx);
        idx
    }

    fn push(&mut self, hash: BlockHash, record: BlockRecord, prev: Option<Idx>) -> Idx {
        let idx = Idx(self.entries.len() as u32);
        let (prev_work, prev_tx, prev_time) = prev.map_or((Work::from_be_bytes([0; 32]), 0, 0), |p| {
            let e = self.get(p);
            (e.chain_work, e.chain_tx, e.time_max)
        });
        // `n_tx` is set when the data arrives and kept when it is pruned.
        let had_data = record.n_tx > 0;
        let chain_tx = if had_data && (prev.is_none() || prev_tx > 0) { prev_tx + u64::from(record.n_tx) } else { 0 };
        let entry = Entry {
            hash,
            chain_work: prev_work + record.header.work(),
            chain_tx,
            sequence: 0,
            time_max: prev_time.max(record.header.time),
            prev,
            record,
        };
        self.by_hash.insert(hash, idx);
        self.entries.push(entry);
        self.children.push(Vec::new());
        if let Some(p) = prev {
            self.children[p.as_usize()].push(idx);
        }
        idx
    }

    pub fn lookup(&self, hash: &BlockHash) -> Option<Idx> {
        self.by_hash.get(hash).copied()
    }

    pub fn get(&self, idx: Idx) -> &Entry {
        &self.entries[idx.0 as usize]
    }

    /// Changes an entry's record; the change is written with the next database write.
    pub fn update(&mut self, idx: Idx, f: impl FnOnce(&mut BlockRecord)) {
        f(&mut self.entries[idx.0 as usize].record);
        self.dirty.insert(idx);
    }

    pub fn take_dirty(&mut self) -> Vec<(BlockHash, BlockRecord)> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty.into_iter().map(|i| (self.get(i).hash, self.get(i).record.clone())).collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Idx, &Entry)> {
        self.entries.iter().enumerate().map(|(i, e)| (Idx(i as u32), e))
    }

    // ---- the active chain ----

    pub fn tip(&self) -> Option<Idx> {
        self.active.last().copied()
    }

    pub fn at_height(&self, height: u32) -> Option<Idx> {
        self.active.get(height as usize).copied()
    }

    pub fn is_active(&self, idx: Idx) -> bool {
        self.at_height(self.get(idx).height()) == Some(idx)
    }

    /// Makes `idx` the tip, rewriting the active chain from the fork point up.
    pub fn set_tip(&mut self, idx: Option<Idx>) {
        let Some(mut idx) = idx else {
            self.active.clear();
            return;
        };
        let height = self.get(idx).height() as usize;
        self.active.truncate(height + 1);
        self.active.resize(height + 1, idx);
        loop {
            let h = self.get(idx).height() as usize;
            if self.active[h] == idx && h != height {
                break;
            }
            self.active[h] = idx;
            match self.get(idx).prev {
                Some(p) => idx = p,
                None => break,
            }
        }
    }

    /// The ancestor of `idx` at `height` (itself at its own height).
    pub fn ancestor(&self, mut idx: Idx, height: u32) -> Option<Idx> {
        if height > self.get(idx).height() {
            return None;
        }
        loop {
            let entry = self.get(idx);
            if entry.height() == height {
                return Some(idx);
            }
            if self.is_active(idx) {
                return self.at_height(height);
            }
            idx = entry.prev?;
        }
    }

    /// The last block `idx` shares with the active chain.
    pub fn fork_point(&self, mut idx: Idx) -> Option<Idx> {
        loop {
            if self.is_active(idx) {
                return Some(idx);
            }
            idx = self.get(idx).prev?;
        }
    }

    /// Median of the last 11 block times up to `idx` (BIP113).
    pub fn median_time_past(&self, idx: Idx) -> i64 {
        let mut times = Vec::with_capacity(11);
        let mut cur = Some(idx);
        while let Some(i) = cur {
            if times.len() == 11 {
                break;
            }
            times.push(self.get(i).record.header.time);
            cur = self.get(i).prev;
        }
        times.sort_unstable();
        i64::from(times[times.len() / 2])
    }

    // ---- candidate tips ----

    fn candidate_key(&self, idx: Idx) -> CandidateKey {
        let e = self.get(idx);
        (e.chain_work, Reverse(e.sequence), Reverse(idx))
    }

    /// The most-work candidate (first seen among equals).
    pub fn best_candidate(&self) -> Option<Idx> {
        self.candidates.last().map(|(_, _, Reverse(idx))| *idx)
    }

    pub fn add_candidate(&mut self, idx: Idx) {
        let key = self.candidate_key(idx);
        self.candidates.insert(key);
    }

    pub fn remove_candidate(&mut self, idx: Idx) {
        let key = self.candidate_key(idx);
        self.candidates.remove(&key);
    }

    /// Drops candidates with less work than the tip: they can never win.
    pub fn prune_candidates(&mut self) {
        if let Some(tip) = self.tip() {
            let key = self.candidate_key(tip);
            self.candidates = self.candidates.split_off(&key);
        }
    }

    /// Records that a block's data arrived with `n_tx` transactions; fills in
    /// `chain_tx` for it and for descendants that were waiting on it, which
    /// become candidates. Returns those blocks.
    pub fn data_received(&mut self, idx: Idx, n_tx: u32, data: FilePos) -> Vec<Idx> {
        self.update(idx, |r| {
            r.n_tx = n_tx;
            r.data = Some(data);
            r.status |= Status::HAVE_DATA;
            r.status.raise_validity(Status::VALID_TRANSACTIONS);
        });
        self.next_sequence += 1;
        self.entries[idx.0 as usize].sequence = self.next_sequence;
        let parent_ready = self.get(idx).prev.is_none_or(|p| self.get(p).chain_tx > 0);
        if !parent_ready {
            return Vec::new();
        }
        // Walk the subtree of blocks that now have every ancestor's data.
        let mut ready = Vec::new();
        let mut queue = vec![idx];
        while let Some(i) = queue.pop() {
            let prev_tx = self.get(i).prev.map_or(0, |p| self.get(p).chain_tx);
            let entry = &mut self.entries[i.0 as usize];
            entry.chain_tx = prev_tx + u64::from(entry.record.n_tx);
            ready.push(i);
            let with_data =
                self.children[i.as_usize()].iter().filter(|c| self.get(**c).status().contains(Status::HAVE_DATA));
            queue.extend(with_data);
        }
        ready
    }

    /// Every block descending from `idx`, excluding it.
    pub fn descendants(&self, idx: Idx) -> Vec<Idx> {
        let mut out = Vec::new();
        let mut stack = self.children[idx.as_usize()].clone();
        while let Some(i) = stack.pop() {
            out.push(i);
            stack.extend_from_slice(&self.children[i.as_usize()]);
        }
        out
    }

    /// Whether `idx` has no children (a tip of the block tree).
    pub fn is_leaf(&self, idx: Idx) -> bool {
        self.children[idx.as_usize()].is_empty()
    }

    /// Moves `idx` ahead of other tips with the same work (`preciousblock`).
    pub fn make_precious(&mut self, idx: Idx) {
        let was = self.candidates.contains(&self.candidate_key(idx));
        if was {
            self.remove_candidate(idx);
        }
        self.precious_sequence -= 1;
        self.entries[idx.0 as usize].sequence = self.precious_sequence;
        if was {
            self.add_candidate(idx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::blockdata::constants::genesis_block;
    use bitcoin::Network;

    fn child(prev: &Header, nonce: u32) -> Header {
        Header { prev_blockhash: prev.block_hash(), nonce, time: prev.time + 1, ..*prev }
    }

    #[test]
    fn status_levels() {
        let mut s = Status::VALID_TREE | Status::HAVE_DATA;
        assert!(s.contains(Status::VALID_TREE) && !s.contains(Status::VALID_SCRIPTS));
        s.raise_validity(Status::VALID_SCRIPTS);
        assert!(s.contains(Status::VALID_TRANSACTIONS) && s.contains(Status::HAVE_DATA));
        s |= Status::FAILED_CHILD;
        assert!(!s.contains(Status::VALID_TREE));
        s.clear_failed();
        assert!(s.contains(Status::VALID_SCRIPTS));
    }

    #[test]
    fn active_chain_ancestors_and_forks() {
        let genesis = genesis_block(Network::Regtest).header;
        let mut index = BlockIndex::default();
        let g = index.insert(genesis, Status::VALID_TREE);
        let mut headers = vec![genesis];
        let mut main = vec![g];
        for i in 0..10 {
            let h = child(headers.last().unwrap(), i);
            main.push(index.insert(h, Status::VALID_TREE));
            headers.push(h);
        }
        index.set_tip(main.last().copied());
        assert_eq!(index.at_height(4), Some(main[4]));
        assert_eq!(index.ancestor(main[10], 3), Some(main[3]));
        // A fork off height 5.
        let f6 = index.insert(child(&headers[5], 99), Status::VALID_TREE);
        let f7 = index.insert(child(&index.get(f6).record.header.clone(), 99), Status::VALID_TREE);
        assert_eq!(index.fork_point(f7), Some(main[5]));
        assert_eq!(index.ancestor(f7, 6), Some(f6));
        assert_eq!(index.ancestor(f7, 2), Some(main[2]));
        assert_eq!(index.descendants(main[5]).len(), 5 + 2);
        index.set_tip(Some(f7));
        assert_eq!(index.tip(), Some(f7));
        assert!(index.is_active(main[5]) && !index.is_active(main[6]));
        assert_eq!(index.at_height(8), None);
        assert_eq!(index.median_time_past(main[10]), i64::from(headers[5].time));
    }

    #[test]
    fn candidates_prefer_work_then_arrival() {
        let genesis = genesis_block(Network::Regtest).header;
        let mut index = BlockIndex::default();
        let g = index.insert(genesis, Status::VALID_TREE);
        index.data_received(g, 1, FilePos { file: 0, pos: 8 });
        let a = index.insert(child(&genesis, 1), Status::VALID_TREE);
        let b = index.insert(child(&genesis, 2), Status::VALID_TREE);
        // b's data arrives first, but a's parent... both have the genesis as parent.
        for idx in index.data_received(b, 1, FilePos { file: 0, pos: 100 }) {
            index.add_candidate(idx);
        }
        for idx in index.data_received(a, 1, FilePos { file: 0, pos: 200 }) {
            index.add_candidate(idx);
        }
        assert_eq!(index.best_candidate(), Some(b));
        index.make_precious(a);
        assert_eq!(index.best_candidate(), Some(a));
        assert_eq!(index.get(a).chain_tx, 2);
    }

    #[test]
    fn data_arriving_out_of_order_waits_for_the_parent() {
        let genesis = genesis_block(Network::Regtest).header;
        let mut index = BlockIndex::default();
        let g = index.insert(genesis, Status::VALID_TREE);
        let h1 = child(&genesis, 1);
        let a = index.insert(h1, Status::VALID_TREE);
        let b = index.insert(child(&h1, 1), Status::VALID_TREE);
        assert!(index.data_received(b, 3, FilePos { file: 0, pos: 8 }).is_empty());
        assert!(index.data_received(a, 2, FilePos { file: 0, pos: 8 }).is_empty());
        let ready = index.data_received(g, 1, FilePos { file: 0, pos: 8 });
        assert_eq!(ready.len(), 3);
        assert_eq!(index.get(b).chain_tx, 6);
    }
}
