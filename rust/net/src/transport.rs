//! Transport v1: the 24-byte header (magic, command, length, checksum) and
//! its payload, with the reference's limits. A wrong magic or an oversized
//! length ends the connection (the stream cannot be trusted to resync); a
//! wrong checksum or an undecodable payload only drops that message, as the
//! reference does.

use bitcoin::consensus::encode::{self, deserialize, serialize};
use bitcoin::p2p::message::{NetworkMessage, RawNetworkMessage};
use bitcoin::p2p::Magic;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Bytes in a message header.
pub const HEADER_SIZE: usize = 24;
/// The largest payload a peer may send (the reference's `MAX_PROTOCOL_MESSAGE_LENGTH`).
pub const MAX_PROTOCOL_MESSAGE_LENGTH: u32 = 4_000_000;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("Header error: Wrong MessageStart {0} received")]
    BadMagic(String),
    #[error("Header error: Size too large ({command}, {size} bytes)")]
    Oversized { command: String, size: u32 },
    #[error("socket closed: {0}")]
    Io(#[from] std::io::Error),
}

/// One message as it came off the wire, not yet decoded.
#[derive(Debug)]
pub struct Frame {
    /// The whole message, header included (what the payload decoder wants).
    pub bytes: Vec<u8>,
}

impl Frame {
    /// The command, printable (the reference's `SanitizeString`).
    pub fn command(&self) -> String {
        let raw = &self.bytes[4..16];
        let end = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
        raw[..end].iter().map(|b| *b as char).filter(|c| c.is_ascii_graphic() || *c == ' ').collect()
    }

    pub fn payload_len(&self) -> usize {
        self.bytes.len() - HEADER_SIZE
    }

    /// Decodes the payload after checking its checksum.
    pub fn decode(&self) -> Result<NetworkMessage, encode::Error> {
        deserialize::<RawNetworkMessage>(&self.bytes).map(RawNetworkMessage::into_payload)
    }
}

/// Reads one message; `Err` ends the connection.
pub async fn read_frame<R: AsyncRead + Unpin>(reader: &mut R, magic: Magic) -> Result<Frame, FrameError> {
    let mut header = [0u8; HEADER_SIZE];
    reader.read_exact(&mut header).await?;
    if header[..4] != magic.to_bytes() {
        return Err(FrameError::BadMagic(hex(&header[..4])));
    }
    let size = u32::from_le_bytes([header[16], header[17], header[18], header[19]]);
    if size > MAX_PROTOCOL_MESSAGE_LENGTH {
        let frame = Frame { bytes: header.to_vec() };
        return Err(FrameError::Oversized { command: frame.command(), size });
    }
    let mut bytes = Vec::with_capacity(HEADER_SIZE + size as usize);
    bytes.extend_from_slice(&header);
    bytes.resize(HEADER_SIZE + size as usize, 0);
    reader.read_exact(&mut bytes[HEADER_SIZE..]).await?;
    Ok(Frame { bytes })
}

/// A message ready for the wire.
pub fn encode(magic: Magic, message: NetworkMessage) -> Vec<u8> {
    serialize(&RawNetworkMessage::new(magic, message))
}

/// A message whose payload is already serialized (a block read from disk).
pub fn encode_raw(magic: Magic, command: &'static str, payload: Vec<u8>) -> Vec<u8> {
    let command = bitcoin::p2p::message::CommandString::try_from_static(command)
        .expect("commands passed here are short ASCII literals");
    encode(magic, NetworkMessage::Unknown { command, payload })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: Magic = Magic::REGTEST;

    async fn read(bytes: &[u8]) -> Result<Frame, FrameError> {
        read_frame(&mut &bytes[..], MAGIC).await
    }

    #[tokio::test]
    async fn round_trips_messages() {
        let bytes = encode(MAGIC, NetworkMessage::Ping(42));
        assert_eq!(&bytes[..4], &[0xfa, 0xbf, 0xb5, 0xda]);
        let frame = read(&bytes).await.unwrap();
        assert_eq!(frame.command(), "ping");
        assert_eq!(frame.payload_len(), 8);
        assert_eq!(frame.decode().unwrap(), NetworkMessage::Ping(42));
        // A raw payload frames exactly like the decoded message.
        let raw = encode_raw(MAGIC, "pong", 42u64.to_le_bytes().to_vec());
        assert_eq!(raw, encode(MAGIC, NetworkMessage::Pong(42)));
    }

    #[tokio::test]
    async fn wrong_magic_and_oversize_end_the_connection() {
        let mut bytes = encode(MAGIC, NetworkMessage::Verack);
        bytes[0] = 0xf9;
        assert!(matches!(read(&bytes).await, Err(FrameError::BadMagic(m)) if m == "f9bfb5da"));
        let mut bytes = encode(MAGIC, NetworkMessage::Verack);
        bytes[16..20].copy_from_slice(&(MAX_PROTOCOL_MESSAGE_LENGTH + 1).to_le_bytes());
        let err = read(&bytes).await.unwrap_err();
        assert_eq!(err.to_string(), "Header error: Size too large (verack, 4000001 bytes)");
        // A truncated stream is a closed socket.
        assert!(matches!(read(&bytes[..10]).await, Err(FrameError::Io(_))));
    }

    #[tokio::test]
    async fn bad_checksums_and_payloads_drop_only_the_message() {
        let mut bytes = encode(MAGIC, NetworkMessage::Ping(1));
        bytes[20] ^= 0xff;
        let frame = read(&bytes).await.unwrap();
        assert!(matches!(frame.decode(), Err(encode::Error::InvalidChecksum { .. })));
        // A ping with a short payload (and a matching checksum) does not decode.
        let short = encode_raw(MAGIC, "ping", vec![1, 2]);
        assert!(read(&short).await.unwrap().decode().is_err());
        // Unknown commands decode, to be ignored.
        let unknown = encode_raw(MAGIC, "hello", vec![1]);
        assert!(matches!(read(&unknown).await.unwrap().decode(), Ok(NetworkMessage::Unknown { .. })));
    }
}
