//! What the block assembler needs to build a coinbase the rules accept.

use bitcoin::hashes::Hash;
use bitcoin::{Amount, Block, ScriptBuf, TxOut, Witness, WitnessMerkleNode};

use crate::block::{bip34_height_prefix, witness_commitment_index, WITNESS_COMMITMENT_PREFIX};

/// The witness reserved value the reference's miner uses: 32 zero bytes.
const WITNESS_RESERVED_VALUE: [u8; 32] = [0; 32];

/// The coinbase script the reference's miner writes: the BIP34 height, then
/// `OP_0` (`CScript() << nHeight << OP_0`), which also keeps the script at
/// least the two bytes a coinbase script needs.
pub fn coinbase_height_script(height: u32) -> ScriptBuf {
    bip34_height_prefix(height).push_opcode(bitcoin::opcodes::OP_0).into_script()
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
