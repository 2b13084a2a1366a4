# What a node needs from the process running its wallets.

@0x87aabe41f63d0745;

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("hashvive::ipc::messages");

using Proxy = import "/mp/proxy.capnp";
using Handler = import "handler.capnp";

interface WalletLoader {
    destroy @0 (context :Proxy.Context) -> ();
    # Offers the wallet RPC methods through the node and loads the wallets
    # the options name; an error (with its text) if that fails.
    start @1 (context :Proxy.Context) -> ();
    # Names of the loaded wallets.
    listWallets @2 (context :Proxy.Context) -> (result :List(Text));
    # Closes every wallet and withdraws the RPC methods.
    stop @3 (context :Proxy.Context) -> ();
    # The loaded wallets, for a GUI.
    getWallets @4 (context :Proxy.Context) -> (result :List(Wallet));
    # Tells `notifications` of each wallet loaded from now on, until the
    # handler is destroyed.
    handleLoadWallet @5 (context :Proxy.Context, notifications :WalletLoaderNotifications) -> (result :Handler.Handler);
}

interface WalletLoaderNotifications {
    destroy @0 (context :Proxy.Context) -> ();
    walletLoaded @1 (context :Proxy.Context, wallet :Wallet) -> ();
}

# One loaded wallet, for a GUI. Calls on a wallet unloaded since fail with
# the reason.
interface Wallet {
    destroy @0 (context :Proxy.Context) -> ();
    getName @1 (context :Proxy.Context) -> (result :Text);
    getBalances @2 (context :Proxy.Context) -> (result :WalletBalances);
    # Tells `notifications` of the wallet's transactions that arrive,
    # confirm, leave the mempool or are reorganised away, until the handler
    # is destroyed.
    handleNotifications @3 (context :Proxy.Context, notifications :WalletNotifications) -> (result :Handler.Handler);
    # A new receiving address of the wallet's default type, with a label.
    getNewAddress @4 (context :Proxy.Context, label :Text) -> (result :Text);
    # Builds and signs a payment without sending it.
    createTransaction @5 (context :Proxy.Context, payment :Payment) -> (result :PreparedTransaction);
    # Sends a transaction createTransaction made and records it; its txid.
    commitTransaction @6 (context :Proxy.Context, tx :Data) -> (result :Data);
}

interface WalletNotifications {
    destroy @0 (context :Proxy.Context) -> ();
    transactionChanged @1 (context :Proxy.Context, txid :Data) -> ();
    # The wallet was unloaded; nothing more comes.
    unloaded @2 (context :Proxy.Context) -> ();
}

# Satoshis, as getbalances counts them ("mine").
struct WalletBalances {
    trusted @0 :Int64;
    untrustedPending @1 :Int64;
    immature @2 :Int64;
}

struct Payment {
    recipients @0 :List(Recipient);
    fee :union {
        # The wallet's settxfee rate, else an estimate for -txconfirmtarget.
        walletDefault @1 :Void;
        # An estimate for confirmation within this many blocks.
        confTarget @2 :UInt32;
        satPerKvb @3 :UInt64;
    }
    # BIP125 replaceable.
    replaceable @4 :Bool;
}

struct Recipient {
    address @0 :Text;
    # Satoshis.
    amount @1 :Int64;
    # The recipient pays (a share of) the fee out of the amount.
    subtractFee @2 :Bool;
}

# A signed transaction not yet sent.
struct PreparedTransaction {
    tx @0 :Data;
    # Satoshis.
    fee @1 :Int64;
}
