//! Funding a transaction from the wallet (the reference's
//! `FundTransaction`): coins added to pay for the outputs, change, and the
//! fee reckoned on the size the transaction will have once signed. Shared by
//! `sendtoaddress`, `sendmany`, `send`, `fundrawtransaction` and
//! `walletcreatefundedpsbt`.

use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::{Amount, OutPoint, Psbt, ScriptBuf, Sequence, Transaction};

use serde_json::{json, Map, Value};

use hashvive_rpc::amount::parse_amount;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::RpcError;

use super::balances::unspent;
use super::node;
use super::send::{create_error, FeeChoice};
use crate::ledger::WalletOutput;
use crate::manager::WalletManager;
use crate::output_type::OutputType;
use crate::spend::{self, satisfaction_weight, Fee, Spend, WPKH_SATISFACTION};
use crate::wallet::Wallet;

/// What to fund, and how.
pub(super) struct Funding {
    /// The outputs to pay, and any inputs chosen beforehand (with their
    /// sequences), version and lock time.
    pub tx: Transaction,
    /// Whether to add wallet coins to the inputs given (always, without any).
    pub add_inputs: bool,
    /// Outputs (by index) whose amounts bear the fee, in equal shares.
    pub subtract_fee_from: Vec<usize>,
    pub change_address: Option<ScriptBuf>,
    /// Where the change goes among the outputs; anywhere at random if unset.
    pub change_position: Option<usize>,
    /// Whether unconfirmed coins from others may be spent.
    pub include_unsafe: bool,
    pub min_conf: i64,
    pub max_conf: Option<i64>,
    pub replaceable: bool,
    /// The transaction's lock time as given, or `None` for one near the tip
    /// (which discourages fee sniping).
    pub lock_time: Option<LockTime>,
    /// Whether to lock the coins spent (in memory).
    pub lock_unspents: bool,
    /// The most the signed transaction may weigh.
    pub max_tx_weight: Option<u64>,
    /// The change address type asked for (`change_type`).
    pub change_type: Option<OutputType>,
    /// The transaction this one replaces (a fee bump).
    pub replacing: Option<Transaction>,
}

impl Funding {
    /// Funding for outputs alone, with the wallet's defaults.
    pub fn outputs(tx: Transaction) -> Funding {
        Funding {
            tx,
            add_inputs: true,
            subtract_fee_from: Vec::new(),
            change_address: None,
            change_position: None,
            include_unsafe: false,
            min_conf: 0,
            max_conf: None,
            replaceable: true,
            lock_time: None,
            lock_unspents: false,
            max_tx_weight: None,
            change_type: None,
            replacing: None,
        }
    }
}

/// A funded transaction, not yet signed.
pub(super) struct Funded {
    pub psbt: Psbt,
    pub fee: Amount,
    /// Where the change output is, if there is one.
    pub change_position: Option<usize>,
}

/// The reference's text for an outpoint in errors: `COutPoint(<txid prefix>, <n>)`.
fn outpoint_text(o: &OutPoint) -> String {
    format!("COutPoint({}, {})", &o.txid.to_string()[..10], o.vout)
}

/// Funds `funding` at `fee`'s rate. Errors carry the codes `sendtoaddress`
/// answers with (-6 for what funds cannot cover); see [`as_wallet_error`].
pub(super) async fn fund(
    m: &WalletManager,
    wallet: &mut Wallet,
    funding: Funding,
    fee: &FeeChoice,
) -> Result<Funded, RpcError> {
    let preset: Vec<OutPoint> = funding.tx.input.iter().map(|i| i.previous_output).collect();
    let replaced = funding.replacing.as_ref().map(|tx| tx.input.iter().map(|i| i.previous_output).collect::<Vec<_>>());
    for outpoint in &preset {
        if wallet.ledger().get_utxo(*outpoint).is_none() && !replaced.as_ref().is_some_and(|r| r.contains(outpoint)) {
            // Not the wallet's to spend: the node may know it, but the wallet
            // cannot sign for it.
            let known = m
                .chain()
                .find_coins(vec![(outpoint.txid.to_byte_array(), outpoint.vout)])
                .await
                .map_err(node)?
                .pop()
                .flatten()
                .is_some();
            let state = if known { "Not solvable" } else { "Not found" };
            return Err(RpcError::new(
                codes::RPC_WALLET_ERROR,
                format!("{state} pre-selected input {}", outpoint_text(outpoint)),
            ));
        }
    }
    let held_back: Vec<OutPoint> = unspent(wallet)
        .iter()
        .filter(|c| {
            c.immature()
                || wallet.is_locked(&c.output.outpoint)
                || (!funding.include_unsafe && !c.trusted())
                || c.confirmations < funding.min_conf
                || funding.max_conf.is_some_and(|max| c.confirmations > max)
        })
        .map(|c| c.output.outpoint)
        .filter(|o| !preset.contains(o))
        .collect();
    let outputs = funding.tx.output.len();
    let spend = Spend {
        outputs: funding.tx.output.clone(),
        preset: funding.tx.input.iter().map(|i| (i.previous_output, i.sequence)).collect(),
        only_preset: !preset.is_empty() && !funding.add_inputs,
        held_back,
        // When outputs bear the fee, the coins need only cover the amounts;
        // the fee comes out of those outputs below.
        fee: match funding.subtract_fee_from.is_empty() {
            true => Fee::Rate(fee.per_weight()),
            false => Fee::Absolute(Amount::ZERO),
        },
        change: funding.change_address.clone(),
        change_type: funding.change_type.or(m.options().change_type),
        lock_time: funding.lock_time.unwrap_or_else(|| anti_fee_sniping(wallet)),
        version: funding.tx.version,
        sequence: match funding.replaceable {
            true => Sequence::ENABLE_RBF_NO_LOCKTIME,
            false => Sequence::ENABLE_LOCKTIME_NO_RBF,
        },
        replacing: funding.replacing.clone(),
    };
    let mut psbt = spend::build(wallet, spend, m.options().address_type).map_err(create_error)?;
    // The change comes last; it goes where asked, or anywhere.
    let has_change = psbt.unsigned_tx.output.len() > outputs;
    settle_fee(wallet, &mut psbt, fee, &funding.subtract_fee_from, has_change.then_some(outputs))?;
    let change_position = match has_change {
        false => None,
        true => {
            let at =
                funding.change_position.unwrap_or_else(|| bitcoin::secp256k1::rand::random::<usize>() % (outputs + 1));
            let change = psbt.unsigned_tx.output.remove(outputs);
            let change_meta = psbt.outputs.remove(outputs);
            psbt.unsigned_tx.output.insert(at, change);
            psbt.outputs.insert(at, change_meta);
            Some(at)
        }
    };
    let fee = psbt.fee().map_err(|e| RpcError::new(codes::RPC_WALLET_ERROR, e.to_string()))?;
    if fee.to_sat() > m.options().max_tx_fee.max(0) as u64 {
        return Err(RpcError::new(
            codes::RPC_WALLET_INSUFFICIENT_FUNDS,
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
        ));
    }
    let weight = estimated_vsize(wallet, &psbt.unsigned_tx) * 4;
    if weight > funding.max_tx_weight.unwrap_or(bitcoin::Weight::MAX_BLOCK.to_wu() / 10) {
        return Err(RpcError::new(codes::RPC_WALLET_INSUFFICIENT_FUNDS, "Transaction too large"));
    }
    if funding.lock_unspents {
        for txin in &psbt.unsigned_tx.input {
            wallet.lock_coin(txin.previous_output, false)?;
        }
    }
    Ok(Funded { psbt, fee, change_position })
}

/// A funding error as `send`, `fundrawtransaction` and
/// `walletcreatefundedpsbt` answer it: -4 where `sendtoaddress` says -6.
pub(super) fn as_wallet_error(e: RpcError) -> RpcError {
    match e.code {
        codes::RPC_WALLET_INSUFFICIENT_FUNDS => RpcError::new(codes::RPC_WALLET_ERROR, e.message),
        _ => e,
    }
}

/// Makes `psbt` pay `fee`'s rate on the virtual size it will have once
/// signed, as the reference does (bdk charges a rate on weight, up to ¾
/// vbyte's worth less). What is short comes out of the outputs at `payers`
/// in equal shares, the first also paying what does not divide, or else out
/// of the change output at `change` (a changeless transaction keeps bdk's fee).
fn settle_fee(
    wallet: &Wallet,
    psbt: &mut Psbt,
    fee: &FeeChoice,
    payers: &[usize],
    change: Option<usize>,
) -> Result<(), RpcError> {
    let target = fee.fee_for(estimated_vsize(wallet, &psbt.unsigned_tx));
    let paid = psbt.fee().map_err(|e| RpcError::new(codes::RPC_WALLET_ERROR, e.to_string()))?;
    let short = target.checked_sub(paid).unwrap_or(Amount::ZERO).to_sat();
    if short == 0 {
        return Ok(());
    }
    if payers.is_empty() {
        if let Some(change) = change.and_then(|at| psbt.unsigned_tx.output.get_mut(at)) {
            let value = change.value.to_sat().saturating_sub(short);
            if value >= change.script_pubkey.minimal_non_dust().to_sat() {
                change.value = Amount::from_sat(value);
            }
        }
        return Ok(());
    }
    let count = payers.len() as u64;
    let mut remainder = short % count;
    for &at in payers {
        let share = short / count + std::mem::take(&mut remainder);
        let Some(output) = psbt.unsigned_tx.output.get_mut(at) else { continue };
        let too_small = |message| RpcError::new(codes::RPC_WALLET_INSUFFICIENT_FUNDS, message);
        output.value = output
            .value
            .checked_sub(Amount::from_sat(share))
            .ok_or_else(|| too_small("The transaction amount is too small to pay the fee"))?;
        if output.value < output.script_pubkey.minimal_non_dust() {
            return Err(too_small("The transaction amount is too small to send after the fee has been deducted"));
        }
    }
    Ok(())
}

/// The virtual size `tx` will have once the wallet signs its inputs, with
/// signatures at their largest (the reference's `CalculateMaximumSignedTxSize`).
pub(super) fn estimated_vsize(wallet: &Wallet, tx: &Transaction) -> u64 {
    let ledger = wallet.ledger();
    let satisfaction: u64 = tx
        .input
        .iter()
        .map(|i| {
            let spent = ledger.tx_graph().get_txout(i.previous_output);
            let own = spent.and_then(|o| ledger.derivation_of_spk(&o.script_pubkey));
            own.map_or(WPKH_SATISFACTION, |(descriptor, _)| satisfaction_weight(wallet, descriptor))
        })
        .sum();
    // Two weight units for the segwit marker and flag.
    (tx.weight().to_wu() + satisfaction + 2).div_ceil(4)
}

/// A coin's input, in virtual bytes (for `send_max`).
pub(super) fn input_vsize(wallet: &Wallet, coin: &WalletOutput) -> u64 {
    const OUTPOINT_SEQUENCE_AND_EMPTY_SCRIPT: u64 = 41 * 4;
    (OUTPOINT_SEQUENCE_AND_EMPTY_SCRIPT + satisfaction_weight(wallet, coin.descriptor)).div_ceil(4)
}

/// A lock time at the wallet's tip, so the transaction cannot be mined
/// earlier than the next block (the reference's anti-fee-sniping).
pub(super) fn anti_fee_sniping(wallet: &Wallet) -> LockTime {
    LockTime::from_height(wallet.last_block().height).unwrap_or(LockTime::ZERO)
}

/// The options object of `fundrawtransaction`, `walletcreatefundedpsbt` and
/// `send`, checked as the reference checks it (`RPCTypeCheckObj`, strict).
pub(super) struct FundOptions {
    pub add_inputs: Option<bool>,
    pub include_unsafe: bool,
    pub min_conf: i64,
    pub max_conf: Option<i64>,
    pub change_address: Option<ScriptBuf>,
    pub change_type: Option<OutputType>,
    pub change_position: Option<usize>,
    pub lock_unspents: bool,
    pub replaceable: Option<bool>,
    /// `subtractFeeFromOutputs`: output indices, or addresses (`send`,
    /// `walletcreatefundedpsbt`), resolved against the outputs later.
    subtract_fee_from: Vec<Value>,
    pub max_tx_weight: Option<u64>,
    pub add_to_wallet: bool,
    pub psbt: bool,
    network: bitcoin::Network,
}

/// Every key the options object may hold, with the JSON type it must have
/// (`num_or_str` for amounts).
const OPTION_KEYS: &[(&str, &str)] = &[
    ("add_inputs", "bool"),
    ("include_unsafe", "bool"),
    ("add_to_wallet", "bool"),
    ("changeAddress", "string"),
    ("change_address", "string"),
    ("changePosition", "number"),
    ("change_position", "number"),
    ("change_type", "string"),
    ("includeWatching", "bool"),
    ("include_watching", "bool"),
    ("inputs", "array"),
    ("lockUnspents", "bool"),
    ("lock_unspents", "bool"),
    ("locktime", "number"),
    ("fee_rate", "num_or_str"),
    ("feeRate", "num_or_str"),
    ("psbt", "bool"),
    ("solving_data", "object"),
    ("subtractFeeFromOutputs", "array"),
    ("subtract_fee_from_outputs", "array"),
    ("replaceable", "bool"),
    ("conf_target", "number"),
    ("estimate_mode", "string"),
    ("minconf", "number"),
    ("maxconf", "number"),
    ("input_weights", "array"),
    ("max_tx_weight", "number"),
];

impl FundOptions {
    pub fn parse(options: &Map<String, Value>, network: bitcoin::Network) -> Result<FundOptions, RpcError> {
        for (key, value) in options {
            let Some((_, expected)) = OPTION_KEYS.iter().find(|(k, _)| k == key) else {
                return Err(RpcError::type_error(format!("Unexpected key {key}")));
            };
            let fits = match *expected {
                "bool" => value.is_boolean(),
                "string" => value.is_string(),
                "number" => value.is_number(),
                "array" => value.is_array(),
                "object" => value.is_object(),
                _ => value.is_number() || value.is_string(),
            };
            if !fits && !value.is_null() {
                let expected = if *expected == "num_or_str" { "number or string" } else { expected };
                return Err(RpcError::type_error(format!(
                    "JSON value of type {} for field {key} is not of expected type {expected}",
                    hashvive_rpc::table::json_type_name(value)
                )));
            }
        }
        let either = |a: &str, b: &str| options.get(a).or_else(|| options.get(b)).filter(|v| !v.is_null());
        let flag = |a: &str, b: &str| either(a, b).and_then(Value::as_bool);
        let change_address = match either("changeAddress", "change_address").and_then(Value::as_str) {
            None => None,
            Some(text) => Some(
                super::address_for(network, text)
                    .ok_or_else(|| {
                        RpcError::new(
                            codes::RPC_INVALID_ADDRESS_OR_KEY,
                            "Change address must be a valid bitcoin address",
                        )
                    })?
                    .script_pubkey(),
            ),
        };
        let change_type = match options.get("change_type").and_then(Value::as_str) {
            None => None,
            Some(text) => {
                if change_address.is_some() {
                    return Err(RpcError::invalid_parameter(
                        "Cannot specify both change address and address type options",
                    ));
                }
                Some(text.parse::<OutputType>().map_err(|()| {
                    RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, format!("Unknown change type '{text}'"))
                })?)
            }
        };
        let change_position = match either("changePosition", "change_position") {
            None => None,
            Some(v) => Some(
                v.as_u64()
                    .map(|p| p as usize)
                    .ok_or_else(|| RpcError::invalid_parameter("changePosition out of bounds"))?,
            ),
        };
        if options.contains_key("feeRate") {
            let conflict = |other: &str, message: &str| match options.contains_key(other) {
                true => Err(RpcError::invalid_parameter(message)),
                false => Ok(()),
            };
            conflict("fee_rate", "Cannot specify both fee_rate (sat/vB) and feeRate (BTC/kvB)")?;
            conflict("conf_target", "Cannot specify both conf_target and feeRate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate.")?;
            conflict("estimate_mode", "Cannot specify both estimate_mode and feeRate")?;
        }
        let min_conf = options.get("minconf").and_then(Value::as_i64).unwrap_or(0);
        if min_conf < 0 {
            return Err(RpcError::invalid_parameter("Negative minconf"));
        }
        let max_conf = options.get("maxconf").and_then(Value::as_i64);
        if let Some(max) = max_conf.filter(|max| *max < min_conf) {
            return Err(RpcError::invalid_parameter(format!(
                "maxconf can't be lower than minconf: {max} < {min_conf}"
            )));
        }
        let max_tx_weight = match options.get("max_tx_weight").and_then(Value::as_u64) {
            None => None,
            Some(w) if (240..=400_000).contains(&w) => Some(w),
            Some(_) => {
                return Err(RpcError::new(
                    codes::RPC_WALLET_ERROR,
                    "Maximum transaction weight must be between 240 and 400000",
                ))
            }
        };
        Ok(FundOptions {
            add_inputs: options.get("add_inputs").and_then(Value::as_bool),
            include_unsafe: flag("include_unsafe", "include_unsafe").unwrap_or(false),
            min_conf,
            max_conf,
            change_address,
            change_type,
            change_position,
            lock_unspents: flag("lockUnspents", "lock_unspents").unwrap_or(false),
            replaceable: options.get("replaceable").and_then(Value::as_bool),
            subtract_fee_from: either("subtractFeeFromOutputs", "subtract_fee_from_outputs")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            max_tx_weight,
            add_to_wallet: options.get("add_to_wallet").and_then(Value::as_bool).unwrap_or(true),
            psbt: options.get("psbt").and_then(Value::as_bool).unwrap_or(false),
            network,
        })
    }

    /// The fee parameters as a call of `conf_target`, `estimate_mode`,
    /// `fee_rate` (sat/vB), `feeRate` (BTC/kvB) converted to the latter.
    pub fn fee_call(options: &Map<String, Value>, call: &Call) -> Result<Call, RpcError> {
        let option = |name: &str| options.get(name).cloned().unwrap_or(Value::Null);
        let fee_rate = match options.get("feeRate").filter(|v| !v.is_null()) {
            None => option("fee_rate"),
            Some(btc_per_kvb) => {
                let sat_per_kvb = parse_amount(btc_per_kvb)?.to_sat();
                json!(format!("{}.{:03}", sat_per_kvb / 1000, sat_per_kvb % 1000))
            }
        };
        Ok(Call {
            params: vec![option("conf_target"), option("estimate_mode"), fee_rate],
            request: call.request.clone(),
        })
    }

    /// The funding of `tx` these options ask for.
    pub fn funding(
        &self,
        tx: Transaction,
        add_inputs_default: bool,
        lock_time: Option<LockTime>,
    ) -> Result<Funding, RpcError> {
        let outputs = tx.output.len();
        if self.change_position.is_some_and(|p| p > outputs) {
            return Err(RpcError::invalid_parameter("changePosition out of bounds"));
        }
        let mut subtract_fee_from = Vec::new();
        for item in &self.subtract_fee_from {
            let invalid = |what: String| {
                RpcError::invalid_parameter(format!("Invalid parameter 'subtract fee from output', {what}"))
            };
            let position = match item {
                Value::Number(n) => match n.as_i64() {
                    Some(p) if p < 0 => return Err(invalid(format!("negative position: {p}"))),
                    Some(p) if p as usize >= outputs => return Err(invalid(format!("position too large: {p}"))),
                    Some(p) => p as usize,
                    None => return Err(invalid(format!("invalid value type: {n}"))),
                },
                Value::String(address) => {
                    let spk = super::address_for(self.network, address).map(|a| a.script_pubkey());
                    tx.output
                        .iter()
                        .position(|o| Some(&o.script_pubkey) == spk.as_ref())
                        .ok_or_else(|| invalid(format!("destination {address} not found in tx outputs")))?
                }
                other => {
                    return Err(invalid(format!("invalid value type: {}", hashvive_rpc::table::json_type_name(other))))
                }
            };
            if subtract_fee_from.contains(&position) {
                return Err(invalid(format!("duplicated position: {position}")));
            }
            subtract_fee_from.push(position);
        }
        Ok(Funding {
            add_inputs: self.add_inputs.unwrap_or(add_inputs_default),
            subtract_fee_from,
            change_address: self.change_address.clone(),
            change_type: self.change_type,
            change_position: self.change_position,
            include_unsafe: self.include_unsafe,
            min_conf: self.min_conf,
            max_conf: self.max_conf,
            replaceable: self.replaceable.unwrap_or(true),
            lock_time,
            lock_unspents: self.lock_unspents,
            max_tx_weight: self.max_tx_weight,
            ..Funding::outputs(tx)
        })
    }
}
