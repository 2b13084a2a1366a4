#!/usr/bin/env python3
"""Wallet benchmarks, the wallet in the node's process (hashvived) against the
wallet in its own process (hashvive-node spawning hashvive-wallet), on the
same chain and the same wallet file.

Measures, and prints one line per figure and shape:
  sync           a wallet loaded on a chain of --blocks blocks holding --txs
                 payments to it each, caught up with the tip: blocks/s
                 (loadwallet until it answers; every block crosses the
                 process boundary in hashvive-node)
  sendtoaddress  latency of sendtoaddress from a small wallet: mean, median
                 and 95th percentile over --sends calls

Usage: test/bench/wallet_bench.py --bindir build/src [--blocks 2000] [--txs 100]
Build with a release profile first (cmake -DCMAKE_BUILD_TYPE=Release, the default).
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "functional"))
from chain_bench import Node, fan_out  # noqa: E402
from test_framework.miniwallet import MiniWallet, Tx  # noqa: E402

ADDRESSES = 100
PAYMENT = 10_000  # sats per payment to the wallet


def build_chain(node, wallet_scripts, blocks, txs):
    """`blocks` blocks of `txs` transactions, each paying one of the wallet's
    scripts and returning change to a MiniWallet chain of its own."""
    mini = MiniWallet(node.rpc)
    mini.generate(101)
    chains = fan_out(node.rpc, mini, txs)
    for b in range(blocks):
        raw, next_chains = [], []
        for i, (txid, vout, value) in enumerate(chains):
            tx = Tx()
            tx.add_input(txid, vout, witness=[mini.witness_script])
            change = value - PAYMENT - 300
            tx.add_output(change, mini.script_pubkey)
            tx.add_output(PAYMENT, wallet_scripts[(b * txs + i) % len(wallet_scripts)])
            raw.append(tx.hex())
            next_chains.append((tx.txid, 0, change))
        node.rpc.generateblock(mini.address, raw)
        chains = next_chains


def measure(daemon, root, shape, wallet_backup, tip, sends):
    """Loads a fresh copy of the wallet on a copy of `root`/chain with
    `daemon` and times its catch-up; then times sends from a small wallet."""
    shutil.copytree(os.path.join(root, "chain"), os.path.join(root, shape))
    wallet = os.path.join(root, shape, "regtest", "wallets", "w")
    shutil.rmtree(wallet)
    shutil.copytree(wallet_backup, wallet)
    node = Node(daemon, root, shape, extra=["-fallbackfee=0.0002"])
    node.start()
    start = time.perf_counter()
    node.rpc.loadwallet("w")
    elapsed = time.perf_counter() - start
    synced = node.rpc.call_wallet("w", "getbalances")["lastprocessedblock"]["height"]
    assert synced == tip, f"wallet at {synced}, tip {tip}"

    node.rpc.createwallet("s")
    address = node.rpc.call_wallet("s", "getnewaddress")
    node.rpc.generatetoaddress(110, address)
    latencies = []
    for _ in range(sends):
        start = time.perf_counter()
        node.rpc.call_wallet("s", "sendtoaddress", address, 0.001)
        latencies.append(time.perf_counter() - start)
    node.stop()
    return tip / elapsed, elapsed, latencies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True, help="directory with hashvived, hashvive-node, hashvive-wallet")
    parser.add_argument("--blocks", type=int, default=2000)
    parser.add_argument("--txs", type=int, default=100)
    parser.add_argument("--sends", type=int, default=100)
    parser.add_argument("--datadir", help="where to put the data (default: a temporary directory)")
    options = parser.parse_args()
    root = options.datadir or tempfile.mkdtemp(prefix="hashvive_wallet_bench_")
    hashvived = os.path.abspath(os.path.join(options.bindir, "hashvived"))
    hashvive_node = os.path.abspath(os.path.join(options.bindir, "hashvive-node"))
    try:
        build = Node(hashvived, root, "chain")
        build.start()
        build.rpc.createwallet("w")
        scripts = []
        for _ in range(ADDRESSES):
            address = build.rpc.call_wallet("w", "getnewaddress")
            scripts.append(bytes.fromhex(build.rpc.validateaddress(address)["scriptPubKey"]))
        build.rpc.unloadwallet("w")
        backup = os.path.join(root, "w.backup")
        shutil.copytree(os.path.join(build.datadir, "regtest", "wallets", "w"), backup)
        start = time.perf_counter()
        build_chain(build, scripts, options.blocks, options.txs)
        tip = build.rpc.getblockcount()
        print(f"# chain: {tip} blocks, {options.blocks * options.txs} payments to the wallet, "
              f"built in {time.perf_counter() - start:.0f} s")
        build.stop()

        for name, daemon in [("in-process", hashvived), ("hashvive-node", hashvive_node)]:
            rate, elapsed, latencies = measure(daemon, root, name, backup, tip, options.sends)
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95) - 1]
            print(f"sync           {name:14} {rate:.0f} blocks/s ({elapsed:.2f} s for {tip} blocks)")
            print(f"sendtoaddress  {name:14} mean {statistics.mean(latencies) * 1000:.2f} ms, "
                  f"median {statistics.median(latencies) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
    finally:
        if not options.datadir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
