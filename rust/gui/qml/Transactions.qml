// The transactions screen: the chosen wallet's history, newest first,
// filtered by type and by text (address, label or txid); a row's details on click.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    id: screen
    property var gui
    readonly property var wallets: gui.walletsJson === "" ? [] : JSON.parse(gui.walletsJson)
    readonly property var all: gui.transactionsJson === "" ? [] : JSON.parse(gui.transactionsJson)
    readonly property var shown: all.filter(t => t.wallet === wallet.walletId
        && (kind.currentIndex === 0 || t.kind === kind.currentText)
        && (search.text === "" || [t.address, t.label, t.txid].some(f => f.toLowerCase().includes(search.text.toLowerCase()))))

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
                onClicked: { details.row = modelData; details.open() }
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
        }
    }
}
