#!/bin/bash
# run-setup-lock.sh - .ci/setup waits while another package manager holds
# dpkg's locks (as unattended-upgrades may), says so, and then installs what
# is missing. A helper holds the locks for 30 s; lz4 (one of the packages
# .ci/setup installs, used only by tests) is removed first so that setup has
# something to install.
#
# usage: run-setup-lock.sh SOURCE_DIR
# Exit 0 pass, 1 fail, 77 skip (not root, no python3; HW_E2E_REQUIRE=1
# turns a skip into a failure).
SRC=$1
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/harness.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hw-setup-lock.XXXXXX")
HOLDER=
trap '[ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null; rm -rf "$TMP"' EXIT

need() {
	if [ -n "${HW_E2E_REQUIRE:-}" ]; then die "$*"; fi
	skip "$*"
}
[ "$(id -u)" = 0 ] || need "changing installed packages needs root"
command -v python3 >/dev/null || need "python3 is not installed"

dpkg -r lz4 >/dev/null 2>&1 || die "cannot remove lz4 to begin with"
python3 - "$TMP/held" <<'PY' &
import fcntl, os, sys, time
fds = []
for path in ("/var/lib/dpkg/lock-frontend", "/var/lib/dpkg/lock",
             "/var/lib/apt/lists/lock", "/var/cache/apt/archives/lock"):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o640)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    fds.append(fd)
open(sys.argv[1], "w").close()
time.sleep(30)
PY
HOLDER=$!
for _ in $(seq 100); do [ -f "$TMP/held" ] && break; sleep 0.1; done
[ -f "$TMP/held" ] || die "the lock holder did not start"

rc=0
bash "$SRC/.ci/setup" --packages-only </dev/null >"$TMP/setup.out" 2>&1 || rc=$?
cat "$TMP/setup.out"
waited=$(sed -n 's/.*the package manager is free after \([0-9]*\) s.*/\1/p' "$TMP/setup.out")
[ $rc = 0 ] && ok "setup succeeded while the locks were held (exit 0)" || bad "setup: exit $rc"
grep -q 'waiting for another package manager to finish (/var/lib/.* is locked)' "$TMP/setup.out" &&
	ok "setup said what it waits for" || bad "setup did not say it was waiting"
[ -n "$waited" ] && [ "$waited" -ge 20 ] && ok "setup waited $waited s for the lock" ||
	bad "setup did not wait for the lock ('$waited')"
grep -q 'installing with apt-get: .*lz4' "$TMP/setup.out" && ok "setup said what it installs" ||
	bad "setup did not say what it installs"
dpkg-query -W -f='${Status}' lz4 2>/dev/null | grep -q 'ok installed' &&
	ok "lz4 installed again" || bad "lz4 not installed after setup"
finish
