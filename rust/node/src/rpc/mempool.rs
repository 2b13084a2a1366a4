//! Mempool methods of the `blockchain` category (`getmempoolinfo`,
//! `getrawmempool`, `getmempoolentry`, ancestors and descendants).

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::Txid;
use serde_json::{json, Map, Value};

use hashvive_chain::mempool::{Mempool, MempoolEntry};
use hashvive_chain::Chainstate;
use hashvive_policy::FeeRate;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::sync_handler;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::blockchain::parse_hash;
use super::format::signed_amount_to_json;

/// A fee rate as BTC/kvB.
pub fn btc_per_kvb(rate: FeeRate) -> Value {
    signed_amount_to_json(i128::from(rate.to_sat_per_kvb()))
}

fn btc(sats: i64) -> Value {
    signed_amount_to_json(i128::from(sats))
}

fn entry_json(mempool: &Mempool, e: &MempoolEntry) -> Value {
    let ancestors = mempool.ancestors(&e.txid);
    let descendants = mempool.descendants(&e.txid);
    let a = mempool.package(&e.txid, &ancestors);
    let d = mempool.package(&e.txid, &descendants);
    let signals = |t: &Txid| mempool.get(t).is_some_and(|x| x.tx.input.iter().any(|i| i.sequence.is_rbf()));
    let replaceable = signals(&e.txid) || ancestors.iter().any(signals);
    let mut spent_by: Vec<String> = e.children.iter().map(|c| c.to_string()).collect();
    spent_by.sort();
    json!({
        "vsize": e.vsize,
        "weight": e.weight,
        "time": e.time,
        "height": e.height,
        "descendantcount": d.count,
        "descendantsize": d.vsize,
        "ancestorcount": a.count,
        "ancestorsize": a.vsize,
        "wtxid": e.wtxid.to_string(),
        "fees": {
            "base": btc(e.fee.to_sat() as i64),
            "modified": btc(mempool.modified_fee(e).to_sat()),
            "ancestor": btc(a.modified_fees.to_sat()),
            "descendant": btc(d.modified_fees.to_sat()),
        },
        "depends": e.parents.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        "spentby": spent_by,
        "bip125-replaceable": replaceable,
        "unbroadcast": false,
    })
}

fn not_in_mempool() -> RpcError {
    RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Transaction not in mempool")
}

/// Txids, or an object of entries when `verbose`.
fn txids_json(mempool: &Mempool, txids: impl Iterator<Item = Txid>, verbose: bool) -> Value {
    if verbose {
        let mut m = Map::new();
        for t in txids {
            if let Some(e) = mempool.get(&t) {
                m.insert(t.to_string(), entry_json(mempool, e));
            }
        }
        Value::Object(m)
    } else {
        Value::Array(txids.map(|t| json!(t.to_string())).collect())
    }
}

pub fn register(table: &RpcTable, chain: Arc<Chainstate>, cli: &'static str) {
    let c = chain.clone();
    table.register(
        Command::new(
            "getmempoolinfo",
            "blockchain",
            "Returns details on the active state of the TX memory pool.",
            sync_handler(move |_| {
                let min_fee = c.mempool_min_fee();
                Ok(c.with_mempool(|m| {
                    let o = m.options();
                    json!({
                        "loaded": m.is_loaded(),
                        "size": m.len(),
                        "bytes": m.total_vsize(),
                        "usage": m.dynamic_usage(),
                        "total_fee": btc(m.total_fee().to_sat() as i64),
                        "maxmempool": o.max_size,
                        "mempoolminfee": btc_per_kvb(min_fee),
                        "minrelaytxfee": btc_per_kvb(o.policy.min_relay_fee),
                        "incrementalrelayfee": btc_per_kvb(o.policy.incremental_relay_fee),
                        "unbroadcastcount": 0,
                        "fullrbf": o.full_rbf,
                    })
                }))
            }),
        )
        .example(format!("{cli} getmempoolinfo")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getrawmempool",
            "blockchain",
            "Returns all transaction ids in memory pool as a json array of string transaction ids.\n\n\
             Hint: use getmempoolentry to fetch a specific transaction from the mempool.",
            sync_handler(move |call| {
                let verbose = call.param(0).and_then(Value::as_bool).unwrap_or(false);
                let sequence = call.param(1).and_then(Value::as_bool).unwrap_or(false);
                if verbose && sequence {
                    return Err(RpcError::invalid_parameter(
                        "Verbose results cannot contain mempool sequence values. (hint: use getmempoolentry)",
                    ));
                }
                Ok(c.with_mempool(|m| {
                    let order = m.entries_in_order();
                    let txids = order.iter().map(|e| e.txid);
                    let listed = txids_json(m, txids, verbose);
                    if sequence {
                        json!({"txids": listed, "mempool_sequence": m.change_sequence()})
                    } else {
                        listed
                    }
                }))
            }),
        )
        .arg(
            Arg::optional("verbose", ArgType::Bool, "True for a json object, false for array of transaction ids")
                .default("false"),
        )
        .arg(
            Arg::optional(
                "mempool_sequence",
                ArgType::Bool,
                "If verbose=false, returns a json object with transaction list and mempool sequence number attached.",
            )
            .default("false"),
        )
        .example(format!("{cli} getrawmempool true")),
    );
    let c = chain.clone();
    table.register(
        Command::new(
            "getmempoolentry",
            "blockchain",
            "Returns mempool data for given transaction",
            sync_handler(move |call| {
                let txid: Txid = parse_hash(call.param(0).unwrap_or(&Value::Null), "txid")?;
                c.with_mempool(|m| m.get(&txid).map(|e| entry_json(m, e))).ok_or_else(not_in_mempool)
            }),
        )
        .arg(Arg::required("txid", ArgType::StrHex, "The transaction id (must be in mempool)"))
        .example(format!("{cli} getmempoolentry \"mytxid\"")),
    );
    for (name, description, ancestors) in [
        ("getmempoolancestors", "If txid is in the mempool, returns all in-mempool ancestors.", true),
        ("getmempooldescendants", "If txid is in the mempool, returns all in-mempool descendants.", false),
    ] {
        let c = chain.clone();
        table.register(
            Command::new(
                name,
                "blockchain",
                description,
                sync_handler(move |call| {
                    let txid: Txid = parse_hash(call.param(0).unwrap_or(&Value::Null), "txid")?;
                    let verbose = call.param(1).and_then(Value::as_bool).unwrap_or(false);
                    c.with_mempool(|m| {
                        if !m.contains(&txid) {
                            return Err(not_in_mempool());
                        }
                        let related: HashSet<Txid> = if ancestors { m.ancestors(&txid) } else { m.descendants(&txid) };
                        let mut related: Vec<Txid> = related.into_iter().collect();
                        related.sort_by_key(|t| m.get(t).map(|e| e.sequence));
                        Ok(txids_json(m, related.into_iter(), verbose))
                    })
                }),
            )
            .arg(Arg::required("txid", ArgType::StrHex, "The transaction id (must be in mempool)"))
            .arg(
                Arg::optional("verbose", ArgType::Bool, "True for a json object, false for array of transaction ids")
                    .default("false"),
            )
            .example(format!("{cli} {name} \"mytxid\"")),
        );
    }
}
