//! What the executables that run their wallets in-process plug in
//! (`hashvived`, `hashvive-qt`); `hashvive-node` spawns `hashvive-wallet`
//! for them instead (see its `main`).

use hashvive_node::init::WalletFactory;

/// The wallets in this process, on the node's `Chain` (`hashvived`,
/// `hashvive-qt`).
#[cfg(feature = "wallet")]
pub fn in_process_wallets() -> Option<WalletFactory> {
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
pub fn in_process_wallets() -> Option<WalletFactory> {
    None
}
