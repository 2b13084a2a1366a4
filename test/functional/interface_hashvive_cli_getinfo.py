#!/usr/bin/env python3
"""hashvive-cli -getinfo and -generate against a real node: the summary lines
after mining, proxies, -color, errors from the node, argument checks, and
-generate failing as a failing RPC while the node has no wallet."""

from decimal import Decimal
import json
import subprocess

from test_framework.miniwallet import MiniWallet
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_process_error

# A node built without the wallet answers wallet methods with "Method not found".
METHOD_NOT_FOUND = "error code: -32601\nerror message:\nMethod not found\n"
NO_WALLET_LOADED = ("No wallet is loaded. Load a wallet using loadwallet or create a new one with createwallet. "
                    "(Note: A default wallet is no longer automatically created)")
BLOCKS_VALUE_OF_ZERO = ("error: the first argument (number of blocks to generate, default: 1) "
                        "must be an integer value greater than zero")


def getinfo_to_dict(text):
    """The summary's `Key: value` lines as a dict; `n/a` proxies read as empty."""
    info = {}
    for line in text.splitlines():
        if ": " not in line:
            continue
        key, value = line.split(": ", 1)
        info[key.strip()] = "" if (key == "Proxies" and value == "n/a") else value.strip()
    return info


class CLIGetinfoTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_cli()

    def run_cli(self, *args):
        """Runs the CLI with the node's datadir; returns (code, stdout, stderr)."""
        p = subprocess.run([self.cli_path, "-datadir=" + self.nodes[0].datadir, *args],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def run_test(self):
        node = self.nodes[0]
        MiniWallet(node).generate(25)

        self.log.info("-getinfo shows the chain and network state the node reports")
        network_info = node.getnetworkinfo()
        blockchain_info = node.getblockchaininfo()
        code, out, err = self.run_cli("-getinfo")
        assert_equal((code, err), (0, ""))
        info = getinfo_to_dict(out)
        assert_equal(info["Chain"], "regtest")
        assert_equal(info["Blocks"], "25")
        assert_equal(info["Headers"], "25")
        assert_equal(info["Verification progress"], "%.4f%%" % (blockchain_info["verificationprogress"] * 100))
        assert_equal(Decimal(info["Difficulty"]), blockchain_info["difficulty"])
        assert_equal(info["Network"], "in %d, out %d, total %d" % (
            network_info["connections_in"], network_info["connections_out"], network_info["connections"]))
        assert_equal(info["Version"], str(network_info["version"]))
        assert_equal(info["Time offset (s)"], str(network_info["timeoffset"]))
        assert_equal(info["Proxies"], "")
        assert_equal(Decimal(info["Min tx relay fee rate (BTC/kvB)"]), network_info["relayfee"])
        assert_equal(info["Warnings"], "(none)")
        # No wallet: no wallet or balance lines.
        assert "Wallet" not in info and "Balance" not in out
        assert_equal(out.splitlines()[0], "Chain: regtest")
        assert out.endswith("\n\nWarnings: (none)\n"), out

        self.log.info("-getinfo groups networks by proxy, in order of first use")
        self.restart_node(0, extra_args=["-proxy=127.0.0.1:9050", "-i2psam=127.0.0.1:7656"])
        info = getinfo_to_dict(self.run_cli("-getinfo")[1])
        assert_equal(info["Proxies"], "127.0.0.1:9050 (ipv4, ipv6, onion, cjdns), 127.0.0.1:7656 (i2p)")
        networks = {n["name"]: n for n in node.getnetworkinfo()["networks"]}
        assert_equal([networks[n]["reachable"] for n in ("ipv4", "ipv6", "onion", "i2p", "cjdns")],
                     [True, True, True, True, False])
        self.restart_node(0, extra_args=["-uacomment=cli test", "-blocksonly"])
        network_info = node.getnetworkinfo()
        # The framework's config file adds its own comment first, as in the reference.
        assert network_info["subversion"].endswith("(testnode0; cli test)/"), network_info["subversion"]
        assert_equal(network_info["localrelay"], False)

        self.log.info("-color: escape codes only when asked for (stdout is no terminal here)")
        assert "\x1b[" not in self.run_cli("-getinfo")[1]
        assert "\x1b[0m" not in self.run_cli("-getinfo", "-color=never")[1]
        out = self.run_cli("-getinfo", "-color=always")[1]
        assert out.startswith("\x1b[34mChain: regtest\x1b[0m\n"), out
        assert "\x1b[33mWarnings:\x1b[0m (none)" in out
        assert_equal(self.run_cli("-getinfo", "-color=foo"),
                     (1, "", "error: Invalid value for -color option. Valid values: always, auto, never.\n"))

        self.log.info("-getinfo takes no arguments; one client command at a time")
        assert_equal(self.run_cli("-getinfo", "help"), (1, "", "error: -getinfo takes no arguments\n"))
        assert_raises_process_error(1, "error: Only one of -generate, -getinfo may be specified.",
                                    node.cli("-getinfo", "-generate").send_cli)

        self.log.info("-getinfo on a named wallet endpoint still summarises the node")
        code, out, _ = self.run_cli("-rpcwallet=nosuch", "-getinfo")
        assert_equal((code, getinfo_to_dict(out)["Blocks"]), (0, "25"))

        self.log.info("-generate: getnewaddress fails without a wallet, reported as a failing RPC")
        if self.is_wallet_compiled():
            no_wallet = (18, "", "error code: -18\nerror message:\n" + NO_WALLET_LOADED + "\n")
        else:
            no_wallet = (32601 % 256, "", METHOD_NOT_FOUND)
        for args in ([], ["3"], ["0"], ["foo"], ["1", "2", "3"]):
            # The address comes first, so argument errors are not reached yet.
            assert_equal(self.run_cli("-generate", *args), no_wallet)
        assert_equal(node.getblockcount(), 25)
        if self.is_wallet_compiled():
            self.log.info("-generate mines to a new address of the loaded wallet")
            node.createwallet("miner")
            code, out, _ = self.run_cli("-generate", "2")
            assert_equal(code, 0)
            generated = json.loads(out)
            assert_equal(len(generated["blocks"]), 2)
            assert_equal(node.getblockcount(), 27)
            assert_equal(node.getbalances()["mine"]["immature"], 100)

        self.log.info("Without a server, -getinfo fails like any command")
        self.stop_node(0)
        code, _, err = self.run_cli("-getinfo")
        assert_equal(code, 1)
        assert err.startswith("error: timeout on transient error: Could not connect to the server"), err
        # Argument errors come before any connection is tried.
        assert_equal(self.run_cli("-getinfo", "x"), (1, "", "error: -getinfo takes no arguments\n"))


if __name__ == "__main__":
    CLIGetinfoTest().main()
