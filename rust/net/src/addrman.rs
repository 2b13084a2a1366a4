//! The address manager: addresses of peers heard of (`addr`, `addrv2`,
//! `addpeeraddress`) or connected to, handed out to peers that ask
//! (`getaddr`) and to `getnodeaddresses`, and kept in `<chain dir>/peers.dat`.
//!
//! The reference buckets addresses by source to resist an attacker filling
//! the table; this table keeps what an attacker can do bounded differently —
//! a fixed size, at most [`MAX_PER_SOURCE`] new addresses per source network,
//! and tried addresses never displaced by new ones. `peers.dat` is hashvive's
//! own layout (the reference's bucket positions mean nothing here), framed as
//! the reference frames it: network magic first, a checksum last.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::p2p::Magic;

use crate::protocol::{is_routable, network_name};

/// The peers file's name, in the chain's data directory.
pub const PEERS_FILENAME: &str = "peers.dat";
/// The most addresses kept.
const CAPACITY: usize = 16_384;
/// The most new (never connected) addresses from one source's /16 (or /32 for IPv6).
const MAX_PER_SOURCE: usize = 1024;
/// `getaddr` answers: at most this many, and at most [`MAX_PCT_ADDR_TO_SEND`]% of the table.
pub const MAX_ADDR_TO_SEND: usize = 1000;
pub const MAX_PCT_ADDR_TO_SEND: usize = 23;
/// Addresses older than this (seconds) are not handed out.
const HORIZON: i64 = 30 * 24 * 60 * 60;
const FILE_VERSION: u8 = 1;

/// What is known of one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrInfo {
    pub addr: SocketAddr,
    pub services: u64,
    /// When it was last heard of or connected to (seconds since the epoch).
    pub time: i64,
    /// Connected to successfully at least once.
    pub tried: bool,
    /// The /16 (IPv4) or /32 (IPv6) it was heard from.
    source_group: u64,
}

impl AddrInfo {
    /// An address as a peer announced it, to pass on.
    pub fn announced(addr: SocketAddr, services: u64, time: i64) -> AddrInfo {
        AddrInfo { addr, services, time, tried: false, source_group: 0 }
    }
}

/// The group an address belongs to for fairness: its /16, or /32 for IPv6,
/// tagged by family so the two never collide.
pub(crate) fn group(ip: &IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v4) => u64::from(v4.octets()[0]) << 8 | u64::from(v4.octets()[1]),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => group(&IpAddr::V4(v4)),
            None => 1 << 32 | u64::from(v6.segments()[0]) << 16 | u64::from(v6.segments()[1]),
        },
    }
}

fn canonical(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, |v4| SocketAddr::new(IpAddr::V4(v4), addr.port())),
        _ => addr,
    }
}

/// Puts `items` in random order (Fisher–Yates over xorshift seeded by the
/// operating system: unpredictable enough for which addresses a peer gets).
pub(crate) fn shuffle<T>(items: &mut [T]) {
    let mut seed = [0u8; 8];
    let _ = getrandom::getrandom(&mut seed);
    let mut state = u64::from_le_bytes(seed) | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

#[derive(Default)]
pub struct AddrMan {
    entries: HashMap<SocketAddr, AddrInfo>,
    /// New (never connected) addresses per source group, so a limit check
    /// costs nothing however full the table is.
    new_per_source: HashMap<u64, usize>,
}

impl AddrMan {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Learns `addr` from `source` (heard at `time`); whether it was added
    /// or refreshed. Unroutable addresses and those past the limits are not.
    pub fn add(&mut self, addr: SocketAddr, services: u64, time: i64, source: &IpAddr) -> bool {
        let addr = canonical(addr);
        if !is_routable(&addr.ip()) || addr.port() == 0 {
            return false;
        }
        if let Some(known) = self.entries.get_mut(&addr) {
            known.services |= services;
            let refreshed = time > known.time;
            known.time = known.time.max(time);
            return refreshed;
        }
        let source_group = group(source);
        let from_source = self.new_per_source.entry(source_group).or_default();
        // A full table keeps what it has: old entries leave with `forget_stale`.
        if *from_source >= MAX_PER_SOURCE || self.entries.len() >= CAPACITY {
            return false;
        }
        *from_source += 1;
        self.entries.insert(addr, AddrInfo { addr, services, time, tried: false, source_group });
        true
    }

    /// Forgets new addresses not heard of within the horizon (run with each
    /// write of `peers.dat`), making room for fresh ones.
    pub fn forget_stale(&mut self, now: i64) {
        let stale: Vec<SocketAddr> =
            self.entries.values().filter(|e| !e.tried && now - e.time > HORIZON).map(|e| e.addr).collect();
        for addr in stale {
            if let Some(e) = self.entries.remove(&addr) {
                self.count_out(&e);
            }
        }
    }

    /// Takes a new address out of its source's count.
    fn count_out(&mut self, entry: &AddrInfo) {
        if !entry.tried {
            if let Some(n) = self.new_per_source.get_mut(&entry.source_group) {
                *n = n.saturating_sub(1);
            }
        }
    }

    /// Records a successful connection to `addr` (the reference's `Good`);
    /// whether the address is known.
    pub fn good(&mut self, addr: SocketAddr, time: i64) -> bool {
        let Some(entry) = self.entries.get(&canonical(addr)).cloned() else { return false };
        self.count_out(&entry);
        if let Some(entry) = self.entries.get_mut(&canonical(addr)) {
            entry.tried = true;
            entry.time = entry.time.max(time);
        }
        true
    }

    /// Up to `max` addresses (and at most `max_pct`% of the table; 0: no
    /// limit), of `network` if given, heard of within the horizon, in
    /// random order (the reference's `GetAddr`).
    pub fn get_addr(&self, max: usize, max_pct: usize, network: Option<&str>, now: i64) -> Vec<AddrInfo> {
        let mut limit = if max == 0 { usize::MAX } else { max };
        if max_pct > 0 {
            limit = limit.min(self.entries.len() * max_pct / 100);
        }
        let mut found: Vec<AddrInfo> = self
            .entries
            .values()
            .filter(|e| network.is_none_or(|n| network_name(&e.addr) == n))
            .filter(|e| e.time <= now + 10 * 60 && now - e.time <= HORIZON)
            .cloned()
            .collect();
        shuffle(&mut found);
        found.truncate(limit);
        found
    }

    /// The table as `peers.dat` holds it.
    pub fn serialize(&self, magic: Magic) -> Vec<u8> {
        let mut out = magic.to_bytes().to_vec();
        out.push(FILE_VERSION);
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for e in self.entries.values() {
            let ip = match e.addr.ip() {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            out.extend_from_slice(&ip.octets());
            out.extend_from_slice(&e.addr.port().to_be_bytes());
            out.extend_from_slice(&e.services.to_le_bytes());
            out.extend_from_slice(&e.time.to_le_bytes());
            out.push(u8::from(e.tried));
            out.extend_from_slice(&e.source_group.to_le_bytes());
        }
        let checksum = sha256d::Hash::hash(&out);
        out.extend_from_slice(checksum.as_byte_array());
        out
    }

    /// A table from `peers.dat` bytes; `Err` says what is wrong.
    pub fn deserialize(bytes: &[u8], magic: Magic) -> Result<AddrMan, &'static str> {
        let (body, checksum) = bytes.split_at_checked(bytes.len().saturating_sub(32)).ok_or("too short")?;
        if checksum.len() != 32 || sha256d::Hash::hash(body).as_byte_array() != checksum {
            return Err("checksum mismatch, data corrupted");
        }
        let mut rest = body;
        let mut take = |n: usize| -> Result<&[u8], &'static str> {
            let (head, tail) = rest.split_at_checked(n).ok_or("truncated")?;
            rest = tail;
            Ok(head)
        };
        if take(4)? != magic.to_bytes() {
            return Err("invalid network magic number");
        }
        if take(1)? != [FILE_VERSION] {
            return Err("unsupported format version");
        }
        let count = u32::from_le_bytes(take(4)?.try_into().map_err(|_| "truncated")?) as usize;
        let mut table = AddrMan::default();
        for _ in 0..count.min(CAPACITY) {
            let ip: [u8; 16] = take(16)?.try_into().map_err(|_| "truncated")?;
            let port = u16::from_be_bytes(take(2)?.try_into().map_err(|_| "truncated")?);
            let services = u64::from_le_bytes(take(8)?.try_into().map_err(|_| "truncated")?);
            let time = i64::from_le_bytes(take(8)?.try_into().map_err(|_| "truncated")?);
            let tried = take(1)?[0] != 0;
            let source_group = u64::from_le_bytes(take(8)?.try_into().map_err(|_| "truncated")?);
            let addr = canonical(SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port));
            if !tried {
                *table.new_per_source.entry(source_group).or_default() += 1;
            }
            table.entries.insert(addr, AddrInfo { addr, services, time, tried, source_group });
        }
        Ok(table)
    }

    /// The table in `file`, or an empty one (with a warning when the file
    /// is there but unreadable, as the reference starts over).
    pub fn load(file: &PathBuf, magic: Magic) -> AddrMan {
        match std::fs::read(file) {
            Ok(bytes) => match AddrMan::deserialize(&bytes, magic) {
                Ok(table) => {
                    tracing::info!("Loaded {} addresses from peers.dat", table.len());
                    table
                }
                Err(e) => {
                    tracing::warn!("Invalid or corrupt peers.dat ({e}). Continuing with an empty address table.");
                    AddrMan::default()
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!("Missing or invalid file {}", file.display());
                AddrMan::default()
            }
            Err(e) => {
                tracing::warn!("Cannot read {}: {e}", file.display());
                AddrMan::default()
            }
        }
    }

    /// Writes the table to `file` (beside it first, then renamed).
    pub fn save(&self, file: &PathBuf, magic: Magic) {
        let staging = file.with_extension("dat.new");
        let written = std::fs::write(&staging, self.serialize(magic)).and_then(|()| std::fs::rename(&staging, file));
        match written {
            Ok(()) => tracing::debug!(target: "net", "Flushed {} addresses to peers.dat", self.len()),
            Err(e) => tracing::warn!("Cannot write {}: {e}", file.display()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn only_routable_addresses_are_kept() {
        let source: IpAddr = "8.8.8.8".parse().unwrap();
        let mut table = AddrMan::default();
        for unroutable in [
            "127.0.0.1:8333",
            "10.1.1.1:8333",
            "192.168.1.1:8333",
            "169.254.0.1:8333",
            "100.64.0.1:8333",
            "[::1]:8333",
            "[fc00::1]:8333",
            "[2001:db8::1]:8333",
            "1.2.3.4:0",
        ] {
            assert!(!table.add(addr(unroutable), 1, 1000, &source), "{unroutable}");
        }
        assert!(table.add(addr("1.2.3.4:8333"), 1, 1000, &source));
        assert!(table.add(addr("[::ffff:1.2.3.5]:8333"), 1, 1000, &source));
        assert!(table.add(addr("[2a00::1]:8333"), 1, 1000, &source));
        assert!(!table.add(addr("1.2.3.4:8333"), 8, 900, &source), "older news refreshes nothing");
        assert_eq!(table.len(), 3);
        assert_eq!(table.get_addr(0, 0, Some("ipv4"), 1000).len(), 2);
        assert_eq!(table.get_addr(0, 0, Some("ipv6"), 1000).len(), 1);
        assert!(table.get_addr(0, 0, None, 1000 + HORIZON + 1).is_empty(), "too old to hand out");
        assert_eq!(table.get_addr(0, 23, None, 1000).len(), 0, "23% of three");
    }

    #[test]
    fn one_source_cannot_fill_the_table() {
        let source: IpAddr = "8.8.8.8".parse().unwrap();
        let mut table = AddrMan::default();
        let added = (0..2000u32)
            .filter(|i| table.add(SocketAddr::new(IpAddr::V4((0x0101_0000 + i).into()), 8333), 1, 1, &source))
            .count();
        assert_eq!(added, MAX_PER_SOURCE);
        assert!(table.add(addr("9.9.9.9:8333"), 1, 1, &"7.7.7.7".parse().unwrap()));
        // Connecting to one frees its place; stale ones leave with time.
        assert!(table.good(SocketAddr::new(IpAddr::V4(0x0101_0000.into()), 8333), 1));
        assert!(table.add(addr("1.1.200.1:8333"), 1, 1, &source));
        table.forget_stale(1 + HORIZON + 1);
        assert_eq!(table.len(), 1, "only the tried address stays");
        // IPv6 /32s of neighbouring /16s are different groups.
        assert_ne!(group(&"2a00::1".parse().unwrap()), group(&"2a01::1".parse().unwrap()));
    }

    #[test]
    fn the_file_round_trips_and_damage_is_detected() {
        let source: IpAddr = "8.8.8.8".parse().unwrap();
        let mut table = AddrMan::default();
        table.add(addr("1.2.3.4:8333"), 9, 1000, &source);
        table.add(addr("[2a00::1]:18444"), 1, 2000, &source);
        table.good(addr("1.2.3.4:8333"), 1500);
        let bytes = table.serialize(Magic::REGTEST);
        let back = AddrMan::deserialize(&bytes, Magic::REGTEST).unwrap();
        let mut entries: Vec<_> = back.entries.values().cloned().collect();
        entries.sort_by_key(|e| e.time);
        assert_eq!(entries[0].addr, addr("1.2.3.4:8333"));
        assert!(entries[0].tried && entries[0].services == 9 && entries[0].time == 1500);
        assert_eq!(entries[1].addr, addr("[2a00::1]:18444"));
        assert_eq!(AddrMan::deserialize(&bytes, Magic::BITCOIN).err(), Some("invalid network magic number"));
        let mut damaged = bytes.clone();
        damaged[10] ^= 1;
        assert_eq!(AddrMan::deserialize(&damaged, Magic::REGTEST).err(), Some("checksum mismatch, data corrupted"));
        assert!(AddrMan::deserialize(&[1, 2, 3], Magic::REGTEST).is_err());
    }
}
