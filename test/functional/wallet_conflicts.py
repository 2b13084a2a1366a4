#!/usr/bin/env python3
"""Transactions out of the wallet's view of the chain, as the reference shows
them: a fee bump's original (replaced_by_txid, walletconflicts, then negative
confirmations once the bump is mined), an abandoned payment ("abandoned"),
a reorganised-away coinbase ("orphan"), listsinceblock's "removed", and
gettransaction's "decoded"."""

from decimal import Decimal

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal

ELSEWHERE = "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw"


class WalletConflictsTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()

    def run_test(self):
        node = self.nodes[0]
        node.createwallet("w")
        node.generatetoaddress(101, node.getnewaddress())

        self.log.info("gettransaction verbose decodes the transaction")
        first = node.sendtoaddress(ELSEWHERE, 1)
        decoded = node.gettransaction(first, False, True)["decoded"]
        assert_equal(decoded["txid"], first)
        assert_equal(decoded, node.decoderawtransaction(node.gettransaction(first)["hex"]))

        self.log.info("a fee bump and its original name each other; the original is no longer trusted")
        bump = node.bumpfee(first)["txid"]
        old, new = node.gettransaction(first), node.gettransaction(bump)
        assert_equal(old["replaced_by_txid"], bump)
        assert_equal(new["replaces_txid"], first)
        assert_equal(old["walletconflicts"], [bump])
        assert_equal(new["walletconflicts"], [first])
        assert_equal((old["confirmations"], old["trusted"]), (0, False))
        assert_equal((new["confirmations"], new["trusted"]), (0, True))
        listed = {t["txid"] for t in node.listtransactions("*", 1000)}
        assert first in listed and bump in listed

        self.log.info("once the bump is mined, the original has negative confirmations")
        node.generatetoaddress(2, node.getnewaddress())
        assert_equal(node.gettransaction(first)["confirmations"], -2)
        assert_equal(node.gettransaction(bump)["confirmations"], 2)

        self.log.info("an abandoned payment is listed as abandoned and its coins are spendable again")
        balance = node.getbalance()
        pending = node.sendtoaddress(ELSEWHERE, 2)
        self.restart_node(0, extra_args=["-wallet=w", "-persistmempool=0"])
        node.abandontransaction(pending)
        assert_equal(node.getbalance(), balance)
        sends = [t for t in node.listtransactions("*", 1000) if t["txid"] == pending and t["category"] == "send"]
        assert_equal([t["abandoned"] for t in sends], [True])
        assert_equal(node.gettransaction(pending)["details"][0]["abandoned"], True)
        node.abandontransaction(pending)  # already abandoned: no effect, no error

        self.log.info("listsinceblock lists what a reorganisation took away under removed")
        paid = node.sendtoaddress(ELSEWHERE, 3)
        block = node.generatetoaddress(1, ELSEWHERE)[0]
        coinbase = node.getblock(block)["tx"][0]
        mine = node.generatetoaddress(1, node.getnewaddress())[0]
        mine_coinbase = node.getblock(mine)["tx"][0]
        node.invalidateblock(block)
        since = node.listsinceblock(block)
        assert paid in {t["txid"] for t in since["removed"]}, since["removed"]
        assert coinbase not in {t["txid"] for t in since["removed"]}, "not the wallet's"
        assert "removed" not in node.listsinceblock(block, 1, False, False)
        self.log.info("a coinbase of a block no longer in the chain is an orphan")
        orphan = [t for t in node.listtransactions("*", 1000) if t["txid"] == mine_coinbase]
        assert_equal([t["category"] for t in orphan], ["orphan"])
        assert_equal(node.gettransaction(paid)["confirmations"], 0)
        node.reconsiderblock(block)
        assert_equal(node.gettransaction(paid)["confirmations"], 2)
        assert_equal(node.gettransaction(mine_coinbase)["details"][0]["category"], "immature")


if __name__ == "__main__":
    WalletConflictsTest().main()
