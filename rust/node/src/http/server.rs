//! Listening sockets and the per-request path: access list, routing (axum),
//! authentication, the work queue, then JSON-RPC.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Extension, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use axum::routing::any;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;

use hashvive_rpc::{Request as RpcRequest, RpcTable};

use super::allowip::Subnet;
use super::auth::Credentials;
use super::jsonrpc;

/// The largest request body accepted, as the reference's `MAX_SIZE`.
const MAX_BODY: usize = 0x0200_0000;
const WWW_AUTHENTICATE: &str = "Basic realm=\"jsonrpc\"";

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("Unable to bind any endpoint for RPC server")]
    NothingBound,
}

/// Everything the server needs to know, decided from the options at start-up.
pub struct HttpConfig {
    pub endpoints: Vec<SocketAddr>,
    /// Besides loopback, which is always allowed.
    pub allow: Vec<Subnet>,
    pub credentials: Credentials,
    /// `-rpcthreads`: calls executing at once.
    pub threads: usize,
    /// `-rpcworkqueue`: calls waiting for a thread before new ones get 503.
    pub work_queue: usize,
    /// `-rpcservertimeout`.
    pub timeout: Duration,
    /// `-rpcwhitelist`/`-rpcwhitelistdefault`.
    pub whitelist: Whitelist,
}

/// Which methods each user may call.
#[derive(Clone, Debug, Default)]
pub struct Whitelist {
    pub per_user: HashMap<String, HashSet<String>>,
    /// Users without a list of their own may call nothing.
    pub deny_unlisted: bool,
}

enum Permission<'a> {
    All,
    Only(&'a HashSet<String>),
    Nothing,
}

impl Whitelist {
    fn permission(&self, user: &str) -> Permission<'_> {
        match self.per_user.get(user) {
            Some(methods) => Permission::Only(methods),
            None if self.deny_unlisted => Permission::Nothing,
            None => Permission::All,
        }
    }
}

struct Shared {
    table: Arc<RpcTable>,
    allow: Vec<Subnet>,
    credentials: Credentials,
    whitelist: Whitelist,
    threads: Semaphore,
    waiting: AtomicUsize,
    work_queue: usize,
    /// Set once shutdown begins: new requests get 503.
    closing: AtomicBool,
}

#[derive(Clone, Copy)]
struct Peer(SocketAddr);

pub struct HttpServer {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    accept_loops: JoinSet<()>,
    bound: Vec<SocketAddr>,
}

impl HttpServer {
    /// Binds every endpoint it can (a failure is logged; none at all is an error)
    /// and starts serving.
    pub async fn start(config: HttpConfig, table: Arc<RpcTable>) -> Result<HttpServer, HttpError> {
        let mut listeners = Vec::new();
        for endpoint in &config.endpoints {
            tracing::info!("Binding RPC on address {} port {}", endpoint.ip(), endpoint.port());
            match TcpListener::bind(endpoint).await {
                Ok(l) => listeners.push(l),
                Err(e) => {
                    tracing::warn!("Binding RPC on address {} port {} failed: {e}", endpoint.ip(), endpoint.port())
                }
            }
        }
        if listeners.is_empty() {
            return Err(HttpError::NothingBound);
        }
        let shared = Arc::new(Shared {
            table,
            allow: config.allow,
            credentials: config.credentials,
            whitelist: config.whitelist,
            threads: Semaphore::new(config.threads.max(1)),
            waiting: AtomicUsize::new(0),
            work_queue: config.work_queue.max(1),
            closing: AtomicBool::new(false),
        });
        let router = Router::new()
            .route("/", any(jsonrpc_endpoint))
            .route("/wallet/", any(jsonrpc_endpoint))
            .route("/wallet/{*name}", any(jsonrpc_endpoint))
            .fallback(|| async { StatusCode::NOT_FOUND })
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(shared.clone());
        let (stop, stop_rx) = watch::channel(false);
        let mut accept_loops = JoinSet::new();
        let bound = listeners.iter().filter_map(|l| l.local_addr().ok()).collect();
        for listener in listeners {
            accept_loops.spawn(accept_loop(listener, router.clone(), shared.clone(), stop_rx.clone(), config.timeout));
        }
        Ok(HttpServer { shared, stop, accept_loops, bound })
    }

    pub fn local_addrs(&self) -> &[SocketAddr] {
        &self.bound
    }

    /// Refuses new requests (503) while ones under way finish.
    pub fn interrupt(&self) {
        self.shared.closing.store(true, Ordering::SeqCst);
    }

    /// Stops listening, lets each connection finish its current request, and
    /// returns when all are closed.
    pub async fn stop(mut self) {
        self.interrupt();
        let _ = self.stop.send(true);
        while self.accept_loops.join_next().await.is_some() {}
    }
}

async fn accept_loop(
    listener: TcpListener,
    router: Router,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
    timeout: Duration,
) {
    let mut connections = JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!("RPC server accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
        let router = router.clone();
        let shared = shared.clone();
        let mut stop = stop.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let router = router.clone();
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(route(router, shared, peer, req).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    while connections.join_next().await.is_some() {}
}

/// Checks that apply to every path, then hands the request to the router.
async fn route(router: Router, shared: Arc<Shared>, peer: SocketAddr, req: Request<Incoming>) -> Response<Body> {
    tracing::debug!(target: "http", "Received a {} request for {} from {}", req.method(), req.uri().path(), peer);
    if !Subnet::localhost().iter().chain(&shared.allow).any(|s| s.contains(peer.ip())) {
        tracing::debug!(target: "http", "HTTP request from {peer} rejected: Client network is not allowed RPC access");
        return status_only(StatusCode::FORBIDDEN);
    }
    if shared.closing.load(Ordering::SeqCst) {
        return text(StatusCode::SERVICE_UNAVAILABLE, "Request rejected because http server is shutting down");
    }
    let mut req = req.map(Body::new);
    req.extensions_mut().insert(Peer(peer));
    match router.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

async fn jsonrpc_endpoint(
    State(shared): State<Arc<Shared>>,
    Extension(Peer(peer)): Extension<Peer>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    if method != Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "JSONRPC server handles only POST requests");
    }
    let Some(auth) = headers.get(header::AUTHORIZATION) else {
        return unauthorized();
    };
    let user = auth.to_str().ok().and_then(|h| shared.credentials.check_header(h));
    let Some(user) = user else {
        tracing::warn!("ThreadRPCServer incorrect password attempt from {peer}");
        // Slows down guessing, without holding an executor meanwhile.
        tokio::time::sleep(Duration::from_millis(250)).await;
        return unauthorized();
    };
    let allowed = match shared.whitelist.permission(&user) {
        Permission::All => None,
        Permission::Only(methods) => Some(methods),
        Permission::Nothing => {
            tracing::warn!("RPC User {user} not allowed to call any methods");
            return status_only(StatusCode::FORBIDDEN);
        }
    };
    // The work queue: a bounded number of requests may wait for an executor.
    let _permit = match shared.threads.try_acquire() {
        Ok(p) => p,
        Err(_) => {
            if shared.waiting.fetch_add(1, Ordering::SeqCst) >= shared.work_queue {
                shared.waiting.fetch_sub(1, Ordering::SeqCst);
                tracing::warn!("Request rejected because http work queue depth exceeded, it can be increased with the -rpcworkqueue= setting");
                return text(StatusCode::SERVICE_UNAVAILABLE, "Work queue depth exceeded");
            }
            let permit = shared.threads.acquire().await;
            shared.waiting.fetch_sub(1, Ordering::SeqCst);
            match permit {
                Ok(p) => p,
                Err(_) => return status_only(StatusCode::SERVICE_UNAVAILABLE),
            }
        }
    };
    let template =
        RpcRequest { uri: uri.path().to_string(), auth_user: user, peer_addr: peer.to_string(), ..Default::default() };
    let reply = jsonrpc::handle_body(&shared.table, &body, &template, allowed).await;
    let mut response = match reply.body {
        Some(json) => {
            let mut text = json.to_string();
            text.push('\n');
            let mut r = Response::new(Body::from(text));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        None => Response::new(Body::empty()),
    };
    *response.status_mut() = reply.status;
    response
}

fn status_only(status: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = status;
    r
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r
}

fn unauthorized() -> Response<Body> {
    let mut r = status_only(StatusCode::UNAUTHORIZED);
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(WWW_AUTHENTICATE));
    r
}
