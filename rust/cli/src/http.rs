//! One JSON-RPC call over HTTP/1.1, with the reference client's error texts.

use std::path::PathBuf;
use std::time::Duration;

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

/// How the client proves who it is.
pub enum Credentials {
    Password {
        user: String,
        password: String,
    },
    /// Read at each attempt: with `-rpcwait` the node may not have written it yet.
    Cookie(PathBuf),
}

impl Credentials {
    /// `user:password`, or `None` while the cookie does not exist.
    fn user_colon_password(&self) -> Option<String> {
        match self {
            Credentials::Password { user, password } => Some(format!("{user}:{password}")),
            Credentials::Cookie(path) => std::fs::read_to_string(path).ok().map(|c| c.trim_end().to_string()),
        }
    }
}

/// Where and as whom to call.
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub credentials: Credentials,
    pub timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// Worth retrying with `-rpcwait`: nothing is listening yet.
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Failed(String),
    /// Refused, and there was no cookie to offer.
    #[error("no RPC credentials")]
    NoCredentials,
}

/// Sends `body` to `path` (`/` or `/wallet/<name>`) and returns the parsed
/// reply: an object for a single request, an array for a batch.
pub fn call(endpoint: &Endpoint, path: &str, body: &Value) -> Result<Value, CallError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CallError::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        match endpoint.timeout {
            // The reference's HTTP library reports a timeout as a failed
            // connection, which -rpcwait retries.
            Some(t) => tokio::time::timeout(t, exchange(endpoint, path, body))
                .await
                .unwrap_or_else(|_| Err(not_connected(endpoint, " (error code 0 - \"timeout reached\")"))),
            None => exchange(endpoint, path, body).await,
        }
    })
}

/// The reference's text for a server that cannot be reached; `detail` names
/// the HTTP library's error when there is one.
fn not_connected(endpoint: &Endpoint, detail: &str) -> CallError {
    CallError::Transient(format!(
        "Could not connect to the server {}:{}{detail}\n\nMake sure the hashvived server is running and that you are connecting to the correct RPC port.\nUse \"hashvive-cli -help\" for more info.",
        endpoint.host, endpoint.port
    ))
}

async fn exchange(endpoint: &Endpoint, path: &str, body: &Value) -> Result<Value, CallError> {
    let not_connected = || not_connected(endpoint, "");
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await.map_err(|_| not_connected())?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|_| not_connected())?;
    tokio::spawn(connection);
    let credentials = endpoint.credentials.user_colon_password();
    let mut request = Request::post(path)
        .header(header::HOST, &endpoint.host)
        .header(header::CONNECTION, "close")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(c) = &credentials {
        let encoded = base64::engine::general_purpose::STANDARD.encode(c);
        request = request.header(header::AUTHORIZATION, format!("Basic {encoded}"));
    }
    let request = request
        .body(Full::new(Bytes::from(body.to_string())))
        .map_err(|e| CallError::Failed(format!("cannot build the request: {e}")))?;
    let response =
        sender.send_request(request).await.map_err(|_| CallError::Failed("no response from server".into()))?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|_| CallError::Failed("no response from server".into()))?
        .to_bytes();
    match status {
        StatusCode::UNAUTHORIZED if credentials.is_none() => return Err(CallError::NoCredentials),
        StatusCode::UNAUTHORIZED => {
            return Err(CallError::Failed("Authorization failed: Incorrect rpcuser or rpcpassword".into()))
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            return Err(CallError::Failed(format!("Server response: {}", String::from_utf8_lossy(&bytes))))
        }
        s if s.as_u16() >= 400
            && s != StatusCode::BAD_REQUEST
            && s != StatusCode::NOT_FOUND
            && s != StatusCode::INTERNAL_SERVER_ERROR =>
        {
            return Err(CallError::Failed(format!("server returned HTTP error {}", s.as_u16())))
        }
        _ => {}
    }
    if bytes.is_empty() {
        return Err(CallError::Failed("no response from server".into()));
    }
    serde_json::from_slice(&bytes).map_err(|_| CallError::Failed("couldn't parse reply from server".into()))
}
