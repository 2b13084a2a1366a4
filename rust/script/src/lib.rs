//! Scripts as the reference node's RPCs treat them. The RPCs must answer
//! byte for byte as the reference does, so these follow its rules where
//! rust-bitcoin's own (script printing, classification, PSBT signing) differ:
//! - [`script`]: opcodes, assembly text, output templates, inferred descriptors;
//! - [`sign`]: signing inputs from keys and scripts (`SignTransaction`);
//! - [`psbt`]: PSBT text, and signing and finalizing PSBT inputs.
//!
//! Shared by the node's raw transaction RPCs and the wallet's.

pub mod psbt;
pub mod script;
pub mod sign;

/// `IsHex`: a non-empty, even-length string of hex digits.
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hex digits to bytes; `None` unless [`is_hex`].
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !is_hex(s) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

pub fn encode_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
