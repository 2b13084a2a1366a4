//! Wallet encryption. A random master key seals the private descriptors;
//! the passphrase, stretched with Argon2id, seals the master key, so a new
//! passphrase rewrites one small record and never the keys. Both seals are
//! XChaCha20-Poly1305: a wrong passphrase fails authentication rather than
//! yielding wrong keys.
//!
//! Sealed data is stored as text: `<nonce hex>:<ciphertext hex>`, and the
//! master key record as `argon2id:<m KiB>:<t>:<p>:<salt hex>:<sealed key>`,
//! so the cost can rise in later versions without breaking older wallets.

use argon2::{Algorithm, Argon2, Params, Version};
use bitcoin::hex::{DisplayHex, FromHex};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

/// A master key, wiped from memory when dropped.
pub type MasterKey = Zeroizing<[u8; 32]>;

/// Argon2id's cost for new passphrases: OWASP's recommended 19 MiB, two
/// passes, one lane (tens of milliseconds in a release build).
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CryptError {
    /// The passphrase does not open the master key.
    #[error("the passphrase is incorrect")]
    WrongPassphrase,
    /// Stored sealed data that cannot be read or does not authenticate.
    #[error("damaged encrypted data: {0}")]
    Damaged(&'static str),
}

/// A new random master key.
pub fn new_master_key() -> MasterKey {
    Zeroizing::new(bitcoin::secp256k1::rand::random())
}

fn stretch(passphrase: &str, salt: &[u8], memory_kib: u32, passes: u32, lanes: u32) -> Result<MasterKey, CryptError> {
    let params = Params::new(memory_kib, passes, lanes, Some(32)).map_err(|_| CryptError::Damaged("argon2 cost"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, key.as_mut())
        .map_err(|_| CryptError::Damaged("argon2 input"))?;
    Ok(key)
}

/// The record that stores `master` under `passphrase`.
pub fn seal_master_key(master: &MasterKey, passphrase: &str) -> Result<String, CryptError> {
    let salt: [u8; 16] = bitcoin::secp256k1::rand::random();
    let key = stretch(passphrase, &salt, MEMORY_KIB, PASSES, LANES)?;
    let sealed = seal(&key, master.as_ref());
    Ok(format!("argon2id:{MEMORY_KIB}:{PASSES}:{LANES}:{}:{sealed}", salt.to_lower_hex_string()))
}

/// The master key in `record`, if `passphrase` opens it.
pub fn open_master_key(record: &str, passphrase: &str) -> Result<MasterKey, CryptError> {
    let damaged = || CryptError::Damaged("master key record");
    let mut fields = record.splitn(6, ':');
    let mut next = || fields.next().ok_or_else(damaged);
    if next()? != "argon2id" {
        return Err(damaged());
    }
    let mut cost =
        |most: u32| -> Result<u32, CryptError> { next()?.parse().ok().filter(|c| *c <= most).ok_or_else(damaged) };
    // Bounded, so a damaged or hostile file cannot ask for all the memory
    // there is: up to 1 GiB, 16 passes, 16 lanes.
    let (memory_kib, passes, lanes) = (cost(1 << 20)?, cost(16)?, cost(16)?);
    let salt = Vec::<u8>::from_hex(next()?).map_err(|_| damaged())?;
    let sealed = next()?;
    let key = stretch(passphrase, &salt, memory_kib, passes, lanes)?;
    let opened = open(&key, sealed).map_err(|e| match e {
        CryptError::Damaged("authentication") => CryptError::WrongPassphrase,
        other => other,
    })?;
    let master: [u8; 32] = opened.as_slice().try_into().map_err(|_| damaged())?;
    Ok(Zeroizing::new(master))
}

/// `plaintext` sealed under `key` with a fresh random nonce.
pub fn seal(key: &[u8; 32], plaintext: &[u8]) -> String {
    let nonce: [u8; 24] = bitcoin::secp256k1::rand::random();
    let ciphertext = XChaCha20Poly1305::new(key.into())
        .encrypt(XNonce::from_slice(&nonce), plaintext)
        .expect("XChaCha20-Poly1305 seals any message shorter than 256 GiB");
    format!("{}:{}", nonce.to_lower_hex_string(), ciphertext.to_lower_hex_string())
}

/// What `sealed` holds, if `key` sealed it.
pub fn open(key: &[u8; 32], sealed: &str) -> Result<Zeroizing<Vec<u8>>, CryptError> {
    let (nonce, ciphertext) = sealed.split_once(':').ok_or(CryptError::Damaged("sealed data"))?;
    let nonce = <[u8; 24]>::from_hex(nonce).map_err(|_| CryptError::Damaged("nonce"))?;
    let ciphertext = Vec::<u8>::from_hex(ciphertext).map_err(|_| CryptError::Damaged("ciphertext"))?;
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(&nonce), ciphertext.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| CryptError::Damaged("authentication"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_key_opens_with_its_passphrase_only() {
        let master = new_master_key();
        let record = seal_master_key(&master, "correct horse").unwrap();
        assert!(record.starts_with("argon2id:19456:2:1:"));
        assert_eq!(*open_master_key(&record, "correct horse").unwrap(), *master);
        assert!(matches!(open_master_key(&record, "wrong horse"), Err(CryptError::WrongPassphrase)));
        assert!(matches!(open_master_key("argon2id:1:2", "x"), Err(CryptError::Damaged(_))));
        let greedy = record.replacen("argon2id:19456:", "argon2id:99999999:", 1);
        assert!(matches!(open_master_key(&greedy, "correct horse"), Err(CryptError::Damaged(_))));
    }

    #[test]
    fn sealed_data_round_trips_and_detects_tampering() {
        let key = new_master_key();
        let sealed = seal(&key, b"wpkh(tprv...)");
        assert!(!sealed.contains("tprv"));
        assert_eq!(open(&key, &sealed).unwrap().as_slice(), b"wpkh(tprv...)");
        // Two seals of one message differ (fresh nonces).
        assert_ne!(seal(&key, b"same"), seal(&key, b"same"));
        let mut tampered = sealed.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == '0' { '1' } else { '0' });
        assert!(open(&key, &tampered).is_err());
        assert!(open(&new_master_key(), &sealed).is_err());
    }
}
