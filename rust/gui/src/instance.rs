//! One GUI per data directory for payment URIs: a second start with a
//! `bitcoin:` or `hashvive:` URI (a link clicked while the GUI runs) hands
//! the URI to the GUI already running on that directory and exits, as the
//! reference GUI's payment server does. The running GUI listens on
//! `<datadir>/<chain>/gui.sock`; a URI is one line, answered `ok`.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// The socket's name in the chain's data directory, beside `node.sock`.
const SOCKET_NAME: &str = "gui.sock";

/// How long a second start waits for the running GUI to take its URI.
const FORWARD_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest line read from the socket: a URI, with room to spare.
const MAX_LINE: u64 = 64 * 1024;

/// Hands `uri` to the GUI running on `chain_dir`: `Ok(true)` once it took
/// it, `Ok(false)` when no GUI runs there (no socket, or a stale one).
pub fn forward(chain_dir: &Path, uri: &str) -> Result<bool, String> {
    let path = chain_dir.join(SOCKET_NAME);
    let mut stream = match UnixStream::connect(&path) {
        Ok(stream) => stream,
        Err(_) => return Ok(false),
    };
    let failed =
        |e: std::io::Error| format!("Cannot hand the payment URI to the GUI running on {}: {e}", path.display());
    stream.set_read_timeout(Some(FORWARD_TIMEOUT)).map_err(failed)?;
    stream.set_write_timeout(Some(FORWARD_TIMEOUT)).map_err(failed)?;
    stream.write_all(format!("{uri}\n").as_bytes()).map_err(failed)?;
    let mut answer = String::new();
    BufReader::new(stream).read_line(&mut answer).map_err(failed)?;
    match answer.trim_end() {
        "ok" => Ok(true),
        other => Err(format!("The GUI running on {} refused the payment URI: {other}", chain_dir.display())),
    }
}

/// Payment URIs from later starts, while this lives; the socket goes with it.
pub struct UriServer {
    path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl UriServer {
    /// Listens on `chain_dir`'s socket (taking the place of a stale one left
    /// by a GUI that was killed) and hands each URI to `open`.
    pub fn start(chain_dir: &Path, open: impl Fn(String) + Send + Sync + 'static) -> std::io::Result<UriServer> {
        let path = chain_dir.join(SOCKET_NAME);
        if UnixStream::connect(&path).is_ok() {
            return Err(std::io::Error::new(std::io::ErrorKind::AddrInUse, "another GUI listens there"));
        }
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let listener = tokio::net::UnixListener::bind(&path)?;
        let open = std::sync::Arc::new(open);
        let task = tokio::spawn(async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of descriptors, say: wait rather than spin.
                        tracing::warn!("payment URI socket: {e}");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        continue;
                    }
                };
                let open = open.clone();
                // One connection at a time would let a silent client hold up the rest.
                tokio::spawn(async move {
                    let (reader, mut writer) = stream.into_split();
                    let mut line = String::new();
                    let mut reader = tokio::io::BufReader::new(reader.take(MAX_LINE));
                    let answer = match tokio::time::timeout(FORWARD_TIMEOUT, reader.read_line(&mut line)).await {
                        Ok(Ok(_)) if line.ends_with('\n') => {
                            open(line.trim_end().to_string());
                            "ok\n"
                        }
                        _ => "no payment URI read\n",
                    };
                    let _ = writer.write_all(answer.as_bytes()).await;
                });
            }
        });
        Ok(UriServer { path, task })
    }
}

impl Drop for UriServer {
    fn drop(&mut self) {
        self.task.abort();
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_second_start_hands_its_uri_to_the_running_gui() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        assert_eq!(forward(&path, "bitcoin:x"), Ok(false), "no GUI runs there");

        let opened = Arc::new(Mutex::new(Vec::new()));
        let seen = opened.clone();
        let server = UriServer::start(&path, move |uri| seen.lock().unwrap().push(uri)).unwrap();
        assert!(UriServer::start(&path, |_| {}).is_err(), "one GUI per directory");
        let uri = "bitcoin:bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080?amount=1";
        let forwarded = tokio::task::spawn_blocking(move || forward(&path, uri)).await.unwrap();
        assert_eq!(forwarded, Ok(true));
        assert_eq!(*opened.lock().unwrap(), [uri]);

        // A line that never ends is not a URI.
        let mut raw = tokio::net::UnixStream::connect(dir.path().join(SOCKET_NAME)).await.unwrap();
        raw.write_all(b"bitcoin:x").await.unwrap();
        raw.shutdown().await.unwrap();
        let mut answer = String::new();
        tokio::io::BufReader::new(raw).read_line(&mut answer).await.unwrap();
        assert_eq!(answer, "no payment URI read\n");
        assert_eq!(opened.lock().unwrap().len(), 1);

        // Gone with the GUI; a socket left by a killed one is taken over.
        drop(server);
        assert!(!dir.path().join(SOCKET_NAME).exists());
        let stale = std::os::unix::net::UnixListener::bind(dir.path().join(SOCKET_NAME)).unwrap();
        drop(stale);
        let path = dir.path().to_path_buf();
        assert_eq!(tokio::task::spawn_blocking(move || forward(&path, "bitcoin:x")).await.unwrap(), Ok(false));
        let _server = UriServer::start(dir.path(), |_| {}).unwrap();
    }
}
