//! Unspent outputs ("coins") and the undo data that restores them when a block
//! is disconnected, with the byte encodings the chain-state database stores.

use bitcoin::consensus::encode::{self, Decodable, Encodable, VarInt};
use bitcoin::{Amount, OutPoint, ScriptBuf, TxOut};

/// An unspent transaction output and where it was created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coin {
    pub txout: TxOut,
    pub height: u32,
    pub is_coinbase: bool,
}

impl Coin {
    /// Serialized as `varint(height * 2 + coinbase) || amount (u64 LE) || script (compact size + bytes)`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.txout.script_pubkey.len());
        self.encode_to(&mut out);
        out
    }

    fn encode_to(&self, out: &mut Vec<u8>) {
        let code = u64::from(self.height) * 2 + u64::from(self.is_coinbase);
        // Writing to a Vec cannot fail.
        let _ = VarInt(code).consensus_encode(out);
        let _ = self.txout.value.to_sat().consensus_encode(out);
        let _ = self.txout.script_pubkey.consensus_encode(out);
    }

    pub fn decode(mut bytes: &[u8]) -> Result<Coin, encode::Error> {
        let coin = Coin::decode_from(&mut bytes)?;
        if !bytes.is_empty() {
            return Err(encode::Error::ParseFailed("trailing bytes after coin"));
        }
        Ok(coin)
    }

    fn decode_from(bytes: &mut &[u8]) -> Result<Coin, encode::Error> {
        let code = VarInt::consensus_decode(bytes)?.0;
        let height = u32::try_from(code / 2).map_err(|_| encode::Error::ParseFailed("coin height out of range"))?;
        let value = Amount::from_sat(u64::consensus_decode(bytes)?);
        let script_pubkey = ScriptBuf::consensus_decode(bytes)?;
        Ok(Coin { txout: TxOut { value, script_pubkey }, height, is_coinbase: code % 2 == 1 })
    }
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
                coin.encode_to(&mut out);
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
                spent.push(Coin::decode_from(bytes)?);
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
            assert_eq!(Coin::decode(&c.encode()).unwrap(), c);
        }
        assert!(Coin::decode(&[]).is_err());
        let mut extra = coin(1, false).encode();
        extra.push(0);
        assert!(Coin::decode(&extra).is_err());
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
