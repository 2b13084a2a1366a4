#!/usr/bin/env python3
"""Pruning: -prune's checks at start-up, pruneblockchain, what getblockchaininfo,
getblock and getblockstats say of pruned blocks, the block files deleted,
BIP159 services and the blocks a pruned node serves and asks for, the state
kept across restarts, and wallets that cannot scan pruned blocks.

-fastprune makes 64 KiB block files and lets pruning start at height 100,
so a few hundred small blocks fill several files."""

import os

from test_framework.p2p import MSG_WITNESS_BLOCK, P2PInterface, hash_from_rpc, msg_getdata
from test_framework.test_framework import HashviveTestFramework
from test_framework.test_node import ErrorMatch
from test_framework.util import assert_equal, assert_raises_rpc_error

ADDR = "bcrt1q3sjhfzfqv0uetl0h267wql6xcxj3j0j5e4fgxlkerceqprx0gxkq8swv49"  # P2WSH(OP_2)
TIP = 800
KEEP = 288  # blocks at the tip never pruned
KEY = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"  # the generator point


class PruneTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 3
        self.extra_args = [["-prune=1", "-fastprune", "-debug=net"], ["-prune=550", "-fastprune"], ["-fastprune"]]

    def block_file(self, node, name):
        return os.path.exists(os.path.join(node.chain_path, "blocks", name))

    def run_test(self):
        manual, automatic, full = self.nodes
        self.check_start_up_errors(automatic)
        self.check_info(manual, automatic, full)

        self.log.info("a short chain is not pruned")
        manual.generatetoaddress(50, ADDR)
        assert_raises_rpc_error(-1, "Blockchain is too short for pruning.", manual.pruneblockchain, 10)
        if self.is_wallet_compiled():
            manual.createwallet("old")
            manual.unloadwallet("old")
        manual.generatetoaddress(TIP - 50, ADDR)
        assert self.block_file(manual, "blk00002.dat"), "-fastprune's small files fill up"
        assert_equal(manual.getblockchaininfo()["pruneheight"], 0)

        self.log.info("pruneblockchain checks its height")
        assert_raises_rpc_error(-8, "Negative block height.", manual.pruneblockchain, -1)
        assert_raises_rpc_error(-8, "Blockchain is shorter than the attempted prune height.",
                                manual.pruneblockchain, TIP + 1)
        assert_raises_rpc_error(-8, "Could not find block with at least the specified timestamp.",
                                manual.pruneblockchain, manual.getblock(manual.getbestblockhash())["time"] + 3 * 3600)

        self.log.info("pruneblockchain deletes the files of old blocks, never the last 288")
        pruned = manual.pruneblockchain(TIP)
        assert 100 <= pruned <= TIP - KEEP, pruned
        assert not self.block_file(manual, "blk00000.dat") and not self.block_file(manual, "rev00000.dat")
        assert_equal(manual.getblockchaininfo()["pruneheight"], pruned + 1)
        # A block time prunes up to the blocks two hours older: nothing more here.
        assert_equal(manual.pruneblockchain(manual.getblock(manual.getblockhash(TIP))["time"]), pruned)
        self.check_pruned_blocks(manual, pruned)

        self.log.info("a pruned node offers recent blocks only (BIP159) and serves no deeper ones")
        assert_equal(manual.getnetworkinfo()["localservicesnames"], ["WITNESS", "NETWORK_LIMITED"])
        assert_equal(full.getnetworkinfo()["localservicesnames"], ["NETWORK", "WITNESS", "NETWORK_LIMITED"])
        peer = manual.add_p2p_connection(P2PInterface())
        recent = manual.getblockhash(TIP - KEEP)
        peer.send_message(msg_getdata([(MSG_WITNESS_BLOCK, hash_from_rpc(recent))]))
        peer.wait_for_message("block")
        deep = manual.getblockhash(TIP - KEEP - 3)
        with manual.assert_debug_log(["Ignore block request below NODE_NETWORK_LIMITED threshold"]):
            peer.send_message(msg_getdata([(MSG_WITNESS_BLOCK, hash_from_rpc(deep))]))
            peer.wait_for_disconnect()

        self.log.info("a node syncing from a pruned node asks it only for what it keeps")
        self.connect_nodes(2, 0)
        self.wait_until(lambda: full.getblockchaininfo()["headers"] == TIP)
        self.wait_until(lambda: self.has_block(full, manual.getblockhash(TIP)))
        assert_equal(full.getblockcount(), 0)
        assert not self.has_block(full, manual.getblockhash(TIP - KEEP))
        assert_equal(len(manual.getpeerinfo()), 1)  # the pruned node kept its peer
        peers = [p for p in full.getpeerinfo() if not p["inbound"]]
        assert_equal(peers[0]["servicesnames"], ["WITNESS", "NETWORK_LIMITED"])

        if self.is_wallet_compiled():
            self.check_wallets(manual, pruned)

        self.log.info("the pruned state survives a restart; pruning cannot be turned off")
        self.restart_node(0)
        assert_equal((manual.getblockcount(), manual.getblockchaininfo()["pruneheight"]), (TIP, pruned + 1))
        assert_equal(manual.verifychain(4, 0), True)
        manual.stop_node()
        manual.assert_start_raises_init_error(
            ["-fastprune"],
            "Error: The block files of this data directory were pruned: the node cannot run on it without -prune.",
            match=ErrorMatch.PARTIAL_REGEX)

    def check_start_up_errors(self, node):
        self.log.info("-prune's values are checked at start-up")
        node.stop_node()
        node.assert_start_raises_init_error(["-prune=-1"], "Error: Prune cannot be configured with a negative value.")
        node.assert_start_raises_init_error(
            ["-prune=549"], "Error: Prune configured below the minimum of 550 MiB.  Please use a higher number.")
        node.assert_start_raises_init_error(["-prune=550", "-txindex"],
                                            "Error: Prune mode is incompatible with -txindex.")
        self.start_node(1)

    def check_info(self, manual, automatic, full):
        self.log.info("getblockchaininfo tells the pruning mode")
        info = manual.getblockchaininfo()
        assert_equal((info["pruned"], info["pruneheight"], info["automatic_pruning"]), (True, 0, False))
        assert "prune_target_size" not in info
        info = automatic.getblockchaininfo()
        assert_equal((info["pruned"], info["automatic_pruning"], info["prune_target_size"]), (True, True, 550 << 20))
        info = full.getblockchaininfo()
        assert_equal(info["pruned"], False)
        assert "pruneheight" not in info and "automatic_pruning" not in info
        assert_raises_rpc_error(-1, "Cannot prune blocks because node is not in prune mode.", full.pruneblockchain, 1)

    def check_pruned_blocks(self, node, pruned):
        self.log.info("pruned blocks keep their headers; their data is gone")
        gone = node.getblockhash(pruned)
        assert_equal(node.getblockheader(gone)["height"], pruned)
        assert_raises_rpc_error(-1, "Block not available (pruned data)", node.getblock, gone)
        assert_raises_rpc_error(-1, "Block not available (pruned data)", node.getblock, node.getblockhash(0), 0)
        assert_raises_rpc_error(-1, "Block not available (pruned data)", node.getblockstats, pruned)
        assert_equal(node.getblock(node.getblockhash(pruned + 1))["height"], pruned + 1)
        assert_equal(node.getblockstats(pruned + 1)["height"], pruned + 1)
        assert_equal(node.verifychain(4, TIP), True)

    def has_block(self, node, block_hash):
        try:
            node.getblock(block_hash, 0)
            return True
        except Exception:
            return False

    def check_wallets(self, node, pruned):
        self.log.info("a wallet cannot scan pruned blocks")
        node.createwallet("w", disable_private_keys=True)
        wallet = node.get_wallet_rpc("w")
        assert_raises_rpc_error(
            -1, "Can't rescan beyond pruned data. Use RPC call getblockchaininfo to determine your pruned height.",
            wallet.rescanblockchain, 0)
        assert_equal(wallet.rescanblockchain(pruned + 1), {"start_height": pruned + 1, "stop_height": TIP})
        # Every block here is a few seconds old: any key born today may have history in the pruned ones.
        descriptor = node.getdescriptorinfo("wpkh(%s)" % KEY)["descriptor"]
        result = wallet.importdescriptors([{"desc": descriptor, "timestamp": "now"}])
        assert_equal(result[0]["success"], False)
        assert_equal(result[0]["error"]["code"], -1)
        assert result[0]["error"]["message"].startswith("Rescan failed for descriptor with timestamp "), result
        # The descriptor is imported all the same, as the reference does.
        assert_equal([d["desc"] for d in wallet.listdescriptors()["descriptors"]], [descriptor])
        self.log.info("a wallet last synced below the prune height does not load")
        assert_raises_rpc_error(-4, "Prune: last wallet synchronisation goes beyond pruned data", node.loadwallet, "old")


if __name__ == "__main__":
    PruneTest().main()
