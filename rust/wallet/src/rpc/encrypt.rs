//! Passphrases: `encryptwallet`, `walletpassphrase`, `walletlock`,
//! `walletpassphrasechange`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{method, request_wallet, selected_wallet};
use crate::manager::{SharedWallet, WalletManager};
use crate::wallet::Wallet;

/// `walletpassphrase`'s longest unlock, about three years.
const MAX_UNLOCK_SECONDS: i64 = 100_000_000;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("encryptwallet", "wallet", "Encrypts the wallet with 'passphrase'. This is for first time encryption.\nAfter this, any calls that interact with private keys such as sending or signing \nwill require the passphrase to be set prior the making these calls.\nUse the walletpassphrase call for this, and then walletlock call.\nIf the wallet is already encrypted, use the walletpassphrasechange call.\n** IMPORTANT **\nThe wallet keeps its keys: copies of the wallet file made before it was encrypted still hold\nthem unencrypted. Make a new backup with the backupwallet RPC and destroy the older ones.", method(manager, encryptwallet))
            .arg(Arg::required("passphrase", ArgType::Str, "The pass phrase to encrypt the wallet with. It must be at least 1 character, but should be long."))
            .result("\"str\"    (string) A string with further instructions")
            .example("hashvive-cli encryptwallet \"my pass phrase\""),
    );
    table.register(
        Command::new("walletpassphrase", "wallet", "Stores the wallet decryption key in memory for 'timeout' seconds.\nThis is needed prior to performing transactions related to private keys such as sending bitcoins\n\nNote:\nIssuing the walletpassphrase command while the wallet is already unlocked will set a new unlock\ntime that overrides the old one.", method(manager, walletpassphrase))
            .arg(Arg::required("passphrase", ArgType::Str, "The wallet passphrase"))
            .arg(Arg::required("timeout", ArgType::Num, "The time to keep the decryption key in seconds; capped at 100000000 (~3 years)."))
            .result("null    (json null)")
            .example("hashvive-cli walletpassphrase \"my pass phrase\" 60"),
    );
    table.register(
        Command::new("walletlock", "wallet", "Removes the wallet encryption key from memory, locking the wallet.\nAfter calling this method, you will need to call walletpassphrase again\nbefore being able to call any methods which require the wallet to be unlocked.", method(manager, walletlock))
            .result("null    (json null)")
            .example("hashvive-cli walletlock"),
    );
    table.register(
        Command::new(
            "walletpassphrasechange",
            "wallet",
            "Changes the wallet passphrase from 'oldpassphrase' to 'newpassphrase'.",
            method(manager, walletpassphrasechange),
        )
        .arg(Arg::required("oldpassphrase", ArgType::Str, "The current passphrase"))
        .arg(Arg::required("newpassphrase", ArgType::Str, "The new passphrase"))
        .result("null    (json null)")
        .example("hashvive-cli walletpassphrasechange \"old one\" \"new one\""),
    );
}

/// A passphrase parameter, which may not be empty.
fn passphrase(call: &Call, i: usize) -> Result<&str, RpcError> {
    nonempty(call.param(i).and_then(Value::as_str).unwrap_or_default())
}

fn nonempty(passphrase: &str) -> Result<&str, RpcError> {
    match passphrase.is_empty() {
        false => Ok(passphrase),
        true => Err(RpcError::invalid_parameter("passphrase cannot be empty")),
    }
}

/// The reference's error for a passphrase call on a wallet without one.
fn require_encrypted(wallet: &Wallet, method: &str) -> Result<(), RpcError> {
    match wallet.is_encrypted() {
        true => Ok(()),
        false => Err(RpcError::new(
            codes::RPC_WALLET_WRONG_ENC_STATE,
            format!("Error: running with an unencrypted wallet, but {method} was called."),
        )),
    }
}

async fn encryptwallet(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let mut wallet = request_wallet(&m, &call).await?;
    encrypt(&m, &mut wallet, call.param(0).and_then(Value::as_str).unwrap_or_default())?;
    Ok(json!(
        "wallet encrypted; The wallet keeps its keys, so copies made before hold them unencrypted. You need to make a new backup with the backupwallet RPC."
    ))
}

/// Encrypts `wallet`'s keys under `passphrase` (`encryptwallet`).
pub(crate) fn encrypt(manager: &WalletManager, wallet: &mut Wallet, passphrase: &str) -> Result<(), RpcError> {
    if wallet.is_encrypted() {
        return Err(RpcError::new(
            codes::RPC_WALLET_WRONG_ENC_STATE,
            "Error: running with an encrypted wallet, but encryptwallet was called.",
        ));
    }
    let passphrase = nonempty(passphrase)?;
    wallet.encrypt(passphrase).map_err(|e| {
        tracing::error!("Encrypting wallet {}: {e}", wallet.name());
        RpcError::new(codes::RPC_WALLET_ENCRYPTION_FAILED, "Error: Failed to encrypt the wallet.")
    })?;
    manager.status_changed(wallet.name());
    Ok(())
}

async fn walletpassphrase(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let (_, shared) = selected_wallet(&m, &call)?;
    let mut wallet = request_wallet(&m, &call).await?;
    let timeout = call.param(1).and_then(Value::as_i64).unwrap_or(0);
    unlock(&m, &shared, &mut wallet, call.param(0).and_then(Value::as_str).unwrap_or_default(), timeout)?;
    Ok(Value::Null)
}

/// Opens `wallet`'s keys for `timeout` seconds (`walletpassphrase`);
/// `shared` is the same wallet, to lock again later.
pub(crate) fn unlock(
    manager: &Arc<WalletManager>,
    shared: &SharedWallet,
    wallet: &mut Wallet,
    passphrase: &str,
    timeout: i64,
) -> Result<(), RpcError> {
    require_encrypted(wallet, "walletpassphrase")?;
    if timeout < 0 {
        return Err(RpcError::invalid_parameter("Timeout cannot be negative."));
    }
    let timeout = timeout.min(MAX_UNLOCK_SECONDS) as u64;
    let passphrase = nonempty(passphrase)?;
    let now = hashvive_common::time::now().max(0) as u64;
    let unlock = wallet.unlock(passphrase, now + timeout)?;
    manager.status_changed(wallet.name());
    // Locks again when the time is up, unless a later unlock set another
    // time; a wallet unloaded meanwhile is gone with its keys.
    let (weak, manager) = (Arc::downgrade(shared), Arc::downgrade(manager));
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(timeout)).await;
        if let Some(wallet) = weak.upgrade() {
            let mut wallet = wallet.lock().await;
            if wallet.relock_after(unlock) {
                if let Some(manager) = manager.upgrade() {
                    manager.status_changed(wallet.name());
                }
            }
        }
    });
    Ok(())
}

async fn walletlock(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let mut wallet = request_wallet(&m, &call).await?;
    lock(&m, &mut wallet)?;
    Ok(Value::Null)
}

/// Closes `wallet`'s keys (`walletlock`).
pub(crate) fn lock(manager: &WalletManager, wallet: &mut Wallet) -> Result<(), RpcError> {
    require_encrypted(wallet, "walletlock")?;
    wallet.lock();
    manager.status_changed(wallet.name());
    Ok(())
}

async fn walletpassphrasechange(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let mut wallet = request_wallet(&m, &call).await?;
    require_encrypted(&wallet, "walletpassphrasechange")?;
    let (old, new) = (passphrase(&call, 0)?, passphrase(&call, 1)?);
    wallet.change_passphrase(old, new)?;
    Ok(Value::Null)
}
