//! `control` methods (`help`, `stop`, `uptime`, `getrpcinfo`, `logging`) and the
//! hidden test helpers (`echo`, `echojson`, `setmocktime`).

use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{json, Map, Value};

use hashvive_common::chain::Chain;
use hashvive_common::logging;
use hashvive_common::shutdown::Shutdown;
use hashvive_common::time;
use hashvive_interfaces::{Echo, Ipc};
use hashvive_rpc::table::{json_type_name, sync_handler, Call};
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use crate::local::LocalEcho;

/// What the control methods need from the running node.
pub struct ControlContext {
    pub shutdown: Shutdown,
    pub chain: Chain,
    /// System time at start-up, for `uptime`.
    pub started_at: i64,
    pub log_path: Option<PathBuf>,
    /// The program name used in help examples, e.g. `hashvive-cli`.
    pub cli_name: &'static str,
}

pub fn register(table: &Arc<RpcTable>, ctx: Arc<ControlContext>) {
    let cli = ctx.cli_name;
    let weak: Weak<RpcTable> = Arc::downgrade(table);
    table.register(
        Command::new(
            "help",
            "control",
            "List all commands, or get help for a specified command.",
            sync_handler(move |call| {
                let Some(table) = weak.upgrade() else { return Err(RpcError::misc("RPC server is shutting down")) };
                Ok(Value::String(match call.param(0).and_then(Value::as_str) {
                    None => table.help_overview(),
                    Some(name) => match table.get(name) {
                        Some(cmd) => cmd.help(),
                        None => format!("help: unknown command: {name}"),
                    },
                }))
            }),
        )
        .arg(Arg::optional("command", ArgType::Str, "The command to get help on").default("all commands"))
        .result("\"str\"    (string) The help text"),
    );

    let c = ctx.clone();
    table.register(
        Command::new(
            "stop",
            "control",
            "Request a graceful shutdown of Hashvive.",
            Arc::new(move |call: Call| {
                c.shutdown.request();
                let wait = call.param(0).and_then(Value::as_u64).unwrap_or(0);
                Box::pin(async move {
                    if wait > 0 {
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                    }
                    Ok(Value::String("Hashvive stopping".into()))
                })
            }),
        )
        .arg(Arg::optional("wait", ArgType::Num, "how long to wait in ms").hidden())
        .result("\"str\"    (string) A string with the content 'Hashvive stopping'")
        .example(format!("{cli} stop")),
    );

    let c = ctx.clone();
    table.register(
        Command::new(
            "uptime",
            "control",
            "Returns the total uptime of the server.",
            sync_handler(move |_| Ok(json!(time::now() - c.started_at))),
        )
        .result("n    (numeric) The number of seconds that the server has been running")
        .example(format!("{cli} uptime")),
    );

    let weak: Weak<RpcTable> = Arc::downgrade(table);
    let c = ctx.clone();
    table.register(
        Command::new(
            "getrpcinfo",
            "control",
            "Returns details of the RPC server.",
            sync_handler(move |_| {
                let active: Vec<Value> = weak
                    .upgrade()
                    .map(|t| t.active_commands())
                    .unwrap_or_default()
                    .into_iter()
                    .map(|a| json!({"method": a.method, "duration": a.duration.as_micros() as u64}))
                    .collect();
                let logpath = c.log_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                Ok(json!({"active_commands": active, "logpath": logpath}))
            }),
        )
        .result(
            "{\n  \"active_commands\" : [    (json array) All active commands\n    {\n      \"method\" : \"str\",    (string) The name of the RPC command\n      \"duration\" : n    (numeric) The running time in microseconds\n    },\n    ...\n  ],\n  \"logpath\" : \"str\"    (string) The complete file path to the debug log\n}",
        )
        .example(format!("{cli} getrpcinfo")),
    );

    table.register(
        Command::new(
            "logging",
            "control",
            "Gets and sets the logging configuration.\nWhen called without an argument, returns the list of categories with status that are currently being debug logged or not.\nWhen called with arguments, adds or removes categories from debug logging and return the lists above.\nThe arguments are evaluated in order \"include\", \"exclude\".\nIf an item is both included and excluded, it will thus end up being excluded.\nThe valid logging categories are: all, 1, and each of the categories below.",
            sync_handler(|call| {
                for (i, enable) in [(0, true), (1, false)] {
                    if let Some(list) = call.param(i).and_then(Value::as_array) {
                        set_categories(list, enable)?;
                    }
                }
                let states: Map<String, Value> =
                    logging::category_states().into_iter().map(|(c, on)| (c.to_string(), Value::Bool(on))).collect();
                Ok(Value::Object(states))
            }),
        )
        .arg(Arg::optional("include", ArgType::Arr, "The categories to add to debug logging").placeholder("[\"include_category\",...]"))
        .arg(Arg::optional("exclude", ArgType::Arr, "The categories to remove from debug logging").placeholder("[\"exclude_category\",...]"))
        .result("{    (json object) keys are the logging categories, and values indicates its status\n  \"category\" : true|false,    (boolean) if being debug logged or not. false:inactive, true:active\n  ...\n}")
        .example(format!("{cli} logging \"[\\\"all\\\"]\" \"[\\\"http\\\"]\"")),
    );

    for name in ["echo", "echojson"] {
        let mut cmd = Command::new(
            name,
            "hidden",
            "Simply echo back the input arguments. This command is for testing.\nIt will return an internal bug report when arg9='trigger_internal_bug' is passed.\n\nThe difference between echo and echojson is that echojson has argument conversion enabled in the client-side table in hashvive-cli and the GUI. There is no server-side difference.",
            sync_handler(|call| {
                if call.param(9).and_then(Value::as_str) == Some("trigger_internal_bug") {
                    return Err(RpcError::new(hashvive_rpc::codes::RPC_INTERNAL_ERROR, "Internal bug detected: echo triggered on request"));
                }
                Ok(Value::Array(call.params.clone()))
            }),
        )
        .result("any    (any) Returns whatever was passed in");
        for arg in ["arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "arg7", "arg8", "arg9"] {
            cmd = cmd.arg(Arg::optional(arg, ArgType::Any, ""));
        }
        table.register(cmd);
    }

    let chain = ctx.chain;
    table.register(
        Command::new(
            "setmocktime",
            "hidden",
            "Set the local time to given timestamp (-regtest only)",
            sync_handler(move |call| {
                if !chain.is_mockable() {
                    return Err(RpcError::misc("setmocktime is for regression testing (-regtest mode) only"));
                }
                let t = call
                    .param(0)
                    .and_then(Value::as_i64)
                    .ok_or_else(|| RpcError::type_error("Expected integer timestamp"))?;
                if t < 0 {
                    return Err(RpcError::invalid_parameter(format!("Mocktime cannot be negative: {t}.")));
                }
                time::set_mock_time(t);
                Ok(Value::Null)
            }),
        )
        .arg(Arg::required(
            "timestamp",
            ArgType::Num,
            "UNIX epoch time\nPass 0 to go back to using the system time.",
        )),
    );
}

/// `echoipc`: through a spawned process when this executable has IPC, else locally.
pub fn register_echoipc(table: &RpcTable, ipc: Option<Arc<dyn Ipc>>, spawn_exe: &'static str) {
    table.register(
        Command::new(
            "echoipc",
            "hidden",
            "Echo back the input argument, passing it through a spawned process in a multiprocess build.\nThis command is for testing.",
            Arc::new(move |call: Call| {
                let ipc = ipc.clone();
                let text = call.param(0).and_then(Value::as_str).unwrap_or_default().to_string();
                Box::pin(async move {
                    let echo: Arc<dyn Echo> = match &ipc {
                        Some(ipc) => {
                            let init = ipc.spawn_process(spawn_exe).await.map_err(|e| RpcError::misc(e.to_string()))?.init;
                            init.make_echo().await.map_err(|e| RpcError::misc(e.to_string()))?
                        }
                        None => Arc::new(LocalEcho),
                    };
                    let reply = echo.echo(text).await.map_err(|e| RpcError::misc(e.to_string()))?;
                    Ok(Value::String(reply))
                })
            }),
        )
        .arg(Arg::required("arg", ArgType::Str, "The string to echo"))
        .result("\"echo\"    (string) The echoed string.")
        .example("hashvive-cli echoipc \"Hello world\""),
    );
}

fn set_categories(list: &[Value], enable: bool) -> Result<(), RpcError> {
    for cat in list {
        let name = cat.as_str().ok_or_else(|| {
            RpcError::type_error(format!("JSON value of type {} is not of expected type string", json_type_name(cat)))
        })?;
        let known = if enable { logging::enable_category(name) } else { logging::disable_category(name) };
        if !known {
            return Err(RpcError::invalid_parameter(format!("unknown logging category {name}")));
        }
    }
    Ok(())
}
