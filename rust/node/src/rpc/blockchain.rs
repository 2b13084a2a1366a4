//! `blockchain` methods.

use std::sync::Arc;

use serde_json::{json, Value};

use hashvive_rpc::table::sync_handler;
use hashvive_rpc::{Command, RpcTable};

use crate::chain::ChainState;

pub fn register(table: &RpcTable, chain: Arc<ChainState>, cli: &'static str) {
    let c = chain.clone();
    table.register(
        Command::new(
            "getbestblockhash",
            "blockchain",
            "Returns the hash of the best (tip) block in the most-work fully-validated chain.",
            sync_handler(move |_| Ok(Value::String(c.tip().hash.to_string()))),
        )
        .result("\"hex\"    (string) the block hash, hex-encoded")
        .example(format!("{cli} getbestblockhash")),
    );
    table.register(
        Command::new(
            "getblockcount",
            "blockchain",
            "Returns the height of the most-work fully-validated chain.\nThe genesis block has height 0.",
            sync_handler(move |_| Ok(json!(chain.tip().height))),
        )
        .result("n    (numeric) The current block count")
        .example(format!("{cli} getblockcount")),
    );
}
