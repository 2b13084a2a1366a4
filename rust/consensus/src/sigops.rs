//! Signature-operation counting: the legacy count (every script in a block),
//! the P2SH count (redeem scripts, BIP16) and the witness-weighted cost
//! (BIP141) that the per-block limit applies to.
//!
//! The count walks the script as the reference's `CScript::GetSigOpCount`
//! does. rust-bitcoin's `Script::count_sigops` is not used: in "accurate" mode
//! it remembers a small-integer push across a following CHECKSIG, so
//! `OP_2 OP_CHECKSIG OP_CHECKMULTISIG` counts 3 there and 21 in the reference.

use bitcoin::opcodes::all::{
    OP_CHECKMULTISIG, OP_CHECKMULTISIGVERIFY, OP_CHECKSIG, OP_CHECKSIGVERIFY, OP_PUSHNUM_1, OP_PUSHNUM_16,
};
use bitcoin::script::Instruction;
use bitcoin::{Script, Transaction, TxOut, Witness, WitnessVersion};

use crate::script::ScriptFlags;

/// Witness data weighs a quarter of other data (BIP141).
pub const WITNESS_SCALE_FACTOR: u64 = 4;
/// The most sigop cost a block may have.
pub const MAX_BLOCK_SIGOPS_COST: u64 = 80_000;
/// What a CHECKMULTISIG counts when its key count is not known.
pub const MAX_PUBKEYS_PER_MULTISIG: u32 = 20;

/// Sigops in one script. `accurate` counts a CHECKMULTISIG right after
/// `OP_1`..`OP_16` as that many (as redeem and witness scripts are counted);
/// otherwise every CHECKMULTISIG counts 20. Counting stops at the first
/// malformed push, like the reference.
pub fn script_sigops(script: &Script, accurate: bool) -> u32 {
    let mut count = 0;
    let mut previous = None;
    for instruction in script.instructions() {
        let Ok(instruction) = instruction else { break };
        let opcode = instruction.opcode();
        match opcode {
            Some(OP_CHECKSIG | OP_CHECKSIGVERIFY) => count += 1,
            Some(OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY) => {
                count += match previous.and_then(small_integer) {
                    Some(keys) if accurate => keys,
                    _ => MAX_PUBKEYS_PER_MULTISIG,
                }
            }
            _ => {}
        }
        previous = opcode;
    }
    count
}

/// The value of `OP_1`..`OP_16`.
fn small_integer(opcode: bitcoin::Opcode) -> Option<u32> {
    let byte = opcode.to_u8();
    (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&byte).then(|| u32::from(byte - OP_PUSHNUM_1.to_u8()) + 1)
}

/// The data of the last push of a push-only script (the reference's `IsPushOnly`:
/// opcodes up to `OP_16`, which push no data of their own here). `None` if the
/// script is not push-only or is malformed.
pub fn last_push_of_push_only(script: &Script) -> Option<&[u8]> {
    let mut last: &[u8] = &[];
    for instruction in script.instructions() {
        match instruction.ok()? {
            Instruction::PushBytes(bytes) => last = bytes.as_bytes(),
            Instruction::Op(op) if op.to_u8() <= OP_PUSHNUM_16.to_u8() => last = &[],
            Instruction::Op(_) => return None,
        }
    }
    Some(last)
}

/// Sigops of a P2SH redeem script as `script_sig` reveals it (the reference's
/// `CScript::GetSigOpCount(const CScript& scriptSig)`); for any other
/// `script_pubkey` its own accurate count.
pub fn p2sh_aware_sigops(script_pubkey: &Script, script_sig: &Script) -> u32 {
    if !script_pubkey.is_p2sh() {
        return script_sigops(script_pubkey, true);
    }
    last_push_of_push_only(script_sig).map_or(0, |redeem| script_sigops(Script::from_bytes(redeem), true))
}

/// Sigops in every input and output script, counted the legacy way.
pub fn legacy_sigop_count(tx: &Transaction) -> u32 {
    let inputs = tx.input.iter().map(|input| script_sigops(&input.script_sig, false));
    let outputs = tx.output.iter().map(|output| script_sigops(&output.script_pubkey, false));
    inputs.chain(outputs).fold(0, u32::saturating_add)
}

/// Sigops in the redeem scripts of the P2SH outputs `tx` spends; `spent[i]`
/// is the output spent by input `i`.
pub fn p2sh_sigop_count(tx: &Transaction, spent: &[TxOut]) -> u32 {
    if tx.is_coinbase() {
        return 0;
    }
    tx.input
        .iter()
        .zip(spent)
        .filter(|(_, prev)| prev.script_pubkey.is_p2sh())
        .map(|(input, prev)| p2sh_aware_sigops(&prev.script_pubkey, &input.script_sig))
        .fold(0, u32::saturating_add)
}

/// A witness program's version and program bytes.
fn witness_program(script: &Script) -> Option<(WitnessVersion, &[u8])> {
    script.witness_version().map(|version| (version, &script.as_bytes()[2..]))
}

fn witness_program_sigops(version: WitnessVersion, program: &[u8], witness: &Witness) -> u32 {
    match (version, program.len()) {
        (WitnessVersion::V0, 20) => 1,
        (WitnessVersion::V0, 32) => witness.last().map_or(0, |script| script_sigops(Script::from_bytes(script), true)),
        // Taproot and future versions have no sigops in this accounting.
        _ => 0,
    }
}

/// Sigops of the witness script spent by one input (the reference's `CountWitnessSigOps`).
pub fn witness_sigops(script_sig: &Script, script_pubkey: &Script, witness: &Witness, flags: ScriptFlags) -> u32 {
    if !flags.contains(ScriptFlags::WITNESS) {
        return 0;
    }
    if let Some((version, program)) = witness_program(script_pubkey) {
        return witness_program_sigops(version, program, witness);
    }
    if script_pubkey.is_p2sh() {
        if let Some((version, program)) =
            last_push_of_push_only(script_sig).and_then(|redeem| witness_program(Script::from_bytes(redeem)))
        {
            return witness_program_sigops(version, program, witness);
        }
    }
    0
}

/// The sigop cost of a transaction (the reference's `GetTransactionSigOpCost`):
/// legacy and P2SH sigops weigh `WITNESS_SCALE_FACTOR` each, witness sigops one.
/// `spent[i]` is the output spent by input `i`.
pub fn transaction_sigop_cost(tx: &Transaction, spent: &[TxOut], flags: ScriptFlags) -> u64 {
    let mut cost = u64::from(legacy_sigop_count(tx)) * WITNESS_SCALE_FACTOR;
    if tx.is_coinbase() {
        return cost;
    }
    if flags.contains(ScriptFlags::P2SH) {
        cost += u64::from(p2sh_sigop_count(tx, spent)) * WITNESS_SCALE_FACTOR;
    }
    for (input, prev) in tx.input.iter().zip(spent) {
        cost += u64::from(witness_sigops(&input.script_sig, &prev.script_pubkey, &input.witness, flags));
    }
    cost
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{spend, txout};
    use bitcoin::hashes::Hash;
    use bitcoin::opcodes::all::{OP_PUSHNUM_2, OP_PUSHNUM_3, OP_RETURN};
    use bitcoin::script::{Builder, PushBytes};
    use bitcoin::{Amount, OutPoint, ScriptBuf, Txid, WPubkeyHash};

    fn multisig_2_of_3() -> ScriptBuf {
        let mut builder = Builder::new().push_opcode(OP_PUSHNUM_2);
        for byte in 2..5u8 {
            let mut key = [byte; 33];
            key[0] = 0x02;
            builder = builder.push_slice(key);
        }
        builder.push_opcode(OP_PUSHNUM_3).push_opcode(OP_CHECKMULTISIG).into_script()
    }

    #[test]
    fn counts_like_get_sig_op_count() {
        let ms = multisig_2_of_3();
        assert_eq!(script_sigops(&ms, true), 3);
        assert_eq!(script_sigops(&ms, false), 20);
        let tricky = Builder::new()
            .push_opcode(OP_PUSHNUM_2)
            .push_opcode(OP_CHECKSIG)
            .push_opcode(OP_CHECKMULTISIG)
            .push_opcode(OP_CHECKSIGVERIFY)
            .into_script();
        assert_eq!(script_sigops(&tricky, true), 22);
        // A truncated push ends the count.
        let truncated = ScriptBuf::from_bytes(vec![0xac, 0xac, 0x4c, 0x05, 0x01]);
        assert_eq!(script_sigops(&truncated, false), 2);
    }

    #[test]
    fn last_push_needs_push_only() {
        let script = Builder::new().push_slice([1, 2, 3]).push_opcode(OP_PUSHNUM_2).into_script();
        assert_eq!(last_push_of_push_only(&script), Some(&[][..]));
        let script = Builder::new().push_opcode(OP_PUSHNUM_2).push_slice([1, 2, 3]).into_script();
        assert_eq!(last_push_of_push_only(&script), Some(&[1, 2, 3][..]));
        let script = Builder::new().push_slice([1]).push_opcode(OP_RETURN).into_script();
        assert_eq!(last_push_of_push_only(&script), None);
        assert_eq!(last_push_of_push_only(Script::from_bytes(&[0x4c])), None);
    }

    fn push(script: &Script) -> &PushBytes {
        <&PushBytes>::try_from(script.as_bytes()).expect("short script")
    }

    fn outpoint(vout: u32) -> OutPoint {
        OutPoint { txid: Txid::from_byte_array([3; 32]), vout }
    }

    #[test]
    fn transaction_cost_weighs_each_kind() {
        let redeem = multisig_2_of_3();
        let p2sh = TxOut { value: Amount::from_sat(1), script_pubkey: redeem.to_p2sh() };
        let p2wsh = TxOut { value: Amount::from_sat(1), script_pubkey: redeem.to_p2wsh() };
        let p2wpkh =
            TxOut { value: Amount::from_sat(1), script_pubkey: ScriptBuf::new_p2wpkh(&WPubkeyHash::all_zeros()) };
        let nested_wpkh_program = p2wpkh.script_pubkey.clone();
        let nested = TxOut { value: Amount::from_sat(1), script_pubkey: nested_wpkh_program.to_p2sh() };

        let mut tx = spend(&[outpoint(0), outpoint(1), outpoint(2), outpoint(3)], &[txout(1)]);
        tx.output[0].script_pubkey = Builder::new().push_opcode(OP_CHECKSIG).into_script();
        tx.input[0].script_sig = Builder::new().push_slice([0u8; 0]).push_slice(push(&redeem)).into_script();
        tx.input[1].witness = Witness::from_slice(&[vec![], redeem.to_bytes()]);
        tx.input[3].script_sig = Builder::new().push_slice(push(&nested_wpkh_program)).into_script();
        let spent = [p2sh, p2wsh, p2wpkh, nested];

        assert_eq!(legacy_sigop_count(&tx), 1);
        assert_eq!(p2sh_sigop_count(&tx, &spent), 3);
        let all = ScriptFlags::P2SH | ScriptFlags::WITNESS;
        // 1 legacy * 4 + 3 p2sh * 4 + 3 p2wsh + 1 p2wpkh + 1 nested p2wpkh.
        assert_eq!(transaction_sigop_cost(&tx, &spent, all), 4 + 12 + 3 + 1 + 1);
        assert_eq!(transaction_sigop_cost(&tx, &spent, ScriptFlags::P2SH), 16);
        assert_eq!(transaction_sigop_cost(&tx, &spent, ScriptFlags::NONE), 4);
    }

    #[test]
    fn coinbase_counts_legacy_only() {
        let mut tx = spend(&[OutPoint::null()], &[txout(1)]);
        tx.input[0].script_sig = Builder::new().push_opcode(OP_CHECKSIG).push_opcode(OP_CHECKMULTISIG).into_script();
        assert_eq!(transaction_sigop_cost(&tx, &[], ScriptFlags::P2SH | ScriptFlags::WITNESS), 21 * 4);
        assert_eq!(p2sh_sigop_count(&tx, &[]), 0);
    }
}
