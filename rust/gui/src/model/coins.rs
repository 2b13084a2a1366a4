//! Coin control on the send screen: the wallet's spendable coins as the
//! screen lists them, each named by its outpoint (`txid:vout`), which is
//! how a picked coin comes back.

use bitcoin::hashes::Hash;
use hashvive_interfaces::WalletCoin;
use serde_json::{json, Value};

use super::amount::{self, Unit};

/// The coins as the screen lists them: outpoint, amount in `unit` (and in
/// satoshis, to add up a selection), address, label, confirmations, and
/// whether `lockunspent` keeps it from automatic selection.
pub fn to_json(coins: &[WalletCoin], unit: Unit) -> Value {
    let list: Vec<Value> = coins
        .iter()
        .map(|c| {
            json!({
                "outpoint": outpoint_text(c),
                "amount": amount::format(c.amount, unit),
                "sats": c.amount,
                "address": c.address,
                "label": c.label,
                "confirmations": c.confirmations,
                "locked": c.locked,
            })
        })
        .collect();
    Value::Array(list)
}

fn outpoint_text(coin: &WalletCoin) -> String {
    format!("{}:{}", bitcoin::Txid::from_byte_array(coin.txid), coin.vout)
}

/// A coin the screen names (`txid:vout`) as the wallet's outpoint.
pub fn parse_outpoint(text: &str) -> Result<([u8; 32], u32), String> {
    let not_a_coin = || format!("Not a coin: {text}");
    let (txid, vout) = text.trim().split_once(':').ok_or_else(not_a_coin)?;
    let txid: bitcoin::Txid = txid.parse().map_err(|_| not_a_coin())?;
    let vout = vout.parse().map_err(|_| not_a_coin())?;
    Ok((txid.to_byte_array(), vout))
}

/// What the screen says of the coins picked: how many, and their total.
pub fn selection_text(count: usize, sats: i64, unit: Unit) -> String {
    match count {
        0 => "No coins picked: the wallet chooses them.".into(),
        1 => format!("1 coin picked: {}", amount::format(sats, unit)),
        n => format!("{n} coins picked: {}", amount::format(sats, unit)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coins_are_listed_by_outpoint_and_come_back_so() {
        let coin = WalletCoin {
            txid: [0x11; 32],
            vout: 2,
            amount: 150_000_000,
            address: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080".into(),
            label: "savings".into(),
            confirmations: 3,
            locked: true,
        };
        let listed = to_json(std::slice::from_ref(&coin), Unit::Btc);
        let outpoint = format!("{}:2", "11".repeat(32));
        assert_eq!(listed[0]["outpoint"], outpoint.as_str());
        assert_eq!(listed[0]["amount"], "1.50000000 BTC");
        assert_eq!((listed[0]["sats"].as_i64(), listed[0]["locked"].as_bool()), (Some(150_000_000), Some(true)));
        assert_eq!(parse_outpoint(&outpoint), Ok(([0x11; 32], 2)));
        for bad in ["", "11:2", &format!("{}:x", "11".repeat(32)), &"11".repeat(32)] {
            assert!(parse_outpoint(bad).is_err(), "{bad}");
        }
        assert_eq!(selection_text(0, 0, Unit::Btc), "No coins picked: the wallet chooses them.");
        assert_eq!(selection_text(2, 250_000, Unit::Sat), "2 coins picked: 250000 sat");
    }
}
