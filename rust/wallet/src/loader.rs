//! [`LocalWalletLoader`]: the wallets behind the `WalletLoader` interface,
//! and each wallet behind the `Wallet` interface. `hashvived` holds one
//! directly; `hashvive-wallet` serves one to the node that spawned it, which
//! then cannot tell the two apart.

use std::sync::{Arc, Mutex};

use bitcoin::hashes::Hash as _;
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use hashvive_interfaces::{
    async_trait, Chain, Error, Handler, Payment, PreparedTransaction, Result, Wallet, WalletBalances, WalletCoin,
    WalletCreation, WalletEncryption, WalletLoader, WalletLoaderNotifications, WalletNotifications, WalletTransaction,
};
use hashvive_rpc::RpcError;

use crate::client::{WalletClient, WalletStartup};
use crate::manager::{SharedWallet, WalletManager};

pub struct LocalWalletLoader {
    chain: Arc<dyn Chain>,
    /// Taken by `start`.
    startup: Mutex<Option<WalletStartup>>,
    running: AsyncMutex<Option<WalletClient>>,
}

impl LocalWalletLoader {
    pub fn new(chain: Arc<dyn Chain>, startup: WalletStartup) -> LocalWalletLoader {
        LocalWalletLoader { chain, startup: Mutex::new(Some(startup)), running: AsyncMutex::new(None) }
    }
}

#[async_trait]
impl WalletLoader for LocalWalletLoader {
    async fn start(&self) -> Result<()> {
        let startup = self.startup.lock().unwrap_or_else(|e| e.into_inner()).take();
        let startup = startup.ok_or_else(|| Error::Remote("the wallets were started already".into()))?;
        let client =
            WalletClient::start(self.chain.clone(), startup).await.map_err(|e| Error::Remote(e.to_string()))?;
        *self.running.lock().await = Some(client);
        Ok(())
    }

    async fn list_wallets(&self) -> Result<Vec<String>> {
        Ok(match &*self.running.lock().await {
            Some(client) => client.manager().loaded().into_iter().map(|(name, _)| name).collect(),
            None => Vec::new(),
        })
    }

    async fn wallets(&self) -> Result<Vec<Arc<dyn Wallet>>> {
        let Some(client) = &*self.running.lock().await else { return Ok(Vec::new()) };
        let manager = client.manager();
        Ok(manager
            .loaded()
            .into_iter()
            .map(|(name, _)| Arc::new(LocalWallet { manager: Arc::downgrade(manager), name }) as Arc<dyn Wallet>)
            .collect())
    }

    async fn handle_load_wallet(&self, notifications: Arc<dyn WalletLoaderNotifications>) -> Result<Box<dyn Handler>> {
        let running = self.manager().await?;
        let manager = Arc::downgrade(&running);
        let (loaded, mut names) = tokio::sync::mpsc::unbounded_channel();
        let handler = running.watch_loads(loaded);
        // In order, from a task of its own: a slow listener holds up no load.
        tokio::spawn(async move {
            while let Some(name) = names.recv().await {
                notifications.wallet_loaded(Arc::new(LocalWallet { manager: manager.clone(), name })).await;
            }
        });
        Ok(handler)
    }

    async fn create_wallet(&self, name: String, options: WalletCreation) -> Result<Arc<dyn Wallet>> {
        let manager = self.manager().await?;
        let creation = crate::wallet::CreateOptions {
            passphrase: Some(options.passphrase.as_str()).filter(|p| !p.is_empty()),
            disable_private_keys: options.disable_private_keys,
            blank: options.blank,
            ..crate::wallet::CreateOptions::default()
        };
        manager.create_wallet(&name, creation).await.map_err(|e| refused(e.into()))?;
        Ok(loaded_at_start(manager, name).await)
    }

    async fn load_wallet(&self, name: String) -> Result<Arc<dyn Wallet>> {
        let manager = self.manager().await?;
        manager.load_wallet(&name).await.map_err(|e| refused(e.into()))?;
        Ok(loaded_at_start(manager, name).await)
    }

    async fn list_wallet_dir(&self) -> Result<Vec<String>> {
        Ok(self.manager().await?.list_wallet_dir())
    }

    async fn stop(&self) -> Result<()> {
        // Dropping the client withdraws the RPC methods, then closes the wallets.
        self.running.lock().await.take();
        Ok(())
    }
}

impl LocalWalletLoader {
    async fn manager(&self) -> Result<Arc<WalletManager>> {
        let running = self.running.lock().await;
        let client = running.as_ref().ok_or_else(|| Error::Remote("the wallets are not started".into()))?;
        Ok(client.manager().clone())
    }
}

/// Wallet `name`, just loaded through a GUI, which the node loads at start
/// from now on (as the reference's GUI has it).
async fn loaded_at_start(manager: Arc<WalletManager>, name: String) -> Arc<dyn Wallet> {
    for warning in crate::rpc::update_startup(&manager, &name, Some(true)).await {
        tracing::warn!("{warning}");
    }
    Arc::new(LocalWallet { manager: Arc::downgrade(&manager), name })
}

/// One wallet, found by name at each call: unloaded (or the wallets
/// stopped), it says so.
struct LocalWallet {
    manager: std::sync::Weak<WalletManager>,
    name: String,
}

impl LocalWallet {
    fn loaded(&self) -> Result<(Arc<WalletManager>, SharedWallet)> {
        let unloaded = || Error::Remote(format!("Wallet \"{}\" is not loaded", self.name));
        let manager = self.manager.upgrade().ok_or_else(unloaded)?;
        let wallet = manager.get(&self.name).ok_or_else(unloaded)?;
        Ok((manager, wallet))
    }

    /// The wallet, locked and caught up with the chain.
    async fn current(&self) -> Result<(Arc<WalletManager>, OwnedMutexGuard<crate::wallet::Wallet>)> {
        let (manager, wallet) = self.loaded()?;
        let mut wallet = wallet.lock_owned().await;
        manager.catch_up(&mut wallet).await.map_err(|e| Error::Remote(e.to_string()))?;
        Ok((manager, wallet))
    }
}

#[async_trait]
impl Wallet for LocalWallet {
    async fn name(&self) -> Result<String> {
        Ok(self.name.clone())
    }

    async fn balances(&self) -> Result<WalletBalances> {
        let (_, wallet) = self.current().await?;
        let mine = crate::rpc::mine(&wallet);
        Ok(WalletBalances {
            trusted: mine.trusted.to_sat() as i64,
            untrusted_pending: mine.untrusted_pending.to_sat() as i64,
            immature: mine.immature.to_sat() as i64,
        })
    }

    async fn new_address(&self, label: String) -> Result<String> {
        let (manager, wallet) = self.loaded()?;
        let mut wallet = wallet.lock().await;
        let output_type = manager.options().address_type;
        let address = crate::rpc::next_address(&manager, &mut wallet, output_type, false, &label).map_err(refused)?;
        Ok(address.to_string())
    }

    async fn coins(&self) -> Result<Vec<WalletCoin>> {
        let (manager, wallet) = self.current().await?;
        Ok(crate::rpc::spendable_coins(&wallet, manager.options().network))
    }

    async fn create_transaction(&self, payment: Payment) -> Result<PreparedTransaction> {
        let (manager, mut wallet) = self.current().await?;
        crate::rpc::create_payment(&manager, &mut wallet, &payment).await.map_err(refused)
    }

    async fn create_bump_transaction(&self, txid: [u8; 32]) -> Result<PreparedTransaction> {
        let (manager, mut wallet) = self.current().await?;
        let txid = bitcoin::Txid::from_byte_array(txid);
        crate::rpc::create_bump(&manager, &mut wallet, txid).await.map_err(refused)
    }

    async fn commit_transaction(&self, tx: Vec<u8>) -> Result<[u8; 32]> {
        let (manager, mut wallet) = self.current().await?;
        let txid = crate::rpc::commit_payment(&manager, &mut wallet, &tx).await.map_err(refused)?;
        Ok(txid.to_byte_array())
    }

    async fn transactions(&self) -> Result<Vec<WalletTransaction>> {
        let (manager, wallet) = self.current().await?;
        Ok(crate::rpc::summaries(&wallet, manager.options().network))
    }

    async fn transaction(&self, txid: [u8; 32]) -> Result<Option<WalletTransaction>> {
        let (manager, wallet) = self.current().await?;
        Ok(crate::rpc::summary_of(&wallet, manager.options().network, bitcoin::Txid::from_byte_array(txid)))
    }

    async fn encryption(&self) -> Result<WalletEncryption> {
        let (_, wallet) = self.loaded()?;
        let wallet = wallet.lock().await;
        Ok(match (wallet.is_encrypted(), wallet.has_keys()) {
            (false, _) => WalletEncryption::Unencrypted,
            (true, false) => WalletEncryption::Locked,
            (true, true) => WalletEncryption::Unlocked,
        })
    }

    async fn encrypt(&self, passphrase: String) -> Result<()> {
        let (manager, mut wallet) = self.current().await?;
        crate::rpc::encrypt(&manager, &mut wallet, &passphrase).map_err(refused)
    }

    async fn unlock(&self, passphrase: String, seconds: u32) -> Result<()> {
        let (manager, shared) = self.loaded()?;
        let mut wallet = shared.lock().await;
        crate::rpc::unlock(&manager, &shared, &mut wallet, &passphrase, i64::from(seconds)).map_err(refused)
    }

    async fn lock(&self) -> Result<()> {
        let (manager, wallet) = self.loaded()?;
        let mut wallet = wallet.lock().await;
        crate::rpc::lock(&manager, &mut wallet).map_err(refused)
    }

    async fn backup(&self, destination: String) -> Result<()> {
        let (_, wallet) = self.current().await?;
        crate::rpc::backup(&wallet, std::path::Path::new(&destination)).map_err(refused)
    }

    async fn unload(&self) -> Result<()> {
        let (manager, _) = self.loaded()?;
        manager.unload_wallet(&self.name);
        for warning in crate::rpc::update_startup(&manager, &self.name, Some(false)).await {
            tracing::warn!("{warning}");
        }
        Ok(())
    }

    async fn handle_notifications(&self, notifications: Arc<dyn WalletNotifications>) -> Result<Box<dyn Handler>> {
        let (manager, _) = self.loaded()?;
        Ok(manager.watch(&self.name, notifications))
    }
}

/// A wallet's refusal, in the words its RPC methods give.
fn refused(e: RpcError) -> Error {
    Error::Remote(e.message)
}
