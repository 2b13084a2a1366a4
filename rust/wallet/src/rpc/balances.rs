//! What the wallet holds: `getbalance`, `getbalances`, `getwalletinfo`,
//! `listunspent`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bdk_wallet::KeychainKind;
use bitcoin::{Address, Amount, Txid};
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
}

fn int_param(call: &Call, i: usize, default: i64) -> i64 {
    call.param(i).and_then(Value::as_i64).unwrap_or(default)
}

/// A wallet output as `listunspent`, balances and coin selection see it.
pub(super) struct Coin {
    pub(super) output: bdk_wallet::LocalOutput,
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
    let bdk = wallet.bdk();
    let outputs: Vec<_> = bdk.list_unspent().collect();
    // What each funding transaction is, from one pass over the wallet's
    // transactions: looking each up (`get_tx`) walks them all every time.
    let funding: HashSet<Txid> = outputs.iter().map(|o| o.outpoint.txid).collect();
    let kinds: HashMap<Txid, (bool, bool)> = bdk
        .transactions()
        .filter(|t| funding.contains(&t.tx_node.txid))
        .map(|t| {
            let tx = &t.tx_node.tx;
            (t.tx_node.txid, (tx.is_coinbase(), bdk.sent_and_received(tx).0 > Amount::ZERO))
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

async fn getbalances(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let wallet = request_wallet(&m, &call).await?;
    let coins = unspent(&wallet);
    let sum =
        |f: &dyn Fn(&Coin) -> bool| -> Amount { coins.iter().filter(|c| f(c)).map(|c| c.output.txout.value).sum() };
    Ok(json!({
        "mine": {
            "trusted": amount_to_json(sum(&|c| c.trusted() && !c.immature())),
            "untrusted_pending": amount_to_json(sum(&|c| !c.trusted())),
            "immature": amount_to_json(sum(&|c| c.immature())),
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
    let bdk = wallet.bdk();
    let spk = address.script_pubkey();
    if !bdk.is_mine(spk.clone()) {
        return Err(RpcError::new(codes::RPC_WALLET_ERROR, "Address not found in wallet"));
    }
    let tip = wallet.last_block().height;
    let received: Amount = bdk
        .transactions()
        .filter_map(|t| {
            let depth = confirmations(tip, &t.chain_position);
            let tx = &t.tx_node.tx;
            // Coinbase outputs count once mature, or always when asked.
            let coinbase_counted = depth >= 1 && (include_immature || !coinbase_immature(depth));
            let counted = depth >= minconf && (!tx.is_coinbase() || coinbase_counted);
            counted.then(|| tx.output.iter().filter(|o| o.script_pubkey == spk).map(|o| o.value).sum::<Amount>())
        })
        .sum();
    Ok(amount_to_json(received))
}

async fn getwalletinfo(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let wallet = request_wallet(&m, &call).await?;
    let bdk = wallet.bdk();
    // Addresses derived ahead of use, as the reference's keypool.
    let lookahead = |k| {
        let revealed = bdk.derivation_index(k).map_or(0, |i| i + 1);
        let used = bdk.spk_index().last_used_index(k).map_or(0, |i| i + 1);
        revealed.saturating_sub(used) + bdk.spk_index().lookahead()
    };
    let mut info = json!({
        "walletname": wallet.name(),
        "walletversion": 169900,
        "format": "sqlite",
        "txcount": bdk.transactions().count(),
        "keypoolsize": lookahead(KeychainKind::External),
        "keypoolsize_hd_internal": lookahead(KeychainKind::Internal),
    });
    if wallet.is_encrypted() {
        info["unlocked_until"] = json!(wallet.unlocked_until());
    }
    let rest = json!({
        "paytxfee": amount_to_json(Amount::from_sat(wallet.pay_tx_fee())),
        "private_keys_enabled": true,
        "avoid_reuse": false,
        "scanning": false,
        "descriptors": true,
        "external_signer": false,
        "blank": false,
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
