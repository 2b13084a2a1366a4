#!/usr/bin/env bash
# Checks the build on a machine without Cap'n Proto:
#  - WITH_MULTIPROCESS=ON stops at configure time with a message naming what to install;
#  - WITH_MULTIPROCESS=OFF configures and builds, and the daemon runs.
# The installed Cap'n Proto is hidden in a private mount namespace, so this
# needs root (or CAP_SYS_ADMIN) and unshare(1).
#
# Usage: test/build/without_capnp.sh [WORKDIR]   (default: build-nocapnp)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$src/build-nocapnp}
rm -rf "$work"
mkdir -p "$work"

exec unshare --mount bash -euo pipefail -s "$src" "$work" <<'EOS'
src=$1
work=$2
mount --make-rprivate /
# Hide the compiler, its pkg-config files and its standard imports.
for exe in capnp capnpc capnpc-c++ capnpc-capnp; do
  path=$(command -v "$exe" || true)
  if [ -n "$path" ]; then mount --bind /dev/null "$path"; fi
done
for pc in $(find /usr /opt -name 'capnp*.pc' 2>/dev/null); do mount --bind /dev/null "$pc"; done
for inc in /usr/include/capnp /usr/local/include/capnp; do
  if [ -d "$inc" ]; then mount -t tmpfs none "$inc"; fi
done
if command -v capnp >/dev/null 2>&1 && capnp --version >/dev/null 2>&1; then
  echo "FAIL: capnp is still usable" >&2
  exit 1
fi

echo "== WITH_MULTIPROCESS=ON without Cap'n Proto must fail clearly"
if cmake -S "$src" -B "$work/on" -DWITH_MULTIPROCESS=ON >"$work/on.log" 2>&1; then
  echo "FAIL: configure succeeded without capnp" >&2
  exit 1
fi
grep -q "apt-get install capnproto libcapnp-dev" "$work/on.log" || { cat "$work/on.log"; echo "FAIL: no install hint" >&2; exit 1; }
grep -q -- "-DWITH_MULTIPROCESS=OFF" "$work/on.log" || { cat "$work/on.log"; echo "FAIL: no OFF hint" >&2; exit 1; }
echo "ok"

echo "== WITH_MULTIPROCESS=OFF without Cap'n Proto must build"
cmake -S "$src" -B "$work/off" -DWITH_MULTIPROCESS=OFF -DCMAKE_BUILD_TYPE=Debug >"$work/off.log"
cmake --build "$work/off" -j"$(nproc)" >>"$work/off.log" 2>&1 || { tail -50 "$work/off.log"; exit 1; }
test -x "$work/off/src/hashvived"
test ! -e "$work/off/src/hashvive-node"
"$work/off/src/hashvived" -version | head -1
echo "ok"
EOS
