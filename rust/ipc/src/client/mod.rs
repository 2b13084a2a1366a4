//! Proxies: implement the interface traits by calling a peer over Cap'n Proto.
//!
//! A proxy is `Send + Sync`; the Cap'n Proto client it stands for stays on the
//! loop thread. Each calling thread gets its own thread on the server (made
//! once with `ThreadMap.makeThread`), as libmultiprocess clients do, so calls
//! from one thread run in order there while calls from different threads may
//! run side by side.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::ThreadId;
use std::time::Duration;

use hashvive_interfaces::{
    async_trait, BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockVerdict, BlockWaitOptions, Chain,
    CoinbaseTx, Echo, Error, Init, Mining, Node, Result, Rpc, WalletLoader,
};

use crate::convert::{
    from_capnp, millis, read_block_ref, read_coinbase_tx, read_verdict, write_check_options, write_create_options,
    write_wait_options,
};
use crate::event_loop::{spawn_if_running, LoopHandle, Remote};
use crate::log;
use crate::schema::echo_capnp::echo;
use crate::schema::init_capnp::init;
use crate::schema::mining_capnp::{block_template, mining};
use crate::schema::proxy_capnp::{thread, thread_map};
use crate::schema::rpc_capnp::rpc;
use crate::server::{ChainServer, ConnectionState};

/// One connection's client side, on the loop thread.
pub(crate) struct ClientConnection {
    handle: LoopHandle,
    thread_map: thread_map::Client,
    threads: RefCell<HashMap<ThreadId, thread::Client>>,
    /// The serving side, for capabilities we send the peer (callbacks).
    local: Rc<ConnectionState>,
    /// Present on the side that opened the connection, which closes it.
    disconnector: RefCell<Option<capnp_rpc::Disconnector<capnp_rpc::rpc_twoparty_capnp::Side>>>,
}

impl Drop for ClientConnection {
    /// When the last proxy from a connection is gone, so is the connection: a
    /// spawned child sees its socket close and exits.
    fn drop(&mut self) {
        if let Some(disconnect) = self.disconnector.borrow_mut().take() {
            spawn_if_running(async move {
                let _ = disconnect.await;
            });
        }
    }
}

/// Who is calling: the thread's id and name, taken before the call hops.
#[derive(Clone)]
struct Caller(ThreadId, String);

fn caller() -> Caller {
    let t = std::thread::current();
    Caller(t.id(), t.name().unwrap_or("unnamed").to_string())
}

impl ClientConnection {
    pub(crate) fn new(
        handle: LoopHandle,
        thread_map: thread_map::Client,
        local: Rc<ConnectionState>,
        disconnector: Option<capnp_rpc::Disconnector<capnp_rpc::rpc_twoparty_capnp::Side>>,
    ) -> Rc<ClientConnection> {
        Rc::new(ClientConnection {
            handle,
            thread_map,
            threads: RefCell::new(HashMap::new()),
            local,
            disconnector: RefCell::new(disconnector),
        })
    }

    pub(crate) fn local(&self) -> &Rc<ConnectionState> {
        &self.local
    }

    /// The server thread that runs `caller`'s calls, made on first use.
    async fn thread_for(&self, caller: Caller) -> Result<thread::Client> {
        if let Some(t) = self.threads.borrow().get(&caller.0) {
            return Ok(t.clone());
        }
        let mut request = self.thread_map.make_thread_request();
        request.get().set_name(&caller.1);
        let response = request.send().promise.await.map_err(from_capnp)?;
        let thread = response.get().and_then(|r| r.get_result()).map_err(from_capnp)?;
        self.threads.borrow_mut().insert(caller.0, thread.clone());
        Ok(thread)
    }
}

/// What a proxy keeps on the loop thread. Dropping it tells the server the
/// object is no longer needed, for interfaces that have `destroy`.
pub(crate) struct Proxy<C: Destroy> {
    client: C,
    conn: Rc<ClientConnection>,
}

pub(crate) trait Destroy {
    fn destroy(&self) {}
}

impl Destroy for init::Client {}
impl Destroy for mining::Client {}
impl Destroy for rpc::Client {}
/// Fire and forget: the peer may already be gone.
macro_rules! destroy_on_drop {
    ($client:ty) => {
        impl Destroy for $client {
            fn destroy(&self) {
                let request = self.destroy_request();
                spawn_if_running(async move {
                    let _ = request.send().promise.await;
                });
            }
        }
    };
}
destroy_on_drop!(echo::Client);
destroy_on_drop!(block_template::Client);
destroy_on_drop!(crate::schema::chain_capnp::chain::Client);
destroy_on_drop!(crate::schema::chain_capnp::chain_notifications::Client);
destroy_on_drop!(crate::schema::chain_capnp::rpc_actor::Client);
destroy_on_drop!(crate::schema::handler_capnp::handler::Client);
destroy_on_drop!(crate::schema::wallet_capnp::wallet_loader::Client);
destroy_on_drop!(crate::schema::wallet_capnp::wallet::Client);
destroy_on_drop!(crate::schema::wallet_capnp::wallet_notifications::Client);
destroy_on_drop!(crate::schema::wallet_capnp::wallet_loader_notifications::Client);
destroy_on_drop!(crate::schema::node_capnp::node::Client);
destroy_on_drop!(crate::schema::node_capnp::node_notifications::Client);

impl<C: Destroy> Drop for Proxy<C> {
    fn drop(&mut self) {
        self.client.destroy();
    }
}

fn stored<C: Destroy + 'static>(conn: &Rc<ClientConnection>, client: C) -> Remote<Proxy<C>> {
    Remote::store(&conn.handle, Rc::new(Proxy { client, conn: conn.clone() }))
}

pub(crate) fn text(r: capnp::Result<capnp::text::Reader<'_>>) -> Result<String> {
    r.map_err(from_capnp)?.to_string().map_err(|e| Error::Remote(format!("invalid UTF-8 from peer: {e}")))
}

/// Sends `$request`, logging it and the response, and hands the results to `$extract`.
macro_rules! exchange {
    ($request:ident, $name:literal, |$results:ident| $extract:expr) => {{
        let n = log::next_request();
        log::message("IPC client send request ", n, concat!($name, "$Params"), &$request.get().into_reader());
        let response = $request.send().promise.await.map_err(from_capnp)?;
        let $results = response.get().map_err(from_capnp)?;
        log::message("IPC client recv response", n, concat!($name, "$Results"), &$results);
        $extract
    }};
}

/// Runs one call on the loop thread: builds the request with the caller's
/// server thread in its context, fills it, sends it, logs both ways, and
/// hands the results to `$extract`. `$p` names the proxy's loop-side state.
macro_rules! call {
    ($self:ident, $p:ident, $method:ident, $name:literal, |$params:ident| $fill:block, |$results:ident| $extract:expr) => {{
        let caller = caller();
        $self
            .remote
            .with(move |$p| async move {
                let thread = $p.conn.thread_for(caller).await?;
                let mut request = $p.client.$method();
                {
                    #[allow(unused_mut)]
                    let mut $params = request.get();
                    $params.reborrow().init_context().set_thread(thread);
                    $fill
                }
                exchange!(request, $name, |$results| $extract)
            })
            .await
    }};
}

/// A notification to the peer (a callback it registered): it answers
/// nothing, and if the peer is gone it misses it; the caller carries on.
macro_rules! notify {
    ($self:ident, $method:ident, $name:literal, |$params:ident| $fill:block) => {{
        let outcome: Result<()> = call!($self, p, $method, $name, |$params| $fill, |results| Ok(()));
        $crate::client::missed(outcome, $name);
    }};
}

/// Logs a notification the peer did not get.
fn missed(outcome: Result<()>, what: &str) {
    if let Err(e) = outcome {
        log::event(&format!("IPC client: {what} not delivered: {e}"));
    }
}

/// A call without a `Context` (`interrupt`, `interruptWait`): the server runs
/// it at once, not behind the caller's pending calls it is meant to end.
macro_rules! call_now {
    ($self:ident, $method:ident, $name:literal) => {
        $self
            .remote
            .with(move |p| async move {
                let mut request = p.client.$method();
                exchange!(request, $name, |results| Ok(()))
            })
            .await
    };
}

mod chain;
pub(crate) use chain::{ChainNotificationsProxy, ChainProxy, RpcActorProxy};
mod node;
pub(crate) use node::NodeNotificationsProxy;
use node::NodeProxy;
mod wallet;
pub(crate) use wallet::{WalletLoaderNotificationsProxy, WalletLoaderProxy, WalletNotificationsProxy, WalletProxy};

/// A peer's [`Init`].
pub(crate) struct InitProxy {
    remote: Remote<Proxy<init::Client>>,
}

impl InitProxy {
    pub(crate) fn new(conn: &Rc<ClientConnection>, client: init::Client) -> InitProxy {
        InitProxy { remote: stored(conn, client) }
    }
}

/// An `Init.make*` call: sends the caller's context, wraps the capability it
/// returns in `$proxy`.
macro_rules! make {
    ($self:ident, $request:ident, $name:literal, $proxy:ident, $trait:ident) => {
        call!($self, p, $request, $name, |params| {}, |results| {
            let client = results.get_result().map_err(from_capnp)?;
            Ok(Arc::new($proxy { remote: stored(&p.conn, client) }) as Arc<dyn $trait>)
        })
    };
}

#[async_trait]
impl Init for InitProxy {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>> {
        make!(self, make_echo_request, "Init.makeEcho", EchoProxy, Echo)
    }

    async fn make_mining(&self) -> Result<Arc<dyn Mining>> {
        make!(self, make_mining_request, "Init.makeMining", MiningProxy, Mining)
    }

    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>> {
        make!(self, make_rpc_request, "Init.makeRpc", RpcProxy, Rpc)
    }

    async fn make_chain(&self) -> Result<Arc<dyn Chain>> {
        make!(self, make_chain_request, "Init.makeChain", ChainProxy, Chain)
    }

    async fn make_wallet_loader(&self, chain: Arc<dyn Chain>, args: Vec<String>) -> Result<Arc<dyn WalletLoader>> {
        call!(
            self,
            p,
            make_wallet_loader_request,
            "Init.makeWalletLoader",
            |params| {
                params.set_chain(ChainServer::client(chain, p.conn.local()));
                let mut list = params.init_args(args.len() as u32);
                for (i, arg) in args.iter().enumerate() {
                    list.set(i as u32, arg);
                }
            },
            |results| {
                let client = results.get_result().map_err(from_capnp)?;
                Ok(Arc::new(WalletLoaderProxy { remote: stored(&p.conn, client) }) as Arc<dyn WalletLoader>)
            }
        )
    }

    async fn make_node(&self) -> Result<Arc<dyn Node>> {
        make!(self, make_node_request, "Init.makeNode", NodeProxy, Node)
    }
}

/// A peer's [`Echo`]; dropping it destroys the server's object.
struct EchoProxy {
    remote: Remote<Proxy<echo::Client>>,
}

#[async_trait]
impl Echo for EchoProxy {
    async fn echo(&self, echo: String) -> Result<String> {
        call!(self, p, echo_request, "Echo.echo", |params| { params.set_echo(&echo) }, |results| {
            text(results.get_result())
        })
    }
}

/// A peer's [`Mining`].
struct MiningProxy {
    remote: Remote<Proxy<mining::Client>>,
}

fn block_ref(r: capnp::Result<crate::schema::common_capnp::block_ref::Reader<'_>>) -> Result<BlockRef> {
    read_block_ref(r.map_err(from_capnp)?).map_err(from_capnp)
}

#[async_trait]
impl Mining for MiningProxy {
    async fn is_test_chain(&self) -> Result<bool> {
        call!(self, p, is_test_chain_request, "Mining.isTestChain", |params| {}, |results| Ok(results.get_result()))
    }

    async fn is_initial_block_download(&self) -> Result<bool> {
        call!(self, p, is_initial_block_download_request, "Mining.isInitialBlockDownload", |params| {}, |results| {
            Ok(results.get_result())
        })
    }

    async fn get_tip(&self) -> Result<Option<BlockRef>> {
        call!(self, p, get_tip_request, "Mining.getTip", |params| {}, |results| {
            if results.get_has_result() {
                block_ref(results.get_result()).map(Some)
            } else {
                Ok(None)
            }
        })
    }

    async fn wait_tip_changed(&self, current_tip: [u8; 32], timeout: Duration) -> Result<Option<BlockRef>> {
        call!(
            self,
            p,
            wait_tip_changed_request,
            "Mining.waitTipChanged",
            |params| {
                params.set_current_tip(&current_tip);
                params.set_timeout(millis(timeout));
            },
            // An interrupted wait answers an empty BlockRef.
            |results| if results.has_result() { block_ref(results.get_result()).map(Some) } else { Ok(None) }
        )
    }

    async fn create_new_block(
        &self,
        options: BlockCreateOptions,
        cooldown: bool,
    ) -> Result<Option<Arc<dyn BlockTemplate>>> {
        call!(
            self,
            p,
            create_new_block_request,
            "Mining.createNewBlock",
            |params| {
                write_create_options(params.reborrow().init_options(), &options);
                params.set_cooldown(cooldown);
            },
            |results| template_proxy(&p.conn, results.has_result(), || results.get_result())
        )
    }

    async fn check_block(&self, block: Vec<u8>, options: BlockCheckOptions) -> Result<BlockVerdict> {
        call!(
            self,
            p,
            check_block_request,
            "Mining.checkBlock",
            |params| {
                params.set_block(&block);
                write_check_options(params.reborrow().init_options(), &options);
            },
            |results| read_verdict!(results)
        )
    }

    async fn submit_block(&self, block: Vec<u8>, precious: bool) -> Result<BlockVerdict> {
        call!(
            self,
            p,
            submit_block_request,
            "Mining.submitBlock",
            |params| {
                params.set_block(&block);
                params.set_precious(precious);
            },
            |results| read_verdict!(results)
        )
    }

    async fn get_transactions_by_txid(&self, txids: Vec<[u8; 32]>) -> Result<Vec<Option<Vec<u8>>>> {
        call!(
            self,
            p,
            get_transactions_by_tx_i_d_request,
            "Mining.getTransactionsByTxID",
            |params| { write_hashes(params.init_txids(txids.len() as u32), &txids) },
            |results| read_transactions(results.get_result())
        )
    }

    async fn get_transactions_by_witness_id(&self, wtxids: Vec<[u8; 32]>) -> Result<Vec<Option<Vec<u8>>>> {
        call!(
            self,
            p,
            get_transactions_by_witness_i_d_request,
            "Mining.getTransactionsByWitnessID",
            |params| { write_hashes(params.init_wtxids(wtxids.len() as u32), &wtxids) },
            |results| read_transactions(results.get_result())
        )
    }

    async fn interrupt(&self) -> Result<()> {
        call_now!(self, interrupt_request, "Mining.interrupt")
    }
}

fn write_hashes(mut list: capnp::data_list::Builder<'_>, hashes: &[[u8; 32]]) {
    for (i, hash) in hashes.iter().enumerate() {
        list.set(i as u32, hash);
    }
}

/// Empty data stands for a transaction the node does not have.
fn read_transactions(list: capnp::Result<capnp::data_list::Reader<'_>>) -> Result<Vec<Option<Vec<u8>>>> {
    let list = list.map_err(from_capnp)?;
    list.iter().map(|tx| tx.map(|tx| (!tx.is_empty()).then(|| tx.to_vec())).map_err(from_capnp)).collect()
}

/// The template a call returned, if it returned one.
fn template_proxy(
    conn: &Rc<ClientConnection>,
    has_result: bool,
    get: impl FnOnce() -> capnp::Result<block_template::Client>,
) -> Result<Option<Arc<dyn BlockTemplate>>> {
    if !has_result {
        return Ok(None);
    }
    let client = get().map_err(from_capnp)?;
    Ok(Some(Arc::new(BlockTemplateProxy { remote: stored(conn, client) })))
}

/// A peer's [`BlockTemplate`]; dropping it destroys the server's object.
struct BlockTemplateProxy {
    remote: Remote<Proxy<block_template::Client>>,
}

#[async_trait]
impl BlockTemplate for BlockTemplateProxy {
    async fn get_block_header(&self) -> Result<Vec<u8>> {
        call!(self, p, get_block_header_request, "BlockTemplate.getBlockHeader", |params| {}, |results| {
            Ok(results.get_result().map_err(from_capnp)?.to_vec())
        })
    }

    async fn get_block(&self) -> Result<Vec<u8>> {
        call!(self, p, get_block_request, "BlockTemplate.getBlock", |params| {}, |results| {
            Ok(results.get_result().map_err(from_capnp)?.to_vec())
        })
    }

    async fn get_tx_fees(&self) -> Result<Vec<i64>> {
        call!(self, p, get_tx_fees_request, "BlockTemplate.getTxFees", |params| {}, |results| {
            Ok(results.get_result().map_err(from_capnp)?.iter().collect())
        })
    }

    async fn get_tx_sigops(&self) -> Result<Vec<i64>> {
        call!(self, p, get_tx_sigops_request, "BlockTemplate.getTxSigops", |params| {}, |results| {
            Ok(results.get_result().map_err(from_capnp)?.iter().collect())
        })
    }

    async fn get_coinbase_tx(&self) -> Result<CoinbaseTx> {
        call!(self, p, get_coinbase_tx_request, "BlockTemplate.getCoinbaseTx", |params| {}, |results| {
            results.get_result().and_then(read_coinbase_tx).map_err(from_capnp)
        })
    }

    async fn get_coinbase_merkle_path(&self) -> Result<Vec<[u8; 32]>> {
        call!(
            self,
            p,
            get_coinbase_merkle_path_request,
            "BlockTemplate.getCoinbaseMerklePath",
            |params| {},
            |results| {
                let list = results.get_result().map_err(from_capnp)?;
                list.iter()
                    .map(|hash| {
                        let hash = hash.map_err(from_capnp)?;
                        hash.try_into().map_err(|_| Error::Remote("merkle path hash is not 32 bytes".into()))
                    })
                    .collect()
            }
        )
    }

    async fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: Vec<u8>,
        precious: bool,
    ) -> Result<BlockVerdict> {
        call!(
            self,
            p,
            submit_solution_request,
            "BlockTemplate.submitSolution",
            |params| {
                params.set_version(version);
                params.set_timestamp(timestamp);
                params.set_nonce(nonce);
                params.set_coinbase(&coinbase);
                params.set_precious(precious);
            },
            |results| read_verdict!(results)
        )
    }

    async fn wait_next(&self, options: BlockWaitOptions) -> Result<Option<Arc<dyn BlockTemplate>>> {
        call!(
            self,
            p,
            wait_next_request,
            "BlockTemplate.waitNext",
            |params| { write_wait_options(params.init_options(), &options) },
            |results| template_proxy(&p.conn, results.has_result(), || results.get_result())
        )
    }

    async fn interrupt_wait(&self) -> Result<()> {
        call_now!(self, interrupt_wait_request, "BlockTemplate.interruptWait")
    }
}

/// A peer's [`Rpc`].
struct RpcProxy {
    remote: Remote<Proxy<rpc::Client>>,
}

#[async_trait]
impl Rpc for RpcProxy {
    async fn execute_rpc(&self, request: String, uri: String, user: String) -> Result<String> {
        call!(
            self,
            p,
            execute_rpc_request,
            "Rpc.executeRpc",
            |params| {
                params.set_request(&request);
                params.set_uri(&uri);
                params.set_user(&user);
            },
            |results| text(results.get_result())
        )
    }
}
