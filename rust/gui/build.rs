//! With the `qt` feature: compiles the QObject bridge and the QML module with
//! cxx-qt (Qt 6 found through qmake6, or `QMAKE`).

fn main() {
    #[cfg(feature = "qt")]
    {
        use cxx_qt_build::{CxxQtBuilder, QmlModule};

        const QML: [&str; 4] = ["qml/Main.qml", "qml/Overview.qml", "qml/Peers.qml", "qml/Console.qml"];
        let mut module = QmlModule::new("org.hashvive.gui");
        for file in QML {
            module = module.qml_file(file);
        }
        CxxQtBuilder::new_qml_module(module).qt_module("Quick").file("src/qt/bridge.rs").build();
    }
}
