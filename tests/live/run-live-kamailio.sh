#!/bin/bash
# heapwalk on a running Debian kamailio (q_malloc, 2 UDP workers, traffic):
# `stats --pid MAIN --all` covers every process of pt[], each pkg walk is
# consistent, shm equals a gcore taken at the same stop, every process runs
# afterwards (also when heapwalk is SIGKILLed mid-snapshot), every process
# reports how long it was held and how much was copied meanwhile (how long is
# a figure for bench/run, never asserted here: a busy machine would fail it),
# snapshot files read back (heapwalk --all, gdb), and diff names the planted
# growth first.
#
#   run-live-kamailio.sh HEAPWALK
#
# Exit 0 pass, 1 fail, 77 skip (no kamailio/kamcmd/python3, or no ptrace;
# HW_E2E_REQUIRE=1 turns a skip into a failure). KEEP_TMP=1 keeps the
# work directory. KAMAILIO, KAMCMD, KAMAILIO_MODDIR as in tests/e2e.

set -u
set -o pipefail

HW=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
E2E=$HERE/../e2e
# KAMAILIO, KAMCMD, MODDIR, PYTHON, and kamailio_start/kamailio_stop
. "$E2E/lib-kamailio.sh"
GDB=${GDB:-$(command -v gdb || true)}
GCORE=${GCORE:-$(command -v gcore || true)}

log() { printf 'live-kamailio: %s\n' "$*" >&2; }
NFAIL=0
NPASS=0
pass() { NPASS=$((NPASS + 1)); log "ok: $*"; }
fail() { NFAIL=$((NFAIL + 1)); log "FAIL: $*"; }
die() { log "FAIL: $*"; exit 1; }
skip() {
	if [ "${HW_E2E_REQUIRE:-0}" = 1 ]; then die "(HW_E2E_REQUIRE=1, would skip) $*"; fi
	log "SKIP: $*"
	exit 77
}

[ -x "$HW" ] || die "no heapwalk at $HW"
[ -x "$KAMAILIO" ] || skip "kamailio not installed ($KAMAILIO)"
[ -x "$KAMCMD" ] || skip "kamcmd not installed"
command -v "$PYTHON" >/dev/null || skip "python3 not installed"
[ -d "$MODDIR" ] || skip "kamailio modules not found in $MODDIR"
"$KAMAILIO" -v 2>/dev/null | grep -Eq '^version: kamailio 5\.[678]\.' ||
	skip "this test expects kamailio 5.6 to 5.8"

RUN=$(mktemp -d "${TMPDIR:-/tmp}/hw-live-kam.XXXXXX") || exit 1
KPID=""
cleanup() {
	local p
	if [ -n "$KPID" ]; then
		# nothing may stay stopped by a failed step
		for p in $(pgrep -P "$KPID") "$KPID"; do kill -CONT "$p" 2>/dev/null; done
		kamailio_stop
	fi
	if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

kamcmd_() { "$KAMCMD" -s "unixs:$RUN/kamailio_ctl" "$@"; }
state() { awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null; }
tracer() { awk '/^TracerPid:/{print $2}' "/proc/$1/status" 2>/dev/null; }
all_running() {
	local p s bad=0
	for p in $PIDS; do
		s=$(state "$p")
		if { [ "$s" != S ] && [ "$s" != R ]; } || [ "$(tracer "$p")" != 0 ]; then
			log "pid $p: state '$s', tracer $(tracer "$p")"
			bad=1
		fi
	done
	return $bad
}

# ---- kamailio on loopback ----------------------------------------------------------
kamailio_up "$RUN" qm 1500 || die "kamailio did not start (above)"
PIDS=$(awk '/PID:/{print $2}' "$RUN/psx.txt" | tr '\n' ' ')
NPROC=$(echo $PIDS | wc -w)
WORKER=$(awk '/PID:/{p=$2} /DSC: udp receiver child=0 /{print p}' "$RUN/psx.txt")
log "kamailio $KPID on udp:127.0.0.1:$PORT, $NPROC processes: $PIDS"
"$PYTHON" "$E2E/sipsend.py" "$PORT" burst --count 20 --timeout 20 >"$RUN/traffic.txt" 2>&1 ||
	die "no SIP replies: $(cat "$RUN/traffic.txt")"

if ! "$HW" stats --pid "$KPID" --pool pkg >/dev/null 2>"$RUN/probe.err"; then
	grep -qi 'not permitted\|already traced' "$RUN/probe.err" &&
		skip "heapwalk may not trace processes here: $(cat "$RUN/probe.err")"
	die "stats --pid failed: $(cat "$RUN/probe.err")"
fi

# ---- 1. stats --all: every pt[] process, consistent pkg walks, stop times -----------------
check_all() { # ALL.JSON: coverage and consistency; prints the stop figures
	"$PYTHON" "$HERE/check_all.py" "$1" "$PIDS" --stops
}
if "$HW" stats --pid "$KPID" --all --format json >"$RUN/all.json" 2>"$RUN/all.err"; then
	if check_all "$RUN/all.json" >"$RUN/check.out"; then
		pass "stats --pid MAIN --all covers all $NPROC pt[] processes; every pkg walk complete, used == Σ used fragments; stop times reported"
		log "$(tr '\n' ';' <"$RUN/check.out")"
	else
		cat "$RUN/check.out" >&2
		fail "stats --all: coverage or consistency"
	fi
else
	cat "$RUN/all.err" >&2
	fail "stats --all failed"
fi
all_running || fail "not every process runs after stats --all"
"$HW" stats --pid "$KPID" --all >"$RUN/all.txt" 2>/dev/null &&
	grep -q "udp receiver child=1" "$RUN/all.txt" && pass "stats --all text lists the processes by role" ||
	fail "stats --all text"
# names are never cut: "udp receiver child=1 sock=127.0.0.1:PORT" is longer than 30
"$HW" stats --pid "$KPID" --all --width 0 >"$RUN/all0.txt" 2>/dev/null &&
	grep -q "udp receiver child=1 sock=127.0.0.1:$PORT" "$RUN/all0.txt" &&
	pass "stats --all --width 0 shows whole process names" ||
	fail "stats --all --width 0 cuts process names: $(grep 'udp receiver child=1' "$RUN/all0.txt")"

# ---- 1b. the forensic commands on a live process -----------------------------------------
rc=0
"$HW" check --pid "$WORKER" --format json >"$RUN/check.json" 2>"$RUN/check.err" || rc=$?
if [ $rc = 0 ] && "$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "check" and d["target"]["pid"] == int(sys.argv[2])
assert sorted(p["pool"] for p in d["pools"]) == ["pkg", "shm"]
for p in d["pools"]:
    assert p["walked"] and p["walk_complete"] and p["errors"] == 0, p
    assert p["free_list_elements"] == p["frags"]["free"], p
' "$RUN/check.json" "$WORKER" 2>"$RUN/check.py.err"; then
	pass "check --pid WORKER: both pools walked completely, every free fragment on its list, no error"
else
	fail "check --pid: exit $rc: $(head -c 400 "$RUN/check.err" "$RUN/check.py.err")"
fi
rc=0
"$HW" check --pid "$KPID" --all >/dev/null 2>"$RUN/check-all.err" || rc=$?
[ $rc = 64 ] && [ "$(wc -l <"$RUN/check-all.err")" = 1 ] && pass "check --all: one line, exit 64" ||
	fail "check --pid --all: exit $rc: $(cat "$RUN/check-all.err")"
freed=$("$HW" frags --pid "$WORKER" --pool pkg --free --format json 2>/dev/null | "$PYTHON" -c '
import json, sys
fr = json.load(sys.stdin)["pools"][0]["fragments"]
f = [x for x in fr if x.get("func")] or fr
print(f[0]["address"], f[0].get("func", ""))')
if [ -n "$freed" ] && "$HW" addr --pid "$WORKER" "${freed%% *}" >"$RUN/addr.out" 2>/dev/null &&
	grep -q "state: *free" "$RUN/addr.out" && grep -q "freed at: .*${freed#* }" "$RUN/addr.out"; then
	pass "addr --pid on a free pkg fragment names where it was freed (${freed#* })"
else
	fail "addr --pid ${freed%% *}: $(head -5 "$RUN/addr.out" 2>/dev/null)"
fi
if "$HW" leaks --pid "$KPID" --pool shm --format json >"$RUN/leaks.json" 2>/dev/null &&
	"$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
p = d["pools"][0]
assert d["command"] == "leaks" and p["pool"] == "shm" and p["walked"]
assert 0 <= p["leak_frags"] < p["used_frags"], p
' "$RUN/leaks.json"; then
	pass "leaks --pid MAIN --pool shm: a walked pool, leak candidates fewer than the used fragments"
else
	fail "leaks --pid: $(head -c 300 "$RUN/leaks.json")"
fi
all_running && pass "every process runs after check/addr/leaks --pid" || fail "a process is left stopped"

# ---- 2. the same stop as a gcore --------------------------------------------------------
if [ -n "$GCORE" ]; then
	kill -STOP $PIDS
	for p in $PIDS; do for _ in $(seq 100); do [ "$(state "$p")" = T ] && break; sleep 0.01; done; done
	"$HW" stats --pid "$KPID" --all --format json >"$RUN/stopped.json" 2>/dev/null
	"$HW" snapshot --pid "$KPID" --all -o "$RUN/snap.core" >/dev/null 2>"$RUN/snap.err"
	"$GCORE" -o "$RUN/gc" "$KPID" >/dev/null 2>&1
	"$GCORE" -o "$RUN/gc" "$WORKER" >/dev/null 2>&1
	stopped_after=$(for p in $PIDS; do state "$p"; done | sort -u | tr -d '\n')
	kill -CONT $PIDS
	"$HW" stats --core "$RUN/gc.$KPID" --format json >"$RUN/gc-main.json" 2>/dev/null
	"$HW" stats --core "$RUN/gc.$WORKER" --pool pkg --format json >"$RUN/gc-worker.json" 2>/dev/null
	"$HW" stats --core "$RUN/snap.core" --all --format json >"$RUN/snap.json" 2>/dev/null
	"$PYTHON" - "$RUN/stopped.json" "$RUN/gc-main.json" "$RUN/gc-worker.json" "$RUN/snap.json" "$KPID" "$WORKER" >"$RUN/cmp.out" <<'EOF'
import json, sys
live = json.load(open(sys.argv[1])); gm = json.load(open(sys.argv[2])); gw = json.load(open(sys.argv[3]))
snap = json.load(open(sys.argv[4])); main, worker = int(sys.argv[5]), int(sys.argv[6])
keys = ["heap_size", "used", "real_used", "max_real_used", "frags", "used_bytes_walked", "free_bytes_walked", "walk_complete"]
def pool(procs, pid, name):
    return [pl for p in procs if p["pid"] == pid for pl in p["pools"] if pl["pool"] == name][0]
def same(a, b):
    return all(a[k] == b[k] for k in keys)
ok = True
for name, a, b in [("shm", pool(live["processes"], main, "shm"), [p for p in gm["pools"] if p["pool"] == "shm"][0]),
                   ("main pkg", pool(live["processes"], main, "pkg"), [p for p in gm["pools"] if p["pool"] == "pkg"][0]),
                   ("worker pkg", pool(live["processes"], worker, "pkg"), gw["pools"][0])]:
    print(name, "equal" if same(a, b) else "DIFFERENT %s" % [(k, a[k], b[k]) for k in keys if a[k] != b[k]])
    ok &= same(a, b)
for p in live["processes"]:
    for pl in p["pools"]:
        s = pool(snap["processes"], p["pid"], pl["pool"])
        if not same(pl, s):
            print("snapshot file pid %d %s differs" % (p["pid"], pl["pool"]))
            ok = False
print("snapshot file: %d processes" % len(snap["processes"]))
ok &= len(snap["processes"]) == len(live["processes"])
sys.exit(0 if ok else 1)
EOF
	if [ $? = 0 ]; then
		pass "at the same stop: shm and pkg equal gcore's; the --all snapshot file reads back the same ($(tr '\n' ';' <"$RUN/cmp.out"))"
	else
		cat "$RUN/cmp.out" >&2
		fail "live walk, gcore and snapshot file disagree"
	fi
	[ "$stopped_after" = T ] && pass "SIGSTOPped processes stay stopped after heapwalk" ||
		fail "SIGSTOPped processes were left in states '$stopped_after'"
	for p in $PIDS; do for _ in $(seq 100); do [ "$(state "$p")" != T ] && break; sleep 0.01; done; done
	if [ -n "$GDB" ]; then
		shmb=$("$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); print([pl["block"] for p in d["processes"] for pl in p["pools"] if pl["pool"]=="shm"][0])' "$RUN/snap.json")
		"$GDB" -batch -nx -ex 'set debuginfod enabled off' -ex "x/4gx $shmb" "$KAMAILIO" "$RUN/snap.core" >"$RUN/gdb.out" 2>&1
		grep -q "^$shmb:.*0x0000000001000000" "$RUN/gdb.out" &&
			pass "gdb reads the shm block (16 MiB) from the snapshot file" ||
			{ cat "$RUN/gdb.out" >&2; fail "gdb could not read the shm block $shmb"; }
	fi
	rm -f "$RUN"/gc.*
else
	log "no gcore: same-stop comparison skipped"
fi
all_running && pass "every process runs after the stopped-instance checks" || fail "a process is left stopped"

# ---- 3. SIGKILL of heapwalk in the middle of a snapshot ---------------------------------
HEAPWALK_TEST_HOLD_MS=3000 "$HW" stats --pid "$KPID" --all >/dev/null 2>&1 &
H=$!
held=""
for _ in $(seq 300); do [ "$(state "$WORKER")" = t ] && held=1 && break; sleep 0.01; done
kill -KILL $H
wait $H 2>/dev/null
ok=0
for _ in $(seq 100); do all_running 2>/dev/null && ok=1 && break; sleep 0.02; done
[ -n "$held" ] && [ $ok = 1 ] && "$PYTHON" "$E2E/sipsend.py" "$PORT" options --timeout 2 >/dev/null &&
	pass "heapwalk SIGKILLed while holding the instance: every process runs and answers SIP" ||
	fail "after SIGKILL mid-snapshot: held=$held running=$ok"

# ---- 4. diff names the planted growth first ------------------------------------------
# 25 new users register: 25 more contacts in usrloc, nothing else grows
"$HW" snapshot --pid "$KPID" --all -o "$RUN/A.core" >/dev/null 2>&1
"$PYTHON" "$HERE/sipreg.py" "$PORT" 25 --timeout 20 >"$RUN/traffic2.txt" 2>&1 ||
	fail "REGISTERs not answered: $(cat "$RUN/traffic2.txt")"
"$HW" snapshot --pid "$KPID" --all -o "$RUN/B.core" >/dev/null 2>&1
"$HW" diff "$RUN/A.core" "$RUN/B.core" --pool shm --format json >"$RUN/diff.json" 2>"$RUN/diff.err" || fail "diff: $(cat "$RUN/diff.err")"
"$PYTHON" - "$RUN/diff.json" 25 >"$RUN/diff.out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2])
sites = [p for p in d["pools"] if p["pool"] == "shm"][0]["sites"]
top = sites[0]
print("top:", top["module"], top["func"], "count %+d, bytes %+d" % (top["d_count"], top["d_bytes"]))
ok = (top["module"] == "usrloc" and top["func"] == "new_ucontact" and top["d_count"] == n
      and top["d_bytes"] == top["bytes_b"] - top["bytes_a"] and top["d_bytes"] > 0
      and all(s["module"] == "usrloc" for s in sites if s["d_bytes"] > 0))
sys.exit(0 if ok else 1)
EOF
[ $? = 0 ] && pass "diff after 25 new REGISTERs names usrloc first: $(cat "$RUN/diff.out")" ||
	{ cat "$RUN/diff.out" "$RUN/traffic2.txt" >&2; fail "diff does not name the planted growth first"; }
all_running || fail "not every process runs at the end"

log "$NPASS passed, $NFAIL failed"
[ $NFAIL = 0 ]
