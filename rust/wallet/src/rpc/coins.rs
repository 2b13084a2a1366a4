//! Coins held back from spending: `lockunspent`, `listlockunspent`.

use std::sync::Arc;

use bitcoin::OutPoint;
use serde_json::{json, Value};

use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{method, request_wallet};
use crate::manager::WalletManager;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("lockunspent", "wallet", "Updates list of temporarily unspendable outputs.\nTemporarily lock (unlock=false) or unlock (unlock=true) specified transaction outputs.\nIf no transaction outputs are specified when unlocking then all current locked transaction outputs are unlocked.\nA locked transaction output will not be chosen by automatic coin selection, when spending bitcoins.\nManually selected coins are automatically unlocked.\nLocks are stored in memory only, unless persistent=true, in which case they will be written to the\nwallet database and loaded on node start. Unwritten (persistent=false) locks are always cleared\n(by virtue of process exit) when a node stops or fails. Unlocking will clear both persistent and not persistent locks.", method(manager, lockunspent))
            .arg(Arg::required("unlock", ArgType::Bool, "Whether to unlock (true) or lock (false) the specified transactions"))
            .arg(Arg::optional("transactions", ArgType::Arr, "The transaction outputs and within each, the txid (string) vout (numeric).").default("[]"))
            .arg(Arg::optional("persistent", ArgType::Bool, "Whether to write/erase this lock in the wallet database, or keep the change in memory only. Ignored for unlocking.").default("false"))
            .result("true|false    (boolean) Whether the command was successful or not")
            .example("hashvive-cli lockunspent false \"[{\\\"txid\\\":\\\"a08e6907dbbd3d809776dbfc5d82e371b764ed838b5655e72f463568df1aadf0\\\",\\\"vout\\\":1}]\""),
    );
    table.register(
        Command::new("listlockunspent", "wallet", "Returns list of temporarily unspendable outputs.\nSee the lockunspent call to lock and unlock transactions for spending.", method(manager, listlockunspent))
            .result("[\n  {\n    \"txid\" : \"hex\",\n    \"vout\" : n\n  },\n  ...\n]")
            .example("hashvive-cli listlockunspent"),
    );
}

/// A `{"txid": …, "vout": …}` object, checked as the reference checks it.
pub(super) fn outpoint(entry: &Value) -> Result<OutPoint, RpcError> {
    let object = entry.as_object().ok_or_else(|| RpcError::type_error("Expected type object"))?;
    let text = object.get("txid").and_then(Value::as_str).ok_or_else(|| RpcError::type_error("Missing txid"))?;
    let txid = super::parse_txid(text)?;
    let vout = object.get("vout").and_then(Value::as_i64).ok_or_else(|| RpcError::type_error("Missing vout"))?;
    let vout =
        u32::try_from(vout).map_err(|_| RpcError::invalid_parameter("Invalid parameter, vout cannot be negative"))?;
    Ok(OutPoint { txid, vout })
}

async fn lockunspent(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let unlock = call.param(0).and_then(Value::as_bool).unwrap_or(false);
    let entries = call.param(1).and_then(Value::as_array).cloned().unwrap_or_default();
    let persistent = call.param(2).and_then(Value::as_bool).unwrap_or(false);
    let mut wallet = request_wallet(&m, &call).await?;
    if unlock && call.param(1).is_none_or(Value::is_null) {
        let all: Vec<OutPoint> = wallet.locked_coins().copied().collect();
        for coin in &all {
            wallet.unlock_coin(coin)?;
        }
        return Ok(json!(true));
    }
    // Every coin is checked before any changes, as the reference does.
    let mut coins = Vec::new();
    for entry in &entries {
        let coin = outpoint(entry)?;
        let tx = wallet
            .ledger()
            .get_tx(coin.txid)
            .ok_or_else(|| RpcError::invalid_parameter("Invalid parameter, unknown transaction"))?;
        if coin.vout as usize >= tx.tx_node.tx.output.len() {
            return Err(RpcError::invalid_parameter("Invalid parameter, vout index out of bounds"));
        }
        if !unlock && wallet.ledger().get_utxo(coin).is_none() {
            return Err(RpcError::invalid_parameter("Invalid parameter, expected unspent output"));
        }
        match (unlock, wallet.is_locked(&coin)) {
            (false, true) => return Err(RpcError::invalid_parameter("Invalid parameter, output already locked")),
            (true, false) => return Err(RpcError::invalid_parameter("Invalid parameter, expected locked output")),
            _ => coins.push(coin),
        }
    }
    for coin in coins {
        match unlock {
            true => {
                wallet.unlock_coin(&coin)?;
            }
            false => wallet.lock_coin(coin, persistent)?,
        }
    }
    Ok(json!(true))
}

async fn listlockunspent(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let wallet = request_wallet(&m, &call).await?;
    let list: Vec<Value> =
        wallet.locked_coins().map(|c| json!({ "txid": c.txid.to_string(), "vout": c.vout })).collect();
    Ok(Value::Array(list))
}
