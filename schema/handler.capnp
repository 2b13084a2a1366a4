# A registration (of chain notifications, of RPC methods) that the holder
# undoes by calling `disconnect` or `destroy`, or by letting go of it.

@0xe8a08fbec903055b;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hashvive::ipc::messages");

using Proxy = import "/mp/proxy.capnp";

interface Handler {
    destroy @0 (context :Proxy.Context) -> ();
    disconnect @1 (context :Proxy.Context) -> ();
}
