//! The chain-state database (`chainstate/chainstate.redb`): block index
//! records, the UTXO set, the optional transaction index and the active tip,
//! all in one redb file so a block's effects commit atomically.
//!
//! Most commits are not synced to disk (`Durability::None`); every so often a
//! synced commit makes everything before it durable. After a crash redb comes
//! back at the last synced commit, which is consistent by construction: the
//! node loses the blocks connected since, never its footing.

use std::path::Path;

use bitcoin::consensus::encode::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint, Txid};
use redb::{Database, ReadableDatabase, ReadableTable, Table, TableDefinition};

use crate::blockfiles::FilePos;
use crate::coins::{decode_coin as decode_coin_bytes, encode_coin, outpoint_key, Coin};
use crate::error::StoreError;
use crate::index::{BlockRecord, Status};

const BLOCKS: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("block_index");
const COINS: TableDefinition<&[u8; 36], &[u8]> = TableDefinition::new("coins");
const TXINDEX: TableDefinition<&[u8; 32], &[u8]> = TableDefinition::new("txindex");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

const META_TIP: &str = "tip";
/// Height up to which the transaction index is complete, absent when off.
const META_TXINDEX_HEIGHT: &str = "txindex_height";
/// Present once any block file was pruned: the node then cannot run unpruned.
const META_PRUNED: &str = "pruned";

/// Where a transaction lives: its block's record and its offset in the block's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLocation {
    pub block: FilePos,
    pub offset: u32,
}

pub struct Store {
    db: Database,
}

impl Store {
    pub fn open(path: &Path, cache_bytes: usize) -> Result<Store, StoreError> {
        let db = Database::builder().set_cache_size(cache_bytes).create(path)?;
        // Create the tables so readers never meet a missing one.
        let txn = db.begin_write()?;
        txn.open_table(BLOCKS)?;
        txn.open_table(COINS)?;
        txn.open_table(TXINDEX)?;
        txn.open_table(META)?;
        txn.commit()?;
        Ok(Store { db })
    }

    /// Every block record, in no particular order.
    pub fn load_index(&self) -> Result<Vec<(BlockHash, BlockRecord)>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(BLOCKS)?;
        let mut out = Vec::new();
        for item in table.iter()? {
            let (k, v) = item?;
            let hash = BlockHash::from_byte_array(*k.value());
            let record = BlockRecord::decode(v.value())
                .ok_or_else(|| StoreError::Corrupt(format!("block index record of {hash}")))?;
            out.push((hash, record));
        }
        Ok(out)
    }

    pub fn tip(&self) -> Result<Option<BlockHash>, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let tip = meta.get(META_TIP)?;
        tip.map(|v| hash_from(v.value(), "tip")).transpose()
    }

    pub fn txindex_height(&self) -> Result<Option<u32>, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        let height = meta.get(META_TXINDEX_HEIGHT)?;
        height.map(|v| u32_from(v.value(), "txindex height")).transpose()
    }

    /// Whether block files were ever pruned from this chain state.
    pub fn have_pruned(&self) -> Result<bool, StoreError> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(META)?;
        Ok(meta.get(META_PRUNED)?.is_some())
    }

    pub fn coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>, StoreError> {
        let txn = self.db.begin_read()?;
        let coins = txn.open_table(COINS)?;
        let coin = coins.get(&outpoint_key(outpoint))?;
        coin.map(|v| decode_coin(v.value(), outpoint)).transpose()
    }

    pub fn tx_location(&self, txid: &Txid) -> Result<Option<TxLocation>, StoreError> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(TXINDEX)?;
        let loc = table.get(txid.as_byte_array())?;
        loc.map(|v| decode_location(v.value()).ok_or_else(|| StoreError::Corrupt(format!("txindex entry of {txid}"))))
            .transpose()
    }

    /// Calls `f` with every unspent output, in key order.
    pub fn for_each_coin(&self, mut f: impl FnMut(OutPoint, Coin)) -> Result<(), StoreError> {
        let txn = self.db.begin_read()?;
        let coins = txn.open_table(COINS)?;
        for item in coins.iter()? {
            let (k, v) = item?;
            let key = k.value();
            let mut txid = [0u8; 32];
            txid.copy_from_slice(&key[..32]);
            let vout = u32::from_be_bytes([key[32], key[33], key[34], key[35]]);
            let outpoint = OutPoint { txid: Txid::from_byte_array(txid), vout };
            let coin = decode_coin(v.value(), &outpoint)?;
            f(outpoint, coin);
        }
        Ok(())
    }

    /// Runs `f` in one write transaction and commits it, synced to disk if
    /// `durable`. Nothing `f` did is kept if it fails.
    pub fn write<R, E>(&self, durable: bool, f: impl FnOnce(&mut Writer<'_>) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let mut txn = self.db.begin_write().map_err(StoreError::from)?;
        let durability = if durable { redb::Durability::Immediate } else { redb::Durability::None };
        txn.set_durability(durability).map_err(StoreError::from)?;
        let result = {
            let mut writer = Writer {
                blocks: txn.open_table(BLOCKS).map_err(StoreError::from)?,
                coins: txn.open_table(COINS).map_err(StoreError::from)?,
                txindex: txn.open_table(TXINDEX).map_err(StoreError::from)?,
                meta: txn.open_table(META).map_err(StoreError::from)?,
            };
            f(&mut writer)?
        };
        txn.commit().map_err(StoreError::from)?;
        Ok(result)
    }
}

impl Store {
    /// Runs `f` in a write transaction that is then thrown away: for checking
    /// what a block would do without doing it.
    pub fn dry_run<R, E>(&self, f: impl FnOnce(&mut Writer<'_>) -> Result<R, E>) -> Result<R, E>
    where
        E: From<StoreError>,
    {
        let txn = self.db.begin_write().map_err(StoreError::from)?;
        let mut writer = Writer {
            blocks: txn.open_table(BLOCKS).map_err(StoreError::from)?,
            coins: txn.open_table(COINS).map_err(StoreError::from)?,
            txindex: txn.open_table(TXINDEX).map_err(StoreError::from)?,
            meta: txn.open_table(META).map_err(StoreError::from)?,
        };
        let result = f(&mut writer);
        drop(writer);
        txn.abort().map_err(StoreError::from)?;
        result
    }
}

/// The tables of one write transaction.
pub struct Writer<'t> {
    blocks: Table<'t, &'static [u8; 32], &'static [u8]>,
    coins: Table<'t, &'static [u8; 36], &'static [u8]>,
    txindex: Table<'t, &'static [u8; 32], &'static [u8]>,
    meta: Table<'t, &'static str, &'static [u8]>,
}

impl Writer<'_> {
    pub fn put_block(&mut self, hash: &BlockHash, record: &BlockRecord) -> Result<(), StoreError> {
        self.blocks.insert(hash.as_byte_array(), record.encode().as_slice())?;
        Ok(())
    }

    pub fn coin(&self, outpoint: &OutPoint) -> Result<Option<Coin>, StoreError> {
        let coin = self.coins.get(&outpoint_key(outpoint))?;
        coin.map(|v| decode_coin(v.value(), outpoint)).transpose()
    }

    pub fn add_coin(&mut self, outpoint: &OutPoint, coin: &Coin) -> Result<(), StoreError> {
        self.coins.insert(&outpoint_key(outpoint), encode_coin(coin).as_slice())?;
        Ok(())
    }

    /// Removes and returns the coin, `None` if it was not unspent.
    pub fn spend_coin(&mut self, outpoint: &OutPoint) -> Result<Option<Coin>, StoreError> {
        let coin = self.coins.remove(&outpoint_key(outpoint))?;
        coin.map(|v| decode_coin(v.value(), outpoint)).transpose()
    }

    pub fn set_tip(&mut self, hash: &BlockHash) -> Result<(), StoreError> {
        self.meta.insert(META_TIP, serialize(hash).as_slice())?;
        Ok(())
    }

    pub fn set_pruned(&mut self) -> Result<(), StoreError> {
        self.meta.insert(META_PRUNED, [1u8].as_slice())?;
        Ok(())
    }

    pub fn index_tx(&mut self, txid: &Txid, loc: TxLocation) -> Result<(), StoreError> {
        self.txindex.insert(txid.as_byte_array(), encode_location(loc).as_slice())?;
        Ok(())
    }

    pub fn unindex_tx(&mut self, txid: &Txid) -> Result<(), StoreError> {
        self.txindex.remove(txid.as_byte_array())?;
        Ok(())
    }

    pub fn set_txindex_height(&mut self, height: Option<u32>) -> Result<(), StoreError> {
        match height {
            Some(h) => self.meta.insert(META_TXINDEX_HEIGHT, h.to_le_bytes().as_slice()).map(drop)?,
            None => {
                self.meta.remove(META_TXINDEX_HEIGHT)?;
                self.txindex.retain(|_, _| false)?;
            }
        }
        Ok(())
    }
}

fn decode_coin(bytes: &[u8], outpoint: &OutPoint) -> Result<Coin, StoreError> {
    decode_coin_bytes(bytes).map_err(|e| StoreError::Corrupt(format!("coin {outpoint}: {e}")))
}

fn hash_from(bytes: &[u8], what: &str) -> Result<BlockHash, StoreError> {
    deserialize(bytes).map_err(|_| StoreError::Corrupt(what.to_string()))
}

fn u32_from(bytes: &[u8], what: &str) -> Result<u32, StoreError> {
    let arr: [u8; 4] = bytes.try_into().map_err(|_| StoreError::Corrupt(what.to_string()))?;
    Ok(u32::from_le_bytes(arr))
}

fn encode_location(loc: TxLocation) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..4].copy_from_slice(&loc.block.file.to_le_bytes());
    out[4..8].copy_from_slice(&loc.block.pos.to_le_bytes());
    out[8..].copy_from_slice(&loc.offset.to_le_bytes());
    out
}

fn decode_location(bytes: &[u8]) -> Option<TxLocation> {
    let b: &[u8; 12] = bytes.try_into().ok()?;
    let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    Some(TxLocation { block: FilePos { file: word(0), pos: word(4) }, offset: word(8) })
}

impl BlockRecord {
    /// `header (80) || height || status || n_tx || data file || data pos || undo file || undo pos`,
    /// integers little-endian; a zero position means "none" (records start at offset 8).
    fn encode(&self) -> Vec<u8> {
        let mut out = serialize(&self.header);
        let pos = |p: Option<FilePos>| p.map_or((0, 0), |p| (p.file, p.pos));
        let (df, dp) = pos(self.data);
        let (uf, up) = pos(self.undo);
        for word in [self.height, self.status.bits(), self.n_tx, df, dp, uf, up] {
            out.extend_from_slice(&word.to_le_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Option<BlockRecord> {
        if bytes.len() != 80 + 7 * 4 {
            return None;
        }
        let header = deserialize(&bytes[..80]).ok()?;
        let word = |i: usize| {
            let at = 80 + 4 * i;
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let pos = |file: u32, pos: u32| (pos != 0).then_some(FilePos { file, pos });
        Some(BlockRecord {
            header,
            height: word(0),
            status: Status::from_bits(word(1)),
            n_tx: word(2),
            data: pos(word(3), word(4)),
            undo: pos(word(5), word(6)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::blockdata::constants::genesis_block;
    use bitcoin::{Amount, Network, ScriptBuf, TxOut};

    #[test]
    fn records_coins_and_tip_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chainstate.redb");
        let genesis = genesis_block(Network::Regtest);
        let hash = genesis.block_hash();
        let record = BlockRecord {
            header: genesis.header,
            height: 0,
            status: Status::VALID_SCRIPTS | Status::HAVE_DATA,
            n_tx: 1,
            data: Some(FilePos { file: 0, pos: 8 }),
            undo: None,
        };
        let outpoint = OutPoint { txid: genesis.txdata[0].compute_txid(), vout: 0 };
        let coin = Coin {
            txout: TxOut { value: Amount::from_sat(1), script_pubkey: ScriptBuf::new() },
            height: 0,
            is_coinbase: true,
        };
        {
            let store = Store::open(&path, 1 << 20).unwrap();
            store
                .write(true, |w| {
                    w.put_block(&hash, &record)?;
                    w.add_coin(&outpoint, &coin)?;
                    w.set_tip(&hash)
                })
                .unwrap();
            // A failed write leaves nothing behind.
            let failed: Result<(), StoreError> = store.write(true, |w| {
                w.spend_coin(&outpoint)?;
                Err(StoreError::Corrupt("abort".into()))
            });
            assert!(failed.is_err());
        }
        let store = Store::open(&path, 1 << 20).unwrap();
        assert_eq!(store.load_index().unwrap(), vec![(hash, record)]);
        assert_eq!(store.tip().unwrap(), Some(hash));
        assert_eq!(store.coin(&outpoint).unwrap(), Some(coin.clone()));
        let spent = store.write(false, |w| w.spend_coin(&outpoint)).unwrap();
        assert_eq!(spent, Some(coin));
        assert_eq!(store.coin(&outpoint).unwrap(), None);
    }
}
