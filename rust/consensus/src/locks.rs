//! Absolute (`nLockTime`, BIP113) and relative (BIP68 `nSequence`) lock-times.
//!
//! Both are expressed in the reference's `nLockTime` semantics: a lock names
//! the *last invalid* height or time, so -1 means "no constraint".

use bitcoin::absolute::LOCK_TIME_THRESHOLD;
use bitcoin::{Sequence, Transaction};

/// An input sequence with this bit set carries no relative lock-time.
const SEQUENCE_LOCKTIME_DISABLE_FLAG: u32 = 1 << 31;
/// An input sequence with this bit set counts time (512-second units), otherwise blocks.
const SEQUENCE_LOCKTIME_TYPE_FLAG: u32 = 1 << 22;
const SEQUENCE_LOCKTIME_MASK: u32 = 0x0000_ffff;
/// Time-based relative locks count in units of 2^9 = 512 seconds.
const SEQUENCE_LOCKTIME_GRANULARITY: u32 = 9;

/// Whether `tx` may be in a block at `block_height` whose lock-time clock reads
/// `block_time` (the block's own time, or its parent's median time past once
/// BIP113 is active) — the reference's `IsFinalTx`.
pub fn is_final_tx(tx: &Transaction, block_height: u32, block_time: i64) -> bool {
    let lock_time = tx.lock_time.to_consensus_u32();
    if lock_time == 0 {
        return true;
    }
    let clock = if lock_time < LOCK_TIME_THRESHOLD { i64::from(block_height) } else { block_time };
    if i64::from(lock_time) < clock {
        return true;
    }
    // A lock-time in the future is ignored when every input opts out of it.
    tx.input.iter().all(|input| input.sequence == Sequence::MAX)
}

/// The height and time a transaction's relative locks require, as the last
/// invalid values (-1: no constraint).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockPoints {
    pub height: i32,
    pub time: i64,
}

impl LockPoints {
    /// Locks that any block satisfies.
    pub const NONE: LockPoints = LockPoints { height: -1, time: -1 };
}

/// The reference's `CalculateSequenceLocks`.
///
/// `enforce_bip68` is the reference's `LOCKTIME_VERIFY_SEQUENCE` flag (CSV
/// active); version 1 transactions are never locked. `prev_heights[i]` is the
/// height of the block holding the output spent by input `i` (`block_height`
/// for outputs not yet in a block); entries of inputs that carry no lock are
/// set to 0, as the reference does, so the caller can tell which inputs matter.
/// `median_time_past_of(h)` gives the median time past of the block at height
/// `h` on the chain of the block being checked, and is only asked about heights
/// below `block_height`.
pub fn calculate_sequence_locks(
    tx: &Transaction,
    enforce_bip68: bool,
    prev_heights: &mut [u32],
    block_height: u32,
    median_time_past_of: impl Fn(u32) -> i64,
) -> LockPoints {
    let mut locks = LockPoints::NONE;
    // The version is compared unsigned, so negative versions enforce BIP68 too.
    if !enforce_bip68 || (tx.version.0 as u32) < 2 {
        return locks;
    }

    for (input, prev_height) in tx.input.iter().zip(prev_heights.iter_mut()) {
        let sequence = input.sequence.to_consensus_u32();
        if sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG != 0 {
            *prev_height = 0;
            continue;
        }
        let coin_height = *prev_height;
        let value = sequence & SEQUENCE_LOCKTIME_MASK;
        // The "- 1" turns BIP68's first valid height/time into the last invalid one.
        if sequence & SEQUENCE_LOCKTIME_TYPE_FLAG != 0 {
            // Time locks run from the median time past of the block before the
            // one holding the coin: the earliest time that block could have had.
            let ancestor = coin_height.saturating_sub(1).min(block_height.saturating_sub(1));
            let coin_time = median_time_past_of(ancestor);
            let lock = coin_time + (i64::from(value) << SEQUENCE_LOCKTIME_GRANULARITY) - 1;
            locks.time = locks.time.max(lock);
        } else {
            let lock = i64::from(coin_height) + i64::from(value) - 1;
            locks.height = locks.height.max(lock.min(i64::from(i32::MAX)) as i32);
        }
    }
    locks
}

/// Whether a block at `block_height` whose parent has median time past
/// `prev_block_mtp` satisfies `locks` — the reference's `EvaluateSequenceLocks`.
pub fn sequence_locks_satisfied(locks: &LockPoints, block_height: u32, prev_block_mtp: i64) -> bool {
    i64::from(locks.height) < i64::from(block_height) && locks.time < prev_block_mtp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{spend, txout};
    use bitcoin::absolute::LockTime;
    use bitcoin::hashes::Hash;
    use bitcoin::transaction::Version;
    use bitcoin::{OutPoint, Txid};

    fn tx_with(lock_time: u32, sequences: &[u32]) -> Transaction {
        let prevouts: Vec<OutPoint> =
            (0..sequences.len()).map(|i| OutPoint { txid: Txid::from_byte_array([1; 32]), vout: i as u32 }).collect();
        let mut tx = spend(&prevouts, &[txout(1)]);
        tx.lock_time = LockTime::from_consensus(lock_time);
        for (input, sequence) in tx.input.iter_mut().zip(sequences) {
            input.sequence = Sequence(*sequence);
        }
        tx
    }

    #[test]
    fn final_by_height_or_time() {
        assert!(is_final_tx(&tx_with(0, &[0]), 0, 0));
        assert!(is_final_tx(&tx_with(99, &[0]), 100, 0));
        assert!(!is_final_tx(&tx_with(100, &[0]), 100, 0));
        assert!(is_final_tx(&tx_with(100, &[u32::MAX]), 100, 0));
        assert!(!is_final_tx(&tx_with(100, &[u32::MAX, 0]), 100, 0));
        assert!(is_final_tx(&tx_with(LOCK_TIME_THRESHOLD, &[0]), 0, i64::from(LOCK_TIME_THRESHOLD) + 1));
        assert!(!is_final_tx(&tx_with(LOCK_TIME_THRESHOLD, &[0]), u32::MAX, i64::from(LOCK_TIME_THRESHOLD)));
    }

    fn mtp(height: u32) -> i64 {
        1_000_000 + i64::from(height) * 600
    }

    #[test]
    fn height_and_time_locks() {
        let time_lock = SEQUENCE_LOCKTIME_TYPE_FLAG | 2; // 1024 seconds
        let tx = tx_with(0, &[10, time_lock, SEQUENCE_LOCKTIME_DISABLE_FLAG | 500]);
        let mut heights = [100, 50, 70];
        let locks = calculate_sequence_locks(&tx, true, &mut heights, 120, mtp);
        assert_eq!(locks, LockPoints { height: 109, time: mtp(49) + 1024 - 1 });
        assert_eq!(heights, [100, 50, 0]);

        assert!(!sequence_locks_satisfied(&locks, 109, i64::MAX));
        assert!(sequence_locks_satisfied(&locks, 110, mtp(49) + 1024));
        assert!(!sequence_locks_satisfied(&locks, 110, mtp(49) + 1023));
    }

    #[test]
    fn locks_need_bip68_and_version_2() {
        let mut tx = tx_with(0, &[10]);
        assert_eq!(calculate_sequence_locks(&tx, false, &mut [100], 101, mtp), LockPoints::NONE);
        tx.version = Version::ONE;
        assert_eq!(calculate_sequence_locks(&tx, true, &mut [100], 101, mtp), LockPoints::NONE);
        tx.version = Version(-1);
        assert_eq!(calculate_sequence_locks(&tx, true, &mut [100], 101, mtp).height, 109);
        assert!(sequence_locks_satisfied(&LockPoints::NONE, 0, 0));
    }

    #[test]
    fn coin_at_genesis_uses_genesis_time() {
        let tx = tx_with(0, &[SEQUENCE_LOCKTIME_TYPE_FLAG | 1]);
        let locks = calculate_sequence_locks(&tx, true, &mut [0], 5, mtp);
        assert_eq!(locks.time, mtp(0) + 511);
    }
}
