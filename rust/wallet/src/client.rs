//! The wallet component as a node runs it: options from the command line,
//! the manager, its RPC methods in the node's server, and the `-wallet`s
//! loaded at start-up. Dropping the [`WalletClient`] takes it all away again.

use std::path::Path;
use std::sync::Arc;

use bitcoin::Network;

use hashvive_common::args::Args;
use hashvive_interfaces::{Chain, Handler};
use hashvive_rpc::amount::parse_fixed_point;

use crate::error::WalletError;
use crate::manager::{WalletManager, WalletOptions};
use crate::output_type::OutputType;

/// The running wallets; their RPC methods are served while it lives.
pub struct WalletClient {
    /// Declared (so dropped) first: no request reaches a manager going away.
    _rpc: Vec<Box<dyn Handler>>,
    manager: Arc<WalletManager>,
}

/// What the options ask of wallets, read before the node starts.
#[derive(Clone)]
pub struct WalletStartup {
    pub options: WalletOptions,
    /// `-wallet=<name>`, each loaded at start-up.
    pub wallets: Vec<String>,
}

/// A BTC amount option (`-fallbackfee=0.0002`) in satoshis.
fn amount_option(args: &Args, name: &str, default: i64) -> Result<i64, WalletError> {
    match args.get(name) {
        None => Ok(default),
        Some(text) => parse_fixed_point(&text, 8)
            .filter(|v| *v >= 0)
            .ok_or_else(|| WalletError::Other(format!("Invalid amount for -{name}=<amount>: '{text}'"))),
    }
}

impl WalletStartup {
    pub fn from_args(args: &Args, chain_dir: &Path, network: Network) -> Result<WalletStartup, WalletError> {
        let dir = match args.get("walletdir").filter(|d| !d.is_empty()) {
            Some(d) => {
                let dir = Path::new(&d).to_path_buf();
                if dir.is_relative() {
                    return Err(WalletError::Other(format!("Specified -walletdir \"{d}\" is a relative path")));
                }
                if !dir.is_dir() {
                    return Err(WalletError::Other(format!("Specified -walletdir \"{d}\" does not exist")));
                }
                dir
            }
            None => chain_dir.join("wallets"),
        };
        let defaults = WalletOptions::new(dir, network);
        let confirm_target = match args.get("txconfirmtarget") {
            None => defaults.confirm_target,
            Some(text) => text
                .parse()
                .ok()
                .filter(|t| (1..=1008).contains(t))
                .ok_or_else(|| WalletError::Other(format!("Invalid value for -txconfirmtarget: '{text}'")))?,
        };
        let keypool = match args.get("keypool") {
            None => defaults.keypool,
            Some(text) => {
                text.parse().map_err(|_| WalletError::Other(format!("Invalid value for -keypool: '{text}'")))?
            }
        };
        let output_type = |name: &str, what: &str| -> Result<Option<OutputType>, WalletError> {
            match args.get(name).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(text) => {
                    text.parse().map(Some).map_err(|()| WalletError::Other(format!("Unknown {what} type '{text}'")))
                }
            }
        };
        let address_type = output_type("addresstype", "address")?.unwrap_or(defaults.address_type);
        let change_type = output_type("changetype", "change")?;
        let options = WalletOptions {
            fallback_fee: amount_option(args, "fallbackfee", defaults.fallback_fee as i64)? as u64,
            max_tx_fee: amount_option(args, "maxtxfee", defaults.max_tx_fee)?,
            pay_tx_fee: amount_option(args, "paytxfee", defaults.pay_tx_fee as i64)? as u64,
            min_tx_fee: amount_option(args, "mintxfee", defaults.min_tx_fee as i64)? as u64,
            confirm_target,
            keypool,
            address_type,
            change_type,
            ..defaults
        };
        Ok(WalletStartup { options, wallets: args.get_all("wallet") })
    }
}

impl WalletClient {
    /// Starts the wallets on `chain`: RPC methods first (so `loadwallet`
    /// works even when a `-wallet` fails), then each `-wallet`.
    pub async fn start(chain: Arc<dyn Chain>, startup: WalletStartup) -> Result<WalletClient, WalletError> {
        let manager = WalletManager::start(chain, startup.options).await?;
        let rpc = crate::rpc::register(manager.clone()).await?;
        for name in &startup.wallets {
            manager.load_wallet(name).await?;
        }
        Ok(WalletClient { manager, _rpc: rpc })
    }

    pub fn manager(&self) -> &Arc<WalletManager> {
        &self.manager
    }
}
