//! `blockchain` methods over the chain state.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bitcoin::consensus::encode::serialize_hex;
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, CompactTarget, Target};
use serde_json::{json, Map, Value};

use hashvive_chain::{BlockInfo, Chainstate};
use hashvive_common::chain::Chain;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::{sync_handler, Call};
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::format::amount_to_json;
use super::params::{encode_hex, parse_hash_v};
use super::{blocking, chain_error};
use crate::chain::is_initial_block_download;

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
    m.insert("difficulty".into(), json!(difficulty(h.bits)));
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
                Ok(json!({
                    "chain": network.name(),
                    "blocks": tip.height,
                    "headers": headers,
                    "bestblockhash": tip.hash.to_string(),
                    "bits": format!("{:08x}", info.header.bits.to_consensus()),
                    "target": target_hex(info.header.bits),
                    "difficulty": difficulty(info.header.bits),
                    "time": tip.time,
                    "mediantime": tip.median_time_past,
                    "verificationprogress": 1.0,
                    "initialblockdownload": is_initial_block_download(&tip),
                    "chainwork": encode_hex(&info.chain_work.to_be_bytes()),
                    "size_on_disk": size_on_disk(&dir),
                    "pruned": false,
                    "warnings": [],
                }))
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
                Ok(json!(difficulty(info.header.bits)))
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

    table.register(
        Command::new(
            "pruneblockchain",
            "blockchain",
            "Attempts to delete block and undo data up to a specified height or timestamp, if eligible for pruning.",
            sync_handler(|_| Err(RpcError::misc("Cannot prune blocks because node is not in prune mode."))),
        )
        .arg(Arg::required("height", ArgType::Num, "The block height to prune up to."))
        .example(format!("{cli} pruneblockchain 1000")),
    );

    register_waits(table, &chain, cli);
    table.register(Command::new(
        "syncwithvalidationinterfacequeue",
        "hidden",
        "Waits for the validation interface queue to catch up on everything that was there when we started.",
        // Chain notifications are delivered synchronously, so there is never a queue to wait for.
        sync_handler(|_| Ok(Value::Null)),
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
        .arg(
            Arg::optional(
                "timeout",
                ArgType::Num,
                "Time in milliseconds to wait for a response. 0 indicates no timeout.",
            )
            .default("0"),
        )
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
        .arg(
            Arg::optional(
                "timeout",
                ArgType::Num,
                "Time in milliseconds to wait for a response. 0 indicates no timeout.",
            )
            .default("0"),
        ),
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
        .arg(
            Arg::optional(
                "timeout",
                ArgType::Num,
                "Time in milliseconds to wait for a response. 0 indicates no timeout.",
            )
            .default("0"),
        ),
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
                        out.insert("txrate".into(), json!(tx_count as f64 / interval as f64));
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
