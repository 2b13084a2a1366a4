#!/usr/bin/env python3
"""Reorganisations: a longer branch wins, invalidateblock moves the tip back,
reconsiderblock restores it, preciousblock picks among equal-work tips, and
coins and mempool follow the active chain."""

from test_framework.miniwallet import MiniWallet
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

ADDR_B = "bcrt1q3sjhfzfqv0uetl0h267wql6xcxj3j0j5e4fgxlkerceqprx0gxkq8swv49"  # P2WSH(OP_2)


class InvalidateBlockTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def copy_blocks(self, src, dst, start, end):
        for height in range(start, end + 1):
            assert_equal(dst.submitblock(src.getblock(src.getblockhash(height), 0)), None)

    def run_test(self):
        a, b = self.nodes
        wallet = MiniWallet(a)
        wallet.generate(110)
        self.copy_blocks(a, b, 1, 110)
        assert_equal(b.getbestblockhash(), a.getbestblockhash())

        self.log.info("each node extends the chain on its own: a by 2 blocks, b by 4")
        tx = wallet.send_self_transfer()
        a_branch = wallet.generate(2)
        assert tx["txid"] in a.getblock(a_branch[0])["tx"]
        b_branch = b.generatetoaddress(4, ADDR_B)

        self.log.info("b's longer branch makes a reorganise; the transaction returns to the mempool")
        for h in b_branch:
            result = a.submitblock(b.getblock(h, 0))
            assert result in (None, "inconclusive"), result
        assert_equal(a.getbestblockhash(), b_branch[-1])
        assert_equal(a.getblockcount(), 114)
        assert_equal(a.getrawmempool(), [tx["txid"]])
        tips = {t["hash"]: t for t in a.getchaintips()}
        assert_equal(tips[b_branch[-1]]["status"], "active")
        assert_equal(tips[a_branch[-1]], {"height": 112, "hash": a_branch[-1], "branchlen": 2, "status": "valid-fork"})
        assert_equal(a.getblock(a_branch[0])["confirmations"], -1)
        assert_equal(a.gettxout(tx["txid"], 0, False), None)
        assert_equal(a.gettxout(tx["txid"], 0)["confirmations"], 0)

        self.log.info("invalidateblock moves the tip below the block; reconsiderblock brings it back")
        a.invalidateblock(b_branch[0])
        assert_equal(a.getbestblockhash(), a_branch[-1])
        assert tx["txid"] not in a.getrawmempool()
        assert_equal(a.getblock(a_branch[0])["confirmations"], 2)
        tips = {t["hash"]: t["status"] for t in a.getchaintips()}
        assert_equal(tips[b_branch[-1]], "invalid")
        a.reconsiderblock(b_branch[-1])
        assert_equal(a.getbestblockhash(), b_branch[-1])
        assert_raises_rpc_error(-5, "Block not found", a.invalidateblock, "00" * 32)
        assert_raises_rpc_error(-8, "blockhash must be of length 64 (not 3, for 'abc')", a.invalidateblock, "abc")

        self.log.info("preciousblock chooses between tips of equal work")
        a.invalidateblock(b_branch[2])
        assert_equal(a.getblockcount(), 112)
        tip_a = a.getbestblockhash()
        b_fork = a.getblockhash(111)
        assert tip_a in (a_branch[-1], b_branch[1])
        other = b_branch[1] if tip_a == a_branch[-1] else a_branch[-1]
        a.preciousblock(other)
        assert_equal(a.getbestblockhash(), other)
        a.preciousblock(tip_a)
        assert_equal(a.getbestblockhash(), tip_a)
        assert b_fork

        self.log.info("the chain state survives a restart as it was")
        best = a.getbestblockhash()
        self.restart_node(0)
        assert_equal(a.getbestblockhash(), best)
        assert_equal(a.verifychain(4, 0), True)


if __name__ == "__main__":
    InvalidateBlockTest().main()
