#!/usr/bin/env python3
"""deriveaddresses and getdescriptorinfo."""

from test_framework.descriptors import descsum_create
from test_framework.test_framework import HashviveTestFramework
from test_framework.util import assert_equal, assert_raises_rpc_error

TPRV = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK"
TPUB = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B"
PUBKEY = "03a34b99f22c790c4e36b2b3c2c35a36db06226e41c692fc82b8b56ac1c540c5bd"


class DeriveaddressesTest(HashviveTestFramework):
    def set_test_params(self):
        self.num_nodes = 1

    def run_test(self):
        node = self.nodes[0]
        assert_raises_rpc_error(-5, "Missing checksum", node.deriveaddresses, "a")

        self.log.info("the reference's vectors")
        descriptor = "wpkh(%s/1/1/0)#t6wfjs64" % TPRV
        address = "bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5"
        assert_equal(node.deriveaddresses(descriptor), [address])
        assert_raises_rpc_error(-5, "Missing checksum", node.deriveaddresses, descriptor[:-9])
        assert_equal(node.deriveaddresses("wpkh(%s/1/1/0)#s9ga3alw" % TPUB), [address])

        ranged = "wpkh(%s/1/1/*)#kft60nuy" % TPRV
        addr1, addr2 = "bcrt1qhku5rq7jz8ulufe2y6fkcpnlvpsta7rq4442dy", "bcrt1qpgptk2gvshyl0s9lqshsmx932l9ccsv265tvaq"
        assert_equal(node.deriveaddresses(ranged, [1, 2]), [addr1, addr2])
        assert_equal(node.deriveaddresses(ranged, 2), [address, addr1, addr2])

        self.log.info("range errors")
        unranged = descsum_create("wpkh(%s/1/1/0)" % TPRV)
        ranged = descsum_create("wpkh(%s/1/1/*)" % TPRV)
        assert_raises_rpc_error(-8, "Range should not be specified for an un-ranged descriptor", node.deriveaddresses, unranged, [0, 2])
        assert_raises_rpc_error(-8, "Range must be specified for a ranged descriptor", node.deriveaddresses, ranged)
        assert_raises_rpc_error(-8, "End of range is too high", node.deriveaddresses, ranged, 10000000000)
        assert_raises_rpc_error(-8, "Range is too large", node.deriveaddresses, ranged, [1000000000, 2000000000])
        assert_raises_rpc_error(-8, "Range specified as [begin,end] must not have begin after end", node.deriveaddresses, ranged, [2, 0])
        assert_raises_rpc_error(-8, "Range should be greater or equal than 0", node.deriveaddresses, ranged, [-1, 0])
        assert_raises_rpc_error(-8, "Range must be specified as end or as [begin,end]", node.deriveaddresses, ranged, [1])

        self.log.info("descriptors without an address")
        assert_raises_rpc_error(-5, "Descriptor does not have a corresponding address", node.deriveaddresses, descsum_create("pk(%s)" % PUBKEY))
        assert_raises_rpc_error(-5, "Descriptor does not have a corresponding address", node.deriveaddresses, descsum_create("raw(6a)"))
        assert_equal(node.deriveaddresses(descsum_create("raw(0014751e76e8199196d454941c45d1b3a323f1433bd6)")),
                     ["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"])
        assert_equal(node.deriveaddresses(descsum_create("addr(bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080)")),
                     ["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"])

        self.log.info("checksum errors")
        assert_raises_rpc_error(-5, "Expected 8 character checksum, not 3 characters", node.deriveaddresses, "raw(6a)#abc")
        assert_raises_rpc_error(-5, "Multiple '#' symbols", node.deriveaddresses, "raw(6a)#a#b")
        bad = "raw(6a)#" + ("q" * 8 if not descsum_create("raw(6a)").endswith("q" * 8) else "p" * 8)
        assert_raises_rpc_error(-5, "Provided checksum '%s' does not match computed checksum '%s'" % (bad[-8:], descsum_create("raw(6a)")[-8:]),
                                node.deriveaddresses, bad)

        self.log.info("getdescriptorinfo")
        info = node.getdescriptorinfo("wpkh(%s/1/1/*)" % TPRV)
        assert_equal(info["descriptor"], descsum_create("wpkh(%s/1/1/*)" % TPUB))
        assert_equal(info["checksum"], "kft60nuy")
        assert_equal((info["isrange"], info["issolvable"], info["hasprivatekeys"]), (True, True, True))
        assert_equal(list(info.keys()), ["descriptor", "checksum", "isrange", "issolvable", "hasprivatekeys"])
        info = node.getdescriptorinfo("addr(BCRT1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KYGT080)")
        assert_equal(info["descriptor"], descsum_create("addr(bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080)"))
        assert_equal((info["isrange"], info["issolvable"], info["hasprivatekeys"]), (False, False, False))
        info = node.getdescriptorinfo("raw(6A)")
        assert_equal((info["descriptor"], info["checksum"]), (descsum_create("raw(6a)"), descsum_create("raw(6A)")[-8:]))
        info = node.getdescriptorinfo("sh(multi(1,%s))" % PUBKEY)
        assert_equal(info["descriptor"], descsum_create("sh(multi(1,%s))" % PUBKEY))
        assert_equal(info["hasprivatekeys"], False)
        info = node.getdescriptorinfo("wpkh(%s/<0;1>/*)" % TPUB)
        assert_equal(info["descriptor"], descsum_create("wpkh(%s/0/*)" % TPUB))
        assert_equal(info["multipath_expansion"], [descsum_create("wpkh(%s/0/*)" % TPUB), descsum_create("wpkh(%s/1/*)" % TPUB)])
        assert_raises_rpc_error(-5, "Address is not valid", node.getdescriptorinfo, "addr(notanaddress)")
        assert_raises_rpc_error(-5, "Raw script is not hex", node.getdescriptorinfo, "raw(zz)")
        assert_raises_rpc_error(-5, None, node.getdescriptorinfo, "nosuch(0)")


if __name__ == "__main__":
    DeriveaddressesTest().main()
