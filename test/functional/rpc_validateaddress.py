#!/usr/bin/env python3
"""validateaddress on mainnet: the reference's BIP173/BIP350 vectors, error messages and locations."""

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal

INVALID_DATA = [
    # BIP 173
    ("tc1qw508d6qejxtdg4y5r3zarvary0c5xw7kg3g4ty", "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "Invalid Bech32 checksum", [41]),
    ("BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2", "Version 1+ witness address must use Bech32m checksum", []),
    ("bc1rw5uspcuh", "Version 1+ witness address must use Bech32m checksum", []),
    ("bc10w508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kw5rljs90",
     "Version 1+ witness address must use Bech32m checksum", []),
    ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", "Invalid Bech32 v0 address program size (16 bytes), per BIP141", []),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",
     "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3t4", "Invalid character or mixed case", [40]),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du", "Version 1+ witness address must use Bech32m checksum", []),
    ("tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",
     "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    ("bc1gmk9yu", "Empty Bech32 data section", []),
    # BIP 350
    ("tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut",
     "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",
     "Version 1+ witness address must use Bech32m checksum", []),
    ("tb1z0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqglt7rf",
     "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    ("BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",
     "Version 1+ witness address must use Bech32m checksum", []),
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh", "Version 0 witness address must use Bech32 checksum", []),
    ("tb1q0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq24jc47",
     "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    ("bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4", "Invalid Base 32 character", [59]),
    ("BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R", "Invalid Bech32 address witness version", []),
    ("bc1pw5dgrnzv", "Invalid Bech32 address program size (1 byte)", []),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v8n0nx0muaewav253zgeav",
     "Invalid Bech32 address program size (41 bytes)", []),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq47Zagq",
     "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf", "Invalid padding in Bech32 data section", []),
    ("tb1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vpggkg4j",
     "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    # Base58
    ("17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhen", "Invalid checksum or length of Base58 address (P2PKH or P2SH)", []),
    ("asfah14i8fajz0123f", "Invalid or unsupported Segwit (Bech32) or Base58 encoding.", []),
    ("mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn", "Invalid or unsupported Base58-encoded address.", []),
]

VALID_DATA = [
    ("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6"),
    ("bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3",
     "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262"),
    ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7kt5nd6y",
     "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6"),
    ("BC1SW50QGDZ25J", "6002751e"),
    ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", "5210751e76e8199196d454941c45d1b3a323"),
    ("bc1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvses5wp4dt",
     "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"),
    ("bc1pqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvses7epu4h",
     "5120000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433"),
    ("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
     "512079be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"),
    ("bc1pfeessrawgf", "51024e73"),
]


class ValidateAddressMainTest(HashviveTestFramework):
    def set_test_params(self):
        self.chain = "main"
        self.num_nodes = 1

    def check_valid(self, addr, spk):
        info = self.nodes[0].validateaddress(addr)
        assert_equal(info["isvalid"], True)
        assert_equal(info["scriptPubKey"], spk)
        assert_equal(info["address"], addr.lower())
        assert "error" not in info and "error_locations" not in info

    def check_invalid(self, addr, error_str, error_locations):
        res = self.nodes[0].validateaddress(addr)
        assert_equal(res, {"isvalid": False, "error_locations": error_locations, "error": error_str})

    def run_test(self):
        for addr, error, locs in INVALID_DATA:
            self.check_invalid(addr, error, locs)
        for addr, spk in VALID_DATA:
            self.check_valid(addr, spk)

        self.log.info("address details")
        info = self.nodes[0].validateaddress("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
        assert_equal(info, {"isvalid": True, "address": "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
                            "scriptPubKey": "0014751e76e8199196d454941c45d1b3a323f1433bd6",
                            "isscript": False, "iswitness": True, "witness_version": 0,
                            "witness_program": "751e76e8199196d454941c45d1b3a323f1433bd6"})
        info = self.nodes[0].validateaddress("BC1SW50QGDZ25J")
        assert_equal(list(info.keys()), ["isvalid", "address", "scriptPubKey", "iswitness", "witness_version", "witness_program"])
        info = self.nodes[0].validateaddress("17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem")
        assert_equal((info["isscript"], info["iswitness"]), (False, False))


if __name__ == "__main__":
    ValidateAddressMainTest().main()
