//! Looking through old blocks again: `rescanblockchain`, `abortrescan`.

use std::sync::Arc;

use bitcoin::Block;
use serde_json::{json, Value};

use hashvive_rpc::error::codes;
use hashvive_rpc::table::Call;
use hashvive_rpc::{Arg, ArgType, Command, RpcError, RpcTable};

use super::{ensure_unlocked, method, node, request_wallet, selected_wallet};
use crate::manager::WalletManager;

/// Blocks read from the node per call; the wallet is locked per batch only,
/// so other calls (`getwalletinfo`, `abortrescan`) are answered meanwhile.
const BATCH: u32 = 100;

pub(super) fn register(table: &RpcTable, manager: &Arc<WalletManager>) {
    table.register(
        Command::new("rescanblockchain", "wallet", "Rescan the local blockchain for wallet related transactions.\nNote: Use \"getwalletinfo\" to query the scanning progress.\nThe rescan is significantly faster if block filters are available\n(using startup option \"-blockfilterindex=1\").", method(manager, rescanblockchain))
            .arg(Arg::optional("start_height", ArgType::Num, "block height where the rescan should start").default("0"))
            .arg(Arg::optional("stop_height", ArgType::Num, "the last block height that should be scanned. If none is provided it will rescan up to the tip at return time of this call."))
            .result("{                        (json object)\n  \"start_height\" : n,    (numeric) The block height where the rescan started (the requested height or 0)\n  \"stop_height\" : n      (numeric) The height of the last rescanned block. May be null in rare cases if there was a reorg and the call didn't scan any blocks because they were already scanned in the background.\n}")
            .example("hashvive-cli rescanblockchain 100000 120000"),
    );
    table.register(
        Command::new("abortrescan", "wallet", "Stops current wallet rescan triggered by an RPC call, e.g. by a rescanblockchain call.\nNote: Use \"getwalletinfo\" to query the scanning progress.", method(manager, abortrescan))
            .result("true|false    (boolean) Whether the abort was successful")
            .example("hashvive-cli abortrescan"),
    );
}

pub(super) fn busy() -> RpcError {
    RpcError::new(codes::RPC_WALLET_ERROR, "Wallet is currently rescanning. Abort existing rescan or wait.")
}

async fn rescanblockchain(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let (name, shared) = selected_wallet(&m, &call)?;
    if m.scan(&name).is_some() {
        return Err(busy());
    }
    {
        let wallet = request_wallet(&m, &call).await?;
        ensure_unlocked(&wallet)?;
    }
    let tip = m.chain().get_tip().await.map_err(node)?.height;
    let height = |i: usize, what: &str| -> Result<Option<u32>, RpcError> {
        match call.param(i) {
            None => Ok(None),
            Some(v) => v
                .as_i64()
                .filter(|h| (0..=i64::from(tip)).contains(h))
                .map(|h| Some(h as u32))
                .ok_or_else(|| RpcError::invalid_parameter(format!("Invalid {what}"))),
        }
    };
    let start = height(0, "start_height")?.unwrap_or(0);
    let stop = height(1, "stop_height")?;
    if stop.is_some_and(|stop| stop < start) {
        return Err(RpcError::invalid_parameter("stop_height must be greater than start_height"));
    }
    let stop = stop.unwrap_or(tip as u32);
    if m.chain().prune_height().await.map_err(node)?.is_some_and(|pruned| pruned >= start as i32) {
        return Err(RpcError::misc(
            "Can't rescan beyond pruned data. Use RPC call getblockchaininfo to determine your pruned height.",
        ));
    }
    let guard = m.begin_scan(&name, start, stop).ok_or_else(busy)?;
    let last_scanned = rescan(&m, &name, &shared, &guard, start, stop).await?;
    Ok(json!({ "start_height": start, "stop_height": last_scanned }))
}

/// How far before a key's birth time its history is looked for: block
/// times may be two hours off (the reference's `TIMESTAMP_WINDOW`).
pub(super) const TIMESTAMP_WINDOW: i64 = 2 * 60 * 60;

/// The height a rescan for keys born at `time` starts from: before the
/// first block whose median time past reaches `time` less the window, less
/// the eleven blocks a median lags behind the times it is made of (median
/// times only rise, so a binary search finds it).
pub(super) async fn first_block_from(m: &WalletManager, time: u64) -> Result<u32, RpcError> {
    const MEDIAN_SPAN: u32 = 11;
    let threshold = time as i64 - TIMESTAMP_WINDOW;
    let tip = m.chain().get_tip().await.map_err(node)?.height.max(0) as u32;
    let (mut low, mut high) = (0u32, tip + 1);
    while low < high {
        let mid = low + (high - low) / 2;
        let median = match m.chain().get_block_hash(mid as i32).await.map_err(node)? {
            Some(hash) => {
                m.chain().find_block(hash, false).await.map_err(node)?.map_or(i64::MAX, |b| b.median_time_past)
            }
            None => i64::MAX,
        };
        match median >= threshold {
            true => high = mid,
            false => low = mid + 1,
        }
    }
    Ok(low.saturating_sub(MEDIAN_SPAN).min(tip))
}

/// Scans blocks `start..=stop` for wallet `name`'s history; the last
/// height scanned (none if the chain got shorter than `start`).
pub(super) async fn rescan(
    m: &WalletManager,
    name: &str,
    shared: &crate::manager::SharedWallet,
    guard: &crate::manager::ScanGuard,
    start: u32,
    stop: u32,
) -> Result<Option<u32>, RpcError> {
    tracing::info!("[{name}] Rescan started from block {start} to {stop}");
    let mut next = start;
    let mut last_scanned = None;
    while next <= stop {
        if guard.scan.aborted() {
            tracing::info!("[{name}] Rescan aborted at block {next}");
            return Err(RpcError::new(codes::RPC_MISC_ERROR, "Rescan aborted."));
        }
        let blocks = m.chain().read_blocks(next as i32, BATCH.min(stop - next + 1)).await.map_err(node)?;
        if blocks.is_empty() {
            // The chain got shorter meanwhile: what is left is not there to scan.
            break;
        }
        let mut wallet = shared.lock().await;
        for bytes in blocks {
            let block: Block = bitcoin::consensus::deserialize(&bytes)
                .map_err(|e| RpcError::new(codes::RPC_MISC_ERROR, format!("Rescan failed: undecodable block: {e}")))?;
            wallet.add_block_history(&block, next)?;
            last_scanned = Some(next);
            next += 1;
        }
        guard.scan.set_reached(next);
    }
    tracing::info!("[{name}] Rescan completed in {} ms", guard.scan.started.elapsed().as_millis());
    Ok(last_scanned)
}

async fn abortrescan(m: Arc<WalletManager>, call: Call) -> Result<Value, RpcError> {
    let (name, _) = selected_wallet(&m, &call)?;
    Ok(json!(m.scan(&name).is_some_and(|scan| scan.request_abort())))
}
