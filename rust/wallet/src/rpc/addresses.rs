//! Addresses and their labels: `getnewaddress`, `getrawchangeaddress`,
//! `getaddressinfo`, `setlabel`, `listlabels`, `getaddressesbylabel`.

use std::sync::Arc;

use bdk_wallet::miniscript::descriptor::checksum::desc_checksum;
use bdk_wallet::miniscript::descriptor::{DefiniteDescriptorKey, Descriptor, DescriptorPublicKey};
use bdk_wallet::miniscript::ForEachKey;
use bitcoin::bip32::{ChildNumber, DerivationPath};
use bitcoin::hex::DisplayHex;
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::PublicKey;
use serde_json::{json, Value};

use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{address_for, method, request_wallet};
use crate::manager::WalletManager;
use crate::output_type::OutputType;
use crate::wallet::Wallet;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("getnewaddress", "wallet", "Returns a new Bitcoin address for receiving payments.\nIf 'label' is specified, it is added to the address book\nso payments received with the address will be associated with 'label'.", method(manager, |m, call| address(m, call, false, 1)))
            .arg(Arg::optional("label", ArgType::Str, "The label name for the address to be linked to. It can also be set to the empty string \"\" to represent the default label. The label does not need to be unique and does not need to be assigned to a wallet.").default("\"\""))
            .arg(Arg::optional("address_type", ArgType::Str, "The address type to use. Options are \"legacy\", \"p2sh-segwit\", \"bech32\", and \"bech32m\".").default("set by -addresstype"))
            .result("\"str\"    (string) The new bitcoin address")
            .example("hashvive-cli getnewaddress"),
    );
    table.register(
        Command::new("getrawchangeaddress", "wallet", "Returns a new Bitcoin address, for receiving change.\nThis is for use with raw transactions, NOT normal use.", method(manager, |m, call| address(m, call, true, 0)))
            .arg(Arg::optional("address_type", ArgType::Str, "The address type to use. Options are \"legacy\", \"p2sh-segwit\", \"bech32\", and \"bech32m\".").default("set by -changetype"))
            .result("\"str\"    (string) The address")
            .example("hashvive-cli getrawchangeaddress"),
    );
    table.register(
        Command::new(
            "setlabel",
            "wallet",
            "Sets the label associated with the given address.",
            method(manager, setlabel),
        )
        .arg(Arg::required("address", ArgType::Str, "The bitcoin address to be associated with a label."))
        .arg(Arg::required("label", ArgType::Str, "The label to assign to the address."))
        .result("null    (json null)")
        .example("hashvive-cli setlabel \"bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\" \"tabby\""),
    );
    table.register(
        Command::new("listlabels", "wallet", "Returns the list of all labels, or labels that are assigned to addresses with a specific purpose.", method(manager, listlabels))
            .arg(Arg::optional("purpose", ArgType::Str, "Address purpose to list labels for ('send','receive'). An empty string is the same as not providing this argument."))
            .result("[           (json array)\n  \"str\",    (string) Label name\n  ...\n]")
            .example("hashvive-cli listlabels receive"),
    );
    table.register(
        Command::new("getaddressesbylabel", "wallet", "Returns the list of addresses assigned the specified label.", method(manager, getaddressesbylabel))
            .arg(Arg::required("label", ArgType::Str, "The label."))
            .result("{                    (json object) json object with addresses as keys\n  \"address\" : {      (json object) json object with information about address\n    \"purpose\" : \"str\"  (string) Purpose of address (\"send\" for sending address, \"receive\" for receiving address)\n  },\n  ...\n}")
            .example("hashvive-cli getaddressesbylabel \"tabby\""),
    );
    table.register(
        Command::new("getaddressinfo", "wallet", "Return information about the given bitcoin address.\nSome of the information will only be present if the address is in the active wallet.", method(manager, getaddressinfo))
            .arg(Arg::required("address", ArgType::Str, "The bitcoin address for which to get information."))
            .result("{\n  \"address\" : \"str\",\n  \"scriptPubKey\" : \"hex\",\n  \"ismine\" : true|false,\n  \"solvable\" : true|false,\n  \"desc\" : \"str\",\n  \"parent_desc\" : \"str\",\n  \"iswatchonly\" : true|false,\n  \"isscript\" : true|false,\n  \"iswitness\" : true|false,\n  \"witness_version\" : n,\n  \"witness_program\" : \"hex\",\n  \"pubkey\" : \"hex\",\n  \"iscompressed\" : true|false,\n  \"ischange\" : true|false,\n  \"hdkeypath\" : \"str\",\n  \"hdmasterfingerprint\" : \"hex\",\n  \"labels\" : [ \"str\", ... ]\n}")
            .example("hashvive-cli getaddressinfo \"bc1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\""),
    );
    table.register(
        Command::new("keypoolrefill", "wallet", "Refills each descriptor keypool in the wallet up to the specified number of new keys.\nBy default, hashvive wallets have 4 active ranged descriptors (\"legacy\", \"p2sh-segwit\", \"bech32\", \"bech32m\"), each with 1000 entries.\n\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.", method(manager, keypoolrefill))
            .arg(Arg::optional("newsize", ArgType::Num, "The new keypool size").default("1000, or as set by -keypool"))
            .result("null    (json null)")
            .example("hashvive-cli keypoolrefill"),
    );
}

async fn keypoolrefill(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let size = match call.param(0) {
        None => None,
        Some(v) => Some(
            v.as_i64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| RpcError::invalid_parameter("Invalid parameter, expected valid size."))?,
        ),
    };
    let mut wallet = request_wallet(&m, &call).await?;
    super::ensure_unlocked(&wallet)?;
    wallet.set_keypool(size.unwrap_or(m.options().keypool))?;
    Ok(Value::Null)
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

/// The key expression the reference's `InferDescriptor` writes for a
/// derived key: `[fingerprint/path]pubkey` (x-only under taproot).
fn key_text(key: &DefiniteDescriptorKey, secp: &Secp256k1<All>, x_only: bool) -> Option<(String, PublicKey)> {
    let pubkey = key.derive_public_key(secp).ok()?;
    let path = path_text(&key.full_derivation_path().unwrap_or_default());
    let shown = match x_only {
        true => pubkey.inner.x_only_public_key().0.to_string(),
        false => pubkey.to_string(),
    };
    Some((format!("[{}{path}]{shown}", key.master_fingerprint()), pubkey))
}

async fn getaddressinfo(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let text = call.param(0).and_then(Value::as_str).unwrap_or_default();
    let address = address_for(m.options().network, text)
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Invalid address"))?;
    let spk = address.script_pubkey();
    let wallet = request_wallet(&m, &call).await?;
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
    let labels = match wallet.label(&address) {
        Some(label) => json!([label]),
        None => json!([]),
    };
    let (Some((id, _)), Some(derived)) = (wallet.ledger().derivation_of_spk(&spk), wallet.derived_descriptor(&spk))
    else {
        info["ischange"] = json!(false);
        info["labels"] = labels;
        return Ok(info);
    };
    let parent = &wallet.descriptors()[&id].public;
    let mut keys = Vec::new();
    derived.for_each_key(|k| {
        keys.push(k.clone());
        true
    });
    // A single-key script is described by its key, as the reference infers
    // it; any other by the descriptor at the script's index.
    let single = match (&derived, keys.as_slice()) {
        (Descriptor::Pkh(_), [k]) => key_text(k, wallet.secp(), false).map(|(t, p)| (format!("pkh({t})"), p, k)),
        (Descriptor::Wpkh(_), [k]) => key_text(k, wallet.secp(), false).map(|(t, p)| (format!("wpkh({t})"), p, k)),
        (Descriptor::Sh(_), [k])
            if spk.is_p2sh() && OutputType::of_descriptor(&derived) == Some(OutputType::P2shSegwit) =>
        {
            key_text(k, wallet.secp(), false).map(|(t, p)| (format!("sh(wpkh({t}))"), p, k))
        }
        (Descriptor::Tr(tr), [k]) if tr.tap_tree().is_none() => {
            key_text(k, wallet.secp(), true).map(|(t, p)| (format!("tr({t})"), p, k))
        }
        _ => None,
    };
    info["ismine"] = json!(true);
    info["solvable"] = json!(true);
    match &single {
        Some((desc, _, _)) => info["desc"] = json!(with_checksum(desc)),
        None => info["desc"] = json!(with_checksum(&normal_text(&derived.to_string()))),
    }
    let parent_text = wallet.descriptors()[&id].combo.clone().unwrap_or_else(|| parent.to_string());
    info["parent_desc"] = json!(with_checksum(&normal_text(&parent_text)));
    if let Some((_, pubkey, key)) = &single {
        if !spk.is_p2tr() {
            info["pubkey"] = json!(pubkey.to_string());
            info["iscompressed"] = json!(pubkey.compressed);
        }
        info["ischange"] = json!(wallet.is_change(&spk));
        info["timestamp"] = json!(wallet.descriptors()[&id].created);
        let path = path_text(&key.full_derivation_path().unwrap_or_default());
        if let DescriptorPublicKey::XPub(_) | DescriptorPublicKey::MultiXPub(_) = key.as_descriptor_public_key() {
            info["hdkeypath"] = json!(format!("m{path}"));
            info["hdmasterfingerprint"] = json!(key.master_fingerprint().to_string());
        }
    } else {
        info["ischange"] = json!(wallet.is_change(&spk));
        info["timestamp"] = json!(wallet.descriptors()[&id].created);
    }
    info["labels"] = labels;
    Ok(info)
}

/// A descriptor's text without its checksum and with `h` for hardened steps.
fn normal_text(desc: &str) -> String {
    desc.split('#').next().unwrap_or_default().replace('\'', "h")
}

/// Hands out the next receive (`internal` false) or change address; the
/// address type is named by parameter `type_param`, else it is `default`.
async fn address(m: Arc<WalletManager>, call: Call, internal: bool, type_param: usize) -> Result<Value, RpcError> {
    if !internal && call.param(0).and_then(Value::as_str) == Some("*") {
        return Err(RpcError::new(codes::RPC_WALLET_INVALID_LABEL_NAME, "Invalid label name"));
    }
    let default = match internal {
        true => m.options().change_type.unwrap_or(m.options().address_type),
        false => m.options().address_type,
    };
    let output_type = match call.param(type_param).and_then(Value::as_str) {
        None => default,
        Some(text) => text
            .parse()
            .map_err(|()| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, format!("Unknown address type '{text}'")))?,
    };
    let label = if internal { "" } else { call.param(0).and_then(Value::as_str).unwrap_or_default() };
    let mut wallet = request_wallet(&m, &call).await?;
    let address = next_address(&m, &mut wallet, output_type, internal, label)?;
    Ok(json!(address.to_string()))
}

/// Hands out `wallet`'s next address of `output_type` (a change address when
/// `internal`), filed under `label`.
pub(crate) fn next_address(
    m: &WalletManager,
    wallet: &mut Wallet,
    output_type: OutputType,
    internal: bool,
    label: &str,
) -> Result<bitcoin::Address, RpcError> {
    if wallet.descriptors().values().all(|d| d.internal != internal || !d.active) {
        return Err(RpcError::new(codes::RPC_WALLET_ERROR, "Error: This wallet has no available keys"));
    }
    let spk = wallet.reveal_next(output_type, internal)?;
    let address = bitcoin::Address::from_script(&spk, m.options().network)
        .map_err(|e| RpcError::new(codes::RPC_WALLET_ERROR, e.to_string()))?;
    // Every receive address has the default label "" without a record.
    if !label.is_empty() {
        wallet.set_label(&address, label)?;
    }
    Ok(address)
}

fn label_param(call: &Call, i: usize) -> Result<String, RpcError> {
    let label = call.param(i).and_then(Value::as_str).unwrap_or_default();
    if label == "*" {
        return Err(RpcError::new(codes::RPC_WALLET_INVALID_LABEL_NAME, "Invalid label name"));
    }
    Ok(label.to_string())
}

async fn setlabel(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let text = call.param(0).and_then(Value::as_str).unwrap_or_default();
    let address = address_for(m.options().network, text)
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Invalid Bitcoin address"))?;
    let label = label_param(&call, 1)?;
    let mut wallet = request_wallet(&m, &call).await?;
    wallet.set_label(&address, &label)?;
    Ok(Value::Null)
}

/// Every labelled address of the wallet with its purpose: `receive` for the
/// wallet's own, `send` for others'.
fn address_book(wallet: &crate::wallet::Wallet, network: bitcoin::Network) -> Vec<(String, String, &'static str)> {
    let mut book: std::collections::BTreeMap<String, (String, &'static str)> = std::collections::BTreeMap::new();
    // Receive addresses handed out, with the default label unless given one.
    for address in wallet.receive_addresses(network) {
        book.insert(address.to_string(), (String::new(), "receive"));
    }
    for (address, label) in wallet.labels() {
        let mine = address_for(network, address).is_some_and(|a| wallet.ledger().is_mine(&a.script_pubkey()));
        book.insert(address.clone(), (label.clone(), if mine { "receive" } else { "send" }));
    }
    book.into_iter().map(|(address, (label, purpose))| (address, label, purpose)).collect()
}

async fn listlabels(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let purpose = call.param(0).and_then(Value::as_str).unwrap_or_default().to_string();
    if !purpose.is_empty() && purpose != "send" && purpose != "receive" {
        return Err(RpcError::invalid_parameter(
            "Invalid 'purpose' argument, must be a known purpose string, typically 'send', or 'receive'.",
        ));
    }
    let wallet = request_wallet(&m, &call).await?;
    let mut labels: Vec<String> = address_book(&wallet, m.options().network)
        .into_iter()
        .filter(|(_, _, p)| purpose.is_empty() || *p == purpose)
        .map(|(_, label, _)| label)
        .collect();
    labels.sort();
    labels.dedup();
    Ok(json!(labels))
}

async fn getaddressesbylabel(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let label = label_param(&call, 0)?;
    let wallet = request_wallet(&m, &call).await?;
    let mut found = serde_json::Map::new();
    for (address, own_label, purpose) in address_book(&wallet, m.options().network) {
        if own_label == label {
            found.insert(address, json!({ "purpose": purpose }));
        }
    }
    if found.is_empty() {
        return Err(RpcError::new(codes::RPC_WALLET_INVALID_LABEL_NAME, format!("No addresses with label {label}")));
    }
    Ok(Value::Object(found))
}
