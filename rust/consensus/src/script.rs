//! Script verification flags, the flags each block is checked with, and script
//! verification itself through libbitcoinconsensus (the reference's own
//! interpreter, built from its sources by the `bitcoinconsensus` crate).

use std::fmt;
use std::ops::{BitOr, BitOrAssign};

use bitcoin::{BlockHash, TxOut};

use crate::params::{ChainParams, Deployment};

/// The consensus script verification flags. The bit values are the
/// reference's `SCRIPT_VERIFY_*` values, which libbitcoinconsensus takes as is.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ScriptFlags(u32);

impl ScriptFlags {
    pub const NONE: ScriptFlags = ScriptFlags(0);
    /// BIP16.
    pub const P2SH: ScriptFlags = ScriptFlags(bitcoinconsensus::VERIFY_P2SH);
    /// BIP66 strict DER signatures.
    pub const DERSIG: ScriptFlags = ScriptFlags(bitcoinconsensus::VERIFY_DERSIG);
    /// BIP147: the extra CHECKMULTISIG stack element must be empty.
    pub const NULLDUMMY: ScriptFlags = ScriptFlags(bitcoinconsensus::VERIFY_NULLDUMMY);
    /// BIP65.
    pub const CHECKLOCKTIMEVERIFY: ScriptFlags = ScriptFlags(bitcoinconsensus::VERIFY_CHECKLOCKTIMEVERIFY);
    /// BIP112.
    pub const CHECKSEQUENCEVERIFY: ScriptFlags = ScriptFlags(bitcoinconsensus::VERIFY_CHECKSEQUENCEVERIFY);
    /// BIP141/143.
    pub const WITNESS: ScriptFlags = ScriptFlags(bitcoinconsensus::VERIFY_WITNESS);
    /// BIP341/342.
    pub const TAPROOT: ScriptFlags = ScriptFlags(bitcoinconsensus::VERIFY_TAPROOT);

    const NAMES: [(ScriptFlags, &'static str); 7] = [
        (ScriptFlags::P2SH, "P2SH"),
        (ScriptFlags::DERSIG, "DERSIG"),
        (ScriptFlags::NULLDUMMY, "NULLDUMMY"),
        (ScriptFlags::CHECKLOCKTIMEVERIFY, "CHECKLOCKTIMEVERIFY"),
        (ScriptFlags::CHECKSEQUENCEVERIFY, "CHECKSEQUENCEVERIFY"),
        (ScriptFlags::WITNESS, "WITNESS"),
        (ScriptFlags::TAPROOT, "TAPROOT"),
    ];

    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn contains(self, other: ScriptFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ScriptFlags {
    type Output = ScriptFlags;
    fn bitor(self, rhs: ScriptFlags) -> ScriptFlags {
        ScriptFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for ScriptFlags {
    fn bitor_assign(&mut self, rhs: ScriptFlags) {
        self.0 |= rhs.0;
    }
}

/// Comma-separated names, as the reference's `FormatScriptFlags` prints them.
impl fmt::Debug for ScriptFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> =
            Self::NAMES.iter().filter(|(flag, _)| self.contains(*flag)).map(|(_, name)| *name).collect();
        write!(f, "ScriptFlags({})", names.join(","))
    }
}

/// The flags the scripts of the block `hash` at `height` are verified with
/// (the reference's `GetBlockScriptFlags`).
pub fn block_script_flags(params: &ChainParams, height: u32, hash: BlockHash) -> ScriptFlags {
    // P2SH, segwit and taproot are enforced from genesis: only two historical
    // blocks broke their rules before activation, and those are exempted by hash.
    let mut flags = if params.bip16_exception == Some(hash) {
        ScriptFlags::NONE
    } else if params.taproot_exception == Some(hash) {
        ScriptFlags::P2SH | ScriptFlags::WITNESS
    } else {
        ScriptFlags::P2SH | ScriptFlags::WITNESS | ScriptFlags::TAPROOT
    };
    let by_height = [
        (Deployment::DerSig, ScriptFlags::DERSIG),
        (Deployment::Cltv, ScriptFlags::CHECKLOCKTIMEVERIFY),
        (Deployment::Csv, ScriptFlags::CHECKSEQUENCEVERIFY),
        // BIP147 activated with segwit.
        (Deployment::Segwit, ScriptFlags::NULLDUMMY),
    ];
    for (deployment, flag) in by_height {
        if params.is_active(deployment, height) {
            flags |= flag;
        }
    }
    flags
}

/// The reference's block reject reason prefix for a failed input script.
/// (Releases before 30.0 said `mandatory-script-verify-flag-failed`.)
const SCRIPT_FAILURE_PREFIX: &str = "block-script-verify-flag-failed";

/// Why an input failed verification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// The scripts ran and failed. libbitcoinconsensus does not say which rule
    /// failed, so this is all that is known.
    #[error("script verification failed")]
    Failed,
    /// The call itself was wrong (a caller bug, not a property of the transaction).
    #[error("script verification was called wrongly: {0}")]
    Interface(&'static str),
}

impl ScriptError {
    /// What went wrong, as the parenthesised part of a reject reason. The
    /// reference puts the interpreter's error text there; libbitcoinconsensus
    /// does not report it, so a failed script reads as the reference's text
    /// for an unknown script error.
    pub fn detail(&self) -> &'static str {
        match self {
            ScriptError::Failed => "unknown error",
            ScriptError::Interface(what) => what,
        }
    }

    /// The reject reason a block with this failure gets.
    pub fn reason(&self) -> String {
        format!("{SCRIPT_FAILURE_PREFIX} ({})", self.detail())
    }
}

/// Verifies one input's scripts. Implementations must be usable from several
/// threads at once, so blocks can be checked in parallel.
pub trait ScriptVerifier: Send + Sync {
    /// `tx_bytes` is the spending transaction serialized with its witness;
    /// `spent_outputs[i]` is the output spent by input `i` (all of them are
    /// needed: taproot signatures commit to every spent output).
    fn verify_input(
        &self,
        tx_bytes: &[u8],
        input_index: usize,
        spent_outputs: &[TxOut],
        flags: ScriptFlags,
    ) -> Result<(), ScriptError>;
}

/// Script verification by libbitcoinconsensus.
///
/// The library re-reads the transaction and rehashes its shared sighash data
/// on every call, so verifying all inputs costs time quadratic in the input
/// count; it is the price of using the reference's interpreter unchanged.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConsensusVerifier;

impl ScriptVerifier for ConsensusVerifier {
    fn verify_input(
        &self,
        tx_bytes: &[u8],
        input_index: usize,
        spent_outputs: &[TxOut],
        flags: ScriptFlags,
    ) -> Result<(), ScriptError> {
        let spent = spent_outputs.get(input_index).ok_or(ScriptError::Interface("an invalid index for txTo"))?;
        // The library reads these through raw pointers while `spent_outputs` is borrowed.
        let utxos: Vec<bitcoinconsensus::Utxo> = spent_outputs
            .iter()
            .map(|out| bitcoinconsensus::Utxo {
                script_pubkey: out.script_pubkey.as_bytes().as_ptr(),
                script_pubkey_len: out.script_pubkey.len() as u32,
                value: out.value.to_sat() as i64,
            })
            .collect();
        bitcoinconsensus::verify_with_flags(
            spent.script_pubkey.as_bytes(),
            spent.value.to_sat(),
            tx_bytes,
            Some(&utxos),
            input_index,
            flags.bits(),
        )
        .map_err(|err| match err {
            // ERR_OK in the reference: the input was read fine and its scripts failed.
            bitcoinconsensus::Error::ERR_SCRIPT => ScriptError::Failed,
            bitcoinconsensus::Error::ERR_TX_INDEX => ScriptError::Interface("an invalid index for txTo"),
            bitcoinconsensus::Error::ERR_TX_SIZE_MISMATCH => {
                ScriptError::Interface("txToLen did not match with the size of txTo")
            }
            bitcoinconsensus::Error::ERR_TX_DESERIALIZE => ScriptError::Interface("an error deserializing txTo"),
            bitcoinconsensus::Error::ERR_AMOUNT_REQUIRED => {
                ScriptError::Interface("input amount is required if WITNESS is used")
            }
            bitcoinconsensus::Error::ERR_INVALID_FLAGS => {
                ScriptError::Interface("script verification flags are invalid")
            }
            bitcoinconsensus::Error::ERR_SPENT_OUTPUTS_REQUIRED => {
                ScriptError::Interface("verifying taproot input requires previous outputs")
            }
            bitcoinconsensus::Error::ERR_SPENT_OUTPUTS_MISMATCH => {
                ScriptError::Interface("taproot outputs don't match")
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{spend, txout};
    use bitcoin::hashes::Hash;
    use bitcoin::key::{Keypair, TapTweak};
    use bitcoin::secp256k1::{Message, Secp256k1, SecretKey};
    use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
    use bitcoin::{consensus, Amount, CompressedPublicKey, Network, OutPoint, ScriptBuf, Transaction, Txid, Witness};

    const ALL_FLAGS: ScriptFlags = ScriptFlags(
        ScriptFlags::P2SH.0
            | ScriptFlags::DERSIG.0
            | ScriptFlags::NULLDUMMY.0
            | ScriptFlags::CHECKLOCKTIMEVERIFY.0
            | ScriptFlags::CHECKSEQUENCEVERIFY.0
            | ScriptFlags::WITNESS.0
            | ScriptFlags::TAPROOT.0,
    );

    fn key(byte: u8) -> SecretKey {
        SecretKey::from_slice(&[byte; 32]).expect("valid key")
    }

    fn spending_tx(inputs: usize) -> Transaction {
        let prevouts: Vec<OutPoint> =
            (0..inputs).map(|i| OutPoint { txid: Txid::from_byte_array([7; 32]), vout: i as u32 }).collect();
        spend(&prevouts, &[txout(40_000)])
    }

    /// A P2WPKH output and a transaction spending it, signed with BIP143.
    fn signed_p2wpkh_spend() -> (Transaction, Vec<TxOut>) {
        let secp = Secp256k1::new();
        let sk = key(1);
        let pk = CompressedPublicKey(sk.public_key(&secp));
        let prev = TxOut { value: Amount::from_sat(50_000), script_pubkey: ScriptBuf::new_p2wpkh(&pk.wpubkey_hash()) };
        let mut tx = spending_tx(1);
        let sighash = SighashCache::new(&tx)
            .p2wpkh_signature_hash(0, &prev.script_pubkey, prev.value, EcdsaSighashType::All)
            .expect("sighash");
        let sig = bitcoin::ecdsa::Signature::sighash_all(secp.sign_ecdsa(&Message::from(sighash), &sk));
        tx.input[0].witness = Witness::p2wpkh(&sig, &pk.0);
        (tx, vec![prev])
    }

    #[test]
    fn p2wpkh_spend_verifies() {
        let (tx, prevs) = signed_p2wpkh_spend();
        let bytes = consensus::serialize(&tx);
        assert_eq!(ConsensusVerifier.verify_input(&bytes, 0, &prevs, ALL_FLAGS), Ok(()));
    }

    #[test]
    fn p2wpkh_spend_with_wrong_amount_fails() {
        let (tx, mut prevs) = signed_p2wpkh_spend();
        prevs[0].value = Amount::from_sat(50_001);
        let bytes = consensus::serialize(&tx);
        let err = ConsensusVerifier.verify_input(&bytes, 0, &prevs, ALL_FLAGS).unwrap_err();
        assert_eq!(err, ScriptError::Failed);
        assert_eq!(err.reason(), "block-script-verify-flag-failed (unknown error)");
        // Without the witness rules the output is anyone-can-spend.
        assert_eq!(ConsensusVerifier.verify_input(&bytes, 0, &prevs, ScriptFlags::P2SH), Ok(()));
    }

    #[test]
    fn taproot_key_path_spend_commits_to_every_spent_output() {
        let secp = Secp256k1::new();
        let keypair = Keypair::from_secret_key(&secp, &key(2));
        let (internal, _) = keypair.x_only_public_key();
        let taproot_spk = ScriptBuf::new_p2tr(&secp, internal, None);
        let prevs = vec![
            TxOut { value: Amount::from_sat(30_000), script_pubkey: taproot_spk.clone() },
            TxOut { value: Amount::from_sat(20_000), script_pubkey: taproot_spk },
        ];
        let mut tx = spending_tx(2);
        let tweaked = keypair.tap_tweak(&secp, None).to_keypair();
        for index in 0..2 {
            let sighash = SighashCache::new(&tx)
                .taproot_key_spend_signature_hash(index, &Prevouts::All(&prevs), TapSighashType::Default)
                .expect("sighash");
            let sig = secp.sign_schnorr_no_aux_rand(&Message::from(sighash), &tweaked);
            let sig = bitcoin::taproot::Signature { signature: sig, sighash_type: TapSighashType::Default };
            tx.input[index].witness = Witness::p2tr_key_spend(&sig);
        }
        let bytes = consensus::serialize(&tx);
        for index in 0..2 {
            assert_eq!(ConsensusVerifier.verify_input(&bytes, index, &prevs, ALL_FLAGS), Ok(()));
        }

        // Changing the *other* input's amount breaks input 0's signature.
        let mut wrong = prevs.clone();
        wrong[1].value = Amount::from_sat(20_001);
        assert_eq!(ConsensusVerifier.verify_input(&bytes, 0, &wrong, ALL_FLAGS), Err(ScriptError::Failed));
    }

    #[test]
    fn interface_errors_do_not_panic() {
        let (tx, prevs) = signed_p2wpkh_spend();
        let bytes = consensus::serialize(&tx);
        let err = ConsensusVerifier.verify_input(&bytes, 1, &prevs, ALL_FLAGS).unwrap_err();
        assert_eq!(err.reason(), "block-script-verify-flag-failed (an invalid index for txTo)");
        let two = [prevs[0].clone(), prevs[0].clone()];
        let err = ConsensusVerifier.verify_input(&bytes, 0, &two, ALL_FLAGS).unwrap_err();
        assert_eq!(err, ScriptError::Interface("taproot outputs don't match"));
        let err = ConsensusVerifier.verify_input(&bytes[..10], 0, &prevs, ALL_FLAGS).unwrap_err();
        assert_eq!(err, ScriptError::Interface("an error deserializing txTo"));
        let err = ConsensusVerifier.verify_input(&bytes, 0, &prevs, ScriptFlags(1 << 30)).unwrap_err();
        assert_eq!(err, ScriptError::Interface("script verification flags are invalid"));
    }

    #[test]
    fn flags_by_height_and_exceptions() {
        let main = ChainParams::new(Network::Bitcoin);
        let hash = BlockHash::from_byte_array([9; 32]);
        let always = ScriptFlags::P2SH | ScriptFlags::WITNESS | ScriptFlags::TAPROOT;
        assert_eq!(block_script_flags(&main, 100, hash), always);
        assert_eq!(block_script_flags(&main, 363_725, hash), always | ScriptFlags::DERSIG);
        assert_eq!(block_script_flags(&main, 900_000, hash), ALL_FLAGS);
        let bip16 = main.bip16_exception.expect("mainnet has one");
        assert_eq!(block_script_flags(&main, 170_060, bip16), ScriptFlags::NONE);
        let taproot = main.taproot_exception.expect("mainnet has one");
        let pre_taproot = ScriptFlags::P2SH
            | ScriptFlags::WITNESS
            | ScriptFlags::DERSIG
            | ScriptFlags::CHECKLOCKTIMEVERIFY
            | ScriptFlags::CHECKSEQUENCEVERIFY
            | ScriptFlags::NULLDUMMY;
        assert_eq!(block_script_flags(&main, 692_261, taproot), pre_taproot);

        let regtest = ChainParams::new(Network::Regtest);
        assert_eq!(block_script_flags(&regtest, 0, hash), always | ScriptFlags::NULLDUMMY);
        assert_eq!(
            format!("{ALL_FLAGS:?}"),
            "ScriptFlags(P2SH,DERSIG,NULLDUMMY,CHECKLOCKTIMEVERIFY,CHECKSEQUENCEVERIFY,WITNESS,TAPROOT)"
        );
    }
}
