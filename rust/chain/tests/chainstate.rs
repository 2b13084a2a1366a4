//! The chain state end to end on regtest: mining, spending through the
//! mempool, reorganisations, invalid blocks, restarts.

use std::sync::Arc;
use std::time::Duration;

use bitcoin::hashes::{sha256, Hash};
use bitcoin::{
    absolute::LockTime, transaction::Version, Amount, Block, BlockHash, Network, OutPoint, ScriptBuf, Sequence,
    Transaction, TxIn, TxMerkleNode, TxOut, WScriptHash, Witness,
};

use hashvive_chain::mempool::MempoolOptions;
use hashvive_chain::{
    AcceptMode, BlockOutcome, ChainConfig, Chainstate, CoinbaseReserve, PruneMode, RejectKind, MIN_BLOCKS_TO_KEEP,
};
use hashvive_consensus::ChainParams;
use hashvive_policy::PolicyOptions;

fn config(dir: &std::path::Path) -> ChainConfig {
    ChainConfig {
        params: ChainParams::new(Network::Regtest),
        blocks_dir: dir.join("blocks"),
        chainstate_dir: dir.join("chainstate"),
        db_cache_bytes: 4 << 20,
        txindex: true,
        prune: hashvive_chain::PruneMode::Off,
        fast_prune: false,
        mempool: MempoolOptions::defaults(PolicyOptions::default()),
        flush_interval: Duration::from_secs(60),
        script_threads: 2,
    }
}

/// Anyone can spend P2WSH(OP_TRUE) with the script as the only witness item.
fn op_true() -> (ScriptBuf, Witness) {
    let script = ScriptBuf::from(vec![0x51]);
    let spk = ScriptBuf::new_p2wsh(&WScriptHash::from_raw_hash(sha256::Hash::hash(script.as_bytes())));
    let mut witness = Witness::new();
    witness.push(script.as_bytes());
    (spk, witness)
}

fn spend(outpoint: OutPoint, value: Amount, fee: u64) -> Transaction {
    let (spk, witness) = op_true();
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: outpoint,
            script_sig: ScriptBuf::new(),
            sequence: Sequence::ENABLE_RBF_NO_LOCKTIME,
            witness,
        }],
        output: vec![TxOut { value: value - Amount::from_sat(fee), script_pubkey: spk }],
    }
}

fn mine(chain: &Chainstate, n: u32) -> Vec<BlockHash> {
    chain.generate_blocks(&op_true().0, n, &mut 1_000_000).unwrap()
}

fn coinbase_outpoint(chain: &Chainstate, hash: &BlockHash) -> (OutPoint, Amount) {
    let block = chain.read_block(hash).unwrap().unwrap();
    let cb = &block.txdata[0];
    (OutPoint { txid: cb.compute_txid(), vout: 0 }, cb.output[0].value)
}

#[test]
fn mines_spends_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chainstate::open(config(dir.path())).unwrap();
    let hashes = mine(&chain, 101);
    assert_eq!(chain.tip().height, 101);
    let (outpoint, value) = coinbase_outpoint(&chain, &hashes[0]);

    // Coinbase maturity: the block at height 102 may spend coinbases up to height 2, not 3.
    let (young, young_value) = coinbase_outpoint(&chain, &hashes[2]);
    let err = chain.accept_to_mempool(Arc::new(spend(young, young_value, 1000)), AcceptMode::Submit).unwrap_err();
    assert_eq!(err.reason, "bad-txns-premature-spend-of-coinbase");

    let tx = spend(outpoint, value, 1000);
    let txid = tx.compute_txid();
    let accepted = chain.accept_to_mempool(Arc::new(tx.clone()), AcceptMode::Submit).unwrap();
    assert_eq!(accepted.fee, Amount::from_sat(1000));
    let again = chain.accept_to_mempool(Arc::new(tx), AcceptMode::Submit).unwrap_err();
    assert_eq!(again.kind, RejectKind::AlreadyInMempool);

    let block = mine(&chain, 1)[0];
    let mined = chain.read_block(&block).unwrap().unwrap();
    assert_eq!(mined.txdata[1].compute_txid(), txid);
    assert_eq!(mined.txdata[0].output[0].value, Amount::from_sat(50 * 100_000_000 + 1000));
    assert!(chain.with_mempool(|m| m.is_empty()));
    assert!(chain.utxo(&outpoint).unwrap().is_none());
    assert!(chain.utxo(&OutPoint { txid, vout: 0 }).unwrap().is_some());
    assert_eq!(chain.indexed_tx(&txid).unwrap().unwrap().1, block);
    let tip = chain.tip();
    chain.flush().unwrap();
    drop(chain);

    let chain = Chainstate::open(config(dir.path())).unwrap();
    assert_eq!(chain.tip(), tip);
    assert!(chain.utxo(&OutPoint { txid, vout: 0 }).unwrap().is_some());
    assert!(chain.verify_chain(10).unwrap());
}

#[test]
fn reorganises_to_the_most_work_chain_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chainstate::open(config(dir.path())).unwrap();
    let base = mine(&chain, 101);
    let (outpoint, value) = coinbase_outpoint(&chain, &base[0]);
    let tx = spend(outpoint, value, 2000);
    let txid = tx.compute_txid();
    chain.accept_to_mempool(Arc::new(tx), AcceptMode::Submit).unwrap();
    let with_tx = mine(&chain, 1)[0];

    // A competing branch of two blocks from height 101, built on a second node.
    let other_dir = tempfile::tempdir().unwrap();
    let other = Chainstate::open(config(other_dir.path())).unwrap();
    for hash in &base {
        let block = chain.read_block(hash).unwrap().unwrap();
        assert_eq!(other.process_new_block(Arc::new(block)).unwrap().checked, Some(Ok(())));
    }
    let fork = other.generate_blocks(&ScriptBuf::from(vec![0x6a]), 2, &mut 1_000_000).unwrap();
    for hash in &fork {
        let block = other.read_block(hash).unwrap().unwrap();
        chain.process_new_block(Arc::new(block)).unwrap();
    }
    assert_eq!(chain.tip().hash, fork[1]);
    // The transaction went back to the mempool, its input unspent again.
    assert!(chain.with_mempool(|m| m.contains(&txid)));
    assert!(chain.utxo(&outpoint).unwrap().is_some());
    assert!(!chain.block_info(&with_tx).unwrap().active);

    chain.invalidate_block(&fork[0]).unwrap();
    assert_eq!(chain.tip().hash, with_tx);
    assert!(!chain.with_mempool(|m| m.contains(&txid)));
    chain.reconsider_block(&fork[1]).unwrap();
    assert_eq!(chain.tip().hash, fork[1]);
}

#[test]
fn invalid_blocks_are_refused_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chainstate::open(config(dir.path())).unwrap();
    mine(&chain, 1);

    let mut tries = 1_000_000;
    let mut greedy = chain.create_block_template(op_true().0, None).block;
    greedy.txdata[0].output[0].value += Amount::from_sat(1);
    greedy.header.merkle_root = greedy.compute_merkle_root().unwrap();
    assert!(chain.solve(&mut greedy, &mut tries));
    let outcome = chain.process_new_block(Arc::new(greedy.clone())).unwrap();
    assert_eq!(outcome.checked.unwrap().unwrap_err().reason, "bad-cb-amount");
    // Known invalid now: a second submission is a duplicate of an invalid block.
    let again = chain.process_new_block(Arc::new(greedy)).unwrap();
    assert_eq!(again.checked.unwrap().unwrap_err().reason, "duplicate-invalid");

    let mut orphan: Block = chain.create_block_template(op_true().0, None).block;
    orphan.header.prev_blockhash = BlockHash::all_zeros();
    assert!(chain.solve(&mut orphan, &mut tries));
    let outcome = chain.process_new_block(Arc::new(orphan)).unwrap();
    assert_eq!(outcome.checked.unwrap().unwrap_err().reason, "prev-blk-not-found");

    let good = chain.create_block_template(op_true().0, None).block;
    let hash = chain.mine_block(good.clone(), &mut tries).unwrap().unwrap();
    let dup = chain.process_new_block(Arc::new(chain.read_block(&hash).unwrap().unwrap())).unwrap();
    assert_eq!(dup, BlockOutcome { new_block: false, checked: None });
    assert_eq!(chain.tip().height, 2);
}

#[test]
fn templates_leave_the_reserve_free_and_check_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chainstate::open(config(dir.path())).unwrap();
    let hashes = mine(&chain, 101);
    let (outpoint, value) = coinbase_outpoint(&chain, &hashes[0]);
    let tx = spend(outpoint, value, 1000);
    chain.accept_to_mempool(Arc::new(tx.clone()), AcceptMode::Submit).unwrap();
    let found = chain.with_mempool(|m| m.get_by_wtxid(&tx.compute_wtxid()).map(|e| e.txid));
    assert_eq!(found, Some(tx.compute_txid()));

    let full = CoinbaseReserve { weight: 4_000_000, sigops: 400 };
    assert_eq!(chain.create_block_template_with(op_true().0, None, full).block.txdata.len(), 1);
    let template = chain.create_block_template_with(op_true().0, None, CoinbaseReserve::default());
    assert_eq!(template.block.txdata.len(), 2);

    let block = template.block;
    assert_eq!(chain.check_block_template(&block, false, true), Ok(()));
    let mut unsolved = block.clone();
    while hashvive_consensus::pow::check_proof_of_work(unsolved.block_hash(), unsolved.header.bits, chain.params()) {
        unsolved.header.nonce += 1;
    }
    assert_eq!(chain.check_block_template(&unsolved, true, true).unwrap_err().reason, "high-hash");
    let mut bad_root = block.clone();
    bad_root.header.merkle_root = TxMerkleNode::all_zeros();
    assert_eq!(chain.check_block_template(&bad_root, false, true).unwrap_err().reason, "bad-txnmrklroot");
    assert_eq!(chain.check_block_template(&bad_root, false, false), Ok(()));

    mine(&chain, 1);
    let stale = chain.check_block_template(&block, false, true).unwrap_err();
    assert_eq!((stale.reason.as_str(), stale.debug), ("inconclusive-not-best-prevblk", None));
}

#[test]
fn answers_what_peers_ask_for_headers_and_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chainstate::open(config(dir.path())).unwrap();
    let genesis = chain.tip().hash;
    // Enough blocks for a mature coinbase at the end.
    let hashes = mine(&chain, 101);

    // Ten single steps, then doubling, then the genesis block.
    let locator = chain.locator(&hashes[29]);
    let heights: Vec<u32> = locator.iter().map(|h| chain.block_info(h).unwrap().height).collect();
    assert_eq!(heights, [30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 17, 13, 5, 0]);
    assert!(chain.locator(&BlockHash::all_zeros()).is_empty());

    // getheaders: after the first known locator entry, limited, up to stop.
    let after = chain.headers_after(&chain.locator(&hashes[9]), &BlockHash::all_zeros(), 2000);
    assert_eq!(after.len(), 91);
    assert_eq!(after[0].block_hash(), hashes[10]);
    assert_eq!(chain.headers_after(&[BlockHash::all_zeros()], &hashes[1], 2000).len(), 2);
    assert_eq!(chain.headers_after(&[genesis], &BlockHash::all_zeros(), 5).len(), 5);
    assert_eq!(chain.headers_after(&[], &hashes[3], 2000)[0].block_hash(), hashes[3]);

    // A second node learns the headers, then downloads the blocks in a window.
    let other_dir = tempfile::tempdir().unwrap();
    let other = Chainstate::open(config(other_dir.path())).unwrap();
    let headers = chain.headers_after(&other.locator(&genesis), &BlockHash::all_zeros(), 2000);
    assert_eq!(other.process_new_headers(&headers).unwrap(), Ok(()));
    assert_eq!(other.best_header().unwrap().hash, hashes[100]);
    let wanted = other.blocks_to_download(&hashes[29], 8, 100, |_, _| false);
    assert_eq!(wanted, (1..=8).map(|h| (hashes[h - 1], h as u32)).collect::<Vec<_>>());
    let wanted = other.blocks_to_download(&hashes[29], 100, 4, |h, _| *h == hashes[0]);
    assert_eq!(wanted, (2..=5).map(|h| (hashes[h - 1], h as u32)).collect::<Vec<_>>());
    let block = chain.read_block(&hashes[1]).unwrap().unwrap();
    other.process_new_block(Arc::new(block)).unwrap();
    assert_eq!(other.blocks_to_download(&hashes[29], 3, 100, |_, _| false), [(hashes[0], 1), (hashes[2], 3)]);
    // Block 1 is missing: it holds back a window that ends below the target.
    assert_eq!(other.window_blocker(&hashes[29], 3), Some(hashes[0]));
    assert_eq!(other.window_blocker(&hashes[29], 100), None, "the window reaches the target");

    // Submitted transactions are announced to subscribers.
    let mut accepted = chain.subscribe_accepted();
    let (outpoint, value) = coinbase_outpoint(&chain, &hashes[0]);
    let tx = spend(outpoint, value, 1000);
    chain.accept_to_mempool(Arc::new(tx.clone()), AcceptMode::Test).unwrap();
    chain.accept_to_mempool(Arc::new(tx.clone()), AcceptMode::Submit).unwrap();
    assert_eq!(accepted.try_recv().unwrap().wtxid, tx.compute_wtxid());
    assert!(accepted.try_recv().is_err());
}

/// Every change comes out as an event, in the order it happened: mempool
/// additions, confirmations, and a reorganisation's disconnections before its
/// connections, each with its height.
#[test]
fn events_follow_blocks_and_mempool_in_order() {
    use hashvive_chain::{ChainEvent, RemovalReason};

    let dir = tempfile::tempdir().unwrap();
    let chain = Chainstate::open(config(dir.path())).unwrap();
    let base = mine(&chain, 101);
    let (start, mut events) = chain.subscribe_events();
    assert_eq!(start.height, 101);
    let mut next = || events.try_recv().ok();

    let (outpoint, value) = coinbase_outpoint(&chain, &base[0]);
    let tx = spend(outpoint, value, 2000);
    let txid = tx.compute_txid();
    chain.accept_to_mempool(Arc::new(tx), AcceptMode::Submit).unwrap();
    assert!(matches!(next(), Some(ChainEvent::TransactionAdded(t)) if t.compute_txid() == txid));

    let with_tx = mine(&chain, 1)[0];
    assert!(matches!(next(), Some(ChainEvent::BlockConnected { block, height: 102 }) if block.block_hash() == with_tx));
    assert!(matches!(next(),
        Some(ChainEvent::TransactionRemoved { tx, reason: RemovalReason::Block }) if tx.compute_txid() == txid));
    assert!(matches!(next(), Some(ChainEvent::TipUpdated(tip)) if tip.hash == with_tx));
    assert!(next().is_none());

    chain.invalidate_block(&with_tx).unwrap();
    assert!(
        matches!(next(), Some(ChainEvent::BlockDisconnected { block, height: 102 }) if block.block_hash() == with_tx)
    );
    assert!(matches!(next(), Some(ChainEvent::TransactionAdded(t)) if t.compute_txid() == txid));
    assert!(matches!(next(), Some(ChainEvent::TipUpdated(tip)) if tip.height == 101));
    assert!(next().is_none());
}

fn pruning_config(dir: &std::path::Path, prune: PruneMode) -> ChainConfig {
    let mut config = ChainConfig { txindex: false, prune, fast_prune: true, ..config(dir) };
    config.params.prune_after_height = 100;
    config
}

fn block_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("blocks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn manual_pruning_deletes_old_files_and_keeps_the_recent_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chainstate::open(pruning_config(dir.path(), PruneMode::Manual)).unwrap();
    let hashes = mine(&chain, 800);
    assert!(block_files(dir.path()).contains(&"blk00002.dat".to_string()), "fast-prune files fill up");
    assert_eq!(chain.prune_height(), None);

    // Asking for more than the tip less 288 prunes no higher than that.
    let pruned = chain.prune_up_to(800).unwrap().expect("files were pruned");
    assert!((100..=800 - MIN_BLOCKS_TO_KEEP).contains(&pruned), "pruned up to {pruned}");
    assert!(!block_files(dir.path()).contains(&"blk00000.dat".to_string()));
    assert!(!block_files(dir.path()).contains(&"rev00000.dat".to_string()));
    let genesis = chain.block_hash_at(0).unwrap();
    assert_eq!(chain.read_block(&genesis).unwrap(), None);
    let gone = chain.block_info(&hashes[pruned as usize - 1]).unwrap();
    assert!(gone.pruned() && gone.n_tx == 1, "the index keeps what it knew");
    let kept = &hashes[pruned as usize];
    assert!(chain.read_block(kept).unwrap().is_some() && chain.read_undo(kept).unwrap().is_some());
    assert!(chain.verify_chain(1000).unwrap(), "verification stops where the data ends");

    // Blocks still connect, and the state survives a restart.
    mine(&chain, 1);
    drop(chain);
    let chain = Chainstate::open(pruning_config(dir.path(), PruneMode::Manual)).unwrap();
    assert_eq!((chain.tip().height, chain.prune_height()), (801, Some(pruned)));
    drop(chain);
    // Turning pruning off would leave holes nobody refills.
    let unpruned =
        Chainstate::open(ChainConfig { prune: PruneMode::Off, ..pruning_config(dir.path(), PruneMode::Off) });
    assert!(matches!(unpruned, Err(hashvive_chain::ChainError::PrunedBefore)));
}

#[test]
fn automatic_pruning_keeps_data_under_the_target() {
    let dir = tempfile::tempdir().unwrap();
    // A target under the buffer: every file that may go goes.
    let chain = Chainstate::open(pruning_config(dir.path(), PruneMode::Target(1 << 20))).unwrap();
    mine(&chain, 90);
    assert_eq!(chain.prune_height(), None, "nothing goes below the prune-after height");
    mine(&chain, 710);
    let pruned = chain.prune_height().expect("pruned automatically");
    assert!(pruned <= 800 - MIN_BLOCKS_TO_KEEP);
    let lowest_kept = chain.block_hash_at(800 - MIN_BLOCKS_TO_KEEP).unwrap();
    assert!(chain.read_block(&lowest_kept).unwrap().is_some());
    assert!(!block_files(dir.path()).contains(&"blk00000.dat".to_string()));
}

#[test]
fn finds_the_first_block_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let chain = Chainstate::open(config(dir.path())).unwrap();
    mine(&chain, 5);
    let time = |h: u32| i64::from(chain.block_info(&chain.block_hash_at(h).unwrap()).unwrap().header.time);
    assert_eq!(chain.first_height_at_time(0), Some(0));
    assert_eq!(chain.first_height_at_time(time(5) + 1), None);
    // Mined blocks' times never go down here: the first one at the time is the answer.
    let first = chain.first_height_at_time(time(3)).unwrap();
    assert!(time(first) >= time(3) && (first == 0 || time(first - 1) < time(3)));
}
