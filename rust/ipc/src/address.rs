//! IPC addresses as users write them (`unix`, `unix:<path>`), and the sockets
//! behind them.

use std::fs::DirBuilder;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

/// The socket a node listens on by default, in its chain's data directory.
pub const DEFAULT_SOCKET: &str = "node.sock";

/// The longest socket path the kernel accepts (`sun_path` less its NUL).
const MAX_PATH_BYTES: usize = 107;

#[derive(Debug, thiserror::Error)]
pub enum AddressError {
    #[error("Invalid IPC address '{0}': expected unix or unix:<path>")]
    Invalid(String),
    #[error("IPC socket path {path} is too long ({len} bytes; at most {MAX_PATH_BYTES})")]
    TooLong { path: PathBuf, len: usize },
    #[error("IPC socket {0} is in use by another process")]
    InUse(PathBuf),
    #[error("Cannot listen on IPC socket {path}: {source}")]
    Bind { path: PathBuf, source: io::Error },
    #[error("Cannot connect to IPC socket {path}: {source}")]
    Connect { path: PathBuf, source: io::Error },
}

/// The socket path for `address`; relative paths are taken under `dir`.
pub fn socket_path(address: &str, dir: &Path) -> Result<PathBuf, AddressError> {
    let path = match address {
        "unix" | "unix:" => dir.join(DEFAULT_SOCKET),
        a => match a.strip_prefix("unix:") {
            Some(p) if Path::new(p).is_absolute() => PathBuf::from(p),
            Some(p) => dir.join(p),
            None => return Err(AddressError::Invalid(a.to_string())),
        },
    };
    let len = path.as_os_str().len();
    if len > MAX_PATH_BYTES {
        return Err(AddressError::TooLong { path, len });
    }
    Ok(path)
}

/// Listens on `path`: creates private parent directories, replaces a stale
/// socket left by a process that died, refuses one a live process serves.
pub fn bind(path: &Path) -> Result<UnixListener, AddressError> {
    let bind_err = |source| AddressError::Bind { path: path.to_path_buf(), source };
    if let Some(parent) = path.parent() {
        DirBuilder::new().recursive(true).mode(0o700).create(parent).map_err(bind_err)?;
    }
    if path.exists() {
        if UnixStream::connect(path).is_ok() {
            return Err(AddressError::InUse(path.to_path_buf()));
        }
        std::fs::remove_file(path).map_err(bind_err)?;
    }
    UnixListener::bind(path).map_err(bind_err)
}

pub fn connect(path: &Path) -> Result<UnixStream, AddressError> {
    UnixStream::connect(path).map_err(|source| AddressError::Connect { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_forms() {
        let dir = Path::new("/data/regtest");
        assert_eq!(socket_path("unix", dir).unwrap(), dir.join("node.sock"));
        assert_eq!(socket_path("unix:x/y.sock", dir).unwrap(), dir.join("x/y.sock"));
        assert_eq!(socket_path("unix:/run/n.sock", dir).unwrap(), PathBuf::from("/run/n.sock"));
        assert!(matches!(socket_path("tcp:1", dir), Err(AddressError::Invalid(_))));
        let long = format!("unix:/{}", "a".repeat(120));
        assert!(matches!(socket_path(&long, dir), Err(AddressError::TooLong { .. })));
    }

    #[test]
    fn stale_sockets_are_replaced_live_ones_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/node.sock");
        let listener = bind(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(path.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
        assert!(matches!(bind(&path), Err(AddressError::InUse(_))));
        drop(listener);
        assert!(bind(&path).is_ok(), "a socket nobody serves is replaced");
    }
}
