# What a wallet needs from a node (Chain), what it hears back
# (ChainNotifications), and how it serves its RPC methods through the node's
# JSON-RPC server (RpcActor). Blocks and transactions are consensus-encoded;
# hashes are 32 bytes in internal byte order.

@0x983eddefef00c4ce;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hashvive::ipc::messages");

using Common = import "common.capnp";
using Handler = import "handler.capnp";
using Proxy = import "/mp/proxy.capnp";

interface Chain {
    destroy @0 (context :Proxy.Context) -> ();
    getTip @1 (context :Proxy.Context) -> (result :Common.BlockRef);
    getBlockHash @2 (context :Proxy.Context, height :Int32) -> (result :Data, hasResult :Bool);
    findBlock @3 (context :Proxy.Context, hash :Data, withData :Bool) -> (result :FoundBlock, hasResult :Bool);
    readBlocks @4 (context :Proxy.Context, startHeight :Int32, maxCount :UInt32) -> (result :List(Data));
    isInMempool @5 (context :Proxy.Context, txid :Data) -> (result :Bool);
    mempoolTransactions @6 (context :Proxy.Context) -> (result :List(Data));
    broadcastTransaction @7 (context :Proxy.Context, tx :Data, maxFee :Int64) -> (result :BroadcastResult);
    estimateSmartFee @8 (context :Proxy.Context, target :UInt32, conservative :Bool) -> (result :FeeEstimate, hasResult :Bool);
    relayMinFee @9 (context :Proxy.Context) -> (result :UInt64);
    mempoolMinFee @10 (context :Proxy.Context) -> (result :UInt64);
    isInitialBlockDownload @11 (context :Proxy.Context) -> (result :Bool);
    handleNotifications @12 (context :Proxy.Context, notifications :ChainNotifications) -> (result :Handler.Handler);
    handleRpc @13 (context :Proxy.Context, command :RpcCommand, actor :RpcActor) -> (result :Handler.Handler);
    # Each outpoint is a txid and an output index (36 bytes, as in a
    # transaction); each result a serialized output, empty when not found.
    findCoins @14 (context :Proxy.Context, outpoints :List(Data)) -> (result :List(Data));
    # Adds an item to a list setting of the node's settings.json (present),
    # or takes it out; false when the file cannot be written.
    editSettingsList @15 (context :Proxy.Context, name :Text, item :Text, present :Bool) -> (result :Bool);
    # The highest active block whose data was pruned; none when nothing was.
    getPruneHeight @16 (context :Proxy.Context) -> (result :Int32, hasResult :Bool);
}

interface ChainNotifications {
    destroy @0 (context :Proxy.Context) -> ();
    transactionAddedToMempool @1 (context :Proxy.Context, tx :Data) -> ();
    transactionRemovedFromMempool @2 (context :Proxy.Context, tx :Data, reason :RemovalReason) -> ();
    blockConnected @3 (context :Proxy.Context, block :Data, height :Int32) -> ();
    blockDisconnected @4 (context :Proxy.Context, block :Data, height :Int32) -> ();
    updatedBlockTip @5 (context :Proxy.Context, tip :Common.BlockRef) -> ();
}

interface RpcActor {
    destroy @0 (context :Proxy.Context) -> ();
    call @1 (context :Proxy.Context, call :RpcCall) -> (result :Text, fault :RpcFault, hasFault :Bool);
}

struct FoundBlock {
    hash @0 :Data;
    height @1 :Int32;
    time @2 :Int64;
    medianTimePast @3 :Int64;
    inActiveChain @4 :Bool;
    data @5 :Data;
    hasData @6 :Bool;
}

struct FeeEstimate {
    satPerKvb @0 :UInt64;
    blocks @1 :UInt32;
}

struct BroadcastResult {
    # The node's verdict: `ok`, or why it refused the transaction.
    error @0 :BroadcastError;
    # The mempool's reason, for `rejected`.
    reason @1 :Text;
}

enum BroadcastError {
    ok @0;
    missingInputs @1;
    alreadyInChain @2;
    maxFeeExceeded @3;
    rejected @4;
}

enum RemovalReason {
    expiry @0;
    sizeLimit @1;
    reorg @2;
    block @3;
    conflict @4;
    replaced @5;
}

struct RpcCommand {
    name @0 :Text;
    category @1 :Text;
    signature @2 :Text;
    help @3 :Text;
}

struct RpcCall {
    method @0 :Text;
    # The request's `params` as JSON text.
    params @1 :Text;
    uri @2 :Text;
    user @3 :Text;
}

struct RpcFault {
    code @0 :Int32;
    message @1 :Text;
}
