//! How `hashvive-cli` turns command-line words into JSON parameters.
//!
//! Every word is sent as a string unless the method's parameter is listed here
//! as JSON (numbers, booleans, arrays, objects). The list is a protocol fact the
//! reference client and server agree on, so existing scripts keep working.
//! Parameters listed as [`Format::Str`] are strings that may contain `=`, which
//! `-named` must not split.

use serde_json::{Map, Value};

use crate::error::RpcError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Parsed as JSON; invalid JSON is an error.
    Json,
    /// Parsed as JSON when it is valid JSON, else passed as a string.
    JsonOrStr,
    /// Always a string.
    Str,
}

use Format::{Json, JsonOrStr, Str};

/// (method, position, name, format)
const PARAMS: &[(&str, usize, &str, Format)] = &[
    ("setmocktime", 0, "timestamp", Json),
    ("mockscheduler", 0, "delta_time", Json),
    ("utxoupdatepsbt", 0, "psbt", Str),
    ("utxoupdatepsbt", 1, "descriptors", Json),
    ("generatetoaddress", 0, "nblocks", Json),
    ("generatetoaddress", 2, "maxtries", Json),
    ("generatetodescriptor", 0, "num_blocks", Json),
    ("generatetodescriptor", 2, "maxtries", Json),
    ("generateblock", 1, "transactions", Json),
    ("generateblock", 2, "submit", Json),
    ("getnetworkhashps", 0, "nblocks", Json),
    ("getnetworkhashps", 1, "height", Json),
    ("sendtoaddress", 0, "address", Str),
    ("sendtoaddress", 1, "amount", Json),
    ("sendtoaddress", 2, "comment", Str),
    ("sendtoaddress", 3, "comment_to", Str),
    ("sendtoaddress", 4, "subtractfeefromamount", Json),
    ("sendtoaddress", 5, "replaceable", Json),
    ("sendtoaddress", 6, "conf_target", Json),
    ("sendtoaddress", 7, "estimate_mode", Str),
    ("sendtoaddress", 8, "avoid_reuse", Json),
    ("sendtoaddress", 9, "fee_rate", Json),
    ("sendtoaddress", 10, "verbose", Json),
    ("settxfee", 0, "amount", Json),
    ("getreceivedbyaddress", 1, "minconf", Json),
    ("getreceivedbyaddress", 2, "include_immature_coinbase", Json),
    ("getreceivedbylabel", 0, "label", Str),
    ("getreceivedbylabel", 1, "minconf", Json),
    ("getreceivedbylabel", 2, "include_immature_coinbase", Json),
    ("listreceivedbyaddress", 0, "minconf", Json),
    ("listreceivedbyaddress", 1, "include_empty", Json),
    ("listreceivedbyaddress", 2, "include_watchonly", Json),
    ("listreceivedbyaddress", 4, "include_immature_coinbase", Json),
    ("listreceivedbylabel", 0, "minconf", Json),
    ("listreceivedbylabel", 1, "include_empty", Json),
    ("listreceivedbylabel", 2, "include_watchonly", Json),
    ("listreceivedbylabel", 3, "include_immature_coinbase", Json),
    ("getbalance", 1, "minconf", Json),
    ("getbalance", 2, "include_watchonly", Json),
    ("getbalance", 3, "avoid_reuse", Json),
    ("getblockfrompeer", 1, "peer_id", Json),
    ("getblockhash", 0, "height", Json),
    ("waitforblockheight", 0, "height", Json),
    ("waitforblockheight", 1, "timeout", Json),
    ("waitforblock", 1, "timeout", Json),
    ("waitfornewblock", 0, "timeout", Json),
    ("listtransactions", 0, "label", Str),
    ("listtransactions", 1, "count", Json),
    ("listtransactions", 2, "skip", Json),
    ("listtransactions", 3, "include_watchonly", Json),
    ("walletpassphrase", 0, "passphrase", Str),
    ("walletpassphrase", 1, "timeout", Json),
    ("getblocktemplate", 0, "template_request", Json),
    ("listsinceblock", 0, "blockhash", Str),
    ("listsinceblock", 1, "target_confirmations", Json),
    ("listsinceblock", 2, "include_watchonly", Json),
    ("listsinceblock", 3, "include_removed", Json),
    ("listsinceblock", 4, "include_change", Json),
    ("listsinceblock", 5, "label", Str),
    ("sendmany", 0, "dummy", Str),
    ("sendmany", 1, "amounts", Json),
    ("sendmany", 2, "minconf", Json),
    ("sendmany", 3, "comment", Str),
    ("sendmany", 4, "subtractfeefrom", Json),
    ("sendmany", 5, "replaceable", Json),
    ("sendmany", 6, "conf_target", Json),
    ("sendmany", 7, "estimate_mode", Str),
    ("sendmany", 8, "fee_rate", Json),
    ("sendmany", 9, "verbose", Json),
    ("deriveaddresses", 1, "range", Json),
    ("scanblocks", 1, "scanobjects", Json),
    ("scanblocks", 2, "start_height", Json),
    ("scanblocks", 3, "stop_height", Json),
    ("scanblocks", 5, "options", Json),
    ("scanblocks", 5, "filter_false_positives", Json),
    ("getdescriptoractivity", 0, "blockhashes", Json),
    ("getdescriptoractivity", 1, "scanobjects", Json),
    ("getdescriptoractivity", 2, "include_mempool", Json),
    ("scantxoutset", 1, "scanobjects", Json),
    ("createmultisig", 0, "nrequired", Json),
    ("createmultisig", 1, "keys", Json),
    ("listunspent", 0, "minconf", Json),
    ("listunspent", 1, "maxconf", Json),
    ("listunspent", 2, "addresses", Json),
    ("listunspent", 3, "include_unsafe", Json),
    ("listunspent", 4, "query_options", Json),
    ("listunspent", 4, "minimumAmount", Json),
    ("listunspent", 4, "maximumAmount", Json),
    ("listunspent", 4, "maximumCount", Json),
    ("listunspent", 4, "minimumSumAmount", Json),
    ("listunspent", 4, "include_immature_coinbase", Json),
    ("getblock", 1, "verbosity", Json),
    ("getblock", 1, "verbose", Json),
    ("getblockheader", 1, "verbose", Json),
    ("getchaintxstats", 0, "nblocks", Json),
    ("gettransaction", 1, "include_watchonly", Json),
    ("gettransaction", 2, "verbose", Json),
    ("getrawtransaction", 1, "verbosity", Json),
    ("getrawtransaction", 1, "verbose", Json),
    ("createrawtransaction", 0, "inputs", Json),
    ("createrawtransaction", 1, "outputs", Json),
    ("createrawtransaction", 2, "locktime", Json),
    ("createrawtransaction", 3, "replaceable", Json),
    ("createrawtransaction", 4, "version", Json),
    ("decoderawtransaction", 1, "iswitness", Json),
    ("signrawtransactionwithkey", 1, "privkeys", Json),
    ("signrawtransactionwithkey", 2, "prevtxs", Json),
    ("signrawtransactionwithwallet", 1, "prevtxs", Json),
    ("sendrawtransaction", 1, "maxfeerate", Json),
    ("sendrawtransaction", 2, "maxburnamount", Json),
    ("testmempoolaccept", 0, "rawtxs", Json),
    ("testmempoolaccept", 1, "maxfeerate", Json),
    ("submitpackage", 0, "package", Json),
    ("submitpackage", 1, "maxfeerate", Json),
    ("submitpackage", 2, "maxburnamount", Json),
    ("combinerawtransaction", 0, "txs", Json),
    ("fundrawtransaction", 1, "options", Json),
    ("fundrawtransaction", 1, "add_inputs", Json),
    ("fundrawtransaction", 1, "include_unsafe", Json),
    ("fundrawtransaction", 1, "minconf", Json),
    ("fundrawtransaction", 1, "maxconf", Json),
    ("fundrawtransaction", 1, "changePosition", Json),
    ("fundrawtransaction", 1, "includeWatching", Json),
    ("fundrawtransaction", 1, "lockUnspents", Json),
    ("fundrawtransaction", 1, "fee_rate", Json),
    ("fundrawtransaction", 1, "feeRate", Json),
    ("fundrawtransaction", 1, "subtractFeeFromOutputs", Json),
    ("fundrawtransaction", 1, "input_weights", Json),
    ("fundrawtransaction", 1, "conf_target", Json),
    ("fundrawtransaction", 1, "replaceable", Json),
    ("fundrawtransaction", 1, "solving_data", Json),
    ("fundrawtransaction", 1, "max_tx_weight", Json),
    ("fundrawtransaction", 2, "iswitness", Json),
    ("walletcreatefundedpsbt", 0, "inputs", Json),
    ("walletcreatefundedpsbt", 1, "outputs", Json),
    ("walletcreatefundedpsbt", 2, "locktime", Json),
    ("walletcreatefundedpsbt", 3, "options", Json),
    ("walletcreatefundedpsbt", 3, "add_inputs", Json),
    ("walletcreatefundedpsbt", 3, "include_unsafe", Json),
    ("walletcreatefundedpsbt", 3, "minconf", Json),
    ("walletcreatefundedpsbt", 3, "maxconf", Json),
    ("walletcreatefundedpsbt", 3, "changePosition", Json),
    ("walletcreatefundedpsbt", 3, "includeWatching", Json),
    ("walletcreatefundedpsbt", 3, "lockUnspents", Json),
    ("walletcreatefundedpsbt", 3, "fee_rate", Json),
    ("walletcreatefundedpsbt", 3, "feeRate", Json),
    ("walletcreatefundedpsbt", 3, "subtractFeeFromOutputs", Json),
    ("walletcreatefundedpsbt", 3, "conf_target", Json),
    ("walletcreatefundedpsbt", 3, "replaceable", Json),
    ("walletcreatefundedpsbt", 3, "solving_data", Json),
    ("walletcreatefundedpsbt", 3, "max_tx_weight", Json),
    ("walletcreatefundedpsbt", 4, "bip32derivs", Json),
    ("walletcreatefundedpsbt", 5, "version", Json),
    ("walletprocesspsbt", 0, "psbt", Str),
    ("walletprocesspsbt", 1, "sign", Json),
    ("walletprocesspsbt", 2, "sighashtype", Str),
    ("walletprocesspsbt", 3, "bip32derivs", Json),
    ("walletprocesspsbt", 4, "finalize", Json),
    ("descriptorprocesspsbt", 0, "psbt", Str),
    ("descriptorprocesspsbt", 1, "descriptors", Json),
    ("descriptorprocesspsbt", 2, "sighashtype", Str),
    ("descriptorprocesspsbt", 3, "bip32derivs", Json),
    ("descriptorprocesspsbt", 4, "finalize", Json),
    ("createpsbt", 0, "inputs", Json),
    ("createpsbt", 1, "outputs", Json),
    ("createpsbt", 2, "locktime", Json),
    ("createpsbt", 3, "replaceable", Json),
    ("createpsbt", 4, "version", Json),
    ("combinepsbt", 0, "txs", Json),
    ("joinpsbts", 0, "txs", Json),
    ("finalizepsbt", 0, "psbt", Str),
    ("finalizepsbt", 1, "extract", Json),
    ("converttopsbt", 1, "permitsigdata", Json),
    ("converttopsbt", 2, "iswitness", Json),
    ("gettxout", 1, "n", Json),
    ("gettxout", 2, "include_mempool", Json),
    ("gettxoutproof", 0, "txids", Json),
    ("gettxoutsetinfo", 1, "hash_or_height", JsonOrStr),
    ("gettxoutsetinfo", 2, "use_index", Json),
    ("dumptxoutset", 0, "path", Str),
    ("dumptxoutset", 1, "type", Str),
    ("dumptxoutset", 2, "options", Json),
    ("dumptxoutset", 2, "rollback", JsonOrStr),
    ("lockunspent", 0, "unlock", Json),
    ("lockunspent", 1, "transactions", Json),
    ("lockunspent", 2, "persistent", Json),
    ("send", 0, "outputs", Json),
    ("send", 1, "conf_target", Json),
    ("send", 3, "fee_rate", Json),
    ("send", 4, "options", Json),
    ("send", 4, "add_inputs", Json),
    ("send", 4, "include_unsafe", Json),
    ("send", 4, "minconf", Json),
    ("send", 4, "maxconf", Json),
    ("send", 4, "add_to_wallet", Json),
    ("send", 4, "change_position", Json),
    ("send", 4, "fee_rate", Json),
    ("send", 4, "include_watching", Json),
    ("send", 4, "inputs", Json),
    ("send", 4, "locktime", Json),
    ("send", 4, "lock_unspents", Json),
    ("send", 4, "psbt", Json),
    ("send", 4, "subtract_fee_from_outputs", Json),
    ("send", 4, "conf_target", Json),
    ("send", 4, "replaceable", Json),
    ("send", 4, "solving_data", Json),
    ("send", 4, "max_tx_weight", Json),
    ("send", 5, "version", Json),
    ("sendall", 0, "recipients", Json),
    ("sendall", 1, "conf_target", Json),
    ("sendall", 3, "fee_rate", Json),
    ("sendall", 4, "options", Json),
    ("sendall", 4, "add_to_wallet", Json),
    ("sendall", 4, "fee_rate", Json),
    ("sendall", 4, "include_watching", Json),
    ("sendall", 4, "inputs", Json),
    ("sendall", 4, "locktime", Json),
    ("sendall", 4, "lock_unspents", Json),
    ("sendall", 4, "psbt", Json),
    ("sendall", 4, "send_max", Json),
    ("sendall", 4, "minconf", Json),
    ("sendall", 4, "maxconf", Json),
    ("sendall", 4, "conf_target", Json),
    ("sendall", 4, "replaceable", Json),
    ("sendall", 4, "solving_data", Json),
    ("sendall", 4, "version", Json),
    ("simulaterawtransaction", 0, "rawtxs", Json),
    ("simulaterawtransaction", 1, "options", Json),
    ("simulaterawtransaction", 1, "include_watchonly", Json),
    ("importmempool", 0, "filepath", Str),
    ("importmempool", 1, "options", Json),
    ("importmempool", 1, "apply_fee_delta_priority", Json),
    ("importmempool", 1, "use_current_time", Json),
    ("importmempool", 1, "apply_unbroadcast_set", Json),
    ("importdescriptors", 0, "requests", Json),
    ("listdescriptors", 0, "private", Json),
    ("verifychain", 0, "checklevel", Json),
    ("verifychain", 1, "nblocks", Json),
    ("getblockstats", 0, "hash_or_height", JsonOrStr),
    ("getblockstats", 1, "stats", Json),
    ("pruneblockchain", 0, "height", Json),
    ("keypoolrefill", 0, "newsize", Json),
    ("getrawmempool", 0, "verbose", Json),
    ("getrawmempool", 1, "mempool_sequence", Json),
    ("getorphantxs", 0, "verbosity", Json),
    ("estimatesmartfee", 0, "conf_target", Json),
    ("estimaterawfee", 0, "conf_target", Json),
    ("estimaterawfee", 1, "threshold", Json),
    ("prioritisetransaction", 1, "dummy", Json),
    ("prioritisetransaction", 2, "fee_delta", Json),
    ("setban", 2, "bantime", Json),
    ("setban", 3, "absolute", Json),
    ("setnetworkactive", 0, "state", Json),
    ("setwalletflag", 1, "value", Json),
    ("getmempoolancestors", 1, "verbose", Json),
    ("getmempooldescendants", 1, "verbose", Json),
    ("gettxspendingprevout", 0, "outputs", Json),
    ("bumpfee", 1, "options", Json),
    ("bumpfee", 1, "conf_target", Json),
    ("bumpfee", 1, "fee_rate", Json),
    ("bumpfee", 1, "replaceable", Json),
    ("bumpfee", 1, "outputs", Json),
    ("bumpfee", 1, "original_change_index", Json),
    ("psbtbumpfee", 1, "options", Json),
    ("psbtbumpfee", 1, "conf_target", Json),
    ("psbtbumpfee", 1, "fee_rate", Json),
    ("psbtbumpfee", 1, "replaceable", Json),
    ("psbtbumpfee", 1, "outputs", Json),
    ("psbtbumpfee", 1, "original_change_index", Json),
    ("logging", 0, "include", Json),
    ("logging", 1, "exclude", Json),
    ("disconnectnode", 1, "nodeid", Json),
    ("gethdkeys", 0, "active_only", Json),
    ("gethdkeys", 0, "options", Json),
    ("gethdkeys", 0, "private", Json),
    ("createwalletdescriptor", 1, "options", Json),
    ("createwalletdescriptor", 1, "internal", Json),
    ("echojson", 0, "arg0", Json),
    ("echojson", 1, "arg1", Json),
    ("echojson", 2, "arg2", Json),
    ("echojson", 3, "arg3", Json),
    ("echojson", 4, "arg4", Json),
    ("echojson", 5, "arg5", Json),
    ("echojson", 6, "arg6", Json),
    ("echojson", 7, "arg7", Json),
    ("echojson", 8, "arg8", Json),
    ("echojson", 9, "arg9", Json),
    ("rescanblockchain", 0, "start_height", Json),
    ("rescanblockchain", 1, "stop_height", Json),
    ("createwallet", 0, "wallet_name", Str),
    ("createwallet", 1, "disable_private_keys", Json),
    ("createwallet", 2, "blank", Json),
    ("createwallet", 3, "passphrase", Str),
    ("createwallet", 4, "avoid_reuse", Json),
    ("createwallet", 5, "descriptors", Json),
    ("createwallet", 6, "load_on_startup", Json),
    ("createwallet", 7, "external_signer", Json),
    ("restorewallet", 0, "wallet_name", Str),
    ("restorewallet", 1, "backup_file", Str),
    ("restorewallet", 2, "load_on_startup", Json),
    ("loadwallet", 0, "filename", Str),
    ("loadwallet", 1, "load_on_startup", Json),
    ("unloadwallet", 0, "wallet_name", Str),
    ("unloadwallet", 1, "load_on_startup", Json),
    ("getnodeaddresses", 0, "count", Json),
    ("addpeeraddress", 1, "port", Json),
    ("addpeeraddress", 2, "tried", Json),
    ("sendmsgtopeer", 0, "peer_id", Json),
    ("stop", 0, "wait", Json),
    ("addnode", 2, "v2transport", Json),
    ("addconnection", 2, "v2transport", Json),
    ("decodepsbt", 0, "psbt", Str),
    ("analyzepsbt", 0, "psbt", Str),
    ("verifymessage", 1, "signature", Str),
    ("verifymessage", 2, "message", Str),
    ("getnewaddress", 0, "label", Str),
    ("getnewaddress", 1, "address_type", Str),
    ("backupwallet", 0, "destination", Str),
    ("echoipc", 0, "arg", Str),
    ("encryptwallet", 0, "passphrase", Str),
    ("getaddressesbylabel", 0, "label", Str),
    ("loadtxoutset", 0, "path", Str),
    ("migratewallet", 0, "wallet_name", Str),
    ("migratewallet", 1, "passphrase", Str),
    ("setlabel", 1, "label", Str),
    ("signmessage", 1, "message", Str),
    ("signmessagewithprivkey", 1, "message", Str),
    ("walletpassphrasechange", 0, "oldpassphrase", Str),
    ("walletpassphrasechange", 1, "newpassphrase", Str),
];

fn by_position(method: &str, pos: usize) -> Option<Format> {
    PARAMS.iter().find(|p| p.0 == method && p.1 == pos).map(|p| p.3)
}

fn by_name(method: &str, name: &str) -> Option<Format> {
    PARAMS.iter().find(|p| p.0 == method && p.2 == name).map(|p| p.3)
}

fn parse(raw: &str, format: Option<Format>) -> Result<Value, RpcError> {
    match format {
        Some(Json) => serde_json::from_str(raw).map_err(|_| RpcError::misc(format!("Error parsing JSON: {raw}"))),
        Some(JsonOrStr) => Ok(serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_string()))),
        Some(Str) | None => Ok(Value::String(raw.to_string())),
    }
}

/// Positional parameters for `method` from command-line words.
pub fn convert_positional(method: &str, words: &[String]) -> Result<Value, RpcError> {
    let params = words.iter().enumerate().map(|(i, w)| parse(w, by_position(method, i))).collect::<Result<_, _>>()?;
    Ok(Value::Array(params))
}

/// Named parameters for `method` from `name=value` words (`-named`). Words
/// without `=` are positional and travel in `args`. A word whose name is not a
/// parameter of the method is taken as positional when the next positional
/// parameter is a string, or JSON that parses, so `createwallet "my=wallet"`
/// does what it says.
pub fn convert_named(method: &str, words: &[String]) -> Result<Value, RpcError> {
    let mut named = Map::new();
    let mut positional = Vec::new();
    for word in words {
        let Some((name, value)) = word.split_once('=') else {
            positional.push(parse(word, by_position(method, positional.len()))?);
            continue;
        };
        let format = by_name(method, name);
        if format.is_none() {
            match by_position(method, positional.len()) {
                Some(Json) => {
                    if let Ok(v) = serde_json::from_str::<Value>(word) {
                        positional.push(v);
                        continue;
                    }
                }
                Some(Str) => {
                    positional.push(Value::String(word.clone()));
                    continue;
                }
                _ => {}
            }
        }
        named.insert(name.to_string(), parse(value, format)?);
    }
    if !positional.is_empty() && !named.contains_key("args") {
        named.insert("args".to_string(), Value::Array(positional));
    }
    Ok(Value::Object(named))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn positional_conversion() {
        assert_eq!(convert_positional("getblockhash", &words(&["5"])).unwrap(), json!([5]));
        assert_eq!(convert_positional("echo", &words(&["5", "[1]"])).unwrap(), json!(["5", "[1]"]));
        assert_eq!(convert_positional("echojson", &words(&["[1,{\"a\":true}]"])).unwrap(), json!([[1, {"a": true}]]));
        assert_eq!(convert_positional("getblockstats", &words(&["00ab"])).unwrap(), json!(["00ab"]));
        let e = convert_positional("getblockhash", &words(&["x"])).unwrap_err();
        assert_eq!(e.message, "Error parsing JSON: x");
    }

    #[test]
    fn named_conversion() {
        assert_eq!(
            convert_named("logging", &words(&["include=[\"net\"]", "exclude=[]"])).unwrap(),
            json!({"include": ["net"], "exclude": []})
        );
        assert_eq!(convert_named("createwallet", &words(&["my=wallet"])).unwrap(), json!({"args": ["my=wallet"]}));
        assert_eq!(convert_named("echo", &words(&["a", "arg1=b"])).unwrap(), json!({"arg1": "b", "args": ["a"]}));
    }
}
