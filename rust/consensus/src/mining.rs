//! What the block assembler needs to build a coinbase the rules accept.

use bitcoin::hashes::{sha256d, Hash};
use bitcoin::{Amount, Block, ScriptBuf, Transaction, TxMerkleNode, TxOut, Witness, WitnessMerkleNode};

use crate::block::{bip34_height_prefix, witness_commitment_index, WITNESS_COMMITMENT_PREFIX};

/// The witness reserved value the reference's miner uses: 32 zero bytes.
const WITNESS_RESERVED_VALUE: [u8; 32] = [0; 32];

/// The coinbase script the reference's miner writes: the BIP34 height, then
/// `OP_0` (`CScript() << nHeight << OP_0`), which also keeps the script at
/// least the two bytes a coinbase script needs.
pub fn coinbase_height_script(height: u32) -> ScriptBuf {
    bip34_height_prefix(height).push_opcode(bitcoin::opcodes::OP_0).into_script()
}

/// What a coinbase script must start with: the BIP34 height, without the
/// `OP_0` [`coinbase_height_script`] adds, so miners that write their own
/// coinbase keep all the room after it.
pub fn coinbase_script_prefix(height: u32) -> ScriptBuf {
    bip34_height_prefix(height).into_script()
}

/// The coinbase's witness commitment output, if it has one.
pub fn witness_commitment(coinbase: &Transaction) -> Option<&TxOut> {
    witness_commitment_index(coinbase).map(|i| &coinbase.output[i])
}

/// The merkle branch proving the coinbase's place in `block`, deepest level
/// first (the reference's `TransactionMerklePath(block, 0)`): a miner who
/// changes the coinbase recomputes the root from its txid and this path.
pub fn coinbase_merkle_path(block: &Block) -> Vec<TxMerkleNode> {
    let mut level: Vec<TxMerkleNode> = block.txdata.iter().map(|tx| tx.compute_txid().into()).collect();
    let mut path = Vec::new();
    while level.len() > 1 {
        // The coinbase's ancestor is always first on its level, so its sibling is second.
        path.push(level[1]);
        level = level
            .chunks(2)
            .map(|pair| {
                // An odd level pairs its last node with itself.
                let right = pair.get(1).unwrap_or(&pair[0]);
                let mut data = [0u8; 64];
                data[..32].copy_from_slice(pair[0].as_byte_array());
                data[32..].copy_from_slice(right.as_byte_array());
                TxMerkleNode::from_raw_hash(sha256d::Hash::hash(&data))
            })
            .collect();
    }
    path
}

/// The output committing to `block`'s witnesses with the all-zero witness
/// reserved value. The coinbase's own witness is not part of the commitment,
/// so it may be computed before the coinbase is final.
pub fn witness_commitment_output(block: &Block) -> TxOut {
    let root = block.witness_root().unwrap_or_else(WitnessMerkleNode::all_zeros);
    let commitment = Block::compute_witness_commitment(&root, &WITNESS_RESERVED_VALUE);
    let mut script = WITNESS_COMMITMENT_PREFIX.to_vec();
    script.extend_from_slice(commitment.as_byte_array());
    TxOut { value: Amount::ZERO, script_pubkey: ScriptBuf::from_bytes(script) }
}

/// Adds the witness commitment to the coinbase unless it has one, and once
/// segwit is active gives the coinbase the witness reserved value (the
/// reference's `GenerateCoinbaseCommitment` and `UpdateUncommittedBlockStructures`).
/// The header's merkle root is left to the caller, who recomputes it after
/// the last change to the transactions.
pub fn add_witness_commitment(block: &mut Block, segwit_active: bool) {
    let Some(coinbase) = block.txdata.first() else { return };
    if witness_commitment_index(coinbase).is_none() {
        let output = witness_commitment_output(block);
        block.txdata[0].output.push(output);
    }
    let coinbase = &mut block.txdata[0];
    let has_witness = coinbase.input.iter().any(|input| !input.witness.is_empty());
    if segwit_active && !has_witness {
        if let Some(input) = coinbase.input.first_mut() {
            input.witness = Witness::from_slice(&[WITNESS_RESERVED_VALUE]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::contextual_check_block;
    use crate::params::ChainParams;
    use crate::test_util::{coinbase, mine};
    use bitcoin::blockdata::block::{Header, Version};
    use bitcoin::{BlockHash, CompactTarget, Network, TxMerkleNode};

    #[test]
    fn height_script_is_the_miners() {
        assert_eq!(coinbase_height_script(0).as_bytes(), &[0x00, 0x00]);
        assert_eq!(coinbase_height_script(5).as_bytes(), &[0x55, 0x00]);
        assert_eq!(coinbase_height_script(500).as_bytes(), &[0x02, 0xf4, 0x01, 0x00]);
        assert_eq!(coinbase_height_script(8_388_608).as_bytes(), &[0x04, 0x00, 0x00, 0x80, 0x00, 0x00]);
    }

    fn block_with_coinbase() -> Block {
        let header = Header {
            version: Version::from_consensus(0x2000_0000),
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root: TxMerkleNode::all_zeros(),
            time: 1_700_000_000,
            bits: CompactTarget::from_consensus(0x207f_ffff),
            nonce: 0,
        };
        Block { header, txdata: vec![coinbase(7)] }
    }

    #[test]
    fn commitment_is_added_once_and_validates() {
        let mut block = block_with_coinbase();
        add_witness_commitment(&mut block, true);
        add_witness_commitment(&mut block, true);
        let outputs = &block.txdata[0].output;
        assert_eq!(outputs.len(), 2);
        assert_eq!(outputs[1], witness_commitment_output(&block));
        assert_eq!(block.txdata[0].input[0].witness.to_vec(), vec![vec![0u8; 32]]);
        let block = mine(block);
        assert!(block.check_witness_commitment());
        assert_eq!(contextual_check_block(&block, 7, 0, &ChainParams::new(Network::Regtest)), Ok(()));
    }

    #[test]
    fn prefix_and_commitment_of_a_template_coinbase() {
        assert_eq!(coinbase_script_prefix(5).as_bytes(), &[0x55]);
        assert_eq!(coinbase_script_prefix(500).as_bytes(), &[0x02, 0xf4, 0x01]);
        let mut block = block_with_coinbase();
        assert_eq!(witness_commitment(&block.txdata[0]), None);
        add_witness_commitment(&mut block, true);
        assert_eq!(witness_commitment(&block.txdata[0]), Some(&witness_commitment_output(&block)));
    }

    #[test]
    fn coinbase_path_leads_to_the_merkle_root() {
        for n in 1..=7u32 {
            let mut block = block_with_coinbase();
            block.txdata.extend((1..n).map(coinbase));
            let root = block.compute_merkle_root().unwrap();
            let path = coinbase_merkle_path(&block);
            let mut node: TxMerkleNode = block.txdata[0].compute_txid().into();
            for sibling in &path {
                let mut data = node.as_byte_array().to_vec();
                data.extend_from_slice(sibling.as_byte_array());
                node = TxMerkleNode::from_raw_hash(sha256d::Hash::hash(&data));
            }
            assert_eq!(node, root, "{n} transactions");
            assert_eq!(path.len(), (n as f64).log2().ceil() as usize);
        }
    }

    #[test]
    fn no_reserved_value_before_segwit() {
        let mut block = block_with_coinbase();
        add_witness_commitment(&mut block, false);
        assert_eq!(block.txdata[0].output.len(), 2);
        assert!(block.txdata[0].input[0].witness.is_empty());
        let mut empty = Block { header: block.header, txdata: vec![] };
        add_witness_commitment(&mut empty, true);
        assert!(empty.txdata.is_empty());
    }
}
