//! Which transactions are "standard": relayed and mined by default although
//! consensus would allow more (the reference's `policy/policy.cpp`).

use bitcoin::{Amount, Script, Transaction, TxOut};
use hashvive_consensus::sigops::{p2sh_aware_sigops, script_sigops};

use crate::constants::*;
use crate::feerate::FeeRate;
use crate::solver::{classify, is_pay_to_anchor, is_unspendable, solver, TxoutType};

/// The reference's `-permitbaremultisig`, `-datacarrier`, `-datacarriersize`,
/// `-dustrelayfee`, `-bytespersigop`, `-minrelaytxfee` and `-incrementalrelayfee`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyOptions {
    pub permit_bare_multisig: bool,
    /// Whether `OP_RETURN` outputs are relayed at all.
    pub datacarrier: bool,
    /// The most bytes of `OP_RETURN` output scripts, summed over a
    /// transaction's outputs; `None` allows none (the reference's unset option).
    pub max_datacarrier_bytes: Option<u32>,
    pub dust_relay_fee: FeeRate,
    pub bytes_per_sigop: u32,
    pub min_relay_fee: FeeRate,
    pub incremental_relay_fee: FeeRate,
}

impl Default for PolicyOptions {
    fn default() -> PolicyOptions {
        PolicyOptions {
            permit_bare_multisig: DEFAULT_PERMIT_BAREMULTISIG,
            datacarrier: DEFAULT_ACCEPT_DATACARRIER,
            max_datacarrier_bytes: Some(MAX_OP_RETURN_RELAY),
            dust_relay_fee: FeeRate::from_sat_per_kvb(DUST_RELAY_TX_FEE),
            bytes_per_sigop: DEFAULT_BYTES_PER_SIGOP,
            min_relay_fee: FeeRate::from_sat_per_kvb(DEFAULT_MIN_RELAY_TX_FEE),
            incremental_relay_fee: FeeRate::from_sat_per_kvb(DEFAULT_INCREMENTAL_RELAY_FEE),
        }
    }
}

impl PolicyOptions {
    /// The data carrier budget in effect: none when `-datacarrier=0`.
    fn datacarrier_budget(&self) -> u32 {
        if self.datacarrier {
            self.max_datacarrier_bytes.unwrap_or(0)
        } else {
            0
        }
    }
}

/// The value below which `txout` is not worth spending at `dust_relay_fee`:
/// the fee for the output plus a minimal input spending it (the reference's
/// `GetDustThreshold`). Unspendable outputs have no threshold.
pub fn dust_threshold(txout: &TxOut, dust_relay_fee: FeeRate) -> Amount {
    if is_unspendable(&txout.script_pubkey) {
        return Amount::ZERO;
    }
    // A minimal spending input: outpoint (36), script length (1), sequence (4),
    // and a signature with key (107) — a quarter of it when it is witness data.
    let input = if txout.script_pubkey.is_witness_program() { 32 + 4 + 1 + 107 / 4 + 4 } else { 32 + 4 + 1 + 107 + 4 };
    dust_relay_fee.fee(txout.size() as u64 + input)
}

pub fn is_dust(txout: &TxOut, dust_relay_fee: FeeRate) -> bool {
    txout.value < dust_threshold(txout, dust_relay_fee)
}

/// Indices of the dust outputs (the reference's `GetDust`); the mempool also
/// needs them for its ephemeral dust rule.
pub fn dust_outputs(tx: &Transaction, dust_relay_fee: FeeRate) -> Vec<usize> {
    tx.output.iter().enumerate().filter(|(_, out)| is_dust(out, dust_relay_fee)).map(|(index, _)| index).collect()
}

/// An output script's type if it is standard (the reference's `IsStandard`):
/// known, and for bare multisig at most 3 keys.
fn standard_output_type(script: &Script) -> Option<TxoutType> {
    let (kind, solutions) = solver(script);
    match kind {
        TxoutType::NonStandard => None,
        TxoutType::Multisig => {
            let required = solutions.first()?.first().copied()?;
            let keys = solutions.last()?.first().copied()?;
            ((1..=3).contains(&keys) && (1..=keys).contains(&required)).then_some(kind)
        }
        _ => Some(kind),
    }
}

/// The reference's `IsStandardTx`: `Err` holds its reject reason.
pub fn is_standard_tx(tx: &Transaction, opts: &PolicyOptions) -> Result<(), &'static str> {
    if !(TX_MIN_STANDARD_VERSION..=TX_MAX_STANDARD_VERSION).contains(&tx.version.0) {
        return Err("version");
    }
    // Signature hashing costs O(inputs * size): capping the size caps the CPU an attacker can cost.
    if tx.weight().to_wu() > MAX_STANDARD_TX_WEIGHT {
        return Err("tx-size");
    }
    for input in &tx.input {
        // Room for a 15-of-15 P2SH multisig spend, the largest key-only form.
        if input.script_sig.len() > MAX_STANDARD_SCRIPTSIG_SIZE {
            return Err("scriptsig-size");
        }
        if !input.script_sig.is_push_only() {
            return Err("scriptsig-not-pushonly");
        }
    }

    let mut datacarrier_left = opts.datacarrier_budget();
    for output in &tx.output {
        match standard_output_type(&output.script_pubkey) {
            None => return Err("scriptpubkey"),
            Some(TxoutType::NullData) => {
                let size = u32::try_from(output.script_pubkey.len()).unwrap_or(u32::MAX);
                datacarrier_left = datacarrier_left.checked_sub(size).ok_or("datacarrier")?;
            }
            Some(TxoutType::Multisig) if !opts.permit_bare_multisig => return Err("bare-multisig"),
            Some(_) => {}
        }
    }

    // One dust output is allowed: ephemeral dust, which the mempool only
    // accepts in a zero-fee transaction.
    if dust_outputs(tx, opts.dust_relay_fee).len() > MAX_DUST_OUTPUTS_PER_TX {
        return Err("dust");
    }
    Ok(())
}

/// The stack a push-only script leaves (the reference's `EvalScript` with no
/// flags, for the scripts `is_standard_tx` lets through). `None` where
/// evaluation fails, and for scripts that are not push-only, which the
/// reference would run in full but never reach here in a standard transaction.
fn push_only_stack(script: &Script) -> Option<Vec<Vec<u8>>> {
    use bitcoin::opcodes::all::{OP_PUSHNUM_1, OP_PUSHNUM_16, OP_PUSHNUM_NEG1};
    use bitcoin::script::Instruction;

    if script.len() > crate::solver::MAX_SCRIPT_SIZE {
        return None;
    }
    let mut stack = Vec::new();
    for instruction in script.instructions() {
        let item = match instruction.ok()? {
            Instruction::PushBytes(data) if data.len() <= MAX_SCRIPT_ELEMENT_SIZE => data.as_bytes().to_vec(),
            Instruction::Op(op) if op == OP_PUSHNUM_NEG1 => vec![0x81],
            Instruction::Op(op) if (OP_PUSHNUM_1.to_u8()..=OP_PUSHNUM_16.to_u8()).contains(&op.to_u8()) => {
                vec![op.to_u8() - OP_PUSHNUM_1.to_u8() + 1]
            }
            _ => return None,
        };
        stack.push(item);
        if stack.len() > MAX_STACK_SIZE {
            return None;
        }
    }
    Some(stack)
}

/// The reference's `AreInputsStandard` (with the debug messages its newer
/// `ValidateInputsStandardness` gives): the caller rejects with
/// `bad-txns-nonstandard-inputs` and this detail. `spent[i]` is the output
/// spent by input `i`.
pub fn are_inputs_standard(tx: &Transaction, spent: &[TxOut]) -> Result<(), String> {
    if tx.is_coinbase() {
        return Ok(());
    }
    if spent.len() != tx.input.len() {
        return Err("inputs missing".to_owned());
    }

    // BIP54: legacy sigops that spending may execute, the spent scripts' included.
    let mut legacy_sigops = 0u32;
    for (input, prev) in tx.input.iter().zip(spent) {
        legacy_sigops = legacy_sigops
            .saturating_add(script_sigops(&input.script_sig, true))
            .saturating_add(p2sh_aware_sigops(&prev.script_pubkey, &input.script_sig));
        if legacy_sigops > MAX_TX_LEGACY_SIGOPS {
            return Err("non-witness sigops exceed bip54 limit".to_owned());
        }
    }

    for (index, (input, prev)) in tx.input.iter().zip(spent).enumerate() {
        match classify(&prev.script_pubkey) {
            TxoutType::NonStandard => return Err(format!("input {index} script unknown")),
            // Unknown witness versions are kept free as upgrade hooks.
            TxoutType::WitnessUnknown => return Err(format!("input {index} witness program is undefined")),
            TxoutType::ScriptHash => {
                let stack = push_only_stack(&input.script_sig)
                    .ok_or_else(|| format!("input {index} P2SH redeemscript evaluation failed"))?;
                let redeem = stack.last().ok_or_else(|| format!("input {index} P2SH redeemscript missing"))?;
                let sigops = script_sigops(Script::from_bytes(redeem), true);
                if sigops > MAX_P2SH_SIGOPS {
                    return Err(format!(
                        "p2sh redeemscript sigops exceed limit (input {index}: {sigops} > {MAX_P2SH_SIGOPS})"
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The reference's `IsWitnessStandard`: the caller rejects with
/// `bad-witness-nonstandard`. The reference gives no detail; the `Err` text
/// here says which limit was hit.
pub fn is_witness_standard(tx: &Transaction, spent: &[TxOut]) -> Result<(), &'static str> {
    if tx.is_coinbase() {
        return Ok(());
    }
    if spent.len() != tx.input.len() {
        return Err("inputs missing");
    }
    for (input, prev) in tx.input.iter().zip(spent) {
        // An empty witness cannot be bloated; if one was needed, validation fails later.
        if input.witness.is_empty() {
            continue;
        }
        if is_pay_to_anchor(&prev.script_pubkey) {
            return Err("witness stuffing on an anchor spend");
        }

        // For P2SH the redeem script is read off the scriptSig without checking
        // its hash: validation will catch a wrong one.
        let redeem;
        let mut program_script: &Script = &prev.script_pubkey;
        let p2sh = program_script.is_p2sh();
        if p2sh {
            let stack = push_only_stack(&input.script_sig).ok_or("P2SH scriptSig evaluation failed")?;
            redeem = stack.into_iter().next_back().ok_or("P2SH scriptSig pushes nothing")?;
            program_script = Script::from_bytes(&redeem);
        }

        let Some(version) = program_script.witness_version() else {
            return Err("witness on a non-witness input");
        };
        let program_len = program_script.len() - 2;
        let items: Vec<&[u8]> = input.witness.iter().collect();

        if version == bitcoin::WitnessVersion::V0 && program_len == 32 {
            // `items` is not empty: empty witnesses were skipped above.
            let (script, stack) = items.split_last().ok_or("empty witness")?;
            if script.len() > MAX_STANDARD_P2WSH_SCRIPT_SIZE {
                return Err("P2WSH script too large");
            }
            if stack.len() > MAX_STANDARD_P2WSH_STACK_ITEMS {
                return Err("P2WSH too many stack items");
            }
            if stack.iter().any(|item| item.len() > MAX_STANDARD_P2WSH_STACK_ITEM_SIZE) {
                return Err("P2WSH stack item too large");
            }
        }

        if version == bitcoin::WitnessVersion::V1 && program_len == 32 && !p2sh {
            // Annexes have no defined meaning yet, so they are not relayed.
            if items.len() >= 2 && items.last().and_then(|item| item.first()) == Some(&TAPROOT_ANNEX_TAG) {
                return Err("taproot annex");
            }
            if let [stack @ .., _script, control_block] = items.as_slice() {
                let leaf_version = control_block.first().ok_or("taproot empty control block")?;
                if leaf_version & TAPROOT_LEAF_MASK == TAPROOT_LEAF_TAPSCRIPT
                    && stack.iter().any(|item| item.len() > MAX_STANDARD_TAPSCRIPT_STACK_ITEM_SIZE)
                {
                    return Err("tapscript stack item too large");
                }
            }
        }
    }
    Ok(())
}

/// Virtual size: weight, or the sigop cost priced at `bytes_per_sigop` if
/// that is more, in virtual bytes rounded up (the reference's
/// `GetVirtualTransactionSize`).
pub fn virtual_size(weight: u64, sigop_cost: u64, bytes_per_sigop: u32) -> u64 {
    let adjusted = weight.max(sigop_cost.saturating_mul(u64::from(bytes_per_sigop)));
    adjusted.div_ceil(hashvive_consensus::sigops::WITNESS_SCALE_FACTOR)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::opcodes::all::{OP_CHECKMULTISIG, OP_CHECKSIG, OP_RETURN};
    use bitcoin::script::{Builder, PushBytes};
    use bitcoin::transaction::Version;
    use bitcoin::{OutPoint, ScriptBuf, Sequence, TxIn, Txid, WPubkeyHash, WScriptHash, Witness};

    fn p2wpkh(sats: u64) -> TxOut {
        TxOut { value: Amount::from_sat(sats), script_pubkey: ScriptBuf::new_p2wpkh(&WPubkeyHash::all_zeros()) }
    }

    fn tx(inputs: usize, outputs: Vec<TxOut>) -> Transaction {
        let input = (0..inputs)
            .map(|i| TxIn {
                previous_output: OutPoint { txid: Txid::from_byte_array([1; 32]), vout: i as u32 },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect();
        Transaction { version: Version::TWO, lock_time: LockTime::ZERO, input, output: outputs }
    }

    fn push(data: &[u8]) -> &PushBytes {
        <&PushBytes>::try_from(data).expect("short push")
    }

    fn op_return(data_len: usize) -> TxOut {
        TxOut {
            value: Amount::ZERO,
            script_pubkey: Builder::new().push_opcode(OP_RETURN).push_slice(push(&vec![0; data_len])).into_script(),
        }
    }

    fn bare_multisig(m: i64, n: usize) -> TxOut {
        let mut builder = Builder::new().push_int(m);
        for _ in 0..n {
            let mut key = [0x11; 33];
            key[0] = 0x02;
            builder = builder.push_slice(key);
        }
        TxOut {
            value: Amount::from_sat(10_000),
            script_pubkey: builder.push_int(n as i64).push_opcode(OP_CHECKMULTISIG).into_script(),
        }
    }

    #[test]
    fn standard_transaction_passes() {
        let opts = PolicyOptions::default();
        assert_eq!(is_standard_tx(&tx(1, vec![p2wpkh(1000), op_return(80), bare_multisig(1, 3)]), &opts), Ok(()));
        assert_eq!(opts.dust_relay_fee, FeeRate::from_sat_per_kvb(3000));
    }

    #[test]
    fn each_is_standard_tx_reason() {
        let opts = PolicyOptions::default();

        let mut version = tx(1, vec![p2wpkh(1000)]);
        version.version = Version(4);
        assert_eq!(is_standard_tx(&version, &opts), Err("version"));
        version.version = Version(0);
        assert_eq!(is_standard_tx(&version, &opts), Err("version"));
        version.version = Version(3);
        assert_eq!(is_standard_tx(&version, &opts), Ok(()));

        let mut big = tx(1, vec![p2wpkh(1000)]);
        big.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x51; 100_000]);
        assert_eq!(is_standard_tx(&big, &opts), Err("tx-size"));

        let mut sig_size = tx(1, vec![p2wpkh(1000)]);
        sig_size.input[0].script_sig = ScriptBuf::from_bytes([&[0x4d, 0x73, 0x06][..], &[0; 1651]].concat());
        assert_eq!(is_standard_tx(&sig_size, &opts), Err("scriptsig-size"));

        let mut not_push = tx(1, vec![p2wpkh(1000)]);
        not_push.input[0].script_sig = Builder::new().push_opcode(OP_CHECKSIG).into_script();
        assert_eq!(is_standard_tx(&not_push, &opts), Err("scriptsig-not-pushonly"));

        let mut script = tx(1, vec![p2wpkh(1000)]);
        script.output[0].script_pubkey = Builder::new().push_opcode(OP_CHECKSIG).into_script();
        assert_eq!(is_standard_tx(&script, &opts), Err("scriptpubkey"));
        assert_eq!(is_standard_tx(&tx(1, vec![bare_multisig(1, 4)]), &opts), Err("scriptpubkey"));
        assert_eq!(is_standard_tx(&tx(1, vec![bare_multisig(2, 1)]), &opts), Err("scriptpubkey"));

        let no_bare = PolicyOptions { permit_bare_multisig: false, ..opts };
        assert_eq!(is_standard_tx(&tx(1, vec![bare_multisig(1, 3)]), &no_bare), Err("bare-multisig"));

        let two_dust = tx(1, vec![p2wpkh(293), p2wpkh(0)]);
        assert_eq!(is_standard_tx(&two_dust, &opts), Err("dust"));
        assert_eq!(is_standard_tx(&tx(1, vec![p2wpkh(293), p2wpkh(294)]), &opts), Ok(()));
    }

    #[test]
    fn datacarrier_budget_spans_all_outputs() {
        let opts = PolicyOptions::default();
        // Several OP_RETURN outputs are standard as long as their scripts fit together.
        assert_eq!(is_standard_tx(&tx(1, vec![op_return(80), op_return(80), p2wpkh(1000)]), &opts), Ok(()));
        let tight = PolicyOptions { max_datacarrier_bytes: Some(83 + 83), ..opts };
        assert_eq!(is_standard_tx(&tx(1, vec![op_return(80), op_return(80)]), &tight), Ok(()));
        assert_eq!(is_standard_tx(&tx(1, vec![op_return(80), op_return(81)]), &tight), Err("datacarrier"));
        let off = PolicyOptions { datacarrier: false, ..opts };
        assert_eq!(is_standard_tx(&tx(1, vec![op_return(0)]), &off), Err("datacarrier"));
        let unset = PolicyOptions { max_datacarrier_bytes: None, ..opts };
        assert_eq!(is_standard_tx(&tx(1, vec![op_return(0)]), &unset), Err("datacarrier"));
    }

    #[test]
    fn dust_thresholds_match_the_reference() {
        let rate = FeeRate::from_sat_per_kvb(DUST_RELAY_TX_FEE);
        let p2pkh =
            TxOut { value: Amount::ZERO, script_pubkey: ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::all_zeros()) };
        assert_eq!(dust_threshold(&p2pkh, rate), Amount::from_sat(546));
        assert_eq!(dust_threshold(&p2wpkh(0), rate), Amount::from_sat(294));
        let p2wsh = TxOut { value: Amount::ZERO, script_pubkey: ScriptBuf::new_p2wsh(&WScriptHash::all_zeros()) };
        assert_eq!(dust_threshold(&p2wsh, rate), Amount::from_sat(330));
        let anchor = TxOut { value: Amount::ZERO, script_pubkey: ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]) };
        assert_eq!(dust_threshold(&anchor, rate), Amount::from_sat(240));
        assert_eq!(dust_threshold(&op_return(10), rate), Amount::ZERO);
        assert!(is_dust(&p2wpkh(293), rate) && !is_dust(&p2wpkh(294), rate));
        assert_eq!(dust_outputs(&tx(1, vec![p2wpkh(294), p2wpkh(1)]), rate), vec![1]);
    }

    fn p2sh_of(redeem: &ScriptBuf) -> TxOut {
        TxOut { value: Amount::from_sat(10_000), script_pubkey: redeem.to_p2sh() }
    }

    #[test]
    fn input_standardness() {
        let mut spending = tx(2, vec![p2wpkh(1000)]);
        let redeem = bare_multisig(2, 3).script_pubkey;
        spending.input[1].script_sig = Builder::new().push_int(0).push_slice(push(redeem.as_bytes())).into_script();
        assert_eq!(are_inputs_standard(&spending, &[p2wpkh(1), p2sh_of(&redeem)]), Ok(()));

        let nonstandard =
            TxOut { value: Amount::ONE_SAT, script_pubkey: Builder::new().push_opcode(OP_CHECKSIG).into_script() };
        assert_eq!(are_inputs_standard(&spending, &[nonstandard, p2wpkh(1)]), Err("input 0 script unknown".to_owned()));

        let unknown = TxOut { value: Amount::ONE_SAT, script_pubkey: ScriptBuf::from_bytes(vec![0x52, 0x02, 0, 0]) };
        assert_eq!(
            are_inputs_standard(&spending, &[p2wpkh(1), unknown]),
            Err("input 1 witness program is undefined".to_owned())
        );

        // 16 CHECKSIGs in the redeem script: one over the P2SH limit.
        let heavy = ScriptBuf::from_bytes(vec![OP_CHECKSIG.to_u8(); 16]);
        let mut heavy_spend = tx(1, vec![p2wpkh(1000)]);
        heavy_spend.input[0].script_sig = Builder::new().push_slice(push(heavy.as_bytes())).into_script();
        assert_eq!(
            are_inputs_standard(&heavy_spend, &[p2sh_of(&heavy)]),
            Err("p2sh redeemscript sigops exceed limit (input 0: 16 > 15)".to_owned())
        );
        heavy_spend.input[0].script_sig = ScriptBuf::new();
        assert_eq!(
            are_inputs_standard(&heavy_spend, &[p2sh_of(&heavy)]),
            Err("input 0 P2SH redeemscript missing".to_owned())
        );
        heavy_spend.input[0].script_sig = ScriptBuf::from_bytes(vec![0x50]);
        assert_eq!(
            are_inputs_standard(&heavy_spend, &[p2sh_of(&heavy)]),
            Err("input 0 P2SH redeemscript evaluation failed".to_owned())
        );
        assert_eq!(are_inputs_standard(&heavy_spend, &[]), Err("inputs missing".to_owned()));
    }

    #[test]
    fn bip54_legacy_sigop_limit() {
        // 167 inputs each spending a P2SH script with 15 sigops: 2505 in all.
        let redeem = ScriptBuf::from_bytes(vec![OP_CHECKSIG.to_u8(); 15]);
        let mut spending = tx(167, vec![p2wpkh(1000)]);
        for input in &mut spending.input {
            input.script_sig = Builder::new().push_slice(push(redeem.as_bytes())).into_script();
        }
        let spent = vec![p2sh_of(&redeem); 167];
        assert_eq!(are_inputs_standard(&spending, &spent), Err("non-witness sigops exceed bip54 limit".to_owned()));
        spending.input.pop();
        assert_eq!(are_inputs_standard(&spending, &spent[..166]), Ok(()));
    }

    #[test]
    fn witness_standardness() {
        let p2wsh_script = ScriptBuf::from_bytes(vec![0x51]);
        let p2wsh = TxOut { value: Amount::from_sat(1000), script_pubkey: p2wsh_script.to_p2wsh() };
        let with_witness = |items: Vec<Vec<u8>>| {
            let mut spending = tx(1, vec![p2wpkh(1000)]);
            spending.input[0].witness = Witness::from_slice(&items);
            spending
        };
        let ok = with_witness(vec![vec![0; 80], p2wsh_script.to_bytes()]);
        assert_eq!(is_witness_standard(&ok, std::slice::from_ref(&p2wsh)), Ok(()));
        assert_eq!(is_witness_standard(&tx(1, vec![]), std::slice::from_ref(&p2wsh)), Ok(()));

        let item = with_witness(vec![vec![0; 81], p2wsh_script.to_bytes()]);
        assert_eq!(is_witness_standard(&item, std::slice::from_ref(&p2wsh)), Err("P2WSH stack item too large"));
        let many = with_witness([vec![vec![]; 101], vec![p2wsh_script.to_bytes()]].concat());
        assert_eq!(is_witness_standard(&many, std::slice::from_ref(&p2wsh)), Err("P2WSH too many stack items"));
        let big = with_witness(vec![vec![0x51; 3601]]);
        assert_eq!(is_witness_standard(&big, std::slice::from_ref(&p2wsh)), Err("P2WSH script too large"));

        let legacy = TxOut {
            value: Amount::from_sat(1000),
            script_pubkey: ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::all_zeros()),
        };
        assert_eq!(is_witness_standard(&ok, &[legacy]), Err("witness on a non-witness input"));
        let anchor = TxOut { value: Amount::ZERO, script_pubkey: ScriptBuf::from_bytes(vec![0x51, 0x02, 0x4e, 0x73]) };
        assert_eq!(is_witness_standard(&ok, &[anchor]), Err("witness stuffing on an anchor spend"));

        // P2SH-wrapped P2WSH: the limits apply to the wrapped program.
        let wrapped = p2wsh.script_pubkey.clone();
        let p2sh = p2sh_of(&wrapped);
        let mut nested = item.clone();
        nested.input[0].script_sig = Builder::new().push_slice(push(wrapped.as_bytes())).into_script();
        assert_eq!(is_witness_standard(&nested, std::slice::from_ref(&p2sh)), Err("P2WSH stack item too large"));
        nested.input[0].script_sig = ScriptBuf::new();
        assert_eq!(is_witness_standard(&nested, std::slice::from_ref(&p2sh)), Err("P2SH scriptSig pushes nothing"));
        assert_eq!(is_witness_standard(&nested, &[]), Err("inputs missing"));
    }

    #[test]
    fn taproot_witness_standardness() {
        let taproot = TxOut {
            value: Amount::from_sat(1000),
            script_pubkey: ScriptBuf::from_bytes([&[0x51, 0x20][..], &[9; 32]].concat()),
        };
        let with_witness = |items: Vec<Vec<u8>>| {
            let mut spending = tx(1, vec![p2wpkh(1000)]);
            spending.input[0].witness = Witness::from_slice(&items);
            spending
        };
        let check = |items: Vec<Vec<u8>>| is_witness_standard(&with_witness(items), std::slice::from_ref(&taproot));
        assert_eq!(check(vec![vec![0; 64]]), Ok(()));
        assert_eq!(check(vec![vec![0; 64], vec![0x50, 1]]), Err("taproot annex"));
        assert_eq!(check(vec![vec![0; 80], vec![0x51], vec![0xc0; 33]]), Ok(()));
        assert_eq!(check(vec![vec![0; 81], vec![0x51], vec![0xc0; 33]]), Err("tapscript stack item too large"));
        // Other leaf versions are not limited.
        assert_eq!(check(vec![vec![0; 81], vec![0x51], vec![0xc2; 33]]), Ok(()));
        assert_eq!(check(vec![vec![0x51], vec![]]), Err("taproot empty control block"));
    }

    #[test]
    fn virtual_size_with_sigops() {
        assert_eq!(virtual_size(401, 0, DEFAULT_BYTES_PER_SIGOP), 101);
        assert_eq!(virtual_size(400, 80, DEFAULT_BYTES_PER_SIGOP), 400);
        assert_eq!(virtual_size(0, u64::MAX, u32::MAX), u64::MAX / 4 + 1);
    }
}
