#!/usr/bin/env python3
"""The Cap'n Proto IPC interface of hashvive-node, driven by pycapnp as a
client written for the reference node would: Init.construct, ThreadMap,
Echo, Mining and Rpc; echoipc in both daemons; -debug=ipc log lines."""

import asyncio
import json
import os
import re

from test_framework.ipc import IpcClient, capnp, load_schemas
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal


class IPCInterfaceTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def skip_test_if_missing_module(self):
        self.skip_if_no_ipc_client()

    def setup_network(self):
        self.add_nodes(1, [["-ipcbind=unix", "-printtoconsole"]], binary=self.ipc_node_path)
        self.add_nodes(1, [[]])  # whatever HASHVIVED is, for echoipc
        self.start_nodes()
        self.socket = os.path.join(self.nodes[0].chain_path, "node.sock")
        self.schemas = load_schemas(self.config["environment"]["SRCDIR"])

    def run(self, routine):
        return asyncio.run(capnp.run(routine()))

    def run_test(self):
        self.test_echo()
        self.test_pool()
        self.test_mining()
        self.test_rpc()
        self.test_echoipc()
        self.test_log_lines()

    def test_echo(self):
        self.log.info("construct, makeThread, makeEcho, echo, destroy")

        async def routine():
            c = await IpcClient(self.schemas).connect(self.socket, "pythread")
            name = (await c.thread.getName()).result
            assert_equal(name, "hashvive-node-%d/pythread" % self.nodes[0].process.pid)
            echo = (await c.init.makeEcho(c.ctx)).result
            for text in ["hallo", "", "haha", "ünïcödé " * 50]:
                assert_equal((await echo.echo(c.ctx, text)).result, text)
            await echo.destroy(c.ctx)
            try:
                await echo.echo(c.ctx, "after destroy")
                raise AssertionError("a destroyed Echo answered")
            except capnp.KjException as e:
                assert "Echo object was destroyed" in str(e)
            try:
                await c.init.makeMiningOld2()
                raise AssertionError("makeMiningOld2 answered")
            except capnp.KjException as e:
                assert "Old mining interface (@2) not supported" in str(e)
            c.close()
        self.run(routine)

    def test_pool(self):
        self.log.info("Calls without a thread run in the pool sized by makePool")

        async def routine():
            c = await IpcClient(self.schemas).connect(self.socket)
            await c.thread_map.makePool(4)
            ctx = c.context_without_thread()
            echo = (await c.init.makeEcho(ctx)).result
            replies = await asyncio.gather(*[echo.echo(ctx, "p%d" % i) for i in range(16)])
            assert_equal([r.result for r in replies], ["p%d" % i for i in range(16)])
            c.close()
        self.run(routine)

    def test_mining(self):
        self.log.info("Mining: isTestChain, isInitialBlockDownload, getTip, waitTipChanged")
        node = self.nodes[0]

        async def routine():
            c = await IpcClient(self.schemas).connect(self.socket)
            mining = (await c.init.makeMining(c.ctx)).result
            assert_equal((await mining.isTestChain(c.ctx)).result, True)
            assert_equal((await mining.isInitialBlockDownload(c.ctx)).result, True)
            tip = await mining.getTip(c.ctx)
            assert_equal(tip.hasResult, True)
            assert_equal(bytes(tip.result.hash)[::-1].hex(), node.getbestblockhash())
            assert_equal(tip.result.height, node.getblockcount())
            same = await mining.waitTipChanged(c.ctx, tip.result.hash, 50)  # milliseconds, as the reference
            assert_equal(bytes(same.result.hash), bytes(tip.result.hash))
            other = await mining.waitTipChanged(c.ctx, b"\x01" * 32, 60000)
            assert_equal(bytes(other.result.hash), bytes(tip.result.hash))
            try:
                await mining.waitTipChanged(c.ctx, b"short", 1000)
                raise AssertionError("a malformed hash was accepted")
            except capnp.KjException as e:
                assert "32-byte" in str(e)
            c.close()
        self.run(routine)

    def test_rpc(self):
        self.log.info("Rpc.executeRpc runs requests as if over HTTP")

        async def routine():
            c = await IpcClient(self.schemas).connect(self.socket)
            rpc = (await c.init.makeRpc(c.ctx)).result
            reply = json.loads((await rpc.executeRpc(c.ctx, '{"method": "getblockcount", "id": 1}', "/", "pyuser")).result)
            assert_equal(reply, {"result": 0, "error": None, "id": 1})
            batch = json.loads((await rpc.executeRpc(c.ctx, json.dumps([
                {"jsonrpc": "2.0", "method": "echo", "params": ["x"], "id": "a"},
                {"jsonrpc": "2.0", "method": "nosuch", "id": "b"},
            ]), "/", "pyuser")).result)
            assert_equal(batch, [{"jsonrpc": "2.0", "result": ["x"], "id": "a"},
                                 {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "b"}])
            assert_equal((await rpc.executeRpc(c.ctx, '{"jsonrpc": "2.0", "method": "uptime"}', "/", "u")).result, "")
            bad = json.loads((await rpc.executeRpc(c.ctx, "{not json", "/", "u")).result)
            assert_equal(bad["error"]["code"], -32700)
            c.close()
        self.run(routine)

    def test_echoipc(self):
        self.log.info("echoipc spawns a child in hashvive-node and echoes locally elsewhere")
        node = self.nodes[0]
        with node.assert_debug_log(["Process hashvive-node pid", "launched"]):
            assert_equal(node.echoipc("hello"), "hello")

        def child_exited():
            with open(node.debug_log_path, encoding="utf-8") as f:
                return re.search(r"Process hashvive-node pid \d+ exited with status 0", f.read()) is not None
        self.wait_until(child_exited)
        assert_equal(self.nodes[1].echoipc("from %s" % os.path.basename(self.nodes[1].binary)),
                     "from %s" % os.path.basename(self.nodes[1].binary))

    def test_log_lines(self):
        self.log.info("-debug=ipc lines name the call and its payload, on the console too")
        node = self.nodes[0]
        self.stop_node(0)
        stdout = node.read_stdout()
        pid_tag = "{hashvive-node-"
        assert pid_tag in stdout
        for fragment in ['IPC server recv request  #', 'Echo.echo$Params (context = (thread = <external capability>), echo = "hallo")',
                         'IPC server send response #', 'Echo.echo$Results (result = "hallo")',
                         'IPC client send request  #', 'IPC client recv response #', 'IPC server: socket disconnected.']:
            assert fragment in stdout, fragment
        self.start_node(0)


if __name__ == "__main__":
    IPCInterfaceTest().main()
