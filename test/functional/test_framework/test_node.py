"""Control of one hashvived process for the functional tests.

A ``TestNode`` owns a datadir ``<tmpdir>/node<i>`` with a generated
``hashvive.conf``, starts and stops the daemon, connects to its RPC server
with cookie (or configured user/password) authentication, and offers
helpers to check its stderr, its exit code and its debug.log.
"""

import contextlib
import enum
import http.client
import json
import logging
import os
import re
import signal
import subprocess
import time
import urllib.parse

from .authproxy import AuthServiceProxy, JSONRPCException, dumps, loads
from .util import get_datadir_path, get_free_port, write_config, append_config

# Name of the net-specific subdirectory of the datadir, per chain.
CHAIN_SUBDIRS = {
    "main": "",
    "test": "testnet3",
    "testnet4": "testnet4",
    "signet": "signet",
    "regtest": "regtest",
}

# RPC_IN_WARMUP
RPC_IN_WARMUP = -28


class FailedToStartError(Exception):
    """The node exited, or never became reachable, while starting."""


class ErrorMatch(enum.Enum):
    """How ``assert_start_raises_init_error`` compares stderr."""
    FULL_TEXT = 1      # stripped stderr == expected
    FULL_REGEX = 2     # re.fullmatch(expected, stripped stderr)
    PARTIAL_REGEX = 3  # re.search(expected, stripped stderr, re.MULTILINE)


def _read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _last_arg(args, name):
    """Value of the last ``-name=value`` (or ``--name=value``) in ``args``."""
    value = None
    for arg in args:
        for prefix in ("-" + name + "=", "--" + name + "="):
            if arg.startswith(prefix):
                value = arg[len(prefix):]
    return value


class TestNode:
    """One hashvived instance.  Unknown attributes are RPC calls, so
    ``node.getblockcount()`` calls the ``getblockcount`` RPC."""

    def __init__(self, index, datadir_root, binary, cli_binary, extra_args=None,
                 timeout_factor=1.0, chain="regtest", *, rpc_timeout=60):
        self.index = index
        self.binary = binary
        self.cli_binary = cli_binary
        self.extra_args = list(extra_args or [])
        self.timeout_factor = timeout_factor
        self.chain = chain
        self.rpc_timeout = rpc_timeout * timeout_factor
        self.log = logging.getLogger("TestFramework.node%d" % index)

        self.datadir = get_datadir_path(datadir_root, index)
        self.chain_path = os.path.join(self.datadir, CHAIN_SUBDIRS.get(chain, chain))
        self.conf_path = os.path.join(self.datadir, "hashvive.conf")
        self.debug_log_path = os.path.join(self.chain_path, "debug.log")
        self.cookie_path = os.path.join(self.chain_path, ".cookie")
        self.stdout_path = os.path.join(self.datadir, "stdout.txt")
        self.stderr_path = os.path.join(self.datadir, "stderr.txt")

        self.p2p_port = get_free_port()
        self.rpc_port = get_free_port()

        os.makedirs(self.datadir, exist_ok=True)
        chain_line = "regtest=1" if chain == "regtest" else "chain=%s" % chain
        write_config(self.conf_path, [
            chain_line,
            "[%s]" % chain,
            "port=%d" % self.p2p_port,
            # Loopback only: tests must not listen on every interface.
            "bind=127.0.0.1",
            "rpcport=%d" % self.rpc_port,
            "server=1",
            "listenonion=0",
            "discover=0",
            "dnsseed=0",
            "fixedseeds=0",
            "printtoconsole=0",
            "shrinkdebugfile=0",
            "fallbackfee=0.0002",
        ])

        self.process = None
        self.rpc = None
        self.rpc_connected = False
        self.p2ps = []           # P2PInterface connections made by the test
        self.args = []           # full command line of the last start
        self._stdout = None      # file objects handed to the last start
        self._stderr = None
        self._own_stdout = False
        self._own_stderr = False

    def __repr__(self):
        return "TestNode(%d, %s)" % (self.index, self.datadir)

    # ------------------------------------------------------------------
    # Configuration
    # ------------------------------------------------------------------
    def append_config(self, lines):
        """Append lines to this node's hashvive.conf (takes effect on the next start)."""
        append_config(self.conf_path, lines)

    def _conf_value(self, name):
        """Last value of ``name=`` in hashvive.conf (ignoring sections)."""
        value = None
        for line in _read_text(self.conf_path).splitlines():
            line = line.strip()
            if line.startswith(name + "="):
                value = line[len(name) + 1:]
        return value

    # ------------------------------------------------------------------
    # Starting and stopping
    # ------------------------------------------------------------------
    @property
    def running(self):
        return self.process is not None

    def start(self, extra_args=None, *, stdout=None, stderr=None, env=None):
        """Start the daemon (does not wait for RPC).  ``extra_args`` replaces
        the node's default extra args for this start.  ``env`` entries are
        added to the inherited environment."""
        if self.process is not None:
            raise AssertionError("node %d is already running" % self.index)
        if extra_args is None:
            extra_args = self.extra_args
        self.args = [
            self.binary,
            "-datadir=" + self.datadir,
            "-logtimemicros",
            "-debug",
            "-debugexclude=libevent",
            "-debugexclude=leveldb",
            "-uacomment=testnode%d" % self.index,
        ] + list(extra_args)

        self._own_stdout = stdout is None
        self._own_stderr = stderr is None
        self._stdout = stdout if stdout is not None else open(self.stdout_path, "w+b")
        self._stderr = stderr if stderr is not None else open(self.stderr_path, "w+b")

        proc_env = os.environ.copy()
        if env is not None:
            proc_env.update(env)
        self.log.debug("starting: %s", " ".join(self.args))
        try:
            self.process = subprocess.Popen(self.args, stdout=self._stdout, stderr=self._stderr,
                                            env=proc_env, cwd=self.datadir)
        except OSError as e:
            self._close_output_files()
            raise FailedToStartError("cannot execute %s: %s" % (self.binary, e)) from e
        self.rpc = None
        self.rpc_connected = False

    def _rpc_url(self):
        """RPC URL with credentials, or None while no credentials are available."""
        args = self.args[1:]
        port = _last_arg(args, "rpcport") or self.rpc_port
        user = _last_arg(args, "rpcuser") or self._conf_value("rpcuser")
        password = _last_arg(args, "rpcpassword") or self._conf_value("rpcpassword")
        if password is None:
            cookie_file = _last_arg(args, "rpccookiefile") or ".cookie"
            cookie_file = os.path.join(self.chain_path, cookie_file)
            try:
                with open(cookie_file, "r", encoding="utf-8") as f:
                    content = f.read().strip()
            except OSError:
                return None
            if ":" not in content:
                return None  # not (completely) written yet
            user, password = content.split(":", 1)
        return "http://%s:%s@127.0.0.1:%s" % (urllib.parse.quote(user or "", safe=""),
                                              urllib.parse.quote(password, safe=""), port)

    def wait_for_rpc_connection(self):
        """Wait until the RPC server answers ``getrpcinfo``.  Raise
        FailedToStartError if the process exits first or the timeout
        (60 s x timeout factor) passes."""
        deadline = time.monotonic() + 60 * self.timeout_factor
        last_error = None
        while time.monotonic() < deadline:
            if self.process is None:
                raise FailedToStartError("node %d is not running" % self.index)
            if self.process.poll() is not None:
                rc = self.process.returncode
                stderr = self.read_stderr().strip()
                self._reap()
                raise FailedToStartError("hashvived (node %d) exited with status %d during initialization%s"
                                         % (self.index, rc, ("\nstderr:\n" + stderr) if stderr else ""))
            url = self._rpc_url()
            if url is not None:
                proxy = AuthServiceProxy(url, timeout=self.rpc_timeout)
                try:
                    proxy.getrpcinfo()
                except JSONRPCException as e:
                    code = e.error.get("code") if isinstance(e.error, dict) else None
                    if code not in (RPC_IN_WARMUP, -342) and e.http_status != 401:
                        raise
                    last_error = e
                except (OSError, http.client.HTTPException) as e:
                    # Not listening yet, or the connection was dropped
                    # while the server is coming up.
                    last_error = e
                else:
                    self.rpc = proxy
                    self.rpc_connected = True
                    self.log.debug("RPC connection established on port %s", proxy.port)
                    return
                finally:
                    if not self.rpc_connected:
                        proxy._close()
            time.sleep(0.05)
        raise FailedToStartError("unable to connect to hashvived (node %d) after %gs (last error: %r)"
                                 % (self.index, 60 * self.timeout_factor, last_error))

    # ------------------------------------------------------------------
    # P2P connections from the test
    # ------------------------------------------------------------------
    def add_p2p_connection(self, p2p_conn, *, wait_for_verack=True, send_version=True):
        """Connect ``p2p_conn`` (a P2PInterface) to this node's P2P port and,
        by default, complete the version handshake."""
        p2p_conn.peer_connect("127.0.0.1", self.p2p_port, timeout_factor=self.timeout_factor)
        self.p2ps.append(p2p_conn)
        if send_version:
            p2p_conn.send_version(start_height=0)
        if wait_for_verack:
            p2p_conn.wait_for_verack()
            # The node has processed our verack once it answers a ping.
            p2p_conn.sync_with_ping()
        return p2p_conn

    def disconnect_p2ps(self):
        for p2p in self.p2ps:
            p2p.peer_disconnect()
        self.p2ps = []

    def stop_node(self, expected_stderr="", wait=0):
        """Stop the node with the ``stop`` RPC and wait for it to exit with
        code 0 and stripped stderr equal to ``expected_stderr``."""
        self.disconnect_p2ps()
        if self.process is None:
            self.log.debug("stop_node: node %d is not running", self.index)
            return
        self.log.debug("stopping node %d", self.index)
        try:
            if wait:
                self.stop(wait)
            else:
                self.stop()
        except (OSError, http.client.HTTPException) as e:
            self.log.warning("unable to send stop to node %d: %r", self.index, e)
        except JSONRPCException as e:
            if e.error.get("code") != -342:
                raise
            self.log.warning("unexpected reply to stop from node %d: %r", self.index, e)
        self.wait_until_stopped(expected_stderr=expected_stderr)

    def wait_until_stopped(self, expected_ret_code=0, expected_stderr="", timeout=None):
        """Wait for the process to exit; assert its exit code and stderr."""
        if self.process is None:
            return
        if timeout is None:
            timeout = 60 * self.timeout_factor
        try:
            rc = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_process()
            raise AssertionError("node %d did not stop within %gs (killed)" % (self.index, timeout))
        stderr = self.read_stderr().strip()
        self._reap()
        if rc != expected_ret_code:
            raise AssertionError("node %d exited with code %d (expected %d)%s"
                                 % (self.index, rc, expected_ret_code,
                                    ("; stderr:\n" + stderr) if stderr else ""))
        if stderr != expected_stderr:
            raise AssertionError("node %d: unexpected stderr %r != %r" % (self.index, stderr, expected_stderr))

    def is_node_stopped(self):
        """True if the node is not running (never started, or exited)."""
        return self.process is None or self.process.poll() is not None

    def send_signal(self, sig):
        """Send signal ``sig`` to the daemon process."""
        if self.process is None:
            raise AssertionError("node %d is not running" % self.index)
        self.process.send_signal(sig)

    def kill_process(self):
        """SIGKILL the daemon (if running) and forget it, without any checks."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.log.error("node %d (pid %d) did not die after SIGKILL", self.index, self.process.pid)
        self._reap()

    def _reap(self):
        """Forget the process and RPC connection after it exited."""
        if self.rpc is not None:
            self.rpc._close()
        self.process = None
        self.rpc = None
        self.rpc_connected = False
        self._close_output_files()

    def _close_output_files(self):
        if self._own_stdout and self._stdout is not None:
            self._stdout.close()
        if self._own_stderr and self._stderr is not None:
            self._stderr.close()
        self._stdout = self._stderr = None
        self._own_stdout = self._own_stderr = False

    def read_stderr(self):
        """Text written to stderr by the current/last start."""
        f = self._stderr
        if f is not None and not self._own_stderr:
            name = getattr(f, "name", None)
            if isinstance(name, str):
                return _read_text(name)
            return ""
        return _read_text(self.stderr_path)

    def read_stdout(self):
        """Text written to stdout by the current/last start."""
        f = self._stdout
        if f is not None and not self._own_stdout:
            name = getattr(f, "name", None)
            return _read_text(name) if isinstance(name, str) else ""
        return _read_text(self.stdout_path)

    def assert_start_raises_init_error(self, extra_args=None, expected_msg=None,
                                       match=ErrorMatch.FULL_TEXT, *, env=None):
        """Start the node, expect it to exit with a non-zero code, and check
        its stripped stderr against ``expected_msg`` (if given)."""
        self.start(extra_args, env=env)
        timeout = 60 * self.timeout_factor
        try:
            rc = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_process()
            raise AssertionError("hashvived (node %d) should have exited with an error but was still "
                                 "running after %gs" % (self.index, timeout))
        stderr = self.read_stderr().strip()
        self._reap()
        if rc == 0:
            raise AssertionError("hashvived (node %d) should have exited with an error, but exited with 0;"
                                 " stderr: %r" % (self.index, stderr))
        if expected_msg is None:
            return
        if match == ErrorMatch.FULL_TEXT:
            ok = stderr == expected_msg
        elif match == ErrorMatch.FULL_REGEX:
            ok = re.fullmatch(expected_msg, stderr) is not None
        elif match == ErrorMatch.PARTIAL_REGEX:
            ok = re.search(expected_msg, stderr, flags=re.MULTILINE) is not None
        else:
            raise ValueError("unknown match mode %r" % (match,))
        if not ok:
            raise AssertionError("expected message (%s) not matched:\nexpected: %r\nstderr:   %r"
                                 % (match.name, expected_msg, stderr))

    # ------------------------------------------------------------------
    # debug.log
    # ------------------------------------------------------------------
    def debug_log_bytes(self):
        """Current size of debug.log in bytes (0 if it does not exist)."""
        try:
            return os.path.getsize(self.debug_log_path)
        except OSError:
            return 0

    def _debug_log_since(self, offset):
        try:
            with open(self.debug_log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    @contextlib.contextmanager
    def assert_debug_log(self, expected_msgs, unexpected_msgs=None, timeout=2):
        """Context manager: after the block, wait up to ``timeout`` (x timeout
        factor) seconds for every string in ``expected_msgs`` to appear in
        the lines appended to debug.log during/after the block; fail at once
        if any of ``unexpected_msgs`` appears."""
        unexpected_msgs = list(unexpected_msgs or [])
        expected_msgs = list(expected_msgs)
        start = self.debug_log_bytes()
        yield
        deadline = time.monotonic() + timeout * self.timeout_factor
        while True:
            text = self._debug_log_since(start)
            for msg in unexpected_msgs:
                if msg in text:
                    raise AssertionError("unexpected message %r found in debug.log:\n%s" % (msg, text))
            missing = [msg for msg in expected_msgs if msg not in text]
            if not missing:
                return
            if time.monotonic() >= deadline:
                raise AssertionError("expected messages %r not found in debug.log; appended text:\n%s"
                                     % (missing, text))
            time.sleep(0.05)

    def wait_for_debug_log(self, expected_msgs, timeout=60):
        """Wait until every string in ``expected_msgs`` occurs in lines
        appended to debug.log after this call."""
        with self.assert_debug_log(expected_msgs, timeout=timeout):
            pass

    # ------------------------------------------------------------------
    # RPC / CLI access
    # ------------------------------------------------------------------
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        rpc = self.__dict__.get("rpc")
        if rpc is None:
            raise AssertionError("node %d: RPC not connected (tried to call %s)"
                                 % (self.__dict__.get("index", -1), name))
        return getattr(rpc, name)

    def get_wallet_rpc(self, wallet_name):
        """A proxy whose calls go to ``/wallet/<wallet_name>``."""
        if self.rpc is None:
            raise AssertionError("node %d: RPC not connected" % self.index)
        return self.rpc._for_path("/wallet/" + urllib.parse.quote(wallet_name, safe=""))

    @property
    def cli(self):
        """A TestNodeCLI running hashvive-cli against this node."""
        return TestNodeCLI(self.cli_binary, self.datadir, timeout=self.rpc_timeout)


def arg_to_cli(arg):
    """Render one RPC argument the way it is typed on the CLI command line."""
    if isinstance(arg, str):
        return arg
    if isinstance(arg, bool):
        return "true" if arg else "false"
    if arg is None:
        return "null"
    return dumps(arg)


class TestNodeCLI:
    """Runs ``hashvive-cli -datadir=<datadir> [options] command args...``.

    ``cli("-rpcwallet=w", "-named")`` returns a copy with extra options;
    ``cli.getblockcount()`` or ``cli.send_cli("getblockcount")`` runs a
    command.  Keyword arguments become ``key=value`` (and imply -named)."""

    def __init__(self, binary, datadir, options=(), *, input=None, timeout=None):
        self.binary = binary
        self.datadir = datadir
        self.options = list(options)
        self.input = input
        self.timeout = timeout

    def __call__(self, *options, input=None):
        return TestNodeCLI(self.binary, self.datadir, self.options + list(options),
                           input=input, timeout=self.timeout)

    def __getattr__(self, command):
        if command.startswith("_"):
            raise AttributeError(command)
        return lambda *args, **kwargs: self.send_cli(command, *args, **kwargs)

    def command_line(self, command=None, *args, **kwargs):
        """The argv that ``send_cli`` would run."""
        argv = [self.binary, "-datadir=" + self.datadir] + self.options
        if kwargs and "-named" not in self.options:
            argv.append("-named")
        if command is not None:
            argv.append(command)
        argv += [arg_to_cli(a) for a in args]
        argv += ["%s=%s" % (k, arg_to_cli(v)) for k, v in kwargs.items()]
        return argv

    def send_cli(self, command=None, *args, **kwargs):
        """Run the CLI; return its stdout parsed as JSON if possible, else
        as a stripped string.  A failure that the CLI reports
        as "error code: N\\nerror message:\\n..." raises JSONRPCException;
        any other non-zero exit raises subprocess.CalledProcessError."""
        argv = self.command_line(command, *args, **kwargs)
        logging.getLogger("TestFramework.cli").debug("running: %s", " ".join(argv))
        proc = subprocess.run(argv, input=self.input, capture_output=True, text=True,
                              timeout=self.timeout)
        if proc.returncode != 0:
            match = re.match(r"error code: (-?\d+)\nerror message:\n(.*)", proc.stderr, re.DOTALL)
            if match:
                raise JSONRPCException({"code": int(match.group(1)),
                                        "message": match.group(2).rstrip("\n")})
            raise subprocess.CalledProcessError(proc.returncode, argv, output=proc.stdout, stderr=proc.stderr)
        try:
            return loads(proc.stdout)
        except (json.JSONDecodeError, ArithmeticError, ValueError):
            return proc.stdout.strip()
