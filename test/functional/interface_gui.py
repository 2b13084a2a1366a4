#!/usr/bin/env python3
"""The GUIs, started as a user would (on Qt's offscreen platform, so no
display is needed): hashvive-qt runs its node and wallets in its own process;
hashvive-gui spawns hashvive-node, which spawns hashvive-wallet, and drives it
over IPC, or attaches to a running node with -ipcconnect. Closing the window
(SIGTERM, as the window manager's close does) or `stop` ends an owned node
with exit 0; an attached node keeps running; a lost node ends the GUI with an
error. A payment sent over RPC to a GUI's wallet shows on its overview
before any block confirms it. Each GUI saves pictures of its screens under
the test's directory."""

import os
import re
import select
import shutil
import signal
import subprocess
import time

from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_greater_than, child_pids, get_free_port

# A regtest address of BIP173's test vectors, for a payment URI.
URI_ADDRESS = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"
SCREENS = ["overview.png", "send.png", "receive.png", "transactions.png", "wallets.png", "settings.png", "peers.png", "console.png"]
# A polling GUI would call several times a second.
IDLE_WATCH_SECONDS = 3


def exe_name(pid):
    return os.path.basename(os.readlink("/proc/%d/exe" % pid))


def read_log(node, offset=0):
    """The node's debug.log from byte `offset` on."""
    with open(node.debug_log_path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not reaped it yet.
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


class GuiTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 0

    def skip_test_if_missing_module(self):
        self.skip_if_no_gui()

    def setup_network(self):
        pass

    def gui_env(self, name, display=None):
        """The environment a GUI runs in: Qt's offscreen platform, or with
        `display` an X server's (xcb, as on a desktop)."""
        runtime = os.path.join(self.options.tmpdir, "xdg-runtime")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        shots = os.path.join(self.options.tmpdir, "screens-" + name)
        os.makedirs(shots, exist_ok=True)
        # The desktop's configuration (autostart entries) of the test's own.
        config = os.path.join(self.options.tmpdir, "xdg-config")
        platform = {"QT_QPA_PLATFORM": "offscreen"} if display is None else {"QT_QPA_PLATFORM": "xcb", "DISPLAY": display}
        return shots, {**platform, "XDG_RUNTIME_DIR": runtime, "XDG_CONFIG_HOME": config,
                       "HASHVIVE_GUI_SCREENSHOTS": shots}

    def start_gui(self, name, extra_args=(), display=None):
        index = len(self.nodes)
        self.add_nodes(1, [list(extra_args)], binary=self.gui_path(name))
        gui = self.nodes[index]
        shots, env = self.gui_env("%s-%d" % (name, index), display)
        gui.start(env=env)
        gui.wait_for_rpc_connection()
        return gui, shots

    def wait_for_quiet_log(self, node, quiet_seconds=1):
        """Until the node's log has not grown for `quiet_seconds`."""
        last = {"size": -1, "since": time.monotonic()}

        def quiet():
            size = node.debug_log_bytes()
            if size != last["size"]:
                last.update(size=size, since=time.monotonic())
            return time.monotonic() - last["since"] >= quiet_seconds
        self.wait_until(quiet)

    def wait_for_screens(self, shots):
        """The window saves its pictures once the node is ready."""
        paths = [os.path.join(shots, s) for s in SCREENS]
        self.wait_until(lambda: all(os.path.exists(p) and os.path.getsize(p) > 0 for p in paths))

    def run_test(self):
        self.test_options()
        self.test_intro()
        self.test_qt()
        if self.is_gui_ipc_compiled():
            self.test_gui_spawned()
            self.test_gui_attached()
            self.test_gui_loses_its_node()
            self.test_gui_killed()
        else:
            self.log.info("hashvive-gui not built (needs -DWITH_MULTIPROCESS=ON): its checks skipped")
        self.test_x11()

    def test_x11(self):
        if shutil.which("Xvfb") is None:
            self.log.info("Xvfb is not installed (contrib/install_deps.sh installs it): the X11 checks skipped")
            return
        self.log.info("On an X server (Xvfb, Qt's xcb platform, as on a desktop): each GUI shows its screens, "
                      "follows a payment and closes with exit 0")
        read_end, write_end = os.pipe()
        xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                pass_fds=[write_end], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_end)
        try:
            # Xvfb writes the display number it took once it accepts clients.
            ready, _, _ = select.select([read_end], [], [], 60 * self.options.timeout_factor)
            assert ready, "Xvfb did not start"
            display = ":" + os.read(read_end, 16).decode().strip()
            for name in ["hashvive-qt"] + (["hashvive-gui"] if self.is_gui_ipc_compiled() else []):
                gui, shots = self.start_gui(name, ["-debug=qt"], display=display)
                self.wait_for_screens(shots)
                txid, address = self.pay_the_gui(gui)
                self.wait_until(lambda: "Wallet gui: %s Received with %s +1.50000000 BTC" % (txid, address)
                                in read_log(gui))
                gui.send_signal(signal.SIGTERM)
                gui.wait_until_stopped()
        finally:
            os.close(read_end)
            xvfb.terminate()
            xvfb.wait(timeout=30)

    def test_options(self):
        self.log.info("Options: -help lists the UI options, mistakes end with the daemon's error and status")
        qt = self.gui_path("hashvive-qt")
        help_text = subprocess.run([qt, "-help"], capture_output=True, text=True, timeout=30)
        assert_equal(help_text.returncode, 0)
        assert "UI options:" in help_text.stdout and "-resetguisettings" in help_text.stdout
        assert "-daemonwait" not in help_text.stdout
        bad = subprocess.run([qt, "-nosuchoption"], capture_output=True, text=True, timeout=30)
        assert_equal(bad.returncode, 1)
        assert_equal(bad.stderr.strip(), "Error: Error parsing command line arguments: Invalid parameter -nosuchoption")
        version = subprocess.run([qt, "-version"], capture_output=True, text=True, timeout=30)
        assert version.stdout.startswith("Hashvive GUI version"), version.stdout
        # Two payment URIs are one too many; the first is the GUI's, the second a stray token.
        uris = subprocess.run([qt, "-regtest", "bitcoin:%s" % URI_ADDRESS, "bitcoin:x"], capture_output=True,
                              text=True, timeout=30)
        assert_equal(uris.returncode, 1)
        assert "unexpected token 'bitcoin:x'" in uris.stderr, uris.stderr
        if self.is_gui_ipc_compiled():
            reset = subprocess.run([self.gui_path("hashvive-gui"), "-regtest", "-ipcconnect=unix", "-resetguisettings"],
                                   capture_output=True, text=True, timeout=30)
            assert_equal(reset.returncode, 1)
            assert "-resetguisettings resets the settings of a node this GUI starts" in reset.stderr, reset.stderr

    def test_intro(self):
        self.log.info("No data directory yet: the welcome dialog offers the default, the choice is kept and used")
        home = os.path.join(self.options.tmpdir, "intro-home")
        config = os.path.join(self.options.tmpdir, "intro-config")
        conf_file = os.path.join(config, "Hashvive", "Hashvive-Qt.conf")
        os.makedirs(home)
        argv = [self.gui_path("hashvive-qt"), "-regtest", "-listen=0", "-port=%d" % get_free_port(),
                "-rpcport=%d" % get_free_port()]

        def start_and_close(name):
            """Starts the GUI without -datadir, waits for its window, closes it."""
            shots, env = self.gui_env(name)
            env = {**os.environ, **env, "HOME": home, "XDG_CONFIG_HOME": config}
            gui = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            self.wait_for_screens(shots)
            gui.send_signal(signal.SIGTERM)
            out, err = gui.communicate(timeout=60)
            assert_equal((gui.returncode, err), (0, ""))
            return shots

        shots = start_and_close("intro")
        assert os.path.getsize(os.path.join(shots, "intro.png")) > 0, "the dialog was shown"
        with open(conf_file, encoding="utf-8") as f:
            assert_equal(f.read(), "[General]\nstrDataDir=%s\n" % os.path.join(home, ".hashvive"))
        assert os.path.isfile(os.path.join(home, ".hashvive", "regtest", "debug.log"))

        self.log.info("A kept choice that exists is used without asking")
        custom = os.path.join(self.options.tmpdir, "intro-custom")
        os.makedirs(custom)
        with open(conf_file, "w", encoding="utf-8") as f:
            f.write("[General]\nstrDataDir=%s\n" % custom)
        shots = start_and_close("intro-kept")
        assert not os.path.exists(os.path.join(shots, "intro.png")), "not asked again"
        assert os.path.isfile(os.path.join(custom, "regtest", "debug.log"))

    def pay_the_gui(self, gui):
        """Funds a second wallet of the GUI's node, then pays 1.5 BTC from it
        to wallet "gui" over RPC, mining nothing after the payment; the
        payment's txid and address."""
        gui.createwallet("gui")
        gui.createwallet("payer")
        payer = gui.get_wallet_rpc("payer")
        payer.generatetoaddress(101, payer.getnewaddress())
        address = gui.get_wallet_rpc("gui").getnewaddress()
        return payer.sendtoaddress(address, 1.5), address

    def check_payment_request(self, gui, shots, address):
        """The request the window makes for its pictures: a new address of
        wallet "gui" with the label typed, and the receive screen pictured."""
        info = gui.get_wallet_rpc("gui").getaddressinfo(address)
        assert info["ismine"] and info["labels"] == ["Pictured"], info
        self.wait_until(lambda: os.path.exists(os.path.join(shots, "request.png")))

    def test_qt(self):
        self.log.info("hashvive-qt: node and wallet in the GUI's process, RPC with -server, SIGTERM closes cleanly")
        # Started on login, as the settings screen would have arranged.
        autostart = os.path.join(self.options.tmpdir, "xdg-config", "autostart", "hashvive-regtest.desktop")
        os.makedirs(os.path.dirname(autostart))
        with open(autostart, "w", encoding="utf-8") as f:
            f.write("[Desktop Entry]\nType=Application\nName=Hashvive (regtest)\nExec=hashvive-qt -min -chain=regtest\n")
        # A payment URI after the options opens the send screen filled in.
        gui, shots = self.start_gui("hashvive-qt", ["-debug=qt", "hashvive:%s?amount=0.25&label=Shop" % URI_ADDRESS])
        assert_equal(child_pids(gui.process.pid), [])
        self.wait_until(lambda: "Payment URI: pay 0.25000000 BTC to %s" % URI_ADDRESS in read_log(gui))
        self.log.info("A link clicked while the GUI runs: the second start hands its URI to the first and exits 0")
        second = subprocess.run([self.gui_path("hashvive-qt"), "-datadir=%s" % gui.datadir,
                                 "bitcoin:%s?amount=0.75" % URI_ADDRESS],
                                capture_output=True, text=True, timeout=60, env=dict(os.environ, **self.gui_env("second")[1]))
        assert_equal((second.returncode, second.stdout, second.stderr), (0, "", ""))
        self.wait_until(lambda: "Payment URI: pay 0.75000000 BTC to %s" % URI_ADDRESS in read_log(gui))
        # The offscreen platform has no tray: the window does without its icon.
        self.wait_until(lambda: "System tray: none on this platform" in read_log(gui))
        self.log.info("The settings screen reads whether the desktop starts the GUI on login")
        self.wait_until(lambda: "Settings: start on login on (%s)" % autostart in read_log(gui))
        self.log.info("A payment sent by RPC appears on the overview as pending")
        txid, address = self.pay_the_gui(gui)
        self.wait_until(lambda: "Wallet gui: available 0.00000000 BTC, pending 1.50000000 BTC, immature 0.00000000 BTC"
                        in read_log(gui))
        shown = time.time()
        # The transactions screen lists it, read alone by the txid the wallet named (a new
        # tip's refresh may have shown the balances first).
        self.wait_until(lambda: "Wallet gui: %s Received with %s +1.50000000 BTC, 0/unconfirmed, in memory pool"
                        % (txid, address) in read_log(gui))
        assert "Wallet payer: available 48.49" in read_log(gui)
        self.wait_for_screens(shots)
        # The overview and the transactions are pictured again with the
        # payment, once the window's state settles after it.
        for name in ["balances.png", "history.png"]:
            path = os.path.join(shots, name)
            self.wait_until(lambda: os.path.exists(path) and os.path.getmtime(path) >= shown)
        self.log.info("The receive screen asks the wallet for a new address and shows its payment request")
        self.wait_until(lambda: "Payment request: bcrt1" in read_log(gui))
        [address] = re.findall(r"Payment request: (bcrt1\w+)", read_log(gui))
        self.check_payment_request(gui, shots, address)
        self.log.info("A wallet encrypted, unlocked and locked over RPC: the overview follows the wallet's word")
        payer = gui.get_wallet_rpc("payer")
        payer.encryptwallet("pw")
        self.wait_until(lambda: re.search(r"Wallet payer: available .*, locked\n", read_log(gui)))
        offset = gui.debug_log_bytes()
        payer.walletpassphrase("pw", 600)
        self.wait_until(lambda: re.search(r"Wallet payer: available .*, unlocked\n", read_log(gui, offset)))
        offset = gui.debug_log_bytes()
        # A shorter unlock replaces the first; the wallet locks itself when it ends.
        payer.walletpassphrase("pw", 1)
        self.wait_until(lambda: re.search(r"Wallet payer: available .*, locked\n", read_log(gui, offset)))
        gui.send_signal(signal.SIGTERM)
        gui.wait_until_stopped()
        log = read_log(gui)
        assert "(hashvive-qt)" in log and "Shutdown: done" in log
        assert not os.path.exists(os.path.join(gui.datadir, "regtest", "gui.sock")), "the URI socket goes with the GUI"

    def test_gui_spawned(self):
        self.log.info("hashvive-gui: hashvive-gui -> hashvive-node -> hashvive-wallet; -debug=ipc shows the GUI's calls")
        gui, shots = self.start_gui("hashvive-gui", ["-debug=ipc", "-debug=qt"])
        [node_pid] = child_pids(gui.process.pid)
        assert_equal(exe_name(node_pid), "hashvive-node")
        self.log.info("A payment sent by RPC reaches the GUI: the wallet process tells it, it asks the balances")
        txid, address = self.pay_the_gui(gui)
        [wallet_pid] = child_pids(node_pid)
        assert_equal(exe_name(wallet_pid), "hashvive-wallet")
        # The node passes the GUI's Wallet calls on to the wallet process and logs both legs.
        self.wait_until(lambda: re.search(r"WalletNotifications.transactionChanged\$Params(.*\n)*.*"
                                          r"Wallet.getBalances\$Results \(result = \(trusted = 0, "
                                          r"untrustedPending = 150000000, immature = 0\)\)", read_log(gui)))
        # And reads that one transaction for its transactions screen.
        self.wait_until(lambda: re.search(r"Wallet.getTransaction\$Results \(result = \[\(txid = .*, kind = received, "
                                          r"address = \"%s\", label = \"\", amount = 150000000, fee = 0, " % address,
                                          read_log(gui)))
        # The GUI's own process writes the node's debug.log too: its -debug=qt lines.
        self.wait_until(lambda: re.search(r"\{hashvive-gui-%d/[^}]*\} IPC client recv response +#\d+ Wallet.getTransaction"
                                          % gui.process.pid, read_log(gui)))
        self.wait_until(lambda: "Wallet gui: %s Received with %s +1.50000000 BTC" % (txid, address) in read_log(gui))
        gui.generatetoaddress(3, gui.get_wallet_rpc("gui").getnewaddress())
        # The spawned node logs once Node.start has read -debug=ipc: its answer is the first line.
        self.wait_until(lambda: all(line in read_log(gui) for line in [
            "IPC server send response #3 Node.start$Results", "IPC server recv request  #", "Node.status$Params",
            "IPC client send request  #", "NodeNotifications.blockTip$Params", "WalletLoader.getWallets$Results",
            "WalletLoaderNotifications.walletLoaded$Params",
            # The wallets screen lists what could be opened, from the wallet process.
            "WalletLoader.listWalletDir$Results",
            # The settings screen reads the node's settings.json.
            "Node.getSetting$Results"]))
        self.wait_for_screens(shots)
        self.log.info("The receive screen's new address comes from the wallet process, through the node")
        self.wait_until(lambda: "Wallet.getNewAddress$Results" in read_log(gui))
        [address] = re.findall(r"Wallet.getNewAddress\$Results \(result = \"(bcrt1\w+)\"\)", read_log(gui))[:1]
        self.check_payment_request(gui, shots, address)

        self.log.info("An idle GUI makes no IPC calls: it hears of changes, it does not poll")
        # The GUI's last balances: the payment confirmed, three coinbases (one with its fee) immature.
        self.wait_until(lambda: re.search(r"Wallet.getBalances\$Results \(result = \(trusted = 150000000, "
                                          r"untrustedPending = 0, immature = 150000\d{5}\)\)", read_log(gui)))
        # The block's tip and wallet notices reach the GUI in either order; let the last settle.
        self.wait_for_quiet_log(gui)
        offset = gui.debug_log_bytes()
        # An absence cannot be awaited: watch the node's log for a few seconds.
        time.sleep(IDLE_WATCH_SECONDS)
        idle = read_log(gui, offset)
        assert_equal(re.findall(r"IPC server recv request +#\d+ (?:Node|WalletLoader|Wallet)\.\w+", idle), [])

        self.log.info("A wallet unlocked over RPC and locked by its time: the wallet process tells the GUI each time")
        payer = gui.get_wallet_rpc("payer")
        payer.encryptwallet("pw")
        self.wait_until(lambda: "Wallet.getEncryption$Results (result = locked)" in read_log(gui))
        for seconds, state in [(600, "unlocked"), (1, "locked")]:
            offset = gui.debug_log_bytes()
            payer.walletpassphrase("pw", seconds)
            self.wait_until(lambda: re.search(r"WalletNotifications.statusChanged\$Params(.*\n)*.*"
                                              r"Wallet.getEncryption\$Results \(result = %s\)" % state,
                                              read_log(gui, offset)))

        self.log.info("A peer connecting: the GUI hears of it and reads the peer table")
        self.add_nodes(1, [[]])
        peer = self.nodes[-1]
        peer.start()
        peer.wait_for_rpc_connection()
        offset = gui.debug_log_bytes()
        self.connect_nodes(len(self.nodes) - 1, self.nodes.index(gui))
        self.wait_until(lambda: re.search(r"NodeNotifications.connectionsChanged\$Params \(context = .*, inbound = 1, "
                                          r"outbound = 0\)(.*\n)*.*Node.peers\$Results \(result = \[\(id = \d+, "
                                          r"address = \"127.0.0.1:\d+\", userAgent = \"/Hashvive:[^\"]*\(testnode",
                                          read_log(gui, offset)))
        peer.stop_node()

        self.log.info("`stop` over RPC ends the GUI and its processes with exit 0")
        gui.stop()
        gui.wait_until_stopped()
        self.wait_until(lambda: not pid_alive(node_pid) and not pid_alive(wallet_pid))

    def test_gui_attached(self):
        self.log.info("hashvive-gui -ipcconnect attaches to a running node and leaves it running when closed")
        self.add_nodes(1, [["-ipcbind=unix", "-debug=ipc"]], binary=self.ipc_node_path)
        node = self.nodes[-1]
        node.start()
        node.wait_for_rpc_connection()
        node.generatetoaddress(5, "bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5")
        shots, env = self.gui_env("attached")
        offset = node.debug_log_bytes()
        gui = subprocess.Popen([self.gui_path("hashvive-gui"), "-datadir=" + node.datadir, "-ipcconnect=unix"],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.wait_until(lambda: "Node.peers$Params" in read_log(node, offset))
        assert_equal(child_pids(gui.pid), [])
        self.wait_for_screens(shots)
        gui.send_signal(signal.SIGTERM)
        out, err = gui.communicate(timeout=60)
        assert_equal((gui.returncode, err), (0, b""))
        assert_equal(node.getblockcount(), 5)

        self.log.info("A GUI killed with SIGKILL leaves an attached node running")
        gui = subprocess.Popen([self.gui_path("hashvive-gui"), "-datadir=" + node.datadir, "-ipcconnect=unix"],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        offset = node.debug_log_bytes()
        self.wait_until(lambda: "Node.peers$Params" in read_log(node, offset))
        gui.kill()
        gui.wait(timeout=30)
        self.wait_until(lambda: "IPC server: socket disconnected" in read_log(node, offset))
        assert_equal(node.getblockcount(), 5)

        self.log.info("-ipcconnect to a socket nobody serves is an error before any window")
        missing = subprocess.run([self.gui_path("hashvive-gui"), "-datadir=" + node.datadir,
                                  "-ipcconnect=unix:nobody.sock"], env={**os.environ, **env},
                                 capture_output=True, text=True, timeout=30)
        assert_equal(missing.returncode, 1)
        assert missing.stderr.startswith("Error: Cannot connect to the node at unix:nobody.sock"), missing.stderr
        node.stop_node()

    def test_gui_loses_its_node(self):
        self.log.info("A spawned node that dies: the GUI says so and exits 1")
        gui, shots = self.start_gui("hashvive-gui")
        [node_pid] = child_pids(gui.process.pid)
        self.wait_for_screens(shots)
        os.kill(node_pid, signal.SIGKILL)
        gui.wait_until_stopped(expected_ret_code=1, expected_stderr="Error: The node process exited unexpectedly.")

    def test_gui_killed(self):
        self.log.info("A GUI killed with SIGKILL: its spawned node notices and shuts down cleanly")
        gui, _ = self.start_gui("hashvive-gui")
        [node_pid] = child_pids(gui.process.pid)
        gui.kill_process()
        self.wait_until(lambda: not pid_alive(node_pid))
        assert_greater_than(read_log(gui).count("Shutdown: done"), 0)


if __name__ == "__main__":
    GuiTest().main()
