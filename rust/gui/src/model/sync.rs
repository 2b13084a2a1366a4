//! Sync progress as the overview and the status bar show it: blocks and
//! headers, how far behind, blocks left, and an estimate of the time left
//! from the rate the last tips came in.

use std::collections::VecDeque;

use hashvive_interfaces::NodeStatus;

use super::format::nice_time_offset;

/// A tip this much older than the clock counts as behind, as in the reference
/// GUI (`MAX_BLOCK_TIME_GAP`).
const MAX_BLOCK_TIME_GAP: i64 = 90 * 60;
/// How far back the rate for the estimate looks.
const RATE_WINDOW_SECONDS: f64 = 10.0 * 60.0;
/// Samples kept for the rate; older ones fall out first.
const MAX_SAMPLES: usize = 500;

/// What the GUI shows of sync progress.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncView {
    pub blocks: i32,
    pub headers: i32,
    /// Headers known but not yet connected.
    pub blocks_left: i32,
    /// 0.0 to 1.0.
    pub progress: f64,
    pub synced: bool,
    /// "Up to date", "Synchronizing with network…", "Connecting to peers…".
    pub headline: String,
    /// "Processed 120 blocks of transaction history. 3 days behind."
    pub detail: String,
    /// "about 5 minutes", or "unknown" before there is a rate to go by.
    pub time_left: String,
}

/// Turns successive [`NodeStatus`]es into [`SyncView`]s, remembering when
/// each tip came to estimate the time left.
#[derive(Debug, Default)]
pub struct SyncTracker {
    /// (seconds on a monotonic clock, height)
    samples: VecDeque<(f64, i32)>,
}

impl SyncTracker {
    /// `now` is wall-clock seconds since the epoch (to compare with the tip's
    /// time); `monotonic` is seconds on a clock that never jumps (for rates).
    pub fn update(&mut self, status: &NodeStatus, now: i64, monotonic: f64) -> SyncView {
        let blocks = status.tip.height;
        let headers = status.headers.max(blocks);
        let blocks_left = headers - blocks;
        let behind = now - status.tip_time;
        let synced = !status.initial_block_download && behind < MAX_BLOCK_TIME_GAP && blocks_left == 0;

        if self.samples.back().is_none_or(|&(_, h)| h != blocks) {
            self.samples.push_back((monotonic, blocks));
        }
        while self.samples.len() > MAX_SAMPLES
            || self.samples.front().is_some_and(|&(t, _)| monotonic - t > RATE_WINDOW_SECONDS)
        {
            self.samples.pop_front();
        }

        let progress = match (synced, headers) {
            (true, _) => 1.0,
            (false, 0) => 0.0,
            (false, h) => (f64::from(blocks) / f64::from(h)).clamp(0.0, 1.0),
        };
        let headline = if synced {
            "Up to date".to_string()
        } else if status.connections_in + status.connections_out == 0 && blocks_left == 0 {
            "Connecting to peers…".to_string()
        } else {
            "Synchronizing with network…".to_string()
        };
        let mut detail = format!("Processed {blocks} blocks of transaction history.");
        if !synced && behind > 0 {
            detail.push_str(&format!(" {} behind.", nice_time_offset(behind)));
        }
        SyncView {
            blocks,
            headers,
            blocks_left,
            progress,
            synced,
            headline,
            detail,
            time_left: self.time_left(blocks_left, synced),
        }
    }

    fn time_left(&self, blocks_left: i32, synced: bool) -> String {
        if synced || blocks_left == 0 {
            return "none".to_string();
        }
        let (Some(&(t0, h0)), Some(&(t1, h1))) = (self.samples.front(), self.samples.back()) else {
            return "unknown".to_string();
        };
        let rate = f64::from(h1 - h0) / (t1 - t0);
        if !(rate.is_finite() && rate > 0.0) {
            return "unknown".to_string();
        }
        format!("about {}", nice_time_offset((f64::from(blocks_left) / rate).ceil() as i64))
    }
}

#[cfg(test)]
mod tests {
    use hashvive_interfaces::BlockRef;

    use super::*;

    fn status(height: i32, headers: i32, tip_time: i64, ibd: bool) -> NodeStatus {
        NodeStatus {
            tip: BlockRef { hash: [0; 32], height },
            tip_time,
            headers,
            initial_block_download: ibd,
            connections_in: 0,
            connections_out: 1,
            network_active: true,
            bytes_recv: 0,
            bytes_sent: 0,
            mempool_transactions: 0,
            mempool_usage: 0,
        }
    }

    #[test]
    fn a_node_at_a_recent_tip_is_up_to_date() {
        let view = SyncTracker::default().update(&status(200, 200, 1_000_000, false), 1_000_060, 0.0);
        assert!(view.synced);
        assert_eq!(view.progress, 1.0);
        assert_eq!(view.headline, "Up to date");
        assert_eq!(view.detail, "Processed 200 blocks of transaction history.");
        assert_eq!(view.time_left, "none");
    }

    #[test]
    fn a_node_behind_shows_blocks_left_and_an_estimate_from_its_rate() {
        let mut tracker = SyncTracker::default();
        let now = 2_000_000_000;
        let first = tracker.update(&status(100, 1100, now - 3 * 86_400, true), now, 0.0);
        assert!(!first.synced);
        assert_eq!(first.blocks_left, 1000);
        assert_eq!(first.time_left, "unknown");
        assert_eq!(first.detail, "Processed 100 blocks of transaction history. 3 days behind.");
        assert_eq!(first.headline, "Synchronizing with network…");
        // 100 blocks in 10 seconds: 900 left take 90 seconds.
        let later = tracker.update(&status(200, 1100, now - 2 * 86_400, true), now + 10, 10.0);
        assert_eq!(later.blocks_left, 900);
        assert!((later.progress - 200.0 / 1100.0).abs() < 1e-9);
        assert_eq!(later.time_left, "about 1 minute");
    }

    #[test]
    fn an_old_tip_without_peers_is_waiting_for_them() {
        let mut behind = status(0, 0, 1_296_688_602, true);
        behind.connections_out = 0;
        let view = SyncTracker::default().update(&behind, 2_000_000_000, 0.0);
        assert_eq!(view.headline, "Connecting to peers…");
        assert_eq!(view.progress, 0.0);
        assert!(!view.synced);
    }

    #[test]
    fn the_rate_forgets_samples_older_than_its_window() {
        let mut tracker = SyncTracker::default();
        let now = 2_000_000_000;
        tracker.update(&status(0, 10_000, now - 86_400, true), now, 0.0);
        tracker.update(&status(5000, 10_000, now - 3600 * 5, true), now, 1.0);
        // Ten minutes later the quick start is out of the window: the rate is
        // the last 10 blocks over 10 seconds.
        tracker.update(&status(5010, 10_000, now - 3600 * 5, true), now, 1000.0);
        let view = tracker.update(&status(5020, 10_000, now - 3600 * 5, true), now, 1010.0);
        assert_eq!(view.time_left, format!("about {}", nice_time_offset(4980)));
    }
}
