//! `hashvive-cli`: sends one JSON-RPC call to a node and prints the answer the
//! way the reference client does, with the same exit codes, so scripts written
//! for it work unchanged.

mod http;

use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use hashvive_common::args::{absolute_under, Args};
use hashvive_common::chain::Chain;
use hashvive_common::datadir::{chain_dir_path, resolve_datadir};
use hashvive_common::help::{format_options, wrap};
use hashvive_common::hostport::{parse_port, split_host_port};
use hashvive_common::options::cli_options;
use hashvive_common::version;
use hashvive_rpc::codes;
use hashvive_rpc::convert::{convert_named, convert_positional};

use http::{CallError, Credentials, Endpoint};

const DEFAULT_CLIENT_TIMEOUT: u64 = 900;
const CONF_FILENAME: &str = "hashvive.conf";

/// How the run ended: text for stdout or stderr, and the exit code.
struct Outcome {
    stdout: Option<String>,
    stderr: Option<String>,
    code: u8,
}

impl Outcome {
    fn error(message: impl Into<String>) -> Outcome {
        Outcome { stdout: None, stderr: Some(message.into()), code: 1 }
    }
}

/// Runs the client with the process's arguments.
pub fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let outcome = run(argv);
    if let Some(out) = outcome.stdout {
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "{out}");
    }
    if let Some(err) = outcome.stderr {
        eprintln!("{err}");
    }
    ExitCode::from(outcome.code)
}

fn run(argv: Vec<String>) -> Outcome {
    let defs = cli_options();
    let mut args = Args::new(&defs);
    let mut words = match args.parse_command_line(argv) {
        Ok(w) => w,
        Err(e) => return Outcome::error(format!("Error: {e}")),
    };
    let datadir = match resolve_datadir(args.get("datadir").as_deref()) {
        Ok(d) => d,
        Err(e) => return Outcome::error(format!("Error: {e}")),
    };
    let config_path = match args.read_config_files(&datadir, CONF_FILENAME) {
        Ok(_) => absolute_under(&datadir, &args.get_or("conf", CONF_FILENAME)),
        Err(e) => return Outcome::error(format!("Error: {e}")),
    };
    let chain = match args.select_chain() {
        Ok(c) => c,
        Err(e) => return Outcome::error(format!("Error: {e}")),
    };
    if ["?", "h", "help"].iter().any(|h| args.is_set(h)) || (words.is_empty() && args.is_set("version")) {
        return Outcome { stdout: Some(help_text(&args, &defs)), stderr: None, code: 0 };
    }
    for unsupported in ["getinfo", "netinfo", "generate", "addrinfo"] {
        if args.is_set(unsupported) {
            return Outcome::error(format!(
                "error: -{unsupported} needs the chain and network RPCs, which this version of Hashvive does not serve yet"
            ));
        }
    }

    let mut stdin_lines = Vec::new();
    if args.get_bool("stdinrpcpass", false)
        || args.get_bool("stdinwalletpassphrase", false)
        || args.get_bool("stdin", false)
    {
        stdin_lines = io::stdin().lock().lines().map_while(Result::ok).collect();
    }
    let mut stdin_lines = stdin_lines.into_iter();
    if args.get_bool("stdinrpcpass", false) {
        match stdin_lines.next() {
            Some(pw) => args.force_set("rpcpassword", &pw),
            None => return Outcome::error("error: -stdinrpcpass specified but failed to read from standard input"),
        }
    }
    if args.get_bool("stdinwalletpassphrase", false) {
        match stdin_lines.next() {
            Some(pp) => words.insert(1.min(words.len()), pp),
            None => {
                return Outcome::error("error: -stdinwalletpassphrase specified but failed to read from standard input")
            }
        }
    }
    if args.get_bool("stdin", false) {
        words.extend(stdin_lines);
    }
    if words.is_empty() {
        return Outcome::error("error: too few parameters (need at least command)");
    }
    let method = words.remove(0);
    let params = if args.get_bool("named", false) {
        convert_named(&method, &words)
    } else {
        convert_positional(&method, &words)
    };
    let params = match params {
        Ok(p) => p,
        Err(e) => return Outcome::error(format!("error: {}", e.message)),
    };

    let endpoint = match endpoint(&args, chain, &datadir) {
        Ok(e) => e,
        Err(msg) => return Outcome::error(msg),
    };
    let body = json!({"method": method, "params": params, "id": 1, "jsonrpc": "2.0"});
    let wait = args.get_bool("rpcwait", false);
    let wait_timeout = args.get_int("rpcwaittimeout", 0);
    let deadline = (wait_timeout > 0).then(|| Instant::now() + Duration::from_secs(wait_timeout as u64));
    loop {
        match http::call(&endpoint, &body) {
            Ok(reply) if wait && is_warmup(&reply) => {}
            Ok(reply) => return print_reply(&reply),
            Err(CallError::Transient(msg)) if wait => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Outcome::error(format!("error: timeout on transient error: {msg}"));
                }
            }
            Err(CallError::NoCredentials) => return Outcome::error(format!(
                "error: Could not locate RPC credentials. No authentication cookie could be found, and RPC password is not set.  See -rpcpassword and -stdinrpcpass.  Configuration file: ({})",
                config_path.display()
            )),
            Err(e) => return Outcome::error(format!("error: {e}")),
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Outcome::error("error: timeout on transient error: server in warmup");
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn help_text(args: &Args, defs: &[hashvive_common::options::OptionDef]) -> String {
    let mut text = version::header("RPC client");
    if args.is_set("version") {
        text.push('\n');
        text.push_str(&version::license_text());
        return text.trim_end().to_string();
    }
    text.push_str("\n\n");
    text.push_str(&wrap(
        "The hashvive-cli utility provides a command line interface to interact with a Hashvive RPC server. \
         It can be used to query network information, manage wallets, create or broadcast transactions, \
         and control the Hashvive server.\n\n\
         Use the \"help\" command to list all commands. Use \"help <command>\" to show help for that command.",
        79,
        0,
    ));
    text.push_str(
        "\n\n\
         Usage:  hashvive-cli [options] <command> [params]\n\
         or:     hashvive-cli [options] -named <command> [name=value]...\n\
         or:     hashvive-cli [options] help\n\
         or:     hashvive-cli [options] help <command>\n\n",
    );
    text.push_str(&format_options(defs, false));
    text.trim_end().to_string()
}

fn endpoint(args: &Args, chain: Chain, datadir: &std::path::Path) -> Result<Endpoint, String> {
    let connect = args.get_or("rpcconnect", "127.0.0.1");
    let (host, mut port) =
        split_host_port(&connect).ok_or_else(|| format!("Error: Invalid port provided in -rpcconnect: {connect}"))?;
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
    let path = match args.get("rpcwallet") {
        Some(w) => format!("/wallet/{}", percent_encode(&w)),
        None => "/".to_string(),
    };
    let timeout = match args.get_int("rpcclienttimeout", DEFAULT_CLIENT_TIMEOUT as i64) {
        t if t <= 0 => None,
        t => Some(Duration::from_secs(t as u64)),
    };
    Ok(Endpoint { host: host.to_string(), port, credentials, path, timeout })
}

/// Escapes a wallet name for the URL path as the reference client does.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn is_warmup(reply: &Value) -> bool {
    reply.get("error").and_then(|e| e.get("code")).and_then(Value::as_i64) == Some(i64::from(codes::RPC_IN_WARMUP))
}

fn print_reply(reply: &Value) -> Outcome {
    let error = reply.get("error").filter(|e| !e.is_null());
    let Some(error) = error else {
        let stdout = match reply.get("result") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => Some(serde_json::to_string_pretty(other).unwrap_or_default()),
        };
        return Outcome { stdout, stderr: None, code: 0 };
    };
    let code = error.get("code").and_then(Value::as_i64);
    let mut text = String::new();
    match (error.is_object(), code) {
        (true, _) => {
            if let Some(c) = error.get("code") {
                text.push_str(&format!("error code: {c}\n"));
            }
            if let Some(Value::String(m)) = error.get("message") {
                text.push_str("error message:\n");
                text.push_str(m);
            }
            if code == Some(i64::from(codes::RPC_WALLET_NOT_SPECIFIED)) {
                text.push_str(" Or for the CLI, specify the \"-rpcwallet=<walletname>\" option before the command (run \"hashvive-cli -h\" for help or \"hashvive-cli listwallets\" to see which wallets are currently loaded).");
            }
        }
        (false, _) => text = format!("error: {error}"),
    }
    // The reference exits with |code|, which the OS truncates to its low byte.
    let exit = code.map_or(1, |c| (c.unsigned_abs() & 0xff) as u8);
    Outcome { stdout: None, stderr: Some(text), code: if exit == 0 { 1 } else { exit } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_print_like_the_reference() {
        let out = print_reply(&json!({"result": "text", "error": null}));
        assert_eq!((out.stdout.as_deref(), out.code), (Some("text"), 0));
        let out = print_reply(&json!({"result": null}));
        assert_eq!((out.stdout, out.code), (None, 0));
        let out = print_reply(&json!({"result": {"a": [1]}}));
        assert_eq!(out.stdout.as_deref(), Some("{\n  \"a\": [\n    1\n  ]\n}"));
        let out = print_reply(&json!({"error": {"code": -32601, "message": "Method not found"}}));
        assert_eq!(out.stderr.as_deref(), Some("error code: -32601\nerror message:\nMethod not found"));
        assert_eq!(out.code, (32601u32 & 0xff) as u8);
    }

    #[test]
    fn wallet_names_are_escaped() {
        assert_eq!(percent_encode("my wallet/1"), "my%20wallet%2F1");
    }
}
