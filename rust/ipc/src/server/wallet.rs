//! Servers for the wallets' side: [`WalletLoader`] (a wallet process to its
//! node, a node's wallets to a GUI), [`Wallet`], and a GUI's callbacks, called
//! by the wallets: [`WalletNotifications`] and [`WalletLoaderNotifications`].

use std::rc::Rc;
use std::sync::Arc;

use hashvive_interfaces::{
    Wallet, WalletCreation, WalletEncryption, WalletLoader, WalletLoaderNotifications, WalletNotifications,
};

use super::chain::HandlerServer;
use super::{log_results, ConnectionState, Held};
use crate::client::{WalletLoaderNotificationsProxy, WalletNotificationsProxy, WalletProxy};
use crate::convert::{
    hash32, read_payment, text, write_coins, write_prepared_transaction, write_text_list, write_wallet_balances,
    write_wallet_transactions,
};
use crate::log;
use crate::schema::wallet_capnp::{wallet, wallet_loader, wallet_loader_notifications, wallet_notifications};

/// Serves a [`WalletLoader`] until the client calls `destroy`.
pub(crate) struct WalletLoaderServer {
    loader: Held<dyn WalletLoader>,
    conn: Rc<ConnectionState>,
}

impl WalletLoaderServer {
    pub(crate) fn client(loader: Arc<dyn WalletLoader>, conn: &Rc<ConnectionState>) -> wallet_loader::Client {
        capnp_rpc::new_client(WalletLoaderServer { loader: Held::new(loader, "WalletLoader"), conn: conn.clone() })
    }
}

impl wallet_loader::Server for WalletLoaderServer {
    async fn destroy(
        self: Rc<Self>,
        params: wallet_loader::DestroyParams,
        _: wallet_loader::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "WalletLoader.destroy", self.loader)
    }

    async fn start(
        self: Rc<Self>,
        params: wallet_loader::StartParams,
        _: wallet_loader::StartResults,
    ) -> Result<(), capnp::Error> {
        let loader = self.loader.get()?;
        let (request, ()) = serve!(self, params, "WalletLoader.start", async move { loader.start().await });
        log::event(&format!("IPC server send response #{request} WalletLoader.start$Results ()"));
        Ok(())
    }

    async fn list_wallets(
        self: Rc<Self>,
        params: wallet_loader::ListWalletsParams,
        mut results: wallet_loader::ListWalletsResults,
    ) -> Result<(), capnp::Error> {
        let loader = self.loader.get()?;
        let (request, names) =
            serve!(self, params, "WalletLoader.listWallets", async move { loader.list_wallets().await });
        write_text_list(results.get().init_result(names.len() as u32), names.iter().map(String::as_str));
        log_results(request, "WalletLoader.listWallets$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_wallets(
        self: Rc<Self>,
        params: wallet_loader::GetWalletsParams,
        mut results: wallet_loader::GetWalletsResults,
    ) -> Result<(), capnp::Error> {
        let loader = self.loader.get()?;
        let (request, wallets) = serve!(self, params, "WalletLoader.getWallets", async move { loader.wallets().await });
        let mut list = results.get().init_result(wallets.len() as u32);
        for (i, wallet) in wallets.into_iter().enumerate() {
            list.set(i as u32, WalletServer::client(wallet, &self.conn).client.hook);
        }
        log_results(request, "WalletLoader.getWallets$Results", &results.get().into_reader());
        Ok(())
    }

    async fn handle_load_wallet(
        self: Rc<Self>,
        params: wallet_loader::HandleLoadWalletParams,
        mut results: wallet_loader::HandleLoadWalletResults,
    ) -> Result<(), capnp::Error> {
        let loader = self.loader.get()?;
        let notifications: Arc<dyn WalletLoaderNotifications> =
            Arc::new(WalletLoaderNotificationsProxy::new(&self.conn.peer()?, params.get()?.get_notifications()?));
        let (request, registration) = serve!(self, params, "WalletLoader.handleLoadWallet", async move {
            loader.handle_load_wallet(notifications).await
        });
        results.get().set_result(HandlerServer::client(registration));
        log_results(request, "WalletLoader.handleLoadWallet$Results", &results.get().into_reader());
        Ok(())
    }

    async fn create_wallet(
        self: Rc<Self>,
        params: wallet_loader::CreateWalletParams,
        mut results: wallet_loader::CreateWalletResults,
    ) -> Result<(), capnp::Error> {
        let loader = self.loader.get()?;
        let (name, options) = {
            let p = params.get()?;
            let o = p.get_options()?;
            let options = WalletCreation {
                passphrase: text(o.get_passphrase())?,
                disable_private_keys: o.get_disable_private_keys(),
                blank: o.get_blank(),
            };
            (text(p.get_name())?, options)
        };
        let (request, wallet) =
            serve!(self, params, "WalletLoader.createWallet", async move { loader.create_wallet(name, options).await });
        results.get().set_result(WalletServer::client(wallet, &self.conn));
        log_results(request, "WalletLoader.createWallet$Results", &results.get().into_reader());
        Ok(())
    }

    async fn load_wallet(
        self: Rc<Self>,
        params: wallet_loader::LoadWalletParams,
        mut results: wallet_loader::LoadWalletResults,
    ) -> Result<(), capnp::Error> {
        let loader = self.loader.get()?;
        let name = text(params.get()?.get_name())?;
        let (request, wallet) =
            serve!(self, params, "WalletLoader.loadWallet", async move { loader.load_wallet(name).await });
        results.get().set_result(WalletServer::client(wallet, &self.conn));
        log_results(request, "WalletLoader.loadWallet$Results", &results.get().into_reader());
        Ok(())
    }

    async fn list_wallet_dir(
        self: Rc<Self>,
        params: wallet_loader::ListWalletDirParams,
        mut results: wallet_loader::ListWalletDirResults,
    ) -> Result<(), capnp::Error> {
        let loader = self.loader.get()?;
        let (request, names) =
            serve!(self, params, "WalletLoader.listWalletDir", async move { loader.list_wallet_dir().await });
        write_text_list(results.get().init_result(names.len() as u32), names.iter().map(String::as_str));
        log_results(request, "WalletLoader.listWalletDir$Results", &results.get().into_reader());
        Ok(())
    }

    async fn stop(
        self: Rc<Self>,
        params: wallet_loader::StopParams,
        _: wallet_loader::StopResults,
    ) -> Result<(), capnp::Error> {
        let loader = self.loader.get()?;
        let (request, ()) = serve!(self, params, "WalletLoader.stop", async move { loader.stop().await });
        log::event(&format!("IPC server send response #{request} WalletLoader.stop$Results ()"));
        Ok(())
    }
}

/// Serves one [`Wallet`] until the client calls `destroy`.
pub(crate) struct WalletServer {
    wallet: Held<dyn Wallet>,
    conn: Rc<ConnectionState>,
}

impl WalletServer {
    pub(crate) fn client(wallet: Arc<dyn Wallet>, conn: &Rc<ConnectionState>) -> wallet::Client {
        capnp_rpc::new_client(WalletServer { wallet: Held::new(wallet, "Wallet"), conn: conn.clone() })
    }
}

impl wallet::Server for WalletServer {
    async fn destroy(
        self: Rc<Self>,
        params: wallet::DestroyParams,
        _: wallet::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "Wallet.destroy", self.wallet)
    }

    async fn get_name(
        self: Rc<Self>,
        params: wallet::GetNameParams,
        mut results: wallet::GetNameResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let (request, name) = serve!(self, params, "Wallet.getName", async move { wallet.name().await });
        results.get().set_result(&name);
        log_results(request, "Wallet.getName$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_balances(
        self: Rc<Self>,
        params: wallet::GetBalancesParams,
        mut results: wallet::GetBalancesResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let (request, balances) = serve!(self, params, "Wallet.getBalances", async move { wallet.balances().await });
        write_wallet_balances(results.get().init_result(), &balances);
        log_results(request, "Wallet.getBalances$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_new_address(
        self: Rc<Self>,
        params: wallet::GetNewAddressParams,
        mut results: wallet::GetNewAddressResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let label = text(params.get()?.get_label())?;
        let (request, address) =
            serve!(self, params, "Wallet.getNewAddress", async move { wallet.new_address(label).await });
        results.get().set_result(&address);
        log_results(request, "Wallet.getNewAddress$Results", &results.get().into_reader());
        Ok(())
    }

    async fn create_transaction(
        self: Rc<Self>,
        params: wallet::CreateTransactionParams,
        mut results: wallet::CreateTransactionResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let payment = read_payment(params.get()?.get_payment()?)?;
        let (request, prepared) =
            serve!(self, params, "Wallet.createTransaction", async move { wallet.create_transaction(payment).await });
        write_prepared_transaction(results.get().init_result(), &prepared);
        log_results(request, "Wallet.createTransaction$Results", &results.get().into_reader());
        Ok(())
    }

    async fn list_coins(
        self: Rc<Self>,
        params: wallet::ListCoinsParams,
        mut results: wallet::ListCoinsResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let (request, coins) = serve!(self, params, "Wallet.listCoins", async move { wallet.coins().await });
        write_coins(results.get().init_result(coins.len() as u32), &coins);
        log_results(request, "Wallet.listCoins$Results", &results.get().into_reader());
        Ok(())
    }

    async fn create_bump_transaction(
        self: Rc<Self>,
        params: wallet::CreateBumpTransactionParams,
        mut results: wallet::CreateBumpTransactionResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let txid = hash32(params.get()?.get_txid()?, "txid")?;
        let (request, prepared) =
            serve!(
                self,
                params,
                "Wallet.createBumpTransaction",
                async move { wallet.create_bump_transaction(txid).await }
            );
        write_prepared_transaction(results.get().init_result(), &prepared);
        log_results(request, "Wallet.createBumpTransaction$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_transactions(
        self: Rc<Self>,
        params: wallet::GetTransactionsParams,
        mut results: wallet::GetTransactionsResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let (request, transactions) =
            serve!(self, params, "Wallet.getTransactions", async move { wallet.transactions().await });
        write_wallet_transactions(results.get().init_result(transactions.len() as u32), &transactions);
        log_results(request, "Wallet.getTransactions$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_transaction(
        self: Rc<Self>,
        params: wallet::GetTransactionParams,
        mut results: wallet::GetTransactionResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let txid = hash32(params.get()?.get_txid()?, "txid")?;
        let (request, found) =
            serve!(self, params, "Wallet.getTransaction", async move { wallet.transaction(txid).await });
        let found: Vec<_> = found.into_iter().collect();
        write_wallet_transactions(results.get().init_result(found.len() as u32), &found);
        log_results(request, "Wallet.getTransaction$Results", &results.get().into_reader());
        Ok(())
    }

    async fn get_encryption(
        self: Rc<Self>,
        params: wallet::GetEncryptionParams,
        mut results: wallet::GetEncryptionResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let (request, state) = serve!(self, params, "Wallet.getEncryption", async move { wallet.encryption().await });
        results.get().set_result(match state {
            WalletEncryption::Unencrypted => wallet::Encryption::Unencrypted,
            WalletEncryption::Locked => wallet::Encryption::Locked,
            WalletEncryption::Unlocked => wallet::Encryption::Unlocked,
        });
        log_results(request, "Wallet.getEncryption$Results", &results.get().into_reader());
        Ok(())
    }

    async fn encrypt(
        self: Rc<Self>,
        params: wallet::EncryptParams,
        _: wallet::EncryptResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let passphrase = text(params.get()?.get_passphrase())?;
        let (request, ()) = serve!(self, params, "Wallet.encrypt", async move { wallet.encrypt(passphrase).await });
        log::event(&format!("IPC server send response #{request} Wallet.encrypt$Results ()"));
        Ok(())
    }

    async fn unlock(
        self: Rc<Self>,
        params: wallet::UnlockParams,
        _: wallet::UnlockResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let (passphrase, seconds) = (text(params.get()?.get_passphrase())?, params.get()?.get_seconds());
        let (request, ()) =
            serve!(self, params, "Wallet.unlock", async move { wallet.unlock(passphrase, seconds).await });
        log::event(&format!("IPC server send response #{request} Wallet.unlock$Results ()"));
        Ok(())
    }

    async fn lock(self: Rc<Self>, params: wallet::LockParams, _: wallet::LockResults) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let (request, ()) = serve!(self, params, "Wallet.lock", async move { wallet.lock().await });
        log::event(&format!("IPC server send response #{request} Wallet.lock$Results ()"));
        Ok(())
    }

    async fn backup(
        self: Rc<Self>,
        params: wallet::BackupParams,
        _: wallet::BackupResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let destination = text(params.get()?.get_destination())?;
        let (request, ()) = serve!(self, params, "Wallet.backup", async move { wallet.backup(destination).await });
        log::event(&format!("IPC server send response #{request} Wallet.backup$Results ()"));
        Ok(())
    }

    async fn unload(
        self: Rc<Self>,
        params: wallet::UnloadParams,
        _: wallet::UnloadResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let (request, ()) = serve!(self, params, "Wallet.unload", async move { wallet.unload().await });
        log::event(&format!("IPC server send response #{request} Wallet.unload$Results ()"));
        Ok(())
    }

    async fn commit_transaction(
        self: Rc<Self>,
        params: wallet::CommitTransactionParams,
        mut results: wallet::CommitTransactionResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let tx = params.get()?.get_tx()?.to_vec();
        let (request, txid) =
            serve!(self, params, "Wallet.commitTransaction", async move { wallet.commit_transaction(tx).await });
        results.get().set_result(&txid);
        log_results(request, "Wallet.commitTransaction$Results", &results.get().into_reader());
        Ok(())
    }

    async fn handle_notifications(
        self: Rc<Self>,
        params: wallet::HandleNotificationsParams,
        mut results: wallet::HandleNotificationsResults,
    ) -> Result<(), capnp::Error> {
        let wallet = self.wallet.get()?;
        let notifications: Arc<dyn WalletNotifications> =
            Arc::new(WalletNotificationsProxy::new(&self.conn.peer()?, params.get()?.get_notifications()?));
        let (request, registration) = serve!(self, params, "Wallet.handleNotifications", async move {
            wallet.handle_notifications(notifications).await
        });
        results.get().set_result(HandlerServer::client(registration));
        log_results(request, "Wallet.handleNotifications$Results", &results.get().into_reader());
        Ok(())
    }
}

/// Serves [`WalletNotifications`]: a GUI's, called by a wallet.
pub(crate) struct WalletNotificationsServer {
    notifications: Held<dyn WalletNotifications>,
    conn: Rc<ConnectionState>,
}

impl WalletNotificationsServer {
    pub(crate) fn client(
        notifications: Arc<dyn WalletNotifications>,
        conn: &Rc<ConnectionState>,
    ) -> wallet_notifications::Client {
        capnp_rpc::new_client(WalletNotificationsServer {
            notifications: Held::new(notifications, "WalletNotifications"),
            conn: conn.clone(),
        })
    }
}

impl wallet_notifications::Server for WalletNotificationsServer {
    async fn destroy(
        self: Rc<Self>,
        params: wallet_notifications::DestroyParams,
        _: wallet_notifications::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "WalletNotifications.destroy", self.notifications)
    }

    async fn transaction_changed(
        self: Rc<Self>,
        params: wallet_notifications::TransactionChangedParams,
        _: wallet_notifications::TransactionChangedResults,
    ) -> Result<(), capnp::Error> {
        let txid = hash32(params.get()?.get_txid()?, "txid")?;
        notify!(self, params, "WalletNotifications.transactionChanged", |n| n.transaction_changed(txid))
    }

    async fn status_changed(
        self: Rc<Self>,
        params: wallet_notifications::StatusChangedParams,
        _: wallet_notifications::StatusChangedResults,
    ) -> Result<(), capnp::Error> {
        notify!(self, params, "WalletNotifications.statusChanged", |n| n.status_changed())
    }

    async fn unloaded(
        self: Rc<Self>,
        params: wallet_notifications::UnloadedParams,
        _: wallet_notifications::UnloadedResults,
    ) -> Result<(), capnp::Error> {
        notify!(self, params, "WalletNotifications.unloaded", |n| n.unloaded())
    }
}

/// Serves [`WalletLoaderNotifications`]: a GUI's, called by the wallets.
pub(crate) struct WalletLoaderNotificationsServer {
    notifications: Held<dyn WalletLoaderNotifications>,
    conn: Rc<ConnectionState>,
}

impl WalletLoaderNotificationsServer {
    pub(crate) fn client(
        notifications: Arc<dyn WalletLoaderNotifications>,
        conn: &Rc<ConnectionState>,
    ) -> wallet_loader_notifications::Client {
        capnp_rpc::new_client(WalletLoaderNotificationsServer {
            notifications: Held::new(notifications, "WalletLoaderNotifications"),
            conn: conn.clone(),
        })
    }
}

impl wallet_loader_notifications::Server for WalletLoaderNotificationsServer {
    async fn destroy(
        self: Rc<Self>,
        params: wallet_loader_notifications::DestroyParams,
        _: wallet_loader_notifications::DestroyResults,
    ) -> Result<(), capnp::Error> {
        serve_destroy!(params, "WalletLoaderNotifications.destroy", self.notifications)
    }

    async fn wallet_loaded(
        self: Rc<Self>,
        params: wallet_loader_notifications::WalletLoadedParams,
        _: wallet_loader_notifications::WalletLoadedResults,
    ) -> Result<(), capnp::Error> {
        let wallet: Arc<dyn Wallet> = WalletProxy::new(&self.conn.peer()?, params.get()?.get_wallet()?);
        notify!(self, params, "WalletLoaderNotifications.walletLoaded", |n| n.wallet_loaded(wallet))
    }
}
