// The welcome dialog: where the node keeps its data, asked before anything
// starts (the first time, or with -choosedatadir), with the space it will
// take and the disk has, and whether to prune old blocks. On the offscreen
// platform no one can answer: the directory offered is taken, after its
// picture when the functional tests ask for pictures.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import org.hashvive.gui

ApplicationWindow {
    id: window
    width: 640
    height: 480
    visible: true
    title: qsTr("Welcome — Hashvive")

    IntroModel { id: intro }

    function chosenDir() { return custom.checked ? path.text : intro.defaultDir }

    function accept() {
        if (intro.choose(chosenDir(), prune.checked, pruneGb.text)) Qt.exit(0)
    }

    function updateSpace() { intro.updateSpace(chosenDir(), prune.checked, pruneGb.text) }

    Component.onCompleted: {
        intro.load()
        path.text = intro.offeredDir
        custom.checked = intro.offeredDir !== intro.defaultDir
        prune.checked = intro.pruneByDefault
        pruneGb.text = intro.offeredPruneGb
        updateSpace()
        if (Qt.platform.pluginName !== "offscreen") return
        if (intro.screenshotDir === "") { accept(); return }
        Qt.callLater(() => content.grabToImage(result => {
            result.saveToFile(intro.screenshotDir + "/intro.png")
            accept()
        }))
    }

    Pane {
        id: content
        anchors.fill: parent
        ColumnLayout {
            anchors.fill: parent
            spacing: 10
            Label {
                text: qsTr("Welcome to Hashvive.")
                font.bold: true
                font.pointSize: 14
            }
            Label {
                Layout.fillWidth: true
                wrapMode: Text.Wrap
                text: qsTr("As this is the first time the program starts, choose where it keeps its data. "
                    + "Hashvive downloads and keeps a copy of the Bitcoin block chain there, and your wallets.")
            }
            RadioButton {
                id: standard
                objectName: "defaultDir"
                text: qsTr("Use the default data directory: %1").arg(intro.defaultDir)
                checked: !custom.checked
            }
            RadioButton {
                id: custom
                objectName: "customDir"
                text: qsTr("Use a custom data directory:")
                onCheckedChanged: window.updateSpace()
            }
            TextField {
                id: path
                objectName: "dataDirPath"
                enabled: custom.checked
                Layout.fillWidth: true
                Layout.leftMargin: 30
                onAccepted: window.accept()
                onTextChanged: window.updateSpace()
            }
            Label {
                objectName: "storedSpace"
                text: intro.storedText + " " + qsTr("The wallet will also be stored in this directory.")
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            Label {
                objectName: "availableSpace"
                visible: intro.availableText !== ""
                text: intro.availableText
                color: intro.shortOfSpace ? "firebrick" : palette.text
            }
            RowLayout {
                visible: intro.mayPrune
                CheckBox {
                    id: prune
                    objectName: "introPrune"
                    text: qsTr("Limit block chain storage to")
                    onCheckedChanged: window.updateSpace()
                }
                TextField {
                    id: pruneGb
                    objectName: "introPruneGb"
                    enabled: prune.checked
                    inputMethodHints: Qt.ImhDigitsOnly
                    Layout.preferredWidth: 60
                    onTextChanged: window.updateSpace()
                }
                Label { text: qsTr("GB") }
            }
            Label {
                visible: intro.mayPrune && prune.checked
                text: qsTr("Old blocks are deleted once verified. Turning this off later means downloading the "
                    + "whole block chain again. Wallets cannot look for old payments in deleted blocks.")
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            Label {
                objectName: "introError"
                visible: intro.error !== ""
                text: intro.error
                color: "firebrick"
                wrapMode: Text.Wrap
                Layout.fillWidth: true
            }
            Item { Layout.fillHeight: true }
            RowLayout {
                Layout.alignment: Qt.AlignRight
                Button { text: qsTr("Cancel"); onClicked: Qt.exit(1) }
                Button { text: qsTr("OK"); highlighted: true; onClicked: window.accept() }
            }
        }
    }
}
