//! Peer permissions (`-whitelist`, `-whitebind`): what a trusted peer may do
//! that others may not, with the reference's names and parsing.

use std::net::{IpAddr, SocketAddr};

use hashvive_common::hostport::split_host_port;

use crate::subnet::Subnet;

/// A set of permission flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions(u8);

impl Permissions {
    pub const BLOOM_FILTER: Permissions = Permissions(1);
    /// Never banned or discouraged for misbehaviour.
    pub const NO_BAN: Permissions = Permissions(1 << 1);
    /// Transactions relayed even when already in the mempool.
    pub const FORCE_RELAY: Permissions = Permissions(1 << 2);
    /// Transactions accepted even with relay off (`-blocksonly`).
    pub const RELAY: Permissions = Permissions(1 << 3);
    /// May ask for the mempool's contents (`mempool`).
    pub const MEMPOOL: Permissions = Permissions(1 << 4);
    /// Served headers and blocks during initial block download.
    pub const DOWNLOAD: Permissions = Permissions(1 << 5);
    /// Addresses taken without the rate limit.
    pub const ADDR: Permissions = Permissions(1 << 6);

    /// Names in the reference's order (`getpeerinfo`'s `permissions`).
    const NAMED: [(&'static str, Permissions); 7] = [
        ("bloomfilter", Permissions::BLOOM_FILTER),
        ("noban", Permissions::NO_BAN),
        ("forcerelay", Permissions::FORCE_RELAY),
        ("relay", Permissions::RELAY),
        ("mempool", Permissions::MEMPOOL),
        ("download", Permissions::DOWNLOAD),
        ("addr", Permissions::ADDR),
    ];

    pub fn has(self, flag: Permissions) -> bool {
        self.0 & flag.0 == flag.0 && flag.0 != 0
    }

    pub fn union(self, other: Permissions) -> Permissions {
        Permissions(self.0 | other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The flags' names, as `getpeerinfo` lists them.
    pub fn names(self) -> Vec<&'static str> {
        Permissions::NAMED.iter().filter(|(_, f)| self.has(*f)).map(|(n, _)| *n).collect()
    }

    /// One flag by name (`all` is every flag); implied flags come along.
    fn named(name: &str) -> Option<Permissions> {
        let flag = match name {
            "all" => Permissions(0x7f),
            _ => Permissions::NAMED.iter().find(|(n, _)| *n == name)?.1,
        };
        Some(flag.with_implied())
    }

    fn with_implied(self) -> Permissions {
        let mut flags = self;
        if flags.has(Permissions::NO_BAN) {
            flags = flags.union(Permissions::DOWNLOAD);
        }
        if flags.has(Permissions::FORCE_RELAY) {
            flags = flags.union(Permissions::RELAY);
        }
        flags
    }
}

/// Which connections a `-whitelist` entry applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Directions {
    pub inbound: bool,
    /// Manual outbound connections (`-addnode`, `-connect`, `addnode`).
    pub outbound: bool,
}

/// `-whitelist=[permissions@]<subnet>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Whitelist {
    pub subnet: Subnet,
    pub permissions: Permissions,
    pub directions: Directions,
}

/// `-whitebind=[permissions@]<address:port>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Whitebind {
    pub addr: SocketAddr,
    pub permissions: Permissions,
}

/// The flags before `@`, with the direction flags of `-whitelist`; without
/// `@`, the reference's implicit set (`noban`, `mempool`, and `relay` or
/// `forcerelay` as `-whitelistrelay`/`-whitelistforcerelay` say).
fn parse_flags(
    spec: &str,
    implicit: Permissions,
    allow_directions: bool,
) -> Result<(Permissions, Option<Directions>, &str), String> {
    let Some((flags, target)) = spec.split_once('@') else {
        return Ok((implicit, None, spec));
    };
    let mut permissions = Permissions::default();
    let mut directions = None::<Directions>;
    for name in flags.split(',').filter(|n| !n.is_empty()) {
        match name {
            "in" | "out" if allow_directions => {
                let d = directions.get_or_insert(Directions { inbound: false, outbound: false });
                if name == "in" {
                    d.inbound = true;
                } else {
                    d.outbound = true;
                }
            }
            _ => {
                permissions = permissions
                    .union(Permissions::named(name).ok_or_else(|| format!("Invalid P2P permission: '{name}'"))?)
            }
        }
    }
    Ok((permissions, directions, target))
}

/// The permissions whitelisted peers get when an entry names none.
pub fn implicit_permissions(relay: bool, force_relay: bool) -> Permissions {
    let mut flags = Permissions::NO_BAN.union(Permissions::MEMPOOL);
    if relay {
        flags = flags.union(Permissions::RELAY);
    }
    if force_relay {
        flags = flags.union(Permissions::FORCE_RELAY);
    }
    flags.with_implied()
}

impl Whitelist {
    pub fn parse(spec: &str, implicit: Permissions) -> Result<Whitelist, String> {
        let (permissions, directions, target) = parse_flags(spec, implicit, true)?;
        let subnet = target.parse().map_err(|_| format!("Invalid netmask specified in -whitelist: '{target}'"))?;
        let directions = directions.unwrap_or(Directions { inbound: true, outbound: false });
        Ok(Whitelist { subnet, permissions, directions })
    }
}

impl Whitebind {
    pub fn parse(spec: &str, implicit: Permissions) -> Result<Whitebind, String> {
        let (permissions, _, target) = parse_flags(spec, implicit, false)?;
        let (host, port) =
            split_host_port(target).ok_or_else(|| format!("Cannot resolve -whitebind address: '{target}'"))?;
        let port = port.ok_or_else(|| format!("Need to specify a port with -whitebind: '{target}'"))?;
        let ip: IpAddr = host.parse().map_err(|_| format!("Cannot resolve -whitebind address: '{target}'"))?;
        Ok(Whitebind { addr: SocketAddr::new(ip, port), permissions })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn implicit() -> Permissions {
        implicit_permissions(true, false)
    }

    #[test]
    fn whitelist_entries_parse_as_the_reference_does() {
        let plain = Whitelist::parse("1.2.3.0/24", implicit()).unwrap();
        assert_eq!(plain.permissions.names(), ["noban", "relay", "mempool", "download"]);
        assert_eq!(plain.directions, Directions { inbound: true, outbound: false });
        let named = Whitelist::parse("forcerelay,out@10.0.0.1", implicit()).unwrap();
        assert_eq!(named.permissions.names(), ["forcerelay", "relay"]);
        assert_eq!(named.directions, Directions { inbound: false, outbound: true });
        assert_eq!(Whitelist::parse("all@::1", implicit()).unwrap().permissions.names().len(), 7);
        assert_eq!(Whitelist::parse("@1.2.3.4", implicit()).unwrap().permissions, Permissions::default());
        assert_eq!(Whitelist::parse("fly@1.2.3.4", implicit()).unwrap_err(), "Invalid P2P permission: 'fly'");
        assert_eq!(
            Whitelist::parse("noban@1.2.3.4/99", implicit()).unwrap_err(),
            "Invalid netmask specified in -whitelist: '1.2.3.4/99'"
        );
    }

    #[test]
    fn whitebind_needs_a_port() {
        let bind = Whitebind::parse("noban@127.0.0.1:18500", implicit()).unwrap();
        assert_eq!(bind.addr, "127.0.0.1:18500".parse().unwrap());
        assert_eq!(bind.permissions.names(), ["noban", "download"]);
        assert_eq!(
            Whitebind::parse("127.0.0.1", implicit()).unwrap_err(),
            "Need to specify a port with -whitebind: '127.0.0.1'"
        );
        assert_eq!(Whitebind::parse("in@127.0.0.1:1", implicit()).unwrap_err(), "Invalid P2P permission: 'in'");
    }
}
