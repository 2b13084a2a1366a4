#!/usr/bin/env python3
"""The control and test RPCs: help, uptime, setmocktime, echo, echojson, logging."""

import time

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, assert_raises_rpc_error


class RPCMiscTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.log.info("help lists visible commands by category and explains one")
        overview = node.help()
        assert overview.startswith("== Blockchain ==\n")
        assert "\n\n== Control ==\n" in overview
        for line in ["getrpcinfo", "help ( \"command\" )", "stop", "uptime",
                     'logging ( ["include_category",...] ["exclude_category",...] )']:
            assert line in overview.splitlines(), line
        assert "echo" not in overview and "setmocktime" not in overview
        assert node.help("uptime").startswith("uptime\n\nReturns the total uptime of the server.")
        assert_equal(node.help("nosuch"), "help: unknown command: nosuch")
        assert "setmocktime timestamp" in node.help("setmocktime")

        self.log.info("uptime follows mock time")
        assert_greater_than_or_equal(node.uptime(), 0)
        now = int(time.time())
        node.setmocktime(now + 1000)
        assert_greater_than_or_equal(node.uptime(), 1000)
        node.setmocktime(0)
        assert_raises_rpc_error(-8, "Mocktime cannot be negative: -1.", node.setmocktime, -1)

        self.log.info("echo returns its arguments; echojson converts them in the CLI")
        assert_equal(node.echo("a", 1, [2]), ["a", 1, [2]])
        assert_equal(node.echojson("a", {"b": 1}), ["a", {"b": 1}])
        assert_raises_rpc_error(-1, "echo", node.echo, *range(11))
        assert_raises_rpc_error(-32603, "Internal bug detected", node.echo, *(["x"] * 9 + ["trigger_internal_bug"]))

        self.log.info("logging switches categories at run time")
        categories = node.logging()
        assert_equal(categories["rpc"], True)  # the framework starts nodes with -debug
        assert_equal(node.logging([], ["rpc"])["rpc"], False)
        with node.assert_debug_log([], unexpected_msgs=["ThreadRPCServer method=uptime"]):
            node.uptime()
        assert_equal(node.logging(["rpc"])["rpc"], True)
        with node.assert_debug_log(["ThreadRPCServer method=uptime"]):
            node.uptime()
        assert_equal(set(node.logging([], ["all"]).values()), {False})
        assert_equal(set(node.logging(["all"]).values()), {True})
        assert_raises_rpc_error(-8, "unknown logging category nosuch", node.logging, ["nosuch"])
        assert_raises_rpc_error(-3, "JSON value of type number is not of expected type string", node.logging, [1])


if __name__ == "__main__":
    RPCMiscTest().main()
