//! The welcome dialog that asks for the data directory
//! ([`crate::model::intro`] decides when), in an event loop of its own that
//! ends before the main window's begins: the directory decides which
//! configuration file the rest of the start-up reads.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;

use cxx_qt_lib::QString;

use crate::model::intro;

const INTRO_QML: &str = "qrc:/qt/qml/org/hashvive/gui/qml/Intro.qml";

#[cxx_qt::bridge]
pub mod qobject {
    unsafe extern "C++" {
        include!("cxx-qt-lib/qstring.h");
        type QString = cxx_qt_lib::QString;
    }

    extern "RustQt" {
        #[qobject]
        #[qml_element]
        #[qproperty(QString, offered_dir, cxx_name = "offeredDir")]
        #[qproperty(QString, default_dir, cxx_name = "defaultDir")]
        #[qproperty(QString, error)]
        #[qproperty(QString, screenshot_dir, cxx_name = "screenshotDir")]
        type IntroModel = super::IntroModelRust;

        /// Fills the properties with what [`ask`] was given.
        #[qinvokable]
        fn load(self: Pin<&mut IntroModel>);

        /// Makes the directory typed and takes it; false, with `error`
        /// saying why, when it cannot be made.
        #[qinvokable]
        fn choose(self: Pin<&mut IntroModel>, dir: &QString) -> bool;
    }
}

#[derive(Default)]
pub struct IntroModelRust {
    offered_dir: QString,
    default_dir: QString,
    error: QString,
    screenshot_dir: QString,
}

/// The question in progress: the directory offered, and the answer.
struct Asking {
    offered: PathBuf,
    chosen: Option<PathBuf>,
}

static ASKING: Mutex<Option<Asking>> = Mutex::new(None);

fn asking() -> std::sync::MutexGuard<'static, Option<Asking>> {
    ASKING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shows the dialog offering `offered`; the directory chosen (and made), or
/// `None` if the user declined.
pub fn ask(offered: &Path) -> Option<PathBuf> {
    *asking() = Some(Asking { offered: offered.to_path_buf(), chosen: None });
    // Only the answer matters: Cancel and closing the window leave none.
    super::run_window(INTRO_QML);
    asking().take().and_then(|a| a.chosen)
}

impl qobject::IntroModel {
    fn load(mut self: Pin<&mut Self>) {
        let offered = asking().as_ref().map(|a| a.offered.display().to_string()).unwrap_or_default();
        let default = hashvive_common::datadir::default_datadir().map(|d| d.display().to_string()).unwrap_or_default();
        self.as_mut().set_offered_dir(QString::from(&offered));
        self.as_mut().set_default_dir(QString::from(&default));
        if let Ok(dir) = std::env::var(super::bridge::SCREENSHOT_DIR_ENV) {
            self.as_mut().set_screenshot_dir(QString::from(&dir));
        }
    }

    fn choose(mut self: Pin<&mut Self>, dir: &QString) -> bool {
        match intro::create(&dir.to_string()) {
            Ok(dir) => {
                if let Some(asking) = asking().as_mut() {
                    asking.chosen = Some(dir);
                }
                true
            }
            Err(e) => {
                self.as_mut().set_error(QString::from(&e));
                false
            }
        }
    }
}
