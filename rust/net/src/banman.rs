//! Manual bans (`setban`, `listbanned`, `clearbanned`): subnets refused as
//! peers until a time, kept in `<chain dir>/banlist.json` in the reference's
//! layout, so they outlive a restart.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use serde_json::{json, Value};

pub use crate::subnet::Subnet;

/// The ban list file's name, in the chain's data directory.
pub const BANLIST_FILENAME: &str = "banlist.json";

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
