//! Who may call the RPC server: the cookie, `-rpcuser`/`-rpcpassword`, and
//! `-rpcauth` entries (salted HMAC-SHA256, so the config holds no password).

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use base64::Engine;
use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};

/// The user name written into the cookie file.
pub const COOKIE_USER: &str = "__cookie__";

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Invalid -rpcauth argument.")]
    InvalidRpcAuth,
    #[error("Invalid -rpccookieperms value {0}; use owner, group or all")]
    InvalidCookiePerms(String),
    #[error("Unable to write the authentication cookie {path}: {source}")]
    Cookie { path: PathBuf, source: io::Error },
    #[error("Unable to generate random bytes for the authentication cookie: {0}")]
    Random(String),
}

#[derive(Clone)]
struct RpcAuthEntry {
    user: String,
    salt: String,
    hash: String,
}

/// The accepted credentials.
#[derive(Clone, Default)]
pub struct Credentials {
    /// `user:password` pairs: the cookie and `-rpcuser`/`-rpcpassword`.
    plain: Vec<(String, String)>,
    rpcauth: Vec<RpcAuthEntry>,
}

impl Credentials {
    pub fn add_plain(&mut self, user: &str, password: &str) {
        self.plain.push((user.to_string(), password.to_string()));
    }

    /// Adds an `-rpcauth=<user>:<salt>$<hash>` entry.
    pub fn add_rpcauth(&mut self, spec: &str) -> Result<(), AuthError> {
        let (user, rest) = spec.split_once(':').ok_or(AuthError::InvalidRpcAuth)?;
        let (salt, hash) = rest.split_once('$').ok_or(AuthError::InvalidRpcAuth)?;
        if user.is_empty() || salt.is_empty() || hash.is_empty() || rest.contains(':') || hash.contains('$') {
            return Err(AuthError::InvalidRpcAuth);
        }
        self.rpcauth.push(RpcAuthEntry { user: user.into(), salt: salt.into(), hash: hash.to_ascii_lowercase() });
        Ok(())
    }

    /// Checks an `Authorization` header value; returns the user on success.
    pub fn check_header(&self, header: &str) -> Option<String> {
        let encoded = header.strip_prefix("Basic ")?.trim();
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        self.check(user, password).then(|| user.to_string())
    }

    fn check(&self, user: &str, password: &str) -> bool {
        // Every entry is compared in full so timing does not reveal which matched.
        let mut ok = false;
        for (u, p) in &self.plain {
            ok |= constant_time_eq(u.as_bytes(), user.as_bytes()) & constant_time_eq(p.as_bytes(), password.as_bytes());
        }
        for entry in &self.rpcauth {
            let mac = rpcauth_hash(&entry.salt, password);
            ok |= constant_time_eq(entry.user.as_bytes(), user.as_bytes())
                & constant_time_eq(entry.hash.as_bytes(), mac.as_bytes());
        }
        ok
    }
}

/// The hex HMAC-SHA256 of `password` keyed by `salt`, as `-rpcauth` stores it.
pub fn rpcauth_hash(salt: &str, password: &str) -> String {
    let mut engine = hmac::HmacEngine::<sha256::Hash>::new(salt.as_bytes());
    engine.input(password.as_bytes());
    hmac::Hmac::<sha256::Hash>::from_engine(engine).to_string()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Permissions for the cookie file from `-rpccookieperms`.
pub fn cookie_mode(perms: Option<&str>) -> Result<u32, AuthError> {
    match perms {
        None | Some("") | Some("owner") => Ok(0o600),
        Some("group") => Ok(0o640),
        Some("all") => Ok(0o644),
        Some(other) => Err(AuthError::InvalidCookiePerms(other.to_string())),
    }
}

/// A cookie written to disk, removed again by [`Cookie::remove`].
pub struct Cookie {
    pub path: PathBuf,
    pub password: String,
}

impl Cookie {
    /// Generates a random password and writes `__cookie__:<password>` to `path`
    /// atomically (temporary file, then rename) with `mode`.
    pub fn generate(path: &Path, mode: u32) -> Result<Cookie, AuthError> {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).map_err(|e| AuthError::Random(e.to_string()))?;
        let password: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let tmp = path.with_extension("tmp");
        let write = || -> io::Result<()> {
            let _ = fs::remove_file(&tmp);
            let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
            f.write_all(format!("{COOKIE_USER}:{password}").as_bytes())?;
            f.sync_all()?;
            // The umask may have narrowed the mode the user asked for.
            fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))?;
            fs::rename(&tmp, path)
        };
        write().map_err(|source| AuthError::Cookie { path: path.to_path_buf(), source })?;
        Ok(Cookie { path: path.to_path_buf(), password })
    }

    pub fn remove(&self) {
        // Already gone is fine: someone cleaned up for us.
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user: &str, pass: &str) -> String {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
    }

    #[test]
    fn hmac_matches_rfc4231() {
        assert_eq!(
            rpcauth_hash("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn rpcauth_entries() {
        let salt = "cb77f0957de88ff388cf817ddbc7273";
        let hash = rpcauth_hash(salt, "password");
        let mut creds = Credentials::default();
        creds.add_rpcauth(&format!("rt:{salt}${hash}")).unwrap();
        assert_eq!(creds.check_header(&basic("rt", "password")), Some("rt".into()));
        assert_eq!(creds.check_header(&basic("rt", "wrong")), None);
        assert_eq!(creds.check_header(&basic("other", "password")), None);
        assert!(creds.add_rpcauth("nodollar:abc").is_err());
        assert!(creds.add_rpcauth("user").is_err());
    }

    #[test]
    fn plain_and_malformed_headers() {
        let mut creds = Credentials::default();
        creds.add_plain("alice", "pw:with:colons");
        assert_eq!(creds.check_header(&basic("alice", "pw:with:colons")), Some("alice".into()));
        assert_eq!(creds.check_header("Bearer abc"), None);
        assert_eq!(creds.check_header("Basic !!!"), None);
    }

    #[test]
    fn cookie_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".cookie");
        let cookie = Cookie::generate(&path, cookie_mode(None).unwrap()).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("__cookie__:{}", cookie.password));
        assert_eq!(cookie.password.len(), 64);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        cookie.remove();
        assert!(!path.exists());
        assert!(cookie_mode(Some("world")).is_err());
    }
}
