//! Builders for the unit tests: transactions, and regtest blocks with real
//! (easy) proof of work.

use bitcoin::absolute::LockTime;
use bitcoin::blockdata::block::{Header, Version};
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version as TxVersion;
use bitcoin::{Amount, Block, Network, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, WPubkeyHash, Witness};

use crate::mining::{add_witness_commitment, coinbase_height_script};
use crate::params::ChainParams;

/// An output of `sats` to a P2WPKH script (no legacy sigops).
pub fn txout(sats: u64) -> TxOut {
    TxOut { value: Amount::from_sat(sats), script_pubkey: ScriptBuf::new_p2wpkh(&WPubkeyHash::all_zeros()) }
}

/// A version 2 transaction spending `prevouts` with empty scripts.
pub fn spend(prevouts: &[OutPoint], outputs: &[TxOut]) -> Transaction {
    Transaction {
        version: TxVersion::TWO,
        lock_time: LockTime::ZERO,
        input: prevouts
            .iter()
            .map(|prevout| TxIn {
                previous_output: *prevout,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: outputs.to_vec(),
    }
}

/// A coinbase for `height` paying 50 BTC.
pub fn coinbase(height: u32) -> Transaction {
    let mut tx = spend(&[OutPoint::null()], &[txout(50 * 100_000_000)]);
    tx.input[0].script_sig = coinbase_height_script(height);
    tx
}

/// Sets the merkle root and grinds the nonce until the regtest target is met.
pub fn mine(mut block: Block) -> Block {
    block.header.merkle_root = block.compute_merkle_root().expect("block has transactions");
    while block.header.validate_pow(block.header.target()).is_err() {
        block.header.nonce += 1;
    }
    block
}

/// A mined regtest block at `height` on top of genesis with a coinbase,
/// `txs`, and the witness commitment.
pub fn regtest_block(height: u32, txs: Vec<Transaction>) -> Block {
    let genesis = ChainParams::new(Network::Regtest).genesis;
    let header = Header {
        version: Version::from_consensus(0x2000_0000),
        prev_blockhash: genesis.block_hash(),
        merkle_root: genesis.header.merkle_root,
        time: genesis.header.time + height * 600,
        bits: genesis.header.bits,
        nonce: 0,
    };
    let mut block = Block { header, txdata: std::iter::once(coinbase(height)).chain(txs).collect() };
    add_witness_commitment(&mut block, true);
    mine(block)
}
