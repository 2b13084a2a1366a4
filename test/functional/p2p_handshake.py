#!/usr/bin/env python3
"""The version handshake from outside: the node answers our version in the
reference's order (version, wtxidrelay, sendaddrv2, verack), and after our
verack sends sendheaders, sendcmpct, a ping and a feefilter; it answers pings; a wrong
magic or an oversized message ends the connection while a bad checksum or
an unknown message type only drops that message; the node survives all of
it."""

import struct

from test_framework.p2p import (
    MAX_PROTOCOL_MESSAGE_LENGTH,
    P2PInterface,
    build_message,
    msg_generic,
    msg_ping,
    msg_version,
)
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than


class HandshakeTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.test_order()
        self.test_ping()
        self.test_bad_messages()
        self.log.info("the node survived: it still serves RPC and new peers")
        assert_equal(node.getblockcount(), 0)
        node.add_p2p_connection(P2PInterface())
        self.wait_until(lambda: node.getconnectioncount() == 1)

    def test_order(self):
        node = self.nodes[0]
        self.log.info("the node answers version in the reference's order")
        peer = node.add_p2p_connection(P2PInterface(), wait_for_verack=False)
        peer.wait_for_verack()
        assert_equal(peer.message_types()[:4], ["version", "wtxidrelay", "sendaddrv2", "verack"])
        version = peer.last_message["version"]
        assert_equal(version.version, 70016)
        assert_equal(version.services, 0x409)
        assert_equal(version.user_agent.decode(), node.getnetworkinfo()["subversion"])
        assert_equal(version.start_height, 0)
        assert version.relay

        self.log.info("after our verack: sendheaders, sendcmpct, then a ping, then feefilter")
        peer.wait_for_message("feefilter")
        after = [t for t in peer.message_types()[4:] if t != "getheaders"]
        assert_equal(after[:4], ["sendheaders", "sendcmpct", "ping", "feefilter"])

        info = [p for p in node.getpeerinfo() if p["inbound"]]
        assert_equal(len(info), 1)
        assert_equal(info[0]["subver"], "/python-p2p:0.1/")
        assert_equal(info[0]["connection_type"], "inbound")
        assert_equal(info[0]["transport_protocol_type"], "v1")
        assert_greater_than(info[0]["bytesrecv_per_msg"]["version"], 0)
        node.disconnect_p2ps()
        self.wait_until(lambda: node.getconnectioncount() == 0)

        self.log.info("messages before version are ignored, not fatal")
        peer = node.add_p2p_connection(P2PInterface(), send_version=False, wait_for_verack=False)
        peer.send_message(msg_ping(7))
        peer.send_message(msg_version())
        peer.wait_for_verack()
        assert "pong" not in peer.message_types()
        node.disconnect_p2ps()
        self.wait_until(lambda: node.getconnectioncount() == 0)

    def test_ping(self):
        node = self.nodes[0]
        self.log.info("pings are answered with the same nonce; the ping RPC pings every peer")
        peer = node.add_p2p_connection(P2PInterface())
        peer.sync_with_ping()
        pings = peer.message_count.get("ping", 0)
        node.ping()
        peer.wait_until(lambda: peer.message_count.get("ping", 0) > pings)
        self.wait_until(lambda: "pingtime" in node.getpeerinfo()[0])
        node.disconnect_p2ps()
        self.wait_until(lambda: node.getconnectioncount() == 0)

    def test_bad_messages(self):
        node = self.nodes[0]
        self.log.info("a bad checksum drops the message, the connection stays")
        peer = node.add_p2p_connection(P2PInterface())
        raw = bytearray(build_message(msg_generic(b"badmsg", b"d")))
        raw[20:24] = b"\xff" * 4
        with node.assert_debug_log(["Header error: Wrong checksum (badmsg, 1 bytes)"]):
            peer.send_raw_message(bytes(raw))
            peer.sync_with_ping()

        self.log.info("unknown message types and undecodable payloads are ignored")
        peer.send_message(msg_generic(b"hello", b"\x01\x02"))
        peer.send_message(msg_generic(b"ping", b"\x01"))
        peer.sync_with_ping()
        node.disconnect_p2ps()
        self.wait_until(lambda: node.getconnectioncount() == 0)

        self.log.info("a wrong magic ends the connection")
        peer = node.add_p2p_connection(P2PInterface())
        raw = bytearray(build_message(msg_ping(1)))
        raw[0:4] = bytes.fromhex("f9beb4d9")
        with node.assert_debug_log(["Header error: Wrong MessageStart f9beb4d9 received"]):
            peer.send_raw_message(bytes(raw))
            peer.wait_for_disconnect()

        self.log.info("an oversized message ends the connection")
        peer = node.add_p2p_connection(P2PInterface())
        raw = bytearray(build_message(msg_generic(b"big", b"")))
        raw[16:20] = struct.pack("<I", MAX_PROTOCOL_MESSAGE_LENGTH + 1)
        with node.assert_debug_log(["Header error: Size too large (big, 4000001 bytes)"]):
            peer.send_raw_message(bytes(raw))
            peer.wait_for_disconnect()

        self.log.info("wtxidrelay after verack ends the connection")
        peer = node.add_p2p_connection(P2PInterface())
        peer.send_message(msg_generic(b"wtxidrelay"))
        peer.wait_for_disconnect()

        self.log.info("a peer silent after connecting is dropped after -peertimeout")
        self.restart_node(0, ["-peertimeout=1"])
        peer = node.add_p2p_connection(P2PInterface(), send_version=False, wait_for_verack=False)
        with node.assert_debug_log(["socket no message in first 1 seconds"], timeout=10):
            peer.wait_for_disconnect(timeout=10)
        self.restart_node(0)


if __name__ == "__main__":
    HandshakeTest().main()
