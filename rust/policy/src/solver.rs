//! Output script classification (the reference's `Solver` in `script/solver.cpp`).

use std::fmt;

use bitcoin::opcodes::all::{OP_CHECKMULTISIG, OP_CHECKSIG, OP_PUSHBYTES_33, OP_PUSHBYTES_65, OP_PUSHNUM_1};
use bitcoin::opcodes::all::{OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4, OP_PUSHNUM_16, OP_RETURN};
use bitcoin::script::{read_scriptint, Instruction};
use bitcoin::{Script, WitnessVersion};

/// The most keys a standard-form CHECKMULTISIG output may have.
const MAX_PUBKEYS_PER_MULTISIG: i64 = 20;
/// Scripts larger than this always fail to run (`MAX_SCRIPT_SIZE`).
pub(crate) const MAX_SCRIPT_SIZE: usize = 10_000;

/// What kind of output a script is. `name()` is the reference's spelling,
/// which RPC results print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxoutType {
    NonStandard,
    /// Pay to anchor (P2A, `OP_1 <0x4e73>`).
    Anchor,
    PubKey,
    PubKeyHash,
    ScriptHash,
    Multisig,
    /// `OP_RETURN` followed only by pushes.
    NullData,
    WitnessV0KeyHash,
    WitnessV0ScriptHash,
    WitnessV1Taproot,
    /// A witness program of a version or size no rule is defined for yet.
    WitnessUnknown,
}

impl TxoutType {
    /// The reference's `GetTxnOutputType`.
    pub fn name(self) -> &'static str {
        match self {
            TxoutType::NonStandard => "nonstandard",
            TxoutType::Anchor => "anchor",
            TxoutType::PubKey => "pubkey",
            TxoutType::PubKeyHash => "pubkeyhash",
            TxoutType::ScriptHash => "scripthash",
            TxoutType::Multisig => "multisig",
            TxoutType::NullData => "nulldata",
            TxoutType::WitnessV0KeyHash => "witness_v0_keyhash",
            TxoutType::WitnessV0ScriptHash => "witness_v0_scripthash",
            TxoutType::WitnessV1Taproot => "witness_v1_taproot",
            TxoutType::WitnessUnknown => "witness_unknown",
        }
    }
}

impl fmt::Display for TxoutType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The reference's `CPubKey::ValidSize`: the length its first byte announces.
pub(crate) fn valid_pubkey_size(data: &[u8]) -> bool {
    match data.first() {
        Some(2 | 3) => data.len() == 33,
        Some(4 | 6 | 7) => data.len() == 65,
        _ => false,
    }
}

/// The reference's `CScript::IsPayToAnchor`.
pub(crate) fn is_pay_to_anchor(script: &Script) -> bool {
    script.as_bytes() == [OP_PUSHNUM_1.to_u8(), 0x02, 0x4e, 0x73]
}

/// The reference's `CScript::IsUnspendable`: an `OP_RETURN` start, or too large to ever run.
pub fn is_unspendable(script: &Script) -> bool {
    script.is_op_return() || script.len() > MAX_SCRIPT_SIZE
}

/// Classifies `script` and returns the data that identify its spender (the
/// reference's `Solver`): the hash or key for single-key and hash types;
/// the witness version then program for unknown witness programs; for
/// multisig the required count (one byte), the keys, then the key count.
pub fn solver(script: &Script) -> (TxoutType, Vec<Vec<u8>>) {
    let bytes = script.as_bytes();
    if script.is_p2sh() {
        return (TxoutType::ScriptHash, vec![bytes[2..22].to_vec()]);
    }
    if let Some(version) = script.witness_version() {
        let program = bytes[2..].to_vec();
        return match (version, program.len()) {
            (WitnessVersion::V0, 20) => (TxoutType::WitnessV0KeyHash, vec![program]),
            (WitnessVersion::V0, 32) => (TxoutType::WitnessV0ScriptHash, vec![program]),
            (WitnessVersion::V1, 32) => (TxoutType::WitnessV1Taproot, vec![program]),
            _ if is_pay_to_anchor(script) => (TxoutType::Anchor, vec![]),
            (WitnessVersion::V0, _) => (TxoutType::NonStandard, vec![]),
            _ => (TxoutType::WitnessUnknown, vec![vec![version.to_num()], program]),
        };
    }
    // Data carrier: what follows OP_RETURN does not matter as long as it only pushes.
    if bytes.first() == Some(&OP_RETURN.to_u8()) && Script::from_bytes(&bytes[1..]).is_push_only() {
        return (TxoutType::NullData, vec![]);
    }
    if let Some(key) = match_pay_to_pubkey(bytes) {
        return (TxoutType::PubKey, vec![key.to_vec()]);
    }
    if script.is_p2pkh() {
        return (TxoutType::PubKeyHash, vec![bytes[3..23].to_vec()]);
    }
    if let Some((required, keys)) = match_multisig(script) {
        let mut solutions = Vec::with_capacity(keys.len() + 2);
        // Both counts are in 1..=20, so they fit a byte.
        solutions.push(vec![required as u8]);
        let count = keys.len() as u8;
        solutions.extend(keys);
        solutions.push(vec![count]);
        return (TxoutType::Multisig, solutions);
    }
    (TxoutType::NonStandard, vec![])
}

/// Like `solver`, without the data.
pub fn classify(script: &Script) -> TxoutType {
    solver(script).0
}

/// `<key> OP_CHECKSIG` with a key of a plausible size (rust-bitcoin's
/// `is_p2pk` does not look at the key's first byte; the reference does).
fn match_pay_to_pubkey(bytes: &[u8]) -> Option<&[u8]> {
    let (&push, rest) = bytes.split_first()?;
    let (&last, key) = rest.split_last()?;
    let sized =
        (push == OP_PUSHBYTES_65.to_u8() && key.len() == 65) || (push == OP_PUSHBYTES_33.to_u8() && key.len() == 33);
    (sized && last == OP_CHECKSIG.to_u8() && valid_pubkey_size(key)).then_some(key)
}

/// The reference's `CheckMinimalPush` for a data push opcode.
fn is_minimal_push(data: &[u8], opcode: u8) -> bool {
    match data {
        [] => opcode == 0,
        [1..=16] | [0x81] => false,
        _ if data.len() <= 75 => usize::from(opcode) == data.len(),
        _ if data.len() <= 255 => opcode == OP_PUSHDATA1.to_u8(),
        _ if data.len() <= 65535 => opcode == OP_PUSHDATA2.to_u8(),
        _ => true,
    }
}

/// A multisig key count: `OP_1`..`OP_16`, or a minimal number push, in 1..=20.
fn multisig_count(opcode: u8, data: &[u8]) -> Option<i64> {
    let count = if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&opcode) {
        i64::from(opcode - OP_PUSHNUM_1.to_u8()) + 1
    } else if (1..=OP_PUSHDATA4.to_u8()).contains(&opcode) && is_minimal_push(data, opcode) {
        read_scriptint(data).ok()?
    } else {
        return None;
    };
    (1..=MAX_PUBKEYS_PER_MULTISIG).contains(&count).then_some(count)
}

/// `<m> <key>... <n> OP_CHECKMULTISIG` (the reference's `MatchMultisig`).
fn match_multisig(script: &Script) -> Option<(i64, Vec<Vec<u8>>)> {
    let bytes = script.as_bytes();
    if bytes.last() != Some(&OP_CHECKMULTISIG.to_u8()) {
        return None;
    }
    // Each op with its opcode byte and pushed data (none for non-push opcodes, as in `GetOp`).
    let mut ops = script.instruction_indices().map(|item| {
        item.ok().map(|(position, instruction)| {
            let data = match instruction {
                Instruction::PushBytes(push) => push.as_bytes(),
                Instruction::Op(_) => &[],
            };
            (position, bytes[position], data)
        })
    });

    let (_, opcode, data) = ops.next().flatten()?;
    let required = multisig_count(opcode, data)?;
    let mut keys = Vec::new();
    let count = loop {
        let (_, opcode, data) = ops.next().flatten()?;
        if valid_pubkey_size(data) {
            keys.push(data.to_vec());
        } else {
            break multisig_count(opcode, data)?;
        }
    };
    if keys.len() as i64 != count || count < required {
        return None;
    }
    // The key count must be followed by nothing but the final OP_CHECKMULTISIG.
    let (position, _, _) = ops.next().flatten()?;
    (position == bytes.len() - 1).then_some((required, keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::opcodes::all::{OP_PUSHNUM_2, OP_PUSHNUM_3};
    use bitcoin::script::Builder;
    use bitcoin::{PubkeyHash, ScriptBuf, ScriptHash, WPubkeyHash, WScriptHash};

    fn key(first: u8, len: usize) -> Vec<u8> {
        let mut key = vec![0x11; len];
        key[0] = first;
        key
    }

    fn push(builder: Builder, data: &[u8]) -> Builder {
        builder.push_slice(<&bitcoin::script::PushBytes>::try_from(data).expect("short"))
    }

    fn multisig(m: u8, keys: &[Vec<u8>], n: u8) -> ScriptBuf {
        let mut builder = Builder::new().push_int(i64::from(m));
        for key in keys {
            builder = push(builder, key);
        }
        builder.push_int(i64::from(n)).push_opcode(OP_CHECKMULTISIG).into_script()
    }

    #[test]
    fn standard_forms() {
        let cases = [
            (ScriptBuf::new_p2sh(&ScriptHash::all_zeros()), TxoutType::ScriptHash),
            (ScriptBuf::new_p2pkh(&PubkeyHash::all_zeros()), TxoutType::PubKeyHash),
            (ScriptBuf::new_p2wpkh(&WPubkeyHash::all_zeros()), TxoutType::WitnessV0KeyHash),
            (ScriptBuf::new_p2wsh(&WScriptHash::all_zeros()), TxoutType::WitnessV0ScriptHash),
            (ScriptBuf::from_bytes([&[0x51, 0x20][..], &[7; 32]].concat()), TxoutType::WitnessV1Taproot),
            (ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]), TxoutType::Anchor),
            (ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x74]), TxoutType::WitnessUnknown),
            (ScriptBuf::from_bytes(vec![0x60, 0x02, 0x00, 0x00]), TxoutType::WitnessUnknown),
            (ScriptBuf::from_bytes(vec![0x00, 0x03, 0x00, 0x00, 0x00]), TxoutType::NonStandard),
            (ScriptBuf::from_bytes(vec![0x6a]), TxoutType::NullData),
            (ScriptBuf::from_bytes(vec![0x6a, 0x02, 0xaa, 0xbb, 0x51]), TxoutType::NullData),
            (ScriptBuf::from_bytes(vec![0x6a, 0xac]), TxoutType::NonStandard),
            (ScriptBuf::from_bytes(vec![0x6a, 0x05, 0x01]), TxoutType::NonStandard),
            (push(Builder::new(), &key(2, 33)).push_opcode(OP_CHECKSIG).into_script(), TxoutType::PubKey),
            (push(Builder::new(), &key(4, 65)).push_opcode(OP_CHECKSIG).into_script(), TxoutType::PubKey),
            (push(Builder::new(), &key(5, 65)).push_opcode(OP_CHECKSIG).into_script(), TxoutType::NonStandard),
            (push(Builder::new(), &key(4, 33)).push_opcode(OP_CHECKSIG).into_script(), TxoutType::NonStandard),
            (ScriptBuf::new(), TxoutType::NonStandard),
        ];
        for (script, expected) in cases {
            assert_eq!(classify(&script), expected, "{script:?}");
        }
        assert_eq!(TxoutType::WitnessV0KeyHash.to_string(), "witness_v0_keyhash");
    }

    #[test]
    fn unknown_witness_solutions() {
        let script = ScriptBuf::from_bytes(vec![0x52, 0x02, 0xab, 0xcd]);
        assert_eq!(solver(&script), (TxoutType::WitnessUnknown, vec![vec![2], vec![0xab, 0xcd]]));
    }

    #[test]
    fn multisig_forms() {
        let keys = [key(2, 33), key(3, 33), key(4, 65)];
        let script = multisig(2, &keys, 3);
        let (kind, solutions) = solver(&script);
        assert_eq!(kind, TxoutType::Multisig);
        assert_eq!(solutions.first(), Some(&vec![2]));
        assert_eq!(solutions.last(), Some(&vec![3]));
        assert_eq!(&solutions[1..4], &keys);

        // Wrong key count, more required than keys, a bad key, trailing ops.
        assert_eq!(classify(&multisig(2, &keys, 2)), TxoutType::NonStandard);
        assert_eq!(classify(&multisig(3, &keys[..2], 2)), TxoutType::NonStandard);
        assert_eq!(classify(&multisig(1, &[key(5, 33)], 1)), TxoutType::NonStandard);
        let mut trailing = multisig(1, &keys[..1], 1).into_bytes();
        trailing.insert(trailing.len() - 1, OP_PUSHNUM_3.to_u8());
        assert_eq!(classify(Script::from_bytes(&trailing)), TxoutType::NonStandard);

        // Counts above 16 are minimal pushes; non-minimal or out of range ones are not counts.
        let twenty: Vec<Vec<u8>> = (0..20).map(|_| key(2, 33)).collect();
        let mut builder = Builder::new().push_opcode(OP_PUSHNUM_2);
        for key in &twenty {
            builder = push(builder, key);
        }
        let script = builder.push_int(20).push_opcode(OP_CHECKMULTISIG).into_script();
        assert_eq!(classify(&script), TxoutType::Multisig);
        let non_minimal = push(push(push(Builder::new(), &[1]), &key(2, 33)), &[1]).push_opcode(OP_CHECKMULTISIG);
        assert_eq!(classify(&non_minimal.into_script()), TxoutType::NonStandard);
        let zero = Builder::new().push_int(0).push_int(0).push_opcode(OP_CHECKMULTISIG).into_script();
        assert_eq!(classify(&zero), TxoutType::NonStandard);
    }
}
