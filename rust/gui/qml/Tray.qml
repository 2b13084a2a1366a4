// The system tray icon, where the desktop has a tray (a StatusNotifierItem
// host, as KDE's, or GNOME's with its extension): a click shows or hides the
// window; its menu does the same, or quits. The icon is the installed theme
// icon "hashvive", which the tray host draws itself.
import QtQuick
import Qt.labs.platform as Platform

Platform.SystemTrayIcon {
    id: tray
    property var window
    property var gui

    visible: available
    icon.name: "hashvive"
    tooltip: window.title
    onActivated: (reason) => { if (reason === Platform.SystemTrayIcon.Trigger) toggle() }
    menu: Platform.Menu {
        Platform.MenuItem {
            text: tray.window.visible ? qsTr("&Hide") : qsTr("&Show")
            onTriggered: tray.toggle()
        }
        Platform.MenuSeparator {}
        Platform.MenuItem {
            text: qsTr("E&xit")
            onTriggered: tray.window.close()
        }
    }
    Component.onCompleted: gui.reportTray(available)

    function toggle() {
        if (window.visible && window.visibility !== Window.Minimized) {
            window.hide()
        } else {
            window.showNormal()
            window.raise()
            window.requestActivate()
        }
    }
}
