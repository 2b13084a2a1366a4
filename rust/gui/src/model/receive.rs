//! The receive screen: a payment request for a new address, as a BIP21 URI
//! and its QR code.

use qrcode::{Color, QrCode};
use serde_json::{json, Value};

use super::amount::{self, Unit};
use super::bip21;

/// What the screen shows for one request.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentRequest {
    pub address: String,
    pub uri: String,
    /// The URI's QR code, one string of `1` (dark) and `0` per row.
    pub qr_rows: Vec<String>,
    /// The amount asked, in BTC, if any.
    pub amount: Option<String>,
}

impl PaymentRequest {
    pub fn new(address: String, amount: Option<i64>, label: &str, message: &str) -> Result<PaymentRequest, String> {
        let uri = bip21::uri(&address, amount, label, message);
        let qr_rows = qr_rows(&uri)?;
        Ok(PaymentRequest { address, uri, qr_rows, amount: amount.map(|sats| amount::format(sats, Unit::Btc)) })
    }

    pub fn to_json(&self) -> Value {
        json!({ "address": self.address, "uri": self.uri, "qr": self.qr_rows, "amount": self.amount })
    }
}

/// The QR code of `text` as rows of modules; too long a text says so (the
/// reference GUI refuses URIs over 255 characters for the same reason:
/// a code too dense to scan).
fn qr_rows(text: &str) -> Result<Vec<String>, String> {
    const MAX_URI_LENGTH: usize = 255;
    if text.len() > MAX_URI_LENGTH {
        return Err("The payment request is too long for a QR code; try a shorter label or message.".into());
    }
    let code = QrCode::new(text.as_bytes()).map_err(|e| format!("Cannot encode the payment request: {e}"))?;
    let width = code.width();
    let colors = code.to_colors();
    Ok(colors
        .chunks(width)
        .map(|row| row.iter().map(|c| if *c == Color::Dark { '1' } else { '0' }).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ADDRESS: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";

    #[test]
    fn a_request_has_a_square_qr_code_of_its_uri() {
        let request = PaymentRequest::new(ADDRESS.into(), Some(1), "label", "").unwrap();
        assert_eq!(request.amount.as_deref(), Some("0.00000001 BTC"));
        let rows = &request.qr_rows;
        assert!(rows.len() >= 21 && rows.iter().all(|r| r.len() == rows.len()));
        // The finder pattern's top row: seven dark modules in each top corner.
        assert!(rows[0].starts_with("1111111") && rows[0].ends_with("1111111"));
        assert_eq!(request.to_json()["uri"], request.uri);
        let long = "x".repeat(300);
        assert!(PaymentRequest::new(ADDRESS.into(), None, &long, "").unwrap_err().contains("too long"));
    }
}
