# The threading and context conventions of libmultiprocess, which the reference
# node's IPC clients speak. The file ID and the names below fix the type IDs on
# the wire, so they must not change.

@0xcc316e3f71a040fb;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("mp");

interface ThreadMap {
    # Lets a client choose which server thread runs its calls: it makes named
    # threads and passes one in each call's Context.
    makeThread @0 (name :Text) -> (result :Thread);
    # A pool of `count` threads for calls that name no thread.
    makePool @1 (count :UInt32) -> ();
}

interface Thread {
    # One server thread, as made by makeThread.
    getName @0 () -> (result :Text);
}

struct Context {
    # Passed as the first parameter of calls that may block.
    thread @0 :Thread;
    # The server thread the call runs on.
    callbackThread @1 :Thread;
    # The client thread making the call, for callbacks the server makes.
}
