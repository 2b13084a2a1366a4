#!/usr/bin/env bash
# Installs what building and testing hashvive needs on Debian or Ubuntu:
# compilers, CMake, pkg-config, the Cap'n Proto compiler and imports, Qt 6 with
# Qt Quick and the QML modules the GUI uses, Xvfb (the GUI tests' X server),
# Python with pycapnp for the IPC tests, and Rust (through rustup when cargo
# is missing).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake pkg-config ca-certificates curl git \
  capnproto libcapnp-dev \
  qt6-base-dev qt6-declarative-dev qt6-qpa-plugins qml6-module-qtquick qml6-module-qtquick-controls \
  qml6-module-qtquick-layouts qml6-module-qtquick-window qml6-module-qtquick-templates \
  qml6-module-qtqml-workerscript qml6-module-qt-labs-platform xvfb \
  python3 python3-pip python3-venv >/dev/null

if ! command -v cargo >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
fi
# The test suite checks formatting and lints.
RUSTUP=$(command -v rustup || echo "$HOME/.cargo/bin/rustup")
if [ -x "$RUSTUP" ]; then
  "$RUSTUP" component add clippy rustfmt >/dev/null 2>&1 || true
fi

# pycapnp lets the functional tests talk to hashvive-node over IPC as a
# third-party client would.
python3 -m pip install --quiet --disable-pip-version-check -r "$(dirname "$0")/../test/requirements.txt" \
  || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages -r "$(dirname "$0")/../test/requirements.txt"
