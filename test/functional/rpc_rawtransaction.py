#!/usr/bin/env python3
"""createrawtransaction, decoderawtransaction, signrawtransactionwithkey with explicit prevtxs and
combinerawtransaction; their error paths. Nothing here needs blocks or a mempool."""

from decimal import Decimal

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

TXID = "1d1d4e24ed99057e84c3f80fd8fbec79ed9e1acee37da269356ecea000000000"
# Keys and P2PKH outputs from the reference's signing tests.
PRIVKEYS = ["cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N", "cVKpPfVKSJxKqVpE9awvXNWuLHCa5j5tiE7K6zbUSptFpTEtiFrA"]
P2PKH_INPUTS = [
    {"txid": "9b907ef1e3c26fc71fe4a4b3580bc75264112f95050014157059c736f0202e71", "vout": 0,
     "scriptPubKey": "76a91460baa0f494b38ce3c940dea67f3804dc52d1fb9488ac"},
    {"txid": "83a4f6a6b73660e13ee6cb3c6063fa3759c50c9b7521d0536022961898f4fb02", "vout": 0,
     "scriptPubKey": "76a914669b857c03a5ed269d5d85a1ffac9ed5d663072788ac"},
]
ADDRESS = "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB"
ADDRESS2 = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"


class RawTransactionsTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        self.node = self.nodes[0]
        self.createrawtransaction_errors()
        self.createrawtransaction_results()
        self.decoderawtransaction_tests()
        self.sign_p2pkh()
        self.combine_errors()

    def createrawtransaction_errors(self):
        n = self.node
        self.log.info("createrawtransaction: arguments and inputs")
        assert_raises_rpc_error(-1, "createrawtransaction", n.createrawtransaction)
        assert_raises_rpc_error(-1, "createrawtransaction", n.createrawtransaction, [])
        assert_raises_rpc_error(-1, "createrawtransaction", n.createrawtransaction, [], {}, 0, False, 2, 3, "foo")
        assert_raises_rpc_error(-3, "JSON value of type string is not of expected type array", n.createrawtransaction, "foo", {})
        assert_raises_rpc_error(-1, "JSON value of type string is not of expected type object", n.createrawtransaction, ["foo"], {})
        assert_raises_rpc_error(-1, "JSON value of type null is not of expected type string", n.createrawtransaction, [{}], {})
        assert_raises_rpc_error(-8, "txid must be of length 64 (not 3, for 'foo')", n.createrawtransaction, [{"txid": "foo"}], {})
        bad = "ZZZ7bb8b1697ea987f3b223ba7819250cae33efacb068d23dc24859824a77844"
        assert_raises_rpc_error(-8, "txid must be hexadecimal string (not '%s')" % bad, n.createrawtransaction, [{"txid": bad}], {})
        assert_raises_rpc_error(-8, "Invalid parameter, missing vout key", n.createrawtransaction, [{"txid": TXID}], {})
        assert_raises_rpc_error(-8, "Invalid parameter, missing vout key", n.createrawtransaction, [{"txid": TXID, "vout": "foo"}], {})
        assert_raises_rpc_error(-8, "Invalid parameter, vout cannot be negative", n.createrawtransaction, [{"txid": TXID, "vout": -1}], {})
        assert_raises_rpc_error(-1, "JSON integer out of range", n.createrawtransaction, [{"txid": TXID, "vout": 1.5}], {})
        for seq in [-1, 4294967296]:
            assert_raises_rpc_error(-8, "Invalid parameter, sequence number is out of range",
                                    n.createrawtransaction, [{"txid": TXID, "vout": 1, "sequence": seq}], {ADDRESS: 1})

        self.log.info("createrawtransaction: outputs")
        assert_raises_rpc_error(-1, "JSON value of type string is not of expected type array", n.createrawtransaction, [], "foo")
        assert_raises_rpc_error(-8, "Invalid parameter, output argument must be non-null", n.createrawtransaction, [], None)
        assert_raises_rpc_error(-8, "Data must be hexadecimal string (not 'foo')", n.createrawtransaction, [], {"data": "foo"})
        assert_raises_rpc_error(-5, "Invalid Bitcoin address: foo", n.createrawtransaction, [], {"foo": 0})
        assert_raises_rpc_error(-3, "Invalid amount", n.createrawtransaction, [], {ADDRESS: "foo"})
        assert_raises_rpc_error(-3, "Invalid amount", n.createrawtransaction, [], {"foo": "bar"})
        assert_raises_rpc_error(-3, "Amount out of range", n.createrawtransaction, [], {ADDRESS: -1})
        assert_raises_rpc_error(-3, "Amount is not a number or string", n.createrawtransaction, [], {ADDRESS: True})
        assert_raises_rpc_error(-8, "Invalid parameter, duplicated address: " + ADDRESS, n.createrawtransaction, [], [{ADDRESS: 1}, {ADDRESS: 1}])
        assert_raises_rpc_error(-8, "Invalid parameter, duplicate key: data", n.createrawtransaction, [], [{"data": "aa"}, {"data": "bb"}])
        assert_raises_rpc_error(-8, "Invalid parameter, key-value pair must contain exactly one key", n.createrawtransaction, [], [{"a": 1, "b": 2}])
        assert_raises_rpc_error(-8, "Invalid parameter, key-value pair not an object as expected", n.createrawtransaction, [], [["key-value pair1"], ["2"]])

        self.log.info("createrawtransaction: locktime, replaceable, version")
        assert_raises_rpc_error(-8, "Invalid parameter combination: Sequence number(s) contradict replaceable option",
                                n.createrawtransaction, [{"txid": TXID, "vout": 0, "sequence": 0xfffffffe}], {}, 0, True)
        assert_raises_rpc_error(-3, "JSON value of type string is not of expected type number", n.createrawtransaction, [], {}, "foo")
        assert_raises_rpc_error(-8, "Invalid parameter, locktime out of range", n.createrawtransaction, [], {}, -1)
        assert_raises_rpc_error(-8, "Invalid parameter, locktime out of range", n.createrawtransaction, [], {}, 4294967296)
        assert_raises_rpc_error(-3, "JSON value of type string is not of expected type bool", n.createrawtransaction, [], {}, 0, "foo")
        for version in [0, 4, 2147483648]:
            assert_raises_rpc_error(-8, "Invalid parameter, version out of range(1~3)", n.createrawtransaction, [], {}, 0, False, version)
        for version in [-1, 4294967296]:
            assert_raises_rpc_error(-1, "JSON integer out of range", n.createrawtransaction, [], {}, 0, False, version)

    def createrawtransaction_results(self):
        n = self.node
        self.log.info("createrawtransaction: results")
        assert_equal(n.createrawtransaction(inputs=[], outputs={}), "02000000000000000000")
        assert_equal(n.createrawtransaction([], [], 0, False, 3), "03000000000000000000")
        tx = n.decoderawtransaction(n.createrawtransaction([{"txid": TXID, "vout": 9}], {ADDRESS: 99}))
        assert_equal(tx["vin"][0]["txid"], TXID)
        assert_equal(tx["vin"][0]["vout"], 9)
        assert_equal(tx["vin"][0]["sequence"], 0xfffffffd)
        assert_equal(tx["vout"][0]["value"], Decimal("99.00000000"))
        assert_equal(tx["vout"][0]["scriptPubKey"]["address"], ADDRESS)
        # Without RBF the sequence depends on the locktime.
        for locktime, seq in [(0, 0xffffffff), (1, 0xfffffffe)]:
            tx = n.decoderawtransaction(n.createrawtransaction([{"txid": TXID, "vout": 0}], {}, locktime, False))
            assert_equal((tx["locktime"], tx["vin"][0]["sequence"]), (locktime, seq))
        for seq in [1000, 4294967294]:
            tx = n.decoderawtransaction(n.createrawtransaction([{"txid": TXID, "vout": 1, "sequence": seq}], {ADDRESS: 1}))
            assert_equal(tx["vin"][0]["sequence"], seq)
        # Arrays keep the outputs' order; data outputs are OP_RETURN pushes.
        tx = n.decoderawtransaction(n.createrawtransaction([], [{ADDRESS2: "0.1"}, {"data": "99"}, {ADDRESS: 1e-8}]))
        assert_equal([o["scriptPubKey"]["type"] for o in tx["vout"]], ["witness_v0_keyhash", "nulldata", "pubkeyhash"])
        assert_equal(tx["vout"][1]["scriptPubKey"]["hex"], "6a0199")
        assert_equal(tx["vout"][2]["value"], Decimal("0.00000001"))
        # Named parameters.
        assert_equal(n.createrawtransaction(inputs=[], outputs={}, version=1), "01000000000000000000")

    def decoderawtransaction_tests(self):
        n = self.node
        self.log.info("decoderawtransaction")
        assert_raises_rpc_error(-22, "TX decode failed", n.decoderawtransaction, "00")
        assert_raises_rpc_error(-22, "TX decode failed", n.decoderawtransaction, "zz")
        assert_raises_rpc_error(-22, "TX decode failed", n.decoderawtransaction, "")
        # A transaction without inputs only reads as legacy.
        hex_tx = "02000000000101000000000000000151" + "00000000"
        assert_equal(n.decoderawtransaction(hex_tx)["vout"][0]["n"], 0)
        assert_raises_rpc_error(-22, "TX decode failed", n.decoderawtransaction, hex_tx, True)
        assert_equal(n.decoderawtransaction(hex_tx, False)["size"], 20)

    def sign_p2pkh(self):
        n = self.node
        self.log.info("signrawtransactionwithkey: P2PKH with prevtxs")
        raw = n.createrawtransaction(P2PKH_INPUTS, {ADDRESS: 0.1})
        signed = n.signrawtransactionwithkey(raw, PRIVKEYS, P2PKH_INPUTS)
        assert_equal(signed["complete"], True)
        assert "errors" not in signed
        vin = n.decoderawtransaction(signed["hex"])["vin"]
        assert all(v["scriptSig"]["asm"].split(" ")[0].endswith("[ALL]") for v in vin)
        # Signing again changes nothing: the signatures are found and kept.
        assert_equal(n.signrawtransactionwithkey(signed["hex"], [], P2PKH_INPUTS)["hex"], signed["hex"])

        self.log.info("signrawtransactionwithkey: missing keys and coins")
        partial = n.signrawtransactionwithkey(raw, PRIVKEYS[:1], P2PKH_INPUTS)
        assert_equal(partial["complete"], False)
        assert_equal(len(partial["errors"]), 1)
        err = partial["errors"][0]
        assert_equal(list(err.keys()), ["txid", "vout", "witness", "scriptSig", "sequence", "error"])
        assert_equal((err["txid"], err["error"]), (P2PKH_INPUTS[1]["txid"], "Unable to sign input, invalid stack size (possibly missing key)"))
        unknown = n.signrawtransactionwithkey(raw, PRIVKEYS)
        assert_equal([e["error"] for e in unknown["errors"]], ["Input not found or already spent"] * 2)

        self.log.info("signrawtransactionwithkey: error paths")
        assert_raises_rpc_error(-22, "TX decode failed. Make sure the tx has at least one input.", n.signrawtransactionwithkey, "00", PRIVKEYS)
        assert_raises_rpc_error(-5, "Invalid private key", n.signrawtransactionwithkey, raw, ["nokey"])
        assert_raises_rpc_error(-8, "'ALL|NONE' is not a valid sighash parameter.", n.signrawtransactionwithkey, raw, PRIVKEYS, P2PKH_INPUTS, "ALL|NONE")
        assert_raises_rpc_error(-22, "expected object with {\"txid'\",\"vout\",\"scriptPubKey\"}", n.signrawtransactionwithkey, raw, PRIVKEYS, ["x"])
        assert_raises_rpc_error(-3, "Expected type string for txid, got null", n.signrawtransactionwithkey, raw, PRIVKEYS, [{}])
        assert_raises_rpc_error(-3, "Expected type number for vout, got string", n.signrawtransactionwithkey, raw, PRIVKEYS, [{"txid": TXID, "vout": "0", "scriptPubKey": "00"}])
        assert_raises_rpc_error(-22, "vout cannot be negative", n.signrawtransactionwithkey, raw, PRIVKEYS, [{"txid": TXID, "vout": -1, "scriptPubKey": "00"}])
        p2sh = dict(P2PKH_INPUTS[0], scriptPubKey="a914" + "00" * 20 + "87")
        assert_raises_rpc_error(-8, "Missing redeemScript/witnessScript", n.signrawtransactionwithkey, raw, PRIVKEYS, [p2sh])
        assert_raises_rpc_error(-8, "redeemScript/witnessScript does not match scriptPubKey", n.signrawtransactionwithkey, raw, PRIVKEYS, [dict(p2sh, redeemScript="51")])
        p2wpkh = dict(P2PKH_INPUTS[0], scriptPubKey="0014" + P2PKH_INPUTS[0]["scriptPubKey"][6:46])
        assert_raises_rpc_error(-3, "Missing amount for CTxOut(nValue=21000000.00000000, scriptPubKey=0014" + P2PKH_INPUTS[0]["scriptPubKey"][6:32] + ")",
                                n.signrawtransactionwithkey, raw, PRIVKEYS, [p2wpkh])
        signed = n.signrawtransactionwithkey(raw, PRIVKEYS, [dict(p2wpkh, amount=1), P2PKH_INPUTS[1]])
        assert_equal(signed["complete"], True)
        assert_equal(len(n.decoderawtransaction(signed["hex"])["vin"][0]["txinwitness"]), 2)

    def combine_errors(self):
        n = self.node
        self.log.info("combinerawtransaction")
        raw = n.createrawtransaction(P2PKH_INPUTS, {ADDRESS: 0.1})
        assert_raises_rpc_error(-22, "Missing transactions", n.combinerawtransaction, [])
        assert_raises_rpc_error(-22, "TX decode failed for tx 1. Make sure the tx has at least one input.", n.combinerawtransaction, [raw, "00"])
        # No UTXO set yet: every input is unknown.
        assert_raises_rpc_error(-25, "Input not found or already spent", n.combinerawtransaction, [raw, raw])


if __name__ == "__main__":
    RawTransactionsTest().main()
