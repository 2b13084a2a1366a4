//! Hashvive's wallets: descriptor wallets on `bdk_wallet`, each stored as
//! SQLite in `<wallet dir>/<name>/wallet.dat`, following the node through a
//! `dyn Chain` (so the node may be in this process or another), and the
//! wallet RPC methods, which the node serves through `Chain::handle_rpc`.

pub mod client;
mod crypter;
mod dump;
pub mod error;
pub mod ledger;
pub mod loader;
pub mod manager;
pub mod output_type;
pub mod process;
pub mod rpc;
pub mod spend;
pub mod tool;
pub mod wallet;

pub use client::{WalletClient, WalletStartup};
pub use error::WalletError;
pub use loader::LocalWalletLoader;
pub use manager::{WalletManager, WalletOptions};
