//! What the wallet holds: `getbalance`, `getbalances`, `getwalletinfo`,
//! `listunspent`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{Address, AddressType, Amount, ScriptBuf, Txid};
use serde_json::{json, Value};

use hashvive_rpc::amount::amount_to_json;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{address_for, coinbase_immature, confirmations, last_processed_block, method, request_wallet};
use crate::manager::WalletManager;
use crate::wallet::Wallet;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("getbalance", "wallet", "Returns the total available balance.\nThe available balance is what the wallet considers currently spendable, and is\nthus affected by options which limit spendability such as -spendzeroconfchange.", method(manager, getbalance))
            .arg(Arg::optional("dummy", ArgType::Str, "Remains for backward compatibility. Must be excluded or set to \"*\"."))
            .arg(Arg::optional("minconf", ArgType::Num, "Only include transactions confirmed at least this many times.").default("0"))
            .arg(Arg::optional("include_watchonly", ArgType::Bool, "No longer used").default("false"))
            .arg(Arg::optional("avoid_reuse", ArgType::Bool, "(only available if avoid_reuse wallet flag is set) Do not include balance in dirty outputs; addresses are considered dirty if they have previously been used in a transaction.").default("true"))
            .result("n    (numeric) The total amount in BTC received for this wallet.")
            .example("hashvive-cli getbalance"),
    );
    table.register(
        Command::new("getbalances", "wallet", "Returns an object with all balances in BTC.", method(manager, getbalances))
            .result("{\n  \"mine\" : {\n    \"trusted\" : n,\n    \"untrusted_pending\" : n,\n    \"immature\" : n\n  },\n  \"lastprocessedblock\" : {\n    \"hash\" : \"hex\",\n    \"height\" : n\n  }\n}")
            .example("hashvive-cli getbalances"),
    );
    table.register(
        Command::new("getreceivedbyaddress", "wallet", "Returns the total amount received by the given address in transactions with at least minconf confirmations.", method(manager, getreceivedbyaddress))
            .arg(Arg::required("address", ArgType::Str, "The bitcoin address for transactions."))
            .arg(Arg::optional("minconf", ArgType::Num, "Only include transactions confirmed at least this many times.").default("1"))
            .arg(Arg::optional("include_immature_coinbase", ArgType::Bool, "Include immature coinbase transactions.").default("false"))
            .result("n    (numeric) The total amount in BTC received at this address.")
            .example("hashvive-cli getreceivedbyaddress \"bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\" 6"),
    );
    table.register(
        Command::new("getwalletinfo", "wallet", "Returns an object containing various wallet state info.", method(manager, getwalletinfo))
            .result("{\n  \"walletname\" : \"str\",\n  \"walletversion\" : n,\n  \"format\" : \"str\",\n  \"txcount\" : n,\n  \"keypoolsize\" : n,\n  \"keypoolsize_hd_internal\" : n,\n  \"unlocked_until\" : n,\n  \"paytxfee\" : n,\n  \"private_keys_enabled\" : true|false,\n  \"avoid_reuse\" : true|false,\n  \"scanning\" : false,\n  \"descriptors\" : true|false,\n  \"external_signer\" : true|false,\n  \"blank\" : true|false,\n  \"lastprocessedblock\" : {\n    \"hash\" : \"hex\",\n    \"height\" : n\n  }\n}")
            .example("hashvive-cli getwalletinfo"),
    );
    table.register(
        Command::new("listunspent", "wallet", "Returns array of unspent transaction outputs\nwith between minconf and maxconf (inclusive) confirmations.\nOptionally filter to only include txouts paid to specified addresses.", method(manager, listunspent))
            .arg(Arg::optional("minconf", ArgType::Num, "The minimum confirmations to filter").default("1"))
            .arg(Arg::optional("maxconf", ArgType::Num, "The maximum confirmations to filter").default("9999999"))
            .arg(Arg::optional("addresses", ArgType::Arr, "The bitcoin addresses to filter").default("[]"))
            .arg(Arg::optional("include_unsafe", ArgType::Bool, "Include outputs that are not safe to spend\nSee description of \"safe\" attribute below.").default("true"))
            .arg(Arg::optional("query_options", ArgType::Obj, "JSON with query options"))
            .result("[\n  {\n    \"txid\" : \"hex\",\n    \"vout\" : n,\n    \"address\" : \"str\",\n    \"label\" : \"str\",\n    \"scriptPubKey\" : \"str\",\n    \"amount\" : n,\n    \"confirmations\" : n,\n    \"spendable\" : true|false,\n    \"solvable\" : true|false,\n    \"safe\" : true|false\n  },\n  ...\n]")
            .example("hashvive-cli listunspent"),
    );
    table.register(
        Command::new("listreceivedbyaddress", "wallet", "List balances by receiving address.", method(manager, listreceivedbyaddress))
            .arg(Arg::optional("minconf", ArgType::Num, "The minimum number of confirmations before payments are included.").default("1"))
            .arg(Arg::optional("include_empty", ArgType::Bool, "Whether to include addresses that haven't received any payments.").default("false"))
            .arg(Arg::optional("include_watchonly", ArgType::Bool, "(DEPRECATED) No longer used").default("false"))
            .arg(Arg::optional("address_filter", ArgType::Str, "If present and non-empty, only return information on this address."))
            .arg(Arg::optional("include_immature_coinbase", ArgType::Bool, "Include immature coinbase transactions.").default("false"))
            .result("[                           (json array)\n  {                         (json object)\n    \"address\" : \"str\",      (string) The receiving address\n    \"amount\" : n,           (numeric) The total amount in BTC received by the address\n    \"confirmations\" : n,    (numeric) The number of confirmations of the most recent transaction included\n    \"label\" : \"str\",        (string) The label of the receiving address. The default label is \"\"\n    \"txids\" : [             (json array)\n      \"hex\",                (string) The ids of transactions received with the address\n      ...\n    ]\n  },\n  ...\n]")
            .example("hashvive-cli listreceivedbyaddress 6 true"),
    );
    table.register(
        Command::new("listreceivedbylabel", "wallet", "List received transactions by label.", method(manager, listreceivedbylabel))
            .arg(Arg::optional("minconf", ArgType::Num, "The minimum number of confirmations before payments are included.").default("1"))
            .arg(Arg::optional("include_empty", ArgType::Bool, "Whether to include labels that haven't received any payments.").default("false"))
            .arg(Arg::optional("include_watchonly", ArgType::Bool, "(DEPRECATED) No longer used").default("false"))
            .arg(Arg::optional("include_immature_coinbase", ArgType::Bool, "Include immature coinbase transactions.").default("false"))
            .result("[                        (json array)\n  {                      (json object)\n    \"amount\" : n,        (numeric) The total amount received by addresses with this label\n    \"confirmations\" : n, (numeric) The number of confirmations of the most recent transaction included\n    \"label\" : \"str\"      (string) The label of the receiving address. The default label is \"\"\n  },\n  ...\n]")
            .example("hashvive-cli listreceivedbylabel 6 true"),
    );
}

fn int_param(call: &Call, i: usize, default: i64) -> i64 {
    call.param(i).and_then(Value::as_i64).unwrap_or(default)
}

/// A wallet output as `listunspent`, balances and coin selection see it.
pub(super) struct Coin {
    pub(super) output: crate::ledger::WalletOutput,
    pub(super) confirmations: i64,
    coinbase: bool,
    /// Made by this wallet (spends its coins), so not at the mercy of others.
    from_me: bool,
}

impl Coin {
    pub(super) fn immature(&self) -> bool {
        self.coinbase && coinbase_immature(self.confirmations)
    }

    /// Ours to spend without trusting anyone else: confirmed, or from a
    /// transaction of our own (the reference's `CachedTxIsTrusted`).
    pub(super) fn trusted(&self) -> bool {
        self.confirmations > 0 || self.from_me
    }
}

pub(super) fn unspent(wallet: &Wallet) -> Vec<Coin> {
    let tip = wallet.last_block().height;
    let ledger = wallet.ledger();
    let outputs: Vec<_> = ledger.list_unspent().collect();
    // What each funding transaction is, from one pass over the wallet's
    // transactions: looking each up (`get_tx`) walks them all every time.
    let funding: HashSet<Txid> = outputs.iter().map(|o| o.outpoint.txid).collect();
    // Made by this wallet: every input spends one of its coins (the
    // reference's `IsFromMe` for trust, which a coinjoin does not pass).
    let ours =
        |o: &bitcoin::OutPoint| ledger.tx_graph().get_txout(*o).is_some_and(|t| ledger.is_mine(&t.script_pubkey));
    let kinds: HashMap<Txid, (bool, bool)> = ledger
        .transactions()
        .filter(|t| funding.contains(&t.tx_node.txid))
        .map(|t| {
            let tx = &t.tx_node.tx;
            let from_me = !tx.is_coinbase() && tx.input.iter().all(|i| ours(&i.previous_output));
            (t.tx_node.txid, (tx.is_coinbase(), from_me))
        })
        .collect();
    outputs
        .into_iter()
        .map(|output| {
            let (coinbase, from_me) = kinds.get(&output.outpoint.txid).copied().unwrap_or_default();
            Coin { confirmations: confirmations(tip, &output.chain_position), coinbase, from_me, output }
        })
        .collect()
}

/// The coins coin control offers: mature, in the wallet's view unspent,
/// largest first.
pub(crate) fn spendable_coins(wallet: &Wallet, network: bitcoin::Network) -> Vec<hashvive_interfaces::WalletCoin> {
    let mut coins: Vec<Coin> = unspent(wallet).into_iter().filter(|c| !c.immature()).collect();
    coins.sort_by_key(|c| (std::cmp::Reverse(c.output.txout.value), c.output.outpoint));
    coins
        .iter()
        .map(|c| {
            let address = Address::from_script(&c.output.txout.script_pubkey, network).ok();
            hashvive_interfaces::WalletCoin {
                txid: c.output.outpoint.txid.to_byte_array(),
                vout: c.output.outpoint.vout,
                amount: c.output.txout.value.to_sat() as i64,
                label: address.as_ref().and_then(|a| wallet.label(a)).unwrap_or_default().to_string(),
                address: address.map(|a| a.to_string()).unwrap_or_default(),
                confirmations: c.confirmations,
                locked: wallet.is_locked(&c.output.outpoint),
            }
        })
        .collect()
}

async fn getbalance(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    if call.param(0).is_some_and(|d| d.as_str() != Some("*")) {
        return Err(RpcError::new(
            codes::RPC_METHOD_DEPRECATED,
            "dummy first argument must be excluded or set to \"*\".",
        ));
    }
    let minconf = int_param(&call, 1, 0);
    let wallet = request_wallet(&m, &call).await?;
    let total: Amount = unspent(&wallet)
        .iter()
        .filter(|c| c.trusted() && !c.immature() && c.confirmations >= minconf)
        .map(|c| c.output.txout.value)
        .sum();
    Ok(amount_to_json(total))
}

/// The wallet's own coins by kind, as `getbalances` reports them under "mine".
pub(crate) struct Mine {
    pub(crate) trusted: Amount,
    pub(crate) untrusted_pending: Amount,
    pub(crate) immature: Amount,
}

pub(crate) fn mine(wallet: &Wallet) -> Mine {
    let coins = unspent(wallet);
    let sum =
        |f: &dyn Fn(&Coin) -> bool| -> Amount { coins.iter().filter(|c| f(c)).map(|c| c.output.txout.value).sum() };
    Mine {
        trusted: sum(&|c| c.trusted() && !c.immature()),
        untrusted_pending: sum(&|c| !c.trusted()),
        immature: sum(&|c| c.immature()),
    }
}

async fn getbalances(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let wallet = request_wallet(&m, &call).await?;
    let mine = mine(&wallet);
    Ok(json!({
        "mine": {
            "trusted": amount_to_json(mine.trusted),
            "untrusted_pending": amount_to_json(mine.untrusted_pending),
            "immature": amount_to_json(mine.immature),
        },
        "lastprocessedblock": last_processed_block(&wallet),
    }))
}

async fn getreceivedbyaddress(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let text = call.param(0).and_then(Value::as_str).unwrap_or_default();
    let address = address_for(m.options().network, text)
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Invalid Bitcoin address"))?;
    let minconf = int_param(&call, 1, 1);
    let include_immature = call.param(2).and_then(Value::as_bool).unwrap_or(false);
    let wallet = request_wallet(&m, &call).await?;
    let spk = address.script_pubkey();
    if !wallet.ledger().is_mine(&spk) {
        return Err(RpcError::new(codes::RPC_WALLET_ERROR, "Address not found in wallet"));
    }
    let received = tally(&wallet, minconf, include_immature).remove(&spk).map_or(Amount::ZERO, |r| r.amount);
    Ok(amount_to_json(received))
}

/// What one of the wallet's scripts received.
#[derive(Default)]
struct Received {
    amount: Amount,
    /// Of the least confirmed payment counted.
    confirmations: Option<i64>,
    /// Each payment's transaction, once per output paying the script.
    txids: Vec<Txid>,
}

/// What each of the wallet's scripts received in transactions with at least
/// `minconf` confirmations (the reference's `ListReceived` tally): coinbase
/// outputs count once confirmed and mature, or confirmed when
/// `include_immature`.
fn tally(wallet: &Wallet, minconf: i64, include_immature: bool) -> HashMap<ScriptBuf, Received> {
    let tip = wallet.last_block().height;
    let ledger = wallet.ledger();
    let mut txs: Vec<_> = ledger.transactions().collect();
    txs.sort_by_key(|t| t.tx_node.txid);
    let mut received: HashMap<ScriptBuf, Received> = HashMap::new();
    for t in txs {
        let depth = confirmations(tip, &t.chain_position);
        let tx = &t.tx_node.tx;
        let coinbase_counted = depth >= 1 && (include_immature || !coinbase_immature(depth));
        if depth < minconf || (tx.is_coinbase() && !coinbase_counted) {
            continue;
        }
        for output in tx.output.iter().filter(|o| ledger.is_mine(&o.script_pubkey)) {
            let entry = received.entry(output.script_pubkey.clone()).or_default();
            entry.amount += output.value;
            entry.confirmations = Some(entry.confirmations.map_or(depth, |c| c.min(depth)));
            entry.txids.push(t.tx_node.txid);
        }
    }
    received
}

/// The wallet's receiving addresses, in the reference's address book order
/// (by kind of address, then by the hash or key it pays to), with labels.
fn receiving_addresses(wallet: &Wallet, network: bitcoin::Network) -> Vec<(Address, String)> {
    let mut book: Vec<(Address, String)> = wallet
        .receive_addresses(network)
        .into_iter()
        .map(|address| {
            let label = wallet.label(&address).unwrap_or_default().to_string();
            (address, label)
        })
        .collect();
    // Labelled addresses of the wallet's own beyond those handed out.
    for (text, label) in wallet.labels() {
        let Some(address) = address_for(network, text) else { continue };
        let spk = address.script_pubkey();
        let ours = wallet.ledger().is_mine(&spk) && !wallet.is_change(&spk);
        if ours && !book.iter().any(|(a, _)| *a == address) {
            book.push((address, label.clone()));
        }
    }
    let rank = |a: &Address| match a.address_type() {
        Some(AddressType::P2pkh) => 0,
        Some(AddressType::P2sh) => 1,
        Some(AddressType::P2wsh) => 2,
        Some(AddressType::P2wpkh) => 3,
        Some(AddressType::P2tr) => 4,
        Some(AddressType::P2a) => 5,
        _ => 6,
    };
    book.sort_by_cached_key(|(a, _)| (rank(a), a.script_pubkey()));
    book
}

async fn listreceivedbyaddress(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let minconf = int_param(&call, 0, 1);
    let include_empty = call.param(1).and_then(Value::as_bool).unwrap_or(false);
    let network = m.options().network;
    let filter = match call.param(3).and_then(Value::as_str).filter(|f| !f.is_empty()) {
        None => None,
        Some(text) => Some(
            address_for(network, text)
                .ok_or_else(|| RpcError::new(codes::RPC_WALLET_ERROR, "address_filter parameter was invalid"))?,
        ),
    };
    let include_immature = call.param(4).and_then(Value::as_bool).unwrap_or(false);
    let wallet = request_wallet(&m, &call).await?;
    let mut received = tally(&wallet, minconf, include_immature);
    let rows: Vec<Value> = receiving_addresses(&wallet, network)
        .into_iter()
        .filter(|(a, _)| filter.as_ref().is_none_or(|f| f == a))
        .filter_map(|(address, label)| {
            let r = received.remove(&address.script_pubkey());
            if r.is_none() && !include_empty {
                return None;
            }
            let r = r.unwrap_or_default();
            Some(json!({
                "address": address.to_string(),
                "amount": amount_to_json(r.amount),
                "confirmations": r.confirmations.unwrap_or(0),
                "label": label,
                "txids": r.txids.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
            }))
        })
        .collect();
    Ok(Value::Array(rows))
}

async fn listreceivedbylabel(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let minconf = int_param(&call, 0, 1);
    let include_empty = call.param(1).and_then(Value::as_bool).unwrap_or(false);
    let include_immature = call.param(3).and_then(Value::as_bool).unwrap_or(false);
    let wallet = request_wallet(&m, &call).await?;
    let mut received = tally(&wallet, minconf, include_immature);
    let mut by_label: BTreeMap<String, Option<(Amount, Option<i64>)>> = BTreeMap::new();
    for (address, label) in receiving_addresses(&wallet, m.options().network) {
        let slot = by_label.entry(label).or_default();
        if let Some(r) = received.remove(&address.script_pubkey()) {
            let (amount, confirmations) = slot.get_or_insert((Amount::ZERO, None));
            *amount += r.amount;
            *confirmations = match (*confirmations, r.confirmations) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }
    let rows: Vec<Value> = by_label
        .into_iter()
        .filter(|(_, r)| r.is_some() || include_empty)
        .map(|(label, r)| {
            let (amount, confirmations) = r.unwrap_or_default();
            json!({ "amount": amount_to_json(amount), "confirmations": confirmations.unwrap_or(0), "label": label })
        })
        .collect();
    Ok(Value::Array(rows))
}

async fn getwalletinfo(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let wallet = request_wallet(&m, &call).await?;
    let scanning = match m.scan(wallet.name()) {
        Some(scan) => json!({ "duration": scan.started.elapsed().as_secs(), "progress": scan.progress() }),
        None => json!(false),
    };
    let ledger = wallet.ledger();
    // Addresses derived ahead of use in the active descriptors, as the
    // reference's keypool.
    let keypool = |internal: bool| -> u32 {
        wallet
            .descriptors()
            .iter()
            .filter(|(_, d)| d.active && d.internal == internal)
            .map(|(id, _)| {
                let revealed = ledger.last_revealed(*id).map_or(0, |i| i + 1);
                let used = ledger.last_used(*id).map_or(0, |i| i + 1);
                revealed.saturating_sub(used) + ledger.lookahead()
            })
            .sum()
    };
    let mut info = json!({
        "walletname": wallet.name(),
        "walletversion": 169900,
        "format": "sqlite",
        "txcount": ledger.transactions().count(),
        "keypoolsize": keypool(false),
        "keypoolsize_hd_internal": keypool(true),
    });
    if wallet.is_encrypted() {
        info["unlocked_until"] = json!(wallet.unlocked_until());
    }
    let rest = json!({
        "paytxfee": amount_to_json(Amount::from_sat(wallet.pay_tx_fee())),
        "private_keys_enabled": !wallet.private_keys_disabled(),
        "avoid_reuse": false,
        "scanning": scanning,
        "descriptors": true,
        "external_signer": false,
        "blank": wallet.is_blank(),
        "lastprocessedblock": last_processed_block(&wallet),
    });
    if let (Some(info), Value::Object(rest)) = (info.as_object_mut(), rest) {
        info.extend(rest);
    }
    Ok(info)
}

async fn listunspent(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let minconf = int_param(&call, 0, 1);
    let maxconf = int_param(&call, 1, 9_999_999);
    let network = m.options().network;
    let mut filter = Vec::new();
    for a in call.param(2).and_then(Value::as_array).into_iter().flatten() {
        let text = a.as_str().unwrap_or_default();
        let address = address_for(network, text).ok_or_else(|| {
            RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, format!("Invalid Bitcoin address: {text}"))
        })?;
        if filter.contains(&address.script_pubkey()) {
            return Err(RpcError::invalid_parameter(format!("Invalid parameter, duplicated address: {text}")));
        }
        filter.push(address.script_pubkey());
    }
    let include_unsafe = call.param(3).and_then(Value::as_bool).unwrap_or(true);
    let wallet = request_wallet(&m, &call).await?;
    let mut coins = unspent(&wallet);
    coins.sort_by_key(|c| (std::cmp::Reverse(c.confirmations), c.output.outpoint));
    let list: Vec<Value> = coins
        .iter()
        .filter(|c| (minconf..=maxconf).contains(&c.confirmations) && !c.immature())
        .filter(|c| !wallet.is_locked(&c.output.outpoint))
        .filter(|c| filter.is_empty() || filter.contains(&c.output.txout.script_pubkey))
        .filter(|c| include_unsafe || c.trusted())
        .map(|c| {
            let spk = &c.output.txout.script_pubkey;
            let mut entry = json!({ "txid": c.output.outpoint.txid.to_string(), "vout": c.output.outpoint.vout });
            if let Ok(address) = Address::from_script(spk, network) {
                entry["address"] = json!(address.to_string());
                if let Some(label) = wallet.label(&address) {
                    entry["label"] = json!(label);
                }
            }
            entry["scriptPubKey"] = json!(spk.to_hex_string());
            entry["amount"] = amount_to_json(c.output.txout.value);
            entry["confirmations"] = json!(c.confirmations);
            entry["spendable"] = json!(true);
            entry["solvable"] = json!(true);
            entry["safe"] = json!(c.trusted());
            entry
        })
        .collect();
    Ok(Value::Array(list))
}
