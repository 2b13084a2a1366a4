//! The one QObject QML sees: the controller's state as properties, the
//! window's requests as invokables. State arrives on any thread and is queued
//! onto Qt's; requests run on the tokio runtime.

use std::pin::Pin;
use std::sync::Arc;

use cxx_qt::{CxxQtType, Threading};
use cxx_qt_lib::QString;
use serde_json::Value;

use hashvive_interfaces::WalletCreation;

use crate::model::amount::{format_plain, Unit};
use crate::model::controller::{Controller, NodeRole, PaymentUris, Phase, View, ViewState};
use crate::model::send::{self, FeeField, RecipientForm, SendForm};
use crate::model::settings::SettingsForm;

#[cxx_qt::bridge]
pub mod qobject {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qstring.h");
        type QString = cxx_qt_lib::QString;
    }

    extern "RustQt" {
        #[qobject]
        #[qml_element]
        #[qproperty(QString, phase)]
        #[qproperty(QString, init_message, cxx_name = "initMessage")]
        #[qproperty(QString, error_message, cxx_name = "errorMessage")]
        #[qproperty(i32, exit_code, cxx_name = "exitCode")]
        #[qproperty(i32, blocks)]
        #[qproperty(i32, headers)]
        #[qproperty(i32, blocks_left, cxx_name = "blocksLeft")]
        #[qproperty(f64, progress)]
        #[qproperty(bool, synced)]
        #[qproperty(QString, sync_headline, cxx_name = "syncHeadline")]
        #[qproperty(QString, sync_detail, cxx_name = "syncDetail")]
        #[qproperty(QString, time_left, cxx_name = "timeLeft")]
        #[qproperty(i32, connections_in, cxx_name = "connectionsIn")]
        #[qproperty(i32, connections_out, cxx_name = "connectionsOut")]
        #[qproperty(bool, network_active, cxx_name = "networkActive")]
        #[qproperty(QString, traffic_in, cxx_name = "trafficIn")]
        #[qproperty(QString, traffic_out, cxx_name = "trafficOut")]
        #[qproperty(QString, mempool)]
        #[qproperty(QString, peers_json, cxx_name = "peersJson")]
        #[qproperty(QString, wallets_json, cxx_name = "walletsJson")]
        #[qproperty(QString, transactions_json, cxx_name = "transactionsJson")]
        #[qproperty(bool, attached)]
        #[qproperty(QString, chain_name, cxx_name = "chainName")]
        #[qproperty(bool, start_minimized, cxx_name = "startMinimized")]
        #[qproperty(bool, show_splash, cxx_name = "showSplash")]
        #[qproperty(QString, screenshot_dir, cxx_name = "screenshotDir")]
        /// The command line's payment URI (JSON: address, amount, label,
        /// message), or why it cannot be used.
        #[qproperty(QString, payment_uri_json, cxx_name = "paymentUriJson")]
        #[qproperty(QString, payment_uri_error, cxx_name = "paymentUriError")]
        type GuiModel = super::GuiModelRust;

        /// Picks up the node and starts following it; QML calls it once the
        /// window exists.
        #[qinvokable]
        fn attach(self: Pin<&mut GuiModel>);

        /// The window is closing: stop an owned node, leave an attached one.
        #[qinvokable]
        fn close(self: Pin<&mut GuiModel>);

        /// Whether the desktop has a tray for the window's icon, once known.
        #[qinvokable]
        #[cxx_name = "reportTray"]
        fn report_tray(self: &GuiModel, available: bool);

        #[qinvokable]
        #[cxx_name = "switchNetwork"]
        fn switch_network(self: Pin<&mut GuiModel>, active: bool);

        #[qinvokable]
        #[cxx_name = "runConsole"]
        fn run_console(self: Pin<&mut GuiModel>, line: &QString, wallet: &QString);

        #[qinvokable]
        #[cxx_name = "historyOlder"]
        fn history_older(self: &GuiModel) -> QString;

        #[qinvokable]
        #[cxx_name = "historyNewer"]
        fn history_newer(self: &GuiModel) -> QString;

        /// A console line's output, once its calls have run.
        #[qsignal]
        #[cxx_name = "consoleReply"]
        fn console_reply(self: Pin<&mut GuiModel>, text: QString);

        /// The amount units, comma-separated, the default first.
        #[qinvokable]
        #[cxx_name = "unitNames"]
        fn unit_names(self: &GuiModel) -> QString;

        /// Why `text` is not an address to pay on the node's network; empty if it is one.
        #[qinvokable]
        #[cxx_name = "addressProblem"]
        fn address_problem(self: &GuiModel, text: &QString) -> QString;

        /// A new address of `wallet` as a payment request; answered as
        /// "request" with the request as JSON (address, uri, qr rows, amount).
        #[qinvokable]
        #[cxx_name = "requestPayment"]
        fn request_payment(
            self: Pin<&mut GuiModel>,
            wallet: &QString,
            label: &QString,
            amount: &QString,
            unit: &QString,
            message: &QString,
        );

        /// Builds and signs the payment the send screen describes (its
        /// "Pay to" rows as a JSON array of `{address, amount, subtractFee}`;
        /// a custom rate in sat/vB, or the estimate for `conf_target` when
        /// blank); answered as "prepared" with the question to confirm.
        #[qinvokable]
        #[cxx_name = "prepareSend"]
        fn prepare_send(
            self: Pin<&mut GuiModel>,
            wallet: &QString,
            recipients: &QString,
            unit: &QString,
            conf_target: i32,
            custom_rate: &QString,
            replaceable: bool,
            inputs: &QString,
            passphrase: &QString,
        );

        /// Coin control: answered as "coins" with the wallet's spendable
        /// coins as a JSON array (outpoint, amount in `unit`, sats, address,
        /// label, confirmations, locked).
        #[qinvokable]
        #[cxx_name = "listCoins"]
        fn list_coins(self: Pin<&mut GuiModel>, wallet: &QString, unit: &QString);

        /// What the send screen says of the coins picked.
        #[qinvokable]
        #[cxx_name = "coinSelectionText"]
        fn coin_selection_text(self: &GuiModel, count: i32, sats: i64, unit: &QString) -> QString;

        /// Sends the prepared payment; answered as "sent" with its txid.
        #[qinvokable]
        #[cxx_name = "confirmSend"]
        fn confirm_send(self: Pin<&mut GuiModel>);

        /// Drops the prepared payment or fee bump unsent.
        #[qinvokable]
        #[cxx_name = "cancelSend"]
        fn cancel_send(self: Pin<&mut GuiModel>);

        /// Builds and signs a replacement of the wallet's transaction
        /// `txid` at a higher fee; answered as "bumpPrepared" with the
        /// question to confirm.
        #[qinvokable]
        #[cxx_name = "prepareBump"]
        fn prepare_bump(self: Pin<&mut GuiModel>, wallet: &QString, txid: &QString, passphrase: &QString);

        /// Sends the prepared fee bump; answered as "bumped" with its txid.
        #[qinvokable]
        #[cxx_name = "confirmBump"]
        fn confirm_bump(self: Pin<&mut GuiModel>);

        /// The wallets and settings screens' actions. Every screen action
        /// is answered by `actionReply` with its name ("request",
        /// "prepared", "sent", "create", "open", …) and what to tell the
        /// user (or JSON, for "request", "closed" and "settings").
        #[qinvokable]
        #[cxx_name = "createWallet"]
        fn create_wallet(
            self: Pin<&mut GuiModel>,
            name: &QString,
            passphrase: &QString,
            disable_private_keys: bool,
            blank: bool,
        );

        #[qinvokable]
        #[cxx_name = "openWallet"]
        fn open_wallet(self: Pin<&mut GuiModel>, name: &QString);

        /// Answered with the JSON list of the wallets that could be opened.
        #[qinvokable]
        #[cxx_name = "listClosedWallets"]
        fn list_closed_wallets(self: Pin<&mut GuiModel>);

        #[qinvokable]
        #[cxx_name = "closeWallet"]
        fn close_wallet(self: Pin<&mut GuiModel>, name: &QString);

        #[qinvokable]
        #[cxx_name = "encryptWallet"]
        fn encrypt_wallet(self: Pin<&mut GuiModel>, name: &QString, passphrase: &QString);

        #[qinvokable]
        #[cxx_name = "unlockWallet"]
        fn unlock_wallet(self: Pin<&mut GuiModel>, name: &QString, passphrase: &QString, seconds: i32);

        #[qinvokable]
        #[cxx_name = "lockWallet"]
        fn lock_wallet(self: Pin<&mut GuiModel>, name: &QString);

        #[qinvokable]
        #[cxx_name = "backupWallet"]
        fn backup_wallet(self: Pin<&mut GuiModel>, name: &QString, destination: &QString);

        /// Answered with the settings form as JSON (dbcache, proxy, prune, pruneGb, startOnLogin).
        #[qinvokable]
        #[cxx_name = "loadSettings"]
        fn load_settings(self: Pin<&mut GuiModel>);

        #[qinvokable]
        #[cxx_name = "saveSettings"]
        fn save_settings(
            self: Pin<&mut GuiModel>,
            dbcache: &QString,
            proxy: &QString,
            prune: bool,
            prune_gb: &QString,
            start_on_login: bool,
        );

        #[qsignal]
        #[cxx_name = "actionReply"]
        fn action_reply(self: Pin<&mut GuiModel>, action: QString, error: QString, message: QString);
    }

    impl cxx_qt::Threading for GuiModel {}
}

#[derive(Default)]
pub struct GuiModelRust {
    phase: QString,
    init_message: QString,
    error_message: QString,
    exit_code: i32,
    blocks: i32,
    headers: i32,
    blocks_left: i32,
    progress: f64,
    synced: bool,
    sync_headline: QString,
    sync_detail: QString,
    time_left: QString,
    connections_in: i32,
    connections_out: i32,
    network_active: bool,
    traffic_in: QString,
    traffic_out: QString,
    mempool: QString,
    peers_json: QString,
    wallets_json: QString,
    transactions_json: QString,
    attached: bool,
    chain_name: QString,
    start_minimized: bool,
    show_splash: bool,
    screenshot_dir: QString,
    payment_uri_json: QString,
    payment_uri_error: QString,
    backend: Option<Backend>,
}

/// What the model needs once attached.
struct Backend {
    controller: Arc<Controller>,
    runtime: tokio::runtime::Handle,
    /// Whose addresses the send screen accepts.
    network: bitcoin::Network,
}

/// The controller's screens: each state is queued onto Qt's thread.
struct QtView(cxx_qt::CxxQtThread<qobject::GuiModel>);

impl View for QtView {
    fn show(&self, state: ViewState) {
        // The window is gone when this fails: nothing left to show.
        let _ = self.0.queue(move |model| apply(model, state));
    }
}

fn text(s: &str) -> QString {
    QString::from(s)
}

fn count(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn apply(mut model: Pin<&mut qobject::GuiModel>, state: ViewState) {
    model.as_mut().set_init_message(text(&state.init_message));
    if let Some(sync) = &state.sync {
        model.as_mut().set_blocks(sync.blocks);
        model.as_mut().set_headers(sync.headers);
        model.as_mut().set_blocks_left(sync.blocks_left);
        model.as_mut().set_progress(sync.progress);
        model.as_mut().set_synced(sync.synced);
        model.as_mut().set_sync_headline(text(&sync.headline));
        model.as_mut().set_sync_detail(text(&sync.detail));
        model.as_mut().set_time_left(text(&sync.time_left));
    }
    model.as_mut().set_connections_in(count(state.connections_in));
    model.as_mut().set_connections_out(count(state.connections_out));
    model.as_mut().set_network_active(state.network_active);
    model.as_mut().set_traffic_in(text(&state.traffic_in));
    model.as_mut().set_traffic_out(text(&state.traffic_out));
    model.as_mut().set_mempool(text(&state.mempool));
    let peers = Value::Array(state.peers.iter().map(|p| p.to_json()).collect());
    model.as_mut().set_peers_json(text(&peers.to_string()));
    let wallets = Value::Array(state.wallets.iter().map(|w| w.to_json()).collect());
    model.as_mut().set_wallets_json(text(&wallets.to_string()));
    let transactions = Value::Array(state.transactions.iter().map(|t| t.to_json()).collect());
    model.as_mut().set_transactions_json(text(&transactions.to_string()));
    match &state.payment_uri {
        Some(Ok(payment)) => {
            let amount = payment.amount.map(|sats| format_plain(sats, Unit::Btc)).unwrap_or_default();
            let json = serde_json::json!({
                "address": payment.address,
                "amount": amount,
                "label": payment.label,
                "message": payment.message,
            });
            model.as_mut().set_payment_uri_json(text(&json.to_string()));
        }
        Some(Err(e)) => model.as_mut().set_payment_uri_error(text(e)),
        None => {}
    }
    // The phase last: QML reacts to it, and should see the rest in place.
    let (phase, code, error) = match &state.phase {
        Phase::Starting => ("starting", 0, ""),
        Phase::Ready => ("ready", 0, ""),
        Phase::ShuttingDown => ("shuttingDown", 0, ""),
        Phase::Finished(code) => ("finished", *code, ""),
        Phase::Failed(message) => ("failed", 1, message.as_str()),
    };
    model.as_mut().set_error_message(text(error));
    model.as_mut().set_exit_code(code);
    model.as_mut().set_phase(text(phase));
}

impl qobject::GuiModel {
    fn attach(mut self: Pin<&mut Self>) {
        if self.backend.is_some() {
            return;
        }
        let Some(launch) = super::LAUNCH.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        self.as_mut().set_attached(matches!(launch.role, NodeRole::Attached));
        self.as_mut().set_chain_name(text(&launch.chain_name));
        self.as_mut().set_start_minimized(launch.start_minimized);
        self.as_mut().set_show_splash(launch.splash);
        if let Ok(dir) = std::env::var(SCREENSHOT_DIR_ENV) {
            self.as_mut().set_screenshot_dir(text(&dir));
        }
        self.as_mut().set_phase(text("starting"));
        let view = Arc::new(QtView(self.qt_thread()));
        // The chain names the node accepts are the ones rust-bitcoin reads.
        let network = bitcoin::Network::from_core_arg(&launch.chain_name).unwrap_or(bitcoin::Network::Regtest);
        let controller = Controller::new(launch.node, launch.role, view);
        controller.take_payment_uris(PaymentUris {
            network,
            from_command_line: launch.payment_uri,
            chain_dir: Some(launch.chain_dir),
        });
        controller.set_autostart(launch.autostart);
        launch.runtime.spawn(controller.clone().run(launch.lost));
        // SIGINT and SIGTERM close the window, as the reference GUI does.
        let closing = controller.clone();
        launch.runtime.spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
                return;
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            closing.close().await;
        });
        self.as_mut().rust_mut().backend = Some(Backend { controller, runtime: launch.runtime, network });
    }

    fn close(self: Pin<&mut Self>) {
        if let Some(backend) = &self.backend {
            let controller = backend.controller.clone();
            backend.runtime.spawn(async move { controller.close().await });
        }
    }

    fn report_tray(&self, available: bool) {
        let tray = if available { "icon shown" } else { "none on this platform" };
        tracing::debug!(target: "qt", "System tray: {tray}");
    }

    fn switch_network(self: Pin<&mut Self>, active: bool) {
        if let Some(backend) = &self.backend {
            let controller = backend.controller.clone();
            backend.runtime.spawn(async move { controller.set_network_active(active).await });
        }
    }

    fn run_console(self: Pin<&mut Self>, line: &QString, wallet: &QString) {
        let Some(backend) = &self.backend else { return };
        let (line, wallet) = (line.to_string(), wallet.to_string());
        let controller = backend.controller.clone();
        let thread = self.qt_thread();
        backend.runtime.spawn(async move {
            let wallet = Some(wallet.as_str()).filter(|w| !w.is_empty());
            let reply = controller.console(&line, wallet).await;
            let _ = thread.queue(move |model| model.console_reply(text(&reply)));
        });
    }

    fn unit_names(&self) -> QString {
        text(&Unit::ALL.map(Unit::name).join(","))
    }

    fn address_problem(&self, address: &QString) -> QString {
        let network = self.backend.as_ref().map_or(bitcoin::Network::Regtest, |b| b.network);
        text(&send::address_problem(&address.to_string(), network).unwrap_or_default())
    }

    fn request_payment(
        self: Pin<&mut Self>,
        wallet: &QString,
        label: &QString,
        amount: &QString,
        unit: &QString,
        message: &QString,
    ) {
        let (wallet, label, amount, message) =
            (wallet.to_string(), label.to_string(), amount.to_string(), message.to_string());
        let unit = Unit::from_name(&unit.to_string()).unwrap_or(Unit::Btc);
        self.action("request", move |c| async move {
            let request = c.request_payment(&wallet, &label, &amount, unit, &message).await?;
            Ok(request.to_json().to_string())
        });
    }

    fn prepare_send(
        self: Pin<&mut Self>,
        wallet: &QString,
        recipients: &QString,
        unit: &QString,
        conf_target: i32,
        custom_rate: &QString,
        replaceable: bool,
        inputs: &QString,
        passphrase: &QString,
    ) {
        let Some(network) = self.backend.as_ref().map(|b| b.network) else { return };
        let (custom_rate, passphrase) = (custom_rate.to_string(), passphrase.to_string());
        let inputs: Result<Vec<String>, String> =
            serde_json::from_str(&inputs.to_string()).map_err(|e| format!("The coins picked cannot be read: {e}"));
        let recipients = RecipientForm::list_from_json(&recipients.to_string());
        let unit = Unit::from_name(&unit.to_string()).unwrap_or(Unit::Btc);
        let wallet = wallet.to_string();
        self.action("prepared", move |c| async move {
            let form = SendForm {
                recipients: recipients?,
                unit,
                fee: match custom_rate.trim() {
                    "" => FeeField::Recommended { conf_target: conf_target.max(1) as u32 },
                    _ => FeeField::Custom { sat_per_vb: custom_rate },
                },
                replaceable,
                inputs: inputs?,
            };
            c.prepare_send(&wallet, &form, network, &passphrase).await
        });
    }

    fn list_coins(self: Pin<&mut Self>, wallet: &QString, unit: &QString) {
        let wallet = wallet.to_string();
        let unit = Unit::from_name(&unit.to_string()).unwrap_or(Unit::Btc);
        self.action("coins", move |c| async move { c.coins(&wallet, unit).await });
    }

    fn coin_selection_text(&self, count: i32, sats: i64, unit: &QString) -> QString {
        let unit = Unit::from_name(&unit.to_string()).unwrap_or(Unit::Btc);
        text(&crate::model::coins::selection_text(count.max(0) as usize, sats, unit))
    }

    fn confirm_send(self: Pin<&mut Self>) {
        self.action("sent", move |c| async move { c.confirm_send().await });
    }

    fn prepare_bump(self: Pin<&mut Self>, wallet: &QString, txid: &QString, passphrase: &QString) {
        let (wallet, txid, passphrase) = (wallet.to_string(), txid.to_string(), passphrase.to_string());
        self.action("bumpPrepared", move |c| async move { c.prepare_bump(&wallet, &txid, &passphrase).await });
    }

    fn confirm_bump(self: Pin<&mut Self>) {
        self.action("bumped", move |c| async move { c.confirm_send().await });
    }

    /// Runs a screen's action on the runtime and answers with `actionReply`.
    fn action<F, Fut>(self: Pin<&mut Self>, action: &'static str, run: F)
    where
        F: FnOnce(Arc<Controller>) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<String, String>> + Send + 'static,
    {
        let Some(backend) = &self.backend else { return };
        let controller = backend.controller.clone();
        let thread = self.qt_thread();
        backend.runtime.spawn(async move {
            // One of the two is empty: the answer, or why there is none.
            let (error, message) = match run(controller).await {
                Ok(message) => (String::new(), message),
                Err(error) => (error, String::new()),
            };
            let _ = thread.queue(move |model| model.action_reply(text(action), text(&error), text(&message)));
        });
    }

    fn create_wallet(
        self: Pin<&mut Self>,
        name: &QString,
        passphrase: &QString,
        disable_private_keys: bool,
        blank: bool,
    ) {
        let name = name.to_string();
        let options = WalletCreation { passphrase: passphrase.to_string(), disable_private_keys, blank };
        self.action("create", move |c| async move { c.create_wallet(&name, options).await });
    }

    fn open_wallet(self: Pin<&mut Self>, name: &QString) {
        let name = name.to_string();
        self.action("open", move |c| async move { c.open_wallet(&name).await });
    }

    fn list_closed_wallets(self: Pin<&mut Self>) {
        self.action(
            "closed",
            move |c| async move { c.closed_wallets().await.map(|names| Value::from(names).to_string()) },
        );
    }

    fn close_wallet(self: Pin<&mut Self>, name: &QString) {
        let name = name.to_string();
        self.action("close", move |c| async move { c.close_wallet(&name).await });
    }

    fn encrypt_wallet(self: Pin<&mut Self>, name: &QString, passphrase: &QString) {
        let (name, passphrase) = (name.to_string(), passphrase.to_string());
        self.action("encrypt", move |c| async move { c.encrypt_wallet(&name, &passphrase).await });
    }

    fn unlock_wallet(self: Pin<&mut Self>, name: &QString, passphrase: &QString, seconds: i32) {
        let (name, passphrase, seconds) = (name.to_string(), passphrase.to_string(), seconds.max(1) as u32);
        self.action("unlock", move |c| async move { c.unlock_wallet(&name, &passphrase, seconds).await });
    }

    fn lock_wallet(self: Pin<&mut Self>, name: &QString) {
        let name = name.to_string();
        self.action("lock", move |c| async move { c.lock_wallet(&name).await });
    }

    fn backup_wallet(self: Pin<&mut Self>, name: &QString, destination: &QString) {
        let (name, destination) = (name.to_string(), destination.to_string());
        self.action("backup", move |c| async move { c.backup_wallet(&name, &destination).await });
    }

    fn load_settings(self: Pin<&mut Self>) {
        self.action("settings", move |c| async move {
            let form = c.settings().await?;
            let form = serde_json::json!({
                "dbcache": form.dbcache,
                "proxy": form.proxy,
                "prune": form.prune,
                "pruneGb": form.prune_gb,
                "startOnLogin": form.start_on_login,
            });
            Ok(form.to_string())
        });
    }

    fn save_settings(
        self: Pin<&mut Self>,
        dbcache: &QString,
        proxy: &QString,
        prune: bool,
        prune_gb: &QString,
        start_on_login: bool,
    ) {
        let form = SettingsForm {
            dbcache: dbcache.to_string(),
            proxy: proxy.to_string(),
            prune,
            prune_gb: prune_gb.to_string(),
            start_on_login,
        };
        self.action("saveSettings", move |c| async move { c.save_settings(&form).await });
    }

    fn cancel_send(self: Pin<&mut Self>) {
        if let Some(backend) = &self.backend {
            backend.controller.cancel_send();
        }
    }

    fn history_older(&self) -> QString {
        self.backend.as_ref().and_then(|b| b.controller.history_older()).map_or_else(QString::default, |l| text(&l))
    }

    fn history_newer(&self) -> QString {
        self.backend.as_ref().and_then(|b| b.controller.history_newer()).map_or_else(QString::default, |l| text(&l))
    }
}

/// Where the window saves a picture of each screen once the node is ready,
/// for reviewers of the functional tests; unset in normal use.
pub(super) const SCREENSHOT_DIR_ENV: &str = "HASHVIVE_GUI_SCREENSHOTS";
