//! The settings screen: options the GUI keeps in the node's `settings.json`
//! (the reference GUI's options dialog), read at the node's next start.
//! A field left blank removes the setting: the node's default applies.
//! Starting on login is the desktop's setting (see [`super::autostart`]).

use hashvive_common::options::MIN_PRUNE_TARGET_MIB;
use serde_json::Value;

/// The settings as the screen shows them: text fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsForm {
    /// `dbcache`, in MiB.
    pub dbcache: String,
    /// `proxy`, `host:port` of a SOCKS5 proxy.
    pub proxy: String,
    /// Whether `prune` keeps block storage under [`prune_gb`](Self::prune_gb).
    pub prune: bool,
    /// The pruning target in GB (10^9 bytes), as the reference GUI shows it.
    pub prune_gb: String,
    /// Whether the desktop starts this GUI when the user logs in.
    pub start_on_login: bool,
}

/// The settings the screen edits, as `settings.json` names them.
pub const NAMES: [&str; 3] = ["dbcache", "proxy", "prune"];

/// The database cache the node accepts at least, in MiB.
const MIN_DBCACHE_MIB: i64 = 4;
/// The pruning target offered when pruning is turned on (the reference GUI's).
pub const DEFAULT_PRUNE_GB: u64 = 2;

pub(crate) const GB: u64 = 1_000_000_000;
const MIB: u64 = 1 << 20;

/// `settings.json` keeps the target in MiB; the screen shows whole GB,
/// rounded up so a target never shrinks by being shown.
fn mib_to_gb(mib: u64) -> u64 {
    (mib * MIB).div_ceil(GB)
}

fn gb_to_mib(gb: u64) -> u64 {
    gb * GB / MIB
}

/// A pruning target typed in whole GB, at least 1, as the node's `prune`
/// setting (MiB).
pub fn prune_mib(typed_gb: &str) -> Result<u64, String> {
    let text = typed_gb.trim();
    let gb = text.parse::<u64>().ok().filter(|gb| (1..=1_000_000).contains(gb));
    gb.map(gb_to_mib).ok_or_else(|| format!("\"{text}\" is not a block storage size: give whole GB, at least 1."))
}

/// The form with nothing set: every default the node's, pruning off.
impl Default for SettingsForm {
    fn default() -> SettingsForm {
        SettingsForm::from_settings(Default::default())
    }
}

impl SettingsForm {
    /// The form for the settings' JSON texts, in the order of [`NAMES`].
    pub fn from_settings(values: [Option<String>; 3]) -> SettingsForm {
        let shown = |value: &Option<String>| match value.as_deref().map(serde_json::from_str::<Value>) {
            Some(Ok(Value::String(s))) => s,
            Some(Ok(other)) => other.to_string(),
            _ => String::new(),
        };
        // Manual pruning (1) has no place on the screen: it shows as off.
        let target = shown(&values[2]).parse::<u64>().ok().filter(|mib| *mib >= MIN_PRUNE_TARGET_MIB);
        SettingsForm {
            dbcache: shown(&values[0]),
            proxy: shown(&values[1]),
            prune: target.is_some(),
            prune_gb: mib_to_gb(target.unwrap_or(gb_to_mib(DEFAULT_PRUNE_GB))).to_string(),
            start_on_login: false,
        }
    }

    /// What to write for each of [`NAMES`] (JSON text, or `None` to
    /// remove it), or the first problem with the form.
    pub fn to_settings(&self) -> Result<[Option<String>; 3], String> {
        let dbcache = match self.dbcache.trim() {
            "" => None,
            text => {
                let mib: i64 = text.parse().map_err(|_| format!("\"{text}\" is not a number of MiB."))?;
                if mib < MIN_DBCACHE_MIB {
                    return Err(format!("The database cache must be at least {MIN_DBCACHE_MIB} MiB."));
                }
                Some(mib.to_string())
            }
        };
        let proxy = match self.proxy.trim() {
            "" => None,
            text => {
                let port = text.rsplit_once(':').and_then(|(host, port)| {
                    (!host.is_empty()).then_some(())?;
                    port.parse::<u16>().ok().filter(|p| *p > 0)
                });
                if port.is_none() {
                    return Err("The supplied proxy address is invalid: give host:port.".into());
                }
                Some(Value::from(text).to_string())
            }
        };
        let prune = match self.prune {
            false => None,
            true => Some(prune_mib(&self.prune_gb)?.to_string()),
        };
        Ok([dbcache, proxy, prune])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_and_write_as_settings_json_keeps_them() {
        let form =
            SettingsForm::from_settings([Some("600".into()), Some("\"127.0.0.1:9050\"".into()), Some("1907".into())]);
        let expected = SettingsForm {
            dbcache: "600".into(),
            proxy: "127.0.0.1:9050".into(),
            prune: true,
            prune_gb: "2".into(),
            start_on_login: false,
        };
        assert_eq!(form, expected);
        assert_eq!(
            form.to_settings().unwrap(),
            [Some("600".into()), Some("\"127.0.0.1:9050\"".into()), Some("1907".into())]
        );
        let blank = SettingsForm::default();
        assert_eq!((blank.prune, blank.prune_gb.as_str()), (false, "2"), "off, offering the default size");
        assert_eq!(blank.to_settings().unwrap(), [None, None, None]);
        // Manual pruning shows as off; 550 MiB shows as 1 GB, rounded up.
        assert!(!SettingsForm::from_settings([None, None, Some("1".into())]).prune);
        assert_eq!(SettingsForm::from_settings([None, None, Some("550".into())]).prune_gb, "1");
    }

    #[test]
    fn bad_settings_say_why() {
        let with = |dbcache: &str, proxy: &str| SettingsForm {
            dbcache: dbcache.into(),
            proxy: proxy.into(),
            ..SettingsForm::default()
        };
        assert_eq!(with("3", "").to_settings().unwrap_err(), "The database cache must be at least 4 MiB.");
        assert_eq!(with("lots", "").to_settings().unwrap_err(), "\"lots\" is not a number of MiB.");
        for proxy in ["localhost", ":9050", "host:0", "host:99999"] {
            assert!(with("", proxy).to_settings().unwrap_err().contains("proxy address is invalid"), "{proxy}");
        }
        assert!(with("", "[::1]:9050").to_settings().is_ok());
        assert_eq!(prune_mib(" 2 "), Ok(1907));
        for size in ["0", "1.5", "", "many"] {
            let form = SettingsForm { prune: true, prune_gb: size.into(), ..SettingsForm::default() };
            assert!(form.to_settings().unwrap_err().contains("is not a block storage size"), "{size}");
        }
    }
}
