#!/usr/bin/env python3
"""estimatesmartfee learns from confirmations: no estimate without data, then
the fee rate that got transactions into the next blocks, never below the
mempool's minimum."""

from decimal import Decimal

from test_framework.miniwallet import MiniWallet
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, assert_raises_rpc_error

RATE = Decimal("0.0005")
PER_BLOCK = 10
BLOCKS = 30


class FeeEstimationTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        wallet = MiniWallet(node)
        wallet.generate(101)

        self.log.info("without data there is no estimate")
        assert_equal(node.estimatesmartfee(2), {"errors": ["Insufficient data or no feerate found"], "blocks": 0})
        assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008", node.estimatesmartfee, 1009)
        assert_raises_rpc_error(-8, "Invalid estimate_mode parameter", node.estimatesmartfee, 2, "cheap")

        self.log.info(f"{BLOCKS} blocks of {PER_BLOCK} transactions paying {RATE} BTC/kvB, each confirmed in the next block")
        fan = wallet.send_self_transfer(fee_rate=RATE, outputs=PER_BLOCK)
        wallet.generate(1)
        coins = [{"txid": fan["txid"], "vout": n, "value": sats} for n, (sats, _) in enumerate(fan["tx"].outputs)]
        for _ in range(BLOCKS):
            next_coins = []
            for coin in coins:
                tx, _, _ = wallet.create_self_transfer(fee_rate=RATE, utxo=coin)
                node.sendrawtransaction(tx.hex())
                next_coins.append({"txid": tx.txid, "vout": 0, "value": tx.outputs[0][0]})
            node.generatetoaddress(1, wallet.address)
            coins = next_coins

        self.log.info("the estimate is the rate that confirmed")
        for mode in ["economical", "conservative"]:
            estimate = node.estimatesmartfee(2, mode)
            assert_equal(estimate["blocks"], 2)
            assert_greater_than_or_equal(estimate["feerate"], RATE)
            assert estimate["feerate"] < RATE * Decimal("1.05"), estimate
        assert_greater_than_or_equal(node.estimatesmartfee(1)["feerate"], node.getmempoolinfo()["mempoolminfee"])


if __name__ == "__main__":
    FeeEstimationTest().main()
