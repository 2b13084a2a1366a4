#!/usr/bin/env python3
"""-proxy: outbound connections go through a SOCKS5 proxy, names are
resolved by the proxy (never by the node), -proxyrandomize offers fresh
credentials per connection; getnetworkinfo shows the proxy; -onlynet keeps
automatic connections to the networks it names; bad values stop start-up."""

from test_framework.socks5 import Socks5Server
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal


class ProxyTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 2

    def run_test(self):
        node, other = self.nodes
        proxy = Socks5Server()
        target = other.p2p_port

        self.log.info("an address goes to the proxy as an address, with random credentials")
        self.restart_node(0, extra_args=[f"-proxy=127.0.0.1:{proxy.port}", f"-connect=127.0.0.1:{target}"])
        self.wait_until(lambda: len(proxy.requests) >= 1)
        atyp, host, port, username = proxy.requests[0]
        assert_equal((atyp, host, port), (1, "127.0.0.1", target))
        assert username, "fresh credentials offered"
        self.wait_until(lambda: any(p["inbound"] for p in other.getpeerinfo()))
        self.wait_until(lambda: node.getconnectioncount() == 1)
        networks = {n["name"]: n for n in node.getnetworkinfo()["networks"]}
        assert_equal(networks["ipv4"]["proxy"], f"127.0.0.1:{proxy.port}")
        assert_equal(networks["ipv4"]["proxy_randomize_credentials"], True)

        self.log.info("a name goes to the proxy unresolved; -proxyrandomize=0 offers no credentials")
        self.restart_node(0, extra_args=[f"-proxy=127.0.0.1:{proxy.port}", "-proxyrandomize=0",
                                         f"-connect=localhost:{target}"])
        self.wait_until(lambda: len(proxy.requests) >= 2)
        assert_equal(proxy.requests[-1], (3, "localhost", target, None))
        self.wait_until(lambda: node.getconnectioncount() == 1)

        self.log.info("-onlynet=ipv6: automatic connections go to IPv6 addresses only")
        self.restart_node(0, extra_args=[f"-proxy=127.0.0.1:{proxy.port}", "-onlynet=ipv6"])
        networks = {n["name"]: n for n in node.getnetworkinfo()["networks"]}
        assert_equal((networks["ipv4"]["reachable"], networks["ipv6"]["reachable"]), (False, True))
        assert_equal(networks["onion"]["reachable"], False)
        seen = len(proxy.requests)
        # Several IPv4 groups, one IPv6 address: the IPv4 ones would be tried
        # alongside the IPv6 one if the filter let them through.
        for i in range(1, 5):
            assert_equal(node.addpeeraddress(f"{i}.2.3.4", 8333)["success"], True)
        assert_equal(node.addpeeraddress("2a01:4f8:c17:1::1", 8333)["success"], True)
        self.wait_until(lambda: any(r[0] == 4 for r in proxy.requests[seen:]))
        assert_equal({(r[0], r[1]) for r in proxy.requests[seen:]}, {(4, "2a01:4f8:c17:1::1")})

        self.log.info("bad proxy settings stop start-up")
        self.stop_node(0)
        node.assert_start_raises_init_error(["-proxy=not a host"], "Error: Invalid -proxy address or hostname: 'not a host'")
        node.assert_start_raises_init_error(
            ["-proxy=unix:/tmp/tor.sock"],
            "Error: -proxy=unix:/tmp/tor.sock: hashvive reaches a proxy by address and port only, not by a local socket")
        proxy.close()


if __name__ == "__main__":
    ProxyTest().main()
