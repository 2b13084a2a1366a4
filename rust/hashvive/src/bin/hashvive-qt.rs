//! hashvive-qt: the GUI, with the node and its wallets in the same process.

use std::sync::Arc;

use hashvive::in_process_wallets;
use hashvive_gui::model::controller::NodeRole;
use hashvive_gui::qt::Connection;
use hashvive_interfaces::Init;
use hashvive_node::init::{Wiring, HASHVIVE_QT};
use hashvive_node::local::SpawnedInit;

fn main() -> std::process::ExitCode {
    hashvive_gui::qt::main(&HASHVIVE_QT, |settings, runtime| {
        let init = SpawnedInit::new(
            &HASHVIVE_QT,
            Arc::new(|_argv: &[String]| Wiring { wallet: in_process_wallets(), ..Wiring::default() }),
        );
        let node = runtime.block_on(init.make_node()).map_err(|e| e.to_string())?;
        // The node runs on a thread of this process: if the window went
        // without stopping it, it is stopped before the process ends.
        Ok(Connection {
            node,
            role: NodeRole::Owned { args: settings.node_args.clone() },
            lost: None,
            close: Box::new(move |_| init.stop_node()),
        })
    })
}
