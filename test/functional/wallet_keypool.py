#!/usr/bin/env python3
"""The keypool: addresses derived ahead of the last one handed out, so that
payments to them are found. -keypool sets its size, keypoolrefill grows it."""

from decimal import Decimal

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error


class WalletKeypoolTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-keypool=10"]]

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()

    def run_test(self):
        node = self.nodes[0]
        node.createwallet("payer")
        payer = node.get_wallet_rpc("payer")
        node.generatetoaddress(101, payer.getnewaddress())
        node.createwallet("pool")
        pool = node.get_wallet_rpc("pool")

        self.log.info("-keypool sets how many addresses each descriptor derives ahead (four address types)")
        info = pool.getwalletinfo()
        assert_equal((info["keypoolsize"], info["keypoolsize_hd_internal"]), (40, 40))
        receive = next(d["desc"] for d in pool.listdescriptors()["descriptors"]
                       if d["desc"].startswith("wpkh(") and not d["internal"])

        def address_at(index):
            return node.deriveaddresses(receive, [index, index])[0]

        self.log.info("a payment beyond the keypool goes unseen")
        unseen = payer.sendtoaddress(address_at(25), 1)
        node.generatetoaddress(1, payer.getnewaddress())
        assert_equal(payer.gettransaction(unseen)["confirmations"], 1)
        assert_equal(pool.getbalances()["mine"], {"trusted": 0, "untrusted_pending": 0, "immature": 0})
        self.log.info("keypoolrefill grows it; payments within are found")
        assert_raises_rpc_error(-8, "Invalid parameter, expected valid size.", pool.keypoolrefill, -1)
        assert_equal(pool.keypoolrefill(40), None)
        assert_equal(pool.getwalletinfo()["keypoolsize"], 160)
        pool.keypoolrefill(5)  # never shrinks
        assert_equal(pool.getwalletinfo()["keypoolsize"], 160)
        payer.sendtoaddress(address_at(30), 2)
        self.wait_until(lambda: pool.getbalances()["mine"]["untrusted_pending"] == Decimal("2"))
        node.generatetoaddress(1, payer.getnewaddress())
        assert_equal(pool.getbalance(), Decimal("2"))
        self.log.info("rescanblockchain finds the payment the keypool was too small for")
        assert_raises_rpc_error(-8, "Invalid start_height", pool.rescanblockchain, 10_000)
        assert_raises_rpc_error(-8, "Invalid stop_height", pool.rescanblockchain, 0, 10_000)
        assert_raises_rpc_error(-8, "stop_height must be greater than start_height", pool.rescanblockchain, 5, 4)
        tip = node.getblockcount()
        assert_equal(pool.rescanblockchain(100, 101), {"start_height": 100, "stop_height": 101})
        assert_equal(pool.getbalance(), Decimal("2"))
        assert_equal(pool.rescanblockchain(), {"start_height": 0, "stop_height": tip})
        assert_equal(pool.getbalance(), Decimal("3"))
        assert_equal(pool.gettransaction(unseen)["confirmations"], 2)
        assert_equal(pool.getwalletinfo()["scanning"], False)
        assert_equal(pool.abortrescan(), False)
        # The refill lasts while the wallet is loaded; a reload uses -keypool again.
        node.unloadwallet("pool")
        node.loadwallet("pool")
        assert_equal(pool.getbalance(), Decimal("3"))
        assert_equal(pool.getwalletinfo()["keypoolsize"], 40)

        self.log.info("a locked wallet needs its passphrase to refill")
        node.createwallet(wallet_name="locked", passphrase="secret")
        locked = node.get_wallet_rpc("locked")
        assert_raises_rpc_error(-13, "walletpassphrase", locked.keypoolrefill, 20)


if __name__ == "__main__":
    WalletKeypoolTest().main()
