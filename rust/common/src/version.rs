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

/// The name in the user agent, as `Satoshi` is in the reference's.
pub const USER_AGENT_NAME: &str = CLIENT_NAME;

/// The most bytes a user agent may have (`MAX_SUBVERSION_LENGTH`).
pub const MAX_USER_AGENT_LENGTH: usize = 256;

/// The version as one number, `10000 * major + 100 * minor + patch`, as
/// `getnetworkinfo` reports it (the reference's `CLIENT_VERSION`).
pub const CLIENT_VERSION: u32 = 10000 * parse_u32(env!("CARGO_PKG_VERSION_MAJOR"))
    + 100 * parse_u32(env!("CARGO_PKG_VERSION_MINOR"))
    + parse_u32(env!("CARGO_PKG_VERSION_PATCH"));

const fn parse_u32(digits: &str) -> u32 {
    let bytes = digits.as_bytes();
    let mut value = 0;
    let mut i = 0;
    while i < bytes.len() {
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

/// The user agent this node announces, also `getnetworkinfo`'s `subversion`:
/// `/Hashvive:0.1.0/`, or `/Hashvive:0.1.0(c1; c2)/` with `-uacomment`s (the
/// reference's `FormatSubVersion`). Fails with the reference's start-up
/// errors: comments take only BIP 14's safe characters, and the whole is at
/// most [`MAX_USER_AGENT_LENGTH`] bytes.
pub fn user_agent(comments: &[String]) -> Result<String, String> {
    let safe = |c: char| c.is_ascii_alphanumeric() || " .,;-_?@".contains(c);
    if let Some(bad) = comments.iter().find(|c| !c.chars().all(safe)) {
        return Err(format!("User Agent comment ({bad}) contains unsafe characters."));
    }
    let comments = if comments.is_empty() { String::new() } else { format!("({})", comments.join("; ")) };
    let v = CLIENT_VERSION;
    let agent = format!("/{USER_AGENT_NAME}:{}.{}.{}{comments}/", v / 10000, (v / 100) % 100, v % 100);
    if agent.len() > MAX_USER_AGENT_LENGTH {
        return Err(format!(
            "Total length of network version string ({}) exceeds maximum length ({MAX_USER_AGENT_LENGTH}). Reduce the number or size of uacomments.",
            agent.len()
        ));
    }
    Ok(agent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents() {
        // The agent's version is the package version, through CLIENT_VERSION.
        assert_eq!(user_agent(&[]), Ok(format!("/Hashvive:{VERSION}/")));
        let comments = ["a b".to_string(), "c".to_string()];
        assert_eq!(user_agent(&comments), Ok(format!("/Hashvive:{VERSION}(a b; c)/")));
        assert_eq!(
            user_agent(&["x(y)".to_string()]),
            Err("User Agent comment (x(y)) contains unsafe characters.".to_string())
        );
        assert!(user_agent(&["a".repeat(300)]).unwrap_err().starts_with("Total length of network version string (3"));
    }
}
