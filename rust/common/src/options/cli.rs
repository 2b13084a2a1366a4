//! Options of the RPC client (`hashvive-cli`), in the reference client's
//! registration order. The help and chain-selection groups are the node's.

use super::node::{chain_selection_options, help_options};
use super::{flags::*, Category, OptionDef};

/// Every option the RPC client accepts.
pub fn cli_options() -> Vec<OptionDef> {
    let general = vec![
        OptionDef::new("version", "", "Show version information and exit", Category::Options),
        OptionDef::new(
            "conf",
            "=<file>",
            "Read settings from <file>. A relative path is taken relative to the data directory (default: \
             hashvive.conf)",
            Category::Options,
        )
        .flags(COMMAND_LINE_ONLY),
        OptionDef::new(
            "datadir",
            "=<dir>",
            "Use <dir> as the data directory (default: ~/.hashvive)",
            Category::Options,
        ),
        OptionDef::new(
            "generate",
            "",
            "Mine blocks, like calling getnewaddress and then generatetoaddress. Optional positional integers \
             give the number of blocks (default: 1) and the most iterations to try (default: 1000000), as the \
             nblocks and maxtries arguments of generatetoaddress do. Example: hashvive-cli -generate 4 1000",
            Category::Options,
        ),
        OptionDef::new(
            "addrinfo",
            "",
            "Show how many addresses the node knows, per network and in total, after filtering them for quality \
             and recency (the node may know more addresses overall).",
            Category::Options,
        ),
        OptionDef::new(
            "getinfo",
            "",
            "Show general information from the server. Unlike a single server-side RPC, -getinfo combines \
             several requests that are not atomic, so parts of the output may reflect different moments (e.g. \
             the wallet balance may belong to another block than the reported chain state)",
            Category::Options,
        ),
        OptionDef::new(
            "netinfo",
            "",
            "Show peer connection information from the server. An optional integer from 0 to 4 selects one of \
             the peer listings (default: 0). Pass \"help\" for detailed documentation.",
            Category::Options,
        ),
    ];
    let rpc = vec![
        OptionDef::new(
            "color",
            "=<when>",
            "When to color the output (default: auto). Values: always, auto (color when standard output is a \
             terminal and the system is not Windows), never.",
            Category::Options,
        )
        .flags(DISALLOW_NEGATION),
        OptionDef::new(
            "named",
            "",
            "Pass named arguments instead of positional ones (default: false)",
            Category::Options,
        ),
        OptionDef::new(
            "rpcclienttimeout",
            "=<n>",
            "Timeout of HTTP requests in seconds, 0 for none (default: 900)",
            Category::Options,
        ),
        OptionDef::new(
            "rpcconnect",
            "=<ip>",
            "Send commands to the node at <ip> (default: 127.0.0.1)",
            Category::Options,
        ),
        OptionDef::new(
            "rpccookiefile",
            "=<loc>",
            "Where to find the authentication cookie. A relative path is taken relative to the network-specific \
             data directory (default: .cookie in the data directory)",
            Category::Options,
        ),
        OptionDef::new("rpcpassword", "=<pw>", "Password for JSON-RPC connections", Category::Options),
        OptionDef::new(
            "rpcport",
            "=<port>",
            "Connect to JSON-RPC on <port> (default: 8332, testnet3: 18332, testnet4: 48332, signet: 38332, \
             regtest: 18443)",
            Category::Options,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new("rpcuser", "=<user>", "User name for JSON-RPC connections", Category::Options),
        OptionDef::new("rpcwait", "", "Wait for the RPC server to come up", Category::Options),
        OptionDef::new(
            "rpcwaittimeout",
            "=<n>",
            "How long, in seconds, to wait for the RPC server to come up, 0 for no limit (default: 0)",
            Category::Options,
        )
        .flags(DISALLOW_NEGATION),
        OptionDef::new(
            "rpcwallet",
            "=<walletname>",
            "Address the RPC to a specific wallet on the server (the name must match the -wallet option given \
             to hashvived exactly). This changes the RPC endpoint, e.g. http://127.0.0.1:8332/wallet/<walletname>",
            Category::Options,
        ),
        OptionDef::new(
            "stdin",
            "",
            "Read more arguments from standard input, one per line, until EOF/Ctrl-D (recommended for sensitive \
             data such as passphrases). Together with -stdinrpcpass, the first line is the RPC password.",
            Category::Options,
        ),
        OptionDef::new(
            "stdinrpcpass",
            "",
            "Read the RPC password from one line of standard input. Together with -stdin, the first line is the \
             RPC password. Together with -stdinwalletpassphrase, the first line is the RPC password and the second \
             the wallet passphrase.",
            Category::Options,
        ),
        OptionDef::new(
            "stdinwalletpassphrase",
            "",
            "Read the wallet passphrase from one line of standard input. Together with -stdin, the first line is \
             the wallet passphrase.",
            Category::Options,
        ),
    ];
    [help_options(), general, chain_selection_options(), rpc].into_iter().flatten().collect()
}
