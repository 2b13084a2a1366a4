//! The wallet's descriptors: `listdescriptors`, `importdescriptors`.

use std::sync::Arc;

use bdk_wallet::chain::DescriptorId;
use bdk_wallet::miniscript::descriptor::checksum::desc_checksum;
use bdk_wallet::miniscript::descriptor::{Descriptor, DescriptorPublicKey};
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{method, request_wallet};
use crate::manager::WalletManager;
use crate::output_type::OutputType;
use crate::wallet::{NewDescriptor, Wallet};

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("listdescriptors", "wallet", "List descriptors imported into a descriptor-enabled wallet.", method(manager, listdescriptors))
            .arg(Arg::optional("private", ArgType::Bool, "Show private descriptors.").default("false"))
            .result("{\n  \"wallet_name\" : \"str\",\n  \"descriptors\" : [\n    {\n      \"desc\" : \"str\",\n      \"timestamp\" : n,\n      \"active\" : true|false,\n      \"internal\" : true|false,\n      \"range\" : [ n, n ],\n      \"next\" : n,\n      \"next_index\" : n\n    },\n    ...\n  ]\n}")
            .example("hashvive-cli listdescriptors"),
    );
    table.register(
        Command::new("importdescriptors", "wallet", "Import descriptors. This will trigger a rescan of the blockchain based on the earliest timestamp of all descriptors being imported. Requires a new wallet backup.\nWhen importing descriptors with multipath key expressions, if the multipath specifier contains exactly two elements, the descriptor produced from the second element will be imported as an internal descriptor.\n\nNote: This call can take over an hour to complete if using an early timestamp; during that time, other rpc calls\nmay report that the imported keys, addresses or scripts exist but related transactions are still missing.\nThe rescan is significantly faster if block filters are available (using startup option \"-blockfilterindex=1\").", method(manager, importdescriptors))
            .arg(Arg::required("requests", ArgType::Arr, "Data to be imported: objects with \"desc\" (the descriptor, with checksum), \"active\", \"range\", \"next_index\", \"timestamp\" (UNIX epoch time or \"now\"), \"internal\" and \"label\""))
            .result("[                              (json array) Response is an array with the same size as the input that has the execution result\n  {\n    \"success\" : true|false,\n    \"warnings\" : [ \"str\", ... ],\n    \"error\" : { ... }\n  },\n  ...\n]")
            .example("hashvive-cli importdescriptors '[{ \"desc\": \"<my descriptor>\", \"timestamp\":1455191478, \"internal\": true }, { \"desc\": \"<my descriptor 2>\", \"label\": \"example 2\", \"timestamp\": 1455191480 }]'"),
    );
}

/// `desc` in the reference's notation (`h` for hardened steps) with its checksum.
fn written(desc: &str) -> String {
    let body = desc.split('#').next().unwrap_or_default().replace('\'', "h");
    match desc_checksum(&body) {
        Ok(sum) => format!("{body}#{sum}"),
        Err(_) => body,
    }
}

async fn listdescriptors(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let private = call.param(0).and_then(Value::as_bool).unwrap_or(false);
    let wallet = request_wallet(&m, &call).await?;
    if private {
        if wallet.private_keys_disabled() {
            return Err(RpcError::new(
                codes::RPC_WALLET_ERROR,
                "Can't get descriptor string: private keys are disabled for this wallet",
            ));
        }
        super::ensure_unlocked(&wallet)?;
    }
    let ledger = wallet.ledger();
    let mut descriptors: Vec<Value> = Vec::new();
    for (id, d) in wallet.descriptors() {
        // A combo is listed once, by its `pk` expansion.
        let is_combo = d.combo.is_some();
        if is_combo && !matches!(d.public, Descriptor::Bare(_)) {
            continue;
        }
        let desc = match private {
            true => wallet
                .private_descriptor(id)
                .map(str::to_string)
                .ok_or_else(|| RpcError::new(codes::RPC_WALLET_ERROR, "Can't get descriptor string."))?,
            false => d.public.to_string(),
        };
        let desc = if is_combo { combo_text(&desc) } else { desc };
        let mut entry = json!({ "desc": written(&desc), "timestamp": d.created, "active": d.active });
        if d.active {
            entry["internal"] = json!(d.internal);
        }
        if d.public.has_wildcard() {
            let next = ledger.last_revealed(*id).map_or(0, |i| i + 1);
            let end = (next + ledger.lookahead()).saturating_sub(1).max(d.range_end.unwrap_or(0));
            entry["range"] = json!([0, end]);
            entry["next"] = json!(next);
            entry["next_index"] = json!(next);
        }
        descriptors.push(entry);
    }
    descriptors.sort_by(|a, b| a["desc"].as_str().cmp(&b["desc"].as_str()));
    Ok(json!({ "wallet_name": wallet.name(), "descriptors": descriptors }))
}

/// An `importdescriptors` request's error, as the reference reports it.
struct ImportError {
    code: i32,
    message: String,
}

impl ImportError {
    fn new(code: i32, message: impl Into<String>) -> ImportError {
        ImportError { code, message: message.into() }
    }

    fn invalid(message: impl Into<String>) -> ImportError {
        ImportError::new(codes::RPC_INVALID_PARAMETER, message)
    }
}

impl From<crate::WalletError> for ImportError {
    fn from(e: crate::WalletError) -> ImportError {
        let e = RpcError::from(e);
        ImportError { code: e.code, message: e.message }
    }
}

/// A request's `timestamp`: seconds since the epoch, or "now".
fn timestamp(value: Option<&Value>, now: u64) -> Result<u64, ImportError> {
    match value {
        Some(Value::String(s)) if s == "now" => Ok(now),
        Some(Value::Number(n)) => Ok(n.as_i64().unwrap_or(0).max(0) as u64),
        Some(other) => Err(ImportError::new(
            codes::RPC_TYPE_ERROR,
            format!(
                "Expected number or \"now\" timestamp value for key. got type {}",
                hashvive_rpc::table::json_type_name(other)
            ),
        )),
        None => Err(ImportError::new(codes::RPC_TYPE_ERROR, "Missing required timestamp field for key")),
    }
}

/// A request's `range`: a number (the end) or `[begin, end]`.
fn range(value: &Value) -> Result<(u32, u32), ImportError> {
    let (begin, end) = match value {
        Value::Number(n) => (0, n.as_i64().unwrap_or(-1)),
        Value::Array(a) if a.len() == 2 => (a[0].as_i64().unwrap_or(-1), a[1].as_i64().unwrap_or(-1)),
        _ => return Err(ImportError::invalid("Range must be specified as end or as [begin,end]")),
    };
    if begin < 0 || end < 0 {
        return Err(ImportError::invalid("Range should be greater or equal than 0"));
    }
    if end < begin {
        return Err(ImportError::invalid("Range specified as [begin,end] must not have begin after end"));
    }
    if end >= 1 << 31 {
        return Err(ImportError::invalid("End of range is too high"));
    }
    if end - begin >= 1_000_000 {
        return Err(ImportError::invalid("Range is too large"));
    }
    Ok((begin as u32, end as u32))
}

/// What `combo(KEY)` stands for, from its `pk(KEY)`: P2PK and P2PKH, and
/// for a compressed key P2WPKH and P2SH-P2WPKH too.
fn combo_expansions(
    pk: &Descriptor<DescriptorPublicKey>,
    parse: &impl Fn(
        &str,
    )
        -> Result<(Descriptor<DescriptorPublicKey>, bdk_wallet::miniscript::descriptor::KeyMap), ImportError>,
) -> Result<Vec<Descriptor<DescriptorPublicKey>>, ImportError> {
    use bdk_wallet::miniscript::descriptor::SinglePubKey;
    use bdk_wallet::miniscript::ForEachKey;
    let key = combo_inner(&pk.to_string()).to_string();
    let compressed = pk.for_each_key(|k| match k {
        DescriptorPublicKey::Single(single) => !matches!(single.key, SinglePubKey::FullKey(full) if !full.compressed),
        _ => true,
    });
    let mut texts = vec![format!("pk({key})"), format!("pkh({key})")];
    if compressed {
        texts.extend([format!("wpkh({key})"), format!("sh(wpkh({key}))")]);
    }
    texts.iter().map(|t| parse(t).map(|(d, _)| d)).collect()
}

/// The key expression inside a `pk(KEY)` text (with or without checksum).
fn combo_inner(pk_text: &str) -> &str {
    let body = pk_text.split('#').next().unwrap_or_default();
    body.strip_prefix("pk(").and_then(|k| k.strip_suffix(')')).unwrap_or(body)
}

/// `combo(KEY)` from the text of its `pk(KEY)`.
fn combo_text(pk_text: &str) -> String {
    format!("combo({})", combo_inner(pk_text))
}

/// Imports one request's descriptors into `wallet` (the reference's
/// `ProcessDescriptorImport`); returns its warnings.
fn import_one(
    wallet: &mut Wallet,
    network: bitcoin::Network,
    request: &Map<String, Value>,
    created: u64,
) -> Result<Vec<String>, ImportError> {
    let text = request
        .get("desc")
        .and_then(Value::as_str)
        .ok_or_else(|| ImportError::new(codes::RPC_TYPE_ERROR, "Descriptor not found."))?;
    let active = request.get("active").and_then(Value::as_bool).unwrap_or(false);
    let internal = request.get("internal").and_then(Value::as_bool).unwrap_or(false);
    let label = request.get("label").and_then(Value::as_str).unwrap_or_default();
    let (body, checksum) = match text.split_once('#') {
        Some((body, sum)) => (body, Some(sum)),
        None => (text, None),
    };
    let expected =
        desc_checksum(body).map_err(|e| ImportError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, e.to_string()))?;
    match checksum {
        None => return Err(ImportError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Missing checksum")),
        Some(sum) if sum != expected => {
            return Err(ImportError::new(
                codes::RPC_INVALID_ADDRESS_OR_KEY,
                format!("Provided checksum '{sum}' does not match computed checksum '{expected}'"),
            ))
        }
        Some(_) => {}
    }
    let secp = wallet.secp().clone();
    // `combo(KEY)` is kept as the descriptors it stands for; its `pk(KEY)`
    // is parsed for the checks (miniscript has no `combo`).
    let combo_key = body.strip_prefix("combo(").and_then(|k| k.strip_suffix(')'));
    let parsed_text = combo_key.map_or_else(|| body.to_string(), |key| format!("pk({key})"));
    let parse = |text: &str| {
        Descriptor::<DescriptorPublicKey>::parse_descriptor(&secp, text)
            .map_err(|e| ImportError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, e.to_string()))
    };
    let (public, keys) = parse(&parsed_text)?;
    let ranged = public.has_wildcard();
    let range = match request.get("range") {
        Some(r) if !r.is_null() => {
            if !ranged {
                return Err(ImportError::invalid("Range should not be specified for an un-ranged descriptor"));
            }
            Some(range(r)?)
        }
        _ => None,
    };
    if ranged && !label.is_empty() {
        return Err(ImportError::invalid("Ranged descriptors should not have a label"));
    }
    if internal && !label.is_empty() {
        return Err(ImportError::invalid("Internal addresses should not have a label"));
    }
    if active && !ranged {
        return Err(ImportError::invalid("Active descriptors must be ranged"));
    }
    if active && OutputType::of_descriptor(&public).is_none() {
        return Err(ImportError::invalid("Combo descriptors cannot be set to active"));
    }
    // A multipath descriptor of two paths is a receive and a change descriptor.
    let singles: Vec<(Descriptor<DescriptorPublicKey>, bool)> = match public.is_multipath() {
        false if combo_key.is_some() => combo_expansions(&public, &parse)?.into_iter().map(|d| (d, internal)).collect(),
        false => vec![(public.clone(), internal)],
        true => {
            let paths = public
                .clone()
                .into_single_descriptors()
                .map_err(|e| ImportError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, e.to_string()))?;
            if paths.len() != 2 && (active || internal) {
                return Err(ImportError::invalid(
                    "Multipath descriptors with other than two paths cannot be active or internal",
                ));
            }
            let count = paths.len();
            paths.into_iter().enumerate().map(|(i, d)| (d, internal || (count == 2 && i == 1))).collect()
        }
    };
    let next_index = match request.get("next_index").and_then(Value::as_i64) {
        Some(_) if !ranged => {
            return Err(ImportError::invalid("next_index should not be specified for an un-ranged descriptor"));
        }
        Some(n) => Some(u32::try_from(n).map_err(|_| ImportError::invalid("next_index is out of range"))?),
        None => None,
    };
    if let (Some(next), Some((begin, end))) = (next_index, range) {
        if next < begin || next > end {
            return Err(ImportError::invalid("next_index is out of range"));
        }
    }
    let mut warnings = Vec::new();
    if wallet.private_keys_disabled() && !keys.is_empty() {
        return Err(ImportError::new(
            codes::RPC_WALLET_ERROR,
            "Cannot import private keys to a wallet with private keys disabled",
        ));
    }
    if !wallet.private_keys_disabled() && keys.is_empty() && !wallet.is_blank() {
        return Err(ImportError::new(
            codes::RPC_WALLET_ERROR,
            "Cannot import descriptor without private keys to a wallet with private keys enabled",
        ));
    }
    let mut imported: Vec<DescriptorId> = Vec::new();
    for (single, internal) in singles {
        // Keys stay with the text the wallet stores; the public half is
        // written back with them.
        let text = match keys.is_empty() {
            true => Zeroizing::new(single.to_string()),
            false => Zeroizing::new(single.to_string_with_secret(&keys)),
        };
        let id = wallet.add_descriptor(NewDescriptor {
            text,
            created,
            internal,
            active,
            range_end: range.map(|(_, end)| end),
            next_index: next_index.or(range.map(|(begin, _)| begin)),
            combo: combo_key.map(|_| combo_text(&public.to_string())),
        })?;
        imported.push(id);
    }
    if !label.is_empty() {
        if let Some(spk) = imported.first().and_then(|id| wallet.script_at(*id, 0)) {
            if let Ok(address) = bitcoin::Address::from_script(&spk, network) {
                wallet.set_label(&address, label)?;
            }
        }
    }
    if !active && !ranged && keys.is_empty() && !wallet.private_keys_disabled() {
        warnings.push("Not all private keys provided. Some wallet functionality may return unexpected errors".into());
    }
    Ok(warnings)
}

/// Where the rescan for new descriptors starts on a node that pruned blocks
/// from `start` on: above the prune height. Each import `(result index,
/// timestamp)` whose keys may have history in the pruned blocks has its
/// result turned into the reference's failure (it stays imported).
async fn start_past_pruning(
    m: &WalletManager,
    start: u32,
    imported: &[(usize, u64)],
    results: &mut [Value],
) -> Result<u32, RpcError> {
    let Some(pruned) = m.chain().prune_height().await.map_err(super::node)?.filter(|p| *p >= start as i32) else {
        return Ok(start);
    };
    let found = match m.chain().get_block_hash(pruned).await.map_err(super::node)? {
        Some(hash) => m.chain().find_block(hash, false).await.map_err(super::node)?,
        None => None,
    };
    let failed_time = found.map_or(0, |b| b.time.max(0) as u64);
    let window = super::rescan::TIMESTAMP_WINDOW;
    let scanned_time = failed_time + window as u64 + 1;
    for (i, created) in imported.iter().filter(|(_, created)| *created < scanned_time) {
        let message = format!(
            "Rescan failed for descriptor with timestamp {created}. There was an error reading a block from time \
             {failed_time}, which is after or within {window} seconds of key creation, and could contain \
             transactions pertaining to the desc. As a result, transactions and coins using this desc may not \
             appear in the wallet. This error could be caused by pruning or data corruption (see hashvived log for \
             details) and could be dealt with by downloading and rescanning the relevant blocks (see \
             rescanblockchain RPC)."
        );
        results[*i] = json!({ "success": false, "error": { "code": codes::RPC_MISC_ERROR, "message": message } });
    }
    Ok(pruned as u32 + 1)
}

async fn importdescriptors(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let requests = call.param(0).and_then(Value::as_array).cloned().unwrap_or_default();
    let mut wallet = request_wallet(&m, &call).await?;
    super::ensure_unlocked(&wallet)?;
    let tip = m.chain().get_tip().await.map_err(super::node)?;
    let tip_block = m.chain().find_block(tip.hash, false).await.map_err(super::node)?;
    let now = tip_block.map_or(0, |b| b.time.max(0) as u64);
    let mut results = Vec::new();
    // Each successful import's timestamp, for the results a pruned rescan fails.
    let mut imported: Vec<(usize, u64)> = Vec::new();
    let mut earliest: Option<u64> = None;
    for request in &requests {
        let outcome = match request.as_object() {
            None => Err(ImportError::new(codes::RPC_TYPE_ERROR, "Expected type object")),
            Some(request) => match timestamp(request.get("timestamp"), now) {
                Err(e) => Err(e),
                Ok(created) => import_one(&mut wallet, m.options().network, request, created).map(|w| (w, created)),
            },
        };
        results.push(match outcome {
            Ok((warnings, created)) => {
                earliest = Some(earliest.map_or(created, |e| e.min(created)));
                imported.push((results.len(), created));
                let mut result = json!({ "success": true });
                if !warnings.is_empty() {
                    result["warnings"] = json!(warnings);
                }
                result
            }
            Err(e) => json!({ "success": false, "error": { "code": e.code, "message": e.message } }),
        });
    }
    // What the new descriptors received before: rescanned from the block
    // their earliest timestamp points to.
    if let Some(earliest) = earliest {
        let name = wallet.name().to_string();
        drop(wallet);
        let start = super::rescan::first_block_from(&m, earliest).await?;
        let start = start_past_pruning(&m, start, &imported, &mut results).await?;
        let (_, shared) = super::selected_wallet(&m, &call)?;
        let stop = tip.height.max(0) as u32;
        let guard = m.begin_scan(&name, start, stop).ok_or_else(super::rescan::busy)?;
        super::rescan::rescan(&m, &name, &shared, &guard, start, stop).await?;
    }
    Ok(Value::Array(results))
}
