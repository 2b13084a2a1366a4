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
    /// `/` or `/wallet/<name>`.
    pub path: String,
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

/// Sends `body` and returns the parsed reply object.
pub fn call(endpoint: &Endpoint, body: &Value) -> Result<Value, CallError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CallError::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        match endpoint.timeout {
            Some(t) => tokio::time::timeout(t, exchange(endpoint, body)).await.unwrap_or_else(|_| {
                Err(CallError::Failed("timeout on transient error: the server did not answer in time".into()))
            }),
            None => exchange(endpoint, body).await,
        }
    })
}

async fn exchange(endpoint: &Endpoint, body: &Value) -> Result<Value, CallError> {
    let not_connected = || {
        CallError::Transient(format!(
            "Could not connect to the server {}:{}\n\nMake sure the hashvived server is running and that you are connecting to the correct RPC port.\nUse \"hashvive-cli -help\" for more info.",
            endpoint.host, endpoint.port
        ))
    };
    let stream = TcpStream::connect((endpoint.host.as_str(), endpoint.port)).await.map_err(|_| not_connected())?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|_| not_connected())?;
    tokio::spawn(connection);
    let credentials = endpoint.credentials.user_colon_password();
    let mut request = Request::post(&endpoint.path)
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
    let reply: Value =
        serde_json::from_slice(&bytes).map_err(|_| CallError::Failed("couldn't parse reply from server".into()))?;
    if !reply.is_object() {
        return Err(CallError::Failed("expected reply to be a JSON object".into()));
    }
    Ok(reply)
}
