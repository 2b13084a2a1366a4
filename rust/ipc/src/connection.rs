//! A Cap'n Proto two-party connection over a Unix stream socket, from either end.

use std::rc::Rc;
use std::sync::Arc;

use capnp_rpc::rpc_twoparty_capnp::Side;
use capnp_rpc::{twoparty, RpcSystem};
use futures::io::{BufReader, BufWriter};
use tokio::net::unix::OwnedReadHalf;
use tokio::net::UnixStream;
use tokio::sync::oneshot;
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt, TokioAsyncWriteCompatExt};

use hashvive_interfaces::{Error, Init, Result};

use crate::client::{ClientConnection, InitProxy};
use crate::convert::from_capnp;
use crate::event_loop::LoopHandle;
use crate::log;
use crate::schema::init_capnp::init;
use crate::schema::proxy_capnp::thread_map;
use crate::server::{ConnectionState, InitServer, ThreadMapServer};

/// Buffered both ways: a message then goes out in one write and comes in with
/// one read, so the peer wakes once per message, not once per segment.
fn network(stream: UnixStream, side: Side) -> twoparty::VatNetwork<BufReader<Compat<OwnedReadHalf>>> {
    let (reader, writer) = stream.into_split();
    twoparty::VatNetwork::new(
        BufReader::new(reader.compat()),
        BufWriter::new(writer.compat_write()),
        side,
        capnp::message::ReaderOptions::new(),
    )
}

/// Serves `init` to the peer until it disconnects. Runs on the loop thread;
/// calls run on `executor` when given.
pub(crate) async fn serve(
    stream: UnixStream,
    init: Arc<dyn Init>,
    handle: LoopHandle,
    executor: Option<tokio::runtime::Handle>,
) {
    let conn = ConnectionState::new(handle, executor);
    let bootstrap: init::Client = capnp_rpc::new_client(InitServer::new(init, conn));
    let system = RpcSystem::new(Box::new(network(stream, Side::Server)), Some(bootstrap.client));
    match system.await {
        Ok(()) => log::event("IPC server: socket disconnected."),
        Err(e) => log::event(&format!("IPC server: connection closed with an error: {e}")),
    }
}

/// Connects to the `Init` served on `stream`. Runs on the loop thread; the
/// connection lives on as a task there, and ends `closed` when it ends.
/// Callbacks the peer makes run on `executor` when given.
pub(crate) async fn connect(
    stream: UnixStream,
    handle: LoopHandle,
    executor: Option<tokio::runtime::Handle>,
    closed: Option<oneshot::Sender<()>>,
) -> Result<Arc<dyn Init>> {
    let mut system = RpcSystem::new(Box::new(network(stream, Side::Client)), None);
    let init: init::Client = system.bootstrap(Side::Server);
    let disconnector = system.get_disconnector();
    tokio::task::spawn_local(async move {
        match system.await {
            Ok(()) => log::event("IPC client: socket disconnected."),
            Err(e) => log::event(&format!("IPC client: connection closed with an error: {e}")),
        }
        if let Some(closed) = closed {
            let _ = closed.send(());
        }
    });
    // Our own ThreadMap goes to the peer for calls it makes back to us.
    let local = ConnectionState::new(handle.clone(), executor);
    let ours: thread_map::Client = capnp_rpc::new_client(ThreadMapServer::new(local.clone()));
    let mut request = init.construct_request();
    request.get().set_thread_map(ours);
    let response = request.send().promise.await.map_err(from_capnp)?;
    let theirs = response.get().and_then(|r| r.get_thread_map()).map_err(from_capnp)?;
    local.set_peer_thread_map(theirs.clone());
    let conn: Rc<ClientConnection> = ClientConnection::new(handle, theirs, local.clone(), Some(disconnector));
    local.set_peer(&conn);
    Ok(Arc::new(InitProxy::new(&conn, init)))
}

/// Hands a connected socket to the loop and returns the peer's `Init`.
/// Callbacks run on the runtime of the caller, if it has one.
pub(crate) async fn connect_std(
    handle: &LoopHandle,
    stream: std::os::unix::net::UnixStream,
    closed: Option<oneshot::Sender<()>>,
) -> Result<Arc<dyn Init>> {
    stream.set_nonblocking(true).map_err(|e| Error::Disconnected(e.to_string()))?;
    let h = handle.clone();
    let executor = tokio::runtime::Handle::try_current().ok();
    handle
        .run(move || async move {
            let stream = UnixStream::from_std(stream).map_err(|e| Error::Disconnected(e.to_string()))?;
            connect(stream, h, executor, closed).await
        })
        .await?
}
