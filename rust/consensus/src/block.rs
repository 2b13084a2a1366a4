//! Block rules: the subsidy, context-free header and block checks, and the
//! checks that need the parent block (the reference's `CheckBlockHeader`,
//! `CheckBlock`, `ContextualCheckBlockHeader`, `ContextualCheckBlock`).

use std::borrow::Cow;
use std::fmt;

use bitcoin::blockdata::block::Header;
use bitcoin::consensus::encode::VarInt;
use bitcoin::hashes::{sha256d, Hash, HashEngine};
use bitcoin::script::Builder;
use bitcoin::{Amount, Block, CompactTarget, Transaction, Txid, Weight};

use crate::locks::is_final_tx;
use crate::params::{ChainParams, Deployment};
use crate::pow::check_proof_of_work;
use crate::sigops::{legacy_sigop_count, MAX_BLOCK_SIGOPS_COST, WITNESS_SCALE_FACTOR};
use crate::tx::{check_transaction, TxError};

/// A block's time may be at most this far ahead of the node's clock.
pub const MAX_FUTURE_BLOCK_TIME: i64 = 2 * 60 * 60;
/// BIP94: how far the first block of a difficulty period may go back in time from its parent.
pub const MAX_TIMEWARP: i64 = 600;
/// An output script of at least this size with the magic prefix carries the witness commitment.
const MINIMUM_WITNESS_COMMITMENT: usize = 38;
/// `OP_RETURN`, a 36-byte push, and the commitment header `aa21a9ed`.
pub(crate) const WITNESS_COMMITMENT_PREFIX: [u8; 6] = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/// New coins a block at `height` may create (the reference's `GetBlockSubsidy`).
pub fn block_subsidy(height: u32, params: &ChainParams) -> Amount {
    let halvings = height / params.subsidy_halving_interval.max(1);
    if halvings >= 64 {
        return Amount::ZERO;
    }
    Amount::from_sat((50 * 100_000_000u64) >> halvings)
}

/// The reference's `BlockValidationResult`, for the failures these checks find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockValidationResult {
    /// Invalid by consensus rules.
    Consensus,
    /// The transactions do not match the header or carry invalid witness data:
    /// the block may be a corrupted copy of a valid one, so its hash must not
    /// be marked invalid.
    Mutated,
    /// The header itself is invalid.
    InvalidHeader,
    /// The block's time is too far in the future: it may become valid later.
    TimeFuture,
}

/// Why a block or header failed a check.
///
/// `Display` reads like the reference's `ValidationState::ToString()`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    HighHash,
    BadMerkleRoot,
    /// Duplicate transactions that leave the merkle root unchanged (CVE-2012-2459).
    DuplicateTransactions,
    BadLength,
    MissingCoinbase,
    MultipleCoinbases,
    Transaction {
        txid: Txid,
        error: TxError,
    },
    TooManySigops,
    BadDiffBits,
    TimeTooOld,
    TimewarpAttack,
    TimeTooNew,
    BadVersion(i32),
    NonFinalTransaction,
    BadCoinbaseHeight,
    BadWitnessNonceSize,
    BadWitnessMerkleMatch,
    UnexpectedWitness,
    BadWeight,
}

impl BlockError {
    /// The reference's reject reason.
    pub fn reason(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            BlockError::HighHash => "high-hash",
            BlockError::BadMerkleRoot => "bad-txnmrklroot",
            BlockError::DuplicateTransactions => "bad-txns-duplicate",
            BlockError::BadLength => "bad-blk-length",
            BlockError::MissingCoinbase => "bad-cb-missing",
            BlockError::MultipleCoinbases => "bad-cb-multiple",
            BlockError::Transaction { error, .. } => error.reason(),
            BlockError::TooManySigops => "bad-blk-sigops",
            BlockError::BadDiffBits => "bad-diffbits",
            BlockError::TimeTooOld => "time-too-old",
            BlockError::TimewarpAttack => "time-timewarp-attack",
            BlockError::TimeTooNew => "time-too-new",
            // The version prints as its 32-bit two's complement, like `%08x` of an int32_t.
            BlockError::BadVersion(version) => return Cow::Owned(format!("bad-version(0x{:08x})", *version as u32)),
            BlockError::NonFinalTransaction => "bad-txns-nonfinal",
            BlockError::BadCoinbaseHeight => "bad-cb-height",
            BlockError::BadWitnessNonceSize => "bad-witness-nonce-size",
            BlockError::BadWitnessMerkleMatch => "bad-witness-merkle-match",
            BlockError::UnexpectedWitness => "unexpected-witness",
            BlockError::BadWeight => "bad-blk-weight",
        })
    }

    /// The reference's debug message.
    pub fn debug(&self) -> Option<String> {
        let message = match self {
            BlockError::HighHash => "proof of work failed",
            BlockError::BadMerkleRoot => "hashMerkleRoot mismatch",
            BlockError::DuplicateTransactions => "duplicate transaction",
            BlockError::BadLength => "size limits failed",
            BlockError::MissingCoinbase => "first tx is not coinbase",
            BlockError::MultipleCoinbases => "more than one coinbase",
            BlockError::Transaction { txid, error } => {
                let detail = error.debug().unwrap_or_default();
                return Some(format!("Transaction check failed (tx hash {txid}) {detail}"));
            }
            BlockError::TooManySigops => "out-of-bounds SigOpCount",
            BlockError::BadDiffBits => "incorrect proof of work",
            BlockError::TimeTooOld => "block's timestamp is too early",
            BlockError::TimewarpAttack => "block's timestamp is too early on diff adjustment block",
            BlockError::TimeTooNew => "block timestamp too far in the future",
            BlockError::BadVersion(version) => {
                return Some(format!("rejected nVersion=0x{:08x} block", *version as u32))
            }
            BlockError::NonFinalTransaction => "non-final transaction",
            BlockError::BadCoinbaseHeight => "block height mismatch in coinbase",
            BlockError::BadWitnessNonceSize => "CheckWitnessMalleation : invalid witness reserved value size",
            BlockError::BadWitnessMerkleMatch => "CheckWitnessMalleation : witness merkle commitment mismatch",
            BlockError::UnexpectedWitness => "CheckWitnessMalleation : unexpected witness data found",
            BlockError::BadWeight => "ContextualCheckBlock : weight limit failed",
        };
        Some(message.to_owned())
    }

    /// How the reference classifies this failure.
    pub fn result(&self) -> BlockValidationResult {
        match self {
            BlockError::BadMerkleRoot
            | BlockError::DuplicateTransactions
            | BlockError::BadWitnessNonceSize
            | BlockError::BadWitnessMerkleMatch
            | BlockError::UnexpectedWitness => BlockValidationResult::Mutated,
            BlockError::HighHash
            | BlockError::BadDiffBits
            | BlockError::TimeTooOld
            | BlockError::TimewarpAttack
            | BlockError::BadVersion(_) => BlockValidationResult::InvalidHeader,
            BlockError::TimeTooNew => BlockValidationResult::TimeFuture,
            _ => BlockValidationResult::Consensus,
        }
    }

    /// Whether the failure may come from a corrupted copy of a valid block, in
    /// which case the block hash must not be marked permanently invalid.
    pub fn is_mutation(&self) -> bool {
        self.result() == BlockValidationResult::Mutated
    }
}

impl fmt::Display for BlockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason())?;
        match self.debug() {
            Some(debug) => write!(f, ", {debug}"),
            None => Ok(()),
        }
    }
}

/// The header's proof of work (the reference's `CheckBlockHeader`).
pub fn check_block_header(header: &Header, params: &ChainParams) -> Result<(), BlockError> {
    if !check_proof_of_work(header.block_hash(), header.bits, params) {
        return Err(BlockError::HighHash);
    }
    Ok(())
}

/// The merkle root of `hashes` and whether the tree is "mutated": some level
/// has two equal adjacent hashes, so repeating transactions would give the same
/// root (CVE-2012-2459). rust-bitcoin's merkle root does not report this.
fn merkle_root(mut hashes: Vec<sha256d::Hash>) -> (sha256d::Hash, bool) {
    let mut mutated = false;
    while hashes.len() > 1 {
        mutated |= hashes.chunks_exact(2).any(|pair| pair[0] == pair[1]);
        hashes = hashes
            .chunks(2)
            .map(|pair| {
                let right = pair.get(1).unwrap_or(&pair[0]);
                let mut engine = sha256d::Hash::engine();
                engine.input(pair[0].as_byte_array());
                engine.input(right.as_byte_array());
                sha256d::Hash::from_engine(engine)
            })
            .collect();
    }
    (hashes.first().copied().unwrap_or_else(sha256d::Hash::all_zeros), mutated)
}

/// The reference's `CheckMerkleRoot`.
fn verify_merkle_root(block: &Block) -> Result<(), BlockError> {
    let txids = block.txdata.iter().map(|tx| tx.compute_txid().to_raw_hash()).collect();
    let (root, mutated) = merkle_root(txids);
    if block.header.merkle_root.to_raw_hash() != root {
        return Err(BlockError::BadMerkleRoot);
    }
    if mutated {
        return Err(BlockError::DuplicateTransactions);
    }
    Ok(())
}

/// Size of the block serialized without witnesses.
fn stripped_size(block: &Block) -> u64 {
    let txs: usize = block.txdata.iter().map(Transaction::base_size).sum();
    (Header::SIZE + VarInt::from(block.txdata.len()).size() + txs) as u64
}

/// Context-free block checks (the reference's `CheckBlock`). Witness data is
/// not looked at: it is only committed to in `contextual_check_block`.
pub fn check_block(
    block: &Block,
    params: &ChainParams,
    check_pow: bool,
    check_merkle_root: bool,
) -> Result<(), BlockError> {
    if check_pow {
        check_block_header(&block.header, params)?;
    }
    // Corruption checks come before any transaction check, so a block that
    // merely arrived with the wrong transactions is not judged invalid.
    if check_merkle_root {
        verify_merkle_root(block)?;
    }

    let max = Weight::MAX_BLOCK.to_wu();
    if block.txdata.is_empty()
        || block.txdata.len() as u64 * WITNESS_SCALE_FACTOR > max
        || stripped_size(block) * WITNESS_SCALE_FACTOR > max
    {
        return Err(BlockError::BadLength);
    }

    if !block.txdata[0].is_coinbase() {
        return Err(BlockError::MissingCoinbase);
    }
    if block.txdata[1..].iter().any(Transaction::is_coinbase) {
        return Err(BlockError::MultipleCoinbases);
    }

    for tx in &block.txdata {
        check_transaction(tx).map_err(|error| BlockError::Transaction { txid: tx.compute_txid(), error })?;
    }

    let sigops: u64 = block.txdata.iter().map(|tx| u64::from(legacy_sigop_count(tx))).sum();
    if sigops * WITNESS_SCALE_FACTOR > MAX_BLOCK_SIGOPS_COST {
        return Err(BlockError::TooManySigops);
    }
    Ok(())
}

/// What `contextual_check_block_header` needs to know about the chain the
/// header extends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderContext {
    pub prev_height: u32,
    /// The parent's own timestamp (BIP94's timewarp rule).
    pub prev_time: u32,
    pub prev_median_time_past: i64,
    /// `pow::next_work_required` for this header.
    pub expected_bits: CompactTarget,
    /// The node's current time, in seconds since the epoch.
    pub now: i64,
}

/// Header checks that need the parent (the reference's `ContextualCheckBlockHeader`).
pub fn contextual_check_block_header(
    header: &Header,
    ctx: &HeaderContext,
    params: &ChainParams,
) -> Result<(), BlockError> {
    let height = ctx.prev_height.saturating_add(1);
    let time = i64::from(header.time);

    if header.bits != ctx.expected_bits {
        return Err(BlockError::BadDiffBits);
    }
    if time <= ctx.prev_median_time_past {
        return Err(BlockError::TimeTooOld);
    }
    // BIP94: the first block of a period may not go back far from its parent,
    // which would let miners shorten the measured period (timewarp).
    if params.enforce_bip94
        && height.is_multiple_of(params.difficulty_adjustment_interval().max(1))
        && time < i64::from(ctx.prev_time) - MAX_TIMEWARP
    {
        return Err(BlockError::TimewarpAttack);
    }
    if time > ctx.now.saturating_add(MAX_FUTURE_BLOCK_TIME) {
        return Err(BlockError::TimeTooNew);
    }

    // Versions below 2, 3 and 4 ended with BIP34, BIP66 and BIP65.
    let version = header.version.to_consensus();
    let outdated = (version < 2 && params.is_active(Deployment::Bip34, height))
        || (version < 3 && params.is_active(Deployment::DerSig, height))
        || (version < 4 && params.is_active(Deployment::Cltv, height));
    if outdated {
        return Err(BlockError::BadVersion(version));
    }
    Ok(())
}

/// The start every coinbase script must have from BIP34 on: the height, as
/// the reference's `CScript() << nHeight` pushes it.
pub(crate) fn bip34_height_prefix(height: u32) -> Builder {
    Builder::new().push_int(i64::from(height))
}

/// Where the coinbase commits to the witness merkle root: the last output
/// that looks like a commitment (the reference's `GetWitnessCommitmentIndex`).
pub(crate) fn witness_commitment_index(coinbase: &Transaction) -> Option<usize> {
    coinbase.output.iter().rposition(|out| {
        let script = out.script_pubkey.as_bytes();
        script.len() >= MINIMUM_WITNESS_COMMITMENT && script[..6] == WITNESS_COMMITMENT_PREFIX
    })
}

/// The reference's `CheckWitnessMalleation`: with segwit active, a block that
/// commits to its witnesses must do so correctly; a block that does not may
/// carry no witness data at all.
fn check_witness_malleation(block: &Block, expect_witness_commitment: bool) -> Result<(), BlockError> {
    if expect_witness_commitment {
        if let Some(coinbase) = block.txdata.first() {
            if let Some(position) = witness_commitment_index(coinbase) {
                let witness = coinbase.input.first().map(|input| &input.witness);
                let reserved = match witness {
                    Some(witness) if witness.len() == 1 => witness.nth(0).filter(|item| item.len() == 32),
                    _ => None,
                };
                let reserved = reserved.ok_or(BlockError::BadWitnessNonceSize)?;
                // The witness tree cannot be mutated without the transaction
                // tree also being mutated, so only the root is needed.
                let root = block.witness_root().ok_or(BlockError::BadWitnessMerkleMatch)?;
                let commitment = Block::compute_witness_commitment(&root, reserved);
                if coinbase.output[position].script_pubkey.as_bytes()[6..38] != commitment.to_byte_array() {
                    return Err(BlockError::BadWitnessMerkleMatch);
                }
                return Ok(());
            }
        }
    }
    if block.txdata.iter().any(|tx| tx.input.iter().any(|input| !input.witness.is_empty())) {
        return Err(BlockError::UnexpectedWitness);
    }
    Ok(())
}

/// Block checks that need the parent (the reference's `ContextualCheckBlock`).
/// `height` is the block's height and `prev_mtp` its parent's median time past.
/// Expects `check_block` to have passed.
pub fn contextual_check_block(
    block: &Block,
    height: u32,
    prev_mtp: i64,
    params: &ChainParams,
) -> Result<(), BlockError> {
    // BIP113: with CSV active, lock-times are judged by the parent's median
    // time past rather than by the block's own (miner-chosen) timestamp.
    let lock_time_cutoff =
        if params.is_active(Deployment::Csv, height) { prev_mtp } else { i64::from(block.header.time) };
    if !block.txdata.iter().all(|tx| is_final_tx(tx, height, lock_time_cutoff)) {
        return Err(BlockError::NonFinalTransaction);
    }

    if params.is_active(Deployment::Bip34, height) {
        let expected = bip34_height_prefix(height).into_script();
        let script_sig = block.txdata.first().and_then(|tx| tx.input.first()).map(|input| &input.script_sig);
        if !script_sig.is_some_and(|script| script.as_bytes().starts_with(expected.as_bytes())) {
            return Err(BlockError::BadCoinbaseHeight);
        }
    }

    check_witness_malleation(block, params.is_active(Deployment::Segwit, height))?;

    // Only now is the coinbase witness known to be right; before, a bloated
    // witness could push the weight over without changing the block hash.
    if block.weight() > Weight::MAX_BLOCK {
        return Err(BlockError::BadWeight);
    }
    Ok(())
}

/// Whether `block` does not match its header's commitments — the reference's
/// `IsBlockMutated`, used to decide whether a peer sent a corrupted block.
pub fn is_block_mutated(block: &Block, check_witness_root: bool) -> bool {
    if verify_merkle_root(block).is_err() {
        return true;
    }
    if !block.txdata.first().is_some_and(Transaction::is_coinbase) {
        // Without a coinbase, a 64-byte transaction could be an inner merkle
        // node in disguise. (Such a block is invalid anyway.)
        return block.txdata.iter().any(|tx| tx.base_size() == 64);
    }
    check_witness_malleation(block, check_witness_root).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{mine, regtest_block, spend, txout};
    use bitcoin::block::Version;
    use bitcoin::{Network, OutPoint, ScriptBuf, Witness};

    fn regtest() -> ChainParams {
        ChainParams::new(Network::Regtest)
    }

    #[test]
    fn subsidy_halves() {
        let main = ChainParams::new(Network::Bitcoin);
        assert_eq!(block_subsidy(0, &main), Amount::from_btc(50.0).unwrap());
        assert_eq!(block_subsidy(209_999, &main), Amount::from_btc(50.0).unwrap());
        assert_eq!(block_subsidy(210_000, &main), Amount::from_btc(25.0).unwrap());
        assert_eq!(block_subsidy(210_000 * 33 - 1, &main), Amount::from_sat(1));
        assert_eq!(block_subsidy(210_000 * 33, &main), Amount::ZERO);
        assert_eq!(block_subsidy(u32::MAX, &main), Amount::ZERO);
        let regtest = regtest();
        assert_eq!(block_subsidy(150, &regtest), Amount::from_btc(25.0).unwrap());
        assert_eq!(block_subsidy(150 * 64, &regtest), Amount::ZERO);
    }

    #[test]
    fn header_pow() {
        let params = regtest();
        let block = regtest_block(1, vec![]);
        assert_eq!(check_block_header(&block.header, &params), Ok(()));
        let mut bad = block.header;
        while bad.validate_pow(bad.target()).is_ok() {
            bad.nonce = bad.nonce.wrapping_add(1);
        }
        assert_eq!(check_block_header(&bad, &params).unwrap_err().reason(), "high-hash");
    }

    #[test]
    fn valid_block_passes_all_checks() {
        let params = regtest();
        let extra = spend(&[OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[txout(1)]);
        let block = regtest_block(1, vec![extra]);
        assert_eq!(check_block(&block, &params, true, true), Ok(()));
        assert_eq!(contextual_check_block(&block, 1, 0, &params), Ok(()));
        assert!(!is_block_mutated(&block, true));
    }

    #[test]
    fn merkle_root_and_duplicates() {
        let params = regtest();
        let tx = |n: u32| spend(&[OutPoint { txid: Txid::all_zeros(), vout: n }], &[txout(1)]);
        let mut block = regtest_block(1, vec![tx(1), tx(2)]);
        // Repeating the last transaction keeps the merkle root (CVE-2012-2459).
        block.txdata.push(tx(2));
        assert_eq!(block.compute_merkle_root(), Some(block.header.merkle_root));
        let err = check_block(&block, &params, false, true).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-duplicate");
        assert!(err.is_mutation());
        assert!(is_block_mutated(&block, false));

        block.txdata.pop();
        block.txdata.swap(1, 2);
        let err = check_block(&block, &params, false, true).unwrap_err();
        assert_eq!(err.to_string(), "bad-txnmrklroot, hashMerkleRoot mismatch");
        assert!(err.is_mutation());
        // Without the merkle check the order does not matter here.
        assert_eq!(check_block(&block, &params, false, false), Ok(()));
    }

    #[test]
    fn structure_rejections() {
        let params = regtest();
        let mut empty = regtest_block(1, vec![]);
        empty.txdata.clear();
        assert_eq!(check_block(&empty, &params, false, false).unwrap_err().reason(), "bad-blk-length");

        let mut too_big = regtest_block(1, vec![]);
        let mut fat = spend(&[OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[txout(1)]);
        fat.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0x6a; 999_000]);
        too_big.txdata.push(fat.clone());
        too_big.txdata.push(fat);
        assert_eq!(check_block(&too_big, &params, false, false).unwrap_err().reason(), "bad-blk-length");

        let not_coinbase = spend(&[OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[txout(1)]);
        let mut missing = regtest_block(1, vec![]);
        missing.txdata[0] = not_coinbase;
        assert_eq!(check_block(&missing, &params, false, false).unwrap_err().reason(), "bad-cb-missing");

        let mut multiple = regtest_block(1, vec![]);
        multiple.txdata.push(multiple.txdata[0].clone());
        assert_eq!(check_block(&multiple, &params, false, false).unwrap_err().reason(), "bad-cb-multiple");

        let bad_tx = spend(&[OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[]);
        let txid = bad_tx.compute_txid();
        let block = regtest_block(1, vec![bad_tx]);
        let err = check_block(&block, &params, true, true).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-vout-empty");
        assert_eq!(err.debug(), Some(format!("Transaction check failed (tx hash {txid}) ")));
        assert_eq!(err.result(), BlockValidationResult::Consensus);

        let mut sigops = spend(&[OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[txout(1)]);
        // 1001 CHECKMULTISIGs count 20 each: 20020 sigops, 80080 cost.
        sigops.output[0].script_pubkey = ScriptBuf::from_bytes(vec![0xae; 1001]);
        let block = regtest_block(1, vec![sigops]);
        assert_eq!(check_block(&block, &params, true, true).unwrap_err().reason(), "bad-blk-sigops");
    }

    fn context(params: &ChainParams) -> HeaderContext {
        HeaderContext {
            prev_height: 10,
            prev_time: 1_700_000_000,
            prev_median_time_past: 1_699_999_000,
            expected_bits: params.genesis.header.bits,
            now: 1_700_000_000,
        }
    }

    #[test]
    fn contextual_header_rejections() {
        let params = regtest();
        let ctx = context(&params);
        let mut header = regtest_block(11, vec![]).header;
        header.time = 1_700_000_100;
        assert_eq!(contextual_check_block_header(&header, &ctx, &params), Ok(()));

        let mut bits = header;
        bits.bits = CompactTarget::from_consensus(0x1d00_ffff);
        assert_eq!(contextual_check_block_header(&bits, &ctx, &params).unwrap_err().reason(), "bad-diffbits");

        let mut old = header;
        old.time = 1_699_999_000;
        assert_eq!(contextual_check_block_header(&old, &ctx, &params).unwrap_err().reason(), "time-too-old");

        let mut new = header;
        new.time = 1_700_000_000 + 7201;
        let err = contextual_check_block_header(&new, &ctx, &params).unwrap_err();
        assert_eq!((err.reason().as_ref(), err.result()), ("time-too-new", BlockValidationResult::TimeFuture));
        new.time = 1_700_000_000 + 7200;
        assert_eq!(contextual_check_block_header(&new, &ctx, &params), Ok(()));

        let mut version = header;
        version.version = Version::from_consensus(3);
        let err = contextual_check_block_header(&version, &ctx, &params).unwrap_err();
        assert_eq!(err.reason(), "bad-version(0x00000003)");
        assert_eq!(err.debug().as_deref(), Some("rejected nVersion=0x00000003 block"));
        version.version = Version::from_consensus(-1);
        let err = contextual_check_block_header(&version, &ctx, &params).unwrap_err();
        assert_eq!(err.reason(), "bad-version(0xffffffff)");
    }

    #[test]
    fn bip94_timewarp_rule() {
        let params = ChainParams::new(Network::Testnet4);
        let mut ctx = context(&params);
        ctx.prev_height = 2015;
        let mut header = params.genesis.header;
        header.version = Version::from_consensus(4);
        header.time = ctx.prev_time - 601;
        ctx.prev_median_time_past = i64::from(header.time) - 1;
        let err = contextual_check_block_header(&header, &ctx, &params).unwrap_err();
        assert_eq!(err.reason(), "time-timewarp-attack");
        header.time = ctx.prev_time - 600;
        assert_eq!(contextual_check_block_header(&header, &ctx, &params), Ok(()));
        // Only the first block of a period is restricted, and only with BIP94.
        header.time = ctx.prev_time - 601;
        ctx.prev_height = 2016;
        assert_eq!(contextual_check_block_header(&header, &ctx, &params), Ok(()));
        ctx.prev_height = 2015;
        assert_eq!(contextual_check_block_header(&header, &ctx, &ChainParams::new(Network::Signet)), Ok(()));
    }

    #[test]
    fn non_final_transactions() {
        let params = regtest();
        let mut tx = spend(&[OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[txout(1)]);
        tx.input[0].sequence = bitcoin::Sequence::ZERO;
        tx.lock_time = bitcoin::absolute::LockTime::from_consensus(1_600_000_000);
        let block = regtest_block(5, vec![tx]);
        // With CSV the parent's median time past counts, not the block time.
        assert_eq!(contextual_check_block(&block, 5, 1_600_000_001, &params), Ok(()));
        let err = contextual_check_block(&block, 5, 1_600_000_000, &params).unwrap_err();
        assert_eq!(err.reason(), "bad-txns-nonfinal");
        let mut no_csv = params.clone();
        no_csv.set_activation_height(Deployment::Csv, 100);
        assert_eq!(contextual_check_block(&block, 5, 0, &no_csv).unwrap_err().reason(), "bad-txns-nonfinal");
    }

    #[test]
    fn coinbase_height() {
        let params = regtest();
        let block = regtest_block(5, vec![]);
        assert_eq!(contextual_check_block(&block, 5, 0, &params), Ok(()));
        assert_eq!(contextual_check_block(&block, 6, 0, &params).unwrap_err().reason(), "bad-cb-height");
        // Not enforced before BIP34.
        let mut before = params.clone();
        before.set_activation_height(Deployment::Bip34, 100);
        assert_eq!(contextual_check_block(&block, 6, 0, &before), Ok(()));
    }

    #[test]
    fn witness_commitment_rejections() {
        let params = regtest();
        let mut witness_tx = spend(&[OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[txout(1)]);
        witness_tx.input[0].witness = Witness::from_slice(&[vec![1u8]]);
        // The helper commits correctly.
        let block = regtest_block(3, vec![witness_tx.clone()]);
        assert_eq!(contextual_check_block(&block, 3, 0, &params), Ok(()));

        let mut nonce = block.clone();
        nonce.txdata[0].input[0].witness = Witness::from_slice(&[vec![0u8; 31]]);
        let err = contextual_check_block(&mine(nonce), 3, 0, &params).unwrap_err();
        assert_eq!(err.reason(), "bad-witness-nonce-size");
        assert!(err.is_mutation());

        let mut mismatch = block.clone();
        mismatch.txdata[1].input[0].witness = Witness::from_slice(&[vec![2u8]]);
        let err = contextual_check_block(&mine(mismatch.clone()), 3, 0, &params).unwrap_err();
        assert_eq!(err.reason(), "bad-witness-merkle-match");
        assert!(is_block_mutated(&mine(mismatch), true));

        let mut unexpected = block.clone();
        let position = witness_commitment_index(&unexpected.txdata[0]).unwrap();
        unexpected.txdata[0].output.remove(position);
        unexpected.txdata[0].input[0].witness = Witness::new();
        let unexpected = mine(unexpected);
        let err = contextual_check_block(&unexpected, 3, 0, &params).unwrap_err();
        assert_eq!(err.reason(), "unexpected-witness");
        // Before segwit a commitment is not even looked for.
        let mut no_segwit = params.clone();
        no_segwit.set_activation_height(Deployment::Segwit, 100);
        assert_eq!(contextual_check_block(&block, 3, 0, &no_segwit).unwrap_err().reason(), "unexpected-witness");
    }

    #[test]
    fn weight_limit() {
        let params = regtest();
        let mut heavy = spend(&[OutPoint { txid: Txid::all_zeros(), vout: 0 }], &[txout(1)]);
        // Witness bytes weigh one unit each: 4,000,001 bytes alone exceed the limit.
        heavy.input[0].witness = Witness::from_slice(&[vec![0u8; 4_000_001]]);
        let block = regtest_block(3, vec![heavy]);
        assert_eq!(check_block(&block, &params, true, true), Ok(()));
        assert_eq!(contextual_check_block(&block, 3, 0, &params).unwrap_err().reason(), "bad-blk-weight");
    }

    #[test]
    fn merkle_root_of_nothing_is_zero() {
        assert_eq!(merkle_root(vec![]), (sha256d::Hash::all_zeros(), false));
    }
}
