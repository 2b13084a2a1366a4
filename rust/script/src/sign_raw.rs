//! The reference's `SignTransaction` as `signrawtransactionwithkey` and
//! `signrawtransactionwithwallet` both use it: the `prevtxs` parameter, the
//! sighash names, and the result with an entry per input left unsigned.

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::{Amount, OutPoint, ScriptBuf, Transaction, TxOut, Txid};
use serde_json::{Map, Value};

use hashvive_rpc::amount::{parse_amount, MAX_MONEY};
use hashvive_rpc::params::{encode_hex, get_array, get_i32, get_str, parse_hash_o, parse_hex_o, parse_hex_v};
use hashvive_rpc::{codes, RpcError};

use crate::script::{self, TxoutType};
use crate::sign::{self, SigningProvider, SIGHASH_DEFAULT};
use crate::transaction::serialize_tx;

fn deserialization_error(message: impl Into<String>) -> RpcError {
    RpcError::new(codes::RPC_DESERIALIZATION_ERROR, message)
}

/// A sighash type by the reference's name for it (`ALL`, `NONE|ANYONECANPAY`, …).
pub fn parse_sighash(v: Option<&Value>) -> Result<u32, RpcError> {
    let Some(v) = v else { return Ok(SIGHASH_DEFAULT) };
    let name = get_str(v)?;
    Ok(match name {
        "DEFAULT" => SIGHASH_DEFAULT,
        "ALL" => 0x01,
        "ALL|ANYONECANPAY" => 0x81,
        "NONE" => 0x02,
        "NONE|ANYONECANPAY" => 0x82,
        "SINGLE" => 0x03,
        "SINGLE|ANYONECANPAY" => 0x83,
        _ => return Err(RpcError::invalid_parameter(format!("'{name}' is not a valid sighash parameter."))),
    })
}

/// The reference's `ParsePrevouts`: coins from `prevtxs` (for the inputs'
/// slots in `coins`), and their redeem and witness scripts added to the
/// signing provider.
pub fn parse_prevouts(
    prevtxs: Option<&Value>,
    coins: &mut [(OutPoint, Option<TxOut>)],
    provider: &mut SigningProvider,
) -> Result<(), RpcError> {
    let Some(prevtxs) = prevtxs else { return Ok(()) };
    for p in get_array(prevtxs)? {
        let Value::Object(prev) = p else {
            return Err(deserialization_error("expected object with {\"txid'\",\"vout\",\"scriptPubKey\"}"));
        };
        check_members(prev, &[("txid", "string"), ("vout", "number"), ("scriptPubKey", "string")], false)?;
        let txid = Txid::from_byte_array(parse_hash_o(prev, "txid")?);
        let vout = get_i32(&prev["vout"])?;
        if vout < 0 {
            return Err(deserialization_error("vout cannot be negative"));
        }
        let outpoint = OutPoint { txid, vout: vout as u32 };
        let spk = parse_hex_o(prev, "scriptPubKey")?;
        let known = coins.iter().find(|(o, c)| *o == outpoint && c.is_some()).and_then(|(_, c)| c.clone());
        if let Some(existing) = known.filter(|c| c.script_pubkey.as_bytes() != spk) {
            return Err(deserialization_error(format!(
                "Previous output scriptPubKey mismatch:\n{}\nvs:\n{}",
                script::to_asm(existing.script_pubkey.as_bytes(), false),
                script::to_asm(&spk, false)
            )));
        }
        let value = match prev.get("amount") {
            Some(a) => parse_amount(a)?,
            None => Amount::from_sat(MAX_MONEY),
        };
        let coin = TxOut { value, script_pubkey: ScriptBuf::from_bytes(spk.clone()) };
        // Only coins the transaction spends matter; others are ignored.
        for slot in coins.iter_mut().filter(|(o, _)| *o == outpoint) {
            slot.1 = Some(coin.clone());
        }
        let kind = script::solve(&spk).kind;
        if matches!(kind, TxoutType::ScriptHash | TxoutType::WitnessV0ScriptHash) {
            add_p2sh_scripts(prev, &spk, kind, provider)?;
        }
    }
    Ok(())
}

/// The reference's `RPCTypeCheckObj`: members of the wrong type (absent ones
/// too unless `allow_null`) are `-3 Expected type X for Y, got Z`.
fn check_members(o: &Map<String, Value>, members: &[(&str, &str)], allow_null: bool) -> Result<(), RpcError> {
    for (key, expected) in members {
        let v = o.get(*key).unwrap_or(&Value::Null);
        if allow_null && v.is_null() {
            continue;
        }
        let ok = match *expected {
            "string" => v.is_string(),
            _ => v.is_number(),
        };
        if !ok {
            return Err(RpcError::type_error(format!(
                "Expected type {expected} for {key}, got {}",
                hashvive_rpc::table::json_type_name(v)
            )));
        }
    }
    Ok(())
}

fn add_p2sh_scripts(
    prev: &Map<String, Value>,
    spk: &[u8],
    kind: TxoutType,
    provider: &mut SigningProvider,
) -> Result<(), RpcError> {
    check_members(prev, &[("redeemScript", "string"), ("witnessScript", "string")], true)?;
    let rs = prev.get("redeemScript").filter(|v| !v.is_null());
    let ws = prev.get("witnessScript").filter(|v| !v.is_null());
    let script = match (ws, rs) {
        (Some(ws), _) => parse_hex_v(ws, "witnessScript")?,
        (None, Some(rs)) => parse_hex_v(rs, "redeemScript")?,
        (None, None) => return Err(RpcError::invalid_parameter("Missing redeemScript/witnessScript")),
    };
    let wrapped = ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::hash(&script)).into_bytes();
    provider.add_script(script.clone());
    provider.add_script(wrapped.clone());
    if let (Some(ws), Some(rs)) = (ws, rs) {
        if ws != rs && parse_hex_v(rs, "redeemScript")? != wrapped {
            return Err(RpcError::invalid_parameter("redeemScript does not correspond to witnessScript"));
        }
    }
    let matches = match kind {
        TxoutType::ScriptHash => {
            let p2sh = |s: &[u8]| ScriptBuf::new_p2sh(&bitcoin::ScriptHash::hash(s)).into_bytes();
            spk == p2sh(&script) || spk == p2sh(&wrapped)
        }
        _ => spk == wrapped,
    };
    if !matches {
        return Err(RpcError::invalid_parameter("redeemScript/witnessScript does not match scriptPubKey"));
    }
    Ok(())
}

/// Signs every input of `tx` it can with `provider`'s keys, given the coins
/// the inputs spend (`None` for unknown ones), and answers as the reference:
/// `hex`, `complete`, and `errors` for inputs left incomplete.
pub fn sign_transaction(
    tx: &mut Transaction,
    coins: Vec<(OutPoint, Option<TxOut>)>,
    provider: &SigningProvider,
    hash_type: u32,
    secp: &Secp256k1<All>,
) -> Result<Value, RpcError> {
    let single = hash_type & 0x7f == 0x03;
    let mut errors = Vec::new();
    for (i, (_, coin)) in coins.into_iter().enumerate() {
        let Some(coin) = coin else {
            errors.push((i, "Input not found or already spent".to_string()));
            continue;
        };
        let signed = if single && i >= tx.output.len() {
            // SIGHASH_SINGLE signs nothing without a matching output.
            let input = &tx.input[i];
            let error = sign::input_error(coin.script_pubkey.as_bytes(), input.script_sig.as_bytes(), &input.witness);
            sign::SignedInput {
                script_sig: input.script_sig.clone(),
                witness: input.witness.clone(),
                complete: error.is_none(),
                error,
                missing: Default::default(),
            }
        } else {
            sign::sign_input(tx, i, &coin, &[], provider, hash_type, secp)
        };
        tx.input[i].script_sig = signed.script_sig;
        tx.input[i].witness = signed.witness;
        if sign::amount_unknown(&coin) && !tx.input[i].witness.is_empty() {
            return Err(RpcError::type_error(format!("Missing amount for {}", sign::txout_to_string(&coin))));
        }
        if let Some(e) = signed.error {
            errors.push((i, e));
        }
    }
    let mut r = Map::new();
    r.insert("hex".into(), Value::String(encode_hex(&serialize_tx(tx))));
    r.insert("complete".into(), Value::Bool(errors.is_empty()));
    if !errors.is_empty() {
        let list = errors
            .into_iter()
            .map(|(i, message)| {
                let txin = &tx.input[i];
                let mut e = Map::new();
                e.insert("txid".into(), Value::String(txin.previous_output.txid.to_string()));
                e.insert("vout".into(), Value::from(txin.previous_output.vout));
                let witness = txin.witness.iter().map(|w| Value::String(encode_hex(w))).collect();
                e.insert("witness".into(), Value::Array(witness));
                e.insert("scriptSig".into(), Value::String(encode_hex(txin.script_sig.as_bytes())));
                e.insert("sequence".into(), Value::from(txin.sequence.0));
                e.insert("error".into(), Value::String(message));
                Value::Object(e)
            })
            .collect();
        r.insert("errors".into(), Value::Array(list));
    }
    Ok(Value::Object(r))
}
