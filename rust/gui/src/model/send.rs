//! The send screen: what the user filled in, checked field by field, as the
//! wallet's [`Payment`]; and the confirmation the user agrees to before it
//! is sent.

use bitcoin::Network;
use hashvive_interfaces::{Payment, PaymentFee, PreparedTransaction, Recipient};

use super::amount::{self, Unit};

/// The form as the user left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendForm {
    /// The "Pay to" rows, one per recipient.
    pub recipients: Vec<RecipientForm>,
    /// The unit every row's amount is typed in.
    pub unit: Unit,
    pub fee: FeeField,
    pub replaceable: bool,
    /// Coin control: the coins picked to spend (`txid:vout`), and no
    /// others; none lets the wallet choose.
    pub inputs: Vec<String>,
}

/// One "Pay to" row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RecipientForm {
    pub address: String,
    pub amount: String,
    pub subtract_fee: bool,
}

impl RecipientForm {
    /// The rows as the send screen hands them over: a JSON array of
    /// `{"address", "amount", "subtractFee"}`.
    pub fn list_from_json(text: &str) -> Result<Vec<RecipientForm>, String> {
        let rows: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("The form cannot be read: {e}"))?;
        let field = |row: &serde_json::Value, name: &str| {
            row.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_string()
        };
        Ok(rows
            .iter()
            .map(|row| RecipientForm {
                address: field(row, "address"),
                amount: field(row, "amount"),
                subtract_fee: row.get("subtractFee").and_then(|v| v.as_bool()).unwrap_or(false),
            })
            .collect())
    }
}

/// The fee section: the node's estimate for a confirmation target, or a rate typed in sat/vB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FeeField {
    Recommended { conf_target: u32 },
    Custom { sat_per_vb: String },
}

/// Why `text` is not an address to pay on `network`; `None` when it is one.
pub fn address_problem(text: &str, network: Network) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return Some("Enter the address to pay.".into());
    }
    match text.parse::<bitcoin::Address<_>>() {
        Err(_) => Some("The recipient address is not valid. Please recheck.".into()),
        Ok(address) if !address.is_valid_for_network(network) => {
            Some(format!("This address is not for the {network} network."))
        }
        Ok(_) => None,
    }
}

impl SendForm {
    /// The payment, or the first problem with the form (naming the row
    /// when there are several).
    pub fn payment(&self, network: Network) -> Result<Payment, String> {
        if self.recipients.is_empty() {
            return Err("Enter the address to pay.".into());
        }
        let several = self.recipients.len() > 1;
        let mut recipients: Vec<Recipient> = Vec::with_capacity(self.recipients.len());
        for (i, row) in self.recipients.iter().enumerate() {
            let in_row = |problem: String| match several {
                true => format!("Recipient {}: {problem}", i + 1),
                false => problem,
            };
            if let Some(problem) = address_problem(&row.address, network) {
                return Err(in_row(problem));
            }
            let address = row.address.trim().to_string();
            if recipients.iter().any(|r| r.address == address) {
                // The reference GUI's words.
                return Err("Duplicate address found: addresses should only be used once each.".into());
            }
            let amount = amount::parse(&row.amount, self.unit).map_err(in_row)?;
            recipients.push(Recipient { address, amount, subtract_fee: row.subtract_fee });
        }
        let fee = match &self.fee {
            FeeField::Recommended { conf_target } => PaymentFee::ConfTarget(*conf_target),
            FeeField::Custom { sat_per_vb } => PaymentFee::SatPerKvb(custom_rate(sat_per_vb)?),
        };
        let inputs = self.inputs.iter().map(|text| super::coins::parse_outpoint(text)).collect::<Result<_, _>>()?;
        Ok(Payment { recipients, fee, replaceable: self.replaceable, inputs })
    }
}

/// A rate typed in sat/vB, with up to three decimals, as sat/kvB.
fn custom_rate(text: &str) -> Result<u64, String> {
    amount::scaled(text, 3).map_err(|_| format!("\"{}\" is not a fee rate in sat/vB.", text.trim()))
}

/// What the confirmation dialog asks (the reference GUI's "Confirm send
/// coins"): the amount, where it goes, the fee, the total, and whether the
/// fee can be raised later.
pub fn confirmation(payment: &Payment, prepared: &PreparedTransaction, unit: Unit) -> String {
    let mut lines = Vec::new();
    let sent: i64 = payment.recipients.iter().map(|r| r.amount).sum();
    for r in &payment.recipients {
        lines.push(format!("{} to {}", amount::format(r.amount, unit), r.address));
    }
    lines.push(format!("Transaction fee: {}", amount::format(prepared.fee, unit)));
    match payment.recipients.iter().any(|r| r.subtract_fee) {
        true => {
            lines.push(format!("The recipient pays the fee out of the amount: total {}", amount::format(sent, unit)))
        }
        false => lines.push(format!("Total amount: {}", amount::format(sent.saturating_add(prepared.fee), unit))),
    }
    lines.push(match payment.replaceable {
        true => "You can increase the fee later (signals Replace-By-Fee, BIP-125).".into(),
        false => "Not signalling Replace-By-Fee, BIP-125.".into(),
    });
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGTEST: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
    const MAINNET: &str = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";

    fn row(address: &str, amount: &str) -> RecipientForm {
        RecipientForm { address: address.into(), amount: amount.into(), subtract_fee: false }
    }

    fn form() -> SendForm {
        SendForm {
            recipients: vec![row(&format!(" {REGTEST} "), "1.5")],
            unit: Unit::Btc,
            fee: FeeField::Recommended { conf_target: 6 },
            replaceable: true,
            inputs: Vec::new(),
        }
    }

    #[test]
    fn addresses_are_checked_for_the_nodes_network() {
        assert_eq!(address_problem(REGTEST, Network::Regtest), None);
        assert_eq!(address_problem(MAINNET, Network::Regtest).unwrap(), "This address is not for the regtest network.");
        assert_eq!(
            address_problem("bcrt1qnope", Network::Regtest).unwrap(),
            "The recipient address is not valid. Please recheck."
        );
        assert_eq!(address_problem(" ", Network::Regtest).unwrap(), "Enter the address to pay.");
    }

    #[test]
    fn a_filled_form_is_the_payment_asked_for() {
        let payment = form().payment(Network::Regtest).unwrap();
        assert_eq!(
            payment.recipients,
            vec![Recipient { address: REGTEST.into(), amount: 150_000_000, subtract_fee: false }]
        );
        assert_eq!((payment.fee, payment.replaceable), (PaymentFee::ConfTarget(6), true));
        assert!(payment.inputs.is_empty(), "the wallet chooses the coins");
        let txid = "aa".repeat(32);
        let picked = SendForm { inputs: vec![format!("{txid}:1")], ..form() }.payment(Network::Regtest).unwrap();
        assert_eq!(picked.inputs, vec![([0xaa; 32], 1)]);
        let refused = SendForm { inputs: vec![txid.clone()], ..form() }.payment(Network::Regtest).unwrap_err();
        assert_eq!(refused, format!("Not a coin: {txid}"));

        let custom = SendForm {
            fee: FeeField::Custom { sat_per_vb: "2.5".into() },
            unit: Unit::Sat,
            recipients: vec![row(REGTEST, "1000")],
            ..form()
        };
        let payment = custom.payment(Network::Regtest).unwrap();
        assert_eq!((payment.fee, payment.recipients[0].amount), (PaymentFee::SatPerKvb(2500), 1000));

        let bad_rate = SendForm { fee: FeeField::Custom { sat_per_vb: "1.0005".into() }, ..form() };
        assert_eq!(bad_rate.payment(Network::Regtest).unwrap_err(), "\"1.0005\" is not a fee rate in sat/vB.");
        let no_amount = SendForm { recipients: vec![row(REGTEST, "")], ..form() };
        assert!(no_amount.payment(Network::Regtest).unwrap_err().contains("not an amount"));
        assert!(form().payment(Network::Bitcoin).unwrap_err().contains("bitcoin network"));
        let nobody = SendForm { recipients: vec![], ..form() };
        assert_eq!(nobody.payment(Network::Regtest).unwrap_err(), "Enter the address to pay.");
    }

    #[test]
    fn several_recipients_are_one_payment_and_a_bad_row_is_named() {
        const OTHER: &str = "bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5";
        let two = SendForm { recipients: vec![row(REGTEST, "1"), row(OTHER, "0.5")], ..form() };
        let payment = two.payment(Network::Regtest).unwrap();
        let paid: Vec<(&str, i64)> = payment.recipients.iter().map(|r| (r.address.as_str(), r.amount)).collect();
        assert_eq!(paid, [(REGTEST, 100_000_000), (OTHER, 50_000_000)]);
        let prepared = PreparedTransaction { tx: vec![], fee: 200 };
        let text = confirmation(&payment, &prepared, Unit::Btc);
        assert!(text.contains(&format!("0.50000000 BTC to {OTHER}\nTransaction fee")), "{text}");
        assert!(text.contains("Total amount: 1.50000200 BTC"), "{text}");

        let bad_second = SendForm { recipients: vec![row(REGTEST, "1"), row(OTHER, "0")], ..form() };
        assert_eq!(
            bad_second.payment(Network::Regtest).unwrap_err(),
            "Recipient 2: The amount to pay must be larger than 0."
        );
        let twice = SendForm { recipients: vec![row(REGTEST, "1"), row(&format!("{REGTEST} "), "2")], ..form() };
        assert_eq!(
            twice.payment(Network::Regtest).unwrap_err(),
            "Duplicate address found: addresses should only be used once each."
        );
    }

    #[test]
    fn the_screens_rows_are_read_from_json() {
        let rows = RecipientForm::list_from_json(&format!(
            r#"[{{"address": "{REGTEST}", "amount": "1", "subtractFee": true}}, {{"address": "x"}}]"#
        ))
        .unwrap();
        assert_eq!(rows[0], RecipientForm { address: REGTEST.into(), amount: "1".into(), subtract_fee: true });
        assert_eq!(rows[1], RecipientForm { address: "x".into(), ..RecipientForm::default() });
        assert!(RecipientForm::list_from_json("{").is_err());
    }

    #[test]
    fn the_confirmation_names_amount_fee_total_and_replaceability() {
        let payment = form().payment(Network::Regtest).unwrap();
        let prepared = PreparedTransaction { tx: vec![], fee: 141 };
        assert_eq!(
            confirmation(&payment, &prepared, Unit::Btc),
            format!(
                "1.50000000 BTC to {REGTEST}\nTransaction fee: 0.00000141 BTC\nTotal amount: 1.50000141 BTC\n\
                 You can increase the fee later (signals Replace-By-Fee, BIP-125)."
            )
        );
        let subtracted = Payment {
            replaceable: false,
            ..SendForm { recipients: vec![RecipientForm { subtract_fee: true, ..row(REGTEST, "1.5") }], ..form() }
                .payment(Network::Regtest)
                .unwrap()
        };
        let text = confirmation(&subtracted, &prepared, Unit::Sat);
        assert!(text.contains("The recipient pays the fee out of the amount: total 150000000 sat"), "{text}");
        assert!(text.ends_with("Not signalling Replace-By-Fee, BIP-125."));
    }
}
