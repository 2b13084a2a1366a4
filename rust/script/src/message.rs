//! Signed messages (BIP137's compact form, as the reference's
//! `signmessage`, `signmessagewithprivkey` and `verifymessage` write them).

use base64::Engine as _;
use bitcoin::hashes::Hash;
use bitcoin::secp256k1::{Message, Secp256k1};
use bitcoin::sign_message::signed_msg_hash;
use bitcoin::PrivateKey;

/// `message` signed with `key`: a recovery header byte (27, plus 4 for a
/// compressed key) and the compact signature, in base64.
pub fn sign_message(key: &PrivateKey, message: &str) -> String {
    let digest = Message::from_digest(signed_msg_hash(message).to_byte_array());
    let (recid, sig) = Secp256k1::signing_only().sign_ecdsa_recoverable(&digest, &key.inner).serialize_compact();
    let mut bytes = vec![27 + recid.to_i32() as u8 + if key.compressed { 4 } else { 0 }];
    bytes.extend_from_slice(&sig);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
