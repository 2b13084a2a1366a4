//! hashvive-gui: the GUI of the multiprocess node. It spawns `hashvive-node`
//! (which runs the wallets in `hashvive-wallet`) and drives it over IPC, or,
//! with `-ipcconnect`, attaches to a node started with `-ipcbind`.

use std::sync::Arc;

use hashvive_gui::model::controller::NodeRole;
use hashvive_gui::qt::Connection;
use hashvive_interfaces::{Connected, Error, Ipc};
use hashvive_ipc::IpcProcess;
use hashvive_node::init::HASHVIVE_GUI;

const NODE_PROCESS: &str = "hashvive-node";
/// How long the GUI waits for its node process to exit.
const CHILD_EXIT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn main() -> std::process::ExitCode {
    hashvive_gui::qt::main(&HASHVIVE_GUI, |settings, runtime| {
        // Its node's log, which the node (spawned or attached) keeps short.
        settings.start_logging()?;
        let ipc: Arc<dyn Ipc> =
            Arc::new(IpcProcess::new(HASHVIVE_GUI.name).map_err(|e| format!("cannot start the IPC event loop: {e}"))?);
        runtime.block_on(async {
            let attached = match settings.ipc_connect.as_deref() {
                None => None,
                // `auto`: the default socket if a node listens there, else a node of our own.
                Some("auto") => match ipc.connect("unix", &settings.chain_dir).await {
                    Ok(connected) => Some(connected),
                    Err(Error::Disconnected(_)) => None,
                    Err(e) => return Err(format!("Cannot connect to the node at unix: {e}")),
                },
                Some(address) => Some(
                    ipc.connect(address, &settings.chain_dir)
                        .await
                        .map_err(|e| format!("Cannot connect to the node at {address}: {e}"))?,
                ),
            };
            let (Connected { init, closed }, role) = match attached {
                Some(connected) => (connected, NodeRole::Attached),
                None => (
                    ipc.spawn_process(NODE_PROCESS).await.map_err(|e| format!("Cannot start {NODE_PROCESS}: {e}"))?,
                    NodeRole::Owned { args: settings.node_args.clone() },
                ),
            };
            let node = init.make_node().await.map_err(|e| format!("The node offers no Node interface: {e}"))?;
            // Once the window is gone, the connection closes: a spawned node
            // that was not stopped sees its parent go and stops itself.
            let close = Box::new(move |runtime: &tokio::runtime::Runtime| {
                drop(init);
                runtime.block_on(ipc.shutdown(CHILD_EXIT_TIMEOUT));
            });
            Ok(Connection { node, role, lost: Some(closed), close })
        })
    })
}
