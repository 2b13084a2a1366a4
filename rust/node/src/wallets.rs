//! The node's wallets, wherever they run: started through a `WalletLoader`
//! on the node's `Chain`, stopped at shutdown, and, when they run in a
//! process of their own that dies, stood in for: the wallet methods answer
//! that no wallet is loaded, and `loadwallet` or `createwallet` starts a new
//! wallet process and passes the call on to it. A GUI reaches them through
//! [`NodeWallets`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::Mutex;

use hashvive_interfaces::{
    async_trait, Chain, Error, Handler, Ipc, Wallet, WalletCreation, WalletLoader, WalletLoaderNotifications,
};
use hashvive_rpc::error::codes;
use hashvive_rpc::table::{BoxFuture, Call, Forwarded};
use hashvive_rpc::{Command, RpcError, RpcTable};

/// Wallets just started, and for those in a process of their own, a future
/// that completes when that process is gone.
pub struct StartedWallets {
    pub loader: Arc<dyn WalletLoader>,
    pub exited: Option<BoxFuture<()>>,
}

/// Starts the wallets on the node's `Chain` (through the node's IPC, if it
/// has one); may be called again after a wallet process died.
pub type WalletStart =
    Box<dyn Fn(Arc<dyn Chain>, Option<Arc<dyn Ipc>>) -> BoxFuture<Result<StartedWallets, String>> + Send + Sync>;

/// How long shutdown waits for the wallets to close.
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Methods that start the wallets again after their process died.
const RESTARTING: [&str; 3] = ["createwallet", "loadwallet", "restorewallet"];

pub(crate) struct Wallets {
    start: WalletStart,
    chain: Arc<dyn Chain>,
    ipc: Option<Arc<dyn Ipc>>,
    table: Arc<RpcTable>,
    /// The running wallets; `None` once their process died.
    running: Mutex<Option<Arc<dyn WalletLoader>>>,
    stopping: AtomicBool,
}

impl Wallets {
    /// Starts the wallets; a failure (a `-wallet` that does not load) is the
    /// node's start-up error.
    pub(crate) async fn start(
        start: WalletStart,
        chain: Arc<dyn Chain>,
        ipc: Option<Arc<dyn Ipc>>,
        table: Arc<RpcTable>,
    ) -> Result<Arc<Wallets>, String> {
        let wallets =
            Arc::new(Wallets { start, chain, ipc, table, running: Mutex::new(None), stopping: AtomicBool::new(false) });
        {
            let mut running = wallets.running.lock().await;
            wallets.launch(&mut running).await?;
        }
        wallets.stand_in_for_methods();
        Ok(wallets)
    }

    /// Starts the wallets into `running` and watches their process.
    async fn launch(self: &Arc<Self>, running: &mut Option<Arc<dyn WalletLoader>>) -> Result<(), String> {
        let started = (self.start)(self.chain.clone(), self.ipc.clone()).await?;
        started.loader.start().await.map_err(|e| e.to_string())?;
        if let Some(exited) = started.exited {
            let watched = loader_id(&started.loader);
            let wallets = Arc::downgrade(self);
            tokio::spawn(async move {
                exited.await;
                forget_exited(wallets, watched).await;
            });
        }
        *running = Some(started.loader);
        Ok(())
    }

    /// Registers, below the wallets' own methods, a stand-in for each: it
    /// answers when the wallets' process is gone.
    fn stand_in_for_methods(self: &Arc<Self>) {
        for command in self.table.commands() {
            let Some(forwarded) = &command.forwarded else { continue };
            let name = command.name.to_string();
            let wallets = Arc::downgrade(self);
            let handler: hashvive_rpc::Handler = Arc::new(move |call: Call| {
                let wallets = wallets.clone();
                Box::pin(async move {
                    let wallets = wallets.upgrade().ok_or_else(|| no_wallet_process("the node is shutting down"))?;
                    wallets.stand_in(call).await
                })
            });
            let stand_in = Forwarded { signature: forwarded.signature.clone(), help: forwarded.help.clone() };
            self.table.register_fallback(Command::forwarded(name, command.category.to_string(), stand_in, handler));
        }
    }

    /// Answers a wallet method while no wallet process serves it. While one
    /// does, its answer stands (the "not found" answered here is passed over).
    async fn stand_in(self: Arc<Self>, call: Call) -> Result<Value, RpcError> {
        let method = call.request.method.clone();
        let mut running = self.running.lock().await;
        if self.stopping.load(Ordering::SeqCst) {
            return Err(no_wallet_process("the node is shutting down"));
        }
        if running.is_some() {
            // The process's own method answered "not found" first, and that
            // answer stands; unless its methods are gone: it has exited, and
            // the watcher has not heard yet.
            if self.table.registration_count(&method) > 1 {
                return Err(no_wallet_process("no wallet process serves it"));
            }
            *running = None;
        }
        if method == "listwallets" {
            return Ok(json!([]));
        }
        if !RESTARTING.contains(&method.as_str()) {
            return Err(no_wallet_process("the wallet process exited"));
        }
        tracing::info!("Starting the wallets again for {method}");
        self.launch(&mut running)
            .await
            .map_err(|e| RpcError::new(codes::RPC_WALLET_ERROR, format!("Cannot start the wallets: {e}")))?;
        drop(running);
        // Passed on to the new process's own method.
        match self.table.get(&method) {
            Some(command) if self.table.registration_count(&method) > 1 => {
                (command.handler)(Call { params: Vec::new(), request: call.request }).await
            }
            _ => Err(no_wallet_process("the wallet process does not serve this method")),
        }
    }

    /// Closes the wallets (at shutdown).
    pub(crate) async fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let Some(loader) = self.running.lock().await.take() else { return };
        match tokio::time::timeout(STOP_TIMEOUT, loader.stop()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!("Stopping the wallets: {e}"),
            Err(_) => tracing::warn!("The wallets did not stop within {} s", STOP_TIMEOUT.as_secs()),
        }
    }
}

/// The node's wallets as a GUI reaches them (`Node::wallet_loader`): each
/// call goes to the wallets running at the time, so a wallet process started
/// again serves the GUI too. Starting and stopping them is the node's own
/// business.
pub(crate) struct NodeWallets(pub(crate) Arc<Wallets>);

impl NodeWallets {
    async fn running(&self) -> Option<Arc<dyn WalletLoader>> {
        self.0.running.lock().await.clone()
    }

    /// The wallets running, started again if their process died: a wallet
    /// created or loaded from the GUI brings them back, as `loadwallet` does.
    async fn running_or_started(&self) -> hashvive_interfaces::Result<Arc<dyn WalletLoader>> {
        let mut running = self.0.running.lock().await;
        if self.0.stopping.load(Ordering::SeqCst) {
            return Err(Error::Remote("the node is shutting down".into()));
        }
        if running.is_none() {
            tracing::info!("Starting the wallets again for the GUI");
            self.0.launch(&mut running).await.map_err(|e| Error::Remote(format!("Cannot start the wallets: {e}")))?;
        }
        running.clone().ok_or_else(|| Error::Remote("the wallets did not start".into()))
    }
}

#[async_trait]
impl WalletLoader for NodeWallets {
    async fn start(&self) -> hashvive_interfaces::Result<()> {
        Err(Error::Remote("the node starts its wallets itself".into()))
    }

    async fn list_wallets(&self) -> hashvive_interfaces::Result<Vec<String>> {
        match self.running().await {
            Some(loader) => loader.list_wallets().await,
            None => Ok(Vec::new()),
        }
    }

    async fn wallets(&self) -> hashvive_interfaces::Result<Vec<Arc<dyn Wallet>>> {
        match self.running().await {
            Some(loader) => loader.wallets().await,
            None => Ok(Vec::new()),
        }
    }

    /// Heard from the wallets running now: loads in a wallet process started
    /// again after one died are not heard of.
    async fn handle_load_wallet(
        &self,
        notifications: Arc<dyn WalletLoaderNotifications>,
    ) -> hashvive_interfaces::Result<Box<dyn Handler>> {
        match self.running().await {
            Some(loader) => loader.handle_load_wallet(notifications).await,
            None => Err(Error::Remote("the wallet process exited".into())),
        }
    }

    async fn create_wallet(
        &self,
        name: String,
        options: WalletCreation,
    ) -> hashvive_interfaces::Result<Arc<dyn Wallet>> {
        self.running_or_started().await?.create_wallet(name, options).await
    }

    async fn load_wallet(&self, name: String) -> hashvive_interfaces::Result<Arc<dyn Wallet>> {
        self.running_or_started().await?.load_wallet(name).await
    }

    async fn list_wallet_dir(&self) -> hashvive_interfaces::Result<Vec<String>> {
        self.running_or_started().await?.list_wallet_dir().await
    }

    async fn stop(&self) -> hashvive_interfaces::Result<()> {
        Err(Error::Remote("the node stops its wallets itself".into()))
    }
}

/// Identifies a loader by address, without keeping it (and its connection) alive.
fn loader_id(loader: &Arc<dyn WalletLoader>) -> usize {
    Arc::as_ptr(loader) as *const () as usize
}

/// After the wallets' process `watched` exited: the stand-ins answer from now on.
async fn forget_exited(wallets: Weak<Wallets>, watched: usize) {
    let Some(wallets) = wallets.upgrade() else { return };
    if wallets.stopping.load(Ordering::SeqCst) {
        return;
    }
    let mut running = wallets.running.lock().await;
    if running.as_ref().is_some_and(|l| loader_id(l) == watched) {
        tracing::warn!(
            "The wallet process exited: wallet methods answer that no wallet is loaded until loadwallet or \
             createwallet starts it again"
        );
        *running = None;
    }
}

fn no_wallet_process(why: &str) -> RpcError {
    RpcError::new(
        codes::RPC_WALLET_NOT_FOUND,
        format!(
            "No wallet is loaded: {why}. Load a wallet using loadwallet or create a new one with createwallet, \
             which start the wallet process again."
        ),
    )
}
