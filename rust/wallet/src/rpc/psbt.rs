//! Transactions others build or sign: `fundrawtransaction` and
//! `walletcreatefundedpsbt` fund them from the wallet; `walletprocesspsbt`
//! and `signrawtransactionwithwallet` sign them, with the reference's
//! signing rules from `hashvive_script` and the wallet's keys.

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, TxOut};
use serde_json::{json, Value};

use hashvive_rpc::amount::amount_to_json;
use hashvive_rpc::error::codes;
use hashvive_rpc::params::encode_hex;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};
use hashvive_script::psbt::{decode_psbt, encode_psbt, extract, finalize, input_utxo, sign_input};
use hashvive_script::sign::SigningProvider;
use hashvive_script::sign_raw::{parse_prevouts, parse_sighash, sign_transaction};
use hashvive_script::transaction::{construct, decode_hex_tx, serialize_tx};

use super::fund::{as_wallet_error, fund, FundOptions, Funded};
use super::send::{choose_fee, FeeParams, FeeRequest};
use super::{ensure_unlocked, method, node, request_wallet};
use crate::manager::WalletManager;

const SIGHASH_TYPES: &str =
    "\"DEFAULT\"\n\"ALL\"\n\"NONE\"\n\"SINGLE\"\n\"ALL|ANYONECANPAY\"\n\"NONE|ANYONECANPAY\"\n\"SINGLE|ANYONECANPAY\"";

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("walletprocesspsbt", "wallet", "Update a PSBT with input information from our wallet and then sign inputs\nthat we can sign for.\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.", method(manager, walletprocesspsbt))
            .arg(Arg::required("psbt", ArgType::Str, "The transaction base64 string"))
            .arg(Arg::optional("sign", ArgType::Bool, "Also sign the transaction when updating (requires wallet to be unlocked)").default("true"))
            .arg(Arg::optional("sighashtype", ArgType::Str, format!("The signature hash type to sign with if not specified by the PSBT. Must be one of\n{SIGHASH_TYPES}")).default("\"DEFAULT for Taproot, ALL otherwise\""))
            .arg(Arg::optional("bip32derivs", ArgType::Bool, "Include BIP 32 derivation paths for public keys if we know them").default("true"))
            .arg(Arg::optional("finalize", ArgType::Bool, "Also finalize inputs if possible").default("true"))
            .result("{                             (json object)\n  \"psbt\" : \"str\",             (string) The base64-encoded partially signed transaction\n  \"complete\" : true|false,    (boolean) If the transaction has a complete set of signatures\n  \"hex\" : \"hex\"               (string, optional) The hex-encoded network transaction if complete\n}")
            .example("hashvive-cli walletprocesspsbt \"psbt\""),
    );
    table.register(
        Command::new("signrawtransactionwithwallet", "wallet", "Sign inputs for raw transaction (serialized, hex-encoded).\nThe second optional argument (may be null) is an array of previous transaction outputs that\nthis transaction depends on but may not yet be in the block chain.\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.", method(manager, signrawtransactionwithwallet))
            .arg(Arg::required("hexstring", ArgType::Str, "The transaction hex string"))
            .arg(Arg::optional("prevtxs", ArgType::Arr, "The previous dependent transaction outputs").placeholder("[{\"txid\":\"hex\",\"vout\":n,\"scriptPubKey\":\"hex\",\"redeemScript\":\"hex\",\"witnessScript\":\"hex\",\"amount\":amount},...]"))
            .arg(Arg::optional("sighashtype", ArgType::Str, format!("The signature hash type. Must be one of\n{SIGHASH_TYPES}")).default("\"DEFAULT for Taproot, ALL otherwise\""))
            .result("{                             (json object)\n  \"hex\" : \"hex\",               (string) The hex-encoded raw transaction with signature(s)\n  \"complete\" : true|false,    (boolean) If the transaction has a complete set of signatures\n  \"errors\" : [                 (json array, optional) Script verification errors (if there are any)\n    {                         (json object)\n      \"txid\" : \"hex\",           (string) The hash of the referenced, previous transaction\n      \"vout\" : n,              (numeric) The index of the output to spent and used as input\n      \"witness\" : [            (json array)\n        \"hex\",                (string)\n        ...\n      ],\n      \"scriptSig\" : \"hex\",      (string) The hex-encoded signature script\n      \"sequence\" : n,          (numeric) Script sequence number\n      \"error\" : \"str\"           (string) Verification or signing error related to the input\n    },\n    ...\n  ]\n}")
            .example("hashvive-cli signrawtransactionwithwallet \"myhex\""),
    );
    table.register(
        Command::new("fundrawtransaction", "wallet", "If the transaction has no inputs, they will be automatically selected to meet its out value.\nIt will add at most one change output to the outputs.\nNo existing outputs will be modified unless \"subtractFeeFromOutputs\" is specified.\nNote that inputs which were signed may need to be resigned after completion since in/outputs have been added.\nThe inputs added will not be signed, use signrawtransactionwithkey\nor signrawtransactionwithwallet for that.\nAll existing inputs must have their previous output transaction be in the wallet.\nNote that if specifying an exact fee rate, the resulting transaction may have a higher fee rate\nif the transaction has unconfirmed inputs. This is because the wallet will attempt to make the\nentire package have the given fee rate, not the resulting transaction.", method(manager, fundrawtransaction))
            .arg(Arg::required("hexstring", ArgType::Str, "The hex string of the raw transaction"))
            .arg(Arg::optional("options", ArgType::Obj, FUND_OPTIONS_HELP))
            .arg(Arg::optional("iswitness", ArgType::Bool, "Whether the transaction hex is a serialized witness transaction.\nIf iswitness is not present, heuristic tests will be used in decoding.\nIf true, only witness deserialization will be tried.\nIf false, only non-witness deserialization will be tried.\nThis boolean should reflect whether the transaction has inputs\n(e.g. fully valid, or on-chain transactions), if known by the caller.").default("depends on heuristic tests"))
            .result("{                     (json object)\n  \"hex\" : \"hex\",       (string) The resulting raw transaction (hex-encoded string)\n  \"fee\" : n,           (numeric) Fee in BTC the resulting transaction pays\n  \"changepos\" : n      (numeric) The position of the added change output, or -1\n}")
            .example("hashvive-cli fundrawtransaction \"rawtransactionhex\""),
    );
    table.register(
        Command::new("walletcreatefundedpsbt", "wallet", "Creates and funds a transaction in the Partially Signed Transaction format.\nImplements the Creator and Updater roles.\nAll existing inputs must have their previous output transaction be in the wallet.", method(manager, walletcreatefundedpsbt))
            .arg(Arg::optional("inputs", ArgType::Arr, "Leave empty to add inputs automatically. See add_inputs option.").placeholder("[{\"txid\":\"hex\",\"vout\":n,\"sequence\":n},...]"))
            .arg(Arg::required("outputs", ArgType::Any, "The outputs specified as key-value pairs.\nEach key may only appear once, i.e. there can only be one 'data' output, and no address may be duplicated.\nAt least one output of either type must be specified.\nFor compatibility reasons, a dictionary, which holds the key-value pairs directly, is also\naccepted as second parameter.").placeholder("[{\"address\":amount,...},{\"data\":\"hex\"},...]"))
            .arg(Arg::optional("locktime", ArgType::Num, "Raw locktime. Non-0 value also locktime-activates inputs").default("0"))
            .arg(Arg::optional("options", ArgType::Obj, FUND_OPTIONS_HELP))
            .arg(Arg::optional("bip32derivs", ArgType::Bool, "Include BIP 32 derivation paths for public keys if we know them").default("true"))
            .arg(Arg::optional("version", ArgType::Num, "Transaction version").default("2"))
            .result("{                     (json object)\n  \"psbt\" : \"str\",      (string) The resulting raw transaction (base64-encoded string)\n  \"fee\" : n,           (numeric) Fee in BTC the resulting transaction pays\n  \"changepos\" : n      (numeric) The position of the added change output, or -1\n}")
            .example("hashvive-cli walletcreatefundedpsbt \"[{\\\"txid\\\":\\\"myid\\\",\\\"vout\\\":0}]\" \"[{\\\"data\\\":\\\"00010203\\\"}]\""),
    );
}

const FUND_OPTIONS_HELP: &str = "{\n  \"add_inputs\": bool,  (boolean, optional, default=true) For a transaction with existing inputs, automatically include more if they are not enough.\n  \"include_unsafe\": bool,  (boolean, optional, default=false) Include inputs that are not safe to spend (unconfirmed transactions from outside keys and unconfirmed replacement transactions).\n  \"minconf\": n,  (numeric, optional, default=0) If add_inputs is specified, require inputs with at least this many confirmations.\n  \"maxconf\": n,  (numeric, optional) If add_inputs is specified, require inputs with at most this many confirmations.\n  \"changeAddress\": \"str\",  (string, optional, default=automatic) The bitcoin address to receive the change\n  \"changePosition\": n,  (numeric, optional, default=random) The index of the change output\n  \"change_type\": \"str\",  (string, optional) The output type to use. Only valid if changeAddress is not specified.\n  \"lockUnspents\": bool,  (boolean, optional, default=false) Lock selected unspent outputs\n  \"fee_rate\": amount,  (numeric or string, optional) Specify a fee rate in sat/vB.\n  \"feeRate\": amount,  (numeric or string, optional) Specify a fee rate in BTC/kvB.\n  \"subtractFeeFromOutputs\": [...],  (json array, optional, default=[]) The integers.\n                              The fee will be equally deducted from the amount of each specified output.\n  \"max_tx_weight\": n,  (numeric, optional, default=400000) The maximum acceptable transaction weight.\n  \"conf_target\": n,  (numeric, optional) Confirmation target in blocks\n  \"estimate_mode\": \"str\",  (string, optional, default=\"unset\") The fee estimate mode\n  \"replaceable\": bool,  (boolean, optional, default=wallet default) Marks this transaction as BIP125-replaceable.\n}";

/// `fee` and `changepos` as the funding calls answer them.
fn funded_fields(funded: &Funded) -> (Value, Value) {
    let change = funded.change_position.map_or(-1, |p| p as i64);
    (amount_to_json(funded.fee), json!(change))
}

async fn fundrawtransaction(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let (no_witness, witness) = match call.param(2).and_then(Value::as_bool) {
        None => (true, true),
        Some(w) => (!w, w),
    };
    let tx = decode_hex_tx(call.param(0).and_then(Value::as_str).unwrap_or_default(), no_witness, witness)
        .ok_or_else(|| RpcError::new(codes::RPC_DESERIALIZATION_ERROR, "TX decode failed"))?;
    if tx.output.is_empty() {
        return Err(RpcError::invalid_parameter("TX must have at least one output"));
    }
    // A bare boolean is the old `includeWatching`, which no longer matters.
    let options = call.param(1).and_then(Value::as_object).cloned().unwrap_or_default();
    let fund_options = FundOptions::parse(&options, m.options().network)?;
    let fee_call = FundOptions::fee_call(&options, &call)?;
    let lock_time = Some(tx.lock_time);
    let funding = fund_options.funding(tx, true, lock_time)?;
    let mut wallet = request_wallet(&m, &call).await?;
    let fee = choose_fee(&m, &FeeRequest::from_call(&fee_call, FUND_FEE_PARAMS)?, wallet.pay_tx_fee()).await?;
    let funded = fund(&m, &mut wallet, funding, &fee).await.map_err(as_wallet_error)?;
    let (fee, changepos) = funded_fields(&funded);
    Ok(json!({ "hex": encode_hex(&serialize_tx(&funded.psbt.unsigned_tx)), "fee": fee, "changepos": changepos }))
}

async fn walletcreatefundedpsbt(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let options = call.param(3).and_then(Value::as_object).cloned().unwrap_or_default();
    let network = m.options().network;
    let fund_options = FundOptions::parse(&options, network)?;
    let fee_call = FundOptions::fee_call(&options, &call)?;
    let destination = |text: &str| super::address_for(network, text).map(|a| a.script_pubkey());
    let tx = construct(
        call.param(0),
        call.param(1).unwrap_or(&Value::Null),
        call.param(2),
        fund_options.replaceable,
        call.param(5),
        &destination,
    )?;
    let has_inputs = !tx.input.is_empty();
    let lock_time = Some(tx.lock_time);
    let funding = fund_options.funding(tx, !has_inputs, lock_time)?;
    let mut wallet = request_wallet(&m, &call).await?;
    let fee = choose_fee(&m, &FeeRequest::from_call(&fee_call, FUND_FEE_PARAMS)?, wallet.pay_tx_fee()).await?;
    let mut funded = fund(&m, &mut wallet, funding, &fee).await.map_err(as_wallet_error)?;
    let bip32derivs = flag(&call, 4, true);
    wallet.update_psbt(&mut funded.psbt, bip32derivs);
    if !bip32derivs {
        funded.psbt.inputs.iter_mut().for_each(|i| i.bip32_derivation.clear());
        funded.psbt.outputs.iter_mut().for_each(|o| o.bip32_derivation.clear());
    }
    let (fee, changepos) = funded_fields(&funded);
    Ok(json!({ "psbt": encode_psbt(&funded.psbt), "fee": fee, "changepos": changepos }))
}

/// Where [`FundOptions::fee_call`] puts the fee parameters.
const FUND_FEE_PARAMS: FeeParams = FeeParams { conf_target: 0, estimate_mode: 1, fee_rate: 2 };

fn flag(call: &Call, i: usize, default: bool) -> bool {
    call.param(i).and_then(Value::as_bool).unwrap_or(default)
}

async fn walletprocesspsbt(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let mut psbt = decode_psbt(call.param(0).and_then(Value::as_str).unwrap_or_default())?;
    let sign = flag(&call, 1, true);
    let sighash = match call.param(2) {
        None => None,
        given => Some(parse_sighash(given)?),
    };
    let (bip32derivs, finalize_inputs) = (flag(&call, 3, true), flag(&call, 4, true));
    let wallet = request_wallet(&m, &call).await?;
    if sign {
        ensure_unlocked(&wallet)?;
    }
    wallet.update_psbt(&mut psbt, bip32derivs);
    let mut provider = SigningProvider::default();
    if sign {
        let spent: Vec<TxOut> = (0..psbt.inputs.len()).filter_map(|i| input_utxo(&psbt, i)).collect();
        wallet.add_keys(&mut provider, spent.iter().map(|o| o.script_pubkey.as_script()));
    }
    if sign && matches!(sighash, None | Some(hashvive_script::sign::SIGHASH_DEFAULT)) {
        wallet.sign_taproot(&mut psbt);
    }
    let secp = wallet.secp();
    let mut complete = true;
    for i in 0..psbt.inputs.len() {
        complete &= sign_input(&mut psbt, i, &provider, sighash, finalize_inputs, secp)?.complete;
    }
    let mut result = json!({ "psbt": encode_psbt(&psbt), "complete": complete });
    if complete {
        // Complete but kept unfinalized: the network form is still wanted.
        let mut finalized = psbt.clone();
        finalize(&mut finalized, secp);
        result["hex"] = json!(encode_hex(&serialize_tx(&extract(&finalized))));
    }
    Ok(result)
}

async fn signrawtransactionwithwallet(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let mut tx =
        decode_hex_tx(call.param(0).and_then(Value::as_str).unwrap_or_default(), true, true).ok_or_else(|| {
            RpcError::new(
                codes::RPC_DESERIALIZATION_ERROR,
                "TX decode failed. Make sure the tx has at least one input.",
            )
        })?;
    let wallet = request_wallet(&m, &call).await?;
    ensure_unlocked(&wallet)?;
    // What the inputs spend, as the node sees it: in the mempool or unspent.
    let outpoints = tx.input.iter().map(|i| (i.previous_output.txid.to_byte_array(), i.previous_output.vout)).collect();
    let found = m.chain().find_coins(outpoints).await.map_err(node)?;
    let mut coins: Vec<(OutPoint, Option<TxOut>)> = tx
        .input
        .iter()
        .zip(found)
        .map(|(input, coin)| {
            let coin = coin.and_then(|bytes| bitcoin::consensus::deserialize(&bytes).ok());
            (input.previous_output, coin)
        })
        .collect();
    let mut provider = SigningProvider::default();
    parse_prevouts(call.param(1), &mut coins, &mut provider)?;
    wallet.add_keys(
        &mut provider,
        coins.iter().filter_map(|(_, coin)| coin.as_ref()).map(|c| c.script_pubkey.as_script()),
    );
    let hash_type = parse_sighash(call.param(2))?;
    sign_transaction(&mut tx, coins, &provider, hash_type, wallet.secp())
}
