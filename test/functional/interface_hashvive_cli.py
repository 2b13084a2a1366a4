#!/usr/bin/env python3
"""hashvive-cli: argument conversion, -named, -stdin, output format, error
messages and exit codes, credentials, -rpcwait and -rpcwallet."""

import json
import os
import subprocess

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_process_error, assert_raises_rpc_error


class CLITest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_cli()

    def run_cli(self, *args, input=None):
        """Runs the CLI with the node's datadir; returns (code, stdout, stderr)."""
        p = subprocess.run([self.cli_path, "-datadir=" + self.nodes[0].datadir, *args],
                           input=input, capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def run_test(self):
        node = self.nodes[0]
        self.log.info("Results: strings raw, JSON pretty-printed, null as nothing")
        assert_equal(self.run_cli("help", "uptime")[1].splitlines()[0], "uptime")
        code, out, _ = self.run_cli("echojson", '{"a":[1,2]}', "true")
        assert_equal((code, out), (0, '[\n  {\n    "a": [\n      1,\n      2\n    ]\n  },\n  true\n]\n'))
        assert_equal(self.run_cli("setmocktime", "0"), (0, "", ""))

        self.log.info("Arguments are strings unless the method takes JSON there")
        assert_equal(node.cli.echo("1", "[2]"), ["1", "[2]"])
        assert_equal(node.cli.echojson("1", "[2]"), [1, [2]])
        assert_equal(self.run_cli("setmocktime", "x")[2], "error: Error parsing JSON: x\n")

        self.log.info("-named takes name=value, with args for leading positionals")
        assert_equal(self.run_cli("-named", "echo", "arg1=b")[1], '[\n  null,\n  "b"\n]\n')
        assert_equal(json.loads(self.run_cli("-named", "echo", "a", "arg2=c")[1]), ["a", None, "c"])
        assert_equal(json.loads(self.run_cli("-named", "echojson", "arg0=[1]")[1]), [[1]])

        self.log.info("-stdin appends one argument per line")
        assert_equal(json.loads(self.run_cli("-stdin", "echo", input="x\ny z\n")[1]), ["x", "y z"])

        self.log.info("RPC errors: code and message on stderr, exit code |code| mod 256")
        code, out, err = self.run_cli("nosuchmethod")
        assert_equal((code, out, err), (32601 % 256, "", "error code: -32601\nerror message:\nMethod not found\n"))
        code, _, err = self.run_cli("setmocktime", "-1")
        assert_equal((code, err), (8, "error code: -8\nerror message:\nMocktime cannot be negative: -1.\n"))
        assert_raises_rpc_error(-32601, "Method not found", node.cli.nosuchmethod)

        self.log.info("No command, bad options")
        assert_equal(self.run_cli(), (1, "", "error: too few parameters (need at least command)\n"))
        code, _, err = self.run_cli("-nosuchoption", "uptime")
        assert_equal((code, err), (1, "Error: Error parsing command line arguments: Invalid parameter -nosuchoption\n"))

        self.log.info("Credentials: wrong password, missing cookie")
        code, _, err = self.run_cli("-rpcuser=x", "-rpcpassword=y", "uptime")
        assert_equal((code, err), (1, "error: Authorization failed: Incorrect rpcuser or rpcpassword\n"))
        with open(node.cookie_path, encoding="utf-8") as f:
            user, password = f.read().split(":")
        code, _, _ = self.run_cli("-rpcuser=" + user, "-stdinrpcpass", "uptime", input=password + "\n")
        assert_equal(code, 0)
        code, _, err = self.run_cli("-rpccookiefile=nosuch", "uptime")
        assert_equal(code, 1)
        assert err.startswith("error: Could not locate RPC credentials. No authentication cookie could be found")

        self.log.info("-rpcwallet selects the wallet endpoint")
        assert_equal(self.run_cli("-rpcwallet=my wallet", "echo", "x")[0], 0)

        self.log.info("Without a server: a clear connection error; -rpcwait waits for it")
        self.stop_node(0)
        code, _, err = self.run_cli("uptime")
        assert_equal(code, 1)
        # The reference words a first failed connection as a transient error too.
        assert err.startswith("error: timeout on transient error: Could not connect to the server 127.0.0.1:%d\n\nMake sure the hashvived server is running" % node.rpc_port), err
        code, _, err = self.run_cli("-rpcwait", "-rpcwaittimeout=1", "uptime")
        assert_equal(code, 1)
        assert err.startswith("error: timeout on transient error: Could not connect to the server"), err
        node.start()
        assert_equal(self.run_cli("-rpcwait", "uptime")[0], 0)
        node.wait_for_rpc_connection()

        self.log.info("-version and -help")
        code, out, _ = self.run_cli("-version")
        assert out.startswith("Hashvive RPC client version v")
        code, out, _ = self.run_cli("-help")
        assert "Usage:  hashvive-cli [options] <command> [params]" in out and "-rpcconnect=<ip>" in out
        assert_raises_process_error(1, "error: -netinfo needs the network RPCs", node.cli("-netinfo").send_cli)


if __name__ == "__main__":
    CLITest().main()
