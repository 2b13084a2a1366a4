//! Transactions from and to hex as the reference's `DecodeHexTx` reads them.
//!
//! The reference tries both the extended (segwit) and the legacy encoding and
//! picks one by a sanity heuristic; the legacy reading also accepts
//! transactions without inputs, which rust-bitcoin's decoder takes for a segwit
//! marker. So the two readings are done here, field by field.

use bitcoin::consensus::encode::serialize;
use bitcoin::consensus::Decodable;
use bitcoin::{absolute, transaction, Transaction, TxIn, TxOut, Witness};

use std::collections::HashSet;

use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, Txid};
use serde_json::Value;

use hashvive_rpc::amount::parse_amount;
use hashvive_rpc::params::{get_array, get_i32, get_int, get_obj, parse_hash_o, parse_hex_v};
use hashvive_rpc::{codes, RpcError};

use crate::script::{self, has_valid_ops, MAX_SCRIPT_SIZE};
use crate::sign;
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

/// `TX_MIN_STANDARD_VERSION`..=`TX_MAX_STANDARD_VERSION`.
const STANDARD_VERSIONS: std::ops::RangeInclusive<i64> = 1..=3;
/// The version of transactions the RPCs make unless told otherwise.
pub const DEFAULT_RAWTX_VERSION: i64 = 2;
/// `MAX_BIP125_RBF_SEQUENCE`.
const MAX_BIP125_RBF_SEQUENCE: u32 = 0xffff_fffd;

/// The reference's `ConstructTransaction`: a transaction from the
/// `inputs`, `outputs`, `locktime`, `replaceable` and `version` parameters
/// of `createrawtransaction` and its kin; `destination` reads an address.
pub fn construct(
    inputs: Option<&Value>,
    outputs: &Value,
    locktime: Option<&Value>,
    rbf: Option<bool>,
    version: Option<&Value>,
    destination: &dyn Fn(&str) -> Option<ScriptBuf>,
) -> Result<Transaction, RpcError> {
    let version = match version {
        Some(v) => get_int(v, 0, u32::MAX.into())?,
        None => DEFAULT_RAWTX_VERSION,
    };
    let mut lock_time = 0u32;
    if let Some(v) = locktime {
        let t = get_int(v, i64::MIN, i64::MAX)?;
        lock_time =
            u32::try_from(t).map_err(|_| RpcError::invalid_parameter("Invalid parameter, locktime out of range"))?;
    }
    if !STANDARD_VERSIONS.contains(&version) {
        return Err(RpcError::invalid_parameter(format!(
            "Invalid parameter, version out of range({}~{})",
            STANDARD_VERSIONS.start(),
            STANDARD_VERSIONS.end()
        )));
    }
    let mut tx = Transaction {
        version: transaction::Version(version as i32),
        lock_time: absolute::LockTime::from_consensus(lock_time),
        input: Vec::new(),
        output: Vec::new(),
    };
    add_inputs(&mut tx, inputs, rbf)?;
    add_outputs(&mut tx, outputs, destination)?;
    if rbf == Some(true) && !tx.input.is_empty() && !tx.input.iter().any(|i| i.sequence.0 < 0xffff_fffe) {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter combination: Sequence number(s) contradict replaceable option",
        ));
    }
    Ok(tx)
}

fn add_inputs(tx: &mut Transaction, inputs: Option<&Value>, rbf: Option<bool>) -> Result<(), RpcError> {
    let empty = Vec::new();
    let inputs = match inputs {
        Some(v) => get_array(v)?,
        None => &empty,
    };
    for input in inputs {
        let o = get_obj(input)?;
        let txid = Txid::from_byte_array(parse_hash_o(o, "txid")?);
        let vout = o.get("vout").filter(|v| v.is_number());
        let vout = get_i32(vout.ok_or_else(|| RpcError::invalid_parameter("Invalid parameter, missing vout key"))?)?;
        if vout < 0 {
            return Err(RpcError::invalid_parameter("Invalid parameter, vout cannot be negative"));
        }
        let mut sequence = if rbf.unwrap_or(true) {
            MAX_BIP125_RBF_SEQUENCE
        } else if tx.lock_time.to_consensus_u32() != 0 {
            0xffff_fffe
        } else {
            0xffff_ffff
        };
        if let Some(v) = o.get("sequence").filter(|v| v.is_number()) {
            let n = get_int(v, i64::MIN, i64::MAX)?;
            sequence = u32::try_from(n)
                .map_err(|_| RpcError::invalid_parameter("Invalid parameter, sequence number is out of range"))?;
        }
        tx.input.push(TxIn {
            previous_output: OutPoint { txid, vout: vout as u32 },
            script_sig: ScriptBuf::new(),
            sequence: Sequence(sequence),
            witness: Default::default(),
        });
    }
    Ok(())
}

/// The outputs parameter as ordered key-value pairs (the reference's
/// `NormalizeOutputs`; an array of one-key objects keeps duplicate keys).
fn normalize_outputs(outputs: &Value) -> Result<Vec<(String, Value)>, RpcError> {
    match outputs {
        Value::Null => Err(RpcError::invalid_parameter("Invalid parameter, output argument must be non-null")),
        Value::Object(o) => Ok(o.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        other => {
            let mut pairs = Vec::new();
            for output in get_array(other)? {
                let Value::Object(o) = output else {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair not an object as expected",
                    ));
                };
                if o.len() != 1 {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair must contain exactly one key",
                    ));
                }
                pairs.extend(o.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Ok(pairs)
        }
    }
}

/// `UniValue::getValStr`: a string's or number's text, else empty.
fn val_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}

fn add_outputs(
    tx: &mut Transaction,
    outputs: &Value,
    destination: &dyn Fn(&str) -> Option<ScriptBuf>,
) -> Result<(), RpcError> {
    let pairs = normalize_outputs(outputs)?;
    // Lookups by key see the first pair with that key, as the reference's do.
    let first = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or(Value::Null);
    let mut has_data = false;
    let mut seen = HashSet::new();
    for (name, _) in &pairs {
        if name == "data" {
            if has_data {
                return Err(RpcError::invalid_parameter("Invalid parameter, duplicate key: data"));
            }
            has_data = true;
            let data = parse_hex_v(&Value::String(val_str(&first(name))), "Data")?;
            let mut spk = vec![script::OP_RETURN];
            sign::push_data(&mut spk, &data);
            tx.output.push(TxOut { value: Amount::ZERO, script_pubkey: ScriptBuf::from_bytes(spk) });
        } else {
            let amount = parse_amount(&first(name))?;
            let script_pubkey = destination(name).ok_or_else(|| {
                RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, format!("Invalid Bitcoin address: {name}"))
            })?;
            if !seen.insert(script_pubkey.clone()) {
                return Err(RpcError::invalid_parameter(format!("Invalid parameter, duplicated address: {name}")));
            }
            tx.output.push(TxOut { value: amount, script_pubkey });
        }
    }
    Ok(())
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
