//! Logging through `tracing`, in the reference node's line format, to
//! `debug.log` and (with `-printtoconsole`) stdout.
//!
//! Debug categories are `tracing` targets: `tracing::debug!(target: "rpc", …)` is
//! logged when `-debug=rpc` is on. Info, warnings and errors from hashvive code
//! are always logged. Which categories are on lives in atomics, so the `logging`
//! RPC changes it at run time and a disabled category costs one atomic load —
//! `tracing` checks [`CategoryFilter::enabled`] before it formats anything.

use std::fmt::{self, Write as _};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Filter, SubscriberExt};
use tracing_subscriber::Layer;

use crate::args::Args;

/// Debug categories, as `-debug=` and the `logging` RPC name them.
pub const CATEGORIES: &[&str] = &[
    "addrman",
    "bench",
    "blockstorage",
    "cmpctblock",
    "coindb",
    "estimatefee",
    "http",
    "i2p",
    "ipc",
    "leveldb",
    "libevent",
    "lock",
    "mempool",
    "mempoolrej",
    "net",
    "proxy",
    "prune",
    "qt",
    "rand",
    "reindex",
    "rpc",
    "scan",
    "selectcoins",
    "tor",
    "txpackages",
    "txreconciliation",
    "validation",
    "walletdb",
    "zmq",
];

const ALL_MASK: u64 = (1u64 << CATEGORIES.len()) - 1;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogError {
    #[error("Unsupported logging category {0}={1}.")]
    UnknownCategory(&'static str, String),
    #[error("Unsupported global logging level -loglevel={0}. Valid values: info, debug, trace.")]
    GlobalLevel(String),
    #[error("Unsupported category-specific logging level -loglevel={0}. Expected -loglevel=<category>:<loglevel>. Valid categories: {1}. Valid loglevels: info, debug, trace.")]
    CategoryLevel(String, String),
    #[error("Could not open debug log file {0}")]
    OpenFile(PathBuf),
    #[error("Logging is already initialised")]
    AlreadyInitialised,
}

/// The least severe level logged for a category, as a `tracing::Level` rank:
/// 0 = trace, 1 = debug, 2 = info.
const RANK_TRACE: u8 = 0;
const RANK_DEBUG: u8 = 1;
const RANK_INFO: u8 = 2;

static ENABLED: AtomicU64 = AtomicU64::new(0);
static LEVELS: [AtomicU8; 64] = [const { AtomicU8::new(RANK_DEBUG) }; 64];

fn category_index(name: &str) -> Option<usize> {
    CATEGORIES.iter().position(|c| *c == name)
}

/// Bits for a category name; "", "1" and "all" mean every category.
fn category_mask(name: &str) -> Option<u64> {
    match name {
        "" | "1" | "all" => Some(ALL_MASK),
        _ => category_index(name).map(|i| 1u64 << i),
    }
}

pub fn enable_category(name: &str) -> bool {
    category_mask(name).map(|m| ENABLED.fetch_or(m, Ordering::Relaxed)).is_some()
}

pub fn disable_category(name: &str) -> bool {
    category_mask(name).map(|m| ENABLED.fetch_and(!m, Ordering::Relaxed)).is_some()
}

pub fn is_category_enabled(name: &str) -> bool {
    category_index(name).is_some_and(|i| ENABLED.load(Ordering::Relaxed) & (1 << i) != 0)
}

/// Every category with whether it is on, in name order.
pub fn category_states() -> Vec<(&'static str, bool)> {
    let mask = ENABLED.load(Ordering::Relaxed);
    CATEGORIES.iter().enumerate().map(|(i, c)| (*c, mask & (1 << i) != 0)).collect()
}

fn level_rank(name: &str) -> Option<u8> {
    match name {
        "trace" => Some(RANK_TRACE),
        "debug" => Some(RANK_DEBUG),
        "info" => Some(RANK_INFO),
        _ => None,
    }
}

/// How the log is written; everything `-debug*`/`-log*` decide besides categories.
#[derive(Clone, Debug)]
pub struct LogOptions {
    /// `debug.log`, unless `-nodebuglogfile`.
    pub file: Option<PathBuf>,
    pub print_to_console: bool,
    pub timestamps: bool,
    pub time_micros: bool,
    pub thread_names: bool,
    pub source_locations: bool,
    pub level_always: bool,
    pub shrink_file: bool,
}

impl LogOptions {
    /// Reads the logging options and sets the categories and levels they ask for.
    pub fn from_args(args: &Args, chain_dir: &Path) -> Result<LogOptions, LogError> {
        ENABLED.store(0, Ordering::Relaxed);
        let debug = args.get_all("debug");
        if !debug.iter().any(|c| c == "0" || c == "none") {
            for cat in &debug {
                if !enable_category(cat) {
                    return Err(LogError::UnknownCategory("-debug", cat.clone()));
                }
            }
        }
        for cat in args.get_all("debugexclude") {
            if !disable_category(&cat) {
                return Err(LogError::UnknownCategory("-debugexclude", cat));
            }
        }
        let mut global = RANK_DEBUG;
        let mut specific: Vec<(usize, u8)> = Vec::new();
        for spec in args.get_all("loglevel") {
            match spec.split_once(':') {
                None => global = level_rank(&spec).ok_or_else(|| LogError::GlobalLevel(spec.clone()))?,
                Some((cat, level)) => {
                    let idx = category_index(cat);
                    let rank = level_rank(level);
                    match (idx, rank) {
                        (Some(i), Some(r)) => specific.push((i, r)),
                        _ => return Err(LogError::CategoryLevel(spec.clone(), CATEGORIES.join(", "))),
                    }
                }
            }
        }
        for level in &LEVELS {
            level.store(global, Ordering::Relaxed);
        }
        for (i, r) in specific {
            LEVELS[i].store(r, Ordering::Relaxed);
        }
        let file = match args.is_negated("debuglogfile") {
            true => None,
            false => Some(crate::args::absolute_under(chain_dir, &args.get_or("debuglogfile", "debug.log"))),
        };
        Ok(LogOptions {
            file,
            print_to_console: args.get_bool("printtoconsole", false),
            timestamps: args.get_bool("logtimestamps", true),
            time_micros: args.get_bool("logtimemicros", false),
            thread_names: args.get_bool("logthreadnames", false),
            source_locations: args.get_bool("logsourcelocations", false),
            level_always: args.get_bool("loglevelalways", false),
            shrink_file: args.get_bool("shrinkdebugfile", ENABLED.load(Ordering::Relaxed) == 0),
        })
    }
}

/// Lets the `tracing` callsites ask cheaply whether an event would be logged.
struct CategoryFilter;

impl CategoryFilter {
    fn would_log(meta: &Metadata<'_>) -> bool {
        let target = meta.target();
        let level = *meta.level();
        match category_index(target) {
            Some(i) => {
                level <= Level::INFO || {
                    let rank = if level == Level::TRACE { RANK_TRACE } else { RANK_DEBUG };
                    ENABLED.load(Ordering::Relaxed) & (1 << i) != 0 && rank >= LEVELS[i].load(Ordering::Relaxed)
                }
            }
            None => target.starts_with("hashvive") && level <= Level::INFO,
        }
    }
}

impl<S> Filter<S> for CategoryFilter {
    fn enabled(&self, meta: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        Self::would_log(meta)
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> tracing::subscriber::Interest {
        // Categories can be switched on at run time, so only targets we never log
        // are ruled out for good.
        if category_index(meta.target()).is_some() || meta.target().starts_with("hashvive") {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }
}

/// Where lines go. The file is reopened on request (SIGHUP, for log rotation).
struct Sinks {
    file_path: Option<PathBuf>,
    file: Mutex<Option<File>>,
    console: bool,
}

impl Sinks {
    fn write_line(&self, line: &str) {
        if let Some(f) = self.file.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            // A full disk must not take the node down; the line is lost.
            let _ = f.write_all(line.as_bytes());
        }
        if self.console {
            let mut out = io::stdout().lock();
            let _ = out.write_all(line.as_bytes());
            let _ = out.flush();
        }
    }
}

struct LineFormat {
    opts: LogOptions,
    sinks: Arc<Sinks>,
}

impl<S: Subscriber> Layer<S> for LineFormat {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = self.format(event);
        self.sinks.write_line(&line);
    }
}

impl LineFormat {
    fn format(&self, event: &Event<'_>) -> String {
        let meta = event.metadata();
        let mut line = String::with_capacity(128);
        if self.opts.timestamps {
            let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
            let micros = self.opts.time_micros.then_some(now.subsec_micros());
            line.push_str(&crate::time::format_iso8601(now.as_secs() as i64, micros));
            if let Some(mock) = crate::time::mock_time() {
                let _ = write!(line, " (mocktime: {})", crate::time::format_iso8601(mock, None));
            }
            line.push(' ');
        }
        if self.opts.thread_names {
            let _ = write!(line, "[{}] ", std::thread::current().name().unwrap_or("unknown"));
        }
        if self.opts.source_locations {
            let file = meta.file().map(|f| f.rsplit('/').next().unwrap_or(f)).unwrap_or("?");
            let _ = write!(line, "[{}:{}] [{}] ", file, meta.line().unwrap_or(0), meta.module_path().unwrap_or("?"));
        }
        let level = level_name(*meta.level());
        match (category_index(meta.target()), *meta.level()) {
            (Some(_), Level::DEBUG) if !self.opts.level_always => {
                let _ = write!(line, "[{}] ", meta.target());
            }
            (Some(_), _) => {
                let _ = write!(line, "[{}:{}] ", meta.target(), level);
            }
            (None, Level::WARN | Level::ERROR) => {
                let _ = write!(line, "[{level}] ");
            }
            (None, _) if self.opts.level_always => {
                let _ = write!(line, "[all:{level}] ");
            }
            (None, _) => {}
        }
        let mut visitor = MessageVisitor { out: &mut line, first: true };
        event.record(&mut visitor);
        line.push('\n');
        line
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warning",
        Level::ERROR => "error",
    }
}

struct MessageVisitor<'a> {
    out: &'a mut String,
    first: bool,
}

impl Visit for MessageVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if !self.first {
            self.out.push(' ');
        }
        self.first = false;
        if field.name() == "message" {
            let _ = write!(self.out, "{value:?}");
        } else {
            let _ = write!(self.out, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }
}

/// Keeps the log file's handle so it can be reopened.
#[derive(Clone)]
pub struct LogHandle {
    sinks: Arc<Sinks>,
}

impl LogHandle {
    /// Closes and reopens `debug.log`, so `logrotate` can move it away.
    pub fn reopen(&self) -> Result<(), LogError> {
        if let Some(path) = &self.sinks.file_path {
            let file = open_log_file(path)?;
            *self.sinks.file.lock().unwrap_or_else(|e| e.into_inner()) = Some(file);
        }
        Ok(())
    }

    pub fn file_path(&self) -> Option<&Path> {
        self.sinks.file_path.as_deref()
    }
}

fn open_log_file(path: &Path) -> Result<File, LogError> {
    OpenOptions::new().create(true).append(true).open(path).map_err(|_| LogError::OpenFile(path.to_path_buf()))
}

/// Keeps the last 10 MB of a log that has grown past 11 MB, as the reference does.
fn shrink(path: &Path) -> io::Result<()> {
    const KEEP: u64 = 10 * 1_000_000;
    let Ok(meta) = fs::metadata(path) else { return Ok(()) };
    if meta.len() <= KEEP + KEEP / 10 {
        return Ok(());
    }
    let mut f = File::open(path)?;
    f.seek(SeekFrom::End(-(KEEP as i64)))?;
    let mut tail = Vec::with_capacity(KEEP as usize);
    f.read_to_end(&mut tail)?;
    fs::write(path, tail)
}

/// Starts logging in a process that writes the node's `debug.log` beside
/// the node (the wallet process, the GUI's): as the options ask, but never
/// shrinking the file, which is the node's to keep short.
pub fn init_beside_node(args: &crate::args::Args, chain_dir: &Path) -> Result<LogHandle, LogError> {
    let mut options = LogOptions::from_args(args, chain_dir)?;
    options.shrink_file = false;
    init(options)
}

/// Installs the global subscriber. Call once per process, after the data
/// directory is known.
pub fn init(opts: LogOptions) -> Result<LogHandle, LogError> {
    let file = match &opts.file {
        Some(path) => {
            if opts.shrink_file {
                // Shrinking is housekeeping; a failure leaves the file as it was.
                let _ = shrink(path);
            }
            Some(open_log_file(path)?)
        }
        None => None,
    };
    let sinks =
        Arc::new(Sinks { file_path: opts.file.clone(), file: Mutex::new(file), console: opts.print_to_console });
    let layer = LineFormat { opts, sinks: sinks.clone() }.with_filter(CategoryFilter);
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::set_global_default(subscriber).map_err(|_| LogError::AlreadyInitialised)?;
    Ok(LogHandle { sinks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::node_options;

    fn args(argv: &[&str]) -> Args {
        let mut a = Args::new(&node_options());
        a.parse_command_line(argv.iter().copied()).unwrap();
        a
    }

    // The category state is process-global, so every check lives in one test.
    #[test]
    fn categories_levels_and_errors() {
        let dir = Path::new("/tmp");
        LogOptions::from_args(&args(&["-debug=net", "-debug=rpc"]), dir).unwrap();
        assert!(is_category_enabled("net") && is_category_enabled("rpc") && !is_category_enabled("ipc"));

        LogOptions::from_args(&args(&["-debug", "-debugexclude=net"]), dir).unwrap();
        assert!(is_category_enabled("ipc") && !is_category_enabled("net"));

        LogOptions::from_args(&args(&["-debug=1", "-debug=none"]), dir).unwrap();
        assert!(category_states().iter().all(|(_, on)| !on));

        assert_eq!(
            LogOptions::from_args(&args(&["-debug=bogus"]), dir).unwrap_err().to_string(),
            "Unsupported logging category -debug=bogus."
        );
        assert!(matches!(LogOptions::from_args(&args(&["-loglevel=warning"]), dir), Err(LogError::GlobalLevel(_))));
        assert!(matches!(LogOptions::from_args(&args(&["-loglevel=net:loud"]), dir), Err(LogError::CategoryLevel(..))));

        let opts = LogOptions::from_args(&args(&["-loglevel=rpc:trace", "-nodebuglogfile"]), dir).unwrap();
        assert!(opts.file.is_none());
        assert_eq!(LEVELS[category_index("rpc").unwrap()].load(Ordering::Relaxed), RANK_TRACE);

        assert!(enable_category("all") && category_states().iter().all(|(_, on)| *on));
        assert!(!enable_category("bogus"));
    }

    #[test]
    fn shrink_keeps_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("debug.log");
        let mut data = vec![b'a'; 2_000_000];
        data.extend(vec![b'b'; 10_000_000]);
        fs::write(&path, &data).unwrap();
        shrink(&path).unwrap();
        let after = fs::read(&path).unwrap();
        assert_eq!(after.len(), 10_000_000);
        assert!(after.iter().all(|b| *b == b'b'));
    }
}
