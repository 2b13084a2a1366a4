#!/usr/bin/env python3
"""Clean shutdown by RPC and by signal, the pid file, the cookie, and running
in the background with -daemon and -daemonwait."""

import os
import signal
import socket
import subprocess
import threading

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal


class ShutdownTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        pid_path = os.path.join(node.chain_path, "hashvived.pid")
        self.log.info("While running: pid file and cookie exist")
        with open(pid_path, encoding="utf-8") as f:
            assert_equal(int(f.read()), node.process.pid)
        assert os.path.exists(node.cookie_path)

        self.log.info("stop answers, then the node exits 0 with nothing on stderr and cleans up")
        assert_equal(node.stop(), "Hashvive stopping")
        node.wait_until_stopped()
        assert not os.path.exists(pid_path)
        assert not os.path.exists(node.cookie_path)
        with open(node.debug_log_path, encoding="utf-8") as f:
            assert f.read().rstrip().endswith("Shutdown: done")

        self.log.info("stop's hidden wait parameter delays its reply, and in-flight calls finish")
        self.start_node(0)
        answer = []
        t = threading.Thread(target=lambda: answer.append(node.rpc._for_path("/").stop(500)))
        t.start()
        t.join()
        assert_equal(answer, ["Hashvive stopping"])
        node.wait_until_stopped()

        for sig in (signal.SIGTERM, signal.SIGINT):
            self.log.info("%s shuts down cleanly" % sig.name)
            self.start_node(0)
            with node.assert_debug_log(["Shutdown: done"], timeout=30):
                node.send_signal(sig)
                node.wait_until_stopped()

        self.log.info("-nopid and -pid=<file>")
        self.start_node(0, ["-nopid"])
        assert not os.path.exists(pid_path)
        self.stop_node(0)
        custom = os.path.join(self.options.tmpdir, "custom.pid")
        self.start_node(0, ["-pid=" + custom])
        assert os.path.exists(custom)
        self.stop_node(0)
        assert not os.path.exists(custom)

        self.log.info("-daemonwait returns once the node is ready; -daemon at once")
        executables = [self.daemon_path]
        if self.is_ipc_compiled() and self.ipc_node_path != self.daemon_path:
            executables.append(self.ipc_node_path)  # its IPC thread must survive the fork
        for exe in executables:
            for flag in ("-daemonwait", "-daemon"):
                self.log.info("%s %s" % (os.path.basename(exe), flag))
                launcher = subprocess.run([exe, "-datadir=" + node.datadir, flag],
                                          capture_output=True, text=True, timeout=60)
                assert_equal((launcher.returncode, launcher.stdout, launcher.stderr), (0, "Hashvive starting\n", ""))
                self.wait_until(lambda: os.path.exists(pid_path))
                with open(pid_path, encoding="utf-8") as f:
                    daemon_pid = int(f.read())
                # The framework did not start this process; talk to it through the CLI.
                self.wait_until(lambda: subprocess.run([self.cli_path, "-datadir=" + node.datadir, "echoipc", "up"],
                                                       capture_output=True).returncode == 0)
                stopped = subprocess.run([self.cli_path, "-datadir=" + node.datadir, "stop"], capture_output=True, text=True)
                assert_equal(stopped.stdout, "Hashvive stopping\n")
                self.wait_until(lambda: not os.path.exists("/proc/%d" % daemon_pid))

        self.log.info("-daemonwait reports a failed start")
        # A dual-stack listener takes the RPC port on both loopback addresses.
        blocker = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        blocker.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        blocker.bind(("::", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        launcher = subprocess.run([self.daemon_path, "-datadir=" + node.datadir, "-daemonwait", "-rpcport=%d" % port],
                                  capture_output=True, text=True, timeout=60)
        blocker.close()
        assert_equal((launcher.returncode, launcher.stderr),
                     (1, "Error during initialization - check debug.log for details\n"))
        # The parent reported the failure; the reason is in debug.log by then.
        with open(node.debug_log_path, encoding="utf-8") as f:
            assert "[error] Unable to bind any endpoint for RPC server" in f.read()

        self.start_node(0)


if __name__ == "__main__":
    ShutdownTest().main()
