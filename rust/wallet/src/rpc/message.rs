//! Signing a message with the key of one of the wallet's addresses: `signmessage`.

use std::sync::Arc;

use serde_json::{json, Value};

use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{address_for, ensure_unlocked, method, request_wallet};
use crate::manager::WalletManager;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("signmessage", "wallet", "Sign a message with the private key of an address\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.", method(manager, signmessage))
            .arg(Arg::required("address", ArgType::Str, "The bitcoin address to use for the private key."))
            .arg(Arg::required("message", ArgType::Str, "The message to create a signature of."))
            .result("\"str\"    (string) The signature of the message encoded in base 64")
            .example("hashvive-cli signmessage \"1D1ZrZNe3JUo7ZycKEYQQiQAWd9y54F4XX\" \"my message\""),
    );
}

async fn signmessage(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let text = call.param(0).and_then(Value::as_str).unwrap_or_default();
    let message = call.param(1).and_then(Value::as_str).unwrap_or_default();
    let wallet = request_wallet(&m, &call).await?;
    ensure_unlocked(&wallet)?;
    let address = address_for(m.options().network, text).ok_or_else(|| RpcError::type_error("Invalid address"))?;
    // Only P2PKH: a signature recovers a key, and only a key hash commits to one.
    if address.address_type() != Some(bitcoin::AddressType::P2pkh) {
        return Err(RpcError::type_error("Address does not refer to key"));
    }
    let key = wallet.private_keys_for(&address.script_pubkey()).into_iter().next();
    let key = key.ok_or_else(|| RpcError::new(codes::RPC_WALLET_ERROR, "Private key not available"))?;
    Ok(json!(hashvive_script::message::sign_message(&key, message)))
}
