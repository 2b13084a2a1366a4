// Hands Qt's own messages (QML warnings, notes from platform plugins) to the
// Rust side (qt/messages.rs), which writes them to debug.log.
#include <QtCore/QByteArray>
#include <QtCore/QString>
#include <QtCore/QtGlobal>

#include <cstddef>

extern "C" void hashvive_qt_message(int type, const char* category, const char* text, std::size_t length);

namespace {
void forward(QtMsgType type, const QMessageLogContext& context, const QString& message)
{
    const QByteArray text = message.toUtf8();
    hashvive_qt_message(static_cast<int>(type), context.category ? context.category : "", text.constData(),
                        static_cast<std::size_t>(text.size()));
}
} // namespace

extern "C" void hashvive_install_qt_message_handler()
{
    qInstallMessageHandler(forward);
}
