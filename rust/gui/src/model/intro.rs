//! Choosing the data directory at start, as the reference GUI's welcome
//! dialog does: asked when no `-datadir` is on the command line and the
//! directory last chosen (else the default) does not exist yet, or with
//! `-choosedatadir` or `-resetguisettings`. The choice is kept in the GUI's
//! own settings file, `$XDG_CONFIG_HOME/Hashvive/Hashvive-Qt.conf`
//! (`strDataDir` under `[General]`, where the reference's Qt settings keep
//! it), and reaches the node as `-datadir` when it is not the default.

use std::path::{Path, PathBuf};

use hashvive_common::args::Args;
use hashvive_common::datadir::default_datadir;
use hashvive_common::options::OptionDef;

use crate::launch;

/// The key the choice is kept under.
const DATA_DIR_KEY: &str = "strDataDir";

/// The GUI's settings file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuiConfig {
    path: PathBuf,
}

impl GuiConfig {
    pub fn new(path: PathBuf) -> GuiConfig {
        GuiConfig { path }
    }

    /// `<config home>/Hashvive/Hashvive-Qt.conf`; `None` without a place
    /// for it (no `$XDG_CONFIG_HOME` or `$HOME`).
    pub fn locate() -> Option<GuiConfig> {
        Some(GuiConfig::new(super::config_home()?.join("Hashvive").join("Hashvive-Qt.conf")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The data directory chosen last, if any.
    pub fn data_dir(&self) -> Option<PathBuf> {
        let text = std::fs::read_to_string(&self.path).ok()?;
        let mut general = false;
        for line in text.lines().map(str::trim) {
            if line.starts_with('[') {
                general = line == "[General]";
            } else if let Some(value) =
                line.strip_prefix(DATA_DIR_KEY).and_then(|rest| rest.trim_start().strip_prefix('='))
            {
                if general && !value.trim().is_empty() {
                    return Some(PathBuf::from(value.trim()));
                }
            }
        }
        None
    }

    /// Keeps `dir` as the choice, leaving the file's other lines as they are.
    pub fn set_data_dir(&self, dir: &Path) -> Result<(), String> {
        let entry = format!("{DATA_DIR_KEY}={}", dir.display());
        let old = std::fs::read_to_string(&self.path).unwrap_or_default();
        let mut lines: Vec<String> = Vec::new();
        let (mut general, mut written) = (false, false);
        for line in old.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with('[') {
                if general && !written {
                    lines.push(entry.clone());
                    written = true;
                }
                general = trimmed == "[General]";
            } else if general && trimmed.strip_prefix(DATA_DIR_KEY).is_some_and(|r| r.trim_start().starts_with('=')) {
                if !written {
                    lines.push(entry.clone());
                    written = true;
                }
                continue;
            }
            lines.push(line.to_string());
        }
        if !written {
            if !general {
                lines.push("[General]".into());
            }
            lines.push(entry);
        }
        let cannot = |e: std::io::Error| format!("Cannot keep the data directory in {}: {e}", self.path.display());
        if let Some(parent) = self.path.parent() {
            std::fs::create_dir_all(parent).map_err(cannot)?;
        }
        std::fs::write(&self.path, lines.join("\n") + "\n").map_err(cannot)
    }
}

/// What to do about the data directory before anything reads it.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Leave the command line as it is: `-datadir` is on it, or it asks for
    /// help, or it is wrong (the start-up then says why, before any window).
    AsGiven,
    /// Use this directory without asking.
    Use(PathBuf),
    /// Ask, offering this directory.
    Ask(PathBuf),
}

/// The reference GUI's rule for asking (see the module's documentation),
/// with the choice kept in `config`.
pub fn decide(defs: &[OptionDef], argv: &[String], config: &GuiConfig) -> Decision {
    let mut args = Args::new(defs);
    let Ok(positional) = args.parse_command_line(argv.iter().cloned()) else { return Decision::AsGiven };
    let reset = args.get_bool("resetguisettings", false);
    // What `launch::read` prints or refuses, it does before any window.
    if launch::stray_token(&positional).is_some()
        || (reset && launch::ipc_connect(&args).is_some())
        || args.get("datadir").is_some_and(|d| !d.is_empty())
        || launch::HELP_OPTIONS.iter().chain(&["version"]).any(|h| args.is_set(h))
    {
        return Decision::AsGiven;
    }
    let Ok(default) = default_datadir() else { return Decision::AsGiven };
    let stored = config.data_dir().filter(|_| !reset);
    let dir = stored.unwrap_or(default);
    match !dir.is_dir() || args.get_bool("choosedatadir", false) || reset {
        true => Decision::Ask(dir),
        false => Decision::Use(dir),
    }
}

/// Makes the directory the user chose (typed, so trimmed and made
/// absolute); refused in the reference GUI's words when it cannot be made.
pub fn create(typed: &str) -> Result<PathBuf, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err("Enter the data directory to use.".into());
    }
    let dir = std::path::absolute(typed).unwrap_or_else(|_| PathBuf::from(typed));
    match std::fs::create_dir_all(&dir) {
        Ok(()) if dir.is_dir() => Ok(dir),
        _ => Err(format!("Error: Specified data directory \"{}\" cannot be created.", dir.display())),
    }
}

/// The command line the GUI goes on with once `dir` is chosen (and kept in
/// `config`): `-datadir=<dir>` added in front unless it is the default, so
/// that, as with the daemon, the default directory's config file may still
/// name another.
pub fn with_data_dir(argv: Vec<String>, dir: &Path) -> Vec<String> {
    if default_datadir().ok().as_deref() == Some(dir) {
        return argv;
    }
    std::iter::once(format!("-datadir={}", dir.display())).chain(argv).collect()
}

#[cfg(test)]
mod tests {
    use hashvive_common::options::gui_options;

    use super::*;

    fn argv(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn the_choice_is_kept_beside_other_settings() {
        let dir = tempfile::tempdir().unwrap();
        let config = GuiConfig::new(dir.path().join("Hashvive").join("Hashvive-Qt.conf"));
        assert_eq!(config.data_dir(), None);
        config.set_data_dir(Path::new("/srv/a")).unwrap();
        assert_eq!(std::fs::read_to_string(config.path()).unwrap(), "[General]\nstrDataDir=/srv/a\n");
        std::fs::write(config.path(), "[Other]\nstrDataDir=/no\n[General]\nfReset=false\nstrDataDir=/srv/a\n").unwrap();
        config.set_data_dir(Path::new("/srv/b")).unwrap();
        assert_eq!(config.data_dir(), Some(PathBuf::from("/srv/b")));
        let text = std::fs::read_to_string(config.path()).unwrap();
        assert_eq!(text, "[Other]\nstrDataDir=/no\n[General]\nfReset=false\nstrDataDir=/srv/b\n");
    }

    #[test]
    fn asked_when_the_directory_is_missing_or_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        let config = GuiConfig::new(dir.path().join("Hashvive-Qt.conf"));
        let defs = gui_options();
        let decide = |args: &[&str]| decide(&defs, &argv(args), &config);
        // -datadir given, help, or a command line that does not parse: as it is.
        assert_eq!(decide(&["-datadir=/x", "-choosedatadir"]), Decision::AsGiven);
        assert_eq!(decide(&["-help", "-choosedatadir"]), Decision::AsGiven);
        assert_eq!(decide(&["-nosuchoption"]), Decision::AsGiven);
        assert_eq!(decide(&["bitcoin:a", "bitcoin:b"]), Decision::AsGiven);
        assert_eq!(decide(&["-resetguisettings", "-ipcconnect=unix"]), Decision::AsGiven);
        // A kept choice that exists is used; asked for, or reset, it is asked.
        let chosen = dir.path().join("chosen");
        std::fs::create_dir(&chosen).unwrap();
        config.set_data_dir(&chosen).unwrap();
        assert_eq!(decide(&["-regtest"]), Decision::Use(chosen.clone()));
        assert_eq!(decide(&["-choosedatadir"]), Decision::Ask(chosen.clone()));
        assert!(matches!(decide(&["-resetguisettings"]), Decision::Ask(d) if d != chosen), "the default is offered");
        // Gone since: asked again.
        std::fs::remove_dir(&chosen).unwrap();
        assert_eq!(decide(&[]), Decision::Ask(chosen));
    }

    #[test]
    fn the_chosen_directory_is_made_and_passed_on() {
        let dir = tempfile::tempdir().unwrap();
        let typed = dir.path().join("a/b");
        assert_eq!(create(&format!(" {} ", typed.display())).unwrap(), typed);
        assert!(typed.is_dir());
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let refused = create(&file.join("sub").display().to_string()).unwrap_err();
        assert!(refused.starts_with("Error: Specified data directory") && refused.ends_with("cannot be created."));
        assert_eq!(create("  ").unwrap_err(), "Enter the data directory to use.");
        let on = with_data_dir(argv(&["-regtest"]), &typed);
        assert_eq!(on, argv(&[&format!("-datadir={}", typed.display()), "-regtest"]));
        if let Ok(default) = default_datadir() {
            assert_eq!(with_data_dir(argv(&["-regtest"]), &default), argv(&["-regtest"]));
        }
    }
}
