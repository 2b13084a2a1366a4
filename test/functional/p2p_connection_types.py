#!/usr/bin/env python3
"""The automatic connection types, opened with the test-only addconnection:
outbound-full-relay, block-relay-only (no transactions, no addresses, two
slots), addr-fetch (closed once addresses came) and feeler (closed after the
handshake), with getpeerinfo's connection_type on both ends."""

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error


class ConnectionTypesTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 3

    def peers_of(self, node, conn_type):
        return [p for p in node.getpeerinfo() if p["connection_type"] == conn_type]

    def run_test(self):
        n0, n1, n2 = self.nodes
        to1 = "127.0.0.1:%d" % n1.p2p_port
        to2 = "127.0.0.1:%d" % n2.p2p_port

        # Out of initial block download, n1 answers header requests.
        n1.generatetoaddress(1, "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw")
        self.log.info("block-relay-only: blocks only, in two slots")
        assert_equal(n0.addconnection(to1, "block-relay-only", False),
                     {"address": to1, "connection_type": "block-relay-only"})
        # Headers sync starts with one peer; make it the one with the block.
        self.wait_until(lambda: n0.getblockcount() == 1)
        n0.addconnection(to2, "block-relay-only", False)
        self.wait_until(lambda: len(self.peers_of(n0, "block-relay-only")) == 2)
        assert_raises_rpc_error(-34, "Error: Already at capacity for specified connection type.",
                                n0.addconnection, to1, "block-relay-only", False)
        self.wait_until(lambda: len(n1.getpeerinfo()) == 1)
        [inbound] = n1.getpeerinfo()
        assert_equal((inbound["connection_type"], inbound["relaytxes"]), ("inbound", False))
        for peer in self.peers_of(n0, "block-relay-only"):
            assert_equal(peer["addr_relay_enabled"], False)
        n1.generatetoaddress(1, "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw")
        self.wait_until(lambda: n0.getblockcount() == 2)

        self.log.info("outbound-full-relay: transactions and addresses too")
        n0.disconnectnode(nodeid=self.peers_of(n0, "block-relay-only")[0]["id"])
        self.wait_until(lambda: len(n0.getpeerinfo()) == 1)
        target = to1 if not any(p["addr"] == to1 for p in n0.getpeerinfo()) else to2
        n0.addconnection(target, "outbound-full-relay", False)
        self.wait_until(lambda: len(self.peers_of(n0, "outbound-full-relay")) == 1)
        self.wait_until(lambda: self.peers_of(n0, "outbound-full-relay")[0]["addr_relay_enabled"])
        assert_equal(self.peers_of(n0, "outbound-full-relay")[0]["relaytxes"], True)

        for peer in n0.getpeerinfo():
            n0.disconnectnode(nodeid=peer["id"])
        self.wait_until(lambda: n0.getconnectioncount() == 0)

        self.log.info("feeler: closed right after the handshake")
        with n0.assert_debug_log(["feeler connection completed"], timeout=30):
            n0.addconnection(to1, "feeler", False)
        self.wait_until(lambda: not self.peers_of(n0, "feeler"))

        self.log.info("addr-fetch: asks for addresses, closes once a list came")
        for i in range(10):
            n2.addpeeraddress("7.%d.0.1" % i, 8333)
        with n0.assert_debug_log(["addr-fetch connection done"], timeout=30):
            n0.addconnection(to2, "addr-fetch", False)
        self.wait_until(lambda: not self.peers_of(n0, "addr-fetch"))
        learned = {a["address"] for a in n0.getnodeaddresses(0)}
        assert len(learned) == 2 and all(a.startswith("7.") for a in learned), learned

        self.log.info("errors")
        assert_raises_rpc_error(-8, "addconnection", n0.addconnection, to1, "inbound", False)
        assert_raises_rpc_error(-8, "Error: Adding v2transport connections requires -v2transport init flag to be set.",
                                n0.addconnection, to1, "feeler", True)


if __name__ == "__main__":
    ConnectionTypesTest().main()
