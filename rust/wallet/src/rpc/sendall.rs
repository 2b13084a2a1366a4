//! `sendall`: spends every coin (or the coins named) to the recipients, the
//! fee and all that is not assigned shared among the addresses given
//! without an amount; no change.

use std::sync::Arc;

use bitcoin::absolute::LockTime;
use bitcoin::{Address, Amount, OutPoint, Sequence, Transaction, TxIn, TxOut, Witness};
use serde_json::{Map, Value};

use hashvive_rpc::amount::parse_amount;
use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::balances::unspent;
use super::fund::{anti_fee_sniping, estimated_vsize, input_vsize};
use super::send::{choose_fee, fee_instructions, finish, parse_address, require_min_rate, FeeParams, FeeRequest};
use super::{method, request_wallet};
use crate::manager::WalletManager;
use crate::wallet::Wallet;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("sendall", "wallet", "EXPERIMENTAL warning: this call may be changed in future releases.\n\nSpend the value of all (or specific) confirmed UTXOs and unconfirmed change in the wallet to one or more recipients.\nUnconfirmed inbound UTXOs and locked UTXOs will not be spent. Sendall will respect the avoid_reuse wallet flag.\nIf your wallet contains many small inputs, either because it received tiny payments or as a result of accumulating change, consider using `send_max` to exclude inputs that are worth less than the fees needed to spend them.", method(manager, sendall))
            .arg(Arg::required("recipients", ArgType::Arr, "The sendall destinations. Each address may only appear once.\nOptionally some recipients can be specified with an amount to perform payments, but at least one address must appear without a specified amount.").placeholder("[\"address\",{\"address\":amount,...},...]"))
            .arg(Arg::optional("conf_target", ArgType::Num, "Confirmation target in blocks").default("wallet -txconfirmtarget"))
            .arg(Arg::optional("estimate_mode", ArgType::Str, "The fee estimate mode, must be one of (case insensitive):\nunset, economical, conservative").default("\"unset\""))
            .arg(Arg::optional("fee_rate", ArgType::Amount, "Specify a fee rate in sat/vB.").default("not set, fall back to wallet fee estimation"))
            .arg(Arg::optional("options", ArgType::Obj, "{\n  \"add_to_wallet\": bool,  (boolean, optional, default=true) When false, returns the serialized transaction without broadcasting or adding it to the wallet\n  \"fee_rate\": amount,  (numeric or string, optional) Specify a fee rate in sat/vB.\n  \"inputs\": [...],  (json array, optional, default=[]) Use exactly the specified inputs to build the transaction. Specifying inputs is incompatible with the send_max, minconf, and maxconf options.\n  \"locktime\": n,  (numeric, optional) Raw locktime. Non-0 value also locktime-activates inputs\n  \"lock_unspents\": bool,  (boolean, optional, default=false) Lock selected unspent outputs\n  \"psbt\": bool,  (boolean, optional, default=automatic) Always return a PSBT, implies add_to_wallet=false.\n  \"send_max\": bool,  (boolean, optional, default=false) When true, only use UTXOs that can pay for their own fees to maximize the output amount. When 'false' (default), no UTXO is left behind. send_max is incompatible with providing specific inputs.\n  \"minconf\": n,  (numeric, optional, default=0) Require inputs with at least this many confirmations.\n  \"maxconf\": n,  (numeric, optional) Require inputs with at most this many confirmations.\n  \"conf_target\": n,  (numeric, optional) Confirmation target in blocks\n  \"estimate_mode\": \"str\",  (string, optional, default=\"unset\") The fee estimate mode\n  \"replaceable\": bool,  (boolean, optional, default=wallet default) Marks this transaction as BIP125-replaceable.\n}"))
            .result("{\n  \"complete\" : true|false,  (boolean) If the transaction has a complete set of signatures\n  \"txid\" : \"hex\",          (string, optional) The transaction id for the send. Only 1 transaction is created regardless of the number of addresses.\n  \"hex\" : \"hex\",           (string, optional) If add_to_wallet is false, the hex-encoded raw transaction with signature(s)\n  \"psbt\" : \"str\"           (string, optional) If more signatures are needed, or if add_to_wallet is false, the base64-encoded (partially) signed transaction\n}")
            .example("hashvive-cli sendall '[\"bcrt1q09vm5lfy0j5reeulh4x5752q25uqqvz34hufdl\"]'"),
    );
}

/// One output of a `sendall`: a payment (`Some` amount) or a share of what is left.
struct Destination {
    address: Address,
    amount: Option<Amount>,
}

/// The recipients array: addresses, and `{address: amount}` objects.
fn destinations(network: bitcoin::Network, recipients: &[Value]) -> Result<Vec<Destination>, RpcError> {
    let mut list: Vec<Destination> = Vec::new();
    for recipient in recipients {
        let (text, amount) = match recipient {
            Value::String(text) => (text.as_str(), None),
            Value::Object(pair) => {
                let mut members = pair.iter();
                let (Some((text, value)), None) = (members.next(), members.next()) else {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair must contain exactly one key",
                    ));
                };
                (text.as_str(), Some(parse_amount(value)?))
            }
            _ => {
                return Err(RpcError::invalid_parameter("Invalid parameter, key-value pair not an object as expected"))
            }
        };
        let address = parse_address(network, text)?;
        if list.iter().any(|d| d.address == address) {
            return Err(RpcError::invalid_parameter(format!("Invalid parameter, duplicated address: {text}")));
        }
        list.push(Destination { address, amount });
    }
    if list.iter().all(|d| d.amount.is_some()) {
        return Err(RpcError::invalid_parameter("Must provide at least one address without a specified amount"));
    }
    Ok(list)
}

/// A depth option (`minconf`, `maxconf`), if given.
fn depth_option(options: &Map<String, Value>, name: &str) -> Result<Option<i64>, RpcError> {
    match options.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| RpcError::type_error(format!("{name} must be a number"))),
    }
}

/// The coins named in the `inputs` option, each the wallet's and unspent.
fn named_inputs(wallet: &Wallet, inputs: &[Value]) -> Result<Vec<(OutPoint, Option<Sequence>)>, RpcError> {
    let mut coins = Vec::new();
    for input in inputs {
        let outpoint = super::coins::outpoint(input)?;
        let sequence =
            match input.get("sequence") {
                None | Some(Value::Null) => None,
                Some(v) => Some(Sequence(v.as_u64().and_then(|s| u32::try_from(s).ok()).ok_or_else(|| {
                    RpcError::invalid_parameter("Invalid parameter, sequence number is out of range")
                })?)),
            };
        if wallet.ledger().get_utxo(outpoint).is_none() {
            // A coin the wallet had is spent; any other is not the wallet's.
            let ours = wallet
                .ledger()
                .tx_graph()
                .get_txout(outpoint)
                .is_some_and(|o| wallet.ledger().is_mine(&o.script_pubkey));
            let state = match ours {
                true => "Input not available. UTXO ({}) was already spent.",
                false => "Input not found. UTXO ({}) is not part of wallet.",
            };
            return Err(RpcError::invalid_parameter(
                state.replace("{}", &format!("{}:{}", outpoint.txid, outpoint.vout)),
            ));
        }
        coins.push((outpoint, sequence));
    }
    Ok(coins)
}

async fn sendall(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let network = m.options().network;
    let options = call.param(4).and_then(Value::as_object).cloned().unwrap_or_default();
    let fee_call = fee_instructions(&call, &options)?;
    let recipients = call.param(0).and_then(Value::as_array).cloned().unwrap_or_default();
    let destinations = destinations(network, &recipients)?;
    let minconf = depth_option(&options, "minconf")?;
    if let Some(n) = minconf.filter(|n| *n < 0) {
        return Err(RpcError::invalid_parameter(format!("Invalid minconf (minconf cannot be negative): {n}")));
    }
    let maxconf = depth_option(&options, "maxconf")?;
    if let Some(max) = maxconf.filter(|max| *max < minconf.unwrap_or(0)) {
        return Err(RpcError::invalid_parameter(format!(
            "maxconf can't be lower than minconf: {max} < {}",
            minconf.unwrap_or(0)
        )));
    }
    let flag = |name: &str, default: bool| options.get(name).and_then(Value::as_bool).unwrap_or(default);
    let replaceable = flag("replaceable", true);
    let locktime = match options.get("locktime") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(LockTime::from_consensus)
                .ok_or_else(|| RpcError::invalid_parameter("Invalid parameter, locktime out of range"))?,
        ),
    };
    let named = options.get("inputs").and_then(Value::as_array);
    if options.contains_key("inputs") && options.contains_key("send_max") {
        return Err(RpcError::invalid_parameter("Cannot combine send_max with specific inputs."));
    }
    if options.contains_key("inputs") && (minconf.is_some() || maxconf.is_some()) {
        return Err(RpcError::invalid_parameter("Cannot combine minconf or maxconf with specific inputs."));
    }
    let send_max = flag("send_max", false);

    let mut wallet = request_wallet(&m, &call).await?;
    let at = FeeParams { conf_target: 0, estimate_mode: 1, fee_rate: 2 };
    let fee = choose_fee(&m, &FeeRequest::from_call(&fee_call, at)?, wallet.pay_tx_fee()).await?;
    if !fee_call.params[2].is_null() {
        require_min_rate(&m, &fee, codes::RPC_INVALID_PARAMETER).await?;
    }

    // The coins, each with the weight of its input once signed.
    let default_sequence = match replaceable {
        true => Sequence::ENABLE_RBF_NO_LOCKTIME,
        false => Sequence::ENABLE_LOCKTIME_NO_RBF,
    };
    let coins: Vec<(OutPoint, Sequence)> = match named {
        Some(inputs) => named_inputs(&wallet, inputs)?
            .into_iter()
            .map(|(outpoint, sequence)| (outpoint, sequence.unwrap_or(default_sequence)))
            .collect(),
        None => unspent(&wallet)
            .iter()
            .filter(|c| c.trusted() && !c.immature() && !wallet.is_locked(&c.output.outpoint))
            .filter(|c| c.confirmations >= minconf.unwrap_or(0) && maxconf.is_none_or(|max| c.confirmations <= max))
            .filter(|c| !send_max || fee.fee_for(input_vsize(&wallet, &c.output)) <= c.output.txout.value)
            .map(|c| (c.output.outpoint, default_sequence))
            .collect(),
    };
    if replaceable && coins.iter().any(|(_, s)| !s.is_rbf()) {
        return Err(RpcError::invalid_parameter(
            "Invalid parameter combination: Sequence number(s) contradict replaceable option",
        ));
    }
    let total: Amount = coins.iter().filter_map(|(o, _)| wallet.ledger().get_utxo(*o)).map(|u| u.txout.value).sum();

    // The size once signed, from the transaction's shape: the amounts to
    // share do not change it.
    let shape = Transaction {
        version: bitcoin::transaction::Version::TWO,
        lock_time: locktime.unwrap_or(LockTime::ZERO),
        input: coins
            .iter()
            .map(|(o, s)| TxIn {
                previous_output: *o,
                sequence: *s,
                script_sig: Default::default(),
                witness: Witness::new(),
            })
            .collect(),
        output: destinations
            .iter()
            .map(|d| TxOut { value: d.amount.unwrap_or(Amount::ZERO), script_pubkey: d.address.script_pubkey() })
            .collect(),
    };
    let vsize = estimated_vsize(&wallet, &shape);
    let fee_amount = fee.fee_for(vsize);
    if fee_amount.to_sat() > m.options().max_tx_fee.max(0) as u64 {
        return Err(RpcError::new(
            codes::RPC_WALLET_ERROR,
            "Fee exceeds maximum configured by user (e.g. -maxtxfee, maxfeerate)",
        ));
    }
    let Some(effective) = total.checked_sub(fee_amount).filter(|e| *e > Amount::ZERO) else {
        return Err(RpcError::new(
            codes::RPC_WALLET_INSUFFICIENT_FUNDS,
            match send_max {
                true => "Total value of UTXO pool too low to pay for transaction, try using lower feerate.",
                false => "Total value of UTXO pool too low to pay for transaction. Try using lower feerate or excluding uneconomic UTXOs with 'send_max' option.",
            },
        ));
    };
    if vsize * 4 > bitcoin::Weight::MAX_BLOCK.to_wu() / 10 {
        return Err(RpcError::new(codes::RPC_WALLET_ERROR, "Transaction too large."));
    }
    let claimed: Amount = destinations.iter().filter_map(|d| d.amount).sum();
    if claimed > total {
        return Err(RpcError::new(
            codes::RPC_WALLET_INSUFFICIENT_FUNDS,
            "Assigned more value to outputs than available funds.",
        ));
    }
    let Some(remainder) = effective.checked_sub(claimed) else {
        return Err(RpcError::new(
            codes::RPC_WALLET_INSUFFICIENT_FUNDS,
            "Insufficient funds for fees after creating specified outputs.",
        ));
    };

    // Equal shares of what is left; the first also takes what does not divide.
    let sharing = destinations.iter().filter(|d| d.amount.is_none()).count() as u64;
    let mut odd = remainder.to_sat() % sharing;
    let mut outputs = Vec::new();
    for d in &destinations {
        let spk = d.address.script_pubkey();
        let value = match d.amount {
            Some(amount) => {
                if amount < spk.minimal_non_dust() {
                    return Err(RpcError::invalid_parameter(format!(
                        "Specified output amount to {} is below dust threshold.",
                        d.address
                    )));
                }
                amount
            }
            None => {
                let share = Amount::from_sat(remainder.to_sat() / sharing + std::mem::take(&mut odd));
                if share < spk.minimal_non_dust() {
                    return Err(RpcError::new(
                        codes::RPC_WALLET_INSUFFICIENT_FUNDS,
                        "Dynamically assigned remainder results in dust output.",
                    ));
                }
                share
            }
        };
        outputs.push((spk, value));
    }

    // Every coin is spent and the outputs take all but the fee: no selection.
    let tx = Transaction {
        output: outputs.into_iter().map(|(script_pubkey, value)| TxOut { value, script_pubkey }).collect(),
        lock_time: locktime.unwrap_or_else(|| anti_fee_sniping(&wallet)),
        ..shape
    };
    let mut psbt =
        bitcoin::Psbt::from_unsigned_tx(tx).map_err(|e| RpcError::new(codes::RPC_WALLET_ERROR, e.to_string()))?;
    wallet.update_psbt(&mut psbt, true);
    if flag("lock_unspents", false) {
        for (outpoint, _) in &coins {
            wallet.lock_coin(*outpoint, false)?;
        }
    }
    finish(&m, &mut wallet, psbt, flag("add_to_wallet", true), flag("psbt", false)).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn address() -> String {
        "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw".to_string()
    }

    #[test]
    fn recipients_need_one_without_amount() {
        let network = bitcoin::Network::Regtest;
        let err = destinations(network, &[json!({ address(): 1 })]).err().unwrap();
        assert_eq!(err.message, "Must provide at least one address without a specified amount");
        let err = destinations(network, &[json!(address()), json!({ address(): 1 })]).err().unwrap();
        assert!(err.message.starts_with("Invalid parameter, duplicated address"));
        let err = destinations(network, &[json!({})]).err().unwrap();
        assert_eq!(err.message, "Invalid parameter, key-value pair must contain exactly one key");
        let list = destinations(network, &[json!(address())]).unwrap();
        assert_eq!(list.len(), 1);
        assert!(list[0].amount.is_none());
    }
}
