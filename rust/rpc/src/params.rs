//! Reading values out of RPC parameters the way the reference does.
//!
//! The method table checks the type of each top-level argument; values nested
//! inside arrays and objects are read here, with the reference's messages. Its
//! `get_str()`/`getInt()` failures surface as plain runtime errors, which the
//! reference server reports with code `-1`; its `ParseHexV`/`ParseHashV`
//! failures are `-8`.

use serde_json::Value;

use crate::table::json_type_name;
use crate::RpcError;

/// The reference's message when a JSON value has the wrong type.
fn wrong_type(v: &Value, expected: &str) -> RpcError {
    RpcError::misc(format!("JSON value of type {} is not of expected type {expected}", json_type_name(v)))
}

/// `UniValue::get_str()`.
pub fn get_str(v: &Value) -> Result<&str, RpcError> {
    v.as_str().ok_or_else(|| wrong_type(v, "string"))
}

/// `UniValue::get_bool()`.
pub fn get_bool(v: &Value) -> Result<bool, RpcError> {
    v.as_bool().ok_or_else(|| wrong_type(v, "bool"))
}

/// `UniValue::get_array()`.
pub fn get_array(v: &Value) -> Result<&Vec<Value>, RpcError> {
    v.as_array().ok_or_else(|| wrong_type(v, "array"))
}

/// `UniValue::get_obj()`.
pub fn get_obj(v: &Value) -> Result<&serde_json::Map<String, Value>, RpcError> {
    v.as_object().ok_or_else(|| wrong_type(v, "object"))
}

/// `UniValue::getInt<T>()`: an integer in `[min, max]`; a fraction or exponent
/// is "not an integer", a value outside the type's range "out of range".
pub fn get_int(v: &Value, min: i64, max: i64) -> Result<i64, RpcError> {
    let Value::Number(n) = v else { return Err(wrong_type(v, "number")) };
    let text = n.to_string();
    let digits = text.strip_prefix('-').unwrap_or(&text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RpcError::misc("JSON integer out of range"));
    }
    match text.parse::<i64>() {
        Ok(i) if (min..=max).contains(&i) => Ok(i),
        _ => Err(RpcError::misc("JSON integer out of range")),
    }
}

/// `getInt<int>()`.
pub fn get_i32(v: &Value) -> Result<i32, RpcError> {
    // The range is i32's, so the conversion cannot fail.
    get_int(v, i32::MIN.into(), i32::MAX.into()).map(|i| i as i32)
}

/// `IsHex`: a non-empty, even-length string of hex digits.
pub fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Hex digits to bytes; `None` unless [`is_hex`].
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !is_hex(s) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

pub fn encode_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `ParseHexV`: a value that must be a hex string; anything else (including a
/// non-string) is `"<name> must be hexadecimal string (not '…')"`.
pub fn parse_hex_v(v: &Value, name: &str) -> Result<Vec<u8>, RpcError> {
    let s = v.as_str().unwrap_or("");
    decode_hex(s).ok_or_else(|| RpcError::invalid_parameter(format!("{name} must be hexadecimal string (not '{s}')")))
}

/// `ParseHexO`: [`parse_hex_v`] of an object's member.
pub fn parse_hex_o(o: &serde_json::Map<String, Value>, key: &str) -> Result<Vec<u8>, RpcError> {
    parse_hex_v(o.get(key).unwrap_or(&Value::Null), key)
}

/// `ParseHashV`: 64 hex digits, returned in display (reversed) order as the
/// reference's `uint256::FromHex` reads them.
pub fn parse_hash_v(v: &Value, name: &str) -> Result<[u8; 32], RpcError> {
    let s = get_str(v)?;
    if s.len() != 64 {
        return Err(RpcError::invalid_parameter(format!("{name} must be of length 64 (not {}, for '{s}')", s.len())));
    }
    let mut bytes: [u8; 32] = decode_hex(s)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| RpcError::invalid_parameter(format!("{name} must be hexadecimal string (not '{s}')")))?;
    bytes.reverse();
    Ok(bytes)
}

/// `ParseHashO`: [`parse_hash_v`] of an object's member (absent reads as null).
pub fn parse_hash_o(o: &serde_json::Map<String, Value>, key: &str) -> Result<[u8; 32], RpcError> {
    parse_hash_v(o.get(key).unwrap_or(&Value::Null), key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_as_univalue_reads_them() {
        assert_eq!(get_i32(&json!(5)).unwrap(), 5);
        assert_eq!(get_i32(&json!(-5)).unwrap(), -5);
        assert_eq!(get_i32(&json!(1.5)).unwrap_err().message, "JSON integer out of range");
        assert_eq!(get_i32(&json!(4294967296u64)).unwrap_err().message, "JSON integer out of range");
        let e = get_i32(&json!("5")).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (-1, "JSON value of type string is not of expected type number"));
    }

    #[test]
    fn hex_and_hashes() {
        assert_eq!(parse_hex_v(&json!("00ff"), "x").unwrap(), vec![0, 255]);
        let e = parse_hex_v(&json!("0"), "Data").unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (-8, "Data must be hexadecimal string (not '0')"));
        assert_eq!(parse_hex_v(&json!(1), "x").unwrap_err().message, "x must be hexadecimal string (not '')");
        let e = parse_hash_v(&json!("ab"), "txid").unwrap_err();
        assert_eq!(e.message, "txid must be of length 64 (not 2, for 'ab')");
        let e = parse_hash_v(&json!("zz".repeat(32)), "txid").unwrap_err();
        assert_eq!(e.message, format!("txid must be hexadecimal string (not '{}')", "zz".repeat(32)));
        let mut h = parse_hash_v(&json!(format!("01{}", "00".repeat(31))), "txid").unwrap();
        h.reverse();
        assert_eq!(h[0], 1);
        assert_eq!(parse_hash_v(&json!(1), "txid").unwrap_err().code, -1);
    }
}
