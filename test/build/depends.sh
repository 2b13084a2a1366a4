#!/usr/bin/env bash
# Checks the depends workflow end to end, offline:
#  - SOURCES_PATH gets the Cap'n Proto release tarball from Debian's source
#    package (apt's source support, so apt checks the archive's signatures),
#    and the crates through `make download`;
#  - a tarball with the wrong hash fails clearly and nothing is built from it;
#  - with no network (unshare -n), `make -C depends NO_QT=1 MULTIPROCESS=1`
#    builds the tree, CMake configures with the toolchain file alone, the
#    build finishes, and hashvive-node answers an IPC echo;
#  - a second `make` rebuilds nothing.
# Needs root (unshare -n, apt).
#
# Usage: test/build/depends.sh [WORKDIR]   (default: build-depends)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$src/build-depends}
host=$("$src/depends/config.guess")
sources=$work/sources
cache=$work/cache
mkdir -p "$work" "$sources"

step() { echo "== $*"; }

step "Cap'n Proto release tarball from Debian's source package"
if [ ! -f "$sources/capnproto-c++-0.9.2.tar.gz" ]; then
  apt=$work/apt
  mkdir -p "$apt/lists/partial" "$apt/get"
  echo "deb-src http://deb.debian.org/debian bookworm main" > "$apt/sources.list"
  aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
           -o "Dir::State::Lists=$apt/lists" -o Debug::NoLocking=1 -qq)
  apt-get "${aptopts[@]}" update
  (cd "$apt/get" && apt-get "${aptopts[@]}" source --download-only capnproto=0.9.2-2)
  cp "$apt/get/capnproto_0.9.2.orig.tar.gz" "$sources/capnproto-c++-0.9.2.tar.gz"
fi

step "crates: make download"
make -C "$src/depends" download MULTIPROCESS=1 SOURCES_PATH="$sources" >/dev/null

step "a tarball with the wrong hash is refused"
# A copy of the recipes, so nothing installed in depends/ already hides the check.
bad=$work/bad
rm -rf "$bad" && mkdir -p "$bad/sources"
cp -r "$src/depends" "$bad/depends"
rm -rf "$bad/depends/sources" "$bad/depends/built" "$bad/depends/work" "$bad/depends/$host"
cp "$src/Cargo.lock" "$src/Cargo.toml" "$bad/"
cp "$sources/capnproto-c++-0.9.2.tar.gz" "$bad/sources/"
printf 'x' >> "$bad/sources/capnproto-c++-0.9.2.tar.gz"
if make -C "$bad/depends" NO_QT=1 MULTIPROCESS=1 SOURCES_PATH="$bad/sources" >"$work/bad.log" 2>&1; then
  echo "FAIL: make accepted a tarball with the wrong hash" >&2; exit 1
fi
grep -q "does not have the sha256 the recipe pins" "$work/bad.log" || { cat "$work/bad.log"; exit 1; }
if grep -q "^Building" "$work/bad.log" || [ -e "$bad/depends/built" ]; then
  cat "$work/bad.log"; echo "FAIL: something was built from the bad tarball" >&2; exit 1
fi
echo ok

step "offline: depends, configure with the toolchain file alone, build"
start=$(date +%s)
unshare -n bash -euo pipefail -c '
  src=$1 work=$2 sources=$3 cache=$4 host=$5
  if curl -s --max-time 5 -o /dev/null https://index.crates.io/config.json; then
    echo "FAIL: the network is still reachable" >&2; exit 1
  fi
  make -C "$src/depends" NO_QT=1 MULTIPROCESS=1 SOURCES_PATH="$sources" BASE_CACHE="$cache" LOG=1
  rm -rf "$work/build"
  cmake -S "$src" -B "$work/build" --toolchain="$src/depends/$host/toolchain.cmake" -DBUILD_TESTS=OFF > "$work/configure.log" 2>&1
  grep -q "WITH_MULTIPROCESS .* ON" "$work/configure.log" || { cat "$work/configure.log"; exit 1; }
  cmake --build "$work/build" -j"$(nproc)" > "$work/build.log" 2>&1 || { tail -40 "$work/build.log"; exit 1; }
' _ "$src" "$work" "$sources" "$cache" "$host"
echo "ok ($(( $(date +%s) - start )) s)"

step "hashvive-node built from the tree answers an IPC echo"
datadir=$work/datadir
rm -rf "$datadir" && mkdir -p "$datadir"
"$work/build/src/hashvive-node" -regtest -datadir="$datadir" -daemonwait -printtoconsole=0
cli=("$work/build/src/hashvive-cli" -regtest -datadir="$datadir" -rpcwait)
answer=$("${cli[@]}" echoipc "through the tree")
"${cli[@]}" stop >/dev/null
test "$answer" = "through the tree" || { echo "FAIL: echoipc answered '$answer'" >&2; exit 1; }
echo ok

step "a second make builds nothing"
second=$(make -C "$src/depends" NO_QT=1 MULTIPROCESS=1 SOURCES_PATH="$sources" BASE_CACHE="$cache")
if echo "$second" | grep -q "^Building"; then
  echo "$second"; echo "FAIL: the second make rebuilt something" >&2; exit 1
fi
echo ok
