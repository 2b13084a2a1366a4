//! Qt's own messages (QML warnings, notes from platform plugins) go to
//! debug.log rather than stderr, as the reference GUI routes them: Qt's
//! debug and info messages under `-debug=qt`, its warnings always. Where no
//! log is set up yet (before an in-process node starts it) warnings still go
//! to stderr.

use std::ffi::{c_char, c_int, CStr};

extern "C" {
    /// In `messages.cpp`: makes Qt call [`hashvive_qt_message`].
    fn hashvive_install_qt_message_handler();
}

/// From now on, Qt's messages are logged.
pub fn route_to_log() {
    // SAFETY: installs a plain function as Qt's message handler; no
    // arguments, nothing kept.
    unsafe { hashvive_install_qt_message_handler() }
}

/// Qt's `QtMsgType` values for debug and info messages.
const QT_DEBUG_MSG: c_int = 0;
const QT_INFO_MSG: c_int = 4;

/// Called by Qt, on whichever thread logs, with one message.
#[no_mangle]
extern "C" fn hashvive_qt_message(kind: c_int, category: *const c_char, text: *const c_char, length: usize) {
    // SAFETY: `messages.cpp` passes a NUL-terminated category and `length`
    // bytes of UTF-8 that live for the call.
    let (category, text) = unsafe {
        (
            CStr::from_ptr(category).to_string_lossy(),
            String::from_utf8_lossy(std::slice::from_raw_parts(text.cast(), length)),
        )
    };
    // Some of Qt's messages come wrapped in blank lines.
    let text = text.trim();
    match kind {
        _ if text.is_empty() => {}
        QT_DEBUG_MSG | QT_INFO_MSG => tracing::debug!(target: "qt", "{category}: {text}"),
        _ if tracing::dispatcher::has_been_set() => tracing::warn!("GUI: {text}"),
        _ => eprintln!("{text}"),
    }
}
