// The receive screen: a new address of the chosen wallet as a payment
// request (label, amount, message), its BIP21 URI and QR code.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    id: screen
    property var gui
    readonly property var wallets: gui.walletsJson === "" ? [] : JSON.parse(gui.walletsJson)
    property var request: null
    property string problem: ""

    Connections {
        target: gui
        function onActionReply(action, error, json) {
            if (action !== "request") return
            problem = error
            request = error === "" ? JSON.parse(json) : null
        }
    }

    RowLayout {
        spacing: 32
        GridLayout {
            Layout.alignment: Qt.AlignTop
            columns: 2
            rowSpacing: 8
            Label { text: qsTr("Wallet") }
            WalletChooser { id: wallet; wallets: screen.wallets }
            Label { text: qsTr("Label") }
            TextField { id: label; objectName: "receiveLabel"; Layout.preferredWidth: 320 }
            Label { text: qsTr("Amount") }
            RowLayout {
                TextField { id: amount; Layout.preferredWidth: 200; placeholderText: qsTr("optional") }
                ComboBox { id: unit; model: gui.unitNames().split(",") }
            }
            Label { text: qsTr("Message") }
            TextField { id: message; Layout.preferredWidth: 320 }
            Label { text: "" }
            Button {
                objectName: "requestPayment"
                text: qsTr("Create new receiving address")
                enabled: wallets.length > 0
                onClicked: gui.requestPayment(wallet.walletId, label.text, amount.text, unit.currentText, message.text)
            }
            Label { text: ""; visible: problem !== "" }
            Label { text: problem; color: "firebrick"; visible: problem !== ""; wrapMode: Text.Wrap; Layout.maximumWidth: 420 }
            Label { text: ""; visible: wallets.length === 0 }
            Label { text: qsTr("No wallet is loaded."); visible: wallets.length === 0 }
        }
        ColumnLayout {
            Layout.alignment: Qt.AlignTop
            visible: request !== null
            spacing: 8
            // The QR code, module by module, with the quiet zone the standard asks for.
            Canvas {
                id: qr
                objectName: "paymentQr"
                readonly property var rows: request ? request.qr : []
                width: 232
                height: 232
                onRowsChanged: requestPaint()
                onPaint: {
                    const ctx = getContext("2d")
                    ctx.fillStyle = "white"
                    ctx.fillRect(0, 0, width, height)
                    if (rows.length === 0) return
                    const module = width / (rows.length + 8)
                    ctx.fillStyle = "black"
                    for (let y = 0; y < rows.length; y++)
                        for (let x = 0; x < rows[y].length; x++)
                            if (rows[y][x] === "1") ctx.fillRect((x + 4) * module, (y + 4) * module, module, module)
                }
            }
            Label { text: qsTr("Address") ; font.bold: true }
            TextEdit {
                id: addressText
                objectName: "requestAddress"
                text: request ? request.address : ""
                readOnly: true
                selectByMouse: true
                font.family: "monospace"
            }
            Label { text: qsTr("Amount: %1").arg(request && request.amount ? request.amount : qsTr("any")) }
            Label { text: qsTr("URI"); font.bold: true }
            TextEdit {
                id: uriText
                text: request ? request.uri : ""
                readOnly: true
                selectByMouse: true
                wrapMode: TextEdit.WrapAnywhere
                font.family: "monospace"
                Layout.maximumWidth: 520
            }
            RowLayout {
                Button { text: qsTr("Copy address"); onClicked: { addressText.selectAll(); addressText.copy(); addressText.deselect() } }
                Button { text: qsTr("Copy URI"); onClicked: { uriText.selectAll(); uriText.copy(); uriText.deselect() } }
            }
        }
    }
}
