//! Servers: expose trait objects to a peer over Cap'n Proto.
//!
//! Calls run on the loop thread as the futures the trait objects return; an
//! implementation with heavy or blocking work moves it to its own runtime.
//! libmultiprocess's threading rules are kept: a call whose `Context` names a
//! thread (made with `ThreadMap.makeThread`) waits for earlier calls on that
//! thread to finish, so each client thread sees its calls run in order; a call
//! naming no thread takes a slot of the pool sized by `makePool`.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::rc::Rc;
use std::sync::Arc;

use capnp::capability::get_resolved_cap;
use capnp_rpc::CapabilityServerSet;
use tokio::sync::{Mutex, Semaphore};

use hashvive_interfaces::{Echo, Init, Mining, Rpc};

use crate::convert::{duration_from_secs, to_capnp};
use crate::log;
use crate::schema::echo_capnp::echo;
use crate::schema::init_capnp::init;
use crate::schema::mining_capnp::mining;
use crate::schema::proxy_capnp::{context, thread, thread_map};
use crate::schema::rpc_capnp::rpc;

/// Pool size for calls that name no thread, until the client sets one.
const DEFAULT_POOL: usize = 1;

/// What one connection's servers share: its threads and its pool.
pub(crate) struct ConnectionState {
    threads: RefCell<CapabilityServerSet<ThreadServer, thread::Client>>,
    pool: Semaphore,
    pool_size: Cell<usize>,
}

impl ConnectionState {
    pub(crate) fn new() -> Rc<ConnectionState> {
        Rc::new(ConnectionState {
            threads: RefCell::new(CapabilityServerSet::new()),
            pool: Semaphore::new(DEFAULT_POOL),
            pool_size: Cell::new(DEFAULT_POOL),
        })
    }

    /// Runs `call` on the thread `ctx` names, or in the pool. `request` numbers the
    /// log line.
    async fn run<T>(
        &self,
        ctx: Option<thread::Client>,
        request: u64,
        call: impl Future<Output = T>,
    ) -> Result<T, capnp::Error> {
        match ctx {
            Some(cap) => {
                let resolved = get_resolved_cap(cap).await;
                let server =
                    self.threads.borrow().get_local_server_of_resolved(&resolved).ok_or_else(|| {
                        capnp::Error::failed("Context.thread is not a thread made by this server".into())
                    })?;
                let _turn = server.queue.lock().await;
                log::event(&format!("IPC server post request  #{request} {{{}}}", server.name));
                Ok(call.await)
            }
            None => {
                let _slot = self.pool.acquire().await.map_err(|_| capnp::Error::failed("thread pool closed".into()))?;
                Ok(call.await)
            }
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
    /// Calls on this thread take turns, first come first served.
    queue: Mutex<()>,
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
        let client = self.conn.threads.borrow_mut().new_client(ThreadServer { name, queue: Mutex::new(()) });
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
    ($self:ident, $params:ident, $name:literal, $body:expr) => {{
        let request = log::next_request();
        let params = $params.get()?;
        log::message("IPC server recv request ", request, concat!($name, "$Params"), &params);
        let thread = context_thread(params.get_context()?)?;
        let outcome = $self.conn.run(thread, request, $body).await?;
        let outcome = outcome.map_err(to_capnp);
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
        _: init::ConstructParams,
        mut results: init::ConstructResults,
    ) -> Result<(), capnp::Error> {
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
}

/// Serves an [`Echo`] until the client calls `destroy`.
struct EchoServer {
    echo: RefCell<Option<Arc<dyn Echo>>>,
    conn: Rc<ConnectionState>,
}

impl EchoServer {
    fn new(echo: Arc<dyn Echo>, conn: Rc<ConnectionState>) -> Self {
        EchoServer { echo: RefCell::new(Some(echo)), conn }
    }

    fn inner(&self) -> Result<Arc<dyn Echo>, capnp::Error> {
        self.echo.borrow().clone().ok_or_else(|| capnp::Error::failed("Echo object was destroyed".into()))
    }
}

impl echo::Server for EchoServer {
    async fn destroy(self: Rc<Self>, params: echo::DestroyParams, _: echo::DestroyResults) -> Result<(), capnp::Error> {
        let this = self.clone();
        let (request, ()) = serve!(self, params, "Echo.destroy", async move {
            this.echo.borrow_mut().take();
            Ok::<(), hashvive_interfaces::Error>(())
        });
        log::event(&format!("IPC server send response #{request} Echo.destroy$Results ()"));
        Ok(())
    }

    async fn echo(
        self: Rc<Self>,
        params: echo::EchoParams,
        mut results: echo::EchoResults,
    ) -> Result<(), capnp::Error> {
        let echo = self.inner()?;
        let text = params.get()?.get_echo()?.to_string()?;
        let (request, reply) = serve!(self, params, "Echo.echo", async move { echo.echo(text).await });
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
        let (request, value) = serve!(self, params, "Mining.isTestChain", async move { mining.is_test_chain().await });
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
        let (request, value) =
            serve!(
                self,
                params,
                "Mining.isInitialBlockDownload",
                async move { mining.is_initial_block_download().await }
            );
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
        let (request, tip) = serve!(self, params, "Mining.getTip", async move { mining.get_tip().await });
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
            (current, duration_from_secs(p.get_timeout()))
        };
        let (request, tip) =
            serve!(
                self,
                params,
                "Mining.waitTipChanged",
                async move { mining.wait_tip_changed(current, timeout).await }
            );
        let mut block = results.get().init_result();
        block.set_hash(&tip.hash);
        block.set_height(tip.height);
        log_results(request, "Mining.waitTipChanged$Results", &results.get().into_reader());
        Ok(())
    }

    async fn interrupt(
        self: Rc<Self>,
        _: mining::InterruptParams,
        _: mining::InterruptResults,
    ) -> Result<(), capnp::Error> {
        // Nothing waits uninterruptibly: waits end with their timeout or the connection.
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
