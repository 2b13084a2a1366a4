#!/usr/bin/env python3
"""RPC authentication: the cookie, -rpcuser/-rpcpassword, -rpcauth, wrong
credentials, cookie permissions and -rpcallowip."""

import base64
import hashlib
import hmac
import os
import stat
import urllib.parse

from test_framework.authproxy import AuthServiceProxy, JSONRPCException
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal


def rpcauth_line(user, password, salt="7d2bb3c1e07e40ec1a6a0b2cb0b6a8a4"):
    digest = hmac.new(salt.encode(), password.encode(), hashlib.sha256).hexdigest()
    return "%s:%s$%s" % (user, salt, digest)


class RPCUsersTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def proxy(self, user, password):
        url = "http://%s:%s@127.0.0.1:%d" % (urllib.parse.quote(user, safe=""), urllib.parse.quote(password, safe=""),
                                              self.nodes[0].rpc_port)
        return AuthServiceProxy(url)

    def status_for(self, user, password):
        try:
            self.proxy(user, password).uptime()
            return 200
        except JSONRPCException as e:
            return e.http_status

    def run_test(self):
        node = self.nodes[0]
        self.log.info("The cookie is private and works")
        mode = stat.S_IMODE(os.stat(node.cookie_path).st_mode)
        assert_equal(mode, 0o600)
        with open(node.cookie_path, encoding="utf-8") as f:
            user, password = f.read().split(":")
        assert_equal(user, "__cookie__")
        assert_equal(len(password), 64)
        assert_equal(self.status_for(user, password), 200)
        self.log.info("A wrong password is refused after a delay")
        with node.assert_debug_log(["ThreadRPCServer incorrect password attempt from 127.0.0.1"]):
            assert_equal(self.status_for(user, "0" * 64), 401)

        self.log.info("-rpcauth users and -rpcuser/-rpcpassword work together with the cookie")
        self.restart_node(0, ["-rpcauth=" + rpcauth_line("alice", "secret1"),
                              "-rpcauth=" + rpcauth_line("bob", "secret2", salt="00ff"),
                              "-rpcuser=carol", "-rpcpassword=pw=with:colon"])
        assert_equal(self.status_for("alice", "secret1"), 200)
        assert_equal(self.status_for("bob", "secret2"), 200)
        assert_equal(self.status_for("bob", "secret1"), 401)
        assert_equal(self.status_for("carol", "pw=with:colon"), 200)
        assert_equal(self.status_for("carol", "wrong"), 401)
        assert not os.path.exists(node.cookie_path), "no cookie when -rpcpassword is set"
        self.stop_node(0)

        self.log.info("-rpcwhitelist limits users to listed methods; others may call nothing")
        self.start_node(0, ["-rpcauth=" + rpcauth_line("alice", "secret1"), "-rpcauth=" + rpcauth_line("bob", "secret2"),
                            "-rpcwhitelist=alice:uptime,getrpcinfo", "-rpcwhitelist=alice:uptime,help",
                            # the framework itself logs in with the cookie
                            "-rpcwhitelist=__cookie__:getrpcinfo,stop"])
        assert_equal(self.status_for("alice", "secret1"), 200)  # uptime is in both lists
        try:
            self.proxy("alice", "secret1").help()
            raise AssertionError("help was allowed")
        except JSONRPCException as e:
            assert_equal(e.http_status, 403)
        assert_equal(self.status_for("bob", "secret2"), 403)
        self.stop_node(0)
        self.start_node(0, ["-rpcauth=" + rpcauth_line("bob", "secret2"), "-rpcwhitelist=alice:uptime",
                            "-rpcwhitelistdefault=0"])
        assert_equal(self.status_for("bob", "secret2"), 200)
        self.stop_node(0)

        self.log.info("A malformed -rpcauth is an init error")
        node.assert_start_raises_init_error(["-rpcauth=nouser"], "Error: Invalid -rpcauth argument.")

        self.log.info("-rpccookieperms and -rpccookiefile")
        for perms, mode in [("owner", 0o600), ("group", 0o640), ("all", 0o644)]:
            self.start_node(0, ["-rpccookieperms=" + perms])
            assert_equal(stat.S_IMODE(os.stat(node.cookie_path).st_mode), mode)
            self.stop_node(0)
        node.assert_start_raises_init_error(["-rpccookieperms=world"],
                                            "Error: Invalid -rpccookieperms value world; use owner, group or all")
        custom = os.path.join(self.options.tmpdir, "my.cookie")
        self.start_node(0, ["-rpccookiefile=" + custom])
        assert os.path.exists(custom)
        self.stop_node(0)
        assert not os.path.exists(custom), "cookie removed at shutdown"

        self.log.info("Loopback stays allowed when -rpcallowip names other networks")
        self.start_node(0, ["-rpcallowip=10.11.12.13"])
        self.nodes[0].uptime()  # loopback is always allowed
        self.stop_node(0)


if __name__ == "__main__":
    RPCUsersTest().main()
