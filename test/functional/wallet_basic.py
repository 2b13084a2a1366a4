#!/usr/bin/env python3
"""Wallets in hashvived: create, receive mined coins (immature, then
trusted), send to another wallet through the mempool into a block, list
coins and transactions, survive a restart, and the reference's errors for
wallet names and endpoints."""

import os
from decimal import Decimal

from test_framework.test_framework import HashviveTestFramework
from test_framework.test_node import ErrorMatch
from test_framework.util import assert_equal, assert_raises_rpc_error


class WalletBasicTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def skip_test_if_missing_module(self):
        self.skip_if_no_wallet()

    def run_test(self):
        node = self.nodes[0]

        self.log.info("no wallet loaded: wallet methods answer -18")
        assert_equal(node.listwallets(), [])
        assert_raises_rpc_error(-18, "No wallet is loaded", node.getbalance)

        self.log.info("createwallet, getnewaddress, and the default wallet")
        assert_equal(node.createwallet("alice"), {"name": "alice"})
        address = node.getnewaddress()
        assert address.startswith("bcrt1q")
        assert_equal(node.getwalletinfo()["walletname"], "alice")
        assert_raises_rpc_error(-4, "Database already exists", node.createwallet, "alice")
        assert_raises_rpc_error(-5, "Unknown address type 'p2pk'", node.getnewaddress, "", "p2pk")
        assert_raises_rpc_error(-11, "Invalid label name", node.getnewaddress, "*")
        assert node.getrawchangeaddress().startswith("bcrt1q")

        node.createwallet("bob")
        assert_equal(sorted(node.listwallets()), ["alice", "bob"])
        assert_equal(sorted(w["name"] for w in node.listwalletdir()["wallets"]), ["alice", "bob"])
        assert_raises_rpc_error(-19, "Multiple wallets are loaded", node.getbalance)
        alice = node.get_wallet_rpc("alice")
        bob = node.get_wallet_rpc("bob")
        assert_raises_rpc_error(-18, "Requested wallet does not exist or is not loaded",
                                node.get_wallet_rpc("carol").getbalance)

        self.log.info("mined coins are immature until 100 confirmations")
        node.generatetoaddress(1, address)
        balances = alice.getbalances()
        assert_equal(balances["mine"]["immature"], Decimal("50"))
        assert_equal(balances["mine"]["trusted"], Decimal("0"))
        assert_equal(balances["lastprocessedblock"]["height"], 1)
        assert_equal(alice.listunspent(), [])
        node.generatetoaddress(100, bob.getnewaddress())
        assert_equal(alice.getbalance(), Decimal("50"))
        assert_equal(alice.getbalances()["mine"]["immature"], Decimal("0"))
        # Bob's oldest coinbase (100 confirmations) could enter the next block,
        # but wallets wait one block more, as the reference's do.
        assert_equal(bob.getbalance(), 0)
        assert_raises_rpc_error(-6, "Insufficient funds", bob.sendtoaddress, address, 1)
        [coin] = alice.listunspent()
        assert_equal(coin["address"], address)
        assert_equal(coin["amount"], Decimal("50"))
        assert_equal(coin["confirmations"], 101)
        [mined] = alice.listtransactions()
        assert_equal(mined["category"], "generate")
        assert_equal(mined["blockheight"], 1)

        self.log.info("sendtoaddress to another wallet: mempool, then a block")
        to_bob = bob.getnewaddress()
        txid = alice.sendtoaddress(to_bob, Decimal("1.5"))
        assert txid in node.getrawmempool()
        sent = alice.gettransaction(txid)
        assert_equal(sent["amount"], Decimal("-1.5"))
        assert sent["fee"] < 0
        assert_equal(sent["confirmations"], 0)
        assert_equal(sent["details"][0]["category"], "send")
        assert_equal(sent["details"][0]["address"], to_bob)
        fee = -sent["fee"]
        assert_equal(alice.getbalance(), Decimal("48.5") - fee)
        self.wait_until(lambda: bob.getbalances()["mine"]["untrusted_pending"] == Decimal("1.5"))
        [pending] = [u for u in bob.listunspent(0) if u["txid"] == txid]
        assert_equal(pending["confirmations"], 0)
        assert_equal(pending["safe"], False)
        assert_raises_rpc_error(-6, "Insufficient funds", alice.sendtoaddress, to_bob, 100)
        assert_raises_rpc_error(-5, "Invalid Bitcoin address", alice.sendtoaddress, "notanaddress", 1)

        block = node.generatetoaddress(1, bob.getnewaddress())[0]
        received = bob.gettransaction(txid)
        assert_equal(received["confirmations"], 1)
        assert_equal(received["blockhash"], block)
        assert_equal(received["blockindex"], 1)
        assert_equal(received["details"], [{"address": to_bob, "category": "receive", "amount": Decimal("1.5"),
                                            "label": "", "vout": received["details"][0]["vout"]}])
        bob_coin = [u for u in bob.listunspent() if u["txid"] == txid]
        assert_equal(len(bob_coin), 1)
        assert_equal(bob_coin[0]["amount"], Decimal("1.5"))
        assert_equal([t["category"] for t in alice.listtransactions()], ["generate", "send"])
        alice_balance = alice.getbalance()
        bob_balance = bob.getbalance()

        self.log.info("getreceivedbyaddress counts confirmed payments and mature coinbases")
        assert_equal(bob.getreceivedbyaddress(to_bob), Decimal("1.5"))
        assert_equal(bob.getreceivedbyaddress(to_bob, 2), 0)
        assert_equal(alice.getreceivedbyaddress(address), Decimal("50"))
        assert_raises_rpc_error(-5, "Invalid Bitcoin address", bob.getreceivedbyaddress, "notanaddress")
        assert_raises_rpc_error(-4, "Address not found in wallet", bob.getreceivedbyaddress, address)

        self.log.info("listreceivedbyaddress lists what each receiving address got; listreceivedbylabel by label")
        row = {"address": to_bob, "amount": Decimal("1.5"), "confirmations": 1, "label": "", "txids": [txid]}
        assert row in bob.listreceivedbyaddress()
        assert_equal(bob.listreceivedbyaddress(1, False, False, to_bob), [row])
        assert_equal(bob.listreceivedbyaddress(2, False, False, to_bob), [])
        assert_raises_rpc_error(-4, "address_filter parameter was invalid", bob.listreceivedbyaddress, 1, False,
                                False, "notanaddress")
        unused = bob.getnewaddress()
        assert unused not in [r["address"] for r in bob.listreceivedbyaddress()]
        assert_equal(bob.listreceivedbyaddress(0, True, False, unused),
                     [{"address": unused, "amount": 0, "confirmations": 0, "label": "", "txids": []}])
        # Immature coinbases count only when asked for.
        mined_to = alice.listreceivedbyaddress(1, False, False, address, True)
        assert_equal(mined_to[0]["amount"], Decimal("50"))
        assert_equal(len(mined_to[0]["txids"]), 1)
        by_label = bob.listreceivedbylabel()
        assert_equal([r["label"] for r in by_label], [""])
        assert by_label[0]["amount"] >= Decimal("1.5")

        self.log.info("getaddressinfo describes the wallet's addresses and knows others are not its own")
        info = bob.getaddressinfo(to_bob)
        assert_equal((info["ismine"], info["solvable"], info["iswatchonly"], info["ischange"]), (True, True, False, False))
        assert_equal(info["labels"], [""])
        assert info["hdkeypath"].startswith("m/84h/1h/0h/0/")
        assert info["desc"].startswith("wpkh([%s/84h/1h/0h/0/" % info["hdmasterfingerprint"])
        assert_equal(node.getdescriptorinfo(info["desc"])["checksum"], info["desc"].split("#")[1])
        assert_equal(node.deriveaddresses(info["desc"]), [to_bob])
        assert_equal(bob.getaddressinfo(bob.getrawchangeaddress())["ischange"], True)
        other = bob.getaddressinfo(address)
        assert_equal((other["ismine"], other["solvable"], other["labels"]), (False, False, []))
        assert_equal(other["scriptPubKey"], alice.getaddressinfo(address)["scriptPubKey"])
        assert_raises_rpc_error(-5, "Invalid address", bob.getaddressinfo, "notanaddress")

        self.log.info("labels: getnewaddress and setlabel name addresses, the wallet's own or others'")
        savings = bob.getnewaddress("savings")
        assert_equal(bob.getaddressinfo(savings)["labels"], ["savings"])
        bob.setlabel(to_bob, "rent")
        assert_equal(bob.getaddressinfo(to_bob)["labels"], ["rent"])
        bob.setlabel(address, "alice")
        assert_equal(bob.getaddressinfo(address)["labels"], ["alice"])
        assert_equal(bob.listlabels(), ["", "alice", "rent", "savings"])
        assert_equal(bob.listlabels("send"), ["alice"])
        assert_equal(bob.listlabels("receive"), ["", "rent", "savings"])
        assert_equal(bob.getaddressesbylabel("rent"), {to_bob: {"purpose": "receive"}})
        assert_equal(bob.getaddressesbylabel("alice"), {address: {"purpose": "send"}})
        assert_raises_rpc_error(-11, "No addresses with label nope", bob.getaddressesbylabel, "nope")
        assert_raises_rpc_error(-11, "Invalid label name", bob.setlabel, to_bob, "*")
        assert_raises_rpc_error(-8, "Invalid 'purpose' argument", bob.listlabels, "spend")
        rent = bob.listtransactions("rent")
        assert_equal([(t["txid"], t["label"], t["category"]) for t in rent], [(txid, "rent", "receive")])
        assert_equal([u["label"] for u in bob.listunspent() if u["txid"] == txid], ["rent"])
        node.unloadwallet("bob")
        node.loadwallet("bob")
        assert_equal(bob.listlabels(), ["", "alice", "rent", "savings"])

        self.log.info("lockunspent holds coins back from spending, in memory or stored")
        [coin] = alice.listunspent()
        outpoint = {"txid": coin["txid"], "vout": coin["vout"]}
        assert_equal(alice.lockunspent(False, [outpoint]), True)
        assert_equal(alice.listlockunspent(), [outpoint])
        assert_equal(alice.listunspent(), [])
        assert_equal(alice.getbalance(), alice_balance)  # locked coins still count
        assert_raises_rpc_error(-6, "Insufficient funds", alice.sendtoaddress, to_bob, 1)
        assert_raises_rpc_error(-8, "Invalid parameter, output already locked", alice.lockunspent, False, [outpoint])
        assert_raises_rpc_error(-8, "Invalid parameter, unknown transaction", alice.lockunspent, False,
                                [{"txid": "00" * 32, "vout": 0}])
        assert_raises_rpc_error(-8, "Invalid parameter, vout index out of bounds", alice.lockunspent, False,
                                [{"txid": coin["txid"], "vout": 99}])
        assert_raises_rpc_error(-8, "txid must be of length 64", alice.lockunspent, False,
                                [{"txid": "ab", "vout": 0}])
        assert_raises_rpc_error(-8, "Invalid parameter, vout cannot be negative", alice.lockunspent, False,
                                [{"txid": coin["txid"], "vout": -1}])
        assert_equal(alice.lockunspent(True, [outpoint]), True)
        assert_raises_rpc_error(-8, "Invalid parameter, expected locked output", alice.lockunspent, True, [outpoint])
        assert_equal(alice.listunspent()[0]["txid"], coin["txid"])
        alice.lockunspent(False, [outpoint], True)
        node.unloadwallet("alice")
        node.loadwallet("alice")
        assert_equal(alice.listlockunspent(), [outpoint])
        assert_equal(alice.lockunspent(True), True)
        assert_equal(alice.listlockunspent(), [])

        self.log.info("backupwallet writes a copy that restorewallet loads under a new name")
        backup = os.path.join(self.options.tmpdir, "alice.bak")
        assert_equal(alice.backupwallet(backup), None)
        assert_equal(alice.backupwallet(backup), None)  # an older backup is replaced
        backups = os.path.join(self.options.tmpdir, "backups")
        os.mkdir(backups)
        alice.backupwallet(backups)
        assert os.path.isfile(os.path.join(backups, "wallet.dat"))
        assert_equal(node.restorewallet("alice2", backup), {"name": "alice2"})
        alice2 = node.get_wallet_rpc("alice2")
        assert_equal(alice2.getbalance(), alice.getbalance())
        assert_equal(alice2.getaddressinfo(address)["ismine"], True)
        assert_raises_rpc_error(-4, "Database already exists", node.restorewallet, "alice2", backup)
        assert_raises_rpc_error(-8, "Backup file does not exist", node.restorewallet, "bad",
                                os.path.join(backups, "missing.dat"))
        not_a_wallet = os.path.join(backups, "junk.dat")
        with open(not_a_wallet, "wb") as f:
            f.write(b"this is not a wallet")
        assert_raises_rpc_error(-20, "file is not a database", node.restorewallet, "bad", not_a_wallet)
        assert not os.path.exists(os.path.join(node.datadir, "regtest", "wallets", "bad"))
        node.unloadwallet("alice2")
        node.unloadwallet("alice")
        node.loadwallet("alice")
        assert_equal(alice.listlockunspent(), [])

        self.log.info("unloadwallet, then loadwallet")
        assert_equal(node.unloadwallet("bob"), {})
        assert_raises_rpc_error(-18, "Requested wallet does not exist or is not loaded", node.unloadwallet, "bob")
        assert_equal(node.listwallets(), ["alice"])
        assert_equal(node.getbalance(), alice_balance)
        node.loadwallet("bob")
        assert_raises_rpc_error(-35, "Wallet \"bob\" is already loaded.", node.loadwallet, "bob")
        assert_raises_rpc_error(-18, "Path does not exist", node.loadwallet, "carol")

        self.log.info("a restart keeps keys, coins and history; the chain moved on meanwhile")
        self.restart_node(0)
        assert_equal(node.listwallets(), [])
        wallets_dir = os.path.join(node.datadir, "regtest", "wallets")
        assert os.path.isfile(os.path.join(wallets_dir, "alice", "wallet.dat"))
        node.loadwallet("alice")
        node.generatetoaddress(1, address)
        node.loadwallet("bob")
        # The proxies of the node before the restart are gone with it.
        alice = node.get_wallet_rpc("alice")
        bob = node.get_wallet_rpc("bob")
        assert_equal(bob.getbalance(), bob_balance + Decimal("50"))  # one more of his coinbases matured
        assert_equal(alice.getbalance(), alice_balance)
        assert_equal(alice.getbalances()["mine"]["immature"], Decimal("50"))
        assert_equal(bob.gettransaction(txid)["confirmations"], 2)
        assert address != alice.getnewaddress()

        self.log.info("sendmany pays several addresses in one transaction")
        to_bob_a, to_bob_b = bob.getnewaddress(), bob.getnewaddress()
        pending = bob.getbalances()["mine"]["untrusted_pending"]
        txid = alice.sendmany("", {to_bob_a: Decimal("0.1"), to_bob_b: Decimal("0.2")})
        sent = alice.gettransaction(txid)
        assert_equal(sent["amount"], Decimal("-0.3"))
        assert_equal(sorted(d["address"] for d in sent["details"]), sorted([to_bob_a, to_bob_b]))
        self.wait_until(lambda: bob.getbalances()["mine"]["untrusted_pending"] == pending + Decimal("0.3"))
        assert_raises_rpc_error(-8, 'Dummy value must be set to ""', alice.sendmany, "x", {to_bob_a: 1})
        assert_raises_rpc_error(-8, "Transaction must have at least one recipient", alice.sendmany, "", {})
        assert_raises_rpc_error(-5, "Invalid Bitcoin address: nope", alice.sendmany, "", {"nope": 1})
        assert_raises_rpc_error(-3, "Invalid amount for send", alice.sendmany, "", {to_bob_a: 0})
        assert_raises_rpc_error(-6, "Insufficient funds", alice.sendmany, "", {to_bob_a: 1000})
        alice_balance = alice.getbalance()
        many = txid

        self.log.info("listsinceblock lists what came after a block and names the block to ask from next")
        tip = node.getbestblockhash()
        everything = bob.listsinceblock()
        assert_equal((everything["lastblock"], everything["removed"]), (tip, []))
        listed = {t["txid"] for t in everything["transactions"]}
        assert many in listed and len(listed) > 1
        since_tip = bob.listsinceblock(tip)
        assert_equal({t["txid"] for t in since_tip["transactions"]}, {many})  # only the unconfirmed payment
        assert_equal(bob.listsinceblock(tip, 2)["lastblock"], node.getblockhash(node.getblockcount() - 1))
        assert_raises_rpc_error(-5, "Block not found", bob.listsinceblock, "00" * 32)
        assert_raises_rpc_error(-8, "Invalid parameter", bob.listsinceblock, tip, 0)
        # A block the chain left behind: listed from where its branch forked off.
        mined = node.generatetoaddress(1, "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw")[0]
        assert_equal(bob.listsinceblock(mined)["transactions"], [])
        node.invalidateblock(mined)
        replacement = node.generatetoaddress(1, bob.getnewaddress())[0]
        after_reorg = bob.listsinceblock(mined)
        assert_equal(after_reorg["lastblock"], replacement)
        assert_equal([t.get("blockhash") for t in after_reorg["transactions"] if t["txid"] == many],
                     [replacement, replacement])

        self.log.info("-walletdir puts wallets elsewhere; it must name an existing absolute directory")
        elsewhere = os.path.join(self.options.tmpdir, "elsewhere")
        os.mkdir(elsewhere)
        self.restart_node(0, extra_args=["-walletdir=" + elsewhere])
        assert_equal(node.listwalletdir(), {"wallets": []})
        node.createwallet("carol")
        assert os.path.isfile(os.path.join(elsewhere, "carol", "wallet.dat"))
        assert_equal(node.listwalletdir(), {"wallets": [{"name": "carol"}]})
        self.stop_node(0)
        node.assert_start_raises_init_error(["-walletdir=relative"],
                                            'Error: Specified -walletdir "relative" is a relative path')
        node.assert_start_raises_init_error(["-wallet=nosuch"], "Path does not exist", match=ErrorMatch.PARTIAL_REGEX)
        self.start_node(0)

        self.log.info("-wallet loads at start-up; -disablewallet turns the methods off")
        self.restart_node(0, extra_args=["-wallet=alice"])
        assert_equal(node.listwallets(), ["alice"])
        assert_equal(node.getbalance(), alice_balance)
        self.log.info("listdescriptors shows a receive and a change descriptor per address type, public or private")
        listed = node.listdescriptors()
        assert_equal(listed["wallet_name"], "alice")
        kinds = sorted((d["desc"].split("[")[0], d["internal"], d["active"]) for d in listed["descriptors"])
        assert_equal(kinds, sorted((k, internal, True) for k in ["pkh(", "sh(wpkh(", "wpkh(", "tr("] for internal in [False, True]))
        receive = next(d for d in listed["descriptors"] if d["desc"].startswith("wpkh(") and not d["internal"])
        assert "/84h/1h/0h]tpub" in receive["desc"], receive["desc"]
        assert_equal(node.getdescriptorinfo(receive["desc"])["checksum"], receive["desc"].split("#")[1])
        assert_equal(node.deriveaddresses(receive["desc"], [0, 0]), [address])
        assert receive["next_index"] >= 2 and receive["range"][1] >= receive["next_index"]
        assert receive["timestamp"] > 0
        private = node.listdescriptors(True)["descriptors"]
        assert all("tprv" in d["desc"] for d in private)
        private_receive = next(d for d in private if d["desc"].startswith("wpkh(") and not d["internal"])
        assert_equal(node.deriveaddresses(private_receive["desc"], [0, 0]), [address])

        self.log.info("abandontransaction frees the coins of a payment the node no longer has")
        before = node.getbalance()
        pending = node.sendtoaddress("bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw", 1)
        assert_raises_rpc_error(-5, "Transaction not eligible for abandonment", node.abandontransaction, pending)
        confirmed = [t["txid"] for t in node.listtransactions("*", 1000) if t["confirmations"] > 0][0]
        assert_raises_rpc_error(-5, "Transaction not eligible for abandonment", node.abandontransaction, confirmed)
        assert_raises_rpc_error(-5, "Invalid or non-wallet transaction id", node.abandontransaction, "00" * 32)
        self.restart_node(0, extra_args=["-wallet=alice", "-persistmempool=0"])
        assert pending not in node.getrawmempool()
        assert node.getbalance() < before - 1
        assert_equal(node.abandontransaction(pending), None)
        assert_equal(node.getbalance(), before)

        self.log.info("bumpfee replaces an unconfirmed payment with one paying more")
        elsewhere = "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw"
        first = node.sendtoaddress(elsewhere, 1)
        bumped = node.bumpfee(first)
        assert bumped["fee"] > bumped["origfee"] and bumped["errors"] == []
        mempool = node.getrawmempool()
        assert bumped["txid"] in mempool and first not in mempool
        again = node.bumpfee(bumped["txid"], {"fee_rate": 50})
        entry = node.getmempoolentry(again["txid"])
        # The rate applies to the virtual size, as the reference's does.
        assert entry["fees"]["base"] * 100_000_000 >= 50 * entry["vsize"]
        assert_raises_rpc_error(-8, "Insufficient total fee rate", node.bumpfee, again["txid"], {"fee_rate": 1})
        assert_raises_rpc_error(-5, "Invalid or non-wallet transaction id", node.bumpfee, "00" * 32)
        final = node.bumpfee(again["txid"], {"replaceable": False})
        assert_raises_rpc_error(-4, "Transaction is not BIP 125 replaceable", node.bumpfee, final["txid"])
        node.generatetoaddress(1, elsewhere)
        assert_raises_rpc_error(-4, "Transaction has been mined", node.bumpfee, final["txid"])
        assert_equal(node.gettransaction(final["txid"])["confirmations"], 1)

        self.restart_node(0, extra_args=["-disablewallet"])
        assert_raises_rpc_error(-32601, "Method not found", node.listwallets)


if __name__ == "__main__":
    WalletBasicTest().main()
