//! The option definitions of every executable, in one declarative table each.
//!
//! The reference-style argv layer (`crate::args`) looks options up here to decide
//! whether a name is known and how it may be given; `-help` output, man pages and
//! shell completions are all rendered from the same definitions, so they cannot
//! disagree with what the parser accepts.

mod cli;
mod gui;
mod node;
mod wallet_tool;

pub use cli::cli_options;
pub use gui::{gui_options, multiprocess_gui_options, UI_OPTIONS};
pub use node::{node_options, MIN_PRUNE_TARGET_MIB};
pub use wallet_tool::wallet_tool_options;

/// The groups `-help` prints options under, in the order it prints them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    Options,
    Connection,
    Zmq,
    DebugTest,
    ChainParams,
    NodeRelay,
    BlockCreation,
    Rpc,
    Wallet,
    WalletDebugTest,
    Ipc,
    Gui,
    /// Options that exist for compatibility or internal use and are never listed.
    Hidden,
}

impl Category {
    pub fn title(self) -> &'static str {
        match self {
            Category::Options => "Options",
            Category::Connection => "Connection options",
            Category::Zmq => "ZeroMQ notification options",
            Category::DebugTest => "Debugging/Testing options",
            Category::ChainParams => "Chain selection options",
            Category::NodeRelay => "Node relay options",
            Category::BlockCreation => "Block creation options",
            Category::Rpc => "RPC server options",
            Category::Wallet => "Wallet options",
            Category::WalletDebugTest => "Wallet debugging/testing options",
            Category::Ipc => "IPC interprocess connection options",
            Category::Gui => "UI options",
            Category::Hidden => "Hidden options",
        }
    }
}

/// Bits of [`OptionDef::flags`].
pub mod flags {
    /// Only listed by `-help-debug`.
    pub const DEBUG_ONLY: u8 = 1 << 0;
    /// In the config file outside a `[chain]` section, applies to mainnet only.
    pub const NETWORK_ONLY: u8 = 1 << 1;
    /// `-noX` is an error.
    pub const DISALLOW_NEGATION: u8 = 1 << 2;
    /// `-X` without `=value` is an error.
    pub const DISALLOW_ELISION: u8 = 1 << 3;
    /// Ignored when read from the config file (command line only).
    pub const COMMAND_LINE_ONLY: u8 = 1 << 4;
}

/// One option, as the user writes it: `-<name><param>`.
#[derive(Clone, Debug)]
pub struct OptionDef {
    /// Name without the leading dash, e.g. `datadir`.
    pub name: &'static str,
    /// Placeholder shown in help after the name, e.g. `=<dir>`; empty for switches.
    pub param: &'static str,
    pub help: String,
    pub category: Category,
    pub flags: u8,
}

impl OptionDef {
    pub fn new(name: &'static str, param: &'static str, help: impl Into<String>, category: Category) -> Self {
        OptionDef { name, param, help: help.into(), category, flags: 0 }
    }

    pub fn flags(mut self, flags: u8) -> Self {
        self.flags |= flags;
        self
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}
