//! The connection options, read and checked as the reference does at start-up.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use bitcoin::p2p::Magic;
use hashvive_common::args::Args;
use hashvive_common::chain::Chain;
use hashvive_common::hostport::{parse_port, split_host_port};

use crate::permissions::{implicit_permissions, Permissions, Whitebind, Whitelist};
use crate::protocol::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_PEER_CONNECTIONS, DEFAULT_MISBEHAVING_BANTIME, DEFAULT_PEER_CONNECT_TIMEOUT,
    MAX_AUTOMATIC_OUTBOUND,
};

/// An address to listen on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    pub addr: SocketAddr,
    /// Given with `-bind`: failing to bind it is a start-up error. The
    /// default addresses (`0.0.0.0` and `::`) only need one to succeed.
    pub explicit: bool,
    /// What peers connecting here may do (`-whitebind`).
    pub permissions: Permissions,
}

#[derive(Clone, Debug)]
pub struct NetConfig {
    pub magic: Magic,
    /// The chain's port, for peers named without one.
    pub default_port: u16,
    /// The user agent (with `-uacomment`s), as `getnetworkinfo` shows it.
    pub user_agent: String,
    /// Where to accept connections; empty with `-listen=0`.
    pub binds: Vec<Bind>,
    /// `-connect` peers: when given, the only outbound connections.
    pub connect: Vec<String>,
    /// `-addnode` peers.
    pub addnode: Vec<String>,
    /// `-seednode` peers, asked for addresses at start-up.
    pub seednodes: Vec<String>,
    /// Outbound connections are made from the address table (no `-connect`).
    pub automatic_connections: bool,
    /// `-whitelist` entries.
    pub whitelist: Vec<Whitelist>,
    /// Inbound slots (`-maxconnections` minus the automatic outbound ones).
    pub max_inbound: usize,
    /// `-peertimeout`
    pub peer_timeout: Duration,
    /// `-timeout`
    pub connect_timeout: Duration,
    /// `-dns`: whether peer names may be looked up.
    pub dns: bool,
    /// `-proxy`: every outbound IPv4/IPv6 connection goes through it.
    pub proxy: Option<crate::socks5::Socks5>,
    /// Whether automatic connections may go to IPv4 and IPv6 addresses (`-onlynet`).
    pub reachable_ipv4: bool,
    pub reachable_ipv6: bool,
    /// Not `-blocksonly`: transactions are relayed.
    pub relay_txs: bool,
    /// `-prune`: only recent blocks are kept, so only they are offered.
    pub pruned: bool,
    /// `-networkactive`
    pub network_active: bool,
    /// Where bans are kept (`<chain dir>/banlist.json`); `None` keeps them
    /// in memory only.
    pub ban_file: Option<std::path::PathBuf>,
    /// `-bantime`: how long a ban lasts unless told otherwise.
    pub ban_time: Duration,
    /// Where known addresses are kept (`<chain dir>/peers.dat`); `None`
    /// keeps them in memory only.
    pub peers_file: Option<std::path::PathBuf>,
}

impl NetConfig {
    /// Reads `-listen`, `-bind`, `-port`, `-connect`, `-addnode`,
    /// `-maxconnections`, `-peertimeout`, `-timeout`, `-dns`, `-blocksonly`
    /// and `-networkactive`; an `Err` is the reference's start-up error.
    pub fn from_args(args: &Args, chain: Chain, magic: Magic, user_agent: String) -> Result<NetConfig, String> {
        let port = match args.get("port") {
            Some(p) => parse_port(&p).ok_or_else(|| format!("Invalid port specified in -port: '{p}'"))?,
            None => chain.default_p2p_port(),
        };
        let connect_given = !args.get_all("connect").is_empty();
        let connect: Vec<String> = args.get_all("connect").into_iter().filter(|c| c != "0").collect();
        let max_connections = args.get_int("maxconnections", DEFAULT_MAX_PEER_CONNECTIONS).max(0) as usize;
        let proxy = args.get("proxy").is_some_and(|p| !p.is_empty() && p != "0");
        // The reference's parameter interactions: -connect, -proxy and
        // -maxconnections=0 turn listening off unless it is asked for.
        let listen = args.get_bool("listen", !connect_given && !proxy && max_connections != 0);
        let implicit =
            implicit_permissions(args.get_bool("whitelistrelay", true), args.get_bool("whitelistforcerelay", false));
        let whitebinds: Vec<Bind> = args
            .get_all("whitebind")
            .iter()
            .map(|spec| {
                let w = Whitebind::parse(spec, implicit)?;
                Ok(Bind { addr: w.addr, explicit: true, permissions: w.permissions })
            })
            .collect::<Result<_, String>>()?;
        let whitelist =
            args.get_all("whitelist").iter().map(|spec| Whitelist::parse(spec, implicit)).collect::<Result<_, _>>()?;
        let mut binds = if !listen {
            Vec::new()
        } else if args.get_all("bind").is_empty() && !whitebinds.is_empty() {
            // -whitebind alone listens only where it says.
            Vec::new()
        } else if args.get_all("bind").is_empty() {
            [IpAddr::V4(Ipv4Addr::UNSPECIFIED), IpAddr::V6(Ipv6Addr::UNSPECIFIED)]
                .into_iter()
                .map(|ip| Bind {
                    addr: SocketAddr::new(ip, port),
                    explicit: false,
                    permissions: Permissions::default(),
                })
                .collect()
        } else {
            args.get_all("bind").iter().map(|b| parse_bind(b, port)).collect::<Result<_, _>>()?
        };
        if listen {
            binds.extend(whitebinds);
        }
        let seconds = |name: &str, default: Duration| {
            Duration::from_secs(args.get_int(name, default.as_secs() as i64).max(1) as u64)
        };
        let connect_ms = args.get_int("timeout", DEFAULT_CONNECT_TIMEOUT.as_millis() as i64);
        Ok(NetConfig {
            magic,
            default_port: port,
            user_agent,
            binds,
            connect,
            addnode: args.get_all("addnode"),
            seednodes: args.get_all("seednode"),
            // -maxconnections=0 makes none at all, as -connect does.
            automatic_connections: !connect_given && max_connections > 0,
            whitelist,
            max_inbound: max_connections.saturating_sub(MAX_AUTOMATIC_OUTBOUND),
            peer_timeout: seconds("peertimeout", DEFAULT_PEER_CONNECT_TIMEOUT),
            connect_timeout: if connect_ms > 0 {
                Duration::from_millis(connect_ms as u64)
            } else {
                DEFAULT_CONNECT_TIMEOUT
            },
            dns: args.get_bool("dns", true),
            // Set from the node's network settings, which check them.
            proxy: None,
            reachable_ipv4: true,
            reachable_ipv6: true,
            relay_txs: !args.get_bool("blocksonly", false),
            pruned: args.get_int("prune", 0) > 0,
            network_active: args.get_bool("networkactive", true),
            ban_file: None,
            peers_file: None,
            ban_time: Duration::from_secs(
                args.get_int("bantime", DEFAULT_MISBEHAVING_BANTIME.as_secs() as i64).max(0) as u64
            ),
        })
    }
}

/// `-bind=<addr>[:<port>][=onion]`; the onion mark is accepted and has no
/// effect without Tor support.
fn parse_bind(spec: &str, default_port: u16) -> Result<Bind, String> {
    let address = spec.strip_suffix("=onion").unwrap_or(spec);
    let parsed = split_host_port(address)
        .and_then(|(host, port)| Some(SocketAddr::new(host.parse().ok()?, port.unwrap_or(default_port))));
    let addr = parsed.ok_or_else(|| format!("Cannot resolve -bind address: '{spec}'"))?;
    Ok(Bind { addr, explicit: true, permissions: Permissions::default() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashvive_common::options::node_options;

    fn config(argv: &[&str]) -> Result<NetConfig, String> {
        let defs = node_options();
        let mut args = Args::new(&defs);
        args.parse_command_line(argv.iter().map(|s| s.to_string())).map_err(|e| e.to_string())?;
        NetConfig::from_args(&args, Chain::Regtest, Magic::REGTEST, "/x/".into())
    }

    #[test]
    fn listens_on_every_address_by_default() {
        let c = config(&[]).unwrap();
        assert_eq!(c.binds.len(), 2);
        assert!(c.binds.iter().all(|b| b.addr.port() == 18444 && !b.explicit));
        assert_eq!(c.max_inbound, 114);
        assert!(c.relay_txs && c.network_active && c.dns);
    }

    #[test]
    fn binds_ports_and_connect() {
        let c = config(&["-bind=127.0.0.1", "-bind=[::1]:5000", "-port=19000"]).unwrap();
        let addrs: Vec<String> = c.binds.iter().map(|b| b.addr.to_string()).collect();
        assert_eq!(addrs, ["127.0.0.1:19000", "[::1]:5000"]);
        assert_eq!(config(&["-bind=nonsense:x"]).unwrap_err(), "Cannot resolve -bind address: 'nonsense:x'");
        assert_eq!(config(&["-port=0"]).unwrap_err(), "Invalid port specified in -port: '0'");
        // -connect turns listening off unless asked for; -connect=0 connects nowhere.
        let c = config(&["-connect=127.0.0.1:1"]).unwrap();
        assert!(c.binds.is_empty());
        assert_eq!(c.connect, ["127.0.0.1:1"]);
        assert!(config(&["-connect=0"]).unwrap().connect.is_empty());
        assert_eq!(config(&["-connect=127.0.0.1:1", "-listen"]).unwrap().binds.len(), 2);
        assert_eq!(config(&["-maxconnections=5"]).unwrap().max_inbound, 0);
    }
}
