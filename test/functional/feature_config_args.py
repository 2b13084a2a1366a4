#!/usr/bin/env python3
"""Command line and config file handling: errors, sections, precedence, includes."""

import os
import subprocess

from test_framework.test_framework import HashviveTestFramework
from test_framework.test_node import ErrorMatch
from test_framework.util import assert_equal, write_config


class ConfigArgsTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        self.stop_node(0)

        self.log.info("Unknown options are rejected with the reference's message")
        node.assert_start_raises_init_error(
            ["-nonexistentoption"],
            "Error: Error parsing command line arguments: Invalid parameter -nonexistentoption")
        node.assert_start_raises_init_error(
            ["-regtest.port=1"],
            "Error: Error parsing command line arguments: Invalid parameter -regtest.port=1")
        node.assert_start_raises_init_error(
            ["-includeconf=x.conf"],
            "Error: Error parsing command line arguments: -includeconf cannot be used from commandline; -includeconf=x.conf")
        node.assert_start_raises_init_error(
            ["stray"],
            "Error: Command line contains unexpected token 'stray', see %s -h for a list of options."
            % os.path.basename(self.daemon_path))

        self.log.info("A missing data directory is an error")
        missing = os.path.join(self.options.tmpdir, "nope")
        node.assert_start_raises_init_error(
            ["-datadir=" + missing], 'Error: Specified data directory "%s" does not exist.' % missing)

        self.log.info("Config file errors name the line")
        conf = node.conf_path
        with open(conf, encoding="utf-8") as f:
            original = f.read()
        for text, msg in [
            ("-dash=1\n", "Error: Error reading configuration file: parse error on line 1: -dash=1, options in configuration file must be specified without leading -"),
            ("nono\n", "Error: Error reading configuration file: parse error on line 1: nono, if you intended to specify a negated option, use nono=1 instead"),
            ("rpcpassword=abc#def\n", "Error: Error reading configuration file: parse error on line 1, using # in rpcpassword can be ambiguous and should be avoided"),
            ("testnet=1\n", "Error: Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one."),
            ("includeconf=missing.conf\n", "Error: Error reading configuration file: Failed to include configuration file missing.conf"),
        ]:
            with open(conf, "w", encoding="utf-8") as f:
                f.write(text + original)
            node.assert_start_raises_init_error([], msg)
        with open(conf, "w", encoding="utf-8") as f:
            f.write(original)

        self.log.info("-conf naming a missing file is an error")
        node.assert_start_raises_init_error(
            ["-conf=absent.conf"],
            'Error: Error reading configuration file: specified config file "%s" could not be opened.'
            % os.path.join(node.datadir, "absent.conf"))

        self.log.info("Unknown config values are ignored and logged")
        with open(conf, "a", encoding="utf-8") as f:
            f.write("frobnicate=1\n")
        with node.assert_debug_log(["Ignoring unknown configuration value frobnicate"]):
            self.start_node(0)
        self.stop_node(0)

        self.log.info("Network-only options outside a section apply to mainnet only")
        with open(conf, "w", encoding="utf-8") as f:
            # The framework's [regtest] section sets bind, which would silence this for -bind.
            f.write("connect=0\n" + original)
        with node.assert_debug_log(["Config setting for -connect only applied on regtest network when in [regtest] section."]):
            self.start_node(0)
        self.stop_node(0)

        self.log.info("includeconf files are read, nested includes are not")
        write_config(os.path.join(node.datadir, "inc.conf"), ["uacomment=included", "includeconf=nested.conf"])
        with open(conf, "w", encoding="utf-8") as f:
            f.write("includeconf=inc.conf\n" + original)
        with node.assert_debug_log(["-includeconf cannot be used from included files; ignoring -includeconf=nested.conf"]):
            self.start_node(0)
        self.stop_node(0)
        with open(conf, "w", encoding="utf-8") as f:
            f.write(original)

        self.log.info("Double negatives are accepted with a warning")
        with node.assert_debug_log(["Warning: parsed potentially confusing double-negative -noprinttoconsole=0"]):
            self.start_node(0, ["-noprinttoconsole=0"])
        self.stop_node(0)

        self.log.info("The command line overrides the config file")
        self.start_node(0, ["-rpcport=%d" % node.rpc_port])
        assert_equal(node.uptime() >= 0, True)
        self.stop_node(0)

        self.log.info("Unsupported logging categories are errors")
        node.assert_start_raises_init_error(["-debug=nosuchcategory"],
                                            "Error: Unsupported logging category -debug=nosuchcategory.")
        node.assert_start_raises_init_error(["-loglevel=loud"],
                                            "Error: Unsupported global logging level -loglevel=loud. Valid values: info, debug, trace.")
        node.assert_start_raises_init_error(["-rpcport=70000"], "Error: Invalid port specified in -rpcport: '70000'")
        node.assert_start_raises_init_error(["-rpcallowip=1.2.3.4/99"], "Invalid -rpcallowip subnet specification: 1.2.3.4/99",
                                            match=ErrorMatch.PARTIAL_REGEX)

        self.log.info("A second node on the same data directory is refused")
        self.start_node(0)
        second = subprocess.run([self.daemon_path, "-datadir=" + node.datadir, "-rpcport=%d" % node.p2p_port],
                                capture_output=True, text=True, timeout=60)
        assert_equal(second.returncode, 1)
        assert "Hashvive is probably already running." in second.stderr
        self.stop_node(0)


if __name__ == "__main__":
    ConfigArgsTest().main()
