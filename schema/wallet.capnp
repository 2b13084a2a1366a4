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
    # Creates and loads a wallet, loaded at start from now on.
    createWallet @6 (context :Proxy.Context, name :Text, options :WalletCreation) -> (result :Wallet);
    # Loads a wallet, and at start from now on.
    loadWallet @7 (context :Proxy.Context, name :Text) -> (result :Wallet);
    # The wallets in the wallet directory, loaded or not.
    listWalletDir @8 (context :Proxy.Context) -> (result :List(Text));
}

struct WalletCreation {
    # Encrypted from the start under this passphrase; none if empty.
    passphrase @0 :Text;
    disablePrivateKeys @1 :Bool;
    blank @2 :Bool;
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
    # Sends a transaction createTransaction or createBumpTransaction made
    # and records it; its txid.
    commitTransaction @6 (context :Proxy.Context, tx :Data) -> (result :Data);
    # Every transaction of the wallet, oldest first.
    getTransactions @7 (context :Proxy.Context) -> (result :List(WalletTransaction));
    # One transaction as it stands now; an empty list if the wallet has none such.
    getTransaction @8 (context :Proxy.Context, txid :Data) -> (result :List(WalletTransaction));
    getEncryption @9 (context :Proxy.Context) -> (result :Encryption);
    encrypt @10 (context :Proxy.Context, passphrase :Text) -> ();
    unlock @11 (context :Proxy.Context, passphrase :Text, seconds :UInt32) -> ();
    lock @12 (context :Proxy.Context) -> ();
    # Copies the wallet's file to a file or into a directory.
    backup @13 (context :Proxy.Context, destination :Text) -> ();
    # Unloads the wallet; it is no longer loaded at start.
    unload @14 (context :Proxy.Context) -> ();
    # Builds and signs a replacement of an unconfirmed transaction at a
    # higher fee (bumpfee's, with no options), without sending it;
    # commitTransaction sends it.
    createBumpTransaction @15 (context :Proxy.Context, txid :Data) -> (result :PreparedTransaction);
    # The coins the wallet can spend now, for coin control.
    listCoins @16 (context :Proxy.Context) -> (result :List(WalletCoin));

    enum Encryption {
        unencrypted @0;
        locked @1;
        unlocked @2;
    }
}

interface WalletNotifications {
    destroy @0 (context :Proxy.Context) -> ();
    transactionChanged @1 (context :Proxy.Context, txid :Data) -> ();
    # The wallet was unloaded; nothing more comes.
    unloaded @2 (context :Proxy.Context) -> ();
    # The wallet was encrypted, unlocked or locked.
    statusChanged @3 (context :Proxy.Context) -> ();
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
    # Coin control: the outpoints (txid and little-endian output index, 36
    # bytes) to spend and no others; empty lets the wallet choose.
    inputs @5 :List(Data);
}

struct WalletCoin {
    txid @0 :Data;
    vout @1 :UInt32;
    # Satoshis.
    amount @2 :Int64;
    address @3 :Text;
    label @4 :Text;
    confirmations @5 :Int64;
    # Kept from automatic coin selection (lockunspent).
    locked @6 :Bool;
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

# One transaction of a wallet as its history lists it.
struct WalletTransaction {
    txid @0 :Data;
    kind @1 :Kind;
    # Who was paid, or the wallet's address paid; empty without one.
    address @2 :Text;
    label @3 :Text;
    # What it did to the wallet's balance, fee included, in satoshis.
    amount @4 :Int64;
    # The fee the wallet paid; 0 when others paid it.
    fee @5 :Int64;
    # Unix seconds: first seen, else the block's time.
    time @6 :Int64;
    # The holding block's height; -1 without one.
    height @7 :Int32;
    state @8 :State;
    replaceable @9 :Bool;

    enum Kind {
        received @0;
        sent @1;
        toSelf @2;
        mined @3;
    }

    enum State {
        active @0;
        abandoned @1;
        conflicted @2;
    }
}
