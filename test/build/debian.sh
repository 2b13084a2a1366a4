#!/usr/bin/env bash
# Builds the Debian package from contrib/debian and checks it as an
# administrator would use it:
#  - the crates are vendored, then `dpkg-buildpackage -b` runs with no
#    network (unshare -n) and yields hashvive and hashvive-dbgsym;
#  - the package installs, creates the hashvive user, and holds the
#    executables, man pages, completions and systemd units;
#  - each unit's command line (hashvived, hashvive-node), run as the hashvive
#    user with the directories systemd would make, starts a regtest node that
#    hashvive-cli reaches and stops;
#  - the package removes and purges cleanly.
# Needs root (unshare -n, dpkg -i). Installs debhelper if it is missing.
#
# Usage: test/build/debian.sh [WORKDIR]   (default: build-deb)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
work=${1:-$src/build-deb}
fail() { echo "FAIL: $*" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
step() { echo "== $*"; }

if ! command -v dh >/dev/null || ! command -v dpkg-buildpackage >/dev/null; then
  apt-get install -y -qq --no-install-recommends debhelper dpkg-dev >/dev/null
fi

rm -rf "$work"
tree=$work/hashvive-0.1.0
mkdir -p "$tree"
git -C "$src" archive HEAD | tar -x -C "$tree"
cp -r "$tree/contrib/debian" "$tree/debian"

step "vendoring the crates"
(cd "$tree" && cargo vendor --locked --quiet vendor >/dev/null)

step "dpkg-buildpackage -b, offline"
(cd "$tree" && unshare -n -- dpkg-buildpackage -b -us -uc >"$work/build.log" 2>&1) || {
  tail -40 "$work/build.log" >&2; fail "dpkg-buildpackage failed (log: $work/build.log)"; }
arch=$(dpkg --print-architecture)
deb=$work/hashvive_0.1.0_${arch}.deb
dbgsym=$(ls "$work"/hashvive-dbgsym_0.1.0_"${arch}".*deb 2>/dev/null || true)
[ -f "$deb" ] || fail "no $deb"
[ -n "$dbgsym" ] || fail "no hashvive-dbgsym package"
debug_files=$(dpkg-deb -c "$dbgsym")
grep -q '/usr/lib/debug/.build-id/' <<<"$debug_files" || fail "hashvive-dbgsym holds no debug files"

contents=$(dpkg-deb -c "$deb")
for path in usr/bin/hashvived usr/bin/hashvive-node usr/bin/hashvive-wallet usr/bin/hashvive-cli \
            usr/share/man/man1/hashvived.1.gz usr/share/bash-completion/completions/hashvive-cli \
            lib/systemd/system/hashvived.service lib/systemd/system/hashvive-node.service \
            usr/share/doc/hashvive/copyright usr/share/examples/hashvive.conf; do
  grep -q " ./$path\$" <<<"$contents" || fail "the package lacks /$path"
done

step "installing"
dpkg -r hashvive >/dev/null 2>&1 || true
apt-get install -y -qq "$deb" >/dev/null
id hashvive >/dev/null || fail "no hashvive user"

# What systemd makes for the units (RuntimeDirectory, ConfigurationDirectory,
# StateDirectory), owned by the user.
mkdir -p /run/hashvived /etc/hashvive /var/lib/hashvived
touch /etc/hashvive/hashvive.conf
chown hashvive:hashvive /run/hashvived /var/lib/hashvived
chown root:hashvive /etc/hashvive /etc/hashvive/hashvive.conf
chmod 0710 /etc/hashvive
chmod 0640 /etc/hashvive/hashvive.conf
cli=(runuser -u hashvive -- hashvive-cli -regtest -datadir=/var/lib/hashvived -conf=/etc/hashvive/hashvive.conf)

for unit in hashvived hashvive-node; do
  step "$unit.service's command line, as the hashvive user"
  # The unit's ExecStart, continuation lines joined, on regtest.
  command=$(sed -n '/^ExecStart=/,/[^\\]$/p' "/lib/systemd/system/$unit.service" | sed -e 's/^ExecStart=//' -e 's/\\$//' | tr -s ' \n' ' ')
  read -r -a argv <<<"$command"
  runuser -u hashvive -- "${argv[@]}" -regtest >"$work/$unit.out" 2>&1 || {
    cat "$work/$unit.out" >&2; fail "$unit did not start"; }
  pid=$(cat /run/hashvived/hashvived.pid)
  [ "$(stat -c %U "/proc/$pid")" = hashvive ] || fail "$unit does not run as hashvive"
  [ "$("${cli[@]}" getblockcount)" = 0 ] || fail "hashvive-cli got no answer from $unit"
  "${cli[@]}" createwallet w >/dev/null || fail "$unit cannot create a wallet"
  "${cli[@]}" -rpcwallet=w getnewaddress >/dev/null
  if [ "$unit" = hashvive-node ]; then
    [ -S /var/lib/hashvived/regtest/node.sock ] || fail "hashvive-node is not listening for IPC"
    pgrep -u hashvive -x hashvive-wallet >/dev/null || fail "hashvive-node spawned no hashvive-wallet"
  fi
  "${cli[@]}" stop >/dev/null
  timeout 60 tail --pid="$pid" -f /dev/null || fail "$unit did not stop"
  rm -rf /var/lib/hashvived/regtest
done

step "removing and purging"
dpkg -r hashvive >/dev/null
[ ! -e /usr/bin/hashvived ] || fail "hashvived left behind"
dpkg --purge hashvive >/dev/null
! dpkg -s hashvive >/dev/null 2>&1 || fail "the package is still known to dpkg"
rm -rf /run/hashvived /etc/hashvive /var/lib/hashvived
echo "OK: $(basename "$deb") ($(du -h "$deb" | cut -f1)) and $(basename "$dbgsym") built offline, installed, ran and removed"
