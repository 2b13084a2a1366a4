#!/usr/bin/env python3
"""createmultisig (address types, descriptors, warnings, errors) and signing its outputs with keys."""

from test_framework.descriptors import descsum_create
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error
from rpc_rawtransaction import ADDRESS, P2PKH_INPUTS, PRIVKEYS, TXID

NULLFAIL = "CHECK(MULTI)SIG failing with non-zero signature (possibly need more signatures)"


class CreateMultisigTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        n = self.nodes[0]
        # The keys' public halves, read back from a P2PKH spend they sign.
        raw = n.createrawtransaction(P2PKH_INPUTS, {ADDRESS: 0.1})
        signed = n.signrawtransactionwithkey(raw, PRIVKEYS, P2PKH_INPUTS)
        self.pubkeys = [v["scriptSig"]["asm"].split(" ")[1] for v in n.decoderawtransaction(signed["hex"])["vin"]]
        self.sign_multisig()

    def sign_multisig(self):
        n = self.nodes[0]
        for address_type, wrap in [("legacy", "sh(%s)"), ("p2sh-segwit", "sh(wsh(%s))"), ("bech32", "wsh(%s)")]:
            self.log.info("createmultisig and signing: " + address_type)
            ms = n.createmultisig(2, self.pubkeys, address_type)
            assert_equal(list(ms.keys()), ["address", "redeemScript", "descriptor"])
            assert_equal(ms["descriptor"], descsum_create(wrap % ("multi(2,%s,%s)" % tuple(self.pubkeys))))
            assert_equal(ms["redeemScript"], "5221%s21%s52ae" % tuple(self.pubkeys))
            spk = n.validateaddress(ms["address"])["scriptPubKey"]
            prev = {"txid": TXID, "vout": 0, "scriptPubKey": spk, "amount": 1}
            prev["witnessScript" if address_type != "legacy" else "redeemScript"] = ms["redeemScript"]
            raw = n.createrawtransaction([prev], {ADDRESS: 0.5})
            half = n.signrawtransactionwithkey(raw, PRIVKEYS[:1], [prev])
            assert_equal(half["complete"], False)
            assert_equal(half["errors"][0]["error"], NULLFAIL)
            full = n.signrawtransactionwithkey(half["hex"], PRIVKEYS[1:], [prev])
            assert_equal(full["complete"], True)
            assert_equal(full["hex"], n.signrawtransactionwithkey(raw, PRIVKEYS, [prev])["hex"])
            psbt = n.converttopsbt(raw)
            assert_equal(n.analyzepsbt(psbt)["inputs"][0]["next"], "updater")

        self.log.info("createmultisig errors and warnings")
        assert_raises_rpc_error(-8, "a multisignature address must require at least one key to redeem", n.createmultisig, 0, self.pubkeys)
        assert_raises_rpc_error(-8, "not enough keys supplied (got 2 keys, but need at least 3 to redeem)", n.createmultisig, 3, self.pubkeys)
        assert_raises_rpc_error(-8, "Number of keys involved in the multisignature address creation > 20\nReduce the number",
                                n.createmultisig, 1, self.pubkeys * 11)
        assert_raises_rpc_error(-5, "Pubkey \"zz\" must be a hex string", n.createmultisig, 1, ["zz"])
        assert_raises_rpc_error(-5, "Pubkey \"00\" must have a length of either 33 or 65 bytes", n.createmultisig, 1, ["00"])
        assert_raises_rpc_error(-5, "Pubkey \"02%s\" must be cryptographically valid." % ("00" * 32), n.createmultisig, 1, ["02" + "00" * 32])
        assert_raises_rpc_error(-5, "Unknown address type 'foo'", n.createmultisig, 1, self.pubkeys, "foo")
        assert_raises_rpc_error(-5, "createmultisig cannot create bech32m multisig addresses", n.createmultisig, 1, self.pubkeys, "bech32m")
        uncompressed = "04b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb25e01fc8fde47c96c98a4f3a8123e33a38a50cf9025cc8c4494a518f991792bb7"
        ms = n.createmultisig(1, [uncompressed, self.pubkeys[0]], "bech32")
        assert_equal(ms["warnings"], ["Unable to make chosen address type, please ensure no uncompressed public keys are present."])
        assert_equal(ms["descriptor"], descsum_create("sh(multi(1,%s,%s))" % (uncompressed, self.pubkeys[0])))


if __name__ == "__main__":
    CreateMultisigTest().main()
