# Finds Qt 6 with Qt Quick for the GUI, the way the GUI's build script
# (cxx-qt) will find it: through qmake6 (or qmake), which a user may name with
# -DQMAKE_EXECUTABLE=/path/to/qmake6. Also checks the QML modules the window
# imports at run time. Sets QMAKE_EXECUTABLE, QtQuick_VERSION, QtQuick_FOUND.

find_program(QMAKE_EXECUTABLE NAMES qmake6 qmake-qt6 qmake
  HINTS ${Qt6_DIR}/../../../bin ${CMAKE_PREFIX_PATH}/bin)

if(QMAKE_EXECUTABLE)
  execute_process(COMMAND ${QMAKE_EXECUTABLE} -query QT_VERSION
    OUTPUT_VARIABLE QtQuick_VERSION OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${QMAKE_EXECUTABLE} -query QT_INSTALL_HEADERS
    OUTPUT_VARIABLE _qt_headers OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  execute_process(COMMAND ${QMAKE_EXECUTABLE} -query QT_INSTALL_QML
    OUTPUT_VARIABLE _qt_qml OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  find_path(QtQuick_INCLUDE_DIR QtQuick/QQuickItem HINTS ${_qt_headers} NO_DEFAULT_PATH)
  find_path(QtQuick_CONTROLS_DIR QtQuick/Controls/qmldir HINTS ${_qt_qml} NO_DEFAULT_PATH)
  find_path(QtQuick_LAYOUTS_DIR QtQuick/Layouts/qmldir HINTS ${_qt_qml} NO_DEFAULT_PATH)
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(QtQuick
  REQUIRED_VARS QMAKE_EXECUTABLE QtQuick_INCLUDE_DIR QtQuick_CONTROLS_DIR QtQuick_LAYOUTS_DIR
  VERSION_VAR QtQuick_VERSION
  REASON_FAILURE_MESSAGE
"BUILD_GUI=ON needs Qt 6 (6.2 or later) with Qt Quick, its development files,
and the QML modules the window uses (QtQuick, Controls, Layouts, Window).
Install them with one of:
  Debian/Ubuntu:  apt-get install qt6-base-dev qt6-declarative-dev qml6-module-qtquick
                  qml6-module-qtquick-controls qml6-module-qtquick-layouts
                  qml6-module-qtquick-window qml6-module-qtquick-templates
                  qml6-module-qtqml-workerscript qt6-qpa-plugins
                  (and qml6-module-qt-labs-platform for the tray icon)
  Fedora:         dnf install qt6-qtbase-devel qt6-qtdeclarative-devel
  Arch:           pacman -S qt6-base qt6-declarative
  Homebrew:       brew install qt
  Nix:            nix-shell -p qt6.qtbase qt6.qtdeclarative
or point CMake at a Qt 6 installation with -DQMAKE_EXECUTABLE=/path/to/qmake6,
or configure with -DBUILD_GUI=OFF to build without the GUI."
)
mark_as_advanced(QMAKE_EXECUTABLE QtQuick_INCLUDE_DIR QtQuick_CONTROLS_DIR QtQuick_LAYOUTS_DIR)
