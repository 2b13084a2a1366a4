//! The method table: which methods exist, what arguments they take, and the
//! dispatch of a parsed request to a handler.
//!
//! Arguments are described once per method; from that description come named
//! parameter matching, arity and type checks, and the method's help text, so the
//! three always agree.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{codes, RpcError};
use crate::request::Request;

/// What a handler is given: the request, with parameters made positional.
#[derive(Clone, Debug)]
pub struct Call {
    pub params: Vec<Value>,
    pub request: Request,
}

impl Call {
    /// The `i`th parameter, `None` when absent or null.
    pub fn param(&self, i: usize) -> Option<&Value> {
        self.params.get(i).filter(|v| !v.is_null())
    }
}

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
pub type Handler = Arc<dyn Fn(Call) -> BoxFuture<Result<Value, RpcError>> + Send + Sync>;

/// Wraps a synchronous function as a handler.
pub fn sync_handler<F>(f: F) -> Handler
where
    F: Fn(&Call) -> Result<Value, RpcError> + Send + Sync + 'static,
{
    Arc::new(move |call: Call| {
        let result = f(&call);
        Box::pin(async move { result })
    })
}

/// Argument types, named as the reference names them in type errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    Str,
    /// A string of hex digits (type-checked as a string).
    StrHex,
    Num,
    /// A BTC amount: a number or a numeric string.
    Amount,
    Bool,
    Obj,
    Arr,
    /// No type check.
    Any,
}

impl ArgType {
    fn name(self) -> &'static str {
        match self {
            ArgType::Str => "string",
            ArgType::StrHex => "string",
            ArgType::Num => "numeric",
            ArgType::Amount => "numeric or string",
            ArgType::Bool => "boolean",
            ArgType::Obj => "json object",
            ArgType::Arr => "json array",
            ArgType::Any => "any",
        }
    }

    fn matches(self, v: &Value) -> Result<(), String> {
        let ok = match self {
            ArgType::Any => true,
            ArgType::Str | ArgType::StrHex => v.is_string(),
            ArgType::Num => v.is_number(),
            ArgType::Amount => v.is_number() || v.is_string(),
            ArgType::Bool => v.is_boolean(),
            ArgType::Obj => v.is_object(),
            ArgType::Arr => v.is_array(),
        };
        if ok {
            return Ok(());
        }
        let expected = match self {
            ArgType::Str | ArgType::StrHex => "string",
            ArgType::Num => "number",
            ArgType::Bool => "bool",
            ArgType::Obj => "object",
            ArgType::Arr => "array",
            ArgType::Amount => return Err("Amount is not a number or string".to_string()),
            ArgType::Any => unreachable!("Any always matches"),
        };
        Err(format!("JSON value of type {} is not of expected type {expected}", json_type_name(v)))
    }
}

pub fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// One argument of a method.
#[derive(Clone, Debug)]
pub struct Arg {
    /// The name, or several names separated by `|` (aliases for named passing).
    pub names: &'static str,
    pub kind: ArgType,
    pub optional: bool,
    /// Only passable by name, gathered into an options object at this position.
    pub named_only: bool,
    /// Not shown in help (test-only arguments).
    pub hidden: bool,
    /// How the argument appears in the signature line; defaults from the type.
    pub placeholder: Option<&'static str>,
    /// `default=…` shown in help.
    pub default: Option<String>,
    pub description: String,
}

impl Arg {
    pub fn required(names: &'static str, kind: ArgType, description: impl Into<String>) -> Arg {
        Arg {
            names,
            kind,
            optional: false,
            named_only: false,
            hidden: false,
            placeholder: None,
            default: None,
            description: description.into(),
        }
    }

    pub fn optional(names: &'static str, kind: ArgType, description: impl Into<String>) -> Arg {
        Arg { optional: true, ..Arg::required(names, kind, description) }
    }

    pub fn default(mut self, default: impl Into<String>) -> Arg {
        self.default = Some(default.into());
        self
    }

    pub fn hidden(mut self) -> Arg {
        self.hidden = true;
        self
    }

    pub fn named_only(mut self) -> Arg {
        self.named_only = true;
        self
    }

    pub fn placeholder(mut self, p: &'static str) -> Arg {
        self.placeholder = Some(p);
        self
    }

    fn primary_name(&self) -> &'static str {
        self.names.split('|').next().unwrap_or(self.names)
    }

    fn signature(&self) -> String {
        if let Some(p) = self.placeholder {
            return p.to_string();
        }
        match self.kind {
            ArgType::Str | ArgType::StrHex => format!("\"{}\"", self.primary_name()),
            ArgType::Obj => "{...}".to_string(),
            ArgType::Arr => "[...]".to_string(),
            _ => self.primary_name().to_string(),
        }
    }
}

/// A method served by another component (a wallet, maybe in another
/// process), which matches and checks the parameters itself: the table passes
/// them on as sent and shows the component's help text.
#[derive(Clone, Debug)]
pub struct Forwarded {
    pub signature: String,
    pub help: String,
}

/// A method: its description, arguments and handler.
#[derive(Clone)]
pub struct Command {
    pub name: Cow<'static, str>,
    /// Help group, e.g. `control`; `hidden` keeps the method out of `help`.
    pub category: Cow<'static, str>,
    pub description: String,
    pub args: Vec<Arg>,
    /// The `Result:` section of the help text.
    pub result: String,
    /// Example invocations, one per line, without the `> ` prefix.
    pub examples: Vec<String>,
    pub handler: Handler,
    /// Set for methods another component serves; `args` is empty then.
    pub forwarded: Option<Forwarded>,
}

impl Command {
    pub fn new(name: &'static str, category: &'static str, description: impl Into<String>, handler: Handler) -> Self {
        Command {
            name: Cow::Borrowed(name),
            category: Cow::Borrowed(category),
            description: description.into(),
            args: Vec::new(),
            result: String::new(),
            examples: Vec::new(),
            handler,
            forwarded: None,
        }
    }

    /// A method another component serves: `handler` gets the parameters as
    /// sent, in `call.request.params`.
    pub fn forwarded(name: String, category: String, forwarded: Forwarded, handler: Handler) -> Self {
        Command {
            name: Cow::Owned(name),
            category: Cow::Owned(category),
            description: String::new(),
            args: Vec::new(),
            result: String::new(),
            examples: Vec::new(),
            handler,
            forwarded: Some(forwarded),
        }
    }

    pub fn arg(mut self, arg: Arg) -> Self {
        self.args.push(arg);
        self
    }

    pub fn result(mut self, result: impl Into<String>) -> Self {
        self.result = result.into();
        self
    }

    pub fn example(mut self, example: impl Into<String>) -> Self {
        self.examples.push(example.into());
        self
    }

    /// The one-line form `help` lists: `name "arg" ( optional ... )`.
    pub fn signature(&self) -> String {
        if let Some(f) = &self.forwarded {
            return f.signature.clone();
        }
        let mut sig = self.name.to_string();
        let visible: Vec<&Arg> = self.args.iter().filter(|a| !a.hidden && !a.named_only).collect();
        let mut in_optional = false;
        for arg in visible {
            if arg.optional && !in_optional {
                sig.push_str(" (");
                in_optional = true;
            }
            sig.push(' ');
            sig.push_str(&arg.signature());
        }
        if in_optional {
            sig.push_str(" )");
        }
        sig
    }

    /// The full help text `help <name>` returns.
    pub fn help(&self) -> String {
        if let Some(f) = &self.forwarded {
            return f.help.clone();
        }
        let mut text = self.signature();
        text.push_str("\n\n");
        text.push_str(self.description.trim_end());
        text.push('\n');
        let visible: Vec<&Arg> = self.args.iter().filter(|a| !a.hidden).collect();
        if !visible.is_empty() {
            text.push_str("\nArguments:\n");
            for (i, arg) in visible.iter().enumerate() {
                let need = match (&arg.default, arg.optional) {
                    (Some(d), _) => format!("optional, default={d}"),
                    (None, true) => "optional".to_string(),
                    (None, false) => "required".to_string(),
                };
                let _ = writeln!(
                    text,
                    "{}. {}    ({}, {}) {}",
                    i + 1,
                    arg.primary_name(),
                    arg.kind.name(),
                    need,
                    arg.description
                );
            }
        }
        if !self.result.is_empty() {
            text.push_str("\nResult:\n");
            text.push_str(self.result.trim_end());
            text.push('\n');
        }
        if !self.examples.is_empty() {
            text.push_str("\nExamples:\n");
            for ex in &self.examples {
                let _ = writeln!(text, "> {ex}");
            }
        }
        text
    }

    /// The arguments that take a position (named-only ones are gathered into
    /// the options object that follows them).
    fn positional_args(&self) -> impl Iterator<Item = &Arg> {
        self.args.iter().filter(|a| !a.named_only)
    }

    fn num_required(&self) -> usize {
        self.positional_args().collect::<Vec<_>>().iter().rposition(|a| !a.optional).map_or(0, |i| i + 1)
    }

    /// Positional parameters from named ones, as the reference matches them:
    /// unknown names are errors, gaps before a given parameter become nulls,
    /// named-only arguments are gathered into an object, and a leftover `args`
    /// array supplies leading positional parameters.
    pub fn positional_params(&self, params: &Value) -> Result<Vec<Value>, RpcError> {
        let named = match params {
            Value::Array(a) => return Ok(a.clone()),
            Value::Object(o) => o,
            _ => return Ok(Vec::new()),
        };
        let mut remaining: HashMap<&str, &Value> = named.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut out: Vec<Value> = Vec::new();
        let mut hole = 0usize;
        let mut initial_hole = 0usize;
        let mut first_given: Option<&'static str> = None;
        let mut options = Map::new();
        for arg in &self.args {
            let found = arg.names.split('|').find(|n| remaining.contains_key(n));
            if arg.named_only {
                if let Some(name) = found {
                    let value = remaining.remove(name).cloned().unwrap_or(Value::Null);
                    if options.contains_key(name) {
                        return Err(RpcError::invalid_parameter(format!("Parameter {name} specified multiple times")));
                    }
                    options.insert(name.to_string(), value);
                }
                continue;
            }
            if !options.is_empty() || found.is_some() {
                out.extend(std::iter::repeat_n(Value::Null, hole));
                hole = 0;
                first_given.get_or_insert(arg.names);
            } else {
                hole += 1;
                if out.is_empty() {
                    initial_hole = hole;
                }
            }
            if let Some(name) = found {
                if let Some(conflict) = options.keys().next() {
                    return Err(RpcError::invalid_parameter(format!(
                        "Parameter {name} conflicts with parameter {conflict}"
                    )));
                }
                out.push(remaining.remove(name).cloned().unwrap_or(Value::Null));
            }
            if !options.is_empty() {
                out.push(Value::Object(std::mem::take(&mut options)));
            }
        }
        if let Some(Value::Array(positional)) = remaining.remove("args").cloned() {
            if let Some(first) = first_given {
                if initial_hole < positional.len() {
                    return Err(RpcError::invalid_parameter(format!(
                        "Parameter {first} specified twice both as positional and named argument"
                    )));
                }
            }
            let named_tail = out.split_off(positional.len().min(out.len()));
            out = positional;
            out.extend(named_tail);
        }
        if let Some(unknown) = remaining.keys().min() {
            return Err(RpcError::invalid_parameter(format!("Unknown named parameter {unknown}")));
        }
        Ok(out)
    }

    /// Arity and type checks; a wrong count answers with the help text, as the
    /// reference does.
    fn check(&self, params: &[Value]) -> Result<(), RpcError> {
        if params.len() < self.num_required() || params.len() > self.positional_args().count() {
            return Err(RpcError::misc(self.help()));
        }
        let mut mismatches = Map::new();
        for (i, (arg, value)) in self.positional_args().zip(params).enumerate() {
            if value.is_null() && arg.optional {
                continue;
            }
            if let Err(msg) = arg.kind.matches(value) {
                mismatches.insert(format!("Position {} ({})", i + 1, arg.names), Value::String(msg));
            }
        }
        if mismatches.is_empty() {
            return Ok(());
        }
        Err(RpcError::type_error(format!("Wrong type passed:\n{}", pretty4(&Value::Object(mismatches)))))
    }
}

/// JSON with a four-space indent, as the reference prints nested messages.
fn pretty4(v: &Value) -> String {
    let mut buf = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut buf, serde_json::ser::PrettyFormatter::with_indent(b"    "));
    // Serialising a `Value` into memory cannot fail.
    let _ = v.serialize(&mut ser);
    String::from_utf8_lossy(&buf).into_owned()
}

/// A method currently executing, for `getrpcinfo`.
#[derive(Clone, Debug)]
pub struct ActiveCommand {
    pub method: String,
    pub duration: Duration,
}

/// The methods a server offers. Components register and unregister methods at
/// run time (a wallet process attaching adds its methods). Several components
/// may offer one method (two wallet processes): the newest answers, and a
/// call for a wallet it does not have passes to the next; the first "not
/// found" stands if nobody has it.
#[derive(Default)]
pub struct RpcTable {
    /// Every registration of each name, oldest first.
    commands: RwLock<BTreeMap<String, Vec<Arc<Command>>>>,
    warmup: RwLock<Option<String>>,
    active: Mutex<HashMap<u64, (String, Instant)>>,
    next_call: AtomicU64,
}

impl RpcTable {
    pub fn new() -> Self {
        RpcTable { warmup: RwLock::new(Some("RPC server started".into())), ..Default::default() }
    }

    /// Adds `command`; the returned registration is what [`unregister`](Self::unregister) takes away.
    pub fn register(&self, command: Command) -> Arc<Command> {
        let command = Arc::new(command);
        let mut commands = self.commands.write().unwrap_or_else(|e| e.into_inner());
        let entries = commands.entry(command.name.to_string()).or_default();
        // A component's own methods replace themselves; only forwarded ones stack.
        if command.forwarded.is_none() {
            entries.clear();
        }
        entries.push(command.clone());
        command
    }

    /// Adds a forwarded `command` that answers only when no other
    /// registration of its name does (it goes below them): a stand-in for a
    /// component that may go away.
    pub fn register_fallback(&self, command: Command) -> Arc<Command> {
        let command = Arc::new(command);
        let mut commands = self.commands.write().unwrap_or_else(|e| e.into_inner());
        commands.entry(command.name.to_string()).or_default().insert(0, command.clone());
        command
    }

    /// How many components offer `name`.
    pub fn registration_count(&self, name: &str) -> usize {
        self.commands.read().unwrap_or_else(|e| e.into_inner()).get(name).map_or(0, Vec::len)
    }

    /// Takes one registration away; others of the same name stay.
    pub fn unregister(&self, command: &Arc<Command>) -> bool {
        let mut commands = self.commands.write().unwrap_or_else(|e| e.into_inner());
        let Some(entries) = commands.get_mut(command.name.as_ref()) else { return false };
        let before = entries.len();
        entries.retain(|c| !Arc::ptr_eq(c, command));
        let removed = entries.len() < before;
        if entries.is_empty() {
            commands.remove(command.name.as_ref());
        }
        removed
    }

    /// Every method, by name (the newest registration of each).
    pub fn commands(&self) -> Vec<Arc<Command>> {
        self.commands.read().unwrap_or_else(|e| e.into_inner()).values().filter_map(|v| v.last().cloned()).collect()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Command>> {
        self.commands.read().unwrap_or_else(|e| e.into_inner()).get(name).and_then(|v| v.last().cloned())
    }

    /// Every registration of `name`, newest first.
    fn registrations(&self, name: &str) -> Vec<Arc<Command>> {
        let commands = self.commands.read().unwrap_or_else(|e| e.into_inner());
        commands.get(name).map(|v| v.iter().rev().cloned().collect()).unwrap_or_default()
    }

    /// While `Some`, every call answers `-28` with this status text.
    pub fn set_warmup(&self, status: Option<String>) {
        *self.warmup.write().unwrap_or_else(|e| e.into_inner()) = status;
    }

    pub fn warmup_status(&self) -> Option<String> {
        self.warmup.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn active_commands(&self) -> Vec<ActiveCommand> {
        let active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        let mut list: Vec<(u64, ActiveCommand)> = active
            .iter()
            .map(|(id, (m, start))| (*id, ActiveCommand { method: m.clone(), duration: start.elapsed() }))
            .collect();
        list.sort_by_key(|(id, _)| *id);
        list.into_iter().map(|(_, c)| c).collect()
    }

    /// Runs one parsed request.
    pub async fn execute(&self, request: Request) -> Result<Value, RpcError> {
        if let Some(status) = self.warmup_status() {
            return Err(RpcError::new(codes::RPC_IN_WARMUP, status));
        }
        let registrations = self.registrations(&request.method);
        let command =
            registrations.first().ok_or_else(|| RpcError::new(codes::RPC_METHOD_NOT_FOUND, "Method not found"))?;
        let id = self.next_call.fetch_add(1, Ordering::Relaxed);
        self.active.lock().unwrap_or_else(|e| e.into_inner()).insert(id, (request.method.clone(), Instant::now()));
        let _guard = ActiveGuard { table: self, id };
        if command.forwarded.is_none() {
            let params = command.positional_params(&request.params)?;
            command.check(&params)?;
            return (command.handler)(Call { params, request }).await;
        }
        // A wallet another registration has may be asked for: "not found"
        // passes the call on, and stands only if every registration says so.
        let mut not_found = None;
        for command in &registrations {
            match (command.handler)(Call { params: Vec::new(), request: request.clone() }).await {
                Err(e) if e.code == codes::RPC_WALLET_NOT_FOUND => {
                    not_found.get_or_insert(e);
                }
                answer => return answer,
            }
        }
        Err(not_found.expect("at least one registration answered"))
    }

    /// `help` without a method: every visible method's signature, grouped.
    pub fn help_overview(&self) -> String {
        let commands = self.commands.read().unwrap_or_else(|e| e.into_inner());
        let mut groups: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for cmd in commands.values().filter_map(|v| v.last()).filter(|c| c.category != "hidden") {
            groups.entry(&cmd.category).or_default().push(cmd.signature());
        }
        let sections: Vec<String> = groups
            .into_iter()
            .map(|(cat, mut sigs)| {
                sigs.sort();
                format!("== {} ==\n{}", title_case(cat), sigs.join("\n"))
            })
            .collect();
        sections.join("\n\n")
    }
}

struct ActiveGuard<'a> {
    table: &'a RpcTable,
    id: u64,
}

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.table.active.lock().unwrap_or_else(|e| e.into_inner()).remove(&self.id);
    }
}

fn title_case(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn echo_cmd() -> Command {
        Command::new("demo", "control", "Demonstrates.", sync_handler(|c| Ok(Value::Array(c.params.clone()))))
            .arg(Arg::required("first", ArgType::Str, "the first"))
            .arg(Arg::optional("second|alias", ArgType::Num, "the second"))
            .arg(Arg::optional("third", ArgType::Bool, "the third"))
    }

    fn table() -> RpcTable {
        let t = RpcTable::new();
        t.set_warmup(None);
        t.register(echo_cmd());
        t
    }

    fn call(t: &RpcTable, params: Value) -> Result<Value, RpcError> {
        let req = Request { method: "demo".into(), params, ..Default::default() };
        futures_executor(t.execute(req))
    }

    /// The table's futures never pend in these tests.
    fn futures_executor<F: Future>(f: F) -> F::Output {
        futures_util::FutureExt::now_or_never(f).expect("ready")
    }

    /// A method another component serves gets its parameters as sent and
    /// shows that component's help; unregistering takes it away.
    #[test]
    fn forwarded_methods_pass_parameters_through() {
        let t = RpcTable::new();
        t.set_warmup(None);
        let handler: Handler = Arc::new(|c: Call| Box::pin(async move { Ok(c.request.params) }));
        let help = Forwarded { signature: "remote ( x )".into(), help: "remote ( x )\n\nElsewhere.".into() };
        let remote = t.register(Command::forwarded("remote".into(), "wallet".into(), help.clone(), handler));
        let req = Request { method: "remote".into(), params: json!({"x": 1, "anything": 2}), ..Default::default() };
        assert_eq!(futures_executor(t.execute(req)).unwrap(), json!({"x": 1, "anything": 2}));
        assert_eq!(t.get("remote").unwrap().help(), "remote ( x )\n\nElsewhere.");
        assert!(t.help_overview().contains("== Wallet ==\nremote ( x )"));

        // A second component's registration answers first; a wallet it does
        // not have passes the call on; taking it away leaves the first.
        let elsewhere: Handler = Arc::new(|c: Call| {
            Box::pin(async move {
                match c.request.params.get("mine") {
                    Some(_) => Ok(json!("second")),
                    None => Err(RpcError::new(codes::RPC_WALLET_NOT_FOUND, "not here")),
                }
            })
        });
        let second = t.register(Command::forwarded("remote".into(), "wallet".into(), help, elsewhere));
        let req = |params| Request { method: "remote".into(), params, ..Default::default() };
        assert_eq!(futures_executor(t.execute(req(json!({"mine": 1})))).unwrap(), json!("second"));
        assert_eq!(futures_executor(t.execute(req(json!({"x": 1})))).unwrap(), json!({"x": 1}));
        assert!(t.unregister(&second));
        assert!(!t.unregister(&second));
        assert_eq!(futures_executor(t.execute(req(json!({"mine": 1})))).unwrap(), json!({"mine": 1}));
        assert!(t.unregister(&remote));
        assert!(t.get("remote").is_none());
    }

    #[test]
    fn named_parameters_fill_holes_and_aliases() {
        let t = table();
        assert_eq!(call(&t, json!({"first": "a", "third": true})).unwrap(), json!(["a", null, true]));
        assert_eq!(call(&t, json!({"first": "a", "alias": 2})).unwrap(), json!(["a", 2]));
        assert_eq!(call(&t, json!({"args": ["a"], "third": false})).unwrap(), json!(["a", null, false]));
        let e = call(&t, json!({"first": "a", "bogus": 1})).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (-8, "Unknown named parameter bogus"));
        let e = call(&t, json!({"args": ["a", 1], "second": 2})).unwrap_err();
        assert_eq!(e.message, "Parameter second|alias specified twice both as positional and named argument");
    }

    #[test]
    fn arity_and_types() {
        let t = table();
        let e = call(&t, json!([])).unwrap_err();
        assert_eq!(e.code, -1);
        assert!(e.message.starts_with("demo \"first\" ( second third )\n\nDemonstrates."));
        assert_eq!(call(&t, json!(["a", 1, true, 4])).unwrap_err().code, -1);
        let e = call(&t, json!([1, "x"])).unwrap_err();
        assert_eq!(e.code, -3);
        assert_eq!(
            e.message,
            "Wrong type passed:\n{\n    \"Position 1 (first)\": \"JSON value of type number is not of expected type string\",\n    \"Position 2 (second|alias)\": \"JSON value of type string is not of expected type number\"\n}"
        );
        assert_eq!(call(&t, json!(["a", null, null])).unwrap(), json!(["a", null, null]));
    }

    #[test]
    fn warmup_and_missing_methods() {
        let t = RpcTable::new();
        let demo = t.register(echo_cmd());
        assert_eq!(call(&t, json!(["a"])).unwrap_err().code, codes::RPC_IN_WARMUP);
        t.set_warmup(None);
        let req = Request { method: "nope".into(), ..Default::default() };
        assert_eq!(futures_executor(t.execute(req)).unwrap_err().code, codes::RPC_METHOD_NOT_FOUND);
        assert!(t.unregister(&demo));
        assert_eq!(call(&t, json!(["a"])).unwrap_err().code, codes::RPC_METHOD_NOT_FOUND);
    }

    #[test]
    fn help_lists_groups() {
        let t = table();
        t.register(Command::new("zed", "hidden", "", sync_handler(|_| Ok(Value::Null))));
        t.register(Command::new("abc", "blockchain", "", sync_handler(|_| Ok(Value::Null))));
        assert_eq!(t.help_overview(), "== Blockchain ==\nabc\n\n== Control ==\ndemo \"first\" ( second third )");
    }

    #[test]
    fn named_only_arguments_gather_into_options() {
        let cmd = Command::new("send", "wallet", "", sync_handler(|_| Ok(Value::Null)))
            .arg(Arg::optional("outputs", ArgType::Arr, ""))
            .arg(Arg::optional("fee_rate", ArgType::Amount, "").named_only())
            .arg(Arg::optional("options", ArgType::Obj, ""));
        assert_eq!(
            cmd.positional_params(&json!({"fee_rate": 1})).unwrap(),
            json!([null, {"fee_rate": 1}]).as_array().unwrap().clone()
        );
        let e = cmd.positional_params(&json!({"options": {}, "fee_rate": 1})).unwrap_err();
        assert_eq!(e.message, "Parameter options conflicts with parameter fee_rate");
    }
}
