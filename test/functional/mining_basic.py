#!/usr/bin/env python3
"""Mining on regtest: generatetoaddress, generateblock, submitblock and
submitheader results, getmininginfo and getnetworkhashps."""

from decimal import Decimal

from test_framework.miniwallet import MiniWallet, solve
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error


class MiningBasicTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def run_test(self):
        node, other = self.nodes
        wallet = MiniWallet(node)

        self.log.info("generatetoaddress mines blocks paying the address")
        hashes = wallet.generate(101)
        assert_equal(len(hashes), 101)
        assert_equal(node.getblockcount(), 101)
        assert_equal(node.getbestblockhash(), hashes[-1])
        coinbase = node.getblock(hashes[0], 2)["tx"][0]
        assert_equal(coinbase["vout"][0]["value"], Decimal("50.00000000"))
        assert_equal(coinbase["vout"][0]["scriptPubKey"]["address"], wallet.address)
        assert_raises_rpc_error(-5, "Error: Invalid address", node.generatetoaddress, 1, "notanaddress")
        assert_raises_rpc_error(-32601, "generate\n\nhas been replaced by the -generate cli option", node.generate)
        assert_raises_rpc_error(-1, "generate\n\nhas been replaced", node.generate, 1)

        self.log.info("blocks carry mempool transactions, and fees go to the miner")
        sent = wallet.send_self_transfer()
        assert_equal(node.getrawmempool(), [sent["txid"]])
        block_hash = wallet.generate(1)[0]
        block = node.getblock(block_hash, 2)
        assert_equal([tx["txid"] for tx in block["tx"][1:]], [sent["txid"]])
        assert_equal(block["tx"][0]["vout"][0]["value"], Decimal("50") + Decimal(sent["fee"]) / 100_000_000)
        assert_equal(node.getrawmempool(), [])

        self.log.info("getmininginfo and getnetworkhashps")
        info = node.getmininginfo()
        assert_equal(info["blocks"], 102)
        assert_equal(info["chain"], "regtest")
        assert_equal(info["bits"], "207fffff")
        assert_equal(info["next"]["height"], 103)
        assert_equal(info["pooledtx"], 0)
        assert info["networkhashps"] > 0
        assert_equal(node.getnetworkhashps(120, 0), 0)
        assert_raises_rpc_error(-8, "Block does not exist at specified height", node.getnetworkhashps, 120, 1000)

        self.log.info("submitblock: new, duplicate, invalid; submitheader")
        for height in range(1, node.getblockcount() + 1):
            raw = node.getblock(node.getblockhash(height), 0)
            if height == 1:
                header = raw[:160]
                assert_equal(other.submitheader(header), None)
                assert_equal(other.getchaintips()[0]["status"], "active")
                assert {"height": 1, "hash": node.getblockhash(1), "branchlen": 1, "status": "headers-only"} in other.getchaintips()
            assert_equal(other.submitblock(raw), None)
        assert_equal(other.getbestblockhash(), node.getbestblockhash())
        assert_equal(other.submitblock(node.getblock(node.getblockhash(5), 0)), "duplicate")
        assert_raises_rpc_error(-22, "Block decode failed", other.submitblock, "00")
        bad = node.generateblock(wallet.address, [], False)
        assert_equal(node.getblockcount(), 102)
        raw = bytearray.fromhex(bad["hex"])
        raw[36] ^= 1  # break the merkle root, then redo the proof of work
        assert_equal(other.submitblock(solve(raw).hex()), "bad-txnmrklroot")
        assert_raises_rpc_error(-22, "Block header decode failed", other.submitheader, "00")
        orphan = "00000020" + "11" * 32 + bad["hex"][72:160]
        assert_raises_rpc_error(-25, "Must submit previous header (" + "11" * 32 + ") first", other.submitheader, orphan)

        self.log.info("generatetodescriptor and generateblock take descriptors")
        desc = node.getdescriptorinfo(f"addr({wallet.address})")["descriptor"]
        [h] = node.generatetodescriptor(1, desc)
        assert_equal(node.getblock(h, 2)["tx"][0]["vout"][0]["scriptPubKey"]["address"], wallet.address)
        raw_desc = f"raw({wallet.script_pubkey.hex()})"
        assert_equal(node.getblock(node.generateblock(raw_desc, [])["hash"], 2)["tx"][0]["vout"][0]["scriptPubKey"]["address"], wallet.address)
        assert_raises_rpc_error(-5, "Error: Invalid address or descriptor", node.generateblock, "nonsense", [])
        ranged = "wpkh(tpubD6NzVbkrYhZ4XgiXtGrdW5XDAPFCL9h7we1vwNCpn8tGbBcgfVYjXyhWo4E1xkh56hjod1RhGjxbaTLV3X4FyWuejifB9jusQ46QzG87VKp/0/*)"
        assert_raises_rpc_error(-8, "Ranged descriptor not accepted. Maybe pass through deriveaddresses first?", node.generatetodescriptor, 1, ranged)

        self.log.info("generateblock mines exactly the given transactions")
        tx = wallet.send_self_transfer()
        raw_tx, _, _ = wallet.create_self_transfer()
        result = node.generateblock(wallet.address, [tx["txid"], raw_tx.hex()])
        block = node.getblock(result["hash"])
        assert_equal(block["tx"][1:], [tx["txid"], raw_tx.txid])
        assert_raises_rpc_error(-5, "Transaction " + "ab" * 32 + " not in mempool.", node.generateblock, wallet.address, ["ab" * 32])
        assert_raises_rpc_error(-22, "Transaction decode failed for 00", node.generateblock, wallet.address, ["00"])
        spent_again = raw_tx.hex()
        assert_raises_rpc_error(-25, "TestBlockValidity failed: bad-txns-inputs-missingorspent",
                                node.generateblock, wallet.address, [spent_again])


if __name__ == "__main__":
    MiningBasicTest().main()
