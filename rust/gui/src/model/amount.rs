//! Amounts as a user types and reads them, in the reference GUI's units.

use hashvive_interfaces::MAX_MONEY;

/// The units the send and receive screens offer (the reference's `BitcoinUnit`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Btc,
    MilliBtc,
    MicroBtc,
    Sat,
}

impl Unit {
    pub const ALL: [Unit; 4] = [Unit::Btc, Unit::MilliBtc, Unit::MicroBtc, Unit::Sat];

    pub fn name(self) -> &'static str {
        match self {
            Unit::Btc => "BTC",
            Unit::MilliBtc => "mBTC",
            Unit::MicroBtc => "µBTC",
            Unit::Sat => "sat",
        }
    }

    pub fn from_name(name: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.name() == name)
    }

    /// Decimal places below one unit.
    pub fn decimals(self) -> u32 {
        match self {
            Unit::Btc => 8,
            Unit::MilliBtc => 5,
            Unit::MicroBtc => 2,
            Unit::Sat => 0,
        }
    }
}

/// Satoshis from what the user typed in `unit`: digits with at most the
/// unit's decimal places, more than zero and no more than all the money
/// there can be.
pub fn parse(text: &str, unit: Unit) -> Result<i64, String> {
    // A unit is 10^decimals satoshis, so its smallest decimal is one.
    match scaled(text, unit.decimals()) {
        Err(Decimal::Invalid) => Err(format!("\"{}\" is not an amount in {}.", text.trim(), unit.name())),
        Err(Decimal::TooPrecise) => Err(format!("{} takes at most {} decimal places.", unit.name(), unit.decimals())),
        Ok(0) => Err("The amount to pay must be larger than 0.".to_string()),
        Ok(sats) if sats <= MAX_MONEY as u64 => Ok(sats as i64),
        Ok(_) | Err(Decimal::TooLarge) => Err("The amount is more than there can ever be.".to_string()),
    }
}

/// Why typed text is not a decimal number.
#[derive(Debug, PartialEq, Eq)]
pub enum Decimal {
    /// Not digits with at most one point.
    Invalid,
    /// More decimal places than allowed.
    TooPrecise,
    TooLarge,
}

/// What the user typed as a whole number of `10^-decimals`: digits, with
/// at most `decimals` of them after one point (either side may be empty).
pub fn scaled(text: &str, decimals: u32) -> Result<u64, Decimal> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !digits(whole) || !digits(fraction) {
        return Err(Decimal::Invalid);
    }
    if fraction.len() > decimals as usize {
        return Err(Decimal::TooPrecise);
    }
    let number = |s: &str| if s.is_empty() { Ok(0) } else { s.parse::<u64>().map_err(|_| Decimal::TooLarge) };
    let fraction = number(fraction)? * 10u64.pow(decimals - fraction.len() as u32);
    number(whole)?.checked_mul(10u64.pow(decimals)).and_then(|w| w.checked_add(fraction)).ok_or(Decimal::TooLarge)
}

/// Satoshis in `unit` with all its decimals and the unit's name: "1.50000000 BTC".
pub fn format(sats: i64, unit: Unit) -> String {
    format!("{} {}", format_plain(sats, unit), unit.name())
}

/// Satoshis in `unit` with all its decimals, no name: what a BIP21 URI carries
/// (in BTC).
pub fn format_plain(sats: i64, unit: Unit) -> String {
    let sign = if sats < 0 { "-" } else { "" };
    let abs = sats.unsigned_abs();
    match unit.decimals() {
        0 => format!("{sign}{abs}"),
        d => {
            let scale = 10u64.pow(d);
            format!("{sign}{}.{:0width$}", abs / scale, abs % scale, width = d as usize)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_amounts_are_read_in_their_unit() {
        assert_eq!(parse("1.5", Unit::Btc), Ok(150_000_000));
        assert_eq!(parse(" .00000001 ", Unit::Btc), Ok(1));
        assert_eq!(parse("2.", Unit::MilliBtc), Ok(200_000));
        assert_eq!(parse("1.25", Unit::MicroBtc), Ok(125));
        assert_eq!(parse("546", Unit::Sat), Ok(546));
        assert_eq!(parse("21000000", Unit::Btc), Ok(MAX_MONEY));
    }

    #[test]
    fn bad_amounts_say_why() {
        assert_eq!(parse("1.000000001", Unit::Btc), Err("BTC takes at most 8 decimal places.".into()));
        assert_eq!(parse("0.5", Unit::Sat), Err("sat takes at most 0 decimal places.".into()));
        assert_eq!(parse("0", Unit::Btc), Err("The amount to pay must be larger than 0.".into()));
        assert_eq!(parse("21000000.00000001", Unit::Btc), Err("The amount is more than there can ever be.".into()));
        assert_eq!(parse("99999999999999999999", Unit::Sat), Err("The amount is more than there can ever be.".into()));
        for bad in ["", ".", "-1", "1e3", "1,5", "1.2.3", "½"] {
            assert!(parse(bad, Unit::Btc).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn amounts_are_written_with_all_of_the_units_decimals() {
        assert_eq!(format(150_000_000, Unit::Btc), "1.50000000 BTC");
        assert_eq!(format(150_000_000, Unit::MilliBtc), "1500.00000 mBTC");
        assert_eq!(format(123, Unit::MicroBtc), "1.23 µBTC");
        assert_eq!(format(-546, Unit::Sat), "-546 sat");
        assert_eq!(Unit::from_name("µBTC"), Some(Unit::MicroBtc));
        assert_eq!(Unit::from_name("bits"), None);
    }
}
