//! The settings a running node writes itself: `settings.json` in the chain's
//! data directory (`-settings=<file>`, off with `-nosettings`), a JSON
//! object as the reference's. Today it holds the wallets to load at start-up
//! (`"wallet": [names]`, kept by `createwallet … load_on_startup`); its
//! values take precedence over the configuration file's, and the command
//! line's over its.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::args::absolute_under;

/// The file's default name, in the chain's data directory.
pub const SETTINGS_FILENAME: &str = "settings.json";

#[derive(Debug, thiserror::Error)]
pub enum RwSettingsError {
    #[error("Settings file could not be read:\n- {0}")]
    Read(String),
    #[error("Settings file could not be written:\n- {0}")]
    Write(String),
}

/// The file's contents, and where it is written (nowhere with `-nosettings`).
#[derive(Clone, Debug, Default)]
pub struct RwSettings {
    path: Option<PathBuf>,
    values: Map<String, Value>,
}

impl RwSettings {
    /// Settings that are never read or written (`-nosettings`).
    pub fn disabled() -> RwSettings {
        RwSettings::default()
    }

    /// The file `-settings` names (relative to `chain_dir`), or none when negated.
    pub fn path(settings_arg: Option<&str>, negated: bool, chain_dir: &Path) -> Option<PathBuf> {
        match negated {
            true => None,
            false => {
                Some(absolute_under(chain_dir, settings_arg.filter(|s| !s.is_empty()).unwrap_or(SETTINGS_FILENAME)))
            }
        }
    }

    /// Reads the file the options name (`-settings`, `-nosettings`).
    pub fn for_args(args: &crate::args::Args, chain_dir: &Path) -> Result<RwSettings, RwSettingsError> {
        RwSettings::load(RwSettings::path(args.get("settings").as_deref(), args.is_negated("settings"), chain_dir))
    }

    /// Reads the file at `path`; one not there yet holds nothing.
    pub fn load(path: Option<PathBuf>) -> Result<RwSettings, RwSettingsError> {
        let Some(file) = &path else { return Ok(RwSettings::disabled()) };
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => {
                return Err(RwSettingsError::Read(format!("Failed reading settings file {}: {e}", file.display())))
            }
        };
        let values = match text.trim() {
            "" => Map::new(),
            text => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(values)) => values,
                Ok(_) => {
                    return Err(RwSettingsError::Read(format!(
                        "Found non-object value in settings file {}",
                        file.display()
                    )))
                }
                Err(_) => {
                    return Err(RwSettingsError::Read(format!("Unable to parse settings file {}", file.display())))
                }
            },
        };
        Ok(RwSettings { path, values })
    }

    /// Whether changes can be kept (a file is named).
    pub fn enabled(&self) -> bool {
        self.path.is_some()
    }

    /// Every setting, by name.
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// The strings of list setting `name` (a lone string counts as one).
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.values.get(name) {
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            Some(Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }

    /// Adds `item` to list setting `name` (`present`) or takes it out, and
    /// writes the file when that changed it.
    pub fn edit_list(&mut self, name: &str, item: &str, present: bool) -> Result<(), RwSettingsError> {
        let mut list = self.list(name);
        let had = list.iter().any(|i| i == item);
        match (present, had) {
            (true, false) => list.push(item.to_string()),
            (false, true) => list.retain(|i| i != item),
            _ => return Ok(()),
        }
        match list.is_empty() {
            true => self.values.remove(name),
            false => self.values.insert(name.to_string(), Value::from(list)),
        };
        self.write()
    }

    /// Sets `name` to `value`, or removes it (`None`), and writes the file.
    pub fn set(&mut self, name: &str, value: Option<Value>) -> Result<(), RwSettingsError> {
        match value {
            Some(value) => self.values.insert(name.to_string(), value),
            None => self.values.remove(name),
        };
        self.write()
    }

    /// Writes the file (a new file moved into place, so a crash leaves the
    /// old one or the new one), indented as the reference writes it.
    pub fn write(&self) -> Result<(), RwSettingsError> {
        let Some(path) = &self.path else {
            return Err(RwSettingsError::Write("the settings file is disabled (-nosettings)".into()));
        };
        let mut text = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
        serde::Serialize::serialize(&self.values, &mut serializer)
            .map_err(|e| RwSettingsError::Write(format!("Unable to write settings file {}: {e}", path.display())))?;
        text.push(b'\n');
        let temporary = path.with_extension("json.tmp");
        let fail =
            |e: std::io::Error| RwSettingsError::Write(format!("Failed writing settings file {}: {e}", path.display()));
        std::fs::write(&temporary, &text).map_err(fail)?;
        std::fs::rename(&temporary, path)
            .map_err(|e| RwSettingsError::Write(format!("Failed renaming settings file {}: {e}", temporary.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_is_edited_and_written_back_and_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = RwSettings::path(None, false, dir.path());
        assert_eq!(path.as_deref(), Some(dir.path().join("settings.json").as_path()));
        let mut settings = RwSettings::load(path.clone()).unwrap();
        assert!(settings.list("wallet").is_empty());
        settings.edit_list("wallet", "a", true).unwrap();
        settings.edit_list("wallet", "b", true).unwrap();
        settings.edit_list("wallet", "a", true).unwrap();
        let text = std::fs::read_to_string(path.as_ref().unwrap()).unwrap();
        assert_eq!(text, "{\n    \"wallet\": [\n        \"a\",\n        \"b\"\n    ]\n}\n");
        let mut again = RwSettings::load(path.clone()).unwrap();
        assert_eq!(again.list("wallet"), ["a", "b"]);
        again.edit_list("wallet", "a", false).unwrap();
        again.edit_list("wallet", "b", false).unwrap();
        assert_eq!(std::fs::read_to_string(path.as_ref().unwrap()).unwrap(), "{}\n");
    }

    #[test]
    fn a_damaged_file_is_refused_and_a_disabled_one_is_never_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, "{ not json").unwrap();
        let e = RwSettings::load(Some(path.clone())).unwrap_err().to_string();
        assert!(e.starts_with("Settings file could not be read:\n- Unable to parse settings file"), "{e}");
        std::fs::write(&path, "[1]").unwrap();
        assert!(RwSettings::load(Some(path)).unwrap_err().to_string().contains("non-object"));
        let mut off = RwSettings::disabled();
        assert!(!off.enabled());
        assert!(off.edit_list("wallet", "a", true).is_err());
    }
}
