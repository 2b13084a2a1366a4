//! `-debug=ipc` lines. Each names the process and thread, the call's number,
//! and the message in Cap'n Proto text form, e.g.
//! `{hashvive-node-4242/capnp-loop} IPC server recv request  #7 Echo.echo$Params (context = (…), echo = "hi")`.
//! Nothing is formatted unless the `ipc` category is on.

use std::fmt::Debug;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

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

fn payload(message: &dyn Debug) -> String {
    let mut text = redact(format!("{message:?}"));
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

/// `text` with each secret field's string shown as `"***"`.
fn redact(text: String) -> String {
    // The method is a text field of its own (`method = "walletpassphrase"`)
    // or a member of a JSON request inside one (`\"method\":\"walletpassphrase\"`).
    let names_sensitive_method = SENSITIVE_RPC_METHODS
        .iter()
        .any(|method| text.contains(&format!("\"{method}\"")) || text.contains(&format!("\\\"{method}\\\"")));
    let call_fields: &[&str] = if names_sensitive_method { &CALL_FIELDS } else { &[] };
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    'scan: while !rest.is_empty() {
        for field in SECRET_FIELDS.iter().chain(call_fields) {
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
        tracing::debug!(target: "ipc", "{{{}}} {event} #{request} {name} {}", thread_tag(), payload(message));
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

    #[test]
    fn passphrases_stay_out_of_the_log() {
        let logged = redact(r#"(context = (), passphrase = "s3cr\"et é", seconds = 60)"#.to_string());
        assert_eq!(logged, r#"(context = (), passphrase = "***", seconds = 60)"#);
        let nested = redact(r#"(name = "w", options = (passphrase = "x", blank = false))"#.to_string());
        assert_eq!(nested, r#"(name = "w", options = (passphrase = "***", blank = false))"#);
        assert_eq!(redact("passphrase = \"cut".to_string()), "passphrase = \"***\"");
    }

    #[test]
    fn a_sensitive_calls_arguments_stay_out_of_the_log() {
        let console = redact(r#"(method = "walletpassphrase", params = "[\"s3cret\", 60]", uri = "/wallet/w")"#.into());
        assert_eq!(console, r#"(method = "walletpassphrase", params = "***", uri = "/wallet/w")"#);
        let raw = r#"(request = "{\"method\":\"importprivkey\",\"params\":[\"cVt…\"]}", uri = "/", user = "u")"#;
        assert_eq!(redact(raw.into()), r#"(request = "***", uri = "/", user = "u")"#);
        let plain = r#"(method = "getblockhash", params = "[0]", uri = "/")"#;
        assert_eq!(redact(plain.into()), plain);
        let similar = r#"(method = "walletpassphrasex", params = "[1]", uri = "/")"#;
        assert_eq!(redact(similar.into()), similar);
    }
}
