#!/bin/bash
# run-coredump-kamailio.sh - Debian's kamailio's core, stored the way
# systemd-coredump stores it (zstd, core.COMM.UID.BOOTID.PID.USEC.zst, its
# user.coredump.* attributes from the process's own comm and exe), read
# with `--coredump latest`: the pools equal `--core` on the raw gcore, the
# executable is the recorded /usr/sbin/kamailio, and `diagnose --coredump
# latest` gives a verdict for both pools. tests/host/run-coredump.sh checks
# the choice among several stored cores on fixtures.
#
#   run-coredump-kamailio.sh HEAPWALK
#
# Exit 0 pass, 1 fail, 77 skip (no kamailio, kamcmd, zstd, setfattr or
# ptrace). KAMAILIO, KAMCMD, KAMAILIO_MODDIR as in tests/e2e.
set -u
HW=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
. "$HERE/../lib/harness.sh"
# KAMAILIO, KAMCMD, MODDIR, PYTHON, and kamailio_start/kamailio_stop
. "$HERE/../e2e/lib-kamailio.sh"
[ -x "$KAMAILIO" ] || skip "kamailio not installed ($KAMAILIO)"
[ -x "$KAMCMD" ] || skip "kamcmd not installed"
[ -d "$MODDIR" ] || skip "kamailio modules not found in $MODDIR"
for t in gcore zstd setfattr "$PYTHON"; do
	command -v "$t" >/dev/null || skip "$t not installed"
done
"$HW" --help >/dev/null || die "no heapwalk at $HW"

RUN=$(mktemp -d "${TMPDIR:-/tmp}/hw-coredump-kam.XXXXXX") || exit 1
KPID=""
trap 'kamailio_stop; rm -rf "$RUN"' EXIT
mkdir "$RUN/store"
kamailio_up "$RUN" qm 200 || die "kamailio did not start"
P=$KPID
gcore -o "$RUN/core" "$P" >"$RUN/gcore.log" 2>&1 ||
	{ grep -qi "not permitted" "$RUN/gcore.log" && skip "ptrace not permitted"; die "gcore failed"; }
COMM=$(cat "/proc/$P/comm")
EXE=$(readlink "/proc/$P/exe")
kamailio_stop
C=$RUN/core.$P

USEC=$(($(date +%s) * 1000000))
BOOT=$(tr -d '-' </proc/sys/kernel/random/boot_id)
F=$RUN/store/core.$COMM.0.$BOOT.$P.$USEC.zst
zstd -q -c "$C" >"$F" && chmod 0640 "$F" || die "zstd failed"
if ! setfattr -n user.coredump.pid -v "$P" "$F" 2>/dev/null; then
	echo "# no user xattrs on $RUN: the file name alone"
else
	for kv in uid=0 gid=0 signal=11 timestamp="$USEC" rlimit=18446744073709551615 \
		hostname="$(hostname)" comm="$COMM" exe="$EXE"; do
		setfattr -n "user.coredump.${kv%%=*}" -v "${kv#*=}" "$F" || die "setfattr failed"
	done
fi
echo "# raw core $(stat -c %s "$C") bytes, stored $(stat -c %s "$F") bytes"

pools() {
	"$HW" stats "$@" --format json 2>"$RUN/p.err" | "$PYTHON" -c '
import json, sys
print(json.dumps(json.load(sys.stdin)["pools"], sort_keys=True))'
}
RAW=$(pools --core "$C")
GOT=$(pools --coredump latest --coredump-dir "$RUN/store")
if [ -n "$RAW" ] && [ "$RAW" = "$GOT" ] && grep -q '"shm"' <<<"$GOT" && grep -q '"pkg"' <<<"$GOT" &&
	grep -qF -- "--coredump latest: $F (pid $P," "$RUN/p.err"; then
	ok "stats --coredump latest: Debian's kamailio (pid $P), pools as the raw core's"
else
	bad "stats --coredump latest: $(head -2 "$RUN/p.err")"
fi
X=$("$HW" info --coredump latest --coredump-dir "$RUN/store" --format json 2>/dev/null |
	"$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["target"]["executable"])')
[ "$X" = "$EXE" ] && ok "the executable is the recorded $EXE" || bad "executable '$X'"
rc=0
"$HW" diagnose --coredump latest --coredump-dir "$RUN/store" >"$RUN/d.out" 2>"$RUN/d.err" || rc=$?
if [ $rc -le 1 ] && grep -q '^shm: ' "$RUN/d.out" && grep -q '^pkg: ' "$RUN/d.out"; then
	ok "diagnose --coredump latest: exit $rc, $(grep -c '^[a-z]*: ' "$RUN/d.out") pool verdicts"
else
	bad "diagnose --coredump latest: exit $rc: $(head -2 "$RUN/d.err")"
fi
finish
