#!/usr/bin/env python3
"""GUI benchmarks on regtest, on Qt's offscreen platform (no display needed).

Measures, and prints one line per figure, for hashvive-qt and hashvive-gui:
  ready      time from exec to a usable window with the node ready: the
             moment the window, once the node answered, saved its first
             picture (HASHVIVE_GUI_SCREENSHOTS), median of --runs starts on a
             fresh data directory
  rss        resident memory of the GUI process once ready (and, for
             hashvive-gui, of the hashvive-node and hashvive-wallet it spawned)
  idle_ipc   IPC requests per second the GUI makes of its node while idle,
             counted in the node's -debug=ipc log over --idle seconds
             (hashvive-qt has no IPC: its node is in the same process)

Usage: test/bench/gui_bench.py --bindir build/src [--runs 5] [--idle 30]
Build with a release profile first (cmake -DCMAKE_BUILD_TYPE=Release, the default).
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "functional"))
from test_framework.util import child_pids  # noqa: E402

POLL = 0.005


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))


def start(exe, datadir, shots, extra=()):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HASHVIVE_GUI_SCREENSHOTS=shots,
               XDG_RUNTIME_DIR=tempfile.mkdtemp(prefix="xdg-"))
    os.makedirs(shots, exist_ok=True)
    args = [exe, "-regtest", "-datadir=" + datadir, "-listen=0", "-dnsseed=0", "-fixedseeds=0"] + list(extra)
    began = time.monotonic()
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    first = os.path.join(shots, "overview.png")
    while not os.path.exists(first):
        if process.poll() is not None:
            sys.exit("%s exited with %d before its window was ready" % (exe, process.returncode))
        if time.monotonic() - began > 120:
            process.kill()
            sys.exit("%s: no window after 120 s" % exe)
        time.sleep(POLL)
    return process, time.monotonic() - began


def stop(process):
    process.send_signal(signal.SIGTERM)
    if process.wait(timeout=60) != 0:
        sys.exit("the GUI exited with %d" % process.returncode)


def bench(exe, runs, idle, work):
    name = os.path.basename(exe)
    times = []
    for run in range(runs):
        datadir = os.path.join(work, "%s-%d" % (name, run))
        os.makedirs(datadir)
        process, ready = start(exe, datadir, os.path.join(datadir, "shots"))
        times.append(ready)
        if run == runs - 1:
            # Let the window settle (the rest of its pictures) before measuring memory.
            time.sleep(2)
            line = "%-12s rss        GUI process %.1f MiB" % (name, rss_kib(process.pid) / 1024)
            for child in child_pids(process.pid):
                grandchildren = child_pids(child)
                line += "; node %.1f MiB" % (rss_kib(child) / 1024)
                for g in grandchildren:
                    line += "; wallet %.1f MiB" % (rss_kib(g) / 1024)
            print(line)
        stop(process)
    print("%-12s ready      %.0f ms (median of %d; min %.0f, max %.0f)" % (
        name, statistics.median(times) * 1000, runs, min(times) * 1000, max(times) * 1000))

    if name == "hashvive-gui":
        datadir = os.path.join(work, "idle")
        os.makedirs(datadir)
        process, _ = start(exe, datadir, os.path.join(datadir, "shots"), ["-debug=ipc"])
        time.sleep(2)
        log = os.path.join(datadir, "regtest", "debug.log")
        offset = os.path.getsize(log)
        time.sleep(idle)
        with open(log, "rb") as f:
            f.seek(offset)
            calls = len(re.findall(rb"IPC server recv request +#\d+ Node\.", f.read()))
        stop(process)
        print("%-12s idle_ipc   %d calls in %d s = %.2f calls/s" % (name, calls, idle, calls / idle))
    else:
        print("%-12s idle_ipc   none (the node is in the GUI's process)" % name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bindir", required=True, help="directory with hashvive-qt and hashvive-gui")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=int, default=30, help="seconds to count idle IPC calls")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gui-bench-") as work:
        for name in ["hashvive-qt", "hashvive-gui"]:
            exe = os.path.join(args.bindir, name)
            if os.path.exists(exe):
                bench(exe, args.runs, args.idle, work)
            else:
                print("%-12s not built" % name)


if __name__ == "__main__":
    main()
