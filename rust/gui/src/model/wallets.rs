//! The overview's wallet panel: each loaded wallet's balances as the
//! reference GUI words them (available, pending, immature, total).

use hashvive_interfaces::{WalletBalances, WalletEncryption};
use serde_json::{json, Value};

use super::format;

/// One wallet's line on the overview.
#[derive(Clone, Debug, PartialEq)]
pub struct WalletView {
    /// The wallet's name as the node knows it (`""` for the default wallet).
    pub id: String,
    /// The wallet's name, or the reference GUI's words for the unnamed one.
    pub name: String,
    /// Spendable now.
    pub available: String,
    /// Unconfirmed payments from others.
    pub pending: String,
    /// Mined coins not yet mature.
    pub immature: String,
    pub total: String,
    /// "", "locked" or "unlocked": whether its keys are encrypted and open.
    pub encryption: &'static str,
}

impl WalletView {
    pub fn new(name: &str, balances: &WalletBalances, encryption: WalletEncryption) -> WalletView {
        let total = balances.trusted.saturating_add(balances.untrusted_pending).saturating_add(balances.immature);
        WalletView {
            id: name.to_string(),
            name: if name.is_empty() { "[default wallet]".to_string() } else { name.to_string() },
            available: format::btc(balances.trusted),
            pending: format::btc(balances.untrusted_pending),
            immature: format::btc(balances.immature),
            total: format::btc(total),
            encryption: match encryption {
                WalletEncryption::Unencrypted => "",
                WalletEncryption::Locked => "locked",
                WalletEncryption::Unlocked => "unlocked",
            },
        }
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "available": self.available,
            "pending": self.pending,
            "immature": self.immature,
            "total": self.total,
            "encryption": self.encryption,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances_read_as_the_reference_overview_shows_them() {
        let balances = WalletBalances { trusted: 5_000_000_000, untrusted_pending: 150_000_000, immature: 1 };
        let view = WalletView::new("", &balances, WalletEncryption::Unencrypted);
        assert_eq!(view.name, "[default wallet]");
        assert_eq!(
            (view.available.as_str(), view.pending.as_str(), view.immature.as_str(), view.total.as_str()),
            ("50.00000000 BTC", "1.50000000 BTC", "0.00000001 BTC", "51.50000001 BTC")
        );
        let locked = WalletView::new("savings", &WalletBalances::default(), WalletEncryption::Locked).to_json();
        assert_eq!((&locked["total"], &locked["encryption"]), (&json!("0.00000000 BTC"), &json!("locked")));
    }
}
