//! A node process from `main` to exit: options, data directory, logging, the
//! RPC server, waiting for shutdown, and cleaning up.
//!
//! Order matters and follows the reference node, so that errors users and test
//! frameworks check for come out the same: command line, data directory, config
//! file, chain, `-help`/`-version`, stray arguments, then option validation,
//! the data directory lock, daemonising, and only then logging to `debug.log`.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};

use hashvive_common::args::{absolute_under, Args};
use hashvive_common::chain::Chain;
use hashvive_common::datadir::chain_datadir;
use hashvive_common::help::{format_options, wrap};
use hashvive_common::logging::{self, LogHandle, LogOptions};
use hashvive_common::options::node_options;
use hashvive_common::rw_settings::RwSettings;
use hashvive_common::settings::{Settings, CONF_FILENAME};
use hashvive_common::shutdown::Shutdown;
use hashvive_common::{time, version};
use hashvive_interfaces::Ipc;
use hashvive_rpc::RpcTable;

use crate::chain::chain_config;
use crate::chain_client::SharedRwSettings;
use crate::daemon::{self, DaemonNotifier, DatadirLock, PidFile};
use crate::http::auth::{Cookie, COOKIE_USER};
use crate::http::{rpc_settings, HttpServer, RpcSettings};
use crate::local::NodeInit;
use crate::local_node::{NodeContext, NodeEvents};
use crate::rpc::control::{self, ControlContext};
use crate::rpc::net::NetworkSettings;
use crate::wallets::Wallets;
use hashvive_chain::{ChainConfig, Chainstate};
use hashvive_net::{NetConfig, NetManager};

pub const PID_FILENAME: &str = "hashvived.pid";
/// The saved mempool (`-persistmempool`), in the chain directory.
const MEMPOOL_FILENAME: &str = "mempool.dat";

/// The executables this crate's `main` runs.
pub use hashvive_common::programs::{Program as Executable, HASHVIVED, HASHVIVE_GUI, HASHVIVE_NODE, HASHVIVE_QT};

/// Which implementations this executable plugs in where a component could be
/// local or in another process.
#[derive(Default)]
pub struct Wiring {
    /// IPC, for executables built with it (`hashvive-node`): `-ipcbind`, and
    /// `echoipc` through a spawned process. Made only after `-daemon` has
    /// forked, because its thread would not survive the fork.
    pub ipc: Option<IpcFactory>,
    /// The wallets, for executables built with them: reads their options
    /// before the node starts (so option errors come out first), and returns
    /// how to start them on the node's `Chain`, in this process (`hashvived`)
    /// or in a process spawned through the node's IPC (`hashvive-node`).
    pub wallet: Option<WalletFactory>,
}

pub type IpcFactory = Box<dyn FnOnce() -> Result<Arc<dyn Ipc>, String>>;
pub type WalletFactory = Box<dyn FnOnce(&Args, &Path, bitcoin::Network) -> Result<WalletStart, String>>;
pub use crate::wallets::{StartedWallets, WalletStart};

/// How long shutdown waits for spawned processes to exit.
const CHILD_EXIT_TIMEOUT: Duration = Duration::from_secs(10);

/// The executable `echoipc` spawns.
const ECHO_PROCESS: &str = "hashvive-node";

/// A node run for another component of this process (a GUI's `Node.start`)
/// rather than as the process itself: it hears the start-up messages, gets
/// the running node when it serves, and leaves signals and daemonising alone.
pub(crate) struct Embedding {
    pub events: Arc<NodeEvents>,
    pub ready: tokio::sync::oneshot::Sender<Arc<NodeContext>>,
}

/// An error that ends start-up: printed as `Error: …` and exit status 1.
#[derive(Debug)]
pub struct InitError {
    pub message: String,
    /// Already in debug.log (written before a `-daemonwait` parent was told).
    logged: bool,
}

impl InitError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        InitError { message: message.into(), logged: false }
    }
}

impl<E: std::fmt::Display> From<E> for InitError {
    fn from(e: E) -> Self {
        InitError::new(e.to_string())
    }
}

/// Runs the node with the process's arguments; the exit code to return from `main`.
pub fn main(exe: &Executable, wiring: Wiring) -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    let argv: Vec<String> = argv.into_iter().map(|a| a.to_string_lossy().into_owned()).collect();
    match run(exe, argv, wiring, None) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Logged too when logging is up, so debug.log tells the whole story.
            if !e.logged {
                tracing::error!("{}", e.message);
            }
            eprintln!("Error: {}", e.message);
            ExitCode::FAILURE
        }
    }
}

/// Runs a node with the command line `argv` until it shuts down.
pub(crate) fn run(
    exe: &Executable,
    argv: Vec<String>,
    wiring: Wiring,
    embedding: Option<Embedding>,
) -> Result<(), InitError> {
    let defs = node_options();
    let Settings { mut args, datadir, config_path, chain, positional: stray } = Settings::read(&defs, argv)?;

    if ["?", "h", "help", "help-debug"].iter().any(|h| args.is_set(h)) {
        print_to_stdout(&format!(
            "{}\n\n{}\n\nUsage:  {} [options]                     Start Hashvive {}\n\n{}",
            version::header(exe.title),
            wrap(exe.description, 79, 0),
            exe.name,
            exe.title,
            format_options(&defs, args.is_set("help-debug"))
        ));
        return Ok(());
    }
    if args.is_set("version") {
        print_to_stdout(&format!("{}\n{}", version::header(exe.title), version::license_text()));
        return Ok(());
    }
    if let Some(token) = stray.first() {
        return Err(InitError::new(format!(
            "Command line contains unexpected token '{token}', see {} -h for a list of options.",
            exe.name
        )));
    }
    if args.is_set("ipcfd") {
        return Err(InitError::new(format!(
            "-ipcfd is only for processes hashvive spawns itself, as: hashvive-node -ipcfd <fd>; {} does not take it",
            exe.name
        )));
    }
    let ipc_bind = args.get_all("ipcbind");
    if !ipc_bind.is_empty() && wiring.ipc.is_none() {
        return Err(InitError::new(format!(
            "-ipcbind needs a multiprocess executable (hashvive-node, built with -DWITH_MULTIPROCESS=ON); {} has no IPC",
            exe.name
        )));
    }
    // A daemon serves RPC unless told not to; a GUI's node only with
    // `-server`, as the reference GUI's.
    if embedding.is_none() {
        args.soft_set("server", "1");
    }
    if args.is_set("mocktime") {
        if !chain.is_mockable() {
            return Err(InitError::new("-mocktime is for regression testing (-regtest mode) only"));
        }
        time::set_mock_time(args.get_int("mocktime", 0).max(0));
    }

    let chain_dir = chain_datadir(&datadir, chain)?;
    let rpc = rpc_settings(&args, chain, &chain_dir)?;
    let log_options = LogOptions::from_args(&args, &chain_dir)?;
    let _lock = DatadirLock::acquire(&chain_dir)?;
    // Read, and written back at once, so a settings file that cannot be
    // written stops the node now rather than a `createwallet` later.
    let rw_settings = RwSettings::for_args(&args, &chain_dir).map_err(|e| InitError::new(e.to_string()))?;
    if rw_settings.enabled() {
        rw_settings.write().map_err(|e| InitError::new(e.to_string()))?;
    }
    args.set_rw_settings(&rw_settings);
    let daemon_notifier = match (args.get_bool("daemon", false), args.get_bool("daemonwait", false)) {
        (false, false) => None,
        _ if embedding.is_some() => {
            return Err(InitError::new("-daemon and -daemonwait are not available to a node a GUI starts"))
        }
        (_, wait) => Some(daemon::daemonize(wait)?),
    };
    let ipc = wiring.ipc.map(|make| make()).transpose().map_err(InitError::new)?;
    let log = logging::init(log_options)?;
    log_startup(exe, &datadir, config_path.as_deref(), &mut args);
    for warning in &rpc.warnings {
        tracing::warn!("{warning}");
    }
    let pid_file = match args.is_negated("pid") {
        true => None,
        false => Some(PidFile::create(&absolute_under(&chain_dir, &args.get_or("pid", PID_FILENAME)))?),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("hashvive-worker")
        .build()
        .map_err(|e| InitError::new(format!("Cannot start the async runtime: {e}")))?;
    let chain_config = chain_config(&args, chain, &chain_dir)?;
    let wallet = match wiring.wallet {
        Some(prepare) if !args.get_bool("disablewallet", false) => {
            // The reference creates the wallet directory whether or not a wallet loads.
            Some(prepare(&args, &chain_dir, crate::chain::network(chain)).map_err(InitError::new)?)
        }
        _ => None,
    };
    let net_settings = Arc::new(NetworkSettings::from_args(&args).map_err(InitError::new)?);
    let mut net_config =
        NetConfig::from_args(&args, chain, chain_config.params.network.magic(), net_settings.user_agent.clone())
            .map_err(InitError::new)?;
    net_settings.apply_to(&mut net_config).map_err(InitError::new)?;
    net_config.ban_file = Some(chain_dir.join(hashvive_net::banman::BANLIST_FILENAME));
    net_config.peers_file = Some(chain_dir.join(hashvive_net::addrman::PEERS_FILENAME));
    let node = RunningNode {
        chain,
        chain_config,
        net_settings,
        net_config,
        persist_mempool: args.get_bool("persistmempool", true),
        persist_mempool_v1: args.get_bool("persistmempoolv1", false),
        chain_dir,
        rw_settings: Arc::new(std::sync::Mutex::new(rw_settings)),
        server: args.get_bool("server", false),
        log,
        cli_name: "hashvive-cli",
        ipc,
        ipc_bind,
        wallet,
        embedding,
    };
    let result = runtime.block_on(node.serve(rpc, daemon_notifier));
    // Tasks still blocked in handlers must not keep the process alive forever.
    runtime.shutdown_timeout(Duration::from_secs(5));
    drop(pid_file);
    tracing::info!("Shutdown: done");
    result
}

fn log_startup(exe: &Executable, datadir: &Path, config_path: Option<&Path>, args: &mut Args) {
    tracing::info!("{} version {} ({})", version::CLIENT_NAME, version::format_version(), exe.name);
    match config_path {
        Some(path) => tracing::info!("Config file: {}", path.display()),
        None => tracing::info!("Config file: {} (not found, skipping)", datadir.join(CONF_FILENAME).display()),
    }
    tracing::info!("Using data directory {}", datadir.display());
    for warning in args.take_warnings().into_iter().chain(args.unrecognized_sections()) {
        tracing::warn!("{warning}");
    }
}

/// What the node keeps while it runs.
struct RunningNode {
    chain: Chain,
    chain_config: ChainConfig,
    /// What `getnetworkinfo` reports from the network options.
    net_settings: Arc<NetworkSettings>,
    /// The connection options.
    net_config: NetConfig,
    /// `-persistmempool`, `-persistmempoolv1`
    persist_mempool: bool,
    persist_mempool_v1: bool,
    chain_dir: PathBuf,
    /// `settings.json`, which wallets edit through `Chain`.
    rw_settings: SharedRwSettings,
    server: bool,
    log: LogHandle,
    cli_name: &'static str,
    ipc: Option<Arc<dyn Ipc>>,
    ipc_bind: Vec<String>,
    wallet: Option<WalletStart>,
    embedding: Option<Embedding>,
}

impl RunningNode {
    async fn serve(mut self, rpc: RpcSettings, notifier: Option<DaemonNotifier>) -> Result<(), InitError> {
        let shutdown = Shutdown::new();
        let embedding = self.embedding.take();
        // A GUI's node stops when the GUI says so: Ctrl-C reaches the GUI.
        let signals = watch_signals(shutdown.clone(), self.log.clone(), embedding.is_none())?;
        let (events, ready) = match embedding {
            Some(Embedding { events, ready }) => (events, Some(ready)),
            None => (Arc::default(), None),
        };
        let table = Arc::new(RpcTable::new());
        control::register(
            &table,
            Arc::new(ControlContext {
                shutdown: shutdown.clone(),
                chain: self.chain,
                started_at: time::system_now(),
                log_path: self.log.file_path().map(Path::to_path_buf),
                cli_name: self.cli_name,
            }),
        );

        control::register_echoipc(&table, self.ipc.clone(), ECHO_PROCESS);

        let started = self.start_rpc(rpc, table.clone()).await;
        let (http, cookie) = match started {
            Ok(servers) => servers,
            Err(e) => return Err(failed(notifier, e)),
        };
        table.set_warmup(Some("Loading block index...".into()));
        events.init_message("Loading block index…");
        let chainstate = match crate::chain::open(self.chain_config.clone()).await {
            Ok(c) => c,
            Err(e) => {
                stop_rpc(http, cookie).await;
                return Err(failed(notifier, e));
            }
        };
        crate::rpc::register_chain(&table, &chainstate, self.chain, &self.chain_config.blocks_dir, self.cli_name);
        let mempool_file = self.persist_mempool.then(|| self.chain_dir.join(MEMPOOL_FILENAME));
        if let Some(path) = mempool_file.clone() {
            let c = chainstate.clone();
            let loaded = tokio::task::spawn_blocking(move || c.load_mempool(&path)).await;
            match loaded {
                Ok(Ok(n)) => tracing::info!("Imported mempool transactions from disk: {n} succeeded"),
                Ok(Err(e)) => tracing::warn!("Failed to import mempool file: {e}"),
                Err(e) => tracing::warn!("Failed to import mempool file: {e}"),
            }
        }
        let context = Arc::new(NodeContext {
            chainstate: chainstate.clone(),
            table: table.clone(),
            shutdown: shutdown.clone(),
            events: events.clone(),
            net: Default::default(),
            wallets: Default::default(),
            runtime: tokio::runtime::Handle::current(),
            rw_settings: self.rw_settings.clone(),
        });
        let ipc_listener = match self.start_ipc(context.clone()).await {
            Ok(listener) => listener,
            Err(e) => {
                stop_rpc(http, cookie).await;
                return Err(failed(notifier, e));
            }
        };
        if self.wallet.is_some() {
            events.init_message("Loading wallet…");
        }
        let wallet = match self.start_wallet(&chainstate, &table).await {
            Ok(wallet) => wallet,
            Err(e) => {
                stop_rpc(http, cookie).await;
                return Err(failed(notifier, e));
            }
        };
        if let Some(wallets) = &wallet {
            let _ = context.wallets.set(wallets.clone());
        }
        // Peers come last, once everything they could ask for is ready.
        events.init_message("Starting network threads…");
        let net = match NetManager::start(self.net_config.clone(), chainstate.clone()).await {
            Ok(net) => net,
            Err(e) => {
                drop(ipc_listener);
                stop_rpc(http, cookie).await;
                return Err(failed(notifier, InitError::new(e.to_string())));
            }
        };
        crate::rpc::register_network(&table, &chainstate, self.net_settings.clone(), net.clone(), self.cli_name);
        let _ = context.net.set(net.clone());
        context.spawn_watches();
        table.set_warmup(None);
        events.init_message("Done loading");
        if let Some(n) = notifier {
            n.succeeded();
        }
        // Nobody waits for an embedded node any more: it has no reason to run.
        if ready.is_some_and(|ready| ready.send(context.clone()).is_err()) {
            shutdown.request();
        }

        shutdown.wait().await;
        events.shutting_down();
        tracing::info!("Shutdown: In progress...");
        signals.abort();
        net.stop().await;
        drop(ipc_listener);
        stop_rpc(http, cookie).await;
        if let Some(wallets) = wallet {
            wallets.stop().await;
        }
        // Spawned processes end before the node does: nothing outlives it.
        if let Some(ipc) = &self.ipc {
            ipc.shutdown(CHILD_EXIT_TIMEOUT).await;
        }
        let plain = self.persist_mempool_v1;
        let flushed = tokio::task::spawn_blocking(move || {
            if let Some(path) = mempool_file {
                match chainstate.dump_mempool(&path, plain) {
                    Ok(n) => tracing::info!("Dumped mempool: {n} transactions to {}", path.display()),
                    Err(e) => tracing::error!("Failed to dump mempool: {e}. Continuing anyway."),
                }
            }
            chainstate.flush()
        })
        .await;
        if let Ok(Err(e)) = flushed {
            tracing::error!("Failed to write the chain state to disk: {e}");
        }
        Ok(())
    }

    /// Starts the wallets on the node's chain state.
    async fn start_wallet(
        &mut self,
        chainstate: &Arc<Chainstate>,
        table: &Arc<RpcTable>,
    ) -> Result<Option<Arc<Wallets>>, InitError> {
        let Some(start) = self.wallet.take() else { return Ok(None) };
        table.set_warmup(Some("Loading wallet...".into()));
        let chain =
            Arc::new(crate::chain_client::NodeChain::new(chainstate.clone(), table.clone(), self.rw_settings.clone()));
        let wallets = Wallets::start(start, chain, self.ipc.clone(), table.clone()).await.map_err(InitError::new)?;
        Ok(Some(wallets))
    }

    /// Serves the node's `Init` on each `-ipcbind` address.
    async fn start_ipc(&self, node: Arc<NodeContext>) -> Result<Option<Box<dyn Send>>, InitError> {
        let Some(ipc) = self.ipc.as_ref().filter(|_| !self.ipc_bind.is_empty()) else { return Ok(None) };
        let init = Arc::new(NodeInit {
            chain: self.chain,
            chainstate: node.chainstate.clone(),
            table: node.table.clone(),
            node,
            rw_settings: self.rw_settings.clone(),
            runtime: tokio::runtime::Handle::current(),
        });
        Ok(Some(ipc.listen(&self.ipc_bind, &self.chain_dir, init).await?))
    }

    async fn start_rpc(
        &self,
        mut rpc: RpcSettings,
        table: Arc<RpcTable>,
    ) -> Result<(Option<HttpServer>, Option<Cookie>), InitError> {
        if !self.server {
            return Ok((None, None));
        }
        let cookie = match &rpc.cookie {
            Some((path, mode)) => {
                let cookie = Cookie::generate(path, *mode)?;
                rpc.http.credentials.add_plain(COOKIE_USER, &cookie.password);
                tracing::info!("Generated RPC authentication cookie {}", path.display());
                Some(cookie)
            }
            None => None,
        };
        match HttpServer::start(rpc.http, table).await {
            Ok(server) => Ok((Some(server), cookie)),
            Err(e) => {
                if let Some(c) = cookie {
                    c.remove();
                }
                Err(e.into())
            }
        }
    }
}

/// Tells a `-daemonwait` parent that start-up failed, and passes the error on.
fn failed(notifier: Option<DaemonNotifier>, mut error: InitError) -> InitError {
    tracing::error!("{}", error.message);
    error.logged = true;
    if let Some(n) = notifier {
        n.failed();
    }
    error
}

async fn stop_rpc(http: Option<HttpServer>, cookie: Option<Cookie>) {
    if let Some(http) = http {
        tracing::debug!(target: "http", "Stopping HTTP server");
        http.stop().await;
    }
    if let Some(cookie) = cookie {
        cookie.remove();
    }
}

/// SIGTERM (and SIGINT, when `interrupt`) request shutdown; SIGHUP reopens
/// `debug.log`.
fn watch_signals(
    shutdown: Shutdown,
    log: LogHandle,
    interrupt: bool,
) -> Result<tokio::task::JoinHandle<()>, InitError> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = if interrupt { Some(signal(SignalKind::interrupt())?) } else { None };
    let mut hup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => shutdown.request(),
                Some(_) = async { int.as_mut()?.recv().await } => shutdown.request(),
                _ = hup.recv() => {
                    if let Err(e) = log.reopen() {
                        tracing::warn!("{e}");
                    }
                }
            }
        }
    }))
}

/// Help and version text may be piped into `head`: a closed pipe ends the
/// output quietly instead of panicking like `print!` would.
pub(crate) fn print_to_stdout(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
}
