//! The JSON-RPC protocol as the reference node speaks it: request parsing for
//! versions 1.0/1.1/2.0, replies, error codes, the method table with named
//! parameters and type checks, and the client-side conversion of command-line
//! arguments to JSON.
//!
//! Transport lives elsewhere (the node's HTTP server, the CLI's HTTP client, the
//! IPC `Rpc` interface): this crate only turns JSON into calls and results back
//! into JSON.

pub mod amount;
pub mod convert;
pub mod error;
pub mod params;
pub mod request;
pub mod table;

pub use error::{codes, RpcError};
pub use request::{JsonRpcVersion, Request};
pub use table::{Arg, ArgType, Command, Handler, RpcTable};
