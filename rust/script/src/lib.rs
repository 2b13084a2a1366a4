//! Scripts as the reference node's RPCs treat them. The RPCs must answer
//! byte for byte as the reference does, so these follow its rules where
//! rust-bitcoin's own (script printing, classification, PSBT signing) differ:
//! - [`script`]: opcodes, assembly text, output templates, inferred descriptors;
//! - [`format`]: scripts and transactions as JSON (`decoderawtransaction`);
//! - [`message`]: signed messages (`signmessage`, `verifymessage`);
//! - [`sign`]: signing inputs from keys and scripts (`SignTransaction`);
//! - [`psbt`]: PSBT text, and signing and finalizing PSBT inputs;
//! - [`sign_raw`]: `signrawtransactionwith{key,wallet}`'s shared part;
//! - [`transaction`]: transactions read and written as the reference does.
//!
//! Shared by the node's raw transaction RPCs and the wallet's.

pub mod format;
pub mod message;
pub mod psbt;
pub mod script;
pub mod sign;
pub mod sign_raw;
pub mod transaction;
