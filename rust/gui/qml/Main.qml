// The main window: a splash while the node starts, then the overview, send,
// receive, transactions, wallets, settings, peers and console screens, and a dialog when the node fails or is lost.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import org.hashvive.gui

ApplicationWindow {
    id: window
    width: 1040
    height: 600
    visible: true
    visibility: app.startMinimized ? Window.Minimized : Window.AutomaticVisibility
    title: "Hashvive" + (app.chainName !== "main" && app.chainName !== "" ? " - [" + app.chainName + "]" : "")

    GuiModel {
        id: app
        onPhaseChanged: {
            if (phase === "finished") {
                Qt.exit(exitCode)
            } else if (phase === "failed") {
                // No one can answer a dialog on the offscreen platform.
                if (Qt.platform.pluginName === "offscreen") Qt.exit(1)
                else failure.open()
            }
            if (phase === "ready") tray.load()
            if (phase === "ready" && (paymentUriJson !== "" || paymentUriError !== "")) {
                window.home = 1
                tabs.currentIndex = 1
            }
            if (phase === "ready" && screenshotDir !== "") {
                // The overview first: its picture marks the moment the
                // window became usable (test/bench/gui_bench.py).
                ["overview", "send", "receive", "transactions", "wallets", "settings", "peers", "console"]
                    .forEach((name, index) => window.picture(index, name))
            }
        }
        // Then pictures of what changed, once it settles: the overview with
        // new balances and the transactions list; and once, a payment
        // request of the first wallet to arrive, so the receive screen is
        // pictured with an address and its QR code.
        onWalletsJsonChanged: {
            if (phase !== "ready" || screenshotDir === "") return
            settled.restart()
            const wallets = JSON.parse(walletsJson)
            if (!window.requested && wallets.length > 0) {
                window.requested = true
                requestPayment(wallets[0].id, "Pictured", "0.5", "BTC", "For the reviewers")
            }
        }
        // A payment URI from a later start (a link clicked while the GUI
        // runs): the send screen, and the window brought forward.
        onPaymentUriJsonChanged: window.showPaymentUri()
        onPaymentUriErrorChanged: window.showPaymentUri()
        onTransactionsJsonChanged: {
            if (phase === "ready" && screenshotDir !== "") settled.restart()
        }
        onActionReply: (action, error, reply) => {
            if (action === "request" && screenshotDir !== "" && error === "") window.picture(2, "request")
        }
    }

    // Pictures of the screens for reviewers of the functional tests, one at
    // a time: each shows its screen until it is saved.
    property var pictures: []
    property bool requested: false
    // The screen shown once pictures are taken: the send screen for a payment URI.
    property int home: 0

    function showPaymentUri() {
        if (app.phase !== "ready") return
        window.home = 1
        tabs.currentIndex = 1
        if (window.visibility === Window.Minimized || window.visibility === Window.Hidden) window.showNormal()
        // The offscreen platform has no stacking and says so on stderr.
        if (Qt.platform.pluginName === "offscreen") return
        window.raise()
        window.requestActivate()
    }

    function picture(index, name) {
        pictures.push([index, name])
        if (pictures.length === 1) takePicture()
    }
    function takePicture() {
        const [index, name] = pictures[0]
        tabs.currentIndex = index
        Qt.callLater(() => screens.children[index].grabToImage(result => {
            result.saveToFile(app.screenshotDir + "/" + name + ".png")
            pictures.shift()
            if (pictures.length > 0) takePicture()
            else tabs.currentIndex = window.home
        }))
    }

    Timer {
        id: settled
        interval: 500
        onTriggered: { window.picture(0, "balances"); window.picture(3, "history") }
    }

    Component.onCompleted: app.attach()

    onClosing: (close) => {
        if (app.phase !== "finished" && app.phase !== "failed") {
            close.accepted = false
            app.close()
        }
    }

    header: TabBar {
        id: tabs
        enabled: app.phase === "ready"
        TabButton { text: qsTr("Overview") }
        TabButton { text: qsTr("Send") }
        TabButton { text: qsTr("Receive") }
        TabButton { text: qsTr("Transactions") }
        TabButton { text: qsTr("Wallets") }
        TabButton { text: qsTr("Settings") }
        TabButton { text: qsTr("Peers") }
        TabButton { text: qsTr("Console") }
    }

    // The tray icon, once the node is ready (its log then takes the GUI's
    // word on it). In a Loader: without the Qt.labs.platform module the
    // window still works. The offscreen platform (tests, benchmarks) has no
    // tray to ask.
    Loader {
        id: tray
        function load() {
            if (Qt.platform.pluginName === "offscreen") app.reportTray(false)
            else setSource("Tray.qml", { window: window, gui: app })
        }
    }

    StackLayout {
        id: screens
        anchors.fill: parent
        currentIndex: tabs.currentIndex
        // The screens a payment URI or a request fills are made at once;
        // the others when first shown, so the window is up sooner.
        Overview { id: overview; gui: app }
        Send { id: sending; gui: app }
        Receive { id: receiving; gui: app }
        Lazy { Transactions { gui: app } }
        Lazy { Wallets { gui: app } }
        Lazy { Settings { gui: app } }
        Lazy { Peers { gui: app } }
        Lazy { Console { gui: app } }
    }

    footer: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            Label {
                objectName: "statusText"
                text: app.phase === "shuttingDown" ? qsTr("Shutting down…")
                    : app.phase === "ready" ? app.syncHeadline : app.initMessage
                Layout.fillWidth: true
            }
            ProgressBar {
                visible: app.phase === "ready" && !app.synced
                value: app.progress
            }
            Switch {
                objectName: "networkSwitch"
                text: qsTr("%1 connections").arg(app.connectionsIn + app.connectionsOut)
                checked: app.networkActive
                enabled: app.phase === "ready"
                onToggled: app.switchNetwork(checked)
            }
        }
    }

    // The splash: what the node is doing while it starts, and shutting down.
    Rectangle {
        anchors.fill: parent
        visible: app.showSplash && (app.phase === "starting" || app.phase === "shuttingDown" || app.phase === "")
        color: window.palette.window
        Column {
            anchors.centerIn: parent
            spacing: 12
            Label { text: "Hashvive"; font.pixelSize: 32; anchors.horizontalCenter: parent.horizontalCenter }
            Label {
                text: app.phase === "shuttingDown" ? qsTr("Shutting down…") : (app.initMessage || qsTr("Starting the node…"))
                anchors.horizontalCenter: parent.horizontalCenter
            }
            BusyIndicator { running: parent.visible; anchors.horizontalCenter: parent.horizontalCenter }
        }
    }

    Dialog {
        id: failure
        title: qsTr("Hashvive")
        modal: true
        anchors.centerIn: parent
        standardButtons: Dialog.Ok
        width: Math.min(window.width - 40, 480)
        contentItem: Label { text: app.errorMessage; wrapMode: Text.Wrap }
        onClosed: Qt.exit(1)
    }
}
