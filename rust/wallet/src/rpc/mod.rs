//! The wallet RPC methods. They live in the wallet's own method table (which
//! matches and checks parameters and writes help), and each is offered to the
//! node's server through `Chain::handle_rpc`; the node passes calls back as
//! sent, with the `/wallet/<name>` path that picks the wallet.

use std::future::Future;
use std::sync::Arc;

use bdk_wallet::chain::{ChainPosition, ConfirmationBlockTime};
use serde_json::Value;
use tokio::sync::OwnedMutexGuard;

use hashvive_interfaces::{async_trait, Handler, RpcActor, RpcCall, RpcCommand, RpcFault};
use hashvive_rpc::error::codes;
use hashvive_rpc::request::Request;
use hashvive_rpc::table::Call;
use hashvive_rpc::{RpcError, RpcTable};

use crate::manager::{SharedWallet, WalletManager};
use crate::wallet::Wallet;

mod addresses;
mod balances;
pub(crate) use addresses::next_address;
pub(crate) use balances::{mine, spendable_coins};
mod coins;
mod descriptors;
mod encrypt;
pub(crate) use encrypt::{encrypt, lock, unlock};
mod fund;
mod history;
pub(crate) use history::{summaries, summary_of};
mod load;
pub(crate) use load::{backup, update_startup};
mod message;
mod psbt;
mod rescan;
mod send;
pub(crate) use send::{commit_payment, create_bump, create_payment};
mod sendall;

/// Registers every wallet method with the node; the methods stay while the
/// returned handlers live.
pub async fn register(manager: Arc<WalletManager>) -> Result<Vec<Box<dyn Handler>>, hashvive_interfaces::Error> {
    let table = RpcTable::new();
    table.set_warmup(None);
    load::register(&table, &manager);
    addresses::register(&table, &manager);
    balances::register(&table, &manager);
    coins::register(&table, &manager);
    descriptors::register(&table, &manager);
    encrypt::register(&table, &manager);
    send::register(&table, &manager);
    psbt::register(&table, &manager);
    message::register(&table, &manager);
    rescan::register(&table, &manager);
    sendall::register(&table, &manager);
    history::register(&table, &manager);
    let commands = table.commands();
    let actor: Arc<dyn RpcActor> = Arc::new(WalletRpc { table });
    let mut handlers = Vec::new();
    for command in commands {
        let described = RpcCommand {
            name: command.name.to_string(),
            category: command.category.to_string(),
            signature: command.signature(),
            help: command.help(),
        };
        handlers.push(manager.chain().handle_rpc(described, actor.clone()).await?);
    }
    Ok(handlers)
}

/// Runs calls the node passes on through the wallet's table.
struct WalletRpc {
    table: RpcTable,
}

#[async_trait]
impl RpcActor for WalletRpc {
    async fn call(&self, call: RpcCall) -> hashvive_interfaces::Result<Result<String, RpcFault>> {
        let params = serde_json::from_str(&call.params)
            .map_err(|e| hashvive_interfaces::Error::Remote(format!("invalid parameters: {e}")))?;
        let request =
            Request { method: call.method, params, uri: call.uri, auth_user: call.user, ..Request::default() };
        Ok(match self.table.execute(request).await {
            Ok(value) => Ok(value.to_string()),
            Err(e) => Err(RpcFault { code: e.code, message: e.message }),
        })
    }
}

/// A handler from an async function of the manager and the call.
fn method<F, Fut>(manager: &Arc<WalletManager>, f: F) -> hashvive_rpc::Handler
where
    F: Fn(Arc<WalletManager>, Call) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Value, RpcError>> + Send + 'static,
{
    let manager = manager.clone();
    Arc::new(move |call: Call| Box::pin(f(manager.clone(), call)))
}

/// The wallet a request is for (`/wallet/<name>`, or the only one loaded),
/// with its name: the reference's `GetWalletForJSONRPCRequest`.
fn selected_wallet(manager: &WalletManager, call: &Call) -> Result<(String, SharedWallet), RpcError> {
    if let Some(name) = call.request.wallet_name() {
        let wallet = manager.get(&name).ok_or_else(|| {
            RpcError::new(codes::RPC_WALLET_NOT_FOUND, "Requested wallet does not exist or is not loaded")
        })?;
        return Ok((name, wallet));
    }
    let mut loaded = manager.loaded();
    match loaded.len() {
        1 => Ok(loaded.remove(0)),
        0 => Err(RpcError::new(
            codes::RPC_WALLET_NOT_FOUND,
            "No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. (Note: A default wallet is no longer automatically created)",
        )),
        _ => Err(RpcError::new(
            codes::RPC_WALLET_NOT_SPECIFIED,
            "Multiple wallets are loaded. Please select which wallet to use by requesting the RPC through the /wallet/<walletname> URI path.",
        )),
    }
}

/// The request's wallet, locked and caught up with the node's tip (the
/// reference's `BlockUntilSyncedToCurrentChain`).
async fn request_wallet(manager: &WalletManager, call: &Call) -> Result<OwnedMutexGuard<Wallet>, RpcError> {
    let (_, wallet) = selected_wallet(manager, call)?;
    let mut wallet = wallet.lock_owned().await;
    manager.catch_up(&mut wallet).await?;
    Ok(wallet)
}

/// The reference's `EnsureWalletIsUnlocked`: an encrypted wallet must be
/// unlocked for what needs its keys.
fn ensure_unlocked(wallet: &Wallet) -> Result<(), RpcError> {
    match wallet.has_keys() {
        true => Ok(()),
        false => Err(RpcError::new(
            codes::RPC_WALLET_UNLOCK_NEEDED,
            "Error: Please enter the wallet passphrase with walletpassphrase first.",
        )),
    }
}

/// `text` as an address of the wallets' network.
fn address_for(network: bitcoin::Network, text: &str) -> Option<bitcoin::Address> {
    text.parse::<bitcoin::Address<_>>().ok().and_then(|a| a.require_network(network).ok())
}

/// A txid given as text, with the reference's error when it is not one.
fn parse_txid(text: &str) -> Result<bitcoin::Txid, RpcError> {
    text.parse().map_err(|_| {
        RpcError::invalid_parameter(format!("txid must be of length 64 (not {}, for '{text}')", text.len()))
    })
}

/// A failed call to the node.
fn node(e: hashvive_interfaces::Error) -> RpcError {
    crate::WalletError::from(e).into()
}

/// Confirmations of something at `position` with the wallet at `tip`: 0 in
/// the mempool.
fn confirmations(tip: u32, position: &ChainPosition<ConfirmationBlockTime>) -> i64 {
    match position {
        ChainPosition::Confirmed { anchor, .. } => i64::from(tip) - i64::from(anchor.block_id.height) + 1,
        ChainPosition::Unconfirmed { .. } => 0,
    }
}

/// Whether a coinbase output with this many confirmations is still immature
/// for the wallet: the reference's `GetBlocksToMaturity() > 0`, one block
/// more than consensus asks, so a spend made now is valid in the next block.
fn coinbase_immature(confirmations: i64) -> bool {
    const COINBASE_MATURITY: i64 = 100;
    confirmations < COINBASE_MATURITY + 1
}

/// `{hash, height}` of the last block the wallet processed.
fn last_processed_block(wallet: &Wallet) -> Value {
    let block = wallet.last_block();
    serde_json::json!({ "hash": block.hash.to_string(), "height": block.height })
}
