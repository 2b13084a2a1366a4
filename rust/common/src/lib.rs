//! What every hashvive executable shares: reference-style arguments and config
//! files, chain selection, the data directory, logging and shutdown.

pub mod args;
pub mod chain;
pub mod datadir;
pub mod help;
pub mod hostport;
pub mod logging;
pub mod options;
pub mod programs;
pub mod rw_settings;
pub mod settings;
pub mod shutdown;
pub mod time;
pub mod version;
