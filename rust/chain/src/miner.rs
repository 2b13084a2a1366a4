//! Block assembly: a template on the tip with the best-paying mempool
//! packages (highest ancestor fee rate first), and proof-of-work grinding for
//! test chains (`generatetoaddress` and friends).

use std::collections::HashSet;
use std::sync::Arc;

use bitcoin::absolute::LockTime;
use bitcoin::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::{
    Amount, Block, BlockHash, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxMerkleNode, TxOut, Txid, Witness,
};

use hashvive_consensus::block::block_subsidy;
use hashvive_consensus::locks::is_final_tx;
use hashvive_consensus::mining::{add_witness_commitment, coinbase_height_script};
use hashvive_consensus::pow::check_proof_of_work;
use hashvive_consensus::sigops::MAX_BLOCK_SIGOPS_COST;
use hashvive_consensus::Deployment;

use crate::chainstate::{ChainError, Chainstate};
use crate::validation::{BlockOutcome, Rejection};

const MAX_BLOCK_WEIGHT: u64 = 4_000_000;
/// Version with the BIP9 top bits set and no deployment signalled.
const BLOCK_VERSION: i32 = 0x2000_0000;

/// What block assembly leaves free for the coinbase and the header (the
/// reference's `block_reserved_weight` and `coinbase_output_max_additional_sigops`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoinbaseReserve {
    pub weight: u64,
    pub sigops: u64,
}

impl Default for CoinbaseReserve {
    /// What `getblocktemplate` and the generate methods leave.
    fn default() -> Self {
        CoinbaseReserve { weight: 4000, sigops: 400 }
    }
}

/// A block ready for proof of work, with what a miner needs to know about it.
#[derive(Clone, Debug)]
pub struct BlockTemplate {
    pub block: Block,
    pub height: u32,
    /// Per transaction after the coinbase.
    pub fees: Vec<Amount>,
    pub sigops: Vec<u64>,
    pub coinbase_value: Amount,
    pub median_time_past: i64,
}

impl Chainstate {
    /// A template paying to `coinbase_script`, filled from the mempool when
    /// `txs` is `None`, or with exactly `txs` (`generateblock`).
    pub fn create_block_template(&self, coinbase_script: ScriptBuf, txs: Option<Vec<Transaction>>) -> BlockTemplate {
        self.create_block_template_with(coinbase_script, txs, CoinbaseReserve::default())
    }

    /// [`create_block_template`](Self::create_block_template) leaving `reserve`
    /// free, for miners that write their own coinbase (the IPC mining interface).
    pub fn create_block_template_with(
        &self,
        coinbase_script: ScriptBuf,
        txs: Option<Vec<Transaction>>,
        reserve: CoinbaseReserve,
    ) -> BlockTemplate {
        let inner = self.lock();
        let params = self.params();
        let tip_idx = inner.tip_idx();
        let tip = inner.tip_summary();
        let height = tip.height + 1;
        let time = (hashvive_common::time::now().max(tip.median_time_past + 1)) as u32;
        let bits = Chainstate::required_bits(&inner, params, tip_idx, time);

        let (selected, fees, sigops) = match txs {
            Some(txs) => (txs, Vec::new(), Vec::new()),
            None => select_packages(&inner.mempool, height, tip.median_time_past, reserve),
        };
        let total_fees: Amount = fees.iter().copied().sum();
        let coinbase_value = block_subsidy(height, params) + total_fees;
        let coinbase = Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint::null(),
                script_sig: coinbase_height_script(height),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut { value: coinbase_value, script_pubkey: coinbase_script }],
        };
        let mut txdata = vec![coinbase];
        txdata.extend(selected);
        let mut block = Block {
            header: Header {
                version: Version::from_consensus(BLOCK_VERSION),
                prev_blockhash: tip.hash,
                merkle_root: TxMerkleNode::all_zeros(),
                time,
                bits,
                nonce: 0,
            },
            txdata,
        };
        add_witness_commitment(&mut block, params.is_active(Deployment::Segwit, height));
        block.header.merkle_root = block.compute_merkle_root().unwrap_or_else(TxMerkleNode::all_zeros);
        BlockTemplate { block, height, fees, sigops, coinbase_value, median_time_past: tip.median_time_past }
    }

    /// Mines `count` blocks paying to `coinbase_script`, trying at most
    /// `max_tries` nonces in all. Returns the hashes of the blocks mined.
    pub fn generate_blocks(
        &self,
        coinbase_script: &ScriptBuf,
        count: u32,
        max_tries: &mut u64,
    ) -> Result<Vec<BlockHash>, MineError> {
        let mut hashes = Vec::with_capacity(count as usize);
        for _ in 0..count {
            let template = self.create_block_template(coinbase_script.clone(), None);
            match self.mine_block(template.block, max_tries)? {
                Some(hash) => hashes.push(hash),
                None => break,
            }
        }
        self.flush().map_err(ChainError::from)?;
        Ok(hashes)
    }

    /// Grinds the nonce until the header meets its target; false when out of tries.
    pub fn solve(&self, block: &mut Block, max_tries: &mut u64) -> bool {
        while !check_proof_of_work(block.block_hash(), block.header.bits, self.params()) {
            if *max_tries == 0 {
                return false;
            }
            *max_tries -= 1;
            block.header.nonce = block.header.nonce.wrapping_add(1);
            if block.header.nonce == 0 {
                block.header.time += 1;
            }
        }
        true
    }

    /// The target a block on the tip must meet, if mined now.
    pub fn next_block_bits(&self) -> bitcoin::CompactTarget {
        let inner = self.lock();
        let tip = inner.tip_summary();
        let time = hashvive_common::time::now().max(tip.median_time_past + 1) as u32;
        Chainstate::required_bits(&inner, self.params(), inner.tip_idx(), time)
    }

    /// Grinds the nonce of `block` and submits it; `None` when out of tries.
    pub fn mine_block(&self, mut block: Block, max_tries: &mut u64) -> Result<Option<BlockHash>, MineError> {
        if !self.solve(&mut block, max_tries) {
            return Ok(None);
        }
        let hash = block.block_hash();
        match self.process_new_block(Arc::new(block))? {
            BlockOutcome { checked: Some(Err(rejection)), .. } => Err(MineError::Rejected(rejection)),
            _ => Ok(Some(hash)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MineError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("ProcessNewBlock, block not accepted: {0}")]
    Rejected(Rejection),
}

/// Picks mempool transactions by ancestor fee rate until the block is full:
/// returns them in an order where parents come first, with fees and sigop costs.
fn select_packages(
    mempool: &crate::mempool::Mempool,
    height: u32,
    mtp: i64,
    reserve: CoinbaseReserve,
) -> (Vec<Transaction>, Vec<Amount>, Vec<u64>) {
    let mut chosen: HashSet<Txid> = HashSet::new();
    let mut skipped: HashSet<Txid> = HashSet::new();
    let mut weight = reserve.weight;
    let mut sigops = reserve.sigops;
    let mut order: Vec<Txid> = Vec::new();
    loop {
        // The best package whose members are all still eligible.
        let best = mempool
            .entries()
            .filter(|e| !chosen.contains(&e.txid) && !skipped.contains(&e.txid))
            .map(|e| {
                let ancestors: HashSet<Txid> =
                    mempool.ancestors(&e.txid).into_iter().filter(|a| !chosen.contains(a)).collect();
                let package = mempool.package(&e.txid, &ancestors);
                (package.modified_fees.to_sat() as i128 * 1_000_000 / package.vsize.max(1) as i128, e.txid, ancestors)
            })
            .filter(|(_, _, ancestors)| ancestors.iter().all(|a| !skipped.contains(a)))
            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        let Some((_, txid, ancestors)) = best else { break };
        let mut members: Vec<Txid> = ancestors.into_iter().collect();
        members.push(txid);
        let entries: Vec<_> = members.iter().filter_map(|t| mempool.get(t)).collect();
        let add_weight: u64 = entries.iter().map(|e| e.weight).sum();
        let add_sigops: u64 = entries.iter().map(|e| e.sigop_cost).sum();
        let final_ok = entries.iter().all(|e| is_final_tx(&e.tx, height, mtp));
        if weight + add_weight > MAX_BLOCK_WEIGHT || sigops + add_sigops > MAX_BLOCK_SIGOPS_COST || !final_ok {
            skipped.insert(txid);
            continue;
        }
        weight += add_weight;
        sigops += add_sigops;
        // Parents first: an entry's in-package ancestors all have fewer ancestors.
        let mut sorted = entries;
        sorted.sort_by_key(|e| (mempool.ancestors(&e.txid).len(), e.sequence));
        for e in sorted {
            chosen.insert(e.txid);
            order.push(e.txid);
        }
    }
    let mut txs = Vec::with_capacity(order.len());
    let mut fees = Vec::with_capacity(order.len());
    let mut costs = Vec::with_capacity(order.len());
    for t in order {
        if let Some(e) = mempool.get(&t) {
            txs.push((*e.tx).clone());
            fees.push(e.fee);
            costs.push(e.sigop_cost);
        }
    }
    (txs, fees, costs)
}
