//! The settings screen: options the GUI keeps in the node's `settings.json`
//! (the reference GUI's options dialog), read at the node's next start.
//! A field left blank removes the setting: the node's default applies.
//! Starting on login is the desktop's setting (see [`super::autostart`]).

use serde_json::Value;

/// The settings as the screen shows them: text fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsForm {
    /// `dbcache`, in MiB.
    pub dbcache: String,
    /// `proxy`, `host:port` of a SOCKS5 proxy.
    pub proxy: String,
    /// Whether the desktop starts this GUI when the user logs in.
    pub start_on_login: bool,
}

/// The settings the screen edits, as `settings.json` names them.
pub const NAMES: [&str; 2] = ["dbcache", "proxy"];

/// The database cache the node accepts at least, in MiB.
const MIN_DBCACHE_MIB: i64 = 4;

impl SettingsForm {
    /// The form for the settings' JSON texts, in the order of [`NAMES`].
    pub fn from_settings(values: [Option<String>; 2]) -> SettingsForm {
        let shown = |value: &Option<String>| match value.as_deref().map(serde_json::from_str::<Value>) {
            Some(Ok(Value::String(s))) => s,
            Some(Ok(other)) => other.to_string(),
            _ => String::new(),
        };
        SettingsForm { dbcache: shown(&values[0]), proxy: shown(&values[1]), start_on_login: false }
    }

    /// What to write for each of [`NAMES`] (JSON text, or `None` to
    /// remove it), or the first problem with the form.
    pub fn to_settings(&self) -> Result<[Option<String>; 2], String> {
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
        Ok([dbcache, proxy])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_read_and_write_as_settings_json_keeps_them() {
        let form = SettingsForm::from_settings([Some("600".into()), Some("\"127.0.0.1:9050\"".into())]);
        assert_eq!(form, SettingsForm { dbcache: "600".into(), proxy: "127.0.0.1:9050".into(), start_on_login: false });
        assert_eq!(form.to_settings().unwrap(), [Some("600".into()), Some("\"127.0.0.1:9050\"".into())]);
        let blank = SettingsForm::default();
        assert_eq!(blank.to_settings().unwrap(), [None, None]);
        assert_eq!(SettingsForm::from_settings([None, None]), blank);
    }

    #[test]
    fn bad_settings_say_why() {
        let with = |dbcache: &str, proxy: &str| SettingsForm {
            dbcache: dbcache.into(),
            proxy: proxy.into(),
            start_on_login: false,
        };
        assert_eq!(with("3", "").to_settings().unwrap_err(), "The database cache must be at least 4 MiB.");
        assert_eq!(with("lots", "").to_settings().unwrap_err(), "\"lots\" is not a number of MiB.");
        for proxy in ["localhost", ":9050", "host:0", "host:99999"] {
            assert!(with("", proxy).to_settings().unwrap_err().contains("proxy address is invalid"), "{proxy}");
        }
        assert!(with("", "[::1]:9050").to_settings().is_ok());
    }
}
