#!/usr/bin/env bash
# The flake, checked where nixpkgs cannot be fetched: flake.nix parses, and
# `nix flake check --no-build` passes with nixpkgs replaced by the stub in
# test/nix/stub (the attributes the flake uses, as trivial derivations), so
# the outputs' structure, argument names and shapes are checked. Installs
# Debian's Nix (nix-bin) first when it is missing and we are root.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v nix > /dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "nix.sh: nix is not installed (apt-get install nix-bin); skipped" >&2
    exit 0
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nix-bin > /dev/null
fi
nix=(nix --extra-experimental-features nix-command --extra-experimental-features flakes)
# No network, never a lock file: the stub must not end up locked.
stub=(--offline --no-write-lock-file --override-input nixpkgs "path:$PWD/test/nix/stub")

nix-instantiate --parse flake.nix > /dev/null
"${nix[@]}" flake check --no-build "${stub[@]}" 2>&1 | grep -v '^warning: \|^• Added input\|^    .path:' || true
"${nix[@]}" flake check --no-build "${stub[@]}" > /dev/null 2>&1

expect() {
  local got
  got=$("${nix[@]}" eval --raw ".#$1" "${stub[@]}" 2> /dev/null)
  [ "$got" = "$2" ] || { echo "nix.sh: $1 is '$got', expected '$2'" >&2; exit 1; }
}
system=$("${nix[@]}" eval --raw --impure --expr builtins.currentSystem)
expect "packages.$system.default.name" hashvive-0.1.0
expect "packages.$system.hashvive-minimal.name" hashvive-minimal-0.1.0
for app in hashvived hashvive-node hashvive-cli hashvive-wallet; do
  [[ $("${nix[@]}" eval --raw ".#apps.$system.$app.program" "${stub[@]}" 2> /dev/null) == */bin/$app ]] ||
    { echo "nix.sh: app $app does not run bin/$app" >&2; exit 1; }
done
expect "checks.$system.clippy.name" hashvive-clippy-0.1.0
expect "checks.$system.rustfmt.name" hashvive-rustfmt-0.1.0
[ ! -e flake.lock ] || ! grep -q test/nix/stub flake.lock || { echo "nix.sh: flake.lock points at the stub" >&2; exit 1; }
echo "nix.sh: flake.nix parses and its outputs check against the nixpkgs stub"
