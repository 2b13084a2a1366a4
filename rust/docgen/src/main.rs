//! `hashvive-docgen <dir>`: writes what is installed beside the executables,
//! all from the option definitions and program descriptions that `-help`
//! prints, so none of them can disagree with what the executables accept:
//!
//! - `man/man1/<program>.1` — a man page per executable;
//! - `completions/bash/<program>`, `completions/zsh/_<program>`,
//!   `completions/fish/<program>.fish`;
//! - `examples/hashvive.conf` — every node option, commented out.
//!
//! The options are the reference's single-dash kind (`-datadir=<dir>`),
//! which clap-based generators would print as `--datadir`; so the few
//! formats are written here.

use std::path::Path;
use std::process::ExitCode;

use hashvive_common::options::{flags, Category, OptionDef};
use hashvive_common::programs::{Program, PROGRAMS};
use hashvive_common::version;

mod completions;
mod conf;
mod man;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("Usage: hashvive-docgen <output directory>");
        return ExitCode::FAILURE;
    };
    match generate(Path::new(&dir)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hashvive-docgen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn generate(dir: &Path) -> std::io::Result<()> {
    for program in PROGRAMS {
        let options = listed_options(program);
        write(&dir.join("man/man1").join(format!("{}.1", program.name)), &man::page(program, &options))?;
        write(&dir.join("completions/bash").join(program.name), &completions::bash(program.name, &options))?;
        write(
            &dir.join("completions/zsh").join(format!("_{}", program.name)),
            &completions::zsh(program.name, &options),
        )?;
        write(
            &dir.join("completions/fish").join(format!("{}.fish", program.name)),
            &completions::fish(program.name, &options),
        )?;
    }
    write(&dir.join("examples/hashvive.conf"), &conf::example(&listed_options(&hashvive_common::programs::HASHVIVED)))
}

/// The options a user can give, in `-help` order: hidden ones left out, and
/// debugging ones too unless the program lists them with `-help-debug`.
fn listed_options(program: &Program) -> Vec<OptionDef> {
    let all = (program.options)();
    let lists_debug = all.iter().any(|o| o.name == "help-debug");
    let mut options: Vec<OptionDef> =
        all.into_iter().filter(|o| o.category != Category::Hidden && (lists_debug || !is_debug_only(o))).collect();
    options.sort_by(|a, b| (a.category, a.name).cmp(&(b.category, b.name)));
    options
}

fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, text)
}

/// The first sentence of an option's help, for completion menus.
fn summary(option: &OptionDef) -> String {
    let first = option.help.split(". ").next().unwrap_or_default().trim_end_matches('.');
    let mut text: String = first.chars().take(70).collect();
    if text.len() < first.len() {
        text.push('…');
    }
    text
}

fn is_debug_only(option: &OptionDef) -> bool {
    option.has(flags::DEBUG_ONLY)
}

fn version_line() -> String {
    format!("{} {}", version::CLIENT_NAME, version::format_version())
}
