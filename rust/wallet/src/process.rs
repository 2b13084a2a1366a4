//! The wallet as a process of its own. A node that runs wallets out of
//! process (`hashvive-node`) spawns `hashvive-wallet -ipcfd N` and asks its
//! [`WalletProcessInit`] for a `WalletLoader`, handing over its `Chain` and
//! its command line; the wallet process reads that command line (and the
//! configuration file it names) as the node did, logs to the same
//! `debug.log`, and runs the wallets on the node's chain. Started by hand as
//! `hashvive-wallet -ipcconnect`, it attaches to a node that listens instead.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use hashvive_common::datadir::chain_datadir;
use hashvive_common::logging::{self, LogHandle};
use hashvive_common::options::{node_options, OptionDef};
use hashvive_common::rw_settings::RwSettings;
use hashvive_common::settings::Settings;
use tokio::signal::unix::{signal, SignalKind};

use hashvive_interfaces::{async_trait, Chain, Connected, Error, Init, Ipc, Result, WalletLoader};

use crate::client::WalletStartup;
use crate::loader::LocalWalletLoader;

/// What the wallet process needs from its command line.
pub struct WalletProcessSettings {
    pub settings: Settings,
    pub chain_dir: PathBuf,
    pub startup: WalletStartup,
}

impl WalletProcessSettings {
    /// Reads `argv` against the options `defs` (a node's command line with
    /// the node's, `hashvive-wallet`'s own with the tool's).
    pub fn read(defs: &[OptionDef], argv: Vec<String>) -> std::result::Result<WalletProcessSettings, String> {
        let settings = Settings::read(defs, argv).map_err(|e| e.to_string())?;
        Self::from_settings(settings)
    }

    pub fn from_settings(mut settings: Settings) -> std::result::Result<WalletProcessSettings, String> {
        let chain_dir = chain_datadir(&settings.datadir, settings.chain).map_err(|e| e.to_string())?;
        // The node's `settings.json`, read only: the node writes it.
        let rw = RwSettings::for_args(&settings.args, &chain_dir).map_err(|e| e.to_string())?;
        settings.args.set_rw_settings(&rw);
        let network = hashvive_consensus::params::network(settings.chain);
        let startup = WalletStartup::from_args(&settings.args, &chain_dir, network).map_err(|e| e.to_string())?;
        Ok(WalletProcessSettings { settings, chain_dir, startup })
    }

    /// Starts logging as the options ask, into the node's log file.
    pub fn start_logging(&self) -> std::result::Result<LogHandle, String> {
        logging::init_beside_node(&self.settings.args, &self.chain_dir).map_err(|e| e.to_string())
    }
}

/// What `hashvive-wallet -ipcfd` serves the node that spawned it.
#[derive(Default)]
pub struct WalletProcessInit {
    /// Logging starts with the first loader, once the options are known.
    log: Mutex<Option<LogHandle>>,
}

#[async_trait]
impl Init for WalletProcessInit {
    async fn make_wallet_loader(&self, chain: Arc<dyn Chain>, args: Vec<String>) -> Result<Arc<dyn WalletLoader>> {
        let process = WalletProcessSettings::read(&node_options(), args).map_err(Error::Remote)?;
        {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            if log.is_none() {
                *log = Some(process.start_logging().map_err(Error::Remote)?);
            }
        }
        Ok(Arc::new(LocalWalletLoader::new(chain, process.startup)))
    }
}

/// Makes this process's IPC, for a build that has it.
pub type IpcFactory = Box<dyn FnOnce() -> std::result::Result<Arc<dyn Ipc>, String>>;

/// `hashvive-wallet -ipcconnect`: runs the wallets on the chain of the node
/// listening at `address`, their RPC methods served through that node, until
/// the node goes away or this process is asked to stop (SIGINT, SIGTERM).
/// With `quiet_absence` (`-ipcconnect=auto`), a node not listening gives the
/// settings back: nothing ran.
pub fn run_attached(
    process: WalletProcessSettings,
    address: &str,
    quiet_absence: bool,
    make_ipc: IpcFactory,
) -> std::result::Result<Option<WalletProcessSettings>, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("hashvive-wallet")
        .build()
        .map_err(|e| format!("Cannot start the async runtime: {e}"))?;
    let ipc = make_ipc()?;
    let default_dir = process.chain_dir.clone();
    let connected = runtime.block_on(ipc.connect(address, &default_dir));
    let Connected { init, closed } = match connected {
        Ok(c) => c,
        Err(hashvive_interfaces::Error::Disconnected(_)) if quiet_absence => return Ok(Some(process)),
        Err(e) => return Err(format!("Cannot connect to the node at {address}: {e}")),
    };
    let _log = process.start_logging()?;
    let result = runtime.block_on(async move {
        let chain = init.make_chain().await.map_err(|e| format!("The node offers no chain: {e}"))?;
        let loader = LocalWalletLoader::new(chain, process.startup);
        loader.start().await.map_err(|e| e.to_string())?;
        tracing::info!("Wallets running on the node at {address}");
        let mut term = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
        let mut int = signal(SignalKind::interrupt()).map_err(|e| e.to_string())?;
        let node_left = tokio::select! {
            _ = term.recv() => false,
            _ = int.recv() => false,
            _ = closed => true,
        };
        tracing::info!("Shutdown: In progress...");
        // Wallets write each change as it happens; stopping only closes them.
        loader.stop().await.map_err(|e| e.to_string())?;
        match node_left {
            // A supervisor should see that the wallets did not stop by request.
            true => Err(format!("The node at {address} went away")),
            false => Ok(()),
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    tracing::info!("Shutdown: done");
    result.map(|()| None)
}
