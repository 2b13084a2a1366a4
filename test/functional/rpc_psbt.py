#!/usr/bin/env python3
"""The stateless PSBT methods: createpsbt, converttopsbt, decodepsbt, combinepsbt, finalizepsbt, analyzepsbt."""

import base64
from decimal import Decimal

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error
from rpc_rawtransaction import ADDRESS, P2PKH_INPUTS, PRIVKEYS, TXID

# Short invalid vectors from the reference's rpc_psbt.json.
INVALID = [
    "cHNidP8BACoCAAAAAAFAQg8AAAAAABepFG6Rty1Vk+fUOR4v9E6R6YXDFkHwhwAAAAAAAQEAAQEBagA=",
    "cHNidP8BACoCAAAAAAFAQg8AAAAAABepFG6Rty1Vk+fUOR4v9E6R6YXDFkHwhwAAAAAAAQAAAQABagA=",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////AAAAAAAAAQMErd7f7gEDBAEAAAAA",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////AAAAAAAAAQQAAQQBagA=",
    "cHNidP8BADMBAAAAAREREREREREREREREREREREREfrK3hERERERERERERERfwAAAAD/////AAAAAAAAAQcAAQcBUQA=",
]


def compact_size(n):
    if n < 0xfd:
        return bytes([n])
    if n <= 0xffff:
        return b"\xfd" + n.to_bytes(2, "little")
    return b"\xfe" + n.to_bytes(4, "little")


def kv(key, value):
    return compact_size(len(key)) + key + compact_size(len(value)) + value


def make_psbt(unsigned_hex, inputs, outputs):
    """A PSBT from an unsigned transaction and maps of (key, value) byte pairs."""
    out = b"psbt\xff" + kv(b"\x00", bytes.fromhex(unsigned_hex)) + b"\x00"
    for m in inputs + outputs:
        out += b"".join(kv(k, v) for k, v in m) + b"\x00"
    return base64.b64encode(out).decode()


def pushes(script_hex):
    """The data pushes of a push-only script (direct pushes only)."""
    b, items, i = bytes.fromhex(script_hex), [], 0
    while i < len(b):
        n = b[i]
        items.append(b[i + 1:i + 1 + n])
        i += 1 + n
    return items


class PSBTTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        n = self.nodes[0]
        inputs, outputs = [{"txid": TXID, "vout": 0}], {ADDRESS: 1, "data": "00010203"}

        self.log.info("createpsbt, converttopsbt and decodepsbt agree with the raw transaction")
        raw = n.createrawtransaction(inputs, outputs)
        psbt = n.createpsbt(inputs, outputs)
        assert_equal(n.converttopsbt(raw), psbt)
        decoded = n.decodepsbt(psbt)
        assert_equal(decoded["tx"], n.decoderawtransaction(raw))
        assert_equal(list(decoded.keys()), ["tx", "global_xpubs", "psbt_version", "proprietary", "unknown", "inputs", "outputs"])
        assert_equal((decoded["global_xpubs"], decoded["psbt_version"], decoded["proprietary"], decoded["unknown"]), ([], 0, [], {}))
        assert_equal((decoded["inputs"], decoded["outputs"]), ([{}], [{}, {}]))
        assert_equal(n.createpsbt(inputs=inputs, outputs=outputs, locktime=0, replaceable=False, version=3),
                     n.converttopsbt(n.createrawtransaction(inputs, outputs, 0, False, 3)))
        assert_raises_rpc_error(-8, "Invalid parameter, version out of range(1~3)", n.createpsbt, inputs, outputs, 0, True, 4)
        assert_raises_rpc_error(-8, "Invalid parameter, duplicate key: data", n.createpsbt, [], [{"data": "aa"}, {"data": "bb"}])

        self.log.info("analyzepsbt and finalizepsbt without UTXOs")
        assert_equal(n.analyzepsbt(psbt), {"inputs": [{"has_utxo": False, "is_final": False, "next": "updater"}], "next": "updater"})
        assert_equal(n.finalizepsbt(psbt), {"psbt": psbt, "complete": False})

        self.log.info("converttopsbt refuses signatures unless told to drop them")
        signed = n.signrawtransactionwithkey(n.createrawtransaction(P2PKH_INPUTS, {ADDRESS: 0.1}), PRIVKEYS, P2PKH_INPUTS)["hex"]
        assert_raises_rpc_error(-22, "Inputs must not have scriptSigs and scriptWitnesses", n.converttopsbt, signed)
        assert_equal(n.converttopsbt(signed, True), n.createpsbt(P2PKH_INPUTS, {ADDRESS: 0.1}))
        assert_raises_rpc_error(-22, "TX decode failed", n.converttopsbt, "00")

        self.log.info("decoding errors")
        assert_raises_rpc_error(-22, "TX decode failed invalid base64", n.decodepsbt, "!!!!")
        assert_raises_rpc_error(-22, "TX decode failed", n.decodepsbt, "")
        assert_raises_rpc_error(-22, "TX decode failed Invalid PSBT magic bytes", n.decodepsbt, base64.b64encode(b"psbx\xff").decode())
        for invalid in INVALID:
            assert_raises_rpc_error(-22, "TX decode failed", n.decodepsbt, invalid)
        for rpc in [n.analyzepsbt, n.finalizepsbt]:
            assert_raises_rpc_error(-22, "TX decode failed invalid base64", rpc, "!!!!")

        self.log.info("combinepsbt")
        assert_raises_rpc_error(-8, "Parameter 'txs' cannot be empty", n.combinepsbt, [])
        assert_raises_rpc_error(-8, "PSBTs not compatible (different transactions)", n.combinepsbt, [psbt, n.createpsbt(inputs, {ADDRESS: 2})])
        assert_equal(n.combinepsbt([psbt, psbt]), psbt)

        self.log.info("a PSBT with the spent transaction and a partial signature: analyze, combine, finalize")
        prev_raw = n.createrawtransaction([{"txid": TXID, "vout": 0}], {ADDRESS: 2})
        prev_txid = n.decoderawtransaction(prev_raw)["txid"]
        spk = n.decoderawtransaction(prev_raw)["vout"][0]["scriptPubKey"]["hex"]
        spend_inputs = [{"txid": prev_txid, "vout": 0}]
        unsigned = n.createrawtransaction(spend_inputs, {ADDRESS: Decimal("1.9999")})
        prevtx = [{"txid": prev_txid, "vout": 0, "scriptPubKey": spk}]
        signed = n.signrawtransactionwithkey(unsigned, PRIVKEYS[:1], prevtx)
        assert signed["complete"]
        sig, pubkey = pushes(n.decoderawtransaction(signed["hex"])["vin"][0]["scriptSig"]["hex"])
        utxo_only = make_psbt(unsigned, [[(b"\x00", bytes.fromhex(prev_raw))]], [[]])
        with_sig = make_psbt(unsigned, [[(b"\x00", bytes.fromhex(prev_raw)), (b"\x02" + pubkey, sig)]], [[]])

        decoded = n.decodepsbt(with_sig)
        assert_equal(decoded["inputs"][0]["partial_signatures"], {pubkey.hex(): sig.hex()})
        assert_equal(decoded["inputs"][0]["non_witness_utxo"]["txid"], prev_txid)
        assert_equal(decoded["fee"], Decimal("0.00010000"))

        analysis = n.analyzepsbt(utxo_only)
        assert_equal(analysis["inputs"], [{"has_utxo": True, "is_final": False, "next": "updater",
                                           "missing": {"pubkeys": [spk[6:46]]}}])
        assert_equal((analysis["next"], analysis["fee"]), ("updater", Decimal("0.00010000")))
        analysis = n.analyzepsbt(with_sig)
        assert_equal(analysis["inputs"], [{"has_utxo": True, "is_final": False, "next": "finalizer"}])
        assert_equal(list(analysis.keys()), ["inputs", "estimated_vsize", "estimated_feerate", "fee", "next"])
        assert_equal(analysis["estimated_vsize"], len(signed["hex"]) // 2)
        assert_equal(analysis["next"], "finalizer")

        assert_equal(n.combinepsbt([utxo_only, with_sig]), n.combinepsbt([with_sig, utxo_only]))
        assert_equal(n.decodepsbt(n.combinepsbt([utxo_only, with_sig]))["inputs"][0]["partial_signatures"], {pubkey.hex(): sig.hex()})

        final = n.finalizepsbt(with_sig)
        assert_equal(final, {"hex": signed["hex"], "complete": True})
        kept = n.finalizepsbt(with_sig, False)
        assert_equal(kept["complete"], True)
        done = n.decodepsbt(kept["psbt"])["inputs"][0]
        assert "partial_signatures" not in done
        assert_equal(done["final_scriptSig"]["hex"], n.decoderawtransaction(signed["hex"])["vin"][0]["scriptSig"]["hex"])
        assert_equal(n.analyzepsbt(kept["psbt"])["next"], "extractor")
        assert_equal(n.analyzepsbt(kept["psbt"])["inputs"][0]["is_final"], True)
        assert_equal(n.finalizepsbt(kept["psbt"]), final)

        self.log.info("a signature that does not verify is not enough")
        bad_sig = sig[:10] + bytes([sig[10] ^ 1]) + sig[11:]
        bad = make_psbt(unsigned, [[(b"\x00", bytes.fromhex(prev_raw)), (b"\x02" + pubkey, bad_sig)]], [[]])
        assert_equal(n.finalizepsbt(bad)["complete"], False)


if __name__ == "__main__":
    PSBTTest().main()
