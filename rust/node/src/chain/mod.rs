//! The node's view of its chain. Until block storage and validation land this
//! holds the chain's genesis block as its tip; everything that reads the tip
//! (RPCs, the `Mining` interface) already goes through [`ChainState`], so it
//! follows the real chain once blocks connect.

use std::time::Duration;

use bitcoin::blockdata::constants::genesis_block;
use bitcoin::{BlockHash, Network};
use tokio::sync::watch;

use hashvive_common::chain::Chain;

/// The active chain's tip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tip {
    pub hash: BlockHash,
    pub height: u32,
    /// Block time, seconds since the epoch.
    pub time: u32,
}

/// A tip older than this means the node is still catching up.
const MAX_TIP_AGE: i64 = 24 * 60 * 60;

pub fn network(chain: Chain) -> Network {
    match chain {
        Chain::Main => Network::Bitcoin,
        Chain::Testnet => Network::Testnet,
        Chain::Testnet4 => Network::Testnet4,
        Chain::Signet => Network::Signet,
        Chain::Regtest => Network::Regtest,
    }
}

pub struct ChainState {
    chain: Chain,
    tip: watch::Sender<Tip>,
}

impl ChainState {
    /// A chain holding only its genesis block.
    pub fn new(chain: Chain) -> ChainState {
        let genesis = genesis_block(network(chain));
        let tip = Tip { hash: genesis.block_hash(), height: 0, time: genesis.header.time };
        ChainState { chain, tip: watch::Sender::new(tip) }
    }

    pub fn chain(&self) -> Chain {
        self.chain
    }

    pub fn tip(&self) -> Tip {
        *self.tip.borrow()
    }

    /// Whether the node is still catching up: its tip is older than a day.
    pub fn is_initial_block_download(&self) -> bool {
        i64::from(self.tip().time) < hashvive_common::time::now() - MAX_TIP_AGE
    }

    /// Waits until the tip is not `current` or `timeout` has passed; returns the tip then.
    pub async fn wait_tip_changed(&self, current: BlockHash, timeout: Duration) -> Tip {
        let mut rx = self.tip.subscribe();
        let changed = async {
            // The sender lives as long as `self`, so waiting only ends with a change.
            let _ = rx.wait_for(|tip| tip.hash != current).await;
        };
        let _ = tokio::time::timeout(timeout, changed).await;
        self.tip()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    #[test]
    fn regtest_genesis() {
        let state = ChainState::new(Chain::Regtest);
        assert_eq!(state.tip().hash.to_string(), "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206");
        assert_eq!(state.tip().height, 0);
        assert!(state.is_initial_block_download());
    }

    #[tokio::test]
    async fn waiting_for_a_new_tip_times_out() {
        let state = ChainState::new(Chain::Regtest);
        let tip = state.wait_tip_changed(state.tip().hash, Duration::from_millis(10)).await;
        assert_eq!(tip, state.tip());
        let other = BlockHash::from_byte_array([1; 32]);
        assert_eq!(state.wait_tip_changed(other, Duration::from_secs(60)).await, state.tip());
    }
}
