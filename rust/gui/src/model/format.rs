//! How numbers read on screen: durations, byte counts and ping times in the
//! reference GUI's wording, so users of either see the same thing.

/// "5 minutes", "3 days", "1 year and 2 weeks": how far behind the tip is, or
/// how long until synced, the reference GUI's `formatNiceTimeOffset`.
pub fn nice_time_offset(seconds: i64) -> String {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const WEEK: i64 = 7 * DAY;
    const YEAR: i64 = 31_556_952; // the average Gregorian year
    let seconds = seconds.max(0);
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    if seconds < MINUTE {
        plural(seconds, "second")
    } else if seconds < 2 * HOUR {
        plural(seconds / MINUTE, "minute")
    } else if seconds < 2 * DAY {
        plural(seconds / HOUR, "hour")
    } else if seconds < 2 * WEEK {
        plural(seconds / DAY, "day")
    } else if seconds < YEAR {
        plural(seconds / WEEK, "week")
    } else {
        let years = seconds / YEAR;
        let weeks = (seconds % YEAR) / WEEK;
        format!("{} and {}", plural(years, "year"), plural(weeks, "week"))
    }
}

/// "512 B", "12 KB", "3 MB", "2 GB": traffic counters, with the reference's
/// 1024 steps and unit names.
pub fn bytes(count: u64) -> String {
    const KB: u64 = 1024;
    if count < KB {
        format!("{count} B")
    } else if count < KB * KB {
        format!("{} KB", count / KB)
    } else if count < KB * KB * KB {
        format!("{} MB", count / (KB * KB))
    } else {
        format!("{} GB", count / (KB * KB * KB))
    }
}

/// "1.50000000 BTC": an amount in satoshis as the reference GUI writes one
/// in its default unit, all eight decimals shown.
pub fn btc(sats: i64) -> String {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    format!("{sign}{}.{:08} BTC", abs / 100_000_000, abs % 100_000_000)
}

/// "23 ms", or "N/A" before the first pong.
pub fn ping(seconds: Option<f64>) -> String {
    match seconds {
        Some(s) if s.is_finite() && s >= 0.0 => format!("{} ms", (s * 1000.0).round() as u64),
        _ => "N/A".to_string(),
    }
}

/// "1 day, 2 hours", "3 minutes": how long a peer has been connected.
pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60);
    let part = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    match (days, hours, minutes) {
        (0, 0, 0) => part(seconds, "second"),
        (0, 0, m) => part(m, "minute"),
        (0, h, m) => format!("{}, {}", part(h, "hour"), part(m, "minute")),
        (d, h, _) => format!("{}, {}", part(d, "day"), part(h, "hour")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_offsets_read_as_the_reference_gui_writes_them() {
        assert_eq!(nice_time_offset(1), "1 second");
        assert_eq!(nice_time_offset(59), "59 seconds");
        assert_eq!(nice_time_offset(119 * 60), "119 minutes");
        assert_eq!(nice_time_offset(2 * 3600), "2 hours");
        assert_eq!(nice_time_offset(3 * 86_400), "3 days");
        assert_eq!(nice_time_offset(20 * 86_400), "2 weeks");
        assert_eq!(nice_time_offset(31_556_952 + 3 * 7 * 86_400), "1 year and 3 weeks");
        assert_eq!(nice_time_offset(-5), "0 seconds");
    }

    #[test]
    fn amounts_show_every_decimal_in_btc() {
        assert_eq!(btc(0), "0.00000000 BTC");
        assert_eq!(btc(1), "0.00000001 BTC");
        assert_eq!(btc(5_000_000_000), "50.00000000 BTC");
        assert_eq!(btc(-150_000_000), "-1.50000000 BTC");
        assert_eq!(btc(2_100_000_000_000_000), "21000000.00000000 BTC");
    }

    #[test]
    fn byte_counts_use_1024_steps() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1 KB");
        assert_eq!(bytes(5 * 1024 * 1024 + 1), "5 MB");
        assert_eq!(bytes(3 << 30), "3 GB");
    }

    #[test]
    fn pings_and_durations() {
        assert_eq!(ping(Some(0.0234)), "23 ms");
        assert_eq!(ping(None), "N/A");
        assert_eq!(ping(Some(f64::NAN)), "N/A");
        assert_eq!(duration(42), "42 seconds");
        assert_eq!(duration(61), "1 minute");
        assert_eq!(duration(3 * 3600 + 120), "3 hours, 2 minutes");
        assert_eq!(duration(86_400 + 3600), "1 day, 1 hour");
    }
}
