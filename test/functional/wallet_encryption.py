#!/usr/bin/env python3
"""Wallet encryption: createwallet with a passphrase, encryptwallet,
walletpassphrase (with its timeout), walletlock, walletpassphrasechange; what
a locked wallet refuses, and that its keys are never in the file in clear."""

import os
import re
import time

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

LOCKED = "Error: Please enter the wallet passphrase with walletpassphrase first."


class WalletEncryptionTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()

    def wallet_file_bytes(self, name):
        directory = os.path.join(self.nodes[0].datadir, "regtest", "wallets", name)
        data = b""
        for entry in os.listdir(directory):
            with open(os.path.join(directory, entry), "rb") as f:
                data += f.read()
        return data

    def run_test(self):
        node = self.nodes[0]

        self.log.info("createwallet with a passphrase: encrypted and locked from the start")
        assert_equal(node.createwallet(wallet_name="vault", passphrase="first secret"), {"name": "vault"})
        vault = node.get_wallet_rpc("vault")
        assert_equal(vault.getwalletinfo()["unlocked_until"], 0)
        address = vault.getnewaddress()  # needs no key
        node.generatetoaddress(101, address)
        assert_equal(vault.getbalance(), 50)
        elsewhere = "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw"
        assert_raises_rpc_error(-13, LOCKED, vault.sendtoaddress, elsewhere, 1)
        assert_raises_rpc_error(-13, LOCKED, vault.sendmany, "", {elsewhere: 1})
        assert_raises_rpc_error(-13, LOCKED, vault.listdescriptors, True)
        assert_equal(len(vault.listdescriptors()["descriptors"]), 8)
        self.log.info("sendall on a locked wallet hands back an unsigned PSBT")
        result = vault.sendall([elsewhere])
        assert_equal(result["complete"], False)
        assert "psbt" in result and "txid" not in result
        assert_equal(node.getrawmempool(), [])

        self.log.info("walletpassphrase: wrong, empty, negative; then unlocked until the timeout")
        assert_raises_rpc_error(-14, "Error: The wallet passphrase entered was incorrect.",
                                vault.walletpassphrase, "wrong", 60)
        assert_raises_rpc_error(-8, "passphrase cannot be empty", vault.walletpassphrase, "", 60)
        assert_raises_rpc_error(-8, "Timeout cannot be negative.", vault.walletpassphrase, "first secret", -1)
        before = int(time.time())
        assert_equal(vault.walletpassphrase("first secret", 600), None)
        until = vault.getwalletinfo()["unlocked_until"]
        assert before + 600 <= until <= int(time.time()) + 600
        txid = vault.sendtoaddress(elsewhere, 1)
        assert txid in node.getrawmempool()
        private = vault.listdescriptors(True)["descriptors"]
        assert all("tprv" in d["desc"] for d in private)
        self.log.info("walletlock forgets the keys at once")
        assert_equal(vault.walletlock(), None)
        assert_equal(vault.getwalletinfo()["unlocked_until"], 0)
        assert_raises_rpc_error(-13, LOCKED, vault.sendtoaddress, elsewhere, 1)
        self.log.info("the timeout locks the wallet again; a later unlock sets a new time")
        vault.walletpassphrase("first secret", 1)
        self.wait_until(lambda: vault.getwalletinfo()["unlocked_until"] == 0)
        assert_raises_rpc_error(-13, LOCKED, vault.sendtoaddress, elsewhere, 1)
        vault.walletpassphrase("first secret", 1)
        vault.walletpassphrase("first secret", 600)  # the first timer must not lock it
        time.sleep(1.5)  # past the first timeout: nothing to await but time itself
        vault.sendtoaddress(elsewhere, 1)
        vault.walletlock()

        self.log.info("walletpassphrasechange: the old passphrase no longer opens the wallet")
        assert_raises_rpc_error(-14, "incorrect", vault.walletpassphrasechange, "wrong", "second secret")
        assert_raises_rpc_error(-8, "passphrase cannot be empty", vault.walletpassphrasechange, "first secret", "")
        assert_equal(vault.walletpassphrasechange("first secret", "second secret"), None)
        assert_equal(vault.getwalletinfo()["unlocked_until"], 0)
        assert_raises_rpc_error(-14, "incorrect", vault.walletpassphrase, "first secret", 60)
        vault.walletpassphrase("second secret", 60)
        vault.walletlock()

        self.log.info("encryptwallet: an existing wallet's keys leave the file in clear")
        node.createwallet("plain")
        plain = node.get_wallet_rpc("plain")
        assert "unlocked_until" not in plain.getwalletinfo()
        assert_raises_rpc_error(-15, "Error: running with an unencrypted wallet, but walletpassphrase was called.",
                                plain.walletpassphrase, "x", 60)
        assert_raises_rpc_error(-15, "Error: running with an unencrypted wallet, but walletlock was called.",
                                plain.walletlock)
        assert_raises_rpc_error(-15, "but walletpassphrasechange was called.", plain.walletpassphrasechange, "a", "b")
        keys = set(re.findall(r"tprv[1-9A-HJ-NP-Za-km-z]+", str(plain.listdescriptors(True))))
        assert_equal(len(keys), 1)
        key = keys.pop().encode()
        assert key in self.wallet_file_bytes("plain")
        assert_raises_rpc_error(-8, "passphrase cannot be empty", plain.encryptwallet, "")
        assert plain.encryptwallet("third secret").startswith("wallet encrypted;")
        assert_equal(plain.getwalletinfo()["unlocked_until"], 0)
        assert key not in self.wallet_file_bytes("plain")
        assert_raises_rpc_error(-15, "Error: running with an encrypted wallet, but encryptwallet was called.",
                                plain.encryptwallet, "again")
        plain.walletpassphrase("third secret", 60)
        assert key.decode() in str(plain.listdescriptors(True))

        self.log.info("an empty passphrase creates an unencrypted wallet, with a warning")
        result = node.createwallet(wallet_name="open", passphrase="")
        assert_equal(result["warnings"], ["Empty string given as passphrase, wallet will not be encrypted."])
        assert "unlocked_until" not in node.get_wallet_rpc("open").getwalletinfo()

        self.log.info("after a restart an encrypted wallet loads locked and opens with its passphrase")
        self.restart_node(0, extra_args=["-wallet=vault"])
        vault = node.get_wallet_rpc("vault")
        assert_equal(vault.getwalletinfo()["unlocked_until"], 0)
        assert_raises_rpc_error(-13, LOCKED, vault.sendtoaddress, elsewhere, 1)
        vault.walletpassphrase("second secret", 60)
        vault.sendtoaddress(elsewhere, 1)


if __name__ == "__main__":
    WalletEncryptionTest().main()
