//! Between Cap'n Proto's types and the interfaces' types.

use std::time::Duration;

use hashvive_interfaces::{
    BlockCheckOptions, BlockCreateOptions, BlockRef, BlockWaitOptions, CoinbaseTx, Error, NodeStatus, Payment,
    PaymentFee, PeerSummary, PreparedTransaction, Recipient, RemovalReason, RpcCall, RpcCommand, TransactionKind,
    TransactionState, WalletBalances, WalletCoin, WalletTransaction,
};

use crate::schema::mining_capnp::{block_check_options, block_create_options, block_wait_options, coinbase_tx};
use crate::schema::{chain_capnp, common_capnp, node_capnp, wallet_capnp};

/// An interface error as a Cap'n Proto error the peer will see.
pub(crate) fn to_capnp(e: Error) -> capnp::Error {
    match e {
        Error::Disconnected(msg) => capnp::Error::disconnected(msg),
        Error::Remote(msg) | Error::Unavailable(msg) => capnp::Error::failed(msg),
    }
}

/// A Cap'n Proto error from a call as the caller's interface error.
pub(crate) fn from_capnp(e: capnp::Error) -> Error {
    // capnp-rpc marks errors that crossed the wire; the caller knows that already.
    let message = e.extra.strip_prefix("remote exception: ").map(str::to_string).unwrap_or(e.extra);
    match e.kind {
        capnp::ErrorKind::Disconnected => Error::Disconnected(message),
        _ => Error::Remote(message),
    }
}

/// Milliseconds from a peer as a duration: the reference's interfaces take
/// `MillisecondsDouble`. Negative or NaN is zero, huge is "forever".
pub(crate) fn duration_from_millis(millis: f64) -> Duration {
    if millis.is_nan() || millis <= 0.0 {
        Duration::ZERO
    } else {
        Duration::try_from_secs_f64(millis / 1000.0).unwrap_or(Duration::MAX)
    }
}

/// A duration as the milliseconds the peer expects.
pub(crate) fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// A 32-byte hash from the wire; `what` names it in the error.
pub(crate) fn hash32(data: &[u8], what: &str) -> Result<[u8; 32], capnp::Error> {
    data.try_into().map_err(|_| capnp::Error::failed(format!("{what} must be a 32-byte hash")))
}

/// An outpoint on the wire: the txid, then the output index little-endian.
pub(crate) fn encode_outpoint((txid, vout): &([u8; 32], u32)) -> [u8; 36] {
    let mut bytes = [0; 36];
    bytes[..32].copy_from_slice(txid);
    bytes[32..].copy_from_slice(&vout.to_le_bytes());
    bytes
}

pub(crate) fn decode_outpoint(bytes: &[u8]) -> Result<([u8; 32], u32), capnp::Error> {
    let (Ok(txid), Ok(vout)) = (
        <[u8; 32]>::try_from(bytes.get(..32).unwrap_or_default()),
        <[u8; 4]>::try_from(bytes.get(32..).unwrap_or_default()),
    ) else {
        return Err(capnp::Error::failed(format!("an outpoint is 36 bytes, not {}", bytes.len())));
    };
    Ok((txid, u32::from_le_bytes(vout)))
}

pub(crate) fn write_outpoints(mut list: capnp::data_list::Builder<'_>, outpoints: &[([u8; 32], u32)]) {
    for (i, outpoint) in outpoints.iter().enumerate() {
        list.set(i as u32, &encode_outpoint(outpoint));
    }
}

pub(crate) fn read_outpoints(list: capnp::data_list::Reader<'_>) -> Result<Vec<([u8; 32], u32)>, capnp::Error> {
    list.iter().map(|bytes| decode_outpoint(bytes?)).collect()
}

pub(crate) fn read_create_options(r: block_create_options::Reader<'_>) -> BlockCreateOptions {
    BlockCreateOptions {
        use_mempool: r.get_use_mempool(),
        block_reserved_weight: r.get_block_reserved_weight(),
        coinbase_output_max_additional_sigops: r.get_coinbase_output_max_additional_sigops(),
    }
}

pub(crate) fn write_create_options(mut b: block_create_options::Builder<'_>, options: &BlockCreateOptions) {
    b.set_use_mempool(options.use_mempool);
    b.set_block_reserved_weight(options.block_reserved_weight);
    b.set_coinbase_output_max_additional_sigops(options.coinbase_output_max_additional_sigops);
}

pub(crate) fn read_wait_options(r: block_wait_options::Reader<'_>) -> BlockWaitOptions {
    BlockWaitOptions { timeout: duration_from_millis(r.get_timeout()), fee_threshold: r.get_fee_threshold() }
}

pub(crate) fn write_wait_options(mut b: block_wait_options::Builder<'_>, options: &BlockWaitOptions) {
    b.set_timeout(millis(options.timeout));
    b.set_fee_threshold(options.fee_threshold);
}

pub(crate) fn read_check_options(r: block_check_options::Reader<'_>) -> BlockCheckOptions {
    BlockCheckOptions { check_merkle_root: r.get_check_merkle_root(), check_pow: r.get_check_pow() }
}

pub(crate) fn write_check_options(mut b: block_check_options::Builder<'_>, options: &BlockCheckOptions) {
    b.set_check_merkle_root(options.check_merkle_root);
    b.set_check_pow(options.check_pow);
}

pub(crate) fn read_coinbase_tx(r: coinbase_tx::Reader<'_>) -> Result<CoinbaseTx, capnp::Error> {
    let witness = if r.has_witness() { Some(hash32(r.get_witness()?, "CoinbaseTx.witness")?) } else { None };
    let required_outputs = r.get_required_outputs()?.iter().map(|o| o.map(<[u8]>::to_vec)).collect::<Result<_, _>>()?;
    Ok(CoinbaseTx {
        version: r.get_version(),
        sequence: r.get_sequence(),
        script_sig_prefix: r.get_script_sig_prefix()?.to_vec(),
        witness,
        block_reward_remaining: r.get_block_reward_remaining(),
        required_outputs,
        lock_time: r.get_lock_time(),
    })
}

pub(crate) fn write_coinbase_tx(mut b: coinbase_tx::Builder<'_>, tx: &CoinbaseTx) {
    b.set_version(tx.version);
    b.set_sequence(tx.sequence);
    b.set_script_sig_prefix(&tx.script_sig_prefix);
    if let Some(witness) = &tx.witness {
        b.set_witness(witness);
    }
    b.set_block_reward_remaining(tx.block_reward_remaining);
    let mut outputs = b.reborrow().init_required_outputs(tx.required_outputs.len() as u32);
    for (i, output) in tx.required_outputs.iter().enumerate() {
        outputs.set(i as u32, output);
    }
    b.set_lock_time(tx.lock_time);
}

/// Writes a verdict into results with `result`, `reason` and `debug` fields.
macro_rules! write_verdict {
    ($results:expr, $verdict:expr) => {{
        let mut r = $results;
        r.set_result($verdict.accepted);
        r.set_reason(&$verdict.reason);
        r.set_debug(&$verdict.debug);
    }};
}

/// Reads a verdict from results with `result`, `reason` and `debug` fields.
macro_rules! read_verdict {
    ($results:expr) => {{
        let r = $results;
        Ok::<_, hashvive_interfaces::Error>(hashvive_interfaces::BlockVerdict {
            accepted: r.get_result(),
            reason: crate::client::text(r.get_reason())?,
            debug: crate::client::text(r.get_debug())?,
        })
    }};
}

pub(crate) use {read_verdict, write_verdict};

pub(crate) fn read_block_ref(r: common_capnp::block_ref::Reader<'_>) -> Result<BlockRef, capnp::Error> {
    Ok(BlockRef { hash: hash32(r.get_hash()?, "block hash")?, height: r.get_height() })
}

pub(crate) fn write_block_ref(mut b: common_capnp::block_ref::Builder<'_>, block: &BlockRef) {
    b.set_hash(&block.hash);
    b.set_height(block.height);
}

pub(crate) fn read_removal_reason(r: chain_capnp::RemovalReason) -> RemovalReason {
    match r {
        chain_capnp::RemovalReason::Expiry => RemovalReason::Expiry,
        chain_capnp::RemovalReason::SizeLimit => RemovalReason::SizeLimit,
        chain_capnp::RemovalReason::Reorg => RemovalReason::Reorg,
        chain_capnp::RemovalReason::Block => RemovalReason::Block,
        chain_capnp::RemovalReason::Conflict => RemovalReason::Conflict,
        chain_capnp::RemovalReason::Replaced => RemovalReason::Replaced,
    }
}

pub(crate) fn write_removal_reason(r: RemovalReason) -> chain_capnp::RemovalReason {
    match r {
        RemovalReason::Expiry => chain_capnp::RemovalReason::Expiry,
        RemovalReason::SizeLimit => chain_capnp::RemovalReason::SizeLimit,
        RemovalReason::Reorg => chain_capnp::RemovalReason::Reorg,
        RemovalReason::Block => chain_capnp::RemovalReason::Block,
        RemovalReason::Conflict => chain_capnp::RemovalReason::Conflict,
        RemovalReason::Replaced => chain_capnp::RemovalReason::Replaced,
    }
}

/// Fills a list of texts the results were given room for.
pub(crate) fn write_text_list<'a>(mut list: capnp::text_list::Builder<'_>, items: impl IntoIterator<Item = &'a str>) {
    for (i, item) in items.into_iter().enumerate() {
        list.set(i as u32, item);
    }
}

pub(crate) fn text(r: capnp::Result<capnp::text::Reader<'_>>) -> Result<String, capnp::Error> {
    Ok(r?.to_string()?)
}

pub(crate) fn read_rpc_command(r: chain_capnp::rpc_command::Reader<'_>) -> Result<RpcCommand, capnp::Error> {
    Ok(RpcCommand {
        name: text(r.get_name())?,
        category: text(r.get_category())?,
        signature: text(r.get_signature())?,
        help: text(r.get_help())?,
    })
}

pub(crate) fn write_rpc_command(mut b: chain_capnp::rpc_command::Builder<'_>, command: &RpcCommand) {
    b.set_name(&command.name);
    b.set_category(&command.category);
    b.set_signature(&command.signature);
    b.set_help(&command.help);
}

pub(crate) fn read_rpc_call(r: chain_capnp::rpc_call::Reader<'_>) -> Result<RpcCall, capnp::Error> {
    Ok(RpcCall {
        method: text(r.get_method())?,
        params: text(r.get_params())?,
        uri: text(r.get_uri())?,
        user: text(r.get_user())?,
    })
}

pub(crate) fn write_rpc_call(mut b: chain_capnp::rpc_call::Builder<'_>, call: &RpcCall) {
    b.set_method(&call.method);
    b.set_params(&call.params);
    b.set_uri(&call.uri);
    b.set_user(&call.user);
}

pub(crate) fn read_node_status(r: node_capnp::node_status::Reader<'_>) -> Result<NodeStatus, capnp::Error> {
    Ok(NodeStatus {
        tip: read_block_ref(r.get_tip()?)?,
        tip_time: r.get_tip_time(),
        headers: r.get_headers(),
        initial_block_download: r.get_initial_block_download(),
        connections_in: r.get_connections_in(),
        connections_out: r.get_connections_out(),
        network_active: r.get_network_active(),
        bytes_recv: r.get_bytes_recv(),
        bytes_sent: r.get_bytes_sent(),
        mempool_transactions: r.get_mempool_transactions(),
        mempool_usage: r.get_mempool_usage(),
    })
}

pub(crate) fn write_node_status(mut b: node_capnp::node_status::Builder<'_>, status: &NodeStatus) {
    write_block_ref(b.reborrow().init_tip(), &status.tip);
    b.set_tip_time(status.tip_time);
    b.set_headers(status.headers);
    b.set_initial_block_download(status.initial_block_download);
    b.set_connections_in(status.connections_in);
    b.set_connections_out(status.connections_out);
    b.set_network_active(status.network_active);
    b.set_bytes_recv(status.bytes_recv);
    b.set_bytes_sent(status.bytes_sent);
    b.set_mempool_transactions(status.mempool_transactions);
    b.set_mempool_usage(status.mempool_usage);
}

pub(crate) fn read_peer_summary(r: node_capnp::peer_summary::Reader<'_>) -> Result<PeerSummary, capnp::Error> {
    Ok(PeerSummary {
        id: r.get_id(),
        address: text(r.get_address())?,
        user_agent: text(r.get_user_agent())?,
        inbound: r.get_inbound(),
        connection_type: text(r.get_connection_type())?,
        ping_seconds: r.get_has_ping_seconds().then(|| r.get_ping_seconds()),
        bytes_recv: r.get_bytes_recv(),
        bytes_sent: r.get_bytes_sent(),
        synced_blocks: r.get_synced_blocks(),
        connected_since: r.get_connected_since(),
    })
}

pub(crate) fn write_peer_summary(mut b: node_capnp::peer_summary::Builder<'_>, peer: &PeerSummary) {
    b.set_id(peer.id);
    b.set_address(&peer.address);
    b.set_user_agent(&peer.user_agent);
    b.set_inbound(peer.inbound);
    b.set_connection_type(&peer.connection_type);
    if let Some(ping) = peer.ping_seconds {
        b.set_ping_seconds(ping);
        b.set_has_ping_seconds(true);
    }
    b.set_bytes_recv(peer.bytes_recv);
    b.set_bytes_sent(peer.bytes_sent);
    b.set_synced_blocks(peer.synced_blocks);
    b.set_connected_since(peer.connected_since);
}

pub(crate) fn read_wallet_balances(r: wallet_capnp::wallet_balances::Reader<'_>) -> WalletBalances {
    WalletBalances {
        trusted: r.get_trusted(),
        untrusted_pending: r.get_untrusted_pending(),
        immature: r.get_immature(),
    }
}

pub(crate) fn write_wallet_balances(mut b: wallet_capnp::wallet_balances::Builder<'_>, balances: &WalletBalances) {
    b.set_trusted(balances.trusted);
    b.set_untrusted_pending(balances.untrusted_pending);
    b.set_immature(balances.immature);
}

pub(crate) fn write_payment(mut b: wallet_capnp::payment::Builder<'_>, payment: &Payment) {
    let mut list = b.reborrow().init_recipients(payment.recipients.len() as u32);
    for (i, r) in payment.recipients.iter().enumerate() {
        let mut item = list.reborrow().get(i as u32);
        item.set_address(&r.address);
        item.set_amount(r.amount);
        item.set_subtract_fee(r.subtract_fee);
    }
    let mut fee = b.reborrow().init_fee();
    match payment.fee {
        PaymentFee::WalletDefault => fee.set_wallet_default(()),
        PaymentFee::ConfTarget(blocks) => fee.set_conf_target(blocks),
        PaymentFee::SatPerKvb(rate) => fee.set_sat_per_kvb(rate),
    }
    b.set_replaceable(payment.replaceable);
    write_outpoints(b.init_inputs(payment.inputs.len() as u32), &payment.inputs);
}

pub(crate) fn read_payment(r: wallet_capnp::payment::Reader<'_>) -> Result<Payment, capnp::Error> {
    use wallet_capnp::payment::fee::Which;
    let recipients = r
        .get_recipients()?
        .iter()
        .map(|item| {
            Ok(Recipient {
                address: text(item.get_address())?,
                amount: item.get_amount(),
                subtract_fee: item.get_subtract_fee(),
            })
        })
        .collect::<Result<_, capnp::Error>>()?;
    let fee = match r.get_fee().which()? {
        Which::WalletDefault(()) => PaymentFee::WalletDefault,
        Which::ConfTarget(blocks) => PaymentFee::ConfTarget(blocks),
        Which::SatPerKvb(rate) => PaymentFee::SatPerKvb(rate),
    };
    Ok(Payment { recipients, fee, replaceable: r.get_replaceable(), inputs: read_outpoints(r.get_inputs()?)? })
}

pub(crate) fn write_coins(
    mut list: capnp::struct_list::Builder<'_, wallet_capnp::wallet_coin::Owned>,
    coins: &[WalletCoin],
) {
    for (i, coin) in coins.iter().enumerate() {
        let mut b = list.reborrow().get(i as u32);
        b.set_txid(&coin.txid);
        b.set_vout(coin.vout);
        b.set_amount(coin.amount);
        b.set_address(&coin.address);
        b.set_label(&coin.label);
        b.set_confirmations(coin.confirmations);
        b.set_locked(coin.locked);
    }
}

pub(crate) fn read_coins(
    list: capnp::struct_list::Reader<'_, wallet_capnp::wallet_coin::Owned>,
) -> Result<Vec<WalletCoin>, capnp::Error> {
    list.iter()
        .map(|r| {
            Ok(WalletCoin {
                txid: hash32(r.get_txid()?, "txid")?,
                vout: r.get_vout(),
                amount: r.get_amount(),
                address: text(r.get_address())?,
                label: text(r.get_label())?,
                confirmations: r.get_confirmations(),
                locked: r.get_locked(),
            })
        })
        .collect()
}

pub(crate) fn write_prepared_transaction(
    mut b: wallet_capnp::prepared_transaction::Builder<'_>,
    prepared: &PreparedTransaction,
) {
    b.set_tx(&prepared.tx);
    b.set_fee(prepared.fee);
}

pub(crate) fn read_prepared_transaction(
    r: wallet_capnp::prepared_transaction::Reader<'_>,
) -> Result<PreparedTransaction, capnp::Error> {
    Ok(PreparedTransaction { tx: r.get_tx()?.to_vec(), fee: r.get_fee() })
}

pub(crate) fn write_wallet_transaction(mut b: wallet_capnp::wallet_transaction::Builder<'_>, t: &WalletTransaction) {
    use wallet_capnp::wallet_transaction::{Kind, State};
    b.set_txid(&t.txid);
    b.set_kind(match t.kind {
        TransactionKind::Received => Kind::Received,
        TransactionKind::Sent => Kind::Sent,
        TransactionKind::ToSelf => Kind::ToSelf,
        TransactionKind::Mined => Kind::Mined,
    });
    b.set_address(&t.address);
    b.set_label(&t.label);
    b.set_amount(t.amount);
    b.set_fee(t.fee);
    b.set_time(t.time);
    b.set_height(t.height.and_then(|h| i32::try_from(h).ok()).unwrap_or(-1));
    b.set_state(match t.state {
        TransactionState::Active => State::Active,
        TransactionState::Abandoned => State::Abandoned,
        TransactionState::Conflicted => State::Conflicted,
    });
    b.set_replaceable(t.replaceable);
}

pub(crate) fn read_wallet_transaction(
    r: wallet_capnp::wallet_transaction::Reader<'_>,
) -> Result<WalletTransaction, capnp::Error> {
    use wallet_capnp::wallet_transaction::{Kind, State};
    Ok(WalletTransaction {
        txid: hash32(r.get_txid()?, "txid")?,
        kind: match r.get_kind()? {
            Kind::Received => TransactionKind::Received,
            Kind::Sent => TransactionKind::Sent,
            Kind::ToSelf => TransactionKind::ToSelf,
            Kind::Mined => TransactionKind::Mined,
        },
        address: text(r.get_address())?,
        label: text(r.get_label())?,
        amount: r.get_amount(),
        fee: r.get_fee(),
        time: r.get_time(),
        height: u32::try_from(r.get_height()).ok(),
        state: match r.get_state()? {
            State::Active => TransactionState::Active,
            State::Abandoned => TransactionState::Abandoned,
            State::Conflicted => TransactionState::Conflicted,
        },
        replaceable: r.get_replaceable(),
    })
}

pub(crate) fn write_wallet_transactions(
    mut list: capnp::struct_list::Builder<'_, wallet_capnp::wallet_transaction::Owned>,
    transactions: &[WalletTransaction],
) {
    for (i, t) in transactions.iter().enumerate() {
        write_wallet_transaction(list.reborrow().get(i as u32), t);
    }
}

pub(crate) fn read_wallet_transactions(
    list: capnp::struct_list::Reader<'_, wallet_capnp::wallet_transaction::Owned>,
) -> Result<Vec<WalletTransaction>, capnp::Error> {
    list.iter().map(read_wallet_transaction).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_milliseconds() {
        assert_eq!(duration_from_millis(-1.0), Duration::ZERO);
        assert_eq!(duration_from_millis(f64::NAN), Duration::ZERO);
        assert_eq!(duration_from_millis(1500.0), Duration::from_millis(1500));
        assert_eq!(duration_from_millis(f64::MAX), Duration::MAX);
        assert_eq!(millis(Duration::from_millis(250)), 250.0);
    }

    #[test]
    fn errors_round_trip_by_kind() {
        assert_eq!(from_capnp(to_capnp(Error::Disconnected("x".into()))), Error::Disconnected("x".into()));
        assert_eq!(from_capnp(to_capnp(Error::Remote("y".into()))), Error::Remote("y".into()));
    }
}
