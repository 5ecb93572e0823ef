#!/bin/bash
# scenario.sh - Debian's kamailio brought into one of issue 15's memory states.
#
#   scenario.sh NAME OUTDIR      NAME: shm-leak, pkg-leak, busy or frag
#
# Starts kamailio (kamailio.cfg next to this file, -x/-X $HW_TRIAGE_MGR,
# default qm) on two free UDP ports of 127.0.0.1, drives it into the state
# with sipgen.py, and leaves in OUTDIR:
#   kamailio.log       Kamailio's log (with its own dump of the core's state)
#   psx.txt            kamcmd core.psx
#   mod-stats-shm.txt  kamcmd mod.stats all shm   (taken just before the core)
#   mod-stats-pkg.txt  kamcmd mod.stats all pkg   (the ctl process's pkg)
#   shm-stats.txt      kamcmd shm.stats           (idem)
#   pkg-stats.txt      kamcmd pkg.stats           (every process, lagging)
#   traffic.txt        what sipgen sent and got back
#   series.txt         "seconds real_used" of shm every 2 s while driving,
#                      the last one 12 s after the traffic stopped (busy)
#   core               gcore of TARGET: the worker of the second socket
#                      (socket_workers=1, so all its traffic is its own):
#                      the leaking worker of pkg-leak, any process for shm
#   target.txt         pid=, desc=, port=, port2=, mgr=, shm_total=
# The core is taken with that worker stopped by gdb, idle in its receive
# loop, after it logged its pkg status and sums, and under the shm lock after
# it logged the shm status and sums: the dumps in kamailio.log and the core
# describe the same heap state. Kamailio is stopped at the end.
#
# HW_TRIAGE_HOOK: a shell command run once the state is reached, before the
# core (with KPID, TARGET, PORT, PORT2 and OUTDIR exported); while it runs,
# the scenario's traffic goes on (pkg-leak, busy) or the leak keeps knocking
# (shm-leak).
#
# HW_TRIAGE_SHM overrides the scenario's shm size (-m, MiB).
#
# Exit 0 done, 1 failure, 77 kamailio not installed (a failure when
# HW_E2E_REQUIRE=1, as in CI). KAMAILIO, KAMCMD, GDB, PYTHON and
# KAMAILIO_MODDIR override the tools.

set -u
set -o pipefail

NAME=${1:-}
OUT=${2:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}
KAMCMD=${KAMCMD:-$(command -v kamcmd || echo /usr/sbin/kamcmd)}
GDB=${GDB:-$(command -v gdb || echo gdb)}
PYTHON=${PYTHON:-$(command -v python3 || echo python3)}
MODDIR=${KAMAILIO_MODDIR:-/usr/lib/x86_64-linux-gnu/kamailio/modules}
MGR=${HW_TRIAGE_MGR:-qm}
GEN=$HERE/sipgen.py
T0=$(date +%s)

log() { printf 'scenario %s: %s\n' "$NAME" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
skip() {
	[ "${HW_E2E_REQUIRE:-0}" = 1 ] && die "(HW_E2E_REQUIRE=1, would skip) $*"
	log "SKIP: $*"
	exit 77
}

case "$NAME" in
shm-leak) DEFINE=HW_SHM_LEAK SHM=8 ;;
pkg-leak) DEFINE=HW_PKG_LEAK SHM=16 ;;
busy) DEFINE=HW_BUSY SHM=8 ;;
frag) DEFINE=HW_FRAG SHM=8 ;;
*) echo "usage: $0 shm-leak|pkg-leak|busy|frag OUTDIR" >&2; exit 64 ;;
esac
SHM=${HW_TRIAGE_SHM:-$SHM}
[ -n "$OUT" ] || { echo "usage: $0 NAME OUTDIR" >&2; exit 64; }
case "$MGR" in qm | fm | tlsf) ;; *) die "HW_TRIAGE_MGR must be qm, fm or tlsf" ;; esac

[ -x "$KAMAILIO" ] || skip "kamailio not installed ($KAMAILIO)"
[ -x "$KAMCMD" ] || die "kamcmd not installed"
command -v "$GDB" >/dev/null || die "gdb not installed"
command -v "$PYTHON" >/dev/null || die "python3 not installed"
"$KAMAILIO" -v 2>/dev/null | grep -Eq '^version: kamailio 5\.[678]\.' ||
	die "kamailio 5.6 to 5.8 expected; got: $("$KAMAILIO" -v 2>&1 | head -1)"

mkdir -p "$OUT" || die "cannot create $OUT"
OUT=$(cd "$OUT" && pwd -P)
rm -f "$OUT"/core "$OUT"/*.txt "$OUT"/kamailio.* "$OUT"/gdb.*
RUN=$(mktemp -d "${TMPDIR:-/tmp}/hw-triage.XXXXXX") || die "mktemp failed"
KPID=""
SUSTAIN=""
TRAFFIC=""

# lib-kamailio.sh gives kamailio_stop (SIGTERM, then SIGKILL after 15 s)
. "$HERE/../e2e/lib-kamailio.sh"
stop_pid() { # PID: TERM, then KILL after 5 s
	[ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 0
	kill -TERM "$1" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	stop_pid "$SUSTAIN"
	stop_pid "$TRAFFIC"
	kamailio_stop
	[ -f "$RUN/kamailio.log" ] && cp "$RUN/kamailio.log" "$OUT/kamailio.log"
	rm -rf "$RUN"
	log "done in $(($(date +%s) - T0)) s (exit $rc); artefacts in $OUT"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

kamcmd_() { timeout 10 "$KAMCMD" -s "unixs:$RUN/kamailio_ctl" "$@"; }
shm_used() { kamcmd_ core.shmmem | awk '$1 == "real_used:" {print $2}'; }

# ---- start ---------------------------------------------------------------------------
start() {
	local _try _
	for _try in 1 2 3; do
		read -r PORT PORT2 < <("$PYTHON" "$GEN" freeport 2) || return 1
		: >"$RUN/kamailio.log"
		env -u MALLOC_PERTURB_ "$KAMAILIO" -f "$HERE/kamailio.cfg" -L "$MODDIR" \
			-x "$MGR" -X "$MGR" -M 4 -m "$SHM" -DD -E -Y "$RUN" -P "$RUN/kamailio.pid" \
			-A "HW_PORT=$PORT" -A "HW_PORT2=$PORT2" -A "HW_CTL=\"unix:$RUN/kamailio_ctl\"" \
			-A "HW_JSDT=\"$HERE/leak.js\"" -A "$DEFINE" \
			</dev/null >"$RUN/kamailio.stdout" 2>>"$RUN/kamailio.log" &
		KPID=$!
		for _ in $(seq 200); do
			kill -0 "$KPID" 2>/dev/null || break
			if [ -S "$RUN/kamailio_ctl" ] && kamcmd_ core.psx >"$OUT/psx.txt" 2>/dev/null &&
				grep -q "DSC: udp receiver child=0 sock=127.0.0.1:$PORT2" "$OUT/psx.txt"; then
				return 0
			fi
			sleep 0.1
		done
		kill -0 "$KPID" 2>/dev/null && return 1
		wait "$KPID" 2>/dev/null
		KPID=""
		grep -q 'bind\|Address already in use' "$RUN/kamailio.log" || return 1
	done
	return 1
}
start || { tail -n 20 "$RUN/kamailio.log" >&2; die "kamailio did not start"; }
TARGET=$(awk -v d="sock=127.0.0.1:$PORT2" '/PID:/{p=$2} index($0, "DSC: udp receiver child=0 " d){print p}' "$OUT/psx.txt")
[ -n "$TARGET" ] || die "no worker for the second socket in core.psx"
SHM_TOTAL=$(kamcmd_ core.shmmem | awk '$1 == "total:" {print $2}')
log "kamailio $KPID (-x $MGR -m $SHM) on 127.0.0.1:$PORT and :$PORT2; target worker $TARGET"

# ---- drive ---------------------------------------------------------------------------
gen() { "$PYTHON" "$GEN" "$@" >>"$OUT/traffic.txt" 2>&1; }
gen_bg() { # the same in the background; its pid in BG
	"$PYTHON" "$GEN" "$@" >>"$OUT/traffic.txt" 2>&1 &
	BG=$!
}
sample() { echo "$(($(date +%s) - T0)) $(shm_used)" >>"$OUT/series.txt"; }
case "$NAME" in
shm-leak)
	# every INVITE and MESSAGE kept; the MESSAGE transactions are freed
	# after tm's wait timer, then INVITEs (stateless) fill what they left
	gen "$PORT" flood --methods INVITE,MESSAGE --body 1000 --count 8000 --timeout 40
	sleep 6
	gen "$PORT" flood --methods INVITE --body 1000 --count 3000 --timeout 20
	sustain() { gen_bg "$PORT" flood --methods INVITE,MESSAGE --body 1000 --rate 20 --count 2000 --timeout 90; }
	;;
pkg-leak)
	gen "$PORT" flood --methods OPTIONS,MESSAGE --count 200 --timeout 20
	gen "$PORT2" flood --methods OPTIONS --count 2400 --timeout 40
	sustain() { gen_bg "$PORT2" flood --methods OPTIONS --rate 10 --count 900 --timeout 90; }
	;;
busy)
	# registrations that expire after 8 s plus MESSAGE transactions, at a
	# steady rate: usage rises, then levels off; the traffic goes on until
	# the core is taken
	sample
	gen_bg "$PORT" flood --methods REGISTER,MESSAGE,REGISTER --body 400 --expires 8 --rate 150 --count 13500 --timeout 90
	TRAFFIC=$BG
	for _ in $(seq 15); do
		sleep 2
		sample
	done
	sustain() { :; }
	;;
frag)
	gen "$PORT" frag --pairs 2000 --big 8000 --small 200 --probe 16000 --timeout 60
	sustain() { :; }
	;;
esac
kamcmd_ shm.stats >"$OUT/shm-stats.txt" 2>&1
log "state reached: $(tr -d '\n\t{}' <"$OUT/shm-stats.txt")"

if [ -n "${HW_TRIAGE_HOOK:-}" ]; then
	BG=""
	sustain
	SUSTAIN=$BG
	export KPID TARGET PORT PORT2 OUTDIR="$OUT"
	bash -c "$HW_TRIAGE_HOOK" || log "the hook exited with $?"
	stop_pid "$SUSTAIN"
	SUSTAIN=""
fi

# ---- Kamailio's counters, then its own dump and a core of the same moment ----------------
kamcmd_ mod.stats all shm >"$OUT/mod-stats-shm.txt" 2>&1
kamcmd_ mod.stats all pkg >"$OUT/mod-stats-pkg.txt" 2>&1
kamcmd_ pkg.stats >"$OUT/pkg-stats.txt" 2>&1
kamcmd_ shm.stats >"$OUT/shm-stats.txt" 2>&1
# The worker is idle in its receive loop (its socket gets no more traffic):
# gdb stops it there, has it log its pkg status and sums, then the shm status
# and sums under the shm lock, and takes the core before the lock is released.
# (Kamailio's mem_dump_pkg would need shm for the new config value, which
# an exhausted pool does not have.)
PKGB='(*(void**)((char*)&_pkg_root+16))'
SHMB='(*(void**)((char*)&_shm_root+16))'
cat >"$RUN/gdb.cmd" <<EOF
set pagination off
set confirm off
set width 0
set debuginfod enabled off
handle all nostop noprint pass
call ((void(*)(void*))${MGR}_status)($PKGB)
call ((void(*)(void*))${MGR}_sums)($PKGB)
call ((void(*)(void*))${MGR}_shm_glock)($SHMB)
call ((void(*)(void*))${MGR}_status)($SHMB)
call ((void(*)(void*))${MGR}_sums)($SHMB)
call ((int(*)(void*))fflush)(0)
gcore $OUT/core
call ((void(*)(void*))${MGR}_shm_gunlock)($SHMB)
detach
printf "HW done\\n"
quit
EOF
sleep 1
timeout -k 5 60 "$GDB" -batch -nx -x "$RUN/gdb.cmd" -p "$TARGET" >"$OUT/gdb.out" 2>&1 ||
	{ cat "$OUT/gdb.out" >&2; die "gdb failed on $TARGET"; }
grep -q '^HW done' "$OUT/gdb.out" || { cat "$OUT/gdb.out" >&2; die "the gdb script did not complete"; }
[ -s "$OUT/core" ] || die "gcore wrote no core"
DESC=$(awk -v p="$TARGET" '$1 == "PID:" {q = $2} $1 == "DSC:" && q == p {sub(/^[ \t]*DSC: /, ""); print; exit}' "$OUT/psx.txt")
printf 'pid=%s\ndesc=%s\nport=%s\nport2=%s\nmgr=%s\nshm_total=%s\n' \
	"$TARGET" "$DESC" "$PORT" "$PORT2" "$MGR" "$SHM_TOTAL" >"$OUT/target.txt"
log "core of $TARGET ($DESC): $(stat -c %s "$OUT/core") bytes"
stop_pid "$TRAFFIC"
TRAFFIC=""
if [ "$NAME" = busy ]; then
	# no traffic now: registrations and transactions expire, usage falls back
	sleep 12
	sample
	log "shm real_used after 12 s without traffic: $(tail -1 "$OUT/series.txt")"
fi
exit 0
