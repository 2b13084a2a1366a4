#!/usr/bin/env python3
"""-ipcbind socket rules and robustness: default and relative paths, private
parent directories, stale and busy sockets, bad addresses, clients that send
garbage or vanish mid-call, and -ipcfd misuse."""

import asyncio
import os
import socket
import stat
import subprocess

from test_framework.ipc import IpcClient, capnp, load_schemas
from test_framework.test_framework import HashviveTestFramework
from test_framework.test_node import ErrorMatch
from test_framework.util import assert_equal


class IPCBindTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def skip_test_if_missing_module(self):
        self.skip_if_no_ipc_client()

    def setup_network(self):
        self.ipc_node = self.ipc_node_path
        self.add_nodes(1, [["-ipcbind=unix"]], binary=self.ipc_node)
        self.start_nodes()
        self.schemas = load_schemas(self.config["environment"]["SRCDIR"])

    def echo_through(self, path):
        async def routine():
            c = await IpcClient(self.schemas).connect(path)
            echo = (await c.init.makeEcho(c.ctx)).result
            reply = (await echo.echo(c.ctx, "ping")).result
            c.close()
            return reply
        return asyncio.run(capnp.run(routine()))

    def run_test(self):
        node = self.nodes[0]
        default = os.path.join(node.chain_path, "node.sock")

        self.log.info("-ipcbind=unix listens on <datadir>/<chain>/node.sock and logs it")
        assert stat.S_ISSOCK(os.stat(default).st_mode)
        assert_equal(self.echo_through(default), "ping")
        with open(node.debug_log_path, encoding="utf-8") as f:
            assert "Listening for IPC requests on address unix:%s" % default in f.read()

        self.log.info("Garbage and truncated frames leave the node healthy")
        for junk in [b"\xff" * 64, b"\x00\x00\x00\x00\x10\x00\x00\x00abc", os.urandom(4096), b""]:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(default)
            s.sendall(junk)
            s.close()
        assert_equal(node.getblockcount(), 0)
        assert_equal(self.echo_through(default), "ping")

        self.log.info("A client that disconnects in the middle of a call leaves the node healthy")

        self.restart_node(0, ["-ipcbind=unix", "-debug=ipc"])
        log_start = node.debug_log_bytes()

        def server_has(text):
            with open(node.debug_log_path, "rb") as f:
                f.seek(log_start)
                return text.encode() in f.read()

        async def vanish():
            c = await IpcClient(self.schemas).connect(default)
            mining = (await c.init.makeMining(c.ctx)).result
            pending = asyncio.ensure_future(mining.waitTipChanged(c.ctx, b"\x00" * 32, 600))
            while not server_has("Mining.waitTipChanged$Params"):
                await asyncio.sleep(0.05)
            c.close()
            pending.cancel()
        asyncio.run(capnp.run(vanish()))
        self.wait_until(lambda: server_has("IPC server: socket disconnected."))
        assert_equal(self.echo_through(default), "ping")

        self.log.info("The socket is removed at shutdown; several -ipcbind, relative paths, private directories")
        self.stop_node(0)
        assert not os.path.exists(default)
        absolute = os.path.join(self.options.tmpdir, "abs", "n.sock")
        self.start_node(0, ["-ipcbind=unix", "-ipcbind=unix:sub/dir/rel.sock", "-ipcbind=unix:" + absolute])
        relative = os.path.join(node.chain_path, "sub", "dir", "rel.sock")
        for path in (default, relative, absolute):
            assert_equal(self.echo_through(path), "ping")
        assert_equal(stat.S_IMODE(os.stat(os.path.dirname(relative)).st_mode), 0o700)

        self.log.info("A socket another process serves is not taken over")
        self.add_nodes(1, [[]], binary=self.ipc_node)
        other = self.nodes[-1]
        other.assert_start_raises_init_error(["-ipcbind=unix:" + absolute],
                                             "Error: IPC socket %s is in use by another process" % absolute)
        assert not os.path.exists(other.cookie_path), "a failed start leaves no cookie behind"

        self.log.info("A stale socket left by a killed node is replaced")
        node.kill_process()
        assert os.path.exists(default)
        self.start_node(0, ["-ipcbind=unix"])
        assert_equal(self.echo_through(default), "ping")
        self.stop_node(0)

        self.log.info("Bad addresses are init errors")
        node.assert_start_raises_init_error(["-ipcbind=tcp:127.0.0.1:1"],
                                            "Error: Invalid IPC address 'tcp:127.0.0.1:1': expected unix or unix:<path>")
        node.assert_start_raises_init_error(["-ipcbind=unix:/" + "x" * 120], r"Error: IPC socket path /x+ is too long \(121 bytes; at most 107\)",
                                            match=ErrorMatch.FULL_REGEX)
        if os.path.basename(self.daemon_path) != "hashvive-node":
            self.log.info("Executables without IPC refuse -ipcbind")
            self.add_nodes(1, [[]])
            plain = self.nodes[-1]
            plain.assert_start_raises_init_error(["-ipcbind=unix"], "Error: -ipcbind needs a multiprocess executable (hashvive-node, built with -DWITH_MULTIPROCESS=ON); %s has no IPC" % os.path.basename(self.daemon_path))

        self.log.info("-ipcfd is only for spawned processes")
        for args, message in [(["-ipcfd", "999"], "Error: Invalid -ipcfd number"),
                              (["-ipcfd", "x"], "Error: Invalid -ipcfd number"),
                              (["-ipcfd=3", "-regtest"], "Error: -ipcfd is only for processes hashvive spawns itself, as: hashvive-node -ipcfd <fd>")]:
            p = subprocess.run([self.ipc_node] + args, capture_output=True, text=True, timeout=30)
            assert_equal((p.returncode, p.stderr.strip()), (1, message))
        self.start_node(0)


if __name__ == "__main__":
    IPCBindTest().main()
