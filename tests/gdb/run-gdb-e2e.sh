#!/bin/bash
# run-gdb-e2e.sh - heapwalk.gdb on a core of Debian's kamailio (stripped), against Kamailio's own dump and the CLI.
#
# usage: run-gdb-e2e.sh HEAPWALK HEAPWALK.GDB qm|fm|tlsf
#
# tests/e2e/run-e2e.sh --prepare-only makes the core (kamailio -x M -X M)
# together with Kamailio's own status and summary bodies of both pools at
# that moment. The binary has no debug info, so the scripts must recognise
# the layout from the block, or take it from hw-layout NAME or from
# 'heapwalk layout --format gdb'. Checked, for pkg and shm:
#   hw-stats                = Kamailio's status header (TLSF: with its matrix)
#   hw-status               = Kamailio's whole status body (qm: hw-status 1,
#                             the test config runs with mem_status_mode=1)
#   pipe hw-sums | uniq -c  = the counts of Kamailio's own summary
# and every hw-* command against the CLI (lib-gdb.sh check_full), also
# with hw-layout NAME and with the output of 'heapwalk layout --format gdb'.
# Exit 0 pass, 1 fail, 77 skip (no kamailio, gdb or ptrace).

HW=$1
GDBSCRIPT=$2
MGR=$3
HERE=$(cd "$(dirname "$0")" && pwd -P)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hw-gdb-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
. "$HERE/lib-gdb.sh"

[ -x "$HW" ] || { echo "heapwalk not found: $HW" >&2; exit 1; }
[ -r "$GDBSCRIPT" ] || { echo "heapwalk.gdb not found: $GDBSCRIPT" >&2; exit 1; }
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}

bash "$HERE/../e2e/run-e2e.sh" --manager "$MGR" --prepare-only "$TMP/e2e" >"$TMP/prepare.log" 2>&1
rc=$?
if [ $rc = 77 ]; then
	grep 'SKIP' "$TMP/prepare.log" | tail -1
	exit 77
fi
if [ $rc != 0 ] || [ ! -s "$TMP/e2e/core" ]; then
	tail -20 "$TMP/prepare.log"
	echo "run-e2e.sh --prepare-only failed (exit $rc)"
	exit 1
fi
CORE=$TMP/e2e/core
echo "# $(grep 'prepared' "$TMP/prepare.log" | sed 's/^e2e: //')"

PROFILE=$("$HW" layout --core "$CORE" --pool shm --format json 2>/dev/null |
	sed -n 's/^ *"name": "\(.*\)",*$/\1/p' | head -1)
[ -n "$PROFILE" ] || bad "heapwalk layout names no profile for the shm pool"
"$HW" layout --core "$CORE" --format gdb >"$TMP/layout.gdb" 2>"$TMP/layout.err" ||
	bad "heapwalk layout --format gdb failed: $(head -1 "$TMP/layout.err")"
CMDS=()
full_cmds auto-pkg hw-pkg "$MGR"
full_cmds auto-shm hw-shm "$MGR"
light_cmds hw-layout hw-shm "hw-layout $PROFILE"
CMDS+=("hw-layout auto" "source $TMP/layout.gdb")
light_cmds cli-layout hw-pkg
gdb_run S "$KAMAILIO" "$CORE" "${CMDS[@]}"

for pool in pkg shm; do
	p=$TMP/S.auto-$pool
	check_full S "auto-$pool" "$CORE" "$pool" "$MGR" dbg "recognised from the block"
	same "$TMP/e2e/expected-$pool-stats.txt" "$p.stats" "auto-$pool: hw-stats = Kamailio's own header"
	# (q_malloc: hw-status 1, the test config has mem_status_mode=1)
	same "$TMP/e2e/expected-$pool-status.txt" "$p.status" \
		"auto-$pool: $(status_cmd "$MGR") = Kamailio's own ${MGR}_status"
	sed -n 's/^ count= *\([0-9]*\) size= *[0-9]* bytes from \(.*\)$/\1 \2/p' \
		"$TMP/e2e/expected-$pool-summary.txt" | sum_by_site >"$p.k-sums"
	same "$p.k-sums" "$p.g-sums" "auto-$pool: pipe hw-sums | sort | uniq -c = Kamailio's own summary counts"
done
check_light S hw-layout "$CORE" shm "chosen with hw-layout"
same "$TMP/e2e/expected-shm-stats.txt" "$TMP/S.hw-layout.stats" \
	"hw-layout $PROFILE: hw-stats = Kamailio's own header"
check_light S cli-layout "$CORE" pkg "heapwalk layout: profile:"
same "$TMP/e2e/expected-pkg-stats.txt" "$TMP/S.cli-layout.stats" \
	"cli-layout: hw-stats = Kamailio's own header"

finish
