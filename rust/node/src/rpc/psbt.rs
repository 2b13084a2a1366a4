//! PSBTs (BIP174/371) as the node's RPCs show them: the `decodepsbt` JSON,
//! with the reference's field order and map orders, and `analyzepsbt`'s
//! roles analysis. Decoding, signing and finalizing live in
//! `hashvive_script::psbt`.

use bitcoin::bip32::{DerivationPath, KeySource};
use bitcoin::hashes::Hash;
use bitcoin::psbt::{raw, Psbt};
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::{Network, Transaction, TxOut};
use serde_json::{Map, Value};

use crate::rpc::format::{
    amount_to_json, script_to_json, signed_amount_to_json, tx_size_and_weight, tx_to_json, ScriptJsonOptions,
    TxJsonOptions, MAX_MONEY,
};
use crate::rpc::params::encode_hex;
use crate::rpc::script::{self, sighash_name};
pub use hashvive_script::psbt::{
    blank_psbt, decode_psbt, encode_psbt, extract, finalize, finalize_input, input_final_and_verified, input_utxo,
    partial_sigs,
};

/// The full key bytes of an unknown entry (type then key data).
fn raw_key_bytes(key: &raw::Key) -> Vec<u8> {
    let mut out = bitcoin::consensus::encode::serialize(&bitcoin::VarInt(u64::from(key.type_value)));
    out.extend_from_slice(&key.key);
    out
}

fn unknown_json(map: &std::collections::BTreeMap<raw::Key, Vec<u8>>) -> Map<String, Value> {
    map.iter().map(|(k, v)| (encode_hex(&raw_key_bytes(k)), Value::String(encode_hex(v)))).collect()
}

fn proprietary_json(map: &std::collections::BTreeMap<raw::ProprietaryKey, Vec<u8>>) -> Vec<Value> {
    let mut entries: Vec<(Vec<u8>, Value)> = map
        .iter()
        .map(|(k, v)| {
            let full = raw_key_bytes(&k.to_key());
            let mut o = Map::new();
            o.insert("identifier".into(), Value::String(encode_hex(&k.prefix)));
            o.insert("subtype".into(), Value::from(k.subtype));
            o.insert("key".into(), Value::String(encode_hex(&full)));
            o.insert("value".into(), Value::String(encode_hex(v)));
            (full, Value::Object(o))
        })
        .collect();
    // The reference orders these by their full key.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.into_iter().map(|(_, v)| v).collect()
}

/// `WriteHDKeypath`: `m/0h/1`.
fn keypath(path: &DerivationPath) -> String {
    let mut out = String::from("m");
    for child in path {
        let n = u32::from(*child);
        out.push_str(&format!("/{}", n & 0x7fff_ffff));
        if n & 0x8000_0000 != 0 {
            out.push('h');
        }
    }
    out
}

fn origin_json(pubkey: Vec<u8>, source: &KeySource) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("pubkey".into(), Value::String(encode_hex(&pubkey)));
    o.insert("master_fingerprint".into(), Value::String(encode_hex(source.0.as_bytes())));
    o.insert("path".into(), Value::String(keypath(&source.1)));
    o
}

fn bip32_json(map: &std::collections::BTreeMap<bitcoin::secp256k1::PublicKey, KeySource>) -> Value {
    let mut entries: Vec<(Vec<u8>, &KeySource)> = map.iter().map(|(k, v)| (k.serialize().to_vec(), v)).collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(entries.into_iter().map(|(k, s)| Value::Object(origin_json(k, s))).collect())
}

type TapOrigins = std::collections::BTreeMap<bitcoin::XOnlyPublicKey, (Vec<bitcoin::TapLeafHash>, KeySource)>;

fn tap_bip32_json(map: &TapOrigins) -> Value {
    let mut entries: Vec<(Vec<u8>, Value)> = map
        .iter()
        .map(|(key, (leaves, source))| {
            let bytes = key.serialize().to_vec();
            let mut o = origin_json(bytes.clone(), source);
            let mut hashes: Vec<[u8; 32]> = leaves.iter().map(|h| h.to_byte_array()).collect();
            hashes.sort();
            hashes.dedup();
            o.insert("leaf_hashes".into(), Value::Array(hashes.iter().map(|h| Value::String(encode_hex(h))).collect()));
            (bytes, Value::Object(o))
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(entries.into_iter().map(|(_, v)| v).collect())
}

fn preimages_json<H: AsRef<[u8]>>(map: &std::collections::BTreeMap<H, Vec<u8>>) -> Value {
    let mut entries: Vec<(Vec<u8>, &Vec<u8>)> = map.iter().map(|(h, p)| (h.as_ref().to_vec(), p)).collect();
    entries.sort();
    Value::Object(entries.into_iter().map(|(h, p)| (encode_hex(&h), Value::String(encode_hex(p)))).collect())
}

/// Signatures by public key, ordered as the reference orders them (by key
/// hash).
fn input_json(psbt: &Psbt, index: usize, network: Network) -> Map<String, Value> {
    let input = &psbt.inputs[index];
    let mut o = Map::new();
    if let Some(utxo) = &input.witness_utxo {
        let mut w = Map::new();
        w.insert("amount".into(), amount_to_json(utxo.value));
        let spk = script_to_json(utxo.script_pubkey.as_bytes(), ScriptJsonOptions::output(network));
        w.insert("scriptPubKey".into(), Value::Object(spk));
        o.insert("witness_utxo".into(), Value::Object(w));
    }
    if let Some(prev) = &input.non_witness_utxo {
        o.insert("non_witness_utxo".into(), tx_to_json(prev, &TxJsonOptions::plain(network)));
    }
    let sigs = partial_sigs(input);
    if !sigs.is_empty() {
        let m = sigs.into_iter().map(|(k, s)| (encode_hex(&k), Value::String(encode_hex(&s)))).collect();
        o.insert("partial_signatures".into(), Value::Object(m));
    }
    if let Some(ty) = input.sighash_type {
        o.insert("sighash".into(), Value::String(sighash_name(ty.to_u32() as u8).into()));
    }
    if let Some(s) = &input.redeem_script {
        o.insert("redeem_script".into(), Value::Object(script_to_json(s.as_bytes(), ScriptJsonOptions::PLAIN)));
    }
    if let Some(s) = &input.witness_script {
        o.insert("witness_script".into(), Value::Object(script_to_json(s.as_bytes(), ScriptJsonOptions::PLAIN)));
    }
    if !input.bip32_derivation.is_empty() {
        o.insert("bip32_derivs".into(), bip32_json(&input.bip32_derivation));
    }
    if let Some(s) = input.final_script_sig.as_ref().filter(|s| !s.is_empty()) {
        let mut m = Map::new();
        m.insert("asm".into(), Value::String(script::to_asm(s.as_bytes(), true)));
        m.insert("hex".into(), Value::String(encode_hex(s.as_bytes())));
        o.insert("final_scriptSig".into(), Value::Object(m));
    }
    if let Some(w) = input.final_script_witness.as_ref().filter(|w| !w.is_empty()) {
        o.insert("final_scriptwitness".into(), Value::Array(w.iter().map(|i| Value::String(encode_hex(i))).collect()));
    }
    for (name, value) in [
        (
            "ripemd160_preimages",
            (!input.ripemd160_preimages.is_empty()).then(|| preimages_json(&input.ripemd160_preimages)),
        ),
        ("sha256_preimages", (!input.sha256_preimages.is_empty()).then(|| preimages_json(&input.sha256_preimages))),
        ("hash160_preimages", (!input.hash160_preimages.is_empty()).then(|| preimages_json(&input.hash160_preimages))),
        ("hash256_preimages", (!input.hash256_preimages.is_empty()).then(|| preimages_json(&input.hash256_preimages))),
    ] {
        if let Some(v) = value {
            o.insert(name.into(), v);
        }
    }
    if let Some(sig) = &input.tap_key_sig {
        o.insert("taproot_key_path_sig".into(), Value::String(encode_hex(&sig.to_vec())));
    }
    if !input.tap_script_sigs.is_empty() {
        let mut sigs: Vec<([u8; 32], [u8; 32], Vec<u8>)> = input
            .tap_script_sigs
            .iter()
            .map(|((key, leaf), sig)| (key.serialize(), leaf.to_byte_array(), sig.to_vec()))
            .collect();
        sigs.sort();
        let list = sigs
            .into_iter()
            .map(|(key, leaf, sig)| {
                let mut m = Map::new();
                m.insert("pubkey".into(), Value::String(encode_hex(&key)));
                m.insert("leaf_hash".into(), Value::String(encode_hex(&leaf)));
                m.insert("sig".into(), Value::String(encode_hex(&sig)));
                Value::Object(m)
            })
            .collect();
        o.insert("taproot_script_path_sigs".into(), Value::Array(list));
    }
    if !input.tap_scripts.is_empty() {
        // The reference keys leaf scripts by (script, version) with a set of
        // control blocks each.
        let mut leaves: std::collections::BTreeMap<(Vec<u8>, u8), Vec<Vec<u8>>> = Default::default();
        for (cb, (s, ver)) in &input.tap_scripts {
            leaves.entry((s.to_bytes(), ver.to_consensus())).or_default().push(cb.serialize());
        }
        let list = leaves
            .into_iter()
            .map(|((s, ver), mut cbs)| {
                cbs.sort();
                let mut m = Map::new();
                m.insert("script".into(), Value::String(encode_hex(&s)));
                m.insert("leaf_ver".into(), Value::from(ver));
                m.insert(
                    "control_blocks".into(),
                    Value::Array(cbs.iter().map(|c| Value::String(encode_hex(c))).collect()),
                );
                Value::Object(m)
            })
            .collect();
        o.insert("taproot_scripts".into(), Value::Array(list));
    }
    if !input.tap_key_origins.is_empty() {
        o.insert("taproot_bip32_derivs".into(), tap_bip32_json(&input.tap_key_origins));
    }
    if let Some(key) = &input.tap_internal_key {
        o.insert("taproot_internal_key".into(), Value::String(encode_hex(&key.serialize())));
    }
    if let Some(root) = &input.tap_merkle_root {
        o.insert("taproot_merkle_root".into(), Value::String(encode_hex(&root.to_byte_array())));
    }
    if !input.proprietary.is_empty() {
        o.insert("proprietary".into(), Value::Array(proprietary_json(&input.proprietary)));
    }
    if !input.unknown.is_empty() {
        o.insert("unknown".into(), Value::Object(unknown_json(&input.unknown)));
    }
    o
}

fn output_json(output: &bitcoin::psbt::Output) -> Map<String, Value> {
    let mut o = Map::new();
    if let Some(s) = &output.redeem_script {
        o.insert("redeem_script".into(), Value::Object(script_to_json(s.as_bytes(), ScriptJsonOptions::PLAIN)));
    }
    if let Some(s) = &output.witness_script {
        o.insert("witness_script".into(), Value::Object(script_to_json(s.as_bytes(), ScriptJsonOptions::PLAIN)));
    }
    if !output.bip32_derivation.is_empty() {
        o.insert("bip32_derivs".into(), bip32_json(&output.bip32_derivation));
    }
    if let Some(key) = &output.tap_internal_key {
        o.insert("taproot_internal_key".into(), Value::String(encode_hex(&key.serialize())));
    }
    if let Some(tree) = &output.tap_tree {
        let leaves = tree
            .script_leaves()
            .map(|leaf| {
                let mut m = Map::new();
                m.insert("depth".into(), Value::from(leaf.merkle_branch().len()));
                m.insert("leaf_ver".into(), Value::from(leaf.version().to_consensus()));
                m.insert("script".into(), Value::String(encode_hex(leaf.script().as_bytes())));
                Value::Object(m)
            })
            .collect();
        o.insert("taproot_tree".into(), Value::Array(leaves));
    }
    if !output.tap_key_origins.is_empty() {
        o.insert("taproot_bip32_derivs".into(), tap_bip32_json(&output.tap_key_origins));
    }
    if !output.proprietary.is_empty() {
        o.insert("proprietary".into(), Value::Array(proprietary_json(&output.proprietary)));
    }
    if !output.unknown.is_empty() {
        o.insert("unknown".into(), Value::Object(unknown_json(&output.unknown)));
    }
    o
}

/// `decodepsbt`'s result.
pub fn psbt_to_json(psbt: &Psbt, network: Network) -> Value {
    let mut r = Map::new();
    r.insert("tx".into(), tx_to_json(&psbt.unsigned_tx, &TxJsonOptions::plain(network)));
    let mut xpubs: Vec<(Vec<u8>, Value)> = psbt
        .xpub
        .iter()
        .map(|(xpub, source)| {
            let mut m = Map::new();
            m.insert("xpub".into(), Value::String(xpub.to_string()));
            m.insert("master_fingerprint".into(), Value::String(encode_hex(source.0.as_bytes())));
            m.insert("path".into(), Value::String(keypath(&source.1)));
            let mut order = source.0.as_bytes().to_vec();
            source.1.into_iter().for_each(|c| order.extend(u32::from(*c).to_le_bytes()));
            (order, Value::Object(m))
        })
        .collect();
    xpubs.sort_by(|a, b| a.0.cmp(&b.0));
    r.insert("global_xpubs".into(), Value::Array(xpubs.into_iter().map(|(_, v)| v).collect()));
    r.insert("psbt_version".into(), Value::from(psbt.version));
    r.insert("proprietary".into(), Value::Array(proprietary_json(&psbt.proprietary)));
    r.insert("unknown".into(), Value::Object(unknown_json(&psbt.unknown)));

    let mut total_in: u64 = 0;
    let mut have_all = true;
    let mut inputs = Vec::new();
    for i in 0..psbt.inputs.len() {
        match input_utxo(psbt, i) {
            Some(utxo) if utxo.value.to_sat() <= MAX_MONEY && total_in + utxo.value.to_sat() <= MAX_MONEY => {
                total_in += utxo.value.to_sat();
            }
            _ => have_all = false,
        }
        inputs.push(Value::Object(input_json(psbt, i, network)));
    }
    r.insert("inputs".into(), Value::Array(inputs));
    let mut total_out: u64 = 0;
    let mut outputs = Vec::new();
    for (i, output) in psbt.outputs.iter().enumerate() {
        outputs.push(Value::Object(output_json(output)));
        let value = psbt.unsigned_tx.output.get(i).map_or(0, |o| o.value.to_sat());
        if value <= MAX_MONEY && total_out + value <= MAX_MONEY {
            total_out += value;
        } else {
            have_all = false;
        }
    }
    r.insert("outputs".into(), Value::Array(outputs));
    if have_all {
        r.insert("fee".into(), signed_amount_to_json(i128::from(total_in) - i128::from(total_out)));
    }
    Value::Object(r)
}

/// The reference's PSBT roles, in order.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Role {
    Creator,
    Updater,
    Signer,
    Finalizer,
    Extractor,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Creator => "creator",
            Role::Updater => "updater",
            Role::Signer => "signer",
            Role::Finalizer => "finalizer",
            Role::Extractor => "extractor",
        }
    }
}

fn invalid(message: String) -> Value {
    let mut r = Map::new();
    r.insert("next".into(), Value::String(Role::Creator.name().into()));
    r.insert("error".into(), Value::String(message));
    Value::Object(r)
}

/// Signature operations the reference counts for the size estimate
/// (`GetTransactionSigOpCost`) for the templates signed here.
fn sigop_cost(tx: &Transaction, utxos: &[TxOut]) -> usize {
    fn count(script: &[u8], accurate: bool) -> usize {
        let mut n = 0;
        let mut last = 0xffu8;
        for (op, _) in script::ops(script).map_while(|o| o) {
            match op {
                0xac | 0xad => n += 1,
                0xae | 0xaf => {
                    n += if accurate && (script::OP_1..=script::OP_16).contains(&last) {
                        usize::from(last - script::OP_1 + 1)
                    } else {
                        20
                    }
                }
                _ => {}
            }
            last = op;
        }
        n
    }
    let mut cost = 0;
    for txin in &tx.input {
        cost += count(txin.script_sig.as_bytes(), false) * 4;
    }
    for txout in &tx.output {
        cost += count(txout.script_pubkey.as_bytes(), false) * 4;
    }
    for (txin, utxo) in tx.input.iter().zip(utxos) {
        let spk = utxo.script_pubkey.as_bytes();
        let mut program = spk.to_vec();
        if script::solve(spk).kind == script::TxoutType::ScriptHash {
            let last = script::ops(txin.script_sig.as_bytes()).map_while(|o| o).last().map(|(_, d)| d.to_vec());
            if let Some(redeem) = last {
                cost += count(&redeem, true) * 4;
                program = redeem;
            }
        }
        match script::witness_program(&program) {
            Some((0, p)) if p.len() == 20 => cost += 1,
            Some((0, p)) if p.len() == 32 => cost += txin.witness.last().map_or(0, |ws| count(ws, true)),
            _ => {}
        }
    }
    cost
}

/// `analyzepsbt`'s result (the reference's `AnalyzePSBT`).
pub fn analyze(psbt: &Psbt, secp: &Secp256k1<All>) -> Value {
    let mut work = psbt.clone();
    let mut in_amount: u64 = 0;
    let mut calc_fee = true;
    let mut inputs = Vec::new();
    let mut next = Role::Extractor;
    for i in 0..psbt.inputs.len() {
        let utxo = input_utxo(psbt, i);
        let mut input_next = Role::Extractor;
        match &utxo {
            Some(u) => {
                if u.value.to_sat() > MAX_MONEY || in_amount + u.value.to_sat() > MAX_MONEY {
                    return invalid(format!("PSBT is not valid. Input {i} has invalid value"));
                }
                in_amount += u.value.to_sat();
                if script::is_unspendable(u.script_pubkey.as_bytes()) {
                    return invalid(format!("PSBT is not valid. Input {i} spends unspendable output"));
                }
            }
            None => {
                if psbt.inputs[i].non_witness_utxo.is_some() {
                    return invalid(format!("PSBT is not valid. Input {i} specifies invalid prevout"));
                }
                input_next = Role::Updater;
                calc_fee = false;
            }
        }
        let mut missing = Map::new();
        let final_and_verified = input_final_and_verified(psbt, i, secp);
        if !final_and_verified {
            let status = finalize_input(&mut work, i, secp);
            if status.complete {
                input_next = Role::Finalizer;
            } else {
                let m = status.missing;
                let only_sigs = m.pubkeys.is_empty() && m.redeem_script.is_none() && m.witness_script.is_none();
                input_next = if only_sigs && !m.sigs.is_empty() { Role::Signer } else { Role::Updater };
                let ids = |v: &[[u8; 20]]| Value::Array(v.iter().map(|h| Value::String(encode_hex(h))).collect());
                if !m.pubkeys.is_empty() {
                    missing.insert("pubkeys".into(), ids(&m.pubkeys));
                }
                if let Some(h) = m.redeem_script {
                    missing.insert("redeemscript".into(), Value::String(encode_hex(&h)));
                }
                if let Some(h) = m.witness_script {
                    missing.insert("witnessscript".into(), Value::String(encode_hex(&h)));
                }
                if !m.sigs.is_empty() {
                    missing.insert("signatures".into(), ids(&m.sigs));
                }
            }
        }
        let is_final = final_and_verified && utxo.is_some();
        next = next.min(input_next);
        let mut o = Map::new();
        o.insert("has_utxo".into(), Value::Bool(utxo.is_some()));
        o.insert("is_final".into(), Value::Bool(is_final));
        o.insert("next".into(), Value::String(input_next.name().into()));
        if !missing.is_empty() {
            o.insert("missing".into(), Value::Object(missing));
        }
        inputs.push(Value::Object(o));
    }
    let mut r = Map::new();
    if !inputs.is_empty() {
        r.insert("inputs".into(), Value::Array(inputs));
    }
    if calc_fee {
        let mut out_amount: u64 = 0;
        for o in &psbt.unsigned_tx.output {
            out_amount = out_amount.saturating_add(o.value.to_sat());
            if o.value.to_sat() > MAX_MONEY || out_amount > MAX_MONEY {
                return invalid("PSBT is not valid. Output amount invalid".into());
            }
        }
        let fee = i128::from(in_amount) - i128::from(out_amount);
        let mut estimate = psbt.clone();
        let utxos: Option<Vec<TxOut>> = (0..psbt.inputs.len()).map(|i| input_utxo(psbt, i)).collect();
        if let (true, Some(utxos)) = (finalize(&mut estimate, secp), utxos) {
            let tx = extract(&estimate);
            let (_, weight) = tx_size_and_weight(&tx);
            let vsize = weight.max(sigop_cost(&tx, &utxos) * 20).div_ceil(4);
            r.insert("estimated_vsize".into(), Value::from(vsize));
            let rate = fee * 1000 / vsize as i128;
            r.insert("estimated_feerate".into(), signed_amount_to_json(rate));
        }
        r.insert("fee".into(), signed_amount_to_json(fee));
    }
    r.insert("next".into(), Value::String(next.name().into()));
    Value::Object(r)
}
