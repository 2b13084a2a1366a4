//! `mining` methods, and the `generating` ones test chains use.

use std::str::FromStr;
use std::sync::Arc;

use bitcoin::block::Header;
use bitcoin::consensus::encode::deserialize;
use bitcoin::{Address, Block, ScriptBuf, Transaction, Txid, Work};
use serde_json::{json, Value};

use hashvive_chain::{BlockOutcome, Chainstate, MineError};
use hashvive_common::chain::Chain;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::sync_handler;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::blockchain::{difficulty, float_json, parse_hash, target_hex};
use super::params::decode_hex;
use super::util::{descriptor_scripts, DescriptorUse};
use super::{blocking, chain_error};
use crate::chain::network;

const DEFAULT_MAX_TRIES: u64 = 1_000_000;

fn parse_address(chain: Chain, s: &str) -> Result<ScriptBuf, RpcError> {
    Address::from_str(s)
        .ok()
        .and_then(|a| a.require_network(network(chain)).ok())
        .map(|a| a.script_pubkey())
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address"))
}

/// `generateblock`'s output: an address, or else a descriptor.
fn parse_output(chain: Chain, s: &str) -> Result<ScriptBuf, RpcError> {
    parse_address(chain, s).or_else(|_| {
        descriptor_scripts(s, network(chain), DescriptorUse::Single)
            .ok()
            .and_then(|scripts| scripts.into_iter().next())
            .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Error: Invalid address or descriptor"))
    })
}

fn mine_error(e: MineError) -> RpcError {
    match e {
        MineError::Chain(e) => chain_error(e),
        MineError::Rejected(r) => {
            RpcError::new(codes::RPC_INTERNAL_ERROR, format!("ProcessNewBlock, block not accepted: {r}"))
        }
    }
}

fn hex_bytes(v: Option<&Value>) -> Option<Vec<u8>> {
    decode_hex(v?.as_str()?)
}

fn work_as_f64(work: Work) -> f64 {
    work.to_be_bytes().iter().fold(0.0, |acc, b| acc * 256.0 + f64::from(*b))
}

/// The reference's `GetNetworkHashPS`: work done over the last `lookup`
/// blocks (since the last difficulty change when `lookup <= 0`) per second.
fn network_hash_ps(chain: &Chainstate, lookup: i64, height: i64) -> f64 {
    let tip = chain.tip();
    let height = if height >= 0 && height < i64::from(tip.height) { height as u32 } else { tip.height };
    let Some(end) = chain.ancestor_info(&tip.hash, height) else { return 0.0 };
    if end.height == 0 {
        return 0.0;
    }
    let interval = i64::from(chain.params().difficulty_adjustment_interval());
    let mut lookup = if lookup <= 0 { i64::from(end.height) % interval + 1 } else { lookup };
    lookup = lookup.min(i64::from(end.height));
    let (mut min_time, mut max_time) = (end.header.time, end.header.time);
    for h in (end.height - lookup as u32..end.height).rev() {
        if let Some(b) = chain.ancestor_info(&end.hash, h) {
            min_time = min_time.min(b.header.time);
            max_time = max_time.max(b.header.time);
        }
    }
    let Some(start) = chain.ancestor_info(&end.hash, end.height - lookup as u32) else { return 0.0 };
    if min_time == max_time {
        return 0.0;
    }
    (work_as_f64(end.chain_work) - work_as_f64(start.chain_work)) / f64::from(max_time - min_time)
}

pub fn register(table: &RpcTable, chain: Arc<Chainstate>, net: Chain, cli: &'static str) {
    let c = chain.clone();
    table.register(
        Command::new(
            "generatetoaddress",
            "generating",
            "Mine to a specified address and return the block hashes.",
            blocking(move |call| {
                let n = call.param(0).and_then(Value::as_i64).unwrap_or(0);
                let script = parse_address(net, call.param(1).and_then(Value::as_str).unwrap_or(""))?;
                let mut tries = call.param(2).and_then(Value::as_i64).map_or(DEFAULT_MAX_TRIES, |t| t.max(0) as u64);
                let hashes = c.generate_blocks(&script, n.max(0) as u32, &mut tries).map_err(mine_error)?;
                Ok(Value::Array(hashes.iter().map(|h| json!(h.to_string())).collect()))
            }),
        )
        .arg(Arg::required("nblocks", ArgType::Num, "How many blocks are generated."))
        .arg(Arg::required("address", ArgType::Str, "The address to send the newly generated bitcoin to."))
        .arg(Arg::optional("maxtries", ArgType::Num, "How many iterations to try.").default("1000000"))
        .result("[\n  \"hex\",    (string) blockhash\n  ...\n]")
        .example(format!("{cli} generatetoaddress 11 \"myaddress\"")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "generatetodescriptor",
            "generating",
            "Mine to a specified descriptor and return the block hashes.",
            blocking(move |call| {
                let n = call.param(0).and_then(Value::as_i64).unwrap_or(0);
                let text = call.param(1).and_then(Value::as_str).unwrap_or("");
                let script = descriptor_scripts(text, network(net), DescriptorUse::Single)?
                    .into_iter()
                    .next()
                    .ok_or_else(|| {
                        RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Cannot derive script without private keys")
                    })?;
                let mut tries = call.param(2).and_then(Value::as_i64).map_or(DEFAULT_MAX_TRIES, |t| t.max(0) as u64);
                let hashes = c.generate_blocks(&script, n.max(0) as u32, &mut tries).map_err(mine_error)?;
                Ok(Value::Array(hashes.iter().map(|h| json!(h.to_string())).collect()))
            }),
        )
        .arg(Arg::required("num_blocks", ArgType::Num, "How many blocks are generated."))
        .arg(Arg::required("descriptor", ArgType::Str, "The descriptor to send the newly generated bitcoin to."))
        .arg(Arg::optional("maxtries", ArgType::Num, "How many iterations to try.").default("1000000"))
        .result("[\n  \"hex\",    (string) blockhash\n  ...\n]")
        .example(format!("{cli} generatetodescriptor 11 \"mydesc\"")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "generateblock",
            "generating",
            "Mine a set of ordered transactions to a specified address or descriptor and return the block hash.",
            blocking(move |call| {
                let script = parse_output(net, call.param(0).and_then(Value::as_str).unwrap_or(""))?;
                let mut txs = Vec::new();
                for item in call.param(1).and_then(Value::as_array).cloned().unwrap_or_default() {
                    let text = item.as_str().unwrap_or_default().to_string();
                    if let Ok(txid) = parse_hash::<Txid>(&item, "txid") {
                        let tx = c.with_mempool(|m| m.get(&txid).map(|e| (*e.tx).clone()));
                        txs.push(tx.ok_or_else(|| {
                            RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, format!("Transaction {txid} not in mempool."))
                        })?);
                    } else {
                        let tx: Option<Transaction> = hex_bytes(Some(&item)).and_then(|b| deserialize(&b).ok());
                        txs.push(tx.ok_or_else(|| {
                            RpcError::new(codes::RPC_DESERIALIZATION_ERROR, format!("Transaction decode failed for {text}"))
                        })?);
                    }
                }
                let submit = call.param(2).and_then(Value::as_bool).unwrap_or(true);
                let template = c.create_block_template(script, Some(txs));
                let mut block = template.block;
                let mut tries = DEFAULT_MAX_TRIES;
                if !submit {
                    c.check_block_template(&block, false, true).map_err(|r| {
                        RpcError::new(codes::RPC_VERIFY_ERROR, format!("TestBlockValidity failed: {}", r.reason))
                    })?;
                    c.solve(&mut block, &mut tries);
                    return Ok(json!({"hash": block.block_hash().to_string(), "hex": bitcoin::consensus::encode::serialize_hex(&block)}));
                }
                match c.mine_block(block, &mut tries) {
                    Ok(Some(hash)) => Ok(json!({"hash": hash.to_string()})),
                    Ok(None) => Err(RpcError::misc("Failed to make block.")),
                    Err(MineError::Rejected(r)) => {
                        Err(RpcError::new(codes::RPC_VERIFY_ERROR, format!("TestBlockValidity failed: {}", r.reason)))
                    }
                    Err(e) => Err(mine_error(e)),
                }
            }),
        )
        .arg(Arg::required("output", ArgType::Str, "The address or descriptor to send the newly generated bitcoin to."))
        .arg(Arg::required("transactions", ArgType::Arr, "An array of hex strings which are either txids or raw transactions.\nTxids must reference transactions currently in the mempool.\nAll transactions must be valid and in valid order, otherwise the block will be rejected."))
        .arg(Arg::optional("submit", ArgType::Bool, "Whether to submit the block before the RPC call returns or to return it as hex.").default("true"))
        .example(format!("{cli} generateblock \"myaddress\" '[\"rawtx\", \"mempool_txid\"]'")),
    );
    table.register(Command::new(
        "generate",
        "hidden",
        "has been replaced by the -generate cli option. Refer to -help for more information.",
        sync_handler(|_| {
            Err(RpcError::new(
                codes::RPC_METHOD_NOT_FOUND,
                "generate\n\nhas been replaced by the -generate cli option. Refer to -help for more information.\n",
            ))
        }),
    ));
    let c = chain.clone();
    table.register(
        Command::new(
            "submitblock",
            "mining",
            "Attempts to submit new block to network.\nSee https://en.bitcoin.it/wiki/BIP_0022 for full specification.",
            blocking(move |call| {
                let block: Block = hex_bytes(call.param(0))
                    .and_then(|b| deserialize(&b).ok())
                    .ok_or_else(|| RpcError::new(codes::RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
                if block.txdata.first().is_none_or(|tx| !tx.is_coinbase()) {
                    return Err(RpcError::new(
                        codes::RPC_DESERIALIZATION_ERROR,
                        "Block does not start with a coinbase",
                    ));
                }
                let outcome = c.process_new_block(Arc::new(block)).map_err(chain_error)?;
                Ok(match outcome {
                    BlockOutcome { checked: Some(Ok(())), .. } => Value::Null,
                    BlockOutcome { checked: Some(Err(r)), .. } => json!(r.reason),
                    BlockOutcome { new_block: false, checked: None } => json!("duplicate"),
                    BlockOutcome { new_block: true, checked: None } => json!("inconclusive"),
                })
            }),
        )
        .arg(Arg::required("hexdata", ArgType::StrHex, "the hex-encoded block data to submit"))
        .arg(
            Arg::optional("dummy", ArgType::Str, "dummy value, for compatibility with BIP22. This value is ignored.")
                .default("ignored"),
        )
        .example(format!("{cli} submitblock \"mydata\"")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "submitheader",
            "mining",
            "Decode the given hexdata as a header and submit it as a candidate chain tip if valid.\nThrows when the header is invalid.",
            blocking(move |call| {
                let header: Header = hex_bytes(call.param(0))
                    .and_then(|b| deserialize(&b).ok())
                    .ok_or_else(|| RpcError::new(codes::RPC_DESERIALIZATION_ERROR, "Block header decode failed"))?;
                if c.block_info(&header.prev_blockhash).is_none() {
                    return Err(RpcError::new(
                        codes::RPC_VERIFY_ERROR,
                        format!("Must submit previous header ({}) first", header.prev_blockhash),
                    ));
                }
                match c.process_new_header(&header).map_err(chain_error)? {
                    Ok(()) => Ok(Value::Null),
                    Err(r) => Err(RpcError::new(codes::RPC_VERIFY_ERROR, r.reason)),
                }
            }),
        )
        .arg(Arg::required("hexdata", ArgType::StrHex, "the hex-encoded block header data"))
        .example(format!("{cli} submitheader \"aabbcc\"")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getnetworkhashps",
            "mining",
            "Returns the estimated network hashes per second based on the last n blocks.\n\
             Pass in [blocks] to override # of blocks, -1 specifies since last difficulty change.\n\
             Pass in [height] to estimate the network speed at the time when a certain block was found.",
            blocking(move |call| {
                let lookup = call.param(0).and_then(Value::as_i64).unwrap_or(120);
                let height = call.param(1).and_then(Value::as_i64).unwrap_or(-1);
                if height < -1 || height > i64::from(c.tip().height) {
                    return Err(RpcError::invalid_parameter("Block does not exist at specified height"));
                }
                Ok(float_json(network_hash_ps(&c, lookup, height)))
            }),
        )
        .arg(Arg::optional("nblocks", ArgType::Num, "The number of previous blocks to calculate estimate from, or -1 for blocks since last difficulty change.").default("120"))
        .arg(Arg::optional("height", ArgType::Num, "To estimate at the time of the given height.").default("-1"))
        .example(format!("{cli} getnetworkhashps")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getmininginfo",
            "mining",
            "Returns a json object containing mining-related information.",
            blocking(move |_| {
                let tip = c.tip();
                let info = c.block_info(&tip.hash).ok_or_else(super::blockchain::block_not_found)?;
                let next_bits = c.next_block_bits();
                Ok(json!({
                    "blocks": tip.height,
                    "bits": format!("{:08x}", info.header.bits.to_consensus()),
                    "difficulty": float_json(difficulty(info.header.bits)),
                    "target": target_hex(info.header.bits),
                    "networkhashps": float_json(network_hash_ps(&c, 120, -1)),
                    "pooledtx": c.with_mempool(|m| m.len()),
                    "chain": net.name(),
                    "next": {
                        "height": tip.height + 1,
                        "bits": format!("{:08x}", next_bits.to_consensus()),
                        "difficulty": float_json(difficulty(next_bits)),
                        "target": target_hex(next_bits),
                    },
                    "warnings": [],
                }))
            }),
        )
        .example(format!("{cli} getmininginfo")),
    );
    register_getblocktemplate(table, chain.clone(), net, cli);
    let c = chain;
    table.register(
        Command::new(
            "prioritisetransaction",
            "mining",
            "Accepts the transaction into mined blocks at a higher (or lower) priority",
            sync_handler(move |call| {
                let txid: Txid = parse_hash(call.param(0).unwrap_or(&Value::Null), "txid")?;
                if call.param(1).and_then(Value::as_f64).is_some_and(|d| d != 0.0) {
                    return Err(RpcError::invalid_parameter(
                        "Priority is no longer supported, dummy argument to prioritisetransaction must be 0.",
                    ));
                }
                let delta = call.param(2).and_then(Value::as_i64).unwrap_or(0);
                c.prioritise_transaction(txid, delta);
                Ok(json!(true))
            }),
        )
        .arg(Arg::required("txid", ArgType::Str, "The transaction id."))
        .arg(Arg::optional("dummy", ArgType::Num, "API-Compatibility for previous API. Must be zero or null.\nDEPRECATED. For forward compatibility use named arguments and omit this parameter."))
        .arg(Arg::required("fee_delta", ArgType::Num, "The fee value (in satoshis) to add (or subtract, if negative).\nNote, that this value is not a fee rate. It is a value to modify absolute fee of the TX.\nThe fee is not actually paid, only the algorithm for selecting transactions into a block\nconsiders the transaction as it would have paid a higher (or lower) fee."))
        .example(format!("{cli} prioritisetransaction \"txid\" 0.0 10000")),
    );
}

/// BIP22 results for a block proposal that is already known.
fn known_block_result(chain: &Chainstate, hash: &bitcoin::BlockHash) -> Option<Value> {
    let info = chain.block_info(hash)?;
    Some(if info.status.is_failed() {
        json!("duplicate-invalid")
    } else if info.status.contains(hashvive_chain::index::Status::VALID_SCRIPTS) {
        json!("duplicate")
    } else {
        json!("duplicate-inconclusive")
    })
}

fn register_getblocktemplate(table: &RpcTable, chain: Arc<Chainstate>, net: Chain, cli: &'static str) {
    let c = chain;
    table.register(
        Command::new(
            "getblocktemplate",
            "mining",
            "If the request parameters include a 'mode' key, that is used to explicitly select between the default 'template' request or a 'proposal'.\n\
             It returns data needed to construct a block to work on.\n\
             For full specification, see BIPs 22, 23, 9, and 145:\n\
                 https://github.com/bitcoin/bips/blob/master/bip-0022.mediawiki\n\
                 https://github.com/bitcoin/bips/blob/master/bip-0023.mediawiki\n\
                 https://github.com/bitcoin/bips/blob/master/bip-0009.mediawiki#getblocktemplate_changes\n\
                 https://github.com/bitcoin/bips/blob/master/bip-0145.mediawiki",
            Arc::new(move |call: hashvive_rpc::table::Call| {
                let c = c.clone();
                Box::pin(async move {
                    let request = call.param(0).cloned().unwrap_or(json!({}));
                    let request = request.as_object().cloned().unwrap_or_default();
                    let mode = request.get("mode").and_then(Value::as_str).unwrap_or("template");
                    if mode == "proposal" {
                        let c = c.clone();
                        return tokio::task::spawn_blocking(move || {
                            let block: Block = hex_bytes(request.get("data"))
                                .and_then(|b| deserialize(&b).ok())
                                .ok_or_else(|| RpcError::new(codes::RPC_DESERIALIZATION_ERROR, "Block decode failed"))?;
                            if let Some(known) = known_block_result(&c, &block.block_hash()) {
                                return Ok(known);
                            }
                            if block.header.prev_blockhash != c.tip().hash {
                                return Ok(json!("inconclusive-not-best-prevblk"));
                            }
                            Ok(match c.check_block_template(&block, false, true) {
                                Ok(()) => Value::Null,
                                Err(r) => json!(r.reason),
                            })
                        })
                        .await
                        .unwrap_or_else(|e| Err(RpcError::new(codes::RPC_INTERNAL_ERROR, e.to_string())));
                    }
                    if mode != "template" {
                        return Err(RpcError::invalid_parameter("Invalid mode"));
                    }
                    if !net.is_test_chain() {
                        // No peer-to-peer networking yet: a miner on a real network would mine alone.
                        return Err(RpcError::new(codes::RPC_CLIENT_NOT_CONNECTED, "Hashvive is not connected!"));
                    }
                    let rules: Vec<&str> =
                        request.get("rules").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
                    if !rules.contains(&"segwit") {
                        return Err(RpcError::invalid_parameter(
                            "getblocktemplate must be called with the segwit rule set (call with {\"rules\": [\"segwit\"]})",
                        ));
                    }
                    // Long polling: wait until the tip or the mempool changes from what the caller saw.
                    if let Some(id) = request.get("longpollid").and_then(Value::as_str) {
                        let (hash, seq) = id.split_at(id.len().min(64));
                        let seq: u64 = seq.parse().unwrap_or(0);
                        loop {
                            let tip = c.tip().hash.to_string();
                            if tip != hash || c.with_mempool(|m| m.change_sequence()) != seq {
                                break;
                            }
                            let current = c.tip().hash;
                            c.wait_tip_changed(current, std::time::Duration::from_secs(1)).await;
                        }
                    }
                    let c2 = c.clone();
                    tokio::task::spawn_blocking(move || template_json(&c2))
                        .await
                        .unwrap_or_else(|e| Err(RpcError::new(codes::RPC_INTERNAL_ERROR, e.to_string())))
                })
            }),
        )
        .arg(Arg::optional("template_request", ArgType::Obj, "Format of the template").default("{}"))
        .example(format!("{cli} getblocktemplate '{{\"rules\": [\"segwit\"]}}'")),
    );
}

fn template_json(c: &Chainstate) -> Result<Value, RpcError> {
    let sequence = c.with_mempool(|m| m.change_sequence());
    // The miner is the caller: the template pays to an empty script they replace.
    let template = c.create_block_template(ScriptBuf::new(), None);
    let block = &template.block;
    let txs = &block.txdata[1..];
    let position: std::collections::HashMap<Txid, usize> =
        txs.iter().enumerate().map(|(i, tx)| (tx.compute_txid(), i + 1)).collect();
    let transactions: Vec<Value> = txs
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let mut depends: Vec<usize> =
                tx.input.iter().filter_map(|input| position.get(&input.previous_output.txid).copied()).collect();
            depends.sort_unstable();
            depends.dedup();
            json!({
                "data": bitcoin::consensus::encode::serialize_hex(tx),
                "txid": tx.compute_txid().to_string(),
                "hash": tx.compute_wtxid().to_string(),
                "depends": depends,
                "fee": template.fees.get(i).map_or(0, |f| f.to_sat()),
                "sigops": template.sigops.get(i).copied().unwrap_or(0),
                "weight": tx.weight().to_wu(),
            })
        })
        .collect();
    let commitment = block.txdata[0]
        .output
        .iter()
        .rev()
        .find(|o| o.script_pubkey.as_bytes().starts_with(&[0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed]))
        .map(|o| bitcoin::consensus::encode::serialize_hex(&o.script_pubkey).split_off(2));
    let mut out = json!({
        "capabilities": ["proposal"],
        "version": block.header.version.to_consensus(),
        "rules": ["csv", "!segwit", "taproot"],
        "vbavailable": {},
        "vbrequired": 0,
        "previousblockhash": block.header.prev_blockhash.to_string(),
        "transactions": transactions,
        "coinbaseaux": {},
        "coinbasevalue": template.coinbase_value.to_sat(),
        "longpollid": format!("{}{sequence}", block.header.prev_blockhash),
        "target": target_hex(block.header.bits),
        "mintime": template.median_time_past + 1,
        "mutable": ["time", "transactions", "prevblock"],
        "noncerange": "00000000ffffffff",
        "sigoplimit": 80_000,
        "sizelimit": 4_000_000,
        "weightlimit": 4_000_000,
        "curtime": block.header.time,
        "bits": format!("{:08x}", block.header.bits.to_consensus()),
        "height": template.height,
    });
    if let (Some(commitment), Some(obj)) = (commitment, out.as_object_mut()) {
        obj.insert("default_witness_commitment".into(), json!(commitment));
    }
    Ok(out)
}
