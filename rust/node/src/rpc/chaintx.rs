//! Methods that find or submit transactions against the chain and mempool:
//! `getblock`, `gettxout`, `getrawtransaction`, `sendrawtransaction`,
//! `testmempoolaccept`.

use std::sync::Arc;

use bitcoin::{Amount, BlockHash, Network, OutPoint, Transaction, Txid};
use serde_json::{json, Map, Value};

use hashvive_chain::coins::Coin;
use hashvive_chain::{AcceptMode, Chainstate, MempoolReject, RejectKind};
use hashvive_consensus::tx::SpentOutput;
use hashvive_interfaces::BroadcastError;
use hashvive_policy::{is_unspendable, FeeRate};
use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::blockchain::{block_not_found, header_json, parse_hash};
use super::format::{amount_to_json, parse_amount, script_to_json, tx_to_json, ScriptJsonOptions, TxJsonOptions};
use super::mempool::btc_per_kvb;
use super::params::encode_hex;
use super::transaction::decode_hex_tx;
use super::{blocking, chain_error};

/// `maxfeerate` default: 0.10 BTC/kvB.
const DEFAULT_MAX_RAW_TX_FEE_RATE: FeeRate = FeeRate::from_sat_per_kvb(10_000_000);

/// The reference's `ParseFeeRate`: BTC/kvB below 1 BTC/kvB.
fn parse_fee_rate(v: Option<&Value>) -> Result<FeeRate, RpcError> {
    let Some(v) = v else { return Ok(DEFAULT_MAX_RAW_TX_FEE_RATE) };
    let rate = parse_amount(v)?;
    if rate >= Amount::ONE_BTC {
        return Err(RpcError::invalid_parameter("Fee rates larger than or equal to 1BTC/kvB are not accepted"));
    }
    Ok(FeeRate::from_sat_per_kvb(rate.to_sat()))
}

fn decode_tx(v: Option<&Value>) -> Option<Transaction> {
    decode_hex_tx(v?.as_str()?, true, true)
}

/// The outputs a mempool transaction spends, from the mempool or the chain.
fn mempool_prevouts(chain: &Chainstate, tx: &Transaction) -> Option<Vec<SpentOutput>> {
    tx.input
        .iter()
        .map(|input| {
            let prev = input.previous_output;
            let parent =
                chain.with_mempool(|m| m.get(&prev.txid).and_then(|e| e.tx.output.get(prev.vout as usize).cloned()));
            match parent {
                Some(txout) => Some(SpentOutput { height: hashvive_chain::MEMPOOL_HEIGHT, is_coinbase: false, txout }),
                None => chain.utxo(&prev).ok().flatten(),
            }
        })
        .collect()
}

pub fn register(table: &RpcTable, chain: Arc<Chainstate>, network: Network, cli: &'static str) {
    let c = chain.clone();
    table.register(
        Command::new(
            "getblock",
            "blockchain",
            "If verbosity is 0, returns a string that is serialized, hex-encoded data for block 'hash'.\n\
             If verbosity is 1, returns an Object with information about block <hash>.\n\
             If verbosity is 2, returns an Object with information about block <hash> and information about each transaction.\n\
             If verbosity is 3, returns an Object with information about block <hash> and information about each transaction, including prevout information for inputs (only for unpruned blocks in the current best chain).",
            blocking(move |call| getblock(&c, network, call)),
        )
        .arg(Arg::required("blockhash", ArgType::StrHex, "The block hash"))
        .arg(Arg::optional("verbosity|verbose", ArgType::Any, "0 for hex-encoded data, 1 for a JSON object, 2 for JSON object with transaction data, and 3 for JSON object with transaction data including prevout information for inputs").default("1").placeholder("verbosity"))
        .example(format!("{cli} getblock \"00000000c937983704a73af28acdec37b049d214adbda81d7e2a3dd146f6ed09\"")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "gettxout",
            "blockchain",
            "Returns details about an unspent transaction output.",
            blocking(move |call| {
                let txid: Txid = parse_hash(call.param(0).unwrap_or(&Value::Null), "txid")?;
                let vout = call.param(1).and_then(Value::as_u64).and_then(|v| u32::try_from(v).ok()).unwrap_or(u32::MAX);
                let include_mempool = call.param(2).and_then(Value::as_bool).unwrap_or(true);
                let outpoint = OutPoint { txid, vout };
                let tip = c.tip();
                let (coin, confirmations) = if include_mempool {
                    if c.with_mempool(|m| m.spender(&outpoint)).is_some() {
                        return Ok(Value::Null);
                    }
                    let pooled = c.with_mempool(|m| m.get(&txid).and_then(|e| e.tx.output.get(vout as usize).cloned()));
                    match pooled {
                        Some(txout) => (Coin { txout, height: tip.height + 1, is_coinbase: false }, 0),
                        None => match c.utxo(&outpoint).map_err(chain_error)? {
                            Some(coin) => {
                                let conf = tip.height - coin.height + 1;
                                (coin, conf)
                            }
                            None => return Ok(Value::Null),
                        },
                    }
                } else {
                    match c.utxo(&outpoint).map_err(chain_error)? {
                        Some(coin) => {
                            let conf = tip.height - coin.height + 1;
                            (coin, conf)
                        }
                        None => return Ok(Value::Null),
                    }
                };
                Ok(json!({
                    "bestblock": tip.hash.to_string(),
                    "confirmations": confirmations,
                    "value": amount_to_json(coin.txout.value),
                    "scriptPubKey": script_to_json(coin.txout.script_pubkey.as_bytes(), ScriptJsonOptions::output(network)),
                    "coinbase": coin.is_coinbase,
                }))
            }),
        )
        .arg(Arg::required("txid", ArgType::Str, "The transaction id"))
        .arg(Arg::required("n", ArgType::Num, "vout number"))
        .arg(Arg::optional("include_mempool", ArgType::Bool, "Whether to include the mempool. Note that an unspent output that is spent in the mempool won't appear.").default("true"))
        .example(format!("{cli} gettxout \"txid\" 1")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getrawtransaction",
            "rawtransactions",
            "By default, this call only returns a transaction if it is in the mempool. If -txindex is enabled\n\
             and no blockhash argument is passed, it will return the transaction if it is in a block in the blockchain.\n\n\
             Hint: Use gettransaction for wallet transactions.\n\n\
             If verbosity is 0 or omitted, returns the serialized transaction as a hex-encoded string.\n\
             If verbosity is 1, returns a JSON Object with information about the transaction.\n\
             If verbosity is 2, returns a JSON Object with information about the transaction, including fee and prevout information.",
            blocking(move |call| getrawtransaction(&c, network, call)),
        )
        .arg(Arg::required("txid", ArgType::StrHex, "The transaction id"))
        .arg(Arg::optional("verbosity|verbose", ArgType::Any, "0 for hex-encoded data, 1 for a JSON object, and 2 for JSON object with fee and prevout").default("0").placeholder("verbosity"))
        .arg(Arg::optional("blockhash", ArgType::StrHex, "The block in which to look for the transaction"))
        .example(format!("{cli} getrawtransaction \"mytxid\"")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "sendrawtransaction",
            "rawtransactions",
            "Submit a raw transaction (serialized, hex-encoded) to local node and network.\n\n\
             The transaction will be sent unconditionally to all peers, so using sendrawtransaction\n\
             for manual rebroadcast may degrade privacy by leaking the transaction's origin, as\n\
             nodes will normally not rebroadcast non-wallet transactions already in their mempool.",
            blocking(move |call| sendrawtransaction(&c, call)),
        )
        .arg(Arg::required("hexstring", ArgType::StrHex, "The hex string of the raw transaction"))
        .arg(Arg::optional("maxfeerate", ArgType::Amount, "Reject transactions whose fee rate is higher than the specified value, expressed in BTC/kvB.\nFee rates larger than 1BTC/kvB are rejected.\nSet to 0 to accept any fee rate.").default("\"0.10\""))
        .arg(Arg::optional("maxburnamount", ArgType::Amount, "Reject transactions with provably unspendable outputs (e.g. 'datacarrier' outputs that use the OP_RETURN opcode) greater than the specified value, expressed in BTC.\nIf burning funds through unspendable outputs is desired, increase this value.\nThis check is based on heuristics and does not guarantee spendability of outputs.\n").default("\"0\""))
        .example(format!("{cli} sendrawtransaction \"signedhex\"")),
    );
    let c = chain;
    table.register(
        Command::new(
            "testmempoolaccept",
            "rawtransactions",
            "Returns result of mempool acceptance tests indicating if raw transaction(s) (serialized, hex-encoded) would be accepted by mempool.\n\n\
             If multiple transactions are passed in, each is tested on its own against the current mempool.\n\n\
             This checks if transactions violate the consensus or policy rules.\n\nSee sendrawtransaction call.",
            blocking(move |call| testmempoolaccept(&c, call)),
        )
        .arg(Arg::required("rawtxs", ArgType::Arr, "An array of hex strings of raw transactions."))
        .arg(Arg::optional("maxfeerate", ArgType::Amount, "Reject transactions whose fee rate is higher than the specified value, expressed in BTC/kvB\n").default("\"0.10\""))
        .example(format!("{cli} testmempoolaccept '[\"signedhex\"]'")),
    );
}

fn verbosity(v: Option<&Value>, default: i64) -> Result<i64, RpcError> {
    match v {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(i64::from(*b)),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| RpcError::type_error("Verbosity was not an integer")),
        Some(other) => Err(RpcError::type_error(format!(
            "JSON value of type {} is not of expected type number",
            hashvive_rpc::table::json_type_name(other)
        ))),
    }
}

fn getblock(c: &Chainstate, network: Network, call: &Call) -> Result<Value, RpcError> {
    let hash: BlockHash = parse_hash(call.param(0).unwrap_or(&Value::Null), "blockhash")?;
    let info = c.block_info(&hash).ok_or_else(block_not_found)?;
    let verbosity = verbosity(call.param(1), 1)?;
    super::blockchain::check_block_data(&info, false)?;
    if verbosity <= 0 {
        let bytes =
            c.read_block_bytes(&hash).map_err(chain_error)?.ok_or_else(|| RpcError::misc("Block not found on disk"))?;
        return Ok(json!(encode_hex(&bytes)));
    }
    let block = c.read_block(&hash).map_err(chain_error)?.ok_or_else(|| RpcError::misc("Block not found on disk"))?;
    let mut out: Map<String, Value> = header_json(c, &info);
    let size = bitcoin::consensus::serialize(&block).len();
    // Stripped size: the block as a node that knows no witnesses sees it.
    let weight = block.weight().to_wu() as usize;
    let stripped = (weight - size) / 3;
    out.insert("strippedsize".into(), json!(stripped));
    out.insert("size".into(), json!(size));
    out.insert("weight".into(), json!(weight));
    let txs: Vec<Value> = if verbosity == 1 {
        block.txdata.iter().map(|tx| json!(tx.compute_txid().to_string())).collect()
    } else {
        // Undo data tells fees and prevouts; blocks off the active chain may not have it.
        let undo = c.read_undo(&hash).map_err(chain_error)?;
        block
            .txdata
            .iter()
            .enumerate()
            .map(|(i, tx)| {
                let spent: Option<Vec<SpentOutput>> =
                    undo.as_ref().filter(|_| i > 0).and_then(|u| u.txs.get(i - 1)).cloned();
                let opts = TxJsonOptions {
                    network,
                    include_hex: true,
                    block_hash: None,
                    spent_outputs: spent.as_deref(),
                    show_prevout: verbosity >= 3,
                };
                tx_to_json(tx, &opts)
            })
            .collect()
    };
    out.insert("tx".into(), Value::Array(txs));
    Ok(Value::Object(out))
}

fn getrawtransaction(c: &Chainstate, network: Network, call: &Call) -> Result<Value, RpcError> {
    let txid: Txid = parse_hash(call.param(0).unwrap_or(&Value::Null), "parameter 1")?;
    let verbosity = verbosity(call.param(1), 0)?;
    let genesis = &c.params().genesis;
    if txid == genesis.txdata[0].compute_txid() {
        return Err(RpcError::new(
            codes::RPC_INVALID_ADDRESS_OR_KEY,
            "The genesis block coinbase is not considered an ordinary transaction and cannot be retrieved",
        ));
    }
    let mut result = Map::new();
    let (tx, block): (Transaction, Option<hashvive_chain::BlockInfo>) = match call.param(2) {
        Some(v) => {
            let hash: BlockHash = parse_hash(v, "parameter 3")?;
            let info = c
                .block_info(&hash)
                .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Block hash not found"))?;
            result.insert("in_active_chain".into(), json!(info.active));
            let block = c
                .read_block(&hash)
                .map_err(chain_error)?
                .ok_or_else(|| RpcError::new(codes::RPC_MISC_ERROR, "Block not available"))?;
            let tx = block.txdata.into_iter().find(|tx| tx.compute_txid() == txid).ok_or_else(|| {
                RpcError::new(
                    codes::RPC_INVALID_ADDRESS_OR_KEY,
                    "No such transaction found in the provided block. Use gettransaction for wallet transactions.",
                )
            })?;
            (tx, Some(info))
        }
        None => {
            let pooled = c.with_mempool(|m| m.get(&txid).map(|e| (*e.tx).clone()));
            match pooled {
                Some(tx) => (tx, None),
                None => match c.indexed_tx(&txid).map_err(chain_error)? {
                    Some((tx, hash)) => (tx, c.block_info(&hash)),
                    None => {
                        let message = if c.txindex_enabled() {
                            "No such mempool or blockchain transaction. Use gettransaction for wallet transactions."
                        } else {
                            "No such mempool transaction. Use -txindex or provide a block hash to enable blockchain transaction queries. Use gettransaction for wallet transactions."
                        };
                        return Err(RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, message));
                    }
                },
            }
        }
    };
    if verbosity <= 0 {
        return Ok(json!(encode_hex(&bitcoin::consensus::serialize(&tx))));
    }
    let spent: Option<Vec<SpentOutput>> = if verbosity >= 2 && !tx.is_coinbase() {
        match &block {
            Some(info) => {
                let undo = c.read_undo(&info.hash).map_err(chain_error)?;
                let block_txs = c.read_block(&info.hash).map_err(chain_error)?.map(|b| b.txdata).unwrap_or_default();
                let pos = block_txs.iter().position(|t| t.compute_txid() == txid);
                undo.zip(pos).and_then(|(u, p)| u.txs.get(p.checked_sub(1)?).cloned())
            }
            None => mempool_prevouts(c, &tx),
        }
    } else {
        None
    };
    let opts = TxJsonOptions {
        network,
        include_hex: true,
        block_hash: None,
        spent_outputs: spent.as_deref(),
        show_prevout: verbosity >= 2,
    };
    if let Value::Object(fields) = tx_to_json(&tx, &opts) {
        result.extend(fields);
    }
    if let Some(info) = block {
        result.insert("blockhash".into(), json!(info.hash.to_string()));
        if info.active {
            result.insert("confirmations".into(), json!(c.tip().height - info.height + 1));
            result.insert("time".into(), json!(info.header.time));
            result.insert("blocktime".into(), json!(info.header.time));
        } else {
            result.insert("confirmations".into(), json!(0));
        }
    }
    Ok(Value::Object(result))
}

/// Unspendable outputs paying more than `max_burn`: the reference's `maxburnamount` check.
fn burns_too_much(tx: &Transaction, max_burn: Amount) -> bool {
    tx.output.iter().any(|o| is_unspendable(&o.script_pubkey) && o.value > max_burn)
}

fn sendrawtransaction(c: &Chainstate, call: &Call) -> Result<Value, RpcError> {
    let tx = decode_tx(call.param(0)).ok_or_else(|| {
        RpcError::new(codes::RPC_DESERIALIZATION_ERROR, "TX decode failed. Make sure the tx has at least one input.")
    })?;
    let max_rate = parse_fee_rate(call.param(1))?;
    let max_burn = call.param(2).map(parse_amount).transpose()?.unwrap_or(Amount::ZERO);
    if burns_too_much(&tx, max_burn) {
        return Err(RpcError::new(
            codes::RPC_VERIFY_ERROR,
            "Unspendable output exceeds maximum configured by user (maxburnamount)",
        ));
    }
    let txid = tx.compute_txid();
    let cap = match max_rate {
        FeeRate::ZERO => FeeCap::None,
        rate => FeeCap::Rate(rate),
    };
    broadcast(c, Arc::new(tx), cap).map_err(send_error)?;
    // Wallets hear of it before the caller does, so a wallet call made next
    // sees it (its coins spent, its payment pending).
    c.flush_events(std::time::Duration::from_secs(60));
    Ok(json!(txid.to_string()))
}

/// The most fee a broadcast transaction may pay.
#[derive(Clone, Copy, Debug)]
pub enum FeeCap {
    None,
    /// `sendrawtransaction`'s `maxfeerate`.
    Rate(FeeRate),
    /// A wallet's `-maxtxfee`.
    Absolute(Amount),
}

/// Submits a transaction to the mempool unless it is there already (the
/// reference's `BroadcastTransaction`), for `sendrawtransaction` and wallets.
pub fn broadcast(c: &Chainstate, tx: Arc<Transaction>, cap: FeeCap) -> Result<(), BroadcastError> {
    if c.with_mempool(|m| m.contains(&tx.compute_txid())) {
        return Ok(());
    }
    if !matches!(cap, FeeCap::None) {
        let tested = c.accept_to_mempool(tx.clone(), AcceptMode::Test).map_err(broadcast_error)?;
        let max = match cap {
            FeeCap::Rate(rate) => rate.fee(tested.vsize),
            FeeCap::Absolute(max) => max,
            FeeCap::None => Amount::MAX_MONEY,
        };
        if tested.fee > max {
            return Err(BroadcastError::MaxFeeExceeded);
        }
    }
    c.accept_to_mempool(tx, AcceptMode::Submit).map_err(broadcast_error)?;
    Ok(())
}

fn broadcast_error(r: MempoolReject) -> BroadcastError {
    match r.kind {
        RejectKind::MissingInputs => BroadcastError::MissingInputs,
        RejectKind::AlreadyKnown => BroadcastError::AlreadyInChain,
        _ => BroadcastError::Rejected(r.to_string()),
    }
}

/// How `sendrawtransaction` reports a refusal (the reference's `BroadcastTransaction`).
fn send_error(e: BroadcastError) -> RpcError {
    let code = match e {
        BroadcastError::MissingInputs | BroadcastError::MaxFeeExceeded => codes::RPC_VERIFY_ERROR,
        BroadcastError::AlreadyInChain => codes::RPC_VERIFY_ALREADY_IN_CHAIN,
        BroadcastError::Rejected(_) => codes::RPC_VERIFY_REJECTED,
    };
    RpcError::new(code, e.to_string())
}

fn testmempoolaccept(c: &Chainstate, call: &Call) -> Result<Value, RpcError> {
    let raw = call.param(0).and_then(Value::as_array).cloned().unwrap_or_default();
    if raw.is_empty() || raw.len() > 25 {
        return Err(RpcError::invalid_parameter("Array must contain between 1 and 25 transactions."));
    }
    let max_rate = parse_fee_rate(call.param(1))?;
    let mut txs = Vec::with_capacity(raw.len());
    for item in &raw {
        let tx = decode_tx(Some(item)).ok_or_else(|| {
            RpcError::new(
                codes::RPC_DESERIALIZATION_ERROR,
                format!("TX decode failed: {} Make sure the tx has at least one input.", item.as_str().unwrap_or("")),
            )
        })?;
        txs.push(tx);
    }
    let results: Vec<Value> = txs
        .into_iter()
        .map(|tx| {
            let mut entry = Map::new();
            entry.insert("txid".into(), json!(tx.compute_txid().to_string()));
            entry.insert("wtxid".into(), json!(tx.compute_wtxid().to_string()));
            match c.accept_to_mempool(Arc::new(tx), AcceptMode::Test) {
                Ok(a) if max_rate != FeeRate::ZERO && a.fee > max_rate.fee(a.vsize) => {
                    entry.insert("allowed".into(), json!(false));
                    entry.insert("reject-reason".into(), json!("max-fee-exceeded"));
                }
                Ok(a) => {
                    entry.insert("allowed".into(), json!(true));
                    entry.insert("vsize".into(), json!(a.vsize));
                    entry.insert(
                        "fees".into(),
                        json!({
                            "base": amount_to_json(a.fee),
                            "effective-feerate": btc_per_kvb(FeeRate::from_fee(a.fee, a.vsize)),
                            "effective-includes": [a.wtxid.to_string()],
                        }),
                    );
                }
                Err(r) => {
                    entry.insert("allowed".into(), json!(false));
                    entry.insert("reject-reason".into(), json!(r.reason));
                    entry.insert("reject-details".into(), json!(r.to_string()));
                }
            }
            Value::Object(entry)
        })
        .collect();
    Ok(Value::Array(results))
}
