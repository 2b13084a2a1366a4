//! The reference client reads replies through UniValue's accessors. These
//! helpers yield what those accessors yield and fail with the messages they
//! throw, so an odd reply gives the reference's `error: …` line (exit 1)
//! instead of a panic or a different text.

use serde_json::Value;

use hashvive_rpc::table::json_type_name;

static NULL: Value = Value::Null;

/// `UniValue::operator[]`: the member, or null when it is absent or `v` is
/// not an object.
pub fn member<'a>(v: &'a Value, key: &str) -> &'a Value {
    v.get(key).unwrap_or(&NULL)
}

/// `UniValue::getValStr`: a string's text, a number as the server wrote it
/// (the workspace keeps number text with `arbitrary_precision`), `1` or the
/// empty string for booleans, and the empty string for everything else.
pub fn val_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(true) => "1".to_string(),
        Value::Bool(false) | Value::Null | Value::Array(_) | Value::Object(_) => String::new(),
    }
}

/// `UniValue::get_str`.
pub fn get_str(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| type_error(v, "string"))
}

/// `UniValue::get_real`.
pub fn get_real(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| "JSON double out of range".to_string()),
        _ => Err(type_error(v, "number")),
    }
}

/// `UniValue::getInt<int>`.
pub fn get_int(v: &Value) -> Result<i32, String> {
    match v {
        Value::Number(n) => {
            n.as_i64().and_then(|i| i32::try_from(i).ok()).ok_or_else(|| "JSON integer out of range".to_string())
        }
        _ => Err(type_error(v, "number")),
    }
}

/// `UniValue::getValues`: the elements of an array or the values of an object.
pub fn get_values(v: &Value) -> Result<Vec<&Value>, String> {
    match v {
        Value::Array(a) => Ok(a.iter().collect()),
        Value::Object(o) => Ok(o.values().collect()),
        _ => Err("JSON value is not an object or array as expected".to_string()),
    }
}

/// `UniValue::empty`: no members or elements; scalars count as empty.
pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => true,
    }
}

/// The text UniValue throws when a value has another type than expected.
pub fn type_error(v: &Value, expected: &str) -> String {
    format!("JSON value of type {} is not of expected type {expected}", json_type_name(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accessors_behave_like_univalue() {
        let v: Value = serde_json::from_str(r#"{"fee": 0.00001000, "n": 7, "s": "x", "t": true, "a": [1]}"#).unwrap();
        assert_eq!(val_str(member(&v, "fee")), "0.00001000");
        assert_eq!(val_str(member(&v, "n")), "7");
        assert_eq!(val_str(member(&v, "s")), "x");
        assert_eq!(val_str(member(&v, "t")), "1");
        assert_eq!(val_str(member(&v, "a")), "");
        assert_eq!(val_str(member(&v, "missing")), "");
        assert_eq!(member(&json!([1]), "x"), &Value::Null);
        assert_eq!(get_real(member(&v, "n")), Ok(7.0));
        assert_eq!(get_real(member(&v, "s")), Err("JSON value of type string is not of expected type number".into()));
        assert_eq!(get_int(&json!(1.5)), Err("JSON integer out of range".into()));
        assert_eq!(get_str(&Value::Null), Err("JSON value of type null is not of expected type string".into()));
        assert!(get_values(&json!("x")).is_err());
        assert!(is_empty(&json!({})) && is_empty(&json!(3)) && !is_empty(&json!([0])));
    }
}
