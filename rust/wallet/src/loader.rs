//! [`LocalWalletLoader`]: the wallets behind the `WalletLoader` interface.
//! `hashvived` holds one directly; `hashvive-wallet` serves one to the node
//! that spawned it, which then cannot tell the two apart.

use std::sync::{Arc, Mutex};

use tokio::sync::Mutex as AsyncMutex;

use hashvive_interfaces::{async_trait, Chain, Error, Result, WalletLoader};

use crate::client::{WalletClient, WalletStartup};

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

    async fn stop(&self) -> Result<()> {
        // Dropping the client withdraws the RPC methods, then closes the wallets.
        self.running.lock().await.take();
        Ok(())
    }
}
