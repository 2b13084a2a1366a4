//! Pruning (`-prune`): deleting whole `blk`/`rev` file pairs whose blocks are
//! all deep in the active chain, so the node keeps a bounded amount of block
//! data. The rules are the reference's: nothing goes before the chain is
//! [`ChainParams::prune_after_height`] high, the last [`MIN_BLOCKS_TO_KEEP`]
//! blocks always stay (a reorganisation needs their undo data), and so does
//! the file being written. Index records of pruned blocks keep their headers
//! and transaction counts; only their data positions go.

use std::collections::BTreeMap;

use hashvive_common::options::MIN_PRUNE_TARGET_MIB;
use hashvive_consensus::ChainParams;

use crate::blockfiles::BlockFiles;
use crate::chainstate::{ChainError, Chainstate, Inner};
use crate::error::StoreError;
use crate::index::{BlockIndex, Idx, Status};

/// Blocks at the tip that are never pruned.
pub const MIN_BLOCKS_TO_KEEP: u32 = 288;
/// Room kept under the target for what is written before the next check
/// (the reference's block and undo allocation chunks).
const TARGET_BUFFER: u64 = (16 + 1) << 20;

/// What `-prune` allows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PruneMode {
    /// Every block is kept (`-prune=0`).
    #[default]
    Off,
    /// Only `pruneblockchain` deletes (`-prune=1`).
    Manual,
    /// Old files are deleted to keep block data under this many bytes.
    Target(u64),
}

impl PruneMode {
    /// The mode `-prune=<mib>` asks for; refused below the smallest target
    /// and for negative values, in the reference's words.
    pub fn from_option(mib: i64) -> Result<PruneMode, String> {
        match mib {
            ..0 => Err("Prune cannot be configured with a negative value.".into()),
            0 => Ok(PruneMode::Off),
            1 => Ok(PruneMode::Manual),
            n if (n as u64) < MIN_PRUNE_TARGET_MIB => Err(format!(
                "Prune configured below the minimum of {MIN_PRUNE_TARGET_MIB} MiB.  Please use a higher number."
            )),
            n => Ok(PruneMode::Target((n as u64).saturating_mul(1 << 20))),
        }
    }

    pub fn is_on(self) -> bool {
        self != PruneMode::Off
    }
}

/// What the pruner knows of each block file pair.
#[derive(Default)]
pub(crate) struct FileTable {
    /// Lowest and highest height of the blocks stored in each file.
    heights: BTreeMap<u32, (u32, u32)>,
    /// Bytes of each pair no longer written to, measured once.
    closed_bytes: BTreeMap<u32, u64>,
}

impl FileTable {
    pub(crate) fn from_index(index: &BlockIndex) -> FileTable {
        let mut table = FileTable::default();
        for (_, entry) in index.iter() {
            if let Some(pos) = entry.record.data {
                table.add(pos.file, entry.height());
            }
        }
        table
    }

    pub(crate) fn add(&mut self, file: u32, height: u32) {
        let range = self.heights.entry(file).or_insert((height, height));
        *range = (range.0.min(height), range.1.max(height));
    }

    /// Bytes of block data on disk: measured anew only for the current file.
    fn usage(&mut self, files: &BlockFiles) -> u64 {
        let current = files.current();
        let mut total = files.pair_size(current);
        for &file in self.heights.keys().filter(|f| **f != current) {
            total += *self.closed_bytes.entry(file).or_insert_with(|| files.pair_size(file));
        }
        total
    }

    /// Files other than the current one whose blocks are all at or below `height`.
    fn prunable(&self, files: &BlockFiles, height: u32) -> impl Iterator<Item = u32> + '_ {
        let current = files.current();
        self.heights.iter().filter(move |(f, (_, last))| **f != current && *last <= height).map(|(f, _)| *f)
    }
}

impl Chainstate {
    pub fn prune_mode(&self) -> PruneMode {
        self.lock().prune
    }

    /// The highest active block whose data or undo data is gone, every block
    /// above it having both (the reference's `GetPruneHeight`); `None` when
    /// nothing was pruned. The genesis block has no undo data and does not count.
    pub fn prune_height(&self) -> Option<u32> {
        let inner = self.lock();
        if !inner.have_pruned {
            return None;
        }
        let index = &inner.index;
        let have_all = |h: u32| {
            index.at_height(h).is_some_and(|i| {
                let status = index.get(i).status();
                status.contains(Status::HAVE_DATA) && status.contains(Status::HAVE_UNDO)
            })
        };
        let tip = inner.tip_summary().height;
        if tip == 0 {
            return None;
        }
        let first_complete = (1..=tip).rev().take_while(|h| have_all(*h)).last();
        match first_complete {
            None => Some(tip),
            Some(1) => None,
            Some(h) => Some(h - 1),
        }
    }

    /// `pruneblockchain`: deletes every file (but the current one) whose
    /// blocks are all at or below `height`, which must leave the last
    /// [`MIN_BLOCKS_TO_KEEP`] blocks; returns [`prune_height`](Self::prune_height) after.
    pub fn prune_up_to(&self, height: u32) -> Result<Option<u32>, ChainError> {
        {
            let mut inner = self.lock();
            let tip = inner.tip_summary().height;
            let height = height.min(tip.saturating_sub(MIN_BLOCKS_TO_KEEP));
            let files: Vec<u32> = inner.file_table.prunable(&inner.files, height).collect();
            inner.prune_files(&files, height)?;
        }
        Ok(self.prune_height())
    }
}

impl Inner {
    /// Automatic pruning: deletes the oldest files that may go until block
    /// data fits under the target, as the reference does after each flush.
    pub(crate) fn prune_to_target(&mut self, params: &ChainParams) -> Result<(), StoreError> {
        let PruneMode::Target(target) = self.prune else { return Ok(()) };
        let tip = self.tip_summary().height;
        if tip <= params.prune_after_height {
            return Ok(());
        }
        let Inner { file_table, files, .. } = self;
        let mut usage = file_table.usage(files);
        if usage + TARGET_BUFFER < target {
            return Ok(());
        }
        let last_prunable = tip.saturating_sub(MIN_BLOCKS_TO_KEEP);
        let mut chosen = Vec::new();
        for file in file_table.prunable(files, last_prunable) {
            if usage + TARGET_BUFFER < target {
                break;
            }
            usage -= file_table.closed_bytes.get(&file).copied().unwrap_or(0);
            chosen.push(file);
        }
        tracing::debug!(
            target: "prune",
            "Prune: target={}MiB actual={}MiB diff={}MiB max_prune_height={last_prunable} removed {} blk/rev pairs",
            target >> 20,
            usage >> 20,
            (target as i64 - usage as i64) / (1 << 20),
            chosen.len()
        );
        self.prune_files(&chosen, last_prunable)
    }

    /// Forgets the blocks stored in `files`, makes that durable, then deletes
    /// the files: the index never points at a deleted file.
    fn prune_files(&mut self, files: &[u32], height: u32) -> Result<(), StoreError> {
        if files.is_empty() {
            return Ok(());
        }
        let pruned: Vec<Idx> = self
            .index
            .iter()
            .filter(|(_, e)| e.record.data.is_some_and(|pos| files.contains(&pos.file)))
            .map(|(idx, _)| idx)
            .collect();
        for idx in pruned {
            self.index.update(idx, |r| {
                r.data = None;
                r.undo = None;
                r.status.clear_data();
            });
        }
        if !self.have_pruned {
            self.store.write(true, |w| w.set_pruned())?;
            self.have_pruned = true;
        }
        self.flush(true)?;
        for &file in files {
            self.files.remove_pair(file)?;
            self.file_table.heights.remove(&file);
            self.file_table.closed_bytes.remove(&file);
            tracing::debug!(target: "prune", "Prune: deleted blk/rev ({file:05})");
        }
        tracing::info!("Pruned {} block file pairs holding blocks up to height {height}", files.len());
        Ok(())
    }

    /// Deletes block files no index record points at: files a crash left
    /// between committing a prune and deleting them. Only on a pruned node,
    /// where every file holding blocks is in the table.
    pub(crate) fn remove_forgotten_files(&mut self) -> Result<(), StoreError> {
        if !self.have_pruned {
            return Ok(());
        }
        let current = self.files.current();
        for file in self.files.block_file_numbers()? {
            if file < current && !self.file_table.heights.contains_key(&file) {
                self.files.remove_pair(file)?;
                tracing::debug!(target: "prune", "Prune: deleted unreferenced blk/rev ({file:05})");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_option_values() {
        assert_eq!(PruneMode::from_option(0), Ok(PruneMode::Off));
        assert_eq!(PruneMode::from_option(1), Ok(PruneMode::Manual));
        assert_eq!(PruneMode::from_option(550), Ok(PruneMode::Target(550 << 20)));
        assert_eq!(
            PruneMode::from_option(549),
            Err("Prune configured below the minimum of 550 MiB.  Please use a higher number.".into())
        );
        assert_eq!(PruneMode::from_option(-1), Err("Prune cannot be configured with a negative value.".into()));
    }
}
