#!/usr/bin/env python3
"""Inbound eviction: with every inbound slot taken, a new peer gets one by
disconnecting another, chosen as the reference chooses: peers that gave us
new blocks or transactions are protected, noban peers are never chosen, and
when no peer can be chosen the newcomer is turned away."""

from test_framework.miniwallet import MiniWallet
from test_framework.p2p import P2PInterface, msg_block, msg_tx
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal

# -maxconnections=32 leaves 21 inbound slots beside the 11 automatic outbound ones.
MAX_INBOUND = 21


class P2PEvictionTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-maxconnections=32"]]

    def run_test(self):
        node = self.nodes[0]
        wallet = MiniWallet(node)
        wallet.generate(101)

        self.log.info("fill the inbound slots; 4 peers give new blocks, 4 new transactions")
        peers = [node.add_p2p_connection(P2PInterface()) for _ in range(MAX_INBOUND)]
        ids = [p["id"] for p in node.getpeerinfo()]
        for peer in peers[:4]:
            block = node.generateblock(wallet.address, [], False)
            peer.send_message(msg_block(bytes.fromhex(block["hex"])))
            self.wait_until(lambda: node.getbestblockhash() == block["hash"])
        for peer in peers[4:8]:
            tx = wallet.create_self_transfer()[0]
            peer.send_message(msg_tx(bytes.fromhex(tx.hex())))
            self.wait_until(lambda: tx.txid in node.getrawmempool())
        # The peer's statistics are updated just after the block or
        # transaction is in (which RPC can see first).
        def info():
            return {p["id"]: p for p in node.getpeerinfo()}
        self.wait_until(lambda: all(info()[i]["last_block"] > 0 for i in ids[:4]))
        self.wait_until(lambda: all(info()[i]["last_transaction"] > 0 for i in ids[4:8]))
        assert all(info()[i]["last_block"] == 0 and info()[i]["last_transaction"] == 0 for i in ids[8:])
        for peer in peers:
            peer.sync_with_ping()

        self.log.info("a newcomer takes the slot of an unprotected peer")
        with node.assert_debug_log(["for eviction"]):
            newcomer = node.add_p2p_connection(P2PInterface())
            self.wait_until(lambda: sum(1 for p in peers if not p.connected) == 1)
        evicted = [i for i, p in zip(ids, peers) if not p.connected]
        assert evicted[0] in ids[8:], f"peer {evicted[0]} was protected"
        assert newcomer.connected
        assert_equal(node.getconnectioncount(), MAX_INBOUND)

        self.log.info("with only noban peers left to choose from, a newcomer is turned away")
        self.restart_node(0, extra_args=["-maxconnections=12", "-whitelist=noban@127.0.0.1"])
        kept = node.add_p2p_connection(P2PInterface())
        with node.assert_debug_log(["failed to find an eviction candidate"]):
            turned_away = P2PInterface()
            turned_away.peer_connect("127.0.0.1", node.p2p_port)
            turned_away.wait_for_disconnect()
        assert kept.connected
        assert_equal(node.getconnectioncount(), 1)


if __name__ == "__main__":
    P2PEvictionTest().main()
