# Types shared by several interfaces.

@0xcd2c6232cb484a28;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hashvive::ipc::messages");

struct BlockRef {
    # A block by hash (32 bytes, internal byte order) and height.
    hash @0 :Data;
    height @1 :Int32;
}
