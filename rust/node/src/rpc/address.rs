//! Addresses and private keys as the reference's `key_io` reads them: the
//! selected chain's prefixes only, and its error messages for `validateaddress`.

use bitcoin::hashes::{hash160, Hash};
use bitcoin::secp256k1::SecretKey;
use bitcoin::{Address, Network, NetworkKind, Script, ScriptBuf};
use serde_json::{Map, Value};

use crate::rpc::bech32;
use crate::rpc::params::encode_hex;

/// A decoded address: what it pays to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Destination {
    PubKeyHash([u8; 20]),
    ScriptHash([u8; 20]),
    /// Any witness program (v0 key/script hash, taproot, anchor, future versions).
    Witness {
        version: u8,
        program: Vec<u8>,
    },
}

/// Why a string is not an address of this chain, and where (for Bech32).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddressError {
    pub message: String,
    pub locations: Vec<usize>,
}

impl AddressError {
    fn new(message: impl Into<String>) -> Self {
        AddressError { message: message.into(), locations: Vec::new() }
    }
}

struct Prefixes {
    pubkey: u8,
    script: u8,
    secret: u8,
    hrp: &'static str,
}

fn prefixes(network: Network) -> Prefixes {
    match network {
        Network::Bitcoin => Prefixes { pubkey: 0x00, script: 0x05, secret: 0x80, hrp: "bc" },
        Network::Regtest => Prefixes { pubkey: 0x6f, script: 0xc4, secret: 0xef, hrp: "bcrt" },
        _ => Prefixes { pubkey: 0x6f, script: 0xc4, secret: 0xef, hrp: "tb" },
    }
}

/// The reference's `DecodeBase58`: surrounding white space is ignored, and the
/// result may not exceed `max_len` bytes.
fn decode_base58(s: &str, max_len: usize) -> Option<Vec<u8>> {
    let trimmed = s.trim_matches(|c: char| c.is_ascii_whitespace());
    if trimmed.contains('\0') {
        return None;
    }
    bitcoin::base58::decode(trimmed).ok().filter(|d| d.len() <= max_len)
}

/// The reference's `DecodeBase58Check`.
fn decode_base58_check(s: &str, max_len: usize) -> Option<Vec<u8>> {
    let mut data = decode_base58(s, max_len + 4)?;
    if data.len() < 4 {
        return None;
    }
    let payload_len = data.len() - 4;
    let check = bitcoin::hashes::sha256d::Hash::hash(&data[..payload_len]);
    if check.as_byte_array()[..4] != data[payload_len..] {
        return None;
    }
    data.truncate(payload_len);
    Some(data)
}

/// The reference's `DecodeDestination` for the selected chain.
pub fn decode_destination(s: &str, network: Network) -> Result<Destination, AddressError> {
    let p = prefixes(network);
    let is_bech32 = s.get(..p.hrp.len()).is_some_and(|head| head.eq_ignore_ascii_case(p.hrp));
    if !is_bech32 {
        if let Some(data) = decode_base58_check(s, 21) {
            let hash = |d: &[u8]| -> [u8; 20] { d.try_into().unwrap_or([0; 20]) };
            return match data.split_first() {
                Some((&v, rest)) if rest.len() == 20 && v == p.pubkey => Ok(Destination::PubKeyHash(hash(rest))),
                Some((&v, rest)) if rest.len() == 20 && v == p.script => Ok(Destination::ScriptHash(hash(rest))),
                Some((&v, _)) if v == p.pubkey || v == p.script => {
                    Err(AddressError::new("Invalid length for Base58 address (P2PKH or P2SH)"))
                }
                _ => Err(AddressError::new("Invalid or unsupported Base58-encoded address.")),
            };
        }
        return Err(AddressError::new(match decode_base58(s, 100) {
            None => "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
            Some(_) => "Invalid checksum or length of Base58 address (P2PKH or P2SH)",
        }));
    }
    let Some(dec) = bech32::decode(s) else {
        let (message, locations) = bech32::locate_errors(s);
        return Err(AddressError { message, locations });
    };
    let Some((&version, data)) = dec.data.split_first() else {
        return Err(AddressError::new("Empty Bech32 data section"));
    };
    if dec.hrp != p.hrp {
        return Err(AddressError::new(format!(
            "Invalid or unsupported prefix for Segwit (Bech32) address (expected {}, got {}).",
            p.hrp, dec.hrp
        )));
    }
    if version == 0 && dec.encoding != bech32::Encoding::Bech32 {
        return Err(AddressError::new("Version 0 witness address must use Bech32 checksum"));
    }
    if version != 0 && dec.encoding != bech32::Encoding::Bech32m {
        return Err(AddressError::new("Version 1+ witness address must use Bech32m checksum"));
    }
    let Some(program) = bech32::convert_bits(data, 5, 8, false) else {
        return Err(AddressError::new("Invalid padding in Bech32 data section"));
    };
    let unit = if program.len() == 1 { "byte" } else { "bytes" };
    if version == 0 && program.len() != 20 && program.len() != 32 {
        return Err(AddressError::new(format!(
            "Invalid Bech32 v0 address program size ({} {unit}), per BIP141",
            program.len()
        )));
    }
    if version > 16 {
        return Err(AddressError::new("Invalid Bech32 address witness version"));
    }
    if !(2..=40).contains(&program.len()) {
        return Err(AddressError::new(format!("Invalid Bech32 address program size ({} {unit})", program.len())));
    }
    Ok(Destination::Witness { version, program })
}

impl Destination {
    /// `GetScriptForDestination`.
    pub fn script_pubkey(&self) -> ScriptBuf {
        let mut bytes = Vec::new();
        match self {
            Destination::PubKeyHash(h) => {
                bytes.extend([0x76, 0xa9, 0x14]);
                bytes.extend(h);
                bytes.extend([0x88, 0xac]);
            }
            Destination::ScriptHash(h) => {
                bytes.extend([0xa9, 0x14]);
                bytes.extend(h);
                bytes.push(0x87);
            }
            Destination::Witness { version, program } => {
                bytes.push(if *version == 0 { 0 } else { 0x50 + version });
                bytes.push(program.len() as u8);
                bytes.extend(program);
            }
        }
        ScriptBuf::from_bytes(bytes)
    }

    /// `EncodeDestination`.
    pub fn encode(&self, network: Network) -> String {
        // Every destination decodes from, and so encodes to, a standard script.
        Address::from_script(&self.script_pubkey(), network).map(|a| a.to_string()).unwrap_or_default()
    }

    /// The reference's `DescribeAddress` members.
    pub fn describe(&self) -> Map<String, Value> {
        let mut m = Map::new();
        let (is_script, witness) = match self {
            Destination::PubKeyHash(_) => (Some(false), None),
            Destination::ScriptHash(_) => (Some(true), None),
            Destination::Witness { version: 0, program } => (Some(program.len() == 32), Some((0, program))),
            Destination::Witness { version: 1, program } if program.len() == 32 || program[..] == [0x4e, 0x73] => {
                (Some(true), Some((1, program)))
            }
            Destination::Witness { version, program } => (None, Some((*version, program))),
        };
        if let Some(is_script) = is_script {
            m.insert("isscript".into(), Value::Bool(is_script));
        }
        m.insert("iswitness".into(), Value::Bool(witness.is_some()));
        if let Some((version, program)) = witness {
            m.insert("witness_version".into(), Value::from(version));
            m.insert("witness_program".into(), Value::String(encode_hex(program)));
        }
        m
    }
}

/// A private key in WIF for the selected chain (`DecodeSecret`): the secret
/// and whether its public key is compressed.
pub fn decode_secret(s: &str, network: Network) -> Option<bitcoin::PrivateKey> {
    let data = decode_base58_check(s, 34)?;
    let (&prefix, rest) = data.split_first()?;
    let compressed = match rest.len() {
        32 => false,
        33 if rest[32] == 1 => true,
        _ => return None,
    };
    if prefix != prefixes(network).secret {
        return None;
    }
    let inner = SecretKey::from_slice(&rest[..32]).ok()?;
    let kind = if network == Network::Bitcoin { NetworkKind::Main } else { NetworkKind::Test };
    Some(bitcoin::PrivateKey { compressed, network: kind, inner })
}

/// The P2PKH destination of a public key (`PKHash`).
pub fn pubkey_hash(pubkey: &[u8]) -> [u8; 20] {
    hash160::Hash::hash(pubkey).to_byte_array()
}

/// An address string for an output script, if it has one.
pub fn script_address(script: &Script, network: Network) -> Option<String> {
    crate::rpc::script::address(script.as_bytes(), network)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> AddressError {
        decode_destination(s, Network::Bitcoin).unwrap_err()
    }

    #[test]
    fn mainnet_reference_vectors() {
        // The reference's rpc_validateaddress.py (mainnet).
        let invalid: &[(&str, &str, &[usize])] = &[
            (
                "tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty",
                "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
                &[],
            ),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "Invalid Bech32 checksum", &[41]),
            ("BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", "Version 1+ witness address must use Bech32m checksum", &[]),
            ("bc1rw5uspcuh", "Version 1+ witness address must use Bech32m checksum", &[]),
            (
                "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
                "Invalid Bech32 v0 address program size (16 bytes), per BIP141",
                &[],
            ),
            ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3t4", "Invalid character or mixed case", &[40]),
            ("bc1gmk9yu", "Empty Bech32 data section", &[]),
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "Version 0 witness address must use Bech32 checksum", &[]),
            ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "Invalid Base 32 character", &[59]),
            (
                "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",
                "Invalid Bech32 address witness version",
                &[],
            ),
            ("bc1pw5dgrnzv", "Invalid Bech32 address program size (1 byte)", &[]),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
                "Invalid Bech32 address program size (41 bytes)",
                &[],
            ),
            (
                "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",
                "Invalid padding in Bech32 data section",
                &[],
            ),
        ];
        for (addr, msg, locs) in invalid {
            let e = err(addr);
            assert_eq!((e.message.as_str(), e.locations.as_slice()), (*msg, *locs), "{addr}");
        }
        let valid = [
            ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
            ("BC1SW50QGDZ25J", "6002751e"),
            ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
            ("bc1pfeessrawgf", "51024e73"),
        ];
        for (addr, spk) in valid {
            let dest = decode_destination(addr, Network::Bitcoin).expect(addr);
            assert_eq!(encode_hex(dest.script_pubkey().as_bytes()), spk);
            assert_eq!(dest.encode(Network::Bitcoin), addr.to_lowercase());
        }
    }

    #[test]
    fn base58_errors_and_descriptions() {
        // The reference's valid address with its last character changed.
        assert_eq!(
            err("17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhen").message,
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)"
        );
        assert_eq!(err("asfah14i8fajz0123f").message, "Invalid or unsupported Segwit (Bech32) or Base58 encoding.");
        assert!(decode_destination("17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem", Network::Bitcoin).is_ok());
        let p2pkh = decode_destination("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", Network::Bitcoin).unwrap();
        assert_eq!(Value::Object(p2pkh.describe()), serde_json::json!({"isscript": false, "iswitness": false}));
        // A testnet address on mainnet has the wrong version byte.
        assert_eq!(err("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn").message, "Invalid or unsupported Base58-encoded address.");
        let anchor = decode_destination("bc1pfeessrawgf", Network::Bitcoin).unwrap();
        assert_eq!(anchor.describe()["witness_program"], "4e73");
        assert_eq!(anchor.describe()["isscript"], true);
    }

    #[test]
    fn secrets_for_the_chain_only() {
        let wif = "cMahea7zqjxrtgAbB7LSGbcQUr1uX1ojuat9jZodMN87JcbXMTcA";
        let key = decode_secret(wif, Network::Regtest).expect("testnet key");
        assert!(key.compressed);
        assert!(decode_secret(wif, Network::Bitcoin).is_none());
        assert!(decode_secret("notakey", Network::Regtest).is_none());
    }
}
