//! Calls to the node as the reference client makes them (`ConnectAndCallRPC`):
//! one HTTP exchange, its reply processed by the command's handler, retried
//! under `-rpcwait` while nothing listens or the server warms up.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use hashvive_common::args::{absolute_under, Args};
use hashvive_common::chain::Chain;
use hashvive_common::datadir::chain_dir_path;
use hashvive_common::hostport::{parse_port, split_host_port};
use hashvive_rpc::codes;

use crate::http::{self, CallError, Credentials, Endpoint};
use crate::univalue::{is_empty, member};

const DEFAULT_CLIENT_TIMEOUT: i64 = 900;
/// Pause between attempts under `-rpcwait`.
const RETRY_INTERVAL: Duration = Duration::from_millis(250);

/// What every call of one run shares, from the options.
pub struct Client {
    endpoint: Endpoint,
    /// `-rpcwallet`, unless negated (`-norpcwallet` means no wallet, not "0").
    wallet: Option<String>,
    wait: bool,
    /// `-rpcwaittimeout` in seconds; 0 or less waits forever.
    wait_timeout: i64,
    /// Named in the error when there are no credentials.
    config_path: PathBuf,
}

impl Client {
    pub fn from_args(args: &Args, chain: Chain, datadir: &Path, config_path: PathBuf) -> Result<Client, String> {
        let connect = args.get_or("rpcconnect", "127.0.0.1");
        let (host, mut port) = split_host_port(&connect)
            .ok_or_else(|| format!("Error: Invalid port provided in -rpcconnect: {connect}"))?;
        if let Some(p) = args.get("rpcport") {
            port = Some(parse_port(&p).ok_or_else(|| format!("Error: Invalid port provided in -rpcport: {p}"))?);
        }
        let port = port.unwrap_or_else(|| chain.default_rpc_port());

        let password = args.get_or("rpcpassword", "");
        let credentials = if password.is_empty() {
            let chain_dir = chain_dir_path(datadir, chain);
            Credentials::Cookie(absolute_under(&chain_dir, &args.get_or("rpccookiefile", ".cookie")))
        } else {
            Credentials::Password { user: args.get_or("rpcuser", ""), password }
        };
        let timeout = match args.get_int("rpcclienttimeout", DEFAULT_CLIENT_TIMEOUT) {
            t if t <= 0 => None,
            t => Some(Duration::from_secs(t as u64)),
        };
        Ok(Client {
            endpoint: Endpoint { host: host.to_string(), port, credentials, timeout },
            wallet: if args.is_negated("rpcwallet") { None } else { args.get("rpcwallet") },
            wait: args.get_bool("rpcwait", false),
            wait_timeout: args.get_int("rpcwaittimeout", 0),
            config_path,
        })
    }

    /// The wallet `-rpcwallet` names, if any.
    pub fn wallet(&self) -> Option<&str> {
        self.wallet.as_deref()
    }

    /// Calls `method` and returns the reply as it came (the reference's
    /// `DefaultRequestHandler`).
    pub fn call_method(&self, method: &str, params: Value, wallet: Option<&str>) -> Result<Value, String> {
        self.call(&request_object(method, params, 1), wallet, Ok)
    }

    /// Sends `body` to the node (to `wallet`'s endpoint when given) and turns
    /// the raw reply into a `{result, error}` object with `process`. An `Err`
    /// is the text to print after `error: `.
    pub fn call(
        &self,
        body: &Value,
        wallet: Option<&str>,
        process: impl Fn(Value) -> Result<Value, String>,
    ) -> Result<Value, String> {
        let path = hashvive_rpc::request::wallet_uri(wallet);
        let deadline = Instant::now() + Duration::from_secs(self.wait_timeout.max(0) as u64);
        loop {
            let transient = match http::call(&self.endpoint, &path, body) {
                Ok(raw) => {
                    let reply = process(raw)?;
                    if is_empty(&reply) {
                        return Err("expected reply to have result, error and id properties".into());
                    }
                    if !(self.wait && is_warmup(&reply)) {
                        return Ok(reply);
                    }
                    "server in warmup".to_string()
                }
                Err(CallError::Transient(msg)) => msg,
                Err(CallError::NoCredentials) => return Err(format!(
                    "Could not locate RPC credentials. No authentication cookie could be found, and RPC password is not set.  See -rpcpassword and -stdinrpcpass.  Configuration file: ({})",
                    self.config_path.display()
                )),
                Err(CallError::Failed(msg)) => return Err(msg),
            };
            // Without -rpcwait the reference words a first failure the same way.
            if !self.wait || (self.wait_timeout > 0 && Instant::now() >= deadline) {
                return Err(format!("timeout on transient error: {transient}"));
            }
            std::thread::sleep(RETRY_INTERVAL);
        }
    }
}

/// The reference's `JSONRPCRequestObj`.
pub fn request_object(method: &str, params: Value, id: usize) -> Value {
    json!({"method": method, "params": params, "id": id, "jsonrpc": "2.0"})
}

fn is_warmup(reply: &Value) -> bool {
    member(member(reply, "error"), "code").as_i64() == Some(i64::from(codes::RPC_IN_WARMUP))
}
