#!/usr/bin/env python3
"""hashvive-wallet as the offline wallet tool: create, info, dump and
createfromdump, the errors for bad use, a wallet a running node holds, and a
dump restored into a wallet the node loads with the same coins."""

import os
import subprocess
from decimal import Decimal

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error


class ToolWalletTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()
        self.skip_if_no_wallet_tool()

    def tool(self, *args):
        """Runs the tool on node 0's data directory: (exit code, stdout, stderr)."""
        node = self.nodes[0]
        proc = subprocess.run([self.wallet_tool_path, "-datadir=" + node.datadir, "-regtest", *args],
                              capture_output=True, text=True, timeout=60)
        return proc.returncode, proc.stdout, proc.stderr.strip()

    def assert_tool_error(self, message, *args):
        code, out, err = self.tool(*args)
        assert_equal((code, out, err), (1, "", "Error: " + message))

    def info_lines(self, output):
        return [line for line in output.splitlines() if line.startswith(("Name:", "Format:", "Descriptors:",
                                                                         "Encrypted:", "Transactions:"))]

    def run_test(self):
        node = self.nodes[0]
        wallets = os.path.join(node.chain_path, "wallets")

        self.log.info("Bad use is an error with the reference's words")
        self.assert_tool_error("No method provided. Run `hashvive-wallet -help` for valid methods.")
        self.assert_tool_error("Invalid command: foo", "-wallet=x", "foo")
        self.assert_tool_error(
            "Additional arguments provided (extra). Methods do not take arguments. Please refer to `-help`.",
            "info", "extra")
        self.assert_tool_error("Wallet name must be provided when creating a new wallet.", "create")
        self.assert_tool_error("The -dumpfile option can only be used with the \"dump\" and \"createfromdump\" "
                               "commands.", "-wallet=x", "-dumpfile=f", "info")
        self.assert_tool_error("The -format option can only be used with the \"createfromdump\" command.",
                               "-wallet=x", "-format=sqlite", "dump")
        self.assert_tool_error("The -descriptors option can only be used with the 'create' command.",
                               "-wallet=x", "-descriptors", "info")
        code, _, err = self.tool("-wallet=nothere", "info")
        assert_equal(code, 1)
        assert "Failed to load database path" in err and "Path does not exist" in err, err
        code, out, _ = self.tool("-help")
        assert_equal(code, 0)
        assert "Usage:\n  hashvive-wallet [options] <command>" in out
        for command in ["create", "createfromdump", "dump", "info"]:
            assert "\n  %s\n" % command in out, command
        assert "-ipcfd" not in out and "-dbcache" not in out, "node options are accepted, not listed"
        code, out, _ = self.tool("-version")
        assert_equal(code, 0)
        assert out.startswith("Hashvive wallet version v")

        self.log.info("create makes a wallet the node can load; info describes it")
        code, out, err = self.tool("-wallet=made", "create")
        assert_equal((code, err), (0, ""))
        assert out.startswith("Topping up keypool...\nWallet info\n===========\n")
        assert_equal(self.info_lines(out), ["Name: made", "Format: sqlite", "Descriptors: yes", "Encrypted: no",
                                            "Transactions: 0"])
        assert os.path.isfile(os.path.join(wallets, "made", "wallet.dat"))
        self.assert_tool_error("Wallet file verification failed. Failed to create database path '%s'. "
                               "Database already exists." % os.path.join(wallets, "made"), "-wallet=made", "create")
        self.assert_tool_error("Only descriptor wallets can be created; legacy wallets are not supported.",
                               "-wallet=old", "-legacy", "create")

        self.log.info("A wallet the node holds is locked against the tool")
        node.loadwallet("made")
        made = node.get_wallet_rpc("made")
        node.generatetoaddress(101, made.getnewaddress())
        assert_equal(made.getbalance(), Decimal("50"))
        code, _, err = self.tool("-wallet=made", "info")
        assert_equal(code, 1)
        assert "Unable to obtain an exclusive lock" in err, err
        node.unloadwallet("made")

        self.log.info("info after use counts the transactions")
        code, out, _ = self.tool("-wallet=made", "info")
        assert_equal(code, 0)
        assert "Transactions: 101" in out, out
        assert "Address Book: 1" in out, out

        self.log.info("dump writes every record, once; createfromdump rebuilds the wallet")
        dump = os.path.join(self.options.tmpdir, "made.dump")
        self.assert_tool_error("No dump file provided. To use dump, -dumpfile=<filename> must be provided.",
                               "-wallet=made", "dump")
        code, out, err = self.tool("-wallet=made", "-dumpfile=" + dump, "dump")
        assert_equal((code, err), (0, ""))
        assert "The dumpfile may contain private keys" in out
        with open(dump, encoding="utf-8") as f:
            lines = f.read().splitlines()
        assert_equal(lines[:2], ["BITCOIN_CORE_WALLET_DUMP,1", "format,sqlite"])
        assert lines[-1].startswith("checksum,") and len(lines[-1]) == len("checksum,") + 64
        self.assert_tool_error("File %s already exists. If you are sure this is what you want, move it out of "
                               "the way first." % dump, "-wallet=made", "-dumpfile=" + dump, "dump")

        code, out, err = self.tool("-wallet=copy", "-dumpfile=" + dump, "createfromdump")
        assert_equal((code, err), (0, ""))
        assert "Name: copy" in out and "Transactions: 101" in out, out
        node.loadwallet("copy")
        copy = node.get_wallet_rpc("copy")
        assert_equal(copy.getbalance(), Decimal("50"))
        assert_equal(copy.getbalances()["lastprocessedblock"]["height"], 101)
        node.unloadwallet("copy")

        self.log.info("A damaged dump is refused and leaves nothing behind")
        tampered = os.path.join(self.options.tmpdir, "tampered.dump")
        with open(tampered, "w", encoding="utf-8") as f:
            f.write("\n".join(lines[:2] + ["00,00"] + lines[2:]) + "\n")
        code, _, err = self.tool("-wallet=broken", "-dumpfile=" + tampered, "createfromdump")
        assert_equal(code, 1)
        assert err.startswith("Error: Dumpfile checksum does not match. Computed "), err
        assert not os.path.exists(os.path.join(wallets, "broken"))
        wrong = os.path.join(self.options.tmpdir, "wrong.dump")
        with open(wrong, "w", encoding="utf-8") as f:
            f.write("NOT_A_DUMP,1\n")
        self.assert_tool_error("Dumpfile identifier record is incorrect. Got \"NOT_A_DUMP\", expected "
                               "\"BITCOIN_CORE_WALLET_DUMP\".", "-wallet=broken", "-dumpfile=" + wrong,
                               "createfromdump")
        self.assert_tool_error("Unsupported wallet format 'bdb': only \"sqlite\" wallets can be created.",
                               "-wallet=broken", "-dumpfile=" + dump, "-format=bdb", "createfromdump")

        self.log.info("An encrypted wallet: info says so; its dump holds the keys sealed, and restores")
        node.createwallet(wallet_name="sealed", passphrase="secret")
        node.unloadwallet("sealed")
        code, out, err = self.tool("-wallet=sealed", "info")
        assert_equal((code, err), (0, ""))
        assert "Encrypted: yes" in self.info_lines(out)
        sealed_dump = os.path.join(self.options.tmpdir, "sealed.dump")
        assert_equal(self.tool("-wallet=sealed", "-dumpfile=" + sealed_dump, "dump")[0], 0)
        with open(sealed_dump, encoding="utf-8") as f:
            assert "tprv" not in f.read()
        assert_equal(self.tool("-wallet=unsealed", "-dumpfile=" + sealed_dump, "createfromdump")[0], 0)
        node.loadwallet("unsealed")
        unsealed = node.get_wallet_rpc("unsealed")
        assert_raises_rpc_error(-14, "incorrect", unsealed.walletpassphrase, "wrong", 10)
        unsealed.walletpassphrase("secret", 10)
        assert "tprv" in str(unsealed.listdescriptors(True))


if __name__ == "__main__":
    ToolWalletTest().main()
