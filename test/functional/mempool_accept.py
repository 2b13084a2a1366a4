#!/usr/bin/env python3
"""Mempool acceptance through sendrawtransaction and testmempoolaccept: the
reference's reject reasons, chains of unconfirmed transactions and their
limits, replacement, prioritisetransaction, and the mempool RPCs."""

from decimal import Decimal

from test_framework.miniwallet import COIN, SEQUENCE_FINAL, MiniWallet, Tx
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error


class MempoolAcceptTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def check(self, node, tx, allowed, reason=None):
        [result] = node.testmempoolaccept([tx.hex()])
        assert_equal(result["txid"], tx.txid)
        assert_equal(result["allowed"], allowed)
        if reason is not None:
            assert_equal(result["reject-reason"], reason)
        return result

    def run_test(self):
        node = self.nodes[0]
        wallet = MiniWallet(node)
        wallet.generate(120)
        info = node.getmempoolinfo()
        assert_equal((info["loaded"], info["size"], info["bytes"]), (True, 0, 0))

        self.log.info("testmempoolaccept reports what sendrawtransaction would do")
        tx, fee, utxo = wallet.create_self_transfer()
        result = self.check(node, tx, True)
        assert_equal(result["vsize"], tx.vsize)
        assert_equal(result["fees"]["base"], Decimal(fee) / COIN)
        assert_equal(node.getrawmempool(), [])

        self.log.info("bad transactions get the reference's reasons")
        no_fee = Tx()
        no_fee.add_input(utxo["txid"], utxo["vout"], witness=[wallet.witness_script])
        no_fee.add_output(utxo["value"], wallet.script_pubkey)
        self.check(node, no_fee, False, "min relay fee not met")
        too_much = Tx()
        too_much.add_input(utxo["txid"], utxo["vout"], witness=[wallet.witness_script])
        too_much.add_output(utxo["value"] + 1, wallet.script_pubkey)
        self.check(node, too_much, False, "bad-txns-in-belowout")
        missing = Tx()
        missing.add_input("ab" * 32, 0, witness=[wallet.witness_script])
        missing.add_output(1000, wallet.script_pubkey)
        self.check(node, missing, False, "missing-inputs")
        bad_witness = Tx()
        bad_witness.add_input(utxo["txid"], utxo["vout"], witness=[b"\x00"])
        bad_witness.add_output(utxo["value"] - 10000, wallet.script_pubkey)
        assert self.check(node, bad_witness, False)["reject-reason"].startswith("mempool-script-verify-flag-failed")
        immature = wallet.utxos[-1]
        young = Tx()
        young.add_input(immature["txid"], immature["vout"], witness=[wallet.witness_script])
        young.add_output(immature["value"] - 10000, wallet.script_pubkey)
        self.check(node, young, False, "bad-txns-premature-spend-of-coinbase")
        future = Tx(locktime=node.getblockcount() + 10)
        future.add_input(utxo["txid"], utxo["vout"], sequence=0, witness=[wallet.witness_script])
        future.add_output(utxo["value"] - 10000, wallet.script_pubkey)
        self.check(node, future, False, "non-final")
        assert_raises_rpc_error(-22, "TX decode failed", node.sendrawtransaction, "00")
        assert_raises_rpc_error(-26, "min relay fee not met", node.sendrawtransaction, no_fee.hex())
        assert_raises_rpc_error(-25, "Inputs missing or spent", node.sendrawtransaction, missing.hex())

        self.log.info("accepted transactions show up in the mempool RPCs")
        wallet.utxos.append(utxo)
        parent = wallet.send_self_transfer(utxo=utxo)
        child = wallet.send_self_transfer(utxo=wallet.get_utxo(parent["txid"]))
        assert_equal(sorted(node.getrawmempool()), sorted([parent["txid"], child["txid"]]))
        entry = node.getmempoolentry(child["txid"])
        assert_equal(entry["depends"], [parent["txid"]])
        assert_equal(entry["ancestorcount"], 2)
        assert_equal(entry["fees"]["base"], Decimal(child["fee"]) / COIN)
        assert_equal(node.getmempoolentry(parent["txid"])["spentby"], [child["txid"]])
        assert_equal(node.getmempoolancestors(child["txid"]), [parent["txid"]])
        assert_equal(list(node.getmempooldescendants(parent["txid"], True).keys()), [child["txid"]])
        assert_equal(node.getmempoolinfo()["size"], 2)
        seq = node.getrawmempool(False, True)
        assert_equal(sorted(seq["txids"]), sorted([parent["txid"], child["txid"]]))
        assert_raises_rpc_error(-5, "Transaction not in mempool", node.getmempoolentry, "00" * 32)
        assert_equal(node.sendrawtransaction(child["tx"].hex()), child["txid"])  # already there: fine
        self.check(node, child["tx"], False, "txn-already-in-mempool")

        self.log.info("prioritisetransaction changes the modified fee")
        assert_equal(node.prioritisetransaction(child["txid"], 0, 1000), True)
        assert_equal(node.getmempoolentry(child["txid"])["fees"]["modified"], Decimal(child["fee"] + 1000) / COIN)
        assert_raises_rpc_error(-8, "Priority is no longer supported", node.prioritisetransaction, child["txid"], 1, 1000)

        self.log.info("a chain of unconfirmed transactions stops at 25")
        last = child
        for _ in range(23):
            last = wallet.send_self_transfer(utxo=wallet.get_utxo(last["txid"]))
        too_long, _, _ = wallet.create_self_transfer(utxo=wallet.get_utxo(last["txid"]))
        result = self.check(node, too_long, False, "too-long-mempool-chain")

        self.log.info("a replacement must pay more, in total and in rate")
        base = wallet.send_self_transfer()
        low, _, _ = wallet.create_self_transfer(utxo=base["spent"], fee_rate=Decimal("0.00009"))
        self.check(node, low, False, "insufficient fee")
        high, high_fee, _ = wallet.create_self_transfer(utxo=base["spent"], fee_rate=Decimal("0.001"))
        assert_equal(node.sendrawtransaction(high.hex()), high.txid)
        assert base["txid"] not in node.getrawmempool()
        assert high.txid in node.getrawmempool()
        final = Tx()
        final_utxo = wallet.get_utxo()
        final.add_input(final_utxo["txid"], final_utxo["vout"], sequence=SEQUENCE_FINAL, witness=[wallet.witness_script])
        final.add_output(final_utxo["value"] - 20000, wallet.script_pubkey)
        node.sendrawtransaction(final.hex())
        # Full replace-by-fee: not signalling does not protect a transaction.
        again = Tx()
        again.add_input(final_utxo["txid"], final_utxo["vout"], witness=[wallet.witness_script])
        again.add_output(final_utxo["value"] - 60000, wallet.script_pubkey)
        assert_equal(node.sendrawtransaction(again.hex()), again.txid)

        self.log.info("mining a block empties the mempool of what it confirmed")
        count = len(node.getrawmempool())
        block = wallet.generate(1)[0]
        assert_equal(len(node.getblock(block)["tx"]), count + 1)
        assert_equal(node.getrawmempool(), [])

        self.log.info("the mempool is saved at shutdown and loaded at start")
        kept = wallet.send_self_transfer()
        self.restart_node(0)
        assert_equal(node.getrawmempool(), [kept["txid"]])
        assert_equal(node.getmempoolinfo()["loaded"], True)
        self.restart_node(0, ["-persistmempool=0"])
        assert_equal(node.getrawmempool(), [])


if __name__ == "__main__":
    MempoolAcceptTest().main()
