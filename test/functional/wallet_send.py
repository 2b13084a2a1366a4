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

    def heard_by(self, wallet, txid):
        """Waits until `wallet` has heard of `txid` from the mempool: another
        wallet's payment reaches it as a notification, after the sender's
        call returned (as in the reference)."""
        self.wait_until(lambda: txid in {t["txid"] for t in wallet.listtransactions("*", 1000)})

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
        self.heard_by(bob, txid)
        assert_equal(bob.gettransaction(txid)["amount"], 2 - fee)
        assert_greater_than_or_equal(self.paid_rate(txid), 20)  # -fallbackfee=0.0002
        self.log.info("the whole balance can go, fee included")
        node.generatetoaddress(1, bob.getnewaddress())
        everything = alice.getbalance()
        txid = alice.sendtoaddress(to_bob, everything, "", "", True)
        assert_equal(alice.getbalance(), 0)
        assert_equal(alice.getbalances()["mine"]["untrusted_pending"], 0)
        self.heard_by(bob, txid)
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
        assert_raises_rpc_error(-8, "Invalid parameter 'subtract fee from output', destination %s not found" % c,
                                bob.sendmany, "", {a: 1}, 0, "", [c])
        self.log.info("an amount the fee would eat is refused")
        assert_raises_rpc_error(-6, "The transaction amount is too small to pay the fee",
                                bob.sendtoaddress, a, Decimal("0.00002"), "", "", True)
        assert_raises_rpc_error(-6, "The transaction amount is too small to send after the fee has been deducted",
                                bob.sendtoaddress, a, Decimal("0.00003"), "", "", True)

        self.log.info("sendall empties the wallet to one address, without change")
        node.generatetoaddress(1, bob.getnewaddress())
        node.createwallet("carol")
        carol = node.get_wallet_rpc("carol")
        balance = alice.getbalance()
        assert balance > 1
        result = alice.sendall([carol.getnewaddress()])
        assert_equal(result["complete"], True)
        assert_equal(set(result), {"txid", "complete"})
        tx = node.decoderawtransaction(alice.gettransaction(result["txid"])["hex"])
        assert_equal(len(tx["vout"]), 1)
        assert_equal(alice.getbalance(), 0)
        # Carol's wallet hears of the payment from the mempool on its own
        # time; once the node's notification queue is drained, it has.
        node.syncwithvalidationinterfacequeue()
        assert_equal(carol.getbalances()["mine"]["trusted"] + carol.getbalances()["mine"]["untrusted_pending"],
                     balance + alice.gettransaction(result["txid"])["fee"])
        assert_greater_than_or_equal(self.paid_rate(result["txid"]), 20)
        assert_raises_rpc_error(-6, "Total value of UTXO pool too low to pay for transaction",
                                alice.sendall, [carol.getnewaddress()])

        self.log.info("sendall pays the amounts given, and shares the rest equally")
        node.generatetoaddress(1, bob.getnewaddress())
        paid, share_a, share_b = alice.getnewaddress(), alice.getnewaddress(), alice.getnewaddress()
        before = carol.getbalance()
        result = carol.sendall([{paid: 1}, share_a, share_b], fee_rate=3)
        fee = -carol.gettransaction(result["txid"])["fee"]
        outputs = {d["address"]: d["amount"] for d in alice.gettransaction(result["txid"])["details"]}
        assert_equal(outputs[paid], 1)
        assert_equal(outputs[share_a] + outputs[share_b], before - 1 - fee)
        assert 0 <= outputs[share_a] - outputs[share_b] <= SAT
        entry = node.getmempoolentry(result["txid"])
        assert_equal(entry["fees"]["base"], fee)
        assert_equal(fee, Decimal(3 * entry["vsize"]) * SAT)

        self.log.info("sendall options: named inputs, add_to_wallet=false, lock_unspents, send_max")
        node.generatetoaddress(1, bob.getnewaddress())
        coins = alice.listunspent()
        assert_equal(len(coins), 3)
        one = {"txid": coins[0]["txid"], "vout": coins[0]["vout"]}
        result = alice.sendall([carol.getnewaddress()], options={"inputs": [one], "add_to_wallet": False,
                                                                 "lock_unspents": True})
        assert_equal(set(result), {"psbt", "txid", "hex", "complete"})
        assert result["txid"] not in node.getrawmempool()
        assert_equal(alice.listlockunspent(), [one])
        decoded = node.decoderawtransaction(result["hex"])
        assert_equal([(i["txid"], i["vout"]) for i in decoded["vin"]], [(one["txid"], one["vout"])])
        assert_equal(node.testmempoolaccept([result["hex"]])[0]["allowed"], True)
        assert_equal(alice.lockunspent(True), True)
        assert_raises_rpc_error(-8, "Cannot combine send_max with specific inputs.",
                                alice.sendall, [carol.getnewaddress()], options={"inputs": [one], "send_max": True})
        assert_raises_rpc_error(-8, "Input not found. UTXO (%s:9) is not part of wallet." % one["txid"],
                                alice.sendall, [carol.getnewaddress()], options={"inputs": [dict(one, vout=9)]})

        self.log.info("sendall's errors")
        to = carol.getnewaddress()
        assert_raises_rpc_error(-8, "Must provide at least one address without a specified amount",
                                alice.sendall, [{to: 1}])
        assert_raises_rpc_error(-8, "Invalid parameter, duplicated address: " + to, alice.sendall, [to, {to: 1}])
        assert_raises_rpc_error(-5, "Invalid Bitcoin address: nope", alice.sendall, ["nope"])
        assert_raises_rpc_error(-8, "Fee rate (0.050 sat/vB) is lower than the minimum fee rate setting (0.100 sat/vB)",
                                alice.sendall, [to], fee_rate=Decimal("0.05"))
        assert_raises_rpc_error(-8, "Pass the fee_rate either as an argument, or in the options object, but not both",
                                alice.sendall, [to], None, None, 3, {"fee_rate": 3})
        assert_raises_rpc_error(-6, "Assigned more value to outputs than available funds.",
                                alice.sendall, [to, {carol.getnewaddress(): 1000}])
        assert_raises_rpc_error(-4, "Fee exceeds maximum configured by user", alice.sendall, [to], fee_rate=100000)
        assert_raises_rpc_error(-8, "Invalid minconf (minconf cannot be negative): -1",
                                alice.sendall, [to], options={"minconf": -1})


if __name__ == "__main__":
    WalletSendTest().main()
