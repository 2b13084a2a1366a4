#!/usr/bin/env python3
"""Run the hashvive functional tests in parallel and summarize the results.

Usage: test_runner.py [options] [TEST ...] [--test-option ...]

TEST selects tests by file name, with or without ".py", and may be a glob
("rpc_*").  Without TESTs every script in this directory whose name matches
TEST_NAME_RE is run.  Arguments starting with "-" that this runner does not
know (e.g. --tracerpc, --nocleanup, --timeout-factor=2) are passed on to
every test; give their values with "=".

Each test gets --tmpdir=<tmpdirprefix>/test_runner_<timestamp>/<test> and
--configfile.  Exit status: 0 when at least one test ran and none failed,
1 otherwise.  Binaries are chosen by the tests (HASHVIVED, HASHVIVECLI and
HASHVIVEWALLET in the environment are passed through).
"""

import argparse
import fnmatch
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TEST_NAME_RE = re.compile(r"^(feature|interface|rpc|tool|p2p|wallet|mining|mempool|ipc|example)_.*\.py$")

EXIT_PASSED = 0
EXIT_SKIPPED = 77


def _symbols():
    """Status symbols, falling back to ASCII when stdout cannot encode them."""
    fancy = {"Passed": "✓ Passed", "Failed": "✖ Failed", "Skipped": "○ Skipped"}
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "".join(fancy.values()).encode(encoding)
        return fancy
    except (UnicodeEncodeError, LookupError):
        return {"Passed": "+ Passed", "Failed": "x Failed", "Skipped": "o Skipped"}


class Job:
    """One running test script."""

    def __init__(self, name, argv, tmpdir, log_path, env):
        self.name = name
        self.tmpdir = tmpdir
        self.log_path = log_path
        self.start = time.monotonic()
        self.duration = 0
        self.status = None
        self._log = open(log_path, "w+b")
        # Own session/process group, so the whole tree (the test and the
        # daemons it started) can be killed together.
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env, start_new_session=True)

    def poll(self):
        rc = self.proc.poll()
        if rc is None:
            return None
        self.finish(rc)
        return rc

    def finish(self, rc):
        self.duration = int(round(time.monotonic() - self.start))
        if rc == EXIT_PASSED:
            self.status = "Passed"
        elif rc == EXIT_SKIPPED:
            self.status = "Skipped"
        else:
            self.status = "Failed"
        self.returncode = rc
        self._log.close()

    def kill(self):
        """Kill the test's whole process group and reap it."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def output(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def discover(test_dir):
    return sorted(name for name in os.listdir(test_dir)
                  if TEST_NAME_RE.match(name) and os.path.isfile(os.path.join(test_dir, name)))


def select(all_tests, selectors, excludes):
    """Apply positional selectors and --exclude patterns (names or globs)."""
    def normalize(pattern):
        pattern = os.path.basename(pattern.rstrip("/"))
        return pattern if pattern.endswith(".py") or pattern.endswith("*") else pattern + ".py"

    if selectors:
        chosen = []
        for sel in selectors:
            pattern = normalize(sel)
            matches = [t for t in all_tests if fnmatch.fnmatchcase(t, pattern)]
            if not matches:
                print("WARNING: test %r not found" % sel, file=sys.stderr)
            chosen += [t for t in matches if t not in chosen]
    else:
        chosen = list(all_tests)
    for item in excludes:
        for pattern in filter(None, (p.strip() for p in item.split(","))):
            pattern = normalize(pattern)
            chosen = [t for t in chosen if not fnmatch.fnmatchcase(t, pattern)]
    return chosen


def main():
    test_dir = os.path.abspath(os.path.dirname(sys.argv[0]))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tests", nargs="*", metavar="TEST", help="tests to run (names or globs)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                        help="number of tests to run in parallel (default: %(default)s)")
    parser.add_argument("--tmpdirprefix", default=tempfile.gettempdir(),
                        help="directory for the test datadirs (default: %(default)s)")
    parser.add_argument("--failfast", action="store_true", help="stop at the first failing test")
    parser.add_argument("--exclude", action="append", default=[],
                        help="comma-separated tests to exclude (names or globs); may be repeated")
    parser.add_argument("--configfile", default=os.path.join(test_dir, "..", "config.ini"),
                        help="config.ini passed to each test (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=0,
                        help="kill a test that runs longer than this many seconds (default: no limit)")
    args, passthrough = parser.parse_known_args()
    unknown = [a for a in passthrough if not a.startswith("-")]
    if unknown:
        parser.error("unrecognized arguments: %s" % " ".join(unknown))
    tests = select(discover(test_dir), args.tests, args.exclude)
    if not tests:
        print("No tests to run.", file=sys.stderr)
        print("0 passed, 0 failed")
        return 1
    jobs = max(1, min(args.jobs, len(tests)))

    run_dir = os.path.join(os.path.abspath(args.tmpdirprefix),
                           "test_runner_" + time.strftime("%Y%m%d_%H%M%S"))
    base, n = run_dir, 1
    while os.path.exists(run_dir):
        run_dir = "%s_%d" % (base, n)
        n += 1
    os.makedirs(run_dir)
    configfile = os.path.abspath(args.configfile)
    symbols = _symbols()
    print("Temporary test directory at %s" % run_dir)
    print("Running %d test%s with %d job%s" % (len(tests), "" if len(tests) == 1 else "s",
                                              jobs, "" if jobs == 1 else "s"))
    sys.stdout.flush()

    pending = list(tests)
    running = []
    done = []
    start_time = time.monotonic()
    stop_launching = False
    try:
        while pending or running:
            while pending and not stop_launching and len(running) < jobs:
                name = pending.pop(0)
                test_name = name[:-3]
                argv = [sys.executable, os.path.join(test_dir, name),
                        "--tmpdir=" + os.path.join(run_dir, test_name),
                        "--configfile=" + configfile] + passthrough
                running.append(Job(name, argv, os.path.join(run_dir, test_name),
                                   os.path.join(run_dir, test_name + ".log"), os.environ.copy()))
            if not running:
                break
            time.sleep(0.05)
            for job in list(running):
                rc = job.poll()
                if rc is None and args.timeout and time.monotonic() - job.start > args.timeout:
                    job.kill()
                    job.finish(job.proc.returncode)
                    job.status = "Failed"
                    job.timed_out = True
                    rc = job.proc.returncode
                if rc is None:
                    continue
                running.remove(job)
                done.append(job)
                print("%s | %s | %d s" % (job.name, symbols[job.status], job.duration))
                if job.status == "Failed":
                    print_failure(job)
                    if args.failfast:
                        stop_launching = True
                        for other in running:
                            other.kill()
                            other.finish(other.proc.returncode)
                            other.status = "Failed"
                            print("%s | %s | %d s (killed by --failfast)"
                                  % (other.name, symbols["Failed"], other.duration))
                            done.append(other)
                        running = []
                        break
            sys.stdout.flush()
    except KeyboardInterrupt:
        for job in running:
            job.kill()
        print("\nInterrupted.")
        return 1

    total = int(round(time.monotonic() - start_time))
    passed = sum(1 for j in done if j.status == "Passed")
    failed = sum(1 for j in done if j.status == "Failed")
    skipped = sum(1 for j in done if j.status == "Skipped")
    not_run = [t for t in pending]

    order = {"Failed": 0, "Passed": 1, "Skipped": 2}
    width = max([len("TEST")] + [len(j.name) for j in done]) + 1
    print()
    print("%-*s| %-10s| %s" % (width, "TEST", "STATUS", "DURATION"))
    print()
    for job in sorted(done, key=lambda j: (order[j.status], j.name)):
        print("%-*s| %-10s| %d s" % (width, job.name, symbols[job.status], job.duration))
    for name in not_run:
        print("%-*s| %-10s| -" % (width, name, "Not run"))
    print()
    print("Runtime: %d s" % total)

    # Keep the output of failed tests (<run_dir>/<test>.log) next to their
    # datadirs; remove the run directory when nothing is left in it (tests
    # remove their own tmpdir unless they failed or were told not to).
    for job in done:
        if job.status != "Failed":
            try:
                os.remove(job.log_path)
            except OSError:
                pass
    try:
        os.rmdir(run_dir)
    except OSError:
        print("Test directories and logs kept in %s" % run_dir)

    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    sys.stdout.flush()
    return 0 if done and failed == 0 and not not_run else 1


def print_failure(job):
    how = "timed out" if getattr(job, "timed_out", False) else "exit code %s" % job.returncode
    print("\n==== %s failed (%s); output: ====" % (job.name, how))
    sys.stdout.write(job.output())
    print("==== end of %s output ====\n" % job.name)


if __name__ == "__main__":
    sys.exit(main())
