// The overview: each wallet's balances, the latest transactions, sync
// progress, network and mempool at a glance.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    property var gui
    readonly property var wallets: gui.walletsJson === "" ? [] : JSON.parse(gui.walletsJson)
    readonly property var recent: (gui.transactionsJson === "" ? [] : JSON.parse(gui.transactionsJson)).slice(0, 5)
    RowLayout {
        spacing: 48
        ColumnLayout {
            objectName: "walletBalances"
            Layout.alignment: Qt.AlignTop
            spacing: 16
            Label { text: qsTr("Balances"); font.bold: true }
            Label {
                visible: wallets.length === 0
                text: qsTr("No wallet is loaded.")
            }
            Repeater {
                model: wallets
                GridLayout {
                    required property var modelData
                    columns: 2
                    columnSpacing: 24
                    rowSpacing: 6
                    Label {
                        text: modelData.name + (modelData.encryption !== "" ? " (" + modelData.encryption + ")" : "")
                        font.italic: true
                        Layout.columnSpan: 2
                    }
                    Label { text: qsTr("Available:") }
                    Label { text: modelData.available; font.family: "monospace" }
                    Label { text: qsTr("Pending:") }
                    Label { text: modelData.pending; font.family: "monospace" }
                    Label { text: qsTr("Immature:") }
                    Label { text: modelData.immature; font.family: "monospace" }
                    Label { text: qsTr("Total:"); font.bold: true }
                    Label { text: modelData.total; font.bold: true; font.family: "monospace" }
                }
            }
            Label { text: qsTr("Recent transactions"); font.bold: true; visible: recent.length > 0 }
            Repeater {
                objectName: "recentTransactions"
                model: recent
                ColumnLayout {
                    required property var modelData
                    spacing: 0
                    RowLayout {
                        Label { text: modelData.date; font.family: "monospace" }
                        Label { text: modelData.amount; font.family: "monospace"; color: modelData.amount.startsWith("-") ? "firebrick" : palette.text }
                    }
                    Label {
                        text: modelData.kind + " " + (modelData.label !== "" ? modelData.label : modelData.address)
                            + (modelData.confirmations < 6 ? " — " + modelData.status : "")
                        elide: Text.ElideRight
                        Layout.maximumWidth: 420
                        opacity: 0.8
                    }
                }
            }
        }
        GridLayout {
            Layout.alignment: Qt.AlignTop
            columns: 2
            columnSpacing: 24
            rowSpacing: 8
            Label { text: qsTr("Status"); font.bold: true }
            Label { objectName: "syncHeadline"; text: gui.syncHeadline }
            Label { text: qsTr("Blocks") }
            Label { objectName: "blocks"; text: gui.blocks }
            Label { text: qsTr("Headers") }
            Label { text: gui.headers }
            Label { text: qsTr("Blocks left") }
            Label { text: gui.blocksLeft }
            Label { text: qsTr("Progress") }
            RowLayout {
                ProgressBar { value: gui.progress; Layout.preferredWidth: 240 }
                Label { text: (gui.progress * 100).toFixed(2) + " %" }
            }
            Label { text: qsTr("Estimated time left until synced") }
            Label { text: gui.timeLeft }
            Label { text: "" }
            Label { text: gui.syncDetail; wrapMode: Text.Wrap; Layout.maximumWidth: 420 }
            Label { text: qsTr("Network"); font.bold: true }
            Label { text: gui.networkActive ? qsTr("active") : qsTr("disabled") }
            Label { text: qsTr("Connections") }
            Label { text: qsTr("%1 (in: %2 / out: %3)").arg(gui.connectionsIn + gui.connectionsOut).arg(gui.connectionsIn).arg(gui.connectionsOut) }
            Label { text: qsTr("Received / sent") }
            Label { text: gui.trafficIn + " / " + gui.trafficOut }
            Label { text: qsTr("Mempool") }
            Label { text: gui.mempool }
            Label { text: qsTr("Node") }
            Label { text: gui.attached ? qsTr("attached (keeps running when this window closes)") : qsTr("started by this window") }
        }
    }
}
