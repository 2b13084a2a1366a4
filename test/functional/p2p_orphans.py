#!/usr/bin/env python3
"""Orphan transactions: a child that arrives before its parent is kept, the
parent is asked for (by txid, with witness) from the peer that sent the
child, and both enter the mempool once the parent comes; a peer's orphans
leave with it."""

from test_framework.miniwallet import MiniWallet
from test_framework.p2p import MSG_WITNESS_TX, P2PInterface, msg_tx
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal


def spend_of(parent):
    return {"txid": parent.txid, "vout": 0, "value": parent.outputs[0][0]}


class OrphanTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        wallet = MiniWallet(node)
        wallet.generate(110)
        peer = node.add_p2p_connection(P2PInterface())

        self.log.info("a child before its parent: kept, and the parent is asked for")
        parent = wallet.create_self_transfer()[0]
        child = wallet.create_self_transfer(utxo=spend_of(parent))[0]
        grandchild = wallet.create_self_transfer(utxo=spend_of(child))[0]
        with node.assert_debug_log([f"stored orphan tx {child.txid}"]):
            peer.send_message(msg_tx(bytes.fromhex(child.hex())))
            peer.wait_until(lambda: any(t == "getdata" and (MSG_WITNESS_TX, bytes.fromhex(parent.txid)[::-1]) in m.inv
                                        for t, m in peer.messages))
        peer.send_message(msg_tx(bytes.fromhex(grandchild.hex())))
        peer.sync_with_ping()
        assert_equal(node.getrawmempool(), [])

        self.log.info("the parent comes: the orphans follow it into the mempool, grandchild included")
        with node.assert_debug_log([f"accepted orphan tx {child.txid}", f"accepted orphan tx {grandchild.txid}"]):
            peer.send_message(msg_tx(bytes.fromhex(parent.hex())))
            self.wait_until(lambda: len(node.getrawmempool()) == 3)
        assert_equal(sorted(node.getrawmempool()), sorted([parent.txid, child.txid, grandchild.txid]))

        self.log.info("an orphan of a peer that leaves is forgotten")
        parent = wallet.create_self_transfer()[0]
        child = wallet.create_self_transfer(utxo=spend_of(parent))[0]
        leaving = node.add_p2p_connection(P2PInterface())
        with node.assert_debug_log([f"stored orphan tx {child.txid}"]):
            leaving.send_message(msg_tx(bytes.fromhex(child.hex())))
            leaving.sync_with_ping()
        leaving.peer_disconnect()
        self.wait_until(lambda: node.getconnectioncount() == 1)
        peer.send_message(msg_tx(bytes.fromhex(parent.hex())))
        self.wait_until(lambda: parent.txid in node.getrawmempool())
        peer.sync_with_ping()
        assert child.txid not in node.getrawmempool()


if __name__ == "__main__":
    OrphanTest().main()
