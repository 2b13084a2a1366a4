#!/usr/bin/env python3
"""Block download stalling: a peer that was asked for the first blocks of
the download window and never sends them holds the whole download back; once
another peer has filled the rest of the window, the staller is disconnected
after two seconds and its blocks come from the other peer."""

from test_framework.p2p import P2PInterface, msg_block, msg_headers
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal

# More than the 1024-block download window.
CHAIN_LENGTH = 1100


class BlockServer(P2PInterface):
    """A peer with a chain's headers and blocks, which serves the blocks it
    is asked for unless told to withhold them."""

    def __init__(self, blocks, withhold):
        super().__init__()
        self.blocks = blocks
        self.withhold = withhold
        self.requested = 0

    def _on_message(self, msgtype, msg):
        super()._on_message(msgtype, msg)
        if msgtype != b"getdata":
            return
        for _, h in msg.inv:
            self.requested += 1
            if h in self.blocks and not self.withhold:
                self.send_message(msg_block(self.blocks[h]))


class IBDStallingTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def run_test(self):
        node, miner = self.nodes
        self.log.info(f"a chain of {CHAIN_LENGTH} blocks, mined elsewhere")
        hashes = miner.generatetoaddress(CHAIN_LENGTH, "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw")
        headers = [bytes.fromhex(miner.getblockheader(h, False)) for h in hashes]
        blocks = {bytes.fromhex(h)[::-1]: bytes.fromhex(miner.getblock(h, 0)) for h in hashes}

        self.log.info("the first peer to announce the chain is asked for the first blocks and withholds them")
        staller = node.add_p2p_connection(BlockServer(blocks, withhold=True))
        staller.send_message(msg_headers(headers))
        staller.wait_until(lambda: staller.requested > 0)
        helper = node.add_p2p_connection(BlockServer(blocks, withhold=False))
        with node.assert_debug_log(["Peer is stalling block download"], timeout=60):
            helper.send_message(msg_headers(headers))
            staller.wait_for_disconnect(timeout=60)

        self.log.info("the other peer sends the withheld blocks: the node syncs")
        self.wait_until(lambda: node.getblockcount() == CHAIN_LENGTH, timeout=120)
        assert_equal(node.getbestblockhash(), hashes[-1])
        assert helper.connected


if __name__ == "__main__":
    IBDStallingTest().main()
