#!/usr/bin/env python3
"""debug.log and the console: where lines go, their format, and the options
that shape them."""

import os
import re
import signal

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal


class LoggingTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.log.info("Lines carry an ISO 8601 timestamp; categories are tagged")
        with open(node.debug_log_path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z Hashvive version v\S+ \(\S+\)", lines[0]), lines[0]
        assert any(re.search(r"Z \[rpc\] ThreadRPCServer method=getrpcinfo user=__cookie__$", l) for l in lines)
        assert any(l.endswith("Z init message: Done loading") for l in lines)

        self.log.info("-printtoconsole copies the log to stdout; stderr stays empty")
        self.restart_node(0, ["-printtoconsole", "-nologtimemicros"])
        node.uptime()
        self.stop_node(0)
        stdout = node.read_stdout()
        assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ init message: Done loading$", stdout, re.M), stdout
        assert_equal(node.read_stderr(), "")

        self.log.info("-debuglogfile moves the log; -nodebuglogfile turns it off")
        custom = os.path.join(self.options.tmpdir, "custom.log")
        self.start_node(0, ["-debuglogfile=" + custom])
        assert_equal(node.getrpcinfo()["logpath"], custom)
        self.stop_node(0)
        with open(custom, encoding="utf-8") as f:
            assert "Shutdown: done" in f.read()
        os.remove(node.debug_log_path)
        self.start_node(0, ["-nodebuglogfile"])
        self.stop_node(0)
        assert not os.path.exists(node.debug_log_path)

        self.log.info("-logthreadnames, -logsourcelocations, -loglevelalways")
        self.start_node(0, ["-logthreadnames", "-logsourcelocations", "-loglevelalways", "-debug=rpc"])
        self.stop_node(0)
        with open(node.debug_log_path, encoding="utf-8") as f:
            text = f.read()
        assert re.search(r"Z \[[^\]]+\] \[\S+\.rs:\d+\] \[\S+\] \[rpc:debug\] ThreadRPCServer method=stop", text), text[-2000:]
        assert re.search(r"\[all:info\] Shutdown: done", text)

        self.log.info("-debug=<cat> and -debugexclude choose categories; -debug=none turns all off")
        self.start_node(0, ["-debug=http", "-debugexclude=http"])
        assert_equal(node.logging()["http"], False)
        self.stop_node(0)
        self.start_node(0, ["-debug=none"])
        assert_equal(set(node.logging().values()), {False})
        self.stop_node(0)

        self.log.info("-loglevel=rpc:info hides rpc debug lines; trace shows trace lines")
        self.start_node(0, ["-debug=rpc", "-loglevel=rpc:info"])
        with node.assert_debug_log([], unexpected_msgs=["ThreadRPCServer method=uptime"]):
            node.uptime()
        self.stop_node(0)

        self.log.info("SIGHUP reopens debug.log (log rotation)")
        self.start_node(0)
        rotated = node.debug_log_path + ".1"
        os.rename(node.debug_log_path, rotated)
        node.send_signal(signal.SIGHUP)
        self.wait_until(lambda: os.path.exists(node.debug_log_path))
        node.uptime()

        def reopened_log_has_call():
            with open(node.debug_log_path, encoding="utf-8") as f:
                return "method=uptime" in f.read()
        self.wait_until(reopened_log_has_call)


if __name__ == "__main__":
    LoggingTest().main()
