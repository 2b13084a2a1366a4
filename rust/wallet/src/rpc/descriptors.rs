//! The wallet's descriptors: `listdescriptors`.

use std::sync::Arc;

use bdk_wallet::miniscript::descriptor::checksum::desc_checksum;
use bdk_wallet::KeychainKind;
use serde_json::{json, Value};

use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{method, request_wallet};
use crate::manager::WalletManager;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("listdescriptors", "wallet", "List descriptors imported into a descriptor-enabled wallet.", method(manager, listdescriptors))
            .arg(Arg::optional("private", ArgType::Bool, "Show private descriptors.").default("false"))
            .result("{\n  \"wallet_name\" : \"str\",\n  \"descriptors\" : [\n    {\n      \"desc\" : \"str\",\n      \"timestamp\" : n,\n      \"active\" : true|false,\n      \"internal\" : true|false,\n      \"range\" : [ n, n ],\n      \"next\" : n,\n      \"next_index\" : n\n    },\n    ...\n  ]\n}")
            .example("hashvive-cli listdescriptors"),
    );
}

/// `desc` in the reference's notation (`h` for hardened steps) with its checksum.
fn written(desc: &str) -> String {
    let body = desc.split('#').next().unwrap_or_default().replace('\'', "h");
    match desc_checksum(&body) {
        Ok(sum) => format!("{body}#{sum}"),
        Err(_) => body,
    }
}

async fn listdescriptors(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let private = call.param(0).and_then(Value::as_bool).unwrap_or(false);
    let wallet = request_wallet(&m, &call).await?;
    let private_descriptors = match private {
        true => {
            super::ensure_unlocked(&wallet)?;
            wallet.private_descriptors()
        }
        false => None,
    };
    let bdk = wallet.bdk();
    let lookahead = bdk.spk_index().lookahead();
    let mut descriptors: Vec<Value> = [KeychainKind::External, KeychainKind::Internal]
        .into_iter()
        .map(|keychain| {
            let desc = match private_descriptors {
                Some(private) => private[usize::from(keychain == KeychainKind::Internal)].to_string(),
                None => bdk.public_descriptor(keychain).to_string(),
            };
            let next = bdk.derivation_index(keychain).map_or(0, |i| i + 1);
            json!({
                "desc": written(&desc),
                "timestamp": wallet.birth_time(),
                "active": true,
                "internal": keychain == KeychainKind::Internal,
                "range": [0, next + lookahead - 1],
                "next": next,
                "next_index": next,
            })
        })
        .collect();
    descriptors.sort_by(|a, b| a["desc"].as_str().cmp(&b["desc"].as_str()));
    Ok(json!({ "wallet_name": wallet.name(), "descriptors": descriptors }))
}
