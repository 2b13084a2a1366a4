//! The transactions screen and the overview's recent transactions: each
//! wallet transaction as a row in the reference GUI's words, its status
//! worked out from the tip the GUI already follows (a new block changes
//! confirmations without asking the wallet).

use bitcoin::hashes::Hash as _;
use hashvive_interfaces::{TransactionKind, TransactionState, WalletTransaction};
use serde_json::{json, Value};

use super::amount::{self, Unit};

/// Confirmations after which the reference GUI stops calling a transaction unconfirmed.
const RECOMMENDED_CONFIRMATIONS: i64 = 6;
/// Confirmations before a coinbase may be spent.
const COINBASE_MATURITY: i64 = 100;

#[derive(Clone, Debug, PartialEq)]
pub struct TransactionRow {
    /// The wallet's name as the node knows it.
    pub wallet: String,
    pub txid: String,
    pub time: i64,
    /// "2026-12-06T05:30:00Z".
    pub date: String,
    /// "Received with", "Sent to", "Payment to yourself", "Mined".
    pub kind: &'static str,
    pub address: String,
    pub label: String,
    /// "+1.50000000 BTC", "-0.10000141 BTC".
    pub amount: String,
    pub fee: String,
    pub status: String,
    pub confirmations: i64,
    pub replaceable: bool,
    /// Its fee can be raised from the transactions screen: the wallet paid
    /// it, it is unconfirmed and signals BIP125.
    pub bumpable: bool,
}

impl TransactionRow {
    pub fn new(wallet: &str, t: &WalletTransaction, tip: i32) -> TransactionRow {
        let confirmations = match t.height {
            Some(height) => i64::from(tip) - i64::from(height) + 1,
            None => 0,
        };
        TransactionRow {
            wallet: wallet.to_string(),
            txid: bitcoin::Txid::from_byte_array(t.txid).to_string(),
            time: t.time,
            date: hashvive_common::time::format_iso8601(t.time, None),
            kind: kind_text(t.kind),
            address: t.address.clone(),
            label: t.label.clone(),
            amount: signed(t.amount),
            fee: if t.fee == 0 { String::new() } else { amount::format(t.fee, Unit::Btc) },
            status: status(t, confirmations),
            confirmations,
            replaceable: t.replaceable,
            bumpable: t.replaceable && t.fee > 0 && t.state == TransactionState::Active,
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "wallet": self.wallet,
            "txid": self.txid,
            "date": self.date,
            "kind": self.kind,
            "address": self.address,
            "label": self.label,
            "amount": self.amount,
            "fee": self.fee,
            "status": self.status,
            "confirmations": self.confirmations,
            "replaceable": self.replaceable,
            "bumpable": self.bumpable,
        })
    }
}

/// What the transactions screen asks before raising a transaction's fee
/// from `old_fee` to `new_fee` (satoshis).
pub fn bump_question(old_fee: i64, new_fee: i64) -> String {
    let btc = |sats| amount::format(sats, Unit::Btc);
    format!(
        "Current fee: {}\nIncrease: {}\nNew fee: {}\n\nThe increase comes out of the change, or out of more of \
         the wallet's coins when the change is too small, and a change output may be added: others may learn \
         more of which coins are yours.",
        btc(old_fee),
        btc(new_fee.saturating_sub(old_fee)),
        btc(new_fee)
    )
}

/// Every wallet's rows, newest first: the unconfirmed, then by depth.
pub fn rows<'a>(
    histories: impl IntoIterator<Item = (&'a str, &'a [WalletTransaction])>,
    tip: i32,
) -> Vec<TransactionRow> {
    let mut rows: Vec<TransactionRow> = histories
        .into_iter()
        .flat_map(|(wallet, history)| history.iter().map(move |t| TransactionRow::new(wallet, t, tip)))
        .collect();
    // By depth before time: regtest's blocks are often stamped ahead of the
    // clock, and a payment seen a moment ago is still the newest thing.
    rows.sort_by(|a, b| a.confirmations.cmp(&b.confirmations).then(b.time.cmp(&a.time)));
    rows
}

pub fn kind_text(kind: TransactionKind) -> &'static str {
    match kind {
        TransactionKind::Received => "Received with",
        TransactionKind::Sent => "Sent to",
        TransactionKind::ToSelf => "Payment to yourself",
        TransactionKind::Mined => "Mined",
    }
}

fn signed(sats: i64) -> String {
    let text = amount::format(sats, Unit::Btc);
    if sats > 0 {
        format!("+{text}")
    } else {
        text
    }
}

/// The reference GUI's status line (`FormatTxStatus`), with a coinbase's maturity.
fn status(t: &WalletTransaction, confirmations: i64) -> String {
    match t.state {
        TransactionState::Abandoned => "0/unconfirmed, abandoned".into(),
        TransactionState::Conflicted => "conflicted".into(),
        TransactionState::Active if t.height.is_none() => "0/unconfirmed, in memory pool".into(),
        TransactionState::Active if t.kind == TransactionKind::Mined && confirmations < COINBASE_MATURITY => {
            format!(
                "Immature ({confirmations} confirmations, will be available after {} more)",
                COINBASE_MATURITY - confirmations
            )
        }
        TransactionState::Active if confirmations < RECOMMENDED_CONFIRMATIONS => {
            format!("{confirmations}/unconfirmed")
        }
        TransactionState::Active => format!("{confirmations} confirmations"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(kind: TransactionKind, amount: i64, height: Option<u32>, time: i64) -> WalletTransaction {
        WalletTransaction {
            txid: [1; 32],
            kind,
            address: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080".into(),
            label: String::new(),
            amount,
            fee: 0,
            time,
            height,
            state: TransactionState::Active,
            replaceable: false,
        }
    }

    #[test]
    fn statuses_follow_the_tip() {
        let received = tx(TransactionKind::Received, 150_000_000, None, 0);
        assert_eq!(TransactionRow::new("", &received, 10).status, "0/unconfirmed, in memory pool");
        let confirmed = WalletTransaction { height: Some(10), ..received.clone() };
        assert_eq!(TransactionRow::new("", &confirmed, 10).status, "1/unconfirmed");
        assert_eq!(TransactionRow::new("", &confirmed, 15).status, "6 confirmations");
        let mined = tx(TransactionKind::Mined, 5_000_000_000, Some(1), 0);
        assert_eq!(
            TransactionRow::new("", &mined, 1).status,
            "Immature (1 confirmations, will be available after 99 more)"
        );
        assert_eq!(TransactionRow::new("", &mined, 100).status, "100 confirmations");
        let abandoned = WalletTransaction { state: TransactionState::Abandoned, ..received.clone() };
        assert_eq!(TransactionRow::new("", &abandoned, 10).status, "0/unconfirmed, abandoned");
    }

    #[test]
    fn rows_read_as_the_reference_lists_them_newest_first() {
        let sent = WalletTransaction { fee: 141, ..tx(TransactionKind::Sent, -100_000_141, None, 20) };
        let mined = tx(TransactionKind::Mined, 5_000_000_000, Some(1), 10);
        let received = tx(TransactionKind::Received, 1, Some(2), 20);
        let rows = rows([("a", &[mined][..]), ("b", &[received, sent][..])], 2);
        let seen: Vec<(&str, &str, &str)> =
            rows.iter().map(|r| (r.wallet.as_str(), r.kind, r.amount.as_str())).collect();
        assert_eq!(
            seen,
            [
                ("b", "Sent to", "-1.00000141 BTC"),
                ("b", "Received with", "+0.00000001 BTC"),
                ("a", "Mined", "+50.00000000 BTC")
            ]
        );
        assert_eq!(rows[0].fee, "0.00000141 BTC");
        assert_eq!(rows[1].fee, "");
        assert_eq!(rows[2].date, "1970-01-01T00:00:10Z");
        assert_eq!(rows[0].to_json()["txid"], "01".repeat(32));
    }
}
