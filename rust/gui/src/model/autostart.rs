//! "Start on system login": an XDG autostart entry,
//! `$XDG_CONFIG_HOME/autostart/hashvive.desktop` (`hashvive-<chain>.desktop`
//! off mainnet), that starts this GUI minimised on the same chain and data
//! directory, as the reference GUI writes one on Linux. Its presence is the
//! setting: it lives in the desktop's configuration, not the node's.

use std::path::{Path, PathBuf};

use hashvive_common::chain::Chain;

/// The entry this GUI would write, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Autostart {
    path: PathBuf,
    contents: String,
}

impl Autostart {
    /// The entry for the GUI executable `exe` on `chain`, started with
    /// `options` (the GUI's own options that choose its node, such as
    /// `-datadir=…` or `-ipcconnect=…`), under `config_home`.
    pub fn new(config_home: &Path, exe: &Path, chain: Chain, options: &[String]) -> Autostart {
        let (file, name) = match chain {
            Chain::Main => ("hashvive.desktop".to_string(), "Hashvive".to_string()),
            other => (format!("hashvive-{}.desktop", other.name()), format!("Hashvive ({})", other.name())),
        };
        let mut command = vec![exe.display().to_string(), "-min".to_string()];
        if chain != Chain::Main {
            command.push(format!("-chain={}", chain.name()));
        }
        command.extend(options.iter().cloned());
        let exec = command.iter().map(|arg| quote(arg)).collect::<Vec<_>>().join(" ");
        let contents = format!(
            "[Desktop Entry]\nType=Application\nName={name}\nExec={exec}\nTerminal=false\nHidden=false\n\
             X-GNOME-Autostart-enabled=true\n"
        );
        Autostart { path: config_home.join("autostart").join(file), contents }
    }

    /// The entry for this process: `$XDG_CONFIG_HOME`, else `~/.config`;
    /// `None` without either, or when the executable cannot be named.
    pub fn for_this_gui(chain: Chain, options: &[String]) -> Option<Autostart> {
        let config_home = super::config_home()?;
        let exe = std::env::current_exe().ok()?;
        Some(Autostart::new(&config_home, &exe, chain, options))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the GUI starts on login: the entry is there, and not hidden
    /// (how a desktop's own settings switch an entry off).
    pub fn is_on(&self) -> bool {
        std::fs::read_to_string(&self.path)
            .is_ok_and(|entry| !entry.lines().any(|line| line.trim().eq_ignore_ascii_case("Hidden=true")))
    }

    /// Writes the entry, or removes it.
    pub fn set(&self, on: bool) -> Result<(), String> {
        let failed = |e: std::io::Error| format!("Cannot change {}: {e}", self.path.display());
        if !on {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(failed(e)),
                _ => Ok(()),
            };
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        std::fs::write(&self.path, &self.contents).map_err(failed)
    }
}

/// An `Exec` argument as the Desktop Entry specification reads it: quoted
/// when it holds anything but plain characters, with `"`, `` ` ``, `$` and
/// `\` escaped inside the quotes, and `%` doubled (it starts field codes).
fn quote(arg: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-=:,+@".contains(c);
    if !arg.is_empty() && arg.chars().all(plain) {
        return arg.to_string();
    }
    let mut quoted = String::from("\"");
    for c in arg.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    // The `Exec` key's value is itself a string, whose `\` is escaped again.
    quoted.replace('\\', "\\\\").replace('%', "%%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_starts_this_gui_minimised_on_its_chain_and_data_directory() {
        let home = tempfile::tempdir().unwrap();
        let options = ["-datadir=/srv/my node".to_string()];
        let entry = Autostart::new(home.path(), Path::new("/opt/hashvive/bin/hashvive-qt"), Chain::Regtest, &options);
        assert_eq!(entry.path(), home.path().join("autostart/hashvive-regtest.desktop"));
        assert!(!entry.is_on());
        entry.set(true).unwrap();
        assert!(entry.is_on());
        let written = std::fs::read_to_string(entry.path()).unwrap();
        assert!(written.starts_with("[Desktop Entry]\nType=Application\nName=Hashvive (regtest)\n"), "{written}");
        assert!(
            written.contains("\nExec=/opt/hashvive/bin/hashvive-qt -min -chain=regtest \"-datadir=/srv/my node\"\n"),
            "{written}"
        );
        entry.set(false).unwrap();
        assert!(!entry.is_on());
        entry.set(false).unwrap();

        let main = Autostart::new(home.path(), Path::new("/usr/bin/hashvive-gui"), Chain::Main, &[]);
        assert_eq!(main.path(), home.path().join("autostart/hashvive.desktop"));
        assert!(main.contents.contains("\nExec=/usr/bin/hashvive-gui -min\n"), "{}", main.contents);
    }

    #[test]
    fn an_entry_the_desktop_hid_is_off() {
        let home = tempfile::tempdir().unwrap();
        let entry = Autostart::new(home.path(), Path::new("/usr/bin/hashvive-qt"), Chain::Main, &[]);
        std::fs::create_dir_all(home.path().join("autostart")).unwrap();
        std::fs::write(entry.path(), "[Desktop Entry]\nExec=x\nHidden=true\n").unwrap();
        assert!(!entry.is_on());
    }

    #[test]
    fn exec_arguments_are_quoted_as_the_specification_asks() {
        assert_eq!(quote("-datadir=/a/b"), "-datadir=/a/b");
        assert_eq!(quote("/my dir"), "\"/my dir\"");
        assert_eq!(quote("$HOME"), "\"\\\\$HOME\"");
        assert_eq!(quote(""), "\"\"");
        assert_eq!(quote("/data/100%"), "\"/data/100%%\"");
    }
}
