//! The networks hashvive can run on, as the user names them.

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Chain {
    Main,
    Testnet,
    Testnet4,
    Signet,
    Regtest,
}

impl Chain {
    pub const ALL: [Chain; 5] = [Chain::Main, Chain::Testnet, Chain::Testnet4, Chain::Signet, Chain::Regtest];

    /// The name used by `-chain=`, config file sections and `getblockchaininfo`.
    pub fn name(self) -> &'static str {
        match self {
            Chain::Main => "main",
            Chain::Testnet => "test",
            Chain::Testnet4 => "testnet4",
            Chain::Signet => "signet",
            Chain::Regtest => "regtest",
        }
    }

    /// The subdirectory of the data directory holding this chain's files
    /// (mainnet keeps them in the data directory itself).
    pub fn data_subdir(self) -> &'static str {
        match self {
            Chain::Main => "",
            Chain::Testnet => "testnet3",
            Chain::Testnet4 => "testnet4",
            Chain::Signet => "signet",
            Chain::Regtest => "regtest",
        }
    }

    pub fn default_rpc_port(self) -> u16 {
        match self {
            Chain::Main => 8332,
            Chain::Testnet => 18332,
            Chain::Testnet4 => 48332,
            Chain::Signet => 38332,
            Chain::Regtest => 18443,
        }
    }

    pub fn default_p2p_port(self) -> u16 {
        match self {
            Chain::Main => 8333,
            Chain::Testnet => 18333,
            Chain::Testnet4 => 48333,
            Chain::Signet => 38333,
            Chain::Regtest => 18444,
        }
    }

    /// Test chains allow the regression-test-only RPCs and options.
    pub fn is_test_chain(self) -> bool {
        self != Chain::Main
    }

    /// Chains where mocktime and other mocking RPCs are allowed.
    pub fn is_mockable(self) -> bool {
        self == Chain::Regtest
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("Unknown chain {0}.")]
pub struct UnknownChain(pub String);

impl FromStr for Chain {
    type Err = UnknownChain;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Chain::ALL.into_iter().find(|c| c.name() == s).ok_or_else(|| UnknownChain(s.to_string()))
    }
}
