#!/usr/bin/env python3
"""Blockchain RPCs over a mined regtest chain: headers, blocks at each
verbosity, chain and block statistics, the UTXO set, waiting for blocks,
and transaction lookup with and without -txindex."""

import threading
from decimal import Decimal

from test_framework.miniwallet import MiniWallet
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than, assert_raises_rpc_error


class BlockchainTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 2
        self.extra_args = [["-txindex"], []]

    def run_test(self):
        node, plain = self.nodes
        wallet = MiniWallet(node)
        wallet.generate(120)
        sent = wallet.send_self_transfer()
        tip = wallet.generate(1)[0]
        for height in range(1, 122):
            plain.submitblock(node.getblock(node.getblockhash(height), 0))

        self.log.info("getblockchaininfo")
        info = node.getblockchaininfo()
        assert_equal(info["chain"], "regtest")
        assert_equal((info["blocks"], info["headers"], info["bestblockhash"]), (121, 121, tip))
        assert_equal(info["bits"], "207fffff")
        assert_equal(info["chainwork"], "%064x" % (122 * 2))
        assert_equal(info["pruned"], False)
        assert_greater_than(info["size_on_disk"], 0)
        assert_equal(info["warnings"], [])

        self.log.info("getblockheader and getblockhash")
        header = node.getblockheader(tip)
        assert_equal(header["height"], 121)
        assert_equal(header["confirmations"], 1)
        assert_equal(header["nTx"], 2)
        assert_equal(header["previousblockhash"], node.getblockhash(120))
        assert "nextblockhash" not in header
        assert_equal(node.getblockheader(node.getblockhash(120))["nextblockhash"], tip)
        assert_equal(len(node.getblockheader(tip, False)), 160)
        assert_raises_rpc_error(-8, "Block height out of range", node.getblockhash, 122)
        assert_raises_rpc_error(-8, "Block height out of range", node.getblockhash, -1)
        assert_raises_rpc_error(-5, "Block not found", node.getblockheader, "00" * 32)
        assert_raises_rpc_error(-8, "blockhash must be hexadecimal string (not '" + "zz" * 32 + "')", node.getblockheader, "zz" * 32)
        assert_equal(node.getdifficulty(), Decimal("4.656542373906925E-10"))

        self.log.info("getblock at each verbosity")
        raw = node.getblock(tip, 0)
        one = node.getblock(tip, 1)
        assert_equal(one["tx"], [node.getblock(tip, 2)["tx"][0]["txid"], sent["txid"]])
        assert_equal(one["size"], len(raw) // 2)
        assert_equal(node.getblock(tip, True)["hash"], tip)
        two = node.getblock(tip, 2)
        assert_equal(two["tx"][1]["fee"], Decimal(sent["fee"]) / 100_000_000)
        assert "prevout" not in two["tx"][1]["vin"][0]
        three = node.getblock(tip, 3)
        prevout = three["tx"][1]["vin"][0]["prevout"]
        assert_equal(prevout["scriptPubKey"]["address"], wallet.address)
        assert_equal(prevout["generated"], True)

        self.log.info("gettxout and gettxoutsetinfo")
        out = node.gettxout(sent["txid"], 0)
        assert_equal(out["confirmations"], 1)
        assert_equal(out["coinbase"], False)
        assert_equal(out["scriptPubKey"]["address"], wallet.address)
        assert_equal(node.gettxout(sent["txid"], 5), None)
        stats = node.gettxoutsetinfo()
        assert_equal((stats["height"], stats["bestblock"]), (121, tip))
        assert_equal(stats, plain.gettxoutsetinfo() | {"disk_size": stats["disk_size"]})
        assert_raises_rpc_error(-8, "'x' is not a valid hash_type", node.gettxoutsetinfo, "x")

        self.log.info("scantxoutset finds the wallet's coins")
        scan = node.scantxoutset("start", [f"addr({wallet.address})"])
        assert_equal(scan["success"], True)
        assert_equal((scan["height"], scan["bestblock"]), (121, tip))
        assert_equal(scan["txouts"], len(scan["unspents"]))
        assert {"txid": sent["txid"], "vout": 0} in [{"txid": u["txid"], "vout": u["vout"]} for u in scan["unspents"]]
        assert_equal(scan["total_amount"], sum(u["amount"] for u in scan["unspents"]))
        assert_equal(node.scantxoutset("start", [{"desc": f"raw({wallet.script_pubkey.hex()})"}])["txouts"], scan["txouts"])
        assert_equal(node.scantxoutset("status"), None)
        assert_equal(node.scantxoutset("abort"), False)
        assert_raises_rpc_error(-8, "Invalid action 'go'", node.scantxoutset, "go")
        assert_raises_rpc_error(-8, "scanobjects argument is required for the start action", node.scantxoutset, "start")

        self.log.info("getchaintxstats and getblockstats")
        txstats = node.getchaintxstats()
        assert_equal(txstats["txcount"], 123)
        assert_equal(txstats["window_final_block_hash"], tip)
        bstats = node.getblockstats(121)
        assert_equal(bstats["txs"], 2)
        assert_equal(bstats["totalfee"], sent["fee"])
        assert_equal(bstats["blockhash"], tip)
        assert_equal(node.getblockstats(tip, ["txs", "height"]), {"txs": 2, "height": 121})
        assert_raises_rpc_error(-8, "Target block height 200 after current tip 121", node.getblockstats, 200)
        assert_raises_rpc_error(-8, "Invalid selected statistic 'nope'", node.getblockstats, 1, ["nope"])

        self.log.info("getrawtransaction: mempool always, blocks with -txindex or a block hash")
        assert_equal(node.getrawtransaction(sent["txid"]), sent["tx"].hex())
        verbose = node.getrawtransaction(sent["txid"], 1)
        assert_equal((verbose["blockhash"], verbose["confirmations"]), (tip, 1))
        assert_equal(node.getrawtransaction(sent["txid"], 2)["fee"], Decimal(sent["fee"]) / 100_000_000)
        assert_raises_rpc_error(-5, "No such mempool transaction. Use -txindex or provide a block hash", plain.getrawtransaction, sent["txid"])
        in_block = plain.getrawtransaction(sent["txid"], 1, tip)
        assert_equal(in_block["in_active_chain"], True)
        assert_equal(node.getindexinfo(), {"txindex": {"synced": True, "best_block_height": 121}})
        assert_equal(plain.getindexinfo(), {})
        genesis_cb = node.getblock(node.getblockhash(0))["tx"][0]
        assert_raises_rpc_error(-5, "The genesis block coinbase is not considered an ordinary transaction", node.getrawtransaction, genesis_cb)

        self.log.info("waiting for blocks")
        assert_equal(node.waitfornewblock(10), {"hash": tip, "height": 121})
        assert_equal(node.waitforblockheight(100, 10), {"hash": tip, "height": 121})
        result = {}
        waiter = threading.Thread(target=lambda: result.update(node.rpc._for_path("/").waitforblockheight(122)))
        waiter.start()
        new = wallet.generate(1)[0]
        waiter.join()
        assert_equal(result, {"hash": new, "height": 122})

        self.log.info("errors and fixed answers")
        assert_raises_rpc_error(-1, "Cannot prune blocks because node is not in prune mode.", node.pruneblockchain, 10)
        assert_equal(node.verifychain(), True)
        assert_equal(node.estimatesmartfee(6)["errors"], ["Insufficient data or no feerate found"])
        assert_raises_rpc_error(-8, "Invalid conf_target, must be between 1 and 1008", node.estimatesmartfee, 0)

        self.log.info("-txindex builds itself for blocks connected before it was turned on")
        self.restart_node(1, ["-txindex"])
        assert_equal(plain.getrawtransaction(sent["txid"], 1)["blockhash"], tip)


if __name__ == "__main__":
    BlockchainTest().main()
