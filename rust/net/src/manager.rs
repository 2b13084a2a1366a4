//! The connection manager: listeners, outbound connections to `-connect`,
//! `-addnode` and `addnode` targets (reconnected as the reference does),
//! the table of peers, and what peers coordinate through (blocks and
//! transactions requested, recently refused transactions).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bitcoin::hashes::Hash;
use bitcoin::p2p::ServiceFlags;
use bitcoin::BlockHash;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use hashvive_chain::Chainstate;
use hashvive_common::hostport::split_host_port;
use hashvive_common::version::CLIENT_NAME;

use crate::addrman::{AddrInfo, AddrMan, MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND};
use crate::banman::{Ban, BanMan, Subnet};
use crate::config::NetConfig;
use crate::conn::{ConnectionType, Peer, PeerStats, Totals};
use crate::eviction::{select_to_evict, Candidate};
use crate::known::RecentSet;
use crate::orphanage::Orphanage;
use crate::permissions::Permissions;
use crate::protocol::{
    local_services, poisson_delay, ADDED_NODE_POLL, ADDED_NODE_RETRY, BLOCK_STALLING_TIMEOUT,
    BLOCK_STALLING_TIMEOUT_MAX, FEELER_INTERVAL, GETDATA_TX_INTERVAL, MAX_ADDNODE_CONNECTIONS,
    MAX_BLOCK_RELAY_ONLY_CONNECTIONS, MAX_OUTBOUND_FULL_RELAY_CONNECTIONS,
};
use crate::socks5::Destination;

/// How long a misbehaving peer's address is refused when inbound slots run short.
const DISCOURAGEMENT_TIME: Duration = Duration::from_secs(24 * 60 * 60);
/// Transactions refused recently, not asked for again until the tip moves.
const RECENT_REJECTS_SIZE: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("Unable to bind to {0} on this computer. {CLIENT_NAME} is probably already running.")]
    InUse(SocketAddr),
    #[error("Unable to bind to {0} on this computer (bind returned error {1})")]
    Bind(SocketAddr, std::io::Error),
    #[error("Failed to listen on any port. Use -listen=0 if you want this.")]
    NoListener,
}

/// Errors of the `addnode` family of RPCs, in the reference's words.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddNodeError {
    #[error("Error: Node already added")]
    AlreadyAdded,
    #[error("Error: Node could not be removed. It has not been added previously.")]
    NotAdded,
    #[error("Error: Node has not been added.")]
    NotFound,
}

/// One connected peer as `getpeerinfo` shows it.
#[derive(Clone, Debug)]
pub struct PeerInfo {
    pub id: u64,
    pub addr: SocketAddr,
    pub addr_bind: SocketAddr,
    pub conn_type: ConnectionType,
    pub permissions: Vec<&'static str>,
    pub connected_at: i64,
    pub stats: PeerStats,
}

/// One `addnode` target as `getaddednodeinfo` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedNodeInfo {
    pub added_node: String,
    /// The connected peer's address and whether the connection is inbound.
    pub connection: Option<(SocketAddr, bool)>,
}

/// The networking of a node; cheap to clone.
#[derive(Clone)]
pub struct NetManager {
    shared: Arc<Shared>,
}

/// What the connection tasks share.
pub(crate) struct Shared {
    pub chain: Arc<Chainstate>,
    pub config: NetConfig,
    pub totals: Arc<Totals>,
    peers: Mutex<BTreeMap<u64, Arc<Peer>>>,
    next_id: AtomicU64,
    /// Which peer each block was requested from.
    blocks_in_flight: Mutex<HashMap<BlockHash, u64>>,
    /// Transactions requested (by the id they were announced with), and when.
    txs_in_flight: Mutex<HashMap<[u8; 32], Instant>>,
    /// Refused transactions (wtxids), for the tip they were refused at.
    recent_rejects: Mutex<(BlockHash, RecentSet)>,
    /// Peers we asked for their headers first (the reference's `nSyncStarted`).
    pub sync_started: AtomicUsize,
    added: Mutex<Vec<String>>,
    added_changed: Notify,
    active: watch::Sender<bool>,
    stopping: watch::Sender<bool>,
    discouraged: Mutex<HashMap<IpAddr, Instant>>,
    bans: BanMan,
    pub(crate) addrman: Mutex<AddrMan>,
    /// The answer to `getaddr`, and when it is drawn again (mockable seconds).
    getaddr_cache: Mutex<(i64, Vec<AddrInfo>)>,
    /// Transactions waiting for their parents.
    orphanage: Mutex<Orphanage>,
    /// Peers holding the block download window back, since when; and how
    /// long one may (the reference's adaptive stalling timeout).
    stalling: Mutex<(HashMap<u64, Instant>, Duration)>,
    /// Peers asked to announce blocks to us as compact blocks at once
    /// (BIP152 high-bandwidth), the latest last.
    high_bandwidth: Mutex<std::collections::VecDeque<u64>>,
    /// Keys network groups for eviction, so which groups are protected
    /// cannot be predicted from outside.
    group_key: std::hash::RandomState,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every table here stays consistent between statements; a panicking
    // holder cannot leave one half-updated.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl NetManager {
    /// Binds the listeners (an error ends start-up) and starts connecting.
    pub async fn start(config: NetConfig, chain: Arc<Chainstate>) -> Result<NetManager, StartError> {
        let mut listeners = Vec::new();
        for bind in &config.binds {
            match bind_listener(bind.addr) {
                Ok(listener) => {
                    tracing::info!("Bound to {}", bind.addr);
                    listeners.push((listener, bind.permissions));
                }
                Err(e) if bind.explicit => {
                    return Err(match e.kind() {
                        std::io::ErrorKind::AddrInUse => StartError::InUse(bind.addr),
                        _ => StartError::Bind(bind.addr, e),
                    })
                }
                Err(e) => tracing::info!("Unable to bind to {}: {e}", bind.addr),
            }
        }
        if listeners.is_empty() && !config.binds.is_empty() {
            return Err(StartError::NoListener);
        }
        let shared = Arc::new(Shared {
            totals: Arc::new(Totals::default()),
            peers: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(0),
            blocks_in_flight: Mutex::new(HashMap::new()),
            txs_in_flight: Mutex::new(HashMap::new()),
            recent_rejects: Mutex::new((BlockHash::all_zeros(), RecentSet::new(RECENT_REJECTS_SIZE))),
            sync_started: AtomicUsize::new(0),
            added: Mutex::new(Vec::new()),
            added_changed: Notify::new(),
            active: watch::Sender::new(config.network_active),
            stopping: watch::Sender::new(false),
            discouraged: Mutex::new(HashMap::new()),
            bans: BanMan::load(config.ban_file.clone()),
            addrman: Mutex::new(match &config.peers_file {
                Some(file) => AddrMan::load(file, config.magic),
                None => AddrMan::default(),
            }),
            getaddr_cache: Mutex::new((i64::MIN, Vec::new())),
            group_key: std::hash::RandomState::new(),
            orphanage: Mutex::new(Orphanage::default()),
            stalling: Mutex::new((HashMap::new(), BLOCK_STALLING_TIMEOUT)),
            high_bandwidth: Mutex::default(),
            tasks: Mutex::new(Vec::new()),
            chain,
            config,
        });
        for target in shared.config.addnode.clone() {
            // Duplicates on the command line are harmless.
            let _ = shared.add_node(&target);
        }
        let mut tasks = Vec::new();
        for (listener, permissions) in listeners {
            tasks.push(tokio::spawn(accept_loop(shared.clone(), listener, permissions)));
        }
        tasks.push(tokio::spawn(added_nodes_loop(shared.clone())));
        tasks.push(tokio::spawn(dump_addresses_loop(shared.clone())));
        if shared.config.automatic_connections {
            for seed in shared.config.seednodes.clone() {
                let shared = shared.clone();
                tasks.push(tokio::spawn(async move { shared.connect_as(&seed, ConnectionType::AddrFetch).await }));
            }
            tasks.push(tokio::spawn(open_connections_loop(shared.clone())));
        }
        lock(&shared.tasks).extend(tasks);
        Ok(NetManager { shared })
    }

    /// Closes every connection and stops listening and connecting.
    pub async fn stop(&self) {
        self.shared.stopping.send_replace(true);
        let peers: Vec<Arc<Peer>> = lock(&self.shared.peers).values().cloned().collect();
        for peer in peers {
            peer.request_disconnect();
        }
        let tasks = std::mem::take(&mut *lock(&self.shared.tasks));
        for task in tasks {
            task.abort();
            let _ = task.await;
        }
        // Connection tasks end on their own once asked; wait a little for them.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !lock(&self.shared.peers).is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.shared.dump_addresses();
    }

    pub fn peer_info(&self) -> Vec<PeerInfo> {
        let peers: Vec<Arc<Peer>> = lock(&self.shared.peers).values().cloned().collect();
        peers
            .iter()
            .map(|p| PeerInfo {
                id: p.id,
                addr: p.addr,
                addr_bind: p.addr_bind,
                conn_type: p.conn_type,
                permissions: p.permissions.names(),
                connected_at: p.connected_at,
                stats: p.stats(),
            })
            .collect()
    }

    /// (inbound, outbound) connections.
    pub fn connection_counts(&self) -> (usize, usize) {
        let peers = lock(&self.shared.peers);
        let inbound = peers.values().filter(|p| p.inbound()).count();
        (inbound, peers.len() - inbound)
    }

    /// (bytes received, bytes sent) since start.
    pub fn totals(&self) -> (u64, u64) {
        (self.shared.totals.recv.load(Ordering::Relaxed), self.shared.totals.sent.load(Ordering::Relaxed))
    }

    /// Whether transactions are relayed (not `-blocksonly`).
    pub fn relays_txs(&self) -> bool {
        self.shared.config.relay_txs
    }

    pub fn local_services(&self) -> ServiceFlags {
        local_services(self.shared.config.pruned)
    }

    /// `addnode <node> add`: keep a connection to it.
    pub fn add_node(&self, node: &str) -> Result<(), AddNodeError> {
        self.shared.add_node(node)
    }

    /// `addnode <node> remove`: stop reconnecting (an open connection stays).
    pub fn remove_node(&self, node: &str) -> Result<(), AddNodeError> {
        let mut added = lock(&self.shared.added);
        let before = added.len();
        added.retain(|a| a != node);
        if added.len() == before {
            return Err(AddNodeError::NotAdded);
        }
        Ok(())
    }

    /// `addnode <node> onetry`: connect once, unless already connected.
    pub fn try_connect(&self, node: &str) {
        let shared = self.shared.clone();
        let node = node.to_string();
        tokio::spawn(async move { shared.connect(&node).await });
    }

    /// `getaddednodeinfo`: every added node, or the one named.
    pub fn added_node_info(&self, node: Option<&str>) -> Result<Vec<AddedNodeInfo>, AddNodeError> {
        let added = lock(&self.shared.added).clone();
        let selected: Vec<String> = match node {
            Some(n) => vec![added.into_iter().find(|a| a == n).ok_or(AddNodeError::NotFound)?],
            None => added,
        };
        Ok(selected
            .into_iter()
            .map(|a| {
                let connection = self.shared.find_peer(&a).map(|p| (p.addr, p.inbound()));
                AddedNodeInfo { added_node: a, connection }
            })
            .collect())
    }

    /// `disconnectnode` by address (as connected to or as named); whether one was found.
    pub fn disconnect_address(&self, address: &str) -> bool {
        let peers: Vec<Arc<Peer>> = lock(&self.shared.peers).values().cloned().collect();
        let target = parse_socket_addr(address);
        let matching: Vec<_> =
            peers.iter().filter(|p| p.addr_name == address || Some(p.addr) == target).cloned().collect();
        matching.iter().for_each(|p| p.request_disconnect());
        !matching.is_empty()
    }

    /// `disconnectnode` by id; whether it was connected.
    pub fn disconnect_id(&self, id: u64) -> bool {
        let peer = lock(&self.shared.peers).get(&id).cloned();
        peer.map(|p| p.request_disconnect()).is_some()
    }

    /// `setnetworkactive`: off closes every connection and refuses new ones.
    pub fn set_network_active(&self, active: bool) {
        let changed = self.shared.active.send_replace(active) != active;
        if changed {
            tracing::info!("SetNetworkActive: {active}");
        }
        if !active {
            for peer in lock(&self.shared.peers).values() {
                peer.request_disconnect();
            }
        } else {
            self.shared.added_changed.notify_one();
        }
    }

    pub fn network_active(&self) -> bool {
        *self.shared.active.borrow()
    }

    /// `setban … add`: bans `subnet` until `until` (seconds since the epoch)
    /// and disconnects the peers in it; `false` when it is banned already.
    pub fn ban(&self, subnet: Subnet, until: i64) -> bool {
        if !self.shared.bans.ban(subnet, until, hashvive_common::time::now()) {
            return false;
        }
        for peer in lock(&self.shared.peers).values().filter(|p| subnet.contains(&p.addr.ip())) {
            tracing::info!("Disconnecting banned peer={} {}", peer.id, peer.addr);
            peer.request_disconnect();
        }
        true
    }

    /// `setban … remove`: whether `subnet` was banned.
    pub fn unban(&self, subnet: &Subnet) -> bool {
        self.shared.bans.unban(subnet)
    }

    /// `listbanned`: the bans in force.
    pub fn banned(&self) -> Vec<(Subnet, Ban)> {
        self.shared.bans.list(hashvive_common::time::now())
    }

    /// `clearbanned`
    pub fn clear_banned(&self) {
        self.shared.bans.clear();
    }

    /// `-bantime`: how long a ban lasts unless told otherwise.
    pub fn default_ban_time(&self) -> Duration {
        self.shared.config.ban_time
    }

    /// `addpeeraddress`: learns an address as if a peer had told us of it,
    /// and marks it tried if asked; the reference's error names otherwise.
    pub fn add_peer_address(&self, addr: SocketAddr, tried: bool) -> Result<(), &'static str> {
        let now = hashvive_common::time::now();
        let mut table = lock(&self.shared.addrman);
        // As if the peer announced itself, now, as a full segwit node.
        let services = (ServiceFlags::NETWORK | ServiceFlags::WITNESS).to_u64();
        if !table.add(addr, services, now, &addr.ip()) {
            return Err("failed-adding-to-new");
        }
        if tried && !table.good(addr, now) {
            return Err("failed-adding-to-tried");
        }
        Ok(())
    }

    /// `getnodeaddresses`: up to `count` known addresses (0: all), of
    /// `network` if given, in random order.
    pub fn node_addresses(&self, count: usize, network: Option<&str>) -> Vec<AddrInfo> {
        lock(&self.shared.addrman).get_addr(count, 0, network, hashvive_common::time::now())
    }

    /// Whether this is a regtest node (test-only RPCs refuse other chains).
    pub fn is_regtest(&self) -> bool {
        self.shared.config.magic == bitcoin::p2p::Magic::REGTEST
    }

    /// `addconnection` (tests only): dials `address` for a connection of
    /// `conn_type`; `false` when that type has no free slot.
    pub fn add_connection(&self, address: &str, conn_type: ConnectionType) -> bool {
        let limit = match conn_type {
            ConnectionType::OutboundFullRelay => Some(MAX_OUTBOUND_FULL_RELAY_CONNECTIONS),
            ConnectionType::BlockRelay => Some(MAX_BLOCK_RELAY_ONLY_CONNECTIONS),
            // Short-lived, and -seednode has no limit either.
            ConnectionType::AddrFetch | ConnectionType::Feeler => None,
            ConnectionType::Inbound | ConnectionType::Manual => return false,
        };
        if limit.is_some_and(|l| self.shared.count_of(conn_type) >= l) {
            return false;
        }
        let shared = self.shared.clone();
        let address = address.to_string();
        tokio::spawn(async move { shared.connect_as(&address, conn_type).await });
        true
    }

    /// `ping`: every peer gets a ping at once.
    pub fn ping_all(&self) {
        for peer in lock(&self.shared.peers).values() {
            peer.ping_requested.notify_one();
        }
    }
}

fn bind_listener(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // `::` would also take IPv4 connections and collide with `0.0.0.0`.
    if addr.is_ipv6() {
        set_only_v6(&socket)?;
    }
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(128)
}

/// Sets `IPV6_V6ONLY` through the raw descriptor (tokio does not expose it).
fn set_only_v6(socket: &tokio::net::TcpSocket) -> std::io::Result<()> {
    use std::os::fd::AsFd;
    nix::sys::socket::setsockopt(&socket.as_fd(), nix::sys::socket::sockopt::Ipv6V6Only, &true)
        .map_err(std::io::Error::from)
}

fn parse_socket_addr(s: &str) -> Option<SocketAddr> {
    let (host, port) = split_host_port(s)?;
    Some(SocketAddr::new(host.parse().ok()?, port?))
}

impl Shared {
    fn add_node(&self, node: &str) -> Result<(), AddNodeError> {
        let mut added = lock(&self.added);
        if added.iter().any(|a| a == node) {
            return Err(AddNodeError::AlreadyAdded);
        }
        added.push(node.to_string());
        drop(added);
        self.added_changed.notify_one();
        Ok(())
    }

    fn stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    pub fn network_active(&self) -> bool {
        *self.active.borrow()
    }

    /// A connected peer dialled as `name` or at the address `name` gives.
    fn find_peer(&self, name: &str) -> Option<Arc<Peer>> {
        let target =
            parse_socket_addr(name).or_else(|| parse_socket_addr(&format!("{name}:{}", self.config.default_port)));
        lock(&self.peers).values().find(|p| p.addr_name == name || Some(p.addr) == target).cloned()
    }

    fn outbound_count(&self) -> usize {
        lock(&self.peers).values().filter(|p| !p.inbound()).count()
    }

    fn count_of(&self, conn_type: ConnectionType) -> usize {
        lock(&self.peers).values().filter(|p| p.conn_type == conn_type).count()
    }

    pub fn has_outbound(&self) -> bool {
        self.outbound_count() > 0
    }

    /// Whether `nonce` is one we sent to a peer: a connection to ourselves.
    pub fn is_local_nonce(&self, nonce: u64) -> bool {
        lock(&self.peers).values().any(|p| !p.inbound() && p.local_nonce == nonce)
    }

    /// Resolves and dials `name` (`host[:port]`) as a manual connection,
    /// unless already connected.
    async fn connect(self: &Arc<Self>, name: &str) {
        self.connect_as(name, ConnectionType::Manual).await
    }

    /// Resolves and dials `name` for a connection of `conn_type`.
    async fn connect_as(self: &Arc<Self>, name: &str, conn_type: ConnectionType) {
        if !self.network_active() || self.stopping() || self.find_peer(name).is_some() {
            return;
        }
        let Some((host, port)) = split_host_port(name) else {
            tracing::debug!(target: "net", "Cannot parse peer address {name}");
            return;
        };
        let port = port.unwrap_or(self.config.default_port);
        if let Some(proxy) = &self.config.proxy {
            // The proxy resolves names: none is looked up here.
            let ip = host.parse::<IpAddr>().ok();
            let destination = match ip {
                Some(ip) => Destination::Ip(SocketAddr::new(ip, port)),
                None => Destination::Name(host, port),
            };
            tracing::debug!(target: "net", "trying v1 connection {name} through proxy {}", proxy.addr);
            match tokio::time::timeout(self.config.connect_timeout, proxy.connect(destination)).await {
                Ok(Ok(stream)) => {
                    // A name stays unresolved: the peer is known by it alone.
                    let addr = SocketAddr::new(ip.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)), port);
                    let permissions = match (conn_type, ip) {
                        (ConnectionType::Manual, Some(ip)) => self.whitelisted(&ip, false),
                        _ => Permissions::default(),
                    };
                    self.spawn_peer(stream, addr, name.to_string(), conn_type, permissions);
                }
                Ok(Err(e)) => tracing::debug!(target: "net", "connection to {name} through the proxy failed: {e}"),
                Err(_) => tracing::debug!(target: "net", "connection to {name} through the proxy timed out"),
            }
            return;
        }
        let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) if self.config.dns => match tokio::net::lookup_host((host, port)).await {
                Ok(found) => found.collect(),
                Err(e) => {
                    tracing::debug!(target: "net", "Cannot resolve {name}: {e}");
                    return;
                }
            },
            Err(_) => return,
        };
        for addr in addrs {
            tracing::debug!(target: "net", "trying v1 connection {name} lastseen=0.0hrs");
            match tokio::time::timeout(self.config.connect_timeout, TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => {
                    // Whitelisted "out" entries apply to manual connections only.
                    let permissions = match conn_type {
                        ConnectionType::Manual => self.whitelisted(&addr.ip(), false),
                        _ => Permissions::default(),
                    };
                    self.spawn_peer(stream, addr, name.to_string(), conn_type, permissions);
                    return;
                }
                Ok(Err(e)) => tracing::debug!(target: "net", "connection to {addr} failed: {e}"),
                Err(_) => tracing::debug!(target: "net", "connection to {addr} timed out"),
            }
        }
    }

    fn spawn_peer(
        self: &Arc<Self>,
        stream: TcpStream,
        addr: SocketAddr,
        name: String,
        conn_type: ConnectionType,
        permissions: Permissions,
    ) {
        let Ok(local) = stream.local_addr() else { return };
        // Latency matters more than packet count for small protocol messages.
        let _ = stream.set_nodelay(true);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let peer = Arc::new(Peer::new(id, addr, local, name, conn_type, permissions));
        lock(&self.peers).insert(id, peer.clone());
        match conn_type {
            ConnectionType::Inbound => tracing::debug!(target: "net", "Added connection peer={id}"),
            _ => tracing::debug!(target: "net", "Added connection to {} peer={id}", peer.addr_name),
        }
        let shared = self.clone();
        tokio::spawn(async move {
            crate::processing::run(shared.clone(), peer, stream).await;
            shared.forget_peer(id);
        });
    }

    fn forget_peer(&self, id: u64) {
        lock(&self.peers).remove(&id);
        lock(&self.orphanage).forget_peer(id);
        lock(&self.stalling).0.remove(&id);
        lock(&self.high_bandwidth).retain(|p| *p != id);
        lock(&self.blocks_in_flight).retain(|_, p| *p != id);
        tracing::debug!(target: "net", "Cleared nodestate for peer={id}");
    }

    /// The permissions `-whitelist` grants `ip`, for an inbound connection
    /// or a manual outbound one.
    pub(crate) fn whitelisted(&self, ip: &IpAddr, inbound: bool) -> Permissions {
        self.config
            .whitelist
            .iter()
            .filter(|w| if inbound { w.directions.inbound } else { w.directions.outbound })
            .filter(|w| w.subnet.contains(ip))
            .fold(Permissions::default(), |all, w| all.union(w.permissions))
    }

    /// What `getaddr` is answered with: one sample of the table, drawn again
    /// every 21 to 27 hours (the reference's response cache), so asking
    /// many times teaches no more than asking once.
    pub(crate) fn cached_getaddr_answer(&self) -> Vec<AddrInfo> {
        let now = hashvive_common::time::now();
        let mut cache = lock(&self.getaddr_cache);
        if now >= cache.0 {
            let sample = lock(&self.addrman).get_addr(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, None, now);
            let mut spread = [0u8; 8];
            let _ = getrandom::getrandom(&mut spread);
            let lifetime = 21 * 60 * 60 + (u64::from_le_bytes(spread) % (6 * 60 * 60)) as i64;
            *cache = (now + lifetime, sample);
        }
        cache.1.clone()
    }

    /// Writes the address table to `peers.dat`.
    pub(crate) fn dump_addresses(&self) {
        let mut table = lock(&self.addrman);
        table.forget_stale(hashvive_common::time::now());
        if let Some(file) = &self.config.peers_file {
            table.save(file, self.config.magic);
        }
    }

    /// Passes `addrs` on to up to two other peers that relay addresses
    /// (the reference's `RelayAddress`), on their own schedules.
    pub(crate) fn relay_addresses(&self, from: u64, addrs: &[AddrInfo]) {
        let mut candidates: Vec<Arc<Peer>> =
            lock(&self.peers).values().filter(|p| p.id != from && p.stats().addr_relay_enabled).cloned().collect();
        crate::addrman::shuffle(&mut candidates);
        for peer in candidates.iter().take(2) {
            let mut queue = lock(&peer.addrs_to_send);
            for addr in addrs {
                // Bounded as the reference bounds it: past the limit a new
                // address takes a random place.
                if queue.len() < MAX_ADDR_TO_SEND {
                    queue.push(addr.clone());
                } else {
                    let mut index = [0u8; 8];
                    let _ = getrandom::getrandom(&mut index);
                    let at = (u64::from_le_bytes(index) % queue.len() as u64) as usize;
                    queue[at] = addr.clone();
                }
            }
        }
    }

    /// The inbound peer to make room for a new one (see `eviction`): never
    /// one with the `noban` permission.
    fn select_eviction(&self) -> Option<Arc<Peer>> {
        use std::hash::BuildHasher;
        let desirable = (ServiceFlags::NETWORK | ServiceFlags::WITNESS).to_u64();
        let peers: Vec<Arc<Peer>> = lock(&self.peers)
            .values()
            .filter(|p| p.inbound() && !p.disconnecting() && !p.permissions.has(Permissions::NO_BAN))
            .cloned()
            .collect();
        let candidates = peers
            .iter()
            .map(|p| {
                let stats = p.stats();
                let ip = p.addr.ip();
                Candidate {
                    id: p.id,
                    connected: p.connected_instant.elapsed(),
                    min_ping: stats.min_ping.map(Duration::from_secs_f64),
                    last_block: stats.last_block,
                    last_tx: stats.last_transaction,
                    relevant_services: stats.services & desirable == desirable,
                    relay_txs: stats.relay_txs,
                    keyed_group: self.group_key.hash_one(crate::addrman::group(&ip)),
                    is_local: ip.is_loopback(),
                    prefer_evict: self.is_discouraged(&ip),
                }
            })
            .collect();
        let id = select_to_evict(candidates)?;
        peers.into_iter().find(|p| p.id == id)
    }

    /// Makes `peer`, which just gave us a new block first, one of the peers
    /// that announce compact blocks to us at once, displacing the longest
    /// serving if there are too many (it hears of that on its next tick).
    /// Whether it was not one already.
    pub fn promote_high_bandwidth(&self, peer: u64) -> bool {
        let mut chosen = lock(&self.high_bandwidth);
        let new = !chosen.contains(&peer);
        chosen.retain(|p| *p != peer);
        chosen.push_back(peer);
        while chosen.len() > crate::compact::MAX_HIGH_BANDWIDTH_PEERS {
            chosen.pop_front();
        }
        new
    }

    pub fn is_high_bandwidth(&self, peer: u64) -> bool {
        lock(&self.high_bandwidth).contains(&peer)
    }

    /// Records a misbehaving address; refused later when inbound slots run short.
    pub fn discourage(&self, ip: IpAddr) {
        lock(&self.discouraged).insert(ip, Instant::now() + DISCOURAGEMENT_TIME);
    }

    fn is_discouraged(&self, ip: &IpAddr) -> bool {
        let mut discouraged = lock(&self.discouraged);
        let now = Instant::now();
        discouraged.retain(|_, until| *until > now);
        discouraged.contains_key(ip)
    }

    /// Claims blocks for `peer`; returns those nobody else is fetching.
    pub fn claim_blocks(&self, peer: u64, blocks: Vec<(BlockHash, u32)>) -> Vec<(BlockHash, u32)> {
        let mut in_flight = lock(&self.blocks_in_flight);
        blocks.into_iter().filter(|(h, _)| in_flight.try_insert_compat(*h, peer)).collect()
    }

    /// The peer a block was requested from.
    pub fn block_requested_from(&self, hash: &BlockHash) -> Option<u64> {
        lock(&self.blocks_in_flight).get(hash).copied()
    }

    /// Marks `peer` as holding the download window back, from now unless
    /// it already was.
    pub fn mark_stalling(&self, peer: u64) {
        lock(&self.stalling).0.entry(peer).or_insert_with(Instant::now);
    }

    /// `peer` delivered a block: it is not stalling (any more).
    pub fn clear_stalling(&self, peer: u64) {
        lock(&self.stalling).0.remove(&peer);
    }

    /// Whether `peer` has held the window back too long; if so the next
    /// staller gets twice as long (up to 64 s), as in the reference.
    pub fn stalled_too_long(&self, peer: u64, now: Instant) -> Option<Duration> {
        let mut stalling = lock(&self.stalling);
        let timeout = stalling.1;
        let since = *stalling.0.get(&peer)?;
        if now.duration_since(since) <= timeout {
            return None;
        }
        stalling.0.remove(&peer);
        stalling.1 = (timeout * 2).min(BLOCK_STALLING_TIMEOUT_MAX);
        Some(timeout)
    }

    /// A new block connected: the stalling timeout eases back towards 2 s.
    pub fn ease_stalling_timeout(&self) {
        let mut stalling = lock(&self.stalling);
        stalling.1 = stalling.1.mul_f64(0.85).max(BLOCK_STALLING_TIMEOUT);
    }

    pub fn block_in_flight(&self, hash: &BlockHash) -> bool {
        lock(&self.blocks_in_flight).contains_key(hash)
    }

    pub fn release_block(&self, hash: &BlockHash, peer: u64) {
        let mut in_flight = lock(&self.blocks_in_flight);
        if in_flight.get(hash) == Some(&peer) {
            in_flight.remove(hash);
        }
    }

    /// Keeps an orphan from `peer`; `false` when not kept.
    pub fn add_orphan(&self, tx: Arc<bitcoin::Transaction>, peer: u64) -> bool {
        lock(&self.orphanage).add(tx, peer, Instant::now())
    }

    pub fn has_orphan(&self, wtxid: &bitcoin::Wtxid) -> bool {
        lock(&self.orphanage).contains(wtxid)
    }

    pub fn remove_orphan(&self, wtxid: &bitcoin::Wtxid) {
        lock(&self.orphanage).remove(wtxid);
    }

    /// The orphans spending an output of `parent`.
    pub fn orphans_of(&self, parent: &bitcoin::Transaction) -> Vec<Arc<bitcoin::Transaction>> {
        lock(&self.orphanage).children_of(parent).into_iter().map(|(tx, _)| tx).collect()
    }

    pub fn forget_orphans_for_block(&self, block: &bitcoin::Block) {
        lock(&self.orphanage).forget_for_block(block);
    }

    /// Claims a transaction request; false if another peer was asked recently.
    pub fn claim_tx(&self, id: [u8; 32]) -> bool {
        let mut in_flight = lock(&self.txs_in_flight);
        let now = Instant::now();
        in_flight.retain(|_, at| now.duration_since(*at) < GETDATA_TX_INTERVAL);
        in_flight.try_insert_compat(id, now)
    }

    pub fn release_tx(&self, id: &[u8; 32]) {
        lock(&self.txs_in_flight).remove(id);
    }

    /// Whether the transaction was refused since the tip last moved.
    pub fn recently_rejected(&self, wtxid: &[u8; 32], tip: BlockHash) -> bool {
        let mut rejects = lock(&self.recent_rejects);
        if rejects.0 != tip {
            *rejects = (tip, RecentSet::new(RECENT_REJECTS_SIZE));
        }
        rejects.1.contains(wtxid)
    }

    pub fn add_reject(&self, wtxid: [u8; 32], tip: BlockHash) {
        let mut rejects = lock(&self.recent_rejects);
        if rejects.0 != tip {
            *rejects = (tip, RecentSet::new(RECENT_REJECTS_SIZE));
        }
        rejects.1.insert(wtxid);
    }
}

/// `HashMap::try_insert` is unstable; this inserts only a missing key and says whether it did.
trait TryInsertCompat<K, V> {
    fn try_insert_compat(&mut self, key: K, value: V) -> bool;
}

impl<K: std::hash::Hash + Eq, V> TryInsertCompat<K, V> for HashMap<K, V> {
    fn try_insert_compat(&mut self, key: K, value: V) -> bool {
        match self.entry(key) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(value);
                true
            }
        }
    }
}

/// How long an address tried automatically is left alone before the next try.
const RETRY_AFTER: Duration = Duration::from_secs(10 * 60);

/// Fills the automatic outbound slots from the address table (the
/// reference's `ThreadOpenConnections`): full-relay ones first, then
/// block-relay-only ones; one address per network group, nothing banned or
/// connected already, each address tried at most every ten minutes.
async fn open_connections_loop(shared: Arc<Shared>) {
    let mut stopping = shared.stopping.subscribe();
    let mut attempted: HashMap<SocketAddr, Instant> = HashMap::new();
    let mut next_feeler = Instant::now() + poisson_delay(FEELER_INTERVAL);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            // Only ever set to true.
            _ = stopping.changed() => return,
        }
        if !shared.network_active() {
            continue;
        }
        let feeler_due = Instant::now() >= next_feeler;
        let Some(conn_type) = slot_to_fill(
            shared.count_of(ConnectionType::OutboundFullRelay),
            shared.count_of(ConnectionType::BlockRelay),
            feeler_due,
        ) else {
            continue;
        };
        if conn_type == ConnectionType::Feeler {
            next_feeler = Instant::now() + poisson_delay(FEELER_INTERVAL);
        }
        let now = hashvive_common::time::now();
        attempted.retain(|_, at| at.elapsed() < RETRY_AFTER);
        let connected_groups: Vec<u64> = lock(&shared.peers)
            .values()
            .filter(|p| !p.inbound())
            .map(|p| crate::addrman::group(&p.addr.ip()))
            .collect();
        let known = lock(&shared.addrman).get_addr(0, 0, None, now);
        let reachable = |ip: &IpAddr| match ip {
            IpAddr::V4(_) => shared.config.reachable_ipv4,
            IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some() => shared.config.reachable_ipv4,
            IpAddr::V6(_) => shared.config.reachable_ipv6,
        };
        let candidate = known.into_iter().find(|a| {
            // A feeler tries an address never connected to, to learn whether it works.
            (conn_type != ConnectionType::Feeler || !a.tried)
                && reachable(&a.addr.ip())
                && !attempted.contains_key(&a.addr)
                && !connected_groups.contains(&crate::addrman::group(&a.addr.ip()))
                && !shared.bans.is_banned(&a.addr.ip(), now)
                && shared.find_peer(&a.addr.to_string()).is_none()
        });
        let Some(candidate) = candidate else { continue };
        attempted.insert(candidate.addr, Instant::now());
        shared.connect_as(&candidate.addr.to_string(), conn_type).await;
    }
}

/// The automatic connection to make next: full-relay slots first, then
/// block-relay-only ones; once both are full, a feeler when one is due.
fn slot_to_fill(full_relay: usize, block_relay: usize, feeler_due: bool) -> Option<ConnectionType> {
    if full_relay < MAX_OUTBOUND_FULL_RELAY_CONNECTIONS {
        Some(ConnectionType::OutboundFullRelay)
    } else if block_relay < MAX_BLOCK_RELAY_ONLY_CONNECTIONS {
        Some(ConnectionType::BlockRelay)
    } else {
        feeler_due.then_some(ConnectionType::Feeler)
    }
}

/// How often known addresses are written to `peers.dat` (and at shutdown).
const DUMP_ADDRESSES_INTERVAL: Duration = Duration::from_secs(15 * 60);

async fn dump_addresses_loop(shared: Arc<Shared>) {
    loop {
        tokio::time::sleep(DUMP_ADDRESSES_INTERVAL).await;
        shared.dump_addresses();
    }
}

async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, listener_permissions: Permissions) {
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors and the like: wait rather than spin.
                tracing::warn!("socket error accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if !shared.network_active() {
            tracing::debug!(target: "net", "connection from {addr} dropped: not accepting new connections");
            continue;
        }
        let permissions = listener_permissions.union(shared.whitelisted(&addr.ip(), true));
        let trusted = permissions.has(Permissions::NO_BAN);
        if !trusted && shared.bans.is_banned(&addr.ip(), hashvive_common::time::now()) {
            tracing::debug!(target: "net", "connection from {addr} dropped (banned)");
            continue;
        }
        let inbound = lock(&shared.peers).values().filter(|p| p.inbound() && !p.disconnecting()).count();
        if inbound >= shared.config.max_inbound {
            match shared.select_eviction() {
                Some(peer) => {
                    tracing::debug!(target: "net", "selected peer={} for eviction", peer.id);
                    peer.request_disconnect();
                }
                None => {
                    tracing::debug!(target: "net", "failed to find an eviction candidate - connection from {addr} dropped (full)");
                    continue;
                }
            }
        }
        // As the reference: discouraged addresses only get a slot when plenty are free.
        if !trusted && inbound + 1 >= shared.config.max_inbound && shared.is_discouraged(&addr.ip()) {
            tracing::debug!(target: "net", "connection from {addr} dropped (discouraged)");
            continue;
        }
        shared.spawn_peer(stream, addr, addr.to_string(), ConnectionType::Inbound, permissions);
    }
}

/// Keeps `-connect` or the added nodes connected: tries each one missing,
/// then waits a minute after a pass that tried something, two seconds
/// otherwise (or until a node is added).
async fn added_nodes_loop(shared: Arc<Shared>) {
    let mut stopping = shared.stopping.subscribe();
    loop {
        let mut tried = false;
        if shared.network_active() {
            let targets = if shared.config.connect.is_empty() {
                lock(&shared.added).clone()
            } else {
                shared.config.connect.clone()
            };
            for target in targets {
                if shared.count_of(ConnectionType::Manual) >= MAX_ADDNODE_CONNECTIONS {
                    break;
                }
                if shared.find_peer(&target).is_none() {
                    tried = true;
                    shared.connect(&target).await;
                }
            }
        }
        let wait = if tried { ADDED_NODE_RETRY } else { ADDED_NODE_POLL };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shared.added_changed.notified() => {}
            // Only ever set to true.
            _ = stopping.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feelers_go_out_only_once_the_outbound_slots_are_full_and_one_is_due() {
        let (full, block) = (MAX_OUTBOUND_FULL_RELAY_CONNECTIONS, MAX_BLOCK_RELAY_ONLY_CONNECTIONS);
        assert_eq!(slot_to_fill(0, 0, true), Some(ConnectionType::OutboundFullRelay));
        assert_eq!(slot_to_fill(full, 0, true), Some(ConnectionType::BlockRelay));
        assert_eq!(slot_to_fill(full, block, false), None);
        assert_eq!(slot_to_fill(full, block, true), Some(ConnectionType::Feeler));
    }
}
