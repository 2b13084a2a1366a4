//! Options of the node executable (`hashvived`), mirroring the reference node's
//! registration order: help, logging, general, connection, wallet, ZeroMQ,
//! debugging, chain selection, relay, block creation, RPC, IPC, daemon, and the
//! hidden options it accepts silently.
//!
//! The help and chain-selection groups are shared with the CLI, as in the
//! reference.

use super::{flags::*, Category, OptionDef};

/// The smallest automatic pruning target `-prune` takes, in MiB (the help's
/// ">=550"); the node refuses less, and the GUI offers no less.
pub const MIN_PRUNE_TARGET_MIB: u64 = 550;

/// Every option the node accepts.
pub fn node_options() -> Vec<OptionDef> {
    [
        help_options(),
        vec![OptionDef::new(
            "help-debug",
            "",
            "Show the help text including the debugging and testing options, then exit",
            Category::DebugTest,
        )],
        logging_options(),
        general_options(),
        connection_options(),
        wallet_options(),
        zmq_options(),
        debug_test_options(),
        chain_selection_options(),
        relay_options(),
        block_creation_options(),
        rpc_options(),
        ipc_options(),
        daemon_options(),
        hidden_options(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// `-help` and its hidden spellings `-h` and `-?`.
pub(super) fn help_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new("help", "", "Show this help text and exit (-h and -? do the same)", Category::Options),
        OptionDef::new("h", "", "Same as -help", Category::Hidden),
        OptionDef::new("?", "", "Same as -help", Category::Hidden),
    ]
}

/// Chain selection, shared by every executable.
pub(super) fn chain_selection_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "chain",
            "=<chain>",
            "Run on chain <chain> (default: main). Accepted values: main, test, testnet4, signet, regtest",
            Category::ChainParams,
        ),
        OptionDef::new(
            "regtest",
            "",
            "Run in regression test mode, on a private chain whose blocks can be mined instantly; meant for \
             regression testing and application development. Same as -chain=regtest.",
            Category::ChainParams,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "testactivationheight",
            "=name@height",
            "Override the height at which 'name' activates (segwit, bip34, dersig, cltv, csv). Regtest only.",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "testnet",
            "",
            "Run on the testnet3 chain; same as -chain=test. Support for testnet3 is deprecated and will be \
             dropped in a later release, so consider moving to testnet4 with -testnet4.",
            Category::ChainParams,
        ),
        OptionDef::new("testnet4", "", "Run on the testnet4 chain; same as -chain=testnet4.", Category::ChainParams),
        OptionDef::new(
            "vbparams",
            "=deployment:start:end[:min_activation_height]",
            "Override the start time, end time and (optionally) minimum activation height of a version bits \
             deployment. Regtest only.",
            Category::ChainParams,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "signet",
            "",
            "Run on the signet chain; same as -chain=signet. Which signet network is used is determined by \
             -signetchallenge.",
            Category::ChainParams,
        ),
        OptionDef::new(
            "signetchallenge",
            "",
            "Script that every block must satisfy to be valid (signet networks only; defaults to the challenge \
             of the global default signet)",
            Category::ChainParams,
        )
        .flags(DISALLOW_NEGATION),
        OptionDef::new(
            "signetseednode",
            "",
            "Seed node for the signet network, written as hostname[:port], e.g. sig.net:1234 (can be repeated \
             for several seed nodes; defaults to the seed nodes of the global default signet)",
            Category::ChainParams,
        )
        .flags(DISALLOW_NEGATION),
    ]
}

fn logging_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "debuglogfile",
            "=<file>",
            "Write the debug log to <file> (default: debug.log). A relative path is taken relative to the \
             network-specific data directory. Use -nodebuglogfile to stop writing a log file.",
            Category::Options,
        ),
        OptionDef::new(
            "debug",
            "=<category>",
            "Emit debug and trace log messages (default: -nodebug; naming a category is optional). Without a \
             category, or with 1 or \"all\", every category is logged; with 0 or \"none\", categories given \
             before it are cleared. Categories: addrman, bench, blockstorage, cmpctblock, coindb, estimatefee, \
             http, i2p, ipc, leveldb, libevent, mempool, mempoolrej, net, proxy, prune, qt, rand, reindex, rpc, \
             scan, selectcoins, tor, txpackages, txreconciliation, validation, walletdb, zmq. Repeat the option \
             to enable several categories.",
            Category::DebugTest,
        ),
        OptionDef::new(
            "debugexclude",
            "=<category>",
            "Leave <category> out of debug and trace logging; together with -debug=1 this logs every category \
             except the excluded ones. Can be repeated, and wins over -debug.",
            Category::DebugTest,
        ),
        OptionDef::new("logips", "", "Show IP addresses in the debug log (default: 0)", Category::DebugTest),
        OptionDef::new(
            "loglevel",
            "=<level>|<category>:<level>",
            "Set the lowest severity logged for the categories enabled with -debug or the logging RPC, either \
             for all of them (<level>) or for one (<category>:<level>, which overrides the global level and can \
             be repeated). Levels: trace, debug, info, warning, error (default: debug). Messages at info, \
             warning and error are always logged. Categories are those listed for -debug.",
            Category::DebugTest,
        )
        .flags(DISALLOW_NEGATION | DISALLOW_ELISION | DEBUG_ONLY),
        OptionDef::new(
            "logtimestamps",
            "",
            "Start each debug log line with a timestamp (default: 1)",
            Category::DebugTest,
        ),
        OptionDef::new(
            "logthreadnames",
            "",
            "Start each debug log line with the name of the thread that wrote it (default: 0)",
            Category::DebugTest,
        ),
        OptionDef::new(
            "logsourcelocations",
            "",
            "Start each debug log line with the source file, line number and function that wrote it (default: 0)",
            Category::DebugTest,
        ),
        OptionDef::new(
            "logtimemicros",
            "",
            "Give debug log timestamps microsecond precision (default: 0)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "loglevelalways",
            "",
            "Always include the category and severity level in log lines (default: 0)",
            Category::DebugTest,
        ),
        OptionDef::new(
            "printtoconsole",
            "",
            "Write debug and trace messages to the console (default: 1 unless -daemon is set). To stop writing \
             the log file, use -nodebuglogfile.",
            Category::DebugTest,
        ),
        OptionDef::new(
            "shrinkdebugfile",
            "",
            "Trim the debug log file when the node starts (default: 1 unless -debug is set)",
            Category::DebugTest,
        ),
    ]
}

fn general_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new("version", "", "Show version information and exit", Category::Options),
        OptionDef::new(
            "alertnotify",
            "=<cmd>",
            "Run <cmd> when an alert is raised; %s in the command is replaced by the alert message",
            Category::Options,
        ),
        OptionDef::new(
            "assumevalid",
            "=<hex>",
            "If this block is in the chain, treat it and all its ancestors as valid and possibly skip their \
             script checks (0 checks everything; default: the built-in block of the selected chain, defined for \
             main, testnet3, testnet4 and signet)",
            Category::Options,
        ),
        OptionDef::new(
            "blocksdir",
            "=<dir>",
            "Directory that holds the blocks subdirectory with the *.dat files (default: <datadir>)",
            Category::Options,
        ),
        OptionDef::new(
            "blocksxor",
            "",
            "Obfuscate the blocksdir *.dat files with an XOR key. A freshly created blocksdir gets a random key; \
             an existing blocksdir, or -blocksxor=0, gets an all-zero key (default: 1)",
            Category::Options,
        ),
        OptionDef::new(
            "fastprune",
            "",
            "For testing: use small block files and a lower minimum prune height",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "blocknotify",
            "=<cmd>",
            "Run <cmd> whenever the best block changes; %s in the command is replaced by the block hash",
            Category::Options,
        ),
        OptionDef::new(
            "blockreconstructionextratxn",
            "=<n>",
            "Number of extra transactions kept in memory to help rebuild compact blocks (default: 100)",
            Category::Options,
        ),
        OptionDef::new(
            "blocksonly",
            "",
            "Reject transactions relayed by network peers. Transaction announcement and rebroadcast are turned \
             off unless the sending peer has the 'forcerelay' permission; transactions submitted over RPC are not \
             affected (default: 0)",
            Category::Options,
        ),
        OptionDef::new(
            "coinstatsindex",
            "",
            "Maintain a coin statistics index for the gettxoutsetinfo RPC (default: 0)",
            Category::Options,
        ),
        OptionDef::new(
            "conf",
            "=<file>",
            "Read settings from <file>, which the node never writes to. A relative path is taken relative to \
             the data directory. Only valid on the command line, not inside a configuration file (default: \
             hashvive.conf)",
            Category::Options,
        )
        .flags(COMMAND_LINE_ONLY),
        OptionDef::new(
            "datadir",
            "=<dir>",
            "Use <dir> as the data directory (default: ~/.hashvive)",
            Category::Options,
        )
        .flags(DISALLOW_NEGATION),
        OptionDef::new(
            "dbbatchsize",
            "",
            "Largest batch of database writes, in bytes (default: 16777216)",
            Category::Options,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "dbcache",
            "=<n>",
            "Size of the database cache in MiB (minimum 4, default: 450). Make sure the machine has enough RAM. \
             Mempool memory that is not in use (see -maxmempool) is lent to this cache as well.",
            Category::Options,
        ),
        OptionDef::new(
            "includeconf",
            "=<file>",
            "Read an additional configuration file, relative to the -datadir path. Only valid inside a \
             configuration file, not on the command line.",
            Category::Options,
        ),
        OptionDef::new(
            "allowignoredconf",
            "",
            "For backwards compatibility, report a hashvive.conf in the data directory that is not being used \
             as a warning rather than an error.",
            Category::Options,
        ),
        OptionDef::new("loadblock", "=<file>", "Import blocks from an external file at startup", Category::Options),
        OptionDef::new(
            "maxmempool",
            "=<n>",
            "Keep the transaction memory pool below <n> megabytes (default: 300)",
            Category::Options,
        ),
        OptionDef::new(
            "maxorphantx",
            "=<n>",
            "Hold at most <n> transactions with missing inputs in memory (default: 100)",
            Category::Options,
        ),
        OptionDef::new(
            "mempoolexpiry",
            "=<n>",
            "Drop transactions that have been in the mempool for more than <n> hours (default: 336)",
            Category::Options,
        ),
        OptionDef::new(
            "minimumchainwork",
            "=<hex>",
            "Least total work, in hex, that a valid chain is assumed to have (default: the built-in value of the \
             selected chain, defined for main, testnet3, testnet4 and signet)",
            Category::Options,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "par",
            "=<n>",
            "Number of script verification threads (0 = automatic, at most 15, <0 = leave that many cores \
             unused, default: 0)",
            Category::Options,
        ),
        OptionDef::new(
            "persistmempool",
            "",
            "Save the mempool at shutdown and load it again at startup (default: 1)",
            Category::Options,
        ),
        OptionDef::new(
            "persistmempoolv1",
            "",
            "Write mempool.dat (from -persistmempool or the savemempool RPC) in the legacy version 1 format \
             instead of the current version 2 format. This option is temporary and will be removed (default: 0)",
            Category::Options,
        ),
        OptionDef::new(
            "pid",
            "=<file>",
            "Write the process id to <file>. A relative path is taken relative to the network-specific data \
             directory (default: hashvived.pid)",
            Category::Options,
        ),
        OptionDef::new(
            "prune",
            "=<n>",
            "Save disk space by pruning (deleting) old blocks. This makes the pruneblockchain RPC available for \
             deleting chosen blocks and, when a target size in MiB is given, prunes old blocks automatically. \
             Cannot be combined with -txindex. Warning: turning pruning off again means downloading the whole \
             blockchain again. (default: 0 = keep all blocks, 1 = allow manual pruning through RPC, >=550 = \
             prune block files automatically to stay below the given size in MiB)",
            Category::Options,
        ),
        OptionDef::new(
            "reindex",
            "",
            "Wipe the chain state and block index and rebuild them from the blk*.dat files on disk; every \
             active optional index is wiped and rebuilt too. A chainstate loaded from an assumeutxo snapshot is \
             wiped as well and can be loaded again over RPC.",
            Category::Options,
        ),
        OptionDef::new(
            "reindex-chainstate",
            "",
            "Wipe the chain state and rebuild it from the blk*.dat files on disk. A chainstate loaded from an \
             assumeutxo snapshot is wiped as well and can be loaded again over RPC.",
            Category::Options,
        ),
        OptionDef::new(
            "settings",
            "=<file>",
            "Path of the dynamic settings file. The node writes it while running and it is not meant to be \
             edited by hand (put custom settings in hashvive.conf instead); -nosettings turns it off. A relative \
             path is taken relative to the data directory (default: settings.json)",
            Category::Options,
        ),
        OptionDef::new("startupnotify", "=<cmd>", "Run <cmd> at startup", Category::Options),
        OptionDef::new(
            "shutdownnotify",
            "=<cmd>",
            "Run <cmd> just before shutdown begins. Shutdown may be urgent, so the command must not hold it up \
             (if it does not need the node, consider having it fork into the background).",
            Category::Options,
        ),
        OptionDef::new(
            "txindex",
            "",
            "Maintain an index of every transaction, used by the getrawtransaction RPC (default: 0)",
            Category::Options,
        ),
        OptionDef::new(
            "blockfilterindex",
            "=<type>",
            "Maintain an index of compact block filters (default: 0, values: basic). If <type> is left out or \
             is 1, every known filter type is indexed.",
            Category::Options,
        ),
    ]
}

fn connection_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "addnode",
            "=<ip>",
            "Add a peer to connect to and try to keep connected (see the addnode RPC help). Can be repeated; at \
             most 8 such connections are made at a time, and they do not count toward -maxconnections.",
            Category::Connection,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new(
            "asmap",
            "=<file>",
            "Bucket peers by the ASN mapping in <file> (default: ip_asn.map). A relative path is taken relative \
             to the network-specific data directory.",
            Category::Connection,
        ),
        OptionDef::new(
            "bantime",
            "=<n>",
            "How long, in seconds, a manually created ban lasts by default (default: 86400)",
            Category::Connection,
        ),
        OptionDef::new(
            "bind",
            "=<addr>[:<port>][=onion]",
            "Always listen on the given address (default: 0.0.0.0). Write IPv6 addresses as [host]:port. Add \
             =onion to mark incoming connections on that address and port as coming from Tor (default: \
             127.0.0.1:8334=onion, testnet3: 127.0.0.1:18334=onion, testnet4: 127.0.0.1:48334=onion, signet: \
             127.0.0.1:38334=onion, regtest: 127.0.0.1:18445=onion)",
            Category::Connection,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new(
            "cjdnsreachable",
            "",
            "Declare that this host is set up for CJDNS, so that connections to fc00::/8 addresses reach the \
             CJDNS network (default: 0)",
            Category::Connection,
        ),
        OptionDef::new(
            "connect",
            "=<ip>",
            "Connect only to the given peer, which is treated like one added with -addnode; -noconnect turns \
             automatic connections off. Can be repeated to connect to several peers.",
            Category::Connection,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new(
            "discover",
            "",
            "Find out this node's own IP addresses (default: 1 when listening and neither -externalip nor -proxy \
             is set)",
            Category::Connection,
        ),
        OptionDef::new(
            "dns",
            "",
            "Allow DNS lookups for -addnode, -seednode and -connect (default: 1)",
            Category::Connection,
        ),
        OptionDef::new(
            "dnsseed",
            "",
            "Ask DNS seeds for peer addresses when few are known (default: 1 unless -connect is used or \
             -maxconnections=0)",
            Category::Connection,
        ),
        OptionDef::new("externalip", "=<ip>", "Declare a public address of this node", Category::Connection),
        OptionDef::new(
            "fixedseeds",
            "",
            "Fall back to the built-in seed addresses when the DNS seeds provide no peers (default: 1)",
            Category::Connection,
        ),
        OptionDef::new(
            "forcednsseed",
            "",
            "Always ask DNS seeds for peer addresses (default: 0)",
            Category::Connection,
        ),
        OptionDef::new(
            "listen",
            "",
            "Accept incoming connections (default: 1 unless -proxy, -connect or -maxconnections=0 is given)",
            Category::Connection,
        ),
        OptionDef::new(
            "listenonion",
            "",
            "Create a Tor onion service automatically (default: 1)",
            Category::Connection,
        ),
        OptionDef::new(
            "maxconnections",
            "=<n>",
            "Keep at most <n> automatic peer connections (default: 125). Connections added with -addnode or the \
             addnode RPC are not counted here; they have their own limit of 8.",
            Category::Connection,
        ),
        OptionDef::new(
            "maxreceivebuffer",
            "=<n>",
            "Largest receive buffer per connection, <n>*1000 bytes (default: 5000)",
            Category::Connection,
        ),
        OptionDef::new(
            "maxsendbuffer",
            "=<n>",
            "Largest send buffer per connection, <n>*1000 bytes (default: 1000)",
            Category::Connection,
        ),
        OptionDef::new(
            "maxuploadtarget",
            "=<n>",
            "Try to keep outgoing traffic below this amount per 24 hours. Peers with the 'download' permission \
             and blocks from the past week are exempt. 0 means no limit (default: 0M). Takes an optional unit \
             suffix k, K, m, M, g, G, t or T (default: M); lowercase units count in 1000s, uppercase in 1024s.",
            Category::Connection,
        ),
        OptionDef::new(
            "onion",
            "=<ip:port|path>",
            "Reach Tor onion services through a separate SOCKS5 proxy; -noonion turns it off (default: same as \
             -proxy). May be a local socket path prefixed with 'unix:'.",
            Category::Connection,
        ),
        OptionDef::new(
            "i2psam",
            "=<ip:port>",
            "I2P SAM proxy used to reach I2P peers and accept I2P connections (default: none)",
            Category::Connection,
        ),
        OptionDef::new(
            "i2pacceptincoming",
            "",
            "Accept incoming I2P connections (default: 1). Has no effect without -i2psam. Incoming I2P \
             connections arrive through the SAM proxy, not through a locally bound address and port.",
            Category::Connection,
        ),
        OptionDef::new(
            "onlynet",
            "=<net>",
            "Make automatic outgoing connections only over network <net> (ipv4, ipv6, onion, i2p, cjdns). \
             Incoming and manual connections are not affected. Can be repeated to allow several networks.",
            Category::Connection,
        ),
        OptionDef::new(
            "v2transport",
            "",
            "Support the BIP324 v2 encrypted transport (default: 1)",
            Category::Connection,
        ),
        OptionDef::new(
            "peerbloomfilters",
            "",
            "Serve BIP37 bloom-filtered blocks and transactions to peers (default: 0)",
            Category::Connection,
        ),
        OptionDef::new(
            "peerblockfilters",
            "",
            "Serve BIP157 compact block filters to peers (default: 0)",
            Category::Connection,
        ),
        OptionDef::new(
            "txreconciliation",
            "",
            "Reconcile transactions with peers as described in BIP330 (default: 0)",
            Category::Connection,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "port",
            "=<port>",
            "Listen for connections on <port> (default: 8333, testnet3: 18333, testnet4: 48333, signet: 38333, \
             regtest: 18444). Not used for I2P. When set to x, the default onion listening port becomes x+1.",
            Category::Connection,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new(
            "proxy",
            "=<ip:port|path>",
            "Make connections through a SOCKS5 proxy; -noproxy turns it off (default: disabled). May be a local \
             socket path prefixed with 'unix:' if the proxy supports that.",
            Category::Connection,
        )
        .flags(DISALLOW_ELISION),
        OptionDef::new(
            "proxyrandomize",
            "",
            "Use fresh random credentials for every proxy connection, which gives Tor stream isolation \
             (default: 1)",
            Category::Connection,
        ),
        OptionDef::new(
            "seednode",
            "=<ip>",
            "Connect to a peer just to fetch addresses from it, then disconnect. Can be repeated. At startup, \
             seed nodes are tried before DNS seeds.",
            Category::Connection,
        ),
        OptionDef::new(
            "networkactive",
            "",
            "Enable all peer-to-peer network activity (default: 1). The setnetworkactive RPC can change this \
             later.",
            Category::Connection,
        ),
        OptionDef::new(
            "timeout",
            "=<n>",
            "Socket connect timeout in milliseconds; an attempt that has not connected within it is abandoned \
             (minimum: 1, default: 5000)",
            Category::Connection,
        ),
        OptionDef::new(
            "peertimeout",
            "=<n>",
            "Seconds to wait after connecting to a peer before it may be disconnected for inactivity (minimum: \
             1, default: 60)",
            Category::Connection,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "torcontrol",
            "=<ip>:<port>",
            "Tor control host and port used when onion listening is on (default: 127.0.0.1:9051). Without a \
             port, 9051 is used.",
            Category::Connection,
        ),
        OptionDef::new(
            "torpassword",
            "=<pass>",
            "Password for the Tor control port (default: empty)",
            Category::Connection,
        ),
        OptionDef::new(
            "upnp",
            "",
            "Removed (UPnP support was dropped); still accepted so that a warning can be shown, and treated as \
             -natpmp",
            Category::Hidden,
        ),
        OptionDef::new("natpmp", "", "Map the listening port with PCP or NAT-PMP (default: 0)", Category::Connection),
        OptionDef::new(
            "whitebind",
            "=<[permissions@]addr>",
            "Listen on the given address and grant permission flags to peers connecting to it. Write IPv6 \
             addresses as [host]:port. Permissions: bloomfilter (may request BIP37 filtered blocks and \
             transactions), noban (never banned for misbehavior; implies download), forcerelay (relay \
             transactions even if already in the mempool; implies relay), relay (relay even in -blocksonly mode, \
             with no limit on transaction announcements), mempool (may request BIP35 mempool contents), download \
             (may send getheaders during initial block download and is not disconnected when -maxuploadtarget is \
             reached), addr (GETADDR replies skip the cache and hold random, up-to-date records). Separate \
             several permissions with commas (default: download,noban,mempool,relay). Can be repeated.",
            Category::Connection,
        ),
        OptionDef::new(
            "whitelist",
            "=<[permissions@]IP address or network>",
            "Grant permission flags to peers from the given IP address (e.g. 1.2.3.4) or CIDR network (e.g. \
             1.2.3.0/24); the permissions are those of -whitebind. The extra flags \"in\" and \"out\" choose \
             whether they apply to incoming connections, manual outgoing connections or both (default: incoming \
             only). Can be repeated.",
            Category::Connection,
        ),
    ]
}

fn wallet_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "addresstype",
            "",
            "Type of address to use: \"legacy\", \"p2sh-segwit\", \"bech32\" or \"bech32m\" (default: \"bech32\")",
            Category::Wallet,
        ),
        OptionDef::new(
            "avoidpartialspends",
            "",
            "Select coins by address, spending either all outputs paid to an address (possibly many) or none of \
             them, instead of picking individual outputs. This helps privacy, since addresses tend to be emptied \
             in fewer transactions and change is gathered in fresh change addresses, but it can cost more in fees \
             through less optimal coin selection and extra inputs. Always on for wallets with \"avoid_reuse\" \
             enabled; otherwise default: 0.",
            Category::Wallet,
        ),
        OptionDef::new(
            "changetype",
            "",
            "Type of change output: \"legacy\", \"p2sh-segwit\", \"bech32\" or \"bech32m\". With \
             -addresstype=legacy the default is \"legacy\"; otherwise the wallet chooses.",
            Category::Wallet,
        ),
        OptionDef::new(
            "consolidatefeerate",
            "=<amt>",
            "Highest feerate (in BTC/kvB) at which the wallet may spend more inputs than needed in order to \
             shrink its UTXO set (default: 0.0001).",
            Category::Wallet,
        ),
        OptionDef::new("disablewallet", "", "Load no wallet and turn off the wallet RPCs", Category::Wallet),
        OptionDef::new(
            "discardfee",
            "=<amt>",
            "Feerate (in BTC/kvB) expressing how much change you are willing to give up to fees (default: \
             0.0001). An output is dropped if it is dust at this feerate; change up to the dust relay fee is \
             always dropped, and a discard fee above that is capped by the fee estimate for the longest target.",
            Category::Wallet,
        ),
        OptionDef::new(
            "fallbackfee",
            "=<amt>",
            "Feerate (in BTC/kvB) used when fee estimation lacks data; 0 turns the fallback off entirely \
             (default: 0.00)",
            Category::Wallet,
        ),
        OptionDef::new(
            "keypool",
            "=<n>",
            "Size of the key pool (default: 1000). Warning: a smaller pool makes it likelier that funds are lost \
             when restoring an old backup if none of the keys in its pool were used.",
            Category::Wallet,
        ),
        OptionDef::new(
            "maxapsfee",
            "=<n>",
            "Extra absolute fee (in BTC) the wallet may pay to make partial spend avoidance possible (default: \
             0.00)",
            Category::Wallet,
        ),
        OptionDef::new(
            "maxtxfee",
            "=<amt>",
            "Highest total fee (in BTC) for a single wallet transaction; too low a value can make large \
             transactions fail (default: 0.10)",
            Category::DebugTest,
        ),
        OptionDef::new(
            "mintxfee",
            "=<amt>",
            "Feerates (in BTC/kvB) below this count as zero when creating transactions (default: 0.000001)",
            Category::Wallet,
        ),
        OptionDef::new(
            "paytxfee",
            "=<amt>",
            "Feerate (in BTC/kvB) to pay on transactions you send (default: 0.00)",
            Category::Wallet,
        ),
        OptionDef::new(
            "signer",
            "=<cmd>",
            "Command of an external signing tool (see doc/external-signer.md)",
            Category::Wallet,
        ),
        OptionDef::new(
            "spendzeroconfchange",
            "",
            "Allow unconfirmed change to be spent (default: 1)",
            Category::Wallet,
        ),
        OptionDef::new(
            "txconfirmtarget",
            "=<n>",
            "When -paytxfee is not set, pay enough fee for the transaction to start confirming within n blocks \
             on average (default: 6)",
            Category::Wallet,
        ),
        OptionDef::new(
            "wallet",
            "=<path>",
            "Load the wallet at <path> at startup; can be repeated to load several wallets. The path names a \
             directory holding the wallet's data and log files (<walletdir>/<name>/wallet.dat); a relative path \
             is taken relative to <walletdir>. Only existing wallets are loaded, none are created. For backwards \
             compatibility, the name of an existing data file directly inside <walletdir> is accepted too.",
            Category::Wallet,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new("walletbroadcast", "", "Let the wallet broadcast transactions (default: 1)", Category::Wallet),
        OptionDef::new(
            "walletdir",
            "=<dir>",
            "Directory that holds the wallets (default: <datadir>/wallets if it exists, else <datadir>)",
            Category::Wallet,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new(
            "walletnotify",
            "=<cmd>",
            "Run <cmd> whenever a wallet transaction changes. In the command, %s becomes the txid, %w the wallet \
             name, %b the hash of the block holding the transaction ('unconfirmed' if none) and %h that block's \
             height (-1 if none). %w is not available on Windows; where it is available it must not be quoted, \
             since that would break shell escaping.",
            Category::Wallet,
        ),
        OptionDef::new(
            "walletrbf",
            "",
            "Send transactions with full-RBF opt-in enabled (RPC only, default: 1)",
            Category::Wallet,
        ),
        OptionDef::new(
            "dblogsize",
            "=<n>",
            "Flush wallet (BDB) database activity from memory to the disk log every <n> megabytes (default: 100)",
            Category::WalletDebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "flushwallet",
            "",
            "Flush the wallet periodically from a background thread (default: 1)",
            Category::WalletDebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "privdb",
            "",
            "Set the DB_PRIVATE flag on the wallet (BDB) database environment (default: 1)",
            Category::WalletDebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "swapbdbendian",
            "",
            "Swap the internal byte order of BDB wallet databases (default: 0)",
            Category::WalletDebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "unsafesqlitesync",
            "",
            "Run SQLite with synchronous=OFF so that the wallet does not wait for writes to reach the disk. This \
             is unsafe and can lose or corrupt data; it exists only to speed up tests (default: 0)",
            Category::WalletDebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "walletrejectlongchains",
            "",
            "Refuse to create wallet transactions that would break the mempool chain limits (default: 1)",
            Category::WalletDebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "walletcrosschain",
            "",
            "Allow a wallet file to be used on more than one chain (default: 0)",
            Category::WalletDebugTest,
        )
        .flags(DEBUG_ONLY),
    ]
}

fn zmq_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new("zmqpubhashblock", "=<address>", "Publish block hashes on <address>", Category::Zmq),
        OptionDef::new("zmqpubhashtx", "=<address>", "Publish transaction hashes on <address>", Category::Zmq),
        OptionDef::new("zmqpubrawblock", "=<address>", "Publish raw blocks on <address>", Category::Zmq),
        OptionDef::new("zmqpubrawtx", "=<address>", "Publish raw transactions on <address>", Category::Zmq),
        OptionDef::new(
            "zmqpubsequence",
            "=<address>",
            "Publish block and transaction hash sequence events on <address>",
            Category::Zmq,
        ),
        OptionDef::new(
            "zmqpubhashblockhwm",
            "=<n>",
            "Outgoing message high water mark for block hash notifications (default: 1000)",
            Category::Zmq,
        ),
        OptionDef::new(
            "zmqpubhashtxhwm",
            "=<n>",
            "Outgoing message high water mark for transaction hash notifications (default: 1000)",
            Category::Zmq,
        ),
        OptionDef::new(
            "zmqpubrawblockhwm",
            "=<n>",
            "Outgoing message high water mark for raw block notifications (default: 1000)",
            Category::Zmq,
        ),
        OptionDef::new(
            "zmqpubrawtxhwm",
            "=<n>",
            "Outgoing message high water mark for raw transaction notifications (default: 1000)",
            Category::Zmq,
        ),
        OptionDef::new(
            "zmqpubsequencehwm",
            "=<n>",
            "Outgoing message high water mark for hash sequence notifications (default: 1000)",
            Category::Zmq,
        ),
    ]
}

fn debug_test_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "checkblocks",
            "=<n>",
            "Number of recent blocks verified at startup (default: 6, 0 = all)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "checklevel",
            "=<n>",
            "How thoroughly -checkblocks verifies: level 0 reads the blocks from disk, 1 checks that they are \
             valid, 2 checks the undo data, 3 checks disconnecting the tip blocks, 4 tries to reconnect them; \
             every level includes the ones below it (0-4, default: 3)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "checkblockindex",
            "",
            "Check the consistency of the block tree, the chainstate and other validation data structures every \
             <n> operations; 0 turns it off (default: 0, regtest: 1)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "checkaddrman",
            "=<n>",
            "Check the consistency of the address manager every <n> operations; 0 turns it off (default: 0)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "checkmempool",
            "=<n>",
            "Check the consistency of the mempool every <n> transactions; 0 turns it off (default: 0, regtest: 1)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "checkpoints",
            "",
            "Removed (checkpoints no longer exist); still accepted so that a warning can be shown",
            Category::Hidden,
        ),
        OptionDef::new(
            "deprecatedrpc",
            "=<method>",
            "Keep the named deprecated RPC method or behaviour available",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "stopafterblockimport",
            "",
            "Shut down once blocks have been imported from disk (default: 0)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "stopatheight",
            "",
            "Shut down once the main chain reaches the given height (default: 0)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "limitancestorcount",
            "=<n>",
            "Reject transactions that have <n> or more unconfirmed ancestors in the mempool (default: 25)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "limitancestorsize",
            "=<n>",
            "Reject transactions whose size together with all their in-mempool ancestors is over <n> kilobytes \
             (default: 101)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "limitdescendantcount",
            "=<n>",
            "Reject transactions that would give one of their ancestors <n> or more in-mempool descendants \
             (default: 25)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "limitdescendantsize",
            "=<n>",
            "Reject transactions that would give one of their ancestors more than <n> kilobytes of in-mempool \
             descendants (default: 101)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "test",
            "=<option>",
            "Turn on a test-only behaviour. Options: addrman (deterministic address manager), \
             reindex_after_failure_noninteractive_yes (act as if 'yes' was answered when a reindex is offered \
             after a failure), bip94 (enforce the BIP94 consensus rules).",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new("capturemessages", "", "Write every P2P message to disk", Category::DebugTest).flags(DEBUG_ONLY),
        OptionDef::new(
            "mocktime",
            "=<n>",
            "Pretend the current time is <n>, in seconds since the UNIX epoch (default: 0 = use the real clock)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "maxsigcachesize",
            "=<n>",
            "Cap the combined size of the signature cache and the script execution cache at <n> MiB \
             (default: 32)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "maxtipage",
            "=<n>",
            "Age of the tip, in seconds, beyond which the node considers itself in initial block download \
             (default: 86400)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "printpriority",
            "",
            "Log the feerate of each transaction (in BTC/kvB) when assembling blocks (default: 0)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "uacomment",
            "=<cmt>",
            "Add a comment to the user agent string (/Hashvive:<version>/)",
            Category::DebugTest,
        ),
    ]
}

fn relay_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "acceptnonstdtxn",
            "",
            "Relay and mine non-standard transactions (test networks only; default: 0)",
            Category::NodeRelay,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "incrementalrelayfee",
            "=<amt>",
            "Feerate (in BTC/kvB) that sets the cost of relay, used when limiting the mempool and for \
             replacement rules (default: 0.00001)",
            Category::NodeRelay,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "dustrelayfee",
            "=<amt>",
            "Feerate (in BTC/kvB) that defines dust: an output worth less than the fee it would take to spend it \
             at this feerate (default: 0.00003)",
            Category::NodeRelay,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "acceptstalefeeestimates",
            "",
            "Load fee estimates even when they are stale, i.e. 60 hours old or more (regtest only; default: 0)",
            Category::DebugTest,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "bytespersigop",
            "",
            "Number of bytes each signature operation counts as when relaying and mining (default: 20)",
            Category::NodeRelay,
        ),
        OptionDef::new(
            "datacarrier",
            "",
            "Relay and mine transactions that carry data (default: 1)",
            Category::NodeRelay,
        ),
        OptionDef::new(
            "datacarriersize",
            "",
            "Relay and mine transactions whose data-carrying raw scriptPubKey is at most this many bytes \
             (default: 83)",
            Category::NodeRelay,
        ),
        OptionDef::new(
            "permitbaremultisig",
            "",
            "Relay transactions that create bare (non-P2SH) multisig outputs (default: 1)",
            Category::NodeRelay,
        ),
        OptionDef::new(
            "minrelaytxfee",
            "=<amt>",
            "Fees (in BTC/kvB) below this count as zero for relaying, mining and transaction creation \
             (default: 0.00001)",
            Category::NodeRelay,
        ),
        OptionDef::new(
            "whitelistforcerelay",
            "",
            "Give whitelisted peers that have default permissions the 'forcerelay' permission, so their \
             transactions are relayed even if already in the mempool (default: 0)",
            Category::NodeRelay,
        ),
        OptionDef::new(
            "whitelistrelay",
            "",
            "Give whitelisted peers that have default permissions the 'relay' permission, so their transactions \
             are accepted even when transaction relay is off (default: 1)",
            Category::NodeRelay,
        ),
    ]
}

fn block_creation_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "blockmaxweight",
            "=<n>",
            "Largest BIP141 block weight to create (default: 3996000)",
            Category::BlockCreation,
        ),
        OptionDef::new(
            "blockreservedweight",
            "=<n>",
            "Weight set aside for the block header and the largest coinbase transaction the mining software may \
             add (default: 8000)",
            Category::BlockCreation,
        ),
        OptionDef::new(
            "blockmintxfee",
            "=<amt>",
            "Lowest feerate (in BTC/kvB) a transaction needs to be put into a new block (default: 0.00001)",
            Category::BlockCreation,
        ),
        OptionDef::new(
            "blockversion",
            "=<n>",
            "Override the version of created blocks, for testing fork scenarios",
            Category::BlockCreation,
        )
        .flags(DEBUG_ONLY),
    ]
}

fn rpc_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new("rest", "", "Serve public REST requests (default: 0)", Category::Rpc),
        OptionDef::new(
            "rpcallowip",
            "=<ip>",
            "Accept JSON-RPC connections from the given source: a single IP (e.g. 1.2.3.4), a network/netmask \
             (e.g. 1.2.3.4/255.255.255.0), a network/CIDR (e.g. 1.2.3.4/24), all of IPv4 (0.0.0.0/0) or all of \
             IPv6 (::/0). Can be repeated.",
            Category::Rpc,
        ),
        OptionDef::new(
            "rpcauth",
            "=<userpw>",
            "User name and HMAC-SHA-256 hashed password for JSON-RPC connections, written as \
             <USERNAME>:<SALT>$<HASH>, where HASH is the hex HMAC-SHA256 of the password keyed by SALT (see \
             doc/rpc.md). Clients then log in with rpcuser=<USERNAME> and rpcpassword=<PASSWORD> as usual. Can be \
             repeated.",
            Category::Rpc,
        ),
        OptionDef::new(
            "rpcbind",
            "=<addr>[:port]",
            "Listen for JSON-RPC connections on the given address. Never expose the RPC server to untrusted \
             networks such as the public internet! Ignored unless -rpcallowip is also given. The optional port \
             overrides -rpcport. Write IPv6 addresses as [host]:port. Can be repeated (default: 127.0.0.1 and \
             ::1, i.e. localhost)",
            Category::Rpc,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new(
            "rpcdoccheck",
            "",
            "Raise a non-fatal error at runtime when the documentation of an RPC is wrong (default: 0)",
            Category::Rpc,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new(
            "rpccookiefile",
            "=<loc>",
            "Where to keep the authentication cookie. A relative path is taken relative to the network-specific \
             data directory (default: .cookie in the network-specific data directory)",
            Category::Rpc,
        ),
        OptionDef::new(
            "rpccookieperms",
            "=<readable-by>",
            "Make the RPC cookie file readable by its owner, its group or all users: owner, group or all \
             (default: owner, mode 0600)",
            Category::Rpc,
        ),
        OptionDef::new("rpcpassword", "=<pw>", "Password for JSON-RPC connections", Category::Rpc),
        OptionDef::new(
            "rpcport",
            "=<port>",
            "Listen for JSON-RPC connections on <port> (default: 8332, testnet3: 18332, testnet4: 48332, signet: \
             38332, regtest: 18443)",
            Category::Rpc,
        )
        .flags(NETWORK_ONLY),
        OptionDef::new(
            "rpcservertimeout",
            "=<n>",
            "Timeout for HTTP requests, in seconds (default: 30)",
            Category::Rpc,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new("rpcthreads", "=<n>", "Number of threads serving RPC calls (default: 16)", Category::Rpc),
        OptionDef::new("rpcuser", "=<user>", "User name for JSON-RPC connections", Category::Rpc),
        OptionDef::new(
            "rpcwhitelist",
            "=<whitelist>",
            "Limit the RPC calls a user may make, written as <USERNAME>:<rpc 1>,<rpc 2>,...,<rpc n>. When a user \
             has several whitelists, only calls present in all of them are allowed. See -rpcwhitelistdefault \
             for the default behaviour.",
            Category::Rpc,
        ),
        OptionDef::new(
            "rpcwhitelistdefault",
            "",
            "Default RPC whitelisting behaviour. Unless this is 0, as soon as any -rpcwhitelist is given, every \
             RPC user without a whitelist of its own is treated as having an empty one. If this is 1 and no \
             -rpcwhitelist is given, every RPC user gets an empty whitelist.",
            Category::Rpc,
        ),
        OptionDef::new(
            "rpcworkqueue",
            "=<n>",
            "Longest queue of RPC calls waiting to be served (default: 64)",
            Category::Rpc,
        )
        .flags(DEBUG_ONLY),
        OptionDef::new("server", "", "Accept command line and JSON-RPC commands", Category::Rpc),
    ]
}

fn ipc_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "ipcbind",
            "=<address>",
            "Listen for IPC connections on a Unix socket: \"unix\" uses the default path <datadir>/node.sock and \
             \"unix:/custom/path\" picks another one. Can be repeated to listen on several paths; by default no \
             socket is opened. Relative paths are taken relative to the network data directory, and missing \
             parent directories are created.",
            Category::Ipc,
        ),
        OptionDef::new(
            "ipcconnect",
            "=<address>",
            "Connect to a running node process over IPC (multiprocess builds only)",
            Category::Hidden,
        ),
        OptionDef::new(
            "ipcfd",
            "=<fd>",
            "Serve IPC requests on an inherited file descriptor (used internally when a process is spawned)",
            Category::Hidden,
        ),
    ]
}

fn daemon_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new(
            "daemon",
            "",
            "Run in the background as a daemon and accept commands (default: 0)",
            Category::Options,
        ),
        OptionDef::new(
            "daemonwait",
            "",
            "Do not return to the caller until initialization has finished; implies -daemon (default: 0)",
            Category::Options,
        ),
    ]
}

/// Accepted but never listed: internal testing switches and the graphical
/// interface's options, which the daemon ignores.
fn hidden_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new("dbcrashratio", "", "Internal: randomly crash while writing the database", Category::Hidden),
        OptionDef::new("forcecompactdb", "", "Internal: force compaction of the database", Category::Hidden),
        OptionDef::new("choosedatadir", "", "Graphical interface option; ignored by the daemon", Category::Hidden),
        OptionDef::new("lang", "=<lang>", "Graphical interface option; ignored by the daemon", Category::Hidden),
        OptionDef::new("min", "", "Graphical interface option; ignored by the daemon", Category::Hidden),
        OptionDef::new("resetguisettings", "", "Graphical interface option; ignored by the daemon", Category::Hidden),
        OptionDef::new("splash", "", "Graphical interface option; ignored by the daemon", Category::Hidden),
        OptionDef::new("uiplatform", "", "Graphical interface option; ignored by the daemon", Category::Hidden),
    ]
}
