#!/usr/bin/env python3
"""Descriptor wallets as the reference keeps them: an active receive and change
descriptor for each address type (legacy, p2sh-segwit, bech32, bech32m),
coins of every type spent together, change of the type the wallet picks,
watch-only and blank wallets filled with importdescriptors (with a rescan),
and a watch-only wallet's PSBT signed by the wallet holding the keys."""

from decimal import Decimal

from test_framework.descriptors import descsum_create
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

TYPES = {
    "legacy": ("m", "n"),          # regtest P2PKH addresses
    "p2sh-segwit": ("2",),
    "bech32": ("bcrt1q",),
    "bech32m": ("bcrt1p",),
}


class WalletDescriptorsTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1
        self.extra_args = [["-keypool=20"]]

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()

    def run_test(self):
        node = self.nodes[0]
        node.createwallet("miner")
        miner = node.get_wallet_rpc("miner")
        node.generatetoaddress(101, miner.getnewaddress())
        node.createwallet("alice")
        alice = node.get_wallet_rpc("alice")

        self.log.info("getnewaddress and getrawchangeaddress hand out each address type")
        received = {}
        for kind, prefixes in TYPES.items():
            address = alice.getnewaddress(f"from {kind}", kind)
            assert address.startswith(prefixes), (kind, address)
            change = alice.getrawchangeaddress(kind)
            assert change.startswith(prefixes), (kind, change)
            info = alice.getaddressinfo(address)
            assert info["ismine"] and info["solvable"] and not info["ischange"]
            assert info["timestamp"] > 0
            assert_equal(info["labels"], [f"from {kind}"])
            assert alice.getaddressinfo(change)["ischange"]
            assert info["parent_desc"].startswith({"legacy": "pkh(", "p2sh-segwit": "sh(wpkh(",
                                                   "bech32": "wpkh(", "bech32m": "tr("}[kind])
            assert_equal(node.deriveaddresses(info["desc"]), [address])
            received[kind] = address
            miner.sendtoaddress(address, 1)
        assert_raises_rpc_error(-5, "Unknown address type 'p2pk'", alice.getrawchangeaddress, "p2pk")
        node.generatetoaddress(1, miner.getnewaddress())
        assert_equal(alice.getbalance(), Decimal("4"))
        by_address = {u["address"]: u for u in alice.listunspent()}
        assert_equal(sorted(by_address), sorted(received.values()))
        assert_equal(sorted(r["label"] for r in alice.listreceivedbyaddress()),
                     sorted(f"from {kind}" for kind in TYPES))

        self.log.info("signmessage signs with a legacy address's key; verifymessage agrees")
        signature = alice.signmessage(received["legacy"], "hello")
        assert node.verifymessage(received["legacy"], signature, "hello")
        assert not node.verifymessage(received["legacy"], signature, "hullo")
        assert_raises_rpc_error(-3, "Address does not refer to key", alice.signmessage, received["bech32"], "hello")
        assert_raises_rpc_error(-3, "Invalid address", alice.signmessage, "nonsense", "hello")
        assert_raises_rpc_error(-4, "Private key not available", alice.signmessage,
                                miner.getnewaddress("", "legacy"), "hello")

        self.log.info("coins of all four types are spent together and signed")
        elsewhere = miner.getnewaddress()
        txid = alice.sendtoaddress(elsewhere, Decimal("3.5"))
        raw = node.getrawtransaction(txid, True)
        assert_equal(len(raw["vin"]), 4)
        assert txid in node.getrawmempool()

        self.log.info("change follows the recipient's type where the wallet can make it; change_type overrides")
        node.generatetoaddress(1, miner.getnewaddress())
        for kind, recipient_kind in [("bech32m", "bech32m"), ("bech32", "bech32"), ("bech32", "legacy")]:
            recipient = miner.getnewaddress("", recipient_kind)
            funded = miner.fundrawtransaction(node.createrawtransaction([], {recipient: 1}))
            decoded = node.decoderawtransaction(funded["hex"])
            change = decoded["vout"][funded["changepos"]]["scriptPubKey"]["address"]
            assert change.startswith(TYPES[kind]), (recipient_kind, change)
        funded = miner.fundrawtransaction(node.createrawtransaction([], {elsewhere: 1}), {"change_type": "legacy"})
        decoded = node.decoderawtransaction(funded["hex"])
        assert decoded["vout"][funded["changepos"]]["scriptPubKey"]["address"].startswith(TYPES["legacy"])
        assert_raises_rpc_error(-5, "Unknown change type 'p2pk'", miner.fundrawtransaction,
                                node.createrawtransaction([], {elsewhere: 1}), {"change_type": "p2pk"})

        self.log.info("a watch-only wallet imports public descriptors and rescans for their history")
        public = {d["desc"].split("[")[0]: d for d in alice.listdescriptors()["descriptors"]
                  if not d["internal"]}
        node.createwallet(wallet_name="watch", disable_private_keys=True)
        watch = node.get_wallet_rpc("watch")
        info = watch.getwalletinfo()
        assert_equal((info["private_keys_enabled"], info["keypoolsize"]), (False, 0))
        assert_raises_rpc_error(-4, "Error: This wallet has no available keys", watch.getnewaddress)
        private = {d["desc"].split("tprv")[0]: d["desc"] for d in alice.listdescriptors(True)["descriptors"]
                   if "/0/*" in d["desc"]}
        result = watch.importdescriptors([
            {"desc": public["wpkh("]["desc"], "timestamp": 0, "active": True},
            {"desc": public["tr("]["desc"], "timestamp": 0, "active": True, "range": [0, 50]},
            {"desc": private["pkh("], "timestamp": 0},
            {"desc": public["pkh("]["desc"].split("#")[0], "timestamp": 0},
            {"desc": public["pkh("]["desc"], "timestamp": "soon"},
            {"desc": public["pkh("]["desc"], "timestamp": 0, "label": "ranged"},
        ])
        assert_equal([r["success"] for r in result], [True, True, False, False, False, False])
        assert_equal(result[2]["error"]["message"], "Cannot import private keys to a wallet with private keys disabled")
        assert_equal(result[3]["error"], {"code": -5, "message": "Missing checksum"})
        assert_equal(result[4]["error"]["code"], -3)
        assert_equal(result[5]["error"]["message"], "Ranged descriptors should not have a label")
        # The rescan found what alice received on those types, and its spend.
        self.wait_until(lambda: watch.getwalletinfo()["scanning"] is False)
        txids = {t["txid"] for t in watch.listtransactions("*", 100)}
        assert txid in txids
        listed = watch.listdescriptors()["descriptors"]
        assert_equal(len(listed), 2)
        taproot = next(d for d in listed if d["desc"].startswith("tr("))
        assert taproot["range"][1] >= 50 and taproot["active"] and not taproot["internal"]
        assert_raises_rpc_error(-4, "private keys are disabled", watch.listdescriptors, True)
        # Its addresses are the same as alice's, from the same descriptors.
        next_bech32 = watch.getnewaddress("", "bech32")
        assert alice.getaddressinfo(next_bech32)["ismine"]
        assert_raises_rpc_error(-12, "Error: No legacy addresses available.", watch.getnewaddress, "", "legacy")

        self.log.info("combo() stands for P2PK, P2PKH, P2WPKH and P2SH-P2WPKH of its key, listed once")
        key = miner.getaddressinfo(miner.getnewaddress("", "bech32"))["pubkey"]
        combo = descsum_create(f"combo({key})")
        assert_equal(watch.importdescriptors([{"desc": combo, "timestamp": "now"}]), [{"success": True}])
        result = watch.importdescriptors([{"desc": combo, "timestamp": "now", "active": True, "range": None}])
        assert_equal(result[0]["error"]["message"], "Active descriptors must be ranged")
        listed = [d["desc"] for d in watch.listdescriptors()["descriptors"]]
        assert_equal([d for d in listed if d.startswith("combo(")], [combo])
        legacy, p2sh = node.deriveaddresses(descsum_create(f"pkh({key})"))[0], node.deriveaddresses(
            descsum_create(f"sh(wpkh({key}))"))[0]
        for address in (legacy, p2sh):
            info = watch.getaddressinfo(address)
            assert info["ismine"], address
            assert_equal(info["parent_desc"], combo)

        self.log.info("the watch-only wallet's PSBT is signed by the wallet with the keys")
        node.generatetoaddress(1, miner.getnewaddress())
        miner.sendtoaddress(next_bech32, 2)
        node.generatetoaddress(1, miner.getnewaddress())
        assert_equal(watch.getbalance(), Decimal("2"))
        assert_raises_rpc_error(-4, "Transaction needs a change address, but we can't generate it.",
                                watch.walletcreatefundedpsbt, [], [{elsewhere: 1}])
        funded = watch.walletcreatefundedpsbt([], [{elsewhere: 1}], 0, {"changeAddress": next_bech32})
        unsigned = watch.walletprocesspsbt(funded["psbt"])
        assert_equal(unsigned["complete"], False)
        signed = alice.walletprocesspsbt(unsigned["psbt"])
        assert_equal(signed["complete"], True)
        sent = node.sendrawtransaction(signed["hex"])
        self.wait_until(lambda: sent in {t["txid"] for t in watch.listtransactions()})

        self.log.info("walletprocesspsbt signs taproot key-path inputs; finalizepsbt completes them")
        taproot = alice.getnewaddress("", "bech32m")
        coin_txid = miner.sendtoaddress(taproot, 1)
        node.generatetoaddress(1, miner.getnewaddress())
        vout = next(u["vout"] for u in alice.listunspent() if u["address"] == taproot)
        funded = alice.walletcreatefundedpsbt([{"txid": coin_txid, "vout": vout}], [{elsewhere: Decimal("0.5")}],
                                              0, {"add_inputs": False})
        signed = alice.walletprocesspsbt(funded["psbt"], True, "DEFAULT", True, False)
        assert_equal(signed["complete"], True)
        final = node.finalizepsbt(signed["psbt"])
        assert_equal(final["complete"], True)
        assert_equal(node.testmempoolaccept([final["hex"]])[0]["allowed"], True)
        assert_equal(node.sendrawtransaction(final["hex"]), node.decoderawtransaction(final["hex"])["txid"])

        self.log.info("a blank wallet has no descriptors until it imports keys")
        node.createwallet(wallet_name="blank", blank=True)
        blank = node.get_wallet_rpc("blank")
        info = blank.getwalletinfo()
        assert_equal((info["blank"], info["private_keys_enabled"]), (True, True))
        assert_equal(blank.listdescriptors()["descriptors"], [])
        assert_raises_rpc_error(-4, "Error: This wallet has no available keys", blank.getnewaddress)
        result = blank.importdescriptors([{"desc": private["tr("], "timestamp": "now", "active": True}])
        assert_equal(result, [{"success": True}])
        assert blank.getnewaddress("", "bech32m").startswith("bcrt1p")
        assert_raises_rpc_error(-12, "Error: No bech32 addresses available.", blank.getnewaddress, "", "bech32")

        self.log.info("a 2-of-2 multisig descriptor with both keys receives and spends")
        key_a = private["pkh("].split("(")[1].split("/")[0]
        key_b = miner.listdescriptors(True)["descriptors"][0]["desc"].split("(")[-1].split("/")[0]
        multisig = f"wsh(multi(2,{key_a}/7/*,{key_b}/7/*))"
        multisig += "#" + node.getdescriptorinfo(multisig)["checksum"]
        node.createwallet(wallet_name="multi", blank=True)
        multi = node.get_wallet_rpc("multi")
        assert_equal(multi.importdescriptors([{"desc": multisig, "timestamp": "now", "active": True}]),
                     [{"success": True}])
        shared = multi.getnewaddress()
        assert_equal(len(multi.getaddressinfo(shared)["witness_program"]), 64)
        miner.sendtoaddress(shared, 2)
        node.generatetoaddress(1, miner.getnewaddress())
        spent = multi.sendall([elsewhere])
        assert_equal(spent["complete"], True)
        assert spent["txid"] in node.getrawmempool()
        assert_equal(len(node.getrawtransaction(spent["txid"], True)["vin"][0]["txinwitness"]), 4)

        self.log.info("descriptors and their roles survive a reload; -addresstype picks the default")
        watch_balance = watch.getbalances()["mine"]
        node.unloadwallet("watch")
        self.restart_node(0, extra_args=["-keypool=20", "-addresstype=bech32m", "-changetype=legacy",
                                         "-wallet=alice", "-wallet=watch"])
        alice = node.get_wallet_rpc("alice")
        watch = node.get_wallet_rpc("watch")
        assert_equal(len(watch.listdescriptors()["descriptors"]), 3)
        assert_equal(watch.getbalances()["mine"], watch_balance)
        assert alice.getnewaddress().startswith("bcrt1p")
        assert alice.getrawchangeaddress().startswith(TYPES["legacy"])
        self.stop_node(0)
        node.assert_start_raises_init_error(["-addresstype=p2pk"], "Error: Unknown address type 'p2pk'")
        node.assert_start_raises_init_error(["-changetype=p2pk"], "Error: Unknown change type 'p2pk'")


if __name__ == "__main__":
    WalletDescriptorsTest().main()
