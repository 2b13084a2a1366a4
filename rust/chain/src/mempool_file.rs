//! `mempool.dat` (`-persistmempool`): the mempool saved at shutdown and
//! offered again at start, in the reference's file format so the file moves
//! between nodes. Version 1 is plain; version 2 (the default) XORs everything
//! after its header with an 8-byte key, keyed on the absolute file offset.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use bitcoin::consensus::encode::{self, Decodable, Encodable, VarInt};
use bitcoin::{Transaction, Txid};

use crate::accept::AcceptMode;
use crate::chainstate::Chainstate;

const VERSION_PLAIN: u64 = 1;
const VERSION_OBFUSCATED: u64 = 2;

/// What was saved: transactions with their entry time and fee delta, and deltas on their own.
struct Saved {
    txs: Vec<(Transaction, i64, i64)>,
    deltas: Vec<(Txid, i64)>,
}

impl Chainstate {
    /// Writes the mempool to `path` (via a temporary file, so a crash never
    /// leaves half a file). `plain` picks the legacy version 1 format.
    pub fn dump_mempool(&self, path: &Path, plain: bool) -> io::Result<usize> {
        let saved = {
            let inner = self.lock();
            let txs = inner
                .mempool
                .entries_in_order()
                .into_iter()
                .map(|e| ((*e.tx).clone(), e.time, inner.mempool.delta(&e.txid)))
                .collect();
            let deltas = inner.mempool.deltas().iter().map(|(t, d)| (*t, *d)).collect();
            Saved { txs, deltas }
        };
        let mut body = Vec::new();
        (saved.txs.len() as u64).consensus_encode(&mut body)?;
        for (tx, time, delta) in &saved.txs {
            tx.consensus_encode(&mut body)?;
            time.consensus_encode(&mut body)?;
            delta.consensus_encode(&mut body)?;
        }
        VarInt(saved.deltas.len() as u64).consensus_encode(&mut body)?;
        for (txid, delta) in &saved.deltas {
            txid.consensus_encode(&mut body)?;
            delta.consensus_encode(&mut body)?;
        }
        // No unbroadcast set: every transaction here was accepted locally or relayed.
        VarInt(0).consensus_encode(&mut body)?;

        let mut file = Vec::new();
        if plain {
            VERSION_PLAIN.consensus_encode(&mut file)?;
            file.extend_from_slice(&body);
        } else {
            VERSION_OBFUSCATED.consensus_encode(&mut file)?;
            let mut key = [0u8; 8];
            getrandom::getrandom(&mut key).map_err(|e| io::Error::other(e.to_string()))?;
            VarInt(8).consensus_encode(&mut file)?;
            file.extend_from_slice(&key);
            let offset = file.len();
            file.extend_from_slice(&body);
            xor(&mut file[offset..], &key, offset);
        }
        let tmp = path.with_extension("dat.new");
        let mut f = fs::File::create(&tmp)?;
        f.write_all(&file)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        Ok(saved.txs.len())
    }

    /// Offers the saved transactions to the mempool again; returns how many
    /// were accepted. A missing file is an empty mempool; a damaged one is an error.
    pub fn load_mempool(&self, path: &Path) -> io::Result<usize> {
        let mut data = match fs::read(path) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                self.lock().mempool.loaded = true;
                return Ok(0);
            }
            Err(e) => return Err(e),
        };
        let saved = parse(&mut data).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        let expiry = self.lock().mempool.options().expiry.as_secs() as i64;
        let now = hashvive_common::time::now();
        let mut accepted = 0;
        for (txid, delta) in saved.deltas {
            self.prioritise_transaction(txid, delta);
        }
        for (tx, time, delta) in saved.txs {
            if time < now - expiry {
                continue;
            }
            if delta != 0 {
                self.prioritise_transaction(tx.compute_txid(), delta);
            }
            if self.accept_to_mempool(Arc::new(tx), AcceptMode::Submit).is_ok() {
                accepted += 1;
            }
        }
        self.lock().mempool.loaded = true;
        Ok(accepted)
    }
}

fn parse(data: &mut [u8]) -> Result<Saved, encode::Error> {
    let mut header: &[u8] = data;
    let version = u64::consensus_decode(&mut header)?;
    let start = match version {
        VERSION_PLAIN => 8,
        VERSION_OBFUSCATED => {
            let len = VarInt::consensus_decode(&mut header)?.0;
            if len != 8 || header.len() < 8 {
                return Err(encode::Error::ParseFailed("bad mempool.dat obfuscation key"));
            }
            let mut key = [0u8; 8];
            key.copy_from_slice(&header[..8]);
            let start = data.len() - header.len() + 8;
            xor(&mut data[start..], &key, start);
            start
        }
        _ => return Err(encode::Error::ParseFailed("unknown mempool.dat version")),
    };
    let mut r: &[u8] = &data[start..];
    let count = u64::consensus_decode(&mut r)?;
    let mut txs = Vec::with_capacity(count.min(r.len() as u64 / 60) as usize);
    for _ in 0..count {
        let tx = Transaction::consensus_decode(&mut r)?;
        let time = i64::consensus_decode(&mut r)?;
        let delta = i64::consensus_decode(&mut r)?;
        txs.push((tx, time, delta));
    }
    let n = VarInt::consensus_decode(&mut r)?.0;
    let mut deltas = Vec::with_capacity(n.min(r.len() as u64 / 40) as usize);
    for _ in 0..n {
        deltas.push((Txid::consensus_decode(&mut r)?, i64::consensus_decode(&mut r)?));
    }
    Ok(Saved { txs, deltas })
}

fn xor(bytes: &mut [u8], key: &[u8; 8], offset: usize) {
    for (i, b) in bytes.iter_mut().enumerate() {
        *b ^= key[(offset + i) % 8];
    }
}
