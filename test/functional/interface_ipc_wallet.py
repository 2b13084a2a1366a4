#!/usr/bin/env python3
"""Wallets in their own process. hashvive-node spawns hashvive-wallet and
serves its RPC methods; a wallet process that dies leaves the node running;
hashvive-wallet -ipcconnect attaches to a node started with -ipcbind, a second
process cannot take a wallet another holds, and no coin is lost across any of
it."""

import os
import signal
import subprocess
import threading
from decimal import Decimal

from test_framework.authproxy import JSONRPCException
from test_framework.test_framework import HashviveTestFramework
from test_framework.test_node import ErrorMatch
from test_framework.util import assert_equal, assert_raises_rpc_error


# An address of no wallet here.
ELSEWHERE = "bcrt1qs758ursh4q9z627kt3pp5yysm78ddny6txaqgw"


def children(pid, name):
    """Processes called `name` whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="utf-8") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after it.
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == pid and comm == name[:15]:
            found.append(int(entry))
    return found


def log_has(node, text, offset=0):
    with open(node.debug_log_path, "rb") as f:
        f.seek(offset)
        return text.encode() in f.read()


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class IPCWalletTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def skip_test_if_missing_module(self):
        self.skip_if_no_ipc()
        self.skip_if_no_wallet_tool()

    def setup_network(self):
        self.add_nodes(1, [["-ipcbind=unix", "-fallbackfee=0.0001"]], binary=self.ipc_node_path)
        self.start_nodes()

    def wallet_process(self, node):
        self.wait_until(lambda: len(children(node.process.pid, "hashvive-wallet")) == 1)
        return children(node.process.pid, "hashvive-wallet")[0]

    def attach(self, node, *args):
        """Starts hashvive-wallet -ipcconnect=unix on the node's datadir."""
        log = open(os.path.join(node.datadir, "attached-%d.err" % len(self.attached)), "w+b")
        proc = subprocess.Popen(
            [self.wallet_tool_path, "-datadir=" + node.datadir, "-regtest", "-ipcconnect=unix", *args],
            stdout=subprocess.DEVNULL, stderr=log)
        self.attached.append((proc, log))
        return proc, log

    def listed(self, node):
        """`listwallets`, or None while a dying wallet process fails the call."""
        try:
            return node.listwallets()
        except JSONRPCException as e:
            assert_equal(e.error["code"], -4)
            assert "The wallet process went away during the call" in e.error["message"]
            return None

    def wallet_methods_served(self, node, *wallets):
        """Whether the node serves wallet methods with all of `wallets` loaded."""
        try:
            return set(wallets) <= set(node.listwallets())
        except Exception:
            return False

    def run_test(self):
        node = self.nodes[0]
        self.attached = []

        self.log.info("hashvive-node spawns one hashvive-wallet and serves its methods")
        pid = self.wallet_process(node)
        assert log_has(node, "Process hashvive-wallet pid %d launched" % pid)
        node.createwallet("w")
        node.createwallet("v")
        w = node.get_wallet_rpc("w")
        v = node.get_wallet_rpc("v")
        node.generatetoaddress(101, w.getnewaddress())
        assert_equal(w.getbalance(), Decimal("50"))
        txid = w.sendtoaddress(v.getnewaddress(), Decimal("1.5"))
        assert txid in node.getrawmempool()
        self.wait_until(lambda: v.getbalances()["mine"]["untrusted_pending"] == Decimal("1.5"))
        node.generatetoaddress(1, v.getnewaddress())
        assert_equal(v.getbalance(), Decimal("1.5"))
        assert_equal(v.gettransaction(txid)["confirmations"], 1)
        w_balance = w.getbalance()

        self.log.info("-debug=ipc shows the calls between the node and its wallet process")
        for call in ["Init.makeWalletLoader$Params", "Chain.handleRpc$Params", "RpcActor.call$Params",
                     "ChainNotifications.blockConnected$Params", "Chain.broadcastTransaction$Params"]:
            assert log_has(node, call), call
        self.log.info("... but not the private keys `listdescriptors true` answers with")
        log_start = node.debug_log_bytes()
        private = w.listdescriptors(True)["descriptors"][0]["desc"]
        assert "tprv" in private, private
        self.wait_until(lambda: log_has(node, 'RpcActor.call$Results (result = "***"', log_start))
        assert log_has(node, 'method = "listdescriptors", params = "[true]"', log_start)
        assert not log_has(node, "tprv", log_start)

        self.log.info("A wallet process that dies leaves the node serving; loadwallet starts a new one")
        os.kill(pid, signal.SIGKILL)
        self.wait_until(lambda: log_has(node, "Process hashvive-wallet pid %d exited with status" % pid))
        self.wait_until(lambda: self.listed(node) == [])
        assert_raises_rpc_error(-18, "No wallet is loaded: the wallet process exited", node.getbalance)
        assert_raises_rpc_error(-18, "No wallet is loaded: the wallet process exited", w.getbalance)
        assert_equal(node.getblockcount(), 102)
        assert_equal(node.loadwallet("w")["name"], "w")  # a new wallet process
        assert_equal(node.listwallets(), ["w"])
        pid = self.wallet_process(node)
        assert_equal(w.getbalance(), w_balance)
        assert_raises_rpc_error(-18, "Requested wallet does not exist or is not loaded", v.getbalance)

        self.log.info("A wallet process killed in the middle of a send loses nothing")
        log_start = node.debug_log_bytes()
        outcome = {}

        def send():
            try:
                outcome["txid"] = node.get_wallet_rpc("w").sendtoaddress(ELSEWHERE, 3)
            except Exception as e:
                outcome["error"] = e
        sender = threading.Thread(target=send)
        sender.start()
        self.wait_until(lambda: log_has(node, 'method = "sendtoaddress"', log_start))
        os.kill(pid, signal.SIGKILL)
        sender.join(timeout=60)
        self.log.info("  the send %s" % ("got through" if "txid" in outcome else "failed: %s" % outcome.get("error")))
        self.wait_until(lambda: self.listed(node) == [])
        node.generatetoaddress(1, ELSEWHERE)  # mines the payment if it reached the mempool
        node.loadwallet("w")
        pid = self.wallet_process(node)
        sent = [t for t in w.listtransactions("*", 1000) if t["category"] == "send" and t["amount"] == Decimal("-3")]
        assert len(sent) <= 1
        for t in sent:
            assert_equal(t["confirmations"], 1)
        # One more coinbase matured; a payment that left is paid, with its fee, and nothing else moved.
        assert_equal(w.getbalance(), w_balance + 50 - sum(3 - t["fee"] for t in sent))
        node.unloadwallet("w")

        self.log.info("hashvive-wallet -ipcconnect attaches beside the spawned process, which holds no wallet now")
        proc, _ = self.attach(node, "-wallet=w", "-wallet=v")
        self.wait_until(lambda: self.wallet_methods_served(node, "v", "w"))
        assert_equal(w.getbalances()["lastprocessedblock"]["height"], node.getblockcount())
        v_balance = v.getbalance()
        w.sendtoaddress(v.getnewaddress(), 2)
        node.generatetoaddress(1, ELSEWHERE)
        self.wait_until(lambda: v.getbalance() == v_balance + 2)
        w_balance = w.getbalance()

        self.log.info("A second process cannot take a wallet the first holds; the first keeps serving")
        second, second_log = self.attach(node, "-wallet=w")
        assert_equal(second.wait(timeout=60), 1)
        second_log.seek(0)
        assert b"Unable to obtain an exclusive lock" in second_log.read()
        assert_equal(w.getbalance(), w_balance)

        self.log.info("SIGTERM stops an attached wallet cleanly; the node keeps running")
        proc.send_signal(signal.SIGTERM)
        assert_equal(proc.wait(timeout=60), 0)
        self.wait_until(lambda: not self.wallet_methods_served(node, "w"))
        assert_equal(node.listwallets(), [])  # the spawned process answers again

        self.log.info("An attached wallet whose node stops exits with an error")
        proc, log = self.attach(node, "-wallet=w")
        self.wait_until(lambda: self.wallet_methods_served(node, "w"))
        self.stop_node(0)
        assert_equal(proc.wait(timeout=60), 1)
        log.seek(0)
        assert b"went away" in log.read()

        self.log.info("Restarted, the spawned wallet process has every coin")
        self.start_node(0, ["-ipcbind=unix", "-wallet=w", "-wallet=v"])
        pid = self.wallet_process(node)
        assert_equal(sorted(node.listwallets()), ["v", "w"])
        w = node.get_wallet_rpc("w")
        v = node.get_wallet_rpc("v")
        assert_equal(w.getbalance(), w_balance)
        assert_equal(v.getbalance(), v_balance + 2)

        self.log.info("A clean stop ends the wallet process too")
        self.stop_node(0)
        self.wait_until(lambda: not alive(pid))

        self.log.info("A node killed outright: its wallet processes end, the wallets stay whole")
        self.start_node(0, ["-ipcbind=unix"])
        pid = self.wallet_process(node)
        proc, log = self.attach(node, "-wallet=w", "-wallet=v")
        self.wait_until(lambda: self.wallet_methods_served(node, "v", "w"))
        node.kill_process()
        assert_equal(proc.wait(timeout=60), 1)
        self.wait_until(lambda: not alive(pid))
        self.start_node(0, ["-ipcbind=unix", "-wallet=w", "-wallet=v"])
        w = node.get_wallet_rpc("w")
        v = node.get_wallet_rpc("v")
        assert_equal(w.getbalance(), w_balance)
        assert_equal(v.getbalance(), v_balance + 2)
        self.stop_node(0)

        self.log.info("A wallet that does not load is an init error, as in hashvived")
        node.assert_start_raises_init_error(
            ["-wallet=missing"], "Error: Wallet file verification failed. Failed to load database path",
            match=ErrorMatch.PARTIAL_REGEX)

        for proc, log in self.attached:
            log.close()


if __name__ == "__main__":
    IPCWalletTest().main()
