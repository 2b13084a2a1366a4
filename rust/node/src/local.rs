//! The node's own implementations of the interface traits: what it offers
//! another process over IPC, and what it uses itself when the other side is in
//! this process.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bitcoin::block::Version;
use bitcoin::consensus::{deserialize, serialize};
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, ScriptBuf, Txid, Weight, Wtxid};
use tokio::sync::Notify;
use tokio::time::Instant;

use hashvive_interfaces::{
    async_trait, BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockVerdict, BlockWaitOptions,
    CoinbaseTx, Echo, Error, Init, Mining, Node, Result, Rpc, MAX_MONEY,
};
use hashvive_rpc::request::Request;
use hashvive_rpc::RpcTable;

use hashvive_chain::{BlockOutcome, Chainstate, CoinbaseReserve, Rejection, Tip};
use hashvive_common::chain::Chain;
use hashvive_consensus::mining::{coinbase_merkle_path, coinbase_script_prefix, witness_commitment};
use hashvive_consensus::sigops::MAX_BLOCK_SIGOPS_COST;
use hashvive_consensus::BlockError;

use crate::http::execute_json;
use crate::local_node::{LocalNode, NodeContext, WiringFactory};

/// Returns what it is given.
pub struct LocalEcho;

#[async_trait]
impl Echo for LocalEcho {
    async fn echo(&self, text: String) -> Result<String> {
        Ok(text)
    }
}

fn block_ref(tip: Tip) -> BlockRef {
    BlockRef { hash: tip.hash.to_byte_array(), height: tip.height as i32 }
}

/// The least weight a template may keep free (the reference's
/// `MINIMUM_BLOCK_RESERVED_WEIGHT`): the header and a minimal coinbase.
const MINIMUM_BLOCK_RESERVED_WEIGHT: u64 = 2000;
/// How often `wait_next` rebuilds a template to see whether fees rose.
const FEE_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// On chains that allow it, a tip this old makes minimum-difficulty blocks valid.
const MIN_DIFFICULTY_AFTER: i64 = 20 * 60;

/// The chain work mining does, shared by [`NodeMining`] and its templates.
#[derive(Clone)]
struct Miner {
    chainstate: Arc<Chainstate>,
    runtime: tokio::runtime::Handle,
}

impl Miner {
    /// Runs `work` on the node's blocking threads: it takes the chain lock,
    /// and callers include the IPC loop, which must never block.
    async fn blocking<T: Send + 'static>(&self, work: impl FnOnce(&Chainstate) -> T + Send + 'static) -> Result<T> {
        let chainstate = self.chainstate.clone();
        self.runtime
            .spawn_blocking(move || work(&chainstate))
            .await
            .map_err(|e| Error::Remote(format!("mining task failed: {e}")))
    }

    async fn template(&self, options: BlockCreateOptions) -> Result<NodeBlockTemplate> {
        let reserve = CoinbaseReserve {
            weight: options.block_reserved_weight,
            sigops: options.coinbase_output_max_additional_sigops,
        };
        // The coinbase is a stand-in: miners write their own from `get_coinbase_tx`.
        let payout = ScriptBuf::from_bytes(vec![bitcoin::opcodes::OP_TRUE.to_u8()]);
        let txs = (!options.use_mempool).then(Vec::new);
        let template = self.blocking(move |chain| chain.create_block_template_with(payout, txs, reserve)).await?;
        Ok(NodeBlockTemplate::new(self.clone(), options, template))
    }

    /// Processes a complete block; the verdict follows the reference's `SubmitBlock`.
    async fn submit(&self, block: Block, precious: bool) -> Result<BlockVerdict> {
        self.blocking(move |chain| {
            let hash = block.block_hash();
            let outcome = chain.process_new_block(Arc::new(block)).map_err(remote)?;
            if precious && !matches!(outcome.checked, Some(Err(_))) {
                chain.precious_block(&hash).map_err(remote)?;
            }
            Ok(match outcome {
                BlockOutcome { checked: Some(result), .. } => verdict(result),
                BlockOutcome { new_block: false, .. } => BlockVerdict::rejected("duplicate", ""),
                // Stored without being connected (no more work than the tip), unless
                // `precious` just made it the tip.
                _ if precious && chain.tip().hash == hash => BlockVerdict::accepted(),
                _ => BlockVerdict::rejected("inconclusive", ""),
            })
        })
        .await?
    }

    /// Waits for a tip other than `current`; `None` when `interrupt` fires first.
    async fn wait_tip_changed(&self, current: BlockHash, timeout: Duration, interrupt: &Notify) -> Option<Tip> {
        tokio::select! {
            _ = interrupt.notified() => None,
            tip = self.chainstate.wait_tip_changed(current, timeout) => Some(tip),
        }
    }
}

fn remote(e: impl std::fmt::Display) -> Error {
    Error::Remote(e.to_string())
}

fn verdict(result: std::result::Result<(), Rejection>) -> BlockVerdict {
    match result {
        Ok(()) => BlockVerdict::accepted(),
        Err(r) => BlockVerdict::rejected(r.reason, r.debug.unwrap_or_default()),
    }
}

/// Bad data from a client is its error, never the node's crash.
fn decode<T: bitcoin::consensus::Decodable>(bytes: &[u8], what: &str) -> Result<T> {
    deserialize(bytes).map_err(|e| Error::Remote(format!("{what} decode failed: {e}")))
}

/// The reference's limits on what a client may ask a template to reserve.
fn check_create_options(options: &BlockCreateOptions) -> Result<()> {
    let max_weight = Weight::MAX_BLOCK.to_wu();
    let weight = options.block_reserved_weight;
    if weight < MINIMUM_BLOCK_RESERVED_WEIGHT {
        return Err(Error::Remote(format!(
            "block_reserved_weight ({weight}) is lower than minimum safety value of ({MINIMUM_BLOCK_RESERVED_WEIGHT})"
        )));
    }
    if weight > max_weight {
        return Err(Error::Remote(format!(
            "block_reserved_weight ({weight}) exceeds consensus maximum block weight ({max_weight})"
        )));
    }
    let sigops = options.coinbase_output_max_additional_sigops;
    if sigops > MAX_BLOCK_SIGOPS_COST {
        return Err(Error::Remote(format!(
            "coinbase_output_max_additional_sigops ({sigops}) exceeds consensus maximum block sigops cost ({MAX_BLOCK_SIGOPS_COST})"
        )));
    }
    Ok(())
}

pub struct NodeMining {
    chain: Chain,
    miner: Miner,
    /// `interrupt` ends one wait, the current or else the next, as the
    /// reference's interrupt flag does.
    interrupt: Notify,
}

#[async_trait]
impl Mining for NodeMining {
    async fn is_test_chain(&self) -> Result<bool> {
        Ok(self.chain.is_test_chain())
    }

    async fn is_initial_block_download(&self) -> Result<bool> {
        Ok(self.miner.chainstate.tip().is_initial_block_download())
    }

    async fn get_tip(&self) -> Result<Option<BlockRef>> {
        Ok(Some(block_ref(self.miner.chainstate.tip())))
    }

    async fn wait_tip_changed(&self, current_tip: [u8; 32], timeout: Duration) -> Result<Option<BlockRef>> {
        let current = BlockHash::from_byte_array(current_tip);
        Ok(self.miner.wait_tip_changed(current, timeout, &self.interrupt).await.map(block_ref))
    }

    async fn create_new_block(
        &self,
        options: BlockCreateOptions,
        cooldown: bool,
    ) -> Result<Option<Arc<dyn BlockTemplate>>> {
        check_create_options(&options)?;
        // A template made during initial block download would be stale at once.
        while cooldown && self.miner.chainstate.tip().is_initial_block_download() {
            let tip = self.miner.chainstate.tip().hash;
            if self.miner.wait_tip_changed(tip, Duration::from_secs(1), &self.interrupt).await.is_none() {
                return Ok(None);
            }
        }
        Ok(Some(Arc::new(self.miner.template(options).await?)))
    }

    async fn check_block(&self, block: Vec<u8>, options: BlockCheckOptions) -> Result<BlockVerdict> {
        let block: Block = decode(&block, "Block")?;
        let result = self
            .miner
            .blocking(move |chain| chain.check_block_template(&block, options.check_pow, options.check_merkle_root))
            .await?;
        Ok(verdict(result))
    }

    async fn submit_block(&self, block: Vec<u8>, precious: bool) -> Result<BlockVerdict> {
        self.miner.submit(decode(&block, "Block")?, precious).await
    }

    async fn get_transactions_by_txid(&self, txids: Vec<[u8; 32]>) -> Result<Vec<Option<Vec<u8>>>> {
        self.miner
            .blocking(move |chain| {
                chain.with_mempool(|m| {
                    txids.iter().map(|t| m.get(&Txid::from_byte_array(*t)).map(|e| serialize(&*e.tx))).collect()
                })
            })
            .await
    }

    async fn get_transactions_by_witness_id(&self, wtxids: Vec<[u8; 32]>) -> Result<Vec<Option<Vec<u8>>>> {
        self.miner
            .blocking(move |chain| {
                chain.with_mempool(|m| {
                    wtxids
                        .iter()
                        .map(|w| m.get_by_wtxid(&Wtxid::from_byte_array(*w)).map(|e| serialize(&*e.tx)))
                        .collect()
                })
            })
            .await
    }

    async fn interrupt(&self) -> Result<()> {
        self.interrupt.notify_one();
        Ok(())
    }
}

/// A block template on the node's chain state.
struct NodeBlockTemplate {
    miner: Miner,
    /// What `wait_next` builds its templates with.
    options: BlockCreateOptions,
    /// The block; `submit_solution` finishes it in place, so a client can
    /// read back what it submitted, as from the reference's template.
    block: Mutex<Block>,
    prev_blockhash: BlockHash,
    fees: Vec<i64>,
    sigops: Vec<i64>,
    coinbase: CoinbaseTx,
    /// `interrupt_wait` ends one `wait_next`, the current or else the next.
    interrupt: Notify,
}

impl NodeBlockTemplate {
    fn new(miner: Miner, options: BlockCreateOptions, template: hashvive_chain::BlockTemplate) -> NodeBlockTemplate {
        let coinbase = coinbase_tx(&template);
        NodeBlockTemplate {
            miner,
            options,
            prev_blockhash: template.block.header.prev_blockhash,
            fees: template.fees.iter().map(|fee| fee.to_sat() as i64).collect(),
            sigops: template.sigops.iter().map(|&cost| cost as i64).collect(),
            block: Mutex::new(template.block),
            coinbase,
            interrupt: Notify::new(),
        }
    }

    fn block(&self) -> MutexGuard<'_, Block> {
        // Every write leaves a whole block behind, so a poisoned lock still guards one.
        self.block.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn total_fees(&self) -> i64 {
        self.fees.iter().sum()
    }

    /// Whether a test chain's tip is old enough for a minimum-difficulty
    /// block, which a fresh template would use.
    fn min_difficulty_due(&self) -> bool {
        let chain = &self.miner.chainstate;
        chain.params().pow_allow_min_difficulty_blocks
            && hashvive_common::time::now() > i64::from(chain.tip().time) + MIN_DIFFICULTY_AFTER
    }
}

/// What a miner must keep of the template's coinbase when writing its own.
fn coinbase_tx(template: &hashvive_chain::BlockTemplate) -> CoinbaseTx {
    let coinbase = &template.block.txdata[0];
    let input = &coinbase.input[0];
    // Consensus allows exactly one 32-byte item in a coinbase witness.
    let witness = if input.witness.len() == 1 { input.witness.nth(0).and_then(|w| w.try_into().ok()) } else { None };
    CoinbaseTx {
        version: coinbase.version.0 as u32,
        sequence: input.sequence.0,
        script_sig_prefix: coinbase_script_prefix(template.height).into_bytes(),
        witness,
        block_reward_remaining: template.coinbase_value.to_sat() as i64,
        required_outputs: witness_commitment(coinbase).map(serialize).into_iter().collect(),
        lock_time: coinbase.lock_time.to_consensus_u32(),
    }
}

#[async_trait]
impl BlockTemplate for NodeBlockTemplate {
    async fn get_block_header(&self) -> Result<Vec<u8>> {
        Ok(serialize(&self.block().header))
    }

    async fn get_block(&self) -> Result<Vec<u8>> {
        Ok(serialize(&*self.block()))
    }

    async fn get_tx_fees(&self) -> Result<Vec<i64>> {
        Ok(self.fees.clone())
    }

    async fn get_tx_sigops(&self) -> Result<Vec<i64>> {
        Ok(self.sigops.clone())
    }

    async fn get_coinbase_tx(&self) -> Result<CoinbaseTx> {
        Ok(self.coinbase.clone())
    }

    async fn get_coinbase_merkle_path(&self) -> Result<Vec<[u8; 32]>> {
        Ok(coinbase_merkle_path(&self.block()).iter().map(|node| node.to_byte_array()).collect())
    }

    async fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: Vec<u8>,
        precious: bool,
    ) -> Result<BlockVerdict> {
        // Nothing to put first: the block would have no coinbase.
        if coinbase.is_empty() {
            return Ok(verdict(Err(Rejection::from(BlockError::MissingCoinbase))));
        }
        let coinbase = decode(&coinbase, "Coinbase transaction")?;
        let block = {
            let mut block = self.block();
            block.txdata[0] = coinbase;
            block.header.version = Version::from_consensus(version as i32);
            block.header.time = timestamp;
            block.header.nonce = nonce;
            block.header.merkle_root = block.compute_merkle_root().unwrap_or_else(bitcoin::TxMerkleNode::all_zeros);
            block.clone()
        };
        self.miner.submit(block, precious).await
    }

    async fn wait_next(&self, options: BlockWaitOptions) -> Result<Option<Arc<dyn BlockTemplate>>> {
        // Past `Instant`'s range means forever.
        let deadline = Instant::now().checked_add(options.timeout);
        let mut tips = self.miner.chainstate.subscribe_tip();
        loop {
            // Fees only show in a fresh template: check them once per interval.
            let tick = Instant::now() + FEE_CHECK_INTERVAL;
            let wake = deadline.map_or(tick, |d| d.min(tick));
            let tip_changed = tokio::select! {
                _ = self.interrupt.notified() => return Ok(None),
                changed = tokio::time::timeout_at(wake, tips.wait_for(|tip| tip.hash != self.prev_blockhash)) => {
                    matches!(changed, Ok(Ok(_)))
                }
            };
            let refresh = tip_changed || self.min_difficulty_due();
            if refresh || options.fee_threshold < MAX_MONEY {
                let next = self.miner.template(self.options).await?;
                if refresh || next.total_fees() >= self.total_fees().saturating_add(options.fee_threshold) {
                    return Ok(Some(Arc::new(next)));
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Ok(None);
            }
        }
    }

    async fn interrupt_wait(&self) -> Result<()> {
        self.interrupt.notify_one();
        Ok(())
    }
}

/// Executes JSON-RPC requests on the node's runtime, as the HTTP server does.
pub struct NodeRpc {
    table: Arc<RpcTable>,
    runtime: tokio::runtime::Handle,
}

#[async_trait]
impl Rpc for NodeRpc {
    async fn execute_rpc(&self, request: String, uri: String, user: String) -> Result<String> {
        let table = self.table.clone();
        // Handlers may be heavy; they run on the node's threads, not the caller's.
        let reply = self.runtime.spawn(async move {
            let template = Request { uri, auth_user: user, peer_addr: "ipc".into(), ..Default::default() };
            execute_json(&table, request.as_bytes(), &template).await
        });
        reply.await.map_err(|e| Error::Remote(format!("RPC execution failed: {e}")))
    }
}

/// What a running node offers: echo, mining, RPC, and its chain for wallets.
pub struct NodeInit {
    pub chain: Chain,
    pub chainstate: Arc<Chainstate>,
    pub table: Arc<RpcTable>,
    pub(crate) node: Arc<NodeContext>,
    pub rw_settings: crate::chain_client::SharedRwSettings,
    pub runtime: tokio::runtime::Handle,
}

#[async_trait]
impl Init for NodeInit {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>> {
        Ok(Arc::new(LocalEcho))
    }

    async fn make_mining(&self) -> Result<Arc<dyn Mining>> {
        let miner = Miner { chainstate: self.chainstate.clone(), runtime: self.runtime.clone() };
        Ok(Arc::new(NodeMining { chain: self.chain, miner, interrupt: Notify::new() }))
    }

    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>> {
        Ok(Arc::new(NodeRpc { table: self.table.clone(), runtime: self.runtime.clone() }))
    }

    async fn make_chain(&self) -> Result<Arc<dyn hashvive_interfaces::Chain>> {
        Ok(Arc::new(crate::chain_client::NodeChain::new(
            self.chainstate.clone(),
            self.table.clone(),
            self.rw_settings.clone(),
        )))
    }

    async fn make_node(&self) -> Result<Arc<dyn Node>> {
        Ok(Arc::new(LocalNode::attached(self.node.clone())))
    }
}

/// What `hashvive-node -ipcfd` offers its parent: echo, and a node to start
/// (for a GUI). Mining and RPC come from a node started with `-ipcbind`.
pub struct SpawnedInit {
    node: Arc<LocalNode>,
}

impl SpawnedInit {
    /// `wiring` builds what a node started here plugs in, from the command
    /// line its GUI passes.
    pub fn new(exe: &'static crate::init::Executable, wiring: WiringFactory) -> SpawnedInit {
        SpawnedInit { node: Arc::new(LocalNode::spawned(exe, wiring)) }
    }

    /// Stops the node started here, if any, and waits for it: the parent went
    /// away. Call outside any async runtime.
    pub fn stop_node(&self) {
        self.node.stop_blocking();
    }
}

#[async_trait]
impl Init for SpawnedInit {
    async fn make_echo(&self) -> Result<Arc<dyn Echo>> {
        Ok(Arc::new(LocalEcho))
    }

    async fn make_node(&self) -> Result<Arc<dyn Node>> {
        Ok(self.node.clone())
    }

    async fn make_mining(&self) -> Result<Arc<dyn Mining>> {
        Err(unavailable())
    }

    async fn make_rpc(&self) -> Result<Arc<dyn Rpc>> {
        Err(unavailable())
    }
}

fn unavailable() -> Error {
    Error::Unavailable(
        "this spawned hashvive-node serves no mining or RPC; connect to a node started with -ipcbind".into(),
    )
}
