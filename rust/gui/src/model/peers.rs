//! The peers table: one row per connected peer, as the reference GUI's peer
//! tab lists them, plus the traffic totals under it.

use hashvive_interfaces::PeerSummary;
use serde_json::{json, Value};

use super::format;

/// One row of the peers table, every cell already text.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerRow {
    pub id: i64,
    pub address: String,
    /// "Inbound" or "Outbound Full Relay", "Outbound Block Relay", …
    pub direction: String,
    pub ping: String,
    pub sent: String,
    pub received: String,
    pub user_agent: String,
    pub connected_for: String,
}

impl PeerRow {
    /// The row for `peer`, with its connection age measured at `now`.
    pub fn new(peer: &PeerSummary, now: i64) -> PeerRow {
        PeerRow {
            id: peer.id,
            address: peer.address.clone(),
            direction: direction(&peer.connection_type),
            ping: format::ping(peer.ping_seconds),
            sent: format::bytes(peer.bytes_sent),
            received: format::bytes(peer.bytes_recv),
            user_agent: peer.user_agent.clone(),
            connected_for: format::duration(now - peer.connected_since),
        }
    }

    /// For QML, which takes the table as a list of objects.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "address": self.address,
            "direction": self.direction,
            "ping": self.ping,
            "sent": self.sent,
            "received": self.received,
            "userAgent": self.user_agent,
            "connectedFor": self.connected_for,
        })
    }
}

/// The table, ordered by peer id (the order of connection).
pub fn rows(peers: &[PeerSummary], now: i64) -> Vec<PeerRow> {
    let mut rows: Vec<PeerRow> = peers.iter().map(|p| PeerRow::new(p, now)).collect();
    rows.sort_by_key(|r| r.id);
    rows
}

/// The reference GUI's names for connection types.
fn direction(connection_type: &str) -> String {
    match connection_type {
        "inbound" => "Inbound",
        "outbound-full-relay" => "Outbound Full Relay",
        "block-relay-only" => "Outbound Block Relay",
        "manual" => "Outbound Manual",
        "feeler" => "Outbound Feeler",
        "addr-fetch" => "Outbound Address Fetch",
        other => other,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(id: i64, connection_type: &str) -> PeerSummary {
        PeerSummary {
            id,
            address: format!("127.0.0.1:{}", 18444 + id),
            user_agent: "/hashvive:0.1.0/".into(),
            inbound: connection_type == "inbound",
            connection_type: connection_type.into(),
            ping_seconds: Some(0.0015),
            bytes_recv: 2048,
            bytes_sent: 100,
            synced_blocks: 10,
            connected_since: 1000,
        }
    }

    #[test]
    fn rows_come_in_connection_order_with_readable_cells() {
        let table = rows(&[peer(3, "inbound"), peer(1, "manual")], 1000 + 3700);
        assert_eq!(table.iter().map(|r| r.id).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(table[0].direction, "Outbound Manual");
        assert_eq!(table[1].direction, "Inbound");
        assert_eq!(table[0].ping, "2 ms");
        assert_eq!(table[0].received, "2 KB");
        assert_eq!(table[0].sent, "100 B");
        assert_eq!(table[0].connected_for, "1 hour, 1 minute");
        assert_eq!(table[0].to_json()["userAgent"], "/hashvive:0.1.0/");
    }
}
