//! The JSON shapes of amounts, scripts and transactions in RPC results, as the
//! reference writes them (`ValueFromAmount`, `ScriptToUniv`, `TxToUniv`), and
//! the parsing of amounts from parameters (`AmountFromValue`).
//!
//! Every RPC that shows a transaction (`decoderawtransaction`, `decodepsbt`,
//! `getrawtransaction`, `getblock`, wallet calls) goes through [`tx_to_json`],
//! so the field order and formatting stay the reference's everywhere.

use bitcoin::{Amount, BlockHash, Network, Transaction};
use serde_json::{Map, Number, Value};

use hashvive_consensus::tx::SpentOutput;
use hashvive_rpc::RpcError;

use crate::rpc::params::encode_hex;
use crate::rpc::script::{self, TxoutType};
use crate::rpc::transaction::{serialize_no_witness, serialize_tx};

/// The most satoshis that can exist (`MAX_MONEY`).
pub const MAX_MONEY: u64 = 21_000_000 * 100_000_000;

/// An amount in BTC with exactly eight decimals, as a JSON number.
pub fn amount_to_json(amount: Amount) -> Value {
    signed_amount_to_json(amount.to_sat() as i128)
}

/// A signed satoshi amount (fees, differences) in BTC with eight decimals.
pub fn signed_amount_to_json(sats: i128) -> Value {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    let text = format!("{sign}{}.{:08}", abs / 100_000_000, abs % 100_000_000);
    // With `arbitrary_precision` the number keeps this exact text.
    Value::Number(text.parse::<Number>().unwrap_or_else(|_| Number::from(0)))
}

/// The reference's `AmountFromValue`: a number or numeric string with at most
/// eight decimals, within `[0, MAX_MONEY]`.
pub fn parse_amount(v: &Value) -> Result<Amount, RpcError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(RpcError::type_error("Amount is not a number or string")),
    };
    let sats = parse_fixed_point(&text, 8).ok_or_else(|| RpcError::type_error("Invalid amount"))?;
    if !(0..=MAX_MONEY as i64).contains(&sats) {
        return Err(RpcError::type_error("Amount out of range"));
    }
    Ok(Amount::from_sat(sats as u64))
}

/// The reference's `ParseFixedPoint`: JSON number syntax, scaled by
/// `10^decimals`, exact (no rounding) and below 10^18 in magnitude.
pub fn parse_fixed_point(text: &str, decimals: i64) -> Option<i64> {
    const UPPER_BOUND: i64 = 1_000_000_000_000_000_000 - 1;
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut mantissa: i64 = 0;
    let mut trailing_zeros = 0i64;
    let mut point_offset = 0i64;
    let digit = |c: u8, mantissa: &mut i64, tz: &mut i64| -> bool {
        if c == b'0' {
            *tz += 1;
            return true;
        }
        for _ in 0..=*tz {
            if *mantissa > UPPER_BOUND / 10 {
                return false;
            }
            *mantissa *= 10;
        }
        *mantissa += i64::from(c - b'0');
        *tz = 0;
        true
    };
    let negative = bytes.first() == Some(&b'-');
    if negative {
        pos += 1;
    }
    match bytes.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => {
            while let Some(&c) = bytes.get(pos).filter(|c| c.is_ascii_digit()) {
                if !digit(c, &mut mantissa, &mut trailing_zeros) {
                    return None;
                }
                pos += 1;
            }
        }
        _ => return None,
    }
    if bytes.get(pos) == Some(&b'.') {
        pos += 1;
        if !bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&c) = bytes.get(pos).filter(|c| c.is_ascii_digit()) {
            if !digit(c, &mut mantissa, &mut trailing_zeros) {
                return None;
            }
            pos += 1;
            point_offset += 1;
        }
    }
    let mut exponent: i64 = 0;
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        let exponent_negative = match bytes.get(pos) {
            Some(b'+') => {
                pos += 1;
                false
            }
            Some(b'-') => {
                pos += 1;
                true
            }
            _ => false,
        };
        if !bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&c) = bytes.get(pos).filter(|c| c.is_ascii_digit()) {
            if exponent > UPPER_BOUND / 10 {
                return None;
            }
            exponent = exponent * 10 + i64::from(c - b'0');
            pos += 1;
        }
        if exponent_negative {
            exponent = -exponent;
        }
    }
    if pos != bytes.len() {
        return None;
    }
    let exponent = exponent - point_offset + trailing_zeros + decimals;
    if !(0..18).contains(&exponent) {
        return None;
    }
    if negative {
        mantissa = -mantissa;
    }
    for _ in 0..exponent {
        if !(-(UPPER_BOUND / 10)..=UPPER_BOUND / 10).contains(&mantissa) {
            return None;
        }
        mantissa *= 10;
    }
    (-UPPER_BOUND..=UPPER_BOUND).contains(&mantissa).then_some(mantissa)
}

/// Which members [`script_to_json`] writes (the reference's `ScriptToUniv`
/// arguments).
#[derive(Clone, Copy)]
pub struct ScriptJsonOptions<'a> {
    pub include_hex: bool,
    /// `desc` and `address`: needs the network.
    pub include_address: Option<Network>,
    /// Scripts the caller knows, used when inferring `desc` (decodescript's
    /// P2WSH wrapping).
    pub known_scripts: &'a [&'a [u8]],
}

impl ScriptJsonOptions<'_> {
    /// `asm`, `hex`, `type`: redeem and witness scripts.
    pub const PLAIN: ScriptJsonOptions<'static> =
        ScriptJsonOptions { include_hex: true, include_address: None, known_scripts: &[] };

    /// `asm`, `desc`, `hex`, `address`, `type`: output scripts.
    pub fn output(network: Network) -> ScriptJsonOptions<'static> {
        ScriptJsonOptions { include_hex: true, include_address: Some(network), known_scripts: &[] }
    }
}

/// A script as `{asm, desc, hex, address, type}` (members per `opts`).
pub fn script_to_json(script: &[u8], opts: ScriptJsonOptions<'_>) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("asm".into(), Value::String(script::to_asm(script, false)));
    if let Some(network) = opts.include_address {
        out.insert("desc".into(), Value::String(script::infer_descriptor(script, network, opts.known_scripts)));
    }
    if opts.include_hex {
        out.insert("hex".into(), Value::String(encode_hex(script)));
    }
    let kind = script::solve(script).kind;
    if let Some(address) = opts.include_address.and_then(|n| script::address(script, n)) {
        out.insert("address".into(), Value::String(address));
    }
    out.insert("type".into(), Value::String(kind.name().into()));
    debug_assert!(kind != TxoutType::PubKey || !out.contains_key("address"));
    out
}

/// What [`tx_to_json`] adds beyond the transaction itself.
#[derive(Clone, Copy)]
pub struct TxJsonOptions<'a> {
    pub network: Network,
    /// The serialized transaction as `hex` (last member).
    pub include_hex: bool,
    /// The block holding the transaction, as `blockhash`.
    pub block_hash: Option<BlockHash>,
    /// The outputs the inputs spend, in input order; with them the result
    /// carries `fee` (the reference's undo data).
    pub spent_outputs: Option<&'a [SpentOutput]>,
    /// Also write each input's `prevout` (verbosity 3 of `getblock`, 2 of
    /// `getrawtransaction`); needs `spent_outputs`.
    pub show_prevout: bool,
}

impl TxJsonOptions<'_> {
    /// Just the transaction (what `decoderawtransaction` shows).
    pub fn plain(network: Network) -> TxJsonOptions<'static> {
        TxJsonOptions { network, include_hex: false, block_hash: None, spent_outputs: None, show_prevout: false }
    }
}

/// Sizes the reference reports: total size, and weight (base size × 3 +
/// total size).
pub fn tx_size_and_weight(tx: &Transaction) -> (usize, usize) {
    let total = serialize_tx(tx).len();
    let base = serialize_no_witness(tx).len();
    (total, base * 3 + total)
}

/// A transaction as the reference's `TxToUniv` writes it.
pub fn tx_to_json(tx: &Transaction, opts: &TxJsonOptions<'_>) -> Value {
    let (size, weight) = tx_size_and_weight(tx);
    let mut entry = Map::new();
    entry.insert("txid".into(), Value::String(tx.compute_txid().to_string()));
    entry.insert("hash".into(), Value::String(tx.compute_wtxid().to_string()));
    // The reference keeps the version as an unsigned number.
    entry.insert("version".into(), Value::from(tx.version.0 as u32));
    entry.insert("size".into(), Value::from(size));
    entry.insert("vsize".into(), Value::from(weight.div_ceil(4)));
    entry.insert("weight".into(), Value::from(weight));
    entry.insert("locktime".into(), Value::from(tx.lock_time.to_consensus_u32()));

    let spent = opts.spent_outputs.filter(|s| s.len() == tx.input.len() && !tx.is_coinbase());
    let coinbase = tx.is_coinbase();
    let vin: Vec<Value> = tx
        .input
        .iter()
        .enumerate()
        .map(|(i, txin)| {
            let mut input = Map::new();
            if coinbase {
                input.insert("coinbase".into(), Value::String(encode_hex(txin.script_sig.as_bytes())));
            } else {
                input.insert("txid".into(), Value::String(txin.previous_output.txid.to_string()));
                input.insert("vout".into(), Value::from(txin.previous_output.vout));
                let mut sig = Map::new();
                sig.insert("asm".into(), Value::String(script::to_asm(txin.script_sig.as_bytes(), true)));
                sig.insert("hex".into(), Value::String(encode_hex(txin.script_sig.as_bytes())));
                input.insert("scriptSig".into(), Value::Object(sig));
            }
            if !txin.witness.is_empty() {
                let items = txin.witness.iter().map(|w| Value::String(encode_hex(w))).collect();
                input.insert("txinwitness".into(), Value::Array(items));
            }
            if let (Some(spent), true) = (spent, opts.show_prevout) {
                let prev = &spent[i];
                let mut p = Map::new();
                p.insert("generated".into(), Value::Bool(prev.is_coinbase));
                p.insert("height".into(), Value::from(prev.height));
                p.insert("value".into(), amount_to_json(prev.txout.value));
                let spk = script_to_json(prev.txout.script_pubkey.as_bytes(), ScriptJsonOptions::output(opts.network));
                p.insert("scriptPubKey".into(), Value::Object(spk));
                input.insert("prevout".into(), Value::Object(p));
            }
            input.insert("sequence".into(), Value::from(txin.sequence.0));
            Value::Object(input)
        })
        .collect();
    entry.insert("vin".into(), Value::Array(vin));

    let vout: Vec<Value> = tx
        .output
        .iter()
        .enumerate()
        .map(|(n, txout)| {
            let mut out = Map::new();
            out.insert("value".into(), amount_to_json(txout.value));
            out.insert("n".into(), Value::from(n));
            let spk = script_to_json(txout.script_pubkey.as_bytes(), ScriptJsonOptions::output(opts.network));
            out.insert("scriptPubKey".into(), Value::Object(spk));
            Value::Object(out)
        })
        .collect();
    entry.insert("vout".into(), Value::Array(vout));

    if let Some(spent) = spent {
        let total_in: i128 = spent.iter().map(|s| i128::from(s.txout.value.to_sat())).sum();
        let total_out: i128 = tx.output.iter().map(|o| i128::from(o.value.to_sat())).sum();
        entry.insert("fee".into(), signed_amount_to_json(total_in - total_out));
    }
    if let Some(hash) = opts.block_hash {
        entry.insert("blockhash".into(), Value::String(hash.to_string()));
    }
    if opts.include_hex {
        entry.insert("hex".into(), Value::String(encode_hex(&serialize_tx(tx))));
    }
    Value::Object(entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_have_eight_decimals() {
        assert_eq!(amount_to_json(Amount::from_sat(1)).to_string(), "0.00000001");
        assert_eq!(amount_to_json(Amount::from_sat(2_100_000_000_000_000)).to_string(), "21000000.00000000");
        assert_eq!(signed_amount_to_json(-150_000_000).to_string(), "-1.50000000");
    }

    #[test]
    fn amount_from_value() {
        // The reference's rpc_util vectors (ParseFixedPoint and AmountFromValue).
        let ok = |v: Value| parse_amount(&v).map(Amount::to_sat);
        assert_eq!(ok(json!(0)), Ok(0));
        assert_eq!(ok(json!(0.00000001)), Ok(1));
        assert_eq!(ok(json!("0.00000001")), Ok(1));
        assert_eq!(ok(json!(20999999.9999999)), Ok(2_099_999_999_999_990));
        assert_eq!(ok(json!(21000000)), Ok(2_100_000_000_000_000));
        assert_eq!(ok(json!("1e-8")), Ok(1));
        assert_eq!(ok(json!("0.1e-7")), Ok(1));
        assert_eq!(ok(json!("0.01e-6")), Ok(1));
        assert_eq!(
            ok(json!("0.0000000000000000000000000000000000000000000000000000000000000000000000000001e+68")),
            Ok(1)
        );
        assert_eq!(ok(json!("10000000000000000000000000000000000000000000000000000000000000000e-64")), Ok(100_000_000));
        let err = |v: Value| parse_amount(&v).unwrap_err();
        assert_eq!(err(json!(0.000000001)).message, "Invalid amount");
        assert_eq!(err(json!("1e-9")).message, "Invalid amount");
        assert_eq!(err(json!(".1")).message, "Invalid amount");
        assert_eq!(err(json!("01")).message, "Invalid amount");
        assert_eq!(err(json!("1 ")).message, "Invalid amount");
        assert_eq!(err(json!(-0.00000001)).message, "Amount out of range");
        assert_eq!(err(json!(21000000.00000001)).message, "Amount out of range");
        assert_eq!(err(json!("92233720368.54775808")).message, "Invalid amount");
        let e = err(json!(true));
        assert_eq!((e.code, e.message.as_str()), (-3, "Amount is not a number or string"));
    }

    #[test]
    fn coinbase_and_plain_transactions() {
        let genesis = bitcoin::blockdata::constants::genesis_block(Network::Regtest);
        let v = tx_to_json(&genesis.txdata[0], &TxJsonOptions::plain(Network::Regtest));
        assert_eq!(v["txid"], "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b");
        assert_eq!((v["size"].as_u64(), v["vsize"].as_u64(), v["weight"].as_u64()), (Some(204), Some(204), Some(816)));
        assert!(v["vin"][0]["coinbase"].as_str().unwrap().starts_with("04ffff001d"));
        assert_eq!(v["vin"][0]["sequence"], 4294967295u32);
        assert_eq!(v["vout"][0]["value"].to_string(), "50.00000000");
        assert_eq!(v["vout"][0]["scriptPubKey"]["type"], "pubkey");
        assert!(v["vout"][0]["scriptPubKey"].get("address").is_none());
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["txid", "hash", "version", "size", "vsize", "weight", "locktime", "vin", "vout"]);
    }
}
