// The send screen: pay one or more addresses from the chosen wallet in one
// transaction. Each address is checked as it is typed; the wallet builds and
// signs the payment, the user sees its fee and total and confirms, and only
// then is it sent. Coin control picks the coins to spend (none picked: the
// wallet chooses).
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    id: screen
    property var gui
    readonly property var wallets: gui.walletsJson === "" ? [] : JSON.parse(gui.walletsJson)
    property string outcome: ""
    property bool busy: false
    readonly property bool locked: wallets.length > 0 && wallet.currentIndex >= 0
        && wallet.currentIndex < wallets.length && wallets[wallet.currentIndex].encryption === "locked"

    // The "Pay to" rows; the wallet hears of them only when Send is pressed.
    ListModel { id: rows }
    // Coin control: the wallet's spendable coins, each with `picked`.
    ListModel { id: coins }
    property int pickedCount: 0
    property real pickedSats: 0
    function countPicked() {
        let count = 0, sats = 0
        for (let i = 0; i < coins.count; i++) {
            if (coins.get(i).picked) { count++; sats += coins.get(i).sats }
        }
        pickedCount = count
        pickedSats = sats
    }
    function pickedOutpoints() {
        const picked = []
        if (coinControl.checked) {
            for (let i = 0; i < coins.count; i++) {
                if (coins.get(i).picked) picked.push(coins.get(i).outpoint)
            }
        }
        return picked
    }
    function loadCoins() { if (coinControl.checked && wallets.length > 0) gui.listCoins(wallet.walletId, unit.currentText) }
    Component.onCompleted: rows.append(blankRow())
    function blankRow() { return { address: "", amount: "", subtractFee: false } }
    // Counts edits of the rows, so that `filled` is computed again.
    property int edits: 0
    // Every row has an address and an amount, and no address is refused.
    readonly property bool filled: {
        edits
        for (let i = 0; i < rows.count; i++) {
            const row = rows.get(i)
            if (row.address === "" || row.amount === "" || gui.addressProblem(row.address) !== "") return false
        }
        return rows.count > 0
    }

    Connections {
        target: gui
        // A payment URI (from the command line, or a later start) fills the form.
        function onPaymentUriJsonChanged() {
            const uri = JSON.parse(gui.paymentUriJson)
            rows.clear()
            rows.append({ address: uri.address, amount: uri.amount, subtractFee: false })
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
                if (error === "") { rows.clear(); rows.append(screen.blankRow()); screen.loadCoins() }
            } else if (action === "coins") {
                if (error !== "") { outcome = error; return }
                coins.clear()
                for (const coin of JSON.parse(reply)) coins.append(Object.assign({ picked: false }, coin))
                screen.countPicked()
            }
        }
    }

    GridLayout {
        columns: 2
        rowSpacing: 8
        Label { text: qsTr("Wallet") }
        WalletChooser { id: wallet; wallets: screen.wallets }
        Label { text: qsTr("Pay to"); Layout.alignment: Qt.AlignTop; Layout.topMargin: 8 }
        ColumnLayout {
            Repeater {
                model: rows
                delegate: ColumnLayout {
                    id: row
                    required property int index
                    required property string address
                    required property string amount
                    required property bool subtractFee
                    readonly property string problem: address === "" ? "" : gui.addressProblem(address)
                    RowLayout {
                        TextField {
                            objectName: "sendAddress"
                            text: row.address
                            onTextEdited: { rows.setProperty(row.index, "address", text); screen.edits++ }
                            Layout.preferredWidth: 480
                            font.family: "monospace"
                            placeholderText: qsTr("Enter a Bitcoin address")
                        }
                        Button {
                            text: qsTr("Remove")
                            visible: rows.count > 1
                            onClicked: rows.remove(row.index)
                        }
                    }
                    Label { text: row.problem; color: "firebrick"; visible: row.problem !== "" }
                    RowLayout {
                        Label { text: qsTr("Amount") }
                        TextField {
                            objectName: "sendAmount"
                            text: row.amount
                            onTextEdited: { rows.setProperty(row.index, "amount", text); screen.edits++ }
                            Layout.preferredWidth: 200
                        }
                        CheckBox {
                            text: qsTr("Subtract fee from amount")
                            checked: row.subtractFee
                            onToggled: { rows.setProperty(row.index, "subtractFee", checked); screen.edits++ }
                        }
                    }
                }
            }
            RowLayout {
                Button { text: qsTr("Add recipient"); onClicked: rows.append(screen.blankRow()) }
                Label { text: qsTr("Amounts in") }
                ComboBox { id: unit; model: gui.unitNames().split(","); onActivated: screen.loadCoins() }
            }
        }
        Label { text: qsTr("Inputs"); Layout.alignment: Qt.AlignTop; Layout.topMargin: 8 }
        ColumnLayout {
            RowLayout {
                CheckBox {
                    id: coinControl
                    objectName: "coinControl"
                    text: qsTr("Choose the coins to spend (coin control)")
                    onToggled: screen.loadCoins()
                }
                Button { text: qsTr("Refresh"); visible: coinControl.checked; onClicked: screen.loadCoins() }
            }
            Connections {
                target: wallet
                function onActivated() { screen.loadCoins() }
            }
            ListView {
                objectName: "coinList"
                visible: coinControl.checked
                model: coins
                clip: true
                Layout.preferredWidth: 640
                Layout.preferredHeight: Math.min(contentHeight, 180)
                delegate: CheckBox {
                    required property int index
                    required property string outpoint
                    required property string amount
                    required property string address
                    required property string label
                    required property int confirmations
                    required property bool locked
                    required property bool picked
                    checked: picked
                    text: amount + "  " + (label !== "" ? label + " (" + address + ")" : address)
                        + "  " + qsTr("%n confirmation(s)", "", confirmations) + (locked ? "  " + qsTr("locked") : "")
                    onToggled: { coins.setProperty(index, "picked", checked); screen.countPicked() }
                }
            }
            Label {
                objectName: "coinSelection"
                visible: coinControl.checked
                text: coins.count === 0 ? qsTr("The wallet has no coin to spend.")
                    : gui.coinSelectionText(pickedCount, pickedSats, unit.currentText)
            }
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
            enabled: !busy && wallets.length > 0 && screen.filled
            onClicked: {
                busy = true
                outcome = ""
                const recipients = []
                for (let i = 0; i < rows.count; i++) {
                    const row = rows.get(i)
                    recipients.push({ address: row.address, amount: row.amount, subtractFee: row.subtractFee })
                }
                gui.prepareSend(wallet.walletId, JSON.stringify(recipients), unit.currentText, target.value,
                                custom.checked ? rate.text : "", replaceable.checked,
                                JSON.stringify(screen.pickedOutpoints()), locked ? passphrase.text : "")
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
