//! IP subnets as the reference reads and writes them (`setban`,
//! `-whitelist`): an address, `address/bits`, or IPv4 `address/netmask`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// An address range: a network address and how many leading bits count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subnet {
    network: IpAddr,
    prefix: u8,
}

impl Subnet {
    /// The subnet holding `ip` alone.
    pub fn single(ip: IpAddr) -> Subnet {
        let ip = unmapped(ip);
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        Subnet { network: ip, prefix }
    }

    fn new(ip: IpAddr, prefix: u8) -> Option<Subnet> {
        // ::ffff:a.b.c.d/n is the IPv4 subnet a.b.c.d/(n-96): peers are
        // matched as IPv4, whichever socket they came through.
        let (ip, prefix) = match (ip, unmapped(ip)) {
            (IpAddr::V6(_), v4 @ IpAddr::V4(_)) => (v4, prefix.checked_sub(96)?),
            _ => (ip, prefix),
        };
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then(|| Subnet { network: mask(ip, prefix), prefix })
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        // An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let ip = unmapped(*ip);
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }
}

fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4) & u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(bits))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
    }
}

/// The reference's `LookupSubNet`: an address, `address/bits`, or an IPv4
/// `address/netmask` whose mask is contiguous.
impl FromStr for Subnet {
    type Err = ();

    fn from_str(text: &str) -> Result<Subnet, ()> {
        let (address, suffix) = match text.split_once('/') {
            Some((address, suffix)) => (address, Some(suffix)),
            None => (text, None),
        };
        let address = address.trim_start_matches('[').trim_end_matches(']');
        let ip: IpAddr = address.parse().map_err(|_| ())?;
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        let prefix = match suffix {
            None => bits,
            Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().map_err(|_| ())?,
            Some(s) => match (ip, s.parse::<Ipv4Addr>()) {
                (IpAddr::V4(_), Ok(netmask)) => {
                    let m = u32::from(netmask);
                    if m.leading_ones() + m.trailing_zeros() != 32 {
                        return Err(());
                    }
                    m.leading_ones() as u8
                }
                _ => return Err(()),
            },
        };
        Subnet::new(ip, prefix).ok_or(())
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subnet(text: &str) -> Subnet {
        text.parse().unwrap()
    }

    #[test]
    fn subnets_are_read_and_written_as_the_reference_does() {
        assert_eq!(subnet("1.2.3.4").to_string(), "1.2.3.4/32");
        assert_eq!(subnet("1.2.3.4/24").to_string(), "1.2.3.0/24");
        assert_eq!(subnet("1.2.3.4/255.255.0.0").to_string(), "1.2.0.0/16");
        assert_eq!(subnet("::1").to_string(), "::1/128");
        assert_eq!(subnet("2001:db8::1/32").to_string(), "2001:db8::/32");
        assert_eq!(subnet("::ffff:1.2.3.4").to_string(), "1.2.3.4/32");
        assert_eq!(subnet("::ffff:1.2.3.4/120").to_string(), "1.2.3.0/24");
        assert!("::ffff:1.2.3.4/64".parse::<Subnet>().is_err());
        for bad in ["", "1.2.3", "1.2.3.4/33", "1.2.3.4/255.0.255.0", "::1/129", "::1/255.0.0.0", "x/8", "1.2.3.4/"] {
            assert!(bad.parse::<Subnet>().is_err(), "{bad}");
        }
        let net = subnet("10.0.0.0/8");
        assert!(net.contains(&"10.9.8.7".parse().unwrap()));
        assert!(net.contains(&"::ffff:10.9.8.7".parse().unwrap()), "IPv4 through a dual-stack socket");
        assert!(!net.contains(&"11.0.0.1".parse().unwrap()));
        assert!(!subnet("::/0").contains(&"1.2.3.4".parse().unwrap()));
    }
}
