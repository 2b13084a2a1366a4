# The first interface a process serves on a new connection. Ordinals @0-@4
# match the reference node so its clients connect unchanged; hashvive's own
# methods follow from @5.

@0xf2c5cfa319406aa6;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hashvive::ipc::messages");

using Proxy = import "/mp/proxy.capnp";
using Echo = import "echo.capnp";
using Mining = import "mining.capnp";
using Rpc = import "rpc.capnp";
using Chain = import "chain.capnp";
using Wallet = import "wallet.capnp";
using Node = import "node.capnp";

interface Init {
    construct @0 (threadMap :Proxy.ThreadMap) -> (threadMap :Proxy.ThreadMap);
    makeEcho @1 (context :Proxy.Context) -> (result :Echo.Echo);
    # Withdrawn upstream; answers an error.
    makeMiningOld2 @2 () -> ();
    makeMining @3 (context :Proxy.Context) -> (result :Mining.Mining);
    makeRpc @4 (context :Proxy.Context) -> (result :Rpc.Rpc);
    # The node's chain, for a wallet process that attaches to a running node.
    makeChain @5 (context :Proxy.Context) -> (result :Chain.Chain);
    # Starts wallets on `chain` with the options in `args` (a command line,
    # read with the same configuration file), in a wallet process the node spawned.
    makeWalletLoader @6 (context :Proxy.Context, chain :Chain.Chain, args :List(Text)) -> (result :Wallet.WalletLoader);
    # The node, for a GUI: one spawned for it (started with Node.start) or
    # one already running that it attached to.
    makeNode @7 (context :Proxy.Context) -> (result :Node.Node);
}
