#!/usr/bin/env python3
"""Wallets loaded at start-up: -wallet, and the node's settings.json, which
createwallet, loadwallet, restorewallet and unloadwallet edit with
load_on_startup; -nowallet, -nosettings and -settings=<file>."""

import json
import os

from test_framework.test_framework import HashviveTestFramework
from test_framework.test_node import ErrorMatch
from test_framework.util import assert_equal

WARNING = ("Wallet load on startup setting could not be updated, so wallet may not be loaded next node "
           "startup.")


class WalletStartupTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()

    def settings(self, name="settings.json"):
        with open(os.path.join(self.nodes[0].chain_path, name), encoding="utf8") as f:
            return json.load(f)

    def run_test(self):
        node = self.nodes[0]
        self.log.info("the node writes settings.json at start-up")
        assert_equal(self.settings(), {})

        self.log.info("load_on_startup true adds a wallet to the list, false takes it out, null leaves it")
        assert_equal(node.createwallet(wallet_name="w1", load_on_startup=True), {"name": "w1"})
        assert_equal(node.createwallet(wallet_name="w2", load_on_startup=False), {"name": "w2"})
        node.createwallet("w3")
        assert_equal(self.settings(), {"wallet": ["w1"]})
        self.restart_node(0)
        assert_equal(node.listwallets(), ["w1"])

        assert_equal(node.loadwallet("w2", True), {"name": "w2"})
        assert_equal(node.unloadwallet("w1", False), {})
        assert_equal(self.settings(), {"wallet": ["w2"]})
        self.restart_node(0)
        assert_equal(node.listwallets(), ["w2"])

        self.log.info("-wallet adds to the list; -nowallet loads none")
        self.restart_node(0, extra_args=["-wallet=w3"])
        assert_equal(sorted(node.listwallets()), ["w2", "w3"])
        self.restart_node(0, extra_args=["-nowallet"])
        assert_equal(node.listwallets(), [])

        self.log.info("restorewallet keeps the setting too")
        node.loadwallet("w3")
        backup = os.path.join(self.options.tmpdir, "w3.bak")
        node.get_wallet_rpc("w3").backupwallet(backup)
        assert_equal(node.restorewallet("w4", backup, True), {"name": "w4"})
        assert_equal(self.settings(), {"wallet": ["w2", "w4"]})

        self.log.info("-settings moves the file; -nosettings turns it off, with a warning when it would be edited")
        self.restart_node(0, extra_args=["-settings=other.json"])
        assert_equal(node.listwallets(), [])
        node.loadwallet("w1", True)
        assert_equal(self.settings("other.json"), {"wallet": ["w1"]})
        self.restart_node(0, extra_args=["-nosettings"])
        assert_equal(node.listwallets(), [])
        assert_equal(node.loadwallet("w1", True), {"name": "w1", "warnings": [WARNING]})
        assert_equal(node.unloadwallet("w1", False), {"warnings": [WARNING]})
        assert_equal(node.listwallets(), [])

        self.log.info("a damaged settings file stops the node with a clear error")
        self.stop_node(0)
        with open(os.path.join(node.chain_path, "settings.json"), "w", encoding="utf8") as f:
            f.write("{ not json")
        node.assert_start_raises_init_error(
            [], "^Error: Settings file could not be read:\n- Unable to parse settings file .*settings.json$",
            match=ErrorMatch.PARTIAL_REGEX)


if __name__ == "__main__":
    WalletStartupTest().main()
