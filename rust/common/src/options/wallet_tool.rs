//! Options of `hashvive-wallet`. `-help` lists the reference wallet tool's
//! own; every node option is accepted as well, unlisted, because the tool
//! reads the node's configuration file and, attached to a node
//! (`-ipcconnect`), runs wallets with the node's wallet options.

use std::collections::HashSet;

use super::node::{chain_selection_options, help_options, node_options};
use super::{Category, OptionDef};

/// Every option the wallet tool accepts.
pub fn wallet_tool_options() -> Vec<OptionDef> {
    let mut defs = help_options();
    defs.extend([
        OptionDef::new("version", "", "Print version and exit", Category::Options),
        OptionDef::new(
            "datadir",
            "=<dir>",
            "Use <dir> as the data directory (default: ~/.hashvive)",
            Category::Options,
        ),
        OptionDef::new("wallet", "=<wallet-name>", "The wallet to work on", Category::Options),
        OptionDef::new(
            "dumpfile",
            "=<file name>",
            "With 'dump', write the wallet's records to this file; with 'createfromdump', read the records of \
             the new wallet from it",
            Category::Options,
        ),
        OptionDef::new(
            "format",
            "=<format>",
            "The format of the wallet file 'createfromdump' writes: only \"sqlite\" is supported",
            Category::Options,
        ),
        OptionDef::new(
            "descriptors",
            "",
            "Create a descriptor wallet with 'create' (the only kind there is; default: 1)",
            Category::Options,
        ),
        OptionDef::new("legacy", "", "Refused: legacy (non-descriptor) wallets are not supported", Category::Options),
        OptionDef::new("debug", "=<category>", "Write debugging information (default: 0)", Category::DebugTest),
        OptionDef::new(
            "printtoconsole",
            "",
            "Write log lines to the console (default: 1 when no -debug is true, 0 otherwise)",
            Category::DebugTest,
        ),
        OptionDef::new(
            "ipcconnect",
            "=<address>",
            "Instead of running a command, run the wallets attached to a node started with -ipcbind, serving \
             their RPC methods through it until the node stops: \"unix\" connects to <datadir>/node.sock, \
             \"unix:/custom/path\" to another socket, \"auto\" to the default one when a node listens there \
             (otherwise the command runs offline), and 0 never connects (multiprocess builds only)",
            Category::Ipc,
        ),
    ]);
    defs.extend(chain_selection_options());
    let listed: HashSet<&str> = defs.iter().map(|d| d.name).collect();
    let unlisted: Vec<OptionDef> = node_options()
        .into_iter()
        .filter(|d| !listed.contains(d.name))
        .map(|d| OptionDef { category: Category::Hidden, ..d })
        .collect();
    defs.extend(unlisted);
    defs
}
