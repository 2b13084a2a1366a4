//! The GUI's logic without Qt: what each screen shows, computed from what the
//! node and its wallets report, so it can be tested against a fake [`Node`]
//! on any machine.
//!
//! [`Node`]: hashvive_interfaces::Node

pub mod amount;
pub mod autostart;
pub mod bip21;
pub mod console;
pub mod controller;
pub mod format;
pub mod peers;
pub mod receive;
pub mod send;
pub mod settings;
pub mod sync;
pub mod transactions;
pub mod wallets;
