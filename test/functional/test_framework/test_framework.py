"""Base class for hashvive functional tests.

A test subclasses ``HashviveTestFramework``, implements ``set_test_params``
and ``run_test``, and ends with::

    if __name__ == "__main__":
        MyTest().main()

``main()`` parses the command line, creates the temporary directory, starts
the nodes, runs the test, stops the nodes and exits with 0 (passed),
1 (failed) or 77 (skipped).
"""

import argparse
import configparser
import http.client
import logging
import os
import shutil
import signal
import sys
import tempfile
import time

from .authproxy import JSONRPCException
from .test_node import TestNode
from .util import wait_until_helper

TEST_EXIT_PASSED = 0
TEST_EXIT_FAILED = 1
TEST_EXIT_SKIPPED = 77


class SkipTest(Exception):
    """Raise to skip the test (exit code 77)."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class _Terminated(Exception):
    """Raised from the SIGTERM handler so that cleanup still runs."""


class HashviveTestFramework:
    """Base class for a hashvive functional test.

    Subclasses must override ``set_test_params`` (set ``self.num_nodes``,
    optionally ``self.extra_args`` as a list with one argument list per node,
    ``self.setup_clean_chain``, ``self.rpc_timeout``) and ``run_test``.
    They may override ``add_options``, ``skip_test_if_missing_module``,
    ``setup_network`` and ``setup_nodes``.
    """

    def __init__(self):
        self.num_nodes = None
        self.extra_args = None
        self.setup_clean_chain = False
        self.rpc_timeout = 60
        self.chain = "regtest"
        self.nodes = []
        self.options = None
        self.config = None
        self.log = logging.getLogger("TestFramework")

    # ------------------------------------------------------------------
    # Hooks for subclasses
    # ------------------------------------------------------------------
    def set_test_params(self):
        """Set self.num_nodes and other parameters. Must be overridden."""
        raise NotImplementedError

    def add_options(self, parser):
        """Add test-specific command line options to ``parser``."""

    def skip_test_if_missing_module(self):
        """Raise SkipTest (e.g. via ``self.skip_if_no_wallet()``) when a
        needed component was not built."""

    def setup_network(self):
        """Create and start the nodes. Default: ``setup_nodes()``."""
        self.setup_nodes()

    def setup_nodes(self):
        """Add ``num_nodes`` nodes with ``self.extra_args`` and start them."""
        self.add_nodes(self.num_nodes, self.extra_args)
        self.start_nodes()

    def run_test(self):
        """The test itself. Must be overridden."""
        raise NotImplementedError

    # ------------------------------------------------------------------
    # Node management
    # ------------------------------------------------------------------
    def add_nodes(self, num_nodes, extra_args=None, *, binary=None, cli_binary=None):
        """Create ``num_nodes`` more TestNode objects (not started)."""
        if extra_args is None:
            extra_args = [[]] * num_nodes
        if len(extra_args) != num_nodes:
            raise AssertionError("extra_args has %d entries for %d nodes" % (len(extra_args), num_nodes))
        for args in extra_args:
            index = len(self.nodes)
            self.nodes.append(TestNode(
                index, self.options.tmpdir,
                binary or self.daemon_path,
                cli_binary or self.cli_path,
                extra_args=args,
                timeout_factor=self.options.timeout_factor,
                chain=self.chain,
                rpc_timeout=self.rpc_timeout,
            ))

    def start_node(self, i, extra_args=None, *args, **kwargs):
        """Start node ``i`` and wait for its RPC server."""
        node = self.nodes[i]
        node.start(extra_args, *args, **kwargs)
        node.wait_for_rpc_connection()

    def start_nodes(self, extra_args=None, *args, **kwargs):
        """Start all nodes (in parallel) and wait for their RPC servers."""
        if extra_args is None:
            extra_args = [None] * len(self.nodes)
        if len(extra_args) != len(self.nodes):
            raise AssertionError("extra_args has %d entries for %d nodes" % (len(extra_args), len(self.nodes)))
        for node, args_i in zip(self.nodes, extra_args):
            node.start(args_i, *args, **kwargs)
        for node in self.nodes:
            node.wait_for_rpc_connection()

    def stop_node(self, i, expected_stderr="", wait=0):
        """Stop node ``i`` via RPC and check its exit."""
        self.nodes[i].stop_node(expected_stderr=expected_stderr, wait=wait)

    def stop_nodes(self, wait=0):
        """Stop all running nodes: send ``stop`` to each, then wait for all."""
        for node in self.nodes:
            if node.running and node.rpc_connected:
                try:
                    node.stop(wait) if wait else node.stop()
                except (OSError, http.client.HTTPException, JSONRPCException) as e:
                    self.log.warning("unable to send stop to node %d: %r", node.index, e)
        for node in self.nodes:
            node.wait_until_stopped()

    def restart_node(self, i, extra_args=None, **kwargs):
        """Stop node ``i`` and start it again with ``extra_args``."""
        self.stop_node(i)
        self.start_node(i, extra_args, **kwargs)

    def connect_nodes(self, a, b):
        """Make node ``a`` connect to node ``b`` (``addnode onetry``) and wait
        until both sides finished the version handshake."""
        from_node, to_node = self.nodes[a], self.nodes[b]
        target = "127.0.0.1:%d" % to_node.p2p_port
        from_node.addnode(target, "onetry")

        def handshaken(node, pred):
            return any(p["version"] != 0 and pred(p) for p in node.getpeerinfo())
        self.wait_until(lambda: handshaken(from_node, lambda p: p["addr"] == target))
        self.wait_until(lambda: handshaken(to_node, lambda p: p["inbound"]
                                           and p["subver"].endswith("(testnode%d)/" % a)))

    def sync_blocks(self, nodes=None, timeout=60):
        """Wait until ``nodes`` (default: all) have the same tip."""
        nodes = nodes or self.nodes
        self.wait_until(lambda: len({n.getbestblockhash() for n in nodes}) == 1, timeout=timeout)

    def sync_mempools(self, nodes=None, timeout=60):
        """Wait until ``nodes`` (default: all) have the same mempool."""
        nodes = nodes or self.nodes
        self.wait_until(lambda: len({tuple(sorted(n.getrawmempool())) for n in nodes}) == 1, timeout=timeout)

    def wait_until(self, predicate, *, timeout=60, check_interval=0.05):
        """``wait_until_helper`` with this test's timeout factor."""
        return wait_until_helper(predicate, timeout=timeout, check_interval=check_interval,
                                 timeout_factor=self.options.timeout_factor)

    # ------------------------------------------------------------------
    # Built components
    # ------------------------------------------------------------------
    def _component(self, key):
        return self.config.getboolean("components", key, fallback=False)

    def is_daemon_compiled(self):
        return self._component("ENABLE_DAEMON")

    def is_cli_compiled(self):
        return self._component("ENABLE_CLI")

    def is_wallet_compiled(self):
        # hashvive-node runs its wallets in the hashvive-wallet process beside it.
        exeext = self.config.get("environment", "EXEEXT", fallback="")
        if os.path.basename(self.daemon_path) == "hashvive-node" + exeext:
            wallet_process = os.path.join(os.path.dirname(self.daemon_path), "hashvive-wallet" + exeext)
            if not os.path.exists(wallet_process):
                return False
        return self._component("ENABLE_WALLET")

    def is_wallet_tool_compiled(self):
        return self._component("ENABLE_WALLET_TOOL")

    def is_ipc_compiled(self):
        return self._component("ENABLE_IPC")

    def skip_if_no_daemon(self):
        if not self.is_daemon_compiled():
            raise SkipTest("hashvived has not been built")

    def skip_if_no_cli(self):
        if not self.is_cli_compiled():
            raise SkipTest("hashvive-cli has not been built")

    def skip_if_no_wallet(self):
        if not self.is_wallet_compiled():
            raise SkipTest("wallet has not been compiled")

    def skip_if_no_wallet_tool(self):
        if not self.is_wallet_tool_compiled():
            raise SkipTest("hashvive-wallet has not been built")

    def skip_if_no_ipc(self):
        if not self.is_ipc_compiled():
            raise SkipTest("ipc has not been compiled")

    def is_gui_compiled(self):
        return self._component("ENABLE_GUI")

    def is_gui_ipc_compiled(self):
        return self._component("ENABLE_GUI_IPC")

    def skip_if_no_gui(self):
        if not self.is_gui_compiled():
            raise SkipTest("the GUI has not been compiled (-DBUILD_GUI=ON)")

    def gui_path(self, name):
        """A GUI executable (hashvive-qt, hashvive-gui) of the build."""
        return os.path.join(self.config["environment"]["BUILDDIR"], "src", name)

    def skip_if_no_ipc_client(self):
        """IPC tests also need pycapnp to play the client."""
        self.skip_if_no_ipc()
        from test_framework.ipc import capnp
        if capnp is None:
            raise SkipTest("pycapnp is not installed (pip install -r test/requirements.txt)")

    @property
    def ipc_node_path(self):
        """The hashvive-node executable, for tests that need IPC whatever HASHVIVED is."""
        if os.path.basename(self.daemon_path) == "hashvive-node":
            return self.daemon_path
        return os.path.join(self.config["environment"]["BUILDDIR"], "src", "hashvive-node")

    # ------------------------------------------------------------------
    # Driver
    # ------------------------------------------------------------------
    def _parse_args(self):
        script_dir = os.path.abspath(os.path.dirname(sys.argv[0]))
        parser = argparse.ArgumentParser(usage="%(prog)s [options]")
        parser.add_argument("--nocleanup", action="store_true",
                            help="leave the temporary directory and its datadirs in place")
        parser.add_argument("--noshutdown", action="store_true",
                            help="do not stop the nodes after the test (leaves them running)")
        parser.add_argument("--tmpdir", help="root directory for datadirs (must be empty or absent)")
        parser.add_argument("--tracerpc", action="store_true", help="print RPC calls and replies")
        parser.add_argument("--timeout-factor", type=float, default=1.0,
                            help="multiply all timeouts by this factor (0 = effectively unlimited)")
        parser.add_argument("--configfile", default=os.path.join(script_dir, "..", "config.ini"),
                            help="config.ini written by the build (default: %(default)s)")
        parser.add_argument("-l", "--loglevel", default="INFO",
                            help="log level printed to the console (DEBUG, INFO, WARNING, ERROR)")
        self.add_options(parser)
        options = parser.parse_args()
        if options.timeout_factor == 0:
            options.timeout_factor = 99999
        options.configfile = os.path.abspath(options.configfile)
        if options.tmpdir:
            options.tmpdir = os.path.abspath(options.tmpdir)
        return options

    def _setup_tmpdir(self):
        if self.options.tmpdir:
            os.makedirs(self.options.tmpdir, exist_ok=True)
            if os.listdir(self.options.tmpdir):
                raise RuntimeError("--tmpdir %s is not empty" % self.options.tmpdir)
        else:
            self.options.tmpdir = tempfile.mkdtemp(prefix="hashvive_func_test_")

    def _setup_logging(self):
        fmt = logging.Formatter("%(asctime)s.%(msecs)03d000Z %(name)s (%(levelname)s): %(message)s",
                                datefmt="%Y-%m-%dT%H:%M:%S")
        fmt.converter = time.gmtime
        root = logging.getLogger("TestFramework")
        root.setLevel(logging.DEBUG)
        root.propagate = False
        for handler in list(root.handlers):
            root.removeHandler(handler)
        file_handler = logging.FileHandler(os.path.join(self.options.tmpdir, "test_framework.log"),
                                           encoding="utf-8")
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(fmt)
        console = logging.StreamHandler(sys.stdout)
        console.setLevel(self.options.loglevel.upper())
        console.setFormatter(fmt)
        root.addHandler(file_handler)
        root.addHandler(console)
        self._log_handlers = [file_handler, console]

        rpc_logger = logging.getLogger("TestFramework.rpc")
        for handler in list(rpc_logger.handlers):
            rpc_logger.removeHandler(handler)
        if self.options.tracerpc:
            rpc_logger.setLevel(logging.DEBUG)
            rpc_console = logging.StreamHandler(sys.stdout)
            rpc_console.setLevel(logging.DEBUG)
            rpc_console.setFormatter(fmt)
            # Avoid printing twice when the console level is DEBUG already.
            if console.level > logging.DEBUG:
                rpc_logger.addHandler(rpc_console)
                self._log_handlers.append(rpc_console)
        else:
            rpc_logger.setLevel(logging.INFO)

    def _read_config(self):
        if not os.path.isfile(self.options.configfile):
            raise RuntimeError("config file %s not found; build the project first or pass --configfile"
                               % self.options.configfile)
        config = configparser.ConfigParser(interpolation=None)
        config.optionxform = str  # keys are case-sensitive upper-case names
        with open(self.options.configfile, encoding="utf-8") as f:
            config.read_file(f)
        if not config.has_section("environment"):
            config.add_section("environment")
        if not config.has_section("components"):
            config.add_section("components")
        self.config = config
        env = config["environment"]
        builddir = env.get("BUILDDIR", "")
        exeext = env.get("EXEEXT", "")
        self.daemon_path = os.getenv("HASHVIVED") or os.path.join(builddir, "src", "hashvived" + exeext)
        self.cli_path = os.getenv("HASHVIVECLI") or os.path.join(builddir, "src", "hashvive-cli" + exeext)
        self.wallet_tool_path = (os.getenv("HASHVIVEWALLET")
                                 or os.path.join(builddir, "src", "hashvive-wallet" + exeext))

    def _on_sigterm(self, signum, frame):
        raise _Terminated("received signal %d" % signum)

    def main(self):
        """Run the test and exit the process with its status code."""
        self.options = self._parse_args()
        try:
            self._setup_tmpdir()
        except (OSError, RuntimeError) as e:
            print("ERROR: %s" % e, file=sys.stderr)
            sys.exit(TEST_EXIT_FAILED)
        self._setup_logging()
        signal.signal(signal.SIGTERM, self._on_sigterm)

        status = TEST_EXIT_FAILED
        try:
            self._read_config()
            self.set_test_params()
            if self.num_nodes is None:
                raise AssertionError("set_test_params() must set self.num_nodes")
            self.log.info("Initializing test directory %s", self.options.tmpdir)
            if self.num_nodes > 0:
                self.skip_if_no_daemon()
            self.skip_test_if_missing_module()
            self.setup_network()
            self.run_test()
            status = TEST_EXIT_PASSED
        except SkipTest as e:
            self.log.warning("Test skipped: %s", e.message)
            status = TEST_EXIT_SKIPPED
        except JSONRPCException:
            self.log.exception("JSONRPC error")
        except AssertionError:
            self.log.exception("Assertion failed")
        except KeyboardInterrupt:
            self.log.warning("Exiting after keyboard interrupt")
        except _Terminated as e:
            self.log.warning("Terminated: %s", e)
        except Exception:
            self.log.exception("Unexpected exception caught during testing")
        except BaseException:
            self.log.exception("Unexpected exception")
            self._kill_all()
            raise
        finally:
            status = self._shutdown(status)
        sys.exit(status)

    def _kill_all(self):
        for node in self.nodes:
            if node.running:
                self.log.debug("killing node %d", node.index)
                node.kill_process()

    def _shutdown(self, status):
        """Stop or kill the nodes, report, clean up. Returns the final status."""
        try:
            if self.options.noshutdown:
                running = [n for n in self.nodes if n.running]
                if running:
                    self.log.info("Not stopping nodes (--noshutdown): pids %s",
                                  ", ".join(str(n.process.pid) for n in running))
            elif status != TEST_EXIT_FAILED:
                self.log.info("Stopping nodes")
                try:
                    self.stop_nodes()
                except Exception:
                    self.log.exception("Error while stopping nodes")
                    status = TEST_EXIT_FAILED
            else:
                self._kill_all()
        finally:
            if not self.options.noshutdown:
                self._kill_all()

        if status == TEST_EXIT_FAILED:
            self._dump_node_logs()
        cleanup = (not self.options.nocleanup and not self.options.noshutdown
                   and status != TEST_EXIT_FAILED)
        if status == TEST_EXIT_PASSED:
            self.log.info("Tests successful")
        elif status == TEST_EXIT_SKIPPED:
            self.log.info("Test skipped")
        else:
            self.log.error("Test failed. Test logging and node datadirs are in %s", self.options.tmpdir)
        if not cleanup:
            self.log.info("Not cleaning up dir %s", self.options.tmpdir)

        for handler in self._log_handlers:
            handler.flush()
            handler.close()
            for name in ("TestFramework", "TestFramework.rpc"):
                logging.getLogger(name).removeHandler(handler)
        if cleanup:
            shutil.rmtree(self.options.tmpdir, ignore_errors=True)
        return status

    def _dump_node_logs(self, lines=40):
        """Print the tail of each node's debug.log and its stderr."""
        for node in self.nodes:
            sections = [("debug.log", node.debug_log_path), ("stderr", node.stderr_path)]
            for title, path in sections:
                try:
                    with open(path, "rb") as f:
                        text = f.read().decode("utf-8", "replace")
                except OSError:
                    continue
                tail = text.splitlines()[-lines:]
                print("\n---- node%d %s (last %d lines, %s) ----" % (node.index, title, len(tail), path))
                for line in tail:
                    print(line)
        sys.stdout.flush()
