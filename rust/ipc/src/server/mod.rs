//! Servers: expose trait objects to a peer over Cap'n Proto.
//!
//! The loop thread reads a call and hands the future the trait object returns
//! to the process's multi-threaded runtime, so heavy work never stalls the
//! connection (calls that answer at once stay on the loop: see [`Placement`]).
//! libmultiprocess's threading conventions are kept: a call's
//! `Context` names a thread made with `ThreadMap.makeThread` (its name shows
//! in the log), and a call naming no thread takes a slot of the pool sized by
//! `makePool`. Capabilities the peer sends (callbacks) become proxies on the
//! same connection, calling through the peer's `ThreadMap`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::{Rc, Weak};
use std::sync::Arc;

use capnp::capability::get_resolved_cap;
use capnp_rpc::CapabilityServerSet;
use tokio::sync::Semaphore;

use hashvive_interfaces::{BlockTemplate, Chain, Echo, Init, Mining, Rpc};

use crate::client::{ChainProxy, ClientConnection};
use crate::convert::{
    duration_from_millis, hash32, read_check_options, read_create_options, read_wait_options, to_capnp,
    write_coinbase_tx, write_verdict,
};
use crate::event_loop::LoopHandle;
use crate::log;
use crate::schema::echo_capnp::echo;
use crate::schema::init_capnp::init;
use crate::schema::mining_capnp::{block_template, mining};
use crate::schema::proxy_capnp::{context, thread, thread_map};
use crate::schema::rpc_capnp::rpc;

/// Pool size for calls that name no thread, until the client sets one.
const DEFAULT_POOL: usize = 1;

/// One connection's serving side: the threads the peer made here, the pool,
/// where calls run, and the way back to the peer for capabilities it sends.
pub(crate) struct ConnectionState {
    threads: RefCell<CapabilityServerSet<ThreadServer, thread::Client>>,
    pool: Semaphore,
    pool_size: Cell<usize>,
    handle: LoopHandle,
    /// Where served calls run: the process's multi-threaded runtime, so the
    /// loop thread only moves messages. `None` runs them on the loop.
    executor: Option<tokio::runtime::Handle>,
    /// The peer's `ThreadMap`, from `Init.construct`.
    peer_thread_map: RefCell<Option<thread_map::Client>>,
    /// Our client side of the connection, while something uses it.
    peer: RefCell<Weak<ClientConnection>>,
}

impl ConnectionState {
    pub(crate) fn new(handle: LoopHandle, executor: Option<tokio::runtime::Handle>) -> Rc<ConnectionState> {
        Rc::new(ConnectionState {
            threads: RefCell::new(CapabilityServerSet::new()),
            pool: Semaphore::new(DEFAULT_POOL),
            pool_size: Cell::new(DEFAULT_POOL),
            handle,
            executor,
            peer_thread_map: RefCell::new(None),
            peer: RefCell::new(Weak::new()),
        })
    }

    /// Records the peer's `ThreadMap`, for calls back to it.
    pub(crate) fn set_peer_thread_map(&self, thread_map: thread_map::Client) {
        *self.peer_thread_map.borrow_mut() = Some(thread_map);
    }

    /// Records the client side that already calls the peer on this connection.
    pub(crate) fn set_peer(&self, peer: &Rc<ClientConnection>) {
        *self.peer.borrow_mut() = Rc::downgrade(peer);
    }

    /// The client side for calling capabilities the peer sent us (callbacks).
    pub(crate) fn peer(self: &Rc<Self>) -> Result<Rc<ClientConnection>, capnp::Error> {
        if let Some(peer) = self.peer.borrow().upgrade() {
            return Ok(peer);
        }
        let thread_map = self.peer_thread_map.borrow().clone().ok_or_else(|| {
            capnp::Error::failed("callbacks need the peer's ThreadMap: call Init.construct first".into())
        })?;
        let peer = ClientConnection::new(self.handle.clone(), thread_map, self.clone(), None);
        *self.peer.borrow_mut() = Rc::downgrade(&peer);
        Ok(peer)
    }

    /// Runs `call` for the thread `ctx` names, or in the pool, where `placement`
    /// says. `request` numbers the log line.
    ///
    /// Calls naming one thread are not queued behind each other: a
    /// libmultiprocess client thread has one call outstanding at a time,
    /// except for the calls it makes while serving our callbacks, which must
    /// run while the first waits (as a waiting libmultiprocess thread serves
    /// them) or the two would deadlock.
    async fn run<T: Send + 'static>(
        &self,
        ctx: Option<thread::Client>,
        request: u64,
        placement: Placement,
        call: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, capnp::Error> {
        let _slot = match ctx {
            Some(cap) => {
                let resolved = get_resolved_cap(cap).await;
                let name =
                    self.threads.borrow().get_local_server_of_resolved(&resolved).map(|t| t.name.clone()).ok_or_else(
                        || capnp::Error::failed("Context.thread is not a thread made by this server".into()),
                    )?;
                log::event(&format!("IPC server post request  #{request} {{{name}}}"));
                None
            }
            None => Some(self.pool.acquire().await.map_err(|_| capnp::Error::failed("thread pool closed".into()))?),
        };
        match (&self.executor, placement) {
            (Some(executor), Placement::Executor) => {
                executor.spawn(call).await.map_err(|e| capnp::Error::failed(format!("the call failed: {e}")))
            }
            _ => Ok(call.await),
        }
    }

    fn resize_pool(&self, size: usize) {
        let size = size.max(1);
        let current = self.pool_size.replace(size);
        if size > current {
            self.pool.add_permits(size - current);
        } else {
            self.pool.forget_permits(current - size);
        }
    }
}

/// Where a served call runs.
#[derive(Clone, Copy)]
pub(crate) enum Placement {
    /// On the process's multi-threaded runtime: the default, for anything that
    /// may take a while.
    Executor,
    /// On the loop thread itself, for calls that answer at once (`Echo.echo`,
    /// tip queries): handing them to another thread and back would cost more
    /// than the call, two thread wake-ups per round trip.
    Loop,
}

/// The thread a `Context` names, if any.
fn context_thread(ctx: context::Reader<'_>) -> Result<Option<thread::Client>, capnp::Error> {
    if ctx.has_thread() {
        Ok(Some(ctx.get_thread()?))
    } else {
        Ok(None)
    }
}

struct ThreadServer {
    name: String,
}

impl thread::Server for ThreadServer {
    async fn get_name(
        self: Rc<Self>,
        _: thread::GetNameParams,
        mut results: thread::GetNameResults,
    ) -> Result<(), capnp::Error> {
        results.get().set_result(&self.name);
        Ok(())
    }
}

pub(crate) struct ThreadMapServer {
    conn: Rc<ConnectionState>,
}

impl ThreadMapServer {
    pub(crate) fn new(conn: Rc<ConnectionState>) -> Self {
        ThreadMapServer { conn }
    }
}

impl thread_map::Server for ThreadMapServer {
    async fn make_thread(
        self: Rc<Self>,
        params: thread_map::MakeThreadParams,
        mut results: thread_map::MakeThreadResults,
    ) -> Result<(), capnp::Error> {
        let name = log::peer_thread_name(params.get()?.get_name()?.to_str()?);
        log::event(&format!("IPC server: made thread {name}"));
        let client = self.conn.threads.borrow_mut().new_client(ThreadServer { name });
        results.get().set_result(client);
        Ok(())
    }

    async fn make_pool(
        self: Rc<Self>,
        params: thread_map::MakePoolParams,
        _: thread_map::MakePoolResults,
    ) -> Result<(), capnp::Error> {
        self.conn.resize_pool(params.get()?.get_count() as usize);
        Ok(())
    }
}

/// Logs the request, runs `body` on the right thread, logs the response.
macro_rules! serve {
    ($self:ident, $params:ident, $name:literal, $body:expr) => {
        serve!($self, $params, $name, $crate::server::Placement::Executor, $body)
    };
    ($self:ident, $params:ident, $name:literal, $placement:expr, $body:expr) => {{
        let request = log::next_request();
        let params = $params.get()?;
        log::message("IPC server recv request ", request, concat!($name, "$Params"), &params);
        let thread = $crate::server::context_thread(params.get_context()?)?;
        let outcome = $self.conn.run(thread, request, $placement, $body).await?;
        let outcome = outcome.map_err($crate::convert::to_capnp);
        match &outcome {
            Ok(_) => {}
            Err(e) => {
                log::event(&format!("IPC server send response #{request} {} error: {e}", concat!($name, "$Results")))
            }
        }
        let value = outcome?;
        (request, value)
    }};
}

/// Serves a method without a `Context` (`interrupt`, `interruptWait`): it runs
/// at once rather than behind the calls it is meant to cut short.
macro_rules! serve_now {
    ($params:ident, $name:literal, $body:expr) => {{
        let request = log::next_request();
        log::message("IPC server recv request ", request, concat!($name, "$Params"), &$params.get()?);
        $body.await.map_err(to_capnp)?;
        log::event(&format!("IPC server send response #{request} {} ()", concat!($name, "$Results")));
        Ok(())
    }};
}

/// Serves `destroy`: releases the object at once, whatever else is running.
macro_rules! serve_destroy {
    ($params:ident, $name:literal, $held:expr) => {{
        let request = log::next_request();
        log::message("IPC server recv request ", request, concat!($name, "$Params"), &$params.get()?);
        $held.destroy();
        log::event(&format!("IPC server send response #{request} {} ()", concat!($name, "$Results")));
        Ok(())
    }};
}

/// Serves a notification to `$self.notifications`, which answers nothing.
macro_rules! notify {
    ($self:ident, $params:ident, $name:literal, |$n:ident| $call:expr) => {{
        let $n = $self.notifications.get()?;
        let (request, ()) =
            serve!($self, $params, $name, async move { Ok::<(), hashvive_interfaces::Error>($call.await) });
        log::event(&format!("IPC server send response #{request} {} ()", concat!($name, "$Results")));
        Ok(())
    }};
}

mod chain;
pub(crate) use chain::{ChainNotificationsServer, ChainServer, RpcActorServer};
mod node;
pub(crate) use node::NodeNotificationsServer;
use node::NodeServer;
mod wallet;
use wallet::WalletLoaderServer;
pub(crate) use wallet::{WalletLoaderNotificationsServer, WalletNotificationsServer, WalletServer};

fn log_results(request: u64, name: &str, results: &dyn std::fmt::Debug) {
    log::message("IPC server send response", request, name, results);
}

/// Serves an [`Init`].
pub(crate) struct InitServer {
    init: Arc<dyn Init>,
    conn: Rc<ConnectionState>,
}

impl InitServer {
    pub(crate) fn new(init: Arc<dyn Init>, conn: Rc<ConnectionState>) -> Self {
        InitServer { init, conn }
    }
}

impl init::Server for InitServer {
    async fn construct(
        self: Rc<Self>,
        params: init::ConstructParams,
        mut results: init::ConstructResults,
    ) -> Result<(), capnp::Error> {
        let p = params.get()?;
        if p.has_thread_map() {
            self.conn.set_peer_thread_map(p.get_thread_map()?);
        }
        let thread_map: thread_map::Client = capnp_rpc::new_client(ThreadMapServer { conn: self.conn.clone() });
        results.get().set_thread_map(thread_map);
        Ok(())
    }

    async fn make_echo(
        self: Rc<Self>,
        params: init::MakeEchoParams,
        mut results: init::MakeEchoResults,
    ) -> Result<(), capnp::Error> {
        let init = self.init.clone();
        let (request, echo) = serve!(self, params, "Init.makeEcho", async move { init.make_echo().await });
        let client: echo::Client = capnp_rpc::new_client(EchoServer::new(echo, self.conn.clone()));
        results.get().set_result(client);
        log_results(request, "Init.makeEcho$Results", &results.get().into_reader());
        Ok(())
    }

    async fn make_mining_old2(
        self: Rc<Self>,
        _: init::MakeMiningOld2Params,
        _: init::MakeMiningOld2Results,
    ) -> Result<(), capnp::Error> {
        Err(capnp::Error::failed("Old mining interface (@2) not supported. Please update your client!".into()))
    }

    async fn make_mining(
        self: Rc<Self>,
        params: init::MakeMiningParams,
        mut results: init::MakeMiningResults,
    ) -> Result<(), capnp::Error> {
        let init = self.init.clone();
        let (request, mining) = serve!(self, params, "Init.makeMining", async move { init.make_mining().await });
        let client: mining::Client = capnp_rpc::new_client(MiningServer { mining, conn: self.conn.clone() });
        results.get().set_result(client);
        log_results(request, "Init.makeMining$Results", &results.get().into_reader());
        Ok(())
    }

    async fn make_rpc(
        self: Rc<Self>,
        params: init::MakeRpcParams,
        mut results: init::MakeRpcResults,
    ) -> Result<(), capnp::Error> {
        let init = self.init.clone();
        let (request, rpc) = serve!(self, params, "Init.makeRpc", async move { init.make_rpc().await });
        let client: rpc::Client = capnp_rpc::new_client(RpcServer { rpc, conn: self.conn.clone() });
        results.get().set_result(client);
        log_results(request, "Init.makeRpc$Results", &results.get().into_reader());
        Ok(())
    }

    async fn make_chain(
        self: Rc<Self>,
        params: init::MakeChainParams,
        mut results: init::MakeChainResults,
    ) -> Result<(), capnp::Error> {
        let init = self.init.clone();
        let (request, chain) = serve!(self, params, "Init.makeChain", async move { init.make_chain().await });
        results.get().set_result(ChainServer::client(chain, &self.conn));
        log_results(request, "Init.makeChain$Results", &results.get().into_reader());
        Ok(())
    }

    async fn make_wallet_loader(
        self: Rc<Self>,
        params: init::MakeWalletLoaderParams,
        mut results: init::MakeWalletLoaderResults,
    ) -> Result<(), capnp::Error> {
        let init = self.init.clone();
        let (chain, args) = {
            let p = params.get()?;
            let chain: Arc<dyn Chain> = Arc::new(ChainProxy::new(&self.conn.peer()?, p.get_chain()?));
            let args = p.get_args()?.iter().map(|a| Ok(a?.to_string()?)).collect::<Result<Vec<_>, capnp::Error>>()?;
            (chain, args)
        };
        let (request, loader) =
            serve!(self, params, "Init.makeWalletLoader", async move { init.make_wallet_loader(chain, args).await });
        results.get().set_result(WalletLoaderServer::client(loader, &self.conn));
        log_results(request, "Init.makeWalletLoader$Results", &results.get().into_reader());
        Ok(())
    }

    async fn make_node(
        self: Rc<Self>,
        params: init::MakeNodeParams,
        mut results: init::MakeNodeResults,
    ) -> Result<(), capnp::Error> {
        let init = self.init.clone();
        let (request, node) = serve!(self, params, "Init.makeNode", async move { init.make_node().await });
        results.get().set_result(NodeServer::client(node, &self.conn));
        log_results(request, "Init.makeNode$Results", &results.get().into_reader());
        Ok(())
    }
}

/// An object a client may `destroy`; calls after that are refused.
pub(crate) struct Held<T: ?Sized> {
    object: RefCell<Option<Arc<T>>>,
    name: &'static str,
}

impl<T: ?Sized> Held<T> {
    fn new(object: Arc<T>, name: &'static str) -> Self {
        Held { object: RefCell::new(Some(object)), name }
    }

    fn get(&self) -> Result<Arc<T>, capnp::Error> {
        self.object.borrow().clone().ok_or_else(|| capnp::Error::failed(format!("{} object was destroyed", self.name)))
    }

    fn destroy(&self) {
        self.object.borrow_mut().take();
    }
}

/// Serves an [`Echo`] until the client calls `destroy`.
struct EchoServer {
    echo: Held<dyn Echo>,
    conn: Rc<ConnectionState>,
}

impl EchoServer {
    fn new(echo: Arc<dyn Echo>, conn: Rc<ConnectionState>) -> Self {
        EchoServer { echo: Held::new(echo, "Echo"), conn }
    }
}

impl echo::Server for EchoServer {
    async fn destroy(self: Rc<Self>, params: echo::DestroyParams, _: echo::DestroyResults) -> Result<(), capnp::Error> {
        serve_destroy!(params, "Echo.destroy", self.echo)
    }

    async fn echo(
        self: Rc<Self>,
        params: echo::EchoParams,
        mut results: echo::EchoResults,
    ) -> Result<(), capnp::Error> {
        let echo = self.echo.get()?;
        let text = params.get()?.get_echo()?.to_string()?;
        let (request, reply) = serve!(self, params, "Echo.echo", Placement::Loop, async move { echo.echo(text).await });
        results.get().set_result(&reply);
        log_results(request, "Echo.echo$Results", &results.get().into_reader());
        Ok(())
    }
}

/// Serves [`Mining`].
struct MiningServer {
    mining: Arc<dyn Mining>,
    conn: Rc<ConnectionState>,
}

impl mining::Server for MiningServer {
    async fn is_test_chain(
        self: Rc<Self>,
        params: mining::IsTestChainParams,
        mut results: mining::IsTestChainResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let (request, value) =
            serve!(self, params, "Mining.isTestChain", Placement::Loop, async move { mining.is_test_chain().await });
        results.get().set_result(value);
        log_results(request, "Mining.isTestChain$Results", &results.get().into_reader());
        Ok(())
    }

    async fn is_initial_block_download(
        self: Rc<Self>,
        params: mining::IsInitialBlockDownloadParams,
        mut results: mining::IsInitialBlockDownloadResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let (request, value) = serve!(self, params, "Mining.isInitialBlockDownload", Placement::Loop, async move {
            mining.is_initial_block_download().await
        });
        results.get().set_result(value);
        log_results(request, "Mining.isInitialBlockDownload$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_tip(
        self: Rc<Self>,
        params: mining::GetTipParams,
        mut results: mining::GetTipResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let (request, tip) =
            serve!(self, params, "Mining.getTip", Placement::Loop, async move { mining.get_tip().await });
        if let Some(tip) = tip {
            let mut r = results.get();
            r.set_has_result(true);
            let mut block = r.init_result();
            block.set_hash(&tip.hash);
            block.set_height(tip.height);
        }
        log_results(request, "Mining.getTip$Results", &results.get().into_reader());
        Ok(())
    }

    async fn wait_tip_changed(
        self: Rc<Self>,
        params: mining::WaitTipChangedParams,
        mut results: mining::WaitTipChangedResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let (current, timeout) = {
            let p = params.get()?;
            let hash = p.get_current_tip()?;
            let current: [u8; 32] =
                hash.try_into().map_err(|_| capnp::Error::failed("currentTip must be a 32-byte block hash".into()))?;
            (current, duration_from_millis(p.get_timeout()))
        };
        let (request, tip) =
            serve!(
                self,
                params,
                "Mining.waitTipChanged",
                async move { mining.wait_tip_changed(current, timeout).await }
            );
        // Interrupted: an empty BlockRef, as the reference answers.
        if let Some(tip) = tip {
            let mut block = results.get().init_result();
            block.set_hash(&tip.hash);
            block.set_height(tip.height);
        }
        log_results(request, "Mining.waitTipChanged$Results", &results.get().into_reader());
        Ok(())
    }

    async fn create_new_block(
        self: Rc<Self>,
        params: mining::CreateNewBlockParams,
        mut results: mining::CreateNewBlockResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let (options, cooldown) = {
            let p = params.get()?;
            (read_create_options(p.get_options()?), p.get_cooldown())
        };
        let (request, template) =
            serve!(
                self,
                params,
                "Mining.createNewBlock",
                async move { mining.create_new_block(options, cooldown).await }
            );
        if let Some(template) = template {
            results.get().set_result(BlockTemplateServer::client(template, &self.conn));
        }
        log_results(request, "Mining.createNewBlock$Results", &results.get().into_reader());
        Ok(())
    }

    async fn check_block(
        self: Rc<Self>,
        params: mining::CheckBlockParams,
        mut results: mining::CheckBlockResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let (block, options) = {
            let p = params.get()?;
            (p.get_block()?.to_vec(), read_check_options(p.get_options()?))
        };
        let (request, verdict) =
            serve!(self, params, "Mining.checkBlock", async move { mining.check_block(block, options).await });
        write_verdict!(results.get(), verdict);
        log_results(request, "Mining.checkBlock$Results", &results.get().into_reader());
        Ok(())
    }

    async fn interrupt(
        self: Rc<Self>,
        params: mining::InterruptParams,
        _: mining::InterruptResults,
    ) -> Result<(), capnp::Error> {
        serve_now!(params, "Mining.interrupt", self.mining.interrupt())
    }

    async fn submit_block(
        self: Rc<Self>,
        params: mining::SubmitBlockParams,
        mut results: mining::SubmitBlockResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let (block, precious) = {
            let p = params.get()?;
            (p.get_block()?.to_vec(), p.get_precious())
        };
        let (request, verdict) =
            serve!(self, params, "Mining.submitBlock", async move { mining.submit_block(block, precious).await });
        write_verdict!(results.get(), verdict);
        log_results(request, "Mining.submitBlock$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_transactions_by_tx_i_d(
        self: Rc<Self>,
        params: mining::GetTransactionsByTxIDParams,
        mut results: mining::GetTransactionsByTxIDResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let txids = read_hashes(params.get()?.get_txids()?, "txid")?;
        let (request, txs) = serve!(self, params, "Mining.getTransactionsByTxID", async move {
            mining.get_transactions_by_txid(txids).await
        });
        write_transactions(results.get().init_result(txs.len() as u32), &txs);
        log_results(request, "Mining.getTransactionsByTxID$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_transactions_by_witness_i_d(
        self: Rc<Self>,
        params: mining::GetTransactionsByWitnessIDParams,
        mut results: mining::GetTransactionsByWitnessIDResults,
    ) -> Result<(), capnp::Error> {
        let mining = self.mining.clone();
        let wtxids = read_hashes(params.get()?.get_wtxids()?, "wtxid")?;
        let (request, txs) = serve!(self, params, "Mining.getTransactionsByWitnessID", async move {
            mining.get_transactions_by_witness_id(wtxids).await
        });
        write_transactions(results.get().init_result(txs.len() as u32), &txs);
        log_results(request, "Mining.getTransactionsByWitnessID$Results", &results.get().into_reader());
        Ok(())
    }
}

fn read_hashes(list: capnp::data_list::Reader<'_>, what: &str) -> Result<Vec<[u8; 32]>, capnp::Error> {
    list.iter().map(|data| hash32(data?, what)).collect()
}

/// Transactions the node does not have are empty data, as the reference's null `CTransactionRef`.
fn write_transactions(mut list: capnp::data_list::Builder<'_>, txs: &[Option<Vec<u8>>]) {
    for (i, tx) in txs.iter().enumerate() {
        list.set(i as u32, tx.as_deref().unwrap_or_default());
    }
}

/// Serves a [`BlockTemplate`] until the client calls `destroy`.
struct BlockTemplateServer {
    template: Held<dyn BlockTemplate>,
    conn: Rc<ConnectionState>,
}

impl BlockTemplateServer {
    fn client(template: Arc<dyn BlockTemplate>, conn: &Rc<ConnectionState>) -> block_template::Client {
        capnp_rpc::new_client(BlockTemplateServer {
            template: Held::new(template, "BlockTemplate"),
            conn: conn.clone(),
        })
    }
}

impl block_template::Server for BlockTemplateServer {
    async fn destroy(
        self: Rc<Self>,
        params: block_template::DestroyParams,
        _: block_template::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "BlockTemplate.destroy", self.template)
    }

    async fn get_block_header(
        self: Rc<Self>,
        params: block_template::GetBlockHeaderParams,
        mut results: block_template::GetBlockHeaderResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        let (request, header) =
            serve!(self, params, "BlockTemplate.getBlockHeader", async move { template.get_block_header().await });
        results.get().set_result(&header);
        log_results(request, "BlockTemplate.getBlockHeader$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_block(
        self: Rc<Self>,
        params: block_template::GetBlockParams,
        mut results: block_template::GetBlockResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        let (request, block) =
            serve!(self, params, "BlockTemplate.getBlock", async move { template.get_block().await });
        results.get().set_result(&block);
        log_results(request, "BlockTemplate.getBlock$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_tx_fees(
        self: Rc<Self>,
        params: block_template::GetTxFeesParams,
        mut results: block_template::GetTxFeesResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        let (request, fees) =
            serve!(self, params, "BlockTemplate.getTxFees", async move { template.get_tx_fees().await });
        results.get().set_result(&fees[..])?;
        log_results(request, "BlockTemplate.getTxFees$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_tx_sigops(
        self: Rc<Self>,
        params: block_template::GetTxSigopsParams,
        mut results: block_template::GetTxSigopsResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        let (request, sigops) =
            serve!(self, params, "BlockTemplate.getTxSigops", async move { template.get_tx_sigops().await });
        results.get().set_result(&sigops[..])?;
        log_results(request, "BlockTemplate.getTxSigops$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_coinbase_tx(
        self: Rc<Self>,
        params: block_template::GetCoinbaseTxParams,
        mut results: block_template::GetCoinbaseTxResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        let (request, coinbase) =
            serve!(self, params, "BlockTemplate.getCoinbaseTx", async move { template.get_coinbase_tx().await });
        write_coinbase_tx(results.get().init_result(), &coinbase);
        log_results(request, "BlockTemplate.getCoinbaseTx$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_coinbase_merkle_path(
        self: Rc<Self>,
        params: block_template::GetCoinbaseMerklePathParams,
        mut results: block_template::GetCoinbaseMerklePathResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        let (request, path) = serve!(self, params, "BlockTemplate.getCoinbaseMerklePath", async move {
            template.get_coinbase_merkle_path().await
        });
        let mut list = results.get().init_result(path.len() as u32);
        for (i, hash) in path.iter().enumerate() {
            list.set(i as u32, hash);
        }
        log_results(request, "BlockTemplate.getCoinbaseMerklePath$Results", &results.get().into_reader());
        Ok(())
    }

    async fn submit_solution_old7(
        self: Rc<Self>,
        _: block_template::SubmitSolutionOld7Params,
        _: block_template::SubmitSolutionOld7Results,
    ) -> Result<(), capnp::Error> {
        Err(capnp::Error::failed("Old submitSolution (@7) not supported. Please update your client!".into()))
    }

    async fn wait_next(
        self: Rc<Self>,
        params: block_template::WaitNextParams,
        mut results: block_template::WaitNextResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        let options = read_wait_options(params.get()?.get_options()?);
        let (request, next) =
            serve!(self, params, "BlockTemplate.waitNext", async move { template.wait_next(options).await });
        if let Some(next) = next {
            results.get().set_result(BlockTemplateServer::client(next, &self.conn));
        }
        log_results(request, "BlockTemplate.waitNext$Results", &results.get().into_reader());
        Ok(())
    }

    async fn interrupt_wait(
        self: Rc<Self>,
        params: block_template::InterruptWaitParams,
        _: block_template::InterruptWaitResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        serve_now!(params, "BlockTemplate.interruptWait", template.interrupt_wait())
    }

    async fn submit_solution(
        self: Rc<Self>,
        params: block_template::SubmitSolutionParams,
        mut results: block_template::SubmitSolutionResults,
    ) -> Result<(), capnp::Error> {
        let template = self.template.get()?;
        let (version, timestamp, nonce, coinbase, precious) = {
            let p = params.get()?;
            (p.get_version(), p.get_timestamp(), p.get_nonce(), p.get_coinbase()?.to_vec(), p.get_precious())
        };
        let (request, verdict) = serve!(self, params, "BlockTemplate.submitSolution", async move {
            template.submit_solution(version, timestamp, nonce, coinbase, precious).await
        });
        write_verdict!(results.get(), verdict);
        log_results(request, "BlockTemplate.submitSolution$Results", &results.get().into_reader());
        Ok(())
    }
}

/// Serves [`Rpc`].
struct RpcServer {
    rpc: Arc<dyn Rpc>,
    conn: Rc<ConnectionState>,
}

impl rpc::Server for RpcServer {
    async fn execute_rpc(
        self: Rc<Self>,
        params: rpc::ExecuteRpcParams,
        mut results: rpc::ExecuteRpcResults,
    ) -> Result<(), capnp::Error> {
        let rpc = self.rpc.clone();
        let (request, uri, user) = {
            let p = params.get()?;
            (p.get_request()?.to_string()?, p.get_uri()?.to_string()?, p.get_user()?.to_string()?)
        };
        let (n, reply) =
            serve!(self, params, "Rpc.executeRpc", async move { rpc.execute_rpc(request, uri, user).await });
        results.get().set_result(&reply);
        log_results(n, "Rpc.executeRpc$Results", &results.get().into_reader());
        Ok(())
    }
}
