//! The RPC server over real sockets: authentication and the work queue limit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use hashvive_node::http::auth::Credentials;
use hashvive_node::http::{HttpConfig, HttpServer, Whitelist};
use hashvive_rpc::table::{sync_handler, Call};
use hashvive_rpc::{Command, RpcTable};

async fn start(threads: usize, work_queue: usize, gate: Arc<Notify>) -> (HttpServer, Arc<RpcTable>) {
    let table = Arc::new(RpcTable::new());
    table.set_warmup(None);
    table.register(Command::new("ping", "test", "", sync_handler(|_| Ok(Value::Bool(true)))));
    table.register(Command::new(
        "block",
        "test",
        "",
        Arc::new(move |_: Call| {
            let gate = gate.clone();
            Box::pin(async move {
                gate.notified().await;
                Ok(Value::Null)
            })
        }),
    ));
    let mut credentials = Credentials::default();
    credentials.add_plain("u", "p");
    let config = HttpConfig {
        endpoints: vec!["127.0.0.1:0".parse().unwrap()],
        allow: Vec::new(),
        credentials,
        threads,
        work_queue,
        timeout: Duration::from_secs(30),
        whitelist: Whitelist::default(),
    };
    (HttpServer::start(config, table.clone()).await.unwrap(), table)
}

/// One HTTP/1.1 exchange; returns the status code.
async fn post(addr: SocketAddr, auth: &str, body: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let credentials = base64::engine::general_purpose::STANDARD.encode(auth);
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {credentials}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap()
}

#[tokio::test]
async fn full_work_queue_answers_503() {
    let gate = Arc::new(Notify::new());
    let (server, table) = start(1, 1, gate.clone()).await;
    let addr = server.local_addrs()[0];
    let body = r#"{"method": "block", "id": 1}"#;

    let holder = tokio::spawn(post(addr, "u:p", body));
    while table.active_commands().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // One of these waits for the busy thread; the other finds the queue full.
    let mut second = tokio::spawn(post(addr, "u:p", r#"{"method": "ping", "id": 2}"#));
    let mut third = tokio::spawn(post(addr, "u:p", r#"{"method": "ping", "id": 3}"#));
    let (refused, waiting) = tokio::select! {
        r = &mut second => (r.unwrap(), third),
        r = &mut third => (r.unwrap(), second),
    };
    assert_eq!(refused, 503);
    gate.notify_waiters();
    assert_eq!(holder.await.unwrap(), 200);
    assert_eq!(tokio::time::timeout(Duration::from_secs(10), waiting).await.unwrap().unwrap(), 200);
    server.stop().await;
}

#[tokio::test]
async fn credentials_are_checked() {
    let (server, _table) = start(4, 16, Arc::new(Notify::new())).await;
    let addr = server.local_addrs()[0];
    assert_eq!(post(addr, "u:p", r#"{"method": "ping", "id": 1}"#).await, 200);
    assert_eq!(post(addr, "u:wrong", r#"{"method": "ping", "id": 1}"#).await, 401);
    server.stop().await;
}
