//! Every interface through a proxy and a server, over a real socket pair in one
//! process, plus the failure cases: peers that vanish or send garbage.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hashvive_interfaces::{async_trait, BlockRef, Echo, Error, Init, Ipc, Mining, Result, Rpc};

use crate::connection;
use crate::event_loop::EventLoop;
use crate::IpcProcess;

const TIP: BlockRef = BlockRef { hash: [7; 32], height: 42 };

struct TestEcho;

#[async_trait]
impl Echo for TestEcho {
    async fn echo(&self, text: String) -> Result<String> {
        Ok(text)
    }
}

struct TestMining;

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
    async fn wait_tip_changed(&self, current: [u8; 32], timeout: Duration) -> Result<BlockRef> {
        if current == TIP.hash {
            tokio::time::sleep(timeout.min(Duration::from_secs(600))).await;
        }
        Ok(TIP)
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
}

#[async_trait]
impl Init for TestInit {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>> {
        self.echoes_made.fetch_add(1, Ordering::SeqCst);
        Ok(Arc::new(TestEcho))
    }
    async fn make_mining(&self) -> Result<Arc<dyn Mining>> {
        Ok(Arc::new(TestMining))
    }
    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>> {
        Ok(Arc::new(TestRpc))
    }
}

/// A server loop and a client loop joined by a socket pair.
fn pair() -> (EventLoop, EventLoop, Arc<dyn Init>) {
    let server = EventLoop::start().unwrap();
    let client = EventLoop::start().unwrap();
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let init: Arc<dyn Init> = Arc::new(TestInit { echoes_made: AtomicUsize::new(0) });
    server
        .handle()
        .spawn(move || async move {
            connection::serve(tokio::net::UnixStream::from_std(a).unwrap(), init).await;
        })
        .unwrap();
    let handle = client.handle();
    let proxy = runtime().block_on(connection::connect_std(&handle, b)).unwrap();
    (server, client, proxy)
}

fn runtime() -> tokio::runtime::Runtime {
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
        assert_eq!(mining.wait_tip_changed([0; 32], Duration::from_secs(5)).await.unwrap(), TIP);
        assert_eq!(mining.wait_tip_changed(TIP.hash, Duration::from_millis(10)).await.unwrap(), TIP);

        let rpc = init.make_rpc().await.unwrap();
        assert_eq!(rpc.execute_rpc("r".into(), "/".into(), "u".into()).await.unwrap(), "r|/|u");
        assert_eq!(
            rpc.execute_rpc("fail".into(), "/".into(), "u".into()).await,
            Err(Error::Remote("asked to fail".into()))
        );
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
    assert!(matches!(outcome, Err(Error::Disconnected(_))), "{outcome:?}");
    assert!(matches!(rt.block_on(mining.get_tip()), Err(Error::Disconnected(_))));
}

#[test]
fn garbage_on_a_socket_does_not_stop_the_server() {
    let ipc = IpcProcess::new("ipc-test").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let init: Arc<dyn Init> = Arc::new(TestInit { echoes_made: AtomicUsize::new(0) });
    let guard = rt.block_on(ipc.listen(&["unix".to_string()], dir.path(), init)).unwrap();
    let path = dir.path().join("node.sock");
    for junk in [&[0xffu8; 64][..], &[0, 0, 0, 0, 0x10, 0, 0, 0, 1, 2, 3][..], &[0u8; 0][..]] {
        let mut s = std::os::unix::net::UnixStream::connect(&path).unwrap();
        s.write_all(junk).unwrap();
    }
    let client = rt.block_on(ipc.connect("unix", dir.path())).unwrap();
    let echo = rt.block_on(client.make_echo()).unwrap();
    assert_eq!(rt.block_on(echo.echo("still here".into())).unwrap(), "still here");
    drop(guard);
    assert!(!path.exists(), "the socket file goes with the listener");
}
