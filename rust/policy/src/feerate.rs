//! Fee rates as the reference counts them: satoshis per 1000 virtual bytes.
//!
//! rust-bitcoin's `FeeRate` counts per 1000 weight units, so it cannot hold
//! rates like the reference's default block minimum of 1 sat/kvB, and it
//! rounds fees down where the reference rounds them up.

use std::fmt;

use bitcoin::Amount;

/// The reference's `CFeeRate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeeRate(u64);

impl FeeRate {
    pub const ZERO: FeeRate = FeeRate(0);

    pub const fn from_sat_per_kvb(sat_per_kvb: u64) -> FeeRate {
        FeeRate(sat_per_kvb)
    }

    /// The rate `fee` pays for `vsize` virtual bytes, rounded down; zero for an empty size.
    pub fn from_fee(fee: Amount, vsize: u64) -> FeeRate {
        if vsize == 0 {
            return FeeRate::ZERO;
        }
        let rate = u128::from(fee.to_sat()) * 1000 / u128::from(vsize);
        FeeRate(u64::try_from(rate).unwrap_or(u64::MAX))
    }

    pub const fn to_sat_per_kvb(self) -> u64 {
        self.0
    }

    /// The fee for `vsize` virtual bytes, rounded up (`CFeeRate::GetFee`).
    pub fn fee(self, vsize: u64) -> Amount {
        let fee = (u128::from(self.0) * u128::from(vsize)).div_ceil(1000);
        Amount::from_sat(u64::try_from(fee).unwrap_or(u64::MAX))
    }
}

/// `0.00001000 BTC/kvB`, as the reference's `CFeeRate::ToString` prints it.
impl fmt::Display for FeeRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:08} BTC/kvB", self.0 / 100_000_000, self.0 % 100_000_000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_round_up() {
        let rate = FeeRate::from_sat_per_kvb(1000);
        assert_eq!(rate.fee(250), Amount::from_sat(250));
        assert_eq!(FeeRate::from_sat_per_kvb(1).fee(1), Amount::from_sat(1));
        assert_eq!(FeeRate::from_sat_per_kvb(3000).fee(182), Amount::from_sat(546));
        assert_eq!(FeeRate::from_sat_per_kvb(1001).fee(1000), Amount::from_sat(1001));
        assert_eq!(FeeRate::from_sat_per_kvb(999).fee(1001), Amount::from_sat(1000));
        assert_eq!(FeeRate::ZERO.fee(1_000_000), Amount::ZERO);
        assert_eq!(FeeRate::from_sat_per_kvb(u64::MAX).fee(u64::MAX), Amount::from_sat(u64::MAX));
    }

    #[test]
    fn rate_from_fee_rounds_down() {
        assert_eq!(FeeRate::from_fee(Amount::from_sat(1000), 300), FeeRate::from_sat_per_kvb(3333));
        assert_eq!(FeeRate::from_fee(Amount::from_sat(1000), 0), FeeRate::ZERO);
        assert_eq!(FeeRate::from_sat_per_kvb(100).to_string(), "0.00000100 BTC/kvB");
    }
}
