//! A GUI's command line: the options it handles itself (`-min`, `-splash`,
//! `-ipcconnect`, …), `-help` and `-version`, and the rest, which is its
//! node's command line. Read before Qt starts, so a mistyped option ends the
//! process with the daemon's error and status, and no window.

use std::path::PathBuf;

use hashvive_common::args::Args;
use hashvive_common::chain::Chain;
use hashvive_common::datadir::{chain_datadir, default_datadir};
use hashvive_common::help::{format_options, wrap};
use hashvive_common::options::UI_OPTIONS;
use hashvive_common::programs::Program;
use hashvive_common::rw_settings::RwSettings;
use hashvive_common::settings::Settings;
use hashvive_common::version;

/// What the GUI was asked to do.
#[derive(Debug)]
pub enum Command {
    /// `-help`, `-version`: print this and exit 0.
    Print(String),
    Run(Box<GuiSettings>),
}

/// A GUI's settings and the command line it passes on to its node.
#[derive(Debug)]
pub struct GuiSettings {
    /// The command line less the GUI's own options.
    pub node_args: Vec<String>,
    pub chain: Chain,
    /// `<datadir>/<chain>`, where `-ipcconnect=unix` looks for `node.sock`.
    pub chain_dir: PathBuf,
    /// `-ipcconnect`, unless `0`.
    pub ipc_connect: Option<String>,
    pub start_minimized: bool,
    pub splash: bool,
    /// A payment URI to open the send screen with (`bitcoin:` or `hashvive:`).
    pub payment_uri: Option<String>,
    /// `-resetguisettings`: the node's settings file, set aside before it starts.
    pub reset_settings: Option<PathBuf>,
    /// The options that choose this GUI's node, besides the chain
    /// (`-datadir` when not the default, `-ipcconnect`): a start on login
    /// repeats them.
    pub node_choice: Vec<String>,
    /// The command line and configuration file, as read.
    pub args: Args,
}

impl GuiSettings {
    /// Starts this process's own logging (`-debug=qt`, Qt's warnings) into
    /// the chain directory's `debug.log`, for a GUI whose node runs, and
    /// logs, in another process.
    pub fn start_logging(&self) -> Result<hashvive_common::logging::LogHandle, String> {
        hashvive_common::logging::init_beside_node(&self.args, &self.chain_dir).map_err(|e| e.to_string())
    }

    /// Sets the settings file aside as `<file>.bak` (the reference keeps a
    /// backup too), so the node starts from its defaults.
    pub fn reset_settings(&self) -> Result<(), String> {
        let Some(file) = &self.reset_settings else { return Ok(()) };
        let backup = file.with_extension("json.bak");
        match std::fs::rename(file, &backup) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("Cannot reset the settings: moving {} aside: {e}", file.display()))
            }
            _ => Ok(()),
        }
    }
}

impl GuiSettings {
    /// Keeps the welcome dialog's pruning choice as the node's `prune`
    /// setting before the node reads it (the reference GUI does so too), so
    /// later starts prune as well; with `-nosettings` it holds for this start.
    pub fn keep_prune_choice(&mut self, mib: u64) -> Result<(), String> {
        let mut settings = RwSettings::for_args(&self.args, &self.chain_dir).map_err(|e| e.to_string())?;
        if !settings.enabled() {
            self.node_args.push(format!("-prune={mib}"));
            return Ok(());
        }
        settings.set("prune", Some(mib.into())).map_err(|e| e.to_string())
    }
}

/// The options that ask for help: the GUI prints it and exits.
pub(crate) const HELP_OPTIONS: [&str; 4] = ["?", "h", "help", "help-debug"];

/// The first token after the options that is not the one payment URI the
/// GUI takes (a `hashvive:` link opens the GUI with one).
pub(crate) fn stray_token(positional: &[String]) -> Option<&String> {
    let (uris, others): (Vec<&String>, Vec<&String>) =
        positional.iter().partition(|token| crate::model::bip21::is_payment_uri(token));
    others.first().or(uris.get(1)).copied()
}

/// `-ipcconnect`, unless `0`: the node to attach to.
pub(crate) fn ipc_connect(args: &Args) -> Option<String> {
    args.get("ipcconnect").filter(|a| a != "0")
}

/// Reads `argv` (without the program name) for `program`.
pub fn read(program: &Program, argv: Vec<String>) -> Result<Command, String> {
    let defs = (program.options)();
    let settings = Settings::read(&defs, argv.clone()).map_err(|e| e.to_string())?;
    let args = &settings.args;
    if HELP_OPTIONS.iter().any(|h| args.is_set(h)) {
        return Ok(Command::Print(format!(
            "{}\n\n{}\n\nUsage:  {} [command-line options] [URI]\n\n{}",
            version::header(program.title),
            wrap(program.description, 79, 0),
            program.name,
            format_options(&defs, args.is_set("help-debug"))
        )));
    }
    if args.is_set("version") {
        return Ok(Command::Print(format!("{}\n{}\n", version::header(program.title), version::license_text())));
    }
    if let Some(token) = stray_token(&settings.positional) {
        return Err(format!(
            "Command line contains unexpected token '{token}', see {} -h for a list of options.",
            program.name
        ));
    }
    let chain_dir = chain_datadir(&settings.datadir, settings.chain).map_err(|e| e.to_string())?;
    let payment_uri = settings.positional.first().cloned();
    let ipc_connect = ipc_connect(args);
    let reset_settings = match args.get_bool("resetguisettings", false) {
        false => None,
        true if ipc_connect.is_some() => {
            return Err("-resetguisettings resets the settings of a node this GUI starts, not of one it attaches to \
                        with -ipcconnect"
                .into())
        }
        true => RwSettings::path(args.get("settings").as_deref(), args.is_negated("settings"), &chain_dir),
    };
    let mut node_choice = Vec::new();
    if default_datadir().ok().as_ref() != Some(&settings.datadir) {
        node_choice.push(format!("-datadir={}", settings.datadir.display()));
    }
    if let Some(address) = &ipc_connect {
        node_choice.push(format!("-ipcconnect={address}"));
    }
    Ok(Command::Run(Box::new(GuiSettings {
        node_args: argv.into_iter().filter(|arg| !is_ui_option(arg) && Some(arg) != payment_uri.as_ref()).collect(),
        chain: settings.chain,
        chain_dir,
        ipc_connect,
        start_minimized: args.get_bool("min", false),
        splash: args.get_bool("splash", true),
        payment_uri,
        reset_settings,
        node_choice,
        args: args.clone(),
    })))
}

/// `-min`, `--nosplash`, `-ipcconnect=unix`: an option the GUI keeps.
fn is_ui_option(arg: &str) -> bool {
    let name = arg.trim_start_matches('-');
    let name = name.split_once('=').map_or(name, |(name, _)| name);
    UI_OPTIONS.iter().any(|ui| name == *ui || name.strip_prefix("no") == Some(ui))
}

#[cfg(test)]
mod tests {
    use hashvive_common::programs::{HASHVIVE_GUI, HASHVIVE_QT};

    use super::*;

    fn argv(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn the_node_gets_everything_but_the_gui_options() {
        let datadir = std::env::temp_dir();
        let line = argv(&[
            "-regtest",
            &format!("-datadir={}", datadir.display()),
            "-min",
            "-nosplash",
            "-minrelaytxfee=0.0001",
            "-ipcconnect=unix",
            "-server",
        ]);
        let Command::Run(settings) = read(&HASHVIVE_GUI, line).unwrap() else { panic!("runs") };
        assert_eq!(
            settings.node_args,
            argv(&["-regtest", &format!("-datadir={}", datadir.display()), "-minrelaytxfee=0.0001", "-server"])
        );
        assert_eq!(settings.chain, Chain::Regtest);
        assert_eq!(settings.chain_dir, datadir.join("regtest"));
        assert_eq!(settings.ipc_connect.as_deref(), Some("unix"));
        assert!(settings.start_minimized && !settings.splash);
        assert_eq!((settings.payment_uri, settings.reset_settings), (None, None));
        // What a start on login repeats to reach the same node.
        assert_eq!(settings.node_choice, argv(&[&format!("-datadir={}", datadir.display()), "-ipcconnect=unix"]));
    }

    #[test]
    fn the_welcome_dialogs_pruning_becomes_the_nodes_setting() {
        let dir = tempfile::tempdir().unwrap();
        let datadir = format!("-datadir={}", dir.path().display());
        let run = |line: &[&str]| match read(&HASHVIVE_QT, argv(line)).unwrap() {
            Command::Run(settings) => settings,
            Command::Print(_) => panic!("runs"),
        };
        let chain_dir = dir.path().join("regtest");
        std::fs::create_dir_all(&chain_dir).unwrap();
        std::fs::write(chain_dir.join("settings.json"), "{\"dbcache\": 600}").unwrap();
        let mut settings = run(&["-regtest", &datadir]);
        settings.keep_prune_choice(1907).unwrap();
        let kept: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(chain_dir.join("settings.json")).unwrap()).unwrap();
        assert_eq!(kept, serde_json::json!({"dbcache": 600, "prune": 1907}));
        // Without a settings file it holds for this start only.
        let mut settings = run(&["-regtest", &datadir, "-nosettings"]);
        settings.keep_prune_choice(1907).unwrap();
        assert_eq!(settings.node_args.last().map(String::as_str), Some("-prune=1907"));
    }

    #[test]
    fn resetting_sets_the_settings_file_aside() {
        let dir = tempfile::tempdir().unwrap();
        let datadir = format!("-datadir={}", dir.path().display());
        let Command::Run(settings) = read(&HASHVIVE_QT, argv(&["-regtest", &datadir, "-resetguisettings"])).unwrap()
        else {
            panic!("runs")
        };
        let file = dir.path().join("regtest").join("settings.json");
        assert_eq!(settings.reset_settings.as_deref(), Some(file.as_path()));
        settings.reset_settings().unwrap();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, "{\"dbcache\": 600}").unwrap();
        settings.reset_settings().unwrap();
        assert!(!file.exists());
        assert_eq!(std::fs::read_to_string(file.with_extension("json.bak")).unwrap(), "{\"dbcache\": 600}");
        let attached = read(&HASHVIVE_GUI, argv(&["-regtest", "-ipcconnect=unix", "-resetguisettings"]));
        assert!(attached.unwrap_err().contains("-ipcconnect"));
    }

    #[test]
    fn a_payment_uri_is_the_guis_not_the_nodes() {
        let uri = "hashvive:bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080?amount=1";
        let Command::Run(settings) = read(&HASHVIVE_QT, argv(&["-regtest", uri])).unwrap() else { panic!("runs") };
        assert_eq!((settings.payment_uri.as_deref(), settings.node_args), (Some(uri), argv(&["-regtest"])));
        assert!(read(&HASHVIVE_QT, argv(&["-regtest", uri, "bitcoin:x"]))
            .unwrap_err()
            .contains("unexpected token 'bitcoin:x'"));
    }

    #[test]
    fn help_version_and_mistakes() {
        let Command::Print(help) = read(&HASHVIVE_QT, argv(&["-h"])).unwrap() else { panic!("prints") };
        assert!(help.contains("UI options:") && help.contains("-min") && !help.contains("-daemonwait"));
        let Command::Print(help) = read(&HASHVIVE_GUI, argv(&["-help"])).unwrap() else { panic!("prints") };
        assert!(help.contains("-ipcconnect=<address>"));
        let Command::Print(version) = read(&HASHVIVE_QT, argv(&["-version"])).unwrap() else { panic!("prints") };
        assert!(version.starts_with("Hashvive GUI version"));
        assert_eq!(
            read(&HASHVIVE_QT, argv(&["-nosuch"])).unwrap_err(),
            "Error parsing command line arguments: Invalid parameter -nosuch"
        );
        assert!(read(&HASHVIVE_QT, argv(&["-ipcconnect=unix"])).is_err());
        assert!(read(&HASHVIVE_QT, argv(&["-daemon"])).is_err());
        assert_eq!(
            read(&HASHVIVE_QT, argv(&["-regtest", "stray"])).unwrap_err(),
            "Command line contains unexpected token 'stray', see hashvive-qt -h for a list of options."
        );
    }
}
