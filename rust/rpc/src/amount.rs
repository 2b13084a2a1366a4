//! Amounts in RPC parameters and results, as the reference reads and writes
//! them (`AmountFromValue`, `ValueFromAmount`): shared by the node's and the
//! wallet's methods.

use bitcoin::Amount;
use serde_json::{Number, Value};

use crate::RpcError;

/// The most satoshis that can exist (`MAX_MONEY`).
pub const MAX_MONEY: u64 = 21_000_000 * 100_000_000;

/// An amount in BTC with exactly eight decimals, as a JSON number.
pub fn amount_to_json(amount: Amount) -> Value {
    signed_amount_to_json(amount.to_sat() as i128)
}

/// A signed satoshi amount (fees, differences) in BTC with eight decimals.
pub fn signed_amount_to_json(sats: i128) -> Value {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    let text = format!("{sign}{}.{:08}", abs / 100_000_000, abs % 100_000_000);
    // With `arbitrary_precision` the number keeps this exact text.
    Value::Number(text.parse::<Number>().unwrap_or_else(|_| Number::from(0)))
}

/// The reference's `AmountFromValue`: a number or numeric string with at most
/// eight decimals, within `[0, MAX_MONEY]`.
pub fn parse_amount(v: &Value) -> Result<Amount, RpcError> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(RpcError::type_error("Amount is not a number or string")),
    };
    let sats = parse_fixed_point(&text, 8).ok_or_else(|| RpcError::type_error("Invalid amount"))?;
    if !(0..=MAX_MONEY as i64).contains(&sats) {
        return Err(RpcError::type_error("Amount out of range"));
    }
    Ok(Amount::from_sat(sats as u64))
}

/// The reference's `ParseFixedPoint`: JSON number syntax, scaled by
/// `10^decimals`, exact (no rounding) and below 10^18 in magnitude.
pub fn parse_fixed_point(text: &str, decimals: i64) -> Option<i64> {
    const UPPER_BOUND: i64 = 1_000_000_000_000_000_000 - 1;
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut mantissa: i64 = 0;
    let mut trailing_zeros = 0i64;
    let mut point_offset = 0i64;
    let digit = |c: u8, mantissa: &mut i64, tz: &mut i64| -> bool {
        if c == b'0' {
            *tz += 1;
            return true;
        }
        for _ in 0..=*tz {
            if *mantissa > UPPER_BOUND / 10 {
                return false;
            }
            *mantissa *= 10;
        }
        *mantissa += i64::from(c - b'0');
        *tz = 0;
        true
    };
    let negative = bytes.first() == Some(&b'-');
    if negative {
        pos += 1;
    }
    match bytes.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => {
            while let Some(&c) = bytes.get(pos).filter(|c| c.is_ascii_digit()) {
                if !digit(c, &mut mantissa, &mut trailing_zeros) {
                    return None;
                }
                pos += 1;
            }
        }
        _ => return None,
    }
    if bytes.get(pos) == Some(&b'.') {
        pos += 1;
        if !bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&c) = bytes.get(pos).filter(|c| c.is_ascii_digit()) {
            if !digit(c, &mut mantissa, &mut trailing_zeros) {
                return None;
            }
            pos += 1;
            point_offset += 1;
        }
    }
    let mut exponent: i64 = 0;
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        let exponent_negative = match bytes.get(pos) {
            Some(b'+') => {
                pos += 1;
                false
            }
            Some(b'-') => {
                pos += 1;
                true
            }
            _ => false,
        };
        if !bytes.get(pos).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&c) = bytes.get(pos).filter(|c| c.is_ascii_digit()) {
            if exponent > UPPER_BOUND / 10 {
                return None;
            }
            exponent = exponent * 10 + i64::from(c - b'0');
            pos += 1;
        }
        if exponent_negative {
            exponent = -exponent;
        }
    }
    if pos != bytes.len() {
        return None;
    }
    let exponent = exponent - point_offset + trailing_zeros + decimals;
    if !(0..18).contains(&exponent) {
        return None;
    }
    if negative {
        mantissa = -mantissa;
    }
    for _ in 0..exponent {
        if !(-(UPPER_BOUND / 10)..=UPPER_BOUND / 10).contains(&mantissa) {
            return None;
        }
        mantissa *= 10;
    }
    (-UPPER_BOUND..=UPPER_BOUND).contains(&mantissa).then_some(mantissa)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn amounts_have_eight_decimals() {
        assert_eq!(amount_to_json(Amount::from_sat(1)).to_string(), "0.00000001");
        assert_eq!(amount_to_json(Amount::from_sat(2_100_000_000_000_000)).to_string(), "21000000.00000000");
        assert_eq!(signed_amount_to_json(-150_000_000).to_string(), "-1.50000000");
    }

    #[test]
    fn amount_from_value() {
        // The reference's rpc_util vectors (ParseFixedPoint and AmountFromValue).
        let ok = |v: Value| parse_amount(&v).map(Amount::to_sat);
        assert_eq!(ok(json!(0)), Ok(0));
        assert_eq!(ok(json!(0.00000001)), Ok(1));
        assert_eq!(ok(json!("0.00000001")), Ok(1));
        assert_eq!(ok(json!(20999999.9999999)), Ok(2_099_999_999_999_990));
        assert_eq!(ok(json!(21000000)), Ok(2_100_000_000_000_000));
        assert_eq!(ok(json!("1e-8")), Ok(1));
        assert_eq!(ok(json!("0.1e-7")), Ok(1));
        assert_eq!(ok(json!("0.01e-6")), Ok(1));
        assert_eq!(
            ok(json!("0.0000000000000000000000000000000000000000000000000000000000000000000000000001e+68")),
            Ok(1)
        );
        assert_eq!(ok(json!("10000000000000000000000000000000000000000000000000000000000000000e-64")), Ok(100_000_000));
        let err = |v: Value| parse_amount(&v).unwrap_err();
        assert_eq!(err(json!(0.000000001)).message, "Invalid amount");
        assert_eq!(err(json!("1e-9")).message, "Invalid amount");
        assert_eq!(err(json!(".1")).message, "Invalid amount");
        assert_eq!(err(json!("01")).message, "Invalid amount");
        assert_eq!(err(json!("1 ")).message, "Invalid amount");
        assert_eq!(err(json!(-0.00000001)).message, "Amount out of range");
        assert_eq!(err(json!(21000000.00000001)).message, "Amount out of range");
        assert_eq!(err(json!("92233720368.54775808")).message, "Invalid amount");
        let e = err(json!(true));
        assert_eq!((e.code, e.message.as_str()), (-3, "Amount is not a number or string"));
    }
}
