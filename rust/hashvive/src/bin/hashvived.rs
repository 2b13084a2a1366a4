//! hashvived: the node and its wallets in one process.

use hashvive::in_process_wallets;
use hashvive_node::init::{Wiring, HASHVIVED};

fn main() -> std::process::ExitCode {
    hashvive_node::init::main(&HASHVIVED, Wiring { wallet: in_process_wallets(), ..Wiring::default() })
}
