//! `blockchain` methods over the chain state.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, CompactTarget, Target};
use serde_json::{json, Map, Value};

use hashvive_chain::{BlockInfo, Chainstate, PruneMode, MIN_BLOCKS_TO_KEEP};
use hashvive_common::chain::Chain;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::{sync_handler, Call};
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::format::amount_to_json;
use super::params::{encode_hex, get_i32, parse_hash_v};
use super::{blocking, chain_error};

/// The reference's `GetDifficulty`: how many times harder than the easiest
/// mainnet target, computed from the compact form as the reference does.
pub fn difficulty(bits: CompactTarget) -> f64 {
    let bits = bits.to_consensus();
    let mut shift = (bits >> 24) & 0xff;
    let mut diff = f64::from(0x0000_ffff) / f64::from(bits & 0x00ff_ffff);
    while shift < 29 {
        diff *= 256.0;
        shift += 1;
    }
    while shift > 29 {
        diff /= 256.0;
        shift -= 1;
    }
    diff
}

/// A float as the reference's JSON writer prints it (`%.16g`): 16
/// significant digits, trailing zeros dropped, exponent form outside 1e-5..1e16.
pub fn float_json(f: f64) -> Value {
    if !f.is_finite() {
        return Value::Null;
    }
    let sci = format!("{f:.15e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let text = if (-5..16).contains(&exp) {
        let decimals = (15 - exp).max(0) as usize;
        let fixed = format!("{f:.decimals$}");
        if fixed.contains('.') {
            fixed.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            fixed
        }
    } else {
        let mantissa =
            if mantissa.contains('.') { mantissa.trim_end_matches('0').trim_end_matches('.') } else { mantissa };
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    };
    text.parse::<serde_json::Number>().map(Value::Number).unwrap_or(Value::Null)
}

pub fn target_hex(bits: CompactTarget) -> String {
    encode_hex(&Target::from_compact(bits).to_be_bytes())
}

/// A hash parameter (`ParseHashV`) as the hash type the caller needs.
pub fn parse_hash<T: Hash<Bytes = [u8; 32]>>(v: &Value, name: &str) -> Result<T, RpcError> {
    parse_hash_v(v, name).map(T::from_byte_array)
}

pub fn block_not_found() -> RpcError {
    RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Block not found")
}

fn lookup(chain: &Chainstate, call: &Call, i: usize) -> Result<BlockInfo, RpcError> {
    let hash: BlockHash = parse_hash(call.param(i).unwrap_or(&Value::Null), "blockhash")?;
    chain.block_info(&hash).ok_or_else(block_not_found)
}

/// The header fields `getblockheader` and `getblock` share, in the reference's order.
pub fn header_json(chain: &Chainstate, info: &BlockInfo) -> Map<String, Value> {
    let tip = chain.tip();
    let h = &info.header;
    let mut m = Map::new();
    m.insert("hash".into(), json!(info.hash.to_string()));
    m.insert("confirmations".into(), json!(if info.active { i64::from(tip.height - info.height) + 1 } else { -1 }));
    m.insert("height".into(), json!(info.height));
    m.insert("version".into(), json!(h.version.to_consensus()));
    m.insert("versionHex".into(), json!(format!("{:08x}", h.version.to_consensus())));
    m.insert("merkleroot".into(), json!(h.merkle_root.to_string()));
    m.insert("time".into(), json!(h.time));
    m.insert("mediantime".into(), json!(info.median_time_past));
    m.insert("nonce".into(), json!(h.nonce));
    m.insert("bits".into(), json!(format!("{:08x}", h.bits.to_consensus())));
    m.insert("target".into(), json!(target_hex(h.bits)));
    m.insert("difficulty".into(), float_json(difficulty(h.bits)));
    m.insert("chainwork".into(), json!(encode_hex(&info.chain_work.to_be_bytes())));
    m.insert("nTx".into(), json!(info.n_tx));
    if info.height > 0 {
        m.insert("previousblockhash".into(), json!(h.prev_blockhash.to_string()));
    }
    if let Some(next) = info.next {
        m.insert("nextblockhash".into(), json!(next.to_string()));
    }
    m
}

fn size_on_disk(blocks_dir: &Path) -> u64 {
    std::fs::read_dir(blocks_dir)
        .map(|dir| dir.filter_map(|e| e.ok()?.metadata().ok()).filter(|m| m.is_file()).map(|m| m.len()).sum())
        .unwrap_or(0)
}

pub fn register(table: &RpcTable, chain: Arc<Chainstate>, network: Chain, blocks_dir: &Path, cli: &'static str) {
    let c = chain.clone();
    table.register(
        Command::new(
            "getbestblockhash",
            "blockchain",
            "Returns the hash of the best (tip) block in the most-work fully-validated chain.",
            sync_handler(move |_| Ok(Value::String(c.tip().hash.to_string()))),
        )
        .result("\"hex\"    (string) the block hash, hex-encoded")
        .example(format!("{cli} getbestblockhash")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getblockcount",
            "blockchain",
            "Returns the height of the most-work fully-validated chain.\nThe genesis block has height 0.",
            sync_handler(move |_| Ok(json!(c.tip().height))),
        )
        .result("n    (numeric) The current block count")
        .example(format!("{cli} getblockcount")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getblockhash",
            "blockchain",
            "Returns hash of block in best-block-chain at height provided.",
            sync_handler(move |call| {
                let height = call.param(0).and_then(Value::as_i64).unwrap_or(-1);
                let hash = u32::try_from(height).ok().and_then(|h| c.block_hash_at(h));
                hash.map(|h| json!(h.to_string()))
                    .ok_or_else(|| RpcError::invalid_parameter("Block height out of range"))
            }),
        )
        .arg(Arg::required("height", ArgType::Num, "The height index"))
        .result("\"hex\"    (string) The block hash")
        .example(format!("{cli} getblockhash 1000")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getblockheader",
            "blockchain",
            "If verbose is false, returns a string that is serialized, hex-encoded data for blockheader 'hash'.\n\
             If verbose is true, returns an Object with information about blockheader <hash>.",
            sync_handler(move |call| {
                let info = lookup(&c, call, 0)?;
                if call.param(1).and_then(Value::as_bool) == Some(false) {
                    return Ok(json!(serialize_hex(&info.header)));
                }
                Ok(Value::Object(header_json(&c, &info)))
            }),
        )
        .arg(Arg::required("blockhash", ArgType::StrHex, "The block hash"))
        .arg(
            Arg::optional("verbose", ArgType::Bool, "true for a json object, false for the hex-encoded data")
                .default("true"),
        )
        .example(format!("{cli} getblockheader \"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\"")),
    );
    let c = chain.clone();
    let dir = blocks_dir.to_path_buf();
    table.register(
        Command::new(
            "getblockchaininfo",
            "blockchain",
            "Returns an object containing various state info regarding blockchain processing.",
            sync_handler(move |_| {
                let tip = c.tip();
                let info = c.block_info(&tip.hash).ok_or_else(block_not_found)?;
                let headers = c.best_header().map_or(tip.height, |h| h.height);
                let mut out = json!({
                    "chain": network.name(),
                    "blocks": tip.height,
                    "headers": headers,
                    "bestblockhash": tip.hash.to_string(),
                    "bits": format!("{:08x}", info.header.bits.to_consensus()),
                    "target": target_hex(info.header.bits),
                    "difficulty": float_json(difficulty(info.header.bits)),
                    "time": tip.time,
                    "mediantime": tip.median_time_past,
                    "verificationprogress": 1,
                    "initialblockdownload": tip.is_initial_block_download(),
                    "chainwork": encode_hex(&info.chain_work.to_be_bytes()),
                    "size_on_disk": size_on_disk(&dir),
                    "pruned": c.prune_mode().is_on(),
                });
                let fields = out.as_object_mut().expect("built as an object");
                match c.prune_mode() {
                    PruneMode::Off => {}
                    mode => {
                        // The first block whose data is kept, after every pruned one.
                        fields.insert("pruneheight".into(), json!(c.prune_height().map_or(0, |h| h + 1)));
                        fields.insert("automatic_pruning".into(), json!(mode != PruneMode::Manual));
                        if let PruneMode::Target(bytes) = mode {
                            fields.insert("prune_target_size".into(), json!(bytes));
                        }
                    }
                }
                fields.insert("warnings".into(), json!([]));
                Ok(out)
            }),
        )
        .example(format!("{cli} getblockchaininfo")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getdifficulty",
            "blockchain",
            "Returns the proof-of-work difficulty as a multiple of the minimum difficulty.",
            sync_handler(move |_| {
                let info = c.block_info(&c.tip().hash).ok_or_else(block_not_found)?;
                Ok(float_json(difficulty(info.header.bits)))
            }),
        )
        .result("n    (numeric) the proof-of-work difficulty as a multiple of the minimum difficulty.")
        .example(format!("{cli} getdifficulty")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getchaintips",
            "blockchain",
            "Return information about all known tips in the block tree, including the main chain as well as orphaned branches.",
            sync_handler(move |_| {
                let tips: Vec<Value> = c
                    .chain_tips()
                    .into_iter()
                    .map(|t| json!({"height": t.height, "hash": t.hash.to_string(), "branchlen": t.branch_len, "status": t.status}))
                    .collect();
                Ok(Value::Array(tips))
            }),
        )
        .example(format!("{cli} getchaintips")),
    );

    for (name, description) in [
        ("invalidateblock", "Permanently marks a block as invalid, as if it violated a consensus rule."),
        ("reconsiderblock", "Removes invalidity status of a block, its ancestors and its descendants, reconsider them for activation.\nThis can be used to undo the effects of invalidateblock."),
        ("preciousblock", "Treats a block as if it were received before others with the same work.\n\nA later preciousblock call can override the effect of an earlier one.\n\nThe effects of preciousblock are not retained across restarts."),
    ] {
        let c = chain.clone();
        table.register(
            Command::new(
                name,
                "blockchain",
                description,
                blocking(move |call| {
                    let hash: BlockHash = parse_hash(call.param(0).unwrap_or(&Value::Null), "blockhash")?;
                    let found = match name {
                        "invalidateblock" => c.invalidate_block(&hash),
                        "reconsiderblock" => c.reconsider_block(&hash),
                        _ => c.precious_block(&hash),
                    }
                    .map_err(chain_error)?;
                    if !found {
                        return Err(block_not_found());
                    }
                    Ok(Value::Null)
                }),
            )
            .arg(Arg::required("blockhash", ArgType::StrHex, "the hash of the block to mark"))
            .example(format!("{cli} {name} \"blockhash\"")),
        );
    }

    let c = chain.clone();
    table.register(
        Command::new(
            "pruneblockchain",
            "blockchain",
            "Attempts to delete block and undo data up to a specified height or timestamp, if eligible for pruning.",
            blocking(move |call| prune_blockchain(&c, call)),
        )
        .arg(Arg::required(
            "height",
            ArgType::Num,
            "The block height to prune up to. May be set to a discrete height, or to a UNIX epoch time\n\
             to prune blocks whose block time is at least 2 hours older than the provided timestamp.",
        ))
        .result("n    (numeric) Height of the last block pruned")
        .example(format!("{cli} pruneblockchain 1000")),
    );

    register_waits(table, &chain, cli);
    let c = chain.clone();
    table.register(Command::new(
        "syncwithvalidationinterfacequeue",
        "hidden",
        "Waits for the validation interface queue to catch up on everything that was there when we started.",
        // Listeners (wallets, in this process or another) take chain events
        // on tasks of their own; this returns once each has handled every
        // event sent before the call.
        blocking(move |_| {
            c.flush_events(std::time::Duration::from_secs(60));
            Ok(Value::Null)
        }),
    ));
    let c = chain;
    table.register(
        Command::new(
            "verifychain",
            "blockchain",
            "Verifies blockchain database.",
            blocking(move |call| {
                let depth = call.param(1).and_then(Value::as_i64).unwrap_or(6);
                Ok(json!(c.verify_chain(if depth <= 0 { u32::MAX } else { depth as u32 }).map_err(chain_error)?))
            }),
        )
        .arg(
            Arg::optional("checklevel", ArgType::Num, "How thorough the block verification is").default("3, range=0-4"),
        )
        .arg(Arg::optional("nblocks", ArgType::Num, "The number of blocks to check.").default("6, 0=all"))
        .example(format!("{cli} verifychain")),
    );
}

/// `waitfornewblock`, `waitforblock`, `waitforblockheight`: wait on the tip
/// with a timeout in milliseconds (0 = forever), then report it.
fn register_waits(table: &RpcTable, chain: &Arc<Chainstate>, cli: &'static str) {
    fn timeout(call: &Call, i: usize) -> Duration {
        match call.param(i).and_then(Value::as_i64).unwrap_or(0) {
            n if n > 0 => Duration::from_millis(n as u64),
            // "Forever": until shutdown in practice.
            _ => Duration::from_secs(365 * 24 * 3600),
        }
    }
    fn timeout_arg() -> Arg {
        Arg::optional("timeout", ArgType::Num, "Time in milliseconds to wait for a response. 0 indicates no timeout.")
            .default("0")
    }
    fn tip_json(tip: hashvive_chain::Tip) -> Value {
        json!({"hash": tip.hash.to_string(), "height": tip.height})
    }
    let c = chain.clone();
    table.register(
        Command::new(
            "waitfornewblock",
            "hidden",
            "Waits for any new block and returns useful info about it.",
            Arc::new(move |call: Call| {
                let c = c.clone();
                Box::pin(async move {
                    let current = c.tip().hash;
                    Ok(tip_json(c.wait_tip_changed(current, timeout(&call, 0)).await))
                })
            }),
        )
        .arg(timeout_arg())
        .example(format!("{cli} waitfornewblock 1000")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "waitforblock",
            "hidden",
            "Waits for a specific new block and returns useful info about it.",
            Arc::new(move |call: Call| {
                let c = c.clone();
                Box::pin(async move {
                    let hash: BlockHash = parse_hash(call.param(0).unwrap_or(&Value::Null), "blockhash")?;
                    Ok(tip_json(c.wait_for_tip(|t| t.hash == hash, timeout(&call, 1)).await))
                })
            }),
        )
        .arg(Arg::required("blockhash", ArgType::StrHex, "Block hash to wait for."))
        .arg(timeout_arg()),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "waitforblockheight",
            "hidden",
            "Waits for (at least) block height and returns the height and hash\nof the current tip.",
            Arc::new(move |call: Call| {
                let c = c.clone();
                Box::pin(async move {
                    let height = call.param(0).and_then(Value::as_i64).unwrap_or(0);
                    Ok(tip_json(c.wait_for_tip(|t| i64::from(t.height) >= height, timeout(&call, 1)).await))
                })
            }),
        )
        .arg(Arg::required("height", ArgType::Num, "Block height to wait for."))
        .arg(timeout_arg()),
    );
}

/// `gettxoutsetinfo` with the reference's `hash_serialized_3`: SHA256d over
/// every coin as `outpoint || height * 2 + coinbase (u32) || txout`, in key order.
fn utxo_set_info(chain: &Chainstate, chainstate_dir: &Path) -> Result<Value, RpcError> {
    use bitcoin::consensus::Encodable;
    use bitcoin::hashes::sha256d;
    let mut engine = sha256d::Hash::engine();
    let (mut txouts, mut bogosize, mut total, mut transactions) = (0u64, 0u64, 0u64, 0u64);
    let mut last_txid = None;
    let tip = chain
        .for_each_utxo(|outpoint, coin| {
            let _ = outpoint.consensus_encode(&mut engine);
            let _ = (coin.height * 2 + u32::from(coin.is_coinbase)).consensus_encode(&mut engine);
            let _ = coin.txout.consensus_encode(&mut engine);
            txouts += 1;
            bogosize += 50 + coin.txout.script_pubkey.len() as u64;
            total += coin.txout.value.to_sat();
            if last_txid != Some(outpoint.txid) {
                transactions += 1;
                last_txid = Some(outpoint.txid);
            }
        })
        .map_err(chain_error)?;
    let disk_size: u64 = std::fs::read_dir(chainstate_dir)
        .map(|d| d.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum())
        .unwrap_or(0);
    let hash = sha256d::Hash::from_engine(engine);
    Ok(json!({
        "height": tip.height,
        "bestblock": tip.hash.to_string(),
        "txouts": txouts,
        "bogosize": bogosize,
        "hash_serialized_3": hash.to_string(),
        "total_amount": amount_to_json(bitcoin::Amount::from_sat(total)),
        "transactions": transactions,
        "disk_size": disk_size,
    }))
}

pub fn register_stats(table: &RpcTable, chain: Arc<Chainstate>, chainstate_dir: &Path, cli: &'static str) {
    let c = chain.clone();
    let dir = chainstate_dir.to_path_buf();
    table.register(
        Command::new(
            "gettxoutsetinfo",
            "blockchain",
            "Returns statistics about the unspent transaction output set.\nNote this call may take some time.",
            blocking(move |call| {
                match call.param(0).and_then(Value::as_str).unwrap_or("hash_serialized_3") {
                    "hash_serialized_3" => {}
                    "muhash" | "none" => {
                        return Err(RpcError::invalid_parameter("hash_type 'muhash' and 'none' need coinstatsindex, which is not available"))
                    }
                    other => return Err(RpcError::invalid_parameter(format!("'{other}' is not a valid hash_type"))),
                }
                if call.param(1).is_some() {
                    return Err(RpcError::invalid_parameter("Querying specific block heights requires coinstatsindex"));
                }
                utxo_set_info(&c, &dir)
            }),
        )
        .arg(Arg::optional("hash_type", ArgType::Str, "Which UTXO set hash should be calculated. Options: 'hash_serialized_3' (the legacy algorithm), 'muhash', 'none'.").default("hash_serialized_3"))
        .arg(Arg::optional("hash_or_height", ArgType::Any, "The block hash or height of the target height (only available with coinstatsindex).").placeholder("hash_or_height"))
        .arg(Arg::optional("use_index", ArgType::Bool, "Use coinstatsindex, if available.").default("true"))
        .example(format!("{cli} gettxoutsetinfo")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getchaintxstats",
            "blockchain",
            "Compute statistics about the total number and rate of transactions in the chain.",
            blocking(move |call| {
                let tip = c.tip();
                let end = match call.param(1) {
                    Some(v) => {
                        let hash: BlockHash = parse_hash(v, "blockhash")?;
                        let info = c.block_info(&hash).ok_or_else(block_not_found)?;
                        if !info.active {
                            return Err(RpcError::invalid_parameter("Block is not in main chain"));
                        }
                        info
                    }
                    None => c.block_info(&tip.hash).ok_or_else(block_not_found)?,
                };
                let spacing = c.params().pow_target_spacing as i64;
                let window = match call.param(0).and_then(Value::as_i64) {
                    Some(n) if n < 0 || (n > 0 && n >= i64::from(end.height)) => {
                        return Err(RpcError::invalid_parameter(
                            "Invalid block count: should be between 0 and the block's height - 1",
                        ))
                    }
                    Some(n) => n as u32,
                    None => (30 * 24 * 3600 / spacing).min(i64::from(end.height.saturating_sub(1))) as u32,
                };
                let mut out = Map::new();
                out.insert("time".into(), json!(end.header.time));
                out.insert("txcount".into(), json!(end.chain_tx));
                out.insert("window_final_block_hash".into(), json!(end.hash.to_string()));
                out.insert("window_final_block_height".into(), json!(end.height));
                out.insert("window_block_count".into(), json!(window));
                if window > 0 {
                    let start = c.ancestor_info(&end.hash, end.height - window).ok_or_else(block_not_found)?;
                    let interval = i64::from(end.header.time) - i64::from(start.header.time);
                    let tx_count = end.chain_tx - start.chain_tx;
                    out.insert("window_interval".into(), json!(interval));
                    out.insert("window_tx_count".into(), json!(tx_count));
                    if interval > 0 {
                        out.insert("txrate".into(), float_json(tx_count as f64 / interval as f64));
                    }
                }
                Ok(Value::Object(out))
            }),
        )
        .arg(Arg::optional("nblocks", ArgType::Num, "Size of the window in number of blocks").default("one month"))
        .arg(
            Arg::optional("blockhash", ArgType::StrHex, "The hash of the block that ends the window.")
                .default("chain tip"),
        )
        .example(format!("{cli} getchaintxstats")),
    );
    let c = chain;
    table.register(
        Command::new(
            "getindexinfo",
            "util",
            "Returns the status of one or all available indices currently running in the node.",
            sync_handler(move |call| {
                let mut out = Map::new();
                let wanted = call.param(0).and_then(Value::as_str);
                if c.txindex_enabled() && wanted.is_none_or(|w| w == "txindex") {
                    out.insert("txindex".into(), json!({"synced": true, "best_block_height": c.tip().height}));
                }
                Ok(Value::Object(out))
            }),
        )
        .arg(Arg::optional("index_name", ArgType::Str, "Filter results for an index with a specific name."))
        .example(format!("{cli} getindexinfo")),
    );
}

/// `pruneblockchain`: the reference's rules and messages.
fn prune_blockchain(c: &Chainstate, call: &Call) -> Result<Value, RpcError> {
    if !c.prune_mode().is_on() {
        return Err(RpcError::misc("Cannot prune blocks because node is not in prune mode."));
    }
    let mut height = get_i32(call.param(0).unwrap_or(&Value::Null))?;
    if height < 0 {
        return Err(RpcError::invalid_parameter("Negative block height."));
    }
    // Above a billion it is a block time (September 2001 on), with two hours'
    // leeway for blocks stamped early.
    if height > 1_000_000_000 {
        height = c
            .first_height_at_time(i64::from(height) - 2 * 60 * 60)
            .ok_or_else(|| RpcError::invalid_parameter("Could not find block with at least the specified timestamp."))?
            as i32;
    }
    let height = height as u32;
    let tip = c.tip().height;
    if tip < c.params().prune_after_height {
        return Err(RpcError::misc("Blockchain is too short for pruning."));
    }
    if height > tip {
        return Err(RpcError::invalid_parameter("Blockchain is shorter than the attempted prune height."));
    }
    // The chain state keeps them whatever it is asked.
    if height > tip.saturating_sub(MIN_BLOCKS_TO_KEEP) {
        tracing::debug!(target: "rpc", "Attempt to prune blocks close to the tip.  Retaining the minimum number of blocks.");
    }
    let pruned = c.prune_up_to(height).map_err(chain_error)?;
    Ok(json!(pruned.map_or(-1, i64::from)))
}

/// Refuses a block whose data (or undo data, with `undo`) is not on disk, in
/// the reference's words for a pruned block and one never downloaded.
pub fn check_block_data(info: &BlockInfo, undo: bool) -> Result<(), RpcError> {
    let held = if undo { info.status.contains(hashvive_chain::index::Status::HAVE_UNDO) } else { info.have_data };
    match (held, info.pruned(), undo) {
        (true, _, _) => Ok(()),
        (false, true, true) => Err(RpcError::misc("Undo data not available (pruned data)")),
        (false, true, false) => Err(RpcError::misc("Block not available (pruned data)")),
        (false, false, true) => Err(RpcError::misc("Undo data not available")),
        (false, false, false) => Err(RpcError::misc("Block not available (not fully downloaded)")),
    }
}

/// `getblockstats`: per-block statistics from the block and its undo data.
fn block_stats(c: &Chainstate, call: &Call) -> Result<Value, RpcError> {
    let target = call.param(0).cloned().unwrap_or(Value::Null);
    let info = match &target {
        Value::Number(n) => {
            let height = n.as_i64().unwrap_or(-1);
            let tip = c.tip().height;
            if height < 0 {
                return Err(RpcError::invalid_parameter(format!("Target block height {height} is negative")));
            }
            if height > i64::from(tip) {
                return Err(RpcError::invalid_parameter(format!(
                    "Target block height {height} after current tip {tip}"
                )));
            }
            let hash = c.block_hash_at(height as u32).ok_or_else(block_not_found)?;
            c.block_info(&hash).ok_or_else(block_not_found)?
        }
        other => {
            let hash: BlockHash = parse_hash(other, "hash_or_height")?;
            c.block_info(&hash).ok_or_else(block_not_found)?
        }
    };
    check_block_data(&info, false)?;
    if info.height > 0 {
        check_block_data(&info, true)?;
    }
    let block =
        c.read_block(&info.hash).map_err(chain_error)?.ok_or_else(|| RpcError::misc("Block not found on disk"))?;
    let undo = c.read_undo(&info.hash).map_err(chain_error)?;
    if undo.is_none() && info.height > 0 {
        return Err(RpcError::misc("Undo data not available"));
    }
    let undo = undo.unwrap_or_default();
    let (mut fees, mut feerates, mut sizes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut ins, mut outs, mut total_out, mut total_size, mut total_weight) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut swtxs, mut swtotal_size, mut swtotal_weight) = (0u64, 0u64, 0u64);
    let (mut utxo_increase, mut utxo_size_inc, mut utxo_increase_actual, mut utxo_size_inc_actual) =
        (0i64, 0i64, 0i64, 0i64);
    // The reference's per-output size estimate for the UTXO set.
    let out_size = |o: &bitcoin::TxOut| (o.script_pubkey.len() + 8 + 1 + 32 + 4 + 4) as i64 + 1;
    for (i, tx) in block.txdata.iter().enumerate() {
        outs += tx.output.len() as u64;
        for o in &tx.output {
            utxo_increase += 1;
            utxo_size_inc += out_size(o);
            if !o.script_pubkey.is_op_return() {
                utxo_increase_actual += 1;
                utxo_size_inc_actual += out_size(o);
            }
        }
        if i == 0 {
            continue;
        }
        let out_value: u64 = tx.output.iter().map(|o| o.value.to_sat()).sum();
        total_out += out_value;
        let size = tx.total_size() as u64;
        let weight = tx.weight().to_wu();
        total_size += size;
        total_weight += weight;
        sizes.push(size);
        if tx.input.iter().any(|input| !input.witness.is_empty()) {
            swtxs += 1;
            swtotal_size += size;
            swtotal_weight += weight;
        }
        ins += tx.input.len() as u64;
        let spent =
            undo.txs.get(i - 1).map(|coins| coins.iter().map(|c| c.txout.value.to_sat()).sum::<u64>()).unwrap_or(0);
        for coin in undo.txs.get(i - 1).into_iter().flatten() {
            utxo_increase -= 1;
            utxo_size_inc -= out_size(&coin.txout);
            utxo_increase_actual -= 1;
            utxo_size_inc_actual -= out_size(&coin.txout);
        }
        let fee = spent.saturating_sub(out_value);
        let vsize = weight.div_ceil(4);
        fees.push(fee);
        feerates.push((fee * 1000 / vsize.max(1), weight));
    }
    let txs = block.txdata.len() as u64;
    let median = |v: &mut Vec<u64>| -> u64 {
        v.sort_unstable();
        match v.len() {
            0 => 0,
            n if n % 2 == 0 => (v[n / 2 - 1] + v[n / 2]) / 2,
            n => v[n / 2],
        }
    };
    // Weight-weighted fee rate percentiles 10/25/50/75/90, in sat/vB.
    feerates.sort_unstable();
    let mut percentiles = [0u64; 5];
    let total: u64 = feerates.iter().map(|(_, w)| w).sum();
    let marks = [total / 10, total / 4, total / 2, total * 3 / 4, total * 9 / 10];
    let mut cumulative = 0;
    let mut next = 0;
    for (rate, weight) in &feerates {
        cumulative += weight;
        while next < 5 && cumulative >= marks[next] {
            percentiles[next] = rate / 1000;
            next += 1;
        }
    }
    for p in percentiles.iter_mut().skip(next) {
        *p = feerates.last().map_or(0, |(r, _)| r / 1000);
    }
    let totalfee: u64 = fees.iter().sum();
    let non_coinbase = txs.saturating_sub(1);
    let subsidy = hashvive_consensus::block::block_subsidy(info.height, c.params()).to_sat();
    let stats = json!({
        "avgfee": totalfee.checked_div(non_coinbase).unwrap_or(0),
        "avgfeerate": (totalfee * 4).checked_div(total_weight).unwrap_or(0),
        "avgtxsize": total_size.checked_div(non_coinbase).unwrap_or(0),
        "blockhash": info.hash.to_string(),
        "feerate_percentiles": percentiles,
        "height": info.height,
        "ins": ins,
        "maxfee": fees.iter().max().copied().unwrap_or(0),
        "maxfeerate": feerates.iter().map(|(r, _)| r / 1000).max().unwrap_or(0),
        "maxtxsize": sizes.iter().max().copied().unwrap_or(0),
        "medianfee": median(&mut fees.clone()),
        "mediantime": info.median_time_past,
        "mediantxsize": median(&mut sizes.clone()),
        "minfee": fees.iter().min().copied().unwrap_or(0),
        "minfeerate": feerates.iter().map(|(r, _)| r / 1000).min().unwrap_or(0),
        "mintxsize": sizes.iter().min().copied().unwrap_or(0),
        "outs": outs,
        "subsidy": subsidy,
        "swtotal_size": swtotal_size,
        "swtotal_weight": swtotal_weight,
        "swtxs": swtxs,
        "time": info.header.time,
        "total_out": total_out,
        "total_size": total_size,
        "total_weight": total_weight,
        "totalfee": totalfee,
        "txs": txs,
        "utxo_increase": utxo_increase,
        "utxo_increase_actual": utxo_increase_actual,
        "utxo_size_inc": utxo_size_inc,
        "utxo_size_inc_actual": utxo_size_inc_actual,
    });
    let Some(wanted) = call.param(1).and_then(Value::as_array) else { return Ok(stats) };
    let mut selected = Map::new();
    for name in wanted {
        let name = name.as_str().unwrap_or_default();
        let value = stats
            .get(name)
            .ok_or_else(|| RpcError::invalid_parameter(format!("Invalid selected statistic '{name}'")))?;
        selected.insert(name.to_string(), value.clone());
    }
    Ok(Value::Object(selected))
}

pub fn register_block_stats(table: &RpcTable, chain: Arc<Chainstate>, cli: &'static str) {
    table.register(
        Command::new(
            "getblockstats",
            "blockchain",
            "Compute per block statistics for a given window. All amounts are in satoshis.\n\
             It won't work for some heights with pruning.",
            blocking({
                let chain = chain.clone();
                move |call| block_stats(&chain, call)
            }),
        )
        .arg(Arg::required("hash_or_height", ArgType::Any, "The block hash or height of the target block").placeholder("hash_or_height"))
        .arg(Arg::optional("stats", ArgType::Arr, "Values to plot (see result below)").default("all values"))
        .example(format!("{cli} getblockstats '\"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\"' '[\"minfeerate\",\"avgfeerate\"]'")),
    );
    table.register(
        Command::new(
            "estimatesmartfee",
            "util",
            "Estimates the approximate fee per kilobyte needed for a transaction to begin\n\
             confirmation within conf_target blocks if possible and return the number of blocks\n\
             for which the estimate is valid. Uses virtual transaction size as defined\n\
             in BIP 141 (witness data is discounted).",
            sync_handler(move |call| {
                let target = call.param(0).and_then(Value::as_i64).unwrap_or(0);
                if !(1..=i64::from(hashvive_chain::MAX_FEE_ESTIMATE_TARGET)).contains(&target) {
                    return Err(RpcError::invalid_parameter("Invalid conf_target, must be between 1 and 1008"));
                }
                let mode = call.param(1).and_then(Value::as_str).unwrap_or("economical").to_ascii_lowercase();
                if !["unset", "economical", "conservative"].contains(&mode.as_str()) {
                    return Err(RpcError::invalid_parameter(
                        "Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"",
                    ));
                }
                Ok(match chain.estimate_fee(target as u32, mode == "conservative") {
                    Some(rate) => json!({"feerate": super::mempool::btc_per_kvb(rate), "blocks": target}),
                    None => json!({"errors": ["Insufficient data or no feerate found"], "blocks": 0}),
                })
            }),
        )
        .arg(Arg::required("conf_target", ArgType::Num, "Confirmation target in blocks (1 - 1008)"))
        .arg(Arg::optional("estimate_mode", ArgType::Str, "The fee estimate mode.").default("\"economical\""))
        .example(format!("{cli} estimatesmartfee 6")),
    );
}

/// `scantxoutset`: the unspent outputs paying to any of the given
/// descriptors, found by one pass over the UTXO set. Only one scan runs at a
/// time; `abort` stops it between coins.
pub fn register_scantxoutset(table: &RpcTable, chain: Arc<Chainstate>, network: bitcoin::Network, cli: &'static str) {
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

    use super::script::infer_descriptor;
    use super::util::{descriptor_scripts, parse_range, DescriptorUse};

    struct Scan {
        running: AtomicBool,
        abort: AtomicBool,
        /// Progress in percent, for `status`.
        progress: AtomicU64,
    }
    let scan =
        Arc::new(Scan { running: AtomicBool::new(false), abort: AtomicBool::new(false), progress: AtomicU64::new(0) });
    table.register(
        Command::new(
            "scantxoutset",
            "blockchain",
            "Scans the unspent transaction output set for entries that match certain output descriptors.",
            blocking(move |call| {
                let action = call.param(0).and_then(Value::as_str).unwrap_or("");
                match action {
                    "status" => {
                        return Ok(if scan.running.load(Ordering::SeqCst) {
                            json!({"progress": scan.progress.load(Ordering::SeqCst)})
                        } else {
                            Value::Null
                        })
                    }
                    "abort" => {
                        let running = scan.running.load(Ordering::SeqCst);
                        scan.abort.store(running, Ordering::SeqCst);
                        return Ok(json!(running));
                    }
                    "start" => {}
                    _ => return Err(RpcError::invalid_parameter(format!("Invalid action '{action}'"))),
                }
                let objects = call
                    .param(1)
                    .and_then(Value::as_array)
                    .ok_or_else(|| RpcError::invalid_parameter("scanobjects argument is required for the start action"))?;
                let mut wanted: HashMap<bitcoin::ScriptBuf, ()> = HashMap::new();
                for object in objects {
                    let (text, range) = match object {
                        Value::String(s) => (s.as_str(), (0, 999)),
                        Value::Object(o) => {
                            let text = o
                                .get("desc")
                                .and_then(Value::as_str)
                                .ok_or_else(|| RpcError::invalid_parameter("Descriptor not found"))?;
                            let range = o.get("range").map(parse_range).transpose()?.unwrap_or((0, 999));
                            (text, range)
                        }
                        _ => return Err(RpcError::invalid_parameter("Scan object needs to be either a string or an object")),
                    };
                    for script in descriptor_scripts(text, network, DescriptorUse::Range(range.0, range.1))? {
                        wanted.insert(script, ());
                    }
                }
                if scan.running.swap(true, Ordering::SeqCst) {
                    return Err(RpcError::invalid_parameter("Scan already in progress, use action \"abort\" or \"status\""));
                }
                scan.abort.store(false, Ordering::SeqCst);
                scan.progress.store(0, Ordering::SeqCst);
                let mut found = Vec::new();
                let mut aborted = false;
                let walked = chain.for_each_utxo(|outpoint, coin| {
                    if scan.abort.load(Ordering::SeqCst) {
                        aborted = true;
                        return;
                    }
                    scan.progress.store(u64::from(outpoint.txid.as_byte_array()[0]) * 100 / 256, Ordering::SeqCst);
                    if wanted.contains_key(&coin.txout.script_pubkey) {
                        found.push((outpoint, coin));
                    }
                });
                scan.running.store(false, Ordering::SeqCst);
                let tip = walked.map_err(chain_error)?;
                if aborted {
                    return Ok(json!({"success": false}));
                }
                let mut total = 0u64;
                let unspents: Vec<Value> = found
                    .iter()
                    .map(|(outpoint, coin)| {
                        total += coin.txout.value.to_sat();
                        let spk = coin.txout.script_pubkey.as_bytes();
                        json!({
                            "txid": outpoint.txid.to_string(),
                            "vout": outpoint.vout,
                            "scriptPubKey": encode_hex(spk),
                            "desc": infer_descriptor(spk, network, &[]),
                            "amount": amount_to_json(coin.txout.value),
                            "coinbase": coin.is_coinbase,
                            "height": coin.height,
                            "blockhash": chain.block_hash_at(coin.height).map(|h| h.to_string()),
                            "confirmations": tip.height - coin.height + 1,
                        })
                    })
                    .collect();
                Ok(json!({
                    "success": true,
                    "txouts": found.len(),
                    "height": tip.height,
                    "bestblock": tip.hash.to_string(),
                    "unspents": unspents,
                    "total_amount": amount_to_json(bitcoin::Amount::from_sat(total)),
                }))
            }),
        )
        .arg(Arg::required("action", ArgType::Str, "The action to execute\n\"start\" for starting a scan\n\"abort\" for aborting the current scan (returns true when abort was successful)\n\"status\" for progress report (in %) of the current scan"))
        .arg(Arg::optional("scanobjects", ArgType::Arr, "Array of scan objects. Required for \"start\" action\nEvery scan object is either a string descriptor or an object:"))
        .example(format!("{cli} scantxoutset start '[\"addr(bcrt1q...)\"]'")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_the_reference() {
        let text = |f: f64| float_json(f).to_string();
        assert_eq!(text(difficulty(CompactTarget::from_consensus(0x207fffff))), "4.656542373906925e-10");
        assert_eq!(text(difficulty(CompactTarget::from_consensus(0x1d00ffff))), "1");
        assert_eq!(text(0.5), "0.5");
        assert_eq!(text(123456.789), "123456.789");
        assert_eq!(text(1e20), "1e+20");
        assert_eq!(text(0.1 + 0.2), "0.3");
    }
}
