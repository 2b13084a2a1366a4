//! hashvived: the node and its wallets in one process.

use hashvive_node::init::{Wiring, HASHVIVED};

fn main() -> std::process::ExitCode {
    hashvive_node::init::main(&HASHVIVED, Wiring { wallet: wallet(), ..Wiring::default() })
}

/// The wallets run in-process on the node's `Chain`.
#[cfg(feature = "wallet")]
fn wallet() -> Option<hashvive_node::init::WalletFactory> {
    use std::sync::Arc;

    use hashvive_interfaces::WalletLoader;
    use hashvive_wallet::{LocalWalletLoader, WalletStartup};

    Some(Box::new(|args, chain_dir, network| {
        let startup = WalletStartup::from_args(args, chain_dir, network).map_err(|e| e.to_string())?;
        Ok(Box::new(move |chain, _ipc| {
            Box::pin(async move { Ok(Arc::new(LocalWalletLoader::new(chain, startup)) as Arc<dyn WalletLoader>) })
        }))
    }))
}

#[cfg(not(feature = "wallet"))]
fn wallet() -> Option<hashvive_node::init::WalletFactory> {
    None
}
