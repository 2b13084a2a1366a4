//! Unspent outputs ("coins") and the undo data that restores them when a block
//! is disconnected, with the byte encodings the chain-state database stores.

use bitcoin::consensus::encode::{self, Decodable, Encodable, VarInt};
use bitcoin::{Amount, OutPoint, ScriptBuf, TxOut};

use hashvive_consensus::tx::SpentOutput;

/// An unspent transaction output and where it was created: exactly what
/// the consensus rules need to know about a spent output.
pub type Coin = SpentOutput;

/// Serialized as `varint(height * 2 + coinbase) || amount (u64 LE) || script (compact size + bytes)`.
pub fn encode_coin(coin: &Coin) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + coin.txout.script_pubkey.len());
    encode_coin_to(coin, &mut out);
    out
}

fn encode_coin_to(coin: &Coin, out: &mut Vec<u8>) {
    let code = u64::from(coin.height) * 2 + u64::from(coin.is_coinbase);
    // Writing to a Vec cannot fail.
    let _ = VarInt(code).consensus_encode(out);
    let _ = coin.txout.value.to_sat().consensus_encode(out);
    let _ = coin.txout.script_pubkey.consensus_encode(out);
}

pub fn decode_coin(mut bytes: &[u8]) -> Result<Coin, encode::Error> {
    let coin = decode_coin_from(&mut bytes)?;
    if !bytes.is_empty() {
        return Err(encode::Error::ParseFailed("trailing bytes after coin"));
    }
    Ok(coin)
}

fn decode_coin_from(bytes: &mut &[u8]) -> Result<Coin, encode::Error> {
    let code = VarInt::consensus_decode(bytes)?.0;
    let height = u32::try_from(code / 2).map_err(|_| encode::Error::ParseFailed("coin height out of range"))?;
    let value = Amount::from_sat(u64::consensus_decode(bytes)?);
    let script_pubkey = ScriptBuf::consensus_decode(bytes)?;
    Ok(Coin { txout: TxOut { value, script_pubkey }, height, is_coinbase: code % 2 == 1 })
}

/// The database key of an outpoint: txid bytes then the index, big-endian so a
/// transaction's outputs sort together.
pub fn outpoint_key(outpoint: &OutPoint) -> [u8; 36] {
    let mut key = [0u8; 36];
    key[..32].copy_from_slice(AsRef::<[u8]>::as_ref(&outpoint.txid));
    key[32..].copy_from_slice(&outpoint.vout.to_be_bytes());
    key
}

/// What connecting a block spent: per non-coinbase transaction, the coins its
/// inputs consumed, in input order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockUndo {
    pub txs: Vec<Vec<Coin>>,
}

impl BlockUndo {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = VarInt(self.txs.len() as u64).consensus_encode(&mut out);
        for spent in &self.txs {
            let _ = VarInt(spent.len() as u64).consensus_encode(&mut out);
            for coin in spent {
                encode_coin_to(coin, &mut out);
            }
        }
        out
    }

    pub fn decode(mut bytes: &[u8]) -> Result<BlockUndo, encode::Error> {
        let bytes = &mut bytes;
        let count = VarInt::consensus_decode(bytes)?.0;
        // Each entry takes at least one byte: bound allocations by the input.
        let mut txs = Vec::with_capacity(count.min(bytes.len() as u64) as usize);
        for _ in 0..count {
            let n = VarInt::consensus_decode(bytes)?.0;
            let mut spent = Vec::with_capacity(n.min(bytes.len() as u64) as usize);
            for _ in 0..n {
                spent.push(decode_coin_from(bytes)?);
            }
            txs.push(spent);
        }
        if !bytes.is_empty() {
            return Err(encode::Error::ParseFailed("trailing bytes after block undo"));
        }
        Ok(BlockUndo { txs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::Txid;

    fn coin(height: u32, is_coinbase: bool) -> Coin {
        Coin {
            txout: TxOut { value: Amount::from_sat(5_000_000_000), script_pubkey: ScriptBuf::from(vec![0x51]) },
            height,
            is_coinbase,
        }
    }

    #[test]
    fn coin_round_trip() {
        for c in [coin(0, true), coin(840_000, false), coin(u32::MAX, true)] {
            assert_eq!(decode_coin(&encode_coin(&c)).unwrap(), c);
        }
        assert!(decode_coin(&[]).is_err());
        let mut extra = encode_coin(&coin(1, false));
        extra.push(0);
        assert!(decode_coin(&extra).is_err());
    }

    #[test]
    fn undo_round_trip_and_garbage() {
        let undo = BlockUndo { txs: vec![vec![coin(1, true)], vec![coin(2, false), coin(3, false)]] };
        assert_eq!(BlockUndo::decode(&undo.encode()).unwrap(), undo);
        // A huge count with no data behind it is an error, not an allocation.
        assert!(BlockUndo::decode(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]).is_err());
    }

    #[test]
    fn outpoint_keys_sort_by_txid_then_index() {
        let txid = Txid::from_byte_array([7; 32]);
        let a = outpoint_key(&OutPoint { txid, vout: 1 });
        let b = outpoint_key(&OutPoint { txid, vout: 256 });
        assert!(a < b);
    }
}
