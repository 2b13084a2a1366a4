//! Reference-style arguments: `-name`, `-name=value`, `-noname`, `--name`, and a
//! config file with `[section]`s and `includeconf`.
//!
//! Precedence follows the reference node, because existing tools and test
//! frameworks rely on it: the command line wins (its last value), then the
//! config file's section for the selected chain (its first value), then the
//! config file's top level (first value) — except that options marked
//! network-only are taken from the top level on mainnet alone.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::chain::Chain;
use crate::options::{flags, OptionDef};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArgsError {
    #[error("Error parsing command line arguments: {0}")]
    CommandLine(String),
    #[error("Error reading configuration file: {0}")]
    Config(String),
    #[error("Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.")]
    ChainCombination,
    #[error("Unknown chain {0}.")]
    UnknownChain(String),
}

/// One value as given: a string, or a negation (`-noX`), which reads as false/unset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    Value(String),
    Negated,
}

#[derive(Clone, Debug, Default)]
struct Source {
    /// Values in the order they were given, per option name.
    values: HashMap<String, Vec<Setting>>,
}

impl Source {
    fn push(&mut self, name: &str, setting: Setting) {
        self.values.entry(name.to_string()).or_default().push(setting);
    }

    fn get(&self, name: &str) -> Option<&[Setting]> {
        self.values.get(name).map(Vec::as_slice)
    }
}

/// The parsed arguments of one process.
#[derive(Clone, Debug)]
pub struct Args {
    known: HashMap<&'static str, u8>,
    forced: Source,
    command_line: Source,
    /// `settings.json`'s values: after the command line, before the config file.
    rw: Source,
    /// Config file values keyed by section ("" for the top level).
    config: HashMap<String, Source>,
    chain: Option<Chain>,
    /// Messages worth logging once logging is up (double negatives, ignored options).
    warnings: Vec<String>,
    /// Sections named in the config file, with file and line, for the unknown-section warning.
    config_sections: Vec<(String, String, usize)>,
}

impl Args {
    pub fn new(defs: &[OptionDef]) -> Self {
        Args {
            known: defs.iter().map(|d| (d.name, d.flags)).collect(),
            forced: Source::default(),
            command_line: Source::default(),
            rw: Source::default(),
            config: HashMap::new(),
            chain: None,
            warnings: Vec::new(),
            config_sections: Vec::new(),
        }
    }

    /// Parses `argv` (without the program name). Parsing stops at the first
    /// argument that does not start with `-`; that argument and all after it are
    /// returned as positional arguments (the RPC command for the CLI, an error for
    /// daemons).
    pub fn parse_command_line<I, S>(&mut self, argv: I) -> Result<Vec<String>, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut iter = argv.into_iter().map(Into::into);
        let mut positional = Vec::new();
        while let Some(arg) = iter.next() {
            if !arg.starts_with('-') || arg == "-" {
                positional.push(arg);
                positional.extend(iter);
                break;
            }
            let body = arg.strip_prefix("--").unwrap_or(&arg[1..]);
            let (key, value) = match body.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (body, None),
            };
            let (name, negated) = interpret_negation(key);
            let flags = match self.known.get(name) {
                Some(f) if !name.contains('.') => *f,
                _ => return Err(ArgsError::CommandLine(format!("Invalid parameter {arg}"))),
            };
            if name == "includeconf" {
                return Err(ArgsError::CommandLine(format!(
                    "-includeconf cannot be used from commandline; -includeconf={}",
                    value.unwrap_or("")
                )));
            }
            let setting =
                interpret_value(name, value, negated, flags, &mut self.warnings).map_err(ArgsError::CommandLine)?;
            self.command_line.push(name, setting);
        }
        Ok(positional)
    }

    /// Reads a config file's text. `path` is only used in messages; `includeconf`
    /// files are resolved by `resolve` (relative to the data directory).
    pub fn read_config_text(&mut self, text: &str, path: &Path) -> Result<Vec<String>, ArgsError> {
        let mut section = String::new();
        let mut includes = Vec::new();
        for (idx, raw) in text.lines().enumerate() {
            let lineno = idx + 1;
            let (line, used_hash) = match raw.find('#') {
                Some(pos) => (&raw[..pos], true),
                None => (raw, false),
            };
            let line = line.trim_matches([' ', '\t', '\r', '\n']);
            if line.is_empty() {
                continue;
            }
            if line.starts_with('[') && line.ends_with(']') {
                section = line[1..line.len() - 1].to_string();
                self.config_sections.push((section.clone(), path.display().to_string(), lineno));
                continue;
            }
            if line.starts_with('-') {
                return Err(ArgsError::Config(format!(
                    "parse error on line {lineno}: {line}, options in configuration file must be specified without leading -"
                )));
            }
            let Some((key, value)) = line.split_once('=') else {
                let mut msg = format!("parse error on line {lineno}: {line}");
                if line.starts_with("no") {
                    msg.push_str(&format!(", if you intended to specify a negated option, use {line}=1 instead"));
                }
                return Err(ArgsError::Config(msg));
            };
            let key = key.trim_matches([' ', '\t', '\r', '\n']);
            let value = value.trim_matches([' ', '\t', '\r', '\n']);
            if used_hash && key.contains("rpcpassword") {
                return Err(ArgsError::Config(format!(
                    "parse error on line {lineno}, using # in rpcpassword can be ambiguous and should be avoided"
                )));
            }
            // `regtest.port=1` is the same as `port=1` inside `[regtest]`.
            let (sec, key) = match key.rsplit_once('.') {
                Some((s, k)) => (s.to_string(), k),
                None => (section.clone(), key),
            };
            if sec != section {
                self.config_sections.push((sec.clone(), path.display().to_string(), lineno));
            }
            let (name, negated) = interpret_negation(key);
            let Some(&flags) = self.known.get(name) else {
                self.warnings.push(format!("Ignoring unknown configuration value {key}"));
                continue;
            };
            if flags & flags::COMMAND_LINE_ONLY != 0 {
                return Err(ArgsError::Config(format!(
                    "{name} cannot be set in the configuration file; use includeconf= if you want to include additional config files"
                )));
            }
            let setting =
                interpret_value(name, Some(value), negated, flags, &mut self.warnings).map_err(ArgsError::Config)?;
            if name == "includeconf" {
                if let Setting::Value(v) = &setting {
                    includes.push(v.clone());
                }
            }
            self.config.entry(sec).or_default().push(name, setting);
        }
        Ok(includes)
    }

    /// Reads the config file named by `-conf` (default `default_name`) relative to
    /// `datadir`, then every file it includes with `includeconf`. A missing default
    /// file is fine; a missing file the user named is an error.
    pub fn read_config_files(&mut self, datadir: &Path, default_name: &str) -> Result<Option<PathBuf>, ArgsError> {
        let explicit = self.get("conf");
        let name = explicit.clone().unwrap_or_else(|| default_name.to_string());
        let path = absolute_under(datadir, &name);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(_) if explicit.is_none() && !path.exists() => return Ok(None),
            Err(_) => {
                return Err(ArgsError::Config(format!(
                    "specified config file \"{}\" could not be opened.",
                    path.display()
                )))
            }
        };
        let includes = self.read_config_text(&text, &path)?;
        for include in includes {
            let inc_path = absolute_under(datadir, &include);
            let text = fs::read_to_string(&inc_path)
                .map_err(|_| ArgsError::Config(format!("Failed to include configuration file {include}")))?;
            let nested = self.read_config_text(&text, &inc_path)?;
            for n in nested {
                self.warnings.push(format!(
                    "warning: -includeconf cannot be used from included files; ignoring -includeconf={n}"
                ));
            }
        }
        Ok(Some(path))
    }

    /// Decides the chain from `-chain`, `-regtest`, `-testnet`, `-testnet4` and
    /// `-signet`, wherever they were given; more than one is an error.
    pub fn select_chain(&mut self) -> Result<Chain, ArgsError> {
        let mut chosen: Vec<Chain> = Vec::new();
        for (flag, chain) in [
            ("regtest", Chain::Regtest),
            ("testnet", Chain::Testnet),
            ("testnet4", Chain::Testnet4),
            ("signet", Chain::Signet),
        ] {
            if self.known.contains_key(flag) && self.get_bool_unscoped(flag, false) {
                chosen.push(chain);
            }
        }
        if let Some(name) = self.get_unscoped("chain") {
            let chain = name.parse::<Chain>().map_err(|_| ArgsError::UnknownChain(name.clone()))?;
            chosen.push(chain);
        }
        let chain = match chosen.as_slice() {
            [] => Chain::Main,
            [c] => *c,
            _ => return Err(ArgsError::ChainCombination),
        };
        self.chain = Some(chain);
        self.warn_network_only_top_level(chain);
        Ok(chain)
    }

    pub fn chain(&self) -> Chain {
        self.chain.unwrap_or(Chain::Main)
    }

    /// Warnings collected while parsing, for the log.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    /// Sections in the config file that name no chain.
    pub fn unrecognized_sections(&self) -> Vec<String> {
        self.config_sections
            .iter()
            .filter(|(s, _, _)| s.parse::<Chain>().is_err())
            .map(|(s, file, line)| format!("Section [{s}] is not recognized in {file} on line {line}."))
            .collect()
    }

    fn warn_network_only_top_level(&mut self, chain: Chain) {
        if chain == Chain::Main {
            return;
        }
        let Some(top) = self.config.get("") else { return };
        let mut names: Vec<&String> = top
            .values
            .keys()
            .filter(|n| self.known.get(n.as_str()).is_some_and(|f| f & flags::NETWORK_ONLY != 0))
            .filter(|n| self.command_line.get(n).is_none())
            .filter(|n| self.config.get(chain.name()).and_then(|s| s.get(n)).is_none())
            .collect();
        names.sort();
        let msgs: Vec<String> = names
            .into_iter()
            .map(|n| {
                format!(
                    "Config setting for -{n} only applied on {} network when in [{}] section.",
                    chain.name(),
                    chain.name()
                )
            })
            .collect();
        self.warnings.extend(msgs);
    }

    /// Sets a value that overrides everything else (used for parameter interactions
    /// the program itself decides).
    pub fn force_set(&mut self, name: &str, value: &str) {
        self.forced.values.insert(name.to_string(), vec![Setting::Value(value.to_string())]);
    }

    /// Sets a value only if the user did not; returns whether it was set.
    pub fn soft_set(&mut self, name: &str, value: &str) -> bool {
        if self.is_set(name) {
            return false;
        }
        self.force_set(name, value);
        true
    }

    /// The effective setting for `name`, honouring precedence and chain sections.
    fn setting(&self, name: &str, chain_scoped: bool) -> Option<&Setting> {
        if let Some(v) = self.forced.get(name).and_then(<[Setting]>::last) {
            return Some(v);
        }
        if let Some(v) = self.command_line.get(name).and_then(<[Setting]>::last) {
            return Some(v);
        }
        if let Some(v) = self.rw.get(name).and_then(<[Setting]>::last) {
            return Some(v);
        }
        let chain = self.chain.unwrap_or(Chain::Main);
        if chain_scoped {
            if let Some(v) = self.config.get(chain.name()).and_then(|s| s.get(name)).and_then(<[Setting]>::first) {
                return Some(v);
            }
        }
        let flags = self.known.get(name).copied().unwrap_or(0);
        if !chain_scoped || chain == Chain::Main || flags & flags::NETWORK_ONLY == 0 {
            return self.config.get("").and_then(|s| s.get(name)).and_then(<[Setting]>::first);
        }
        None
    }

    /// Chain selection itself cannot depend on the chain's section.
    fn get_unscoped(&self, name: &str) -> Option<String> {
        match self.setting(name, false)? {
            Setting::Value(v) => Some(v.clone()),
            Setting::Negated => None,
        }
    }

    fn get_bool_unscoped(&self, name: &str, default: bool) -> bool {
        match self.setting(name, false) {
            None => default,
            Some(Setting::Negated) => false,
            Some(Setting::Value(v)) => interpret_bool(v),
        }
    }

    /// Whether the option was given at all (negations count).
    pub fn is_set(&self, name: &str) -> bool {
        self.setting(name, true).is_some()
    }

    /// Whether the effective setting is a negation (`-noX`).
    pub fn is_negated(&self, name: &str) -> bool {
        matches!(self.setting(name, true), Some(Setting::Negated))
    }

    /// The effective string value; a negation reads as "0", like the reference.
    pub fn get(&self, name: &str) -> Option<String> {
        match self.setting(name, true)? {
            Setting::Value(v) => Some(v.clone()),
            Setting::Negated => Some("0".to_string()),
        }
    }

    pub fn get_or(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or_else(|| default.to_string())
    }

    pub fn get_bool(&self, name: &str, default: bool) -> bool {
        match self.setting(name, true) {
            None => default,
            Some(Setting::Negated) => false,
            Some(Setting::Value(v)) => interpret_bool(v),
        }
    }

    pub fn get_int(&self, name: &str, default: i64) -> i64 {
        match self.setting(name, true) {
            None => default,
            Some(Setting::Negated) => 0,
            Some(Setting::Value(v)) => locale_independent_atoi(v),
        }
    }

    /// Every value of a multi-valued option: command line values (after the
    /// last negation) and, when the command line has none, the config file's
    /// chain section then top level; then `settings.json`'s, unless the
    /// command line negated the option. A negation clears what came before.
    pub fn get_all(&self, name: &str) -> Vec<String> {
        fn collect(settings: &[Setting]) -> Vec<String> {
            let start = settings.iter().rposition(|s| *s == Setting::Negated).map_or(0, |i| i + 1);
            settings[start..]
                .iter()
                .filter_map(|s| match s {
                    Setting::Value(v) => Some(v.clone()),
                    Setting::Negated => None,
                })
                .collect()
        }
        if let Some(v) = self.forced.get(name) {
            return collect(v);
        }
        let mut all = match self.command_line.get(name) {
            Some(v) if v.contains(&Setting::Negated) => return collect(v),
            Some(v) => collect(v),
            None => collect(&self.config_values(name)),
        };
        for value in self.rw.get(name).map(collect).unwrap_or_default() {
            if !all.contains(&value) {
                all.push(value);
            }
        }
        all
    }

    /// The config file's values of `name`: the chain's section, then the top level.
    fn config_values(&self, name: &str) -> Vec<Setting> {
        let chain = self.chain.unwrap_or(Chain::Main);
        let mut all = Vec::new();
        if let Some(v) = self.config.get(chain.name()).and_then(|s| s.get(name)) {
            all.extend_from_slice(v);
        }
        let flags = self.known.get(name).copied().unwrap_or(0);
        if chain == Chain::Main || flags & flags::NETWORK_ONLY == 0 {
            if let Some(v) = self.config.get("").and_then(|s| s.get(name)) {
                all.extend_from_slice(v);
            }
        }
        all
    }

    /// Takes `settings.json`'s values: strings as they are, booleans as
    /// `1`/`0`, numbers as written, lists as several values.
    pub fn set_rw_settings(&mut self, settings: &crate::rw_settings::RwSettings) {
        fn text(v: &serde_json::Value) -> Option<String> {
            match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        }
        self.rw = Source::default();
        for (name, value) in settings.values() {
            match value {
                serde_json::Value::Array(items) => {
                    items.iter().filter_map(text).for_each(|t| self.rw.push(name, Setting::Value(t)))
                }
                other => {
                    if let Some(t) = text(other) {
                        self.rw.push(name, Setting::Value(t));
                    }
                }
            }
        }
    }
}

/// `nofoo` → (`foo`, negated).
fn interpret_negation(key: &str) -> (&str, bool) {
    match key.strip_prefix("no") {
        Some(rest) if !rest.is_empty() => (rest, true),
        _ => (key, false),
    }
}

fn interpret_value(
    name: &str,
    value: Option<&str>,
    negated: bool,
    flags: u8,
    warnings: &mut Vec<String>,
) -> Result<Setting, String> {
    if negated {
        if flags & flags::DISALLOW_NEGATION != 0 {
            return Err(format!("Negating of -{name} is meaningless and therefore forbidden"));
        }
        if let Some(v) = value {
            if !interpret_bool(v) {
                warnings.push(format!("Warning: parsed potentially confusing double-negative -no{name}={v}"));
                return Ok(Setting::Value("1".to_string()));
            }
        }
        return Ok(Setting::Negated);
    }
    match value {
        None if flags & flags::DISALLOW_ELISION != 0 => {
            Err(format!("Can not set -{name} with no value. Please specify value with -{name}=value."))
        }
        None => Ok(Setting::Value(String::new())),
        Some(v) => Ok(Setting::Value(v.to_string())),
    }
}

/// An empty value means true (`-printtoconsole`); otherwise the leading integer.
pub fn interpret_bool(value: &str) -> bool {
    value.is_empty() || locale_independent_atoi(value) != 0
}

/// The leading decimal integer of `s` (optional sign), saturating; 0 when there
/// is none. Matches how the reference reads numeric options.
pub fn locale_independent_atoi(s: &str) -> i64 {
    let s = match s.strip_prefix('+') {
        Some(rest) if !rest.starts_with('-') => rest,
        _ => s,
    };
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let end = digits.find(|c: char| !c.is_ascii_digit()).unwrap_or(digits.len());
    if end == 0 {
        return 0;
    }
    let mut acc: i64 = 0;
    for b in digits[..end].bytes() {
        let d = i64::from(b - b'0');
        acc = match acc.checked_mul(10).and_then(|a| if neg { a.checked_sub(d) } else { a.checked_add(d) }) {
            Some(a) => a,
            None => return if neg { i64::MIN } else { i64::MAX },
        };
    }
    acc
}

/// `name` as an absolute path, relative names taken under `base`.
pub fn absolute_under(base: &Path, name: &str) -> PathBuf {
    let p = Path::new(name);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::{Category, OptionDef};

    fn defs() -> Vec<OptionDef> {
        vec![
            OptionDef::new("regtest", "", "", Category::ChainParams),
            OptionDef::new("testnet", "", "", Category::ChainParams),
            OptionDef::new("chain", "=<chain>", "", Category::ChainParams),
            OptionDef::new("port", "=<port>", "", Category::Connection).flags(flags::NETWORK_ONLY),
            OptionDef::new("debug", "=<category>", "", Category::DebugTest),
            OptionDef::new("printtoconsole", "", "", Category::DebugTest),
            OptionDef::new("includeconf", "=<file>", "", Category::Options).flags(flags::DISALLOW_NEGATION),
            OptionDef::new("rpcpassword", "=<pw>", "", Category::Rpc),
            OptionDef::new("conf", "=<file>", "", Category::Options).flags(flags::COMMAND_LINE_ONLY),
        ]
    }

    fn parse(argv: &[&str]) -> Result<Args, ArgsError> {
        let mut args = Args::new(&defs());
        args.parse_command_line(argv.iter().copied())?;
        Ok(args)
    }

    #[test]
    fn settings_json_comes_after_the_command_line_and_adds_to_its_lists() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        std::fs::write(&path, r#"{"debug": ["net", "rpc"], "port": 1, "printtoconsole": true}"#).unwrap();
        let settings = crate::rw_settings::RwSettings::load(Some(path)).unwrap();
        let mut args = parse(&["-debug=net", "-port=2"]).unwrap();
        args.set_rw_settings(&settings);
        assert_eq!(args.get_all("debug"), ["net", "rpc"]);
        assert_eq!(args.get("port").as_deref(), Some("2"));
        assert!(args.get_bool("printtoconsole", false));
        let mut negated = parse(&["-nodebug"]).unwrap();
        negated.set_rw_settings(&settings);
        assert!(negated.get_all("debug").is_empty());
    }

    #[test]
    fn unknown_option_is_reported_as_given() {
        let err = parse(&["-foo=bar"]).unwrap_err();
        assert_eq!(err.to_string(), "Error parsing command line arguments: Invalid parameter -foo=bar");
        assert!(parse(&["-regtest.port=1"]).is_err());
    }

    #[test]
    fn forms_of_values() {
        let a = parse(&["--printtoconsole", "-port=1", "-port=2", "-nodebug"]).unwrap();
        assert!(a.get_bool("printtoconsole", false));
        assert_eq!(a.get("port").as_deref(), Some("2"));
        assert_eq!(a.get_int("port", 0), 2);
        assert!(a.is_negated("debug"));
        assert!(!a.get_bool("debug", true));
        assert!(a.get_all("debug").is_empty());
    }

    #[test]
    fn double_negative_warns_and_reads_true() {
        let mut a = parse(&["-noprinttoconsole=0"]).unwrap();
        assert!(a.get_bool("printtoconsole", false));
        assert_eq!(a.take_warnings().len(), 1);
    }

    #[test]
    fn negation_can_be_forbidden() {
        let mut a = Args::new(&defs());
        let err = a.read_config_text("noincludeconf=1\n", Path::new("x")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Error reading configuration file: Negating of -includeconf is meaningless and therefore forbidden"
        );
    }

    #[test]
    fn includeconf_not_on_command_line() {
        assert_eq!(
            parse(&["-includeconf=x"]).unwrap_err().to_string(),
            "Error parsing command line arguments: -includeconf cannot be used from commandline; -includeconf=x"
        );
    }

    #[test]
    fn positional_arguments_stop_parsing() {
        let mut a = Args::new(&defs());
        let rest = a.parse_command_line(["-regtest", "getblock", "-port=1"]).unwrap();
        assert_eq!(rest, vec!["getblock", "-port=1"]);
        assert!(!a.is_set("port"));
    }

    #[test]
    fn config_sections_and_precedence() {
        let mut a = parse(&["-debug=net"]).unwrap();
        let text = "regtest=1\nport=1\ndebug=rpc\n[regtest]\nport=2\nport=3\n[test]\nport=9\n";
        a.read_config_text(text, Path::new("c")).unwrap();
        assert_eq!(a.select_chain().unwrap(), Chain::Regtest);
        assert_eq!(a.get("port").as_deref(), Some("2"), "first value in the chain's section wins");
        assert_eq!(a.get_all("debug"), vec!["net"], "command line replaces config for lists");
    }

    #[test]
    fn network_only_top_level_ignored_off_mainnet() {
        let mut a = parse(&["-regtest"]).unwrap();
        a.read_config_text("port=1\n", Path::new("c")).unwrap();
        a.select_chain().unwrap();
        assert_eq!(a.get("port"), None);
        assert!(a
            .take_warnings()
            .iter()
            .any(|w| w.contains("only applied on regtest network when in [regtest] section")));

        let mut m = parse(&[]).unwrap();
        m.read_config_text("port=1\n", Path::new("c")).unwrap();
        assert_eq!(m.select_chain().unwrap(), Chain::Main);
        assert_eq!(m.get("port").as_deref(), Some("1"));
    }

    #[test]
    fn dotted_keys_name_sections() {
        let mut a = parse(&["-regtest"]).unwrap();
        a.read_config_text("regtest.port=7\n", Path::new("c")).unwrap();
        a.select_chain().unwrap();
        assert_eq!(a.get("port").as_deref(), Some("7"));
    }

    #[test]
    fn config_parse_errors() {
        let mut a = Args::new(&defs());
        let e = a.read_config_text("\n-port=1\n", Path::new("c")).unwrap_err();
        assert!(e.to_string().contains(
            "parse error on line 2: -port=1, options in configuration file must be specified without leading -"
        ));
        let e = a.read_config_text("noport\n", Path::new("c")).unwrap_err();
        assert!(e.to_string().ends_with(
            "parse error on line 1: noport, if you intended to specify a negated option, use noport=1 instead"
        ));
        let e = a.read_config_text("rpcpassword=a#b\n", Path::new("c")).unwrap_err();
        assert!(e.to_string().contains("using # in rpcpassword can be ambiguous"));
    }

    #[test]
    fn unknown_config_values_are_ignored_with_a_warning() {
        let mut a = Args::new(&defs());
        a.read_config_text("frobnicate=1\n", Path::new("c")).unwrap();
        assert_eq!(a.take_warnings(), vec!["Ignoring unknown configuration value frobnicate"]);
    }

    #[test]
    fn chain_combinations() {
        assert_eq!(parse(&["-regtest", "-testnet"]).unwrap().select_chain(), Err(ArgsError::ChainCombination));
        assert_eq!(parse(&["-chain=regtest"]).unwrap().select_chain(), Ok(Chain::Regtest));
        assert_eq!(parse(&["-regtest", "-noregtest"]).unwrap().select_chain(), Ok(Chain::Main));
        assert!(matches!(parse(&["-chain=foo"]).unwrap().select_chain(), Err(ArgsError::UnknownChain(_))));
    }

    #[test]
    fn config_files_and_includes() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("hashvive.conf"), "includeconf=extra.conf\nregtest=1\n").unwrap();
        fs::write(dir.path().join("extra.conf"), "[regtest]\nport=5\nincludeconf=nested.conf\n").unwrap();
        let mut a = Args::new(&defs());
        let path = a.read_config_files(dir.path(), "hashvive.conf").unwrap();
        assert_eq!(path, Some(dir.path().join("hashvive.conf")));
        a.select_chain().unwrap();
        assert_eq!(a.get("port").as_deref(), Some("5"));
        assert!(a.take_warnings().iter().any(|w| w.contains("cannot be used from included files")));

        let mut missing = parse(&["-conf=nope.conf"]).unwrap();
        let err = missing.read_config_files(dir.path(), "hashvive.conf").unwrap_err();
        assert!(err.to_string().contains("could not be opened"));

        let empty = tempfile::tempdir().unwrap();
        assert_eq!(Args::new(&defs()).read_config_files(empty.path(), "hashvive.conf"), Ok(None));
    }

    #[test]
    fn atoi_matches_reference() {
        assert_eq!(locale_independent_atoi("12abc"), 12);
        assert_eq!(locale_independent_atoi("+7"), 7);
        assert_eq!(locale_independent_atoi("-7"), -7);
        assert_eq!(locale_independent_atoi("abc"), 0);
        assert_eq!(locale_independent_atoi("99999999999999999999"), i64::MAX);
        assert!(interpret_bool(""));
        assert!(!interpret_bool("0"));
    }
}
