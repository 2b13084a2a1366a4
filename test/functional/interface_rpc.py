#!/usr/bin/env python3
"""JSON-RPC over HTTP: versions 1.x and 2.0, batches, notifications, named
parameters, HTTP statuses and methods other than POST. (The work queue is
tested in rust/node/tests/http_server.rs, where a handler can be made slow.)"""

import json

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than_or_equal, assert_raises_rpc_error


class RPCInterfaceTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def post(self, body, path="/", method="POST", headers=None):
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        status, _headers, data = self.nodes[0].rpc._request(method, path, raw, headers)
        return status, (json.loads(data) if data else None)

    def run_test(self):
        self.test_versions()
        self.test_batches()
        self.test_named_parameters()
        self.test_http_statuses()
        self.test_getrpcinfo()

    def test_versions(self):
        self.log.info("1.x requests get result and error; errors carry HTTP statuses")
        assert_equal(self.post({"method": "echo", "params": ["a"], "id": 1}),
                     (200, {"result": ["a"], "error": None, "id": 1}))
        assert_equal(self.post({"jsonrpc": "1.0", "method": "nosuch", "id": "x"}),
                     (404, {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": "x"}))
        status, reply = self.post({"method": "setmocktime", "params": ["x"], "id": 2})
        assert_equal(status, 500)
        assert_equal(reply["error"]["code"], -3)
        assert_equal(self.post({"method": 1, "id": 3}),
                     (400, {"result": None, "error": {"code": -32600, "message": "Method must be a string"}, "id": 3}))
        assert_equal(self.post({"jsonrpc": "3.0", "method": "echo", "id": 4})[0], 400)
        assert_equal(self.post(b"{not json")[1]["error"], {"code": -32700, "message": "Parse error"})
        assert_equal(self.post(b"7"), (500, {"result": None, "error": {"code": -32700, "message": "Top-level object parse error"}}))

        self.log.info("2.0 requests get strict replies, errors with HTTP 200")
        assert_equal(self.post({"jsonrpc": "2.0", "method": "echo", "params": [1], "id": 5}),
                     (200, {"jsonrpc": "2.0", "result": [1], "id": 5}))
        assert_equal(self.post({"jsonrpc": "2.0", "method": "nosuch", "id": 6}),
                     (200, {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 6}))
        self.log.info("2.0 notifications are executed but not answered")
        assert_equal(self.post({"jsonrpc": "2.0", "method": "logging", "params": [["net"]]}), (204, None))
        assert_equal(self.nodes[0].logging()["net"], True)
        self.nodes[0].logging([], ["net"])

    def test_batches(self):
        self.log.info("Batches answer each member, skip notifications, and are always HTTP 200")
        status, reply = self.post([
            {"method": "echo", "params": [1], "id": 1},
            {"jsonrpc": "2.0", "method": "echo", "params": [2]},
            {"jsonrpc": "2.0", "method": "nosuch", "id": 3},
            {"method": "nosuch", "id": 4},
            5,
        ])
        assert_equal(status, 200)
        assert_equal(reply, [
            {"result": [1], "error": None, "id": 1},
            {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 3},
            {"result": None, "error": {"code": -32601, "message": "Method not found"}, "id": 4},
            {"result": None, "error": {"code": -32600, "message": "Invalid Request object"}},
        ])
        assert_equal(self.post([{"jsonrpc": "2.0", "method": "echo"}]), (204, None))
        assert_equal(self.post([]), (200, []))
        assert_equal(self.nodes[0].rpc._batch([{"method": "uptime", "id": 9}])[0]["id"], 9)

    def test_named_parameters(self):
        self.log.info("Named parameters, holes, aliases and the args array")
        node = self.nodes[0]
        assert_equal(node.echo(arg1="b"), [None, "b"])
        assert_equal(node.echo("a", arg2="c"), ["a", None, "c"])
        assert_raises_rpc_error(-8, "Unknown named parameter nosuch", node.echo, nosuch=1)
        assert_raises_rpc_error(-8, "Parameter arg0 specified twice both as positional and named argument",
                                node.rpc._call, "echo", "x", arg0="y")
        assert_equal(self.post({"method": "echo", "params": {"args": ["a", "b"], "arg3": "d"}, "id": 1})[1]["result"],
                     ["a", "b", None, "d"])
        self.log.info("Wrong argument counts answer with the method's help")
        assert_raises_rpc_error(-1, "setmocktime timestamp", node.setmocktime)
        assert_raises_rpc_error(-1, "uptime\n", node.uptime, 1)
        self.log.info("Wrong types name the position")
        assert_raises_rpc_error(-3, 'Wrong type passed:\n{\n    "Position 1 (timestamp)": "JSON value of type string is not of expected type number"\n}',
                                node.setmocktime, "x")

    def test_http_statuses(self):
        self.log.info("Only POST; unknown paths 404; bad credentials 401")
        status, _h, body = self.nodes[0].rpc._request("GET", "/", b"")
        assert_equal((status, body), (405, b"JSONRPC server handles only POST requests"))
        assert_equal(self.nodes[0].rpc._request("POST", "/nosuch", b"{}")[0], 404)
        status, headers, _ = self.nodes[0].rpc._request("POST", "/", b"{}", {"Authorization": None})
        assert_equal((status, headers.get("WWW-Authenticate")), (401, 'Basic realm="jsonrpc"'))
        self.log.info("Wallet paths reach the dispatcher")
        assert_equal(self.post({"method": "uptime", "id": 1}, path="/wallet/w1")[0], 200)
        self.log.info("Oversized bodies are refused")
        assert_equal(self.nodes[0].rpc._request("POST", "/", b" " * (0x02000000 + 1))[0], 413)

    def test_getrpcinfo(self):
        self.log.info("getrpcinfo lists itself and the log path")
        info = self.nodes[0].getrpcinfo()
        assert_equal([c["method"] for c in info["active_commands"]], ["getrpcinfo"])
        assert_greater_than_or_equal(info["active_commands"][0]["duration"], 0)
        assert_equal(info["logpath"], self.nodes[0].debug_log_path)


if __name__ == "__main__":
    RPCInterfaceTest().main()
