//! hashvived: the node and its wallet in one process.

fn main() -> std::process::ExitCode {
    hashvive_node::init::main(&hashvive_node::init::HASHVIVED)
}
