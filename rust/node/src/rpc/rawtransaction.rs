//! `rawtransactions` methods that need no chain: building, decoding, signing
//! and combining transactions and PSBTs.
//!
//! `signrawtransactionwithkey` and `combinerawtransaction` look up the coins
//! inputs spend through [`CoinLookup`] (the reference reads its UTXO set and
//! mempool there).

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{All, Secp256k1};
use bitcoin::{Network, OutPoint, ScriptBuf, Transaction, TxOut};
use serde_json::{Map, Value};

use hashvive_rpc::table::{sync_handler, Call};
use hashvive_rpc::{codes, Arg, ArgType, Command, RpcError, RpcTable};

use crate::rpc::address::{decode_destination, decode_secret};
use crate::rpc::format::{script_to_json, tx_to_json, ScriptJsonOptions, TxJsonOptions};
use crate::rpc::params::{encode_hex, get_array, get_bool, get_str, parse_hex_v};
use crate::rpc::psbt::{self, blank_psbt, decode_psbt, encode_psbt};
use crate::rpc::script::{self, TxoutType};
use crate::rpc::sign::{self, SigningProvider};
use crate::rpc::transaction::{construct, decode_hex_tx, serialize_tx, DEFAULT_RAWTX_VERSION};
use hashvive_script::sign_raw::{parse_prevouts, parse_sighash, sign_transaction};

/// Where unspent outputs come from: the UTXO set and mempool once the chain
/// lands. The node answers "not found" for every coin until then.
pub trait CoinLookup: Send + Sync {
    fn coin(&self, outpoint: &OutPoint) -> Option<TxOut>;
}

const CATEGORY: &str = "rawtransactions";

fn hex_tx(tx: &Transaction) -> Value {
    Value::String(encode_hex(&serialize_tx(tx)))
}

fn deserialization_error(message: impl Into<String>) -> RpcError {
    RpcError::new(codes::RPC_DESERIALIZATION_ERROR, message)
}

/// The reference's `ConstructTransaction` from `createrawtransaction`'s
/// parameters.
fn construct_transaction(call: &Call, network: Network) -> Result<Transaction, RpcError> {
    let rbf = call.param(3).map(get_bool).transpose()?;
    let destination = |text: &str| decode_destination(text, network).ok().map(|d| d.script_pubkey());
    construct(
        call.param(0),
        call.params.get(1).unwrap_or(&Value::Null),
        call.param(2),
        rbf,
        call.param(4),
        &destination,
    )
}

/// `iswitness` as the reference reads it: unset tries both encodings.
fn witness_modes(v: Option<&Value>) -> Result<(bool, bool), RpcError> {
    Ok(match v.map(get_bool).transpose()? {
        None => (true, true),
        Some(w) => (!w, w),
    })
}

fn decoderawtransaction(call: &Call, network: Network) -> Result<Value, RpcError> {
    let (no_witness, witness) = witness_modes(call.param(1))?;
    let tx = decode_hex_tx(get_str(&call.params[0])?, no_witness, witness)
        .ok_or_else(|| deserialization_error("TX decode failed"))?;
    Ok(tx_to_json(&tx, &TxJsonOptions::plain(network)))
}

fn decodescript(call: &Call, network: Network) -> Result<Value, RpcError> {
    let text = get_str(&call.params[0])?;
    let bytes = if text.is_empty() { Vec::new() } else { parse_hex_v(&call.params[0], "argument")? };
    let out_opts = ScriptJsonOptions { include_hex: false, ..ScriptJsonOptions::output(network) };
    let mut r = script_to_json(&bytes, out_opts);
    let sol = script::solve(&bytes);
    let wrappable = matches!(
        sol.kind,
        TxoutType::Multisig
            | TxoutType::NonStandard
            | TxoutType::PubKey
            | TxoutType::PubKeyHash
            | TxoutType::WitnessV0KeyHash
            | TxoutType::WitnessV0ScriptHash
    ) && script::has_valid_ops(&bytes)
        && !script::is_unspendable(&bytes)
        && script::ops(&bytes).flatten().all(|(op, _)| op != script::OP_CHECKSIGADD && !script::is_op_success(op));
    if !wrappable {
        return Ok(Value::Object(r));
    }
    let p2sh = ScriptBuf::new_p2sh(&bitcoin::ScriptHash::hash(&bytes));
    r.insert("p2sh".into(), Value::String(script::address(p2sh.as_bytes(), network).unwrap_or_default()));
    let segwit_ok = match sol.kind {
        // Segwit takes compressed keys only.
        TxoutType::Multisig | TxoutType::PubKey => sol.data.iter().all(|d| d.len() == 1 || d.len() == 33),
        TxoutType::NonStandard | TxoutType::PubKeyHash => true,
        _ => false,
    };
    if segwit_ok {
        let segwit = match sol.kind {
            TxoutType::PubKey => ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::hash(&sol.data[0])),
            TxoutType::PubKeyHash => ScriptBuf::new_p2wpkh(
                &bitcoin::WPubkeyHash::from_slice(&sol.data[0]).unwrap_or_else(|_| bitcoin::WPubkeyHash::all_zeros()),
            ),
            _ => ScriptBuf::new_p2wsh(&bitcoin::WScriptHash::hash(&bytes)),
        };
        let known: [&[u8]; 1] = [&bytes];
        let opts = ScriptJsonOptions { include_hex: true, include_address: Some(network), known_scripts: &known };
        let mut sr = script_to_json(segwit.as_bytes(), opts);
        let wrapped = ScriptBuf::new_p2sh(&bitcoin::ScriptHash::hash(segwit.as_bytes()));
        sr.insert(
            "p2sh-segwit".into(),
            Value::String(script::address(wrapped.as_bytes(), network).unwrap_or_default()),
        );
        r.insert("segwit".into(), Value::Object(sr));
    }
    Ok(Value::Object(r))
}

/// The spent coins for `tx`'s inputs, from the coin source.
fn lookup_coins(tx: &Transaction, coins: &dyn CoinLookup) -> Vec<Option<TxOut>> {
    tx.input.iter().map(|i| coins.coin(&i.previous_output)).collect()
}

fn combinerawtransaction(call: &Call, coins: &dyn CoinLookup, secp: &Secp256k1<All>) -> Result<Value, RpcError> {
    let txs = get_array(&call.params[0])?;
    let mut variants = Vec::with_capacity(txs.len());
    for (i, hex) in txs.iter().enumerate() {
        let tx = decode_hex_tx(get_str(hex)?, true, true).ok_or_else(|| {
            deserialization_error(format!("TX decode failed for tx {i}. Make sure the tx has at least one input."))
        })?;
        variants.push(tx);
    }
    let Some(first) = variants.first() else { return Err(deserialization_error("Missing transactions")) };
    let mut merged = first.clone();
    let spent = lookup_coins(&merged, coins);
    let others: Vec<&Transaction> = variants.iter().collect();
    for (i, coin) in spent.iter().enumerate() {
        let coin =
            coin.as_ref().ok_or_else(|| RpcError::new(codes::RPC_VERIFY_ERROR, "Input not found or already spent"))?;
        let signed = sign::sign_input(&merged, i, coin, &others, &SigningProvider::default(), 1, secp);
        merged.input[i].script_sig = signed.script_sig;
        merged.input[i].witness = signed.witness;
    }
    Ok(hex_tx(&merged))
}

/// The reference's `ParseSighashString`.
fn signrawtransactionwithkey(
    call: &Call,
    network: Network,
    coin_source: &dyn CoinLookup,
    secp: &Secp256k1<All>,
) -> Result<Value, RpcError> {
    let mut tx = decode_hex_tx(get_str(&call.params[0])?, true, true)
        .ok_or_else(|| deserialization_error("TX decode failed. Make sure the tx has at least one input."))?;
    let mut provider = SigningProvider::default();
    for k in get_array(&call.params[1])? {
        let key = decode_secret(get_str(k)?, network)
            .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Invalid private key"))?;
        provider.add_key(&key, secp);
    }
    let mut coins: Vec<(OutPoint, Option<TxOut>)> =
        tx.input.iter().map(|i| (i.previous_output, coin_source.coin(&i.previous_output))).collect();
    parse_prevouts(call.param(2), &mut coins, &mut provider)?;
    let hash_type = parse_sighash(call.param(3))?;

    sign_transaction(&mut tx, coins, &provider, hash_type, secp)
}

fn combinepsbt(call: &Call) -> Result<Value, RpcError> {
    let txs = get_array(&call.params[0])?;
    if txs.is_empty() {
        return Err(RpcError::invalid_parameter("Parameter 'txs' cannot be empty"));
    }
    let mut psbts = Vec::with_capacity(txs.len());
    for t in txs {
        psbts.push(decode_psbt(get_str(t)?)?);
    }
    let mut merged = psbts.remove(0);
    for other in psbts {
        merged
            .combine(other)
            .map_err(|_| RpcError::invalid_parameter("PSBTs not compatible (different transactions)"))?;
    }
    Ok(Value::String(encode_psbt(&merged)))
}

fn finalizepsbt(call: &Call, secp: &Secp256k1<All>) -> Result<Value, RpcError> {
    let mut p = decode_psbt(get_str(&call.params[0])?)?;
    let extract = call.param(1).map(get_bool).transpose()?.unwrap_or(true);
    let complete = psbt::finalize(&mut p, secp);
    let mut r = Map::new();
    if complete && extract {
        r.insert("hex".into(), hex_tx(&psbt::extract(&p)));
    } else {
        r.insert("psbt".into(), Value::String(encode_psbt(&p)));
    }
    r.insert("complete".into(), Value::Bool(complete));
    Ok(Value::Object(r))
}

fn converttopsbt(call: &Call) -> Result<Value, RpcError> {
    let permit_sig_data = call.param(1).map(get_bool).transpose()?.unwrap_or(false);
    let (no_witness, witness) = witness_modes(call.param(2))?;
    let mut tx = decode_hex_tx(get_str(&call.params[0])?, no_witness, witness)
        .ok_or_else(|| deserialization_error("TX decode failed"))?;
    for input in &mut tx.input {
        if (!input.script_sig.is_empty() || !input.witness.is_empty()) && !permit_sig_data {
            return Err(deserialization_error("Inputs must not have scriptSigs and scriptWitnesses"));
        }
        input.script_sig = ScriptBuf::new();
        input.witness.clear();
    }
    Ok(Value::String(encode_psbt(&blank_psbt(tx))))
}

/// The arguments `createrawtransaction` and `createpsbt` share.
fn create_tx_args(cmd: Command) -> Command {
    cmd.arg(Arg::required("inputs", ArgType::Arr, "The inputs").placeholder("[{\"txid\":\"hex\",\"vout\":n,\"sequence\":n},...]"))
        .arg(
            Arg::required(
                "outputs",
                ArgType::Any,
                "The outputs specified as key-value pairs.\nEach key may only appear once, i.e. there can only be one 'data' output, and no address may be duplicated.\nAt least one output of either type must be specified.\nFor compatibility reasons, a dictionary, which holds the key-value pairs directly, is also\n                             accepted as second parameter.",
            )
            .placeholder("[{\"address\":amount,...},{\"data\":\"hex\"},...]"),
        )
        .arg(Arg::optional("locktime", ArgType::Num, "Raw locktime. Non-0 value also locktime-activates inputs").default("0"))
        .arg(
            Arg::optional(
                "replaceable",
                ArgType::Bool,
                "Marks this transaction as BIP125-replaceable.\nAllows this transaction to be replaced by a transaction with higher fees. If provided, it is an error if explicit sequence numbers are incompatible.",
            )
            .default("true"),
        )
        .arg(Arg::optional("version", ArgType::Num, "Transaction version").default(DEFAULT_RAWTX_VERSION.to_string()))
}

fn psbt_arg() -> Arg {
    Arg::required("psbt", ArgType::Str, "A base64 string of a PSBT")
}

fn iswitness_arg() -> Arg {
    Arg::optional(
        "iswitness",
        ArgType::Bool,
        "Whether the transaction hex is a serialized witness transaction.\nIf iswitness is not present, heuristic tests will be used in decoding.\nIf true, only witness deserialization will be tried.\nIf false, only non-witness deserialization will be tried.\nThis boolean should reflect whether the transaction has inputs\n(e.g. fully valid, or on-chain transactions), if known by the caller.",
    )
    .default("depends on heuristic tests")
}

/// Registers the methods; `coins` answers for coins not given in `prevtxs`.
pub fn register(table: &RpcTable, network: Network, coins: Arc<dyn CoinLookup>, cli: &'static str) {
    let secp = Arc::new(Secp256k1::new());

    table.register(
        create_tx_args(Command::new(
            "createrawtransaction",
            CATEGORY,
            "Create a transaction spending the given inputs and creating new outputs.\nOutputs can be addresses or data.\nReturns hex-encoded raw transaction.\nNote that the transaction's inputs are not signed, and\nit is not stored in the wallet or transmitted to the network.",
            sync_handler(move |call| Ok(hex_tx(&construct_transaction(call, network)?))),
        ))
        .result("\"hex\"    (string) hex string of the transaction")
        .example(format!("{cli} createrawtransaction \"[{{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}}]\" \"[{{\\\"data\\\":\\\"00010203\\\"}}]\"")),
    );
    table.register(
        create_tx_args(Command::new(
            "createpsbt",
            CATEGORY,
            "Creates a transaction in the Partially Signed Transaction format.\nImplements the Creator role.\nNote that the transaction's inputs are not signed, and\nit is not stored in the wallet or transmitted to the network.",
            sync_handler(move |call| Ok(Value::String(encode_psbt(&blank_psbt(construct_transaction(call, network)?))))),
        ))
        .result("\"str\"    (string) The resulting raw transaction (base64-encoded string)"),
    );
    table.register(
        Command::new(
            "decoderawtransaction",
            CATEGORY,
            "Return a JSON object representing the serialized, hex-encoded transaction.",
            sync_handler(move |call| decoderawtransaction(call, network)),
        )
        .arg(Arg::required("hexstring", ArgType::StrHex, "The transaction hex string"))
        .arg(iswitness_arg())
        .example(format!("{cli} decoderawtransaction \"hexstring\"")),
    );
    table.register(
        Command::new(
            "decodescript",
            CATEGORY,
            "Decode a hex-encoded script.",
            sync_handler(move |call| decodescript(call, network)),
        )
        .arg(Arg::required("hexstring", ArgType::StrHex, "the hex-encoded script"))
        .example(format!("{cli} decodescript \"hexstring\"")),
    );
    let (c, s) = (coins.clone(), secp.clone());
    table.register(
        Command::new(
            "combinerawtransaction",
            CATEGORY,
            "Combine multiple partially signed transactions into one transaction.\nThe combined transaction may be another partially signed transaction or a \nfully signed transaction.",
            sync_handler(move |call| combinerawtransaction(call, c.as_ref(), &s)),
        )
        .arg(Arg::required("txs", ArgType::Arr, "The hex strings of partially signed transactions").placeholder("[\"hexstring\",...]"))
        .result("\"str\"    (string) The hex-encoded raw transaction with signature(s)"),
    );
    let s = secp.clone();
    table.register(
        Command::new(
            "signrawtransactionwithkey",
            CATEGORY,
            "Sign inputs for raw transaction (serialized, hex-encoded).\nThe second argument is an array of base58-encoded private\nkeys that will be the only keys used to sign the transaction.\nThe third optional argument (may be null) is an array of previous transaction outputs that\nthis transaction depends on but may not yet be in the block chain.",
            sync_handler(move |call| signrawtransactionwithkey(call, network, coins.as_ref(), &s)),
        )
        .arg(Arg::required("hexstring", ArgType::Str, "The transaction hex string"))
        .arg(Arg::required("privkeys", ArgType::Arr, "The base58-encoded private keys for signing").placeholder("[\"privatekey\",...]"))
        .arg(Arg::optional("prevtxs", ArgType::Arr, "The previous dependent transaction outputs").placeholder("[{\"txid\":\"hex\",\"vout\":n,\"scriptPubKey\":\"hex\",\"redeemScript\":\"hex\",\"witnessScript\":\"hex\",\"amount\":amount},...]"))
        .arg(Arg::optional("sighashtype", ArgType::Str, "The signature hash type. Must be one of:\n       \"DEFAULT\"\n       \"ALL\"\n       \"NONE\"\n       \"SINGLE\"\n       \"ALL|ANYONECANPAY\"\n       \"NONE|ANYONECANPAY\"\n       \"SINGLE|ANYONECANPAY\"").default("DEFAULT for Taproot, ALL otherwise")),
    );
    table.register(
        Command::new(
            "decodepsbt",
            CATEGORY,
            "Return a JSON object representing the serialized, base64-encoded partially signed Bitcoin transaction.",
            sync_handler(move |call| Ok(psbt::psbt_to_json(&decode_psbt(get_str(&call.params[0])?)?, network))),
        )
        .arg(Arg::required("psbt", ArgType::Str, "The PSBT base64 string")),
    );
    table.register(
        Command::new(
            "combinepsbt",
            CATEGORY,
            "Combine multiple partially signed Bitcoin transactions into one transaction.\nImplements the Combiner role.",
            sync_handler(combinepsbt),
        )
        .arg(Arg::required("txs", ArgType::Arr, "The base64 strings of partially signed transactions").placeholder("[\"psbt\",...]")),
    );
    let s = secp.clone();
    table.register(
        Command::new(
            "finalizepsbt",
            CATEGORY,
            "Finalize the inputs of a PSBT. If the transaction is fully signed, it will produce a\nnetwork serialized transaction which can be broadcast with sendrawtransaction. Otherwise a PSBT will be\ncreated which has the final_scriptSig and final_scriptwitness fields filled for inputs that are complete.\nImplements the Finalizer and Extractor roles.",
            sync_handler(move |call| finalizepsbt(call, &s)),
        )
        .arg(psbt_arg())
        .arg(Arg::optional("extract", ArgType::Bool, "If true and the transaction is complete,\n                             extract and return the complete transaction in normal network serialization instead of the PSBT.").default("true")),
    );
    table.register(
        Command::new(
            "converttopsbt",
            CATEGORY,
            "Converts a network serialized transaction to a PSBT. This should be used only with createrawtransaction and fundrawtransaction\ncreatepsbt and walletcreatefundedpsbt should be used for new applications.",
            sync_handler(converttopsbt),
        )
        .arg(Arg::required("hexstring", ArgType::StrHex, "The hex string of a raw transaction"))
        .arg(Arg::optional("permitsigdata", ArgType::Bool, "If true, any signatures in the input will be discarded and conversion\n                              will continue. If false, RPC will fail if any signatures are present.").default("false"))
        .arg(iswitness_arg()),
    );
    table.register(
        Command::new(
            "analyzepsbt",
            CATEGORY,
            "Analyzes and provides information about the current status of a PSBT and its inputs",
            sync_handler(move |call| Ok(psbt::analyze(&decode_psbt(get_str(&call.params[0])?)?, &secp))),
        )
        .arg(psbt_arg()),
    );
}
