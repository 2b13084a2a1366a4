//! New addresses: `getnewaddress`, `getrawchangeaddress`.

use std::sync::Arc;

use bdk_wallet::KeychainKind;
use serde_json::{json, Value};

use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{method, request_wallet};
use crate::manager::WalletManager;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("getnewaddress", "wallet", "Returns a new Bitcoin address for receiving payments.\nIf 'label' is specified, it is added to the address book\nso payments received with the address will be associated with 'label'.", method(manager, |m, call| address(m, call, KeychainKind::External, 1)))
            .arg(Arg::optional("label", ArgType::Str, "The label name for the address to be linked to. It can also be set to the empty string \"\" to represent the default label. The label does not need to be unique and does not need to be assigned to a wallet.").default("\"\""))
            .arg(Arg::optional("address_type", ArgType::Str, "The address type to use. Options are \"legacy\", \"p2sh-segwit\", \"bech32\", and \"bech32m\".").default("set by -addresstype"))
            .result("\"str\"    (string) The new bitcoin address")
            .example("hashvive-cli getnewaddress"),
    );
    table.register(
        Command::new("getrawchangeaddress", "wallet", "Returns a new Bitcoin address, for receiving change.\nThis is for use with raw transactions, NOT normal use.", method(manager, |m, call| address(m, call, KeychainKind::Internal, 0)))
            .arg(Arg::optional("address_type", ArgType::Str, "The address type to use. Options are \"legacy\", \"p2sh-segwit\", \"bech32\", and \"bech32m\".").default("set by -changetype"))
            .result("\"str\"    (string) The address")
            .example("hashvive-cli getrawchangeaddress"),
    );
}

/// The address types the reference knows, by their RPC names.
const ADDRESS_TYPES: [&str; 4] = ["legacy", "p2sh-segwit", "bech32", "bech32m"];
/// The one type hashvive wallets derive so far (their BIP84 descriptors).
const SUPPORTED_TYPE: &str = "bech32";

/// Reveals the next address of `keychain`; `type_param` is where the call
/// names the address type.
async fn address(
    m: Arc<WalletManager>,
    call: Call,
    keychain: KeychainKind,
    type_param: usize,
) -> Result<Value, RpcError> {
    if keychain == KeychainKind::External && call.param(0).and_then(Value::as_str) == Some("*") {
        return Err(RpcError::new(codes::RPC_WALLET_INVALID_LABEL_NAME, "Invalid label name"));
    }
    let kind = call.param(type_param).and_then(Value::as_str).unwrap_or(SUPPORTED_TYPE);
    if !ADDRESS_TYPES.contains(&kind) {
        return Err(RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, format!("Unknown address type '{kind}'")));
    }
    if kind != SUPPORTED_TYPE {
        return Err(RpcError::new(codes::RPC_WALLET_KEYPOOL_RAN_OUT, format!("Error: No {kind} addresses available.")));
    }
    let mut wallet = request_wallet(&m, &call).await?;
    let info = wallet.bdk_mut().reveal_next_address(keychain);
    wallet.persist()?;
    Ok(json!(info.address.to_string()))
}
