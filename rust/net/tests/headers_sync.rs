//! Headers sync against a real node's networking: a `NetManager` over a
//! chain state on disk, with the test playing its peer over TCP.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::hashes::Hash;
use bitcoin::p2p::message::NetworkMessage;
use bitcoin::p2p::message_blockdata::GetHeadersMessage;
use bitcoin::p2p::message_network::VersionMessage;
use bitcoin::p2p::{Address, Magic, ServiceFlags};
use bitcoin::{BlockHash, Network, ScriptBuf};
use hashvive_chain::mempool::MempoolOptions;
use hashvive_chain::{ChainConfig, Chainstate};
use hashvive_common::args::Args;
use hashvive_common::chain::Chain;
use hashvive_common::options::node_options;
use hashvive_consensus::ChainParams;
use hashvive_net::transport::{encode, read_frame};
use hashvive_net::{NetConfig, NetManager, PROTOCOL_VERSION};
use hashvive_policy::PolicyOptions;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

fn chainstate(dir: &std::path::Path) -> Arc<Chainstate> {
    let config = ChainConfig {
        params: ChainParams::new(Network::Regtest),
        blocks_dir: dir.join("blocks"),
        chainstate_dir: dir.join("chainstate"),
        db_cache_bytes: 4 << 20,
        txindex: false,
        prune: hashvive_chain::PruneMode::Off,
        fast_prune: false,
        mempool: MempoolOptions::defaults(PolicyOptions::default()),
        flush_interval: Duration::from_secs(60),
        script_threads: 1,
    };
    Arc::new(Chainstate::open(config).expect("chain state opens"))
}

/// The node's configuration for one outbound connection to `peer`.
fn connecting_to(peer: std::net::SocketAddr) -> NetConfig {
    let defs = node_options();
    let mut args = Args::new(&defs);
    let argv = ["-listen=0".to_string(), format!("-connect={peer}")];
    args.parse_command_line(argv).expect("options parse");
    NetConfig::from_args(&args, Chain::Regtest, Magic::REGTEST, "/test/".into()).expect("valid options")
}

struct Peer(TcpStream);

impl Peer {
    async fn send(&mut self, message: NetworkMessage) {
        self.0.write_all(&encode(Magic::REGTEST, message)).await.expect("node reads");
    }

    /// The node's next message, skipping those this test has no interest in.
    async fn next(&mut self) -> NetworkMessage {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(30), read_frame(&mut self.0, Magic::REGTEST))
                .await
                .expect("the node says something in time")
                .expect("a well-formed frame");
            match frame.decode().expect("a known message") {
                NetworkMessage::Ping(nonce) => self.send(NetworkMessage::Pong(nonce)).await,
                NetworkMessage::Pong(nonce) => return NetworkMessage::Pong(nonce),
                NetworkMessage::Headers(h) => return NetworkMessage::Headers(h),
                NetworkMessage::Inv(i) => return NetworkMessage::Inv(i),
                NetworkMessage::Verack => return NetworkMessage::Verack,
                _ => {}
            }
        }
    }
}

/// A node in initial block download does not answer `getheaders` (the
/// reference's rule), and the asking peer will not ask again for minutes;
/// so once out of it, the node answers the request it ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_getheaders_ignored_in_initial_block_download_is_answered_after_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let chain = chainstate(dir.path());
    assert!(chain.tip().is_initial_block_download());
    let genesis = chain.tip().hash;

    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let net = NetManager::start(connecting_to(listener.local_addr().expect("address")), chain.clone())
        .await
        .expect("networking starts");
    let (stream, their_addr) = listener.accept().await.expect("the node connects");
    let mut peer = Peer(stream);
    let version = VersionMessage {
        version: PROTOCOL_VERSION,
        services: ServiceFlags::NETWORK | ServiceFlags::WITNESS,
        timestamp: hashvive_common::time::now(),
        receiver: Address::new(&their_addr, ServiceFlags::NONE),
        sender: Address::new(&their_addr, ServiceFlags::NONE),
        nonce: 7,
        user_agent: "/peer/".into(),
        start_height: 0,
        relay: true,
    };
    peer.send(NetworkMessage::Version(version)).await;
    peer.send(NetworkMessage::Verack).await;
    assert_eq!(peer.next().await, NetworkMessage::Verack);

    let request = GetHeadersMessage {
        version: PROTOCOL_VERSION,
        locator_hashes: vec![genesis],
        stop_hash: BlockHash::all_zeros(),
    };
    peer.send(NetworkMessage::GetHeaders(request)).await;
    peer.send(NetworkMessage::Ping(1)).await;
    assert_eq!(peer.next().await, NetworkMessage::Pong(1), "no headers while in initial block download");

    let mined = {
        let chain = chain.clone();
        tokio::task::spawn_blocking(move || chain.generate_blocks(&ScriptBuf::from(vec![0x51]), 1, &mut 1_000_000))
            .await
            .expect("miner runs")
            .expect("a block is mined")
    };
    assert!(!chain.tip().is_initial_block_download());
    match peer.next().await {
        NetworkMessage::Headers(headers) => {
            let hashes: Vec<BlockHash> = headers.iter().map(|h| h.block_hash()).collect();
            assert_eq!(hashes, mined);
        }
        other => panic!("expected the answer to the getheaders, got {other:?}"),
    }
    net.stop().await;
}
