//! Version strings shown by `-version`, the log and (later) the user agent.

pub const CLIENT_NAME: &str = "Hashvive";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `v0.1.0`
pub fn format_version() -> String {
    format!("v{VERSION}")
}

/// The first line of `-version` and `-help`, e.g. `Hashvive daemon version v0.1.0`.
pub fn header(program_title: &str) -> String {
    format!("{CLIENT_NAME} {program_title} version {}", format_version())
}

pub fn license_text() -> String {
    format!(
        "Copyright (C) 2026 The {CLIENT_NAME} developers\n\n\
         Please contribute if you find {CLIENT_NAME} useful.\n\n\
         Distributed under the MIT software license, see the accompanying file COPYING\n\
         or <https://opensource.org/licenses/MIT>.\n"
    )
}
