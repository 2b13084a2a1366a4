//! The screens' actions on the node and its wallets: receiving, paying,
//! managing wallets, the settings, a payment URI from the command line or a
//! later start. Each answers with what to tell the user, or why not.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hashvive_interfaces::{PreparedTransaction, Wallet, WalletCreation};

use super::{lock, Controller, PendingTransaction};
use crate::instance::UriServer;
use crate::model::amount::{self, Unit};
use crate::model::autostart::Autostart;
use crate::model::bip21::PaymentUri;
use crate::model::receive::PaymentRequest;
use crate::model::send::{self, SendForm};
use crate::model::settings::{self as node_settings, SettingsForm};
use crate::model::transactions;

/// Where payment URIs come from: the command line, and later starts on the
/// same data directory (see [`crate::instance`]).
pub struct PaymentUris {
    /// The network their addresses must be of.
    pub network: bitcoin::Network,
    pub from_command_line: Option<String>,
    /// The chain's data directory, where later starts find this GUI; `None`
    /// takes no URIs from them.
    pub chain_dir: Option<PathBuf>,
}

/// How long a wallet unlocked to sign a payment stays open at most (it is
/// locked again as soon as the payment is signed).
const SIGNING_UNLOCK_SECONDS: u32 = 60;

impl Controller {
    /// The payment URIs to open the send screen with once the node is ready.
    pub fn take_payment_uris(&self, uris: PaymentUris) {
        *lock(&self.payment_uris) = Some(uris);
    }

    /// Listens for the URIs later starts hand over, while the returned
    /// server lives.
    pub(super) fn serve_payment_uris(
        self: &Arc<Self>,
        chain_dir: &Path,
        network: bitcoin::Network,
    ) -> Option<UriServer> {
        let controller = Arc::downgrade(self);
        let opened = UriServer::start(chain_dir, move |uri| {
            if let Some(controller) = controller.upgrade() {
                let payment_uri = read_payment_uri(&uri, network);
                controller.edit(|state| state.payment_uri = Some(payment_uri));
            }
        });
        opened.map_err(|e| tracing::warn!("Payment URIs from later starts cannot reach this GUI: {e}")).ok()
    }

    /// Where "start on login" is kept for this GUI; `None` leaves it off
    /// and refused.
    pub fn set_autostart(&self, autostart: Option<Autostart>) {
        *lock(&self.autostart) = autostart;
    }

    /// The settings screen's form, from the node's `settings.json` and the
    /// desktop's autostart entry.
    pub async fn settings(&self) -> Result<SettingsForm, String> {
        let mut values: [Option<String>; node_settings::NAMES.len()] = Default::default();
        for (value, name) in values.iter_mut().zip(node_settings::NAMES) {
            *value = self.node.setting(name.to_string()).await.map_err(|e| e.to_string())?;
        }
        let mut form = SettingsForm::from_settings(values);
        if let Some(autostart) = lock(&self.autostart).as_ref() {
            form.start_on_login = autostart.is_on();
            let on = if form.start_on_login { "on" } else { "off" };
            tracing::debug!(target: "qt", "Settings: start on login {on} ({})", autostart.path().display());
        }
        Ok(form)
    }

    /// Writes the settings screen's form to the node's `settings.json`.
    pub async fn save_settings(&self, form: &SettingsForm) -> Result<String, String> {
        let values = form.to_settings()?;
        let autostart = lock(&self.autostart).clone();
        match &autostart {
            Some(autostart) => autostart.set(form.start_on_login)?,
            None if form.start_on_login => {
                return Err("This desktop has no place for programs started on login.".into())
            }
            None => {}
        }
        for (name, value) in node_settings::NAMES.into_iter().zip(values) {
            self.node.update_setting(name.to_string(), value).await.map_err(|e| e.to_string())?;
        }
        Ok("Saved. The node uses them from its next start.".into())
    }

    /// The receive screen's request: a new address of `wallet` under `label`,
    /// asking for `amount` (in `unit`, none if blank) with `message`.
    pub async fn request_payment(
        &self,
        wallet: &str,
        label: &str,
        amount: &str,
        unit: Unit,
        message: &str,
    ) -> Result<PaymentRequest, String> {
        let amount = match amount.trim() {
            "" => None,
            text => Some(amount::parse(text, unit)?),
        };
        let address = self.wallet(wallet)?.new_address(label.to_string()).await.map_err(|e| e.to_string())?;
        tracing::debug!(target: "qt", "Payment request: {address}");
        PaymentRequest::new(address, amount, label, message)
    }

    /// The send screen's first step: the payment built and signed by
    /// `wallet`, kept for [`Controller::confirm_send`]; what to ask the user.
    /// A locked wallet is unlocked with `passphrase` just to sign, then
    /// locked again, as the reference GUI does.
    pub async fn prepare_send(
        &self,
        wallet: &str,
        form: &SendForm,
        network: bitcoin::Network,
        passphrase: &str,
    ) -> Result<String, String> {
        let payment = form.payment(network)?;
        let wallet = self.wallet(wallet)?;
        let prepared = signing(&wallet, passphrase, wallet.create_transaction(payment.clone())).await?;
        let question = send::confirmation(&payment, &prepared, form.unit);
        *lock(&self.pending) = Some(PendingTransaction { wallet, tx: prepared.tx });
        Ok(question)
    }

    /// Coin control: the coins `wallet` can spend, as the send screen lists
    /// them (amounts in `unit`).
    pub async fn coins(&self, wallet: &str, unit: Unit) -> Result<String, String> {
        let coins = self.wallet(wallet)?.coins().await.map_err(|e| e.to_string())?;
        Ok(crate::model::coins::to_json(&coins, unit).to_string())
    }

    /// The transactions screen's "Increase fee": a replacement of `txid`
    /// paying a higher fee, built and signed by `wallet` (unlocked with
    /// `passphrase` to sign, if locked) and kept for
    /// [`Controller::confirm_send`]; what to ask the user.
    pub async fn prepare_bump(&self, wallet: &str, txid: &str, passphrase: &str) -> Result<String, String> {
        let txid: bitcoin::Txid = txid.parse().map_err(|_| format!("Not a transaction id: {txid}"))?;
        let txid = bitcoin::hashes::Hash::to_byte_array(txid);
        let wallet = self.wallet(wallet)?;
        let old = wallet.transaction(txid).await.map_err(|e| e.to_string())?;
        let old = old.ok_or("The wallet no longer has this transaction.")?;
        let prepared = signing(&wallet, passphrase, wallet.create_bump_transaction(txid)).await?;
        let question = transactions::bump_question(old.fee, prepared.fee);
        *lock(&self.pending) = Some(PendingTransaction { wallet, tx: prepared.tx });
        Ok(question)
    }

    /// The user agreed: sends the prepared payment or fee bump; its txid.
    pub async fn confirm_send(&self) -> Result<String, String> {
        let pending = lock(&self.pending).take().ok_or("There is no payment to send.")?;
        let txid = pending.wallet.commit_transaction(pending.tx).await.map_err(|e| e.to_string())?;
        let txid = <bitcoin::Txid as bitcoin::hashes::Hash>::from_byte_array(txid).to_string();
        tracing::debug!(target: "qt", "Sent {txid}");
        Ok(txid)
    }

    /// The wallet screen's actions; each answers with what to tell the user.
    pub async fn create_wallet(&self, name: &str, options: WalletCreation) -> Result<String, String> {
        let loader = self.loader().await.ok_or("The node has no wallets.")?;
        loader.create_wallet(name.to_string(), options).await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" created."))
    }

    pub async fn open_wallet(&self, name: &str) -> Result<String, String> {
        let loader = self.loader().await.ok_or("The node has no wallets.")?;
        loader.load_wallet(name.to_string()).await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" opened."))
    }

    /// The wallets in the wallet directory that are not loaded.
    pub async fn closed_wallets(&self) -> Result<Vec<String>, String> {
        let loader = self.loader().await.ok_or("The node has no wallets.")?;
        let all = loader.list_wallet_dir().await.map_err(|e| e.to_string())?;
        let wallets = lock(&self.wallets);
        Ok(all.into_iter().filter(|name| !wallets.iter().any(|f| &f.name == name)).collect())
    }

    pub async fn close_wallet(&self, name: &str) -> Result<String, String> {
        self.wallet(name)?.unload().await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" closed."))
    }

    pub async fn encrypt_wallet(&self, name: &str, passphrase: &str) -> Result<String, String> {
        self.wallet(name)?.encrypt(passphrase.to_string()).await.map_err(|e| e.to_string())?;
        // The reference GUI's reminder: copies made before hold the keys in the clear.
        Ok("Wallet encrypted. Remember that earlier backups of it are not encrypted: make a new backup.".into())
    }

    /// Opens the wallet's keys for `seconds`. The overview shows the new
    /// state, and the wallet locking itself later, when the wallet says so
    /// (`status_changed`), as for changes made over RPC.
    pub async fn unlock_wallet(&self, name: &str, passphrase: &str, seconds: u32) -> Result<String, String> {
        self.wallet(name)?.unlock(passphrase.to_string(), seconds).await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" unlocked for {seconds} seconds."))
    }

    pub async fn lock_wallet(&self, name: &str) -> Result<String, String> {
        self.wallet(name)?.lock().await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" locked."))
    }

    pub async fn backup_wallet(&self, name: &str, destination: &str) -> Result<String, String> {
        if destination.trim().is_empty() {
            return Err("Enter where to write the backup.".into());
        }
        self.wallet(name)?.backup(destination.to_string()).await.map_err(|e| e.to_string())?;
        Ok(format!("Wallet \"{name}\" backed up to {destination}."))
    }

    /// The user declined: the prepared payment or fee bump is dropped unsent.
    pub fn cancel_send(&self) {
        lock(&self.pending).take();
    }
}

/// Runs `sign` (a wallet call that signs) with `wallet` unlocked by
/// `passphrase` when one is given, locking it again at once after, as the
/// reference GUI does for a locked wallet.
async fn signing(
    wallet: &Arc<dyn Wallet>,
    passphrase: &str,
    sign: impl std::future::Future<Output = hashvive_interfaces::Result<PreparedTransaction>>,
) -> Result<PreparedTransaction, String> {
    let unlocked = !passphrase.is_empty();
    if unlocked {
        wallet.unlock(passphrase.to_string(), SIGNING_UNLOCK_SECONDS).await.map_err(|e| e.to_string())?;
    }
    let prepared = sign.await;
    if unlocked {
        if let Err(e) = wallet.lock().await {
            tracing::warn!("cannot lock the wallet again: {e}");
        }
    }
    prepared.map_err(|e| e.to_string())
}

/// A payment URI read, and said in the log (which the node has set up by now).
pub(super) fn read_payment_uri(uri: &str, network: bitcoin::Network) -> Result<PaymentUri, String> {
    let read = PaymentUri::parse(uri, network);
    match &read {
        Ok(payment) => {
            let amount = payment.amount.map_or("any amount".into(), |sats| amount::format(sats, Unit::Btc));
            tracing::debug!(target: "qt", "Payment URI: pay {amount} to {}", payment.address);
        }
        Err(e) => tracing::warn!("{e}"),
    }
    read
}
