//! Paying: `sendtoaddress`, `sendmany`, `bumpfee`.

use std::sync::Arc;

use base64::Engine as _;
use bitcoin::consensus::serialize;
use bitcoin::hex::DisplayHex;
use bitcoin::secp256k1::rand::seq::SliceRandom;
use bitcoin::{Address, Amount, FeeRate, Psbt, Sequence, Transaction, TxIn, TxOut};
use serde_json::{json, Map, Value};

use hashvive_interfaces::{BroadcastError, Payment, PaymentFee, PreparedTransaction};
use hashvive_rpc::amount::{amount_to_json, parse_amount, parse_fixed_point};
use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};
use hashvive_script::transaction::construct;

use super::fund::{as_wallet_error, fund, FundOptions, Funding};
use super::{ensure_unlocked, method, node, request_wallet};
use crate::manager::WalletManager;
use crate::spend::SpendError;
use crate::wallet::Wallet;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("sendtoaddress", "wallet", "Send an amount to a given address.", method(manager, sendtoaddress))
            .arg(Arg::required("address", ArgType::Str, "The bitcoin address to send to."))
            .arg(Arg::required("amount", ArgType::Amount, "The amount in BTC to send. eg 0.1"))
            .arg(Arg::optional("comment", ArgType::Str, "A comment used to store what the transaction is for.\nThis is not part of the transaction, just kept in your wallet."))
            .arg(Arg::optional("comment_to", ArgType::Str, "A comment to store the name of the person or organization\nto which you're sending the transaction. This is not part of the\ntransaction, just kept in your wallet."))
            .arg(Arg::optional("subtractfeefromamount", ArgType::Bool, "The fee will be deducted from the amount being sent.\nThe recipient will receive less bitcoins than you enter in the amount field.").default("false"))
            .arg(Arg::optional("replaceable", ArgType::Bool, "Signal that this transaction can be replaced by a transaction (BIP 125)").default("wallet default"))
            .arg(Arg::optional("conf_target", ArgType::Num, "Confirmation target in blocks").default("wallet -txconfirmtarget"))
            .arg(Arg::optional("estimate_mode", ArgType::Str, "The fee estimate mode, must be one of (case insensitive):\n\"unset\"\n\"economical\"\n\"conservative\"").default("\"unset\""))
            .arg(Arg::optional("avoid_reuse", ArgType::Bool, "(only available if avoid_reuse wallet flag is set) Avoid spending from dirty addresses; addresses are considered\ndirty if they have previously been used in a transaction. If true, this also activates avoidpartialspends, grouping outputs by their addresses.").default("true"))
            .arg(Arg::optional("fee_rate", ArgType::Amount, "Specify a fee rate in sat/vB.").default("not set, falls back to wallet fee estimation"))
            .arg(Arg::optional("verbose", ArgType::Bool, "If true, return extra information about the transaction.").default("false"))
            .result("\"hex\"    (string) The transaction id.")
            .example("hashvive-cli sendtoaddress \"bcrt1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\" 0.1"),
    );
    table.register(
        Command::new("bumpfee", "wallet", "Bumps the fee of a transaction T, replacing it with a new transaction B.\nA transaction with the given txid must be in the wallet.\nThe command will pay the additional fee by reducing change outputs or adding inputs when necessary.\nIt may add a new change output if one does not already exist.\nAll inputs in the original transaction will be included in the replacement transaction.\nThe command will fail if the wallet or mempool contains a transaction that spends one of T's outputs.\nBy default, the new fee will be calculated automatically using the estimatesmartfee RPC.\nThe user can specify a confirmation target for estimatesmartfee.\nAlternatively, the user can specify a fee rate in sat/vB for the new transaction.", method(manager, bumpfee))
            .arg(Arg::required("txid", ArgType::Str, "The txid to be bumped"))
            .arg(Arg::optional("options", ArgType::Obj, "{\n  \"conf_target\": n,  (numeric, optional) Confirmation target in blocks\n  \"fee_rate\": amount,  (numeric or string, optional) Specify a fee rate in sat/vB instead of relying on the built-in fee estimator.\n  \"replaceable\": bool,  (boolean, optional, default=true) Whether the new transaction should be marked bip-125 replaceable.\n  \"estimate_mode\": \"str\",  (string, optional, default=\"unset\") The fee estimate mode\n}"))
            .result("{\n  \"txid\" : \"hex\",\n  \"origfee\" : n,\n  \"fee\" : n,\n  \"errors\" : [ \"str\", ... ]\n}")
            .example("hashvive-cli bumpfee <txid>"),
    );
    table.register(
        Command::new("sendmany", "wallet", "Send multiple times. Amounts are double-precision floating point numbers.", method(manager, sendmany))
            .arg(Arg::required("dummy", ArgType::Str, "Must be set to \"\" for backwards compatibility."))
            .arg(Arg::required("amounts", ArgType::Obj, "The addresses and amounts: {\"address\": amount, ...}, the amount in BTC"))
            .arg(Arg::optional("minconf", ArgType::Num, "Ignored dummy value"))
            .arg(Arg::optional("comment", ArgType::Str, "A comment"))
            .arg(Arg::optional("subtractfeefrom", ArgType::Arr, "The addresses.\nThe fee will be equally deducted from the amount of each selected address.\nThose recipients will receive less bitcoins than you enter in their corresponding amount field.\nIf no addresses are specified here, the sender pays the fee."))
            .arg(Arg::optional("replaceable", ArgType::Bool, "Signal that this transaction can be replaced by a transaction (BIP 125)").default("wallet default"))
            .arg(Arg::optional("conf_target", ArgType::Num, "Confirmation target in blocks").default("wallet -txconfirmtarget"))
            .arg(Arg::optional("estimate_mode", ArgType::Str, "The fee estimate mode, must be one of (case insensitive):\n\"unset\"\n\"economical\"\n\"conservative\"").default("\"unset\""))
            .arg(Arg::optional("fee_rate", ArgType::Amount, "Specify a fee rate in sat/vB.").default("not set, falls back to wallet fee estimation"))
            .arg(Arg::optional("verbose", ArgType::Bool, "If true, return extra information about the transaction.").default("false"))
            .result("\"hex\"    (string) The transaction id for the send. Only 1 transaction is created regardless of\nthe number of addresses.")
            .example("hashvive-cli sendmany \"\" \"{\\\"bcrt1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\\\":0.01,\\\"bcrt1q02ad21edsxd23d32dfgqqsz4vv4nmtfzuklhy3\\\":0.02}\""),
    );
    table.register(
        Command::new("settxfee", "wallet", "Set the transaction fee rate in BTC/kvB for this wallet. Overrides the global -paytxfee command line parameter.\nCan be deactivated by passing 0 as the fee. In that case automatic fee selection will be used by default.", method(manager, settxfee))
            .arg(Arg::required("amount", ArgType::Amount, "The transaction fee rate in BTC/kvB"))
            .result("true|false    (boolean) Returns true if successful")
            .example("hashvive-cli settxfee 0.00001"),
    );
    table.register(
        Command::new("send", "wallet", "EXPERIMENTAL warning: this call may be changed in future releases.\n\nSend a transaction.", method(manager, send))
            .arg(Arg::required("outputs", ArgType::Any, "The outputs specified as key-value pairs.\nEach key may only appear once, i.e. there can only be one 'data' output, and no address may be duplicated.\nAt least one output of either type must be specified.\nFor convenience, a dictionary, which holds the key-value pairs directly, is also accepted.").placeholder("[{\"address\":amount,...},{\"data\":\"hex\"},...]"))
            .arg(Arg::optional("conf_target", ArgType::Num, "Confirmation target in blocks").default("wallet -txconfirmtarget"))
            .arg(Arg::optional("estimate_mode", ArgType::Str, "The fee estimate mode, must be one of (case insensitive):\nunset, economical, conservative").default("\"unset\""))
            .arg(Arg::optional("fee_rate", ArgType::Amount, "Specify a fee rate in sat/vB.").default("not set, falls back to wallet fee estimation"))
            .arg(Arg::optional("options", ArgType::Obj, "{\n  \"add_inputs\": bool,  (boolean, optional, default=false when \"inputs\" are specified, true otherwise) Automatically include coins from the wallet to cover the target amount.\n  \"include_unsafe\": bool,  (boolean, optional, default=false) Include inputs that are not safe to spend (unconfirmed transactions from outside keys and unconfirmed replacement transactions).\n  \"minconf\": n,  (numeric, optional, default=0) If add_inputs is specified, require inputs with at least this many confirmations.\n  \"maxconf\": n,  (numeric, optional) If add_inputs is specified, require inputs with at most this many confirmations.\n  \"add_to_wallet\": bool,  (boolean, optional, default=true) When false, returns a serialized transaction which will not be added to the wallet or broadcast\n  \"change_address\": \"str\",  (string, optional, default=automatic) The bitcoin address to receive the change\n  \"change_position\": n,  (numeric, optional, default=random) The index of the change output\n  \"change_type\": \"str\",  (string, optional) The output type to use. Only valid if change_address is not specified.\n  \"fee_rate\": amount,  (numeric or string, optional) Specify a fee rate in sat/vB.\n  \"inputs\": [...],  (json array, optional, default=[]) Specify inputs instead of adding them automatically.\n  \"locktime\": n,  (numeric, optional, default=locktime close to block height to prevent fee sniping) Raw locktime. Non-0 value also locktime-activates inputs\n  \"lock_unspents\": bool,  (boolean, optional, default=false) Lock selected unspent outputs\n  \"psbt\": bool,  (boolean, optional, default=automatic) Always return a PSBT, implies add_to_wallet=false.\n  \"subtract_fee_from_outputs\": [...],  (json array, optional, default=[]) Outputs to subtract the fee from, specified as integer indices.\n  \"max_tx_weight\": n,  (numeric, optional, default=400000) The maximum acceptable transaction weight.\n  \"conf_target\": n,  (numeric, optional) Confirmation target in blocks\n  \"estimate_mode\": \"str\",  (string, optional, default=\"unset\") The fee estimate mode\n  \"replaceable\": bool,  (boolean, optional, default=wallet default) Marks this transaction as BIP125-replaceable.\n}"))
            .arg(Arg::optional("version", ArgType::Num, "Transaction version").default("2"))
            .result("{\n  \"complete\" : true|false,  (boolean) If the transaction has a complete set of signatures\n  \"txid\" : \"hex\",          (string, optional) The transaction id for the send. Only 1 transaction is created regardless of the number of addresses.\n  \"hex\" : \"hex\",           (string, optional) If add_to_wallet is false, the hex-encoded raw transaction with signature(s)\n  \"psbt\" : \"str\"           (string, optional) If more signatures are needed, or if add_to_wallet is false, the base64-encoded (partially) signed transaction\n}")
            .example("hashvive-cli send '{\"bcrt1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\": 0.1}'"),
    );
}

async fn send(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let options = call.param(4).and_then(Value::as_object).cloned().unwrap_or_default();
    let fee_call = fee_instructions(&call, &options)?;
    let network = m.options().network;
    let fund_options = FundOptions::parse(&options, network)?;
    let destination = |text: &str| super::address_for(network, text).map(|a| a.script_pubkey());
    let tx = construct(
        options.get("inputs"),
        call.param(0).unwrap_or(&Value::Null),
        options.get("locktime"),
        fund_options.replaceable,
        call.param(5),
        &destination,
    )?;
    let has_inputs = !tx.input.is_empty();
    let lock_time = options.get("locktime").map(|_| tx.lock_time);
    let funding = fund_options.funding(tx, !has_inputs, lock_time)?;
    let mut wallet = request_wallet(&m, &call).await?;
    let fee = choose_fee(
        &m,
        &FeeRequest::from_call(&fee_call, FeeParams { conf_target: 0, estimate_mode: 1, fee_rate: 2 })?,
        wallet.pay_tx_fee(),
    )
    .await?;
    if !fee_call.params[2].is_null() {
        require_min_rate(&m, &fee, codes::RPC_WALLET_ERROR).await?;
    }
    let funded = fund(&m, &mut wallet, funding, &fee).await.map_err(as_wallet_error)?;
    finish(&m, &mut wallet, funded.psbt, fund_options.add_to_wallet, fund_options.psbt).await
}

/// The fee rate a send pays, in sat/kvB, and why (the reference's `FeeReason` text).
pub(super) struct FeeChoice {
    pub(super) sat_per_kvb: u64,
    pub(super) reason: &'static str,
}

impl FeeChoice {
    /// The fee for `vsize` virtual bytes at this rate, rounded up.
    pub(super) fn fee_for(&self, vsize: u64) -> Amount {
        // Wide enough for any rate a caller may name; more than all the
        // money there is stops at that, which every fee check then refuses.
        let sats = (u128::from(self.sat_per_kvb) * u128::from(vsize)).div_ceil(1000);
        Amount::from_sat(sats.min(u128::from(hashvive_rpc::amount::MAX_MONEY)) as u64)
    }

    /// The rate per weight unit, rounded up so it never falls below the one asked for.
    pub(super) fn per_weight(&self) -> FeeRate {
        FeeRate::from_sat_per_kwu(self.sat_per_kvb.div_ceil(4))
    }
}

/// Where a method takes its fee parameters: `conf_target`, `estimate_mode`, `fee_rate`.
#[derive(Clone, Copy)]
pub(super) struct FeeParams {
    pub(super) conf_target: usize,
    pub(super) estimate_mode: usize,
    pub(super) fee_rate: usize,
}

/// What a caller asked of a send's fee: a target, how to estimate, or a rate.
pub(super) struct FeeRequest {
    conf_target: Option<u32>,
    conservative: bool,
    /// sat/kvB.
    sat_per_kvb: Option<u64>,
}

impl FeeRequest {
    /// Nothing asked: the wallet's `settxfee` rate, else its estimate.
    const WALLET_DEFAULT: FeeRequest = FeeRequest { conf_target: None, conservative: false, sat_per_kvb: None };

    /// The call's fee parameters, checked as the reference checks them.
    pub(super) fn from_call(call: &Call, at: FeeParams) -> Result<FeeRequest, RpcError> {
        let conf_target = call.param(at.conf_target);
        let sat_per_kvb = match call.param(at.fee_rate) {
            None => None,
            Some(_) if conf_target.is_some() => {
                return Err(RpcError::invalid_parameter("Cannot specify both conf_target and fee_rate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate."));
            }
            Some(rate) => {
                let text = match rate {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                // sat/vB with up to three decimals is a whole number of sat/kvB.
                let rate = parse_fixed_point(&text, 3)
                    .filter(|r| *r >= 0)
                    .ok_or_else(|| RpcError::type_error("Invalid amount"))?;
                Some(rate as u64)
            }
        };
        let conf_target = conf_target.map(|v| v.as_u64().and_then(|t| u32::try_from(t).ok())).map(valid_target);
        Ok(FeeRequest {
            conf_target: conf_target.transpose()?,
            conservative: call
                .param(at.estimate_mode)
                .and_then(Value::as_str)
                .is_some_and(|m| m.eq_ignore_ascii_case("conservative")),
            sat_per_kvb,
        })
    }
}

/// A confirmation target the fee estimator answers for.
fn valid_target(blocks: Option<u32>) -> Result<u32, RpcError> {
    blocks
        .filter(|t| (1..=1008).contains(t))
        .ok_or_else(|| RpcError::invalid_parameter("Invalid conf_target, must be between 1 and 1008"))
}

/// The fee rate for a send (the reference's `GetMinimumFeeRate`): an
/// explicit rate as given; else the wallet's `settxfee` rate
/// (`pay_tx_fee`) unless a `conf_target` asks for an estimate; else the node's estimate or
/// `-fallbackfee`; never below `-mintxfee`, the relay minimum or the mempool's.
pub(super) async fn choose_fee(
    m: &WalletManager,
    request: &FeeRequest,
    pay_tx_fee: u64,
) -> Result<FeeChoice, RpcError> {
    if let Some(sat_per_kvb) = request.sat_per_kvb {
        return Ok(FeeChoice { sat_per_kvb, reason: "PayTxFee set" });
    }
    let chosen = match (request.conf_target, pay_tx_fee) {
        (None, rate) if rate > 0 => FeeChoice { sat_per_kvb: rate, reason: "PayTxFee set" },
        _ => estimate_fee(m, request).await?,
    };
    let chain = m.chain();
    let floor = m
        .options()
        .min_tx_fee
        .max(chain.relay_min_fee().await.map_err(node)?)
        .max(chain.mempool_min_fee().await.map_err(node)?);
    Ok(match chosen.sat_per_kvb < floor {
        true => FeeChoice { sat_per_kvb: floor, reason: "Minimum Required Fee" },
        false => chosen,
    })
}

/// An explicit fee rate below what the wallet may pay (`-mintxfee`, the
/// relay minimum) is refused with `code`, in the reference's words.
pub(super) async fn require_min_rate(m: &WalletManager, fee: &FeeChoice, code: i32) -> Result<(), RpcError> {
    let least = m.options().min_tx_fee.max(m.chain().relay_min_fee().await.map_err(node)?);
    match fee.sat_per_kvb < least {
        true => Err(RpcError::new(
            code,
            format!(
                "Fee rate ({}) is lower than the minimum fee rate setting ({})",
                sat_per_vb_text(fee.sat_per_kvb),
                sat_per_vb_text(least)
            ),
        )),
        false => Ok(()),
    }
}

/// The node's estimate for the request's `conf_target` (or `-txconfirmtarget`),
/// else `-fallbackfee`.
async fn estimate_fee(m: &WalletManager, request: &FeeRequest) -> Result<FeeChoice, RpcError> {
    let target = request.conf_target.unwrap_or(m.options().confirm_target);
    match m.chain().estimate_smart_fee(target, request.conservative).await.map_err(node)? {
        Some(estimate) => Ok(FeeChoice { sat_per_kvb: estimate.sat_per_kvb, reason: "Double Target 85% Threshold" }),
        None if m.options().fallback_fee > 0 => {
            Ok(FeeChoice { sat_per_kvb: m.options().fallback_fee, reason: "Fallback fee" })
        }
        None => Err(RpcError::new(
            codes::RPC_WALLET_INSUFFICIENT_FUNDS,
            "Fee estimation failed. Fallbackfee is disabled. Wait a few blocks or enable -fallbackfee.",
        )),
    }
}

/// The fee parameters, positional or in the options object but not both
/// (the reference's `InterpretFeeEstimationInstructions`), as a call whose
/// parameters are `conf_target`, `estimate_mode`, `fee_rate`.
pub(super) fn fee_instructions(call: &Call, options: &Map<String, Value>) -> Result<Call, RpcError> {
    let positional = |i: usize| call.param(i).cloned().unwrap_or(Value::Null);
    let option = |name: &str| options.get(name).cloned().unwrap_or(Value::Null);
    let (mut conf_target, mut estimate_mode, mut fee_rate) = (positional(1), positional(2), positional(3));
    if options.contains_key("conf_target") || options.contains_key("estimate_mode") {
        if !conf_target.is_null() || !estimate_mode.is_null() {
            return Err(RpcError::invalid_parameter(
                "Pass conf_target and estimate_mode either as arguments or in the options object, but not both",
            ));
        }
        (conf_target, estimate_mode) = (option("conf_target"), option("estimate_mode"));
    }
    if options.contains_key("fee_rate") {
        if !fee_rate.is_null() {
            return Err(RpcError::invalid_parameter(
                "Pass the fee_rate either as an argument, or in the options object, but not both",
            ));
        }
        fee_rate = option("fee_rate");
    }
    if !conf_target.is_null() && estimate_mode.as_str().is_none_or(|m| m.eq_ignore_ascii_case("unset")) {
        return Err(RpcError::invalid_parameter("Specify estimate_mode"));
    }
    Ok(Call { params: vec![conf_target, estimate_mode, fee_rate], request: call.request.clone() })
}

/// A fee rate as the reference prints one: `0.00001000 BTC/kvB`.
fn fee_rate_text(sat_per_kvb: u64) -> String {
    format!("{}.{:08} BTC/kvB", sat_per_kvb / 100_000_000, sat_per_kvb % 100_000_000)
}

/// A fee rate in the reference's other unit: `1.000 sat/vB`.
pub(super) fn sat_per_vb_text(sat_per_kvb: u64) -> String {
    format!("{}.{:03} sat/vB", sat_per_kvb / 1000, sat_per_kvb % 1000)
}

async fn settxfee(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let rate = parse_amount(call.param(0).unwrap_or(&Value::Null))?.to_sat();
    let mut wallet = request_wallet(&m, &call).await?;
    let relay_min = m.chain().relay_min_fee().await.map_err(node)?;
    // 0 turns the wallet's rate off: sends estimate again.
    if rate != 0 {
        let refuse = |what: &str, limit: u64| {
            Err(RpcError::invalid_parameter(format!("txfee cannot be {what} ({})", fee_rate_text(limit))))
        };
        if rate < relay_min {
            return refuse("less than min relay tx fee", relay_min);
        }
        if rate < m.options().min_tx_fee {
            return refuse("less than wallet min fee", m.options().min_tx_fee);
        }
        let max = m.options().max_tx_fee.max(0) as u64;
        if rate > max {
            return refuse("more than wallet max tx fee", max);
        }
    }
    wallet.set_pay_tx_fee(rate);
    Ok(json!(true))
}

pub(super) fn create_error(e: SpendError) -> RpcError {
    match e {
        SpendError::InsufficientFunds | SpendError::OutputBelowDust => {
            RpcError::new(codes::RPC_WALLET_INSUFFICIENT_FUNDS, e.to_string())
        }
        SpendError::Wallet(e) => e.into(),
        other => RpcError::new(codes::RPC_WALLET_ERROR, other.to_string()),
    }
}

pub(super) fn parse_address(network: bitcoin::Network, text: &str) -> Result<Address, RpcError> {
    super::address_for(network, text)
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, format!("Invalid Bitcoin address: {text}")))
}

fn send_amount(value: &Value) -> Result<Amount, RpcError> {
    let amount = parse_amount(value)?;
    if amount == Amount::ZERO {
        return Err(RpcError::type_error("Invalid amount for send"));
    }
    Ok(amount)
}

/// One output of a payment, and whether it bears (a share of) the fee.
struct Recipient {
    address: Address,
    amount: Amount,
    subtract_fee: bool,
}

async fn sendtoaddress(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let text = call.param(0).and_then(Value::as_str).unwrap_or_default();
    let address = parse_address(m.options().network, text)?;
    let amount = send_amount(call.param(1).unwrap_or(&Value::Null))?;
    let subtract_fee = call.param(4).and_then(Value::as_bool).unwrap_or(false);
    let replaceable = call.param(5).and_then(Value::as_bool).unwrap_or(true);
    let mut wallet = request_wallet(&m, &call).await?;
    ensure_unlocked(&wallet)?;
    let fee = choose_fee(
        &m,
        &FeeRequest::from_call(&call, FeeParams { conf_target: 6, estimate_mode: 7, fee_rate: 9 })?,
        wallet.pay_tx_fee(),
    )
    .await?;
    if call.param(9).is_some() {
        require_min_rate(&m, &fee, codes::RPC_WALLET_INSUFFICIENT_FUNDS).await?;
    }
    let recipients = vec![Recipient { address, amount, subtract_fee }];
    let txid = pay(&m, &mut wallet, &recipients, &fee, replaceable).await?;
    Ok(match call.param(10).and_then(Value::as_bool) {
        Some(true) => json!({ "txid": txid.to_string(), "fee_reason": fee.reason }),
        _ => json!(txid.to_string()),
    })
}

async fn sendmany(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    if call.param(0).and_then(Value::as_str).is_some_and(|d| !d.is_empty()) {
        return Err(RpcError::invalid_parameter("Dummy value must be set to \"\""));
    }
    let amounts = call.param(1).and_then(Value::as_object).cloned().unwrap_or_default();
    let subtract_from: Vec<&str> =
        call.param(4).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
    let mut recipients: Vec<Recipient> = Vec::new();
    for (text, value) in &amounts {
        let address = recipient_address(m.options().network, &recipients, text)?;
        let subtract_fee = subtract_from.contains(&text.as_str());
        recipients.push(Recipient { address, amount: send_amount(value)?, subtract_fee });
    }
    require_recipients(&recipients)?;
    if let Some(unknown) = subtract_from.iter().find(|a| !amounts.contains_key(**a)) {
        return Err(RpcError::invalid_parameter(format!(
            "Invalid parameter 'subtract fee from output', destination {unknown} not found in tx outputs"
        )));
    }
    let replaceable = call.param(5).and_then(Value::as_bool).unwrap_or(true);
    let mut wallet = request_wallet(&m, &call).await?;
    ensure_unlocked(&wallet)?;
    let fee = choose_fee(
        &m,
        &FeeRequest::from_call(&call, FeeParams { conf_target: 6, estimate_mode: 7, fee_rate: 8 })?,
        wallet.pay_tx_fee(),
    )
    .await?;
    if call.param(8).is_some() {
        require_min_rate(&m, &fee, codes::RPC_WALLET_INSUFFICIENT_FUNDS).await?;
    }
    let txid = pay(&m, &mut wallet, &recipients, &fee, replaceable).await?;
    Ok(match call.param(9).and_then(Value::as_bool) {
        Some(true) => json!({ "txid": txid.to_string(), "fee_reason": fee.reason }),
        _ => json!(txid.to_string()),
    })
}

/// `text` as the address of a payment's next recipient: one of the wallets'
/// network, and none of those before.
fn recipient_address(network: bitcoin::Network, recipients: &[Recipient], text: &str) -> Result<Address, RpcError> {
    let address = parse_address(network, text)?;
    match recipients.iter().any(|r| r.address == address) {
        true => Err(RpcError::invalid_parameter(format!("Invalid parameter, duplicated address: {text}"))),
        false => Ok(address),
    }
}

fn require_recipients(recipients: &[Recipient]) -> Result<(), RpcError> {
    match recipients.is_empty() {
        true => Err(RpcError::invalid_parameter("Transaction must have at least one recipient")),
        false => Ok(()),
    }
}

/// A GUI's payment (the `Wallet` interface's `createTransaction`), checked as
/// `sendmany` checks its own: built and signed, not sent.
pub(crate) async fn create_payment(
    m: &WalletManager,
    wallet: &mut Wallet,
    payment: &Payment,
) -> Result<PreparedTransaction, RpcError> {
    let mut recipients: Vec<Recipient> = Vec::new();
    for r in &payment.recipients {
        let address = recipient_address(m.options().network, &recipients, &r.address)?;
        let amount = u64::try_from(r.amount)
            .ok()
            .filter(|a| (1..=hashvive_rpc::amount::MAX_MONEY).contains(a))
            .ok_or_else(|| RpcError::type_error("Invalid amount for send"))?;
        recipients.push(Recipient { address, amount: Amount::from_sat(amount), subtract_fee: r.subtract_fee });
    }
    require_recipients(&recipients)?;
    ensure_unlocked(wallet)?;
    let request = match payment.fee {
        PaymentFee::WalletDefault => FeeRequest::WALLET_DEFAULT,
        PaymentFee::ConfTarget(blocks) => {
            FeeRequest { conf_target: Some(valid_target(Some(blocks))?), conservative: false, sat_per_kvb: None }
        }
        PaymentFee::SatPerKvb(rate) => FeeRequest { conf_target: None, conservative: false, sat_per_kvb: Some(rate) },
    };
    let fee = choose_fee(m, &request, wallet.pay_tx_fee()).await?;
    if request.sat_per_kvb.is_some() {
        require_min_rate(m, &fee, codes::RPC_WALLET_INSUFFICIENT_FUNDS).await?;
    }
    let inputs: Vec<bitcoin::OutPoint> = payment
        .inputs
        .iter()
        .map(|(txid, vout)| bitcoin::OutPoint { txid: bitcoin::hashes::Hash::from_byte_array(*txid), vout: *vout })
        .collect();
    let (tx, fee) = prepare_payment(m, wallet, &recipients, &inputs, &fee, payment.replaceable).await?;
    Ok(PreparedTransaction { tx: serialize(&tx), fee: fee.to_sat() as i64 })
}

/// Sends and records a transaction [`create_payment`] or [`create_bump`]
/// made (the `Wallet` interface's `commitTransaction`); one that neither
/// pays nor spends the wallet's coins is refused. A fee bump is recorded as
/// replacing the unconfirmed transaction whose coins it spends again.
pub(crate) async fn commit_payment(
    m: &WalletManager,
    wallet: &mut Wallet,
    tx: &[u8],
) -> Result<bitcoin::Txid, RpcError> {
    let tx: Transaction = bitcoin::consensus::deserialize(tx)
        .map_err(|_| RpcError::new(codes::RPC_DESERIALIZATION_ERROR, "TX decode failed"))?;
    if !wallet.concerns(&tx, &[]) {
        return Err(RpcError::new(codes::RPC_WALLET_ERROR, "The transaction is not the wallet's"));
    }
    let spent: std::collections::HashSet<_> = tx.input.iter().map(|i| i.previous_output).collect();
    let txid = tx.compute_txid();
    let replaces = wallet
        .ledger()
        .transactions()
        .filter(|t| !matches!(t.chain_position, bdk_wallet::chain::ChainPosition::Confirmed { .. }))
        .filter(|t| t.tx_node.txid != txid && t.tx_node.tx.input.iter().any(|i| spent.contains(&i.previous_output)))
        .map(|t| t.tx_node.txid)
        .next();
    broadcast(m, wallet, tx, replaces).await
}

/// Builds, signs, broadcasts and records a payment to `recipients` from
/// `wallet`, held locked by the caller until the transaction is recorded, so
/// no other send picks the same coins.
async fn pay(
    m: &WalletManager,
    wallet: &mut Wallet,
    recipients: &[Recipient],
    fee: &FeeChoice,
    replaceable: bool,
) -> Result<bitcoin::Txid, RpcError> {
    let (tx, _) = prepare_payment(m, wallet, recipients, &[], fee, replaceable).await?;
    broadcast(m, wallet, tx, None).await
}

/// Builds and signs a payment to `recipients` from `wallet` without sending
/// it, spending `inputs` and no other coins when any are given (coin
/// control); the transaction and its fee.
async fn prepare_payment(
    m: &WalletManager,
    wallet: &mut Wallet,
    recipients: &[Recipient],
    inputs: &[bitcoin::OutPoint],
    fee: &FeeChoice,
    replaceable: bool,
) -> Result<(Transaction, Amount), RpcError> {
    let sequence = if replaceable { Sequence::ENABLE_RBF_NO_LOCKTIME } else { Sequence::ENABLE_LOCKTIME_NO_RBF };
    // In no telling order, as the reference does for privacy.
    let mut order: Vec<&Recipient> = recipients.iter().collect();
    order.shuffle(&mut bitcoin::secp256k1::rand::thread_rng());
    let tx = Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: bitcoin::absolute::LockTime::ZERO,
        input: inputs.iter().map(|o| TxIn { previous_output: *o, sequence, ..TxIn::default() }).collect(),
        output: order.iter().map(|r| TxOut { value: r.amount, script_pubkey: r.address.script_pubkey() }).collect(),
    };
    let funding = Funding {
        subtract_fee_from: order.iter().enumerate().filter(|(_, r)| r.subtract_fee).map(|(i, _)| i).collect(),
        add_inputs: inputs.is_empty(),
        replaceable,
        ..Funding::outputs(tx)
    };
    let funded = fund(m, wallet, funding, fee).await?;
    Ok((signed(wallet, funded.psbt)?, funded.fee))
}

/// Signs `psbt` and broadcasts the transaction and records it in `wallet`;
/// `replaces` names the transaction it takes the place of (a fee bump).
async fn commit(
    m: &WalletManager,
    wallet: &mut Wallet,
    psbt: Psbt,
    replaces: Option<bitcoin::Txid>,
) -> Result<bitcoin::Txid, RpcError> {
    broadcast(m, wallet, signed(wallet, psbt)?, replaces).await
}

/// The transaction of `psbt` with every signature the wallet owes it.
fn signed(wallet: &Wallet, mut psbt: Psbt) -> Result<Transaction, RpcError> {
    match wallet.sign(&mut psbt)? {
        true => Ok(psbt.extract_tx_unchecked_fee_rate()),
        false => Err(RpcError::new(codes::RPC_WALLET_ERROR, "Signing transaction failed")),
    }
}

/// Signs `psbt` and answers as the reference's `send` and `sendall` do: the
/// transaction broadcast and recorded (`txid`), or handed back (`psbt`,
/// `hex`) when `add_to_wallet` is false, a PSBT was asked for, or
/// signatures are missing.
pub(super) async fn finish(
    m: &WalletManager,
    wallet: &mut Wallet,
    mut psbt: Psbt,
    add_to_wallet: bool,
    psbt_wanted: bool,
) -> Result<Value, RpcError> {
    let complete = wallet.sign(&mut psbt)?;
    let mut result = serde_json::Map::new();
    if psbt_wanted || !complete || !add_to_wallet {
        result.insert("psbt".into(), json!(base64::engine::general_purpose::STANDARD.encode(psbt.serialize())));
    }
    if complete {
        let tx = psbt.extract_tx_unchecked_fee_rate();
        result.insert("txid".into(), json!(tx.compute_txid().to_string()));
        match add_to_wallet && !psbt_wanted {
            true => {
                broadcast(m, wallet, tx, None).await?;
            }
            false => {
                result.insert("hex".into(), json!(serialize(&tx).to_lower_hex_string()));
            }
        }
    }
    result.insert("complete".into(), json!(complete));
    Ok(Value::Object(result))
}

/// Broadcasts a signed transaction of `wallet`'s and records it;
/// `replaces` names the transaction it takes the place of (a fee bump).
async fn broadcast(
    m: &WalletManager,
    wallet: &mut Wallet,
    tx: bitcoin::Transaction,
    replaces: Option<bitcoin::Txid>,
) -> Result<bitcoin::Txid, RpcError> {
    let txid = tx.compute_txid();
    let now = hashvive_common::time::now().max(0) as u64;
    match m.chain().broadcast_transaction(serialize(&tx), m.options().max_tx_fee).await.map_err(node)? {
        // The node took it in place of the old one: so does the wallet, at
        // once rather than when the node's notice of the removal arrives.
        Ok(()) => {
            if let Some(old) = replaces {
                wallet.apply_evicted(old, now)?;
                wallet.record_replacement(old, txid)?;
            }
        }
        Err(BroadcastError::MaxFeeExceeded) => {
            return Err(RpcError::new(codes::RPC_WALLET_INSUFFICIENT_FUNDS, BroadcastError::MaxFeeExceeded.to_string()))
        }
        // Kept, as the reference keeps it: the coins stay spent until it is abandoned.
        Err(e) => tracing::warn!("CommitTransaction(): Transaction cannot be broadcast immediately, {e}"),
    }
    wallet.apply_unconfirmed(tx, now)?;
    Ok(txid)
}

/// The least a replacement's fee rate must rise by: the reference's
/// `-incrementalrelayfee` default, 1 sat/vB.
const INCREMENTAL_RELAY_FEE: u64 = 1000;

async fn bumpfee(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let txid = super::parse_txid(call.param(0).and_then(Value::as_str).unwrap_or_default())?;
    // The options object, read as if its members were positional parameters.
    let options = call.param(1).and_then(Value::as_object).cloned().unwrap_or_default();
    let option = |name: &str| options.get(name).cloned().unwrap_or(Value::Null);
    let as_call = Call {
        params: vec![option("conf_target"), option("estimate_mode"), option("fee_rate")],
        request: call.request.clone(),
    };
    let at = FeeParams { conf_target: 0, estimate_mode: 1, fee_rate: 2 };
    let replaceable = options.get("replaceable").and_then(Value::as_bool) != Some(false);
    let mut wallet = request_wallet(&m, &call).await?;
    ensure_unlocked(&wallet)?;
    let request = FeeRequest::from_call(&as_call, at)?;
    let bump = prepare_bump(&m, &mut wallet, txid, &request, replaceable).await?;
    let new_txid = commit(&m, &mut wallet, bump.psbt, Some(txid)).await?;
    Ok(json!({
        "txid": new_txid.to_string(),
        "origfee": amount_to_json(bump.old_fee),
        "fee": amount_to_json(bump.new_fee),
        "errors": [],
    }))
}

/// A GUI's fee bump (the `Wallet` interface's `createBumpTransaction`): the
/// replacement `bumpfee` would send with no options, signed, not sent.
pub(crate) async fn create_bump(
    m: &WalletManager,
    wallet: &mut Wallet,
    txid: bitcoin::Txid,
) -> Result<PreparedTransaction, RpcError> {
    ensure_unlocked(wallet)?;
    let bump = prepare_bump(m, wallet, txid, &FeeRequest::WALLET_DEFAULT, true).await?;
    let tx = signed(wallet, bump.psbt)?;
    Ok(PreparedTransaction { tx: serialize(&tx), fee: bump.new_fee.to_sat() as i64 })
}

/// A replacement of one of the wallet's transactions at a higher fee rate,
/// unsigned, and the fees before and after.
struct Bump {
    psbt: Psbt,
    old_fee: Amount,
    new_fee: Amount,
}

/// Builds the replacement `bumpfee` sends for `txid`, refusing what the
/// reference refuses (mined, not BIP125, with descendants, foreign inputs).
async fn prepare_bump(
    m: &WalletManager,
    wallet: &mut Wallet,
    txid: bitcoin::Txid,
    request: &FeeRequest,
    replaceable: bool,
) -> Result<Bump, RpcError> {
    let fee = choose_fee(m, request, wallet.pay_tx_fee()).await?;
    let wtx = wallet
        .ledger()
        .transactions()
        .find(|t| t.tx_node.txid == txid)
        .ok_or_else(|| RpcError::new(codes::RPC_INVALID_ADDRESS_OR_KEY, "Invalid or non-wallet transaction id"))?;
    let tx = wtx.tx_node.tx.clone();
    if matches!(wtx.chain_position, bdk_wallet::chain::ChainPosition::Confirmed { .. }) {
        return Err(RpcError::new(
            codes::RPC_WALLET_ERROR,
            "Transaction has been mined, or is conflicted with a mined transaction",
        ));
    }
    if !tx.is_explicitly_rbf() {
        return Err(RpcError::new(codes::RPC_WALLET_ERROR, "Transaction is not BIP 125 replaceable"));
    }
    let ledger = wallet.ledger();
    if ledger.transactions().any(|t| t.tx_node.tx.input.iter().any(|i| i.previous_output.txid == txid)) {
        return Err(RpcError::invalid_parameter("Transaction has descendants in the wallet"));
    }
    let foreign =
        || RpcError::new(codes::RPC_WALLET_ERROR, "Transaction contains inputs that don't belong to this wallet");
    let ours =
        |i: &TxIn| ledger.tx_graph().get_txout(i.previous_output).is_some_and(|o| ledger.is_mine(&o.script_pubkey));
    if !tx.input.iter().all(ours) {
        return Err(foreign());
    }
    let old_fee = ledger.calculate_fee(&tx).ok_or_else(foreign)?;
    let old_rate = ledger.calculate_fee_rate(&tx).ok_or_else(foreign)?;
    let least = old_rate.to_sat_per_kwu() * 4 + INCREMENTAL_RELAY_FEE;
    let sat_per_kvb = match (request.sat_per_kvb.is_some(), fee.sat_per_kvb < least) {
        (true, true) => {
            return Err(RpcError::invalid_parameter(format!(
                "Insufficient total fee rate {} sat/vB, must be at least {} sat/vB (the old rate plus the incremental relay fee rate)",
                fee.sat_per_kvb as f64 / 1000.0,
                least as f64 / 1000.0
            )))
        }
        (false, true) => least,
        (_, false) => fee.sat_per_kvb,
    };
    // As the reference bumps (`CreateRateBumpTransaction`): the same inputs
    // and outputs but the change, funded anew at the higher rate, so the
    // change shrinks or more coins come in.
    let mut outputs = tx.output.clone();
    let change = outputs.iter().position(|o| wallet.is_change(&o.script_pubkey)).map(|at| outputs.remove(at));
    let template = Transaction {
        version: tx.version,
        lock_time: tx.lock_time,
        input: tx
            .input
            .iter()
            .map(|i| TxIn {
                previous_output: i.previous_output,
                sequence: if replaceable { i.sequence } else { Sequence::ENABLE_LOCKTIME_NO_RBF },
                ..TxIn::default()
            })
            .collect(),
        output: outputs,
    };
    let funding = Funding {
        change_address: change.map(|c| c.script_pubkey),
        replaceable,
        lock_time: Some(tx.lock_time),
        replacing: Some((*tx).clone()),
        ..Funding::outputs(template)
    };
    let funded =
        fund(m, wallet, funding, &FeeChoice { sat_per_kvb, reason: fee.reason }).await.map_err(as_wallet_error)?;
    Ok(Bump { psbt: funded.psbt, old_fee, new_fee: funded.fee })
}
