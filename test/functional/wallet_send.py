#!/usr/bin/env python3
"""Paying from a wallet, beyond the basics: the wallet's own fee rate
(settxfee, -paytxfee), recipients who bear the fee (subtractfeefromamount,
subtractfeefrom), and sendall."""

from decimal import Decimal

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, assert_raises_rpc_error

SAT = Decimal("0.00000001")


class WalletSendTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()

    def paid_rate(self, txid):
        """The fee rate a mempool transaction pays, in sat/vB."""
        entry = self.nodes[0].getmempoolentry(txid)
        return entry["fees"]["base"] / SAT / entry["vsize"]

    def run_test(self):
        node = self.nodes[0]
        node.createwallet("alice")
        node.createwallet("bob")
        alice = node.get_wallet_rpc("alice")
        bob = node.get_wallet_rpc("bob")
        node.generatetoaddress(3, alice.getnewaddress())
        node.generatetoaddress(100, bob.getnewaddress())
        assert_equal(alice.getbalance(), Decimal("150"))

        self.log.info("settxfee sets the rate the wallet pays until it is set to 0")
        assert_equal(alice.getwalletinfo()["paytxfee"], Decimal("0"))
        assert_raises_rpc_error(-8, "txfee cannot be less than min relay tx fee (0.00000100 BTC/kvB)",
                                alice.settxfee, Decimal("0.0000005"))
        assert_raises_rpc_error(-8, "txfee cannot be more than wallet max tx fee (0.10000000 BTC/kvB)",
                                alice.settxfee, 1)
        assert_raises_rpc_error(-3, "Amount out of range", alice.settxfee, -1)
        assert_equal(alice.settxfee(Decimal("0.0005")), True)
        assert_equal(alice.getwalletinfo()["paytxfee"], Decimal("0.0005"))
        sent = alice.sendtoaddress(address=bob.getnewaddress(), amount=1, verbose=True)
        assert_equal(sent["fee_reason"], "PayTxFee set")
        assert_greater_than_or_equal(self.paid_rate(sent["txid"]), 50)
        # A confirmation target asks for an estimate instead (regtest has none: the fallback).
        sent = alice.sendtoaddress(address=bob.getnewaddress(), amount=1, conf_target=2, verbose=True)
        assert_equal(sent["fee_reason"], "Fallback fee")
        # Bob's rate is his own.
        assert_equal(bob.getwalletinfo()["paytxfee"], Decimal("0"))
        assert_equal(alice.settxfee(0), True)
        sent = alice.sendtoaddress(address=bob.getnewaddress(), amount=1, verbose=True)
        assert_equal(sent["fee_reason"], "Fallback fee")
        self.log.info("-paytxfee is each wallet's rate at load")
        self.restart_node(0, extra_args=["-paytxfee=0.0003", "-wallet=alice", "-wallet=bob"])
        alice = node.get_wallet_rpc("alice")
        bob = node.get_wallet_rpc("bob")
        assert_equal(alice.getwalletinfo()["paytxfee"], Decimal("0.0003"))
        sent = alice.sendtoaddress(address=bob.getnewaddress(), amount=1, verbose=True)
        assert_equal(sent["fee_reason"], "PayTxFee set")
        self.restart_node(0, extra_args=["-wallet=alice", "-wallet=bob"])
        alice = node.get_wallet_rpc("alice")
        bob = node.get_wallet_rpc("bob")
        node.generatetoaddress(1, bob.getnewaddress())

        self.log.info("subtractfeefromamount: the recipient receives the amount less the fee")
        to_bob = bob.getnewaddress()
        txid = alice.sendtoaddress(to_bob, 2, "", "", True)
        fee = -alice.gettransaction(txid)["fee"]
        assert fee > 0
        assert_equal(bob.gettransaction(txid)["amount"], 2 - fee)
        assert_greater_than_or_equal(self.paid_rate(txid), 20)  # -fallbackfee=0.0002
        self.log.info("the whole balance can go, fee included")
        node.generatetoaddress(1, bob.getnewaddress())
        everything = alice.getbalance()
        txid = alice.sendtoaddress(to_bob, everything, "", "", True)
        assert_equal(alice.getbalance(), 0)
        assert_equal(alice.getbalances()["mine"]["untrusted_pending"], 0)
        assert_equal(bob.gettransaction(txid)["amount"], everything + alice.gettransaction(txid)["fee"])
        assert_raises_rpc_error(-6, "Insufficient funds", alice.sendtoaddress, to_bob, 1, "", "", True)

        self.log.info("subtractfeefrom shares the fee equally among the addresses named")
        node.generatetoaddress(1, bob.getnewaddress())
        a, b, c = alice.getnewaddress(), alice.getnewaddress(), alice.getnewaddress()
        txid = bob.sendmany("", {a: 1, b: 1, c: 1}, 0, "", [a, b])
        fee = -bob.gettransaction(txid)["fee"]
        received = {d["address"]: d["amount"] for d in alice.gettransaction(txid)["details"]}
        assert_equal(received[c], 1)
        assert_equal(received[a] + received[b], 2 - fee)
        assert abs(received[a] - received[b]) <= SAT
        self.log.info("an amount the fee would eat is refused")
        assert_raises_rpc_error(-6, "The transaction amount is too small to pay the fee",
                                bob.sendtoaddress, a, Decimal("0.00002"), "", "", True)
        assert_raises_rpc_error(-6, "The transaction amount is too small to send after the fee has been deducted",
                                bob.sendtoaddress, a, Decimal("0.00003"), "", "", True)


if __name__ == "__main__":
    WalletSendTest().main()
