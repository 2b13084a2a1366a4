#!/usr/bin/env bash
# The install tree of a configured and built build directory: `cmake
# --install` into a DESTDIR holds the executables, a man page and bash, zsh
# and fish completions for each, the example configuration file and the
# systemd units; each man page lists exactly the options `-help-debug`
# prints; the completions parse; the example configuration file is read
# without error by the node.
#
# Usage: test/build/install_tree.sh <build dir>
set -euo pipefail
build=$(cd "${1:?usage: $0 <build dir>}" && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
prefix=/usr

DESTDIR="$root" cmake --install "$build" --prefix "$prefix" > /dev/null
tree="$root$prefix"
fail() { echo "install tree: $*" >&2; exit 1; }

mapfile -t executables < <(ls "$tree/bin")
[ "${#executables[@]}" -gt 0 ] || fail "no executables in bin/"
for exe in "${executables[@]}"; do
  man="$tree/share/man/man1/$exe.1"
  [ -f "$man" ] || fail "no man page for $exe"
  # The options the executable prints (with -help-debug where it has one),
  # and those its man page documents.
  help=$("$tree/bin/$exe" -help-debug 2>/dev/null || "$tree/bin/$exe" -help)
  grep -oE '^  -[a-z0-9][a-z0-9-]*' <<< "$help" | tr -d ' ' | sort -u > "$root/help.txt"
  grep -oE '^\\fB\\-[a-z0-9\\-]+\\fR' "$man" | sed -e 's/\\fB//' -e 's/\\fR//' -e 's/\\-/-/g' | sort -u > "$root/man.txt"
  diff -u "$root/help.txt" "$root/man.txt" > /dev/null || {
    diff -u "$root/help.txt" "$root/man.txt" || true
    fail "$exe: -help-debug and the man page list different options"
  }
  if command -v groff > /dev/null; then
    groff -man -Tutf8 -ww -z "$man" 2>&1 | { ! grep . ; } || fail "$exe: groff warns about the man page"
  fi
  bash -n "$tree/share/bash-completion/completions/$exe" || fail "$exe: bash completion does not parse"
  # The completion offers the options: -datadir (node, wallet tool) or -rpcconnect (CLI).
  (source "$tree/share/bash-completion/completions/$exe"
   COMP_WORDS=("$exe" "-dat"); COMP_CWORD=1; compopt() { :; }
   "_${exe//-/_}"; [[ " ${COMPREPLY[*]} " == *" -datadir= "* ]]) || fail "$exe: bash completion does not offer -datadir="
  [ -f "$tree/share/zsh/site-functions/_$exe" ] || fail "$exe: no zsh completion"
  if command -v zsh > /dev/null; then zsh -n "$tree/share/zsh/site-functions/_$exe" || fail "$exe: zsh completion does not parse"; fi
  [ -f "$tree/share/fish/vendor_completions.d/$exe.fish" ] || fail "$exe: no fish completion"
  if command -v fish > /dev/null; then fish -n "$tree/share/fish/vendor_completions.d/$exe.fish" || fail "$exe: fish completion does not parse"; fi
done

conf="$tree/share/examples/hashvive.conf"
[ -f "$conf" ] || fail "no share/examples/hashvive.conf"
if [ -x "$tree/bin/hashvived" ]; then
  "$tree/bin/hashvived" -regtest -datadir="$root" -conf="$conf" -version > /dev/null || fail "hashvived refuses the example configuration"
  [ -f "$tree/lib/systemd/system/hashvived.service" ] || fail "no hashvived.service"
  grep -q '^ExecStart=/usr/bin/hashvived -daemonwait' "$tree/lib/systemd/system/hashvived.service" || fail "hashvived.service does not start hashvived -daemonwait"
fi
if [ -x "$tree/bin/hashvive-node" ]; then
  grep -q -- '-ipcbind=unix' "$tree/lib/systemd/system/hashvive-node.service" || fail "hashvive-node.service does not listen for IPC"
fi
if command -v systemd-analyze > /dev/null; then
  for unit in "$tree"/lib/systemd/system/*.service; do
    systemd-analyze verify --man=no "$unit" 2>&1 | grep -v "Command /usr/bin/.* is not executable\|not found\|hashvive.*user" || true
  done
fi
echo "install tree: ${#executables[@]} executables, their man pages and completions, hashvive.conf and the units are in place"
