#!/usr/bin/env python3
"""Three nodes in a line (0 - 1 - 2), connected with addnode, sync a chain
headers-first, relay new blocks and transactions through the middle node,
and converge on the most-work chain after a split heals. A getheaders the
middle node ignored while in initial block download is answered once it is
out of it."""

from test_framework.miniwallet import MiniWallet
from test_framework.p2p import P2PInterface, hash_from_rpc, msg_getheaders
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal

OTHER_ADDR = "bcrt1q3sjhfzfqv0uetl0h267wql6xcxj3j0j5e4fgxlkerceqprx0gxkq8swv49"


class SyncTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def addr(self, i):
        return "127.0.0.1:%d" % self.nodes[i].p2p_port

    def run_test(self):
        n0, n1, n2 = self.nodes
        self.log.info("connect 1 -> 0 and 2 -> 1 with addnode")
        n1.addnode(self.addr(0), "add")
        n2.addnode(self.addr(1), "add")
        self.wait_until(lambda: n1.getconnectioncount() == 2)
        # node1 can count node2's connection a moment before node2 lists it.
        self.wait_until(lambda: [p["connection_type"] for p in n2.getpeerinfo()] == ["manual"])

        self.log.info("node1, in initial block download, ignores a getheaders")
        genesis = hash_from_rpc(n1.getblockhash(0))
        asker = n1.add_p2p_connection(P2PInterface())
        asker.send_message(msg_getheaders(locator=[genesis]))
        asker.sync_with_ping()
        assert "headers" not in asker.last_message

        self.log.info("node0 mines 200 blocks; the others sync them")
        wallet = MiniWallet(n0)
        wallet.generate(200)
        self.sync_blocks(timeout=120)
        assert_equal(n2.getblockcount(), 200)
        assert_equal(n2.getbestblockhash(), n0.getbestblockhash())

        self.log.info("out of initial block download, node1 answers the getheaders it ignored")
        # The asker sent no sendheaders: any other headers message would be
        # inv announcements instead.
        asker.wait_until(lambda: "headers" in asker.last_message)
        answer = next(m for t, m in asker.messages if t == "headers")
        assert answer.headers[0][4:36] == genesis
        assert_equal(answer.hashes()[0], hash_from_rpc(n1.getblockhash(1)))
        asker.peer_disconnect()
        self.wait_until(lambda: n1.getconnectioncount() == 2)

        self.log.info("a transaction sent to node0 reaches every mempool")
        txid = wallet.send_self_transfer()["txid"]
        self.wait_until(lambda: all(txid in n.getrawmempool() for n in self.nodes))

        self.log.info("a block mined on node2 reaches node0 and confirms the transaction everywhere")
        n2.generatetoaddress(1, OTHER_ADDR)
        self.sync_blocks()
        self.wait_until(lambda: all(n.getmempoolinfo()["size"] == 0 for n in self.nodes))

        self.log.info("split: node2 goes its own way")
        n2.addnode(self.addr(1), "remove")
        n2.disconnectnode(self.addr(1))
        self.wait_until(lambda: n2.getconnectioncount() == 0 and n1.getconnectioncount() == 1)
        short = n0.generatetoaddress(2, OTHER_ADDR)
        self.sync_blocks([n0, n1])
        # Another address than node0 uses, or the branches could share blocks.
        long = n2.generatetoaddress(5, wallet.address)
        assert_equal(n0.getblockcount(), 203)

        self.log.info("the split heals: everyone reorganises to node2's longer branch")
        n2.addnode(self.addr(1), "add")
        self.sync_blocks()
        assert_equal(n0.getbestblockhash(), long[-1])
        tips = {t["hash"]: t["status"] for t in n0.getchaintips()}
        assert_equal(tips[short[-1]], "valid-fork")
        assert_equal(n0.getblockcount(), 206)


if __name__ == "__main__":
    SyncTest().main()
