//! `hashvive-cli`: sends a command to a node over JSON-RPC, or runs one of the
//! client-side commands (`-getinfo`, `-generate`), and prints the answer the
//! way the reference client does, with the same exit codes, so scripts written
//! for it work unchanged.

mod client;
mod generate;
mod getinfo;
mod http;
mod univalue;

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use serde_json::Value;

use hashvive_common::args::{absolute_under, Args};
use hashvive_common::datadir::resolve_datadir;
use hashvive_common::help::{format_options, wrap};
use hashvive_common::options::cli_options;
use hashvive_common::programs::HASHVIVE_CLI;
use hashvive_common::settings::CONF_FILENAME;
use hashvive_common::version;
use hashvive_rpc::codes;
use hashvive_rpc::convert::{convert_named, convert_positional};

use client::Client;
use univalue::{get_int, get_str, member};

/// The options that replace the command, sorted as the reference lists them
/// when more than one is given.
const CLI_COMMANDS: [&str; 4] = ["addrinfo", "generate", "getinfo", "netinfo"];

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

    fn printed(text: Option<String>) -> Outcome {
        Outcome { stdout: text, stderr: None, code: 0 }
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
    let given: Vec<String> = CLI_COMMANDS.iter().filter(|c| args.is_set(c)).map(|c| format!("-{c}")).collect();
    if given.len() > 1 {
        return Outcome::error(format!("error: Only one of {} may be specified.", given.join(", ")));
    }
    for unsupported in ["netinfo", "addrinfo"] {
        if args.get_bool(unsupported, false) {
            return Outcome::error(format!(
                "error: -{unsupported} needs the network RPCs, which this version of Hashvive does not serve yet"
            ));
        }
    }

    let client = match Client::from_args(&args, chain, &datadir, config_path) {
        Ok(c) => c,
        Err(msg) => return Outcome::error(msg),
    };
    let result = if args.get_bool("getinfo", false) {
        getinfo(&client, &args, &words)
    } else if args.get_bool("generate", false) {
        generate(&client, words)
    } else {
        command(&client, &args, words)
    };
    result.unwrap_or_else(|msg| Outcome::error(format!("error: {msg}")))
}

/// A command given by name, its reply printed as it came.
fn command(client: &Client, args: &Args, mut words: Vec<String>) -> Result<Outcome, String> {
    if words.is_empty() {
        return Err("too few parameters (need at least command)".into());
    }
    let method = words.remove(0);
    let params = if args.get_bool("named", false) {
        convert_named(&method, &words)
    } else {
        convert_positional(&method, &words)
    };
    let params = params.map_err(|e| e.message)?;
    let reply = client.call_method(&method, params, client.wallet())?;
    print_reply(&reply, Ok)
}

/// `-getinfo`: the summary, with every wallet's balance when no `-rpcwallet`
/// picks one, coloured per `-color`.
fn getinfo(client: &Client, args: &Args, words: &[String]) -> Result<Outcome, String> {
    let request = getinfo::request(words)?;
    let reply = client.call(&request, client.wallet(), getinfo::process_reply)?;
    print_reply(&reply, |mut result| {
        if client.wallet().is_none() {
            getinfo::add_wallet_balances(&mut result, client)?;
        }
        let colorize = getinfo::should_colorize(&args.get_or("color", "auto"), io::stdout().is_terminal())?;
        getinfo::render(&result, colorize).map(Value::String)
    })
}

/// `-generate`: a new address from the wallet, then blocks mined to it. A
/// failing `getnewaddress` (no wallet) is reported like any failing command.
fn generate(client: &Client, words: Vec<String>) -> Result<Outcome, String> {
    let reply = client.call_method("getnewaddress", Value::Array(Vec::new()), client.wallet())?;
    if let Some(error) = error_of(&reply) {
        return print_error(error);
    }
    let address = get_str(member(&reply, "result"))?.to_string();
    let words = generate::generatetoaddress_args(&address, words)?;
    let params = convert_positional("generatetoaddress", &words).map_err(|e| e.message)?;
    let request = client::request_object("generatetoaddress", params, 1);
    let reply = client.call(&request, client.wallet(), |reply| generate::process_reply(&address, reply))?;
    print_reply(&reply, Ok)
}

fn help_text(args: &Args, defs: &[hashvive_common::options::OptionDef]) -> String {
    let mut text = version::header("RPC client");
    if args.is_set("version") {
        text.push('\n');
        text.push_str(&version::license_text());
        return text.trim_end().to_string();
    }
    text.push_str("\n\n");
    text.push_str(&wrap(HASHVIVE_CLI.description, 79, 0));
    text.push_str("\n\n");
    for (i, usage) in HASHVIVE_CLI.usage.iter().enumerate() {
        let lead = if i == 0 { "Usage:" } else { "or:" };
        text.push_str(&format!("{lead:<8}{} {usage}\n", HASHVIVE_CLI.name));
    }
    text.push('\n');
    text.push_str(&format_options(defs, false));
    text.trim_end().to_string()
}

/// The reply's error, unless it is absent or null.
fn error_of(reply: &Value) -> Option<&Value> {
    reply.get("error").filter(|e| !e.is_null())
}

/// Prints a reply: its error (the reference's `ParseError`), or its result
/// after `transform` (`ParseResult`: strings raw, other JSON pretty-printed,
/// null as nothing).
fn print_reply(reply: &Value, transform: impl FnOnce(Value) -> Result<Value, String>) -> Result<Outcome, String> {
    if let Some(error) = error_of(reply) {
        return print_error(error);
    }
    Ok(Outcome::printed(match transform(member(reply, "result").clone())? {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(serde_json::to_string_pretty(&other).unwrap_or_default()),
    }))
}

/// The reference's `ParseError`: code and message on stderr, exit status the
/// code's magnitude (truncated to a byte by the system). An error without a
/// numeric code fails as the reference's accessor does.
fn print_error(error: &Value) -> Result<Outcome, String> {
    let code = get_int(member(error, "code"))?;
    let mut text = format!("error code: {code}\n");
    if let Some(message) = member(error, "message").as_str() {
        text.push_str("error message:\n");
        text.push_str(message);
    }
    if code == codes::RPC_WALLET_NOT_SPECIFIED {
        text.push_str(" Or for the CLI, specify the \"-rpcwallet=<walletname>\" option before the command (run \"hashvive-cli -h\" for help or \"hashvive-cli listwallets\" to see which wallets are currently loaded).");
    }
    let exit = (code.unsigned_abs() & 0xff) as u8;
    Ok(Outcome { stdout: None, stderr: Some(text), code: if exit == 0 { 1 } else { exit } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn printed(reply: Value) -> Outcome {
        print_reply(&reply, Ok).unwrap_or_else(|msg| Outcome::error(format!("error: {msg}")))
    }

    #[test]
    fn replies_print_like_the_reference() {
        let out = printed(json!({"result": "text", "error": null}));
        assert_eq!((out.stdout.as_deref(), out.code), (Some("text"), 0));
        let out = printed(json!({"result": null}));
        assert_eq!((out.stdout, out.code), (None, 0));
        let out = printed(json!({"result": {"a": [1]}}));
        assert_eq!(out.stdout.as_deref(), Some("{\n  \"a\": [\n    1\n  ]\n}"));
        let out = printed(json!({"error": {"code": -32601, "message": "Method not found"}}));
        assert_eq!(out.stderr.as_deref(), Some("error code: -32601\nerror message:\nMethod not found"));
        assert_eq!(out.code, (32601u32 & 0xff) as u8);
    }

    #[test]
    fn odd_errors_fail_as_the_reference_does() {
        let out = printed(json!({"error": "boom"}));
        assert_eq!(
            (out.stderr.as_deref(), out.code),
            (Some("error: JSON value of type null is not of expected type number"), 1)
        );
        let out = printed(json!({"error": {"code": "x", "message": "m"}}));
        assert_eq!(out.stderr.as_deref(), Some("error: JSON value of type string is not of expected type number"));
        let out = printed(json!({"error": {"code": -5}}));
        assert_eq!((out.stderr.as_deref(), out.code), (Some("error code: -5\n"), 5));
    }
}
