//! Wall-clock time that tests can pin with `setmocktime` / `-mocktime`.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static MOCK_TIME: AtomicI64 = AtomicI64::new(0);

/// Seconds since the epoch, or the mock time when one is set.
pub fn now() -> i64 {
    match MOCK_TIME.load(Ordering::Relaxed) {
        0 => system_now(),
        t => t,
    }
}

/// Seconds since the epoch by the system clock, never mocked.
pub fn system_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Pins [`now`] to `t` seconds; 0 returns to the system clock.
pub fn set_mock_time(t: i64) {
    MOCK_TIME.store(t, Ordering::Relaxed);
}

pub fn mock_time() -> Option<i64> {
    match MOCK_TIME.load(Ordering::Relaxed) {
        0 => None,
        t => Some(t),
    }
}

/// Formats seconds and microseconds since the epoch as ISO 8601 UTC:
/// `2024-05-01T12:34:56Z`, or `2024-05-01T12:34:56.123456Z` with `micros`.
pub fn format_iso8601(secs: i64, micros: Option<u32>) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    match micros {
        Some(us) => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}.{us:06}Z"),
        None => format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"),
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(format_iso8601(0, None), "1970-01-01T00:00:00Z");
        assert_eq!(format_iso8601(1_296_688_602, None), "2011-02-02T23:16:42Z");
        assert_eq!(format_iso8601(951_782_400, Some(42)), "2000-02-29T00:00:00.000042Z");
        assert_eq!(format_iso8601(-1, None), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn mock_time_pins_now() {
        set_mock_time(1_000);
        assert_eq!(now(), 1_000);
        set_mock_time(0);
        assert!(now() > 1_600_000_000);
    }
}
