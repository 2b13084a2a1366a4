//! Bitcoin's consensus rules, kept apart from storage and networking so each
//! rule can be read and tested on its own. Everything here is a pure function
//! of its inputs; the chain state (`hashvive-chain`) supplies the context.

pub mod params;

pub use params::{ChainParams, Deployment};
