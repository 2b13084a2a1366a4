//! Protocol constants with the reference's values, and what this node tells
//! peers about itself.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bitcoin::p2p::ServiceFlags;

/// The protocol version this node speaks (the reference's `PROTOCOL_VERSION`).
pub const PROTOCOL_VERSION: u32 = 70016;
/// Peers older than this are disconnected (`MIN_PEER_PROTO_VERSION`).
pub const MIN_PEER_PROTO_VERSION: u32 = 31800;
/// From this version peers understand `sendheaders` (BIP130).
pub const SENDHEADERS_VERSION: u32 = 70012;
/// From this version on, peers may use compact blocks (BIP152).
pub const SHORT_IDS_BLOCKS_VERSION: u32 = 70014;
/// From this version peers understand `feefilter` (BIP133).
pub const FEEFILTER_VERSION: u32 = 70013;
/// From this version peers understand `wtxidrelay` (BIP339).
pub const WTXID_RELAY_VERSION: u32 = 70016;

/// Services this node offers: witnesses, recent blocks, and every block
/// unless it prunes.
pub fn local_services(pruned: bool) -> ServiceFlags {
    let limited = ServiceFlags::WITNESS | ServiceFlags::NETWORK_LIMITED;
    if pruned {
        limited
    } else {
        limited | ServiceFlags::NETWORK
    }
}

/// How many blocks below its tip a peer offering only `NETWORK_LIMITED` serves (BIP159).
pub const NODE_NETWORK_LIMITED_MIN_BLOCKS: u32 = 288;

/// Whether a peer offering `services` keeps only recent blocks (BIP159).
pub fn is_limited(services: ServiceFlags) -> bool {
    services.has(ServiceFlags::NETWORK_LIMITED) && !services.has(ServiceFlags::NETWORK)
}

/// Between pings (`PING_INTERVAL`).
pub const PING_INTERVAL: Duration = Duration::from_secs(2 * 60);
/// A ping unanswered this long, or silence in either direction this long,
/// ends the connection (`TIMEOUT_INTERVAL`).
pub const TIMEOUT_INTERVAL: Duration = Duration::from_secs(20 * 60);
/// Default `-peertimeout`: the grace period after connecting before the
/// inactivity checks, the version handshake among them, apply.
pub const DEFAULT_PEER_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default `-timeout`, for establishing a TCP connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_millis(5000);
/// Between passes over the added nodes, after a pass that tried to connect
/// and after one that did not.
pub const ADDED_NODE_RETRY: Duration = Duration::from_secs(60);
pub const ADDED_NODE_POLL: Duration = Duration::from_secs(2);

/// Most headers in one `headers` message.
pub const MAX_HEADERS_RESULTS: usize = 2000;
/// Most entries in `inv`, `getdata` and `notfound`.
pub const MAX_INV_SZ: usize = 50_000;
/// Most locator entries a `getheaders` may carry.
pub const MAX_LOCATOR_SZ: usize = 101;
/// Most new blocks announced with `headers` before falling back to `inv`.
pub const MAX_BLOCKS_TO_ANNOUNCE: usize = 8;
/// Blocks requested from one peer at a time.
pub const MAX_BLOCKS_IN_TRANSIT_PER_PEER: usize = 16;
/// How far above the tip blocks are downloaded.
pub const BLOCK_DOWNLOAD_WINDOW: u32 = 1024;
/// A block requested this long ago and not delivered ends the connection
/// (the reference's base timeout of one block interval).
pub const BLOCK_DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// How often, on average, a feeler connection tests an address never
/// connected to, once the outbound slots are full (`FEELER_INTERVAL`).
pub const FEELER_INTERVAL: Duration = Duration::from_secs(2 * 60);
/// How long a peer may hold the block download window back before it is
/// disconnected (`BLOCK_STALLING_TIMEOUT_DEFAULT`), doubling after each such
/// disconnection up to `BLOCK_STALLING_TIMEOUT_MAX`.
pub const BLOCK_STALLING_TIMEOUT: Duration = Duration::from_secs(2);
pub const BLOCK_STALLING_TIMEOUT_MAX: Duration = Duration::from_secs(64);
/// Between `getheaders` to one peer unless it answered.
pub const HEADERS_RESPONSE_TIME: Duration = Duration::from_secs(2 * 60);
/// A transaction requested from a peer is asked of another after this.
pub const GETDATA_TX_INTERVAL: Duration = Duration::from_secs(60);
/// Between `feefilter` updates.
pub const FEEFILTER_BROADCAST_INTERVAL: Duration = Duration::from_secs(10 * 60);
/// Most inventory announced in one `inv` (`MAX_INV_SZ` caps what peers take).
pub const INVENTORY_BROADCAST_MAX: usize = 1000;

/// Automatic outbound slots the reference keeps (full relay, block relay
/// only, feeler); `-maxconnections` minus these are inbound slots.
pub const MAX_AUTOMATIC_OUTBOUND: usize = 8 + 2 + 1;
pub const DEFAULT_MAX_PEER_CONNECTIONS: i64 = 125;
/// Outbound connections to added nodes at a time.
pub const MAX_ADDNODE_CONNECTIONS: usize = 8;
/// Automatic outbound slots: full relay, and block relay only.
pub const MAX_OUTBOUND_FULL_RELAY_CONNECTIONS: usize = 8;
pub const MAX_BLOCK_RELAY_ONLY_CONNECTIONS: usize = 2;

/// Receive (`-maxreceivebuffer`) and send (`-maxsendbuffer`) buffers per peer.
pub const DEFAULT_MAX_RECEIVE_BUFFER: usize = 5000 * 1000;
pub const DEFAULT_MAX_SEND_BUFFER: usize = 1000 * 1000;

/// The largest fee rate a `feefilter` may carry (MAX_MONEY, sat/kvB).
pub const MAX_FEEFILTER: u64 = 21_000_000 * 100_000_000;

/// The names `getpeerinfo` and `getnetworkinfo` give service bits, in bit order.
pub fn service_names(services: ServiceFlags) -> Vec<&'static str> {
    const NAMES: [(ServiceFlags, &str); 6] = [
        (ServiceFlags::NETWORK, "NETWORK"),
        (ServiceFlags::BLOOM, "BLOOM"),
        (ServiceFlags::WITNESS, "WITNESS"),
        (ServiceFlags::COMPACT_FILTERS, "COMPACT_FILTERS"),
        (ServiceFlags::NETWORK_LIMITED, "NETWORK_LIMITED"),
        (ServiceFlags::P2P_V2, "P2P_V2"),
    ];
    NAMES.iter().filter(|(flag, _)| services.has(*flag)).map(|(_, name)| *name).collect()
}

/// A peer's user agent as logs and RPCs show it: printable characters only
/// (the reference's `SanitizeString`), at most 256 bytes.
pub fn sanitize_user_agent(agent: &str) -> String {
    const SAFE: &str = " .,;-_/:?@()";
    agent.chars().filter(|c| c.is_ascii_alphanumeric() || SAFE.contains(*c)).take(256).collect()
}

/// Loopback and "this network" addresses (the reference's `IsLocal`):
/// misbehaving peers there are disconnected but not discouraged.
pub fn is_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.octets()[0] == 0,
        IpAddr::V6(v6) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| is_local(&IpAddr::V4(v4))),
    }
}

/// Whether peers could reach `ip` on the public internet (the reference's
/// `IsRoutable`): not local, private, link-local, shared, benchmarking or
/// documentation space. Others are not told to peers in `version`, nor kept
/// in the address table.
pub fn is_routable(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (18..20).contains(&b))
                || (a == 192 && b == 0 && c == 2)
                || (a == 198 && b == 51 && c == 100)
                || (a == 203 && b == 0 && c == 113)
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_routable(&IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_unspecified()
                || v6.is_loopback()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0010)
                || (s[0] == 0x2001 && (s[1] & 0xfff0) == 0x0020))
        }
    }
}

/// The network `getpeerinfo` names for an address (the reference's `GetNetworkName`).
pub fn network_name(addr: &SocketAddr) -> &'static str {
    let ip = match addr.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        ip => ip,
    };
    match ip {
        _ if !is_routable(&ip) => "not_publicly_routable",
        IpAddr::V4(_) => "ipv4",
        IpAddr::V6(_) => "ipv6",
    }
}

/// Addresses a peer may send us per second, after the first
/// (the reference's token bucket for `addr` processing).
pub const MAX_ADDR_RATE_PER_SECOND: f64 = 0.1;
/// The most a peer's address token bucket holds.
pub const MAX_ADDR_PROCESSING_TOKEN_BUCKET: f64 = 1000.0;
/// The average wait between address messages to one peer.
pub const AVG_ADDRESS_BROADCAST_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// A random wait averaging `mean`, exponentially distributed (the
/// reference's Poisson timers), so an observer cannot line up when
/// different peers were told something.
pub fn poisson_delay(mean: std::time::Duration) -> std::time::Duration {
    let mut bytes = [0u8; 8];
    let _ = getrandom::getrandom(&mut bytes);
    // Uniform in (0, 1]: never ln(0).
    let uniform = ((u64::from_le_bytes(bytes) >> 11) + 1) as f64 / (1u64 << 53) as f64;
    mean.mul_f64(-uniform.ln())
}

/// `-bantime`'s default: a manual ban lasts a day.
pub const DEFAULT_MISBEHAVING_BANTIME: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_services_are_the_references() {
        assert_eq!(local_services(false).to_u64(), 0x409);
        assert_eq!(service_names(local_services(false)), ["NETWORK", "WITNESS", "NETWORK_LIMITED"]);
        assert_eq!(service_names(local_services(true)), ["WITNESS", "NETWORK_LIMITED"]);
        assert!(is_limited(local_services(true)) && !is_limited(local_services(false)));
        assert_eq!(sanitize_user_agent("/Satoshi:27.0.0(x\u{7}y)/"), "/Satoshi:27.0.0(xy)/");
    }

    #[test]
    fn address_classes() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(is_local(&ip("127.0.0.1")) && is_local(&ip("::1")) && is_local(&ip("::ffff:127.0.0.1")));
        assert!(!is_local(&ip("10.0.0.1")));
        assert!(!is_routable(&ip("127.0.0.1")) && !is_routable(&ip("192.168.1.1")) && !is_routable(&ip("fe80::1")));
        assert!(is_routable(&ip("8.8.8.8")) && is_routable(&ip("2a00::1")));
        // Documentation space is not an address anyone has (RFC 3849, RFC 5737).
        assert!(!is_routable(&ip("2001:db8::1")) && !is_routable(&ip("192.0.2.1")));
        let name = |s: &str| network_name(&s.parse().unwrap());
        assert_eq!(name("127.0.0.1:1"), "not_publicly_routable");
        assert_eq!(name("8.8.8.8:1"), "ipv4");
        assert_eq!(name("[2a00::1]:1"), "ipv6");
        assert_eq!(name("[::ffff:10.0.0.1]:1"), "not_publicly_routable");
    }
}
