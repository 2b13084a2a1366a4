//! The GUI's logic without Qt: what each screen shows, computed from what the
//! node and its wallets report, so it can be tested against a fake [`Node`]
//! on any machine.
//!
//! [`Node`]: hashvive_interfaces::Node

pub mod amount;
pub mod autostart;
pub mod bip21;
pub mod coins;
pub mod console;
pub mod controller;
pub mod format;
pub mod intro;
pub mod peers;
pub mod receive;
pub mod send;
pub mod settings;
pub mod sync;
pub mod transactions;
pub mod wallets;

/// The desktop's configuration directory: `$XDG_CONFIG_HOME`, else
/// `~/.config`; `None` without either.
pub fn config_home() -> Option<std::path::PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| std::path::Path::new(dir).is_absolute())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").filter(|h| !h.is_empty()).map(|h| std::path::PathBuf::from(h).join(".config"))
        })
}
