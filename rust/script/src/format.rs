//! The JSON shapes of amounts, scripts and transactions in RPC results, as the
//! reference writes them (`ValueFromAmount`, `ScriptToUniv`, `TxToUniv`), and
//! the parsing of amounts from parameters (`AmountFromValue`).
//!
//! Every RPC that shows a transaction (`decoderawtransaction`, `decodepsbt`,
//! `getrawtransaction`, `getblock`, wallet calls) goes through [`tx_to_json`],
//! so the field order and formatting stay the reference's everywhere.

use bitcoin::{BlockHash, Network, Transaction};
use serde_json::{Map, Value};

use hashvive_consensus::tx::SpentOutput;

use crate::script::{self, TxoutType};
use crate::transaction::{serialize_no_witness, serialize_tx};
use hashvive_rpc::params::encode_hex;

pub use hashvive_rpc::amount::{amount_to_json, parse_amount, parse_fixed_point, signed_amount_to_json, MAX_MONEY};

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
