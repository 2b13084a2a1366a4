//! Peer-to-peer networking: nodes find each other, sync headers first and
//! relay blocks and transactions over the Bitcoin v1 transport, speaking the
//! protocol as the reference node does.
//!
//! A crate of its own rather than part of `hashvive-node`: it has one job
//! (driving a [`hashvive_chain::Chainstate`] from the network and serving it
//! to peers), and its framing, handshake and sync can be tested without the
//! RPC server and start-up around them.
//!
//! - [`transport`]: message framing and its limits.
//! - [`protocol`]: the reference's constants, services, user agent cleaning.
//! - [`config`]: the connection options.
//! - [`addrman`]: addresses of peers, kept in `peers.dat`.
//! - [`banman`]: manual bans, kept in `banlist.json`.
//! - `eviction`: which inbound peer makes room when the slots are full.
//! - `manager`: listeners, outbound connections, the peer table ([`NetManager`]).
//! - `compact`: compact blocks (BIP152), rebuilt from the mempool.
//! - `conn`: a connection's reader and writer tasks, byte budgets, statistics.
//! - `orphanage`: transactions waiting for their parents.
//! - `processing`: one peer's protocol (handshake, pings, sync, relay).
//! - [`socks5`]: outbound connections through `-proxy`.

pub mod addrman;
pub mod banman;
mod compact;
pub mod config;
mod conn;
mod eviction;
mod known;
mod manager;
mod orphanage;
pub mod permissions;
mod processing;
pub mod protocol;
pub mod socks5;
pub mod subnet;
pub mod transport;

pub use config::NetConfig;
pub use conn::{ConnectionType, PeerStats};
pub use manager::{AddNodeError, AddedNodeInfo, NetManager, PeerInfo, StartError};
pub use protocol::PROTOCOL_VERSION;
