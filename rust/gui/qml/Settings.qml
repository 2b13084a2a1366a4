// The settings screen (the reference GUI's options dialog): options kept
// in the node's settings.json, used from its next start (a blank field
// leaves the node's default), and whether the desktop starts the GUI on login.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts

Pane {
    id: screen
    property var gui
    property string outcome: ""
    property bool failed: false

    onVisibleChanged: if (visible) gui.loadSettings()
    Component.onCompleted: gui.loadSettings()
    Connections {
        target: gui
        function onActionReply(action, error, message) {
            if (action === "settings" && error === "") {
                const form = JSON.parse(message)
                dbcache.text = form.dbcache
                proxy.text = form.proxy
                prune.checked = form.prune
                pruneGb.text = form.pruneGb
                startOnLogin.checked = form.startOnLogin
            } else if (action === "settings" || action === "saveSettings") {
                failed = error !== ""
                outcome = failed ? error : message
            }
        }
    }

    GridLayout {
        columns: 2
        rowSpacing: 8
        Label { text: qsTr("Main"); font.bold: true; Layout.columnSpan: 2 }
        CheckBox {
            id: startOnLogin
            objectName: "settingStartOnLogin"
            text: qsTr("Start Hashvive on system login")
            Layout.columnSpan: 2
        }
        Label { text: qsTr("Size of database cache (MiB)") }
        TextField { id: dbcache; objectName: "settingDbcache"; placeholderText: "450"; Layout.preferredWidth: 160 }
        CheckBox {
            id: prune
            objectName: "settingPrune"
            text: qsTr("Prune block storage to (GB)")
        }
        TextField {
            id: pruneGb
            objectName: "settingPruneGb"
            enabled: prune.checked
            inputMethodHints: Qt.ImhDigitsOnly
            Layout.preferredWidth: 160
        }
        Label {
            text: qsTr("Pruning deletes old blocks. Turning it off again means downloading the whole blockchain again.")
            visible: prune.checked
            wrapMode: Text.Wrap
            Layout.columnSpan: 2
            Layout.maximumWidth: 520
        }
        Label { text: qsTr("Network"); font.bold: true; Layout.columnSpan: 2; Layout.topMargin: 12 }
        Label { text: qsTr("Connect through SOCKS5 proxy (host:port)") }
        TextField { id: proxy; objectName: "settingProxy"; placeholderText: qsTr("none"); Layout.preferredWidth: 240 }
        Label { text: "" }
        Button {
            text: qsTr("Save")
            onClicked: gui.saveSettings(dbcache.text, proxy.text, prune.checked, pruneGb.text, startOnLogin.checked)
        }
        Label { text: "" }
        Label {
            text: outcome !== "" ? outcome : qsTr("Settings take effect when the node starts again.")
            color: failed ? "firebrick" : palette.text
            wrapMode: Text.Wrap
            Layout.maximumWidth: 520
        }
    }
}
