#!/usr/bin/env python3
"""Peer-to-peer benchmarks against real nodes on regtest, the same workload
each run.

Measures, and prints one line per figure:
  sync        a fresh node syncing, over one loopback connection, a chain of
              --blocks blocks of which 200 hold 500 transactions each:
              blocks/s and transactions/s (start until its tip matches)
  wire        bytes received per block during that sync (bytesrecv_per_msg)
  relay       a new block of --relay-txs transactions the receiver's mempool
              already has: bytes on the wire (compact block and any
              getblocktxn answer) against the block's size, and the time from
              mining it to the receiver's tip
  peer_rss    resident memory a connected, idle peer costs the node: RSS
              with --peers handshaken connections minus RSS with none, per peer

Usage: test/bench/p2p_bench.py --daemon build/src/hashvived [--blocks 2000] [--peers 50]
Build with a release profile first (cmake -DCMAKE_BUILD_TYPE=Release, the default).
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "functional"))

from chain_bench import BIG_BLOCKS, TXS_PER_BLOCK, Node, build_big_blocks  # noqa: E402
from test_framework.miniwallet import MiniWallet  # noqa: E402
from test_framework.p2p import P2PInterface  # noqa: E402


def p2p_port(node):
    return int(next(a for a in node.args if a.startswith("-port=")).split("=")[1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--daemon", required=True, help="hashvived or hashvive-node (release build)")
    parser.add_argument("--blocks", type=int, default=2000)
    parser.add_argument("--peers", type=int, default=100)
    parser.add_argument("--relay-txs", type=int, default=500)
    args = parser.parse_args()
    daemon = os.path.abspath(args.daemon)
    root = tempfile.mkdtemp(prefix="hashvive-p2p-bench-")
    try:
        source = Node(daemon, root, "source", extra=("-listen=1", "-bind=127.0.0.1"))
        source.start()
        wallet = MiniWallet(source.rpc)
        wallet.generate(101)
        build_big_blocks(source.rpc, wallet)
        rest = args.blocks - source.rpc.getblockcount()
        if rest > 0:
            source.rpc.generatetoaddress(rest, wallet.address)
        height = source.rpc.getblockcount()
        txs = BIG_BLOCKS * TXS_PER_BLOCK

        fresh = Node(daemon, root, "fresh", extra=(f"-connect=127.0.0.1:{p2p_port(source)}",))
        start = time.perf_counter()
        fresh.start()
        while fresh.rpc.getblockcount() < height:
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        received = sum(p["bytesrecv_per_msg"].get("block", 0) for p in fresh.rpc.getpeerinfo())
        print(f"sync        {height} blocks in {elapsed:.2f} s: {height / elapsed:.0f} blocks/s, "
              f"{txs / elapsed:.0f} transactions/s")
        print(f"wire        {received / height:.0f} bytes received per block ({received} in all)")

        for _ in range(args.relay_txs):
            wallet.send_self_transfer()
        while fresh.rpc.getmempoolinfo()["size"] < args.relay_txs:
            time.sleep(0.01)
        relay_msgs = ("cmpctblock", "blocktxn", "block")

        def relay_bytes():
            return sum(p["bytesrecv_per_msg"].get(m, 0) for p in fresh.rpc.getpeerinfo() for m in relay_msgs)
        before = relay_bytes()
        start = time.perf_counter()
        block = source.rpc.generatetoaddress(1, wallet.address)[0]
        while fresh.rpc.getbestblockhash() != block:
            time.sleep(0.001)
        elapsed = time.perf_counter() - start
        size = len(source.rpc.getblock(block, 0)) // 2
        sent = relay_bytes() - before
        print(f"relay       a block of {args.relay_txs} known transactions ({size} bytes) crossed in {sent} bytes "
              f"({100 * sent / size:.1f}%), tip reached in {elapsed * 1000:.0f} ms")
        fresh.stop()

        source.stop()

        # A node that has done nothing else, so freed memory from the sync
        # does not hide what the peers cost.
        idle = Node(daemon, root, "idle", extra=("-listen=1", "-bind=127.0.0.1"))
        idle.start()
        time.sleep(1)
        before = idle.rss_kib()
        peers = []
        for _ in range(args.peers):
            peer = P2PInterface()
            peer.peer_connect("127.0.0.1", p2p_port(idle))
            peer.send_version()
            peer.wait_for_verack()
            peers.append(peer)
        for peer in peers:
            peer.sync_with_ping()
        after = idle.rss_kib()
        print(f"peer_rss    {(after - before) / args.peers:.1f} KiB per idle peer "
              f"({before} KiB with none, {after} KiB with {args.peers})")
        for peer in peers:
            peer.peer_disconnect()
        idle.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
