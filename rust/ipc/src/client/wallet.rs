//! Proxies for the wallets' side: [`WalletLoader`] (a wallet process as its
//! node sees it, or a node's wallets as a GUI sees them), [`Wallet`], and a
//! GUI's callbacks as the wallets call them: [`WalletNotifications`] and
//! [`WalletLoaderNotifications`].

use std::rc::Rc;
use std::sync::Arc;

use hashvive_interfaces::{
    async_trait, Error, Handler, Payment, PreparedTransaction, Result, Wallet, WalletBalances, WalletCoin,
    WalletCreation, WalletEncryption, WalletLoader, WalletLoaderNotifications, WalletNotifications, WalletTransaction,
};

use super::chain::handler_proxy;
use super::{caller, stored, text, ClientConnection, Proxy};
use crate::convert::{
    from_capnp, read_coins, read_prepared_transaction, read_wallet_balances, read_wallet_transactions, write_payment,
};
use crate::event_loop::Remote;
use crate::log;
use crate::schema::wallet_capnp::{wallet, wallet_loader, wallet_loader_notifications, wallet_notifications};
use crate::server::{WalletLoaderNotificationsServer, WalletNotificationsServer, WalletServer};

/// The wallets of another process.
pub(crate) struct WalletLoaderProxy {
    pub(super) remote: Remote<Proxy<wallet_loader::Client>>,
}

#[async_trait]
impl WalletLoader for WalletLoaderProxy {
    async fn start(&self) -> Result<()> {
        call!(self, p, start_request, "WalletLoader.start", |params| {}, |results| Ok(()))
    }

    async fn list_wallets(&self) -> Result<Vec<String>> {
        call!(self, p, list_wallets_request, "WalletLoader.listWallets", |params| {}, |results| {
            let list = results.get_result().map_err(from_capnp)?;
            list.iter().map(text).collect()
        })
    }

    async fn wallets(&self) -> Result<Vec<Arc<dyn Wallet>>> {
        call!(self, p, get_wallets_request, "WalletLoader.getWallets", |params| {}, |results| {
            let list = results.get_result().map_err(from_capnp)?;
            list.iter()
                .map(|client| Ok(WalletProxy::new(&p.conn, client.map_err(from_capnp)?) as Arc<dyn Wallet>))
                .collect()
        })
    }

    async fn handle_load_wallet(&self, notifications: Arc<dyn WalletLoaderNotifications>) -> Result<Box<dyn Handler>> {
        call!(
            self,
            p,
            handle_load_wallet_request,
            "WalletLoader.handleLoadWallet",
            |params| {
                params.set_notifications(WalletLoaderNotificationsServer::client(notifications, p.conn.local()))
            },
            |results| handler_proxy(&p.conn, results.get_result())
        )
    }

    async fn create_wallet(&self, name: String, options: WalletCreation) -> Result<Arc<dyn Wallet>> {
        call!(
            self,
            p,
            create_wallet_request,
            "WalletLoader.createWallet",
            |params| {
                params.set_name(&name);
                let mut o = params.init_options();
                o.set_passphrase(&options.passphrase);
                o.set_disable_private_keys(options.disable_private_keys);
                o.set_blank(options.blank);
            },
            |results| Ok(WalletProxy::new(&p.conn, results.get_result().map_err(from_capnp)?) as Arc<dyn Wallet>)
        )
    }

    async fn load_wallet(&self, name: String) -> Result<Arc<dyn Wallet>> {
        call!(self, p, load_wallet_request, "WalletLoader.loadWallet", |params| { params.set_name(&name) }, |results| {
            Ok(WalletProxy::new(&p.conn, results.get_result().map_err(from_capnp)?) as Arc<dyn Wallet>)
        })
    }

    async fn list_wallet_dir(&self) -> Result<Vec<String>> {
        call!(self, p, list_wallet_dir_request, "WalletLoader.listWalletDir", |params| {}, |results| {
            let list = results.get_result().map_err(from_capnp)?;
            list.iter().map(text).collect()
        })
    }

    async fn stop(&self) -> Result<()> {
        call!(self, p, stop_request, "WalletLoader.stop", |params| {}, |results| Ok(()))
    }
}

/// One wallet of another process; dropping it destroys the server's object.
pub(crate) struct WalletProxy {
    remote: Remote<Proxy<wallet::Client>>,
}

impl WalletProxy {
    pub(crate) fn new(conn: &Rc<ClientConnection>, client: wallet::Client) -> Arc<WalletProxy> {
        Arc::new(WalletProxy { remote: stored(conn, client) })
    }
}

#[async_trait]
impl Wallet for WalletProxy {
    async fn name(&self) -> Result<String> {
        call!(self, p, get_name_request, "Wallet.getName", |params| {}, |results| text(results.get_result()))
    }

    async fn balances(&self) -> Result<WalletBalances> {
        call!(self, p, get_balances_request, "Wallet.getBalances", |params| {}, |results| {
            Ok(read_wallet_balances(results.get_result().map_err(from_capnp)?))
        })
    }

    async fn new_address(&self, label: String) -> Result<String> {
        call!(
            self,
            p,
            get_new_address_request,
            "Wallet.getNewAddress",
            |params| { params.set_label(&label) },
            |results| text(results.get_result())
        )
    }

    async fn create_transaction(&self, payment: Payment) -> Result<PreparedTransaction> {
        call!(
            self,
            p,
            create_transaction_request,
            "Wallet.createTransaction",
            |params| { write_payment(params.init_payment(), &payment) },
            |results| read_prepared_transaction(results.get_result().map_err(from_capnp)?).map_err(from_capnp)
        )
    }

    async fn coins(&self) -> Result<Vec<WalletCoin>> {
        call!(self, p, list_coins_request, "Wallet.listCoins", |params| {}, |results| {
            read_coins(results.get_result().map_err(from_capnp)?).map_err(from_capnp)
        })
    }

    async fn create_bump_transaction(&self, txid: [u8; 32]) -> Result<PreparedTransaction> {
        call!(
            self,
            p,
            create_bump_transaction_request,
            "Wallet.createBumpTransaction",
            |params| { params.set_txid(&txid) },
            |results| read_prepared_transaction(results.get_result().map_err(from_capnp)?).map_err(from_capnp)
        )
    }

    async fn commit_transaction(&self, tx: Vec<u8>) -> Result<[u8; 32]> {
        call!(
            self,
            p,
            commit_transaction_request,
            "Wallet.commitTransaction",
            |params| { params.set_tx(&tx) },
            |results| {
                let txid = results.get_result().map_err(from_capnp)?;
                txid.try_into().map_err(|_| Error::Remote("the txid must be a 32-byte hash".into()))
            }
        )
    }

    async fn transactions(&self) -> Result<Vec<WalletTransaction>> {
        call!(self, p, get_transactions_request, "Wallet.getTransactions", |params| {}, |results| {
            read_wallet_transactions(results.get_result().map_err(from_capnp)?).map_err(from_capnp)
        })
    }

    async fn transaction(&self, txid: [u8; 32]) -> Result<Option<WalletTransaction>> {
        call!(
            self,
            p,
            get_transaction_request,
            "Wallet.getTransaction",
            |params| { params.set_txid(&txid) },
            |results| {
                let found = read_wallet_transactions(results.get_result().map_err(from_capnp)?).map_err(from_capnp)?;
                Ok(found.into_iter().next())
            }
        )
    }

    async fn encryption(&self) -> Result<WalletEncryption> {
        call!(self, p, get_encryption_request, "Wallet.getEncryption", |params| {}, |results| {
            Ok(match results.get_result().map_err(|e| from_capnp(e.into()))? {
                wallet::Encryption::Unencrypted => WalletEncryption::Unencrypted,
                wallet::Encryption::Locked => WalletEncryption::Locked,
                wallet::Encryption::Unlocked => WalletEncryption::Unlocked,
            })
        })
    }

    async fn encrypt(&self, passphrase: String) -> Result<()> {
        call!(self, p, encrypt_request, "Wallet.encrypt", |params| { params.set_passphrase(&passphrase) }, |results| {
            Ok(())
        })
    }

    async fn unlock(&self, passphrase: String, seconds: u32) -> Result<()> {
        call!(
            self,
            p,
            unlock_request,
            "Wallet.unlock",
            |params| {
                params.set_passphrase(&passphrase);
                params.set_seconds(seconds);
            },
            |results| Ok(())
        )
    }

    async fn lock(&self) -> Result<()> {
        call!(self, p, lock_request, "Wallet.lock", |params| {}, |results| Ok(()))
    }

    async fn backup(&self, destination: String) -> Result<()> {
        call!(self, p, backup_request, "Wallet.backup", |params| { params.set_destination(&destination) }, |results| {
            Ok(())
        })
    }

    async fn unload(&self) -> Result<()> {
        call!(self, p, unload_request, "Wallet.unload", |params| {}, |results| Ok(()))
    }

    async fn handle_notifications(&self, notifications: Arc<dyn WalletNotifications>) -> Result<Box<dyn Handler>> {
        call!(
            self,
            p,
            handle_notifications_request,
            "Wallet.handleNotifications",
            |params| { params.set_notifications(WalletNotificationsServer::client(notifications, p.conn.local())) },
            |results| handler_proxy(&p.conn, results.get_result())
        )
    }
}

/// A GUI's [`WalletNotifications`], as the wallet calls them. A GUI that went
/// away misses them; the wallet carries on.
pub(crate) struct WalletNotificationsProxy {
    remote: Remote<Proxy<wallet_notifications::Client>>,
}

impl WalletNotificationsProxy {
    pub(crate) fn new(conn: &Rc<ClientConnection>, client: wallet_notifications::Client) -> WalletNotificationsProxy {
        WalletNotificationsProxy { remote: stored(conn, client) }
    }
}

#[async_trait]
impl WalletNotifications for WalletNotificationsProxy {
    async fn transaction_changed(&self, txid: [u8; 32]) {
        notify!(self, transaction_changed_request, "WalletNotifications.transactionChanged", |params| {
            params.set_txid(&txid)
        })
    }

    async fn status_changed(&self) {
        notify!(self, status_changed_request, "WalletNotifications.statusChanged", |params| {})
    }

    async fn unloaded(&self) {
        notify!(self, unloaded_request, "WalletNotifications.unloaded", |params| {})
    }
}

/// A GUI's [`WalletLoaderNotifications`], as the wallets call them.
pub(crate) struct WalletLoaderNotificationsProxy {
    remote: Remote<Proxy<wallet_loader_notifications::Client>>,
}

impl WalletLoaderNotificationsProxy {
    pub(crate) fn new(
        conn: &Rc<ClientConnection>,
        client: wallet_loader_notifications::Client,
    ) -> WalletLoaderNotificationsProxy {
        WalletLoaderNotificationsProxy { remote: stored(conn, client) }
    }
}

#[async_trait]
impl WalletLoaderNotifications for WalletLoaderNotificationsProxy {
    async fn wallet_loaded(&self, wallet: Arc<dyn Wallet>) {
        let outcome: Result<()> = call!(
            self,
            p,
            wallet_loaded_request,
            "WalletLoaderNotifications.walletLoaded",
            |params| { params.set_wallet(WalletServer::client(wallet, p.conn.local())) },
            |results| Ok(())
        );
        super::missed(outcome, "WalletLoaderNotifications.walletLoaded");
    }
}
