//! What a wallet knows of the chain: the blocks it has processed and the
//! transactions that concern any of its descriptors, with their outputs
//! indexed by the descriptor and derivation index that made their scripts.
//!
//! `bdk_wallet`'s `Wallet` holds exactly one receive and one change
//! descriptor; a descriptor wallet as the reference keeps it holds any
//! number (eight active ones for four address types, plus imports). So the
//! wallet keeps bdk's own engine, `bdk_chain`, directly: a `LocalChain`, an
//! `IndexedTxGraph` over a `KeychainTxOutIndex` keyed by descriptor id, and
//! bdk's SQLite tables for them in `wallet.dat`.

use std::sync::Arc;

use bdk_wallet::chain::indexed_tx_graph::ChangeSet as GraphChangeSet;
use bdk_wallet::chain::keychain_txout::{self, KeychainTxOutIndex};
use bdk_wallet::chain::local_chain::{self, LocalChain};
use bdk_wallet::chain::tx_graph::{self, CanonicalTx, TxGraph, TxUpdate};
use bdk_wallet::chain::{
    BlockId, CanonicalizationParams, ChainPosition, CheckPoint, ConfirmationBlockTime, DescriptorExt, DescriptorId,
    IndexedTxGraph, Indexer, Merge,
};
use bdk_wallet::miniscript::descriptor::{Descriptor, DescriptorPublicKey};
use bdk_wallet::rusqlite::{Connection, Transaction as DbTransaction};
use bitcoin::{Amount, Block, FeeRate, Network, OutPoint, ScriptBuf, Transaction, TxOut, Txid};

use crate::error::WalletError;

/// A transaction of the wallet's in the chain as the wallet sees it.
pub type WalletTx<'a> = CanonicalTx<'a, Arc<Transaction>, ConfirmationBlockTime>;

/// Where a transaction stands: confirmed in a block, or unconfirmed.
pub type Position = ChainPosition<ConfirmationBlockTime>;

/// A transaction the wallet has recorded, in its view of the chain or out
/// of it (replaced, abandoned, or in conflict with one in it).
pub struct RecordedTx {
    pub txid: Txid,
    pub tx: Arc<Transaction>,
    /// Where it stands; `None` out of the wallet's view of the chain.
    pub position: Option<Position>,
    /// When it was first seen unconfirmed, if it was.
    pub first_seen: Option<u64>,
}

/// An output paying one of the wallet's scripts.
#[derive(Clone, Debug)]
pub struct WalletOutput {
    pub outpoint: OutPoint,
    pub txout: TxOut,
    /// The descriptor that made its script, and at which index.
    pub descriptor: DescriptorId,
    pub index: u32,
    pub chain_position: Position,
}

type Graph = IndexedTxGraph<ConfirmationBlockTime, KeychainTxOutIndex<DescriptorId>>;

/// Changes not yet written to the file.
#[derive(Default)]
struct Staged {
    chain: local_chain::ChangeSet,
    graph: GraphChangeSet<ConfirmationBlockTime, keychain_txout::ChangeSet>,
}

impl Staged {
    fn is_empty(&self) -> bool {
        self.chain.is_empty() && self.graph.is_empty()
    }
}

pub struct Ledger {
    chain: LocalChain,
    graph: Graph,
    staged: Staged,
}

/// Creates bdk's tables in the wallet file if they are not there yet.
pub fn init_tables(db: &DbTransaction<'_>) -> Result<(), WalletError> {
    local_chain::ChangeSet::init_sqlite_tables(db)?;
    tx_graph::ChangeSet::<ConfirmationBlockTime>::init_sqlite_tables(db)?;
    keychain_txout::ChangeSet::init_sqlite_tables(db)?;
    Ok(())
}

impl Ledger {
    /// A new ledger that has seen only the genesis block of `network`.
    pub fn new(network: Network, lookahead: u32) -> Ledger {
        let genesis = bitcoin::constants::genesis_block(network).block_hash();
        let (chain, chain_changes) = LocalChain::from_genesis_hash(genesis);
        let graph = Graph::new(KeychainTxOutIndex::new(lookahead, true));
        Ledger { chain, graph, staged: Staged { chain: chain_changes, ..Staged::default() } }
    }

    /// Reads the ledger from the wallet file, tracking `descriptors`;
    /// `lookahead` scripts are derived beyond the last one handed out.
    pub fn load(
        db: &mut Connection,
        descriptors: impl IntoIterator<Item = Descriptor<DescriptorPublicKey>>,
        lookahead: u32,
    ) -> Result<Ledger, WalletError> {
        let tx = db.transaction()?;
        let chain_changes = local_chain::ChangeSet::from_sqlite(&tx)?;
        let graph_changes = GraphChangeSet {
            tx_graph: tx_graph::ChangeSet::from_sqlite(&tx)?,
            indexer: keychain_txout::ChangeSet::from_sqlite(&tx)?,
        };
        tx.commit()?;
        let chain = LocalChain::from_changeset(chain_changes)
            .map_err(|_| WalletError::Load("the wallet file has no record of the chain".into()))?;
        let (graph, reindexed) = Graph::from_changeset(graph_changes, |changes| {
            let mut index = KeychainTxOutIndex::from_changeset(lookahead, true, changes);
            for descriptor in descriptors {
                index
                    .insert_descriptor(descriptor.descriptor_id(), descriptor)
                    .map_err(|e| WalletError::Load(format!("a stored descriptor: {e}")))?;
            }
            Ok::<_, WalletError>(index)
        })?;
        let mut ledger = Ledger { chain, graph, staged: Staged { graph: reindexed, ..Staged::default() } };
        ledger.stage_derived_scripts();
        Ok(ledger)
    }

    /// Writes what changed since the last call, in one database transaction.
    pub fn persist(&mut self, db: &mut Connection) -> Result<(), WalletError> {
        if self.staged.is_empty() {
            return Ok(());
        }
        let tx = db.transaction()?;
        self.staged.chain.persist_to_sqlite(&tx)?;
        self.staged.graph.tx_graph.persist_to_sqlite(&tx)?;
        self.staged.graph.indexer.persist_to_sqlite(&tx)?;
        tx.commit()?;
        self.staged = Staged::default();
        Ok(())
    }

    /// Starts tracking `descriptor`; `false` when it already was.
    pub fn track(&mut self, descriptor: Descriptor<DescriptorPublicKey>) -> Result<bool, WalletError> {
        let added = self
            .graph
            .index
            .insert_descriptor(descriptor.descriptor_id(), descriptor)
            .map_err(|e| WalletError::Other(e.to_string()))?;
        // Transactions already known may pay the new descriptor's scripts.
        let reindexed = self.graph.reindex();
        self.staged.graph.merge(reindexed);
        self.stage_derived_scripts();
        Ok(added)
    }

    /// Stages the scripts derived since the last write for the file's
    /// script cache, so a reload need not derive them again (the index keeps
    /// them staged until some call hands its changes out).
    fn stage_derived_scripts(&mut self) {
        let ids: Vec<DescriptorId> = self.graph.index.keychains().map(|(id, _)| id).collect();
        for id in ids {
            let changes = self.graph.index.lookahead_to_target(id, 0);
            self.staged.graph.indexer.merge(changes);
        }
    }

    /// Hands out the next script of `descriptor`, with its index.
    pub fn reveal_next(&mut self, descriptor: DescriptorId) -> Option<(u32, ScriptBuf)> {
        let ((index, spk), changes) = self.graph.index.reveal_next_spk(descriptor)?;
        self.staged.graph.indexer.merge(changes);
        Some((index, spk))
    }

    /// Reveals the scripts of `descriptor` up to `index`.
    pub fn reveal_to(&mut self, descriptor: DescriptorId, index: u32) {
        if let Some((_, changes)) = self.graph.index.reveal_to_target(descriptor, index) {
            self.staged.graph.indexer.merge(changes);
        }
    }

    /// Derives the scripts of `descriptor` up to `index` (to recognise
    /// payments to them) without handing them out.
    pub fn derive_to(&mut self, descriptor: DescriptorId, index: u32) {
        let changes = self.graph.index.lookahead_to_target(descriptor, index);
        self.staged.graph.indexer.merge(changes);
    }

    /// The last index of `descriptor` handed out.
    pub fn last_revealed(&self, descriptor: DescriptorId) -> Option<u32> {
        self.graph.index.last_revealed_index(descriptor)
    }

    /// The last index of `descriptor` a transaction paid.
    pub fn last_used(&self, descriptor: DescriptorId) -> Option<u32> {
        self.graph.index.last_used_index(descriptor)
    }

    /// The script of `descriptor` at `index`, if derived.
    pub fn script_at(&self, descriptor: DescriptorId, index: u32) -> Option<ScriptBuf> {
        self.graph.index.spk_at_index(descriptor, index)
    }

    pub fn lookahead(&self) -> u32 {
        self.graph.index.lookahead()
    }

    pub fn is_mine(&self, spk: &bitcoin::Script) -> bool {
        self.graph.index.index_of_spk(spk.to_owned()).is_some()
    }

    /// Which descriptor made `spk`, and at which index.
    pub fn derivation_of_spk(&self, spk: &bitcoin::Script) -> Option<(DescriptorId, u32)> {
        self.graph.index.index_of_spk(spk.to_owned()).copied()
    }

    pub fn tx_graph(&self) -> &TxGraph<ConfirmationBlockTime> {
        self.graph.graph()
    }

    pub fn latest_checkpoint(&self) -> CheckPoint {
        self.chain.tip()
    }

    /// The transactions that concern the wallet and stand in its view of
    /// the chain (confirmed, or not in conflict with what is).
    pub fn transactions(&self) -> impl Iterator<Item = WalletTx<'_>> + '_ {
        let index = &self.graph.index;
        self.graph
            .graph()
            .list_canonical_txs(&self.chain, self.chain.tip().block_id(), CanonicalizationParams::default())
            .filter(move |t| index.is_tx_relevant(&t.tx_node.tx))
    }

    /// Every transaction that concerns the wallet, in its view of the chain
    /// or not.
    pub fn history(&self) -> Vec<RecordedTx> {
        let positions: std::collections::HashMap<Txid, Position> =
            self.transactions().map(|t| (t.tx_node.txid, t.chain_position)).collect();
        self.graph
            .graph()
            .full_txs()
            .filter(|node| self.graph.index.is_tx_relevant(&node.tx))
            .map(|node| RecordedTx {
                txid: node.txid,
                tx: node.tx.clone(),
                position: positions.get(&node.txid).cloned(),
                first_seen: node.first_seen,
            })
            .collect()
    }

    /// The recorded transaction `txid`, in the wallet's view of the chain or not.
    pub fn recorded(&self, txid: Txid) -> Option<RecordedTx> {
        let node = self.graph.graph().get_tx_node(txid)?;
        self.graph.index.is_tx_relevant(&node.tx).then(|| RecordedTx {
            txid,
            tx: node.tx.clone(),
            position: self.get_tx(txid).map(|t| t.chain_position),
            first_seen: node.first_seen,
        })
    }

    /// The other recorded transactions that spend an output `tx` spends.
    pub fn conflicts(&self, tx: &Transaction) -> Vec<Txid> {
        let mut found: Vec<Txid> = self.graph.graph().direct_conflicts(tx).map(|(_, txid)| txid).collect();
        found.sort();
        found.dedup();
        found
    }

    pub fn get_tx(&self, txid: Txid) -> Option<WalletTx<'_>> {
        self.transactions().find(|t| t.tx_node.txid == txid)
    }

    /// The wallet's outputs no transaction in its view spends.
    pub fn list_unspent(&self) -> impl Iterator<Item = WalletOutput> + '_ {
        self.unspent_of(self.graph.index.outpoints().iter().cloned())
    }

    pub fn get_utxo(&self, outpoint: OutPoint) -> Option<WalletOutput> {
        let (derivation, _) = self.graph.index.txout(outpoint)?;
        self.unspent_of(std::iter::once((derivation, outpoint))).next()
    }

    /// Those of `outputs` (with the derivation that made their scripts)
    /// that no transaction in the wallet's view spends.
    fn unspent_of<'a>(
        &'a self,
        outputs: impl Iterator<Item = ((DescriptorId, u32), OutPoint)> + 'a,
    ) -> impl Iterator<Item = WalletOutput> + 'a {
        self.graph
            .graph()
            .filter_chain_unspents(&self.chain, self.chain.tip().block_id(), CanonicalizationParams::default(), outputs)
            .map(|((descriptor, index), o)| WalletOutput {
                outpoint: o.outpoint,
                txout: o.txout,
                descriptor,
                index,
                chain_position: o.chain_position,
            })
    }

    /// What `tx` takes from the wallet's outputs, and pays to its scripts.
    pub fn sent_and_received(&self, tx: &Transaction) -> (Amount, Amount) {
        self.graph.index.sent_and_received(tx, ..)
    }

    pub fn calculate_fee(&self, tx: &Transaction) -> Option<Amount> {
        self.graph.graph().calculate_fee(tx).ok()
    }

    pub fn calculate_fee_rate(&self, tx: &Transaction) -> Option<FeeRate> {
        self.calculate_fee(tx).map(|fee| fee / tx.weight())
    }

    /// Takes a block of the chain at `height`; `false` when it does not
    /// connect to what the ledger has seen.
    pub fn apply_block(&mut self, block: &Block, height: u32) -> bool {
        let connected_to = match height.checked_sub(1) {
            Some(prev) => BlockId { height: prev, hash: block.header.prev_blockhash },
            None => BlockId { height, hash: block.block_hash() },
        };
        match self.chain.apply_header_connected_to(&block.header, height, connected_to) {
            Ok(changes) => self.staged.chain.merge(changes),
            Err(_) => return false,
        }
        let changes = self.graph.apply_block_relevant(block, height);
        self.staged.graph.merge(changes);
        true
    }

    /// Takes transactions confirmed in block `id` (found by a rescan below
    /// the tip), and the block itself.
    pub fn add_confirmed(&mut self, id: BlockId, time: u64, txs: Vec<Arc<Transaction>>) -> Result<(), WalletError> {
        let anchor = ConfirmationBlockTime { block_id: id, confirmation_time: time };
        let mut update = TxUpdate::default();
        update.anchors = txs.iter().map(|t| (anchor, t.compute_txid())).collect();
        update.txs = txs;
        let changes =
            self.chain.apply_update(self.chain.tip().insert(id)).map_err(|e| WalletError::Other(e.to_string()))?;
        self.staged.chain.merge(changes);
        let changes = self.graph.apply_update(update);
        self.staged.graph.merge(changes);
        Ok(())
    }

    /// Forgets the blocks above `height`: they left the chain.
    pub fn disconnect_above(&mut self, height: u32) -> Result<(), WalletError> {
        let Some(lowest) = self.chain.tip().iter().take_while(|cp| cp.height() > height).last() else {
            return Ok(());
        };
        let changes = self.chain.disconnect_from(lowest.block_id()).map_err(|e| WalletError::Other(e.to_string()))?;
        self.staged.chain.merge(changes);
        Ok(())
    }

    /// Makes the ledger start at `tip` without the blocks before it.
    pub fn start_at(&mut self, tip: BlockId) -> Result<(), WalletError> {
        let Ok(chain) = self.chain.tip().push(tip) else { return Ok(()) };
        let changes = self.chain.apply_update(chain).map_err(|e| WalletError::Other(e.to_string()))?;
        self.staged.chain.merge(changes);
        Ok(())
    }

    /// Takes a transaction seen in the mempool at `time`, if it concerns the wallet.
    pub fn apply_unconfirmed(&mut self, tx: Transaction, time: u64) {
        let changes = self.graph.batch_insert_relevant_unconfirmed([(tx, time)]);
        self.staged.graph.merge(changes);
    }

    /// Forgets that a transaction is in the mempool (evicted, replaced, abandoned).
    pub fn apply_evicted(&mut self, txid: Txid, time: u64) {
        let changes = self.graph.insert_evicted_at(txid, time);
        self.staged.graph.merge(changes);
    }
}
