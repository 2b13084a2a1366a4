//! hashvive-cli: the command-line JSON-RPC client.

fn main() -> std::process::ExitCode {
    hashvive_cli::main()
}
