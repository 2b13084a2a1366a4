//! Wallet transactions: `gettransaction`, `listtransactions`, `listsinceblock`,
//! `abandontransaction`.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use bdk_wallet::chain::{ChainPosition, ConfirmationBlockTime};
use bitcoin::consensus::{deserialize, encode::serialize_hex};
use bitcoin::hashes::Hash;
use bitcoin::{Address, Block, BlockHash, SignedAmount, Txid};
use serde_json::{json, Map, Value};

use hashvive_interfaces::{TransactionKind, TransactionState, WalletTransaction};
use hashvive_rpc::amount::signed_amount_to_json;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};
use hashvive_script::format::{tx_to_json, TxJsonOptions};

use super::{coinbase_immature, confirmations, method, node, request_wallet};
use crate::ledger::RecordedTx;
use crate::manager::WalletManager;
use crate::wallet::Wallet;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("gettransaction", "wallet", "Get detailed information about in-wallet transaction <txid>", method(manager, gettransaction))
            .arg(Arg::required("txid", ArgType::Str, "The transaction id"))
            .arg(Arg::optional("include_watchonly", ArgType::Bool, "Whether to include watch-only addresses in balance calculation and details[]").default("true for watch-only wallets, otherwise false"))
            .arg(Arg::optional("verbose", ArgType::Bool, "Whether to include a `decoded` field containing the decoded transaction (equivalent to RPC decoderawtransaction)").default("false"))
            .result("{\n  \"amount\" : n,\n  \"fee\" : n,\n  \"confirmations\" : n,\n  \"txid\" : \"hex\",\n  \"time\" : xxx,\n  \"timereceived\" : xxx,\n  \"bip125-replaceable\" : \"str\",\n  \"details\" : [ ... ],\n  \"hex\" : \"hex\"\n}")
            .example("hashvive-cli gettransaction \"1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d\""),
    );
    table.register(
        Command::new("listtransactions", "wallet", "If a label name is provided, this will return only incoming transactions paying to addresses with the specified label.\n\nReturns up to 'count' most recent transactions skipping the first 'from' transactions.", method(manager, listtransactions))
            .arg(Arg::optional("label|dummy", ArgType::Str, "If set, should be a valid label name to return only incoming transactions\nwith the specified label, or \"*\" to disable filtering and return all transactions."))
            .arg(Arg::optional("count", ArgType::Num, "The number of transactions to return").default("10"))
            .arg(Arg::optional("skip", ArgType::Num, "The number of transactions to skip").default("0"))
            .arg(Arg::optional("include_watchonly", ArgType::Bool, "Include transactions to watch-only addresses (see 'importaddress')").default("true for watch-only wallets, otherwise false"))
            .result("[\n  {\n    \"address\" : \"str\",\n    \"category\" : \"str\",\n    \"amount\" : n,\n    \"vout\" : n,\n    \"fee\" : n,\n    \"confirmations\" : n,\n    \"txid\" : \"hex\",\n    \"time\" : xxx,\n    \"timereceived\" : xxx,\n    \"bip125-replaceable\" : \"str\"\n  },\n  ...\n]")
            .example("hashvive-cli listtransactions"),
    );
    table.register(
        Command::new("abandontransaction", "wallet", "Mark in-wallet transaction <txid> as abandoned\nThis will mark this transaction and all its in-wallet descendants as abandoned which will allow\nfor their inputs to be respent.  It can be used to replace \"stuck\" or evicted transactions.\nIt only works on transactions which are not included in a block and are not currently in the mempool.\nIt has no effect on transactions which are already abandoned.", method(manager, abandontransaction))
            .arg(Arg::required("txid", ArgType::Str, "The transaction id"))
            .result("null    (json null)")
            .example("hashvive-cli abandontransaction \"1075db55d416d3ca199f55b6084e2115b9345e16c5cf302fc80e9d5fbf5d48d\""),
    );
    table.register(
        Command::new("listsinceblock", "wallet", "Get all transactions in blocks since block [blockhash], or all transactions if omitted.\nIf \"blockhash\" is no longer a part of the main chain, transactions from the fork point onward are included.", method(manager, listsinceblock))
            .arg(Arg::optional("blockhash", ArgType::Str, "If set, the block hash to list transactions since, otherwise list all transactions."))
            .arg(Arg::optional("target_confirmations", ArgType::Num, "Return the nth block hash from the main chain. e.g. 1 would mean the best block hash. Note: this is not used as a filter, but only affects [lastblock] in the return value").default("1"))
            .arg(Arg::optional("include_watchonly", ArgType::Bool, "Include transactions to watch-only addresses (see 'importaddress')").default("true for watch-only wallets, otherwise false"))
            .arg(Arg::optional("include_removed", ArgType::Bool, "Show transactions that were removed due to a reorg in the \"removed\" array\n(not guaranteed to work on pruned nodes)").default("true"))
            .arg(Arg::optional("include_change", ArgType::Bool, "Also add entries for change outputs.").default("false"))
            .arg(Arg::optional("label", ArgType::Str, "Return only incoming transactions paying to addresses with the specified label."))
            .result("{\n  \"transactions\" : [ ... ],\n  \"removed\" : [ ... ],\n  \"lastblock\" : \"hex\"\n}")
            .example("hashvive-cli listsinceblock \"000000000000000bacf66f7497b7dc45ef753ee9a7d38571037cdb1a57f663ad\" 6"),
    );
}

/// Positions of transactions in the blocks asked about, read once per call.
#[derive(Default)]
struct BlockPositions(HashMap<BlockHash, Vec<Txid>>);

impl BlockPositions {
    async fn index(&mut self, m: &WalletManager, block: BlockHash, txid: Txid) -> Result<Option<usize>, RpcError> {
        if let Entry::Vacant(entry) = self.0.entry(block) {
            let found = m.chain().find_block(block.to_byte_array(), true).await.map_err(node)?;
            let txids = found
                .and_then(|f| f.data)
                .and_then(|data| deserialize::<Block>(&data).ok())
                .map(|b| b.txdata.iter().map(|t| t.compute_txid()).collect())
                .unwrap_or_default();
            entry.insert(txids);
        }
        Ok(self.0[&block].iter().position(|t| *t == txid))
    }
}

/// One output's line in `details` or `listtransactions`.
struct Line {
    address: Option<String>,
    category: &'static str,
    amount: SignedAmount,
    vout: u32,
    /// Sends carry the transaction's fee (negative).
    fee: Option<SignedAmount>,
    /// The address's label in the wallet's address book, if it has one.
    label: Option<String>,
}

/// What the reference shows of one wallet transaction.
struct TxView {
    txid: Txid,
    wtxid: String,
    hex: String,
    coinbase: bool,
    confirmations: i64,
    block: Option<ConfirmationBlockTime>,
    time: u64,
    replaceable: bool,
    /// Credit minus debit minus fee, as `gettransaction`'s `amount`.
    amount: SignedAmount,
    fee: Option<SignedAmount>,
    lines: Vec<Line>,
    /// Other recorded transactions spending what this one spends.
    conflicts: Vec<Txid>,
    abandoned: bool,
    /// In the wallet's view of the chain (not replaced, abandoned or conflicted).
    in_view: bool,
    /// The wallet's fee bump that replaced it, and what it replaced.
    replaced_by: Option<Txid>,
    replaces: Option<Txid>,
}

fn view(wallet: &Wallet, recorded: &RecordedTx, network: bitcoin::Network) -> TxView {
    let ledger = wallet.ledger();
    let tx = &recorded.tx;
    let tip = wallet.last_block().height;
    let conflicts = ledger.conflicts(tx);
    let confs = match &recorded.position {
        Some(position) => confirmations(tip, position),
        // Out of the wallet's view: as deep (negative) as the deepest
        // confirmed transaction it conflicts with, else 0.
        None => conflicts
            .iter()
            .filter_map(|c| ledger.get_tx(*c))
            .map(|c| -confirmations(tip, &c.chain_position))
            .min()
            .unwrap_or(0),
    };
    let (sent, received) = ledger.sent_and_received(tx);
    let from_me = sent.to_sat() > 0;
    let fee = from_me.then(|| ledger.calculate_fee(tx)).flatten().map(|f| -f.to_signed().unwrap_or(SignedAmount::ZERO));
    let mut sends = Vec::new();
    let mut receives = Vec::new();
    for (vout, out) in tx.output.iter().enumerate() {
        let mine = ledger.is_mine(&out.script_pubkey);
        let address = Address::from_script(&out.script_pubkey, network).ok();
        let label = address.as_ref().and_then(|a| wallet.label(a)).map(str::to_string);
        let address = address.map(|a| a.to_string());
        let change = from_me && wallet.is_change(&out.script_pubkey);
        let value = out.value.to_signed().unwrap_or(SignedAmount::ZERO);
        if from_me && !change {
            sends.push(Line {
                address: address.clone(),
                category: "send",
                amount: -value,
                vout: vout as u32,
                fee,
                label: label.clone(),
            });
        }
        if mine && !change {
            let category = match (tx.is_coinbase(), confs) {
                (false, _) => "receive",
                (true, c) if c < 0 || (c == 0 && recorded.position.is_none()) => "orphan",
                (true, c) if coinbase_immature(c) => "immature",
                (true, _) => "generate",
            };
            receives.push(Line { address, category, amount: value, vout: vout as u32, fee: None, label });
        }
    }
    sends.extend(receives);
    let (block, time) = match &recorded.position {
        Some(ChainPosition::Confirmed { anchor, .. }) => {
            (Some(*anchor), recorded.first_seen.unwrap_or(anchor.confirmation_time))
        }
        Some(ChainPosition::Unconfirmed { first_seen, last_seen }) => (None, first_seen.or(*last_seen).unwrap_or(0)),
        None => (None, recorded.first_seen.unwrap_or(0)),
    };
    let signed = |a: bitcoin::Amount| a.to_signed().unwrap_or(SignedAmount::ZERO);
    let (replaced_by, replaces) = wallet.replacement_of(&recorded.txid);
    TxView {
        txid: recorded.txid,
        wtxid: tx.compute_wtxid().to_string(),
        hex: serialize_hex(&**tx),
        coinbase: tx.is_coinbase(),
        confirmations: confs,
        block,
        time,
        replaceable: block.is_none() && tx.input.iter().any(|i| i.sequence.is_rbf()),
        amount: signed(received) - signed(sent) - fee.unwrap_or(SignedAmount::ZERO),
        fee,
        lines: sends,
        conflicts,
        abandoned: recorded.position.is_none() && wallet.is_abandoned(&recorded.txid),
        in_view: recorded.position.is_some(),
        replaced_by,
        replaces,
    }
}

/// The fields the reference's `WalletTxToJSON` writes, in its order.
async fn wallet_tx_fields(
    m: &WalletManager,
    v: &TxView,
    positions: &mut BlockPositions,
    out: &mut Map<String, Value>,
) -> Result<(), RpcError> {
    out.insert("confirmations".into(), json!(v.confirmations));
    if v.coinbase {
        out.insert("generated".into(), json!(true));
    }
    if v.block.is_none() {
        // Unconfirmed: trusted when the wallet made it and it still stands.
        out.insert("trusted".into(), json!(v.fee.is_some() && v.in_view));
    }
    if let Some(anchor) = &v.block {
        out.insert("blockhash".into(), json!(anchor.block_id.hash.to_string()));
        out.insert("blockheight".into(), json!(anchor.block_id.height));
        if let Some(index) = positions.index(m, anchor.block_id.hash, v.txid).await? {
            out.insert("blockindex".into(), json!(index));
        }
        out.insert("blocktime".into(), json!(anchor.confirmation_time));
    }
    out.insert("txid".into(), json!(v.txid.to_string()));
    out.insert("wtxid".into(), json!(v.wtxid));
    out.insert("walletconflicts".into(), json!(v.conflicts.iter().map(Txid::to_string).collect::<Vec<_>>()));
    out.insert("mempoolconflicts".into(), json!([]));
    out.insert("time".into(), json!(v.time));
    out.insert("timereceived".into(), json!(v.time));
    out.insert("bip125-replaceable".into(), json!(if v.replaceable { "yes" } else { "no" }));
    if let Some(by) = v.replaced_by {
        out.insert("replaced_by_txid".into(), json!(by.to_string()));
    }
    if let Some(old) = v.replaces {
        out.insert("replaces_txid".into(), json!(old.to_string()));
    }
    Ok(())
}

fn line_fields(line: &Line, abandoned: bool, out: &mut Map<String, Value>) {
    if let Some(address) = &line.address {
        out.insert("address".into(), json!(address));
    }
    out.insert("category".into(), json!(line.category));
    out.insert("amount".into(), signed_amount_to_json(i128::from(line.amount.to_sat())));
    if let Some(label) = &line.label {
        out.insert("label".into(), json!(label));
    }
    out.insert("vout".into(), json!(line.vout));
    if let Some(fee) = line.fee {
        out.insert("fee".into(), signed_amount_to_json(i128::from(fee.to_sat())));
        out.insert("abandoned".into(), json!(abandoned));
    }
}

fn txid_param(call: &Call) -> Result<Txid, RpcError> {
    super::parse_txid(call.param(0).and_then(Value::as_str).unwrap_or_default())
}

async fn abandontransaction(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let txid = txid_param(&call)?;
    let mut wallet = request_wallet(&m, &call).await?;
    let recorded = wallet
        .ledger()
        .recorded(txid)
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id"))?;
    let confirmed = matches!(recorded.position, Some(ChainPosition::Confirmed { .. }));
    if confirmed || m.chain().is_in_mempool(txid.to_byte_array()).await.map_err(node)? {
        return Err(RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Transaction not eligible for abandonment"));
    }
    // Out of the wallet's view of the chain: its inputs are the wallet's to spend again.
    wallet.abandon(txid, hashvive_common::time::now().max(0) as u64)?;
    Ok(Value::Null)
}

async fn gettransaction(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let txid = txid_param(&call)?;
    let verbose = call.param(2).and_then(Value::as_bool).unwrap_or(false);
    let wallet = request_wallet(&m, &call).await?;
    let recorded = wallet
        .ledger()
        .recorded(txid)
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id"))?;
    let network = m.options().network;
    let v = view(&wallet, &recorded, network);
    drop(wallet);
    let mut out = Map::new();
    out.insert("amount".into(), signed_amount_to_json(i128::from(v.amount.to_sat())));
    if let Some(fee) = v.fee {
        out.insert("fee".into(), signed_amount_to_json(i128::from(fee.to_sat())));
    }
    wallet_tx_fields(&m, &v, &mut BlockPositions::default(), &mut out).await?;
    let details: Vec<Value> = v
        .lines
        .iter()
        .map(|line| {
            let mut d = Map::new();
            line_fields(line, v.abandoned, &mut d);
            Value::Object(d)
        })
        .collect();
    out.insert("details".into(), Value::Array(details));
    out.insert("hex".into(), json!(v.hex));
    if verbose {
        out.insert("decoded".into(), tx_to_json(&recorded.tx, &TxJsonOptions::plain(network)));
    }
    Ok(Value::Object(out))
}

/// The entries of `views` under `label`, as `listsinceblock` lists them.
async fn listed(
    m: &WalletManager,
    views: &[TxView],
    label: &str,
    positions: &mut BlockPositions,
) -> Result<Vec<Value>, RpcError> {
    let mut entries = Vec::new();
    for v in views {
        for line in v.lines.iter().filter(|l| labelled_as(l, label)) {
            let mut out = Map::new();
            line_fields(line, v.abandoned, &mut out);
            wallet_tx_fields(m, v, positions, &mut out).await?;
            entries.push(Value::Object(out));
        }
    }
    Ok(entries)
}

/// Whether a line belongs under `label`: "*" takes every line, a label the
/// incoming lines to addresses with that label.
fn labelled_as(line: &Line, label: &str) -> bool {
    label == "*" || (line.category != "send" && line.label.as_deref() == Some(label))
}

/// The wallet's views, oldest first, as the wallet learned of them.
fn sorted_views(wallet: &Wallet, network: bitcoin::Network, wanted: impl Fn(&TxView) -> bool) -> Vec<TxView> {
    let mut views: Vec<TxView> =
        wallet.ledger().history().iter().map(|t| view(wallet, t, network)).filter(wanted).collect();
    views.sort_by_key(|v| (v.time, v.block.map(|b| b.block_id.height)));
    views
}

/// The wallet's transactions as a GUI lists them (the `Wallet` interface's
/// `getTransactions`), oldest first.
pub(crate) fn summaries(wallet: &Wallet, network: bitcoin::Network) -> Vec<WalletTransaction> {
    sorted_views(wallet, network, |_| true).iter().map(summary).collect()
}

/// One of them (the `Wallet` interface's `getTransaction`).
pub(crate) fn summary_of(wallet: &Wallet, network: bitcoin::Network, txid: Txid) -> Option<WalletTransaction> {
    wallet.ledger().history().iter().find(|t| t.txid == txid).map(|t| summary(&view(wallet, t, network)))
}

/// A transaction as one line of the GUI's history: who was paid, or which
/// of the wallet's addresses was, and what it did to the balance.
fn summary(v: &TxView) -> WalletTransaction {
    let (sends, receives): (Vec<&Line>, Vec<&Line>) = v.lines.iter().partition(|l| l.category == "send");
    // A send line whose output is also a receive line paid the wallet itself.
    let external: Vec<&&Line> = sends.iter().filter(|s| !receives.iter().any(|r| r.vout == s.vout)).collect();
    let (kind, line) = match (v.coinbase, v.fee.is_some()) {
        (true, _) => (TransactionKind::Mined, receives.first().copied()),
        (false, true) if external.is_empty() => (TransactionKind::ToSelf, sends.first().copied()),
        (false, true) => (TransactionKind::Sent, external.first().map(|l| **l)),
        (false, false) => (TransactionKind::Received, receives.first().copied()),
    };
    let state = match (v.abandoned, v.in_view && v.confirmations >= 0) {
        (true, _) => TransactionState::Abandoned,
        (false, false) => TransactionState::Conflicted,
        (false, true) => TransactionState::Active,
    };
    WalletTransaction {
        txid: v.txid.to_byte_array(),
        kind,
        address: line.and_then(|l| l.address.clone()).unwrap_or_default(),
        label: line.and_then(|l| l.label.clone()).unwrap_or_default(),
        // `amount` leaves the fee out, as `gettransaction` does; the GUI counts it.
        amount: (v.amount + v.fee.unwrap_or(SignedAmount::ZERO)).to_sat(),
        fee: v.fee.map_or(0, |f| -f.to_sat()),
        time: v.time as i64,
        height: v.block.map(|b| b.block_id.height),
        state,
        replaceable: v.replaceable,
    }
}

/// The height up to which the chain still holds `hash`'s history (its own,
/// or where its branch left the active chain), and the transactions of the
/// blocks on that branch, newest block first.
async fn active_ancestor_height(m: &WalletManager, hash: BlockHash) -> Result<(i32, Vec<Txid>), RpcError> {
    let mut current = hash;
    let mut detached = Vec::new();
    loop {
        let found = m.chain().find_block(current.to_byte_array(), true).await.map_err(node)?;
        let found = found.ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Block not found"))?;
        if found.in_active_chain {
            return Ok((found.height, detached));
        }
        let block: Block = found
            .data
            .as_deref()
            .and_then(|data| deserialize(data).ok())
            .ok_or_else(|| RpcError::new(codes::RPC_MISC_ERROR, "Can't read block from disk"))?;
        detached.extend(block.txdata.iter().map(|t| t.compute_txid()));
        current = block.header.prev_blockhash;
    }
}

async fn listsinceblock(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let since = match call.param(0).and_then(Value::as_str).filter(|t| !t.is_empty()) {
        Some(text) => {
            let hash = BlockHash::from_str(text).map_err(|_| {
                RpcError::invalid_parameter(format!(
                    "blockhash must be of length 64 (not {}, for '{text}')",
                    text.len()
                ))
            })?;
            Some(active_ancestor_height(&m, hash).await?)
        }
        None => None,
    };
    let (since, detached) = since.unzip();
    let target = call.param(1).and_then(Value::as_i64).unwrap_or(1);
    if target < 1 {
        return Err(RpcError::invalid_parameter("Invalid parameter"));
    }
    let include_removed = call.param(3).and_then(Value::as_bool).unwrap_or(true);
    let label = call.param(5).and_then(Value::as_str).unwrap_or("*").to_string();
    let network = m.options().network;
    let wallet = request_wallet(&m, &call).await?;
    let tip = wallet.last_block().height as i64;
    let views = sorted_views(&wallet, network, |v| match (since, v.block) {
        (Some(height), Some(anchor)) => i64::from(anchor.block_id.height) > i64::from(height),
        _ => true,
    });
    // The wallet's transactions in blocks the chain no longer holds, as
    // they stand now (the reference's `removed`).
    let removed: Vec<TxView> = match include_removed {
        true => detached
            .unwrap_or_default()
            .into_iter()
            .filter_map(|txid| wallet.ledger().recorded(txid))
            .map(|recorded| view(&wallet, &recorded, network))
            .collect(),
        false => Vec::new(),
    };
    drop(wallet);
    let mut positions = BlockPositions::default();
    let transactions = listed(&m, &views, &label, &mut positions).await?;
    let last_height = tip + 1 - target;
    let lastblock = match last_height >= 0 {
        true => m.chain().get_block_hash(last_height as i32).await.map_err(node)?.map(BlockHash::from_byte_array),
        false => None,
    }
    .unwrap_or(BlockHash::all_zeros());
    let removed_lines = listed(&m, &removed, &label, &mut positions).await?;
    let mut result = Map::new();
    result.insert("transactions".into(), Value::Array(transactions));
    if include_removed {
        result.insert("removed".into(), Value::Array(removed_lines));
    }
    result.insert("lastblock".into(), json!(lastblock.to_string()));
    Ok(Value::Object(result))
}

async fn listtransactions(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let label = call.param(0).and_then(Value::as_str).unwrap_or("*").to_string();
    let count = call.param(1).and_then(Value::as_i64).unwrap_or(10);
    let skip = call.param(2).and_then(Value::as_i64).unwrap_or(0);
    if count < 0 {
        return Err(RpcError::invalid_parameter("Negative count"));
    }
    if skip < 0 {
        return Err(RpcError::invalid_parameter("Negative from"));
    }
    let wallet = request_wallet(&m, &call).await?;
    let views = sorted_views(&wallet, m.options().network, |_| true);
    drop(wallet);
    let mut lines = Vec::new();
    for v in &views {
        for line in v.lines.iter().filter(|l| labelled_as(l, &label)) {
            lines.push((v, line));
        }
    }
    let end = lines.len().saturating_sub(skip as usize);
    let start = end.saturating_sub(count as usize);
    let mut positions = BlockPositions::default();
    let mut result = Vec::new();
    for (v, line) in &lines[start..end] {
        let mut out = Map::new();
        line_fields(line, v.abandoned, &mut out);
        wallet_tx_fields(&m, v, &mut positions, &mut out).await?;
        result.push(Value::Object(out));
    }
    Ok(Value::Array(result))
}
