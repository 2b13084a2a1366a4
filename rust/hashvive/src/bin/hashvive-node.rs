//! hashvive-node: the node, with IPC so wallets and GUIs can run in their own processes.

fn main() -> std::process::ExitCode {
    hashvive_node::init::main(&hashvive_node::init::HASHVIVE_NODE)
}
