//! Wallets coming and going: `createwallet`, `loadwallet`, `unloadwallet`,
//! `listwallets`, `listwalletdir`, `backupwallet`, `restorewallet`.

use std::sync::Arc;

use serde_json::{json, Value};

use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::method;
use crate::manager::WalletManager;
use crate::wallet::CreateOptions;

/// The reference's warning when `load_on_startup` cannot be saved in the
/// node's `settings.json`.
const STARTUP_SETTING_WARNING: &str =
    "Wallet load on startup setting could not be updated, so wallet may not be loaded next node startup.";

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("createwallet", "wallet", "Creates and loads a new wallet.", method(manager, createwallet))
            .arg(Arg::required("wallet_name", ArgType::Str, "The name for the new wallet. If this is a path, the wallet will be created at the path location."))
            .arg(Arg::optional("disable_private_keys", ArgType::Bool, "Disable the possibility of private keys (only watchonlys are possible in this mode).").default("false"))
            .arg(Arg::optional("blank", ArgType::Bool, "Create a blank wallet. A blank wallet has no keys.").default("false"))
            .arg(Arg::optional("passphrase", ArgType::Str, "Encrypt the wallet with this passphrase."))
            .arg(Arg::optional("avoid_reuse", ArgType::Bool, "Keep track of coin reuse, and treat dirty and clean coins differently with privacy considerations in mind.").default("false"))
            .arg(Arg::optional("descriptors", ArgType::Bool, "If set, must be \"true\"").default("true"))
            .arg(Arg::optional("load_on_startup", ArgType::Bool, "Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged."))
            .arg(Arg::optional("external_signer", ArgType::Bool, "Use an external signer such as a hardware wallet.").default("false"))
            .result("{\n  \"name\" : \"str\",    (string) The wallet name if created successfully.\n  \"warnings\" : [ \"str\", ... ]    (json array, optional) Warning messages, if any\n}")
            .example("hashvive-cli createwallet \"testwallet\""),
    );
    table.register(
        Command::new("loadwallet", "wallet", "Loads a wallet from a wallet file or directory.", method(manager, loadwallet))
            .arg(Arg::required("filename", ArgType::Str, "The path to the directory of the wallet to be loaded, either absolute or relative to the \"wallets\" directory."))
            .arg(Arg::optional("load_on_startup", ArgType::Bool, "Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged."))
            .result("{\n  \"name\" : \"str\",    (string) The wallet name if loaded successfully.\n  \"warnings\" : [ \"str\", ... ]    (json array, optional) Warning messages, if any\n}")
            .example("hashvive-cli loadwallet \"test.dat\""),
    );
    table.register(
        Command::new("backupwallet", "wallet", "Safely copies the current wallet file to the specified destination, which can either be a directory or a path with a filename.", method(manager, backupwallet))
            .arg(Arg::required("destination", ArgType::Str, "The destination directory or file"))
            .result("null    (json null)")
            .example("hashvive-cli backupwallet \"backup.dat\""),
    );
    table.register(
        Command::new("restorewallet", "wallet", "Restores and loads a wallet from backup.\n\nThe rescan is significantly faster if a descriptor wallet is restored\nand block filters are available (using startup option \"-blockfilterindex=1\").", method(manager, restorewallet))
            .arg(Arg::required("wallet_name", ArgType::Str, "The name that will be applied to the restored wallet"))
            .arg(Arg::required("backup_file", ArgType::Str, "The backup file that will be used to restore the wallet."))
            .arg(Arg::optional("load_on_startup", ArgType::Bool, "Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged."))
            .result("{\n  \"name\" : \"str\",    (string) The wallet name if restored successfully.\n  \"warnings\" : [ \"str\", ... ]    (json array, optional) Warning messages, if any\n}")
            .example("hashvive-cli restorewallet \"testwallet\" \"home\\backups\\backup-file.bak\""),
    );
    table.register(
        Command::new("unloadwallet", "wallet", "Unloads the wallet referenced by the request endpoint or the wallet_name argument.\nIf both are specified, they must be identical.", method(manager, unloadwallet))
            .arg(Arg::optional("wallet_name", ArgType::Str, "The name of the wallet to unload. If provided both here and in the RPC endpoint, the two must be identical.").default("the wallet name from the RPC endpoint"))
            .arg(Arg::optional("load_on_startup", ArgType::Bool, "Save wallet name to persistent settings and load on startup. True to add wallet to startup list, false to remove, null to leave unchanged."))
            .result("{\n  \"warnings\" : [ \"str\", ... ]    (json array, optional) Warning messages, if any\n}")
            .example("hashvive-cli unloadwallet wallet_name"),
    );
    table.register(
        Command::new(
            "listwallets",
            "wallet",
            "Returns a list of currently loaded wallets.\nFor full information on the wallet, use \"getwalletinfo\"",
            method(manager, |m, _| async move {
                Ok(json!(m.loaded().into_iter().map(|(name, _)| name).collect::<Vec<_>>()))
            }),
        )
        .result("[           (json array)\n  \"str\",    (string) the wallet name\n  ...\n]")
        .example("hashvive-cli listwallets"),
    );
    table.register(
        Command::new("listwalletdir", "wallet", "Returns a list of wallets in the wallet directory.", method(manager, |m, _| async move {
            let wallets: Vec<Value> = m.list_wallet_dir().into_iter().map(|name| json!({ "name": name })).collect();
            Ok(json!({ "wallets": wallets }))
        }))
        .result("{\n  \"wallets\" : [    (json array)\n    {\n      \"name\" : \"str\"    (string) The wallet name\n    },\n    ...\n  ]\n}")
        .example("hashvive-cli listwalletdir"),
    );
}

fn flag(call: &Call, i: usize) -> Option<bool> {
    call.param(i).and_then(Value::as_bool)
}

fn str_param(call: &Call, i: usize) -> Option<&str> {
    call.param(i).and_then(Value::as_str)
}

/// Adds wallet `name` to the node's start-up list (`load_on_startup` true)
/// or takes it out (false); null leaves the list alone. The warnings to give.
pub(crate) async fn update_startup(m: &WalletManager, name: &str, load_on_startup: Option<bool>) -> Vec<&'static str> {
    let Some(present) = load_on_startup else { return Vec::new() };
    match m.chain().edit_settings_list("wallet".into(), name.to_string(), present).await {
        Ok(true) => Vec::new(),
        _ => vec![STARTUP_SETTING_WARNING],
    }
}

/// `{name, warnings?}` as `createwallet` and `loadwallet` answer.
async fn loaded_result(m: &WalletManager, name: &str, load_on_startup: Option<bool>) -> Value {
    let mut result = json!({ "name": name });
    let warnings = update_startup(m, name, load_on_startup).await;
    if !warnings.is_empty() {
        result["warnings"] = json!(warnings);
    }
    result
}

fn unsupported(what: &str) -> RpcError {
    RpcError::new(codes::RPC_WALLET_ERROR, format!("{what} is not supported by hashvive wallets yet"))
}

async fn createwallet(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let name = str_param(&call, 0).unwrap_or_default().to_string();
    if flag(&call, 4) == Some(true) {
        return Err(unsupported("avoid_reuse"));
    }
    if flag(&call, 5) == Some(false) {
        return Err(RpcError::new(
            codes::RPC_WALLET_ERROR,
            "descriptors argument must be set to \"true\"; it is no longer possible to create a legacy wallet.",
        ));
    }
    if flag(&call, 7) == Some(true) {
        return Err(RpcError::new(
            codes::RPC_WALLET_ERROR,
            "Compiled without external signing support (required for external signing)",
        ));
    }
    let passphrase = str_param(&call, 3);
    let options = CreateOptions {
        passphrase: passphrase.filter(|p| !p.is_empty()),
        disable_private_keys: flag(&call, 1) == Some(true),
        blank: flag(&call, 2) == Some(true),
        ..CreateOptions::default()
    };
    m.create_wallet(&name, options).await?;
    let mut result = loaded_result(&m, &name, flag(&call, 6)).await;
    if passphrase == Some("") {
        let warnings = result.as_object_mut().and_then(|r| {
            r.entry("warnings").or_insert_with(|| json!([])).as_array_mut().map(|w| {
                w.insert(0, json!("Empty string given as passphrase, wallet will not be encrypted."));
            })
        });
        debug_assert!(warnings.is_some());
    }
    Ok(result)
}

async fn loadwallet(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let name = str_param(&call, 0).unwrap_or_default().to_string();
    m.load_wallet(&name).await?;
    Ok(loaded_result(&m, &name, flag(&call, 1)).await)
}

async fn unloadwallet(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let endpoint = call.request.wallet_name();
    let name = match (endpoint, str_param(&call, 0)) {
        (Some(e), Some(p)) if e != p => {
            return Err(RpcError::invalid_parameter(
                "RPC endpoint wallet and wallet_name parameter specify different wallets",
            ))
        }
        (Some(e), _) => e,
        (None, Some(p)) => p.to_string(),
        (None, None) => super::selected_wallet(&m, &call)?.0,
    };
    m.unload_wallet(&name).ok_or_else(|| {
        RpcError::new(codes::RPC_WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded")
    })?;
    let mut result = json!({});
    let warnings = update_startup(&m, &name, flag(&call, 1)).await;
    if !warnings.is_empty() {
        result["warnings"] = json!(warnings);
    }
    Ok(result)
}

async fn backupwallet(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let destination = std::path::PathBuf::from(str_param(&call, 0).unwrap_or_default());
    let wallet = super::request_wallet(&m, &call).await?;
    backup(&wallet, &destination)?;
    Ok(Value::Null)
}

/// Copies `wallet`'s file to `destination`, a file or a directory (`backupwallet`).
pub(crate) fn backup(wallet: &crate::wallet::Wallet, destination: &std::path::Path) -> Result<(), RpcError> {
    // A directory gets the wallet file's own name inside it, as in the reference.
    let file = match destination.is_dir() {
        true => destination.join(crate::wallet::WALLET_FILE),
        false => destination.to_path_buf(),
    };
    wallet.backup_to(&file).map_err(|e| {
        tracing::warn!("Backing up wallet {} to {}: {e}", wallet.name(), file.display());
        RpcError::new(codes::RPC_WALLET_ERROR, "Error: Wallet backup failed!")
    })
}

async fn restorewallet(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let name = str_param(&call, 0).unwrap_or_default().to_string();
    let backup = std::path::PathBuf::from(str_param(&call, 1).unwrap_or_default());
    if !backup.is_file() {
        return Err(RpcError::invalid_parameter("Backup file does not exist"));
    }
    m.restore_wallet(&name, &backup).await?;
    Ok(loaded_result(&m, &name, flag(&call, 2)).await)
}
