#!/usr/bin/env python3
"""Manual bans: setban adds and removes addresses and subnets, a banned
peer is disconnected and refused, listbanned shows the bans with their
times, bans expire, survive a restart (banlist.json) and clearbanned
lifts them all."""

import json
import os
import time

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error


class SetBanTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def connect(self):
        n0, n1 = self.nodes
        n1.addnode("127.0.0.1:%d" % n0.p2p_port, "onetry")

    def run_test(self):
        n0, n1 = self.nodes
        self.connect()
        self.wait_until(lambda: n0.getconnectioncount() == 1)

        self.log.info("setban add disconnects the peer and refuses it afterwards")
        assert_equal(n0.setban("127.0.0.1", "add"), None)
        self.wait_until(lambda: n0.getconnectioncount() == 0 and n1.getconnectioncount() == 0)
        [ban] = n0.listbanned()
        assert_equal(ban["address"], "127.0.0.1/32")
        assert_equal(ban["ban_duration"], 86400)
        assert_equal(ban["banned_until"] - ban["ban_created"], 86400)
        assert 86390 <= ban["time_remaining"] <= 86400
        # The attempt happened (n1 tried and was dropped): n0 logs the refusal.
        with n0.assert_debug_log(["connection from 127.0.0.1"], timeout=10):
            self.connect()
        assert_equal(n0.getconnectioncount(), 0)

        self.log.info("errors: a ban twice, an unknown one, a bad subnet or command, a past absolute time")
        assert_raises_rpc_error(-23, "Error: IP/Subnet already banned", n0.setban, "127.0.0.1", "add")
        assert_raises_rpc_error(-30, "Error: Unban failed. Requested address/subnet was not previously manually banned.",
                                n0.setban, "10.0.0.1", "remove")
        assert_raises_rpc_error(-30, "Error: Invalid IP/Subnet", n0.setban, "1.2.3.4/33", "add")
        assert_raises_rpc_error(-30, "Error: Invalid IP/Subnet", n0.setban, "not an address", "add")
        assert_raises_rpc_error(-1, "setban", n0.setban, "1.2.3.4", "maybe")
        assert_raises_rpc_error(-8, "Error: Absolute timestamp is in the past", n0.setban, "1.2.3.4", "add", 1, True)

        self.log.info("subnets, netmasks, IPv6, custom and absolute times; sorted as the reference sorts them")
        n0.setban("192.168.0.0/255.255.0.0", "add", 1000)
        n0.setban("2001:db8::/32", "add")
        now = int(time.time())
        n0.setmocktime(now)
        n0.setban("10.1.2.3/8", "add", now + 5000, True)
        listed = n0.listbanned()
        assert_equal([b["address"] for b in listed], ["10.0.0.0/8", "127.0.0.1/32", "192.168.0.0/16", "2001:db8::/32"])
        assert_equal(listed[0]["banned_until"], now + 5000)
        assert_equal(listed[2]["ban_duration"], 1000)

        self.log.info("bans survive a restart, then expire")
        self.restart_node(0)
        banlist = os.path.join(n0.chain_path, "banlist.json")
        with open(banlist, encoding="utf-8") as f:
            stored = json.load(f)["banned_nets"]
        assert_equal(sorted(b["address"] for b in stored), sorted(b["address"] for b in listed))
        assert_equal(len(n0.listbanned()), 4)
        n0.setmocktime(now + 3000)
        assert_equal([b["address"] for b in n0.listbanned()], ["10.0.0.0/8", "127.0.0.1/32", "2001:db8::/32"])

        self.log.info("setban remove and clearbanned lift bans; the peer connects again")
        n0.setban("127.0.0.1", "remove")
        assert_equal(len(n0.listbanned()), 2)
        n0.clearbanned()
        assert_equal(n0.listbanned(), [])
        self.connect()
        self.wait_until(lambda: n0.getconnectioncount() == 1)
        self.restart_node(0)
        assert_equal(n0.listbanned(), [])


if __name__ == "__main__":
    SetBanTest().main()
