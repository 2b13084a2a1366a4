// Connected peers, one row each, in the order they connected.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    property var gui
    readonly property var rows: gui.peersJson === "" ? [] : JSON.parse(gui.peersJson)
    readonly property var columns: [
        ["id", qsTr("Peer"), 50], ["address", qsTr("Address"), 170], ["direction", qsTr("Type"), 160],
        ["ping", qsTr("Ping"), 70], ["sent", qsTr("Sent"), 70], ["received", qsTr("Received"), 80],
        ["userAgent", qsTr("User Agent"), 160]
    ]
    ColumnLayout {
        anchors.fill: parent
        Row {
            spacing: 4
            Repeater {
                model: columns
                Label { text: modelData[1]; font.bold: true; width: modelData[2] }
            }
        }
        ListView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            model: rows
            delegate: Row {
                required property var modelData
                spacing: 4
                Repeater {
                    model: columns
                    Label { required property var modelData; text: parent.modelData[modelData[0]]; width: modelData[2]; elide: Text.ElideRight }
                }
            }
        }
        Label { text: qsTr("%1 peers — received %2, sent %3").arg(rows.length).arg(gui.trafficIn).arg(gui.trafficOut) }
    }
}
