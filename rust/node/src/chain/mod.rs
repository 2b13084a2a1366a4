//! How the node sets up its chain state from its options; the chain state
//! itself is `hashvive-chain`.

use std::path::Path;
use std::time::Duration;

use hashvive_chain::mempool::MempoolOptions;
use hashvive_chain::{ChainConfig, Chainstate, PruneMode};
use hashvive_common::args::Args;
use hashvive_common::chain::Chain;
use hashvive_consensus::{ChainParams, Deployment};
use hashvive_policy::PolicyOptions;

use crate::init::InitError;

pub use hashvive_consensus::params::network;

/// The chain-state settings the options ask for; option errors are init errors.
pub fn chain_config(args: &Args, chain: Chain, chain_dir: &Path) -> Result<ChainConfig, InitError> {
    let mut params = ChainParams::new(network(chain));
    for spec in args.get_all("testactivationheight") {
        if chain != Chain::Regtest {
            return Err(InitError::new("Error: -testactivationheight may only be used on regtest".to_string()));
        }
        let parsed = spec.split_once('@').and_then(|(name, height)| {
            Some((name.parse::<Deployment>().ok()?, height.parse::<u32>().ok().filter(|h| *h < i32::MAX as u32)?))
        });
        let Some((deployment, height)) = parsed else {
            return Err(InitError::new(format!("Invalid format ({spec}) for -testactivationheight=name@height.")));
        };
        params.set_activation_height(deployment, height);
    }
    let prune = PruneMode::from_option(args.get_int("prune", 0)).map_err(InitError::new)?;
    let txindex = args.get_bool("txindex", false);
    if prune.is_on() && txindex {
        return Err(InitError::new("Prune mode is incompatible with -txindex."));
    }
    let fast_prune = args.get_bool("fastprune", false);
    if fast_prune && chain == Chain::Regtest {
        params.prune_after_height = 100;
    }
    let dbcache_mib = args.get_int("dbcache", 450).clamp(4, 1 << 20) as usize;
    let par = args.get_int("par", 0);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let script_threads = match par {
        n if n > 0 => n as usize,
        n => (cores as i64 + n).max(1) as usize,
    }
    .min(15);
    let policy = PolicyOptions {
        permit_bare_multisig: args.get_bool("permitbaremultisig", true),
        datacarrier: args.get_bool("datacarrier", true),
        ..PolicyOptions::default()
    };
    let defaults = MempoolOptions::defaults(policy);
    let mempool = MempoolOptions {
        require_standard: !(chain.is_test_chain() && args.get_bool("acceptnonstdtxn", false)),
        max_size: args.get_int("maxmempool", 300).max(0) as u64 * 1_000_000,
        expiry: Duration::from_secs(args.get_int("mempoolexpiry", 336).max(0) as u64 * 3600),
        full_rbf: args.get_bool("mempoolfullrbf", true),
        ..defaults
    };
    Ok(ChainConfig {
        params,
        blocks_dir: chain_dir.join("blocks"),
        chainstate_dir: chain_dir.join("chainstate"),
        db_cache_bytes: dbcache_mib << 20,
        txindex,
        prune,
        fast_prune,
        mempool,
        flush_interval: Duration::from_secs(1),
        script_threads,
    })
}

/// Opens the chain state, off the async threads (it reads the block index).
pub async fn open(config: ChainConfig) -> Result<std::sync::Arc<Chainstate>, InitError> {
    let opened = tokio::task::spawn_blocking(move || Chainstate::open(config))
        .await
        .map_err(|e| InitError::new(format!("Loading the chain state stopped: {e}")))?;
    opened.map(std::sync::Arc::new).map_err(|e| match e {
        hashvive_chain::ChainError::PrunedBefore => InitError::new(e.to_string()),
        e => InitError::new(format!("Error opening block database: {e}")),
    })
}
