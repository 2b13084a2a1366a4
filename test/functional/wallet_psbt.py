#!/usr/bin/env python3
"""Transactions built outside the wallet and funded or signed by it:
walletcreatefundedpsbt, walletprocesspsbt, fundrawtransaction,
signrawtransactionwithwallet, and send."""

from decimal import Decimal

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, assert_raises_rpc_error

SAT = Decimal("0.00000001")


class WalletPsbtTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()

    def run_test(self):
        node = self.nodes[0]
        node.createwallet("alice")
        node.createwallet("bob")
        alice = node.get_wallet_rpc("alice")
        bob = node.get_wallet_rpc("bob")
        node.generatetoaddress(3, alice.getnewaddress())
        node.generatetoaddress(101, bob.getnewaddress())
        to_bob = bob.getnewaddress()

        self.log.info("walletcreatefundedpsbt funds outputs; walletprocesspsbt signs and finalizes")
        created = alice.walletcreatefundedpsbt([], [{to_bob: 1}])
        assert created["fee"] > 0 and created["changepos"] in (0, 1)
        decoded = node.decodepsbt(created["psbt"])
        assert_equal(len(decoded["tx"]["vout"]), 2)
        assert "bip32_derivs" in decoded["inputs"][0]
        assert_equal(decoded["tx"]["vout"][1 - created["changepos"]]["value"], 1)
        unsigned = alice.walletprocesspsbt(created["psbt"], False)
        assert_equal(unsigned["complete"], False)
        assert "witness_utxo" in node.decodepsbt(unsigned["psbt"])["inputs"][0]
        assert_equal(bob.walletprocesspsbt(created["psbt"])["complete"], False)  # not his coins
        signed = alice.walletprocesspsbt(created["psbt"])
        assert_equal(signed["complete"], True)
        assert_equal(node.testmempoolaccept([signed["hex"]])[0]["allowed"], True)
        assert_equal(node.finalizepsbt(signed["psbt"])["hex"], signed["hex"])
        txid = node.sendrawtransaction(signed["hex"])
        entry = node.getmempoolentry(txid)
        assert_equal(entry["fees"]["base"], created["fee"])
        assert_greater_than_or_equal(entry["fees"]["base"] / SAT / entry["vsize"], 20)
        self.log.info("unfinalized but complete: the network form comes along")
        kept = alice.walletprocesspsbt(alice.walletcreatefundedpsbt([], [{to_bob: 1}])["psbt"], True, "ALL", True, False)
        assert_equal(kept["complete"], True)
        assert "final_scriptwitness" not in node.decodepsbt(kept["psbt"])["inputs"][0]
        assert_equal(node.testmempoolaccept([kept["hex"]])[0]["allowed"], True)
        assert_raises_rpc_error(-8, "'NOPE' is not a valid sighash parameter.", alice.walletprocesspsbt,
                                created["psbt"], True, "NOPE")
        assert_raises_rpc_error(-22, "TX decode failed", alice.walletprocesspsbt, "not base64")
        self.log.info("an input the wallet cannot sign is refused when funding")
        bob_coin = bob.listunspent()[0]
        assert_raises_rpc_error(-4, "Not solvable pre-selected input COutPoint(%s, %d)" % (bob_coin["txid"][:10],
                                                                                          bob_coin["vout"]),
                                alice.walletcreatefundedpsbt, [{"txid": bob_coin["txid"], "vout": bob_coin["vout"]}],
                                [{to_bob: 1}])

        self.log.info("fundrawtransaction adds inputs and change; signrawtransactionwithwallet signs them")
        raw = node.createrawtransaction([], [{to_bob: 2}, {"data": "00ff"}])
        funded = alice.fundrawtransaction(raw, {"changePosition": 0})
        assert_equal(funded["changepos"], 0)
        tx = node.decoderawtransaction(funded["hex"])
        assert_equal([o["value"] for o in tx["vout"][1:]], [2, 0])
        assert_equal(tx["vout"][2]["scriptPubKey"]["type"], "nulldata")
        signed = alice.signrawtransactionwithwallet(funded["hex"])
        assert_equal(signed["complete"], True)
        assert "errors" not in signed
        node.sendrawtransaction(signed["hex"])
        self.log.info("the fee can come out of an output; feeRate is in BTC/kvB")
        funded = alice.fundrawtransaction(node.createrawtransaction([], [{to_bob: 2}]),
                                          {"subtractFeeFromOutputs": [0], "feeRate": "0.0003"})
        tx = node.decoderawtransaction(funded["hex"])
        paid = [o for o in tx["vout"] if o["scriptPubKey"]["address"] == to_bob][0]["value"]
        assert_equal(paid, 2 - funded["fee"])
        signed = alice.signrawtransactionwithwallet(funded["hex"])
        entry = node.getmempoolentry(node.sendrawtransaction(signed["hex"]))
        assert_greater_than_or_equal(entry["fees"]["base"] / SAT / entry["vsize"], 30)
        self.log.info("fundrawtransaction's errors")
        raw = node.createrawtransaction([], [{to_bob: 1}])
        assert_raises_rpc_error(-8, "changePosition out of bounds", alice.fundrawtransaction, raw, {"changePosition": 2})
        assert_raises_rpc_error(-3, "Unexpected key foo", alice.fundrawtransaction, raw, {"foo": 1})
        assert_raises_rpc_error(-5, "Change address must be a valid bitcoin address", alice.fundrawtransaction, raw,
                                {"changeAddress": "nope"})
        assert_raises_rpc_error(-8, "Cannot specify both fee_rate (sat/vB) and feeRate (BTC/kvB)",
                                alice.fundrawtransaction, raw, {"fee_rate": 2, "feeRate": "0.0001"})
        assert_raises_rpc_error(-8, "Invalid parameter 'subtract fee from output', position too large: 1",
                                alice.fundrawtransaction, raw, {"subtractFeeFromOutputs": [1]})
        assert_raises_rpc_error(-4, "Insufficient funds", alice.fundrawtransaction,
                                node.createrawtransaction([], [{to_bob: 1000}]))
        assert_raises_rpc_error(-22, "TX decode failed", alice.fundrawtransaction, "00")
        self.log.info("signrawtransactionwithwallet reports the inputs it could not sign")
        mixed = node.createrawtransaction([{"txid": bob_coin["txid"], "vout": bob_coin["vout"]}], [{to_bob: 1}])
        result = alice.signrawtransactionwithwallet(mixed)
        assert_equal(result["complete"], False)
        assert_equal([(e["txid"], e["vout"]) for e in result["errors"]], [(bob_coin["txid"], bob_coin["vout"])])
        assert_equal(bob.signrawtransactionwithwallet(mixed)["complete"], True)

        self.log.info("send: outputs funded, signed and broadcast in one call")
        result = alice.send([{to_bob: 1}, {"data": "beef"}])
        assert_equal(set(result), {"txid", "complete"})
        assert result["txid"] in node.getrawmempool()
        kept = alice.send(outputs={to_bob: 1}, options={"add_to_wallet": False})
        assert_equal(set(kept), {"psbt", "txid", "hex", "complete"})
        assert kept["txid"] not in node.getrawmempool()
        assert_equal(node.testmempoolaccept([kept["hex"]])[0]["allowed"], True)
        assert_raises_rpc_error(-4, "Fee rate (0.050 sat/vB) is lower than the minimum fee rate setting (0.100 sat/vB)",
                                alice.send, {to_bob: 1}, None, None, Decimal("0.05"))
        coin = alice.listunspent(0)[0]
        assert_raises_rpc_error(-4, "Insufficient funds", alice.send, {to_bob: 1000},
                                options={"inputs": [{"txid": coin["txid"], "vout": coin["vout"]}]})
        self.log.info("send from a locked wallet hands back an unsigned PSBT")
        node.createwallet(wallet_name="locked", passphrase="secret")
        locked = node.get_wallet_rpc("locked")
        alice.sendtoaddress(locked.getnewaddress(), 3)
        node.generatetoaddress(1, bob.getnewaddress())
        result = locked.send({to_bob: 1})
        assert_equal(result["complete"], False)
        assert "txid" not in result
        locked.walletpassphrase("secret", 60)
        signed = locked.walletprocesspsbt(result["psbt"])
        assert_equal(signed["complete"], True)
        node.sendrawtransaction(signed["hex"])


if __name__ == "__main__":
    WalletPsbtTest().main()
