//! Where a process keeps its files: the data directory and the chain's
//! subdirectory of it.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::chain::Chain;

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("Specified data directory \"{0}\" does not exist.")]
    Missing(PathBuf),
    #[error("Cannot create data directory \"{path}\": {source}")]
    Create { path: PathBuf, source: io::Error },
    #[error("Cannot determine the home directory for the default data directory; use -datadir")]
    NoHome,
}

/// The default data directory: `$HOME/.hashvive`.
pub fn default_datadir() -> Result<PathBuf, DataDirError> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".hashvive"))
        .ok_or(DataDirError::NoHome)
}

/// The data directory from `-datadir` (which must exist) or the default (created
/// when missing), made absolute.
pub fn resolve_datadir(given: Option<&str>) -> Result<PathBuf, DataDirError> {
    match given.filter(|g| !g.is_empty()) {
        Some(given) => {
            let path = absolute(Path::new(given));
            if path.is_dir() {
                Ok(path)
            } else {
                Err(DataDirError::Missing(path))
            }
        }
        None => {
            let path = default_datadir()?;
            fs::create_dir_all(&path).map_err(|source| DataDirError::Create { path: path.clone(), source })?;
            Ok(path)
        }
    }
}

/// `<datadir>/<chain subdir>`, the chain's own files (mainnet: the data directory).
pub fn chain_dir_path(datadir: &Path, chain: Chain) -> PathBuf {
    match chain.data_subdir() {
        "" => datadir.to_path_buf(),
        sub => datadir.join(sub),
    }
}

/// [`chain_dir_path`], created if missing.
pub fn chain_datadir(datadir: &Path, chain: Chain) -> Result<PathBuf, DataDirError> {
    let path = chain_dir_path(datadir, chain);
    fs::create_dir_all(&path).map_err(|source| DataDirError::Create { path: path.clone(), source })?;
    Ok(path)
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map(|cwd| cwd.join(p)).unwrap_or_else(|_| p.to_path_buf())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_datadir_is_an_error() {
        let err = resolve_datadir(Some("/nonexistent/hashvive-test")).unwrap_err();
        assert_eq!(err.to_string(), "Specified data directory \"/nonexistent/hashvive-test\" does not exist.");
    }

    #[test]
    fn chain_subdirs() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(chain_datadir(dir.path(), Chain::Regtest).unwrap(), dir.path().join("regtest"));
        assert!(dir.path().join("regtest").is_dir());
        assert_eq!(chain_datadir(dir.path(), Chain::Main).unwrap(), dir.path());
        assert_eq!(chain_datadir(dir.path(), Chain::Testnet).unwrap(), dir.path().join("testnet3"));
    }
}
