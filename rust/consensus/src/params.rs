//! Per-network consensus parameters: genesis block, proof-of-work limits,
//! subsidy schedule and the heights at which buried soft forks became active.
//! Values follow the reference node's chainparams.

use std::fmt;
use std::str::FromStr;

use bitcoin::blockdata::constants::genesis_block;
use bitcoin::{Block, BlockHash, Network, Target};

/// A coinbase output may be spent this many blocks after its own.
pub const COINBASE_MATURITY: u32 = 100;

/// Soft forks activated at a fixed height ("buried" deployments), named as
/// `-testactivationheight=<name>@<height>` spells them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Deployment {
    /// BIP34: block height in the coinbase.
    Bip34,
    /// BIP66: strict DER signatures.
    DerSig,
    /// BIP65: OP_CHECKLOCKTIMEVERIFY.
    Cltv,
    /// BIP68/112/113: relative lock-time and median-time-past lock-time.
    Csv,
    /// BIP141/143/147: segregated witness and NULLDUMMY.
    Segwit,
}

impl Deployment {
    pub const ALL: [Deployment; 5] =
        [Deployment::Bip34, Deployment::DerSig, Deployment::Cltv, Deployment::Csv, Deployment::Segwit];

    /// The name `getdeploymentinfo` and `-testactivationheight` use.
    pub fn name(self) -> &'static str {
        match self {
            Deployment::Bip34 => "bip34",
            Deployment::DerSig => "bip66",
            Deployment::Cltv => "bip65",
            Deployment::Csv => "csv",
            Deployment::Segwit => "segwit",
        }
    }
}

impl fmt::Display for Deployment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Deployment {
    type Err = ();

    /// Accepts the `-testactivationheight` spellings (`dersig`, `cltv`), like the reference.
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "bip34" => Ok(Deployment::Bip34),
            "dersig" => Ok(Deployment::DerSig),
            "cltv" => Ok(Deployment::Cltv),
            "csv" => Ok(Deployment::Csv),
            "segwit" => Ok(Deployment::Segwit),
            _ => Err(()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ChainParams {
    pub network: Network,
    pub genesis: Block,
    pub subsidy_halving_interval: u32,
    pub bip34_height: u32,
    pub bip65_height: u32,
    pub bip66_height: u32,
    pub csv_height: u32,
    pub segwit_height: u32,
    /// The easiest target a block may have.
    pub pow_limit: Target,
    /// Seconds between blocks the difficulty aims at.
    pub pow_target_spacing: u64,
    /// Seconds of one difficulty period.
    pub pow_target_timespan: u64,
    /// Testnet rule: a block more than 20 minutes after its parent may use the easiest target.
    pub pow_allow_min_difficulty_blocks: bool,
    /// Regtest rule: the target never changes.
    pub pow_no_retargeting: bool,
    /// BIP94 (testnet4): difficulty periods start from the previous period's first block's target.
    pub enforce_bip94: bool,
    /// The one mainnet block that violates BIP16 and is checked without P2SH.
    pub bip16_exception: Option<BlockHash>,
    /// The one mainnet block whose taproot-looking spends predate taproot.
    pub taproot_exception: Option<BlockHash>,
    /// A pruning node keeps every block until its chain is this high.
    pub prune_after_height: u32,
}

fn hash(hex: &str) -> BlockHash {
    // Only called with the literal constants below.
    BlockHash::from_str(hex).expect("valid block hash constant")
}

/// The `bitcoin` crate's name for a chain the options select.
pub fn network(chain: hashvive_common::chain::Chain) -> Network {
    use hashvive_common::chain::Chain;
    match chain {
        Chain::Main => Network::Bitcoin,
        Chain::Testnet => Network::Testnet,
        Chain::Testnet4 => Network::Testnet4,
        Chain::Signet => Network::Signet,
        Chain::Regtest => Network::Regtest,
    }
}

impl ChainParams {
    pub fn new(network: Network) -> ChainParams {
        let pow = bitcoin::params::Params::new(network);
        let common = ChainParams {
            network,
            genesis: genesis_block(network),
            subsidy_halving_interval: 210_000,
            bip34_height: 1,
            bip65_height: 1,
            bip66_height: 1,
            csv_height: 1,
            segwit_height: 1,
            pow_limit: pow.max_attainable_target,
            pow_target_spacing: 10 * 60,
            pow_target_timespan: 14 * 24 * 60 * 60,
            pow_allow_min_difficulty_blocks: false,
            pow_no_retargeting: false,
            enforce_bip94: false,
            bip16_exception: None,
            taproot_exception: None,
            prune_after_height: 1000,
        };
        match network {
            Network::Bitcoin => ChainParams {
                bip34_height: 227_931,
                bip65_height: 388_381,
                bip66_height: 363_725,
                csv_height: 419_328,
                segwit_height: 481_824,
                bip16_exception: Some(hash("00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22")),
                taproot_exception: Some(hash("0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad")),
                prune_after_height: 100_000,
                ..common
            },
            Network::Testnet => ChainParams {
                bip34_height: 21_111,
                bip65_height: 581_885,
                bip66_height: 330_776,
                csv_height: 770_112,
                segwit_height: 834_624,
                pow_allow_min_difficulty_blocks: true,
                bip16_exception: Some(hash("00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105")),
                ..common
            },
            Network::Testnet4 => ChainParams { pow_allow_min_difficulty_blocks: true, enforce_bip94: true, ..common },
            Network::Signet => common,
            Network::Regtest => ChainParams {
                subsidy_halving_interval: 150,
                segwit_height: 0,
                pow_allow_min_difficulty_blocks: true,
                pow_no_retargeting: true,
                ..common
            },
        }
    }

    pub fn genesis_hash(&self) -> BlockHash {
        self.genesis.block_hash()
    }

    /// The height from which `deployment` is enforced.
    pub fn activation_height(&self, deployment: Deployment) -> u32 {
        match deployment {
            Deployment::Bip34 => self.bip34_height,
            Deployment::DerSig => self.bip66_height,
            Deployment::Cltv => self.bip65_height,
            Deployment::Csv => self.csv_height,
            Deployment::Segwit => self.segwit_height,
        }
    }

    /// `-testactivationheight`: moves a deployment on regtest.
    pub fn set_activation_height(&mut self, deployment: Deployment, height: u32) {
        let slot = match deployment {
            Deployment::Bip34 => &mut self.bip34_height,
            Deployment::DerSig => &mut self.bip66_height,
            Deployment::Cltv => &mut self.bip65_height,
            Deployment::Csv => &mut self.csv_height,
            Deployment::Segwit => &mut self.segwit_height,
        };
        *slot = height;
    }

    pub fn is_active(&self, deployment: Deployment, height: u32) -> bool {
        height >= self.activation_height(deployment)
    }

    /// Blocks per difficulty period (2016 with the standard timings).
    pub fn difficulty_adjustment_interval(&self) -> u32 {
        (self.pow_target_timespan / self.pow_target_spacing) as u32
    }

    /// The parameters rust-bitcoin's difficulty helpers expect.
    pub fn pow_params(&self) -> bitcoin::params::Params {
        let mut p = bitcoin::params::Params::new(self.network);
        p.max_attainable_target = self.pow_limit;
        p.pow_target_spacing = self.pow_target_spacing;
        p.pow_target_timespan = self.pow_target_timespan;
        p.allow_min_difficulty_blocks = self.pow_allow_min_difficulty_blocks;
        p.no_pow_retargeting = self.pow_no_retargeting;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_hashes_match_the_reference() {
        let cases = [
            (Network::Bitcoin, "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"),
            (Network::Testnet, "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943"),
            (Network::Signet, "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6"),
            (Network::Regtest, "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"),
        ];
        for (network, expected) in cases {
            assert_eq!(ChainParams::new(network).genesis_hash().to_string(), expected, "{network}");
        }
    }

    #[test]
    fn regtest_rules() {
        let mut p = ChainParams::new(Network::Regtest);
        assert_eq!(p.subsidy_halving_interval, 150);
        assert!(p.is_active(Deployment::Segwit, 0));
        assert!(!p.is_active(Deployment::Bip34, 0));
        assert!(p.is_active(Deployment::Bip34, 1));
        p.set_activation_height(Deployment::Csv, 432);
        assert!(!p.is_active(Deployment::Csv, 431));
        assert!(p.is_active(Deployment::Csv, 432));
        assert_eq!("dersig".parse::<Deployment>(), Ok(Deployment::DerSig));
        assert!("bip66".parse::<Deployment>().is_err());
    }
}
