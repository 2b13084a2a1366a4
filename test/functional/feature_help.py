#!/usr/bin/env python3
"""-help, -help-debug and -version of the daemon."""

import os
import subprocess

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal


class HelpTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def setup_network(self):
        self.add_nodes(self.num_nodes)

    def run(self, *args):
        p = subprocess.run([self.daemon_path, "-datadir=" + self.nodes[0].datadir, *args],
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout, p.stderr

    def run_test(self):
        name = os.path.basename(self.daemon_path)
        for flag in ("-help", "-h", "-?"):
            self.log.info("%s prints grouped help on stdout and exits 0" % flag)
            code, out, err = self.run(flag)
            assert_equal((code, err), (0, ""))
            assert out.startswith("Hashvive ")
            assert "\nUsage:  %s [options]" % name in out
            for group in ("Options:", "Connection options:", "Debugging/Testing options:", "Chain selection options:",
                          "RPC server options:", "Wallet options:"):
                assert "\n%s\n\n" % group in out, group
            assert "\n  -datadir=<dir>\n       " in out
            assert "\n  -dbcache=<n>\n" in out
            assert "\n  -checkblocks=" not in out, "debug options need -help-debug"
            assert "-ipcfd" not in out, "hidden options stay hidden"
            assert all(len(line) <= 79 for line in out.splitlines())

        self.log.info("-help-debug adds the debugging options")
        code, out, _ = self.run("-help-debug")
        assert_equal(code, 0)
        assert "\n  -checkblocks=<n>\n" in out
        assert len(out) > len(self.run("-help")[1])

        self.log.info("-version prints the version and licence")
        code, out, err = self.run("-version")
        assert_equal((code, err), (0, ""))
        assert out.startswith("Hashvive ") and " version v" in out.splitlines()[0]
        assert "MIT software license" in out
        assert not os.path.exists(os.path.join(self.nodes[0].chain_path, "debug.log")), "no log for -version"


if __name__ == "__main__":
    HelpTest().main()
