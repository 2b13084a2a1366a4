//! Blocks and their undo data in append-only flat files under `blocks/`, in
//! the reference node's layout (`blkNNNNN.dat`, `revNNNNN.dat`; each record is
//! the network magic, a little-endian length and the payload), so tools that
//! read the reference's block files read ours.
//!
//! Files are only appended to, until pruning deletes a whole `blk`/`rev`
//! pair. A record the database does not point at (a crash between writing it
//! and committing the index) is dead space, never a corruption: the next
//! write starts at the end of the file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::Magic;
use bitcoin::{Block, BlockHash};

use crate::coins::BlockUndo;
use crate::error::StoreError;

/// A new file is started once a block would take one past this size.
pub const MAX_BLOCKFILE_SIZE: u64 = 0x800_0000;
/// The file size under `-fastprune`, so tests fill files with few blocks.
pub const FAST_PRUNE_BLOCKFILE_SIZE: u64 = 0x1_0000;

/// Where a record's payload starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilePos {
    pub file: u32,
    pub pos: u32,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Block,
    Undo,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Block => "blk",
            Kind::Undo => "rev",
        }
    }
}

pub struct BlockFiles {
    dir: PathBuf,
    magic: Magic,
    max_file_size: u64,
    /// The file new blocks go to, with its open handles; undo data of a block
    /// goes to the `rev` file with the block's file number.
    current: u32,
    blk: File,
    /// Files written since the last `sync`.
    unsynced: Vec<(Kind, u32)>,
}

impl BlockFiles {
    /// Opens `dir` (creating it), continuing the highest-numbered block file;
    /// a new file is started when a block would take one past `max_file_size`.
    pub fn open(dir: &Path, magic: Magic, max_file_size: u64) -> Result<BlockFiles, StoreError> {
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let current = block_file_numbers(dir)?.into_iter().max().unwrap_or(0);
        let blk = open_append(&file_path(dir, Kind::Block, current))?;
        Ok(BlockFiles { dir: dir.to_path_buf(), magic, max_file_size, current, blk, unsynced: Vec::new() })
    }

    /// The number of the file new blocks go to.
    pub fn current(&self) -> u32 {
        self.current
    }

    /// The numbers of every `blk` file in the directory, in no order.
    pub fn block_file_numbers(&self) -> Result<Vec<u32>, StoreError> {
        block_file_numbers(&self.dir)
    }

    /// Bytes the `blk`/`rev` pair numbered `n` takes (0 for what is missing).
    pub fn pair_size(&self, n: u32) -> u64 {
        [Kind::Block, Kind::Undo].iter().filter_map(|k| fs::metadata(self.path(*k, n)).ok()).map(|m| m.len()).sum()
    }

    /// Deletes the `blk`/`rev` pair numbered `n`, which must not be the
    /// current file. A missing file is not an error: it is gone either way.
    pub fn remove_pair(&mut self, n: u32) -> Result<(), StoreError> {
        debug_assert_ne!(n, self.current, "the file being written is never pruned");
        self.unsynced.retain(|(_, m)| *m != n);
        for kind in [Kind::Block, Kind::Undo] {
            let path = self.path(kind, n);
            match fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(StoreError::io(&path, e)),
                _ => {}
            }
        }
        Ok(())
    }

    pub fn write_block(&mut self, block: &Block) -> Result<FilePos, StoreError> {
        let data = serialize(block);
        let len = self.blk.metadata().map_err(|e| self.err(Kind::Block, self.current, e))?.len();
        if len > 0 && len + 8 + data.len() as u64 > self.max_file_size {
            self.current += 1;
            self.blk = open_append(&self.path(Kind::Block, self.current))?;
        }
        let (file, blk) = (self.current, &mut self.blk);
        let pos = append_record(blk, self.magic, &data)
            .map_err(|e| StoreError::io(&file_path(&self.dir, Kind::Block, file), e))?;
        self.mark_unsynced(Kind::Block, file);
        Ok(FilePos { file, pos })
    }

    pub fn read_block(&self, pos: FilePos) -> Result<Block, StoreError> {
        let data = self.read_record(Kind::Block, pos)?;
        deserialize(&data)
            .map_err(|e| StoreError::Corrupt(format!("block at {}: {e}", self.describe(Kind::Block, pos))))
    }

    /// The raw serialized block, for callers that only forward or hex-encode it.
    pub fn read_block_bytes(&self, pos: FilePos) -> Result<Vec<u8>, StoreError> {
        self.read_record(Kind::Block, pos)
    }

    /// Writes undo data next to the block in file `block_file`, followed by a
    /// checksum over the parent's hash and the data, as the reference does.
    pub fn write_undo(&mut self, block_file: u32, prev: &BlockHash, undo: &BlockUndo) -> Result<FilePos, StoreError> {
        let mut data = undo.encode();
        let checksum = undo_checksum(prev, &data);
        let path = self.path(Kind::Undo, block_file);
        let mut file = open_append(&path)?;
        let payload_len = data.len();
        data.extend_from_slice(checksum.as_byte_array());
        let pos =
            append_record_sized(&mut file, self.magic, &data, payload_len).map_err(|e| StoreError::io(&path, e))?;
        self.mark_unsynced(Kind::Undo, block_file);
        Ok(FilePos { file: block_file, pos })
    }

    pub fn read_undo(&self, pos: FilePos, prev: &BlockHash) -> Result<BlockUndo, StoreError> {
        let path = self.path(Kind::Undo, pos.file);
        let corrupt =
            |what: String| StoreError::Corrupt(format!("undo data at {}: {what}", self.describe(Kind::Undo, pos)));
        let mut file = File::open(&path).map_err(|e| StoreError::io(&path, e))?;
        let len = record_len(&mut file, self.magic, pos).map_err(|e| StoreError::io(&path, e))?;
        let mut data = vec![0; len as usize + 32];
        file.read_exact(&mut data).map_err(|e| StoreError::io(&path, e))?;
        let (payload, checksum) = data.split_at(len as usize);
        if undo_checksum(prev, payload).as_byte_array() != checksum {
            return Err(corrupt("checksum mismatch".into()));
        }
        BlockUndo::decode(payload).map_err(|e| corrupt(e.to_string()))
    }

    /// Makes everything written so far durable; called before the database
    /// records positions durably, so it never points past what the disk holds.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        for (kind, n) in std::mem::take(&mut self.unsynced) {
            let path = self.path(kind, n);
            let file = OpenOptions::new().append(true).open(&path).map_err(|e| StoreError::io(&path, e))?;
            file.sync_data().map_err(|e| StoreError::io(&path, e))?;
        }
        Ok(())
    }

    fn read_record(&self, kind: Kind, pos: FilePos) -> Result<Vec<u8>, StoreError> {
        let path = self.path(kind, pos.file);
        let mut file = File::open(&path).map_err(|e| StoreError::io(&path, e))?;
        let len = record_len(&mut file, self.magic, pos).map_err(|e| StoreError::io(&path, e))?;
        let mut data = vec![0; len as usize];
        file.read_exact(&mut data).map_err(|e| StoreError::io(&path, e))?;
        Ok(data)
    }

    fn mark_unsynced(&mut self, kind: Kind, n: u32) {
        if !self.unsynced.contains(&(kind, n)) {
            self.unsynced.push((kind, n));
        }
    }

    fn path(&self, kind: Kind, n: u32) -> PathBuf {
        file_path(&self.dir, kind, n)
    }

    fn describe(&self, kind: Kind, pos: FilePos) -> String {
        format!("{}:{}", self.path(kind, pos.file).display(), pos.pos)
    }

    fn err(&self, kind: Kind, n: u32, e: io::Error) -> StoreError {
        StoreError::io(&self.path(kind, n), e)
    }
}

fn block_file_numbers(dir: &Path) -> Result<Vec<u32>, StoreError> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| StoreError::io(dir, e))? {
        let name = entry.map_err(|e| StoreError::io(dir, e))?.file_name();
        let number = name.to_str().and_then(|n| n.strip_prefix("blk")?.strip_suffix(".dat")?.parse::<u32>().ok());
        out.extend(number);
    }
    Ok(out)
}

fn file_path(dir: &Path, kind: Kind, n: u32) -> PathBuf {
    dir.join(format!("{}{n:05}.dat", kind.prefix()))
}

fn open_append(path: &Path) -> Result<File, StoreError> {
    OpenOptions::new().create(true).append(true).open(path).map_err(|e| StoreError::io(path, e))
}

fn append_record(file: &mut File, magic: Magic, data: &[u8]) -> io::Result<u32> {
    append_record_sized(file, magic, data, data.len())
}

/// Appends `magic || len(payload_len) || data` and returns the payload's offset.
fn append_record_sized(file: &mut File, magic: Magic, data: &[u8], payload_len: usize) -> io::Result<u32> {
    let start = file.seek(SeekFrom::End(0))?;
    let pos = u32::try_from(start + 8).map_err(|_| io::Error::other("block file too large"))?;
    let len = u32::try_from(payload_len).map_err(|_| io::Error::other("record too large"))?;
    let mut buf = Vec::with_capacity(8 + data.len());
    buf.extend_from_slice(&magic.to_bytes());
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(data);
    file.write_all(&buf)?;
    Ok(pos)
}

/// Checks the header before `pos` and leaves the file positioned at the payload.
fn record_len(file: &mut File, magic: Magic, pos: FilePos) -> io::Result<u32> {
    let start = u64::from(pos.pos).checked_sub(8).ok_or_else(|| io::Error::other("record position before header"))?;
    file.seek(SeekFrom::Start(start))?;
    let mut header = [0u8; 8];
    file.read_exact(&mut header)?;
    if header[..4] != magic.to_bytes() {
        return Err(io::Error::other("record does not start with the network magic"));
    }
    let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
    let file_len = file.metadata()?.len();
    if u64::from(pos.pos) + u64::from(len) > file_len {
        return Err(io::Error::other("record runs past the end of the file"));
    }
    Ok(len)
}

fn undo_checksum(prev: &BlockHash, data: &[u8]) -> sha256d::Hash {
    let mut engine = sha256d::Hash::engine();
    bitcoin::hashes::HashEngine::input(&mut engine, prev.as_byte_array());
    bitcoin::hashes::HashEngine::input(&mut engine, data);
    sha256d::Hash::from_engine(engine)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coins::Coin;
    use bitcoin::blockdata::constants::genesis_block;
    use bitcoin::{Amount, Network, ScriptBuf, TxOut};

    #[test]
    fn blocks_and_undo_round_trip_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let magic = Network::Regtest.magic();
        let block = genesis_block(Network::Regtest);
        let mut files = BlockFiles::open(dir.path(), magic, MAX_BLOCKFILE_SIZE).unwrap();
        let a = files.write_block(&block).unwrap();
        let b = files.write_block(&block).unwrap();
        assert_eq!(a, FilePos { file: 0, pos: 8 });
        assert_eq!(b.pos, 8 + 285 + 8);
        let undo = BlockUndo {
            txs: vec![vec![Coin {
                txout: TxOut { value: Amount::ONE_BTC, script_pubkey: ScriptBuf::new() },
                height: 3,
                is_coinbase: true,
            }]],
        };
        let prev = block.block_hash();
        let u = files.write_undo(a.file, &prev, &undo).unwrap();
        files.sync().unwrap();
        drop(files);

        let files = BlockFiles::open(dir.path(), magic, MAX_BLOCKFILE_SIZE).unwrap();
        assert_eq!(files.read_block(b).unwrap(), block);
        assert_eq!(files.read_undo(u, &prev).unwrap(), undo);
        // The checksum ties undo data to its block's parent.
        assert!(matches!(files.read_undo(u, &BlockHash::all_zeros()), Err(StoreError::Corrupt(_))));
        // Positions that do not point at a record are errors.
        assert!(files.read_block(FilePos { file: 0, pos: 9 }).is_err());
        assert!(files.read_block(FilePos { file: 0, pos: 4 }).is_err());
        assert!(files.read_block(FilePos { file: 7, pos: 8 }).is_err());
    }
}
