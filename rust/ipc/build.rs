//! Compiles `schema/*.capnp` to Rust with the Cap'n Proto compiler.
//!
//! The compiler is the one CMake found (`CAPNP_EXECUTABLE`, with the standard
//! imports in `CAPNP_INCLUDE_DIR`); under plain `cargo build` it is looked up
//! through pkg-config (`capnp.pc`), then on `PATH`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::exit;

const SCHEMAS: &[&str] = &[
    "mp/proxy.capnp",
    "common.capnp",
    "echo.capnp",
    "init.capnp",
    "mining.capnp",
    "rpc.capnp",
    "handler.capnp",
    "chain.capnp",
    "wallet.capnp",
    "node.capnp",
];

fn main() {
    println!("cargo:rerun-if-env-changed=CAPNP_EXECUTABLE");
    println!("cargo:rerun-if-env-changed=CAPNP_INCLUDE_DIR");
    let schema_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema");
    println!("cargo:rerun-if-changed={}", schema_dir.display());

    let pkg = pkg_config::Config::new().env_metadata(true).cargo_metadata(false).probe("capnp").ok();
    let executable = env::var_os("CAPNP_EXECUTABLE")
        .map(PathBuf::from)
        .or_else(|| pkg.is_some().then(pkg_config_capnp).flatten())
        .unwrap_or_else(|| PathBuf::from("capnp"));
    let include_dir = env::var_os("CAPNP_INCLUDE_DIR")
        .map(PathBuf::from)
        .or_else(|| pkg.as_ref().and_then(|p| p.include_paths.first().cloned()))
        .or_else(|| executable.parent().map(|bin| bin.join("../include")))
        .filter(|dir| dir.join("capnp/c++.capnp").exists());

    let mut command = capnpc::CompilerCommand::new();
    command
        .capnp_executable(&executable)
        .src_prefix(&schema_dir)
        .import_path(&schema_dir)
        .default_parent_module(vec!["schema".into()]);
    if let Some(dir) = &include_dir {
        command.import_path(dir);
    }
    for schema in SCHEMAS {
        command.file(schema_dir.join(schema));
    }
    if let Err(e) = command.run() {
        eprintln!(
            "error: cannot compile the Cap'n Proto schemas with {}: {e}\n\
             Install the Cap'n Proto compiler and its standard imports (Debian/Ubuntu: apt-get install capnproto libcapnp-dev),\n\
             or set CAPNP_EXECUTABLE (and CAPNP_INCLUDE_DIR for the directory holding capnp/c++.capnp).",
            executable.display()
        );
        exit(1);
    }
}

/// `<prefix>/bin/capnp` for the prefix pkg-config reports, when it exists.
fn pkg_config_capnp() -> Option<PathBuf> {
    let prefix = pkg_config::get_variable("capnp", "prefix").ok()?;
    let candidate = Path::new(&prefix).join("bin/capnp");
    candidate.exists().then_some(candidate)
}
