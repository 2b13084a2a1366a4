//! hashvive-node: the node, with IPC so wallets and GUIs can run in their own
//! processes: it spawns `hashvive-wallet` for its wallets. Started as
//! `hashvive-node -ipcfd <fd>` by another hashvive process, it serves that
//! process over the socket instead, and runs a node when it is told to
//! (`Node.start`, from `hashvive-gui`).

use std::process::ExitCode;
use std::sync::Arc;

use hashvive_interfaces::{Init, Ipc};
use hashvive_ipc::IpcProcess;
use hashvive_node::init::{Wiring, HASHVIVE_NODE};
use hashvive_node::local::SpawnedInit;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let spawned = Arc::new(SpawnedInit::new(&HASHVIVE_NODE, Arc::new(|argv: &[String]| wiring(argv.to_vec()))));
    let init = spawned.clone();
    if let Some(code) = hashvive_ipc::serve_if_spawned(&args, HASHVIVE_NODE.name, move || init as Arc<dyn Init>) {
        // The parent is gone; a node it started stops cleanly before we exit.
        spawned.stop_node();
        return code;
    }
    hashvive_node::init::main(&HASHVIVE_NODE, wiring(args))
}

fn wiring(argv: Vec<String>) -> Wiring {
    let ipc = Box::new(|| {
        IpcProcess::new(HASHVIVE_NODE.name)
            .map(|ipc| Arc::new(ipc) as Arc<dyn Ipc>)
            .map_err(|e| format!("cannot start the IPC event loop: {e}"))
    });
    Wiring { ipc: Some(ipc), wallet: wallet(argv) }
}

/// The wallets run in a `hashvive-wallet` process the node spawns, which reads
/// the node's command line; a new one is spawned if it dies and a wallet is
/// loaded again.
#[cfg(feature = "wallet")]
fn wallet(argv: Vec<String>) -> Option<hashvive_node::init::WalletFactory> {
    use hashvive_node::init::StartedWallets;

    const WALLET_PROCESS: &str = "hashvive-wallet";
    Some(Box::new(move |_args, _chain_dir, _network| {
        Ok(Box::new(move |chain, ipc: Option<Arc<dyn Ipc>>| {
            let argv = argv.clone();
            Box::pin(async move {
                let ipc = ipc.ok_or("the wallet process needs IPC")?;
                let process = ipc.spawn_process(WALLET_PROCESS).await.map_err(|e| e.to_string())?;
                let loader = process.init.make_wallet_loader(chain, argv).await.map_err(|e| e.to_string())?;
                Ok(StartedWallets { loader, exited: Some(process.closed) })
            })
        }))
    }))
}

#[cfg(not(feature = "wallet"))]
fn wallet(_argv: Vec<String>) -> Option<hashvive_node::init::WalletFactory> {
    None
}
