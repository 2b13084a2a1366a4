# What a node needs from the process running its wallets.

@0x87aabe41f63d0745;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hashvive::ipc::messages");

using Proxy = import "/mp/proxy.capnp";

interface WalletLoader {
    destroy @0 (context :Proxy.Context) -> ();
    # Offers the wallet RPC methods through the node and loads the wallets
    # the options name; an error (with its text) if that fails.
    start @1 (context :Proxy.Context) -> ();
    # Names of the loaded wallets.
    listWallets @2 (context :Proxy.Context) -> (result :List(Text));
    # Closes every wallet and withdraws the RPC methods.
    stop @3 (context :Proxy.Context) -> ();
}
