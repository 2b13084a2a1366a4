// The transactions screen: the chosen wallet's history, newest first,
// filtered by type and by text (address, label or txid); a row's details on
// click, where an unconfirmed payment signalling BIP125 can have its fee
// raised: the wallet builds and signs the replacement, the user sees the new
// fee and confirms, and only then is it sent.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    id: screen
    property var gui
    readonly property var wallets: gui.walletsJson === "" ? [] : JSON.parse(gui.walletsJson)
    readonly property var all: gui.transactionsJson === "" ? [] : JSON.parse(gui.transactionsJson)
    // The wallet holding the row shown in the details is locked: signing
    // the replacement takes its passphrase.
    readonly property bool detailsLocked: details.row !== null
        && wallets.some(w => w.id === details.row.wallet && w.encryption === "locked")
    property string bumpOutcome: ""
    property bool busy: false
    readonly property var shown: all.filter(t => t.wallet === wallet.walletId
        && (kind.currentIndex === 0 || t.kind === kind.currentText)
        && (search.text === "" || [t.address, t.label, t.txid].some(f => f.toLowerCase().includes(search.text.toLowerCase()))))

    Connections {
        target: gui
        function onActionReply(action, error, reply) {
            if (action === "bumpPrepared") {
                busy = false
                if (error !== "") { bumpOutcome = error; return }
                bumpConfirmation.question = reply
                bumpConfirmation.open()
            } else if (action === "bumped") {
                busy = false
                bumpOutcome = error !== "" ? error : qsTr("Fee increased: the replacement is %1").arg(reply)
            }
        }
    }

    ColumnLayout {
        anchors.fill: parent
        RowLayout {
            WalletChooser { id: wallet; wallets: screen.wallets }
            ComboBox {
                id: kind
                implicitWidth: 200
                model: [qsTr("All"), "Received with", "Sent to", "Payment to yourself", "Mined"]
            }
            TextField {
                id: search
                objectName: "transactionSearch"
                Layout.fillWidth: true
                placeholderText: qsTr("Enter address, transaction id, or label to search")
            }
        }
        Label { text: qsTr("%1 transactions").arg(shown.length) }
        ListView {
            id: list
            objectName: "transactionList"
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: shown
            delegate: ItemDelegate {
                required property var modelData
                width: list.width
                contentItem: RowLayout {
                    spacing: 16
                    Label { text: modelData.date; Layout.preferredWidth: 170; font.family: "monospace" }
                    Label { text: modelData.kind; Layout.preferredWidth: 150 }
                    Label {
                        text: modelData.label !== "" ? modelData.label : modelData.address
                        elide: Text.ElideMiddle
                        Layout.fillWidth: true
                    }
                    Label {
                        text: modelData.amount
                        color: modelData.amount.startsWith("-") ? "firebrick" : palette.text
                        font.family: "monospace"
                        horizontalAlignment: Text.AlignRight
                        Layout.preferredWidth: 180
                    }
                }
                ToolTip.visible: hovered
                ToolTip.text: modelData.status
                onClicked: { details.row = modelData; bumpOutcome = ""; details.open() }
            }
        }
    }

    Dialog {
        id: details
        property var row: null
        title: qsTr("Transaction details")
        modal: true
        anchors.centerIn: parent
        width: Math.min(screen.width - 40, 760)
        standardButtons: Dialog.Close
        contentItem: GridLayout {
            columns: 2
            rowSpacing: 4
            Label { text: qsTr("Status:") }
            Label { text: details.row ? details.row.status : "" }
            Label { text: qsTr("Date:") }
            Label { text: details.row ? details.row.date : "" }
            Label { text: qsTr("Type:") }
            Label { text: details.row ? details.row.kind : "" }
            Label { text: qsTr("Address:") }
            TextEdit { text: details.row ? details.row.address : ""; readOnly: true; selectByMouse: true; font.family: "monospace" }
            Label { text: qsTr("Label:") }
            Label { text: details.row ? details.row.label : "" }
            Label { text: qsTr("Net amount:") }
            Label { text: details.row ? details.row.amount : "" }
            Label { text: qsTr("Transaction fee:"); visible: details.row !== null && details.row.fee !== "" }
            Label { text: details.row ? details.row.fee : ""; visible: details.row !== null && details.row.fee !== "" }
            Label { text: qsTr("Transaction ID:") }
            TextEdit { text: details.row ? details.row.txid : ""; readOnly: true; selectByMouse: true; font.family: "monospace" }
            Label { text: qsTr("Replaceable:") }
            Label { text: details.row && details.row.replaceable ? qsTr("yes (BIP125)") : qsTr("no") }
            Label { text: qsTr("Passphrase:"); visible: bump.visible && detailsLocked }
            TextField {
                id: passphrase
                visible: bump.visible && detailsLocked
                echoMode: TextInput.Password
                placeholderText: qsTr("The wallet is locked: its passphrase signs the replacement")
                Layout.fillWidth: true
            }
            Label { text: "" ; visible: bump.visible }
            Button {
                id: bump
                objectName: "bumpFeeButton"
                text: qsTr("Increase transaction fee")
                visible: details.row !== null && details.row.bumpable
                enabled: !busy
                onClicked: {
                    busy = true
                    bumpOutcome = ""
                    gui.prepareBump(details.row.wallet, details.row.txid, detailsLocked ? passphrase.text : "")
                    passphrase.text = ""
                }
            }
            Label { text: ""; visible: bumpOutcome !== "" }
            Label {
                objectName: "bumpOutcome"
                text: bumpOutcome
                visible: bumpOutcome !== ""
                wrapMode: Text.Wrap
                Layout.maximumWidth: 560
            }
        }
    }

    Dialog {
        id: bumpConfirmation
        property string question: ""
        title: qsTr("Confirm fee bump")
        modal: true
        anchors.centerIn: parent
        standardButtons: Dialog.Yes | Dialog.Cancel
        width: Math.min(screen.width - 40, 560)
        contentItem: Label {
            text: qsTr("Do you want to increase the fee?") + "\n\n" + bumpConfirmation.question
            wrapMode: Text.Wrap
        }
        onAccepted: { busy = true; gui.confirmBump() }
        onRejected: gui.cancelSend()
    }
}
