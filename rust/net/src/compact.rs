//! Compact block relay (BIP152, version 2): a block announced as its header,
//! a short id per transaction and a few transactions in full, rebuilt from
//! the mempool; only what the mempool lacks is fetched (`getblocktxn`).

use std::collections::HashMap;
use std::sync::Arc;

use bitcoin::bip152::{BlockTransactions, HeaderAndShortIds, ShortId};
use bitcoin::{Block, BlockHash, Transaction, Weight, Wtxid};

/// The compact block version served: short ids of wtxids, witnesses included.
pub(crate) const COMPACT_VERSION: u64 = 2;
/// Blocks deeper than this are served in full when asked for compactly
/// (the reference's `MAX_CMPCTBLOCK_DEPTH`).
pub(crate) const MAX_CMPCTBLOCK_DEPTH: u32 = 5;
/// Transactions of blocks deeper than this are answered with the whole
/// block (the reference's `MAX_BLOCKTXN_DEPTH`).
pub(crate) const MAX_BLOCKTXN_DEPTH: u32 = 10;
/// Peers asked to announce new blocks to us as compact blocks at once
/// (high-bandwidth mode).
pub(crate) const MAX_HIGH_BANDWIDTH_PEERS: usize = 3;
/// No transaction weighs less, so no block holds more than this many.
const MIN_TRANSACTION_WEIGHT: u64 = 4 * 10;

/// Why a compact block cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum CompactError {
    /// The peer sent something no honest peer sends: misbehaviour.
    #[error("{0}")]
    Invalid(&'static str),
    /// It may be fine, but cannot be rebuilt here (short ids collide): ask
    /// for the whole block.
    #[error("{0}")]
    Unusable(&'static str),
}

/// A block being rebuilt from a compact block: its transactions in block
/// order, where known.
pub(crate) struct PartialBlock {
    header: bitcoin::block::Header,
    txs: Vec<Option<Arc<Transaction>>>,
}

impl PartialBlock {
    /// Lays out `compact` and fills every slot whose short id matches one
    /// of `candidates` (the mempool's transactions).
    pub(crate) fn new<'a>(
        compact: &HeaderAndShortIds,
        candidates: impl IntoIterator<Item = (&'a Wtxid, &'a Arc<Transaction>)>,
    ) -> Result<PartialBlock, CompactError> {
        let count = compact.short_ids.len() + compact.prefilled_txs.len();
        if count == 0 {
            return Err(CompactError::Invalid("empty compact block"));
        }
        if count as u64 > Weight::MAX_BLOCK.to_wu() / MIN_TRANSACTION_WEIGHT {
            return Err(CompactError::Invalid("compact block with too many transactions"));
        }
        let mut txs: Vec<Option<Arc<Transaction>>> = vec![None; count];
        // Prefilled indexes are differences: each is the gap since the last, less one.
        let mut next = 0usize;
        for prefilled in &compact.prefilled_txs {
            let index = next + usize::from(prefilled.idx);
            if index >= count || index > usize::from(u16::MAX) {
                return Err(CompactError::Invalid("prefilled transaction index out of range"));
            }
            txs[index] = Some(Arc::new(prefilled.tx.clone()));
            next = index + 1;
        }
        // The short ids fill the remaining slots in order.
        let mut slot_of: HashMap<ShortId, usize> = HashMap::with_capacity(compact.short_ids.len());
        let mut empty = txs.iter().enumerate().filter(|(_, t)| t.is_none()).map(|(i, _)| i);
        for id in &compact.short_ids {
            let slot = empty.next().ok_or(CompactError::Invalid("more short ids than free slots"))?;
            if slot_of.insert(*id, slot).is_some() {
                return Err(CompactError::Unusable("duplicate short ids"));
            }
        }
        let keys = ShortId::calculate_siphash_keys(&compact.header, compact.nonce);
        // Two candidates with one short id: neither can be trusted for that slot.
        let mut collided = Vec::new();
        for (wtxid, tx) in candidates {
            let id = ShortId::with_siphash_keys(wtxid, keys);
            if let Some(&slot) = slot_of.get(&id) {
                match &txs[slot] {
                    None => txs[slot] = Some(tx.clone()),
                    Some(other) if other.compute_wtxid() != *wtxid => collided.push(slot),
                    Some(_) => {}
                }
            }
        }
        for slot in collided {
            txs[slot] = None;
        }
        Ok(PartialBlock { header: compact.header, txs })
    }

    pub(crate) fn block_hash(&self) -> BlockHash {
        self.header.block_hash()
    }

    /// Block positions of the transactions still missing, ascending.
    pub(crate) fn missing(&self) -> Vec<u64> {
        self.txs.iter().enumerate().filter(|(_, t)| t.is_none()).map(|(i, _)| i as u64).collect()
    }

    /// The block, once every transaction is known.
    pub(crate) fn complete(&self) -> Option<Block> {
        let txdata = self.txs.iter().map(|t| t.as_deref().cloned()).collect::<Option<Vec<_>>>()?;
        Some(Block { header: self.header, txdata })
    }

    /// Fills the missing transactions, in order, from a `blocktxn` answer.
    pub(crate) fn fill(mut self, answer: BlockTransactions) -> Result<Block, CompactError> {
        let missing = self.missing();
        if answer.transactions.len() != missing.len() {
            return Err(CompactError::Invalid("blocktxn with the wrong number of transactions"));
        }
        for (slot, tx) in missing.into_iter().zip(answer.transactions) {
            self.txs[slot as usize] = Some(Arc::new(tx));
        }
        self.complete().ok_or(CompactError::Invalid("blocktxn left gaps"))
    }
}

/// Whether a rebuilt block is the one its header commits to: a short-id
/// collision yields the wrong transactions, which is nobody's misbehaviour.
pub(crate) fn matches_commitments(block: &Block) -> bool {
    block.check_merkle_root() && block.check_witness_commitment()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::bip152::BlockTransactionsRequest;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, OutPoint, ScriptBuf, Sequence, TxIn, TxMerkleNode, TxOut, Witness};

    fn tx(n: u8) -> Transaction {
        Transaction {
            version: Version::TWO,
            lock_time: LockTime::ZERO,
            input: vec![TxIn {
                previous_output: OutPoint { txid: bitcoin::Txid::from_byte_array([n; 32]), vout: u32::from(n) },
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            }],
            output: vec![TxOut { value: Amount::from_sat(u64::from(n) * 1000), script_pubkey: ScriptBuf::new() }],
        }
    }

    fn block(n: u8) -> Block {
        let mut coinbase = tx(0);
        coinbase.input[0].previous_output = OutPoint::null();
        coinbase.input[0].witness = Witness::new();
        let txdata: Vec<Transaction> = std::iter::once(coinbase).chain((1..=n).map(tx)).collect();
        let mut block = Block {
            header: bitcoin::block::Header {
                version: bitcoin::block::Version::TWO,
                prev_blockhash: BlockHash::all_zeros(),
                merkle_root: TxMerkleNode::all_zeros(),
                time: 1_700_000_000,
                bits: bitcoin::CompactTarget::from_consensus(0x207fffff),
                nonce: 0,
            },
            txdata,
        };
        block.header.merkle_root = block.compute_merkle_root().unwrap();
        block
    }

    fn pool(txs: &[Transaction]) -> Vec<(Wtxid, Arc<Transaction>)> {
        txs.iter().map(|t| (t.compute_wtxid(), Arc::new(t.clone()))).collect()
    }

    fn candidates(pool: &[(Wtxid, Arc<Transaction>)]) -> impl Iterator<Item = (&Wtxid, &Arc<Transaction>)> {
        pool.iter().map(|(w, t)| (w, t))
    }

    #[test]
    fn a_block_whose_transactions_are_all_known_is_rebuilt_at_once() {
        let block = block(5);
        let compact = HeaderAndShortIds::from_block(&block, 42, 2, &[]).unwrap();
        let known = pool(&block.txdata[1..]);
        let partial = PartialBlock::new(&compact, candidates(&known)).unwrap();
        assert!(partial.missing().is_empty());
        assert_eq!(partial.complete().unwrap(), block);
    }

    #[test]
    fn missing_transactions_are_fetched_and_filled_in_order() {
        let block = block(6);
        let compact = HeaderAndShortIds::from_block(&block, 7, 2, &[3]).unwrap();
        let known = pool(&[block.txdata[1].clone(), block.txdata[5].clone(), tx(99)]);
        let partial = PartialBlock::new(&compact, candidates(&known)).unwrap();
        assert_eq!(partial.missing(), vec![2, 4, 6]);
        let request = BlockTransactionsRequest { block_hash: block.block_hash(), indexes: partial.missing() };
        let answer = BlockTransactions::from_request(&request, &block).unwrap();
        let rebuilt = partial.fill(answer).unwrap();
        assert_eq!(rebuilt, block);
        assert!(matches_commitments(&rebuilt));
    }

    #[test]
    fn a_wrong_number_of_transactions_in_blocktxn_is_refused() {
        let block = block(3);
        let compact = HeaderAndShortIds::from_block(&block, 1, 2, &[]).unwrap();
        let partial = PartialBlock::new(&compact, std::iter::empty()).unwrap();
        let answer = BlockTransactions { block_hash: block.block_hash(), transactions: vec![tx(1)] };
        assert!(matches!(partial.fill(answer), Err(CompactError::Invalid(_))));
    }

    #[test]
    fn malformed_compact_blocks_are_refused() {
        let block = block(2);
        let mut compact = HeaderAndShortIds::from_block(&block, 1, 2, &[]).unwrap();
        compact.prefilled_txs[0].idx = 3;
        assert!(matches!(PartialBlock::new(&compact, std::iter::empty()), Err(CompactError::Invalid(_))));
        let mut compact = HeaderAndShortIds::from_block(&block, 1, 2, &[]).unwrap();
        compact.short_ids[1] = compact.short_ids[0];
        assert!(matches!(PartialBlock::new(&compact, std::iter::empty()), Err(CompactError::Unusable(_))));
        let empty = HeaderAndShortIds { header: block.header, nonce: 0, short_ids: vec![], prefilled_txs: vec![] };
        assert!(matches!(PartialBlock::new(&empty, std::iter::empty()), Err(CompactError::Invalid(_))));
    }

    #[test]
    fn a_wrongly_filled_block_fails_its_commitments() {
        let mut block = block(2);
        block.txdata.swap(1, 2);
        assert!(!matches_commitments(&block));
    }
}
