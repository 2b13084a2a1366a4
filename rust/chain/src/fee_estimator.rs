//! Fee estimation from what the node saw confirm (`estimatesmartfee`).
//!
//! The reference's method, kept to one time horizon: every transaction that
//! enters the mempool is filed in a fee-rate bucket (buckets 5% apart) with
//! the height it arrived at. When a block confirms it, each target from "the
//! blocks it took" up counts one success in that bucket. Counts decay every
//! block, so recent behaviour weighs most. An estimate for a target walks the
//! buckets from the highest fee rate down, grouping buckets until they hold
//! enough data, and keeps going while the share confirmed within the target
//! (transactions still waiting longer than the target count as failures) stays
//! above the threshold; the answer is the average fee rate of the last group
//! that passed.

use std::collections::HashMap;

use bitcoin::Txid;
use hashvive_policy::FeeRate;

/// Highest target answered.
pub const MAX_TARGET: u32 = 1008;
/// How much each block's counts keep of the past (a half-life of about 350 blocks).
const DECAY: f64 = 0.998;
/// Buckets are this factor apart, from 1 sat/vB up.
const SPACING: f64 = 1.05;
const MIN_BUCKET: f64 = 1000.0;
const MAX_BUCKET: f64 = 1e7;
/// Transactions a bucket group needs (decayed) before its success rate means anything.
const SUFFICIENT_TXS: f64 = 0.1 / (1.0 - DECAY);
const ECONOMICAL_THRESHOLD: f64 = 0.85;
const CONSERVATIVE_THRESHOLD: f64 = 0.95;

pub struct FeeEstimator {
    /// Upper bounds of the buckets, sat/kvB.
    bounds: Vec<f64>,
    /// Per bucket: transactions seen confirm (decayed), and the sum of their fee rates.
    tx_count: Vec<f64>,
    fee_sum: Vec<f64>,
    /// `confirmed[t - 1][b]`: transactions of bucket `b` that took exactly `t`
    /// blocks (summed up to a target when estimating, so recording stays cheap).
    confirmed: Vec<Vec<f64>>,
    /// Transactions in the mempool: bucket and arrival height.
    pending: HashMap<Txid, (usize, u32)>,
    /// Decay is applied lazily: true counts are the stored ones times `scale`,
    /// so a block costs one multiplication instead of one per counter.
    scale: f64,
}

impl Default for FeeEstimator {
    fn default() -> Self {
        let mut bounds = Vec::new();
        let mut b = MIN_BUCKET;
        while b <= MAX_BUCKET {
            bounds.push(b);
            b *= SPACING;
        }
        bounds.push(f64::INFINITY);
        let n = bounds.len();
        FeeEstimator {
            bounds,
            tx_count: vec![0.0; n],
            fee_sum: vec![0.0; n],
            confirmed: vec![vec![0.0; n]; MAX_TARGET as usize],
            pending: HashMap::new(),
            scale: 1.0,
        }
    }
}

impl FeeEstimator {
    fn bucket(&self, rate: FeeRate) -> usize {
        let rate = rate.to_sat_per_kvb() as f64;
        self.bounds.partition_point(|bound| *bound < rate)
    }

    /// A transaction entered the mempool at chain height `height`.
    pub fn track(&mut self, txid: Txid, rate: FeeRate, height: u32) {
        let bucket = self.bucket(rate);
        self.pending.insert(txid, (bucket, height));
    }

    /// Drops transactions that left the mempool without confirming (replaced,
    /// evicted, expired): they are neither successes nor waiting any more.
    pub fn retain_pending(&mut self, mut in_mempool: impl FnMut(&Txid) -> bool) {
        self.pending.retain(|txid, _| in_mempool(txid));
    }

    /// A block at `height` confirmed these transactions (with their fee rates).
    pub fn block_connected(&mut self, height: u32, confirmed: impl IntoIterator<Item = (Txid, FeeRate)>) {
        self.scale *= DECAY;
        if self.scale < 1e-100 {
            // Fold the scale into the counters before it underflows.
            let scale = std::mem::replace(&mut self.scale, 1.0);
            for counts in self.confirmed.iter_mut().chain([&mut self.tx_count, &mut self.fee_sum]) {
                counts.iter_mut().for_each(|c| *c *= scale);
            }
        }
        let one = 1.0 / self.scale;
        for (txid, rate) in confirmed {
            let Some((bucket, entered)) = self.pending.remove(&txid) else { continue };
            // Counted from the block after it arrived: one block is the best case.
            let blocks = height.saturating_sub(entered).max(1);
            if blocks > MAX_TARGET {
                continue;
            }
            self.tx_count[bucket] += one;
            self.fee_sum[bucket] += one * rate.to_sat_per_kvb() as f64;
            self.confirmed[blocks as usize - 1][bucket] += one;
        }
    }

    /// The fee rate that confirmed within `target` blocks often enough, if the
    /// data say so; `tip` is the current height (for waiting transactions).
    pub fn estimate(&self, target: u32, conservative: bool, tip: u32) -> Option<FeeRate> {
        let target = target.clamp(1, MAX_TARGET);
        let threshold = if conservative { CONSERVATIVE_THRESHOLD } else { ECONOMICAL_THRESHOLD };
        let mut waiting = vec![0.0; self.bounds.len()];
        for (bucket, entered) in self.pending.values() {
            if tip.saturating_sub(*entered) >= target {
                waiting[*bucket] += 1.0;
            }
        }
        let mut confirmed = vec![0.0; self.bounds.len()];
        for took in &self.confirmed[..target as usize] {
            confirmed.iter_mut().zip(took).for_each(|(sum, n)| *sum += n);
        }
        let mut best = None;
        let (mut txs, mut ok, mut failed, mut fees) = (0.0, 0.0, 0.0, 0.0);
        for bucket in (0..self.bounds.len()).rev() {
            txs += self.tx_count[bucket] * self.scale;
            ok += confirmed[bucket] * self.scale;
            failed += waiting[bucket];
            fees += self.fee_sum[bucket] * self.scale;
            if txs + failed < SUFFICIENT_TXS {
                continue;
            }
            if ok / (txs + failed) < threshold {
                break;
            }
            best = Some(fees / txs);
            (txs, ok, failed, fees) = (0.0, 0.0, 0.0, 0.0);
        }
        best.map(|rate| FeeRate::from_sat_per_kvb(rate.round() as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    fn txid(n: u32) -> Txid {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&n.to_le_bytes());
        Txid::from_byte_array(bytes)
    }

    #[test]
    fn no_data_no_estimate() {
        assert_eq!(FeeEstimator::default().estimate(6, false, 100), None);
    }

    #[test]
    fn high_fees_confirm_fast_low_fees_wait() {
        let mut est = FeeEstimator::default();
        let (high, low) = (FeeRate::from_sat_per_kvb(20_000), FeeRate::from_sat_per_kvb(2_000));
        let mut n = 0;
        for height in 1..=200u32 {
            // Each block: 10 high-fee transactions arrive and confirm in the next block;
            // 10 low-fee ones arrive and never confirm.
            let arrivals: Vec<Txid> = (0..10)
                .map(|_| {
                    n += 1;
                    txid(n)
                })
                .collect();
            for t in &arrivals {
                est.track(*t, high, height);
            }
            for _ in 0..10 {
                n += 1;
                est.track(txid(n), low, height);
            }
            est.block_connected(height + 1, arrivals.iter().map(|t| (*t, high)));
        }
        let rate = est.estimate(2, false, 201).unwrap();
        assert_eq!(rate, high);
        // Nothing of the low bucket confirms, so it never drags the estimate down.
        assert_eq!(est.estimate(50, true, 201), Some(high));
        est.retain_pending(|_| false);
        assert_eq!(est.estimate(50, true, 201), Some(high));
    }
}
