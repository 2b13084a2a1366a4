//! The boundaries between hashvive components, as traits and plain data.
//!
//! A component holds `Arc<dyn Trait>` and never learns whether the other side
//! is in this process or another: each executable's init plugs in either the
//! local implementation or an IPC proxy (the `hashvive-ipc` crate provides a
//! proxy and a server for every trait here). Nothing in this crate knows how
//! calls travel.
//!
//! Methods are `async` because a call may cross a process boundary; a local
//! implementation simply answers at once.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use async_trait::async_trait;

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The other process went away (or the object was destroyed).
    #[error("IPC peer disconnected: {0}")]
    Disconnected(String),
    /// The other side answered with an error.
    #[error("{0}")]
    Remote(String),
    /// This implementation does not offer the capability.
    #[error("{0}")]
    Unavailable(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// A block by hash and height.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// The block hash in internal byte order (as it is serialised).
    pub hash: [u8; 32],
    pub height: i32,
}

/// The first object a process offers another: a factory for the rest.
#[async_trait]
pub trait Init: Send + Sync {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>>;
    async fn make_mining(&self) -> Result<Arc<dyn Mining>>;
    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>>;
}

/// A test interface that returns what it is given.
#[async_trait]
pub trait Echo: Send + Sync {
    async fn echo(&self, text: String) -> Result<String>;
}

/// What mining software needs from a node.
#[async_trait]
pub trait Mining: Send + Sync {
    /// Whether the node runs a test chain (anything but mainnet).
    async fn is_test_chain(&self) -> Result<bool>;
    async fn is_initial_block_download(&self) -> Result<bool>;
    /// The active chain's tip; `None` while no chain is loaded.
    async fn get_tip(&self) -> Result<Option<BlockRef>>;
    /// Waits until the tip differs from `current_tip` or `timeout` passes, and
    /// returns the tip then.
    async fn wait_tip_changed(&self, current_tip: [u8; 32], timeout: Duration) -> Result<BlockRef>;
}

/// Runs JSON-RPC requests as if they had arrived over HTTP.
#[async_trait]
pub trait Rpc: Send + Sync {
    /// `request` is a JSON-RPC request or batch; `uri` the HTTP path it would
    /// have used (`/` or `/wallet/<name>`); `user` who is calling, for the log.
    /// Returns the JSON reply (empty for a notification).
    async fn execute_rpc(&self, request: String, uri: String, user: String) -> Result<String>;
}

/// Other processes, for executables built to talk to them.
#[async_trait]
pub trait Ipc: Send + Sync {
    /// Starts `<dir of this executable>/<exe_name> -ipcfd <fd>` and returns its `Init`.
    async fn spawn_process(&self, exe_name: &str) -> Result<Arc<dyn Init>>;
    /// Serves `init` on each address (`unix`, `unix:<path>`; relative paths are
    /// taken under `default_dir`) until the returned guard is dropped.
    async fn listen(&self, addresses: &[String], default_dir: &Path, init: Arc<dyn Init>) -> Result<Box<dyn Send>>;
    /// Connects to the `Init` a process serves at `address`.
    async fn connect(&self, address: &str, default_dir: &Path) -> Result<Arc<dyn Init>>;
}
