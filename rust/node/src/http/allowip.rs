//! `-rpcallowip` subnets: which client addresses may use the RPC server.

use std::net::IpAddr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subnet {
    network: IpAddr,
    prefix: u8,
}

#[derive(Debug, thiserror::Error)]
#[error("Invalid -rpcallowip subnet specification: {0}. Valid values are a single IP (e.g. 1.2.3.4), a network/netmask (e.g. 1.2.3.4/255.255.255.0), or a network/CIDR (e.g. 1.2.3.4/24).")]
pub struct InvalidSubnet(pub String);

impl Subnet {
    /// Parses `addr`, `addr/cidr` or `addr/netmask`.
    pub fn parse(spec: &str) -> Result<Subnet, InvalidSubnet> {
        let err = || InvalidSubnet(spec.to_string());
        let (addr, mask) = match spec.split_once('/') {
            Some((a, m)) => (a, Some(m)),
            None => (spec, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| err())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match mask {
            None => max,
            Some(m) if !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()) => {
                m.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(err)?
            }
            Some(m) => {
                let mask: IpAddr = m.parse().map_err(|_| err())?;
                netmask_prefix(network, mask).ok_or_else(err)?
            }
        };
        Ok(Subnet { network, prefix })
    }

    /// The loopback networks that are always allowed.
    pub fn localhost() -> [Subnet; 2] {
        [
            Subnet { network: IpAddr::from([127, 0, 0, 0]), prefix: 8 },
            Subnet { network: IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]), prefix: 128 },
        ]
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client on a dual-stack socket shows up as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.network, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(n), IpAddr::V6(a)) => prefix_eq(&n.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rem = prefix % 8;
    if a[..full] != b[..full] {
        return false;
    }
    if rem == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rem);
    a[full] & mask == b[full] & mask
}

/// The prefix length of a contiguous netmask of the same family.
fn netmask_prefix(network: IpAddr, mask: IpAddr) -> Option<u8> {
    let bits: Vec<u8> = match (network, mask) {
        (IpAddr::V4(_), IpAddr::V4(m)) => m.octets().to_vec(),
        (IpAddr::V6(_), IpAddr::V6(m)) => m.octets().to_vec(),
        _ => return None,
    };
    let value = bits.iter().fold(0u128, |acc, b| acc << 8 | u128::from(*b));
    let width = bits.len() as u32 * 8;
    let aligned = value << (128 - width);
    let ones = aligned.leading_ones();
    let contiguous = ones == 128 || aligned << ones == 0;
    contiguous.then_some(ones as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forms() {
        let s = Subnet::parse("10.0.0.0/8").unwrap();
        assert!(s.contains(ip("10.1.2.3")) && !s.contains(ip("11.0.0.1")));
        assert_eq!(Subnet::parse("10.0.0.0/255.0.0.0").unwrap(), s);
        assert!(Subnet::parse("1.2.3.4").unwrap().contains(ip("::ffff:1.2.3.4")));
        assert!(Subnet::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(Subnet::parse("fe80::/10").unwrap().contains(ip("fe80::1")));
        assert!(Subnet::localhost().iter().any(|s| s.contains(ip("::1"))));
    }

    #[test]
    fn rejects_nonsense() {
        for bad in ["", "1.2.3", "1.2.3.4/33", "1.2.3.4/255.0.255.0", "1.2.3.4/::", "abc/8", "1.2.3.4/"] {
            assert!(Subnet::parse(bad).is_err(), "{bad}");
        }
    }
}
