//! One connection's plumbing: the handle the manager and RPCs hold, its
//! statistics, and the reader and writer tasks between the socket and the
//! message processing. Both directions have byte budgets (the reference's
//! `-maxreceivebuffer` and `-maxsendbuffer`): a peer that sends faster than
//! we process, or reads slower than we answer, waits instead of growing our
//! memory.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::Magic;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{mpsc, watch, Notify, OwnedSemaphorePermit, Semaphore};

use crate::permissions::Permissions;
use crate::transport::{self, read_frame, Frame, FrameError};

/// How a connection came about, as `getpeerinfo` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionType {
    Inbound,
    /// `-connect`, `-addnode` and the `addnode` RPC.
    Manual,
    /// Made automatically from the address table: blocks, transactions, addresses.
    OutboundFullRelay,
    /// Made automatically: blocks only, which hides the node's transactions
    /// and addresses from whoever maps the network through relay.
    BlockRelay,
    /// `-seednode`: for addresses, closed once they came.
    AddrFetch,
    /// A short check that an address answers, closed after the handshake.
    Feeler,
}

impl ConnectionType {
    pub fn name(self) -> &'static str {
        match self {
            ConnectionType::Inbound => "inbound",
            ConnectionType::Manual => "manual",
            ConnectionType::OutboundFullRelay => "outbound-full-relay",
            ConnectionType::BlockRelay => "block-relay-only",
            ConnectionType::AddrFetch => "addr-fetch",
            ConnectionType::Feeler => "feeler",
        }
    }

    /// The type `addconnection` names, if it is one it makes.
    pub fn from_test_name(name: &str) -> Option<ConnectionType> {
        [
            ConnectionType::OutboundFullRelay,
            ConnectionType::BlockRelay,
            ConnectionType::AddrFetch,
            ConnectionType::Feeler,
        ]
        .into_iter()
        .find(|t| t.name() == name)
    }

    /// Transactions are relayed over it (given `-blocksonly` is off).
    pub fn relays_txs(self) -> bool {
        !matches!(self, ConnectionType::BlockRelay | ConnectionType::Feeler)
    }

    /// Addresses are asked for and relayed over it.
    pub fn relays_addrs(self) -> bool {
        !matches!(self, ConnectionType::BlockRelay | ConnectionType::Feeler)
    }
}

/// What `getpeerinfo` reports that changes while the peer is connected.
#[derive(Clone, Debug, Default)]
pub struct PeerStats {
    pub version: u32,
    pub subver: String,
    pub services: u64,
    pub relay_txs: bool,
    pub starting_height: i32,
    /// Peer clock minus ours, seconds.
    pub time_offset: i64,
    /// Seconds since the epoch; 0 before anything was sent or received.
    pub last_send: i64,
    pub last_recv: i64,
    /// When the peer last gave us a block / a transaction we did not have
    /// (seconds since the epoch; 0 never): what protects it from eviction.
    pub last_block: i64,
    pub last_transaction: i64,
    pub bytes_sent: u64,
    pub bytes_recv: u64,
    pub bytes_sent_per_msg: BTreeMap<String, u64>,
    pub bytes_recv_per_msg: BTreeMap<String, u64>,
    /// Round-trip times of pings, seconds.
    pub ping_time: Option<f64>,
    pub min_ping: Option<f64>,
    /// How long the outstanding ping has waited, seconds.
    pub ping_wait: Option<f64>,
    /// The version handshake completed.
    pub successfully_connected: bool,
    /// Heights of the best header the peer has, and of the best block we share; -1 unknown.
    pub synced_headers: i64,
    pub synced_blocks: i64,
    /// Heights of blocks requested from the peer.
    pub inflight: Vec<u32>,
    /// The peer's `feefilter`, sat/kvB.
    pub min_fee_filter: u64,
    /// Addresses are relayed to and from the peer.
    pub addr_relay_enabled: bool,
    /// Addresses from the peer taken in, and dropped by the rate limit.
    pub addr_processed: u64,
    pub addr_rate_limited: u64,
    /// BIP152 high-bandwidth mode: we announce new blocks to the peer as
    /// compact blocks at once (it asked), and it does so to us (we asked).
    pub bip152_hb_to: bool,
    pub bip152_hb_from: bool,
}

/// The manager's and RPCs' handle on a connection.
pub struct Peer {
    pub id: u64,
    pub addr: SocketAddr,
    pub addr_bind: SocketAddr,
    /// The name it was dialled by (outbound), else the address.
    pub addr_name: String,
    pub conn_type: ConnectionType,
    /// What the peer may do (`-whitelist`, `-whitebind`).
    pub permissions: Permissions,
    /// Seconds since the epoch.
    pub connected_at: i64,
    pub(crate) connected_instant: Instant,
    /// The nonce in our `version`, to spot connections to ourselves.
    pub(crate) local_nonce: u64,
    stats: Mutex<PeerStats>,
    /// Set to ask the connection to close.
    pub(crate) disconnect: watch::Sender<bool>,
    /// Woken by the `ping` RPC.
    pub(crate) ping_requested: Notify,
    /// Addresses other peers gave us to pass on (the reference's
    /// `m_addrs_to_send`), sent on the connection's own schedule.
    pub(crate) addrs_to_send: Mutex<Vec<crate::addrman::AddrInfo>>,
}

impl Peer {
    pub(crate) fn new(
        id: u64,
        addr: SocketAddr,
        addr_bind: SocketAddr,
        addr_name: String,
        conn_type: ConnectionType,
        permissions: Permissions,
    ) -> Peer {
        let mut nonce = [0u8; 8];
        // Without randomness a fixed nonce only weakens self-connection detection.
        let _ = getrandom::getrandom(&mut nonce);
        Peer {
            id,
            addr,
            addr_bind,
            addr_name,
            conn_type,
            permissions,
            connected_at: hashvive_common::time::now(),
            connected_instant: Instant::now(),
            local_nonce: u64::from_le_bytes(nonce),
            stats: Mutex::new(PeerStats { synced_headers: -1, synced_blocks: -1, ..PeerStats::default() }),
            disconnect: watch::Sender::new(false),
            ping_requested: Notify::new(),
            addrs_to_send: Mutex::new(Vec::new()),
        }
    }

    pub fn inbound(&self) -> bool {
        self.conn_type == ConnectionType::Inbound
    }

    pub fn stats(&self) -> PeerStats {
        self.stats_mut().clone()
    }

    pub(crate) fn stats_mut(&self) -> MutexGuard<'_, PeerStats> {
        // Statistics stay usable after a panic elsewhere; they are only numbers.
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn request_disconnect(&self) {
        self.disconnect.send_replace(true);
    }

    /// Asked to close, and not gone yet.
    pub fn disconnecting(&self) -> bool {
        *self.disconnect.borrow()
    }
}

/// The reference's message types; anything else is counted as `*other*`.
const KNOWN_COMMANDS: [&str; 36] = [
    "version",
    "verack",
    "addr",
    "addrv2",
    "sendaddrv2",
    "inv",
    "getdata",
    "merkleblock",
    "getblocks",
    "getheaders",
    "tx",
    "headers",
    "block",
    "getaddr",
    "mempool",
    "ping",
    "pong",
    "notfound",
    "filterload",
    "filteradd",
    "filterclear",
    "sendheaders",
    "feefilter",
    "sendcmpct",
    "cmpctblock",
    "getblocktxn",
    "blocktxn",
    "getcfilters",
    "cfilter",
    "getcfheaders",
    "cfheaders",
    "getcfcheckpt",
    "cfcheckpt",
    "wtxidrelay",
    "sendtxrcncl",
    "reject",
];

fn stats_key(command: &str) -> String {
    if KNOWN_COMMANDS.contains(&command) {
        command.to_string()
    } else {
        "*other*".to_string()
    }
}

/// Node-wide byte counters (`getnettotals`).
#[derive(Default)]
pub struct Totals {
    pub recv: AtomicU64,
    pub sent: AtomicU64,
}

/// A message handed to the writer, holding its share of the send budget.
struct Outgoing {
    bytes: Vec<u8>,
    command: String,
    _budget: OwnedSemaphorePermit,
}

/// The processing side's way to send.
#[derive(Clone)]
pub(crate) struct Sender {
    magic: Magic,
    queue: mpsc::UnboundedSender<Outgoing>,
    budget: Arc<Semaphore>,
    capacity: usize,
}

#[derive(Debug, thiserror::Error)]
#[error("connection closed")]
pub(crate) struct Closed;

impl Sender {
    pub async fn send(&self, message: NetworkMessage) -> Result<(), Closed> {
        let command = message.command().to_string();
        self.send_bytes(command, transport::encode(self.magic, message)).await
    }

    /// Sends a payload serialized elsewhere (a block as stored).
    pub async fn send_raw(&self, command: &'static str, payload: Vec<u8>) -> Result<(), Closed> {
        self.send_bytes(command.to_string(), transport::encode_raw(self.magic, command, payload)).await
    }

    async fn send_bytes(&self, command: String, bytes: Vec<u8>) -> Result<(), Closed> {
        // A message larger than the whole budget waits for an empty queue.
        let cost = bytes.len().clamp(1, self.capacity) as u32;
        let permit = self.budget.clone().acquire_many_owned(cost).await.map_err(|_| Closed)?;
        self.queue.send(Outgoing { bytes, command, _budget: permit }).map_err(|_| Closed)
    }
}

/// A received message, holding its share of the receive budget until processed.
pub(crate) struct Incoming {
    pub frame: Frame,
    _budget: OwnedSemaphorePermit,
}

/// Starts the reader and writer tasks of a connection; returns the sender,
/// the stream of received messages (ending with the error that closed it),
/// and the tasks' handles (aborting them closes the socket).
pub(crate) fn start_io(
    peer: Arc<Peer>,
    totals: Arc<Totals>,
    magic: Magic,
    read: OwnedReadHalf,
    write: OwnedWriteHalf,
    receive_buffer: usize,
    send_buffer: usize,
) -> (Sender, mpsc::Receiver<Result<Incoming, FrameError>>, [tokio::task::JoinHandle<()>; 2]) {
    let (queue, outgoing) = mpsc::unbounded_channel();
    let sender = Sender { magic, queue, budget: Arc::new(Semaphore::new(send_buffer)), capacity: send_buffer };
    // The byte budget bounds the channel; the count only needs to exceed it for tiny messages.
    let (incoming_tx, incoming) = mpsc::channel(4096);
    let reader = tokio::spawn(read_loop(peer.clone(), totals.clone(), magic, read, incoming_tx, receive_buffer));
    let writer = tokio::spawn(write_loop(peer, totals, write, outgoing));
    (sender, incoming, [reader, writer])
}

async fn read_loop(
    peer: Arc<Peer>,
    totals: Arc<Totals>,
    magic: Magic,
    mut read: OwnedReadHalf,
    incoming: mpsc::Sender<Result<Incoming, FrameError>>,
    capacity: usize,
) {
    let budget = Arc::new(Semaphore::new(capacity));
    loop {
        let frame = match read_frame(&mut read, magic).await {
            Ok(frame) => frame,
            Err(e) => {
                let _ = incoming.send(Err(e)).await;
                return;
            }
        };
        let size = frame.bytes.len();
        totals.recv.fetch_add(size as u64, Ordering::Relaxed);
        {
            let mut stats = peer.stats_mut();
            stats.last_recv = hashvive_common::time::now();
            stats.bytes_recv += size as u64;
            *stats.bytes_recv_per_msg.entry(stats_key(&frame.command())).or_default() += size as u64;
        }
        let Ok(permit) = budget.clone().acquire_many_owned(size.clamp(1, capacity) as u32).await else { return };
        if incoming.send(Ok(Incoming { frame, _budget: permit })).await.is_err() {
            return;
        }
    }
}

async fn write_loop(
    peer: Arc<Peer>,
    totals: Arc<Totals>,
    mut write: OwnedWriteHalf,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
) {
    while let Some(message) = outgoing.recv().await {
        if write.write_all(&message.bytes).await.is_err() {
            return;
        }
        let size = message.bytes.len() as u64;
        totals.sent.fetch_add(size, Ordering::Relaxed);
        let mut stats = peer.stats_mut();
        stats.last_send = hashvive_common::time::now();
        stats.bytes_sent += size;
        *stats.bytes_sent_per_msg.entry(stats_key(&message.command)).or_default() += size;
    }
}
