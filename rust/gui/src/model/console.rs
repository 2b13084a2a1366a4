//! The RPC console: the reference GUI's command syntax (plain `method arg …`,
//! parenthesised and nested calls, `[key]`/`[index]` queries on results), the
//! same parameter conversion as `hashvive-cli`, and a history that never
//! keeps commands carrying secrets.

use std::future::Future;
use std::pin::Pin;

use hashvive_interfaces::{RpcFault, SENSITIVE_RPC_METHODS};
use hashvive_rpc::convert::convert_positional;
use serde_json::Value;

/// Lines kept in the history, as the reference's console keeps.
const HISTORY_SIZE: usize = 50;

pub const HELP_CONSOLE: &str = "\
This console accepts RPC commands using the standard syntax.
   example:    getblockhash 0

This console can also accept RPC commands using the parenthesized syntax.
   example:    getblockhash(0)

Commands may be nested when specified with the parenthesized syntax.
   example:    getblock(getblockhash(0) 1)

A space or a comma can be used to delimit arguments for either syntax.
   example:    getblockhash 0
               getblockhash,0

Named results can be queried with a non-quoted key string in brackets using the parenthesized syntax.
   example:    getblock(getblockhash(0) true)[tx]

Results without keys can be queried with an integer in brackets using the parenthesized syntax.
   example:    getblock(getblockhash(0),true)[tx][0]";

/// A call as typed: its method, its arguments, and the queries on its result.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub method: String,
    pub args: Vec<Arg>,
    pub path: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    Word(String),
    Call(Call),
}

/// A line the console cannot read, with the reference's wording.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError(pub String);

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads one console line; `None` for a blank one.
pub fn parse(line: &str) -> Result<Option<Call>, ParseError> {
    let mut parser = Parser { chars: line.chars().collect(), at: 0 };
    let mut items = parser.sequence(false)?;
    if parser.at < parser.chars.len() {
        return Err(ParseError("Invalid Syntax: unexpected ')'".into()));
    }
    if items.is_empty() {
        return Ok(None);
    }
    match items.remove(0) {
        Arg::Call(call) if items.is_empty() => Ok(Some(call)),
        Arg::Call(_) => Err(ParseError("Invalid Syntax: text after a parenthesised call".into())),
        Arg::Word(method) => Ok(Some(Call { method, args: items, path: Vec::new() })),
    }
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    /// Items up to the end of the line, or up to the `)` closing `nested`.
    fn sequence(&mut self, nested: bool) -> Result<Vec<Arg>, ParseError> {
        let mut items = Vec::new();
        loop {
            while matches!(self.peek(), Some(c) if c.is_whitespace() || c == ',') {
                self.at += 1;
            }
            match self.peek() {
                None if nested => return Err(ParseError("Invalid Syntax: missing ')'".into())),
                None => return Ok(items),
                Some(')') if nested => {
                    self.at += 1;
                    return Ok(items);
                }
                Some(')') => return Ok(items),
                Some('(' | '[' | ']') => {
                    return Err(ParseError(format!("Invalid Syntax: unexpected '{}'", self.chars[self.at])))
                }
                Some(_) => items.push(self.item()?),
            }
        }
    }

    fn item(&mut self) -> Result<Arg, ParseError> {
        let (word, quoted) = self.word()?;
        if quoted || self.peek() != Some('(') {
            return Ok(Arg::Word(word));
        }
        self.at += 1;
        let args = self.sequence(true)?;
        let mut path = Vec::new();
        while self.peek() == Some('[') {
            self.at += 1;
            let start = self.at;
            while matches!(self.peek(), Some(c) if c != ']') {
                self.at += 1;
            }
            if self.peek() != Some(']') {
                return Err(ParseError("Invalid Syntax: missing ']'".into()));
            }
            path.push(self.chars[start..self.at].iter().collect::<String>().trim().to_string());
            self.at += 1;
        }
        Ok(Arg::Call(Call { method: word, args, path }))
    }

    /// A bare word, or one in single or double quotes (backslash escapes in
    /// double quotes), as in a shell.
    fn word(&mut self) -> Result<(String, bool), ParseError> {
        let mut word = String::new();
        let mut quoted = false;
        while let Some(c) = self.peek() {
            match c {
                '"' | '\'' => {
                    quoted = true;
                    self.at += 1;
                    loop {
                        match self.peek() {
                            None => return Err(ParseError("Invalid Syntax: unterminated quote".into())),
                            Some(q) if q == c => break,
                            Some('\\') if c == '"' && self.chars.get(self.at + 1).is_some() => {
                                self.at += 1;
                                word.push(self.chars[self.at]);
                            }
                            Some(other) => word.push(other),
                        }
                        self.at += 1;
                    }
                    self.at += 1;
                }
                c if c.is_whitespace() || matches!(c, ',' | '(' | ')' | '[' | ']') => break,
                c => {
                    word.push(c);
                    self.at += 1;
                }
            }
        }
        Ok((word, quoted))
    }
}

/// Runs an RPC call for the console: the method and its parameters (JSON).
pub type Execute<'a> =
    dyn Fn(String, Value) -> Pin<Box<dyn Future<Output = Result<Value, RpcFault>> + Send + 'a>> + Send + Sync + 'a;

/// Runs `call`, its nested calls first, through `execute`; the result after
/// its queries.
pub fn evaluate<'a>(
    call: &'a Call,
    execute: &'a Execute<'a>,
) -> Pin<Box<dyn Future<Output = Result<Value, RpcFault>> + Send + 'a>> {
    Box::pin(async move {
        let mut words = Vec::with_capacity(call.args.len());
        for arg in &call.args {
            words.push(match arg {
                Arg::Word(word) => word.clone(),
                Arg::Call(nested) => match evaluate(nested, execute).await? {
                    Value::String(text) => text,
                    other => other.to_string(),
                },
            });
        }
        let params =
            convert_positional(&call.method, &words).map_err(|e| RpcFault { code: e.code, message: e.message })?;
        let mut result = execute(call.method.clone(), params).await?;
        for key in &call.path {
            result = query(result, key)?;
        }
        Ok(result)
    })
}

fn query(value: Value, key: &str) -> Result<Value, RpcFault> {
    let missing = || RpcFault { code: -1, message: format!("Invalid result query: no '{key}' in the result") };
    match value {
        Value::Array(mut items) => {
            let index: usize = key.parse().map_err(|_| missing())?;
            (index < items.len()).then(|| items.swap_remove(index)).ok_or_else(missing)
        }
        Value::Object(mut map) => map.remove(key).ok_or_else(missing),
        _ => Err(RpcFault { code: -1, message: "Invalid result query: the result has no keys or indices".into() }),
    }
}

/// How the console prints a result: strings as they are, the rest as
/// indented JSON.
pub fn render(result: &Value) -> String {
    match result {
        Value::String(text) => text.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_else(|_| other.to_string()),
    }
}

/// The lines typed so far, newest last, and where up/down browsing is.
#[derive(Debug, Default)]
pub struct History {
    lines: Vec<String>,
    cursor: usize,
}

impl History {
    /// Keeps `line` unless it is blank, repeats the last one, or names a
    /// command that takes a secret.
    pub fn push(&mut self, line: &str) {
        let line = line.trim();
        let secret = SENSITIVE_RPC_METHODS.iter().any(|c| line.contains(c));
        if !line.is_empty() && !secret && self.lines.last().map(String::as_str) != Some(line) {
            self.lines.push(line.to_string());
            if self.lines.len() > HISTORY_SIZE {
                self.lines.remove(0);
            }
        }
        self.cursor = self.lines.len();
    }

    /// The line before the one shown (the up key).
    pub fn older(&mut self) -> Option<&str> {
        self.cursor = self.cursor.saturating_sub(1);
        self.lines.get(self.cursor).map(String::as_str)
    }

    /// The line after the one shown (the down key); past the newest, none.
    pub fn newer(&mut self) -> Option<&str> {
        self.cursor = (self.cursor + 1).min(self.lines.len());
        self.lines.get(self.cursor).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;

    fn word(w: &str) -> Arg {
        Arg::Word(w.into())
    }

    #[test]
    fn plain_and_parenthesised_syntax_read_alike() {
        let plain = parse("getblockhash 0").unwrap().unwrap();
        assert_eq!(plain, Call { method: "getblockhash".into(), args: vec![word("0")], path: vec![] });
        assert_eq!(parse("getblockhash(0)").unwrap().unwrap(), plain);
        assert_eq!(parse("getblockhash,0").unwrap().unwrap(), plain);
        assert_eq!(parse("   ").unwrap(), None);
    }

    #[test]
    fn nested_calls_quotes_and_queries() {
        let call = parse(r#"getblock(getblockhash(0) 1)[tx][0]"#).unwrap().unwrap();
        assert_eq!(call.method, "getblock");
        assert_eq!(call.path, ["tx", "0"]);
        assert_eq!(
            call.args,
            [Arg::Call(Call { method: "getblockhash".into(), args: vec![word("0")], path: vec![] }), word("1")]
        );
        let quoted = parse(r#"echo "a b" 'c,d' "say \"hi\"""#).unwrap().unwrap();
        assert_eq!(quoted.args, [word("a b"), word("c,d"), word("say \"hi\"")]);
    }

    #[test]
    fn broken_lines_are_refused() {
        for line in ["getblock(0", "getblock 0)", "echo \"open", "getblock(x)[tx", "(x)", "f(x) y"] {
            assert!(parse(line).is_err(), "{line}");
        }
    }

    #[test]
    fn evaluation_runs_nested_calls_first_and_converts_parameters() {
        let seen = Mutex::new(Vec::new());
        let execute = |method: String, params: Value| {
            seen.lock().unwrap().push((method.clone(), params.clone()));
            let reply = match method.as_str() {
                "getblockhash" => Ok(json!("00ab")),
                "getblock" => Ok(json!({"tx": ["t0", "t1"], "height": 0})),
                _ => Err(RpcFault { code: -32601, message: "Method not found".into() }),
            };
            Box::pin(async move { reply }) as Pin<Box<dyn Future<Output = _> + Send>>
        };
        let call = parse("getblock(getblockhash(0) 1)[tx][1]").unwrap().unwrap();
        let result = tokio_test_block_on(evaluate(&call, &execute)).unwrap();
        assert_eq!(result, json!("t1"));
        // `getblockhash`'s height and `getblock`'s verbosity are numbers, as
        // hashvive-cli would send them.
        assert_eq!(
            *seen.lock().unwrap(),
            [("getblockhash".to_string(), json!([0])), ("getblock".to_string(), json!(["00ab", 1])),]
        );
        let missing = parse("getblock(x)[nothere]").unwrap().unwrap();
        assert!(tokio_test_block_on(evaluate(&missing, &execute)).unwrap_err().message.contains("nothere"));
        let unknown = parse("nosuch").unwrap().unwrap();
        assert_eq!(tokio_test_block_on(evaluate(&unknown, &execute)).unwrap_err().code, -32601);
    }

    fn tokio_test_block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
    }

    #[test]
    fn results_render_as_the_reference_console_prints_them() {
        assert_eq!(render(&json!("text")), "text");
        assert_eq!(render(&json!({"a": 1})), "{\n  \"a\": 1\n}");
        assert_eq!(render(&Value::Null), "null");
    }

    #[test]
    fn history_browses_and_keeps_no_secrets() {
        let mut history = History::default();
        history.push("getblockcount");
        history.push("walletpassphrase secret 60");
        history.push("getblockcount");
        history.push("uptime");
        assert_eq!(history.older(), Some("uptime"));
        assert_eq!(history.older(), Some("getblockcount"));
        assert_eq!(history.older(), Some("getblockcount"));
        assert_eq!(history.newer(), Some("uptime"));
        assert_eq!(history.newer(), None);
        for i in 0..60 {
            history.push(&format!("echo {i}"));
        }
        assert_eq!(history.lines.len(), HISTORY_SIZE);
        assert_eq!(history.lines[0], "echo 10");
    }
}
