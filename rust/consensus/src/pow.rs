//! Proof of work: whether a header's hash meets its claimed target, and which
//! target the next block must claim (the reference's `pow.cpp`).

use bitcoin::{BlockHash, CompactTarget, Target};

use crate::params::ChainParams;

/// What difficulty adjustment needs to know about a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderInfo {
    pub height: u32,
    pub time: u32,
    pub bits: CompactTarget,
}

/// Decodes `bits` to a target and checks that it is usable: not negative,
/// not zero, no overflow, no easier than the network's limit (the reference's
/// `DeriveTarget`).
///
/// rust-bitcoin's `Target::from_compact` alone does not do: it reads a set
/// sign bit with a zero mantissa as a non-zero target when the exponent is
/// below 3, and has no notion of overflow. It is used once those cases are out.
pub fn derive_target(bits: CompactTarget, pow_limit: Target) -> Option<Target> {
    let compact = bits.to_consensus();
    let size = compact >> 24;
    let word = compact & 0x007f_ffff;
    if word == 0 {
        return None;
    }
    let negative = compact & 0x0080_0000 != 0;
    let overflow = size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32);
    if negative || overflow {
        return None;
    }
    let target = Target::from_compact(bits);
    (target != Target::ZERO && target <= pow_limit).then_some(target)
}

/// Whether `hash` meets the target `bits` claims, and that target is allowed
/// (the reference's `CheckProofOfWork`).
pub fn check_proof_of_work(hash: BlockHash, bits: CompactTarget, params: &ChainParams) -> bool {
    derive_target(bits, params.pow_limit).is_some_and(|target| target.is_met_by(hash))
}

/// The `bits` the block after `prev` must have (the reference's `GetNextWorkRequired`).
///
/// `new_block_time` is the new block's timestamp (testnet's 20-minute rule
/// looks at it); `ancestor(h)` returns the block at height `h` on `prev`'s
/// chain, for heights up to `prev.height`.
pub fn next_work_required(
    params: &ChainParams,
    prev: HeaderInfo,
    new_block_time: u32,
    ancestor: impl Fn(u32) -> HeaderInfo,
) -> CompactTarget {
    let interval = params.difficulty_adjustment_interval().max(1);
    let next_height = u64::from(prev.height) + 1;

    if next_height % u64::from(interval) != 0 {
        if !params.pow_allow_min_difficulty_blocks {
            return prev.bits;
        }
        let limit_bits = params.pow_limit.to_compact_lossy();
        // Testnet: a block more than twice the target spacing after its parent
        // may be mined at the easiest difficulty...
        let spacing = i64::try_from(params.pow_target_spacing).unwrap_or(i64::MAX);
        if i64::from(new_block_time) > i64::from(prev.time).saturating_add(spacing.saturating_mul(2)) {
            return limit_bits;
        }
        // ...otherwise the difficulty is that of the last block not mined under
        // that rule (or of the period's first block).
        let mut block = prev;
        while block.height > 0 && !block.height.is_multiple_of(interval) && block.bits == limit_bits {
            block = ancestor(block.height - 1);
        }
        return block.bits;
    }

    // The period's first block. The reference compares against the block
    // `interval - 1` back, so one block interval of each period is unmeasured.
    let first = ancestor(prev.height + 1 - interval);
    calculate_next_work_required(params, &prev, &first)
}

/// Retargets from the timespan between `first` and `last` (the reference's
/// `CalculateNextWorkRequired`).
fn calculate_next_work_required(params: &ChainParams, last: &HeaderInfo, first: &HeaderInfo) -> CompactTarget {
    if params.pow_no_retargeting {
        return last.bits;
    }
    // Clamped here rather than by rust-bitcoin because the timespan may be negative.
    let timespan = i64::try_from(params.pow_target_timespan).unwrap_or(i64::MAX);
    let actual = (i64::from(last.time) - i64::from(first.time)).clamp(timespan / 4, timespan.saturating_mul(4));
    // BIP94 (testnet4): scale the first block's target, which the
    // min-difficulty exception cannot have lowered.
    let base = if params.enforce_bip94 { first.bits } else { last.bits };
    // `base` is a target of the chain, so at most `pow_limit`; times at most
    // 4 * timespan it stays within 256 bits for every network's limit.
    CompactTarget::from_next_work_required(base, actual as u64, params.pow_params())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;
    use bitcoin::Network;

    fn bits(value: u32) -> CompactTarget {
        CompactTarget::from_consensus(value)
    }

    #[test]
    fn derive_target_rejects_what_the_reference_rejects() {
        let limit = ChainParams::new(Network::Regtest).pow_limit;
        assert!(derive_target(bits(0x207f_ffff), limit).is_some());
        assert!(derive_target(bits(0x2080_0000), limit).is_none(), "zero word");
        assert!(derive_target(bits(0x0280_0000), limit).is_none(), "sign bit, zero word, small exponent");
        assert!(derive_target(bits(0x0480_0001), limit).is_none(), "negative");
        assert!(derive_target(bits(0x2300_0001), limit).is_none(), "overflow");
        assert!(derive_target(bits(0x0100_0012), limit).is_none(), "rounds to zero");
        let main_limit = ChainParams::new(Network::Bitcoin).pow_limit;
        assert!(derive_target(bits(0x1d00_ffff), main_limit).is_some());
        assert!(derive_target(bits(0x1d01_0000), main_limit).is_none(), "above the limit");
    }

    #[test]
    fn genesis_blocks_have_valid_work() {
        for network in [Network::Bitcoin, Network::Testnet, Network::Signet, Network::Regtest] {
            let params = ChainParams::new(network);
            let header = params.genesis.header;
            assert!(check_proof_of_work(header.block_hash(), header.bits, &params), "{network}");
        }
        let params = ChainParams::new(Network::Bitcoin);
        assert!(!check_proof_of_work(BlockHash::from_byte_array([0xff; 32]), bits(0x1d00_ffff), &params));
    }

    /// A chain with blocks `spacing` seconds apart, all at `bits`.
    fn chain(bits: CompactTarget, spacing: u32) -> impl Fn(u32) -> HeaderInfo {
        move |height| HeaderInfo { height, time: 1_000_000 + height * spacing, bits }
    }

    /// Retargets from a period whose first block has time `first_time` and
    /// last block is `last`.
    fn retarget(params: &ChainParams, first_time: u32, last: HeaderInfo) -> CompactTarget {
        next_work_required(params, last, last.time + 600, |height| HeaderInfo {
            height,
            time: first_time,
            bits: last.bits,
        })
    }

    #[test]
    fn mainnet_retargets_match_the_reference_vectors() {
        let params = ChainParams::new(Network::Bitcoin);
        let last = |height, time, value| HeaderInfo { height, time, bits: bits(value) };
        // The reference's pow_tests: get_next_work, _pow_limit, _lower_limit_actual, _upper_limit_actual.
        assert_eq!(retarget(&params, 1_261_130_161, last(32_255, 1_262_152_739, 0x1d00_ffff)), bits(0x1d00_d86a));
        assert_eq!(retarget(&params, 1_231_006_505, last(2015, 1_233_061_996, 0x1d00_ffff)), bits(0x1d00_ffff));
        assert_eq!(retarget(&params, 1_279_008_237, last(68_543, 1_279_297_671, 0x1c05_a3f4)), bits(0x1c01_68fd));
        assert_eq!(retarget(&params, 1_263_163_443, last(48_383, 1_269_211_443, 0x1c38_7f6f)), bits(0x1d00_e1fd));
        // A period that ends before it began counts as the shortest one.
        assert_eq!(retarget(&params, 1_279_308_237, last(68_543, 1_279_297_671, 0x1c05_a3f4)), bits(0x1c01_68fd));

        // Between retargets nothing changes.
        let mid = last(100, 0, 0x1b04_864c);
        assert_eq!(next_work_required(&params, mid, u32::MAX, chain(mid.bits, 600)), mid.bits);
    }

    #[test]
    fn testnet_min_difficulty_rules() {
        let params = ChainParams::new(Network::Testnet);
        let limit = params.pow_limit.to_compact_lossy();
        let real = bits(0x1c00_ffff);
        // Blocks 0..=2020: real difficulty up to 2016, min-difficulty after.
        let history = move |height: u32| HeaderInfo {
            height,
            time: 1_000_000 + height * 600,
            bits: if height > 2016 { limit } else { real },
        };
        let prev = history(2020);
        // Late block: easiest target.
        assert_eq!(next_work_required(&params, prev, prev.time + 1201, history), limit);
        // On time: walk back to block 2016, the last one with real difficulty.
        assert_eq!(next_work_required(&params, prev, prev.time + 1200, history), real);
        // The walk stops at a period start even if that block was min-difficulty.
        let all_min = move |height: u32| HeaderInfo { height, time: 1_000_000 + height * 600, bits: limit };
        assert_eq!(next_work_required(&params, all_min(2020), 0, all_min), limit);
    }

    #[test]
    fn regtest_never_retargets() {
        let params = ChainParams::new(Network::Regtest);
        let prev = HeaderInfo { height: 2015, time: 5_000, bits: bits(0x207f_ffff) };
        assert_eq!(retarget(&params, 0, prev), prev.bits);
    }

    #[test]
    fn bip94_scales_the_first_block_of_the_period() {
        let params = ChainParams::new(Network::Testnet4);
        let limit = params.pow_limit.to_compact_lossy();
        let real = bits(0x1c00_ffff);
        // The period starts at real difficulty but its last block is min-difficulty.
        let history = move |height: u32| HeaderInfo {
            height,
            time: 1_000_000 + (height - 2016) * 600,
            bits: if height == 4031 { limit } else { real },
        };
        let next = next_work_required(&params, history(4031), history(4031).time + 600, history);
        // Exactly on schedule (2015 intervals of 600s measured against 2016): from `real`, not the limit.
        let expected = CompactTarget::from_next_work_required(real, 2015 * 600, params.pow_params());
        assert_eq!(next, expected);
        assert_ne!(next, limit);
    }
}
