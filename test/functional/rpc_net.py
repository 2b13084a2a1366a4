#!/usr/bin/env python3
"""The network RPCs: getpeerinfo fields, getconnectioncount, getnettotals,
getnetworkinfo's live values, addnode and getaddednodeinfo with their
errors, disconnectnode, setnetworkactive and ping."""

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than, assert_raises_rpc_error

PEERINFO_FIELDS = {
    "id", "addr", "addrbind", "network", "services", "servicesnames", "relaytxes", "lastsend", "lastrecv",
    "bytessent", "bytesrecv", "conntime", "timeoffset", "version", "subver", "inbound", "bip152_hb_to",
    "bip152_hb_from", "startingheight", "presynced_headers", "synced_headers", "synced_blocks", "inflight",
    "addr_relay_enabled", "addr_processed", "addr_rate_limited", "permissions", "minfeefilter",
    "bytessent_per_msg", "bytesrecv_per_msg", "connection_type", "transport_protocol_type", "session_id",
}


class NetTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def run_test(self):
        n0, n1 = self.nodes
        target = "127.0.0.1:%d" % n1.p2p_port
        assert_equal(n0.getconnectioncount(), 0)
        assert_equal(n0.getnetworkinfo()["localservices"], "0000000000000409")
        assert_equal(n0.getnetworkinfo()["localservicesnames"], ["NETWORK", "WITNESS", "NETWORK_LIMITED"])

        self.log.info("addnode add connects and keeps the node in the list")
        n0.addnode(target, "add")
        self.wait_until(lambda: n0.getconnectioncount() == 1 and n1.getconnectioncount() == 1)
        self.wait_until(lambda: all("pingtime" in p for n in self.nodes for p in n.getpeerinfo()))
        assert_raises_rpc_error(-23, "Error: Node already added", n0.addnode, target, "add")
        assert_raises_rpc_error(-24, "Error: Node could not be removed. It has not been added previously.",
                                n0.addnode, "127.0.0.1:1", "remove")
        assert_raises_rpc_error(-1, "addnode", n0.addnode, target, "bogus")
        assert_raises_rpc_error(-8, "v2transport requested but not enabled", n0.addnode, target, "onetry", True)
        added = n0.getaddednodeinfo()
        assert_equal(added, [{"addednode": target, "connected": True,
                              "addresses": [{"address": target, "connected": "outbound"}]}])
        assert_equal(n0.getaddednodeinfo(target), added)
        assert_raises_rpc_error(-24, "Error: Node has not been added.", n0.getaddednodeinfo, "127.0.0.1:2")

        self.log.info("getpeerinfo has the reference's fields")
        out = n0.getpeerinfo()[0]
        inbound = n1.getpeerinfo()[0]
        assert PEERINFO_FIELDS <= set(out), PEERINFO_FIELDS - set(out)
        assert_equal(out["addr"], target)
        assert_equal((out["inbound"], inbound["inbound"]), (False, True))
        assert_equal((out["connection_type"], inbound["connection_type"]), ("manual", "inbound"))
        assert_equal(out["network"], "not_publicly_routable")
        assert_equal(out["services"], "0000000000000409")
        assert_equal(out["subver"], n1.getnetworkinfo()["subversion"])
        assert_equal(inbound["subver"], n0.getnetworkinfo()["subversion"])
        assert_equal(out["version"], 70016)
        assert_equal(out["transport_protocol_type"], "v1")
        assert_greater_than(out["bytesrecv_per_msg"]["verack"], 0)
        assert_greater_than(out["bytessent_per_msg"]["version"], 0)

        self.log.info("counts and totals")
        info = n0.getnetworkinfo()
        assert_equal((info["connections"], info["connections_in"], info["connections_out"]), (1, 0, 1))
        totals = n0.getnettotals()
        assert_greater_than(totals["totalbytesrecv"], 0)
        assert_greater_than(totals["totalbytessent"], 0)
        assert_equal(totals["uploadtarget"]["target"], 0)

        self.log.info("ping measures again")
        pings = n0.getpeerinfo()[0]["bytessent_per_msg"]["ping"]
        n0.ping()
        self.wait_until(lambda: n0.getpeerinfo()[0]["bytessent_per_msg"]["ping"] > pings)

        self.log.info("disconnectnode by address and by id, and its errors")
        assert_raises_rpc_error(-32602, "Only one of address and nodeid should be provided.",
                                n0.disconnectnode, target, 0)
        assert_raises_rpc_error(-29, "Node not found in connected nodes", n0.disconnectnode, "127.0.0.1:3")
        assert_raises_rpc_error(-29, "Node not found in connected nodes", n0.disconnectnode, "", 1000)
        n0.addnode(target, "remove")
        n0.disconnectnode(target)
        self.wait_until(lambda: n0.getconnectioncount() == 0 and n1.getconnectioncount() == 0)
        n0.addnode(target, "onetry")
        self.wait_until(lambda: n1.getconnectioncount() == 1)
        assert_equal(n0.getaddednodeinfo(), [])
        n1.disconnectnode(nodeid=n1.getpeerinfo()[0]["id"])
        self.wait_until(lambda: n0.getconnectioncount() == 0 and n1.getconnectioncount() == 0)

        self.log.info("setnetworkactive false drops every peer; true reconnects added nodes")
        n0.addnode(target, "add")
        self.wait_until(lambda: n0.getconnectioncount() == 1)
        assert_equal(n0.setnetworkactive(False), False)
        assert_equal(n0.getnetworkinfo()["networkactive"], False)
        self.wait_until(lambda: n0.getconnectioncount() == 0 and n1.getconnectioncount() == 0)
        assert_equal(n0.setnetworkactive(True), True)
        self.wait_until(lambda: n0.getconnectioncount() == 1)


if __name__ == "__main__":
    NetTest().main()
