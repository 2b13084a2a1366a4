"""Assertion and helper functions for the hashvive functional tests."""

import inspect
import os
import re
import socket
import subprocess
import threading
import time

from .authproxy import JSONRPCException

# ----------------------------------------------------------------------
# Assertions
# ----------------------------------------------------------------------


def assert_equal(thing1, thing2, *args):
    """Assert that all arguments compare equal."""
    if thing1 != thing2 or any(thing1 != arg for arg in args):
        raise AssertionError("not(%s)" % " == ".join(repr(t) for t in (thing1, thing2) + args))


def assert_not_equal(thing1, thing2, *args):
    """Assert that no two of the arguments compare equal."""
    items = (thing1, thing2) + args
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            if a == b:
                raise AssertionError("not(%s)" % " != ".join(repr(t) for t in items))


def assert_greater_than(thing1, thing2):
    if not thing1 > thing2:
        raise AssertionError("%r <= %r" % (thing1, thing2))


def assert_greater_than_or_equal(thing1, thing2):
    if not thing1 >= thing2:
        raise AssertionError("%r < %r" % (thing1, thing2))


def assert_raises(exc, fun, *args, **kwds):
    """Assert that ``fun(*args, **kwds)`` raises ``exc``."""
    assert_raises_message(exc, None, fun, *args, **kwds)


def assert_raises_message(exc, message, fun, *args, **kwds):
    """Assert that ``fun`` raises ``exc`` and, when ``message`` is not None,
    that ``message`` is a substring of the exception text (for
    JSONRPCException: of its error message)."""
    try:
        fun(*args, **kwds)
    except JSONRPCException as e:
        if exc is not JSONRPCException and not issubclass(JSONRPCException, exc):
            raise AssertionError("Unexpected JSONRPC error raised: %r" % (e.error,))
        if message is not None and message not in str(e.error.get("message", "")):
            raise AssertionError("Expected substring not found in error message:\nsubstring: %r\nerror message: %r"
                                 % (message, e.error.get("message")))
    except exc as e:
        if message is not None and message not in str(e):
            raise AssertionError("Expected substring not found in exception:\nsubstring: %r\nexception: %r"
                                 % (message, str(e)))
    except Exception as e:
        raise AssertionError("Unexpected exception raised: %s: %s" % (type(e).__name__, e))
    else:
        raise AssertionError("No exception raised")


def assert_raises_rpc_error(code, message, fun, *args, **kwds):
    """Assert that ``fun(*args, **kwds)`` raises a JSONRPCException whose
    error code equals ``code`` (any code if None) and whose error message
    contains ``message`` (any message if None).  Works for calls through the
    RPC proxy and through ``TestNode.cli``."""
    try:
        fun(*args, **kwds)
    except JSONRPCException as e:
        error = e.error if isinstance(e.error, dict) else {}
        if code is not None and error.get("code") != code:
            raise AssertionError("Unexpected JSONRPC error code %r (expected %r), error: %r"
                                 % (error.get("code"), code, e.error))
        if message is not None and message not in str(error.get("message", "")):
            raise AssertionError("Expected substring not found in error message:\nsubstring: %r\nerror message: %r"
                                 % (message, error.get("message")))
        return True
    except Exception as e:
        raise AssertionError("Unexpected exception raised: %s: %s" % (type(e).__name__, e))
    raise AssertionError("No exception raised")


def assert_raises_process_error(returncode, output, fun, *args, **kwds):
    """Assert that ``fun`` raises ``subprocess.CalledProcessError`` with the
    given ``returncode`` (any if None) and that ``output`` (if not None)
    occurs in the process's stdout or stderr."""
    try:
        fun(*args, **kwds)
    except subprocess.CalledProcessError as e:
        if returncode is not None and e.returncode != returncode:
            raise AssertionError("Unexpected returncode %r (expected %r)" % (e.returncode, returncode))
        combined = "%s\n%s" % (_to_text(e.output), _to_text(e.stderr))
        if output is not None and output not in combined:
            raise AssertionError("Expected substring not found:\nsubstring: %r\nstdout: %r\nstderr: %r"
                                 % (output, e.output, e.stderr))
        return True
    except Exception as e:
        raise AssertionError("Unexpected exception raised: %s: %s" % (type(e).__name__, e))
    raise AssertionError("No exception raised")


def _to_text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def assert_is_hex_string(string):
    """Assert that ``string`` is a str of hexadecimal digits (may be empty)."""
    if not isinstance(string, str) or not re.fullmatch(r"[0-9a-fA-F]*", string):
        raise AssertionError("Expected a hex string, got %r" % (string,))


def assert_is_hash_string(string, length=64):
    """Assert that ``string`` is ``length`` lowercase hex digits."""
    if not isinstance(string, str) or not re.fullmatch(r"[0-9a-f]{%d}" % length, string):
        raise AssertionError("Expected a %d-character lowercase hex string, got %r" % (length, string))


# ----------------------------------------------------------------------
# Waiting
# ----------------------------------------------------------------------


def wait_until_helper(predicate, *, timeout=60, timeout_factor=1.0, check_interval=0.05, lock=None):
    """Call ``predicate()`` until it returns a truthy value (which is then
    returned), for at most ``timeout * timeout_factor`` seconds.  ``lock``,
    if given, is held while the predicate runs.  On timeout raise
    AssertionError naming the predicate."""
    deadline = time.monotonic() + timeout * timeout_factor
    while True:
        if lock is not None:
            with lock:
                result = predicate()
        else:
            result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            break
        time.sleep(check_interval)
    try:
        source = inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        source = repr(predicate)
    raise AssertionError("Predicate not true after %g seconds (timeout %g x factor %g):\n%s"
                         % (timeout * timeout_factor, timeout, timeout_factor, source))


# ----------------------------------------------------------------------
# Ports, directories and configuration
# ----------------------------------------------------------------------

_used_ports = set()
_port_lock = threading.Lock()


# Ports are handed out below the kernel's ephemeral range (32768 and up on
# Linux): a port from that range can be taken, while its node is stopped, by
# the local end of any outgoing connection, and the node would then fail to
# bind it on restart. Each test process starts at its own offset.
PORT_MIN = 11000
PORT_RANGE = 20000


def get_free_port():
    """Return a TCP port on 127.0.0.1, below the ephemeral range, that was
    free when checked and has not been handed out before in this process."""
    with _port_lock:
        start = (os.getpid() * 97) % PORT_RANGE
        for i in range(PORT_RANGE):
            port = PORT_MIN + (start + i) % PORT_RANGE
            if port in _used_ports:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _used_ports.add(port)
            return port
    raise RuntimeError("could not find an unused port")


def get_datadir_path(dirname, n):
    """Datadir of node ``n`` under the test's temporary directory."""
    return os.path.join(dirname, "node%d" % n)


def write_config(path, lines):
    """Write ``lines`` (an iterable of strings) to ``path``, one per line."""
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")


def append_config(path, lines):
    """Append ``lines`` to the config file at ``path``."""
    with open(path, "a", encoding="utf-8") as f:
        for line in lines:
            f.write(line + "\n")


def child_pids(pid):
    """The processes `pid` started (its spawned hashvive processes), as /proc lists them."""
    found = []
    for task in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/children" % (pid, task)) as f:
            found += [int(p) for p in f.read().split()]
    return found
