# What a GUI needs from a node, in its own process or one it attached to.

@0xb3e5fe809dcc5f8d;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hashvive::ipc::messages");

using Proxy = import "/mp/proxy.capnp";
using Common = import "common.capnp";
using Chain = import "chain.capnp";
using Handler = import "handler.capnp";
using Wallet = import "wallet.capnp";

interface Node {
    destroy @0 (context :Proxy.Context) -> ();
    # Starts a node spawned for a GUI with `args` (a command line, read with
    # the configuration file it names); returns once it serves, or fails with
    # the start-up error. A running node refuses.
    start @1 (context :Proxy.Context, args :List(Text)) -> ();
    status @2 (context :Proxy.Context) -> (result :NodeStatus);
    peers @3 (context :Proxy.Context) -> (result :List(PeerSummary));
    setNetworkActive @4 (context :Proxy.Context, active :Bool) -> ();
    # A JSON-RPC call as if sent over HTTP to `uri`; params and result are
    # JSON text. A JSON-RPC error comes back in `fault`.
    executeRpc @5 (context :Proxy.Context, method :Text, params :Text, uri :Text)
        -> (result :Text, fault :Chain.RpcFault, hasFault :Bool);
    listRpcCommands @6 (context :Proxy.Context) -> (result :List(Text));
    handleNotifications @7 (context :Proxy.Context, notifications :NodeNotifications) -> (result :Handler.Handler);
    # Requests shutdown; returns once a node this process runs has stopped.
    shutdown @8 (context :Proxy.Context) -> ();
    # The node's wallets (in the wallet process it spawned, if so); fails on
    # a node without wallets.
    walletLoader @9 (context :Proxy.Context) -> (result :Wallet.WalletLoader);
    # A setting of the node's settings.json as JSON text; none if unset.
    getSetting @10 (context :Proxy.Context, name :Text) -> (result :List(Text));
    # Sets a setting (JSON text), or removes it when value is empty (no list entry).
    updateSetting @11 (context :Proxy.Context, name :Text, value :List(Text)) -> ();
}

interface NodeNotifications {
    destroy @0 (context :Proxy.Context) -> ();
    initMessage @1 (context :Proxy.Context, message :Text) -> ();
    blockTip @2 (context :Proxy.Context, status :NodeStatus) -> ();
    shuttingDown @3 (context :Proxy.Context) -> ();
    connectionsChanged @4 (context :Proxy.Context, inbound :UInt32, outbound :UInt32) -> ();
    networkActiveChanged @5 (context :Proxy.Context, active :Bool) -> ();
}

struct NodeStatus {
    tip @0 :Common.BlockRef;
    tipTime @1 :Int64;
    headers @2 :Int32;
    initialBlockDownload @3 :Bool;
    connectionsIn @4 :UInt32;
    connectionsOut @5 :UInt32;
    networkActive @6 :Bool;
    bytesRecv @7 :UInt64;
    bytesSent @8 :UInt64;
    mempoolTransactions @9 :UInt64;
    mempoolUsage @10 :UInt64;
}

struct PeerSummary {
    id @0 :Int64;
    address @1 :Text;
    userAgent @2 :Text;
    inbound @3 :Bool;
    connectionType @4 :Text;
    pingSeconds @5 :Float64;
    hasPingSeconds @6 :Bool;
    bytesRecv @7 :UInt64;
    bytesSent @8 :UInt64;
    syncedBlocks @9 :Int32;
    connectedSince @10 :Int64;
}
