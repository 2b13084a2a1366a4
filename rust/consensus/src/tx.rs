//! Transaction rules that need no chain state (the reference's
//! `CheckTransaction`) and the ones that need only the spent outputs
//! (`Consensus::CheckTxInputs`).
//!
//! Amounts travel as `bitcoin::Amount` (unsigned), but the wire format is a
//! signed 64-bit integer: a value above `i64::MAX` is a negative amount on the
//! wire, so it is read back as `i64` to apply the reference's sign checks.

use std::fmt;

use bitcoin::{Amount, OutPoint, Transaction, TxOut, Weight};

use crate::params::COINBASE_MATURITY;

/// The most satoshis that can ever exist (`MAX_MONEY`).
pub const MAX_MONEY: i64 = 21_000_000 * 100_000_000;

/// The reference's `MoneyRange`.
pub fn money_range(value: i64) -> bool {
    (0..=MAX_MONEY).contains(&value)
}

/// An output as the chain state remembers it: what a spending transaction needs
/// to know about each of its inputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpentOutput {
    pub txout: TxOut,
    /// Height of the block that created the output.
    pub height: u32,
    pub is_coinbase: bool,
}

/// Why a transaction failed `check_transaction` or `check_tx_inputs`.
///
/// `Display` reads like the reference's `ValidationState::ToString()`: the
/// reject reason, then the debug message if there is one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    NoInputs,
    NoOutputs,
    Oversize,
    NegativeOutput,
    OutputTooLarge,
    OutputTotalTooLarge,
    DuplicateInputs,
    CoinbaseLength,
    NullPrevout,
    /// An input is not in the spent-output list (the reference's missing coin).
    MissingInputs,
    PrematureCoinbaseSpend {
        depth: i64,
    },
    InputValuesOutOfRange,
    InputsBelowOutputs {
        value_in: i64,
        value_out: i64,
    },
    FeeOutOfRange,
}

impl TxError {
    /// The reference's reject reason.
    pub fn reason(&self) -> &'static str {
        match self {
            TxError::NoInputs => "bad-txns-vin-empty",
            TxError::NoOutputs => "bad-txns-vout-empty",
            TxError::Oversize => "bad-txns-oversize",
            TxError::NegativeOutput => "bad-txns-vout-negative",
            TxError::OutputTooLarge => "bad-txns-vout-toolarge",
            TxError::OutputTotalTooLarge => "bad-txns-txouttotal-toolarge",
            TxError::DuplicateInputs => "bad-txns-inputs-duplicate",
            TxError::CoinbaseLength => "bad-cb-length",
            TxError::NullPrevout => "bad-txns-prevout-null",
            TxError::MissingInputs => "bad-txns-inputs-missingorspent",
            TxError::PrematureCoinbaseSpend { .. } => "bad-txns-premature-spend-of-coinbase",
            TxError::InputValuesOutOfRange => "bad-txns-inputvalues-outofrange",
            TxError::InputsBelowOutputs { .. } => "bad-txns-in-belowout",
            TxError::FeeOutOfRange => "bad-txns-fee-outofrange",
        }
    }

    /// The reference's debug message, where it has one.
    pub fn debug(&self) -> Option<String> {
        match self {
            TxError::MissingInputs => Some("CheckTxInputs: inputs missing/spent".to_owned()),
            TxError::PrematureCoinbaseSpend { depth } => Some(format!("tried to spend coinbase at depth {depth}")),
            TxError::InputsBelowOutputs { value_in, value_out } => {
                Some(format!("value in ({}) < value out ({})", format_money(*value_in), format_money(*value_out)))
            }
            _ => None,
        }
    }
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())?;
        match self.debug() {
            Some(debug) => write!(f, ", {debug}"),
            None => Ok(()),
        }
    }
}

/// The reference's `FormatMoney`: BTC with trailing zeros trimmed down to two decimals.
pub fn format_money(sats: i64) -> String {
    let abs = sats.unsigned_abs();
    let mut s = format!("{}.{:08}", abs / 100_000_000, abs % 100_000_000);
    let keep = s.trim_end_matches('0').len().max(s.len() - 6);
    s.truncate(keep);
    if sats < 0 {
        s.insert(0, '-');
    }
    s
}

/// Context-free checks (`CheckTransaction`).
pub fn check_transaction(tx: &Transaction) -> Result<(), TxError> {
    if tx.input.is_empty() {
        return Err(TxError::NoInputs);
    }
    if tx.output.is_empty() {
        return Err(TxError::NoOutputs);
    }
    // The witness is left out: it has not been checked for malleability yet.
    if Weight::from_non_witness_data_size(tx.base_size() as u64) > Weight::MAX_BLOCK {
        return Err(TxError::Oversize);
    }

    // Negative or overflowing output values (CVE-2010-5139).
    let mut value_out: i64 = 0;
    for output in &tx.output {
        let value = output.value.to_sat() as i64;
        if value < 0 {
            return Err(TxError::NegativeOutput);
        }
        if value > MAX_MONEY {
            return Err(TxError::OutputTooLarge);
        }
        // Both terms are within MAX_MONEY, so the sum cannot overflow.
        value_out += value;
        if !money_range(value_out) {
            return Err(TxError::OutputTotalTooLarge);
        }
    }

    // Duplicate inputs (CVE-2018-17144): spending an output twice in one
    // transaction would otherwise go unnoticed until the coins are updated.
    if tx.is_coinbase() {
        let len = tx.input[0].script_sig.len();
        if !(2..=100).contains(&len) {
            return Err(TxError::CoinbaseLength);
        }
    } else {
        let mut prevouts: Vec<OutPoint> = tx.input.iter().map(|input| input.previous_output).collect();
        prevouts.sort_unstable();
        if prevouts.windows(2).any(|pair| pair[0] == pair[1]) {
            return Err(TxError::DuplicateInputs);
        }
        if prevouts.iter().any(OutPoint::is_null) {
            return Err(TxError::NullPrevout);
        }
    }
    Ok(())
}

/// Checks a transaction against the outputs it spends (`Consensus::CheckTxInputs`)
/// and returns its fee. `spent[i]` is the output spent by `tx.input[i]`;
/// `spend_height` is the height of the block the transaction would be in.
pub fn check_tx_inputs(tx: &Transaction, spent: &[SpentOutput], spend_height: u32) -> Result<Amount, TxError> {
    if spent.len() != tx.input.len() {
        return Err(TxError::MissingInputs);
    }

    let mut value_in: i64 = 0;
    for coin in spent {
        let depth = i64::from(spend_height) - i64::from(coin.height);
        if coin.is_coinbase && depth < i64::from(COINBASE_MATURITY) {
            return Err(TxError::PrematureCoinbaseSpend { depth });
        }
        let value = coin.txout.value.to_sat() as i64;
        if !money_range(value) {
            return Err(TxError::InputValuesOutOfRange);
        }
        // Both terms are within MAX_MONEY, so the sum cannot overflow.
        value_in += value;
        if !money_range(value_in) {
            return Err(TxError::InputValuesOutOfRange);
        }
    }

    // The reference reads the outputs' total with `GetValueOut`, which trusts
    // `check_transaction` to have run; a range failure is reported as that check would.
    let value_out = tx
        .output
        .iter()
        .try_fold(0i64, |total, output| {
            let total = total.checked_add(output.value.to_sat() as i64)?;
            money_range(total).then_some(total)
        })
        .ok_or(TxError::OutputTotalTooLarge)?;

    if value_in < value_out {
        return Err(TxError::InputsBelowOutputs { value_in, value_out });
    }
    let fee = value_in - value_out;
    if !money_range(fee) {
        return Err(TxError::FeeOutOfRange);
    }
    Ok(Amount::from_sat(fee as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{spend, txout};
    use bitcoin::hashes::Hash;
    use bitcoin::{ScriptBuf, Sequence, TxIn, Txid, Witness};

    fn coinbase(script_len: usize) -> Transaction {
        let mut tx = spend(&[OutPoint::null()], &[txout(50)]);
        tx.input[0].script_sig = ScriptBuf::from_bytes(vec![0x51; script_len]);
        tx
    }

    fn outpoint(n: u8, vout: u32) -> OutPoint {
        OutPoint { txid: Txid::from_byte_array([n; 32]), vout }
    }

    #[test]
    fn valid_transactions_pass() {
        assert_eq!(check_transaction(&coinbase(2)), Ok(()));
        assert_eq!(check_transaction(&coinbase(100)), Ok(()));
        let tx = spend(&[outpoint(1, 0), outpoint(1, 1), outpoint(2, 0)], &[txout(1), txout(2)]);
        assert_eq!(check_transaction(&tx), Ok(()));
    }

    #[test]
    fn each_structural_rejection() {
        let no_inputs = spend(&[], &[txout(1)]);
        assert_eq!(check_transaction(&no_inputs).unwrap_err().reason(), "bad-txns-vin-empty");

        let no_outputs = spend(&[outpoint(1, 0)], &[]);
        assert_eq!(check_transaction(&no_outputs).unwrap_err().reason(), "bad-txns-vout-empty");

        let mut oversize = spend(&[outpoint(1, 0)], &[txout(1)]);
        oversize.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x6a; 1_000_000]);
        assert_eq!(check_transaction(&oversize).unwrap_err().reason(), "bad-txns-oversize");

        let mut negative = spend(&[outpoint(1, 0)], &[txout(1)]);
        negative.output[0].value = Amount::from_sat(u64::MAX);
        assert_eq!(check_transaction(&negative).unwrap_err().reason(), "bad-txns-vout-negative");

        let mut too_large = spend(&[outpoint(1, 0)], &[txout(1)]);
        too_large.output[0].value = Amount::from_sat(MAX_MONEY as u64 + 1);
        assert_eq!(check_transaction(&too_large).unwrap_err().reason(), "bad-txns-vout-toolarge");

        let mut total = spend(&[outpoint(1, 0)], &[txout(1), txout(1)]);
        total.output[0].value = Amount::from_sat(MAX_MONEY as u64);
        assert_eq!(check_transaction(&total).unwrap_err().reason(), "bad-txns-txouttotal-toolarge");

        let two_same = spend(&[outpoint(1, 0), outpoint(1, 0)], &[txout(1)]);
        assert_eq!(check_transaction(&two_same).unwrap_err().reason(), "bad-txns-inputs-duplicate");
        let many_same = spend(&[outpoint(3, 0), outpoint(1, 0), outpoint(2, 0), outpoint(1, 0)], &[txout(1)]);
        assert_eq!(check_transaction(&many_same).unwrap_err().reason(), "bad-txns-inputs-duplicate");

        assert_eq!(check_transaction(&coinbase(1)).unwrap_err().reason(), "bad-cb-length");
        assert_eq!(check_transaction(&coinbase(101)).unwrap_err().reason(), "bad-cb-length");

        let two_with_null = spend(&[outpoint(1, 0), OutPoint::null()], &[txout(1)]);
        assert_eq!(check_transaction(&two_with_null).unwrap_err().reason(), "bad-txns-prevout-null");
        let many_with_null = spend(&[outpoint(1, 0), outpoint(2, 0), OutPoint::null()], &[txout(1)]);
        assert_eq!(check_transaction(&many_with_null).unwrap_err().reason(), "bad-txns-prevout-null");
        // A zero txid with a real index is not null.
        let zero_txid = spend(&[outpoint(1, 0), OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[txout(1)]);
        assert_eq!(check_transaction(&zero_txid), Ok(()));
    }

    fn coin(sats: u64, height: u32, is_coinbase: bool) -> SpentOutput {
        SpentOutput { txout: txout(sats), height, is_coinbase }
    }

    #[test]
    fn inputs_give_the_fee() {
        let tx = spend(&[outpoint(1, 0), outpoint(2, 0)], &[txout(70)]);
        let fee = check_tx_inputs(&tx, &[coin(50, 1, true), coin(30, 5, false)], 101).unwrap();
        assert_eq!(fee, Amount::from_sat(10));
    }

    #[test]
    fn each_input_rejection() {
        let tx = spend(&[outpoint(1, 0)], &[txout(10)]);

        let err = check_tx_inputs(&tx, &[], 10).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-inputs-missingorspent");

        let err = check_tx_inputs(&tx, &[coin(50, 5, true)], 104).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-premature-spend-of-coinbase");
        assert_eq!(err.debug().as_deref(), Some("tried to spend coinbase at depth 99"));

        let err = check_tx_inputs(&tx, &[coin(MAX_MONEY as u64 + 1, 5, false)], 10).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-inputvalues-outofrange");
        let two = spend(&[outpoint(1, 0), outpoint(1, 1)], &[txout(10)]);
        let err = check_tx_inputs(&two, &[coin(MAX_MONEY as u64, 5, false), coin(1, 5, false)], 10).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-inputvalues-outofrange");

        let err = check_tx_inputs(&tx, &[coin(9, 5, false)], 10).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-in-belowout");
        assert_eq!(err.debug().as_deref(), Some("value in (0.00000009) < value out (0.0000001)"));
        assert_eq!(err.to_string(), "bad-txns-in-belowout, value in (0.00000009) < value out (0.0000001)");

        let mut bad_out = tx.clone();
        bad_out.output[0].value = Amount::from_sat(u64::MAX);
        let err = check_tx_inputs(&bad_out, &[coin(9, 5, false)], 10).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-txouttotal-toolarge");
    }

    #[test]
    fn money_range_bounds() {
        assert!(money_range(0) && money_range(MAX_MONEY));
        assert!(!money_range(MAX_MONEY + 1) && !money_range(-1));
    }

    #[test]
    fn money_is_formatted_like_the_reference() {
        assert_eq!(format_money(0), "0.00");
        assert_eq!(format_money(100_000_000), "1.00");
        assert_eq!(format_money(50_000_000), "0.50");
        assert_eq!(format_money(12_345_678), "0.12345678");
        assert_eq!(format_money(-150_000_000), "-1.50");
    }

    #[test]
    fn witness_does_not_count_towards_oversize() {
        let mut tx = spend(&[outpoint(1, 0)], &[txout(1)]);
        tx.input[0] = TxIn {
            previous_output: outpoint(1, 0),
            script_sig: ScriptBuf::new(),
            sequence: Sequence::MAX,
            witness: Witness::from_slice(&[vec![0u8; 1_100_000]]),
        };
        assert_eq!(check_transaction(&tx), Ok(()));
    }
}
