#!/usr/bin/env python3
"""Compact blocks (BIP152, version 2): the node offers them after the
handshake, announces new blocks compactly to a peer that asked for that
(high-bandwidth), serves cmpctblock and blocktxn on request, and, between two
nodes, rebuilds blocks from its mempool, fetching only the transactions it
lacks."""

from test_framework.miniwallet import MiniWallet
from test_framework.p2p import (MSG_CMPCT_BLOCK, P2PInterface, hash_from_rpc, msg_getblocktxn, msg_headers,
                                msg_sendheaders,
                                msg_getdata, msg_sendcmpct)
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than


class CompactBlocksTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def run_test(self):
        node = self.nodes[0]
        self.wallet = MiniWallet(node)
        self.wallet.generate(110)
        self.test_offer_and_announcements()
        self.test_requests()
        self.test_between_nodes()

    def tell_tip(self, peer):
        """Tells the node the peer has its tip: announcements go only to peers
        known to have the new block's parent."""
        node = self.nodes[0]
        peer.send_message(msg_headers([bytes.fromhex(node.getblockheader(node.getbestblockhash(), False))]))
        peer.sync_with_ping()

    def count_received(self, peer, msgtype):
        with peer.cond:
            return peer.message_count.get(msgtype, 0)

    def test_offer_and_announcements(self):
        node = self.nodes[0]
        self.log.info("The node offers compact blocks version 2 after verack, in low-bandwidth mode")
        peer = node.add_p2p_connection(P2PInterface())
        peer.wait_until(lambda: "sendcmpct" in peer.last_message)
        offer = peer.last_message["sendcmpct"]
        assert_equal((offer.announce, offer.version), (False, 2))
        types = [t for t, _ in peer.messages]
        assert types.index("verack") < types.index("sendcmpct")

        self.log.info("A peer in high-bandwidth mode gets each new block as a cmpctblock at once")
        peer.send_message(msg_sendcmpct(announce=True, version=2))
        self.tell_tip(peer)
        assert_equal(node.getpeerinfo()[0]["bip152_hb_to"], True)
        txids = [self.wallet.send_self_transfer()["txid"] for _ in range(3)]
        block_hash = self.wallet.generate(1)[0]
        peer.wait_until(lambda: "cmpctblock" in peer.last_message
                        and peer.last_message["cmpctblock"].block_hash() == hash_from_rpc(block_hash))
        compact = peer.last_message["cmpctblock"]
        assert_equal(len(compact.shortids), len(txids))
        assert_equal((compact.prefilled_count, compact.prefilled), (1, [0]))  # the coinbase

        self.log.info("Another version, or low-bandwidth mode, gets headers instead")
        other = node.add_p2p_connection(P2PInterface())
        other.send_message(msg_sendheaders())
        other.send_message(msg_sendcmpct(announce=True, version=1))
        self.tell_tip(other)
        block_hash = self.wallet.generate(1)[0]
        other.wait_until(lambda: "headers" in other.last_message
                         and hash_from_rpc(block_hash) in other.last_message["headers"].hashes())
        assert_equal(self.count_received(other, "cmpctblock"), 0)
        other.peer_disconnect()
        peer.peer_disconnect()
        self.wait_until(lambda: node.getconnectioncount() == 0)

    def test_requests(self):
        node = self.nodes[0]
        peer = node.add_p2p_connection(P2PInterface())
        peer.send_message(msg_sendcmpct(announce=False, version=2))
        peer.sync_with_ping()
        self.wallet.send_self_transfer()
        tip = self.wallet.generate(1)[0]

        self.log.info("getdata MSG_CMPCT_BLOCK: a recent block comes compact, a deeper one whole")
        peer.send_message(msg_getdata([(MSG_CMPCT_BLOCK, hash_from_rpc(tip))]))
        peer.wait_until(lambda: "cmpctblock" in peer.last_message
                        and peer.last_message["cmpctblock"].block_hash() == hash_from_rpc(tip))
        deep = node.getblockhash(node.getblockcount() - 6)
        peer.send_message(msg_getdata([(MSG_CMPCT_BLOCK, hash_from_rpc(deep))]))
        peer.wait_until(lambda: "block" in peer.last_message and peer.last_message["block"].hash() == hash_from_rpc(deep))

        self.log.info("getblocktxn: the transactions asked for, by position")
        with_txs = node.getblock(tip)
        peer.send_message(msg_getblocktxn(hash_from_rpc(tip), [0, 1]))
        peer.wait_until(lambda: "blocktxn" in peer.last_message)
        answer = peer.last_message["blocktxn"]
        assert_equal((answer.block_hash, answer.count), (hash_from_rpc(tip), 2))
        coinbase = node.getrawtransaction(with_txs["tx"][0], False, tip)
        assert bytes.fromhex(coinbase) in answer.payload

        self.log.info("getblocktxn for an older block gets the whole block")
        peer.send_message(msg_getblocktxn(hash_from_rpc(node.getblockhash(node.getblockcount() - 11)), [0]))
        peer.wait_until(lambda: peer.last_message["block"].hash() == hash_from_rpc(node.getblockhash(node.getblockcount() - 11)))

        self.log.info("getblocktxn past the end of the block disconnects the peer")
        with node.assert_debug_log(["getblocktxn with out-of-bounds tx indices"]):
            peer.send_message(msg_getblocktxn(hash_from_rpc(tip), [len(with_txs["tx"])]))
            peer.wait_for_disconnect()

    def test_between_nodes(self):
        node, other = self.nodes
        self.log.info("Between nodes: a block whose transactions the mempool has crosses as a cmpctblock")
        self.connect_nodes(1, 0)
        self.sync_blocks()
        for _ in range(4):
            self.wallet.send_self_transfer()
        self.sync_mempools()
        before = other.getpeerinfo()[0]["bytesrecv_per_msg"]
        self.wallet.generate(1)
        self.sync_blocks()
        received = other.getpeerinfo()[0]["bytesrecv_per_msg"]
        assert_greater_than(received["cmpctblock"], before.get("cmpctblock", 0))
        assert_equal(received.get("block"), before.get("block"))
        assert "blocktxn" not in received
        # The node that gave us a new block first announces the next ones at once.
        self.wait_until(lambda: other.getpeerinfo()[0]["bip152_hb_from"])
        self.wait_until(lambda: node.getpeerinfo()[0]["bip152_hb_to"])

        self.log.info("A transaction the mempool lacks is fetched with getblocktxn")
        self.disconnect_all()
        missing = self.wallet.send_self_transfer()["txid"]
        self.wallet.send_self_transfer()
        self.connect_nodes(1, 0)
        self.wallet.send_self_transfer()
        self.wait_until(lambda: len(other.getrawmempool()) == 1)
        before = other.getpeerinfo()[0]["bytesrecv_per_msg"]
        block_hash = self.wallet.generate(1)[0]
        self.sync_blocks()
        assert missing in node.getblock(block_hash)["tx"]
        peer = other.getpeerinfo()[0]
        assert "getblocktxn" in peer["bytessent_per_msg"], peer["bytessent_per_msg"]
        assert "blocktxn" in peer["bytesrecv_per_msg"]
        assert_equal(peer["bytesrecv_per_msg"].get("block"), before.get("block"))
        assert_equal(other.getbestblockhash(), block_hash)

    def disconnect_all(self):
        node, other = self.nodes
        for p in other.getpeerinfo():
            other.disconnectnode(nodeid=p["id"])
        self.wait_until(lambda: node.getconnectioncount() == 0 and other.getconnectioncount() == 0)


if __name__ == "__main__":
    CompactBlocksTest().main()
