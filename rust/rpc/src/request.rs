//! One JSON-RPC request as received, and the reply object for it.

use serde_json::{Map, Value};

use crate::error::{codes, RpcError};

/// Which reply conventions a request asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JsonRpcVersion {
    /// 1.0 and 1.1 (no or `"1.0"` `jsonrpc` field): replies carry both `result`
    /// and `error`, and errors travel with HTTP error statuses.
    #[default]
    Legacy,
    /// `"jsonrpc": "2.0"`: strict 2.0 replies, errors with HTTP 200, notifications.
    V2,
}

/// A parsed request, before its parameters are matched to a method.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// `None` when the request had no `id` member at all.
    pub id: Option<Value>,
    pub version: JsonRpcVersion,
    pub method: String,
    /// Positional (array) or named (object) parameters as sent.
    pub params: Value,
    /// The HTTP path, e.g. `/` or `/wallet/<name>`.
    pub uri: String,
    /// Who authenticated (for the `rpc` debug log).
    pub auth_user: String,
    pub peer_addr: String,
}

impl Request {
    /// Parses one request object. Errors carry the id and version when they were
    /// readable, so the reply can name them, as the reference does.
    pub fn parse(value: &Value) -> Result<Request, ParseFailure> {
        let mut req = Request::default();
        let Some(obj) = value.as_object() else {
            return Err(ParseFailure::new(RpcError::new(codes::RPC_INVALID_REQUEST, "Invalid Request object"), req));
        };
        req.id = obj.get("id").cloned();
        match obj.get("jsonrpc") {
            None | Some(Value::Null) => {}
            Some(Value::String(v)) if v == "1.0" => {}
            Some(Value::String(v)) if v == "2.0" => req.version = JsonRpcVersion::V2,
            Some(Value::String(_)) => {
                return Err(ParseFailure::new(
                    RpcError::new(codes::RPC_INVALID_REQUEST, "JSON-RPC version not supported"),
                    req,
                ))
            }
            Some(_) => {
                return Err(ParseFailure::new(
                    RpcError::new(codes::RPC_INVALID_REQUEST, "jsonrpc field must be a string"),
                    req,
                ))
            }
        }
        match obj.get("method") {
            None | Some(Value::Null) => {
                return Err(ParseFailure::new(RpcError::new(codes::RPC_INVALID_REQUEST, "Missing method"), req))
            }
            Some(Value::String(m)) => req.method = m.clone(),
            Some(_) => {
                return Err(ParseFailure::new(
                    RpcError::new(codes::RPC_INVALID_REQUEST, "Method must be a string"),
                    req,
                ))
            }
        }
        req.params = match obj.get("params") {
            None | Some(Value::Null) => Value::Array(Vec::new()),
            Some(p @ (Value::Array(_) | Value::Object(_))) => p.clone(),
            Some(_) => {
                return Err(ParseFailure::new(
                    RpcError::new(codes::RPC_INVALID_REQUEST, "Params must be an array or object"),
                    req,
                ))
            }
        };
        Ok(req)
    }

    /// A 2.0 request without an id expects no reply.
    pub fn is_notification(&self) -> bool {
        self.id.is_none() && self.version == JsonRpcVersion::V2
    }

    /// The wallet named by a `/wallet/<name>` path, percent-decoded.
    pub fn wallet_name(&self) -> Option<String> {
        self.uri.strip_prefix("/wallet/").map(percent_decode)
    }
}

/// A request that could not be parsed, with what was read of it.
#[derive(Debug)]
pub struct ParseFailure {
    pub error: RpcError,
    pub id: Option<Value>,
    pub version: JsonRpcVersion,
}

impl ParseFailure {
    fn new(error: RpcError, partial: Request) -> ParseFailure {
        ParseFailure { error, id: partial.id, version: partial.version }
    }
}

/// Builds a reply object in the shape the request's version calls for.
pub fn reply(result: Result<Value, RpcError>, id: Option<&Value>, version: JsonRpcVersion) -> Value {
    let mut obj = Map::new();
    if version == JsonRpcVersion::V2 {
        obj.insert("jsonrpc".into(), Value::String("2.0".into()));
    }
    match (version, result) {
        (JsonRpcVersion::Legacy, Ok(v)) => {
            obj.insert("result".into(), v);
            obj.insert("error".into(), Value::Null);
        }
        (JsonRpcVersion::Legacy, Err(e)) => {
            obj.insert("result".into(), Value::Null);
            obj.insert("error".into(), e.to_json());
        }
        (JsonRpcVersion::V2, Ok(v)) => {
            obj.insert("result".into(), v);
        }
        (JsonRpcVersion::V2, Err(e)) => {
            obj.insert("error".into(), e.to_json());
        }
    }
    if let Some(id) = id {
        obj.insert("id".into(), id.clone());
    }
    Value::Object(obj)
}

/// Decodes `%XX` escapes; invalid escapes are kept as written.
/// The endpoint of `wallet` (`/wallet/<name>`, escaped as the reference
/// client escapes it), or the node's (`/`).
pub fn wallet_uri(wallet: Option<&str>) -> String {
    let Some(name) = wallet else { return "/".to_string() };
    let escaped: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("/wallet/{escaped}")
}

pub fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_versions_and_errors() {
        let r = Request::parse(&json!({"method": "x", "id": 1})).unwrap();
        assert_eq!(r.version, JsonRpcVersion::Legacy);
        assert_eq!(r.params, json!([]));
        let r = Request::parse(&json!({"jsonrpc": "2.0", "method": "x"})).unwrap();
        assert!(r.is_notification());
        let f = Request::parse(&json!({"jsonrpc": "3.0", "method": "x", "id": 5})).unwrap_err();
        assert_eq!((f.error.code, f.error.message.as_str()), (-32600, "JSON-RPC version not supported"));
        assert_eq!(f.id, Some(json!(5)));
        let message = |v: Value| Request::parse(&v).unwrap_err().error.message;
        assert_eq!(message(json!({"id": 1})), "Missing method");
        assert_eq!(message(json!({"method": 1})), "Method must be a string");
        assert_eq!(message(json!({"method": "x", "params": 1})), "Params must be an array or object");
        assert_eq!(message(json!([1])), "Invalid Request object");
    }

    #[test]
    fn reply_shapes() {
        let id = json!(7);
        assert_eq!(
            reply(Ok(json!(1)), Some(&id), JsonRpcVersion::Legacy),
            json!({"result": 1, "error": null, "id": 7})
        );
        assert_eq!(reply(Ok(json!(1)), Some(&id), JsonRpcVersion::V2), json!({"jsonrpc": "2.0", "result": 1, "id": 7}));
        let e = RpcError::misc("bad");
        assert_eq!(
            reply(Err(e), None, JsonRpcVersion::V2),
            json!({"jsonrpc": "2.0", "error": {"code": -1, "message": "bad"}})
        );
    }

    #[test]
    fn wallet_names_are_escaped() {
        assert_eq!(wallet_uri(Some("my wallet/1")), "/wallet/my%20wallet%2F1");
        assert_eq!(wallet_uri(None), "/");
        let r = Request { uri: wallet_uri(Some("a b")), ..Default::default() };
        assert_eq!(r.wallet_name().as_deref(), Some("a b"));
    }

    #[test]
    fn wallet_names_are_decoded() {
        let r = Request { uri: "/wallet/my%20wallet".into(), ..Default::default() };
        assert_eq!(r.wallet_name().as_deref(), Some("my wallet"));
        assert_eq!(percent_decode("a%zzb%"), "a%zzb%");
        assert_eq!(Request { uri: "/".into(), ..Default::default() }.wallet_name(), None);
    }
}
