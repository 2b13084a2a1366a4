//! Payment URIs (BIP21): `bitcoin:<address>?amount=…&label=…&message=…`,
//! written for the receive screen and read for the send screen (a URI
//! given on the command line, as `hashvive:` links open the GUI).

use bitcoin::Network;

use super::amount::{self, Unit};

/// The schemes the GUI takes a payment URI in: BIP21's own, and the one its
/// desktop file registers.
const SCHEMES: [&str; 2] = ["bitcoin:", "hashvive:"];

/// A payment a URI asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentUri {
    pub address: String,
    /// Satoshis.
    pub amount: Option<i64>,
    pub label: String,
    pub message: String,
}

/// Whether `text` is meant as a payment URI (whether or not it is a good one).
pub fn is_payment_uri(text: &str) -> bool {
    SCHEMES.iter().any(|s| text.get(..s.len()).is_some_and(|head| head.eq_ignore_ascii_case(s)))
}

/// `bitcoin:<address>?amount=…&label=…&message=…`, the amount in BTC as
/// the reference GUI writes it, label and message percent-encoded.
pub fn uri(address: &str, amount: Option<i64>, label: &str, message: &str) -> String {
    let mut query = Vec::new();
    if let Some(sats) = amount {
        query.push(format!("amount={}", amount::format_plain(sats, Unit::Btc)));
    }
    if !label.is_empty() {
        query.push(format!("label={}", percent_encode(label)));
    }
    if !message.is_empty() {
        query.push(format!("message={}", percent_encode(message)));
    }
    match query.is_empty() {
        true => format!("bitcoin:{address}"),
        false => format!("bitcoin:{address}?{}", query.join("&")),
    }
}

impl PaymentUri {
    /// Reads a payment URI for `network`, refusing what BIP21 says to refuse:
    /// an unknown parameter marked required (`req-…`), a bad amount, an
    /// address of another network.
    pub fn parse(text: &str, network: Network) -> Result<PaymentUri, String> {
        let cannot = |why: &str| format!("The payment URI cannot be used: {why}.");
        let scheme = SCHEMES
            .iter()
            .find(|s| text.get(..s.len()).is_some_and(|head| head.eq_ignore_ascii_case(s)))
            .ok_or_else(|| cannot("it does not start with bitcoin:"))?;
        let rest = &text[scheme.len()..];
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let (address, query) = rest.split_once('?').unwrap_or((rest, ""));
        if let Some(problem) = super::send::address_problem(address, network) {
            return Err(cannot(&problem));
        }
        let mut uri =
            PaymentUri { address: address.to_string(), amount: None, label: String::new(), message: String::new() };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = percent_decode(value).ok_or_else(|| cannot("it is not percent-encoded correctly"))?;
            match key {
                "amount" => {
                    let sats = amount::parse(&value, Unit::Btc).map_err(|e| cannot(&e))?;
                    uri.amount = Some(sats);
                }
                "label" => uri.label = value,
                "message" => uri.message = value,
                required if required.starts_with("req-") => {
                    return Err(cannot(&format!("it requires \"{}\", which this wallet does not know", &required[4..])))
                }
                _ => {}
            }
        }
        Ok(uri)
    }
}

/// Every byte but RFC 3986's unreserved characters as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `%XX` escapes (and `+` as a space, as forms write it) decoded; `None`
/// for a broken escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

    #[test]
    fn uris_carry_amount_label_and_message_encoded() {
        assert_eq!(uri(ADDRESS, None, "", ""), format!("bitcoin:{ADDRESS}"));
        assert_eq!(
            uri(ADDRESS, Some(150_000_000), "Rent & bills", "März 2026"),
            format!("bitcoin:{ADDRESS}?amount=1.50000000&label=Rent%20%26%20bills&message=M%C3%A4rz%202026")
        );
        assert_eq!(uri(ADDRESS, None, "", "hi"), format!("bitcoin:{ADDRESS}?message=hi"));
    }

    #[test]
    fn a_written_uri_reads_back() {
        let written = uri(ADDRESS, Some(1), "Rent & bills", "März 2026");
        let read = PaymentUri::parse(&written, Network::Regtest).unwrap();
        assert_eq!(
            read,
            PaymentUri {
                address: ADDRESS.into(),
                amount: Some(1),
                label: "Rent & bills".into(),
                message: "März 2026".into()
            }
        );
        let linked = PaymentUri::parse(&format!("HASHVIVE://{ADDRESS}?amount=2&unknown=x"), Network::Regtest).unwrap();
        assert_eq!((linked.amount, linked.label.as_str()), (Some(200_000_000), ""));
        assert!(is_payment_uri("Bitcoin:x") && is_payment_uri("hashvive:x") && !is_payment_uri("-regtest"));
    }

    #[test]
    fn bad_uris_say_why() {
        let refused = |text: String| PaymentUri::parse(&text, Network::Regtest).unwrap_err();
        assert!(refused(format!("bitcoin:{ADDRESS}?req-somethingnew=1")).contains("requires \"somethingnew\""));
        assert!(refused(format!("bitcoin:{ADDRESS}?amount=1,5")).contains("not an amount"));
        assert!(refused(format!("bitcoin:{ADDRESS}?label=%zz")).contains("percent-encoded"));
        assert!(refused("bitcoin:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq".into()).contains("regtest network"));
        assert!(refused("litecoin:x".into()).contains("bitcoin:"));
    }
}
