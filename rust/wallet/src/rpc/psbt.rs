//! Signing what others built: `walletprocesspsbt` and
//! `signrawtransactionwithwallet`, with the reference's signing rules from
//! `hashvive_script` and the wallet's keys.

use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{OutPoint, TxOut};
use serde_json::{json, Value};

use hashvive_rpc::error::codes;
use hashvive_rpc::params::encode_hex;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};
use hashvive_script::psbt::{decode_psbt, encode_psbt, extract, finalize, input_utxo, sign_input};
use hashvive_script::sign::SigningProvider;
use hashvive_script::sign_raw::{parse_prevouts, parse_sighash, sign_transaction};
use hashvive_script::transaction::{decode_hex_tx, serialize_tx};

use super::{ensure_unlocked, method, node, request_wallet};
use crate::manager::WalletManager;

const SIGHASH_TYPES: &str =
    "\"DEFAULT\"\n\"ALL\"\n\"NONE\"\n\"SINGLE\"\n\"ALL|ANYONECANPAY\"\n\"NONE|ANYONECANPAY\"\n\"SINGLE|ANYONECANPAY\"";

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("walletprocesspsbt", "wallet", "Update a PSBT with input information from our wallet and then sign inputs\nthat we can sign for.\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.", method(manager, walletprocesspsbt))
            .arg(Arg::required("psbt", ArgType::Str, "The transaction base64 string"))
            .arg(Arg::optional("sign", ArgType::Bool, "Also sign the transaction when updating (requires wallet to be unlocked)").default("true"))
            .arg(Arg::optional("sighashtype", ArgType::Str, &format!("The signature hash type to sign with if not specified by the PSBT. Must be one of\n{SIGHASH_TYPES}")).default("\"DEFAULT for Taproot, ALL otherwise\""))
            .arg(Arg::optional("bip32derivs", ArgType::Bool, "Include BIP 32 derivation paths for public keys if we know them").default("true"))
            .arg(Arg::optional("finalize", ArgType::Bool, "Also finalize inputs if possible").default("true"))
            .result("{                             (json object)\n  \"psbt\" : \"str\",             (string) The base64-encoded partially signed transaction\n  \"complete\" : true|false,    (boolean) If the transaction has a complete set of signatures\n  \"hex\" : \"hex\"               (string, optional) The hex-encoded network transaction if complete\n}")
            .example("hashvive-cli walletprocesspsbt \"psbt\""),
    );
    table.register(
        Command::new("signrawtransactionwithwallet", "wallet", "Sign inputs for raw transaction (serialized, hex-encoded).\nThe second optional argument (may be null) is an array of previous transaction outputs that\nthis transaction depends on but may not yet be in the block chain.\nRequires wallet passphrase to be set with walletpassphrase call if wallet is encrypted.", method(manager, signrawtransactionwithwallet))
            .arg(Arg::required("hexstring", ArgType::Str, "The transaction hex string"))
            .arg(Arg::optional("prevtxs", ArgType::Arr, "The previous dependent transaction outputs").placeholder("[{\"txid\":\"hex\",\"vout\":n,\"scriptPubKey\":\"hex\",\"redeemScript\":\"hex\",\"witnessScript\":\"hex\",\"amount\":amount},...]"))
            .arg(Arg::optional("sighashtype", ArgType::Str, &format!("The signature hash type. Must be one of\n{SIGHASH_TYPES}")).default("\"DEFAULT for Taproot, ALL otherwise\""))
            .result("{                             (json object)\n  \"hex\" : \"hex\",               (string) The hex-encoded raw transaction with signature(s)\n  \"complete\" : true|false,    (boolean) If the transaction has a complete set of signatures\n  \"errors\" : [                 (json array, optional) Script verification errors (if there are any)\n    {                         (json object)\n      \"txid\" : \"hex\",           (string) The hash of the referenced, previous transaction\n      \"vout\" : n,              (numeric) The index of the output to spent and used as input\n      \"witness\" : [            (json array)\n        \"hex\",                (string)\n        ...\n      ],\n      \"scriptSig\" : \"hex\",      (string) The hex-encoded signature script\n      \"sequence\" : n,          (numeric) Script sequence number\n      \"error\" : \"str\"           (string) Verification or signing error related to the input\n    },\n    ...\n  ]\n}")
            .example("hashvive-cli signrawtransactionwithwallet \"myhex\""),
    );
}

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
    let secp = wallet.bdk().secp_ctx();
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
    sign_transaction(&mut tx, coins, &provider, hash_type, wallet.bdk().secp_ctx())
}
