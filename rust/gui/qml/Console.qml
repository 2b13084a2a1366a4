// The RPC console: the reference GUI's syntax (see help-console), up and down
// for history, and an optional wallet to send the calls to.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    property var gui
    Connections {
        target: gui
        function onConsoleReply(text) { output.append(text + "\n") }
    }
    ColumnLayout {
        anchors.fill: parent
        ScrollView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            TextArea {
                id: output
                objectName: "consoleOutput"
                readOnly: true
                font.family: "monospace"
                text: qsTr("Welcome to the Hashvive RPC console.\nType help for an overview of the commands, help-console for the syntax.\n\n")
            }
        }
        RowLayout {
            TextField {
                id: wallet
                placeholderText: qsTr("wallet (none)")
                Layout.preferredWidth: 140
            }
            TextField {
                id: input
                objectName: "consoleInput"
                Layout.fillWidth: true
                font.family: "monospace"
                placeholderText: qsTr("command")
                onAccepted: {
                    output.append("> " + text)
                    gui.runConsole(text, wallet.text)
                    text = ""
                }
                Keys.onUpPressed: text = gui.historyOlder()
                Keys.onDownPressed: text = gui.historyNewer()
            }
        }
    }
}
