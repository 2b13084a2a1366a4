#!/usr/bin/env bash
# Checks that a build is reproducible: the same commit built again in another
# directory, with no network (unshare -n, crates from Cargo's cache), gives
# bit-identical executables. The reference build is the one in REFERENCE
# (the README's `build/`, configured as it was); the second is configured
# with the same options from that build's CMake cache.
# Needs root (unshare -n) and the crates fetched (the reference build did).
#
# Usage: test/build/reproducible.sh [REFERENCE] [WORKDIR]
#        (defaults: build, build-repro)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
reference=$(cd "${1:-$src/build}" && pwd)
work=${2:-$src/build-repro}
cache=$reference/CMakeCache.txt
[ -f "$cache" ] || { echo "FAIL: no CMake cache in $reference: build it first" >&2; exit 1; }

# The options that shape the executables, as the reference was configured.
options=()
for name in CMAKE_BUILD_TYPE WITH_MULTIPROCESS ENABLE_WALLET BUILD_DAEMON BUILD_CLI BUILD_WALLET_TOOL BUILD_GUI \
            CAPNP_EXECUTABLE CARGO_EXECUTABLE RUSTC_EXECUTABLE CARGO_RUSTFLAGS; do
  line=$(grep -E "^$name(:[A-Z]+)?=" "$cache" || true)
  [ -n "$line" ] && options+=("-D$line")
done

rm -rf "$work"
mkdir -p "$work/src"
# Exactly the committed tree, in a directory of another name and depth.
git -C "$src" archive HEAD | tar -x -C "$work/src"
echo "== building $(git -C "$src" rev-parse --short HEAD) again in $work/src, offline"
unshare -n -- cmake -S "$work/src" -B "$work/build" -DCARGO_OFFLINE=ON "${options[@]}" >"$work/configure.log" 2>&1
unshare -n -- cmake --build "$work/build" -j"$(nproc)" >"$work/build.log" 2>&1 || {
  tail -30 "$work/build.log" >&2; echo "FAIL: the second build failed" >&2; exit 1; }

status=0
count=0
for exe in "$reference"/src/*; do
  [ -f "$exe" ] && [ -x "$exe" ] || continue
  name=$(basename "$exe")
  count=$((count + 1))
  if cmp -s "$exe" "$work/build/src/$name"; then
    echo "same: $name $(sha256sum <"$exe" | cut -c1-16)"
  else
    echo "DIFFERENT: $name" >&2
    status=1
  fi
done
[ "$count" -gt 0 ] || { echo "FAIL: no executables in $reference/src" >&2; exit 1; }
[ "$status" -eq 0 ] && echo "OK: $count executables bit-identical"
exit "$status"
