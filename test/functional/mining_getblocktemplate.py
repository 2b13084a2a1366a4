#!/usr/bin/env python3
"""getblocktemplate: the BIP22/23 template with the mempool's transactions,
proposals checked without being stored, long polling until the tip moves."""

import threading

from test_framework.miniwallet import MiniWallet, solve
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

RULES = {"rules": ["segwit"]}


class GetBlockTemplateTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        wallet = MiniWallet(node)
        wallet.generate(101)

        self.log.info("the segwit rule is required")
        assert_raises_rpc_error(-8, 'getblocktemplate must be called with the segwit rule set (call with {"rules": ["segwit"]})',
                                node.getblocktemplate)
        assert_raises_rpc_error(-8, "Invalid mode", node.getblocktemplate, {"mode": "other", "rules": ["segwit"]})

        self.log.info("a template on the tip, with the mempool's transactions")
        parent = wallet.send_self_transfer()
        child = wallet.send_self_transfer(utxo=wallet.get_utxo(parent["txid"]))
        tmpl = node.getblocktemplate(RULES)
        assert_equal(tmpl["previousblockhash"], node.getbestblockhash())
        assert_equal(tmpl["height"], 102)
        assert_equal(tmpl["bits"], "207fffff")
        assert_equal(tmpl["rules"], ["csv", "!segwit", "taproot"])
        assert_equal(tmpl["capabilities"], ["proposal"])
        assert_equal(tmpl["mutable"], ["time", "transactions", "prevblock"])
        assert_equal(tmpl["weightlimit"], 4000000)
        txs = tmpl["transactions"]
        assert_equal([t["txid"] for t in txs], [parent["txid"], child["txid"]])
        assert_equal(txs[1]["depends"], [1])
        assert_equal([t["fee"] for t in txs], [parent["fee"], child["fee"]])
        assert_equal(tmpl["coinbasevalue"], 50 * 100_000_000 + parent["fee"] + child["fee"])
        assert tmpl["default_witness_commitment"].startswith("6a24aa21a9ed")
        assert_equal(tmpl["longpollid"][:64], node.getbestblockhash())

        self.log.info("proposals are checked, not stored")
        block = node.generateblock(wallet.address, [parent["txid"], child["txid"]], False)
        assert_equal(node.getblocktemplate({"mode": "proposal", "data": block["hex"], "rules": ["segwit"]}), None)
        assert_equal(node.getblockcount(), 101)
        bad = bytearray.fromhex(block["hex"])
        bad[36] ^= 1
        bad = solve(bad).hex()
        assert_equal(node.getblocktemplate({"mode": "proposal", "data": bad, "rules": ["segwit"]}), "bad-txnmrklroot")
        assert_raises_rpc_error(-22, "Block decode failed", node.getblocktemplate, {"mode": "proposal", "data": "00"})
        assert_equal(node.submitblock(block["hex"]), None)
        assert_equal(node.getblocktemplate({"mode": "proposal", "data": block["hex"], "rules": ["segwit"]}), "duplicate")

        self.log.info("long polling returns once the tip moves")
        tmpl = node.getblocktemplate(RULES)
        result = {}
        poller = threading.Thread(target=lambda: result.update(
            node.rpc._for_path("/").getblocktemplate({"rules": ["segwit"], "longpollid": tmpl["longpollid"]})))
        poller.start()
        new_tip = wallet.generate(1)[0]
        poller.join()
        assert_equal(result["previousblockhash"], new_tip)

        self.log.info("waitforblock and syncwithvalidationinterfacequeue")
        assert_equal(node.waitforblock(new_tip, 1000), {"hash": new_tip, "height": 103})
        assert_equal(node.syncwithvalidationinterfacequeue(), None)


if __name__ == "__main__":
    GetBlockTemplateTest().main()
