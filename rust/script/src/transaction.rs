//! Transactions from and to hex as the reference's `DecodeHexTx` reads them.
//!
//! The reference tries both the extended (segwit) and the legacy encoding and
//! picks one by a sanity heuristic; the legacy reading also accepts
//! transactions without inputs, which rust-bitcoin's decoder takes for a segwit
//! marker. So the two readings are done here, field by field.

use bitcoin::consensus::encode::serialize;
use bitcoin::consensus::Decodable;
use bitcoin::{absolute, transaction, Transaction, TxIn, TxOut, Witness};

use crate::script::{has_valid_ops, MAX_SCRIPT_SIZE};
use hashvive_rpc::params::decode_hex;

/// Reads one transaction; `None` unless it decodes and consumes every byte.
fn read_tx(mut bytes: &[u8], allow_witness: bool) -> Option<Transaction> {
    let r = &mut bytes;
    let version = transaction::Version(i32::consensus_decode_from_finite_reader(r).ok()?);
    let mut input = Vec::<TxIn>::consensus_decode_from_finite_reader(r).ok()?;
    let mut flags = 0u8;
    let output = if input.is_empty() && allow_witness {
        // An empty input list here may be the segwit marker.
        flags = u8::consensus_decode_from_finite_reader(r).ok()?;
        if flags != 0 {
            input = Vec::<TxIn>::consensus_decode_from_finite_reader(r).ok()?;
            Vec::<TxOut>::consensus_decode_from_finite_reader(r).ok()?
        } else {
            Vec::new()
        }
    } else {
        Vec::<TxOut>::consensus_decode_from_finite_reader(r).ok()?
    };
    if flags & 1 != 0 {
        flags ^= 1;
        for txin in &mut input {
            txin.witness = Witness::consensus_decode_from_finite_reader(r).ok()?;
        }
        // Witnesses must not all be empty once the marker says they exist.
        if input.iter().all(|i| i.witness.is_empty()) {
            return None;
        }
    }
    if flags != 0 {
        return None;
    }
    let lock_time = absolute::LockTime::from_consensus(u32::consensus_decode_from_finite_reader(r).ok()?);
    r.is_empty().then_some(Transaction { version, lock_time, input, output })
}

/// The reference's `CheckTxScriptsSanity`.
fn scripts_sane(tx: &Transaction) -> bool {
    let sane = |s: &[u8]| has_valid_ops(s) && s.len() <= MAX_SCRIPT_SIZE;
    (tx.is_coinbase() || tx.input.iter().all(|i| sane(i.script_sig.as_bytes())))
        && tx.output.iter().all(|o| sane(o.script_pubkey.as_bytes()))
}

/// The reference's `DecodeTx`: the extended reading wins unless only the
/// legacy one passes the script sanity check.
pub fn decode_tx(bytes: &[u8], try_no_witness: bool, try_witness: bool) -> Option<Transaction> {
    let extended = if try_witness { read_tx(bytes, true) } else { None };
    if let Some(tx) = extended.as_ref().filter(|tx| scripts_sane(tx)) {
        return Some(tx.clone());
    }
    let legacy = if try_no_witness { read_tx(bytes, false) } else { None };
    if let Some(tx) = legacy.as_ref().filter(|tx| scripts_sane(tx)) {
        return Some(tx.clone());
    }
    extended.or(legacy)
}

/// `DecodeHexTx`.
pub fn decode_hex_tx(hex: &str, try_no_witness: bool, try_witness: bool) -> Option<Transaction> {
    decode_tx(&decode_hex(hex)?, try_no_witness, try_witness)
}

/// The legacy serialization (no witnesses), whose hash is the txid.
pub fn serialize_no_witness(tx: &Transaction) -> Vec<u8> {
    // rust-bitcoin writes a segwit marker for transactions without inputs;
    // the reference writes them in the legacy form, so it is done here.
    let mut out = serialize(&tx.version.0);
    out.extend(serialize(&tx.input));
    out.extend(serialize(&tx.output));
    out.extend(serialize(&tx.lock_time.to_consensus_u32()));
    out
}

/// The reference's serialization: extended only when some input has a witness.
pub fn serialize_tx(tx: &Transaction) -> Vec<u8> {
    if tx.input.iter().any(|i| !i.witness.is_empty()) {
        serialize(tx)
    } else {
        serialize_no_witness(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashvive_rpc::params::encode_hex;

    #[test]
    fn zero_input_transactions_decode_only_as_legacy() {
        // version 2, no inputs, one output of 1 sat to OP_TRUE, locktime 0.
        let hex = ["02000000", "00", "01", "0100000000000000", "0151", "00000000"].concat();
        let tx = decode_hex_tx(&hex, true, true).expect("legacy reading");
        assert_eq!((tx.input.len(), tx.output.len()), (0, 1));
        assert!(decode_hex_tx(&hex, false, true).is_none());
        assert_eq!(encode_hex(&serialize_tx(&tx)), hex);
    }

    #[test]
    fn witness_transactions_and_garbage() {
        let input = format!("{}00000000", "00".repeat(32)) + "00ffffffff";
        let hex = ["020000000001", "01", &input, "01", "0000000000000000", "0151", "010100", "00000000"].concat();
        let tx = decode_hex_tx(&hex, true, true).expect("segwit");
        assert_eq!(tx.input[0].witness.len(), 1);
        assert_eq!(encode_hex(&serialize_tx(&tx)), hex);
        assert!(decode_hex_tx(&hex, true, false).is_none());
        assert!(decode_hex_tx(&format!("{hex}00"), true, true).is_none());
        assert!(decode_hex_tx("zz", true, true).is_none());
        assert!(decode_hex_tx("", true, true).is_none());
    }
}
