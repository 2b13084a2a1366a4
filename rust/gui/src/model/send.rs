//! The send screen: what the user filled in, checked field by field, as the
//! wallet's [`Payment`]; and the confirmation the user agrees to before it
//! is sent.

use bitcoin::Network;
use hashvive_interfaces::{Payment, PaymentFee, PreparedTransaction, Recipient};

use super::amount::{self, Unit};

/// The form as the user left it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendForm {
    pub address: String,
    pub amount: String,
    pub unit: Unit,
    pub subtract_fee: bool,
    pub fee: FeeField,
    pub replaceable: bool,
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
    /// The payment, or the first problem with the form.
    pub fn payment(&self, network: Network) -> Result<Payment, String> {
        if let Some(problem) = address_problem(&self.address, network) {
            return Err(problem);
        }
        let amount = amount::parse(&self.amount, self.unit)?;
        let fee = match &self.fee {
            FeeField::Recommended { conf_target } => PaymentFee::ConfTarget(*conf_target),
            FeeField::Custom { sat_per_vb } => PaymentFee::SatPerKvb(custom_rate(sat_per_vb)?),
        };
        Ok(Payment {
            recipients: vec![Recipient {
                address: self.address.trim().to_string(),
                amount,
                subtract_fee: self.subtract_fee,
            }],
            fee,
            replaceable: self.replaceable,
        })
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

    fn form() -> SendForm {
        SendForm {
            address: format!(" {REGTEST} "),
            amount: "1.5".into(),
            unit: Unit::Btc,
            subtract_fee: false,
            fee: FeeField::Recommended { conf_target: 6 },
            replaceable: true,
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

        let custom = SendForm {
            fee: FeeField::Custom { sat_per_vb: "2.5".into() },
            unit: Unit::Sat,
            amount: "1000".into(),
            ..form()
        };
        let payment = custom.payment(Network::Regtest).unwrap();
        assert_eq!((payment.fee, payment.recipients[0].amount), (PaymentFee::SatPerKvb(2500), 1000));

        let bad_rate = SendForm { fee: FeeField::Custom { sat_per_vb: "1.0005".into() }, ..form() };
        assert_eq!(bad_rate.payment(Network::Regtest).unwrap_err(), "\"1.0005\" is not a fee rate in sat/vB.");
        let no_amount = SendForm { amount: "".into(), ..form() };
        assert!(no_amount.payment(Network::Regtest).unwrap_err().contains("not an amount"));
        assert!(form().payment(Network::Bitcoin).unwrap_err().contains("bitcoin network"));
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
            ..SendForm { subtract_fee: true, ..form() }.payment(Network::Regtest).unwrap()
        };
        let text = confirmation(&subtracted, &prepared, Unit::Sat);
        assert!(text.contains("The recipient pays the fee out of the amount: total 150000000 sat"), "{text}");
        assert!(text.ends_with("Not signalling Replace-By-Fee, BIP-125."));
    }
}
