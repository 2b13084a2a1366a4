#!/usr/bin/env python3
"""The Node interface a GUI drives, over Cap'n Proto, from pycapnp: attached
to a running node's -ipcbind socket, and in a `hashvive-node -ipcfd` spawned
over a socket pair and started with Node.start, as hashvive-gui does. A
parent that goes away without a word leaves its node to shut down cleanly.
The node's wallets (in the hashvive-wallet process it spawned) reach the
client through Node.walletLoader: wallets loaded later, balances, and the
notices of their transactions and of their unloading."""

import asyncio
import json
from decimal import Decimal
import os
import socket
import subprocess

from test_framework.ipc import IpcClient, capnp, load_schemas
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than, get_free_port


class NodeInterfaceTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def skip_test_if_missing_module(self):
        self.skip_if_no_ipc_client()

    def setup_network(self):
        self.add_nodes(1, [["-ipcbind=unix"]], binary=self.ipc_node_path)
        self.add_nodes(1, [[]])
        self.start_nodes()
        self.socket = os.path.join(self.nodes[0].chain_path, "node.sock")
        self.schemas = load_schemas(self.config["environment"]["SRCDIR"])

    def run(self, routine):
        return asyncio.run(capnp.run(routine()))

    def notifications(self):
        """A NodeNotifications server that records what it hears."""
        heard = {"init": [], "tips": [], "connections": [], "active": [], "shutdown": 0}

        class Notifications(self.schemas["node"].NodeNotifications.Server):
            async def initMessage(self, message, **kwargs):
                heard["init"].append(message)

            async def blockTip(self, status, **kwargs):
                heard["tips"].append((bytes(status.tip.hash)[::-1].hex(), status.tip.height))

            async def connectionsChanged(self, inbound, outbound, **kwargs):
                heard["connections"].append((inbound, outbound))

            async def networkActiveChanged(self, active, **kwargs):
                heard["active"].append(active)

            async def shuttingDown(self, **kwargs):
                heard["shutdown"] += 1

        return Notifications(), heard

    def run_test(self):
        self.test_attached()
        if self.is_wallet_compiled():
            self.test_wallets()
            self.test_wallet_screens()
        self.test_spawned()
        self.test_spawned_bad_args()
        self.test_parent_vanishes()

    def test_attached(self):
        self.log.info("A GUI attached to a running node sees its status, peers and tips, and runs RPCs")
        node, other = self.nodes
        node.generatetodescriptor(5, "raw(51)")
        self.connect_nodes(1, 0)

        async def routine():
            c = await IpcClient(self.schemas).connect(self.socket)
            gui = (await c.init.makeNode(c.ctx)).result
            status = (await gui.status(c.ctx)).result
            assert_equal(status.tip.height, node.getblockcount())
            assert_equal(bytes(status.tip.hash)[::-1].hex(), node.getbestblockhash())
            assert_equal(status.headers, node.getblockchaininfo()["headers"])
            assert_equal(status.tipTime, node.getblockheader(node.getbestblockhash())["time"])
            assert_equal(status.connectionsIn, 1)
            assert status.networkActive
            assert_greater_than(status.bytesRecv, 0)

            peers = (await gui.peers(c.ctx)).result
            assert_equal(len(peers), 1)
            assert peers[0].inbound
            assert_equal(peers[0].connectionType, "inbound")
            assert "testnode1" in peers[0].userAgent
            assert_equal(peers[0].id, node.getpeerinfo()[0]["id"])

            reply = await gui.executeRpc(c.ctx, "getblockcount", "[]", "/")
            assert not reply.hasFault
            assert_equal(json.loads(reply.result), node.getblockcount())
            reply = await gui.executeRpc(c.ctx, "getblockhash", json.dumps({"height": 1}), "/")
            assert_equal(json.loads(reply.result), node.getblockhash(1))
            reply = await gui.executeRpc(c.ctx, "nosuchmethod", "[]", "/")
            assert reply.hasFault
            assert_equal(reply.fault.code, -32601)
            reply = await gui.executeRpc(c.ctx, "getblockcount", "[not json", "/")
            assert_equal(reply.fault.code, -32700)
            names = list((await gui.listRpcCommands(c.ctx)).result)
            assert "getblockcount" in names and "stop" in names
            assert_equal(names, sorted(names))

            impl, heard = self.notifications()
            handler = (await gui.handleNotifications(c.ctx, impl)).result
            best = node.generatetodescriptor(1, "raw(51)")[0]
            await self.until(lambda: (best, node.getblockcount()) in heard["tips"])

            # A new listener hears the network state as it is now.
            await self.until(lambda: heard["connections"][:1] == [(1, 0)] and heard["active"][:1] == [True], what=heard)
            await gui.setNetworkActive(c.ctx, False)
            assert_equal(node.getnetworkinfo()["networkactive"], False)
            await self.until(lambda: node.getconnectioncount() == 0)
            # Heard, not polled: the node tells the GUI what changed.
            await self.until(lambda: heard["connections"][-1:] == [(0, 0)] and heard["active"][-1:] == [False], what=heard)
            await gui.setNetworkActive(c.ctx, True)
            assert_equal(node.getnetworkinfo()["networkactive"], True)
            await self.until(lambda: heard["active"][-1:] == [True])

            try:
                await gui.start(c.ctx, ["-regtest"])
                raise AssertionError("a running node started again")
            except capnp.KjException as e:
                assert "the node is already running" in str(e)
            await handler.destroy(c.ctx)
            await gui.destroy(c.ctx)
            c.close()
        self.run(routine)
        # The node goes on after the GUI left.
        assert_equal(node.getblockcount(), 6)

    def test_wallets(self):
        self.log.info("The node's wallets, from its wallet process: loads, balances, transaction and unload notices")
        node = self.nodes[0]
        schemas = self.schemas

        async def routine():
            c = await IpcClient(schemas).connect(self.socket)
            gui = (await c.init.makeNode(c.ctx)).result
            loader = (await gui.walletLoader(c.ctx)).result
            assert_equal(list((await loader.listWallets(c.ctx)).result), [])
            heard = {"loaded": [], "changed": [], "unloaded": 0}

            class Loads(schemas["wallet"].WalletLoaderNotifications.Server):
                async def walletLoaded(self, wallet, **kwargs):
                    heard["loaded"].append(wallet)

            class Changes(schemas["wallet"].WalletNotifications.Server):
                async def transactionChanged(self, txid, **kwargs):
                    heard["changed"].append(bytes(txid)[::-1].hex())

                async def unloaded(self, **kwargs):
                    heard["unloaded"] += 1

            loads = (await loader.handleLoadWallet(c.ctx, Loads())).result
            node.createwallet("w")
            await self.until(lambda: len(heard["loaded"]) == 1)
            wallet = heard["loaded"][0]
            assert_equal((await wallet.getName(c.ctx)).result, "w")
            zero = (await wallet.getBalances(c.ctx)).result
            assert_equal((zero.trusted, zero.untrustedPending, zero.immature), (0, 0, 0))
            [listed] = (await loader.getWallets(c.ctx)).result
            assert_equal((await listed.getName(c.ctx)).result, "w")

            changes = (await wallet.handleNotifications(c.ctx, Changes())).result
            w = node.get_wallet_rpc("w")
            block = node.generatetoaddress(1, w.getnewaddress())[0]
            coinbase = node.getblock(block)["tx"][0]
            await self.until(lambda: heard["changed"] == [coinbase], what=heard)
            mined = (await wallet.getBalances(c.ctx)).result
            assert_equal((mined.trusted, mined.untrustedPending, mined.immature), (0, 0, 50 * 100_000_000))

            node.unloadwallet("w")
            await self.until(lambda: heard["unloaded"] == 1)
            try:
                await wallet.getBalances(c.ctx)
                raise AssertionError("an unloaded wallet answered")
            except capnp.KjException as e:
                assert 'Wallet "w" is not loaded' in str(e), str(e)
            for held in (changes, loads, wallet, listed, loader, gui):
                await held.destroy(c.ctx)
            c.close()
        self.run(routine)

    def test_wallet_screens(self):
        self.log.info("What the GUI's wallet screens ask, from pycapnp: create, receive, pay, history, "
                      "encrypt, back up, close, open, settings")
        node = self.nodes[0]
        schemas = self.schemas
        chain_dir = os.path.join(node.datadir, "regtest")

        async def routine():
            c = await IpcClient(schemas).connect(self.socket)
            gui = (await c.init.makeNode(c.ctx)).result
            loader = (await gui.walletLoader(c.ctx)).result
            options = schemas["wallet"].WalletCreation.new_message()
            wallet = (await loader.createWallet(c.ctx, "screens", options)).result
            assert_equal(str((await wallet.getEncryption(c.ctx)).result), "unencrypted")
            with open(os.path.join(chain_dir, "settings.json"), encoding="utf-8") as f:
                assert "screens" in json.load(f)["wallet"], "loaded at start from now on"

            # Receive: a labelled address the wallet knows.
            address = (await wallet.getNewAddress(c.ctx, "salary")).result
            assert_equal(node.get_wallet_rpc("screens").getaddressinfo(address)["labels"], ["salary"])
            node.generatetoaddress(101, address)

            # Coin control: the coins it can spend, as listunspent has them
            # (with lockunspent's mark), and a payment from the one picked.
            node.createwallet("payee")
            payee = node.get_wallet_rpc("payee").getnewaddress()
            screens = node.get_wallet_rpc("screens")
            [unspent] = screens.listunspent()
            screens.lockunspent(False, [{"txid": unspent["txid"], "vout": unspent["vout"]}])
            [coin] = (await wallet.listCoins(c.ctx)).result
            assert_equal((bytes(coin.txid)[::-1].hex(), coin.vout, coin.amount, coin.address, coin.label,
                          coin.confirmations, coin.locked),
                         (unspent["txid"], unspent["vout"], 5_000_000_000, address, "salary", 101, True))
            screens.lockunspent(True)
            assert_equal((await wallet.listCoins(c.ctx)).result[0].locked, False)
            payment = schemas["wallet"].Payment.new_message()
            payment.init("recipients", 1)
            payment.recipients[0].address, payment.recipients[0].amount = payee, 10_000_000
            payment.init("inputs", 1)
            payment.inputs[0] = bytes(coin.txid) + coin.vout.to_bytes(4, "little")
            picked = node.decoderawtransaction(bytes((await wallet.createTransaction(c.ctx, payment)).result.tx).hex())
            assert_equal([(i["txid"], i["vout"]) for i in picked["vin"]], [(unspent["txid"], unspent["vout"])])
            payment.inputs[0] = bytes(36)
            await self.refused(wallet.createTransaction(c.ctx, payment), "Not found pre-selected input")

            # Pay: built and signed, not sent; then sent; then in the history.
            payee = node.get_wallet_rpc("payee").getnewaddress()
            second_payee = node.get_wallet_rpc("payee").getnewaddress()
            # Two recipients in one transaction, as the send screen's rows make.
            payment = schemas["wallet"].Payment.new_message()
            recipients = payment.init("recipients", 2)
            recipients[0].address, recipients[0].amount = payee, 100_000_000
            recipients[1].address, recipients[1].amount = second_payee, 50_000_000
            payment.fee.satPerKvb = 2000
            payment.replaceable = True
            prepared = (await wallet.createTransaction(c.ctx, payment)).result
            decoded = node.decoderawtransaction(bytes(prepared.tx).hex())
            outputs = [{"value": o["value"], "address": o["scriptPubKey"].get("address")} for o in decoded["vout"]]
            assert {"value": Decimal("1"), "address": payee} in outputs, outputs
            assert {"value": Decimal("0.5"), "address": second_payee} in outputs, outputs
            assert decoded["txid"] not in node.getrawmempool(), "prepared, not sent"
            # 2 sat/vB on the largest size the signatures could have had.
            assert 2 * decoded["vsize"] <= prepared.fee <= 2 * decoded["vsize"] + 4, (prepared.fee, decoded["vsize"])
            txid = bytes((await wallet.commitTransaction(c.ctx, prepared.tx)).result)[::-1].hex()
            assert_equal(txid, decoded["txid"])
            assert txid in node.getrawmempool()
            [sent] = (await wallet.getTransaction(c.ctx, bytes.fromhex(txid)[::-1])).result
            assert_equal((str(sent.kind), sent.amount, sent.fee, sent.height),
                         ("sent", -150_000_000 - prepared.fee, prepared.fee, -1))
            assert sent.address in (payee, second_payee), sent.address
            assert_equal(len((await wallet.getTransactions(c.ctx)).result), 102)
            payment.recipients[0].address = "bcrt1qnope"
            await self.refused(wallet.createTransaction(c.ctx, payment), "Invalid Bitcoin address: bcrt1qnope")

            # Its fee raised, as the transactions screen does: built and
            # signed, not sent; then sent in its place, recorded as replacing it.
            bump = (await wallet.createBumpTransaction(c.ctx, bytes.fromhex(txid)[::-1])).result
            replacement = node.decoderawtransaction(bytes(bump.tx).hex())
            assert bump.fee > prepared.fee, (bump.fee, prepared.fee)
            assert_equal({(i["txid"], i["vout"]) for i in replacement["vin"]} & {(i["txid"], i["vout"]) for i in decoded["vin"]},
                         {(i["txid"], i["vout"]) for i in decoded["vin"]})
            assert replacement["txid"] not in node.getrawmempool(), "prepared, not sent"
            bumped = bytes((await wallet.commitTransaction(c.ctx, bump.tx)).result)[::-1].hex()
            assert_equal(bumped, replacement["txid"])
            assert_equal(node.getrawmempool(), [bumped])
            assert_equal(screens.gettransaction(bumped)["replaces_txid"], txid)
            assert_equal(screens.gettransaction(txid)["replaced_by_txid"], bumped)
            await self.refused(wallet.createBumpTransaction(c.ctx, bytes(32)), "Invalid or non-wallet transaction id")

            # Encrypt, unlock, lock.
            await wallet.encrypt(c.ctx, "pw")
            assert_equal(str((await wallet.getEncryption(c.ctx)).result), "locked")
            await self.refused(wallet.unlock(c.ctx, "wrong", 60), "The wallet passphrase entered was incorrect.")
            await wallet.unlock(c.ctx, "pw", 60)
            assert_equal(str((await wallet.getEncryption(c.ctx)).result), "unlocked")
            await wallet.lock(c.ctx)
            assert_equal(str((await wallet.getEncryption(c.ctx)).result), "locked")
            # The console's way: walletpassphrase through Node.executeRpc.
            reply = await gui.executeRpc(c.ctx, "walletpassphrase", json.dumps(["pw", 60]), "/wallet/screens")
            assert not reply.hasFault, reply.fault.message
            assert_equal(str((await wallet.getEncryption(c.ctx)).result), "unlocked")
            await wallet.lock(c.ctx)
            # -debug=ipc logs every call, but no passphrase.
            with open(os.path.join(chain_dir, "debug.log"), encoding="utf-8") as f:
                log = f.read()
            assert 'Wallet.unlock$Params (context = (thread = <external capability>), passphrase = "***"' in log
            assert 'passphrase = "pw"' not in log and 'passphrase = "wrong"' not in log
            assert 'method = "walletpassphrase", params = "***", uri = "/wallet/screens"' in log
            assert '\\"pw\\"' not in log

            # Back up, close, open again.
            backups = os.path.join(self.options.tmpdir, "backups")
            os.makedirs(backups)
            await wallet.backup(c.ctx, backups)
            assert os.path.isfile(os.path.join(backups, "wallet.dat"))
            await wallet.unload(c.ctx)
            assert "screens" not in node.listwallets()
            assert "screens" in list((await loader.listWalletDir(c.ctx)).result)
            reopened = (await loader.loadWallet(c.ctx, "screens")).result
            assert_equal(str((await reopened.getEncryption(c.ctx)).result), "locked")
            await self.refused(loader.loadWallet(c.ctx, "no-such-wallet"), "no-such-wallet")

            # Settings: written to settings.json, read back, removed.
            await gui.updateSetting(c.ctx, "dbcache", ["600"])
            assert_equal(list((await gui.getSetting(c.ctx, "dbcache")).result), ["600"])
            with open(os.path.join(chain_dir, "settings.json"), encoding="utf-8") as f:
                assert_equal(json.load(f)["dbcache"], 600)
            await gui.updateSetting(c.ctx, "dbcache", [])
            assert_equal(list((await gui.getSetting(c.ctx, "dbcache")).result), [])
            for held in (reopened, wallet, loader, gui):
                await held.destroy(c.ctx)
            c.close()
        self.run(routine)

    async def refused(self, call, text):
        """A call the peer answers with an error containing `text`."""
        try:
            await call
        except capnp.KjException as e:
            assert text in str(e), str(e)
            return
        raise AssertionError("not refused: expected %r" % text)

    async def until(self, predicate, timeout=30, what=None):
        """Waits on the event loop, so pycapnp can serve callbacks meanwhile."""
        for _ in range(int(timeout * 20 * self.options.timeout_factor)):
            if predicate():
                return
            await asyncio.sleep(0.05)
        raise AssertionError("condition not met in time%s" % ("" if what is None else ": %s" % (what,)))

    def spawn(self):
        """`hashvive-node -ipcfd N` on a socket pair, as hashvive-gui spawns it."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        datadir = os.path.join(self.options.tmpdir, "spawned")
        os.makedirs(datadir, exist_ok=True)
        log = open(os.path.join(datadir, "process-stderr.txt"), "w+b")
        process = subprocess.Popen([self.ipc_node_path, "-ipcfd", str(theirs.fileno())],
                                   pass_fds=[theirs.fileno()], stdout=log, stderr=log)
        theirs.close()
        return ours, process, datadir, log

    def node_args(self, datadir, server=True):
        """A GUI's command line; its node serves RPC only with -server, as the reference GUI's."""
        return ["-regtest", "-datadir=" + datadir, "-port=%d" % get_free_port(), "-rpcport=%d" % get_free_port(),
                "-listen=0", "-debug=ipc"] + (["-server"] if server else [])

    def rpc_of(self, datadir, args):
        """Whatever the framework uses for RPC, on the spawned node's cookie."""
        from test_framework.authproxy import AuthServiceProxy
        with open(os.path.join(datadir, "regtest", ".cookie"), encoding="utf-8") as f:
            user, password = f.read().strip().split(":", 1)
        port = [a for a in args if a.startswith("-rpcport=")][0].split("=", 1)[1]
        return AuthServiceProxy("http://%s:%s@127.0.0.1:%s" % (user, password, port))

    def test_spawned(self):
        self.log.info("A spawned node starts with the GUI's command line, serves RPC, and stops on request")
        ours, process, datadir, log = self.spawn()
        args = self.node_args(datadir)

        async def routine():
            c = await IpcClient(self.schemas).connect_socket(ours)
            gui = (await c.init.makeNode(c.ctx)).result
            try:
                await gui.status(c.ctx)
                raise AssertionError("a node not started answered")
            except capnp.KjException as e:
                assert "the node has not been started" in str(e)
            impl, heard = self.notifications()
            handler = (await gui.handleNotifications(c.ctx, impl)).result
            await gui.start(c.ctx, args)
            await self.until(lambda: "Done loading" in heard["init"])
            assert_equal(heard["init"][0], "Loading block index…")

            rpc = self.rpc_of(datadir, args)
            assert_equal(rpc.getblockcount(), 0)
            address = rpc.getnetworkinfo()["subversion"]
            assert address.startswith("/Hashvive:")
            rpc.generatetodescriptor(2, "raw(51)")
            await self.until(lambda: any(height == 2 for _, height in heard["tips"]))
            status = (await gui.status(c.ctx)).result
            assert_equal(status.tip.height, 2)
            assert_equal(status.connectionsIn + status.connectionsOut, 0)

            await gui.shutdown(c.ctx)
            assert_equal(heard["shutdown"], 1)
            await handler.destroy(c.ctx)
            c.close()
        self.run(routine)
        ours.close()
        assert_equal(process.wait(timeout=60 * self.options.timeout_factor), 0)
        log.seek(0)
        assert_equal(log.read(), b"")
        with open(os.path.join(datadir, "regtest", "debug.log"), encoding="utf-8") as f:
            debug_log = f.read()
        assert "Shutdown: done" in debug_log
        assert not os.path.exists(os.path.join(datadir, "regtest", ".cookie"))

    def test_spawned_bad_args(self):
        self.log.info("A start-up error comes back to the GUI as the daemon would print it")
        ours, process, datadir, log = self.spawn()

        async def routine():
            c = await IpcClient(self.schemas).connect_socket(ours)
            gui = (await c.init.makeNode(c.ctx)).result
            for args, error in [
                (["-regtest", "-datadir=" + datadir, "-nosuchoption"], "Invalid parameter -nosuchoption"),
                (["-regtest", "-datadir=" + datadir, "-daemon"], "not available to a node a GUI starts"),
                (["-regtest", "-datadir=" + os.path.join(datadir, "missing")], "does not exist"),
            ]:
                try:
                    await gui.start(c.ctx, args)
                    raise AssertionError("started with %s" % args)
                except capnp.KjException as e:
                    assert error in str(e), str(e)

            self.log.info("Without -server a GUI's node serves no RPC")
            debug_log = os.path.join(datadir, "regtest", "debug.log")
            offset = os.path.getsize(debug_log) if os.path.exists(debug_log) else 0
            await gui.start(c.ctx, self.node_args(datadir, server=False))
            assert not os.path.exists(os.path.join(datadir, "regtest", ".cookie"))
            with open(debug_log, encoding="utf-8") as f:
                f.seek(offset)
                started = f.read()
            assert "Loading block index" in started and "Binding RPC on address" not in started
            await gui.shutdown(c.ctx)
            c.close()
        self.run(routine)
        ours.close()
        assert_equal(process.wait(timeout=60 * self.options.timeout_factor), 0)

    def test_parent_vanishes(self):
        self.log.info("A node whose GUI vanished (closed socket, as after SIGKILL) shuts down cleanly")
        ours, process, datadir, log = self.spawn()
        args = self.node_args(datadir)

        async def routine():
            c = await IpcClient(self.schemas).connect_socket(ours)
            gui = (await c.init.makeNode(c.ctx)).result
            await gui.start(c.ctx, args)
            assert_equal(self.rpc_of(datadir, args).getblockcount(), 2)
            c.close()
        self.run(routine)
        ours.close()
        assert_equal(process.wait(timeout=60 * self.options.timeout_factor), 0)
        with open(os.path.join(datadir, "regtest", "debug.log"), encoding="utf-8") as f:
            assert f.read().endswith("Shutdown: done\n")


if __name__ == "__main__":
    NodeInterfaceTest().main()
