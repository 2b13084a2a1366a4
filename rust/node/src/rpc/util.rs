//! `util` methods: addresses, descriptors, multisig scripts and message
//! signatures. None of them needs node state beyond the selected chain.

use base64::Engine as _;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use bitcoin::secp256k1::{Message, Secp256k1};
use bitcoin::sign_message::signed_msg_hash;
use bitcoin::{Network, ScriptBuf};
use miniscript::descriptor::{Descriptor, DescriptorPublicKey};
use serde_json::{Map, Value};

use hashvive_rpc::table::{sync_handler, Call};
use hashvive_rpc::{codes, Arg, ArgType, Command, RpcError, RpcTable};

use crate::rpc::address::{decode_destination, decode_secret, Destination};
use crate::rpc::params::{decode_hex, encode_hex, get_array, get_i32, get_int, get_str, is_hex};
use crate::rpc::script::{self, add_checksum};
use crate::rpc::sign::push_data;

const CATEGORY: &str = "util";
/// `MAX_PUBKEYS_PER_MULTISIG`.
const MAX_MULTISIG_KEYS: usize = 20;

fn invalid_key(message: impl Into<String>) -> RpcError {
    RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, message)
}

fn validateaddress(call: &Call, network: Network) -> Result<Value, RpcError> {
    let mut r = Map::new();
    match decode_destination(get_str(&call.params[0])?, network) {
        Ok(dest) => {
            r.insert("isvalid".into(), Value::Bool(true));
            r.insert("address".into(), Value::String(dest.encode(network)));
            r.insert("scriptPubKey".into(), Value::String(encode_hex(dest.script_pubkey().as_bytes())));
            r.extend(dest.describe());
        }
        Err(e) => {
            r.insert("isvalid".into(), Value::Bool(false));
            r.insert("error_locations".into(), Value::Array(e.locations.into_iter().map(Value::from).collect()));
            r.insert("error".into(), Value::String(e.message));
        }
    }
    Ok(Value::Object(r))
}

/// The reference's `HexToPubKey`.
fn hex_to_pubkey(hex: &str) -> Result<Vec<u8>, RpcError> {
    if !is_hex(hex) {
        return Err(invalid_key(format!("Pubkey \"{hex}\" must be a hex string")));
    }
    if hex.len() != 66 && hex.len() != 130 {
        return Err(invalid_key(format!("Pubkey \"{hex}\" must have a length of either 33 or 65 bytes")));
    }
    let bytes = decode_hex(hex).unwrap_or_default();
    if bitcoin::PublicKey::from_slice(&bytes).is_err() {
        return Err(invalid_key(format!("Pubkey \"{hex}\" must be cryptographically valid.")));
    }
    Ok(bytes)
}

/// `CScript << n` for a small count.
fn push_int(out: &mut Vec<u8>, n: usize) {
    match n {
        1..=16 => out.push(script::OP_1 + n as u8 - 1),
        _ => push_data(out, &[n as u8]),
    }
}

fn createmultisig(call: &Call, network: Network) -> Result<Value, RpcError> {
    let required = get_i32(&call.params[0])?;
    let keys = get_array(&call.params[1])?.iter().map(|k| hex_to_pubkey(get_str(k)?)).collect::<Result<Vec<_>, _>>()?;
    let requested = call.param(2).map(get_str).transpose()?.unwrap_or("legacy");
    let mut kind = match requested {
        "legacy" | "p2sh-segwit" | "bech32" => requested,
        "bech32m" => return Err(invalid_key("createmultisig cannot create bech32m multisig addresses")),
        other => return Err(invalid_key(format!("Unknown address type '{other}'"))),
    };
    if required < 1 {
        return Err(RpcError::invalid_parameter("a multisignature address must require at least one key to redeem"));
    }
    if keys.len() < required as usize {
        return Err(RpcError::invalid_parameter(format!(
            "not enough keys supplied (got {} keys, but need at least {required} to redeem)",
            keys.len()
        )));
    }
    if keys.len() > MAX_MULTISIG_KEYS {
        return Err(RpcError::invalid_parameter(format!(
            "Number of keys involved in the multisignature address creation > {MAX_MULTISIG_KEYS}\nReduce the number"
        )));
    }
    let mut redeem = Vec::new();
    push_int(&mut redeem, required as usize);
    keys.iter().for_each(|k| push_data(&mut redeem, k));
    push_int(&mut redeem, keys.len());
    redeem.push(script::OP_CHECKMULTISIG);
    // Uncompressed keys cannot be used in segwit scripts.
    if keys.iter().any(|k| k.len() != 33) {
        kind = "legacy";
    }
    if kind == "legacy" && redeem.len() > 520 {
        return Err(RpcError::invalid_parameter(format!("redeemScript exceeds size limit: {} > 520", redeem.len())));
    }
    let p2wsh = ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::hash(&redeem));
    let spk = match kind {
        "legacy" => ScriptBuf::new_p2sh(&bitcoin::ScriptHash::hash(&redeem)),
        "p2sh-segwit" => ScriptBuf::new_p2sh(&bitcoin::ScriptHash::hash(p2wsh.as_bytes())),
        _ => p2wsh.clone(),
    };
    let known: [&[u8]; 2] = [&redeem, p2wsh.as_bytes()];
    let mut r = Map::new();
    r.insert("address".into(), Value::String(script::address(spk.as_bytes(), network).unwrap_or_default()));
    r.insert("redeemScript".into(), Value::String(encode_hex(&redeem)));
    r.insert("descriptor".into(), Value::String(script::infer_descriptor(spk.as_bytes(), network, &known)));
    if kind != requested {
        r.insert(
            "warnings".into(),
            Value::Array(vec![Value::String(
                "Unable to make chosen address type, please ensure no uncompressed public keys are present.".into(),
            )]),
        );
    }
    Ok(Value::Object(r))
}

/// A descriptor as the reference's `Parse` reads it.
enum ParsedDescriptor {
    /// `addr(…)`: an address.
    Addr(Destination),
    /// `raw(…)`: a script.
    Raw(Vec<u8>),
    /// Everything rust-miniscript understands, one per multipath expansion.
    Script { descs: Vec<Descriptor<DescriptorPublicKey>>, has_private_keys: bool },
}

/// The reference's `CheckChecksum`: the descriptor without its checksum, and
/// the computed checksum.
fn check_checksum(text: &str, require: bool) -> Result<(&str, String), RpcError> {
    let parts: Vec<&str> = text.split('#').collect();
    if parts.len() > 2 {
        return Err(invalid_key("Multiple '#' symbols"));
    }
    if parts.len() == 1 && require {
        return Err(invalid_key("Missing checksum"));
    }
    if let Some(given) = parts.get(1) {
        if given.len() != 8 {
            return Err(invalid_key(format!("Expected 8 character checksum, not {} characters", given.len())));
        }
    }
    let sum = miniscript::descriptor::checksum::desc_checksum(parts[0])
        .map_err(|_| invalid_key("Invalid characters in payload"))?;
    if let Some(given) = parts.get(1).filter(|g| **g != sum) {
        return Err(invalid_key(format!("Provided checksum '{given}' does not match computed checksum '{sum}'")));
    }
    Ok((parts[0], sum))
}

fn parse_descriptor(
    text: &str,
    network: Network,
    require_checksum: bool,
) -> Result<(ParsedDescriptor, String), RpcError> {
    let (body, checksum) = check_checksum(text, require_checksum)?;
    let inner =
        |name: &str| body.strip_prefix(name).and_then(|r| r.strip_prefix('(')).and_then(|r| r.strip_suffix(')'));
    if let Some(addr) = inner("addr") {
        let dest = decode_destination(addr, network).map_err(|_| invalid_key("Address is not valid"))?;
        return Ok((ParsedDescriptor::Addr(dest), checksum));
    }
    if let Some(hex) = inner("raw") {
        let bytes = decode_hex(hex).ok_or_else(|| invalid_key("Raw script is not hex"))?;
        return Ok((ParsedDescriptor::Raw(bytes), checksum));
    }
    let secp = Secp256k1::signing_only();
    let (desc, keys) = Descriptor::parse_descriptor(&secp, body).map_err(|e| invalid_key(e.to_string()))?;
    let descs = desc.into_single_descriptors().map_err(|e| invalid_key(e.to_string()))?;
    Ok((ParsedDescriptor::Script { descs, has_private_keys: !keys.is_empty() }, checksum))
}

fn getdescriptorinfo(call: &Call, network: Network) -> Result<Value, RpcError> {
    let text = get_str(&call.params[0])?;
    let (parsed, checksum) = parse_descriptor(text, network, false)?;
    let mut r = Map::new();
    let (range, solvable, private) = match &parsed {
        ParsedDescriptor::Addr(dest) => {
            r.insert("descriptor".into(), Value::String(add_checksum(&format!("addr({})", dest.encode(network)))));
            (false, false, false)
        }
        ParsedDescriptor::Raw(bytes) => {
            r.insert("descriptor".into(), Value::String(add_checksum(&format!("raw({})", encode_hex(bytes)))));
            (false, false, false)
        }
        ParsedDescriptor::Script { descs, has_private_keys } => {
            r.insert("descriptor".into(), Value::String(descs[0].to_string()));
            if descs.len() > 1 {
                let all = descs.iter().map(|d| Value::String(d.to_string())).collect();
                r.insert("multipath_expansion".into(), Value::Array(all));
            }
            (descs[0].has_wildcard(), true, *has_private_keys)
        }
    };
    r.insert("checksum".into(), Value::String(checksum));
    r.insert("isrange".into(), Value::Bool(range));
    r.insert("issolvable".into(), Value::Bool(solvable));
    r.insert("hasprivatekeys".into(), Value::Bool(private));
    Ok(Value::Object(r))
}

/// The reference's `ParseDescriptorRange`.
pub fn parse_range(v: &Value) -> Result<(i64, i64), RpcError> {
    let (low, high) = match v {
        Value::Number(_) => (0, get_int(v, i64::MIN, i64::MAX)?),
        Value::Array(a) if a.len() == 2 && a[0].is_number() && a[1].is_number() => {
            let low = get_int(&a[0], i64::MIN, i64::MAX)?;
            let high = get_int(&a[1], i64::MIN, i64::MAX)?;
            if low > high {
                return Err(RpcError::invalid_parameter(
                    "Range specified as [begin,end] must not have begin after end",
                ));
            }
            (low, high)
        }
        _ => return Err(RpcError::invalid_parameter("Range must be specified as end or as [begin,end]")),
    };
    if low < 0 {
        return Err(RpcError::invalid_parameter("Range should be greater or equal than 0"));
    }
    if high >> 31 != 0 {
        return Err(RpcError::invalid_parameter("End of range is too high"));
    }
    if high >= low + 1_000_000 {
        return Err(RpcError::invalid_parameter("Range is too large"));
    }
    Ok((low, high))
}

fn no_address() -> RpcError {
    invalid_key("Descriptor does not have a corresponding address")
}

fn derive(desc: &Descriptor<DescriptorPublicKey>, low: i64, high: i64, network: Network) -> Result<Value, RpcError> {
    let mut out = Vec::new();
    for i in low..=high {
        let derived =
            desc.at_derivation_index(i as u32).map_err(|_| invalid_key("Cannot derive script without private keys"))?;
        let address = derived.address(network).map_err(|_| no_address())?;
        out.push(Value::String(address.to_string()));
    }
    Ok(Value::Array(out))
}

fn deriveaddresses(call: &Call, network: Network) -> Result<Value, RpcError> {
    let text = get_str(&call.params[0])?;
    let range = call.param(1).map(parse_range).transpose()?;
    let (parsed, _) = parse_descriptor(text, network, true)?;
    let ranged = matches!(&parsed, ParsedDescriptor::Script { descs, .. } if descs[0].has_wildcard());
    // A range given as null still counts as given, as in the reference.
    if !ranged && call.params.len() > 1 {
        return Err(RpcError::invalid_parameter("Range should not be specified for an un-ranged descriptor"));
    }
    if ranged && call.params.len() == 1 {
        return Err(RpcError::invalid_parameter("Range must be specified for a ranged descriptor"));
    }
    let (low, high) = range.unwrap_or((0, 0));
    match parsed {
        ParsedDescriptor::Addr(dest) => Ok(Value::Array(vec![Value::String(dest.encode(network))])),
        ParsedDescriptor::Raw(bytes) => {
            let address = script::address(&bytes, network).ok_or_else(no_address)?;
            Ok(Value::Array(vec![Value::String(address)]))
        }
        ParsedDescriptor::Script { descs, .. } if descs.len() == 1 => derive(&descs[0], low, high, network),
        ParsedDescriptor::Script { descs, .. } => {
            Ok(Value::Array(descs.iter().map(|d| derive(d, low, high, network)).collect::<Result<_, _>>()?))
        }
    }
}

/// What a descriptor asks a miner or a UTXO scan to look for.
pub enum DescriptorUse {
    /// One script, for mining to (the reference's `getScriptFromDescriptor`):
    /// ranged and multipath descriptors are refused.
    Single,
    /// Every script of the range, for `scantxoutset`.
    Range(i64, i64),
}

/// The output scripts `text` describes.
pub fn descriptor_scripts(text: &str, network: Network, usage: DescriptorUse) -> Result<Vec<ScriptBuf>, RpcError> {
    let (parsed, _) = parse_descriptor(text, network, false)?;
    let descs = match parsed {
        ParsedDescriptor::Addr(dest) => return Ok(vec![dest.script_pubkey()]),
        ParsedDescriptor::Raw(bytes) => return Ok(vec![ScriptBuf::from(bytes)]),
        ParsedDescriptor::Script { descs, .. } => descs,
    };
    let (low, high) = match usage {
        DescriptorUse::Single if descs.len() > 1 => return Err(invalid_key("Multipath descriptor not accepted")),
        DescriptorUse::Single if descs[0].has_wildcard() => {
            return Err(RpcError::invalid_parameter(
                "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?",
            ))
        }
        DescriptorUse::Single => (0, 0),
        DescriptorUse::Range(low, high) => (low, high),
    };
    let mut scripts = Vec::new();
    for desc in &descs {
        let indexes = if desc.has_wildcard() { low..=high } else { 0..=0 };
        for i in indexes {
            let derived = desc
                .at_derivation_index(i as u32)
                .map_err(|_| invalid_key("Cannot derive script without private keys"))?;
            scripts.push(derived.script_pubkey());
        }
    }
    Ok(scripts)
}

fn signmessagewithprivkey(call: &Call, network: Network) -> Result<Value, RpcError> {
    let key = decode_secret(get_str(&call.params[0])?, network).ok_or_else(|| invalid_key("Invalid private key"))?;
    let message = get_str(&call.params[1])?;
    Ok(Value::String(hashvive_script::message::sign_message(&key, message)))
}

fn verifymessage(call: &Call, network: Network) -> Result<Value, RpcError> {
    let address = get_str(&call.params[0])?;
    let signature = get_str(&call.params[1])?;
    let message = get_str(&call.params[2])?;
    let dest = decode_destination(address, network).map_err(|_| invalid_key("Invalid address"))?;
    let Destination::PubKeyHash(hash) = dest else {
        return Err(RpcError::type_error("Address does not refer to key"));
    };
    let sig = base64::engine::general_purpose::STANDARD
        .decode(signature)
        .map_err(|_| RpcError::type_error("Malformed base64 encoding"))?;
    // The reference reads the header byte without range checks.
    let recovered = (sig.len() == 65)
        .then(|| {
            let header = i32::from(sig[0]) - 27;
            let recid = RecoveryId::from_i32(header & 3).ok()?;
            let rsig = RecoverableSignature::from_compact(&sig[1..], recid).ok()?;
            let digest = Message::from_digest(signed_msg_hash(message).to_byte_array());
            let key = Secp256k1::verification_only().recover_ecdsa(&digest, &rsig).ok()?;
            Some(if header & 4 != 0 { key.serialize().to_vec() } else { key.serialize_uncompressed().to_vec() })
        })
        .flatten();
    Ok(Value::Bool(recovered.is_some_and(|k| crate::rpc::address::pubkey_hash(&k) == hash)))
}

/// Registers the methods for the selected chain's `network`.
pub fn register(table: &RpcTable, network: Network, cli: &'static str) {
    table.register(
        Command::new(
            "validateaddress",
            CATEGORY,
            "Return information about the given bitcoin address.",
            sync_handler(move |call| validateaddress(call, network)),
        )
        .arg(Arg::required("address", ArgType::Str, "The bitcoin address to validate"))
        .example(format!("{cli} validateaddress \"address\"")),
    );
    table.register(
        Command::new(
            "createmultisig",
            CATEGORY,
            "Creates a multi-signature address with n signatures of m keys required.\nIt returns a json object with the address and redeemScript.",
            sync_handler(move |call| createmultisig(call, network)),
        )
        .arg(Arg::required("nrequired", ArgType::Num, "The number of required signatures out of the m keys."))
        .arg(Arg::required("keys", ArgType::Arr, "The hex-encoded public keys.").placeholder("[\"key\",...]"))
        .arg(
            Arg::optional(
                "address_type",
                ArgType::Str,
                "The address type to use. Options are \"legacy\", \"p2sh-segwit\", and \"bech32\".",
            )
            .default("\"legacy\""),
        ),
    );
    table.register(
        Command::new(
            "getdescriptorinfo",
            CATEGORY,
            "Analyses a descriptor.",
            sync_handler(move |call| getdescriptorinfo(call, network)),
        )
        .arg(Arg::required("descriptor", ArgType::Str, "The descriptor.")),
    );
    table.register(
        Command::new(
            "deriveaddresses",
            CATEGORY,
            "Derives one or more addresses corresponding to an output descriptor.",
            sync_handler(move |call| deriveaddresses(call, network)),
        )
        .arg(Arg::required("descriptor", ArgType::Str, "The descriptor."))
        .arg(
            Arg::optional(
                "range",
                ArgType::Any,
                "If a ranged descriptor is used, this specifies the end or the range (in [begin,end] notation) to derive.",
            )
            .placeholder("range"),
        ),
    );
    table.register(
        Command::new(
            "signmessagewithprivkey",
            CATEGORY,
            "Sign a message with the private key of an address",
            sync_handler(move |call| signmessagewithprivkey(call, network)),
        )
        .arg(Arg::required("privkey", ArgType::Str, "The private key to sign the message with."))
        .arg(Arg::required("message", ArgType::Str, "The message to create a signature of.")),
    );
    table.register(
        Command::new(
            "verifymessage",
            CATEGORY,
            "Verify a signed message.",
            sync_handler(move |call| verifymessage(call, network)),
        )
        .arg(Arg::required("address", ArgType::Str, "The bitcoin address to use for the signature."))
        .arg(Arg::required(
            "signature",
            ArgType::Str,
            "The signature provided by the signer in base 64 encoding (see signmessage).",
        ))
        .arg(Arg::required("message", ArgType::Str, "The message that was signed.")),
    );
}
