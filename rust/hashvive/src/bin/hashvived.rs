//! hashvived: the node and its wallets in one process.

use hashvive_node::init::{Wiring, HASHVIVED};

fn main() -> std::process::ExitCode {
    hashvive_node::init::main(&HASHVIVED, Wiring { wallet: wallet(), ..Wiring::default() })
}

/// The wallets run in-process on the node's `Chain`.
#[cfg(feature = "wallet")]
fn wallet() -> Option<hashvive_node::init::WalletFactory> {
    use std::sync::Arc;

    use hashvive_node::init::StartedWallets;
    use hashvive_wallet::{LocalWalletLoader, WalletStartup};

    Some(Box::new(|args, chain_dir, network| {
        let startup = WalletStartup::from_args(args, chain_dir, network).map_err(|e| e.to_string())?;
        Ok(Box::new(move |chain, _ipc| {
            let loader = Arc::new(LocalWalletLoader::new(chain, startup.clone()));
            Box::pin(async move { Ok(StartedWallets { loader, exited: None }) })
        }))
    }))
}

#[cfg(not(feature = "wallet"))]
fn wallet() -> Option<hashvive_node::init::WalletFactory> {
    None
}
