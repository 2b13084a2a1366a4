#!/usr/bin/env python3
"""Peer permissions: -whitelist and -whitebind grant them (the implicit set
when none is named), getpeerinfo lists them, and they matter: mempool
requests are answered, noban peers are neither punished nor refused when
banned, addr peers skip the rate limit; bad entries stop start-up."""

from test_framework.miniwallet import MiniWallet
from test_framework.p2p import MSG_WTX, P2PInterface, msg_addr, msg_generic
from test_framework.test_framework import HashviveTestFramework
from test_framework.test_node import ErrorMatch
from test_framework.util import assert_equal, get_free_port


class PermissionsTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        wallet = MiniWallet(node)
        wallet.generate(101)

        self.log.info("without permissions, a mempool request ends the connection")
        stranger = node.add_p2p_connection(P2PInterface())
        assert_equal(node.getpeerinfo()[0]["permissions"], [])
        stranger.send_message(msg_generic(b"mempool"))
        stranger.wait_for_disconnect()

        self.log.info("-whitelist without flags grants the implicit set")
        self.restart_node(0, extra_args=["-whitelist=127.0.0.1"])
        peer = node.add_p2p_connection(P2PInterface())
        assert_equal(node.getpeerinfo()[0]["permissions"], ["noban", "relay", "mempool", "download"])
        node.disconnect_p2ps()
        self.wait_until(lambda: node.getconnectioncount() == 0)

        self.log.info("mempool: the peer hears of every mempool transaction")
        self.restart_node(0, extra_args=["-whitelist=mempool,noban,addr@127.0.0.1"])
        tx = wallet.create_self_transfer()[0]
        txid = node.sendrawtransaction(tx.hex())
        wtxid = node.getmempoolentry(txid)["wtxid"]
        peer = node.add_p2p_connection(P2PInterface())
        assert_equal(node.getpeerinfo()[0]["permissions"], ["noban", "mempool", "download", "addr"])
        peer.send_message(msg_generic(b"mempool"))
        peer.wait_until(lambda: any(t == "inv" and (MSG_WTX, bytes.fromhex(wtxid)[::-1]) in m.inv
                                    for t, m in peer.messages))

        self.log.info("addr: no rate limit; noban: misbehaviour is not punished, bans do not apply")
        peer.send_message(msg_addr([(1700000000, 9, "9.%d.0.1" % i, 8333) for i in range(100)]))
        peer.sync_with_ping()
        assert_equal(node.getpeerinfo()[0]["addr_processed"], 100)
        with node.assert_debug_log(["not punishing noban peer"]):
            peer.send_message(msg_addr([(1700000000, 9, "9.9.9.9", 8333)] * 1001))
            peer.sync_with_ping()
        assert_equal(node.getconnectioncount(), 1)
        # A ban closes what is connected, as the reference's does; a noban
        # peer may still come back.
        node.setban("127.0.0.1", "add")
        peer.wait_for_disconnect()
        self.wait_until(lambda: node.getconnectioncount() == 0)
        node.add_p2p_connection(P2PInterface())
        assert_equal(node.getconnectioncount(), 1)
        node.clearbanned()
        node.disconnect_p2ps()
        self.wait_until(lambda: node.getconnectioncount() == 0)

        self.log.info("-whitebind listens with its permissions")
        port = get_free_port()
        self.restart_node(0, extra_args=["-whitebind=relay@127.0.0.1:%d" % port, "-bind=127.0.0.1"])
        peer = P2PInterface()
        peer.peer_connect("127.0.0.1", port)
        peer.send_version()
        peer.wait_for_verack()
        assert_equal(node.getpeerinfo()[0]["permissions"], ["relay"])
        peer.peer_disconnect()

        self.log.info("bad entries stop start-up")
        self.stop_node(0)
        node.assert_start_raises_init_error(["-whitelist=fly@127.0.0.1"], "Error: Invalid P2P permission: 'fly'")
        node.assert_start_raises_init_error(["-whitelist=1.2.3.4/99"],
                                            "Error: Invalid netmask specified in -whitelist: '1.2.3.4/99'")
        node.assert_start_raises_init_error(["-whitebind=127.0.0.1"],
                                            "Error: Need to specify a port with -whitebind: '127.0.0.1'",
                                            match=ErrorMatch.FULL_TEXT)
        self.start_node(0)


if __name__ == "__main__":
    PermissionsTest().main()
