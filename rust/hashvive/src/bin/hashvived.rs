//! hashvived: the node and its wallet in one process.

use hashvive_node::init::{Wiring, HASHVIVED};

fn main() -> std::process::ExitCode {
    hashvive_node::init::main(&HASHVIVED, Wiring::default())
}
