//! JSON-RPC over HTTP as the reference node answers it: which HTTP status goes
//! with which error, how batches and notifications are answered, and how the
//! reply differs between 1.x and 2.0 requests.

use std::collections::HashSet;

use hyper::StatusCode;
use serde_json::Value;

use hashvive_rpc::codes;
use hashvive_rpc::request::{reply, ParseFailure, Request};
use hashvive_rpc::{JsonRpcVersion, RpcError, RpcTable};

/// What to send back: a status and, unless it is 204, a JSON body.
pub struct HttpReply {
    pub status: StatusCode,
    pub body: Option<Value>,
}

/// The HTTP status a 1.x error travels with.
fn status_for(error: &RpcError) -> StatusCode {
    match error.code {
        codes::RPC_INVALID_REQUEST => StatusCode::BAD_REQUEST,
        codes::RPC_METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn error_reply(error: RpcError, id: Option<&Value>, version: JsonRpcVersion) -> HttpReply {
    HttpReply { status: status_for(&error), body: Some(reply(Err(error), id, version)) }
}

/// Handles one HTTP request body already read and authenticated. `allowed`
/// limits the methods the caller may use (`-rpcwhitelist`); a request naming
/// any other is refused whole with 403.
pub async fn handle_body(
    table: &RpcTable,
    body: &[u8],
    template: &Request,
    allowed: Option<&HashSet<String>>,
) -> HttpReply {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(_) => {
            return error_reply(RpcError::new(codes::RPC_PARSE_ERROR, "Parse error"), None, JsonRpcVersion::Legacy)
        }
    };
    if let Some(allowed) = allowed {
        let requests = match &value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        for method in requests.iter().filter_map(|r| r.get("method").and_then(Value::as_str)) {
            if !allowed.contains(method) {
                tracing::warn!("RPC User {} not allowed to call method {}", template.auth_user, sanitize(method));
                return HttpReply { status: StatusCode::FORBIDDEN, body: None };
            }
        }
    }
    match value {
        Value::Object(_) => single(table, &value, template).await,
        Value::Array(items) => batch(table, &items, template).await,
        _ => error_reply(
            RpcError::new(codes::RPC_PARSE_ERROR, "Top-level object parse error"),
            None,
            JsonRpcVersion::Legacy,
        ),
    }
}

/// Keeps log lines printable whatever a client sends as a method name.
fn sanitize(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c)).collect()
}

/// One request of a body, parsed and run.
enum Outcome {
    /// It could not be parsed; the error names what was read of it.
    Invalid(ParseFailure),
    /// A 2.0 notification: run, owed no reply.
    Notified,
    Done {
        result: Result<Value, RpcError>,
        id: Option<Value>,
        version: JsonRpcVersion,
    },
}

async fn run_one(table: &RpcTable, value: &Value, template: &Request) -> Outcome {
    let mut request = match Request::parse(value) {
        Ok(r) => r,
        Err(failure) => return Outcome::Invalid(failure),
    };
    request.uri = template.uri.clone();
    request.auth_user = template.auth_user.clone();
    request.peer_addr = template.peer_addr.clone();
    tracing::debug!(target: "rpc", "ThreadRPCServer method={} user={}", sanitize(&request.method), request.auth_user);
    let notification = request.is_notification();
    let (id, version) = (request.id.clone(), request.version);
    let result = table.execute(request).await;
    match notification {
        true => Outcome::Notified,
        false => Outcome::Done { result, id, version },
    }
}

async fn single(table: &RpcTable, value: &Value, template: &Request) -> HttpReply {
    match run_one(table, value, template).await {
        Outcome::Invalid(f) => error_reply(f.error, f.id.as_ref(), f.version),
        Outcome::Notified => HttpReply { status: StatusCode::NO_CONTENT, body: None },
        // 1.x: errors travel with HTTP error statuses.
        Outcome::Done { result: Err(e), id, version: JsonRpcVersion::Legacy } => {
            error_reply(e, id.as_ref(), JsonRpcVersion::Legacy)
        }
        // 2.0: errors are ordinary replies.
        Outcome::Done { result, id, version } => {
            HttpReply { status: StatusCode::OK, body: Some(reply(result, id.as_ref(), version)) }
        }
    }
}

async fn batch(table: &RpcTable, items: &[Value], template: &Request) -> HttpReply {
    let mut replies = Vec::with_capacity(items.len());
    for item in items {
        match run_one(table, item, template).await {
            Outcome::Invalid(f) => replies.push(reply(Err(f.error), f.id.as_ref(), f.version)),
            Outcome::Notified => {}
            Outcome::Done { result, id, version } => replies.push(reply(result, id.as_ref(), version)),
        }
    }
    // An all-notification batch gets no body; an empty batch gets an empty list,
    // which helps 1.x clients that never send notifications.
    if replies.is_empty() && !items.is_empty() {
        return HttpReply { status: StatusCode::NO_CONTENT, body: None };
    }
    HttpReply { status: StatusCode::OK, body: Some(Value::Array(replies)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashvive_rpc::table::sync_handler;
    use hashvive_rpc::{Arg, ArgType, Command};
    use serde_json::json;

    fn table() -> RpcTable {
        let t = RpcTable::new();
        t.set_warmup(None);
        t.register(
            Command::new("echo", "hidden", "", sync_handler(|c| Ok(Value::Array(c.params.clone()))))
                .arg(Arg::optional("arg0", ArgType::Any, "")),
        );
        t
    }

    fn run(body: &str) -> HttpReply {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(handle_body(&table(), body.as_bytes(), &Request::default(), None))
    }

    #[test]
    fn legacy_errors_use_http_statuses() {
        let r = run(r#"{"method": "nope", "id": 1}"#);
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(
            r.body.unwrap(),
            json!({"result": null, "error": {"code": -32601, "message": "Method not found"}, "id": 1})
        );
        let r = run(r#"{"method": 5, "id": 2}"#);
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = run("{not json");
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(r.body.unwrap()["error"]["code"], json!(-32700));
        assert_eq!(run("5").body.unwrap()["error"]["message"], json!("Top-level object parse error"));
    }

    #[test]
    fn v2_errors_are_200_and_notifications_204() {
        let r = run(r#"{"jsonrpc": "2.0", "method": "nope", "id": 1}"#);
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body.unwrap(),
            json!({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 1})
        );
        let r = run(r#"{"jsonrpc": "2.0", "method": "echo"}"#);
        assert_eq!((r.status, r.body), (StatusCode::NO_CONTENT, None));
    }

    #[test]
    fn whitelists_refuse_whole_requests() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let allowed: HashSet<String> = ["echo".to_string()].into();
        let run = |body: &str| rt.block_on(handle_body(&table(), body.as_bytes(), &Request::default(), Some(&allowed)));
        assert_eq!(run(r#"{"method": "echo", "id": 1}"#).status, StatusCode::OK);
        assert_eq!(run(r#"{"method": "stop", "id": 1}"#).status, StatusCode::FORBIDDEN);
        assert_eq!(run(r#"[{"method": "echo", "id": 1}, {"method": "stop", "id": 2}]"#).status, StatusCode::FORBIDDEN);
    }

    #[test]
    fn batches() {
        let r = run(
            r#"[{"method": "echo", "params": [1], "id": 1}, {"jsonrpc": "2.0", "method": "echo"}, 7, {"jsonrpc": "2.0", "method": "nope", "id": 3}]"#,
        );
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(
            r.body.unwrap(),
            json!([
                {"result": [1], "error": null, "id": 1},
                {"result": null, "error": {"code": -32600, "message": "Invalid Request object"}},
                {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 3}
            ])
        );
        assert_eq!(run(r#"[{"jsonrpc": "2.0", "method": "echo"}]"#).status, StatusCode::NO_CONTENT);
        assert_eq!(run("[]").body.unwrap(), json!([]));
    }
}
