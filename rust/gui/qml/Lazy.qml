// A screen made the first time it is shown, then kept.
import QtQuick
import QtQuick.Layouts

Loader {
    default property Component screen
    sourceComponent: screen
    active: StackLayout.isCurrentItem || status === Loader.Ready
}
