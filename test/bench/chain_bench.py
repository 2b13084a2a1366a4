#!/usr/bin/env python3
"""Chain benchmarks against a real node on regtest, the same workload each run.

Measures, and prints one line per figure:
  startup        time from exec to the first answered RPC (cookie auth)
  idle_rss       resident memory of the idle node after start-up
  generate       generatetoaddress of 1000 blocks, blocks/s
  getblock2      getblock <hash> 2 over those 1000 blocks, blocks/s
  connect        200 blocks of 500 transactions each, received by submitblock
                 on a second node, transactions validated per second
  connect_pruned the same on a node with -prune=1 -fastprune (64 KiB block
                 files, so every big block starts a file)
  prune          pruneblockchain on that node down to the last 288 blocks:
                 its time and the block data before and after
  getblockcount  sequential calls/s on one keep-alive connection, and with 8
                 client processes at once

Usage: test/bench/chain_bench.py --daemon build/src/hashvived [--datadir DIR]
Build with a release profile first (cmake -DCMAKE_BUILD_TYPE=Release, the default).
"""

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "functional"))
from test_framework.miniwallet import MiniWallet, Tx, solve  # noqa: E402

BLOCKS = 1000
BIG_BLOCKS = 200
TXS_PER_BLOCK = 500


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rpc:
    """A minimal keep-alive JSON-RPC client: benchmark overhead stays small."""

    def __init__(self, port, cookie_path):
        self.port = port
        self.cookie_path = cookie_path
        self.conn = None
        self.auth = None

    def connect(self):
        with open(self.cookie_path) as f:
            self.auth = "Basic " + base64.b64encode(f.read().strip().encode()).decode()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)

    def call(self, method, *params, path="/"):
        body = json.dumps({"jsonrpc": "1.0", "id": 1, "method": method, "params": list(params)})
        self.conn.request("POST", path, body, {"Authorization": self.auth, "Content-Type": "application/json"})
        reply = json.loads(self.conn.getresponse().read())
        if reply.get("error"):
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def call_wallet(self, wallet, method, *params):
        return self.call(method, *params, path=f"/wallet/{wallet}")

    def __getattr__(self, name):
        return lambda *params: self.call(name, *params)


class Node:
    """A node on `<root>/<name>`, which may hold data from an earlier run."""

    def __init__(self, daemon, root, name, extra=()):
        self.datadir = os.path.join(root, name)
        os.makedirs(self.datadir, exist_ok=True)
        self.port = free_port()
        self.args = [daemon, "-regtest", f"-datadir={self.datadir}", f"-rpcport={self.port}",
                     f"-port={free_port()}", "-listen=0", "-printtoconsole=0", *extra]
        self.process = None
        self.rpc = Rpc(self.port, os.path.join(self.datadir, "regtest", ".cookie"))

    def start(self):
        """Starts the node; returns seconds from exec to the first answered RPC."""
        start = time.perf_counter()
        self.process = subprocess.Popen(self.args, stdout=subprocess.DEVNULL)
        while True:
            try:
                self.rpc.connect()
                self.rpc.getblockcount()
                return time.perf_counter() - start
            except (OSError, RuntimeError, http.client.HTTPException):
                if self.process.poll() is not None:
                    raise RuntimeError("node exited during start-up")
                time.sleep(0.002)

    def rss_kib(self):
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.rpc.stop()
        self.process.wait(timeout=120)


def count_worker(args):
    port, cookie, calls = args
    rpc = Rpc(port, cookie)
    rpc.connect()
    for _ in range(calls):
        rpc.getblockcount()


def fan_out(node, wallet, count):
    """Mines a transaction splitting one of `wallet`'s coins into `count`;
    returns the new coins as (txid, vout, value)."""
    fan = Tx()
    coin = wallet.get_utxo()
    fan.add_input(coin["txid"], coin["vout"], witness=[wallet.witness_script])
    share = (coin["value"] - 100_000) // count
    for _ in range(count):
        fan.add_output(share, wallet.script_pubkey)
    node.generateblock(wallet.address, [fan.hex()])
    return [(fan.txid, n, share) for n in range(count)]


def build_big_blocks(node, wallet):
    """Blocks of TXS_PER_BLOCK one-in one-out transactions, each block spending
    the previous block's outputs; returned as hex, mined on `node`."""
    outputs = fan_out(node, wallet, TXS_PER_BLOCK)
    blocks = []
    for _ in range(BIG_BLOCKS):
        txs, next_outputs = [], []
        for txid, vout, value in outputs:
            tx = Tx()
            tx.add_input(txid, vout, witness=[wallet.witness_script])
            tx.add_output(value - 200, wallet.script_pubkey)
            txs.append(tx.hex())
            next_outputs.append((tx.txid, 0, value - 200))
        block_hash = node.generateblock(wallet.address, txs)["hash"]
        blocks.append(node.getblock(block_hash, 0))
        outputs = next_outputs
    return blocks


def connect(target, small, big, label):
    """Starts `target`, gives it the small blocks, then times the big ones."""
    target.start()
    for raw in small:
        target.rpc.submitblock(raw)
    start = time.perf_counter()
    for raw in big:
        result = target.rpc.submitblock(raw)
        if result is not None:
            raise RuntimeError(f"block refused: {result}")
    elapsed = time.perf_counter() - start
    total = BIG_BLOCKS * TXS_PER_BLOCK
    print(f"{label:<14} {total / elapsed:.0f} tx/s ({BIG_BLOCKS} blocks of {TXS_PER_BLOCK} in {elapsed:.2f} s)")
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--daemon", required=True, help="hashvived or hashvive-node (release build)")
    parser.add_argument("--datadir", help="where to put the nodes' data (default: a temporary directory)")
    options = parser.parse_args()
    root = options.datadir or tempfile.mkdtemp(prefix="hashvive_bench_")
    daemon = os.path.abspath(options.daemon)
    try:
        source = Node(daemon, root, "source")
        startup = source.start()
        time.sleep(2)
        print(f"startup        {startup * 1000:.0f} ms")
        print(f"idle_rss       {source.rss_kib() / 1024:.1f} MiB")

        wallet = MiniWallet(source.rpc)
        start = time.perf_counter()
        hashes = source.rpc.generatetoaddress(BLOCKS, wallet.address)
        elapsed = time.perf_counter() - start
        print(f"generate       {BLOCKS / elapsed:.0f} blocks/s ({elapsed:.2f} s for {BLOCKS})")

        start = time.perf_counter()
        for h in hashes:
            source.rpc.getblock(h, 2)
        elapsed = time.perf_counter() - start
        print(f"getblock2      {BLOCKS / elapsed:.0f} blocks/s")

        wallet.scan_block(hashes[0])
        big = build_big_blocks(source.rpc, wallet)
        small = [source.rpc.getblock(source.rpc.getblockhash(height), 0)
                 for height in range(1, source.rpc.getblockcount() - BIG_BLOCKS + 1)]
        connect(Node(daemon, root, "target"), small, big, "connect").stop()
        pruned = connect(Node(daemon, root, "pruned", ["-prune=1", "-fastprune"]), small, big, "connect_pruned")
        before = pruned.rpc.getblockchaininfo()["size_on_disk"]
        start = time.perf_counter()
        pruned.rpc.pruneblockchain(pruned.rpc.getblockcount())
        elapsed = time.perf_counter() - start
        after = pruned.rpc.getblockchaininfo()["size_on_disk"]
        print(f"prune          {elapsed * 1000:.0f} ms, block data {before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB")
        pruned.stop()

        calls = 20_000
        start = time.perf_counter()
        for _ in range(calls):
            source.rpc.getblockcount()
        elapsed = time.perf_counter() - start
        print(f"getblockcount  {calls / elapsed:.0f} calls/s sequential")
        per_worker = 5_000
        with multiprocessing.Pool(8) as pool:
            start = time.perf_counter()
            pool.map(count_worker, [(source.port, source.rpc.cookie_path, per_worker)] * 8)
            elapsed = time.perf_counter() - start
        print(f"getblockcount  {8 * per_worker / elapsed:.0f} calls/s with 8 clients")
        source.stop()
    finally:
        if not options.datadir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
