//! The welcome dialog that asks for the data directory
//! ([`crate::model::intro`] decides when), in an event loop of its own that
//! ends before the main window's begins: the directory decides which
//! configuration file the rest of the start-up reads.

use std::path::Path;
use std::pin::Pin;
use std::sync::Mutex;

use cxx_qt_lib::QString;

use crate::model::intro::{self, Answer, Question};
use crate::model::settings::{prune_mib, DEFAULT_PRUNE_GB};

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
        #[qproperty(bool, may_prune, cxx_name = "mayPrune")]
        #[qproperty(bool, prune_by_default, cxx_name = "pruneByDefault")]
        #[qproperty(QString, offered_prune_gb, cxx_name = "offeredPruneGb")]
        #[qproperty(QString, stored, cxx_name = "storedText")]
        #[qproperty(QString, available, cxx_name = "availableText")]
        #[qproperty(bool, short_of_space, cxx_name = "shortOfSpace")]
        type IntroModel = super::IntroModelRust;

        /// Fills the properties with what [`ask`] was given.
        #[qinvokable]
        fn load(self: Pin<&mut IntroModel>);

        /// Tells the space the directory typed (or the default) would need
        /// and have, pruned to `prune_gb` when `prune`.
        #[qinvokable]
        #[cxx_name = "updateSpace"]
        fn update_space(self: Pin<&mut IntroModel>, dir: &QString, prune: bool, prune_gb: &QString);

        /// Makes the directory typed and takes it, with pruning to
        /// `prune_gb` when `prune`; false, with `error` saying why, when the
        /// directory cannot be made or the size is not one.
        #[qinvokable]
        fn choose(self: Pin<&mut IntroModel>, dir: &QString, prune: bool, prune_gb: &QString) -> bool;
    }
}

#[derive(Default)]
pub struct IntroModelRust {
    offered_dir: QString,
    default_dir: QString,
    error: QString,
    screenshot_dir: QString,
    may_prune: bool,
    prune_by_default: bool,
    offered_prune_gb: QString,
    stored: QString,
    available: QString,
    short_of_space: bool,
}

/// The question in progress, and the answer.
struct Asking {
    question: Question,
    answer: Option<Answer>,
}

static ASKING: Mutex<Option<Asking>> = Mutex::new(None);

fn asking() -> std::sync::MutexGuard<'static, Option<Asking>> {
    ASKING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Shows the dialog; the directory chosen (and made) with the pruning
/// chosen, or `None` if the user declined.
pub fn ask(question: Question) -> Option<Answer> {
    *asking() = Some(Asking { question, answer: None });
    // Only the answer matters: Cancel and closing the window leave none.
    super::run_window(INTRO_QML);
    asking().take().and_then(|a| a.answer)
}

impl qobject::IntroModel {
    fn load(mut self: Pin<&mut Self>) {
        let Some((offered, chain, may_prune)) =
            asking().as_ref().map(|a| (a.question.offered.clone(), a.question.chain, a.question.may_prune))
        else {
            return;
        };
        let default = hashvive_common::datadir::default_datadir().map(|d| d.display().to_string()).unwrap_or_default();
        self.as_mut().set_offered_dir(QString::from(&offered.display().to_string()));
        self.as_mut().set_default_dir(QString::from(&default));
        self.as_mut().set_may_prune(may_prune);
        self.as_mut().set_prune_by_default(may_prune && intro::prune_by_default(chain, intro::free_bytes(&offered)));
        self.as_mut().set_offered_prune_gb(QString::from(&DEFAULT_PRUNE_GB.to_string()));
        if let Ok(dir) = std::env::var(super::bridge::SCREENSHOT_DIR_ENV) {
            self.as_mut().set_screenshot_dir(QString::from(&dir));
        }
    }

    fn update_space(mut self: Pin<&mut Self>, dir: &QString, prune: bool, prune_gb: &QString) {
        let Some(chain) = asking().as_ref().map(|a| a.question.chain) else { return };
        let dir = dir.to_string();
        let free = intro::free_bytes(&std::path::absolute(dir.trim()).unwrap_or_else(|_| Path::new(&dir).into()));
        // A size being typed counts as the default until it is one.
        let prune_gb = prune.then(|| prune_gb.to_string().trim().parse().unwrap_or(DEFAULT_PRUNE_GB));
        let advice = intro::space_advice(chain, free, prune_gb);
        self.as_mut().set_stored(QString::from(&advice.stored));
        self.as_mut().set_available(QString::from(&advice.available));
        self.as_mut().set_short_of_space(advice.short);
    }

    fn choose(mut self: Pin<&mut Self>, dir: &QString, prune: bool, prune_gb: &QString) -> bool {
        let chosen = prune
            .then(|| prune_mib(&prune_gb.to_string()))
            .transpose()
            .and_then(|prune_mib| Ok(Answer { dir: intro::create(&dir.to_string())?, prune_mib }));
        match chosen {
            Ok(answer) => {
                if let Some(asking) = asking().as_mut() {
                    asking.answer = Some(answer);
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
