//! With the `qt` feature: compiles the QObject bridge and the QML module with
//! cxx-qt (Qt 6 found through qmake6, or `QMAKE`).

fn main() {
    #[cfg(feature = "qt")]
    {
        use cxx_qt_build::{CxxQtBuilder, QmlModule};

        // Qt's resource compiler stamps each file with its modification
        // time from format version 2 on, so two builds of one commit would
        // differ (checkout times; the qmldir written anew each build). The
        // tool runs with a cleared environment (SOURCE_DATE_EPOCH cannot
        // reach it), so ask for format 1, which has no time stamps: the QML
        // is compiled in ahead of time and never checked against them.
        std::env::set_var("CXX_QT_AUTORCC_OPTIONS", "--format-version:1");

        const QML: [&str; 13] = [
            "qml/Main.qml",
            "qml/Intro.qml",
            "qml/Overview.qml",
            "qml/Send.qml",
            "qml/Receive.qml",
            "qml/Transactions.qml",
            "qml/Wallets.qml",
            "qml/Settings.qml",
            "qml/WalletChooser.qml",
            "qml/Lazy.qml",
            "qml/Peers.qml",
            "qml/Console.qml",
            "qml/Tray.qml",
        ];
        let mut module = QmlModule::new("org.hashvive.gui");
        for file in QML {
            module = module.qml_file(file);
        }
        CxxQtBuilder::new_qml_module(module)
            .qt_module("Quick")
            .file("src/qt/bridge.rs")
            .file("src/qt/intro.rs")
            .cpp_file("src/qt/messages.cpp")
            .build();

        // cxx-qt names the Qt libraries to link from a hash set, in an order
        // that changes from one build to the next, and the executable records
        // its shared libraries in link order. rustc keeps the last mention of
        // a library named twice, so naming them again here, in a fixed
        // order, makes every build link (and record) them alike.
        if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
            for lib in ["Qt6Quick", "Qt6QmlModels", "Qt6OpenGL", "Qt6Qml", "Qt6Network", "Qt6Gui", "Qt6Core"] {
                println!("cargo::rustc-link-lib=dylib={lib}");
            }
        }
    }
}
