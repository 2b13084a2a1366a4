// The send screen: pay an address from the chosen wallet. The address is
// checked as it is typed; the wallet builds and signs the payment, the user
// sees its fee and total and confirms, and only then is it sent.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    id: screen
    property var gui
    readonly property var wallets: gui.walletsJson === "" ? [] : JSON.parse(gui.walletsJson)
    readonly property string addressProblem: address.text === "" ? "" : gui.addressProblem(address.text)
    property string outcome: ""
    property bool busy: false
    readonly property bool locked: wallets.length > 0 && wallet.currentIndex >= 0
        && wallet.currentIndex < wallets.length && wallets[wallet.currentIndex].encryption === "locked"

    Connections {
        target: gui
        // A payment URI from the command line fills the form.
        function onPaymentUriJsonChanged() {
            const uri = JSON.parse(gui.paymentUriJson)
            address.text = uri.address
            amount.text = uri.amount
            unit.currentIndex = 0
            outcome = [uri.label, uri.message].filter(t => t !== "").join(": ")
        }
        function onPaymentUriErrorChanged() { outcome = gui.paymentUriError }
        function onActionReply(action, error, reply) {
            if (action === "prepared") {
                busy = false
                if (error !== "") { outcome = error; return }
                confirmation.question = reply
                confirmation.open()
            } else if (action === "sent") {
                busy = false
                outcome = error !== "" ? error : qsTr("Sent: %1").arg(reply)
                if (error === "") { address.text = ""; amount.text = "" }
            }
        }
    }

    GridLayout {
        columns: 2
        rowSpacing: 8
        Label { text: qsTr("Wallet") }
        WalletChooser { id: wallet; wallets: screen.wallets }
        Label { text: qsTr("Pay to") }
        TextField {
            id: address
            objectName: "sendAddress"
            Layout.preferredWidth: 480
            font.family: "monospace"
            placeholderText: qsTr("Enter a Bitcoin address")
        }
        Label { text: ""; visible: addressProblem !== "" }
        Label { text: addressProblem; color: "firebrick"; visible: addressProblem !== "" }
        Label { text: qsTr("Amount") }
        RowLayout {
            TextField { id: amount; objectName: "sendAmount"; Layout.preferredWidth: 200 }
            ComboBox { id: unit; model: gui.unitNames().split(",") }
            CheckBox { id: subtractFee; text: qsTr("Subtract fee from amount") }
        }
        Label { text: qsTr("Transaction fee") }
        ColumnLayout {
            RowLayout {
                RadioButton { id: recommended; text: qsTr("Recommended:"); checked: true }
                Label { text: qsTr("confirmation within") }
                SpinBox { id: target; from: 1; to: 1008; value: 6; enabled: recommended.checked }
                Label { text: qsTr("blocks") }
            }
            RowLayout {
                RadioButton { id: custom; text: qsTr("Custom:") }
                TextField { id: rate; enabled: custom.checked; Layout.preferredWidth: 100; placeholderText: "1.000" }
                Label { text: qsTr("sat/vB") }
            }
            CheckBox {
                id: replaceable
                checked: true
                text: qsTr("Enable Replace-By-Fee (the fee can be raised later)")
            }
        }
        Label { text: qsTr("Passphrase"); visible: locked }
        TextField {
            id: passphrase
            visible: locked
            echoMode: TextInput.Password
            placeholderText: qsTr("The wallet is locked: its passphrase signs this payment")
            Layout.preferredWidth: 480
        }
        Label { text: "" }
        Button {
            objectName: "sendButton"
            text: qsTr("Send")
            enabled: !busy && wallets.length > 0 && address.text !== "" && addressProblem === "" && amount.text !== ""
            onClicked: {
                busy = true
                outcome = ""
                gui.prepareSend(wallet.walletId, address.text, amount.text, unit.currentText, subtractFee.checked,
                                target.value, custom.checked ? rate.text : "", replaceable.checked,
                                locked ? passphrase.text : "")
                passphrase.text = ""
            }
        }
        Label { text: "" ; visible: outcome !== "" }
        Label { objectName: "sendOutcome"; text: outcome; wrapMode: Text.Wrap; Layout.maximumWidth: 560; visible: outcome !== "" }
        Label { text: ""; visible: wallets.length === 0 }
        Label { text: qsTr("No wallet is loaded."); visible: wallets.length === 0 }
    }

    Dialog {
        id: confirmation
        property string question: ""
        title: qsTr("Confirm send coins")
        modal: true
        anchors.centerIn: parent
        standardButtons: Dialog.Yes | Dialog.Cancel
        width: Math.min(screen.width - 40, 560)
        contentItem: Label { text: qsTr("Are you sure you want to send?") + "\n\n" + confirmation.question; wrapMode: Text.Wrap }
        onAccepted: { busy = true; gui.confirmSend() }
        onRejected: gui.cancelSend()
    }
}
