//! `hashvive-wallet` run by hand: the offline wallet tool (`create`, `info`,
//! `dump`, `createfromdump`, as the reference's wallet tool), or, with
//! `-ipcconnect`, the wallets attached to a running node.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use bitcoin::Network;

use hashvive_common::help::{format_options, wrap};
use hashvive_common::options::wallet_tool_options;
use hashvive_common::programs::HASHVIVE_WALLET;
use hashvive_common::settings::Settings;
use hashvive_common::version;

use crate::dump;
use crate::error::WalletError;
use crate::process::{run_attached, IpcFactory, WalletProcessSettings};
use crate::wallet::{CreateOptions, NewWalletFile, Wallet, DEFAULT_KEYPOOL, WALLET_FILE};

const EXE: &str = "hashvive-wallet";

/// Runs the tool with `argv` (without the program name); `ipc` makes the
/// IPC that `-ipcconnect` needs, in builds that have it.
pub fn main(argv: Vec<String>, ipc: Option<IpcFactory>) -> ExitCode {
    match run(argv, ipc) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(argv: Vec<String>, ipc: Option<IpcFactory>) -> Result<(), String> {
    let defs = wallet_tool_options();
    let settings = Settings::read(&defs, argv).map_err(|e| e.to_string())?;
    let args = &settings.args;
    if ["?", "h", "help", "help-debug"].iter().any(|h| args.is_set(h)) {
        print!("{}", help(&defs, args.is_set("help-debug")));
        return Ok(());
    }
    if args.is_set("version") {
        println!("{}\n{}", version::header("wallet"), version::license_text());
        return Ok(());
    }
    let command = match settings.positional.as_slice() {
        [] => None,
        [command] => Some(command.clone()),
        [_, rest @ ..] => {
            return Err(format!(
                "Additional arguments provided ({}). Methods do not take arguments. Please refer to `-help`.",
                rest.join(", ")
            ))
        }
    };
    let attach = args.get("ipcconnect").filter(|a| a != "0");
    let process = WalletProcessSettings::from_settings(settings)?;
    if let Some(address) = attach {
        if let Some(command) = &command {
            if address != "auto" {
                return Err(format!(
                    "-ipcconnect runs the wallets attached to a node; it takes no command ({command})"
                ));
            }
        }
        let make_ipc = ipc.ok_or("-ipcconnect needs a multiprocess build (-DWITH_MULTIPROCESS=ON)")?;
        let (address, quiet) = match address.as_str() {
            "auto" => ("unix".to_string(), true),
            _ => (address, false),
        };
        // With `auto` and nobody listening, a command runs offline instead.
        return match run_attached(process, &address, quiet && command.is_some(), make_ipc)? {
            Some(process) => run_command(&process, command.as_deref()),
            None => Ok(()),
        };
    }
    run_command(&process, command.as_deref())
}

fn help(defs: &[hashvive_common::options::OptionDef], show_debug: bool) -> String {
    let mut text = format!(
        "{}\n\n{}\n\nUsage:\n  {EXE} [options] <command>\n\n{}\nCommands:\n\n",
        version::header("wallet"),
        wrap(HASHVIVE_WALLET.description, 79, 0),
        format_options(defs, show_debug)
    );
    for (name, about) in HASHVIVE_WALLET.commands {
        text.push_str(&format!("  {name}\n{}\n\n", wrap(about, 79, 7)));
    }
    text
}

fn run_command(process: &WalletProcessSettings, command: Option<&str>) -> Result<(), String> {
    let args = &process.settings.args;
    let Some(command) = command else {
        return Err(format!("No method provided. Run `{EXE} -help` for valid methods."));
    };
    if !HASHVIVE_WALLET.commands.iter().any(|(name, _)| *name == command) {
        return Err(format!("Invalid command: {command}"));
    }
    if args.is_set("format") && command != "createfromdump" {
        return Err("The -format option can only be used with the \"createfromdump\" command.".into());
    }
    if args.is_set("dumpfile") && command != "dump" && command != "createfromdump" {
        return Err("The -dumpfile option can only be used with the \"dump\" and \"createfromdump\" commands.".into());
    }
    if args.is_set("descriptors") && command != "create" {
        return Err("The -descriptors option can only be used with the 'create' command.".into());
    }
    if args.is_set("legacy") && command != "create" {
        return Err("The -legacy option can only be used with the 'create' command.".into());
    }
    let name = args.get("wallet").unwrap_or_default();
    if !args.is_set("wallet") && (command == "create" || command == "createfromdump") {
        return Err("Wallet name must be provided when creating a new wallet.".into());
    }
    let dir = process.startup.options.dir.join(&name);
    let network = process.startup.options.network;
    match command {
        "create" => {
            if args.get_bool("legacy", false) || !args.get_bool("descriptors", true) {
                return Err("Only descriptor wallets can be created; legacy wallets are not supported.".into());
            }
            let options = CreateOptions { keypool: DEFAULT_KEYPOOL, ..CreateOptions::default() };
            let wallet = Wallet::create(&name, &dir, network, options).map_err(|e| e.to_string())?;
            println!("Topping up keypool...");
            print!("{}", info(&wallet, network));
        }
        "info" => print!("{}", info(&load(&name, &dir, network)?, network)),
        "dump" => {
            let file = dump_file(args.get("dumpfile"), "dump")?;
            if file.exists() {
                return Err(format!(
                    "File {} already exists. If you are sure this is what you want, move it out of the way first.",
                    file.display()
                ));
            }
            // Opened through the wallet first: a wallet in use by a node is locked.
            drop(load(&name, &dir, network)?);
            dump::dump(&dir.join(WALLET_FILE), &file).map_err(|e| e.to_string())?;
            println!("The dumpfile may contain private keys. To ensure the safety of your Bitcoin, do not share the dumpfile.");
        }
        "createfromdump" => {
            let file = dump_file(args.get("dumpfile"), "createfromdump")?;
            if let Some(format) = args.get("format").filter(|f| f != "sqlite") {
                return Err(format!("Unsupported wallet format '{format}': only \"sqlite\" wallets can be created."));
            }
            let target = NewWalletFile::start(&dir).map_err(|e| match e {
                WalletError::AlreadyExists(d) => {
                    format!("Failed to create database path '{d}'. Database already exists.")
                }
                other => other.to_string(),
            })?;
            dump::restore(&file, &target.path()).map_err(|e| e.to_string())?;
            let wallet = load(&name, &dir, network)?;
            target.keep();
            print!("{}", info(&wallet, network));
        }
        _ => unreachable!("commands were checked above"),
    }
    Ok(())
}

fn dump_file(given: Option<String>, command: &str) -> Result<PathBuf, String> {
    match given.filter(|f| !f.is_empty()) {
        Some(file) => Ok(std::path::absolute(Path::new(&file)).unwrap_or_else(|_| PathBuf::from(file))),
        None => Err(format!("No dump file provided. To use {command}, -dumpfile=<filename> must be provided.")),
    }
}

fn load(name: &str, dir: &Path, network: Network) -> Result<Wallet, String> {
    Wallet::load(name, dir, network, DEFAULT_KEYPOOL).map_err(|e| e.to_string())
}

/// The reference tool's summary of a wallet.
fn info(wallet: &Wallet, network: Network) -> String {
    let ledger = wallet.ledger();
    let active = wallet.descriptors().values().filter(|d| d.active).count();
    let keypool = active * ledger.lookahead() as usize;
    let mut book: std::collections::BTreeSet<String> =
        wallet.receive_addresses(network).iter().map(ToString::to_string).collect();
    book.extend(wallet.labels().keys().cloned());
    format!(
        "Wallet info\n===========\nName: {}\nFormat: sqlite\nDescriptors: yes\nEncrypted: {}\nHD (hd seed available): {}\nKeypool Size: {keypool}\nTransactions: {}\nAddress Book: {}\n",
        wallet.name(),
        if wallet.is_encrypted() { "yes" } else { "no" },
        if active > 0 { "yes" } else { "no" },
        ledger.transactions().count(),
        book.len(),
    )
}
