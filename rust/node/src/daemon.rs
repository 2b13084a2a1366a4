//! Process housekeeping: running in the background (`-daemon`, `-daemonwait`),
//! the pid file, and the lock that keeps two nodes out of one data directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};
use nix::unistd::{dup2, fork, pipe, setsid, ForkResult};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("Cannot obtain a lock on data directory {0}. Hashvive is probably already running.")]
    Locked(PathBuf),
    #[error("Cannot open lock file {path}: {source}")]
    LockFile { path: PathBuf, source: io::Error },
    #[error("Unable to create the PID file '{path}': {source}")]
    PidFile { path: PathBuf, source: io::Error },
    #[error("Failed to daemonize: {0}")]
    Fork(nix::Error),
}

/// Held for the life of the process; the kernel drops the lock when it exits.
pub struct DatadirLock {
    _lock: Flock<File>,
}

impl DatadirLock {
    pub fn acquire(dir: &Path) -> Result<DatadirLock, DaemonError> {
        let path = dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| DaemonError::LockFile { path: path.clone(), source })?;
        let lock =
            Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|_| DaemonError::Locked(dir.to_path_buf()))?;
        Ok(DatadirLock { _lock: lock })
    }
}

/// The pid file, removed when dropped.
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    pub fn create(path: &Path) -> Result<PidFile, DaemonError> {
        // Written beside and renamed into place, so whoever sees the file
        // (a script waiting for `-daemon`) never reads it empty.
        let write = || -> io::Result<()> {
            let mut staging = path.as_os_str().to_owned();
            staging.push(".new");
            let staging = PathBuf::from(staging);
            let mut f = File::create(&staging)?;
            writeln!(f, "{}", std::process::id())?;
            drop(f);
            fs::rename(&staging, path)
        };
        write().map_err(|source| DaemonError::PidFile { path: path.to_path_buf(), source })?;
        Ok(PidFile { path: path.to_path_buf() })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        // Gone already is fine; there is nothing else to do at exit.
        let _ = fs::remove_file(&self.path);
    }
}

/// Lets a `-daemonwait` parent know how start-up went.
pub struct DaemonNotifier {
    pipe: File,
}

impl DaemonNotifier {
    pub fn succeeded(mut self) {
        let _ = self.pipe.write_all(b"1");
    }

    /// Start-up failed. The parent must not return before this process has
    /// let go of the data directory (a script may start another node at once),
    /// so nothing is written: the descriptor stays open until the process
    /// exits, and the parent reads end-of-file as the failure then.
    pub fn failed(self) {
        std::mem::forget(self.pipe);
    }
}

/// Forks into the background. The parent exits here: at once for `-daemon`,
/// after the child reports start-up for `-daemonwait`. Must run before any
/// thread is started.
pub fn daemonize(wait: bool) -> Result<DaemonNotifier, DaemonError> {
    crate::init::print_to_stdout("Hashvive starting\n");
    let (read_end, write_end): (OwnedFd, OwnedFd) = pipe().map_err(DaemonError::Fork)?;
    // SAFETY: no other threads exist yet (the runtime starts after this), so the
    // child may run arbitrary code.
    match unsafe { fork() }.map_err(DaemonError::Fork)? {
        ForkResult::Parent { .. } => {
            drop(write_end);
            if !wait {
                std::process::exit(0);
            }
            let mut status = [0u8; 1];
            let ok = File::from(read_end).read(&mut status).ok() == Some(1) && status[0] == b'1';
            if !ok {
                eprintln!("Error during initialization - check debug.log for details");
                std::process::exit(1);
            }
            std::process::exit(0);
        }
        ForkResult::Child => {
            drop(read_end);
            setsid().map_err(DaemonError::Fork)?;
            if let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
                use std::os::fd::AsRawFd;
                for fd in 0..=2 {
                    let _ = dup2(null.as_raw_fd(), fd);
                }
            }
            Ok(DaemonNotifier { pipe: File::from(write_end) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails() {
        let dir = tempfile::tempdir().unwrap();
        let first = DatadirLock::acquire(dir.path()).unwrap();
        let err = DatadirLock::acquire(dir.path()).err().unwrap();
        assert!(err.to_string().contains("Hashvive is probably already running"));
        drop(first);
        assert!(DatadirLock::acquire(dir.path()).is_ok());
    }

    #[test]
    fn pid_file_lifecycle() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pid");
        let pid = PidFile::create(&path).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap().trim(), std::process::id().to_string());
        drop(pid);
        assert!(!path.exists());
    }
}
