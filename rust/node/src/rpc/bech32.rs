//! Bech32/Bech32m decoding with the reference's error reporting
//! (`bech32::Decode` and `bech32::LocateErrors`).
//!
//! `validateaddress` reports where an address is probably mistyped. The
//! reference finds up to two wrong characters by decoding the BCH code's
//! syndromes over GF(1024); that part is implemented here from the code's
//! definition (BIP173: generator roots e^997..e^999, GF(1024) = GF(32)[e] with
//! e² + 9e + 23 = 0, GF(32) = GF(2)[a] mod a⁵ + a³ + 1).

use std::sync::OnceLock;

const CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
const CHECKSUM_SIZE: usize = 6;
/// Longest string an address may be.
pub const MAX_LENGTH: usize = 90;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Bech32,
    Bech32m,
}

impl Encoding {
    fn constant(self) -> u32 {
        match self {
            Encoding::Bech32 => 1,
            Encoding::Bech32m => 0x2bc8_30a3,
        }
    }
}

/// A decoded string: encoding, lower-case HRP, 5-bit data without checksum.
pub struct Decoded {
    pub encoding: Encoding,
    pub hrp: String,
    pub data: Vec<u8>,
}

fn charset_rev(c: u8) -> Option<u8> {
    CHARSET.iter().position(|&x| x == c.to_ascii_lowercase()).map(|p| p as u8)
}

/// The BCH remainder of the expanded values (the reference's `PolyMod`).
fn polymod(values: &[u8]) -> u32 {
    const GEN: [u32; 5] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3];
    values.iter().fold(1u32, |c, &v| {
        let top = c >> 25;
        let c = ((c & 0x01ff_ffff) << 5) ^ u32::from(v);
        GEN.iter().enumerate().filter(|(i, _)| (top >> i) & 1 == 1).fold(c, |c, (_, g)| c ^ g)
    })
}

fn expand(hrp: &str, values: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    out.push(0);
    out.extend(hrp.bytes().map(|b| b & 0x1f));
    out.extend_from_slice(values);
    out
}

/// Positions of characters that are not printable ASCII or break the case
/// (the reference's `CheckCharacters`).
fn bad_characters(s: &str) -> Vec<usize> {
    let (mut lower, mut upper) = (false, false);
    let mut errors = Vec::new();
    for (i, c) in s.bytes().enumerate() {
        if c.is_ascii_lowercase() {
            if upper {
                errors.push(i);
            } else {
                lower = true;
            }
        } else if c.is_ascii_uppercase() {
            if lower {
                errors.push(i);
            } else {
                upper = true;
            }
        } else if !(33..=126).contains(&c) {
            errors.push(i);
        }
    }
    errors
}

/// Separator position and 5-bit values, when the string is well formed apart
/// from its checksum.
fn split(s: &str) -> Option<(String, Vec<u8>)> {
    if !bad_characters(s).is_empty() || s.len() > MAX_LENGTH {
        return None;
    }
    let pos = s.rfind('1').filter(|&p| p != 0 && p + CHECKSUM_SIZE < s.len())?;
    let values = s.bytes().skip(pos + 1).map(charset_rev).collect::<Option<Vec<u8>>>()?;
    Some((s[..pos].to_ascii_lowercase(), values))
}

/// The reference's `bech32::Decode`.
pub fn decode(s: &str) -> Option<Decoded> {
    let (hrp, values) = split(s)?;
    let check = polymod(&expand(&hrp, &values));
    let encoding = [Encoding::Bech32, Encoding::Bech32m].into_iter().find(|e| e.constant() == check)?;
    let data = values[..values.len() - CHECKSUM_SIZE].to_vec();
    Some(Decoded { encoding, hrp, data })
}

/// GF(1024) exponent and logarithm tables for the generator e.
struct Gf1024 {
    exp: [u16; 1023],
    log: [i16; 1024],
}

fn gf1024() -> &'static Gf1024 {
    static TABLES: OnceLock<Gf1024> = OnceLock::new();
    TABLES.get_or_init(|| {
        // GF(32) first: powers of a modulo a^5 + a^3 + 1.
        let mut exp32 = [0u8; 31];
        let mut log32 = [0i8; 32];
        let mut v: u8 = 1;
        for (i, e) in exp32.iter_mut().enumerate() {
            *e = v;
            log32[usize::from(v)] = i as i8;
            v <<= 1;
            if v & 32 != 0 {
                v ^= 41;
            }
        }
        let mul32 = |a: u16, b: u8| -> u16 {
            if a == 0 {
                return 0;
            }
            let l = (i32::from(log32[usize::from(a)]) + i32::from(log32[usize::from(b)])) % 31;
            u16::from(exp32[l as usize])
        };
        // An element is hi·e + lo; multiplying by e uses e² = 9e + 23.
        let mut tables = Gf1024 { exp: [0; 1023], log: [-1; 1024] };
        let mut v: u16 = 1;
        for i in 0..1023 {
            tables.exp[i] = v;
            tables.log[usize::from(v)] = i as i16;
            let (hi, lo) = (v >> 5, v & 31);
            v = ((mul32(hi, 9) ^ lo) << 5) | mul32(hi, 23);
        }
        tables
    })
}

/// The residue evaluated at e^997, e^998 and e^999, packed 10 bits each.
fn syndrome(residue: u32) -> [u16; 3] {
    let gf = gf1024();
    let mut s = [0u16; 3];
    // Coefficient k (from the constant term up) multiplies x^k.
    for k in 0..6 {
        let coef = (residue >> (5 * k)) & 31;
        for bit in 0..5 {
            if (coef >> bit) & 1 == 0 {
                continue;
            }
            let b = i32::from(gf.log[1 << bit]);
            for (j, root) in [997i32, 998, 999].iter().enumerate() {
                s[j] ^= gf.exp[((root * k + b) % 1023) as usize];
            }
        }
    }
    s
}

/// Likely positions (counted from the end) of at most two errors.
fn error_positions(residue: u32, length: usize) -> Vec<usize> {
    let gf = gf1024();
    let [s0, s1, s2] = syndrome(residue);
    let log = |v: u16| i64::from(gf.log[usize::from(v)]);
    let exp = |l: i64| i64::from(gf.exp[l.rem_euclid(1023) as usize]);
    let (l0, l1, l2) = (log(s0), log(s1), log(s2));
    // One error e1·x^p: the syndromes form a geometric sequence with ratio e^p.
    if l0 != -1 && l1 != -1 && l2 != -1 && (2 * l1 - l2 - l0).rem_euclid(1023) == 0 {
        let p = (l1 - l0).rem_euclid(1023);
        let l_e = l0 + (1023 - 997) * p;
        // The error value must lie in GF(32), the subgroup of index 33.
        return if (p as usize) < length && l_e % 33 == 0 { vec![p as usize] } else { Vec::new() };
    }
    // Two errors: try every first position and solve for the second.
    let (s0, s1, s2) = (i64::from(s0), i64::from(s1), i64::from(s2));
    for p1 in 0..length as i64 {
        let a = s2 ^ if s1 == 0 { 0 } else { exp(l1 + p1) };
        let b = s1 ^ if s0 == 0 { 0 } else { exp(l0 + p1) };
        if a == 0 || b == 0 {
            continue;
        }
        let p2 = (log(a as u16) - log(b as u16)).rem_euclid(1023);
        if p2 >= length as i64 || p1 == p2 {
            continue;
        }
        let c = s1 ^ if s0 == 0 { 0 } else { exp(l0 + p2) };
        if c == 0 {
            continue;
        }
        let inv = 1023 - log((exp(p1) ^ exp(p2)) as u16);
        let l_e2 = log(b as u16) + inv + (1023 - 997) * p2;
        let l_e1 = log(c as u16) + inv + (1023 - 997) * p1;
        if l_e2 % 33 != 0 || l_e1 % 33 != 0 {
            continue;
        }
        return vec![p1.max(p2) as usize, p1.min(p2) as usize];
    }
    Vec::new()
}

/// The reference's `LocateErrors`: why a string is not valid Bech32(m), and
/// the indexes of the characters at fault when they can be told.
pub fn locate_errors(s: &str) -> (String, Vec<usize>) {
    if s.len() > MAX_LENGTH {
        return ("Bech32 string too long".into(), (MAX_LENGTH..s.len()).collect());
    }
    let bad = bad_characters(s);
    if !bad.is_empty() {
        return ("Invalid character or mixed case".into(), bad);
    }
    let Some(pos) = s.rfind('1') else { return ("Missing separator".into(), Vec::new()) };
    if pos == 0 || pos + CHECKSUM_SIZE >= s.len() {
        return ("Invalid separator position".into(), vec![pos]);
    }
    let hrp = s[..pos].to_ascii_lowercase();
    let mut values = Vec::with_capacity(s.len() - pos - 1);
    for (i, c) in s.bytes().enumerate().skip(pos + 1) {
        match charset_rev(c) {
            Some(v) => values.push(v),
            None => return ("Invalid Base 32 character".into(), vec![i]),
        }
    }
    let residue_base = polymod(&expand(&hrp, &values));
    let mut best: Vec<usize> = Vec::new();
    let mut best_encoding = None;
    for encoding in [Encoding::Bech32, Encoding::Bech32m] {
        let residue = residue_base ^ encoding.constant();
        if residue == 0 {
            return (String::new(), Vec::new());
        }
        let found: Vec<usize> = error_positions(residue, values.len()).into_iter().map(|p| s.len() - p - 1).collect();
        if best.is_empty() || (!found.is_empty() && found.len() < best.len()) {
            best = found;
            if !best.is_empty() {
                best_encoding = Some(encoding);
            }
        }
    }
    let message = match best_encoding {
        Some(Encoding::Bech32m) => "Invalid Bech32m checksum",
        Some(Encoding::Bech32) => "Invalid Bech32 checksum",
        None => "Invalid checksum",
    };
    (message.into(), best)
}

/// Regroups bits (the reference's `ConvertBits<from, to, pad>`); `None` on
/// leftover non-zero bits or (without padding) a partial group of 5+ bits.
pub fn convert_bits(data: &[u8], from: u32, to: u32, pad: bool) -> Option<Vec<u8>> {
    let (mut acc, mut bits) = (0u32, 0u32);
    let max = (1u32 << to) - 1;
    let mut out = Vec::new();
    for &v in data {
        acc = ((acc << from) | u32::from(v)) & ((1 << (from + to - 1)) - 1);
        bits += from;
        while bits >= to {
            bits -= to;
            out.push(((acc >> bits) & max) as u8);
        }
    }
    if pad {
        if bits > 0 {
            out.push(((acc << (to - bits)) & max) as u8);
        }
    } else if bits >= from || ((acc << (to - bits)) & max) != 0 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_both_encodings() {
        let d = decode("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").expect("valid");
        assert_eq!((d.encoding, d.hrp.as_str(), d.data[0]), (Encoding::Bech32, "bc", 0));
        let d = decode("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0").expect("valid");
        assert_eq!(d.encoding, Encoding::Bech32m);
        assert!(decode("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5").is_none());
    }

    #[test]
    fn error_locations_match_reference() {
        // The reference's rpc_validateaddress.py vectors.
        let cases: &[(&str, &str, &[usize])] = &[
            ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "Invalid Bech32 checksum", &[41]),
            ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3t4", "Invalid character or mixed case", &[40]),
            ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "Invalid Base 32 character", &[59]),
            ("a", "Missing separator", &[]),
            ("1qqqqqqq", "Invalid separator position", &[0]),
        ];
        for (addr, msg, locs) in cases {
            let (m, l) = locate_errors(addr);
            assert_eq!((m.as_str(), l.as_slice()), (*msg, *locs), "{addr}");
        }
        let long = format!("bc1{}", "q".repeat(90));
        assert_eq!(locate_errors(&long), ("Bech32 string too long".into(), vec![90, 91, 92]));
    }

    #[test]
    fn bit_conversion() {
        assert_eq!(convert_bits(&[0xff], 8, 5, true), Some(vec![31, 28]));
        assert_eq!(convert_bits(&[31, 28], 5, 8, false), Some(vec![0xff]));
        assert_eq!(convert_bits(&[31, 29], 5, 8, false), None);
    }
}
