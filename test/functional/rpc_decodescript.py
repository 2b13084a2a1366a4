#!/usr/bin/env python3
"""decodescript and decoderawtransaction: asm, types, addresses, inferred descriptors, wrapping."""

import hashlib
from decimal import Decimal

from test_framework.descriptors import descsum_create
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

SIGNATURE = ("304502207fa7a6d1e0ee81132a269ad84e68d695483745cde8b541e3bf630749894e342a022100"
             "c1f7ab20e13e22fb95281a870f3dcf38d782e53023ee313d741ad0cfbc0c509001")
PUSH_SIGNATURE = "48" + SIGNATURE
PUBKEY = "03b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb2"
PUSH_PUBKEY = "21" + PUBKEY
PUBKEY_HASH = "5dd1d3a048119c27b28293056724d9522f26d945"
UNCOMPRESSED = ("04b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb2"
                "5e01fc8fde47c96c98a4f3a8123e33a38a50cf9025cc8c4494a518f991792bb7")


def sha256(hex_script):
    return hashlib.sha256(bytes.fromhex(hex_script)).hexdigest()


class DecodeScriptTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]

        self.log.info("P2PK: desc pk(), no address, wrapped as P2WPKH")
        r = node.decodescript(PUSH_PUBKEY + "ac")
        assert_equal(r["asm"], PUBKEY + " OP_CHECKSIG")
        assert_equal(r["desc"], descsum_create("pk(%s)" % PUBKEY))
        assert_equal(r["type"], "pubkey")
        assert "address" not in r
        assert_equal(list(r.keys()), ["asm", "desc", "type", "p2sh", "segwit"])
        assert_equal(r["segwit"]["asm"], "0 " + PUBKEY_HASH)
        assert_equal(r["segwit"]["type"], "witness_v0_keyhash")
        assert_equal(list(r["segwit"].keys()), ["asm", "desc", "hex", "address", "type", "p2sh-segwit"])
        assert r["segwit"]["address"].startswith("bcrt1q")
        assert_equal(node.decodescript(r["segwit"]["hex"])["address"], r["segwit"]["address"])

        self.log.info("P2PKH")
        r = node.decodescript("76a914" + PUBKEY_HASH + "88ac")
        assert_equal(r["asm"], "OP_DUP OP_HASH160 %s OP_EQUALVERIFY OP_CHECKSIG" % PUBKEY_HASH)
        assert_equal(r["type"], "pubkeyhash")
        assert_equal(r["desc"], descsum_create("addr(%s)" % r["address"]))
        assert_equal(r["segwit"]["asm"], "0 " + PUBKEY_HASH)

        self.log.info("multisig wraps as P2WSH, with the witness script known to the descriptor")
        ms = "52" + PUSH_PUBKEY * 3 + "53ae"
        r = node.decodescript(ms)
        assert_equal(r["asm"], "2 %s %s %s 3 OP_CHECKMULTISIG" % (PUBKEY, PUBKEY, PUBKEY))
        assert_equal(r["type"], "multisig")
        assert_equal(r["desc"], descsum_create("multi(2,%s,%s,%s)" % (PUBKEY, PUBKEY, PUBKEY)))
        assert_equal(r["segwit"]["asm"], "0 " + sha256(ms))
        assert_equal(r["segwit"]["desc"], descsum_create("wsh(multi(2,%s,%s,%s))" % (PUBKEY, PUBKEY, PUBKEY)))
        assert_equal(node.validateaddress(r["segwit"]["address"])["scriptPubKey"], "0020" + sha256(ms))

        self.log.info("uncompressed keys are not wrapped in segwit")
        r = node.decodescript("41" + UNCOMPRESSED + "ac")
        assert "p2sh" in r and "segwit" not in r

        self.log.info("P2SH, OP_RETURN and witness programs are not wrapped")
        r = node.decodescript("a914" + PUBKEY_HASH + "87")
        assert_equal(r["asm"], "OP_HASH160 %s OP_EQUAL" % PUBKEY_HASH)
        assert_equal(r["type"], "scripthash")
        assert "p2sh" not in r and "segwit" not in r
        r = node.decodescript("6a" + PUSH_SIGNATURE)
        assert_equal(r["asm"], "OP_RETURN " + SIGNATURE)
        assert_equal(r["type"], "nulldata")
        assert_equal(r["desc"], descsum_create("raw(6a%s)" % PUSH_SIGNATURE))
        assert "p2sh" not in r
        r = node.decodescript("5120" + "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
        assert_equal(r["type"], "witness_v1_taproot")
        assert_equal(r["desc"], descsum_create("rawtr(79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)"))
        assert "p2sh" not in r
        r = node.decodescript("51024e73")
        assert_equal((r["type"], r["address"]), ("anchor", "bcrt1pfeesnyr2tx"))

        self.log.info("CLTV script: numbers as decimals")
        r = node.decodescript("63" + PUSH_PUBKEY + "ad670320a107b17568" + PUSH_PUBKEY + "ac")
        assert_equal(r["asm"], "OP_IF %s OP_CHECKSIGVERIFY OP_ELSE 500000 OP_CHECKLOCKTIMEVERIFY OP_DROP OP_ENDIF %s OP_CHECKSIG" % (PUBKEY, PUBKEY))
        assert_equal(r["type"], "nonstandard")

        self.log.info("empty and invalid scripts")
        r = node.decodescript("")
        assert_equal((r["asm"], r["type"], r["desc"]), ("", "nonstandard", descsum_create("raw()")))
        assert_equal(node.decodescript("4c")["asm"], "[error]")
        assert_raises_rpc_error(-8, "argument must be hexadecimal string (not 'zz')", node.decodescript, "zz")
        assert_raises_rpc_error(-8, "argument must be hexadecimal string (not '0')", node.decodescript, "0")
        assert_raises_rpc_error(-3, "JSON value of type number is not of expected type string", node.decodescript, 1)

        self.log.info("scriptSig signatures show their sighash type")
        tx = ("01000000018d1f5635abd06e2c7e2ddf58dc85b3de111e4ad6e0ab51bb0dcf5e84126d927300000000fdfe0000483045022100ae3b4e589dfc9d48cb82d41008dc5fa6a86f94d5c54f9935531924602730ab8002202f88cf464414c4ed9fa11b773c5ee944f66e9b05cc1e51d97abc22ce098937ea01483045022100b44883be035600e9328a01b66c7d8439b74db64187e76b99a68f7893b701d5380220225bf286493e4c4adcf928c40f785422572eb232f84a0b83b0dea823c3a19c75014c695221020743d44be989540d27b1b4bbbcfd17721c337cb6bc9af20eb8a32520b393532f2102c0120a1dda9e51a938d39ddd9fe0ebc45ea97e1d27a7cbd671d5431416d3dd87210213820eb3d5f509d7438c9eeecb4157b2f595105e7cd564b3cdbb9ead3da41eed53aeffffffff02611e0000000000001976a914dc863734a218bfe83ef770ee9d41a27f824a6e5688acee2a02000000000017a9142a5edea39971049a540474c6a99edf0aa4074c588700000000")
        r = node.decoderawtransaction(tx)
        asm = r["vin"][0]["scriptSig"]["asm"]
        assert asm.startswith("0 3045022100ae3b4e589dfc9d48cb82d41008dc5fa6a86f94d5c54f9935531924602730ab8002202f88cf464414c4ed9fa11b773c5ee944f66e9b05cc1e51d97abc22ce098937ea[ALL] 3045022100b44883be")
        assert asm.endswith("c75[ALL] 5221020743d44be989540d27b1b4bbbcfd17721c337cb6bc9af20eb8a32520b393532f2102c0120a1dda9e51a938d39ddd9fe0ebc45ea97e1d27a7cbd671d5431416d3dd87210213820eb3d5f509d7438c9eeecb4157b2f595105e7cd564b3cdbb9ead3da41eed53ae")
        assert_equal(r["vout"][0]["scriptPubKey"]["asm"], "OP_DUP OP_HASH160 dc863734a218bfe83ef770ee9d41a27f824a6e56 OP_EQUALVERIFY OP_CHECKSIG")
        assert_equal(r["vout"][1]["scriptPubKey"]["type"], "scripthash")
        assert_equal(r["vout"][0]["value"], Decimal("0.00007777"))
        assert_equal(list(r.keys()), ["txid", "hash", "version", "size", "vsize", "weight", "locktime", "vin", "vout"])


if __name__ == "__main__":
    DecodeScriptTest().main()
