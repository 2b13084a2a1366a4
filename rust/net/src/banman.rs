//! Manual bans (`setban`, `listbanned`, `clearbanned`): subnets refused as
//! peers until a time, kept in `<chain dir>/banlist.json` in the reference's
//! layout, so they outlive a restart.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};

/// The ban list file's name, in the chain's data directory.
pub const BANLIST_FILENAME: &str = "banlist.json";

/// An address range: a network address and how many leading bits count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subnet {
    network: IpAddr,
    prefix: u8,
}

impl Subnet {
    /// The subnet holding `ip` alone.
    pub fn single(ip: IpAddr) -> Subnet {
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        Subnet { network: ip, prefix }
    }

    fn new(ip: IpAddr, prefix: u8) -> Option<Subnet> {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then(|| Subnet { network: mask(ip, prefix), prefix })
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        // An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(*ip, IpAddr::V4),
            v4 => *v4,
        };
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
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

/// When a ban was made and when it ends (seconds since the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ban {
    pub created: i64,
    pub until: i64,
}

/// The bans in force, saved to `banlist.json` after every change.
pub struct BanMan {
    file: Option<PathBuf>,
    bans: Mutex<BTreeMap<Subnet, Ban>>,
}

impl BanMan {
    /// The bans in `file` (none if it is missing; a damaged one is set
    /// aside with a warning, as the reference starts over); `None` keeps
    /// bans in memory only.
    pub fn load(file: Option<PathBuf>) -> BanMan {
        let mut bans = BTreeMap::new();
        if let Some(path) = &file {
            match std::fs::read_to_string(path) {
                Ok(text) => match parse_banlist(&text) {
                    Some(loaded) => bans = loaded,
                    None => tracing::warn!("Invalid or corrupt {}: recreating the banlist", path.display()),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!("Cannot read {}: {e}", path.display()),
            }
            tracing::info!("Loaded {} banned node addresses/subnets", bans.len());
        }
        let banman = BanMan { file, bans: Mutex::new(bans) };
        banman.sweep(hashvive_common::time::now());
        banman
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<Subnet, Ban>> {
        self.bans.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Bans `subnet` until `until`; `false` when it is banned already.
    pub fn ban(&self, subnet: Subnet, until: i64, now: i64) -> bool {
        let mut bans = self.lock();
        if bans.get(&subnet).is_some_and(|b| b.until > now) {
            return false;
        }
        bans.insert(subnet, Ban { created: now, until });
        self.save(&bans);
        true
    }

    /// Lifts the ban on exactly `subnet`; `false` when there was none.
    pub fn unban(&self, subnet: &Subnet) -> bool {
        let mut bans = self.lock();
        let removed = bans.remove(subnet).is_some();
        if removed {
            self.save(&bans);
        }
        removed
    }

    pub fn clear(&self) {
        let mut bans = self.lock();
        bans.clear();
        self.save(&bans);
    }

    /// The bans in force at `now`.
    pub fn list(&self, now: i64) -> Vec<(Subnet, Ban)> {
        self.sweep(now);
        self.lock().iter().map(|(s, b)| (*s, *b)).collect()
    }

    pub fn is_banned(&self, ip: &IpAddr, now: i64) -> bool {
        self.lock().iter().any(|(s, b)| b.until > now && s.contains(ip))
    }

    /// Forgets the bans that ended before `now`.
    fn sweep(&self, now: i64) {
        let mut bans = self.lock();
        let before = bans.len();
        bans.retain(|_, b| b.until > now);
        if bans.len() != before {
            self.save(&bans);
        }
    }

    /// Writes the list beside the file and renames it into place, so a crash
    /// leaves the old list or the new one.
    fn save(&self, bans: &BTreeMap<Subnet, Ban>) {
        let Some(path) = &self.file else { return };
        let entries: Vec<Value> = bans
            .iter()
            .map(|(s, b)| {
                json!({ "version": 1, "ban_created": b.created, "banned_until": b.until, "address": s.to_string() })
            })
            .collect();
        let text = json!({ "banned_nets": entries }).to_string();
        let staging = path.with_extension("json.new");
        let written = std::fs::write(&staging, text).and_then(|()| std::fs::rename(&staging, path));
        if let Err(e) = written {
            tracing::warn!("Cannot write {}: {e}", path.display());
        }
    }
}

fn parse_banlist(text: &str) -> Option<BTreeMap<Subnet, Ban>> {
    let value: Value = serde_json::from_str(text).ok()?;
    let mut bans = BTreeMap::new();
    for entry in value.get("banned_nets")?.as_array()? {
        let subnet = entry.get("address")?.as_str()?.parse().ok()?;
        let created = entry.get("ban_created")?.as_i64()?;
        let until = entry.get("banned_until")?.as_i64()?;
        bans.insert(subnet, Ban { created, until });
    }
    Some(bans)
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
        for bad in ["", "1.2.3", "1.2.3.4/33", "1.2.3.4/255.0.255.0", "::1/129", "::1/255.0.0.0", "x/8", "1.2.3.4/"] {
            assert!(bad.parse::<Subnet>().is_err(), "{bad}");
        }
        let net = subnet("10.0.0.0/8");
        assert!(net.contains(&"10.9.8.7".parse().unwrap()));
        assert!(net.contains(&"::ffff:10.9.8.7".parse().unwrap()), "IPv4 through a dual-stack socket");
        assert!(!net.contains(&"11.0.0.1".parse().unwrap()));
        assert!(!subnet("::/0").contains(&"1.2.3.4".parse().unwrap()));
    }

    #[test]
    fn bans_expire_and_survive_a_reload() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(BANLIST_FILENAME);
        let now = hashvive_common::time::now();
        let bans = BanMan::load(Some(file.clone()));
        assert!(bans.ban(subnet("1.2.3.0/24"), now + 2000, now));
        assert!(!bans.ban(subnet("1.2.3.0/24"), now + 3000, now), "banned already");
        assert!(bans.ban(subnet("::1"), now + 500, now));
        assert!(bans.is_banned(&"1.2.3.9".parse().unwrap(), now));
        let reloaded = BanMan::load(Some(file.clone()));
        assert_eq!(reloaded.list(now).len(), 2);
        assert_eq!(reloaded.list(now + 600), vec![(subnet("1.2.3.0/24"), Ban { created: now, until: now + 2000 })]);
        assert!(!reloaded.unban(&subnet("9.9.9.9")));
        assert!(reloaded.unban(&subnet("1.2.3.0/24")));
        assert!(BanMan::load(Some(file.clone())).list(now).is_empty());
        std::fs::write(&file, "not json").unwrap();
        assert!(BanMan::load(Some(file)).list(now).is_empty());
    }
}
