//! Signing transaction inputs with given keys and scripts, as the reference's
//! `SignTransaction` does for `signrawtransactionwithkey` and
//! `combinerawtransaction`.
//!
//! Supported are the templates the reference can sign from bare keys and
//! scripts: P2PK, P2PKH, bare multisig, P2WPKH, and those behind P2SH, P2WSH
//! and P2SH-P2WSH. Existing signatures in an input are found by checking them
//! against the template's keys (the reference's `DataFromTransaction`), so
//! partially signed inputs are completed and variants can be merged.
//!
//! The reference verifies unfinished inputs with its script interpreter and
//! reports the interpreter's error. There is no interpreter here yet; the
//! error is derived from the template and the stack the input carries, which
//! gives the same message for every input these templates produce.

use std::collections::{BTreeMap, HashMap};

use bitcoin::hashes::{hash160, sha256, Hash};
use bitcoin::secp256k1::{All, Message, PublicKey, Secp256k1, SecretKey};
use bitcoin::sighash::{EcdsaSighashType, SighashCache};
use bitcoin::{Amount, PrivateKey, Script, ScriptBuf, Transaction, TxOut, Witness};

use hashvive_rpc::amount::MAX_MONEY;

use crate::script::{self, ops, TxoutType, OP_1, OP_16};

/// `SIGHASH_DEFAULT`: taproot's implicit ALL; ALL for everything else.
pub const SIGHASH_DEFAULT: u32 = 0;

/// Keys and scripts to sign with (the reference's `FlatSigningProvider`).
#[derive(Default)]
pub struct SigningProvider {
    /// By the hash160 of the public key as it is serialized (compressed or not).
    keys: HashMap<[u8; 20], (SecretKey, Vec<u8>)>,
    /// By hash160 of the script (P2SH) and of its P2WSH program's script.
    scripts: HashMap<[u8; 20], Vec<u8>>,
}

impl SigningProvider {
    pub fn add_key(&mut self, key: &PrivateKey, secp: &Secp256k1<All>) {
        let pubkey = key.public_key(secp).to_bytes();
        self.keys.insert(hash160::Hash::hash(&pubkey).to_byte_array(), (key.inner, pubkey));
    }

    pub fn add_script(&mut self, script: Vec<u8>) {
        self.scripts.insert(hash160::Hash::hash(&script).to_byte_array(), script);
    }

    /// Whether it holds any key to sign with.
    pub fn has_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    fn script(&self, hash: &[u8]) -> Option<&Vec<u8>> {
        self.scripts.get(hash)
    }
}

/// Which sighash algorithm a signature commits with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SigVersion {
    Base,
    WitnessV0,
}

/// Signatures and scripts known for one input (the reference's `SignatureData`).
#[derive(Default)]
struct SigData {
    /// Public key bytes to signature (with sighash byte).
    sigs: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Redeem and witness scripts the input revealed, by hash160.
    scripts: HashMap<[u8; 20], Vec<u8>>,
    missing: Missing,
}

/// What signing lacked (the reference's `missing_*` in `SignatureData`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Missing {
    /// Hash160s of keys whose public key is unknown.
    pub pubkeys: Vec<[u8; 20]>,
    /// Hash160s of keys whose signature is missing.
    pub sigs: Vec<[u8; 20]>,
    /// Hash160 of the missing redeem script.
    pub redeem_script: Option<[u8; 20]>,
    /// SHA256 of the missing witness script.
    pub witness_script: Option<[u8; 32]>,
}

/// Signatures and scripts already known for an input (from a PSBT's fields).
#[derive(Clone, Debug, Default)]
pub struct KnownData {
    /// Public key bytes to signature (with sighash byte).
    pub sigs: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Redeem and witness scripts.
    pub scripts: Vec<Vec<u8>>,
}

impl SigData {
    fn learn_script(&mut self, script: &[u8]) {
        self.scripts.insert(hash160::Hash::hash(script).to_byte_array(), script.to_vec());
    }
}

/// Signs one input of `tx`.
struct InputSigner<'a> {
    tx: &'a Transaction,
    index: usize,
    amount: Amount,
    hash_type: u32,
    secp: &'a Secp256k1<All>,
}

impl InputSigner<'_> {
    fn sighash(&self, script_code: &[u8], version: SigVersion, hash_type: u32) -> Option<Message> {
        let cache = SighashCache::new(self.tx);
        let code = Script::from_bytes(script_code);
        let hash = match version {
            SigVersion::Base => cache.legacy_signature_hash(self.index, code, hash_type).ok()?.to_byte_array(),
            SigVersion::WitnessV0 => {
                let ty = EcdsaSighashType::from_standard(hash_type).ok()?;
                let mut cache = cache;
                cache.p2wsh_signature_hash(self.index, code, self.amount, ty).ok()?.to_byte_array()
            }
        };
        Some(Message::from_digest(hash))
    }

    /// Whether `sig` is a valid signature by `pubkey` over this input.
    fn check(&self, sig: &[u8], pubkey: &[u8], script_code: &[u8], version: SigVersion) -> bool {
        let Some((&hash_type, der)) = sig.split_last() else { return false };
        let (Ok(sig), Ok(key)) = (bitcoin::secp256k1::ecdsa::Signature::from_der(der), PublicKey::from_slice(pubkey))
        else {
            return false;
        };
        let Some(msg) = self.sighash(script_code, version, u32::from(hash_type)) else { return false };
        let mut normalized = sig;
        normalized.normalize_s();
        normalized == sig && self.secp.verify_ecdsa(&msg, &sig, &key).is_ok()
    }

    /// The reference's `CreateSig`: a known signature, or a new one when the
    /// key is known (segwit v0 only signs for compressed keys).
    fn create_sig(
        &self,
        provider: &SigningProvider,
        data: &mut SigData,
        pubkey: &[u8],
        script_code: &[u8],
        version: SigVersion,
    ) -> Option<Vec<u8>> {
        if let Some(sig) = data.sigs.get(pubkey) {
            return Some(sig.clone());
        }
        let key_id = hash160::Hash::hash(pubkey).to_byte_array();
        let usable = provider.keys.get(&key_id).filter(|_| version == SigVersion::Base || pubkey.len() == 33);
        let Some((secret, _)) = usable else {
            data.missing.sigs.push(key_id);
            return None;
        };
        let hash_type = if self.hash_type == SIGHASH_DEFAULT { 1 } else { self.hash_type };
        let msg = self.sighash(script_code, version, hash_type)?;
        // Low-R grinding, as the reference signs.
        let mut bytes = self.secp.sign_ecdsa_low_r(&msg, secret).serialize_der().to_vec();
        bytes.push(hash_type as u8);
        data.sigs.insert(pubkey.to_vec(), bytes.clone());
        Some(bytes)
    }

    /// The reference's `SignStep` for the non-redirecting templates.
    fn sign_step(
        &self,
        provider: &SigningProvider,
        data: &mut SigData,
        script: &[u8],
        version: SigVersion,
    ) -> (bool, Vec<Vec<u8>>) {
        let sol = script::solve(script);
        match sol.kind {
            TxoutType::PubKey => match self.create_sig(provider, data, &sol.data[0], script, version) {
                Some(sig) => (true, vec![sig]),
                None => (false, Vec::new()),
            },
            TxoutType::PubKeyHash => {
                let Some(pubkey) = self.find_pubkey(provider, data, &sol.data[0]) else {
                    data.missing.pubkeys.push(sol.data[0][..].try_into().unwrap_or_default());
                    return (false, Vec::new());
                };
                match self.create_sig(provider, data, &pubkey, script, version) {
                    Some(sig) => (true, vec![sig, pubkey]),
                    None => (false, Vec::new()),
                }
            }
            TxoutType::Multisig => {
                let required = usize::from(sol.data[0][0]);
                let mut ret = vec![Vec::new()];
                for key in &sol.data[1..sol.data.len() - 1] {
                    if let Some(sig) = self.create_sig(provider, data, key, script, version) {
                        if ret.len() < required + 1 {
                            ret.push(sig);
                        }
                    }
                }
                let ok = ret.len() == required + 1;
                // The reference pads missing signatures this way (not one
                // placeholder per missing signature).
                let mut i = 0;
                while i + ret.len() < required + 1 {
                    ret.push(Vec::new());
                    i += 1;
                }
                (ok, ret)
            }
            _ => (false, Vec::new()),
        }
    }

    fn find_pubkey(&self, provider: &SigningProvider, data: &SigData, hash: &[u8]) -> Option<Vec<u8>> {
        if let Some((_, pubkey)) = provider.keys.get(hash) {
            return Some(pubkey.clone());
        }
        data.sigs.keys().find(|k| hash160::Hash::hash(k).as_byte_array()[..] == *hash).cloned()
    }
}

/// How an input ends up after signing.
pub struct SignedInput {
    pub script_sig: ScriptBuf,
    pub witness: Witness,
    pub complete: bool,
    /// Why it is not complete (the reference's script error text).
    pub error: Option<String>,
    /// What was lacking, when not complete.
    pub missing: Missing,
}

/// The reference's `PushAll`: small numbers as opcodes, data minimally pushed.
fn push_all(items: &[Vec<u8>]) -> ScriptBuf {
    let mut out = Vec::new();
    for item in items {
        match item.as_slice() {
            [] => out.push(script::OP_0),
            [n @ 1..=16] => out.push(OP_1 + n - 1),
            [0x81] => out.push(script::OP_1NEGATE),
            data => push_data(&mut out, data),
        }
    }
    ScriptBuf::from_bytes(out)
}

/// A minimal push of `data` (`CScript << vector`).
pub fn push_data(out: &mut Vec<u8>, data: &[u8]) {
    let n = data.len();
    if n < usize::from(script::OP_PUSHDATA1) {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend([script::OP_PUSHDATA1, n as u8]);
    } else if n <= 0xffff {
        out.push(script::OP_PUSHDATA2);
        out.extend((n as u16).to_le_bytes());
    } else {
        out.push(script::OP_PUSHDATA4);
        out.extend((n as u32).to_le_bytes());
    }
    out.extend_from_slice(data);
}

/// The pushes of a push-only script; `None` if it has other opcodes.
fn pushes(script: &[u8]) -> Option<Vec<Vec<u8>>> {
    ops(script)
        .map(|op| match op? {
            (code, data) if code <= script::OP_PUSHDATA4 => Some(data.to_vec()),
            (script::OP_1NEGATE, _) => Some(vec![0x81]),
            (code @ OP_1..=OP_16, _) => Some(vec![code - OP_1 + 1]),
            _ => None,
        })
        .collect()
}

/// The signed-for script after unwrapping P2SH and P2WSH, and the stack of
/// arguments the input gives it.
struct Unwrapped {
    script: Vec<u8>,
    stack: Vec<Vec<u8>>,
    version: SigVersion,
}

/// The reference's `DataFromTransaction`: signatures already in an input,
/// found by checking the arguments against the keys of its template.
fn extract(signer: &InputSigner<'_>, script_sig: &[u8], witness: &Witness, spk: &[u8], data: &mut SigData) {
    let Some(mut stack) = pushes(script_sig) else { return };
    let mut wit: Vec<Vec<u8>> = witness.iter().map(<[u8]>::to_vec).collect();
    let mut code = spk.to_vec();
    let mut version = SigVersion::Base;
    let mut sol = script::solve(&code);
    if sol.kind == TxoutType::ScriptHash && stack.last().is_some_and(|s| !s.is_empty()) {
        code = stack.pop().unwrap_or_default();
        data.learn_script(&code);
        sol = script::solve(&code);
    }
    if sol.kind == TxoutType::WitnessV0KeyHash {
        code = p2pkh_script(&sol.data[0]);
        sol = script::solve(&code);
        stack = std::mem::take(&mut wit);
        version = SigVersion::WitnessV0;
    } else if sol.kind == TxoutType::WitnessV0ScriptHash && wit.last().is_some_and(|s| !s.is_empty()) {
        code = wit.pop().unwrap_or_default();
        data.learn_script(&code);
        sol = script::solve(&code);
        stack = std::mem::take(&mut wit);
        version = SigVersion::WitnessV0;
    }
    let unwrapped = Unwrapped { script: code, stack, version };
    match sol.kind {
        TxoutType::PubKey => {
            if let Some(sig) = unwrapped.stack.first() {
                record(signer, data, sig, &sol.data[0], &unwrapped);
            }
        }
        TxoutType::PubKeyHash => {
            if let [sig, pubkey] = unwrapped.stack.as_slice() {
                if hash160::Hash::hash(pubkey).as_byte_array()[..] == sol.data[0][..] {
                    record(signer, data, sig, pubkey, &unwrapped);
                }
            }
        }
        TxoutType::Multisig => {
            // Signatures are in key order: each one matches a key after the
            // previous match.
            let keys = &sol.data[1..sol.data.len() - 1];
            let mut next_key = 0;
            for sig in &unwrapped.stack {
                for (i, key) in keys.iter().enumerate().skip(next_key) {
                    if data.sigs.contains_key(key) || record(signer, data, sig, key, &unwrapped) {
                        next_key = i + 1;
                        break;
                    }
                }
            }
        }
        _ => {}
    }
}

fn record(signer: &InputSigner<'_>, data: &mut SigData, sig: &[u8], key: &[u8], at: &Unwrapped) -> bool {
    let ok = signer.check(sig, key, &at.script, at.version);
    if ok {
        data.sigs.insert(key.to_vec(), sig.to_vec());
    }
    ok
}

fn p2pkh_script(hash: &[u8]) -> Vec<u8> {
    let mut s = vec![0x76, 0xa9, 0x14];
    s.extend_from_slice(hash);
    s.extend([0x88, script::OP_CHECKSIG]);
    s
}

/// A script by hash160, from the provider or the input itself.
fn find_script(provider: &SigningProvider, data: &SigData, hash: &[u8]) -> Option<Vec<u8>> {
    provider.script(hash).or_else(|| data.scripts.get(hash)).cloned()
}

/// The reference's `ProduceSignature`: the scriptSig and witness for an
/// output script, and whether they are complete.
fn produce(
    signer: &InputSigner<'_>,
    provider: &SigningProvider,
    data: &mut SigData,
    spk: &[u8],
) -> (ScriptBuf, Witness, bool) {
    let sol = script::solve(spk);
    let mut script_sig_items = Vec::new();
    let mut witness = Witness::new();
    let mut inner = spk.to_vec();
    let mut solved = true;
    if sol.kind == TxoutType::ScriptHash {
        match find_script(provider, data, &sol.data[0]) {
            Some(redeem) => inner = redeem,
            None => {
                data.missing.redeem_script = sol.data[0][..].try_into().ok();
                return (ScriptBuf::new(), Witness::new(), false);
            }
        }
    }
    let inner_sol = script::solve(&inner);
    let result = match inner_sol.kind {
        TxoutType::WitnessV0KeyHash => {
            let code = p2pkh_script(&inner_sol.data[0]);
            let (ok, items) = signer.sign_step(provider, data, &code, SigVersion::WitnessV0);
            solved &= ok;
            witness = Witness::from_slice(&items);
            Vec::new()
        }
        TxoutType::WitnessV0ScriptHash => {
            let mut hash160_of_program = [0u8; 20];
            hash160_of_program
                .copy_from_slice(bitcoin::hashes::ripemd160::Hash::hash(&inner_sol.data[0]).as_byte_array());
            match find_script(provider, data, &hash160_of_program) {
                Some(ws) if sha256::Hash::hash(&ws).as_byte_array()[..] == inner_sol.data[0][..] => {
                    let ws_kind = script::solve(&ws).kind;
                    let (ok, mut items) = signer.sign_step(provider, data, &ws, SigVersion::WitnessV0);
                    solved &= ok
                        && !matches!(
                            ws_kind,
                            TxoutType::ScriptHash | TxoutType::WitnessV0ScriptHash | TxoutType::WitnessV0KeyHash
                        );
                    items.push(ws);
                    witness = Witness::from_slice(&items);
                }
                _ => {
                    data.missing.witness_script = inner_sol.data[0][..].try_into().ok();
                    solved = false;
                }
            }
            Vec::new()
        }
        TxoutType::ScriptHash => {
            solved = false;
            Vec::new()
        }
        _ => {
            let (ok, items) = signer.sign_step(provider, data, &inner, SigVersion::Base);
            solved &= ok;
            items
        }
    };
    script_sig_items.extend(result);
    if sol.kind == TxoutType::ScriptHash {
        script_sig_items.push(inner);
    }
    (push_all(&script_sig_items), witness, solved)
}

/// Why an input does not satisfy `spk`, as the reference's interpreter would
/// say it; `None` when it is satisfied as far as can be told without checking
/// signatures the templates here do not cover.
pub fn input_error(spk: &[u8], script_sig: &[u8], witness: &Witness) -> Option<String> {
    failure(spk, script_sig, witness).map(str::to_string)
}

fn failure(spk: &[u8], script_sig: &[u8], witness: &Witness) -> Option<&'static str> {
    const STACK: &str = "Unable to sign input, invalid stack size (possibly missing key)";
    const NULLFAIL: &str = "CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)";
    const FALSE: &str = "Script evaluated without error but finished with a false/empty top stack element";
    const EMPTY_WITNESS: &str = "Witness program was passed an empty witness";
    let mut stack = pushes(script_sig).unwrap_or_default();
    let mut code = spk.to_vec();
    if script::solve(&code).kind == TxoutType::ScriptHash {
        match stack.pop() {
            Some(redeem) => code = redeem,
            None => return Some(STACK),
        }
    }
    if script::witness_program(&code).is_some() {
        if witness.is_empty() {
            return Some(EMPTY_WITNESS);
        }
        let mut items: Vec<Vec<u8>> = witness.iter().map(<[u8]>::to_vec).collect();
        code = match script::solve(&code).kind {
            TxoutType::WitnessV0KeyHash => p2pkh_script(&script::solve(&code).data[0]),
            TxoutType::WitnessV0ScriptHash => items.pop().unwrap_or_default(),
            // Other witness programs are not signed here; their witnesses
            // are the signer's business.
            _ => return None,
        };
        stack = items;
    }
    let sol = script::solve(&code);
    let checksig = |sig: &[u8]| if sig.is_empty() { FALSE } else { NULLFAIL };
    Some(match sol.kind {
        TxoutType::PubKey => match stack.last() {
            Some(sig) => checksig(sig),
            None => STACK,
        },
        TxoutType::PubKeyHash => match stack.as_slice() {
            [] => STACK,
            [_] => "Script failed an OP_EQUALVERIFY operation",
            [.., sig, _] => checksig(sig),
        },
        TxoutType::Multisig => {
            let required = usize::from(sol.data[0][0]);
            // The arguments are a dummy element and the signatures.
            if stack.len() < required + 1 {
                STACK
            } else if stack[stack.len() - required..].iter().any(|s| !s.is_empty()) {
                NULLFAIL
            } else {
                FALSE
            }
        }
        // Anyone-can-spend scripts succeed without signatures.
        _ if code == [OP_1] && stack.is_empty() => return None,
        _ => STACK,
    })
}

/// Signs input `index` of `tx`, merging the signatures found in the same
/// input of `variants` (`combinerawtransaction`).
pub fn sign_input(
    tx: &Transaction,
    index: usize,
    coin: &TxOut,
    variants: &[&Transaction],
    provider: &SigningProvider,
    hash_type: u32,
    secp: &Secp256k1<All>,
) -> SignedInput {
    let signer = InputSigner { tx, index, amount: coin.value, hash_type, secp };
    let spk = coin.script_pubkey.as_bytes();
    let own = &tx.input[index];
    let mut data = SigData::default();
    for variant in std::iter::once(tx).chain(variants.iter().copied()) {
        if let Some(input) = variant.input.get(index) {
            extract(&signer, input.script_sig.as_bytes(), &input.witness, spk, &mut data);
        }
    }
    let (script_sig, witness, solved) = produce(&signer, provider, &mut data, spk);
    if solved {
        return SignedInput { script_sig, witness, complete: true, error: None, missing: Missing::default() };
    }
    // An input that already satisfies a script signed elsewhere stays as it is.
    if input_error(spk, own.script_sig.as_bytes(), &own.witness).is_none() {
        let (script_sig, witness) = (own.script_sig.clone(), own.witness.clone());
        return SignedInput { script_sig, witness, complete: true, error: None, missing: Missing::default() };
    }
    let error = input_error(spk, script_sig.as_bytes(), &witness);
    SignedInput { complete: error.is_none(), error, script_sig, witness, missing: data.missing }
}

/// Signs input `index` of `tx` from known signatures and scripts (a PSBT
/// input's fields), with the keys of `provider`. Also returns the signatures
/// known afterwards.
pub fn sign_with_data(
    tx: &Transaction,
    index: usize,
    coin: &TxOut,
    known: &KnownData,
    provider: &SigningProvider,
    hash_type: u32,
    secp: &Secp256k1<All>,
) -> (SignedInput, BTreeMap<Vec<u8>, Vec<u8>>) {
    let signer = InputSigner { tx, index, amount: coin.value, hash_type, secp };
    let mut data = SigData { sigs: known.sigs.clone(), ..SigData::default() };
    known.scripts.iter().for_each(|s| data.learn_script(s));
    let (script_sig, witness, mut solved) = produce(&signer, provider, &mut data, coin.script_pubkey.as_bytes());
    if solved {
        // Known signatures were taken on trust; the result must verify.
        let mut check = tx.clone();
        check.input[index].script_sig = script_sig.clone();
        check.input[index].witness = witness.clone();
        solved = input_verified(&check, index, coin, secp);
    }
    let error = if solved { None } else { input_error(coin.script_pubkey.as_bytes(), script_sig.as_bytes(), &witness) };
    let missing = if solved { Missing::default() } else { data.missing };
    (SignedInput { complete: solved, error, script_sig, witness, missing }, data.sigs)
}

/// Whether input `index` of `tx` satisfies `coin` with valid signatures (as
/// far as the templates here can check).
pub fn input_verified(tx: &Transaction, index: usize, coin: &TxOut, secp: &Secp256k1<All>) -> bool {
    sign_input(tx, index, coin, &[], &SigningProvider::default(), 1, secp).complete
}

/// `CTxOut::ToString`, which the reference puts in "Missing amount" errors.
pub fn txout_to_string(txout: &TxOut) -> String {
    let sats = txout.value.to_sat();
    let hex = hashvive_rpc::params::encode_hex(txout.script_pubkey.as_bytes());
    format!(
        "CTxOut(nValue={}.{:08}, scriptPubKey={})",
        sats / 100_000_000,
        sats % 100_000_000,
        &hex[..hex.len().min(30)]
    )
}

/// Whether a coin's amount is the placeholder for "not given".
pub fn amount_unknown(txout: &TxOut) -> bool {
    txout.value.to_sat() == MAX_MONEY
}
