// Which loaded wallet a screen acts for (the reference GUI's wallet selector).
import QtQuick
import QtQuick.Controls

ComboBox {
    property var wallets: []
    // The node's name for the chosen wallet ("" for the default one).
    readonly property string walletId: currentIndex >= 0 && currentIndex < wallets.length ? wallets[currentIndex].id : ""
    model: wallets.map(w => w.name)
    enabled: wallets.length > 1
    implicitWidth: 220
}
