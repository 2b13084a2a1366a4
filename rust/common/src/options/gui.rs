//! Options of the GUIs (`hashvive-qt`, `hashvive-gui`): the node's, less
//! daemonising (a GUI stays in the foreground, as the reference's does), plus
//! the reference GUI's UI options. `hashvive-gui` also lists `-ipcconnect`,
//! which attaches it to a running node instead of spawning one.

use super::{flags::*, node_options, Category, OptionDef};

/// The options a GUI handles itself; everything else goes to its node.
pub const UI_OPTIONS: [&str; 7] =
    ["choosedatadir", "lang", "min", "resetguisettings", "splash", "uiplatform", "ipcconnect"];

/// Every option `hashvive-qt` accepts.
pub fn gui_options() -> Vec<OptionDef> {
    // The node accepts the UI options too (hidden, and ignored), so a shared
    // configuration file works with both; here they are the GUI's own.
    let mut options: Vec<OptionDef> = node_options()
        .into_iter()
        .filter(|o| !matches!(o.name, "daemon" | "daemonwait") && !UI_OPTIONS.contains(&o.name))
        .collect();
    options.extend(ui_options());
    options
}

/// Every option `hashvive-gui` accepts: `hashvive-qt`'s and `-ipcconnect`.
pub fn multiprocess_gui_options() -> Vec<OptionDef> {
    let mut options = gui_options();
    options.push(OptionDef::new(
        "ipcconnect",
        "=<address>",
        "Connect to a node started with -ipcbind instead of spawning one: \"unix\" uses the default socket \
         <datadir>/node.sock, \"unix:/custom/path\" another one, \"auto\" tries the default socket and spawns a \
         node when none answers, \"0\" always spawns one (default: 0)",
        Category::Ipc,
    ));
    options
}

fn ui_options() -> Vec<OptionDef> {
    vec![
        OptionDef::new("choosedatadir", "", "Choose data directory on startup (default: 0)", Category::Gui),
        OptionDef::new(
            "lang",
            "=<lang>",
            "Set language, for example \"de_DE\" (default: system locale)",
            Category::Gui,
        ),
        OptionDef::new("min", "", "Start minimized", Category::Gui),
        OptionDef::new("resetguisettings", "", "Reset all settings changed in the GUI", Category::Gui),
        OptionDef::new("splash", "", "Show splash screen on startup (default: 1)", Category::Gui),
        OptionDef::new(
            "uiplatform",
            "=<platform>",
            "Select platform to customize UI for (one of windows, macosx, other; default: other)",
            Category::Gui,
        )
        .flags(DEBUG_ONLY),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gui_takes_the_node_options_but_not_daemonising() {
        let names: Vec<&str> = gui_options().iter().map(|o| o.name).collect();
        assert!(names.contains(&"regtest") && names.contains(&"server") && names.contains(&"min"));
        assert!(!names.contains(&"daemon") && !names.contains(&"daemonwait") && !names.contains(&"ipcconnect"));
        let multiprocess = multiprocess_gui_options();
        let ipcconnect = multiprocess.iter().filter(|o| o.name == "ipcconnect").collect::<Vec<_>>();
        assert_eq!(ipcconnect.len(), 1);
        assert_eq!(ipcconnect[0].category, Category::Ipc);
    }

    #[test]
    fn each_ui_option_is_defined() {
        let names: Vec<&str> = multiprocess_gui_options().iter().map(|o| o.name).collect();
        for name in UI_OPTIONS {
            assert_eq!(names.iter().filter(|n| **n == name).count(), 1, "{name}");
        }
    }
}
