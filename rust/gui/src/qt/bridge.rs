//! The one QObject QML sees: the controller's state as properties, the
//! window's requests as invokables. State arrives on any thread and is queued
//! onto Qt's; requests run on the tokio runtime.

use std::pin::Pin;
use std::sync::Arc;

use cxx_qt::{CxxQtType, Threading};
use cxx_qt_lib::QString;
use serde_json::Value;

use crate::model::controller::{Controller, NodeRole, Phase, View, ViewState};

#[cxx_qt::bridge]
pub mod qobject {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qstring.h");
        type QString = cxx_qt_lib::QString;
    }

    extern "RustQt" {
        #[qobject]
        #[qml_element]
        #[qproperty(QString, phase)]
        #[qproperty(QString, init_message, cxx_name = "initMessage")]
        #[qproperty(QString, error_message, cxx_name = "errorMessage")]
        #[qproperty(i32, exit_code, cxx_name = "exitCode")]
        #[qproperty(i32, blocks)]
        #[qproperty(i32, headers)]
        #[qproperty(i32, blocks_left, cxx_name = "blocksLeft")]
        #[qproperty(f64, progress)]
        #[qproperty(bool, synced)]
        #[qproperty(QString, sync_headline, cxx_name = "syncHeadline")]
        #[qproperty(QString, sync_detail, cxx_name = "syncDetail")]
        #[qproperty(QString, time_left, cxx_name = "timeLeft")]
        #[qproperty(i32, connections_in, cxx_name = "connectionsIn")]
        #[qproperty(i32, connections_out, cxx_name = "connectionsOut")]
        #[qproperty(bool, network_active, cxx_name = "networkActive")]
        #[qproperty(QString, traffic_in, cxx_name = "trafficIn")]
        #[qproperty(QString, traffic_out, cxx_name = "trafficOut")]
        #[qproperty(QString, mempool)]
        #[qproperty(QString, peers_json, cxx_name = "peersJson")]
        #[qproperty(QString, wallets_json, cxx_name = "walletsJson")]
        #[qproperty(bool, attached)]
        #[qproperty(QString, chain_name, cxx_name = "chainName")]
        #[qproperty(bool, start_minimized, cxx_name = "startMinimized")]
        #[qproperty(bool, show_splash, cxx_name = "showSplash")]
        #[qproperty(QString, screenshot_dir, cxx_name = "screenshotDir")]
        type GuiModel = super::GuiModelRust;

        /// Picks up the node and starts following it; QML calls it once the
        /// window exists.
        #[qinvokable]
        fn attach(self: Pin<&mut GuiModel>);

        /// The window is closing: stop an owned node, leave an attached one.
        #[qinvokable]
        fn close(self: Pin<&mut GuiModel>);

        #[qinvokable]
        #[cxx_name = "switchNetwork"]
        fn switch_network(self: Pin<&mut GuiModel>, active: bool);

        #[qinvokable]
        #[cxx_name = "runConsole"]
        fn run_console(self: Pin<&mut GuiModel>, line: &QString, wallet: &QString);

        #[qinvokable]
        #[cxx_name = "historyOlder"]
        fn history_older(self: &GuiModel) -> QString;

        #[qinvokable]
        #[cxx_name = "historyNewer"]
        fn history_newer(self: &GuiModel) -> QString;

        /// A console line's output, once its calls have run.
        #[qsignal]
        #[cxx_name = "consoleReply"]
        fn console_reply(self: Pin<&mut GuiModel>, text: QString);
    }

    impl cxx_qt::Threading for GuiModel {}
}

#[derive(Default)]
pub struct GuiModelRust {
    phase: QString,
    init_message: QString,
    error_message: QString,
    exit_code: i32,
    blocks: i32,
    headers: i32,
    blocks_left: i32,
    progress: f64,
    synced: bool,
    sync_headline: QString,
    sync_detail: QString,
    time_left: QString,
    connections_in: i32,
    connections_out: i32,
    network_active: bool,
    traffic_in: QString,
    traffic_out: QString,
    mempool: QString,
    peers_json: QString,
    wallets_json: QString,
    attached: bool,
    chain_name: QString,
    start_minimized: bool,
    show_splash: bool,
    screenshot_dir: QString,
    backend: Option<Backend>,
}

/// What the model needs once attached.
struct Backend {
    controller: Arc<Controller>,
    runtime: tokio::runtime::Handle,
}

/// The controller's screens: each state is queued onto Qt's thread.
struct QtView(cxx_qt::CxxQtThread<qobject::GuiModel>);

impl View for QtView {
    fn show(&self, state: ViewState) {
        // The window is gone when this fails: nothing left to show.
        let _ = self.0.queue(move |model| apply(model, state));
    }
}

fn text(s: &str) -> QString {
    QString::from(s)
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn apply(mut model: Pin<&mut qobject::GuiModel>, state: ViewState) {
    model.as_mut().set_init_message(text(&state.init_message));
    if let Some(sync) = &state.sync {
        model.as_mut().set_blocks(sync.blocks);
        model.as_mut().set_headers(sync.headers);
        model.as_mut().set_blocks_left(sync.blocks_left);
        model.as_mut().set_progress(sync.progress);
        model.as_mut().set_synced(sync.synced);
        model.as_mut().set_sync_headline(text(&sync.headline));
        model.as_mut().set_sync_detail(text(&sync.detail));
        model.as_mut().set_time_left(text(&sync.time_left));
    }
    model.as_mut().set_connections_in(count(state.connections_in));
    model.as_mut().set_connections_out(count(state.connections_out));
    model.as_mut().set_network_active(state.network_active);
    model.as_mut().set_traffic_in(text(&state.traffic_in));
    model.as_mut().set_traffic_out(text(&state.traffic_out));
    model.as_mut().set_mempool(text(&state.mempool));
    let peers = Value::Array(state.peers.iter().map(|p| p.to_json()).collect());
    model.as_mut().set_peers_json(text(&peers.to_string()));
    let wallets = Value::Array(state.wallets.iter().map(|w| w.to_json()).collect());
    model.as_mut().set_wallets_json(text(&wallets.to_string()));
    // The phase last: QML reacts to it, and should see the rest in place.
    let (phase, code, error) = match &state.phase {
        Phase::Starting => ("starting", 0, ""),
        Phase::Ready => ("ready", 0, ""),
        Phase::ShuttingDown => ("shuttingDown", 0, ""),
        Phase::Finished(code) => ("finished", *code, ""),
        Phase::Failed(message) => ("failed", 1, message.as_str()),
    };
    model.as_mut().set_error_message(text(error));
    model.as_mut().set_exit_code(code);
    model.as_mut().set_phase(text(phase));
}

impl qobject::GuiModel {
    fn attach(mut self: Pin<&mut Self>) {
        if self.backend.is_some() {
            return;
        }
        let Some(launch) = super::LAUNCH.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        self.as_mut().set_attached(matches!(launch.role, NodeRole::Attached));
        self.as_mut().set_chain_name(text(&launch.chain_name));
        self.as_mut().set_start_minimized(launch.start_minimized);
        self.as_mut().set_show_splash(launch.splash);
        if let Ok(dir) = std::env::var(SCREENSHOT_DIR_ENV) {
            self.as_mut().set_screenshot_dir(text(&dir));
        }
        self.as_mut().set_phase(text("starting"));
        let view = Arc::new(QtView(self.qt_thread()));
        let controller = Controller::new(launch.node, launch.role, view);
        launch.runtime.spawn(controller.clone().run(launch.lost));
        // SIGINT and SIGTERM close the window, as the reference GUI does.
        let closing = controller.clone();
        launch.runtime.spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            closing.close().await;
        });
        self.as_mut().rust_mut().backend = Some(Backend { controller, runtime: launch.runtime });
    }

    fn close(self: Pin<&mut Self>) {
        if let Some(backend) = &self.backend {
            let controller = backend.controller.clone();
            backend.runtime.spawn(async move { controller.close().await });
        }
    }

    fn switch_network(self: Pin<&mut Self>, active: bool) {
        if let Some(backend) = &self.backend {
            let controller = backend.controller.clone();
            backend.runtime.spawn(async move { controller.set_network_active(active).await });
        }
    }

    fn run_console(self: Pin<&mut Self>, line: &QString, wallet: &QString) {
        let Some(backend) = &self.backend else { return };
        let (line, wallet) = (line.to_string(), wallet.to_string());
        let controller = backend.controller.clone();
        let thread = self.qt_thread();
        backend.runtime.spawn(async move {
            let wallet = Some(wallet.as_str()).filter(|w| !w.is_empty());
            let reply = controller.console(&line, wallet).await;
            let _ = thread.queue(move |model| model.console_reply(text(&reply)));
        });
    }

    fn history_older(&self) -> QString {
        self.backend.as_ref().and_then(|b| b.controller.history_older()).map_or_else(QString::default, |l| text(&l))
    }

    fn history_newer(&self) -> QString {
        self.backend.as_ref().and_then(|b| b.controller.history_newer()).map_or_else(QString::default, |l| text(&l))
    }
}

/// Where the window saves a picture of each screen once the node is ready,
/// for reviewers of the functional tests; unset in normal use.
const SCREENSHOT_DIR_ENV: &str = "HASHVIVE_GUI_SCREENSHOTS";
