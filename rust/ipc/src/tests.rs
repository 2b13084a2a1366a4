//! Every interface through a proxy and a server, over a real socket pair in one
//! process, plus the failure cases: peers that vanish or send garbage.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hashvive_interfaces::{
    async_trait, BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockVerdict, BlockWaitOptions,
    CoinbaseTx, Echo, Error, Handler, Init, Ipc, Mining, Result, Rpc,
};

use crate::connection;
use crate::event_loop::EventLoop;
use crate::IpcProcess;

const TIP: BlockRef = BlockRef { hash: [7; 32], height: 42 };

/// A registration that counts how many times it was ended (dropped).
pub(crate) struct Registration(pub(crate) Arc<AtomicUsize>);

impl Handler for Registration {
    fn disconnect(&mut self) {}
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

struct TestEcho;

#[async_trait]
impl Echo for TestEcho {
    async fn echo(&self, text: String) -> Result<String> {
        Ok(text)
    }
}

struct TestMining {
    interrupt: tokio::sync::Notify,
    templates: Arc<AtomicUsize>,
}

#[async_trait]
impl Mining for TestMining {
    async fn is_test_chain(&self) -> Result<bool> {
        Ok(true)
    }
    async fn is_initial_block_download(&self) -> Result<bool> {
        Ok(false)
    }
    async fn get_tip(&self) -> Result<Option<BlockRef>> {
        Ok(Some(TIP))
    }
    async fn wait_tip_changed(&self, current: [u8; 32], timeout: Duration) -> Result<Option<BlockRef>> {
        if current == TIP.hash {
            tokio::select! {
                _ = self.interrupt.notified() => return Ok(None),
                _ = tokio::time::sleep(timeout.min(Duration::from_secs(600))) => {}
            }
        }
        Ok(Some(TIP))
    }
    async fn create_new_block(
        &self,
        options: BlockCreateOptions,
        _cooldown: bool,
    ) -> Result<Option<Arc<dyn BlockTemplate>>> {
        if options.block_reserved_weight == 0 {
            return Err(Error::Remote("reserved weight too low".into()));
        }
        Ok(options.use_mempool.then(|| TestTemplate::make(options.block_reserved_weight as i64, &self.templates)))
    }
    async fn check_block(&self, block: Vec<u8>, options: BlockCheckOptions) -> Result<BlockVerdict> {
        Ok(match (block.as_slice(), options.check_pow) {
            (b"good", _) | (_, false) => BlockVerdict::accepted(),
            _ => BlockVerdict::rejected("high-hash", "proof of work failed"),
        })
    }
    async fn submit_block(&self, block: Vec<u8>, precious: bool) -> Result<BlockVerdict> {
        match block.as_slice() {
            b"" => Err(Error::Remote("Block decode failed".into())),
            _ if precious => Ok(BlockVerdict::accepted()),
            _ => Ok(BlockVerdict::rejected("duplicate", "")),
        }
    }
    async fn get_transactions_by_txid(&self, txids: Vec<[u8; 32]>) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(txids.iter().map(|t| (t[0] != 0).then(|| t.to_vec())).collect())
    }
    async fn get_transactions_by_witness_id(&self, wtxids: Vec<[u8; 32]>) -> Result<Vec<Option<Vec<u8>>>> {
        Ok(wtxids.iter().map(|t| (t[0] != 0).then(|| t[..4].to_vec())).collect())
    }
    async fn interrupt(&self) -> Result<()> {
        self.interrupt.notify_one();
        Ok(())
    }
}

/// A template whose contents derive from one number.
struct TestTemplate {
    n: i64,
    interrupt: tokio::sync::Notify,
    /// Live templates, to see `destroy` arrive.
    live: Arc<AtomicUsize>,
}

impl TestTemplate {
    fn make(n: i64, live: &Arc<AtomicUsize>) -> Arc<dyn BlockTemplate> {
        live.fetch_add(1, Ordering::SeqCst);
        Arc::new(TestTemplate { n, interrupt: tokio::sync::Notify::new(), live: live.clone() })
    }
}

impl Drop for TestTemplate {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

fn coinbase_tx(n: i64) -> CoinbaseTx {
    CoinbaseTx {
        version: 2,
        sequence: 0xffff_fffe,
        script_sig_prefix: vec![0x01, n as u8],
        witness: (n % 2 == 0).then_some([n as u8; 32]),
        block_reward_remaining: n * 1000,
        required_outputs: vec![vec![1, 2, 3], vec![]],
        lock_time: n as u32,
    }
}

#[async_trait]
impl BlockTemplate for TestTemplate {
    async fn get_block_header(&self) -> Result<Vec<u8>> {
        Ok(vec![self.n as u8; 80])
    }
    async fn get_block(&self) -> Result<Vec<u8>> {
        Ok(vec![self.n as u8; 300])
    }
    async fn get_tx_fees(&self) -> Result<Vec<i64>> {
        Ok(vec![self.n, -1, i64::MAX])
    }
    async fn get_tx_sigops(&self) -> Result<Vec<i64>> {
        Ok(vec![])
    }
    async fn get_coinbase_tx(&self) -> Result<CoinbaseTx> {
        Ok(coinbase_tx(self.n))
    }
    async fn get_coinbase_merkle_path(&self) -> Result<Vec<[u8; 32]>> {
        Ok(vec![[1; 32], [self.n as u8; 32]])
    }
    async fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: Vec<u8>,
        precious: bool,
    ) -> Result<BlockVerdict> {
        if coinbase.is_empty() {
            return Err(Error::Remote("Coinbase transaction decode failed".into()));
        }
        Ok(BlockVerdict::rejected(format!("{version}/{timestamp}/{nonce}/{precious}"), format!("{coinbase:?}")))
    }
    async fn wait_next(&self, options: BlockWaitOptions) -> Result<Option<Arc<dyn BlockTemplate>>> {
        if options.fee_threshold == 0 {
            return Ok(Some(TestTemplate::make(self.n + 1, &self.live)));
        }
        tokio::select! {
            _ = self.interrupt.notified() => {}
            _ = tokio::time::sleep(options.timeout.min(Duration::from_secs(600))) => {}
        }
        Ok(None)
    }
    async fn interrupt_wait(&self) -> Result<()> {
        self.interrupt.notify_one();
        Ok(())
    }
}

struct TestRpc;

#[async_trait]
impl Rpc for TestRpc {
    async fn execute_rpc(&self, request: String, uri: String, user: String) -> Result<String> {
        if request == "fail" {
            return Err(Error::Remote("asked to fail".into()));
        }
        Ok(format!("{request}|{uri}|{user}"))
    }
}

/// Counts live Echo objects, to see `destroy` arrive.
struct TestInit {
    echoes_made: AtomicUsize,
    templates: Arc<AtomicUsize>,
}

impl TestInit {
    fn new() -> Arc<TestInit> {
        Arc::new(TestInit { echoes_made: AtomicUsize::new(0), templates: Arc::new(AtomicUsize::new(0)) })
    }
}

#[async_trait]
impl Init for TestInit {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>> {
        self.echoes_made.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(TestEcho))
    }
    async fn make_mining(&self) -> Result<Arc<dyn Mining>> {
        Ok(Arc::new(TestMining { interrupt: tokio::sync::Notify::new(), templates: self.templates.clone() }))
    }
    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>> {
        Ok(Arc::new(TestRpc))
    }
}

/// A server loop and a client loop joined by a socket pair.
fn pair() -> (EventLoop, EventLoop, Arc<dyn Init>) {
    pair_serving(TestInit::new())
}

pub(crate) fn pair_serving(init: Arc<dyn Init>) -> (EventLoop, EventLoop, Arc<dyn Init>) {
    let server = EventLoop::start().unwrap();
    let client = EventLoop::start().unwrap();
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let h = server.handle();
    server
        .handle()
        .spawn(move || async move {
            connection::serve(tokio::net::UnixStream::from_std(a).unwrap(), init, h, None).await;
        })
        .unwrap();
    let handle = client.handle();
    // Callbacks into the client run on the runtime it connects from, which
    // must outlive the test.
    let proxy = callback_runtime().block_on(connection::connect_std(&handle, b, None)).unwrap();
    (server, client, proxy)
}

fn callback_runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(runtime)
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn every_interface_round_trips() {
    let (_server, _client, init) = pair();
    runtime().block_on(async {
        let echo = init.make_echo().await.unwrap();
        assert_eq!(echo.echo("hello".into()).await.unwrap(), "hello");
        assert_eq!(echo.echo(String::new()).await.unwrap(), "");

        let mining = init.make_mining().await.unwrap();
        assert!(mining.is_test_chain().await.unwrap());
        assert!(!mining.is_initial_block_download().await.unwrap());
        assert_eq!(mining.get_tip().await.unwrap(), Some(TIP));
        assert_eq!(mining.wait_tip_changed([0; 32], Duration::from_secs(5)).await.unwrap(), Some(TIP));
        assert_eq!(mining.wait_tip_changed(TIP.hash, Duration::from_millis(10)).await.unwrap(), Some(TIP));

        let rpc = init.make_rpc().await.unwrap();
        assert_eq!(rpc.execute_rpc("r".into(), "/".into(), "u".into()).await.unwrap(), "r|/|u");
        assert_eq!(
            rpc.execute_rpc("fail".into(), "/".into(), "u".into()).await,
            Err(Error::Remote("asked to fail".into()))
        );
    });
}

#[test]
fn mining_and_block_templates_round_trip() {
    let served = TestInit::new();
    let live = served.templates.clone();
    let (_server, _client, init) = pair_serving(served);
    runtime().block_on(async {
        let mining = init.make_mining().await.unwrap();
        let options = BlockCreateOptions::default();
        let template = mining.create_new_block(options, true).await.unwrap().unwrap();
        assert_eq!(live.load(Ordering::SeqCst), 1);
        let n = options.block_reserved_weight as i64;
        assert_eq!(template.get_block_header().await.unwrap(), vec![n as u8; 80]);
        assert_eq!(template.get_block().await.unwrap(), vec![n as u8; 300]);
        assert_eq!(template.get_tx_fees().await.unwrap(), vec![n, -1, i64::MAX]);
        assert_eq!(template.get_tx_sigops().await.unwrap(), Vec::<i64>::new());
        assert_eq!(template.get_coinbase_tx().await.unwrap(), coinbase_tx(n));
        assert_eq!(template.get_coinbase_merkle_path().await.unwrap(), vec![[1; 32], [n as u8; 32]]);
        assert_eq!(
            template.submit_solution(1, 2, 3, vec![9], true).await.unwrap(),
            BlockVerdict::rejected("1/2/3/true", "[9]")
        );
        assert_eq!(
            template.submit_solution(1, 2, 3, vec![], false).await,
            Err(Error::Remote("Coinbase transaction decode failed".into()))
        );

        let no_fees = BlockWaitOptions { fee_threshold: 0, ..BlockWaitOptions::default() };
        let next = template.wait_next(no_fees).await.unwrap().unwrap();
        assert_eq!(next.get_coinbase_tx().await.unwrap(), coinbase_tx(n + 1));
        let quick = BlockWaitOptions { timeout: Duration::from_millis(20), ..BlockWaitOptions::default() };
        assert!(next.wait_next(quick).await.unwrap().is_none());
        assert_eq!(live.load(Ordering::SeqCst), 2);
        drop(next);
        drop(template);
        wait_for(|| live.load(Ordering::SeqCst) == 0).await;

        assert!(mining
            .create_new_block(BlockCreateOptions { use_mempool: false, ..options }, false)
            .await
            .unwrap()
            .is_none());
        let too_small = BlockCreateOptions { block_reserved_weight: 0, ..options };
        assert_eq!(
            mining.create_new_block(too_small, false).await.err(),
            Some(Error::Remote("reserved weight too low".into()))
        );

        assert_eq!(
            mining.check_block(b"good".to_vec(), BlockCheckOptions::default()).await.unwrap(),
            BlockVerdict::accepted()
        );
        assert_eq!(
            mining.check_block(b"bad".to_vec(), BlockCheckOptions::default()).await.unwrap(),
            BlockVerdict::rejected("high-hash", "proof of work failed")
        );
        let no_pow = BlockCheckOptions { check_pow: false, ..BlockCheckOptions::default() };
        assert_eq!(mining.check_block(b"bad".to_vec(), no_pow).await.unwrap(), BlockVerdict::accepted());
        assert_eq!(mining.submit_block(b"x".to_vec(), true).await.unwrap(), BlockVerdict::accepted());
        assert_eq!(mining.submit_block(b"x".to_vec(), false).await.unwrap(), BlockVerdict::rejected("duplicate", ""));
        assert!(matches!(mining.submit_block(vec![], false).await, Err(Error::Remote(_))));

        let found = mining.get_transactions_by_txid(vec![[5; 32], [0; 32]]).await.unwrap();
        assert_eq!(found, vec![Some(vec![5; 32]), None]);
        let found = mining.get_transactions_by_witness_id(vec![[0; 32], [6; 32]]).await.unwrap();
        assert_eq!(found, vec![None, Some(vec![6; 4])]);
    });
}

pub(crate) async fn wait_for(done: impl Fn() -> bool) {
    for _ in 0..500 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not met in time");
}

#[test]
fn interrupts_end_waits_from_the_same_thread() {
    let (_server, _client, init) = pair();
    let rt = runtime();
    let mining = rt.block_on(init.make_mining()).unwrap();
    // The interrupts carry no thread: they run at once, whatever the calling
    // thread is waiting for.
    rt.block_on(async {
        let (tip, ()) = tokio::join!(mining.wait_tip_changed(TIP.hash, Duration::from_secs(600)), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            mining.interrupt().await.unwrap();
        });
        assert_eq!(tip.unwrap(), None);

        let template = mining.create_new_block(BlockCreateOptions::default(), false).await.unwrap().unwrap();
        let forever = BlockWaitOptions::default();
        let (next, ()) = tokio::join!(template.wait_next(forever), async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            template.interrupt_wait().await.unwrap();
        });
        assert!(next.unwrap().is_none());
    });
}

#[test]
fn calls_from_many_threads_run_side_by_side() {
    let (_server, _client, init) = pair();
    let rt = runtime();
    let echo = rt.block_on(init.make_echo()).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let echo = echo.clone();
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                for j in 0..50 {
                    let text = format!("{i}-{j}");
                    assert_eq!(rt.block_on(echo.echo(text.clone())).unwrap(), text);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn a_vanished_peer_fails_calls_cleanly() {
    let (server, _client, init) = pair();
    let rt = runtime();
    let mining = rt.block_on(init.make_mining()).unwrap();
    let pending = rt.spawn({
        let mining = mining.clone();
        async move { mining.wait_tip_changed(TIP.hash, Duration::from_secs(600)).await }
    });
    std::thread::sleep(Duration::from_millis(50));
    drop(server);
    let outcome = rt.block_on(pending).unwrap();
    assert!(matches!(outcome, Err(Error::Disconnected(_))), "{:?}", outcome.map(|_| ()));
    assert!(matches!(rt.block_on(mining.get_tip()), Err(Error::Disconnected(_))));
}

#[test]
fn garbage_on_a_socket_does_not_stop_the_server() {
    let ipc = IpcProcess::new("ipc-test").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let init: Arc<dyn Init> = TestInit::new();
    let guard = rt.block_on(ipc.listen(&["unix".to_string()], dir.path(), init)).unwrap();
    let path = dir.path().join("node.sock");
    for junk in [&[0xffu8; 64][..], &[0, 0, 0, 0, 0x10, 0, 0, 0, 1, 2, 3][..], &[0u8; 0][..]] {
        let mut s = std::os::unix::net::UnixStream::connect(&path).unwrap();
        s.write_all(junk).unwrap();
    }
    let client = rt.block_on(ipc.connect("unix", dir.path())).unwrap().init;
    let echo = rt.block_on(client.make_echo()).unwrap();
    assert_eq!(rt.block_on(echo.echo("still here".into())).unwrap(), "still here");
    drop(guard);
    assert!(!path.exists(), "the socket file goes with the listener");
}
