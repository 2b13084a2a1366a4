//! PSBTs as the reference's RPCs handle them: the base64 text with the
//! reference's decoding errors, and the signer and finalizer roles on top of
//! [`crate::sign`] (the reference's `SignPSBTInput` and `FinalizePSBT`).
//!
//! rust-bitcoin parses and serializes PSBTs; what is added here is the
//! reference's checks after parsing and its way of completing inputs.

use base64::Engine as _;
use bitcoin::hashes::{hash160, Hash};
use bitcoin::psbt::Psbt;
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::{Transaction, TxOut};

use hashvive_rpc::{codes, RpcError};

use crate::sign::{self, KnownData, SigningProvider};

fn decode_failed(reason: &str) -> RpcError {
    RpcError::new(codes::RPC_DESERIALIZATION_ERROR, format!("TX decode failed {reason}"))
}

/// The reference's words for rust-bitcoin's parse errors, where they differ.
fn reason(e: &bitcoin::psbt::Error) -> String {
    use bitcoin::psbt::Error as E;
    match e {
        E::InvalidMagic | E::InvalidSeparator => "Invalid PSBT magic bytes".into(),
        E::UnsignedTxHasScriptSigs | E::UnsignedTxHasScriptWitnesses => {
            "Unsigned tx does not have empty scriptSigs and scriptWitnesses.".into()
        }
        E::MustHaveUnsignedTx => "No unsigned transaction was provided".into(),
        E::PartialDataConsumption => "extra data after PSBT".into(),
        other => other.to_string(),
    }
}

/// The reference's `DecodeBase64PSBT`, as an RPC error `-22` on failure.
pub fn decode_psbt(text: &str) -> Result<Psbt, RpcError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| decode_failed("invalid base64"))?;
    let mut reader = bytes.as_slice();
    let psbt = Psbt::deserialize_from_reader(&mut reader).map_err(|e| decode_failed(&reason(&e)))?;
    if !reader.is_empty() {
        return Err(decode_failed("extra data after PSBT"));
    }
    // The reference refuses a previous transaction that is not the one spent.
    for (txin, input) in psbt.unsigned_tx.input.iter().zip(&psbt.inputs) {
        if let Some(prev) = &input.non_witness_utxo {
            if prev.compute_txid() != txin.previous_output.txid {
                return Err(decode_failed("Non-witness UTXO does not match outpoint hash"));
            }
            if txin.previous_output.vout as usize >= prev.output.len() {
                return Err(decode_failed("Input specifies output index that does not exist"));
            }
        }
    }
    Ok(psbt)
}

pub fn encode_psbt(psbt: &Psbt) -> String {
    base64::engine::general_purpose::STANDARD.encode(psbt.serialize())
}

/// A PSBT with empty maps for a transaction (`createpsbt`, `converttopsbt`).
pub fn blank_psbt(tx: Transaction) -> Psbt {
    let inputs = vec![Default::default(); tx.input.len()];
    let outputs = vec![Default::default(); tx.output.len()];
    Psbt {
        unsigned_tx: tx,
        version: 0,
        xpub: Default::default(),
        proprietary: Default::default(),
        unknown: Default::default(),
        inputs,
        outputs,
    }
}

/// The output an input spends, from its non-witness or witness UTXO
/// (`GetInputUTXO`).
pub fn input_utxo(psbt: &Psbt, index: usize) -> Option<TxOut> {
    let input = psbt.inputs.get(index)?;
    let prevout = psbt.unsigned_tx.input.get(index)?.previous_output;
    match &input.non_witness_utxo {
        Some(prev) => prev.output.get(prevout.vout as usize).cloned(),
        None => input.witness_utxo.clone(),
    }
}

/// A PSBT input's partial signatures, ordered as the reference orders them
/// (by the key's hash160).
pub fn partial_sigs(input: &bitcoin::psbt::Input) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut sigs: Vec<(Vec<u8>, Vec<u8>)> =
        input.partial_sigs.iter().map(|(k, s)| (k.to_bytes(), s.to_vec())).collect();
    sigs.sort_by_key(|(k, _)| hash160::Hash::hash(k).to_byte_array());
    sigs
}

/// A PSBT input's signatures and scripts as signing input data.
fn known_data(input: &bitcoin::psbt::Input) -> KnownData {
    KnownData {
        sigs: partial_sigs(input).into_iter().collect(),
        scripts: input.redeem_script.iter().chain(&input.witness_script).map(|s| s.to_bytes()).collect(),
    }
}

/// Whether an input has final scripts that satisfy its UTXO
/// (`PSBTInputSignedAndVerified`).
pub fn input_final_and_verified(psbt: &Psbt, index: usize, secp: &Secp256k1<All>) -> bool {
    let input = &psbt.inputs[index];
    if input.final_script_sig.is_none() && input.final_script_witness.is_none() {
        return false;
    }
    let Some(utxo) = input_utxo(psbt, index) else { return false };
    let mut tx = psbt.unsigned_tx.clone();
    tx.input[index].script_sig = input.final_script_sig.clone().unwrap_or_default();
    tx.input[index].witness = input.final_script_witness.clone().unwrap_or_default();
    sign::input_verified(&tx, index, &utxo, secp)
}

/// What signing one input found.
pub struct InputStatus {
    pub complete: bool,
    pub missing: sign::Missing,
}

/// A sighash type given for signing that differs from the one an input
/// asks for (the reference's `PSBTError::SIGHASH_MISMATCH`).
#[derive(Debug)]
pub struct SighashMismatch;

impl From<SighashMismatch> for RpcError {
    fn from(_: SighashMismatch) -> RpcError {
        RpcError::new(codes::RPC_DESERIALIZATION_ERROR, "Specified sighash value does not match value stored in PSBT")
    }
}

/// The reference's `SignPSBTInput`: signs input `index` with the keys of
/// `provider` (with none, only completes it from its partial signatures),
/// keeping new signatures in the input, and when they suffice and
/// `finalize`, writes the final scripts (dropping what they make
/// unnecessary). `sighash` is the type to sign with (ALL if `None`); an
/// input asking for another is refused. Without keys (only completing), an
/// input's own type stands.
pub fn sign_input(
    psbt: &mut Psbt,
    index: usize,
    provider: &SigningProvider,
    sighash: Option<u32>,
    finalize: bool,
    secp: &Secp256k1<All>,
) -> Result<InputStatus, SighashMismatch> {
    if input_utxo(psbt, index).is_some_and(|u| u.script_pubkey.is_p2tr()) {
        return Ok(taproot_key_spend(psbt, index, finalize));
    }
    if input_final_and_verified(psbt, index, secp) {
        return Ok(InputStatus { complete: true, missing: Default::default() });
    }
    let own = psbt.inputs[index].sighash_type.map(|t| t.to_u32());
    let hash_type = match (provider.has_keys(), own, sighash) {
        // Completing signatures made already: whatever type they were made with.
        (false, Some(own), None) => own,
        // Signing: the type asked for, ALL unless told; an input asking for
        // another (NONE, SINGLE, ANYONECANPAY) could get a signature that
        // leaves outputs free to change, so it is refused, as the reference
        // refuses it.
        (_, own, asked) => {
            let asked = match asked {
                None | Some(sign::SIGHASH_DEFAULT) => 1,
                Some(t) => t,
            };
            if own.is_some_and(|own| own != asked) {
                return Err(SighashMismatch);
            }
            asked
        }
    };
    let Some(utxo) = input_utxo(psbt, index) else {
        return Ok(InputStatus { complete: false, missing: Default::default() });
    };
    let known = known_data(&psbt.inputs[index]);
    let tx = psbt.unsigned_tx.clone();
    let (signed, sigs) = sign::sign_with_data(&tx, index, &utxo, &known, provider, hash_type, secp);
    let input = &mut psbt.inputs[index];
    // A witness UTXO alone only proves the amount for segwit signatures: a
    // legacy signature over a claimed amount is not handed out (a peer
    // could lie about the amount, and so about the fee).
    let witness_only = input.non_witness_utxo.is_none();
    if witness_only && signed.witness.is_empty() {
        return Ok(InputStatus { complete: false, missing: signed.missing });
    }
    for (key, sig) in sigs {
        if let (Ok(key), Ok(sig)) = (bitcoin::PublicKey::from_slice(&key), bitcoin::ecdsa::Signature::from_slice(&sig))
        {
            input.partial_sigs.insert(key, sig);
        }
    }
    if signed.complete && finalize {
        input.partial_sigs.clear();
        input.bip32_derivation.clear();
        input.redeem_script = None;
        input.witness_script = None;
        input.final_script_sig = (!signed.script_sig.is_empty()).then_some(signed.script_sig);
        input.final_script_witness = (!signed.witness.is_empty()).then_some(signed.witness.clone());
        if !signed.witness.is_empty() {
            input.witness_utxo = Some(utxo);
        }
    }
    Ok(InputStatus { complete: signed.complete, missing: signed.missing })
}

/// A taproot input: complete once final, or once it holds a signature for
/// its key path (made by a wallet: the templates here do not sign taproot),
/// which `finalize` makes its witness.
fn taproot_key_spend(psbt: &mut Psbt, index: usize, finalize: bool) -> InputStatus {
    let input = &mut psbt.inputs[index];
    let complete = input.final_script_witness.is_some() || input.tap_key_sig.is_some();
    if let (true, None, Some(sig)) = (finalize, &input.final_script_witness, input.tap_key_sig) {
        input.final_script_witness = Some(bitcoin::Witness::from_slice(&[sig.to_vec()]));
        // What only signing needed goes, as BIP 174 asks of a finalizer.
        input.tap_key_sig = None;
        input.tap_script_sigs.clear();
        input.tap_scripts.clear();
        input.tap_key_origins.clear();
        input.tap_internal_key = None;
        input.tap_merkle_root = None;
        input.sighash_type = None;
    }
    InputStatus { complete, missing: Default::default() }
}

/// Completes input `index` from its partial signatures when they suffice.
pub fn finalize_input(psbt: &mut Psbt, index: usize, secp: &Secp256k1<All>) -> InputStatus {
    // With no sighash type asked for, there is nothing to disagree with.
    sign_input(psbt, index, &SigningProvider::default(), None, true, secp)
        .unwrap_or(InputStatus { complete: false, missing: Default::default() })
}

/// The reference's `FinalizePSBT`: whether every input is now final.
pub fn finalize(psbt: &mut Psbt, secp: &Secp256k1<All>) -> bool {
    // Every input is finalized, also after one that cannot be.
    let done: Vec<bool> = (0..psbt.inputs.len()).map(|i| finalize_input(psbt, i, secp).complete).collect();
    done.into_iter().all(|complete| complete)
}

/// The network transaction of a finalized PSBT.
pub fn extract(psbt: &Psbt) -> Transaction {
    let mut tx = psbt.unsigned_tx.clone();
    for (txin, input) in tx.input.iter_mut().zip(&psbt.inputs) {
        txin.script_sig = input.final_script_sig.clone().unwrap_or_default();
        txin.witness = input.final_script_witness.clone().unwrap_or_default();
    }
    tx
}

#[cfg(test)]
mod tests {
    use bitcoin::psbt::PsbtSighashType;
    use bitcoin::secp256k1::SecretKey;
    use bitcoin::{Amount, OutPoint, PrivateKey, ScriptBuf, Sequence, TxIn, Witness};

    use super::*;

    /// A PSBT spending a P2WPKH coin of `key` (witness UTXO only), and a
    /// provider holding the key.
    fn spending(key: &PrivateKey, secp: &Secp256k1<All>) -> (Psbt, SigningProvider) {
        let spk = ScriptBuf::new_p2wpkh(&key.public_key(secp).wpubkey_hash().unwrap());
        let tx = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut { value: Amount::from_sat(9_000), script_pubkey: spk.clone() }],
        };
        let mut psbt = blank_psbt(tx);
        psbt.inputs[0].witness_utxo = Some(TxOut { value: Amount::from_sat(10_000), script_pubkey: spk });
        let mut provider = SigningProvider::default();
        provider.add_key(key, secp);
        (psbt, provider)
    }

    #[test]
    fn an_input_asking_for_a_weaker_sighash_is_not_signed() {
        let secp = Secp256k1::new();
        let key = PrivateKey::new(SecretKey::from_slice(&[7; 32]).unwrap(), bitcoin::Network::Regtest);
        let (mut psbt, provider) = spending(&key, &secp);
        psbt.inputs[0].sighash_type = Some(PsbtSighashType::from_u32(2)); // NONE: outputs unsigned
        assert!(sign_input(&mut psbt, 0, &provider, None, true, &secp).is_err());
        assert!(sign_input(&mut psbt, 0, &provider, Some(1), true, &secp).is_err());
        assert!(psbt.inputs[0].partial_sigs.is_empty());
        // Asked for explicitly, NONE is what the caller wants.
        assert!(sign_input(&mut psbt, 0, &provider, Some(2), true, &secp).unwrap().complete);
        // An input without a type is signed with ALL.
        let (mut psbt, provider) = spending(&key, &secp);
        assert!(sign_input(&mut psbt, 0, &provider, None, true, &secp).unwrap().complete);
        let witness = psbt.inputs[0].final_script_witness.as_ref().unwrap();
        assert_eq!(witness.nth(0).unwrap().last(), Some(&1), "SIGHASH_ALL");
    }
}
