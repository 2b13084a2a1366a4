//! A process's settings as the reference reads them: the command line, then
//! the configuration file in the data directory it names (which may move the
//! data directory again), then the chain they select. Every executable that
//! runs on a data directory starts here, so a wallet process handed the node's
//! command line reads exactly what the node read.

use std::path::{Path, PathBuf};

use crate::args::{Args, ArgsError};
use crate::chain::Chain;
use crate::datadir::{resolve_datadir, DataDirError};
use crate::options::OptionDef;

/// The configuration file's default name, in the data directory.
pub const CONF_FILENAME: &str = "hashvive.conf";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error(transparent)]
    Args(#[from] ArgsError),
    #[error(transparent)]
    DataDir(#[from] DataDirError),
}

/// What the command line and the configuration file say.
pub struct Settings {
    pub args: Args,
    pub datadir: PathBuf,
    /// The configuration file read, if one was found.
    pub config_path: Option<PathBuf>,
    pub chain: Chain,
    /// Arguments after the options (commands, or mistakes).
    pub positional: Vec<String>,
}

impl Settings {
    /// Reads `argv` (without the program name) against the options `defs`.
    pub fn read(defs: &[OptionDef], argv: Vec<String>) -> Result<Settings, SettingsError> {
        let mut args = Args::new(defs);
        let positional = args.parse_command_line(argv)?;
        let mut datadir = resolve_datadir(args.get("datadir").as_deref())?;
        let config_path = args.read_config_files(&datadir, CONF_FILENAME)?;
        // A config file may move the data directory (the command line still wins).
        if let Some(configured) = args.get("datadir").filter(|d| !d.is_empty()) {
            if Path::new(&configured) != datadir {
                datadir = resolve_datadir(Some(&configured))?;
            }
        }
        let chain = args.select_chain()?;
        Ok(Settings { args, datadir, config_path, chain, positional })
    }
}
