//! The Qt application: a QML window on the [`Controller`], through one
//! QObject ([`bridge::qobject::GuiModel`]) that mirrors the controller's
//! [`ViewState`] as properties and takes the window's requests.
//!
//! [`ViewState`]: crate::model::controller::ViewState

// QML calls `prepareSend` with each of the send screen's fields, and cxx-qt
// takes no lint attributes inside a bridge.
#[allow(clippy::too_many_arguments)]
mod bridge;
mod intro;
mod messages;

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use cxx_qt_lib::{QGuiApplication, QQmlApplicationEngine, QString, QUrl};
use hashvive_common::programs::Program;
use hashvive_interfaces::Node;

use crate::launch::{self, Command, GuiSettings};
use crate::model::autostart::Autostart;
use crate::model::controller::NodeRole;
use crate::model::intro::{self as model_intro, Decision, GuiConfig};

/// The QML the window starts from, in the module the build script compiles in.
const MAIN_QML: &str = "qrc:/qt/qml/org/hashvive/gui/qml/Main.qml";

/// How a GUI executable came by its node.
pub struct Connection {
    pub node: Arc<dyn Node>,
    pub role: NodeRole,
    /// Resolves when the node's process or connection is gone.
    pub lost: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// Run once the window is gone: waits for whatever runs the node to end.
    pub close: Box<dyn FnOnce(&tokio::runtime::Runtime)>,
}

/// A GUI executable from `main` to exit: reads the command line, gets a node
/// through `connect`, runs the window, and closes the node's side.
pub fn main(
    program: &Program,
    connect: impl FnOnce(&GuiSettings, &tokio::runtime::Runtime) -> Result<Connection, String>,
) -> ExitCode {
    let argv = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let (argv, prune_mib) = match choose_data_dir(program, argv) {
        Ok(Some(chosen)) => chosen,
        // The user declined to choose: nothing started, nothing wrong.
        Ok(None) => return ExitCode::SUCCESS,
        Err(message) => return fail(&message),
    };
    let mut settings = match launch::read(program, argv) {
        Ok(Command::Print(text)) => {
            print!("{text}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(settings)) => *settings,
        Err(message) => return fail(&message),
    };
    // A link clicked while a GUI runs on this data directory is that GUI's.
    if let Some(uri) = &settings.payment_uri {
        match crate::instance::forward(&settings.chain_dir, uri) {
            Ok(true) => return ExitCode::SUCCESS,
            Ok(false) => {}
            Err(message) => return fail(&message),
        }
    }
    if let Err(message) = settings.reset_settings() {
        return fail(&message);
    }
    if let Some(mib) = prune_mib {
        if let Err(message) = settings.keep_prune_choice(mib) {
            return fail(&message);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("hashvive-gui")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("Cannot start the async runtime: {e}")),
    };
    let connection = match connect(&settings, &runtime) {
        Ok(connection) => connection,
        Err(message) => return fail(&message),
    };
    let code = run(Launch {
        node: connection.node,
        role: connection.role,
        lost: connection.lost,
        runtime: runtime.handle().clone(),
        chain_name: settings.chain.name().to_string(),
        chain_dir: settings.chain_dir.clone(),
        autostart: Autostart::for_this_gui(settings.chain, &settings.node_choice),
        start_minimized: settings.start_minimized,
        splash: settings.splash,
        payment_uri: settings.payment_uri.clone(),
    });
    (connection.close)(&runtime);
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    code
}

/// The command line to go on with, and the pruning (MiB) the welcome dialog chose.
type Chosen = (Vec<String>, Option<u64>);

/// The command line with the data directory to use, asked for first when the
/// reference GUI would ask (see [`crate::model::intro`]); `None` if the user
/// declined.
fn choose_data_dir(program: &Program, argv: Vec<String>) -> Result<Option<Chosen>, String> {
    // Without one (no $HOME), there is no default data directory to offer
    // either: the start-up says so.
    let Some(config) = GuiConfig::locate() else { return Ok(Some((argv, None))) };
    let (dir, prune_mib) = match model_intro::decide(&(program.options)(), &argv, &config) {
        Decision::AsGiven => return Ok(Some((argv, None))),
        Decision::Use(dir) => (dir, None),
        Decision::Ask(question) => {
            let Some(answer) = intro::ask(question) else { return Ok(None) };
            config.set_data_dir(&answer.dir)?;
            (answer.dir, answer.prune_mib)
        }
    };
    Ok(Some((model_intro::with_data_dir(argv, &dir), prune_mib)))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("Error: {message}");
    ExitCode::FAILURE
}

/// What the window's model picks up when QML creates it: the node, and how
/// this GUI came by it.
struct Launch {
    node: Arc<dyn Node>,
    role: NodeRole,
    /// Resolves when the node's process or connection is gone.
    lost: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    /// Where the controller and the node's client calls run.
    runtime: tokio::runtime::Handle,
    /// "regtest", shown in the title as the reference GUI shows it.
    chain_name: String,
    /// Where later starts find this GUI to hand it their payment URIs.
    chain_dir: std::path::PathBuf,
    /// The desktop's entry that would start this GUI on login.
    autostart: Option<Autostart>,
    start_minimized: bool,
    splash: bool,
    /// To open the send screen with.
    payment_uri: Option<String>,
}

/// Handed from [`run`] to the model QML creates; taken once.
static LAUNCH: Mutex<Option<Launch>> = Mutex::new(None);

/// Opens the window and runs Qt's event loop until the GUI is done; the
/// process's exit status.
fn run(launch: Launch) -> ExitCode {
    *LAUNCH.lock().unwrap_or_else(|e| e.into_inner()) = Some(launch);
    messages::route_to_log();
    let status = run_window(MAIN_QML);
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}

/// Runs a Qt application showing the window `qml` (a URL in the QML module)
/// until it ends; its exit status. One may follow another in a process, as
/// the main window follows the welcome dialog.
fn run_window(qml: &str) -> i32 {
    let mut app = QGuiApplication::new();
    // Made after the application, so dropped before it.
    let mut engine = QQmlApplicationEngine::new();
    if let Some(mut app) = app.as_mut() {
        app.as_mut().set_application_name(&QString::from("Hashvive"));
        app.as_mut().set_organization_name(&QString::from("Hashvive"));
    }
    if let Some(engine) = engine.as_mut() {
        engine.load(&QUrl::from(qml));
    }
    app.as_mut().map_or(1, |app| app.exec())
}
