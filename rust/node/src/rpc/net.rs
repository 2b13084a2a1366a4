//! `getnetworkinfo`: what the options configure (user agent, reachable
//! networks, proxies) and the live state of the networking (connections,
//! services, whether it is active). The other `network` methods are in
//! [`super::peers`].

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use serde_json::{json, Value};

use hashvive_chain::Chainstate;
use hashvive_common::args::Args;
use hashvive_common::hostport::split_host_port;
use hashvive_common::version;
use hashvive_net::{protocol::service_names, NetManager, PROTOCOL_VERSION};
use hashvive_rpc::table::sync_handler;
use hashvive_rpc::{Command, RpcTable};

use super::mempool::btc_per_kvb;

/// Tor's SOCKS port, the default for `-proxy` and `-onion`.
const DEFAULT_TOR_SOCKS_PORT: u16 = 9050;
/// The I2P SAM port, the default for `-i2psam`.
const DEFAULT_I2P_SAM_PORT: u16 = 7656;

/// The networks `getnetworkinfo` lists, in the reference's order.
const NETWORKS: [&str; 5] = ["ipv4", "ipv6", "onion", "i2p", "cjdns"];
const IPV4: usize = 0;
const IPV6: usize = 1;
const ONION: usize = 2;
const I2P: usize = 3;
const CJDNS: usize = 4;

/// A proxy for reaching one network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proxy {
    /// `host:port` as resolved, or `unix:<path>`.
    pub address: String,
    /// `-proxyrandomize`: fresh credentials per connection, for Tor stream isolation.
    pub randomize_credentials: bool,
}

/// The network settings the options give, validated as the reference
/// validates them at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSettings {
    /// The user agent, with `-uacomment`s; the networking sends it in `version`.
    pub user_agent: String,
    /// Per entry of [`NETWORKS`]: whether outbound connections may reach it.
    pub reachable: [bool; 5],
    /// Per entry of [`NETWORKS`]: the proxy used for it.
    pub proxies: [Option<Proxy>; 5],
}

impl NetworkSettings {
    /// Reads `-uacomment`, `-onlynet`,
    /// `-cjdnsreachable`, `-proxy`, `-proxyrandomize`, `-onion`,
    /// `-listenonion`, `-i2psam` and `-dns`; an `Err` is the reference's
    /// start-up error text.
    pub fn from_args(args: &Args) -> Result<NetworkSettings, String> {
        let onlynet = args.get_all("onlynet");
        let mut reachable = [onlynet.is_empty(); 5];
        for name in &onlynet {
            let index = NETWORKS
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
                .ok_or_else(|| format!("Unknown network specified in -onlynet: '{name}'"))?;
            reachable[index] = true;
        }
        // Which networks -onlynet picked, for the checks that they can be reached.
        let picked = if onlynet.is_empty() { [false; 5] } else { reachable };
        let only = |index: usize| picked[index];

        if !args.get_bool("cjdnsreachable", false) {
            if only(CJDNS) {
                return Err(
                    "Outbound connections restricted to CJDNS (-onlynet=cjdns) but -cjdnsreachable is not provided"
                        .into(),
                );
            }
            reachable[CJDNS] = false;
        }

        let dns = args.get_bool("dns", true);
        let randomize = args.get_bool("proxyrandomize", true);
        let mut proxies: [Option<Proxy>; 5] = Default::default();
        let proxy_arg = args.get_or("proxy", "");
        if !proxy_arg.is_empty() && proxy_arg != "0" {
            let address = proxy_address(&proxy_arg, DEFAULT_TOR_SOCKS_PORT, dns)
                .ok_or_else(|| format!("Invalid -proxy address or hostname: '{proxy_arg}'"))?;
            let proxy = Proxy { address, randomize_credentials: randomize };
            for index in [IPV4, IPV6, ONION, CJDNS] {
                proxies[index] = Some(proxy.clone());
            }
        }

        // -onion overrides -proxy for onion; -onion=0 forbids reaching it.
        match args.get_or("onion", "").as_str() {
            "" => {}
            "0" => {
                if only(ONION) {
                    return Err("Outbound connections restricted to Tor (-onlynet=onion) but the proxy for reaching the Tor network is explicitly forbidden: -onion=0".into());
                }
                proxies[ONION] = None;
            }
            onion => {
                let address = proxy_address(onion, DEFAULT_TOR_SOCKS_PORT, dns)
                    .ok_or_else(|| format!("Invalid -onion address or hostname: '{onion}'"))?;
                proxies[ONION] = Some(Proxy { address, randomize_credentials: randomize });
            }
        }
        if proxies[ONION].is_none() {
            // With -listenonion the reference may learn a proxy from Tor later;
            // until then onion is unreachable.
            if only(ONION) && !args.get_bool("listenonion", true) {
                return Err("Outbound connections restricted to Tor (-onlynet=onion) but the proxy for reaching the Tor network is not provided: none of -proxy, -onion or -listenonion is given".into());
            }
            reachable[ONION] = false;
        }

        match args.get_or("i2psam", "").as_str() {
            "" => {
                if only(I2P) {
                    return Err(
                        "Outbound connections restricted to i2p (-onlynet=i2p) but -i2psam is not provided".into()
                    );
                }
                reachable[I2P] = false;
            }
            sam => {
                let address = proxy_address(sam, DEFAULT_I2P_SAM_PORT, dns)
                    .filter(|a| !a.starts_with("unix:"))
                    .ok_or_else(|| format!("Invalid -i2psam address or hostname: '{sam}'"))?;
                // The SAM bridge makes its own sessions, so credentials are never randomised.
                proxies[I2P] = Some(Proxy { address, randomize_credentials: false });
            }
        }

        Ok(NetworkSettings { user_agent: version::user_agent(&args.get_all("uacomment"))?, reachable, proxies })
    }

    /// What the connections need of these settings: the proxy for IPv4 and
    /// IPv6, and whether automatic connections may reach each of them.
    pub fn apply_to(&self, config: &mut hashvive_net::NetConfig) -> Result<(), String> {
        config.proxy = match &self.proxies[IPV4] {
            None => None,
            Some(proxy) => Some(hashvive_net::socks5::Socks5 {
                addr: proxy.address.parse().map_err(|_| {
                    format!(
                        "-proxy={}: hashvive reaches a proxy by address and port only, not by a local socket",
                        proxy.address
                    )
                })?,
                randomize_credentials: proxy.randomize_credentials,
            }),
        };
        config.reachable_ipv4 = self.reachable[IPV4];
        config.reachable_ipv6 = self.reachable[IPV6];
        Ok(())
    }

    /// `getnetworkinfo.networks`.
    fn networks_json(&self) -> Value {
        let networks = NETWORKS.iter().enumerate().map(|(i, name)| {
            let proxy = self.proxies[i].as_ref();
            json!({
                "name": name,
                "limited": !self.reachable[i],
                "reachable": self.reachable[i],
                "proxy": proxy.map_or("", |p| p.address.as_str()),
                "proxy_randomize_credentials": proxy.is_some_and(|p| p.randomize_credentials),
            })
        });
        Value::Array(networks.collect())
    }
}

/// A proxy option's value as the reference shows it: `unix:<path>` as given,
/// else the first address `host[:port]` resolves to (names only with `-dns`).
fn proxy_address(spec: &str, default_port: u16, dns: bool) -> Option<String> {
    if spec.starts_with("unix:") {
        return Some(spec.to_string());
    }
    let (host, port) = split_host_port(spec)?;
    let port = port.unwrap_or(default_port);
    let address = match host.parse::<IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, port),
        Err(_) if dns => (host, port).to_socket_addrs().ok()?.next()?,
        Err(_) => return None,
    };
    // The unspecified address is no proxy in the reference either.
    (!address.ip().is_unspecified()).then(|| address.to_string())
}

pub fn register(
    table: &RpcTable,
    chain: Arc<Chainstate>,
    settings: Arc<NetworkSettings>,
    net: NetManager,
    cli: &'static str,
) {
    table.register(
        Command::new(
            "getnetworkinfo",
            "network",
            "Returns an object containing various state info regarding P2P networking.",
            sync_handler(move |_| {
                let (relay_fee, incremental_fee) = chain.with_mempool(|m| {
                    let policy = &m.options().policy;
                    (policy.min_relay_fee, policy.incremental_relay_fee)
                });
                let (inbound, outbound) = net.connection_counts();
                let services = net.local_services();
                Ok(json!({
                    "version": version::CLIENT_VERSION,
                    "subversion": settings.user_agent,
                    "protocolversion": PROTOCOL_VERSION,
                    "localservices": format!("{:016x}", services.to_u64()),
                    "localservicesnames": service_names(services),
                    "localrelay": net.relays_txs(),
                    "timeoffset": 0,
                    "networkactive": net.network_active(),
                    "connections": inbound + outbound,
                    "connections_in": inbound,
                    "connections_out": outbound,
                    "networks": settings.networks_json(),
                    "relayfee": btc_per_kvb(relay_fee),
                    "incrementalfee": btc_per_kvb(incremental_fee),
                    "localaddresses": [],
                    "warnings": [],
                }))
            }),
        )
        .result(
            "{    (json object)\n  \
               \"version\" : n,    (numeric) the server version\n  \
               \"subversion\" : \"str\",    (string) the server subversion string\n  \
               \"protocolversion\" : n,    (numeric) the protocol version\n  \
               \"localservices\" : \"hex\",    (string) the services we offer to the network\n  \
               \"localservicesnames\" : [    (json array) the services we offer to the network, in human-readable form\n    \
                 \"str\",    (string) the service name\n    \
                 ...\n  \
               ],\n  \
               \"localrelay\" : true|false,    (boolean) true if transaction relay is requested from peers\n  \
               \"timeoffset\" : n,    (numeric) the time offset\n  \
               \"networkactive\" : true|false,    (boolean) whether p2p networking is enabled\n  \
               \"connections\" : n,    (numeric) the total number of connections\n  \
               \"connections_in\" : n,    (numeric) the number of inbound connections\n  \
               \"connections_out\" : n,    (numeric) the number of outbound connections\n  \
               \"networks\" : [    (json array) information per network\n    \
                 {    (json object)\n      \
                   \"name\" : \"str\",    (string) network (ipv4, ipv6, onion, i2p, cjdns)\n      \
                   \"limited\" : true|false,    (boolean) is the network limited using -onlynet?\n      \
                   \"reachable\" : true|false,    (boolean) is the network reachable?\n      \
                   \"proxy\" : \"str\",    (string) (\"host:port\") the proxy that is used for this network, or empty if none\n      \
                   \"proxy_randomize_credentials\" : true|false    (boolean) Whether randomized credentials are used\n    \
                 },\n    \
                 ...\n  \
               ],\n  \
               \"relayfee\" : n,    (numeric) minimum relay fee rate for transactions in BTC/kvB\n  \
               \"incrementalfee\" : n,    (numeric) minimum fee rate increment for mempool limiting or replacement in BTC/kvB\n  \
               \"localaddresses\" : [    (json array) list of local addresses\n    \
                 {    (json object)\n      \
                   \"address\" : \"str\",    (string) network address\n      \
                   \"port\" : n,    (numeric) network port\n      \
                   \"score\" : n    (numeric) relative score\n    \
                 },\n    \
                 ...\n  \
               ],\n  \
               \"warnings\" : [    (json array) any network and blockchain warnings\n    \
                 \"str\",    (string) warning\n    \
                 ...\n  \
               ]\n\
             }",
        )
        .example(format!("{cli} getnetworkinfo")),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashvive_common::options::node_options;

    fn settings(argv: &[&str]) -> Result<NetworkSettings, String> {
        let defs = node_options();
        let mut args = Args::new(&defs);
        args.parse_command_line(argv.iter().map(|s| s.to_string())).map_err(|e| e.to_string())?;
        NetworkSettings::from_args(&args)
    }

    fn reachable(s: &NetworkSettings) -> Vec<&str> {
        NETWORKS.iter().zip(s.reachable).filter(|(_, r)| *r).map(|(n, _)| *n).collect()
    }

    #[test]
    fn defaults_reach_the_clearnet_only() {
        let s = settings(&[]).unwrap();
        assert_eq!(reachable(&s), ["ipv4", "ipv6"]);
        assert!(s.proxies.iter().all(Option::is_none));
        assert_eq!(s.user_agent, format!("/Hashvive:{}/", version::VERSION));
    }

    #[test]
    fn proxies_make_networks_reachable() {
        let s = settings(&["-proxy=127.0.0.1:9050", "-i2psam=127.0.0.1", "-proxyrandomize=0"]).unwrap();
        assert_eq!(reachable(&s), ["ipv4", "ipv6", "onion", "i2p"]);
        let tor = Some(Proxy { address: "127.0.0.1:9050".into(), randomize_credentials: false });
        assert_eq!(
            s.proxies,
            [
                tor.clone(),
                tor.clone(),
                tor.clone(),
                Some(Proxy { address: "127.0.0.1:7656".into(), randomize_credentials: false }),
                tor
            ]
        );
        let s = settings(&["-proxy=[::1]", "-noonion"]).unwrap();
        assert_eq!(s.proxies[IPV6].as_ref().map(|p| p.address.as_str()), Some("[::1]:9050"));
        assert_eq!((s.proxies[ONION].clone(), s.reachable[ONION]), (None, false));
    }

    #[test]
    fn onlynet_limits_and_checks() {
        let s = settings(&["-onlynet=ipv6", "-onlynet=cjdns", "-cjdnsreachable"]).unwrap();
        assert_eq!(reachable(&s), ["ipv6", "cjdns"]);
        assert_eq!(settings(&["-onlynet=x"]), Err("Unknown network specified in -onlynet: 'x'".into()));
        assert!(settings(&["-onlynet=cjdns"]).unwrap_err().contains("-cjdnsreachable is not provided"));
        assert!(settings(&["-onlynet=i2p"]).unwrap_err().contains("-i2psam is not provided"));
        assert!(settings(&["-onlynet=onion", "-onion=0"]).unwrap_err().contains("explicitly forbidden: -onion=0"));
        assert!(settings(&["-onlynet=onion", "-listenonion=0"])
            .unwrap_err()
            .contains("none of -proxy, -onion or -listenonion"));
        assert_eq!(
            settings(&["-proxy=bad:host:x", "-dns=0"]),
            Err("Invalid -proxy address or hostname: 'bad:host:x'".into())
        );
    }

    #[test]
    fn user_agent() {
        let s = settings(&["-uacomment=test"]).unwrap();
        assert!(s.user_agent.ends_with("(test)/"));
        assert!(settings(&["-uacomment=a/b"]).unwrap_err().contains("unsafe characters"));
    }
}
