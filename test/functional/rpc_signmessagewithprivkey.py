#!/usr/bin/env python3
"""signmessagewithprivkey and verifymessage."""

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error


class SignMessagesWithPrivTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        message = "This is just a test message"

        self.log.info("signatures are deterministic (the reference's vector)")
        priv_key = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N"
        address = "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB"
        expected = "INbVnW4e6PeRmsv2Qgu8NuopvrVjkcxob+sX8OcZG0SALhWybUjzMLPdAsXI46YZGb0KQTRii+wWIQzRpG/U+S0="
        signature = node.signmessagewithprivkey(priv_key, message)
        assert_equal(expected, signature)
        assert node.verifymessage(address, signature, message)
        assert not node.verifymessage(address, signature, message + ".")
        other = "mkpZhYtJu2r87Js3pDiWJDmPte2NRZ8bJV"
        assert not node.verifymessage(other, signature, message)
        # A well-formed signature from which no key can be recovered.
        assert not node.verifymessage(address, "AAAA", message)

        self.log.info("error paths")
        assert_raises_rpc_error(-5, "Invalid private key", node.signmessagewithprivkey, "invalid_key", message)
        # A mainnet key on regtest is not a key for this chain.
        assert_raises_rpc_error(-5, "Invalid private key", node.signmessagewithprivkey,
                                "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ", message)
        assert_raises_rpc_error(-5, "Invalid address", node.verifymessage, "invalid_addr", signature, message)
        assert_raises_rpc_error(-3, "Malformed base64 encoding", node.verifymessage, address, "invalid_sig", message)
        for non_pkh in ["2N4Q5FhU2497BryFfUgbqkAJE87aKHUhXMp", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"]:
            assert_raises_rpc_error(-3, "Address does not refer to key", node.verifymessage, non_pkh, signature, message)


if __name__ == "__main__":
    SignMessagesWithPrivTest().main()
