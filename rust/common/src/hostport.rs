//! `host`, `host:port` and `[ipv6]:port` as users write them in options such
//! as `-rpcbind` and `-rpcconnect`.

/// A TCP port as an option value: 1 to 65535.
pub fn parse_port(s: &str) -> Option<u16> {
    s.parse::<u16>().ok().filter(|p| *p != 0)
}

/// Splits `spec` into host and optional port. A bare IPv6 address (more than
/// one colon) has no port; `[addr]` brackets allow one. `None` when a port is
/// given but is not a valid port.
pub fn split_host_port(spec: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = spec.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(p) => Some((host, Some(parse_port(p)?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match spec.split_once(':') {
        Some((host, port)) if !port.contains(':') => Some((host, Some(parse_port(port)?))),
        _ => Some((spec, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(split_host_port("127.0.0.1"), Some(("127.0.0.1", None)));
        assert_eq!(split_host_port("localhost:18443"), Some(("localhost", Some(18443))));
        assert_eq!(split_host_port("[::1]:5"), Some(("::1", Some(5))));
        assert_eq!(split_host_port("[::]"), Some(("::", None)));
        assert_eq!(split_host_port("::1"), Some(("::1", None)));
        assert_eq!(split_host_port("host:x"), None);
        assert_eq!(split_host_port("host:0"), None);
        assert_eq!(split_host_port("[::1]x"), None);
        assert_eq!(parse_port("70000"), None);
    }
}
