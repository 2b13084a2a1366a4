//! hashvive-wallet: the offline wallet tool; in multiprocess builds also the
//! wallet process a node spawns (`-ipcfd`) or one attached to a running node
//! (`-ipcconnect`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    #[cfg(feature = "multiprocess")]
    if let Some(code) = hashvive_ipc::serve_if_spawned(&args, "hashvive-wallet", || {
        std::sync::Arc::new(hashvive_wallet::process::WalletProcessInit::default())
    }) {
        return code;
    }
    hashvive_wallet::tool::main(args, ipc())
}

#[cfg(feature = "multiprocess")]
fn ipc() -> Option<hashvive_wallet::process::IpcFactory> {
    use std::sync::Arc;

    use hashvive_interfaces::Ipc;

    Some(Box::new(|| {
        hashvive_ipc::IpcProcess::new("hashvive-wallet")
            .map(|ipc| Arc::new(ipc) as Arc<dyn Ipc>)
            .map_err(|e| format!("cannot start the IPC event loop: {e}"))
    }))
}

#[cfg(not(feature = "multiprocess"))]
fn ipc() -> Option<hashvive_wallet::process::IpcFactory> {
    None
}
