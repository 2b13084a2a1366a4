//! hashvived: the node and its wallet in one process.

use hashvive_node::init::{Wiring, HASHVIVED};

fn main() -> std::process::ExitCode {
    hashvive_node::init::main(&HASHVIVED, Wiring { wallet: wallet(), ..Wiring::default() })
}

/// The wallet runs in-process on the node's `Chain`.
#[cfg(feature = "wallet")]
fn wallet() -> Option<hashvive_node::init::WalletFactory> {
    use std::sync::Arc;

    use hashvive_wallet::{WalletClient, WalletStartup};

    Some(Box::new(|args, chain_dir, network| {
        let startup = WalletStartup::from_args(args, chain_dir, network).map_err(|e| e.to_string())?;
        Ok(Box::new(move |chain: Arc<dyn hashvive_interfaces::Chain>| {
            Box::pin(async move {
                let client = WalletClient::start(chain, startup).await.map_err(|e| e.to_string())?;
                Ok(Box::new(client) as Box<dyn Send>)
            })
        }))
    }))
}

#[cfg(not(feature = "wallet"))]
fn wallet() -> Option<hashvive_node::init::WalletFactory> {
    None
}
