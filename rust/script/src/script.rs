//! Scripts as the reference node reads them: its opcode walk (`GetOp`), its
//! assembly text (`ScriptToAsmStr`), its output classification (`Solver`) and
//! the descriptor it infers for an output script (`InferDescriptor` with no
//! or one known script).
//!
//! rust-bitcoin has its own script printing and classification, but their
//! names and edge cases differ from the reference's, and RPC output must match
//! the reference byte for byte, so these follow the reference's rules.

use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::{Address, Network, Script};

use hashvive_rpc::params::encode_hex;

pub const OP_0: u8 = 0x00;
pub const OP_PUSHDATA1: u8 = 0x4c;
pub const OP_PUSHDATA2: u8 = 0x4d;
pub const OP_PUSHDATA4: u8 = 0x4e;
pub const OP_1NEGATE: u8 = 0x4f;
pub const OP_1: u8 = 0x51;
pub const OP_16: u8 = 0x60;
pub const OP_RETURN: u8 = 0x6a;
pub const OP_CHECKSIG: u8 = 0xac;
pub const OP_CHECKMULTISIG: u8 = 0xae;
pub const OP_CHECKSIGADD: u8 = 0xba;
/// The highest opcode a script may contain and still have "valid ops".
const MAX_OPCODE: u8 = 0xb9;
/// The reference's `MAX_SCRIPT_SIZE`.
pub const MAX_SCRIPT_SIZE: usize = 10_000;
const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;

/// One step of the reference's `CScript::GetOp`: an opcode and, for pushes,
/// the pushed bytes. `None` for a push running past the end of the script.
pub struct Ops<'a> {
    script: &'a [u8],
    pos: usize,
}

pub fn ops(script: &[u8]) -> Ops<'_> {
    Ops { script, pos: 0 }
}

impl<'a> Ops<'a> {
    /// Bytes from the current position to the end.
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Ops<'a> {
    type Item = Option<(u8, &'a [u8])>;

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.script;
        let opcode = *s.get(self.pos)?;
        self.pos += 1;
        if opcode > OP_PUSHDATA4 {
            return Some(Some((opcode, &[])));
        }
        let size_bytes = match opcode {
            OP_PUSHDATA1 => 1,
            OP_PUSHDATA2 => 2,
            OP_PUSHDATA4 => 4,
            _ => 0,
        };
        let size = if size_bytes == 0 {
            usize::from(opcode)
        } else {
            let Some(raw) = s.get(self.pos..self.pos + size_bytes) else {
                self.pos = s.len();
                return Some(None);
            };
            self.pos += size_bytes;
            raw.iter().rev().fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        match s.get(self.pos..).filter(|rest| rest.len() >= size) {
            Some(rest) => {
                self.pos += size;
                Some(Some((opcode, &rest[..size])))
            }
            None => {
                self.pos = s.len();
                Some(None)
            }
        }
    }
}

/// The reference's `GetOpName`.
pub fn op_name(op: u8) -> &'static str {
    const NAMES: [&str; 0x5b] = [
        "OP_NOP",
        "OP_VER",
        "OP_IF",
        "OP_NOTIF",
        "OP_VERIF",
        "OP_VERNOTIF",
        "OP_ELSE",
        "OP_ENDIF",
        "OP_VERIFY",
        "OP_RETURN",
        "OP_TOALTSTACK",
        "OP_FROMALTSTACK",
        "OP_2DROP",
        "OP_2DUP",
        "OP_3DUP",
        "OP_2OVER",
        "OP_2ROT",
        "OP_2SWAP",
        "OP_IFDUP",
        "OP_DEPTH",
        "OP_DROP",
        "OP_DUP",
        "OP_NIP",
        "OP_OVER",
        "OP_PICK",
        "OP_ROLL",
        "OP_ROT",
        "OP_SWAP",
        "OP_TUCK",
        "OP_CAT",
        "OP_SUBSTR",
        "OP_LEFT",
        "OP_RIGHT",
        "OP_SIZE",
        "OP_INVERT",
        "OP_AND",
        "OP_OR",
        "OP_XOR",
        "OP_EQUAL",
        "OP_EQUALVERIFY",
        "OP_RESERVED1",
        "OP_RESERVED2",
        "OP_1ADD",
        "OP_1SUB",
        "OP_2MUL",
        "OP_2DIV",
        "OP_NEGATE",
        "OP_ABS",
        "OP_NOT",
        "OP_0NOTEQUAL",
        "OP_ADD",
        "OP_SUB",
        "OP_MUL",
        "OP_DIV",
        "OP_MOD",
        "OP_LSHIFT",
        "OP_RSHIFT",
        "OP_BOOLAND",
        "OP_BOOLOR",
        "OP_NUMEQUAL",
        "OP_NUMEQUALVERIFY",
        "OP_NUMNOTEQUAL",
        "OP_LESSTHAN",
        "OP_GREATERTHAN",
        "OP_LESSTHANOREQUAL",
        "OP_GREATERTHANOREQUAL",
        "OP_MIN",
        "OP_MAX",
        "OP_WITHIN",
        "OP_RIPEMD160",
        "OP_SHA1",
        "OP_SHA256",
        "OP_HASH160",
        "OP_HASH256",
        "OP_CODESEPARATOR",
        "OP_CHECKSIG",
        "OP_CHECKSIGVERIFY",
        "OP_CHECKMULTISIG",
        "OP_CHECKMULTISIGVERIFY",
        "OP_NOP1",
        "OP_CHECKLOCKTIMEVERIFY",
        "OP_CHECKSEQUENCEVERIFY",
        "OP_NOP4",
        "OP_NOP5",
        "OP_NOP6",
        "OP_NOP7",
        "OP_NOP8",
        "OP_NOP9",
        "OP_NOP10",
        "OP_CHECKSIGADD",
        "OP_UNKNOWN",
    ];
    const SMALL: [&str; 17] =
        ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", ""];
    match op {
        OP_0 => "0",
        OP_PUSHDATA1 => "OP_PUSHDATA1",
        OP_PUSHDATA2 => "OP_PUSHDATA2",
        OP_PUSHDATA4 => "OP_PUSHDATA4",
        OP_1NEGATE => "-1",
        0x50 => "OP_RESERVED",
        OP_1..=OP_16 => SMALL[usize::from(op - OP_1)],
        0x61..=0xba => NAMES[usize::from(op - 0x61)],
        0xff => "OP_INVALIDOPCODE",
        _ => "OP_UNKNOWN",
    }
}

/// A push of at most four bytes read as a script number (non-minimal
/// encodings allowed), as `CScriptNum(vch, false).getint()`.
fn script_num(bytes: &[u8]) -> i64 {
    let Some((&last, _)) = bytes.split_last() else { return 0 };
    let magnitude = bytes.iter().enumerate().fold(0i64, |acc, (i, b)| {
        let b = if i == bytes.len() - 1 { b & 0x7f } else { *b };
        acc | (i64::from(b) << (8 * i))
    });
    if last & 0x80 != 0 {
        -magnitude
    } else {
        magnitude
    }
}

/// Names of the defined sighash types, as `SighashToStr` (empty when undefined).
pub fn sighash_name(byte: u8) -> &'static str {
    match byte {
        0x01 => "ALL",
        0x81 => "ALL|ANYONECANPAY",
        0x02 => "NONE",
        0x82 => "NONE|ANYONECANPAY",
        0x03 => "SINGLE",
        0x83 => "SINGLE|ANYONECANPAY",
        _ => "",
    }
}

/// BIP66 strict DER (the reference's `IsValidSignatureEncoding`), with the
/// trailing sighash byte.
pub fn is_valid_signature_encoding(sig: &[u8]) -> bool {
    let n = sig.len();
    if !(9..=73).contains(&n) || sig[0] != 0x30 || usize::from(sig[1]) != n - 3 {
        return false;
    }
    let len_r = usize::from(sig[3]);
    if 5 + len_r >= n {
        return false;
    }
    let len_s = usize::from(sig[5 + len_r]);
    if len_r + len_s + 7 != n || sig[2] != 0x02 || len_r == 0 || sig[4] & 0x80 != 0 {
        return false;
    }
    if len_r > 1 && sig[4] == 0 && sig[5] & 0x80 == 0 {
        return false;
    }
    if sig[len_r + 4] != 0x02 || len_s == 0 || sig[len_r + 6] & 0x80 != 0 {
        return false;
    }
    !(len_s > 1 && sig[len_r + 6] == 0 && sig[len_r + 7] & 0x80 == 0)
}

/// A signature push the reference would decode in asm: strict DER with a
/// defined sighash type.
fn sighash_suffix(push: &[u8]) -> Option<(&[u8], &'static str)> {
    let (&hash_type, body) = push.split_last()?;
    let base = hash_type & !0x80;
    if !is_valid_signature_encoding(push) || !(1..=3).contains(&base) {
        return None;
    }
    Some((body, sighash_name(hash_type)))
}

/// The reference's `ScriptToAsmStr`; `decode_sighash` appends `[ALL]` etc. to
/// pushes that look like signatures (only for scripts that may hold them).
pub fn to_asm(script: &[u8], decode_sighash: bool) -> String {
    let mut words: Vec<String> = Vec::new();
    let unspendable = is_unspendable(script);
    for op in ops(script) {
        let Some((opcode, data)) = op else {
            words.push("[error]".into());
            break;
        };
        if opcode > OP_PUSHDATA4 {
            words.push(op_name(opcode).into());
        } else if data.len() <= 4 {
            words.push(script_num(data).to_string());
        } else if decode_sighash && !unspendable {
            match sighash_suffix(data) {
                Some((body, name)) => words.push(format!("{}[{name}]", encode_hex(body))),
                None => words.push(encode_hex(data)),
            }
        } else {
            words.push(encode_hex(data));
        }
    }
    words.join(" ")
}

/// `CScript::IsUnspendable`.
pub fn is_unspendable(script: &[u8]) -> bool {
    script.first() == Some(&OP_RETURN) || script.len() > MAX_SCRIPT_SIZE
}

/// `CScript::HasValidOps`.
pub fn has_valid_ops(script: &[u8]) -> bool {
    ops(script)
        .all(|op| matches!(op, Some((code, data)) if code <= MAX_OPCODE && data.len() <= MAX_SCRIPT_ELEMENT_SIZE))
}

/// `IsOpSuccess`: opcodes that make a tapscript succeed unconditionally.
pub fn is_op_success(op: u8) -> bool {
    matches!(op, 80 | 98 | 126..=129 | 131..=134 | 137..=138 | 141..=142 | 149..=153 | 187..=254)
}

pub use hashvive_policy::TxoutType;

/// What `Solver` returns: the type and its parameters (hashes, keys; for
/// multisig `[m] keys… [n]`).
pub struct Solution {
    pub kind: TxoutType,
    pub data: Vec<Vec<u8>>,
}

/// `CScript::IsWitnessProgram`: version and program.
pub fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    let n = script.len();
    if !(4..=42).contains(&n) || usize::from(script[1]) + 2 != n {
        return None;
    }
    match script[0] {
        OP_0 => Some((0, &script[2..])),
        OP_1..=OP_16 => Some((script[0] - OP_1 + 1, &script[2..])),
        _ => None,
    }
}

/// The reference's `Solver` (shared with the relay policy).
pub fn solve(script: &[u8]) -> Solution {
    let (kind, data) = hashvive_policy::solver(Script::from_bytes(script));
    Solution { kind, data }
}

/// The address of an output script (`ExtractDestination` + `EncodeDestination`),
/// `None` for scripts without one. Bare public keys have none in RPC output.
pub fn address(script: &[u8], network: Network) -> Option<String> {
    match solve(script).kind {
        TxoutType::PubKey | TxoutType::Multisig | TxoutType::NullData | TxoutType::NonStandard => None,
        _ => Address::from_script(Script::from_bytes(script), network).ok().map(|a| a.to_string()),
    }
}

/// The context a script is inferred in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    P2sh,
    P2wsh,
}

/// `CPubKey::IsValidNonHybrid` plus the reference's rule that segwit scripts
/// only take compressed keys.
fn inferable_key(key: &[u8], ctx: Ctx) -> bool {
    matches!(key.first(), Some(2..=4)) && (ctx != Ctx::P2wsh || key.len() == 33)
}

/// The descriptor the reference infers for an output script, with checksum.
/// `known` are scripts the caller knows (as a signing provider would), found
/// by their P2SH or P2WSH hash.
pub fn infer_descriptor(script: &[u8], network: Network, known: &[&[u8]]) -> String {
    let body = infer(script, Ctx::Top, network, known).unwrap_or_else(|| format!("raw({})", encode_hex(script)));
    add_checksum(&body)
}

/// `descriptor#checksum`.
pub fn add_checksum(desc: &str) -> String {
    match miniscript::descriptor::checksum::desc_checksum(desc) {
        Ok(sum) => format!("{desc}#{sum}"),
        // Only characters outside the descriptor alphabet fail, and inferred
        // descriptors are made of hex, addresses and function names.
        Err(_) => desc.to_string(),
    }
}

fn infer(script: &[u8], ctx: Ctx, network: Network, known: &[&[u8]]) -> Option<String> {
    let sol = solve(script);
    let keys_ok = |keys: &[Vec<u8>]| keys.iter().all(|k| inferable_key(k, ctx));
    match sol.kind {
        TxoutType::PubKey if keys_ok(&sol.data) => return Some(format!("pk({})", encode_hex(&sol.data[0]))),
        TxoutType::Multisig if keys_ok(&sol.data[1..sol.data.len() - 1]) => {
            let keys: Vec<String> = sol.data[1..sol.data.len() - 1].iter().map(|k| encode_hex(k)).collect();
            return Some(format!("multi({},{})", sol.data[0][0], keys.join(",")));
        }
        TxoutType::ScriptHash if ctx == Ctx::Top => {
            let sub = known.iter().find(|s| hash160::Hash::hash(s).as_byte_array()[..] == sol.data[0][..]);
            if let Some(inner) = sub.and_then(|s| infer(s, Ctx::P2sh, network, known)) {
                return Some(format!("sh({inner})"));
            }
        }
        TxoutType::WitnessV0ScriptHash if ctx != Ctx::P2wsh => {
            let sub = known.iter().find(|s| sha256::Hash::hash(s).as_byte_array()[..] == sol.data[0][..]);
            if let Some(inner) = sub.and_then(|s| infer(s, Ctx::P2wsh, network, known)) {
                return Some(format!("wsh({inner})"));
            }
        }
        TxoutType::WitnessV1Taproot if ctx == Ctx::Top && bitcoin::XOnlyPublicKey::from_slice(&sol.data[0]).is_ok() => {
            return Some(format!("rawtr({})", encode_hex(&sol.data[0])));
        }
        _ => {}
    }
    if ctx == Ctx::P2wsh {
        use miniscript::{Miniscript, Segwitv0};
        return Miniscript::<bitcoin::PublicKey, Segwitv0>::parse(Script::from_bytes(script))
            .ok()
            .map(|m| m.to_string());
    }
    if ctx != Ctx::Top {
        return None;
    }
    // An address descriptor only when the address gives back this very script.
    let addr = Address::from_script(Script::from_bytes(script), network).ok()?;
    (addr.script_pubkey().as_bytes() == script && address(script, network).is_some()).then(|| format!("addr({addr})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use hashvive_rpc::params::decode_hex;

    fn hex(s: &str) -> Vec<u8> {
        decode_hex(s).unwrap()
    }

    #[test]
    fn asm_matches_reference() {
        // From the reference's rpc_decodescript.py.
        let sig = "304502207fa7a6d1e0ee81132a269ad84e68d695483745cde8b541e3bf630749894e342a022100c1f7ab20e13e22fb95281a870f3dcf38d782e53023ee313d741ad0cfbc0c509001";
        let push_sig = format!("48{sig}");
        assert_eq!(to_asm(&hex(&push_sig), true), format!("{}[ALL]", &sig[..sig.len() - 2]));
        assert_eq!(to_asm(&hex(&push_sig), false), sig);
        assert_eq!(to_asm(&hex("6a0401020304"), true), "OP_RETURN 67305985");
        assert_eq!(to_asm(&hex("00"), false), "0");
        assert_eq!(to_asm(&hex("4f5160b9baff"), false), "-1 1 16 OP_NOP10 OP_CHECKSIGADD OP_INVALIDOPCODE");
        assert_eq!(to_asm(&hex("bb"), false), "OP_UNKNOWN");
        assert_eq!(to_asm(&hex("0281"), false), "[error]");
        assert_eq!(to_asm(&hex("510281"), false), "1 [error]");
        assert_eq!(to_asm(&hex("0180"), false), "0");
        assert_eq!(to_asm(&hex("04ffffffff"), false), "-2147483647");
        assert_eq!(to_asm(&hex("b1b2"), false), "OP_CHECKLOCKTIMEVERIFY OP_CHECKSEQUENCEVERIFY");
    }

    #[test]
    fn solver_types() {
        let pk = "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
        assert_eq!(solve(&hex(&format!("21{pk}ac"))).kind, TxoutType::PubKey);
        assert_eq!(solve(&hex("76a914b0da749730dc9b4b1f4a14d6902877a92541f53688")).kind, TxoutType::NonStandard);
        assert_eq!(solve(&hex("76a914b0da749730dc9b4b1f4a14d6902877a92541f53688ac")).kind, TxoutType::PubKeyHash);
        let ms = solve(&hex(&format!("5121{pk}21{pk}52ae")));
        assert_eq!((ms.kind, ms.data.len()), (TxoutType::Multisig, 4));
        assert_eq!(solve(&hex("51024e73")).kind, TxoutType::Anchor);
        assert_eq!(solve(&hex("6a")).kind, TxoutType::NullData);
        assert_eq!(solve(&hex("6a50")).kind, TxoutType::NullData);
        assert_eq!(solve(&hex("6a61")).kind, TxoutType::NonStandard);
        assert_eq!(solve(&hex("5202abcd")).kind, TxoutType::WitnessUnknown);
        assert_eq!(solve(&hex("0002abcd")).kind, TxoutType::NonStandard);
    }

    #[test]
    fn inferred_descriptors() {
        // Vectors from the reference's rpc_decodescript.py and descriptors doc.
        let n = Network::Regtest;
        let pk = "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd";
        assert_eq!(infer_descriptor(&hex(&format!("21{pk}ac")), n, &[]), add_checksum(&format!("pk({pk})")));
        let p2pkh = hex("76a9145dd1d3a048119c27b28293056724d9522f26d94588ac");
        let addr = Address::from_script(Script::from_bytes(&p2pkh), n).unwrap();
        assert_eq!(infer_descriptor(&p2pkh, n, &[]), add_checksum(&format!("addr({addr})")));
        assert_eq!(infer_descriptor(&hex("6a"), n, &[]), add_checksum("raw(6a)"));
        assert_eq!(infer_descriptor(&[], n, &[]), add_checksum("raw()"));
        // Checksum vector from the reference's descriptor tests.
        assert_eq!(add_checksum("sh(multi(2,[00000000/111'/222]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc,xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L/0))"), "sh(multi(2,[00000000/111'/222]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc,xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L/0))#ggrsrxfy");
        let ws = hex(&format!("5121{pk}51ae"));
        let p2wsh = bitcoin::ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::hash(&ws));
        assert_eq!(infer_descriptor(p2wsh.as_bytes(), n, &[&ws]), add_checksum(&format!("wsh(multi(1,{pk}))")));
        assert!(infer_descriptor(p2wsh.as_bytes(), n, &[]).starts_with("addr(bcrt1q"));
    }
}
