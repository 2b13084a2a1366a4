#!/usr/bin/env python3
"""Addresses: the address table through addpeeraddress and
getnodeaddresses, answers to getaddr (once, to inbound peers, at most 23% of
the table, as addrv2 to peers that asked for it), relay of fresh
announcements to other peers, the per-peer rate limit, oversized messages,
and peers.dat across a restart."""

import time

from test_framework.p2p import (
    NODE_NETWORK,
    NODE_WITNESS,
    P2PInterface,
    msg_addr,
    msg_addrv2,
    msg_getaddr,
)
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

SERVICES = NODE_NETWORK | NODE_WITNESS


class AddrTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]

        self.log.info("addpeeraddress adds routable addresses; getnodeaddresses lists them")
        assert_equal(node.getnodeaddresses(), [])
        assert_equal(node.addpeeraddress("1.2.3.4", 8333), {"success": True})
        assert_equal(node.addpeeraddress("127.0.0.1", 8333), {"error": "failed-adding-to-new", "success": False})
        assert_equal(node.addpeeraddress("10.0.0.1", 8333), {"error": "failed-adding-to-new", "success": False})
        assert_equal(node.addpeeraddress("not an address", 8333), {"success": False})
        assert_equal(node.addpeeraddress("2a00:1450::1", 8333, True), {"success": True})
        [entry] = node.getnodeaddresses(0, "ipv4")
        assert_equal((entry["address"], entry["port"], entry["network"], entry["services"]),
                     ("1.2.3.4", 8333, "ipv4", SERVICES))
        assert abs(entry["time"] - time.time()) < 60
        assert_equal(node.getnodeaddresses(0, "ipv6")[0]["address"], "2a00:1450::1")
        assert_equal(len(node.getnodeaddresses(1)), 1)
        assert_equal(node.getnodeaddresses(0, "onion"), [])
        assert_raises_rpc_error(-8, "Address count out of range", node.getnodeaddresses, -1)
        assert_raises_rpc_error(-8, "Network not recognized: moon", node.getnodeaddresses, 0, "moon")
        for i in range(20):
            node.addpeeraddress("5.%d.0.1" % i, 8333)
        assert_equal(len(node.getnodeaddresses(0)), 22)

        self.log.info("getaddr is answered once, with at most 23% of the table, as addrv2 to a peer that asked")
        asker = node.add_p2p_connection(P2PInterface())
        asker.send_message(msg_getaddr())
        answer = asker.wait_for_message("addrv2")
        assert_equal(len(answer.addrs), 22 * 23 // 100)
        known = {a["address"] for a in node.getnodeaddresses(0)}
        assert all(a[2] in known and a[1] == SERVICES for a in answer.addrs)
        asker.send_message(msg_getaddr())
        asker.sync_with_ping()
        assert_equal(asker.message_count["addrv2"], 1)
        # Another peer gets the same cached sample, not a new one.
        other = node.add_p2p_connection(P2PInterface())
        other.send_message(msg_getaddr())
        assert_equal(sorted(other.wait_for_message("addrv2").addrs), sorted(answer.addrs))
        other.peer_disconnect()
        self.wait_until(lambda: node.getconnectioncount() == 1)

        self.log.info("a fresh announcement is taken in and passed on to a peer that relays addresses")
        announcer = node.add_p2p_connection(P2PInterface())
        now = int(time.time())
        announcer.send_message(msg_addrv2([(now, SERVICES, "8.8.4.4", 8333)]))
        announcer.sync_with_ping()
        assert "8.8.4.4" in {a["address"] for a in node.getnodeaddresses(0)}
        # Relays go out on a random schedule averaging half a minute: move the clock on.
        node.setmocktime(now + 3600)
        asker.wait_until(lambda: asker.message_count.get("addrv2", 0) == 2)
        assert_equal([a[2] for a in asker.last_message["addrv2"].addrs], ["8.8.4.4"])
        self.log.info("an address a peer knows already is not sent to it again")
        # Each from a new peer (one address per newcomer passes the rate
        # limit), which leaves the asker the only peer to relay to.
        announcer.peer_disconnect()
        self.wait_until(lambda: node.getconnectioncount() == 1)
        now += 3600
        node.setmocktime(now)
        for address in ["8.8.4.4", "8.8.8.8"]:
            newcomer = node.add_p2p_connection(P2PInterface())
            newcomer.send_message(msg_addrv2([(now, SERVICES, address, 8333)]))
            newcomer.sync_with_ping()
            newcomer.peer_disconnect()
            self.wait_until(lambda: node.getconnectioncount() == 1)
        node.setmocktime(now + 3600)
        asker.wait_until(lambda: asker.message_count.get("addrv2", 0) == 3)
        assert_equal([a[2] for a in asker.last_message["addrv2"].addrs], ["8.8.8.8"])
        node.setmocktime(0)
        stats = {p["id"]: p for p in node.getpeerinfo()}
        assert all(p["addr_relay_enabled"] for p in stats.values())

        self.log.info("an unsolicited flood is rate limited; legacy addr works too")
        flooder = node.add_p2p_connection(P2PInterface())
        flooder.send_message(msg_addr([(now, SERVICES, "9.%d.%d.1" % (i // 250, i % 250), 8333) for i in range(1000)]))
        flooder.sync_with_ping()
        [peer] = [p for p in node.getpeerinfo() if p["addr_processed"] + p["addr_rate_limited"] == 1000]
        assert peer["addr_processed"] <= 2 and peer["addr_rate_limited"] >= 998

        self.log.info("more than 1000 addresses in one message ends the connection")
        oversized = node.add_p2p_connection(P2PInterface())
        oversized.send_message(msg_addr([(now, SERVICES, "9.9.9.9", 8333)] * 1001))
        oversized.wait_for_disconnect()

        self.log.info("the table survives a restart in peers.dat")
        before = sorted(a["address"] for a in node.getnodeaddresses(0))
        self.restart_node(0)
        assert_equal(sorted(a["address"] for a in node.getnodeaddresses(0)), before)


if __name__ == "__main__":
    AddrTest().main()
