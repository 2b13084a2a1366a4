//! What each executable is, for its `-help` and its man page alike: name,
//! title, description, usage lines, options and commands.

use crate::options::{
    cli_options, gui_options, multiprocess_gui_options, node_options, wallet_tool_options, OptionDef,
};

pub struct Program {
    pub name: &'static str,
    /// Completes "Hashvive <title> version v…".
    pub title: &'static str,
    pub description: &'static str,
    /// How it is invoked, after the program name.
    pub usage: &'static [&'static str],
    pub options: fn() -> Vec<OptionDef>,
    /// Commands it takes after the options, with what each does.
    pub commands: &'static [(&'static str, &'static str)],
}

pub const HASHVIVED: Program = Program {
    name: "hashvived",
    title: "daemon",
    description: "The hashvived program runs a Hashvive full node with its wallet in one process and serves JSON-RPC.",
    usage: &["[options]"],
    options: node_options,
    commands: &[],
};

pub const HASHVIVE_NODE: Program = Program {
    name: "hashvive-node",
    title: "node",
    description: "The hashvive-node program runs a Hashvive full node that serves JSON-RPC and talks to other hashvive processes over IPC.",
    usage: &["[options]"],
    options: node_options,
    commands: &[],
};

pub const HASHVIVE_CLI: Program = Program {
    name: "hashvive-cli",
    title: "RPC client",
    description: "The hashvive-cli utility provides a command line interface to interact with a Hashvive RPC server. \
         It can be used to query network information, manage wallets, create or broadcast transactions, \
         and control the Hashvive server.\n\n\
         Use the \"help\" command to list all commands. Use \"help <command>\" to show help for that command.",
    usage: &[
        "[options] <command> [params]",
        "[options] -named <command> [name=value]...",
        "[options] help",
        "[options] help <command>",
    ],
    options: cli_options,
    commands: &[],
};

pub const HASHVIVE_WALLET: Program = Program {
    name: "hashvive-wallet",
    title: "wallet",
    description:
        "hashvive-wallet is an offline tool for creating and interacting with Hashvive wallet files. By default \
         it works on the wallet given with -wallet in the wallets directory of the chain's data directory. With \
         -ipcconnect it runs the wallets attached to a node started with -ipcbind instead.",
    usage: &["[options] <command>"],
    options: wallet_tool_options,
    commands: &[
        ("create", "Create a new wallet file"),
        ("createfromdump", "Create a new wallet file from the records of a dump file"),
        ("dump", "Write every record of the wallet to the -dumpfile"),
        ("info", "Show information about the wallet"),
    ],
};

pub const HASHVIVE_QT: Program = Program {
    name: "hashvive-qt",
    title: "GUI",
    description: "The hashvive-qt program is the Hashvive graphical interface, running the full node and its wallets in the same process.",
    usage: &["[options] [URI]"],
    options: gui_options,
    commands: &[],
};

pub const HASHVIVE_GUI: Program = Program {
    name: "hashvive-gui",
    title: "GUI",
    description: "The hashvive-gui program is the Hashvive graphical interface for the multiprocess node: it spawns \
         hashvive-node (which runs the wallets in hashvive-wallet) and drives it over IPC, or attaches to a node \
         started with -ipcbind when given -ipcconnect.",
    usage: &["[options] [URI]"],
    options: multiprocess_gui_options,
    commands: &[],
};

/// Every executable the project builds.
pub const PROGRAMS: [&Program; 6] =
    [&HASHVIVED, &HASHVIVE_NODE, &HASHVIVE_CLI, &HASHVIVE_WALLET, &HASHVIVE_QT, &HASHVIVE_GUI];
