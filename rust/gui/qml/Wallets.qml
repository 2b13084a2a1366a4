// The wallets screen (the reference GUI's File menu): create, open and
// close wallets; encrypt, unlock, lock and back up a loaded one.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    id: screen
    property var gui
    readonly property var wallets: gui.walletsJson === "" ? [] : JSON.parse(gui.walletsJson)
    property var closed: []
    property string outcome: ""
    property bool failed: false

    onVisibleChanged: if (visible) gui.listClosedWallets()
    Component.onCompleted: gui.listClosedWallets()
    Connections {
        target: gui
        function onActionReply(action, error, message) {
            if (["create", "open", "close", "encrypt", "unlock", "lock", "backup", "closed"].indexOf(action) < 0) return
            if (action === "closed") {
                if (error === "") closed = JSON.parse(message)
                return
            }
            failed = error !== ""
            outcome = failed ? error : message
            gui.listClosedWallets()
        }
    }

    RowLayout {
        spacing: 40
        ColumnLayout {
            Layout.alignment: Qt.AlignTop
            spacing: 8
            Label { text: qsTr("Loaded wallets"); font.bold: true }
            Label { text: qsTr("No wallet is loaded."); visible: wallets.length === 0 }
            Repeater {
                model: wallets
                RowLayout {
                    required property var modelData
                    Label {
                        text: modelData.name + (modelData.encryption !== "" ? " (" + modelData.encryption + ")" : "")
                        Layout.preferredWidth: 200
                    }
                    Button {
                        text: qsTr("Encrypt…")
                        visible: modelData.encryption === ""
                        onClicked: passphrases.ask("encrypt", modelData.id)
                    }
                    Button {
                        text: qsTr("Unlock…")
                        visible: modelData.encryption === "locked"
                        onClicked: passphrases.ask("unlock", modelData.id)
                    }
                    Button {
                        text: qsTr("Lock")
                        visible: modelData.encryption === "unlocked"
                        onClicked: gui.lockWallet(modelData.id)
                    }
                    Button { text: qsTr("Back up…"); onClicked: backup.ask(modelData.id) }
                    Button { text: qsTr("Close"); onClicked: gui.closeWallet(modelData.id) }
                }
            }
            Label { text: qsTr("Open a wallet"); font.bold: true; Layout.topMargin: 16 }
            RowLayout {
                ComboBox {
                    id: toOpen
                    implicitWidth: 220
                    model: closed.map(n => n === "" ? "[default wallet]" : n)
                }
                Button {
                    text: qsTr("Open")
                    enabled: closed.length > 0
                    onClicked: gui.openWallet(closed[toOpen.currentIndex])
                }
            }
            Label {
                objectName: "walletOutcome"
                text: outcome
                color: failed ? "firebrick" : palette.text
                wrapMode: Text.Wrap
                Layout.maximumWidth: 520
                Layout.topMargin: 16
            }
        }
        GridLayout {
            Layout.alignment: Qt.AlignTop
            columns: 2
            rowSpacing: 8
            Label { text: qsTr("Create a wallet"); font.bold: true; Layout.columnSpan: 2 }
            Label { text: qsTr("Name") }
            TextField { id: newName; objectName: "newWalletName"; Layout.preferredWidth: 240 }
            Label { text: qsTr("Passphrase") }
            TextField {
                id: newPassphrase
                echoMode: TextInput.Password
                placeholderText: qsTr("none: not encrypted")
                Layout.preferredWidth: 240
                enabled: !watchOnly.checked
            }
            Label { text: qsTr("Repeat passphrase") }
            TextField { id: newRepeat; echoMode: TextInput.Password; Layout.preferredWidth: 240; enabled: !watchOnly.checked }
            Label { text: "" }
            CheckBox { id: watchOnly; text: qsTr("Disable private keys (watch-only)") }
            Label { text: "" }
            CheckBox { id: blank; text: qsTr("Make a blank wallet") }
            Label { text: "" }
            Button {
                text: qsTr("Create")
                enabled: newName.text !== "" && newPassphrase.text === newRepeat.text
                onClicked: {
                    gui.createWallet(newName.text, watchOnly.checked ? "" : newPassphrase.text, watchOnly.checked, blank.checked)
                    newPassphrase.text = ""
                    newRepeat.text = ""
                }
            }
        }
    }

    // A passphrase for a wallet: a new one twice (encrypt), or the one it
    // has and for how long to open it (unlock).
    Dialog {
        id: passphrases
        property string mode: "encrypt"
        property string wallet: ""
        function ask(action, name) {
            mode = action
            wallet = name
            first.text = ""
            second.text = ""
            open()
        }
        title: mode === "encrypt" ? qsTr("Encrypt wallet") : qsTr("Unlock wallet")
        modal: true
        anchors.centerIn: parent
        width: Math.min(screen.width - 40, 460)
        standardButtons: Dialog.Ok | Dialog.Cancel
        contentItem: GridLayout {
            columns: 2
            Label { text: qsTr("Passphrase") }
            TextField { id: first; echoMode: TextInput.Password; Layout.fillWidth: true }
            Label { text: passphrases.mode === "encrypt" ? qsTr("Repeat") : qsTr("Seconds") }
            TextField {
                id: second
                echoMode: passphrases.mode === "encrypt" ? TextInput.Password : TextInput.Normal
                placeholderText: passphrases.mode === "encrypt" ? "" : "300"
                Layout.fillWidth: true
            }
        }
        onAccepted: {
            if (mode === "unlock") {
                gui.unlockWallet(wallet, first.text, parseInt(second.text || "300"))
            } else if (first.text !== second.text) {
                failed = true
                outcome = qsTr("The passphrases do not match.")
            } else {
                gui.encryptWallet(wallet, first.text)
            }
            first.text = ""
            second.text = ""
        }
    }

    Dialog {
        id: backup
        property string wallet: ""
        function ask(name) { wallet = name; open() }
        title: qsTr("Back up wallet")
        modal: true
        anchors.centerIn: parent
        width: Math.min(screen.width - 40, 560)
        standardButtons: Dialog.Save | Dialog.Cancel
        contentItem: ColumnLayout {
            Label { text: qsTr("A file, or a directory to write wallet.dat into:") }
            TextField { id: destination; Layout.fillWidth: true }
        }
        onAccepted: gui.backupWallet(wallet, destination.text)
    }
}
