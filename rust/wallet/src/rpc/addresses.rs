//! Addresses: `getnewaddress`, `getrawchangeaddress`, `getaddressinfo`.

use std::sync::Arc;

use bdk_wallet::miniscript::descriptor::checksum::desc_checksum;
use bdk_wallet::miniscript::ForEachKey;
use bdk_wallet::KeychainKind;
use bitcoin::bip32::{ChildNumber, DerivationPath};
use bitcoin::hex::DisplayHex;
use bitcoin::Address;
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
    table.register(
        Command::new("getaddressinfo", "wallet", "Return information about the given bitcoin address.\nSome of the information will only be present if the address is in the active wallet.", method(manager, getaddressinfo))
            .arg(Arg::required("address", ArgType::Str, "The bitcoin address for which to get information."))
            .result("{\n  \"address\" : \"str\",\n  \"scriptPubKey\" : \"hex\",\n  \"ismine\" : true|false,\n  \"solvable\" : true|false,\n  \"desc\" : \"str\",\n  \"parent_desc\" : \"str\",\n  \"iswatchonly\" : true|false,\n  \"isscript\" : true|false,\n  \"iswitness\" : true|false,\n  \"witness_version\" : n,\n  \"witness_program\" : \"hex\",\n  \"pubkey\" : \"hex\",\n  \"iscompressed\" : true|false,\n  \"ischange\" : true|false,\n  \"hdkeypath\" : \"str\",\n  \"hdmasterfingerprint\" : \"hex\",\n  \"labels\" : [ \"str\", ... ]\n}")
            .example("hashvive-cli getaddressinfo \"bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\""),
    );
}

/// `[fingerprint/path]` key origins and paths are written with `h` for
/// hardened steps, as the reference writes them.
fn path_text(path: &DerivationPath) -> String {
    path.into_iter()
        .map(|c| match c {
            ChildNumber::Hardened { index } => format!("/{index}h"),
            ChildNumber::Normal { index } => format!("/{index}"),
        })
        .collect()
}

/// A descriptor with its checksum.
fn with_checksum(desc: &str) -> String {
    match desc_checksum(desc) {
        Ok(sum) => format!("{desc}#{sum}"),
        Err(_) => desc.to_string(),
    }
}

async fn getaddressinfo(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let text = call.param(0).and_then(Value::as_str).unwrap_or_default();
    let address = text
        .parse::<Address<_>>()
        .ok()
        .and_then(|a| a.require_network(m.options().network).ok())
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Invalid address"))?;
    let spk = address.script_pubkey();
    let wallet = request_wallet(&m, &call).await?;
    let bdk = wallet.bdk();
    let mut info = json!({
        "address": address.to_string(),
        "scriptPubKey": spk.to_hex_string(),
        "ismine": false,
        "solvable": false,
        "iswatchonly": false,
        "isscript": spk.is_p2sh() || spk.is_p2wsh() ,
        "iswitness": spk.is_witness_program(),
    });
    if let Some(program) = address.witness_program() {
        info["witness_version"] = json!(program.version().to_num());
        info["witness_program"] = json!(program.program().as_bytes().to_lower_hex_string());
    }
    let Some((keychain, index)) = bdk.derivation_of_spk(spk) else {
        info["ischange"] = json!(false);
        info["labels"] = json!([]);
        return Ok(info);
    };
    let secp = bdk.secp_ctx();
    let parent = bdk.public_descriptor(keychain);
    let derived = parent
        .at_derivation_index(index)
        .map_err(|e| RpcError::new(codes::RPC_WALLET_ERROR, format!("Cannot derive the address's key: {e}")))?;
    let mut key = None;
    derived.for_each_key(|k| {
        key = Some(k.clone());
        true
    });
    let key = key.ok_or_else(|| RpcError::new(codes::RPC_WALLET_ERROR, "The address's descriptor has no key"))?;
    let pubkey = key
        .derive_public_key(secp)
        .map_err(|e| RpcError::new(codes::RPC_WALLET_ERROR, format!("Cannot derive the address's key: {e}")))?;
    let fingerprint = key.master_fingerprint();
    let path = path_text(&key.full_derivation_path().unwrap_or_default());
    let parent_text = parent.to_string();
    let parent_text = parent_text.split('#').next().unwrap_or_default().replace('\'', "h");
    let kind = parent_text.split('(').next().unwrap_or_default();
    info["ismine"] = json!(true);
    info["solvable"] = json!(true);
    info["desc"] = json!(with_checksum(&format!("{kind}([{fingerprint}{path}]{pubkey})")));
    info["parent_desc"] = json!(with_checksum(&parent_text));
    info["pubkey"] = json!(pubkey.to_string());
    info["iscompressed"] = json!(pubkey.compressed);
    info["ischange"] = json!(keychain == KeychainKind::Internal);
    info["hdkeypath"] = json!(format!("m{path}"));
    info["hdmasterfingerprint"] = json!(fingerprint.to_string());
    // Receive addresses are in the address book with the default label.
    info["labels"] = match keychain {
        KeychainKind::External => json!([""]),
        KeychainKind::Internal => json!([]),
    };
    Ok(info)
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
