#!/usr/bin/env python3
"""Crash safety: a node killed with SIGKILL while it mines restarts on a
consistent chain (it may lose the last blocks, never its footing), and keeps
mining from there. Repeated, to hit different moments."""

import threading

from test_framework.miniwallet import MiniWallet
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal

ROUNDS = 5


class CrashRestartTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.rpc_timeout = 120

    def mine_in_background(self, node, address, stop):
        def run():
            while not stop.is_set():
                try:
                    node.generatetoaddress(25, address)
                except Exception:
                    return  # the node went away under us: expected
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def run_test(self):
        node = self.nodes[0]
        wallet = MiniWallet(node)
        wallet.generate(101)
        durable = node.getblockcount()
        for round_ in range(ROUNDS):
            self.log.info(f"round {round_}: kill -9 while mining from height {node.getblockcount()}")
            start = node.getblockcount()
            stop = threading.Event()
            # A fresh RPC connection for the miner: the test's own stays usable.
            miner_rpc = node.rpc._for_path("/")
            thread = self.mine_in_background(miner_rpc, wallet.address, stop)
            self.wait_until(lambda: node.getblockcount() >= start + 30 + 10 * round_)
            node.kill_process()
            stop.set()
            thread.join()

            self.start_node(0)
            height = node.getblockcount()
            self.log.info(f"restarted at height {height}")
            assert_greater_than_or_equal(height, durable)
            tip = node.getbestblockhash()
            assert_equal(node.getblockhash(height), tip)
            assert_equal(node.verifychain(4, 0), True)
            info = node.gettxoutsetinfo()
            assert_equal(info["height"], height)
            assert_equal(info["bestblock"], tip)
            # Every block's coinbase pays 50 BTC or less, and nothing else creates coins.
            assert info["total_amount"] <= 50 * height
            assert_equal(node.getblockheader(tip)["confirmations"], 1)
            # Mining continues on top of whatever survived.
            wallet.generate(2)
            assert_equal(node.getblockcount(), height + 2)
            node.stop_node()
            node.wait_until_stopped()
            self.start_node(0)
            assert_equal(node.getblockcount(), height + 2)
            durable = height + 2


if __name__ == "__main__":
    CrashRestartTest().main()
