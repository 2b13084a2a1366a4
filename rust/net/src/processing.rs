//! One peer's protocol: the version handshake in the reference's order,
//! pings, headers-first sync and block download, serving headers, blocks
//! and transactions, and relaying what the node learns.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::bip152::{BlockTransactions, BlockTransactionsRequest, HeaderAndShortIds};
use bitcoin::consensus::encode;
use bitcoin::hashes::Hash;
use bitcoin::p2p::address::{AddrV2, AddrV2Message, Address};
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::{GetHeadersMessage, Inventory};
use bitcoin::p2p::message_compact_blocks::{BlockTxn, CmpctBlock, GetBlockTxn, SendCmpct};
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::ServiceFlags;
use bitcoin::{Block, BlockHash, Transaction, Witness};
use tokio::net::TcpStream;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use hashvive_chain::{AcceptMode, Accepted, BlockOutcome, Chainstate, RejectKind, Tip};

use crate::addrman::{MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND};
use crate::compact::{
    matches_commitments, CompactError, PartialBlock, COMPACT_VERSION, MAX_BLOCKTXN_DEPTH, MAX_CMPCTBLOCK_DEPTH,
};
use crate::conn::{start_io, Closed, ConnectionType, Incoming, Peer, Sender};
use crate::known::RecentSet;
use crate::manager::Shared;
use crate::orphanage::parent_txids;
use crate::permissions::Permissions;
use crate::protocol::*;

/// Transactions a peer is known to have, remembered per peer.
const KNOWN_TXS: usize = 20_000;
/// Addresses remembered per peer as known to it (the reference's
/// `m_addr_known`): what it sent us or we sent it is not sent again.
const KNOWN_ADDRS: usize = 5_000;

/// An address as a key of the known-address set: its IPv6 (or mapped IPv4)
/// bytes and port.
fn addr_key(addr: &SocketAddr) -> [u8; 32] {
    let ip = match addr.ip() {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    let mut key = [0u8; 32];
    key[..16].copy_from_slice(&ip.octets());
    key[16..18].copy_from_slice(&addr.port().to_be_bytes());
    key
}

fn lock_addrman(shared: &Shared) -> std::sync::MutexGuard<'_, crate::addrman::AddrMan> {
    // The table stays consistent between statements; see `manager::lock`.
    shared.addrman.lock().unwrap_or_else(|e| e.into_inner())
}

/// Why processing stopped, or a peer broke a rule.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PeerError {
    /// Close the connection; the text is logged.
    #[error("{0}")]
    Disconnect(String),
    /// A protocol violation: handled as the reference's `Misbehaving`.
    #[error("{0}")]
    Misbehaving(String),
    #[error("connection closed")]
    Closed,
}

impl From<Closed> for PeerError {
    fn from(_: Closed) -> Self {
        PeerError::Closed
    }
}

type Result<T = ()> = std::result::Result<T, PeerError>;

/// Runs a connection until it closes.
pub(crate) async fn run(shared: Arc<Shared>, peer: Arc<Peer>, stream: TcpStream) {
    let Ok(()) = stream.set_nodelay(true) else { return };
    let (read, write) = stream.into_split();
    let (sender, incoming, io) = start_io(
        peer.clone(),
        shared.totals.clone(),
        shared.config.magic,
        read,
        write,
        DEFAULT_MAX_RECEIVE_BUFFER,
        DEFAULT_MAX_SEND_BUFFER,
    );
    let mut session = Session::new(shared.clone(), peer.clone(), sender);
    let result = session.run(incoming).await;
    match result {
        Err(PeerError::Disconnect(reason)) => tracing::debug!(target: "net", "{reason}"),
        Err(e) => tracing::debug!(target: "net", "{e}, disconnecting peer={}", peer.id),
        Ok(()) => {}
    }
    if session.sync_started {
        shared.sync_started.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
    for task in io {
        task.abort();
    }
}

struct Session {
    shared: Arc<Shared>,
    peer: Arc<Peer>,
    out: Sender,
    tip: watch::Receiver<Tip>,
    accepted: broadcast::Receiver<Accepted>,
    // The handshake.
    version: Option<VersionMessage>,
    common_version: u32,
    connected: bool,
    wtxid_relay: bool,
    prefers_headers: bool,
    // Pings.
    ping_nonce: u64,
    ping_start: Option<Instant>,
    ping_queued: bool,
    // Sync.
    sync_started: bool,
    last_getheaders: Option<Instant>,
    /// The most-work block the peer has told us of.
    best_known: Option<BlockHash>,
    /// The latest block we know the peer has (told us of, or we announced).
    peer_has: Option<BlockHash>,
    /// A `getheaders` the peer sent while we were in initial block download,
    /// answered once we are out of it: the peer will not ask again for a
    /// while (`HEADERS_RESPONSE_TIME`), and our `inv` announcements alone
    /// would not get it syncing from us sooner.
    unanswered_getheaders: Option<GetHeadersMessage>,
    in_flight: HashMap<BlockHash, (u32, Instant)>,
    // Compact blocks.
    /// The peer sent `sendcmpct` version 2: compact blocks go both ways.
    compact: bool,
    /// A block being rebuilt from the peer's compact block, waiting for
    /// its `blocktxn`.
    partial: Option<PartialBlock>,
    // Relay.
    known_txs: RecentSet,
    known_addrs: RecentSet,
    fee_filter: u64,
    next_feefilter: Option<Instant>,
    sent_feefilter: Option<u64>,
    // Addresses.
    /// The peer sent `sendaddrv2`: addresses go to it as `addrv2`.
    wants_addrv2: bool,
    /// How many addresses the peer may still send us (the reference's
    /// token bucket), and when it was last topped up.
    addr_tokens: f64,
    addr_tokens_at: Instant,
    /// A `getaddr` was answered already (once per connection).
    getaddr_answered: bool,
    /// When queued addresses go out next, in (mockable) seconds since the
    /// epoch, so tests can move the trickle along with `setmocktime`.
    next_addr_send: i64,
}

impl Session {
    fn new(shared: Arc<Shared>, peer: Arc<Peer>, out: Sender) -> Session {
        Session {
            tip: shared.chain.subscribe_tip(),
            accepted: shared.chain.subscribe_accepted(),
            shared,
            peer,
            out,
            version: None,
            common_version: 0,
            connected: false,
            wtxid_relay: false,
            prefers_headers: false,
            ping_nonce: 0,
            ping_start: None,
            ping_queued: false,
            sync_started: false,
            last_getheaders: None,
            best_known: None,
            peer_has: None,
            unanswered_getheaders: None,
            in_flight: HashMap::new(),
            compact: false,
            partial: None,
            known_txs: RecentSet::new(KNOWN_TXS),
            known_addrs: RecentSet::new(KNOWN_ADDRS),
            fee_filter: 0,
            next_feefilter: None,
            sent_feefilter: None,
            wants_addrv2: false,
            addr_tokens: 1.0,
            addr_tokens_at: Instant::now(),
            getaddr_answered: false,
            next_addr_send: 0,
        }
    }

    fn id(&self) -> u64 {
        self.peer.id
    }

    /// Transactions go both ways on this connection: not `-blocksonly`, and
    /// not a block-relay-only or feeler connection.
    fn relays_txs(&self) -> bool {
        self.shared.config.relay_txs && self.peer.conn_type.relays_txs()
    }

    /// The peer may send us transactions: we relay them, or (under
    /// `-blocksonly`) it has the `relay` permission.
    fn accepts_txs(&self) -> bool {
        self.peer.conn_type.relays_txs()
            && (self.shared.config.relay_txs || self.peer.permissions.has(Permissions::RELAY))
    }

    /// Runs chain work on the blocking pool: it may wait for the chain lock
    /// while a block connects, which must not stall the async workers.
    async fn chain<R: Send + 'static>(&self, f: impl FnOnce(&Chainstate) -> R + Send + 'static) -> Result<R> {
        let chain = self.shared.chain.clone();
        tokio::task::spawn_blocking(move || f(&chain))
            .await
            .map_err(|e| PeerError::Disconnect(format!("chain task failed: {e}")))
    }

    async fn send(&self, message: NetworkMessage) -> Result {
        Ok(self.out.send(message).await?)
    }

    async fn run(
        &mut self,
        mut incoming: tokio::sync::mpsc::Receiver<std::result::Result<Incoming, crate::transport::FrameError>>,
    ) -> Result {
        if !self.peer.inbound() {
            self.send_version().await?;
        }
        let mut disconnect = self.peer.disconnect.subscribe();
        if *disconnect.borrow_and_update() {
            return Err(PeerError::Disconnect(format!("disconnecting peer={}", self.id())));
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                biased;
                // Only ever set to true.
                _ = disconnect.changed() => {
                    return Err(PeerError::Disconnect(format!("disconnecting peer={}", self.id())));
                }
                message = incoming.recv() => match message {
                    None => return Err(PeerError::Closed),
                    Some(Err(e)) => return Err(PeerError::Disconnect(format!("{e}, peer={}", self.id()))),
                    Some(Ok(message)) => self.process(&message).await,
                },
                _ = self.peer.ping_requested.notified() => {
                    self.ping_queued = true;
                    self.maybe_send_ping().await
                }
                changed = self.tip.changed(), if self.connected => match changed {
                    Ok(()) => self.announce_tip().await,
                    // The chain state outlives every connection.
                    Err(_) => return Err(PeerError::Closed),
                },
                accepted = self.accepted.recv(), if self.connected => self.announce_txs(accepted).await,
                _ = tick.tick() => self.housekeeping().await,
            };
            match step {
                Ok(()) => {}
                Err(PeerError::Misbehaving(reason)) => self.misbehaving(&reason)?,
                Err(e) => return Err(e),
            }
        }
    }

    /// The reference's `Misbehaving` and `MaybeDiscourageAndDisconnect`.
    fn misbehaving(&self, reason: &str) -> Result {
        let id = self.id();
        tracing::debug!(target: "net", "Misbehaving: peer={id}: {reason}");
        if self.peer.permissions.has(Permissions::NO_BAN) {
            tracing::warn!("Warning: not punishing noban peer {id}!");
            return Ok(());
        }
        if self.peer.conn_type == ConnectionType::Manual {
            tracing::warn!("Warning: not punishing manually connected peer {id}!");
            return Ok(());
        }
        if is_local(&self.peer.addr.ip()) {
            tracing::warn!("Warning: disconnecting but not discouraging local peer {id}!");
        } else {
            tracing::info!("Disconnecting and discouraging peer {id}!");
            self.shared.discourage(self.peer.addr.ip());
        }
        Err(PeerError::Disconnect(format!("disconnecting misbehaving peer={id}")))
    }

    async fn process(&mut self, message: &Incoming) -> Result {
        let frame = &message.frame;
        let command = frame.command();
        let id = self.id();
        let decoded = match frame.decode() {
            Ok(decoded) => decoded,
            Err(encode::Error::InvalidChecksum { expected, actual }) => {
                tracing::debug!(target: "net", "Header error: Wrong checksum ({command}, {} bytes), expected {} was {}, peer={id}", frame.payload_len(), hex(&actual), hex(&expected));
                return Ok(());
            }
            Err(e) => {
                tracing::debug!(target: "net", "ProcessMessages({command}, {} bytes): Exception '{e}' caught, peer={id}", frame.payload_len());
                return Ok(());
            }
        };
        tracing::debug!(target: "net", "received: {command} ({} bytes) peer={id}", frame.payload_len());
        match decoded {
            NetworkMessage::Version(v) => return self.on_version(v).await,
            _ if self.version.is_none() => {
                tracing::debug!(target: "net", "non-version message before version handshake. Message \"{command}\" from peer={id}");
                return Ok(());
            }
            NetworkMessage::Verack => return self.on_verack().await,
            NetworkMessage::WtxidRelay | NetworkMessage::SendAddrV2 if self.connected => {
                return Err(PeerError::Disconnect(format!(
                    "{command} received after verack from peer={id}; disconnecting"
                )));
            }
            NetworkMessage::WtxidRelay => {
                if self.common_version >= WTXID_RELAY_VERSION {
                    self.wtxid_relay = true;
                }
                return Ok(());
            }
            NetworkMessage::SendAddrV2 => {
                self.wants_addrv2 = true;
                return Ok(());
            }
            _ if !self.connected => {
                tracing::debug!(target: "net", "Unsupported message \"{command}\" prior to verack from peer={id}");
                return Ok(());
            }
            NetworkMessage::Ping(nonce) => self.send(NetworkMessage::Pong(nonce)).await?,
            NetworkMessage::Pong(nonce) => self.on_pong(nonce),
            NetworkMessage::SendHeaders => self.prefers_headers = true,
            NetworkMessage::FeeFilter(rate) => {
                // Decoding refuses negative rates and rates above MAX_MONEY.
                self.fee_filter = rate as u64;
                self.peer.stats_mut().min_fee_filter = self.fee_filter;
            }
            NetworkMessage::GetHeaders(request) => self.on_getheaders(request).await?,
            NetworkMessage::Headers(headers) => self.on_headers(headers).await?,
            NetworkMessage::Inv(items) => self.on_inv(items).await?,
            NetworkMessage::GetData(items) => self.on_getdata(items).await?,
            NetworkMessage::NotFound(items) => self.on_notfound(items).await?,
            NetworkMessage::Block(block) => self.on_block(block).await?,
            NetworkMessage::Tx(tx) => self.on_tx(tx).await?,
            NetworkMessage::MemPool if self.peer.permissions.has(Permissions::MEMPOOL) => self.on_mempool().await?,
            NetworkMessage::MemPool => {
                // Served to peers with the mempool permission only (bloom filters are not offered).
                return Err(PeerError::Disconnect(format!(
                    "mempool request with bloom filters disabled, disconnect peer={id}"
                )));
            }
            NetworkMessage::Addr(list) => {
                let count = list.len();
                let entries = list
                    .iter()
                    .filter_map(|(time, a)| Some((*time, a.socket_addr().ok()?, a.services.to_u64())))
                    .collect();
                self.on_addr("addr", count, entries)?;
            }
            NetworkMessage::AddrV2(list) => {
                let count = list.len();
                // Networks other than IPv4 and IPv6 (Tor, I2P, CJDNS) are not reachable from here.
                let entries =
                    list.iter().filter_map(|m| Some((m.time, m.socket_addr().ok()?, m.services.to_u64()))).collect();
                self.on_addr("addrv2", count, entries)?;
            }
            NetworkMessage::GetAddr => self.on_getaddr().await?,
            // Other versions are ignored, as the reference does.
            NetworkMessage::SendCmpct(SendCmpct { send_compact, version }) if version == COMPACT_VERSION => {
                self.compact = true;
                self.peer.stats_mut().bip152_hb_to = send_compact;
            }
            NetworkMessage::CmpctBlock(CmpctBlock { compact_block }) => self.on_cmpctblock(compact_block).await?,
            NetworkMessage::GetBlockTxn(GetBlockTxn { txs_request }) => self.on_getblocktxn(txs_request).await?,
            NetworkMessage::BlockTxn(BlockTxn { transactions }) => self.on_blocktxn(transactions).await?,
            // Message types we do not know (or serve: bloom filters) are
            // ignored, as the reference does.
            _ => {}
        }
        self.send_messages().await
    }

    // ---- the handshake ----

    async fn send_version(&self) -> Result {
        let their_addr = if is_routable(&self.peer.addr.ip()) {
            self.peer.addr
        } else {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)
        };
        let unspecified = SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0);
        let height = self.tip.borrow().height;
        let version = VersionMessage {
            version: PROTOCOL_VERSION,
            services: local_services(self.shared.config.pruned),
            timestamp: hashvive_common::time::now(),
            receiver: Address::new(&their_addr, ServiceFlags::NONE),
            sender: Address::new(&unspecified, local_services(self.shared.config.pruned)),
            nonce: self.peer.local_nonce,
            user_agent: self.shared.config.user_agent.clone(),
            start_height: height as i32,
            relay: self.relays_txs(),
        };
        tracing::debug!(target: "net", "send version message: version {PROTOCOL_VERSION}, blocks={height}, them={their_addr}, txrelay={}, peer={}", self.relays_txs(), self.id());
        self.send(NetworkMessage::Version(version)).await
    }

    async fn on_version(&mut self, version: VersionMessage) -> Result {
        let id = self.id();
        if self.version.is_some() {
            tracing::debug!(target: "net", "redundant version message from peer={id}");
            return Ok(());
        }
        if version.version < MIN_PEER_PROTO_VERSION {
            return Err(PeerError::Disconnect(format!(
                "peer={id} using obsolete version {}; disconnecting",
                version.version
            )));
        }
        if self.peer.inbound() && self.shared.is_local_nonce(version.nonce) {
            tracing::info!("connected to self at {}, disconnecting", self.peer.addr);
            return Err(PeerError::Disconnect(format!("connected to self, peer={id}")));
        }
        let subver = sanitize_user_agent(&version.user_agent);
        {
            let mut stats = self.peer.stats_mut();
            stats.version = version.version;
            stats.subver = subver.clone();
            stats.services = version.services.to_u64();
            stats.relay_txs = version.relay;
            stats.starting_height = version.start_height;
            stats.time_offset = version.timestamp - hashvive_common::time::now();
        }
        if self.peer.inbound() {
            self.send_version().await?;
        }
        self.common_version = version.version.min(PROTOCOL_VERSION);
        tracing::debug!(target: "net", "receive version message: {subver}: version {}, blocks={}, us={}, txrelay={}, peer={id}", version.version, version.start_height, self.peer.addr_bind, version.relay);
        self.version = Some(version);
        if self.common_version >= WTXID_RELAY_VERSION {
            self.send(NetworkMessage::WtxidRelay).await?;
        }
        if self.common_version >= 70016 {
            self.send(NetworkMessage::SendAddrV2).await?;
        }
        self.send(NetworkMessage::Verack).await?;
        if !self.peer.inbound() && self.peer.conn_type.relays_addrs() {
            // The reference asks outbound peers for addresses once, relays
            // addresses with them, and lets them answer with a full list.
            self.send(NetworkMessage::GetAddr).await?;
            self.peer.stats_mut().addr_relay_enabled = true;
            self.addr_tokens += MAX_ADDR_TO_SEND as f64;
            let now = hashvive_common::time::now();
            lock_addrman(&self.shared).good(self.peer.addr, now);
        }
        Ok(())
    }

    async fn on_verack(&mut self) -> Result {
        let id = self.id();
        if self.connected {
            tracing::debug!(target: "net", "ignoring redundant verack message from peer={id}");
            return Ok(());
        }
        let (version, height) = self.version.as_ref().map_or((0, 0), |v| (v.version, v.start_height));
        tracing::info!(
            "New {} v1 peer connected: version: {version}, blocks={height}, peer={id}",
            self.peer.conn_type.name()
        );
        self.connected = true;
        self.peer.stats_mut().successfully_connected = true;
        if self.peer.conn_type == ConnectionType::Feeler {
            // The address works: into the tried table.
            lock_addrman(&self.shared).good(self.peer.addr, hashvive_common::time::now());
            return Err(PeerError::Disconnect(format!("feeler connection completed peer={id}; disconnecting")));
        }
        if self.common_version >= SENDHEADERS_VERSION {
            self.send(NetworkMessage::SendHeaders).await?;
        }
        if self.common_version >= SHORT_IDS_BLOCKS_VERSION {
            // We serve compact blocks; which peers announce with them comes later.
            let offer = SendCmpct { send_compact: false, version: COMPACT_VERSION };
            self.send(NetworkMessage::SendCmpct(offer)).await?;
        }
        // Whatever the tip is now is news to nobody; later changes are announced.
        self.tip.mark_unchanged();
        self.accepted = self.accepted.resubscribe();
        self.send_messages().await
    }

    /// What the reference's `SendMessages` does after each message: pings,
    /// starting the headers sync, the fee filter.
    async fn send_messages(&mut self) -> Result {
        if !self.connected {
            return Ok(());
        }
        self.maybe_send_ping().await?;
        self.maybe_start_sync().await?;
        // Blocks another peer gave up (or stalled on) are asked for again,
        // and stallers are spotted, even when this peer sends nothing.
        self.request_blocks().await?;
        self.maybe_send_addrs().await?;
        self.maybe_send_feefilter().await
    }

    /// `mempool` (BIP35): every mempool transaction the peer's fee filter
    /// lets through, announced as `inv`.
    async fn on_mempool(&mut self) -> Result {
        let (wtxid_relay, fee_filter) = (self.wtxid_relay, self.fee_filter);
        let items: Vec<Inventory> = self
            .chain(move |c| {
                c.with_mempool(|m| {
                    m.entries_in_order()
                        .iter()
                        .filter(|e| u128::from(e.fee.to_sat()) * 1000 >= u128::from(fee_filter) * u128::from(e.vsize))
                        .map(|e| match wtxid_relay {
                            true => Inventory::WTx(e.wtxid),
                            false => Inventory::Transaction(e.txid),
                        })
                        .collect()
                })
            })
            .await?;
        for item in &items {
            let key = match item {
                Inventory::WTx(w) => w.to_byte_array(),
                Inventory::Transaction(t) => t.to_byte_array(),
                _ => continue,
            };
            self.known_txs.insert(key);
        }
        for chunk in items.chunks(MAX_INV_SZ) {
            self.send(NetworkMessage::Inv(chunk.to_vec())).await?;
        }
        Ok(())
    }

    // ---- addresses ----

    /// `addr` or `addrv2`: at most 1000 entries; each taken in while the
    /// peer's token bucket lasts, dated two hours back, and passed on when
    /// it is a fresh announcement (the reference's `ProcessAddrs`).
    fn on_addr(&mut self, command: &str, count: usize, entries: Vec<(u32, SocketAddr, u64)>) -> Result {
        if !self.peer.conn_type.relays_addrs() {
            tracing::debug!(target: "net", "Ignoring \"{command}\" from {} connection. peer={}", self.peer.conn_type.name(), self.id());
            return Ok(());
        }
        if count > MAX_ADDR_TO_SEND {
            return Err(PeerError::Misbehaving(format!("{command} message size = {count}")));
        }
        self.peer.stats_mut().addr_relay_enabled = true;
        let now = hashvive_common::time::now();
        let elapsed = self.addr_tokens_at.elapsed().as_secs_f64();
        self.addr_tokens_at = Instant::now();
        self.addr_tokens =
            (self.addr_tokens + elapsed * MAX_ADDR_RATE_PER_SECOND).min(MAX_ADDR_PROCESSING_TOKEN_BUCKET);
        let (mut processed, mut limited) = (0u64, 0u64);
        let mut to_relay = Vec::new();
        let source = self.peer.addr.ip();
        {
            let mut table = lock_addrman(&self.shared);
            for (time, addr, services) in entries {
                self.known_addrs.insert(addr_key(&addr));
                if !self.peer.permissions.has(Permissions::ADDR) {
                    if self.addr_tokens < 1.0 {
                        limited += 1;
                        continue;
                    }
                    self.addr_tokens -= 1.0;
                }
                processed += 1;
                let mut time = i64::from(time);
                if time <= 100_000_000 || time > now + 10 * 60 {
                    time = now - 5 * 24 * 60 * 60;
                }
                if !is_routable(&addr.ip()) {
                    continue;
                }
                table.add(addr, services, time - 2 * 60 * 60, &source);
                if count <= 10 && time > now - 10 * 60 {
                    to_relay.push(crate::addrman::AddrInfo::announced(addr, services, time));
                }
            }
        }
        {
            let mut stats = self.peer.stats_mut();
            stats.addr_processed += processed;
            stats.addr_rate_limited += limited;
        }
        if !to_relay.is_empty() {
            self.shared.relay_addresses(self.id(), &to_relay);
        }
        // An address fetch is done once a list came.
        if self.peer.conn_type == ConnectionType::AddrFetch && count > 1 {
            return Err(PeerError::Disconnect(format!("addr-fetch connection done, peer={}", self.id())));
        }
        Ok(())
    }

    /// `getaddr`: answered once, to inbound peers only (the reference's
    /// defence against address-table fingerprinting by connections we made).
    async fn on_getaddr(&mut self) -> Result {
        let id = self.id();
        if !self.peer.inbound() {
            tracing::debug!(target: "net", "Ignoring \"getaddr\" from {} connection. peer={id}", self.peer.conn_type.name());
            return Ok(());
        }
        if self.getaddr_answered {
            tracing::debug!(target: "net", "Ignoring repeated \"getaddr\". peer={id}");
            return Ok(());
        }
        self.getaddr_answered = true;
        self.peer.stats_mut().addr_relay_enabled = true;
        // Peers with the `addr` permission get a fresh sample; others the
        // node's cached answer, so reconnecting cannot map the whole table.
        let addrs = match self.peer.permissions.has(Permissions::ADDR) {
            true => {
                let now = hashvive_common::time::now();
                lock_addrman(&self.shared).get_addr(MAX_ADDR_TO_SEND, MAX_PCT_ADDR_TO_SEND, None, now)
            }
            false => self.shared.cached_getaddr_answer(),
        };
        self.send_addrs(addrs).await
    }

    /// Sends what other peers asked us to pass on, every half minute or so
    /// on average (the reference's trickle), so relays do not reveal origins.
    async fn maybe_send_addrs(&mut self) -> Result {
        let now = hashvive_common::time::now();
        if now < self.next_addr_send {
            return Ok(());
        }
        self.next_addr_send = now + poisson_delay(AVG_ADDRESS_BROADCAST_INTERVAL).as_secs() as i64;
        let addrs = std::mem::take(&mut *self.peer.addrs_to_send.lock().unwrap_or_else(|e| e.into_inner()));
        if addrs.is_empty() {
            return Ok(());
        }
        self.send_addrs(addrs).await
    }

    async fn send_addrs(&mut self, mut addrs: Vec<crate::addrman::AddrInfo>) -> Result {
        // Never what the peer told us or heard from us already.
        addrs.retain(|a| !self.known_addrs.contains(&addr_key(&a.addr)));
        addrs.iter().for_each(|a| self.known_addrs.insert(addr_key(&a.addr)));
        for chunk in addrs.chunks(MAX_ADDR_TO_SEND) {
            let message = match self.wants_addrv2 {
                true => NetworkMessage::AddrV2(
                    chunk
                        .iter()
                        .map(|a| AddrV2Message {
                            time: a.time.clamp(0, u32::MAX.into()) as u32,
                            services: ServiceFlags::from(a.services),
                            addr: match a.addr.ip() {
                                IpAddr::V4(v4) => AddrV2::Ipv4(v4),
                                IpAddr::V6(v6) => AddrV2::Ipv6(v6),
                            },
                            port: a.addr.port(),
                        })
                        .collect(),
                ),
                false => NetworkMessage::Addr(
                    chunk
                        .iter()
                        .map(|a| {
                            let time = a.time.clamp(0, u32::MAX.into()) as u32;
                            (time, Address::new(&a.addr, ServiceFlags::from(a.services)))
                        })
                        .collect(),
                ),
            };
            self.send(message).await?;
        }
        Ok(())
    }

    async fn housekeeping(&mut self) -> Result {
        let id = self.id();
        let now = Instant::now();
        let timeout = self.shared.config.peer_timeout;
        if now.duration_since(self.peer.connected_instant) > timeout {
            let stats = self.peer.stats();
            let wall = hashvive_common::time::now();
            if stats.last_recv == 0 || stats.last_send == 0 {
                return Err(PeerError::Disconnect(format!(
                    "socket no message in first {} seconds, {} {}, peer={id}",
                    timeout.as_secs(),
                    stats.last_recv != 0,
                    stats.last_send != 0
                )));
            }
            let limit = TIMEOUT_INTERVAL.as_secs() as i64;
            if wall > stats.last_send + limit {
                return Err(PeerError::Disconnect(format!(
                    "socket sending timeout: {}s, peer={id}",
                    wall - stats.last_send
                )));
            }
            if wall > stats.last_recv + limit {
                return Err(PeerError::Disconnect(format!(
                    "socket receive timeout: {}s, peer={id}",
                    wall - stats.last_recv
                )));
            }
            if !self.connected {
                return Err(PeerError::Disconnect(format!("version handshake timeout, peer={id}")));
            }
        }
        if let Some(timeout) = self.shared.stalled_too_long(id, now) {
            return Err(PeerError::Disconnect(format!(
                "Peer is stalling block download for {}s, disconnecting peer={id}",
                timeout.as_secs()
            )));
        }
        if let Some((hash, _)) =
            self.in_flight.iter().find(|(_, (_, at))| now.duration_since(*at) > BLOCK_DOWNLOAD_TIMEOUT)
        {
            return Err(PeerError::Disconnect(format!(
                "Timeout downloading block {hash} from peer={id}, disconnecting"
            )));
        }
        if let Some(start) = self.ping_start.filter(|_| self.ping_nonce != 0) {
            self.peer.stats_mut().ping_wait = Some(now.duration_since(start).as_secs_f64());
        }
        if self.peer.stats().bip152_hb_from && !self.shared.is_high_bandwidth(id) {
            // Another peer took its high-bandwidth place.
            self.peer.stats_mut().bip152_hb_from = false;
            let revoke = SendCmpct { send_compact: false, version: COMPACT_VERSION };
            self.send(NetworkMessage::SendCmpct(revoke)).await?;
        }
        self.send_messages().await
    }

    // ---- pings ----

    async fn maybe_send_ping(&mut self) -> Result {
        let now = Instant::now();
        if let Some(start) = self.ping_start.filter(|_| self.ping_nonce != 0) {
            if now.duration_since(start) > TIMEOUT_INTERVAL {
                return Err(PeerError::Disconnect(format!(
                    "ping timeout: {:.6}s peer={}",
                    now.duration_since(start).as_secs_f64(),
                    self.id()
                )));
            }
        }
        let due = self.ping_nonce == 0 && self.ping_start.is_none_or(|s| now.duration_since(s) > PING_INTERVAL);
        if !(self.ping_queued || due) || !self.connected {
            return Ok(());
        }
        let mut nonce = 0;
        while nonce == 0 {
            let mut bytes = [0u8; 8];
            let _ = getrandom::getrandom(&mut bytes);
            nonce = u64::from_le_bytes(bytes);
        }
        self.ping_queued = false;
        self.ping_start = Some(now);
        self.ping_nonce = nonce;
        self.send(NetworkMessage::Ping(nonce)).await
    }

    fn on_pong(&mut self, nonce: u64) {
        let problem = if self.ping_nonce == 0 {
            Some("Unsolicited pong without ping")
        } else if nonce == self.ping_nonce {
            if let Some(start) = self.ping_start {
                let rtt = start.elapsed().as_secs_f64();
                let mut stats = self.peer.stats_mut();
                stats.ping_time = Some(rtt);
                stats.min_ping = Some(stats.min_ping.map_or(rtt, |m| m.min(rtt)));
                stats.ping_wait = None;
            }
            self.ping_nonce = 0;
            None
        } else if nonce == 0 {
            // Most likely a bug elsewhere; cancel the ping.
            self.ping_nonce = 0;
            self.peer.stats_mut().ping_wait = None;
            Some("Nonce zero")
        } else {
            Some("Nonce mismatch")
        };
        if let Some(problem) = problem {
            tracing::debug!(target: "net", "pong peer={}: {problem}, {:x} expected, {nonce:x} received, 8 bytes", self.id(), self.ping_nonce);
        }
    }

    async fn maybe_send_feefilter(&mut self) -> Result {
        if !self.relays_txs() || self.common_version < FEEFILTER_VERSION {
            return Ok(());
        }
        let now = Instant::now();
        let ibd = self.tip.borrow().is_initial_block_download();
        // Out of initial download, the "send me nothing" filter is replaced at once.
        let left_ibd = !ibd && self.sent_feefilter == Some(MAX_FEEFILTER);
        if self.next_feefilter.is_some_and(|at| now < at) && !left_ibd {
            return Ok(());
        }
        let filter = match ibd {
            true => MAX_FEEFILTER,
            false => {
                self.chain(|c| {
                    let min_relay = c.with_mempool(|m| m.options().policy.min_relay_fee);
                    c.mempool_min_fee().max(min_relay).to_sat_per_kvb()
                })
                .await?
            }
        };
        self.next_feefilter = Some(now + FEEFILTER_BROADCAST_INTERVAL);
        if self.sent_feefilter != Some(filter) {
            self.sent_feefilter = Some(filter);
            self.send(NetworkMessage::FeeFilter(filter as i64)).await?;
        }
        Ok(())
    }

    // ---- headers and blocks ----

    /// Asks for headers after the best header we have, at most once per
    /// `HEADERS_RESPONSE_TIME` unless the peer answered.
    async fn send_getheaders(&mut self, locator: Vec<BlockHash>) -> Result {
        if self.last_getheaders.is_some_and(|at| at.elapsed() < HEADERS_RESPONSE_TIME) {
            return Ok(());
        }
        self.last_getheaders = Some(Instant::now());
        tracing::debug!(target: "net", "getheaders ({}) to peer={}", locator.len(), self.id());
        let request =
            GetHeadersMessage { version: PROTOCOL_VERSION, locator_hashes: locator, stop_hash: BlockHash::all_zeros() };
        self.send(NetworkMessage::GetHeaders(request)).await
    }

    /// Locator of our best header (or of its parent, so that the answer is never empty).
    async fn best_header_locator(&self, from_parent: bool) -> Result<Vec<BlockHash>> {
        self.chain(move |c| {
            let Some(best) = c.best_header() else { return Vec::new() };
            let start = if from_parent && best.height > 0 { best.header.prev_blockhash } else { best.hash };
            c.locator(&start)
        })
        .await
    }

    /// Starts the headers sync with this peer: with the first peer, or with
    /// every peer once our headers are recent (the reference's rule).
    async fn maybe_start_sync(&mut self) -> Result {
        if self.sync_started {
            return Ok(());
        }
        let services = ServiceFlags::from(self.peer.stats_mut().services);
        if !services.has(ServiceFlags::NETWORK) && !services.has(ServiceFlags::NETWORK_LIMITED) {
            return Ok(());
        }
        let preferred = !self.peer.inbound() || !self.shared.has_outbound();
        let first = self.shared.sync_started.load(std::sync::atomic::Ordering::Relaxed) == 0 && preferred;
        let recent = self
            .chain(|c| {
                c.best_header().is_some_and(|b| i64::from(b.header.time) > hashvive_common::time::now() - 24 * 60 * 60)
            })
            .await?;
        if !first && !recent {
            return Ok(());
        }
        self.sync_started = true;
        self.shared.sync_started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let locator = self.best_header_locator(true).await?;
        self.send_getheaders(locator).await
    }

    async fn on_getheaders(&mut self, request: GetHeadersMessage) -> Result {
        let id = self.id();
        if request.locator_hashes.len() > MAX_LOCATOR_SZ {
            return Err(PeerError::Disconnect(format!(
                "getheaders locator size {} > {MAX_LOCATOR_SZ}, disconnect peer={id}",
                request.locator_hashes.len()
            )));
        }
        if self.tip.borrow().is_initial_block_download() && !self.peer.permissions.has(Permissions::DOWNLOAD) {
            tracing::debug!(target: "net", "Ignoring getheaders from peer={id} because node is in initial block download");
            self.unanswered_getheaders = Some(request);
            return Ok(());
        }
        self.unanswered_getheaders = None;
        self.answer_getheaders(request).await
    }

    async fn answer_getheaders(&mut self, request: GetHeadersMessage) -> Result {
        let headers = self
            .chain(move |c| c.headers_after(&request.locator_hashes, &request.stop_hash, MAX_HEADERS_RESULTS))
            .await?;
        // What we sent is what the peer now has, for later announcements.
        self.peer_has = Some(headers.last().map_or(self.tip.borrow().hash, |h| h.block_hash()));
        self.send(NetworkMessage::Headers(headers)).await
    }

    async fn on_headers(&mut self, headers: Vec<bitcoin::block::Header>) -> Result {
        if headers.len() > MAX_HEADERS_RESULTS {
            return Err(PeerError::Misbehaving(format!("headers message size = {}", headers.len())));
        }
        self.last_getheaders = None;
        let Some(last) = headers.last().map(|h| h.block_hash()) else { return Ok(()) };
        if headers.windows(2).any(|w| w[1].prev_blockhash != w[0].block_hash()) {
            return Err(PeerError::Misbehaving("non-continuous headers sequence".into()));
        }
        let first_prev = headers[0].prev_blockhash;
        let count = headers.len();
        let connects = self.chain(move |c| c.block_info(&first_prev).is_some()).await?;
        if !connects {
            tracing::debug!(target: "net", "received header {}: missing prev block {first_prev}, sending getheaders to end (peer={})", headers[0].block_hash(), self.id());
            let locator = self.best_header_locator(false).await?;
            return self.send_getheaders(locator).await;
        }
        let result = self.chain(move |c| c.process_new_headers(&headers)).await?;
        match result {
            Err(e) => tracing::error!("Failed to store headers: {e}"),
            Ok(Err(rejection)) => return Err(PeerError::Misbehaving(format!("invalid header received: {rejection}"))),
            Ok(Ok(())) => {}
        }
        self.update_best_known(last).await?;
        if count == MAX_HEADERS_RESULTS {
            // More to come.
            let locator = self.chain(move |c| c.locator(&last)).await?;
            self.send_getheaders(locator).await?;
        }
        self.request_blocks().await
    }

    /// Notes that the peer has `hash` if it has more work than what we knew,
    /// and refreshes the sync heights `getpeerinfo` shows.
    async fn update_best_known(&mut self, hash: BlockHash) -> Result {
        let current = self.best_known;
        let (best, synced) = self
            .chain(move |c| {
                let new = c.block_info(&hash);
                let old = current.and_then(|h| c.block_info(&h));
                let best = match (new, old) {
                    (Some(new), Some(old)) if old.chain_work >= new.chain_work => old,
                    (Some(new), _) => new,
                    (None, Some(old)) => old,
                    (None, None) => return (None, None),
                };
                // The last block we share with the peer's best chain.
                let tip = c.tip();
                let common = c.ancestor_info(&best.hash, best.height.min(tip.height)).filter(|a| a.active);
                let synced = (i64::from(best.height), common.map_or(-1, |a| i64::from(a.height)));
                (Some(best.hash), Some(synced))
            })
            .await?;
        if best != self.best_known {
            self.best_known = best;
            self.peer_has = best;
        }
        if let Some((headers, blocks)) = synced {
            let mut stats = self.peer.stats_mut();
            stats.synced_headers = headers;
            stats.synced_blocks = blocks;
        }
        Ok(())
    }

    /// Requests the next blocks towards the peer's best block.
    async fn request_blocks(&mut self) -> Result {
        let room = MAX_BLOCKS_IN_TRANSIT_PER_PEER.saturating_sub(self.in_flight.len());
        let Some(target) = self.best_known.filter(|_| room > 0 && self.connected) else { return Ok(()) };
        let shared = self.shared.clone();
        // A pruning peer has only its recent blocks: ask it for no others
        // (two blocks' margin for races with its new blocks).
        let lowest_servable = {
            let stats = self.peer.stats_mut();
            match is_limited(ServiceFlags::from(stats.services)) {
                true => stats.synced_headers - i64::from(NODE_NETWORK_LIMITED_MIN_BLOCKS - 2),
                false => i64::MIN,
            }
        };
        let wanted = self
            .chain(move |c| {
                c.blocks_to_download(&target, BLOCK_DOWNLOAD_WINDOW, room, |hash, height| {
                    i64::from(height) <= lowest_servable || shared.block_in_flight(hash)
                })
            })
            .await?;
        if wanted.is_empty() {
            // Room to spare, nothing to ask for: if the window waits for a
            // block another peer was asked for, that peer is stalling.
            let blocker = self.chain(move |c| c.window_blocker(&target, BLOCK_DOWNLOAD_WINDOW)).await?;
            if let Some(staller) = blocker.and_then(|b| self.shared.block_requested_from(&b)) {
                if staller != self.id() {
                    self.shared.mark_stalling(staller);
                }
            }
            return Ok(());
        }
        let claimed = self.shared.claim_blocks(self.id(), wanted);
        if claimed.is_empty() {
            return Ok(());
        }
        let now = Instant::now();
        let tip = self.shared.chain.tip();
        // One block on top of ours, out of initial download: the mempool
        // likely has its transactions, so ask for it compactly.
        let compact = self.compact && claimed.len() == 1 && !tip.is_initial_block_download();
        let mut items = Vec::with_capacity(claimed.len());
        for (hash, height) in claimed {
            tracing::debug!(target: "net", "Requesting block {hash} ({height}) peer={}", self.id());
            self.in_flight.insert(hash, (height, now));
            items.push(match compact && height == tip.height + 1 {
                true => Inventory::CompactBlock(hash),
                false => Inventory::WitnessBlock(hash),
            });
        }
        self.update_inflight_stats();
        self.send(NetworkMessage::GetData(items)).await
    }

    fn update_inflight_stats(&self) {
        let mut heights: Vec<u32> = self.in_flight.values().map(|(h, _)| *h).collect();
        heights.sort_unstable();
        self.peer.stats_mut().inflight = heights;
    }

    async fn on_block(&mut self, block: Block) -> Result {
        if self.partial.as_ref().is_some_and(|p| p.block_hash() == block.block_hash()) {
            self.partial = None;
        }
        self.accept_block(block).await
    }

    /// Takes a block the peer sent (whole, or rebuilt from a compact block).
    async fn accept_block(&mut self, block: Block) -> Result {
        let hash = block.block_hash();
        if self.in_flight.remove(&hash).is_some() {
            self.shared.release_block(&hash, self.id());
            self.shared.clear_stalling(self.id());
            self.update_inflight_stats();
        }
        let block = Arc::new(block);
        let submitted = block.clone();
        let outcome = self.chain(move |c| c.process_new_block(submitted)).await?;
        match outcome {
            Err(e) => tracing::error!("Failed to store block {hash}: {e}"),
            Ok(BlockOutcome { checked: Some(Err(rejection)), .. }) if rejection.reason != "time-too-new" => {
                return Err(PeerError::Misbehaving(format!("invalid block {hash}: {rejection}")));
            }
            Ok(outcome) => {
                self.shared.forget_orphans_for_block(&block);
                if outcome.new_block && matches!(outcome.checked, Some(Ok(())) | None) {
                    self.peer.stats_mut().last_block = hashvive_common::time::now();
                    self.shared.ease_stalling_timeout();
                    if outcome.checked.is_some() {
                        self.choose_as_high_bandwidth().await?;
                    }
                }
                self.update_best_known(hash).await?
            }
        }
        self.request_blocks().await
    }

    async fn on_inv(&mut self, items: Vec<Inventory>) -> Result {
        if items.len() > MAX_INV_SZ {
            return Err(PeerError::Misbehaving(format!("inv message size = {}", items.len())));
        }
        let mut unknown_block = None;
        let mut txs = Vec::new();
        for item in items {
            match item {
                Inventory::Block(hash) | Inventory::WitnessBlock(hash) => {
                    let known = self.chain(move |c| c.block_info(&hash).is_some()).await?;
                    tracing::debug!(target: "net", "got inv: block {hash}  {} peer={}", if known { "have" } else { "new" }, self.id());
                    if known {
                        self.update_best_known(hash).await?;
                    } else if !self.shared.block_in_flight(&hash) {
                        unknown_block = Some(hash);
                    }
                }
                Inventory::Transaction(txid) if !self.wtxid_relay => txs.push((item, txid.to_byte_array())),
                Inventory::WTx(wtxid) if self.wtxid_relay => txs.push((item, wtxid.to_byte_array())),
                _ => {}
            }
        }
        if !txs.is_empty() && !self.accepts_txs() {
            return Err(PeerError::Disconnect(format!(
                "transaction inv sent in violation of protocol, disconnecting peer={}",
                self.id()
            )));
        }
        if unknown_block.is_some() {
            let locator = self.best_header_locator(false).await?;
            self.send_getheaders(locator).await?;
        }
        self.request_blocks().await?;
        self.request_txs(txs).await
    }

    /// Asks for announced transactions we neither have nor refused, unless
    /// another peer was just asked for them.
    async fn request_txs(&mut self, announced: Vec<(Inventory, [u8; 32])>) -> Result {
        if announced.is_empty() {
            return Ok(());
        }
        for (_, id) in &announced {
            self.known_txs.insert(*id);
        }
        let ids: Vec<[u8; 32]> = announced.iter().map(|(_, id)| *id).collect();
        let wtxid = self.wtxid_relay;
        let have = self
            .chain(move |c| {
                c.with_mempool(|m| {
                    ids.iter()
                        .map(|id| match wtxid {
                            true => m.contains_wtxid(&bitcoin::Wtxid::from_byte_array(*id)),
                            false => m.contains(&bitcoin::Txid::from_byte_array(*id)),
                        })
                        .collect::<Vec<bool>>()
                })
            })
            .await?;
        let tip = self.tip.borrow().hash;
        let wanted: Vec<Inventory> = announced
            .into_iter()
            .zip(have)
            .filter(|((_, id), have)| !have && !self.shared.recently_rejected(id, tip) && self.shared.claim_tx(*id))
            .map(|((item, _), _)| item)
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        self.send(NetworkMessage::GetData(wanted)).await
    }

    async fn on_tx(&mut self, tx: Transaction) -> Result {
        let id = self.id();
        if !self.accepts_txs() {
            return Err(PeerError::Disconnect(format!("transaction sent in violation of protocol peer={id}")));
        }
        let txid = tx.compute_txid();
        let wtxid = tx.compute_wtxid();
        let key = if self.wtxid_relay { wtxid.to_byte_array() } else { txid.to_byte_array() };
        self.known_txs.insert(key);
        self.shared.release_tx(&key);
        // A parent asked for by txid (for an orphan) arrives here too.
        self.shared.release_tx(&txid.to_byte_array());
        let tip = self.tip.borrow().hash;
        if self.shared.recently_rejected(&wtxid.to_byte_array(), tip) || self.shared.has_orphan(&wtxid) {
            return Ok(());
        }
        let tx = Arc::new(tx);
        let submitted = tx.clone();
        let result = self.chain(move |c| c.accept_to_mempool(submitted, AcceptMode::Submit)).await?;
        match result {
            Ok(_) => {
                self.peer.stats_mut().last_transaction = hashvive_common::time::now();
                tracing::debug!(target: "mempool", "AcceptToMemoryPool: peer={id}: accepted {txid} (wtxid={wtxid})");
                self.accept_orphans_of(tx).await?;
            }
            Err(reject) if reject.kind == RejectKind::MissingInputs => self.keep_orphan(tx).await?,
            Err(reject) => {
                tracing::debug!(target: "mempoolrej", "{txid} (wtxid={wtxid}) from peer={id} was not accepted: {reject}");
                if reject.kind != RejectKind::AlreadyInMempool {
                    self.shared.add_reject(wtxid.to_byte_array(), tip);
                }
            }
        }
        Ok(())
    }

    /// Keeps a transaction whose parents are missing until they come, and
    /// asks this peer for those the mempool lacks (by txid, with witness) —
    /// unless one of them was refused, which dooms the child too.
    async fn keep_orphan(&mut self, tx: Arc<Transaction>) -> Result {
        let (txid, wtxid) = (tx.compute_txid(), tx.compute_wtxid());
        let tip = self.tip.borrow().hash;
        let parents = parent_txids(&tx);
        if parents.iter().any(|p| self.shared.recently_rejected(&p.to_byte_array(), tip)) {
            tracing::debug!(target: "mempool", "not keeping orphan with rejected parents {txid} (wtxid={wtxid})");
            self.shared.add_reject(wtxid.to_byte_array(), tip);
            return Ok(());
        }
        if !self.shared.add_orphan(tx, self.id()) {
            return Ok(());
        }
        tracing::debug!(target: "mempool", "stored orphan tx {txid} (wtxid={wtxid}) peer={}", self.id());
        let missing = self
            .chain(move |c| c.with_mempool(|m| parents.into_iter().filter(|p| !m.contains(p)).collect::<Vec<_>>()))
            .await?;
        let wanted: Vec<Inventory> = missing
            .into_iter()
            .filter(|p| self.shared.claim_tx(p.to_byte_array()))
            .map(Inventory::WitnessTransaction)
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        self.send(NetworkMessage::GetData(wanted)).await
    }

    /// Tries again the orphans waiting for `parent`, and theirs in turn.
    async fn accept_orphans_of(&mut self, parent: Arc<Transaction>) -> Result {
        let tip = self.tip.borrow().hash;
        let mut parents = vec![parent];
        while let Some(parent) = parents.pop() {
            for child in self.shared.orphans_of(&parent) {
                let (txid, wtxid) = (child.compute_txid(), child.compute_wtxid());
                let submitted = child.clone();
                match self.chain(move |c| c.accept_to_mempool(submitted, AcceptMode::Submit)).await? {
                    Ok(_) => {
                        tracing::debug!(target: "mempool", "accepted orphan tx {txid} (wtxid={wtxid})");
                        self.shared.remove_orphan(&wtxid);
                        parents.push(child);
                    }
                    // Another parent is still missing.
                    Err(reject) if reject.kind == RejectKind::MissingInputs => {}
                    Err(reject) => {
                        tracing::debug!(target: "mempoolrej", "orphan {txid} (wtxid={wtxid}) was not accepted: {reject}");
                        self.shared.remove_orphan(&wtxid);
                        if reject.kind != RejectKind::AlreadyInMempool {
                            self.shared.add_reject(wtxid.to_byte_array(), tip);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    async fn on_notfound(&mut self, items: Vec<Inventory>) -> Result {
        if items.len() > MAX_INV_SZ {
            return Err(PeerError::Misbehaving(format!("notfound message size = {}", items.len())));
        }
        for item in items {
            match item {
                Inventory::Block(hash) | Inventory::WitnessBlock(hash) if self.in_flight.remove(&hash).is_some() => {
                    self.shared.release_block(&hash, self.id());
                }
                Inventory::Transaction(txid) => self.shared.release_tx(&txid.to_byte_array()),
                Inventory::WTx(wtxid) => self.shared.release_tx(&wtxid.to_byte_array()),
                _ => {}
            }
        }
        self.update_inflight_stats();
        Ok(())
    }

    async fn on_getdata(&mut self, items: Vec<Inventory>) -> Result {
        if items.len() > MAX_INV_SZ {
            return Err(PeerError::Misbehaving(format!("getdata message size = {}", items.len())));
        }
        let mut not_found = Vec::new();
        // One at a time: sending waits while the send buffer is full.
        for item in items {
            match item {
                Inventory::Block(hash) | Inventory::WitnessBlock(hash) => {
                    let witness = matches!(item, Inventory::WitnessBlock(_));
                    self.serve_block(hash, witness).await?;
                }
                Inventory::Transaction(_) | Inventory::WitnessTransaction(_) | Inventory::WTx(_) => {
                    let found = self
                        .chain(move |c| {
                            c.with_mempool(|m| match item {
                                Inventory::WTx(wtxid) => m.get_by_wtxid(&wtxid).map(|e| e.tx.clone()),
                                Inventory::Transaction(txid) | Inventory::WitnessTransaction(txid) => {
                                    m.get(&txid).map(|e| e.tx.clone())
                                }
                                _ => None,
                            })
                        })
                        .await?;
                    match found {
                        Some(tx) if matches!(item, Inventory::Transaction(_)) => {
                            self.send(NetworkMessage::Tx(without_witness(&tx))).await?
                        }
                        Some(tx) => self.send(NetworkMessage::Tx((*tx).clone())).await?,
                        None => not_found.push(item),
                    }
                }
                Inventory::CompactBlock(hash) => self.serve_compact_block(hash).await?,
                // Filtered blocks are not offered.
                _ => {}
            }
        }
        if !not_found.is_empty() {
            self.send(NetworkMessage::NotFound(not_found)).await?;
        }
        Ok(())
    }

    /// Sends a block we have and validated; silently nothing otherwise, as the reference.
    async fn serve_block(&mut self, hash: BlockHash, witness: bool) -> Result {
        // A pruned node serves no block deeper than it promises (BIP159), so
        // its prune height does not show; two more for races with new blocks.
        let serve_depth = match self.shared.config.pruned && !self.peer.permissions.has(Permissions::NO_BAN) {
            true => NODE_NETWORK_LIMITED_MIN_BLOCKS + 2,
            false => u32::MAX,
        };
        enum Found {
            Block(Vec<u8>),
            TooDeep,
            Nothing,
        }
        let found = self
            .chain(move |c| {
                let Some(info) = c.block_info(&hash) else { return Found::Nothing };
                if !info.have_data
                    || !(info.active || info.status.contains(hashvive_chain::index::Status::VALID_SCRIPTS))
                {
                    return Found::Nothing;
                }
                if c.tip().height.saturating_sub(info.height) > serve_depth {
                    return Found::TooDeep;
                }
                c.read_block_bytes(&hash).ok().flatten().map_or(Found::Nothing, Found::Block)
            })
            .await?;
        let bytes = match found {
            Found::Block(bytes) => bytes,
            Found::TooDeep => {
                return Err(PeerError::Disconnect(format!(
                    "Ignore block request below NODE_NETWORK_LIMITED threshold, disconnecting peer={}",
                    self.id()
                )))
            }
            Found::Nothing => {
                tracing::debug!(target: "net", "getdata for unknown or unservable block {hash} peer={}", self.id());
                return Ok(());
            }
        };
        if witness {
            return Ok(self.out.send_raw("block", bytes).await?);
        }
        let Ok(mut block) = encode::deserialize::<Block>(&bytes) else {
            tracing::error!("Block {hash} on disk does not decode");
            return Ok(());
        };
        for tx in &mut block.txdata {
            strip_witness(tx);
        }
        self.send(NetworkMessage::Block(block)).await
    }

    // ---- compact blocks (BIP152) ----

    /// A stored, servable block no deeper than `max_depth` as a compact
    /// block with a fresh nonce.
    async fn compact_block(&self, hash: BlockHash, max_depth: u32) -> Result<Option<HeaderAndShortIds>> {
        let Some(block) = self.stored_block(hash, max_depth).await? else { return Ok(None) };
        let mut nonce = [0u8; 8];
        let _ = getrandom::getrandom(&mut nonce);
        match HeaderAndShortIds::from_block(&block, u64::from_le_bytes(nonce), COMPACT_VERSION as u32, &[]) {
            Ok(compact) => Ok(Some(compact)),
            Err(e) => {
                tracing::error!("Cannot make compact block {hash}: {e}");
                Ok(None)
            }
        }
    }

    /// A block we have and validated, no deeper than `max_depth` below the tip.
    async fn stored_block(&self, hash: BlockHash, max_depth: u32) -> Result<Option<Block>> {
        self.chain(move |c| {
            let info = c.block_info(&hash)?;
            if !info.have_data
                || !(info.active || info.status.contains(hashvive_chain::index::Status::VALID_SCRIPTS))
                || c.tip().height.saturating_sub(info.height) > max_depth
            {
                return None;
            }
            let bytes = c.read_block_bytes(&hash).ok().flatten()?;
            encode::deserialize::<Block>(&bytes).ok()
        })
        .await
    }

    /// `getdata` for a compact block: recent blocks compactly, older ones whole.
    async fn serve_compact_block(&mut self, hash: BlockHash) -> Result {
        match self.compact_block(hash, MAX_CMPCTBLOCK_DEPTH).await? {
            Some(compact) => self.send(NetworkMessage::CmpctBlock(CmpctBlock { compact_block: compact })).await,
            None => self.serve_block(hash, true).await,
        }
    }

    /// Transactions of a recent block, by position; a deeper block goes whole.
    async fn on_getblocktxn(&mut self, request: BlockTransactionsRequest) -> Result {
        let hash = request.block_hash;
        if let Some(block) = self.stored_block(hash, MAX_BLOCKTXN_DEPTH).await? {
            let answer = BlockTransactions::from_request(&request, &block).map_err(|_| {
                PeerError::Misbehaving(format!("getblocktxn with out-of-bounds tx indices, block {hash}"))
            })?;
            return self.send(NetworkMessage::BlockTxn(BlockTxn { transactions: answer })).await;
        }
        tracing::debug!(target: "net", "Peer {} sent us a getblocktxn for a block > {MAX_BLOCKTXN_DEPTH} deep", self.id());
        self.serve_block(hash, true).await
    }

    /// A compact block: its header is taken like a `headers` message; the
    /// block is rebuilt from the mempool when it extends our tip or was
    /// asked for, and what the mempool lacks is fetched with `getblocktxn`.
    async fn on_cmpctblock(&mut self, compact: HeaderAndShortIds) -> Result {
        let header = compact.header;
        let hash = header.block_hash();
        let prev = header.prev_blockhash;
        if !self.chain(move |c| c.block_info(&prev).is_some()).await? {
            tracing::debug!(target: "net", "cmpctblock {hash}: missing prev block {prev}, sending getheaders (peer={})", self.id());
            let locator = self.best_header_locator(false).await?;
            return self.send_getheaders(locator).await;
        }
        match self.chain(move |c| c.process_new_headers(&[header])).await? {
            Err(e) => tracing::error!("Failed to store headers: {e}"),
            Ok(Err(rejection)) => {
                return Err(PeerError::Misbehaving(format!("invalid header received in cmpctblock: {rejection}")))
            }
            Ok(Ok(())) => {}
        }
        self.update_best_known(hash).await?;
        let (have_data, extends_tip, height) = self
            .chain(move |c| {
                let info = c.block_info(&hash);
                (info.as_ref().is_some_and(|i| i.have_data), c.tip().hash == prev, info.map_or(0, |i| i.height))
            })
            .await?;
        if have_data {
            if self.in_flight.remove(&hash).is_some() {
                self.shared.release_block(&hash, self.id());
                self.update_inflight_stats();
            }
            return Ok(());
        }
        if !extends_tip && !self.in_flight.contains_key(&hash) {
            return self.request_blocks().await;
        }
        if !self.in_flight.contains_key(&hash) && !self.shared.claim_blocks(self.id(), vec![(hash, height)]).is_empty()
        {
            self.in_flight.insert(hash, (height, Instant::now()));
            self.update_inflight_stats();
        }
        let partial = self
            .chain(move |c| c.with_mempool(|m| PartialBlock::new(&compact, m.entries().map(|e| (&e.wtxid, &e.tx)))))
            .await?;
        let partial = match partial {
            Ok(partial) => partial,
            Err(CompactError::Invalid(reason)) => return Err(PeerError::Misbehaving(format!("{reason}: {hash}"))),
            Err(CompactError::Unusable(reason)) => return self.request_whole_block(hash, reason).await,
        };
        match partial.complete() {
            Some(block) => self.accept_rebuilt_block(block).await,
            None => {
                let indexes = partial.missing();
                tracing::debug!(target: "net", "Requesting {} transactions of compact block {hash} peer={}", indexes.len(), self.id());
                self.partial = Some(partial);
                let request = BlockTransactionsRequest { block_hash: hash, indexes };
                self.send(NetworkMessage::GetBlockTxn(GetBlockTxn { txs_request: request })).await
            }
        }
    }

    /// The transactions our `getblocktxn` asked for.
    async fn on_blocktxn(&mut self, answer: BlockTransactions) -> Result {
        let hash = answer.block_hash;
        let Some(partial) = self.partial.take_if(|p| p.block_hash() == hash) else {
            tracing::debug!(target: "net", "Peer {} sent us block transactions for block we weren't expecting", self.id());
            return Ok(());
        };
        match partial.fill(answer) {
            Ok(block) => self.accept_rebuilt_block(block).await,
            Err(CompactError::Invalid(reason)) => Err(PeerError::Misbehaving(format!("{reason}: {hash}"))),
            Err(CompactError::Unusable(reason)) => self.request_whole_block(hash, reason).await,
        }
    }

    /// A rebuilt block whose commitments fail may just have met a short-id
    /// collision: that block is fetched whole, and nobody is blamed.
    async fn accept_rebuilt_block(&mut self, block: Block) -> Result {
        if !matches_commitments(&block) {
            return self.request_whole_block(block.block_hash(), "rebuilt block does not match its header").await;
        }
        self.accept_block(block).await
    }

    async fn request_whole_block(&mut self, hash: BlockHash, reason: &str) -> Result {
        tracing::debug!(target: "net", "Compact block {hash} from peer={} unusable ({reason}); requesting the whole block", self.id());
        self.send(NetworkMessage::GetData(vec![Inventory::WitnessBlock(hash)])).await
    }

    /// The peer gave us a new block first: ask it to announce the next ones
    /// as compact blocks at once, as the reference does with up to three.
    async fn choose_as_high_bandwidth(&mut self) -> Result {
        if !self.compact || self.shared.chain.tip().is_initial_block_download() {
            return Ok(());
        }
        if self.shared.promote_high_bandwidth(self.id()) {
            self.peer.stats_mut().bip152_hb_from = true;
            let request = SendCmpct { send_compact: true, version: COMPACT_VERSION };
            self.send(NetworkMessage::SendCmpct(request)).await?;
        }
        Ok(())
    }

    // ---- announcements ----

    /// Tells the peer of a new tip: with `headers` when it asked for them
    /// and the new blocks connect to what it has (at most eight), else `inv`.
    async fn announce_tip(&mut self) -> Result {
        let tip = *self.tip.borrow_and_update();
        if tip.is_initial_block_download() {
            return Ok(());
        }
        if let Some(request) = self.unanswered_getheaders.take() {
            tracing::debug!(target: "net", "answering the getheaders ignored during initial block download, peer={}", self.id());
            return self.answer_getheaders(request).await;
        }
        if self.peer_has == Some(tip.hash) {
            return Ok(());
        }
        let peer_has = self.peer_has;
        let new_headers = self
            .chain(move |c| peer_has.map(|h| c.headers_after(&c.locator(&h), &tip.hash, MAX_BLOCKS_TO_ANNOUNCE + 1)))
            .await?;
        self.peer_has = Some(tip.hash);
        match new_headers {
            // The peer has the tip already.
            Some(headers) if headers.is_empty() => Ok(()),
            // One new block for a peer that asked for them at once, compactly.
            Some(headers) if headers.len() == 1 && self.compact && self.peer.stats().bip152_hb_to => {
                match self.compact_block(tip.hash, 0).await? {
                    Some(compact) => {
                        tracing::debug!(target: "net", "sending cmpctblock {} to peer={}", tip.hash, self.id());
                        self.send(NetworkMessage::CmpctBlock(CmpctBlock { compact_block: compact })).await
                    }
                    None => Ok(()),
                }
            }
            Some(headers)
                if self.prefers_headers
                    && headers.len() <= MAX_BLOCKS_TO_ANNOUNCE
                    && headers.last().map(|h| h.block_hash()) == Some(tip.hash) =>
            {
                tracing::debug!(target: "net", "sending header-and-ids ({} headers) to peer={}", headers.len(), self.id());
                self.send(NetworkMessage::Headers(headers)).await
            }
            _ => {
                tracing::debug!(target: "net", "sending inv block {} to peer={}", tip.hash, self.id());
                self.send(NetworkMessage::Inv(vec![Inventory::Block(tip.hash)])).await
            }
        }
    }

    /// Announces transactions the mempool took, skipping those the peer has
    /// or that pay less than its fee filter.
    async fn announce_txs(&mut self, first: std::result::Result<Accepted, RecvError>) -> Result {
        let mut batch = Vec::new();
        let mut next = Some(first);
        while let Some(received) = next.take() {
            match received {
                Ok(accepted) => batch.push(accepted),
                Err(RecvError::Lagged(n)) => {
                    tracing::debug!(target: "net", "{n} transaction announcements skipped for peer={}", self.id())
                }
                Err(RecvError::Closed) => return Err(PeerError::Closed),
            }
            if batch.len() < INVENTORY_BROADCAST_MAX {
                next = match self.accepted.try_recv() {
                    Ok(a) => Some(Ok(a)),
                    Err(broadcast::error::TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                    Err(_) => None,
                };
            }
        }
        let relay = self.version.as_ref().is_some_and(|v| v.relay);
        if !relay {
            return Ok(());
        }
        let mut items = Vec::new();
        for accepted in batch {
            let rate = accepted.fee.to_sat().saturating_mul(1000) / accepted.vsize.max(1);
            let (item, key) = if self.wtxid_relay {
                (Inventory::WTx(accepted.wtxid), accepted.wtxid.to_byte_array())
            } else {
                (Inventory::Transaction(accepted.txid), accepted.txid.to_byte_array())
            };
            if rate < self.fee_filter || self.known_txs.contains(&key) {
                continue;
            }
            self.known_txs.insert(key);
            items.push(item);
        }
        if items.is_empty() {
            return Ok(());
        }
        self.send(NetworkMessage::Inv(items)).await
    }
}

fn without_witness(tx: &Transaction) -> Transaction {
    let mut tx = tx.clone();
    strip_witness(&mut tx);
    tx
}

fn strip_witness(tx: &mut Transaction) {
    for input in &mut tx.input {
        input.witness = Witness::new();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
