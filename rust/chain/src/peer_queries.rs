//! What the peer-to-peer layer asks of the block index: locators for
//! `getheaders`, the headers that answer one, and which blocks to download.

use bitcoin::block::Header;
use bitcoin::BlockHash;

use crate::chainstate::Chainstate;
use crate::index::{Idx, Status};

impl Chainstate {
    /// A block locator for the chain ending at `hash` (the reference's
    /// `GetLocator`): the block, its nine parents, then exponentially
    /// sparser ancestors, always ending with the genesis block. Empty if
    /// `hash` is unknown.
    pub fn locator(&self, hash: &BlockHash) -> Vec<BlockHash> {
        let inner = self.lock();
        let Some(mut idx) = inner.index.lookup(hash) else { return Vec::new() };
        let mut hashes = Vec::with_capacity(32);
        let mut step = 1;
        loop {
            let entry = inner.index.get(idx);
            hashes.push(entry.hash);
            let height = entry.height();
            if height == 0 {
                break;
            }
            let next = height.saturating_sub(step);
            // Past the tenth entry the steps double.
            if hashes.len() > 10 {
                step *= 2;
            }
            match inner.index.ancestor(idx, next) {
                Some(a) => idx = a,
                None => break,
            }
        }
        hashes
    }

    /// The active-chain headers a `getheaders` with `locator` and `stop` asks
    /// for (the reference's answer): those after the first locator entry on
    /// the active chain (the genesis block if none is), at most `max`,
    /// ending early with `stop`. An empty locator asks for `stop` alone.
    pub fn headers_after(&self, locator: &[BlockHash], stop: &BlockHash, max: usize) -> Vec<Header> {
        let inner = self.lock();
        let index = &inner.index;
        if locator.is_empty() {
            return index.lookup(stop).map(|i| vec![index.get(i).record.header]).unwrap_or_default();
        }
        let tip = inner.tip_idx();
        let tip_height = index.get(tip).height();
        let fork = locator
            .iter()
            .filter_map(|h| index.lookup(h))
            .find_map(|i| {
                if index.is_active(i) {
                    Some(i)
                } else if index.ancestor(i, tip_height) == Some(tip) {
                    // A descendant of our tip: the peer is ahead of us.
                    Some(tip)
                } else {
                    None
                }
            })
            .unwrap_or_else(|| index.at_height(0).expect("the active chain has a genesis block"));
        let mut headers = Vec::new();
        let mut height = index.get(fork).height() + 1;
        while headers.len() < max {
            let Some(idx) = index.at_height(height) else { break };
            let entry = index.get(idx);
            headers.push(entry.record.header);
            if entry.hash == *stop {
                break;
            }
            height += 1;
        }
        headers
    }

    /// Blocks to fetch on the way to `target` (a header a peer has), with
    /// their heights, lowest first: those whose data the node lacks, no higher than `window`
    /// blocks above the tip, for which `skip` (given hash and height: blocks
    /// already requested, or a peer cannot serve) says no; at most `max`.
    /// Empty when `target` is unknown or invalid.
    pub fn blocks_to_download(
        &self,
        target: &BlockHash,
        window: u32,
        max: usize,
        skip: impl Fn(&BlockHash, u32) -> bool,
    ) -> Vec<(BlockHash, u32)> {
        let inner = self.lock();
        let index = &inner.index;
        let Some(target) = index.lookup(target) else { return Vec::new() };
        if index.get(target).status().is_failed() {
            return Vec::new();
        }
        let limit = index.get(inner.tip_idx()).height().saturating_add(window);
        let start = index.ancestor(target, index.get(target).height().min(limit));
        let mut wanted: Vec<Idx> = Vec::new();
        let mut cur = start;
        // Walk down until every block below has its data (chain_tx is set).
        while let Some(idx) = cur {
            let entry = index.get(idx);
            if entry.chain_tx > 0 {
                break;
            }
            if !entry.status().contains(Status::HAVE_DATA) && !skip(&entry.hash, entry.height()) {
                wanted.push(idx);
            }
            cur = entry.prev;
        }
        wanted.iter().rev().take(max).map(|i| (index.get(*i).hash, index.get(*i).height())).collect()
    }

    /// The block holding the download window back on the way to `target`
    /// (the reference's `waitingfor`): when the window of `window` blocks
    /// above the tip ends below `target`, the lowest block in it whose data
    /// the node lacks. A peer slow to send it stalls the whole download.
    pub fn window_blocker(&self, target: &BlockHash, window: u32) -> Option<BlockHash> {
        let inner = self.lock();
        let index = &inner.index;
        let target = index.lookup(target)?;
        let limit = index.get(inner.tip_idx()).height().saturating_add(window);
        if index.get(target).height() <= limit {
            return None;
        }
        let mut cur = index.ancestor(target, limit);
        let mut lowest = None;
        while let Some(idx) = cur {
            let entry = index.get(idx);
            if entry.chain_tx > 0 {
                break;
            }
            if !entry.status().contains(Status::HAVE_DATA) {
                lowest = Some(entry.hash);
            }
            cur = entry.prev;
        }
        lowest
    }
}
