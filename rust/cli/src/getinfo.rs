//! `-getinfo`: one batch of `getnetworkinfo`, `getblockchaininfo`,
//! `getwalletinfo` and `getbalances`, combined and printed as the reference
//! client's human-readable summary.

use serde_json::{json, Map, Value};

use crate::client::{request_object, Client};
use crate::univalue::{get_int, get_real, get_str, get_values, member, val_str};

/// The batch, in order; a member's id is its index.
const BATCH: [&str; 4] = ["getnetworkinfo", "getblockchaininfo", "getwalletinfo", "getbalances"];
const ID_NETWORKINFO: usize = 0;
const ID_BLOCKCHAININFO: usize = 1;
const ID_WALLETINFO: usize = 2;
const ID_BALANCES: usize = 3;

/// The unit fee rates and balances are shown in.
const CURRENCY_UNIT: &str = "BTC";

/// The batch request, after checking that no arguments came with `-getinfo`.
pub fn request(args: &[String]) -> Result<Value, String> {
    if !args.is_empty() {
        return Err("-getinfo takes no arguments".into());
    }
    Ok(Value::Array(BATCH.iter().enumerate().map(|(id, method)| request_object(method, Value::Null, id)).collect()))
}

/// Combines the batch reply into one `{result}` object. A failing network or
/// chain call is passed on as the reply; failing wallet calls (no wallet, or
/// a node without wallet support) leave their fields out.
pub fn process_reply(batch_in: Value) -> Result<Value, String> {
    let batch = batch_by_id(batch_in)?;
    for id in [ID_NETWORKINFO, ID_BLOCKCHAININFO] {
        if !member(&batch[id], "error").is_null() {
            return Ok(batch[id].clone());
        }
    }
    let network = member(&batch[ID_NETWORKINFO], "result");
    let chain = member(&batch[ID_BLOCKCHAININFO], "result");
    let wallet = member(&batch[ID_WALLETINFO], "result");
    let balances = member(&batch[ID_BALANCES], "result");

    let mut result = Map::new();
    let mut put = |key: &str, value: &Value| result.insert(key.to_string(), value.clone());
    put("version", member(network, "version"));
    put("blocks", member(chain, "blocks"));
    put("headers", member(chain, "headers"));
    put("verificationprogress", member(chain, "verificationprogress"));
    put("timeoffset", member(network, "timeoffset"));
    put(
        "connections",
        &json!({
            "in": member(network, "connections_in"),
            "out": member(network, "connections_out"),
            "total": member(network, "connections"),
        }),
    );
    put("networks", member(network, "networks"));
    put("difficulty", member(chain, "difficulty"));
    put("chain", member(chain, "chain"));
    if !wallet.is_null() {
        put("has_wallet", &Value::Bool(true));
        put("keypoolsize", member(wallet, "keypoolsize"));
        put("walletname", member(wallet, "walletname"));
        if !member(wallet, "unlocked_until").is_null() {
            put("unlocked_until", member(wallet, "unlocked_until"));
        }
    }
    if !balances.is_null() {
        put("balance", member(member(balances, "mine"), "trusted"));
    }
    put("relayfee", member(network, "relayfee"));
    put("warnings", member(network, "warnings"));
    Ok(json!({"result": result, "id": 1, "jsonrpc": "2.0"}))
}

/// The reference's `JSONRPCProcessBatchReply`: members placed by their ids,
/// null where a member is missing.
fn batch_by_id(batch_in: Value) -> Result<Vec<Value>, String> {
    let Value::Array(members) = batch_in else { return Err("Batch must be an array".into()) };
    let mut batch = vec![Value::Null; members.len()];
    for rec in members {
        if !rec.is_object() {
            return Err("Batch member must be an object".into());
        }
        // A negative id wraps to a huge index in the reference, so it is "larger" too.
        let id = usize::try_from(get_int(member(&rec, "id"))?).unwrap_or(usize::MAX);
        let slot = batch.get_mut(id).ok_or("Batch member id is larger than batch size")?;
        *slot = rec;
    }
    // Fewer members than requested: the absent ones read as null, as in the reference.
    batch.resize(BATCH.len().max(batch.len()), Value::Null);
    Ok(batch)
}

/// Adds each loaded wallet's trusted balance as `balances` when more than one
/// wallet is loaded (the reference's `GetWalletBalances`, used when no
/// `-rpcwallet` picks one). A node that cannot list wallets adds nothing.
pub fn add_wallet_balances(result: &mut Value, client: &Client) -> Result<(), String> {
    let listwallets = client.call_method("listwallets", Value::Array(Vec::new()), None)?;
    if !member(&listwallets, "error").is_null() {
        return Ok(());
    }
    let wallets = member(&listwallets, "result").as_array().cloned().unwrap_or_default();
    if wallets.len() <= 1 {
        return Ok(());
    }
    let mut balances = Map::new();
    for wallet in &wallets {
        let name = get_str(wallet)?;
        let reply = client.call_method("getbalances", Value::Array(Vec::new()), Some(name))?;
        balances.insert(name.to_string(), member(member(member(&reply, "result"), "mine"), "trusted").clone());
    }
    if let Value::Object(r) = result {
        r.insert("balances".into(), Value::Object(balances));
    }
    Ok(())
}

/// The terminal colours of the summary; all empty when not colouring.
struct Palette {
    reset: &'static str,
    green: &'static str,
    blue: &'static str,
    yellow: &'static str,
    magenta: &'static str,
    cyan: &'static str,
}

impl Palette {
    fn new(colorize: bool) -> Palette {
        if colorize {
            Palette {
                reset: "\x1B[0m",
                green: "\x1B[32m",
                blue: "\x1B[34m",
                yellow: "\x1B[33m",
                magenta: "\x1B[35m",
                cyan: "\x1B[36m",
            }
        } else {
            Palette { reset: "", green: "", blue: "", yellow: "", magenta: "", cyan: "" }
        }
    }
}

/// Whether to colour, from `-color` and whether stdout is a terminal.
pub fn should_colorize(setting: &str, stdout_is_terminal: bool) -> Result<bool, String> {
    match setting {
        "always" => Ok(true),
        "never" => Ok(false),
        // The reference never colours on Windows.
        "auto" => Ok(stdout_is_terminal && !cfg!(windows)),
        _ => Err("Invalid value for -color option. Valid values: always, auto, never.".into()),
    }
}

/// The reference's `ParseGetInfoResult`: the combined result as text.
pub fn render(result: &Value, colorize: bool) -> Result<String, String> {
    let c = Palette::new(colorize);
    let field = |key: &str| val_str(member(result, key));
    let mut out = format!("{}Chain: {}{}\n", c.blue, field("chain"), c.reset);
    out += &format!("Blocks: {}\n", field("blocks"));
    out += &format!("Headers: {}\n", field("headers"));
    let progress = get_real(member(result, "verificationprogress"))?;
    // The bar only shows while less than 99% is verified.
    let bar = if progress < 0.99 { format!("{} ", progress_bar(progress)) } else { String::new() };
    out += &format!("Verification progress: {bar}{:.4}%\n", progress * 100.0);
    out += &format!("Difficulty: {}\n\n", field("difficulty"));

    let connections = member(result, "connections");
    let count = |key: &str| val_str(member(connections, key));
    out +=
        &format!("{}Network: in {}, out {}, total {}{}\n", c.green, count("in"), count("out"), count("total"), c.reset);
    out += &format!("Version: {}\n", field("version"));
    out += &format!("Time offset (s): {}\n", field("timeoffset"));
    let proxies = proxies(member(result, "networks"))?;
    out += &format!("Proxies: {}\n", if proxies.is_empty() { "n/a" } else { &proxies });
    out += &format!("Min tx relay fee rate ({CURRENCY_UNIT}/kvB): {}\n\n", field("relayfee"));

    if !member(result, "has_wallet").is_null() {
        out += &format!("{}Wallet: {}{}\n", c.magenta, display_wallet_name(&field("walletname")), c.reset);
        out += &format!("Keypool size: {}\n", field("keypoolsize"));
        if !member(result, "unlocked_until").is_null() {
            out += &format!("Unlocked until: {}\n", field("unlocked_until"));
        }
    }
    if !member(result, "balance").is_null() {
        out += &format!("{}Balance:{} {}\n\n", c.cyan, c.reset, field("balance"));
    }
    if let Some(balances) = member(result, "balances").as_object() {
        out += &format!("{}Balances{}\n", c.cyan, c.reset);
        let width = balances.values().map(|b| val_str(b).len()).fold(10, usize::max);
        for (wallet, balance) in balances {
            out += &format!("{:>width$} {}\n", val_str(balance), display_wallet_name(wallet));
        }
        out += "\n";
    }
    // Like the reference, this shows a warning only when the node sends a
    // single string; the array that current nodes send reads as "(none)".
    let warnings = field("warnings");
    out += &format!("{}Warnings:{} {}", c.yellow, c.reset, if warnings.is_empty() { "(none)" } else { &warnings });
    Ok(out)
}

/// The default wallet has an empty name, shown as `""`.
fn display_wallet_name(name: &str) -> &str {
    if name.is_empty() {
        "\"\""
    } else {
        name
    }
}

/// Each proxy once, in order of first use, with the networks that use it:
/// `127.0.0.1:9050 (ipv4, ipv6, onion), 127.0.0.1:7656 (i2p)`.
fn proxies(networks: &Value) -> Result<String, String> {
    let mut by_proxy: Vec<(String, Vec<String>)> = Vec::new();
    for network in get_values(networks)? {
        let proxy = val_str(member(network, "proxy"));
        if proxy.is_empty() {
            continue;
        }
        let name = val_str(member(network, "name"));
        match by_proxy.iter_mut().find(|(p, _)| *p == proxy) {
            Some((_, names)) => names.push(name),
            None => by_proxy.push((proxy, vec![name])),
        }
    }
    Ok(by_proxy.iter().map(|(proxy, names)| format!("{proxy} ({})", names.join(", "))).collect::<Vec<_>>().join(", "))
}

/// The reference's `GetProgressBar`: twenty 5% cells, filled ones first; as
/// in the reference, a cell split by `progress` counts on both sides.
fn progress_bar(progress: f64) -> String {
    const INCREMENT: f64 = 0.05;
    if !(0.0..=1.0).contains(&progress) {
        return String::new();
    }
    // The number of whole steps `i` (from 0) with `i < limit`.
    let steps = |limit: f64| (0..).take_while(|i| f64::from(*i) < limit).count();
    "\u{2592}".repeat(steps(progress / INCREMENT)) + &"\u{2591}".repeat(steps((1.0 - progress) / INCREMENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap()
    }

    /// A batch reply as a node without wallets answers it.
    fn node_reply() -> Value {
        parse(
            r#"[
            {"result": {"version": 100, "subversion": "/Hashvive:0.1.0/", "timeoffset": 0, "connections": 0,
                        "connections_in": 0, "connections_out": 0,
                        "networks": [{"name": "ipv4", "proxy": ""}, {"name": "onion", "proxy": "127.0.0.1:9050"},
                                     {"name": "i2p", "proxy": "127.0.0.1:7656"}, {"name": "cjdns", "proxy": "127.0.0.1:9050"}],
                        "relayfee": 0.00001000, "warnings": []}, "id": 0, "jsonrpc": "2.0"},
            {"result": {"chain": "regtest", "blocks": 101, "headers": 101, "verificationprogress": 1,
                        "difficulty": 4.656542373906925e-10}, "id": 1, "jsonrpc": "2.0"},
            {"error": {"code": -32601, "message": "Method not found"}, "id": 2, "jsonrpc": "2.0"},
            {"error": {"code": -32601, "message": "Method not found"}, "id": 3, "jsonrpc": "2.0"}
        ]"#,
        )
    }

    #[test]
    fn summary_without_wallet() {
        let reply = process_reply(node_reply()).unwrap();
        let result = member(&reply, "result");
        assert!(member(result, "has_wallet").is_null() && member(result, "balance").is_null());
        assert_eq!(
            render(result, false).unwrap(),
            "Chain: regtest\nBlocks: 101\nHeaders: 101\nVerification progress: 100.0000%\n\
             Difficulty: 4.656542373906925e-10\n\nNetwork: in 0, out 0, total 0\nVersion: 100\n\
             Time offset (s): 0\nProxies: 127.0.0.1:9050 (onion, cjdns), 127.0.0.1:7656 (i2p)\n\
             Min tx relay fee rate (BTC/kvB): 0.00001000\n\nWarnings: (none)"
        );
    }

    #[test]
    fn summary_with_wallets_and_colours() {
        let result = parse(
            r#"{"version": 1, "blocks": 5, "headers": 6, "verificationprogress": 0.5, "timeoffset": -2,
                "connections": {"in": 1, "out": 2, "total": 3}, "networks": [], "difficulty": 1, "chain": "main",
                "has_wallet": true, "keypoolsize": 1000, "walletname": "", "unlocked_until": 0,
                "balance": 1.50000000, "balances": {"": 1.50000000, "w2": 123456789.00000000},
                "relayfee": 0.00001000, "warnings": "disk low"}"#,
        );
        let text = render(&result, true).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "\x1B[34mChain: main\x1B[0m");
        assert_eq!(lines[3], format!("Verification progress: {}{} 50.0000%", "▒".repeat(10), "░".repeat(10)));
        assert_eq!(lines[6], "\x1B[32mNetwork: in 1, out 2, total 3\x1B[0m");
        assert_eq!(lines[9], "Proxies: n/a");
        assert_eq!(
            &lines[12..16],
            [
                "\x1B[35mWallet: \"\"\x1B[0m",
                "Keypool size: 1000",
                "Unlocked until: 0",
                "\x1B[36mBalance:\x1B[0m 1.50000000"
            ]
        );
        assert_eq!(&lines[17..20], ["\x1B[36mBalances\x1B[0m", "        1.50000000 \"\"", "123456789.00000000 w2"]);
        assert_eq!(lines[21], "\x1B[33mWarnings:\x1B[0m disk low");
    }

    #[test]
    fn progress_bar_counts_cells_like_the_reference() {
        assert_eq!(progress_bar(0.0), "░".repeat(20));
        // 0.07 splits a cell, which then shows on both sides.
        assert_eq!(progress_bar(0.07), "▒▒".to_string() + &"░".repeat(19));
        assert_eq!(progress_bar(1.5), "");
    }

    #[test]
    fn node_errors_pass_through() {
        let mut reply = node_reply();
        reply[1] = parse(r#"{"error": {"code": -28, "message": "Loading block index..."}, "id": 1}"#);
        assert_eq!(process_reply(reply.clone()).unwrap(), reply[1]);
    }

    #[test]
    fn odd_replies_are_errors() {
        assert_eq!(process_reply(parse(r#"{"result": 1}"#)), Err("Batch must be an array".into()));
        assert_eq!(process_reply(parse("[1]")), Err("Batch member must be an object".into()));
        assert_eq!(process_reply(parse(r#"[{"id": 4}]"#)), Err("Batch member id is larger than batch size".into()));
        assert_eq!(process_reply(parse(r#"[{"id": -1}]"#)), Err("Batch member id is larger than batch size".into()));
        assert_eq!(
            process_reply(parse(r#"[{"id": "0"}]"#)),
            Err("JSON value of type string is not of expected type number".into())
        );
        // Missing members read as null; rendering then fails on the missing progress.
        let reply = process_reply(parse("[]")).unwrap();
        assert_eq!(
            render(member(&reply, "result"), false),
            Err("JSON value of type null is not of expected type number".into())
        );
    }

    #[test]
    fn arguments_and_colour_settings() {
        assert_eq!(request(&["x".into()]), Err("-getinfo takes no arguments".into()));
        assert_eq!(member(&request(&[]).unwrap()[2], "method"), "getwalletinfo");
        assert_eq!(should_colorize("auto", false), Ok(false));
        assert_eq!(should_colorize("always", false), Ok(true));
        assert!(should_colorize("sometimes", true).is_err());
    }
}
