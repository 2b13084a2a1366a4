//! The four kinds of address a wallet hands out, as `-addresstype`,
//! `-changetype` and the RPCs name them, and the descriptor each derives
//! its addresses with.

use std::fmt;
use std::str::FromStr;

use bitcoin::bip32::Xpriv;
use bitcoin::Network;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OutputType {
    /// P2PKH (BIP44).
    Legacy,
    /// P2WPKH nested in P2SH (BIP49).
    P2shSegwit,
    /// P2WPKH (BIP84).
    Bech32,
    /// P2TR key path (BIP86).
    Bech32m,
}

impl OutputType {
    /// In the order the reference sets up a new wallet's descriptors.
    pub const ALL: [OutputType; 4] =
        [OutputType::Legacy, OutputType::P2shSegwit, OutputType::Bech32, OutputType::Bech32m];

    pub fn name(self) -> &'static str {
        match self {
            OutputType::Legacy => "legacy",
            OutputType::P2shSegwit => "p2sh-segwit",
            OutputType::Bech32 => "bech32",
            OutputType::Bech32m => "bech32m",
        }
    }

    /// The BIP44-style template's descriptor for `master`'s receive
    /// (`internal` false) or change addresses on `network`.
    pub fn descriptor(self, master: &Xpriv, network: Network, internal: bool) -> String {
        let coin = if network == Network::Bitcoin { 0 } else { 1 };
        let chain = u8::from(internal);
        let (purpose, open, close) = match self {
            OutputType::Legacy => (44, "pkh(", ")"),
            OutputType::P2shSegwit => (49, "sh(wpkh(", "))"),
            OutputType::Bech32 => (84, "wpkh(", ")"),
            OutputType::Bech32m => (86, "tr(", ")"),
        };
        format!("{open}{master}/{purpose}h/{coin}h/0h/{chain}/*{close}")
    }

    /// The type of addresses a descriptor's scripts have, when it is one a
    /// wallet can hand out addresses from.
    pub fn of_descriptor<K: bdk_wallet::miniscript::MiniscriptKey>(
        descriptor: &bdk_wallet::miniscript::Descriptor<K>,
    ) -> Option<OutputType> {
        use bdk_wallet::miniscript::descriptor::{Descriptor, ShInner};
        match descriptor {
            Descriptor::Pkh(_) => Some(OutputType::Legacy),
            Descriptor::Sh(sh) => match sh.as_inner() {
                ShInner::Wpkh(_) | ShInner::Wsh(_) => Some(OutputType::P2shSegwit),
                _ => Some(OutputType::Legacy),
            },
            Descriptor::Wpkh(_) | Descriptor::Wsh(_) => Some(OutputType::Bech32),
            Descriptor::Tr(_) => Some(OutputType::Bech32m),
            Descriptor::Bare(_) => None,
        }
    }
}

impl fmt::Display for OutputType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for OutputType {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        OutputType::ALL.into_iter().find(|t| t.name() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_refused() {
        for t in OutputType::ALL {
            assert_eq!(t.name().parse::<OutputType>(), Ok(t));
        }
        assert!("p2sh".parse::<OutputType>().is_err());
    }

    #[test]
    fn templates_follow_the_bips_and_their_addresses_have_their_type() {
        let master = Xpriv::new_master(Network::Regtest, &[7; 32]).unwrap();
        let secp = bitcoin::secp256k1::Secp256k1::new();
        for t in OutputType::ALL {
            let text = t.descriptor(&master, Network::Regtest, true);
            assert!(text.contains("h/1h/0h/1/*"), "{text}");
            let (d, _) = bdk_wallet::miniscript::Descriptor::parse_descriptor(&secp, &text).unwrap();
            assert_eq!(OutputType::of_descriptor(&d), Some(t));
        }
    }
}
