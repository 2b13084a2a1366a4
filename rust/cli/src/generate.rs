//! `-generate [nblocks] [maxtries]`: mines to a new wallet address, as
//! `getnewaddress` followed by `generatetoaddress`.

use serde_json::{json, Value};

use crate::univalue::{member, type_error};

/// `nblocks` when none is given.
const DEFAULT_NBLOCKS: &str = "1";

/// The `generatetoaddress` arguments for `address` from the words after
/// `-generate`: nblocks (default 1), the address, then maxtries if given.
pub fn generatetoaddress_args(address: &str, mut args: Vec<String>) -> Result<Vec<String>, String> {
    if args.len() > 2 {
        return Err("too many arguments (maximum 2 for nblocks and maxtries)".into());
    }
    match args.first().map(String::as_str) {
        None => args.push(DEFAULT_NBLOCKS.to_string()),
        // Only the literal "0" is refused here; the node checks everything else.
        Some("0") => {
            return Err(format!(
                "the first argument (number of blocks to generate, default: {DEFAULT_NBLOCKS}) must be an integer value greater than zero"
            ))
        }
        Some(_) => {}
    }
    args.insert(1, address.to_string());
    Ok(args)
}

/// The printed reply: the address and the `generatetoaddress` result. As in
/// the reference, an error from `generatetoaddress` is not passed on: its
/// blocks read as null.
pub fn process_reply(address: &str, reply: Value) -> Result<Value, String> {
    if !reply.is_object() {
        return Err(type_error(&reply, "object"));
    }
    Ok(json!({"result": {"address": address, "blocks": member(&reply, "result")}, "id": 1, "jsonrpc": "2.0"}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn arguments_like_the_reference() {
        assert_eq!(generatetoaddress_args("bcrt1x", vec![]), Ok(words(&["1", "bcrt1x"])));
        assert_eq!(generatetoaddress_args("bcrt1x", words(&["5", "9"])), Ok(words(&["5", "bcrt1x", "9"])));
        assert_eq!(generatetoaddress_args("bcrt1x", words(&["00"])), Ok(words(&["00", "bcrt1x"])));
        assert_eq!(
            generatetoaddress_args("a", words(&["0"])),
            Err("the first argument (number of blocks to generate, default: 1) must be an integer value greater than zero".into())
        );
        assert_eq!(
            generatetoaddress_args("a", words(&["1", "2", "3"])),
            Err("too many arguments (maximum 2 for nblocks and maxtries)".into())
        );
    }

    #[test]
    fn replies() {
        let reply = process_reply("a", json!({"result": ["h"], "error": null, "id": 1})).unwrap();
        assert_eq!(reply["result"], json!({"address": "a", "blocks": ["h"]}));
        let reply = process_reply("a", json!({"error": {"code": -1, "message": "x"}, "id": 1})).unwrap();
        assert_eq!(reply["result"], json!({"address": "a", "blocks": null}));
        assert_eq!(
            process_reply("a", json!([1])),
            Err("JSON value of type array is not of expected type object".into())
        );
    }
}
