//! `-debug=ipc` lines. Each names the process and thread, the call's number,
//! and the message in Cap'n Proto text form, e.g.
//! `{hashvive-node-4242/capnp-loop} IPC server recv request  #7 Echo.echo$Params (context = (…), echo = "hi")`.
//! Nothing is formatted unless the `ipc` category is on.

use std::collections::VecDeque;
use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use hashvive_interfaces::SENSITIVE_RPC_METHODS;

/// Longest message text logged; the rest is cut.
const MAX_PAYLOAD: usize = 1000;

static EXE_NAME: OnceLock<String> = OnceLock::new();
static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

/// Names this process in log lines. Called once at start-up.
pub fn set_exe_name(name: &str) {
    let _ = EXE_NAME.set(name.to_string());
}

pub fn enabled() -> bool {
    tracing::enabled!(target: "ipc", tracing::Level::DEBUG)
}

/// `<exe>-<pid>/<thread>`, as thread names are shown to IPC peers.
pub fn thread_tag() -> String {
    let exe = EXE_NAME.get().map(String::as_str).unwrap_or("hashvive");
    let thread = std::thread::current();
    format!("{exe}-{}/{}", std::process::id(), thread.name().unwrap_or("unnamed"))
}

/// `<exe>-<pid>/<name>` for a thread made for a peer.
pub fn peer_thread_name(name: &str) -> String {
    let exe = EXE_NAME.get().map(String::as_str).unwrap_or("hashvive");
    format!("{exe}-{}/{name}", std::process::id())
}

/// A number for the next request, to pair its lines.
pub fn next_request() -> u64 {
    NEXT_REQUEST.fetch_add(1, Ordering::Relaxed)
}

/// The text of a message as logged: secrets masked, cut to `MAX_PAYLOAD`.
fn payload(request: u64, name: &str, message: &dyn Debug) -> String {
    let mut text = redact(request, name, format!("{message:?}"));
    if text.len() > MAX_PAYLOAD {
        let mut cut = MAX_PAYLOAD;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("...");
    }
    text
}

/// Fields whose text never goes into a log.
const SECRET_FIELDS: [&str; 1] = ["passphrase"];

/// Fields that carry an RPC call's arguments (`Node.executeRpc`'s params,
/// `Rpc.executeRpc`'s whole request): masked too when the message names a
/// method that takes secrets.
const CALL_FIELDS: [&str; 2] = ["params", "request"];

/// Beyond the console's list ([`SENSITIVE_RPC_METHODS`]), methods whose
/// arguments can hold private keys (private descriptors).
const MORE_SECRET_ARGUMENT_METHODS: [&str; 1] = ["importdescriptors"];

/// Methods whose answer can hold private keys (`listdescriptors true`; the
/// reference's `dumpprivkey` and `gethdkeys`): the `result` of the response
/// to a call naming one is masked.
const SECRET_ANSWER_METHODS: [&str; 3] = ["dumpprivkey", "gethdkeys", "listdescriptors"];

/// Requests of this process whose responses are to be masked. A response
/// that never comes (the call failed) leaves its number behind, so only the
/// latest few are kept.
static SECRET_ANSWERS: Mutex<VecDeque<u64>> = Mutex::new(VecDeque::new());
const SECRET_ANSWERS_KEPT: usize = 64;

/// `text`, message `name` of call `request`, with secrets shown as `"***"`:
/// passphrases always, the arguments of a call to a method that takes
/// secrets, and the result of one that answers with them.
fn redact(request: u64, name: &str, text: String) -> String {
    let mut answers = SECRET_ANSWERS.lock().unwrap_or_else(|e| e.into_inner());
    if name.ends_with("$Params") && names_method(&text, &SECRET_ANSWER_METHODS) {
        if answers.len() == SECRET_ANSWERS_KEPT {
            answers.pop_front();
        }
        answers.push_back(request);
    }
    let answer_is_secret = name.ends_with("$Results")
        && answers.iter().position(|&r| r == request).and_then(|at| answers.remove(at)).is_some();
    drop(answers);
    let mut fields = SECRET_FIELDS.to_vec();
    if names_method(&text, &SENSITIVE_RPC_METHODS) || names_method(&text, &MORE_SECRET_ARGUMENT_METHODS) {
        fields.extend(CALL_FIELDS);
    }
    if answer_is_secret {
        fields.push("result");
    }
    mask(&text, &fields)
}

/// Whether `text` names one of `methods`: as a text field of its own
/// (`method = "walletpassphrase"`) or as a member of a JSON request inside
/// one (`\"method\":\"walletpassphrase\"`).
fn names_method(text: &str, methods: &[&str]) -> bool {
    methods.iter().any(|method| text.contains(&format!("\"{method}\"")) || text.contains(&format!("\\\"{method}\\\"")))
}

/// `text` with the string of each of `fields` shown as `"***"`.
fn mask(text: &str, fields: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for field in fields {
            let opening = format!("{field} = \"");
            if let Some(tail) = rest.strip_prefix(opening.as_str()) {
                // The string ends at the first quote that is not escaped.
                let mut escaped = false;
                let end = tail.char_indices().find(|&(_, c)| {
                    let closes = c == '"' && !escaped;
                    escaped = c == '\\' && !escaped;
                    closes
                });
                out.push_str(&opening);
                out.push_str("***\"");
                rest = end.map_or("", |(i, _)| &tail[i + 1..]);
                continue 'scan;
            }
        }
        let next = rest.chars().next().map_or(1, char::len_utf8);
        out.push_str(&rest[..next]);
        rest = &rest[next..];
    }
    out
}

/// One line about a message: `event` is e.g. "IPC server recv request",
/// `name` e.g. "Echo.echo$Params".
pub fn message(event: &str, request: u64, name: &str, message: &dyn Debug) {
    if enabled() {
        tracing::debug!(target: "ipc", "{{{}}} {event} #{request} {name} {}", thread_tag(), payload(request, name, message));
    }
}

/// A line without a message body (disconnects, errors).
pub fn event(text: &str) {
    if enabled() {
        tracing::debug!(target: "ipc", "{{{}}} {text}", thread_tag());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request's message, logged under a number of its own.
    fn params(text: &str) -> String {
        redact(next_request(), "X.call$Params", text.into())
    }

    #[test]
    fn passphrases_stay_out_of_the_log() {
        let logged = params(r#"(context = (), passphrase = "s3cr\"et é", seconds = 60)"#);
        assert_eq!(logged, r#"(context = (), passphrase = "***", seconds = 60)"#);
        let nested = params(r#"(name = "w", options = (passphrase = "x", blank = false))"#);
        assert_eq!(nested, r#"(name = "w", options = (passphrase = "***", blank = false))"#);
        assert_eq!(params("passphrase = \"cut"), "passphrase = \"***\"");
    }

    #[test]
    fn a_sensitive_calls_arguments_stay_out_of_the_log() {
        let console = params(r#"(method = "walletpassphrase", params = "[\"s3cret\", 60]", uri = "/wallet/w")"#);
        assert_eq!(console, r#"(method = "walletpassphrase", params = "***", uri = "/wallet/w")"#);
        let raw = r#"(request = "{\"method\":\"importprivkey\",\"params\":[\"cVt…\"]}", uri = "/", user = "u")"#;
        assert_eq!(params(raw), r#"(request = "***", uri = "/", user = "u")"#);
        let import = r#"(call = (method = "importdescriptors", params = "[[{\"desc\":\"wpkh(cVt…)\"}]]"))"#;
        assert_eq!(params(import), r#"(call = (method = "importdescriptors", params = "***"))"#);
        let plain = r#"(method = "getblockhash", params = "[0]", uri = "/")"#;
        assert_eq!(params(plain), plain);
        let similar = r#"(method = "walletpassphrasex", params = "[1]", uri = "/")"#;
        assert_eq!(params(similar), similar);
    }

    #[test]
    fn private_keys_in_an_answer_stay_out_of_the_log() {
        let (listing, other) = (next_request(), next_request());
        let asked = redact(
            listing,
            "RpcActor.call$Params",
            r#"(call = (method = "listdescriptors", params = "[true]"))"#.into(),
        );
        assert_eq!(asked, r#"(call = (method = "listdescriptors", params = "[true]"))"#, "the question is no secret");
        redact(other, "RpcActor.call$Params", r#"(call = (method = "getbalance", params = "[]"))"#.into());
        let answer = r#"(result = "{\"descriptors\":[{\"desc\":\"wpkh(tprv8Z…)\"}]}", hasFault = false)"#;
        let logged = redact(listing, "RpcActor.call$Results", answer.into());
        assert_eq!(logged, r#"(result = "***", hasFault = false)"#);
        // Another call's answer, and the same number later, are shown.
        let balance = r#"(result = "1.5", hasFault = false)"#;
        assert_eq!(redact(other, "RpcActor.call$Results", balance.into()), balance);
        assert_eq!(redact(listing, "RpcActor.call$Results", balance.into()), balance);
    }
}
