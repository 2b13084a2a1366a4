//! Building a transaction from the wallet's coins (the reference's
//! `CreateTransaction`): coins chosen to pay for the outputs and the fee,
//! change to a script of the wallet's, the result as an unsigned PSBT with
//! what signing needs filled in.
//!
//! Coin selection is `bdk_wallet`'s (branch and bound, single random draw
//! as the fallback), given the wallet's coins from any of its descriptors.

use bdk_wallet::chain::DescriptorId;
use bdk_wallet::coin_selection::{CoinSelectionAlgorithm, DefaultCoinSelectionAlgorithm, Excess};
use bdk_wallet::{Utxo, WeightedUtxo};
use bitcoin::absolute::LockTime;
use bitcoin::transaction::Version;
use bitcoin::{Amount, FeeRate, OutPoint, Psbt, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Weight};

use crate::ledger::WalletOutput;
use crate::output_type::OutputType;
use crate::wallet::Wallet;

#[derive(Debug, thiserror::Error)]
pub enum SpendError {
    #[error("Insufficient funds")]
    InsufficientFunds,
    #[error("Transaction amount too small")]
    OutputBelowDust,
    #[error("Transaction needs a change address, but we can't generate it.")]
    NoChangeAddress,
    /// An input chosen beforehand that is not the wallet's to spend.
    #[error("not a coin of the wallet's: {0}")]
    UnknownInput(OutPoint),
    #[error(transparent)]
    Wallet(#[from] crate::WalletError),
}

/// What the fee is: a rate on the transaction's size, or an amount.
#[derive(Clone, Copy, Debug)]
pub enum Fee {
    Rate(FeeRate),
    Absolute(Amount),
}

/// A transaction to build.
pub struct Spend {
    pub outputs: Vec<TxOut>,
    /// Coins that must be spent, in this order, with their sequences.
    pub preset: Vec<(OutPoint, Sequence)>,
    /// Spend only the preset coins.
    pub only_preset: bool,
    /// Coins coin selection must leave alone.
    pub held_back: Vec<OutPoint>,
    pub fee: Fee,
    /// Where change goes; a new change address of the wallet's if unset.
    pub change: Option<ScriptBuf>,
    /// The change address type (`change_type`, `-changetype`); the
    /// reference's choice if unset.
    pub change_type: Option<OutputType>,
    pub lock_time: LockTime,
    pub version: Version,
    /// The sequence of coins the wallet adds.
    pub sequence: Sequence,
    /// A transaction this one replaces: the coins it spends are the
    /// wallet's to spend again, and its outputs are not.
    pub replacing: Option<Transaction>,
}

/// The weight a wallet coin's input adds once signed, beyond the outpoint,
/// sequence and empty script: its script and witness at the reference's
/// maximum satisfaction weight (with the witness item count, which
/// miniscript leaves out).
pub fn satisfaction_weight(wallet: &Wallet, descriptor: DescriptorId) -> u64 {
    const WITNESS_ITEM_COUNT: u64 = 1;
    wallet
        .descriptors()
        .get(&descriptor)
        .and_then(|d| d.public.max_weight_to_satisfy().ok())
        .map_or(WPKH_SATISFACTION, |w| WITNESS_ITEM_COUNT + w.to_wu())
}

/// A P2WPKH input's witness: item count, a signature at its largest, a key.
pub const WPKH_SATISFACTION: u64 = 1 + 73 + 34;

/// A wallet coin for `outpoint`: unspent, or spent only by the transaction
/// being replaced.
fn coin(wallet: &Wallet, outpoint: OutPoint, replacing: Option<&Transaction>) -> Option<WalletOutput> {
    let ledger = wallet.ledger();
    if let Some(coin) = ledger.get_utxo(outpoint) {
        return Some(coin);
    }
    replacing?.input.iter().find(|i| i.previous_output == outpoint)?;
    let txout = ledger.tx_graph().get_txout(outpoint)?.clone();
    let (descriptor, index) = ledger.derivation_of_spk(&txout.script_pubkey)?;
    let chain_position = ledger.get_tx(outpoint.txid)?.chain_position;
    Some(WalletOutput { outpoint, txout, descriptor, index, chain_position })
}

/// The change type the reference picks when `-changetype` is not set
/// (`TransactionChangeType`): legacy with a legacy default; else taproot or
/// segwit v0 change when a recipient is paid so and the wallet can make it;
/// else the default address type.
fn change_type(wallet: &Wallet, outputs: &[TxOut], default: OutputType) -> OutputType {
    if default == OutputType::Legacy {
        return default;
    }
    let has = |t| wallet.active_descriptor(t, true).is_some();
    let any = |f: fn(&bitcoin::Script) -> bool| outputs.iter().any(|o| f(&o.script_pubkey));
    if has(OutputType::Bech32m) && any(bitcoin::Script::is_p2tr) {
        return OutputType::Bech32m;
    }
    if has(OutputType::Bech32) && any(bitcoin::Script::is_p2wpkh) {
        return OutputType::Bech32;
    }
    default
}

/// Builds `spend` into an unsigned PSBT; a new change address is handed
/// out only if change is paid to it.
pub fn build(wallet: &mut Wallet, spend: Spend, default_type: OutputType) -> Result<Psbt, SpendError> {
    for output in &spend.outputs {
        if output.value < output.script_pubkey.minimal_non_dust() {
            return Err(SpendError::OutputBelowDust);
        }
    }
    let weighted = |coin: WalletOutput| WeightedUtxo {
        satisfaction_weight: Weight::from_wu(satisfaction_weight(wallet, coin.descriptor)),
        // bdk's selection looks only at the outpoint and output; a "foreign"
        // coin carries no bdk keychain, which the wallet's coins do not have.
        utxo: Utxo::Foreign {
            outpoint: coin.outpoint,
            sequence: spend.sequence,
            psbt_input: Box::new(bitcoin::psbt::Input { witness_utxo: Some(coin.txout), ..Default::default() }),
        },
    };
    let mut required = Vec::new();
    for (outpoint, _) in &spend.preset {
        let coin = coin(wallet, *outpoint, spend.replacing.as_ref()).ok_or(SpendError::UnknownInput(*outpoint))?;
        required.push(weighted(coin));
    }
    let replaced = spend.replacing.as_ref().map(Transaction::compute_txid);
    let optional: Vec<WeightedUtxo> = match spend.only_preset {
        true => Vec::new(),
        false => wallet
            .ledger()
            .list_unspent()
            .filter(|c| !spend.held_back.contains(&c.outpoint) && Some(c.outpoint.txid) != replaced)
            .filter(|c| !spend.preset.iter().any(|(o, _)| *o == c.outpoint))
            .map(weighted)
            .collect(),
    };
    // The change script: the one given, or the next change address of the
    // type the reference would pick, handed out below if used.
    let (change, new_change) = match &spend.change {
        Some(script) => (script.clone(), None),
        None => {
            let t = spend.change_type.unwrap_or_else(|| change_type(wallet, &spend.outputs, default_type));
            let id = wallet.active_descriptor(t, true).ok_or(SpendError::NoChangeAddress)?;
            let next = wallet.ledger().last_revealed(id).map_or(0, |i| i + 1);
            let script = wallet.script_at(id, next).ok_or(SpendError::NoChangeAddress)?;
            (script, Some((id, next)))
        }
    };
    let mut tx = Transaction {
        version: spend.version,
        lock_time: spend.lock_time,
        input: Vec::new(),
        output: spend.outputs.clone(),
    };
    let outgoing: Amount = spend.outputs.iter().map(|o| o.value).sum();
    let (rate, base_fee) = match spend.fee {
        Fee::Rate(rate) => (rate, rate.fee_wu(tx.weight()).unwrap_or(Amount::MAX_MONEY)),
        Fee::Absolute(fee) => (FeeRate::ZERO, fee),
    };
    let selection = DefaultCoinSelectionAlgorithm::default()
        .coin_select(
            required,
            optional,
            rate,
            outgoing + base_fee,
            &change,
            &mut bitcoin::secp256k1::rand::thread_rng(),
        )
        .map_err(|_| SpendError::InsufficientFunds)?;
    for utxo in &selection.selected {
        let outpoint = utxo.outpoint();
        let sequence = spend.preset.iter().find(|(o, _)| *o == outpoint).map_or(spend.sequence, |(_, s)| *s);
        tx.input.push(TxIn { previous_output: outpoint, sequence, ..TxIn::default() });
    }
    if let Excess::Change { amount, .. } = selection.excess {
        tx.output.push(TxOut { value: amount, script_pubkey: change });
        if let Some((id, index)) = new_change {
            wallet.hand_out(id, index)?;
        }
    }
    let mut psbt = Psbt::from_unsigned_tx(tx).map_err(|e| crate::WalletError::Other(e.to_string()))?;
    wallet.update_psbt(&mut psbt, true);
    Ok(psbt)
}
