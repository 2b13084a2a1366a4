//! From `-rpc*` options to a server configuration, with the reference's
//! defaults and its rules for which addresses are bound.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use hashvive_common::args::{absolute_under, Args};
use hashvive_common::chain::Chain;
use hashvive_common::hostport::{parse_port, split_host_port};

use super::allowip::{InvalidSubnet, Subnet};
use super::auth::{cookie_mode, AuthError, Credentials};
use super::server::{HttpConfig, Whitelist};

pub const DEFAULT_RPC_THREADS: i64 = 16;
pub const DEFAULT_RPC_WORKQUEUE: i64 = 64;
pub const DEFAULT_RPC_SERVERTIMEOUT: i64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("Invalid port specified in {0}: '{1}'")]
    InvalidPort(&'static str, String),
    #[error(transparent)]
    Subnet(#[from] InvalidSubnet),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// The server configuration plus what the node does around it.
pub struct RpcSettings {
    pub http: HttpConfig,
    /// Where to write the cookie and with which mode; `None` with `-norpccookiefile`
    /// or when `-rpcpassword` is set.
    pub cookie: Option<(PathBuf, u32)>,
    /// Things worth a warning in the log.
    pub warnings: Vec<String>,
}

/// Reads the RPC server options. Credentials for the cookie are added when the
/// cookie is written.
pub fn rpc_settings(args: &Args, chain: Chain, chain_dir: &Path) -> Result<RpcSettings, ConfigError> {
    let port = match args.get("rpcport") {
        Some(p) => parse_port(&p).ok_or(ConfigError::InvalidPort("-rpcport", p))?,
        None => chain.default_rpc_port(),
    };
    let mut warnings = Vec::new();
    let allow_set = args.is_set("rpcallowip");
    let bind_set = args.is_set("rpcbind");
    let endpoints = if allow_set && bind_set {
        args.get_all("rpcbind")
            .iter()
            .map(|spec| bind_address(spec, port).ok_or_else(|| ConfigError::InvalidPort("-rpcbind", spec.clone())))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        if allow_set {
            warnings.push("Option -rpcallowip was specified without -rpcbind; this doesn't usually make sense".into());
        }
        if bind_set {
            warnings.push("Option -rpcbind was ignored because -rpcallowip was not specified, refusing to allow everyone to connect".into());
        }
        vec![
            SocketAddr::new(IpAddr::from([0u16, 0, 0, 0, 0, 0, 0, 1]), port),
            SocketAddr::new(IpAddr::from([127, 0, 0, 1]), port),
        ]
    };
    let allow = args.get_all("rpcallowip").iter().map(|s| Subnet::parse(s)).collect::<Result<Vec<_>, _>>()?;

    let mut credentials = Credentials::default();
    let password = args.get_or("rpcpassword", "");
    let cookie = if password.is_empty() {
        let mode = cookie_mode(args.get("rpccookieperms").as_deref())?;
        (!args.is_negated("rpccookiefile"))
            .then(|| (absolute_under(chain_dir, &args.get_or("rpccookiefile", ".cookie")), mode))
    } else {
        credentials.add_plain(&args.get_or("rpcuser", ""), &password);
        None
    };
    for spec in args.get_all("rpcauth") {
        credentials.add_rpcauth(&spec)?;
    }
    let positive = |name: &str, default: i64| args.get_int(name, default).max(1) as usize;
    Ok(RpcSettings {
        http: HttpConfig {
            endpoints,
            allow,
            credentials,
            threads: positive("rpcthreads", DEFAULT_RPC_THREADS),
            work_queue: positive("rpcworkqueue", DEFAULT_RPC_WORKQUEUE),
            timeout: Duration::from_secs(positive("rpcservertimeout", DEFAULT_RPC_SERVERTIMEOUT) as u64),
            whitelist: whitelist(args),
        },
        cookie,
        warnings,
    })
}

/// `-rpcwhitelist=<user>:<method>,<method>` (repeated lists for one user
/// intersect) and `-rpcwhitelistdefault`.
fn whitelist(args: &Args) -> Whitelist {
    let mut list = Whitelist::default();
    for spec in args.get_all("rpcwhitelist") {
        let (user, methods) = spec.split_once(':').unwrap_or((spec.as_str(), ""));
        let methods: HashSet<String> =
            methods.split([',', ' ']).filter(|m| !m.is_empty()).map(str::to_string).collect();
        list.per_user
            .entry(user.to_string())
            .and_modify(|existing| existing.retain(|m| methods.contains(m)))
            .or_insert(methods);
    }
    list.deny_unlisted = args.get_bool("rpcwhitelistdefault", args.is_set("rpcwhitelist"));
    list
}

/// A `-rpcbind` address: an IP address (or `localhost`) with an optional port.
fn bind_address(spec: &str, default_port: u16) -> Option<SocketAddr> {
    let (host, port) = split_host_port(spec)?;
    let host = if host == "localhost" { "127.0.0.1" } else { host };
    Some(SocketAddr::new(host.parse().ok()?, port.unwrap_or(default_port)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashvive_common::options::node_options;

    fn settings(argv: &[&str]) -> Result<RpcSettings, ConfigError> {
        let mut args = Args::new(&node_options());
        args.parse_command_line(argv.iter().copied()).unwrap();
        let chain = args.select_chain().unwrap();
        rpc_settings(&args, chain, Path::new("/data/regtest"))
    }

    #[test]
    fn defaults_bind_loopback_with_cookie() {
        let s = settings(&["-regtest"]).unwrap();
        let ports: Vec<u16> = s.http.endpoints.iter().map(|e| e.port()).collect();
        assert_eq!(ports, vec![18443, 18443]);
        assert!(s.http.endpoints.iter().all(|e| e.ip().is_loopback()));
        assert_eq!(s.cookie, Some((PathBuf::from("/data/regtest/.cookie"), 0o600)));
        assert_eq!((s.http.threads, s.http.work_queue), (16, 64));
    }

    #[test]
    fn rpcbind_needs_rpcallowip() {
        let s = settings(&["-rpcbind=0.0.0.0"]).unwrap();
        assert!(s.http.endpoints.iter().all(|e| e.ip().is_loopback()));
        assert_eq!(s.warnings.len(), 1);
        let s = settings(&["-rpcbind=0.0.0.0:1234", "-rpcbind=[::]", "-rpcallowip=10.0.0.0/8"]).unwrap();
        assert_eq!(s.http.endpoints, vec!["0.0.0.0:1234".parse().unwrap(), "[::]:8332".parse().unwrap()]);
    }

    #[test]
    fn errors() {
        assert_eq!(settings(&["-rpcport=0"]).err().unwrap().to_string(), "Invalid port specified in -rpcport: '0'");
        assert!(settings(&["-rpcport=70000"]).is_err());
        assert!(settings(&["-rpcallowip=1.2.3.4/40"]).is_err());
        assert!(settings(&["-rpcauth=bad"]).is_err());
        assert!(settings(&["-rpcbind=1.2.3.4:x", "-rpcallowip=1.2.3.4"]).is_err());
    }

    #[test]
    fn whitelists_intersect() {
        let s = settings(&["-rpcwhitelist=u:a,b,c", "-rpcwhitelist=u:b, c,d", "-rpcwhitelist=v"]).unwrap();
        let w = &s.http.whitelist;
        assert_eq!(w.per_user["u"], ["b".to_string(), "c".to_string()].into());
        assert!(w.per_user["v"].is_empty());
        assert!(w.deny_unlisted);
        assert!(!settings(&["-rpcwhitelist=u:a", "-rpcwhitelistdefault=0"]).unwrap().http.whitelist.deny_unlisted);
        assert!(settings(&["-rpcbind=localhost", "-rpcallowip=0.0.0.0/0"]).is_ok());
    }

    #[test]
    fn password_disables_cookie() {
        let s = settings(&["-rpcuser=u", "-rpcpassword=p"]).unwrap();
        assert!(s.cookie.is_none());
        assert!(settings(&["-norpccookiefile"]).unwrap().cookie.is_none());
    }
}
