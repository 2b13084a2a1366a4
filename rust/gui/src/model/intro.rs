//! Choosing the data directory at start, as the reference GUI's welcome
//! dialog does: asked when no `-datadir` is on the command line and the
//! directory last chosen (else the default) does not exist yet, or with
//! `-choosedatadir` or `-resetguisettings`. The choice is kept in the GUI's
//! own settings file, `$XDG_CONFIG_HOME/Hashvive/Hashvive-Qt.conf`
//! (`strDataDir` under `[General]`, where the reference's Qt settings keep
//! it), and reaches the node as `-datadir` when it is not the default.
//!
//! The dialog also says how much the chain will take and how much space the
//! disk has, and offers pruning (checked when the whole chain does not fit),
//! which becomes the node's `prune` setting as on the settings screen.

use std::path::{Path, PathBuf};

use hashvive_common::args::Args;
use hashvive_common::chain::Chain;
use hashvive_common::datadir::default_datadir;
use hashvive_common::options::OptionDef;

use crate::launch;
use crate::model::settings::GB;

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
    /// Ask.
    Ask(Question),
}

/// What the welcome dialog asks about.
#[derive(Debug, PartialEq, Eq)]
pub struct Question {
    /// The directory offered.
    pub offered: PathBuf,
    /// The chain the command line selects, whose size the dialog tells.
    pub chain: Chain,
    /// Whether pruning is offered: not for a node the GUI attaches to
    /// (`-ipcconnect`), whose settings are its own.
    pub may_prune: bool,
}

/// What the user chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub dir: PathBuf,
    /// Pruning to this many MiB, for the node's `prune` setting.
    pub prune_mib: Option<u64>,
}

/// Rough sizes in GB of each chain's blocks and chain state at the time of
/// writing (late 2026), for the dialog's advice only, as the reference keeps
/// such estimates in its chain parameters.
fn expected_gb(chain: Chain) -> (u64, u64) {
    match chain {
        Chain::Main => (720, 14),
        Chain::Testnet => (200, 19),
        Chain::Testnet4 => (11, 1),
        Chain::Signet => (10, 1),
        Chain::Regtest => (0, 0),
    }
}

/// The dialog's advice about space.
#[derive(Debug, PartialEq, Eq)]
pub struct SpaceAdvice {
    /// How much the data directory will hold.
    pub stored: String,
    /// How much the disk has, and what is missing.
    pub available: String,
    /// The disk does not have what is needed.
    pub short: bool,
}

/// What to tell about `chain`'s data, pruned to `prune_gb` or not, on a
/// disk with `free` bytes (unknown: nothing is said about it).
pub fn space_advice(chain: Chain, free: Option<u64>, prune_gb: Option<u64>) -> SpaceAdvice {
    let (blocks, state) = expected_gb(chain);
    let stored = match prune_gb {
        Some(gb) => format!("Approximately {gb} GB of data will be stored in this directory."),
        None => format!("At least {blocks} GB of data will be stored in this directory, and it will grow over time."),
    };
    let needed = prune_gb.unwrap_or(blocks) + state;
    let Some(free) = free else { return SpaceAdvice { stored, available: String::new(), short: false } };
    let free_gb = free / GB;
    let mut available = format!("{free_gb} GB of space available");
    let short = free < needed * GB;
    if short {
        available += &format!(" (of {needed} GB needed)");
    } else if prune_gb.is_none() && free_gb - needed < 10 {
        available += &format!(" ({needed} GB needed for the full chain)");
    }
    SpaceAdvice { stored, available, short }
}

/// Whether the dialog offers pruning already checked: the whole chain, and
/// some room to grow, does not fit on the disk.
pub fn prune_by_default(chain: Chain, free: Option<u64>) -> bool {
    let (blocks, state) = expected_gb(chain);
    free.is_some_and(|free| free < (blocks + state + 10) * GB)
}

/// Bytes an unprivileged user may still write where `dir` is, or would be
/// made (the nearest directory above it that exists).
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let existing = dir.ancestors().find(|d| d.is_dir())?;
    let stat = nix::sys::statvfs::statvfs(existing).ok()?;
    #[allow(clippy::useless_conversion, reason = "the field types differ between platforms")]
    let (blocks, block_size) = (u64::from(stat.blocks_available()), u64::from(stat.fragment_size()));
    Some(blocks.saturating_mul(block_size))
}

/// The reference GUI's rule for asking (see the module's documentation),
/// with the choice kept in `config`.
pub fn decide(defs: &[OptionDef], argv: &[String], config: &GuiConfig) -> Decision {
    let mut args = Args::new(defs);
    let Ok(positional) = args.parse_command_line(argv.iter().cloned()) else { return Decision::AsGiven };
    let Ok(chain) = args.select_chain() else { return Decision::AsGiven };
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
        true => Decision::Ask(Question { offered: dir, chain, may_prune: launch::ipc_connect(&args).is_none() }),
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
    use hashvive_common::options::{gui_options, multiprocess_gui_options};

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
        let ask = |offered: &Path, chain, may_prune| {
            Decision::Ask(Question { offered: offered.to_path_buf(), chain, may_prune })
        };
        assert_eq!(decide(&["-regtest"]), Decision::Use(chosen.clone()));
        assert_eq!(decide(&["-choosedatadir", "-regtest"]), ask(&chosen, Chain::Regtest, true));
        let attaching =
            super::decide(&multiprocess_gui_options(), &argv(&["-choosedatadir", "-ipcconnect=unix"]), &config);
        assert_eq!(attaching, ask(&chosen, Chain::Main, false), "no pruning for a node the GUI does not start");
        let reset = decide(&["-resetguisettings"]);
        assert!(matches!(reset, Decision::Ask(q) if q.offered != chosen), "the default is offered");
        // Gone since: asked again.
        std::fs::remove_dir(&chosen).unwrap();
        assert_eq!(decide(&[]), ask(&chosen, Chain::Main, true));
    }

    #[test]
    fn the_advice_on_space_follows_the_chain_and_pruning() {
        let advice = space_advice(Chain::Main, Some(2_000 * GB), None);
        assert_eq!(
            advice.stored,
            "At least 720 GB of data will be stored in this directory, and it will grow over time."
        );
        assert_eq!((advice.available.as_str(), advice.short), ("2000 GB of space available", false));
        let short = space_advice(Chain::Main, Some(100 * GB + 5), None);
        assert_eq!((short.available.as_str(), short.short), ("100 GB of space available (of 734 GB needed)", true));
        let tight = space_advice(Chain::Main, Some(740 * GB), None);
        assert_eq!(tight.available, "740 GB of space available (734 GB needed for the full chain)");
        let pruned = space_advice(Chain::Main, Some(100 * GB), Some(2));
        assert_eq!(pruned.stored, "Approximately 2 GB of data will be stored in this directory.");
        assert_eq!((pruned.available.as_str(), pruned.short), ("100 GB of space available", false));
        assert_eq!(space_advice(Chain::Regtest, None, None).available, "");
        // Pruning is offered checked where the chain does not fit.
        assert!(prune_by_default(Chain::Main, Some(100 * GB)));
        assert!(!prune_by_default(Chain::Main, Some(2_000 * GB)));
        assert!(!prune_by_default(Chain::Regtest, Some(100 * GB)) && !prune_by_default(Chain::Main, None));
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(&dir.path().join("not/yet")).is_some_and(|free| free > 0), "measured where it will be");
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
