#!/bin/bash
# heapwalk on running fixture processes: --pid walks, snapshots, release
# paths (SIGKILL/SIGTERM/SIGINT/SIGHUP of heapwalk mid-snapshot), snapshot
# files read back by heapwalk and gdb, diff of planted growth, watch,
# diagnose of fragmented and full heaps, and the error messages.
#
#   run-live.sh HEAPWALK FIXTURE
#   run-live.sh HEAPWALK --fixture32 FIXTURE32 RUN_I386
#
# The second form walks a live 32-bit process (and its snapshot) only: that
# needs a kernel that runs i386 programs (RUN_I386 --mode says native); under
# qemu-user the process is the emulator, which no --pid walk is about.
# Exit 0 pass, 1 fail, 77 skip (only when this machine forbids ptrace, or
# runs no i386 process natively).
# KEEP_TMP=1 keeps the work directory.

set -u
set -o pipefail

HW=$1
FX=$2
FX32=""
RUN_I386=""
if [ "$FX" = --fixture32 ]; then
	FX32=${3:-}
	RUN_I386=${4:-}
fi
PYTHON=${PYTHON:-$(command -v python3 || echo python3)}
GDB=${GDB:-$(command -v gdb || true)}
GCORE=${GCORE:-$(command -v gcore || true)}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hw-live.XXXXXX") || exit 1
FXPIDS=""
NFAIL=0
NPASS=0

cleanup() {
	local p f
	# start_fx runs in $(...): its pids are in the fixtures' pid files
	for f in "$WORK"/*/pid "$WORK"/*/started; do
		[ -f "$f" ] && FXPIDS="$FXPIDS $(cat "$f")"
	done
	for p in $FXPIDS; do kill -TERM "$p" 2>/dev/null; done
	for p in $FXPIDS; do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

log() { printf 'live: %s\n' "$*" >&2; }
pass() { NPASS=$((NPASS + 1)); log "ok: $*"; }
fail() { NFAIL=$((NFAIL + 1)); log "FAIL: $*"; }
die() { log "FAIL: $*"; exit 1; }

# start_fx DIR FIXTURE ARGS...: start a fixture, wait for 'ready', print its pid
start_fx() {
	local dir=$1 exe=$2 pid
	shift 2
	mkdir -p "$dir"
	env -u MALLOC_PERTURB_ "$exe" --out "$dir" --no-stdin --timeout 600 "$@" \
		</dev/null >"$dir/log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/started"
	for _ in $(seq 300); do
		[ -f "$dir/ready" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$dir/log" >&2; die "fixture $exe $* died"; }
		sleep 0.05
	done
	[ -f "$dir/ready" ] || die "fixture $exe $* not ready"
	echo "$pid"
}

state() { awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null; }
tracer() { awk '/^TracerPid:/{print $2}' "/proc/$1/status" 2>/dev/null; }

# The process runs (not stopped, not traced).
running() {
	local s
	s=$(state "$1")
	[ "$s" = S ] || [ "$s" = R ] || { log "pid $1 is in state '$s'"; return 1; }
	[ "$(tracer "$1")" = 0 ] || { log "pid $1 is traced by $(tracer "$1")"; return 1; }
}

# json_pools FILE: the pools of a stats/summary JSON without the target's name
json_pools() {
	"$PYTHON" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for p in d["pools"]:
    print(json.dumps(p, sort_keys=True))
' "$1"
}

# ---- 32-bit: a live i386 process, its snapshot, gdb on the snapshot --------------------
live32() {
	local mode
	[ -x "$FX32" ] || die "no fixture at $FX32"
	mode=$("$RUN_I386" --mode)
	if [ "$mode" != native ]; then
		log "SKIP: no i386 process can run natively here (run-i386: $mode)"
		exit 77
	fi
	P32=$(start_fx "$WORK/fx32" "$FX32" --seed 5) || exit 1
	ok=1
	for pool in pkg shm; do
		"$HW" stats --pid "$P32" --pool $pool --format kamailio 2>/dev/null | diff -q "$WORK/fx32/stats-$pool.txt" - >/dev/null || ok=0
	done
	"$HW" snapshot --pid "$P32" -o "$WORK/s32.core" >/dev/null 2>&1 || ok=0
	"$HW" summary --core "$WORK/s32.core" --pool pkg --format kamailio 2>/dev/null | diff -q "$WORK/fx32/summary-pkg.txt" - >/dev/null || ok=0
	if [ -n "$GDB" ]; then
		b32=$(sed -n 's/^pkg_block=//p' "$WORK/fx32/info.txt")
		"$GDB" -batch -nx -ex 'set debuginfod enabled off' -ex "x/4wx $b32" -ex 'bt 8' "$FX32" "$WORK/s32.core" >"$WORK/gdb32.out" 2>&1
		grep -q "^$b32" "$WORK/gdb32.out" && grep -q "in main " "$WORK/gdb32.out" || { cat "$WORK/gdb32.out" >&2; ok=0; }
	fi
	[ $ok = 1 ] && pass "a 32-bit process: live walk, snapshot, gdb" || fail "32-bit process"
	running "$P32" || fail "32-bit fixture not running after heapwalk"
}

# ---- prerequisites -----------------------------------------------------------
[ -x "$HW" ] || die "no heapwalk at $HW"
command -v "$PYTHON" >/dev/null || die "python3 is needed"
if [ -n "$FX32" ]; then
	live32
	log "$NPASS passed, $NFAIL failed"
	[ $NFAIL = 0 ]
	exit
fi
[ -x "$FX" ] || die "no fixture at $FX"

D=$WORK/a
P=$(start_fx "$D" "$FX" --seed 1 --leak 200 --grow-on-signal 50) || exit 1

# Can heapwalk stop a process here at all? Only then skip.
if ! "$HW" stats --pid "$P" --pool pkg >"$WORK/probe.out" 2>"$WORK/probe.err"; then
	if grep -qi 'not permitted\|already traced' "$WORK/probe.err"; then
		cat "$WORK/probe.err" >&2
		log "SKIP: this machine does not let heapwalk trace processes"
		exit 77
	fi
	cat "$WORK/probe.err" >&2
	die "stats --pid failed"
fi

# ---- 1. a live walk equals what the process knows of itself ----------------------
ok=1
for pool in pkg shm; do
	"$HW" stats --pid "$P" --pool $pool --format kamailio 2>/dev/null | diff -u "$D/stats-$pool.txt" - >&2 || ok=0
	"$HW" frags --pid "$P" --pool $pool --format kamailio 2>/dev/null | diff -u "$D/frags-$pool.txt" - >/dev/null || ok=0
	"$HW" summary --pid "$P" --pool $pool --format kamailio 2>/dev/null | diff -u "$D/summary-$pool.txt" - >/dev/null || ok=0
done
[ $ok = 1 ] && pass "stats/frags/summary --pid equal the fixture's own output" ||
	fail "live walk differs from the fixture's own output"
running "$P" && pass "the fixture runs after heapwalk" || fail "fixture not running after heapwalk"
"$HW" stats --pid "$P" 2>"$WORK/stop.err" >/dev/null
grep -Eq "pid $P stopped for [0-9.]+ ms while .* were copied" "$WORK/stop.err" &&
	pass "the stop time is said: $(cat "$WORK/stop.err")" || fail "no stop time on stderr"

# ---- 2. the same numbers as a gcore of the same stop -----------------------------
if [ -n "$GCORE" ]; then
	kill -STOP "$P"
	for _ in $(seq 100); do [ "$(state "$P")" = T ] && break; sleep 0.01; done
	"$HW" stats --pid "$P" --format json >"$WORK/live.json" 2>/dev/null
	st_after=$(state "$P")
	"$GCORE" -o "$WORK/gc" "$P" >/dev/null 2>&1
	kill -CONT "$P"
	"$HW" stats --core "$WORK/gc.$P" --format json >"$WORK/gcore.json" 2>/dev/null
	if [ -s "$WORK/live.json" ] && json_pools "$WORK/live.json" >"$WORK/live.pools" &&
		json_pools "$WORK/gcore.json" >"$WORK/gcore.pools" &&
		diff -u "$WORK/gcore.pools" "$WORK/live.pools" >&2; then
		pass "stats --pid equals stats --core of a gcore at the same stop"
	else
		fail "stats --pid differs from the gcore"
	fi
	[ "$st_after" = T ] && pass "a process stopped by SIGSTOP is left stopped" ||
		fail "SIGSTOPped process in state $st_after after heapwalk"
	for _ in $(seq 100); do [ "$(state "$P")" != T ] && break; sleep 0.01; done
	running "$P" || fail "fixture not running after SIGCONT"
	rm -f "$WORK/gc.$P"
else
	log "no gcore: gcore comparison skipped"
fi

# ---- 3. killed, interrupted or hung up in the middle of a snapshot ---------------------
# (a shell starts background jobs with SIGINT ignored: give heapwalk the default back)
DEFSIG=""
env --default-signal=INT true 2>/dev/null && DEFSIG="env --default-signal=INT"
for sig in KILL TERM INT HUP; do
	HEAPWALK_TEST_HOLD_MS=1500 $DEFSIG "$HW" stats --pid "$P" >/dev/null 2>&1 &
	H=$!
	held=""
	for _ in $(seq 200); do
		[ "$(state "$P")" = t ] && held=1 && break
		sleep 0.01
	done
	kill -$sig $H
	wait $H
	rc=$?
	ok=0
	for _ in $(seq 100); do running "$P" 2>/dev/null && ok=1 && break; sleep 0.01; done
	if [ -n "$held" ] && [ $ok = 1 ]; then
		pass "SIG$sig to heapwalk while it held the fixture: released (heapwalk rc $rc)"
	else
		fail "SIG$sig mid-snapshot: held=$held, state $(state "$P"), tracer $(tracer "$P")"
	fi
done

# a copy that would hold the fixture past --max-stop gives up: one line, exit 2, released
rc=0
HEAPWALK_TEST_HOLD_MS=400 "$HW" stats --pid "$P" --max-stop 100 >"$WORK/cap.out" 2>"$WORK/cap.err" || rc=$?
released=0
for _ in $(seq 100); do running "$P" 2>/dev/null && released=1 && break; sleep 0.01; done
if [ $rc = 2 ] && [ "$(wc -l <"$WORK/cap.err")" = 1 ] &&
	grep -q 'longer than 100 ms.*released' "$WORK/cap.err" && [ $released = 1 ] &&
	[ "$(tracer "$P")" = 0 ]; then
	pass "--max-stop 100 with a 400 ms hold: refused in one line, exit 2, fixture released"
else
	fail "--max-stop: rc $rc, state $(state "$P"), tracer $(tracer "$P"), stderr: $(cat "$WORK/cap.err")"
fi
rc=0
"$HW" stats --core "$WORK/cap.err" --max-stop 100 >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] && pass "--max-stop with --core: usage error" || fail "--max-stop with --core: rc $rc"

# ---- 4. snapshot files: heapwalk and gdb read them ---------------------------------
"$HW" snapshot --pid "$P" -o "$WORK/s1.core" >"$WORK/snap.out" 2>&1 || fail "snapshot failed: $(cat "$WORK/snap.out")"
"$HW" stats --core "$WORK/s1.core" --format json >"$WORK/s1.json" 2>/dev/null
"$HW" stats --pid "$P" --format json >"$WORK/l1.json" 2>/dev/null
if json_pools "$WORK/s1.json" >"$WORK/s1.pools" && json_pools "$WORK/l1.json" >"$WORK/l1.pools" &&
	diff -u "$WORK/l1.pools" "$WORK/s1.pools" >&2; then
	pass "stats --core on the snapshot gives the live numbers"
else
	fail "snapshot read back differs from the live walk"
fi
"$HW" summary --core "$WORK/s1.core" --pool pkg --format kamailio 2>/dev/null |
	diff -q "$D/summary-pkg.txt" - >/dev/null && pass "summary of the snapshot equals the fixture's" ||
	fail "summary of the snapshot differs"
if [ -n "$GDB" ]; then
	block=$(sed -n 's/^pkg_block=//p' "$D/info.txt")
	used=$("$PYTHON" -c 'import json,sys; print([p for p in json.load(open(sys.argv[1]))["pools"] if p["pool"]=="pkg"][0]["used"])' "$WORK/s1.json")
	"$GDB" -batch -nx -ex 'set debuginfod enabled off' -ex "x/4gx $block" -ex 'bt 3' "$FX" "$WORK/s1.core" >"$WORK/gdb.out" 2>&1
	want=$(printf '0x%016x' "$used")
	if grep -q "^$block:.*0x0000000000400000" "$WORK/gdb.out" && grep -q "$want" "$WORK/gdb.out"; then
		pass "gdb reads the pkg block from the snapshot (size 4 MiB, used $used)"
	else
		cat "$WORK/gdb.out" >&2
		fail "gdb could not read the block $block from the snapshot"
	fi
	grep -q "in main " "$WORK/gdb.out" && pass "gdb unwinds the snapshot's stack to main" ||
		fail "gdb gives no backtrace"
else
	log "no gdb: gdb check skipped"
fi

# ---- 5. diff of planted growth: the growing site first, with the right deltas -------------
grown_before=$(cat "$D/grown" 2>/dev/null || echo 0)
kill -USR2 "$P"
for _ in $(seq 200); do
	[ "$(cat "$D/grown" 2>/dev/null || echo 0)" -gt "$grown_before" ] && break
	sleep 0.02
done
"$HW" snapshot --pid "$P" -o "$WORK/s2.core" >/dev/null 2>&1
"$HW" diff "$WORK/s1.core" "$WORK/s2.core" --format json >"$WORK/diff.json" 2>"$WORK/diff.err" || fail "diff failed: $(cat "$WORK/diff.err")"
"$HW" summary --core "$WORK/s1.core" --pool pkg --format json >"$WORK/sum1.json" 2>/dev/null
"$HW" summary --core "$WORK/s2.core" --pool pkg --format json >"$WORK/sum2.json" 2>/dev/null
check_diff() { # DIFF.JSON SUM1.JSON SUM2.JSON GROWN
	"$PYTHON" - "$@" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s1 = json.load(open(sys.argv[2])); s2 = json.load(open(sys.argv[3]))
grown = int(sys.argv[4])
def site(s):
    for x in s["pools"][0]["sites"]:
        if x["func"] == "ht_cell_pkg_copy":
            return x
    return {"count": 0, "bytes": 0}
a, b = site(s1), site(s2)
pkg = [p for p in d["pools"] if p["pool"] == "pkg"][0]
top = pkg["sites"][0]
ok = (top["func"] == "ht_cell_pkg_copy" and top["module"] == "htable"
      and top["d_count"] == grown and top["d_count"] == b["count"] - a["count"]
      and top["d_bytes"] == b["bytes"] - a["bytes"] and top["d_bytes"] >= 96 * grown
      and all(x["d_bytes"] <= 0 for x in pkg["sites"][1:])
      and all(not p["sites"] for p in d["pools"] if p["pool"] == "shm"))
print("top:", top["module"], top["func"], top["d_count"], top["d_bytes"], "ok" if ok else "WRONG")
sys.exit(0 if ok else 1)
EOF
}
if check_diff "$WORK/diff.json" "$WORK/sum1.json" "$WORK/sum2.json" 50 >"$WORK/diffcheck.out"; then
	pass "diff of two snapshots names the growing site first: $(cat "$WORK/diffcheck.out")"
else
	cat "$WORK/diffcheck.out" >&2
	fail "diff of two snapshots: wrong top site or deltas"
fi
"$HW" diff "$WORK/s1.core" "$WORK/s2.core" 2>/dev/null | grep -A5 '^pkg pool' | grep -q 'ht_cell_pkg_copy' &&
	pass "diff text names it too" || fail "diff text lacks the growing site"
# JSON summaries as inputs: the same result
"$HW" summary --pid "$P" --format json >"$WORK/j1.json" 2>/dev/null
kill -USR2 "$P"
for _ in $(seq 200); do
	[ "$(cat "$D/grown")" -ge $((grown_before + 100)) ] && break
	sleep 0.02
done
"$HW" summary --pid "$P" --all --format json >"$WORK/j2.json" 2>/dev/null
"$HW" diff "$WORK/j1.json" "$WORK/j2.json" --pool pkg --format json >"$WORK/jdiff.json" 2>/dev/null
"$PYTHON" -c '
import json,sys
d=json.load(open(sys.argv[1])); t=d["pools"][0]["sites"][0]
sys.exit(0 if t["func"]=="ht_cell_pkg_copy" and t["d_count"]==50 else 1)' "$WORK/jdiff.json" &&
	pass "diff of two saved JSON summaries (single and --all) agrees" || fail "diff of JSON summaries"

# ---- 6. watch: a site that grows at every snapshot -------------------------------
(for _ in 1 2 3 4 5 6 7; do sleep 0.25; kill -USR2 "$P" 2>/dev/null; done) &
GROWER=$!
"$HW" watch --pid "$P" --interval 0.5 --count 4 --format json >"$WORK/watch.json" 2>"$WORK/watch.err"
wrc=$?
[ $wrc = 3 ] || cat "$WORK/watch.err" >&2
wait $GROWER
"$PYTHON" -c '
import json,sys
d=json.load(open(sys.argv[1])); g=d["growing"]
sys.exit(0 if len(d["samples"])==4 and g and g[0]["func"]=="ht_cell_pkg_copy" and g[0]["bytes_per_min"]>0 else 1)' "$WORK/watch.json" &&
	[ $wrc = 3 ] && pass "watch reports the growing site as leak suspect (exit 3)" || fail "watch (rc $wrc)"
# Ctrl-C prints what it has
"$HW" watch --pid "$P" --interval 5 --count 10 >"$WORK/watch-int.out" 2>/dev/null &
W=$!
sleep 1
kill -INT $W
wait $W
grep -q "interrupted" "$WORK/watch-int.out" && pass "watch interrupted by SIGINT still reports" ||
	fail "watch after SIGINT: $(cat "$WORK/watch-int.out")"
running "$P" || fail "fixture not running after watch"

# ---- 7. diagnose: ok, leak suspect, fragmentation, pool too small ------------------
"$HW" diagnose --pid "$P" --count 3 --interval 0.5 --format json >"$WORK/diag-ok.json" 2>/dev/null
drc=$?
verdicts() { "$PYTHON" -c 'import json,sys; print(" ".join(p["pool"]+":"+p["verdict"] for p in json.load(open(sys.argv[1]))["pools"]))' "$1"; }
[ $drc = 0 ] && [ "$(verdicts "$WORK/diag-ok.json")" = "shm:ok pkg:ok" ] &&
	pass "diagnose of a healthy fixture: $(verdicts "$WORK/diag-ok.json")" ||
	fail "diagnose healthy: rc $drc, $(verdicts "$WORK/diag-ok.json")"
(sleep 0.4; kill -USR2 "$P") &
"$HW" diagnose --pid "$P" --interval 1 --pool pkg --format json >"$WORK/diag-leak.json" 2>/dev/null
drc=$?
wait
[ $drc = 3 ] && [ "$(verdicts "$WORK/diag-leak.json")" = "pkg:leak suspect" ] &&
	grep -q ht_cell_pkg_copy "$WORK/diag-leak.json" &&
	pass "diagnose --interval with growth: leak suspect, naming the site" ||
	fail "diagnose leak: rc $drc, $(verdicts "$WORK/diag-leak.json")"
"$HW" diagnose --core "$WORK/s2.core" --baseline "$WORK/s1.core" --pool pkg --format json >"$WORK/diag-base.json" 2>/dev/null
[ "$(verdicts "$WORK/diag-base.json")" = "pkg:leak suspect" ] &&
	pass "diagnose --baseline: leak suspect" || fail "diagnose --baseline: $(verdicts "$WORK/diag-base.json")"

PF=$(start_fx "$WORK/frag" "$FX" --seed 2 --fragment 100000) || exit 1
"$HW" diagnose --pid "$PF" --count 1 --pool pkg >"$WORK/diag-frag.txt" 2>/dev/null
drc=$?
grep -q "^pkg .*: fragmentation" "$WORK/diag-frag.txt" && grep -q "would NOT fit" "$WORK/diag-frag.txt" && [ $drc = 5 ] &&
	pass "diagnose of a fragmented heap: fragmentation" || { cat "$WORK/diag-frag.txt" >&2; fail "diagnose fragmented (rc $drc)"; }
"$HW" stats --pid "$PF" --pool pkg --request 64K >"$WORK/stats-frag.txt" 2>/dev/null
grep -q "request .* would NOT fit" "$WORK/stats-frag.txt" && grep -q "free fragments by size" "$WORK/stats-frag.txt" &&
	pass "stats shows the fragmentation figures" || fail "stats lacks fragmentation figures"
PL=$(start_fx "$WORK/full" "$FX" --seed 3 --fill) || exit 1
"$HW" diagnose --pid "$PL" --count 1 --pool pkg >"$WORK/diag-full.txt" 2>/dev/null
drc=$?
grep -q "^pkg .*: pool too small" "$WORK/diag-full.txt" && [ $drc = 4 ] &&
	pass "diagnose of a full heap: pool too small" || { cat "$WORK/diag-full.txt" >&2; fail "diagnose full (rc $drc)"; }

# ---- 8. --no-stop, --all on one process, errors -----------------------------------
"$HW" stats --pid "$P" --no-stop --pool pkg >/dev/null 2>"$WORK/nostop.err" &&
	grep -q "without stopping" "$WORK/nostop.err" && pass "--no-stop walks and says so" || fail "--no-stop"
"$HW" stats --pid "$P" --all --format json >"$WORK/all.json" 2>/dev/null &&
	"$PYTHON" -c '
import json,sys
d=json.load(open(sys.argv[1])); p=d["processes"]
sys.exit(0 if len(p)==1 and p[0]["desc"]=="main process - attendant" and d["instance"]["process_count"]==1 and len(p[0]["pools"])==2 else 1)' "$WORK/all.json" &&
	pass "stats --all of a one-process instance" || fail "stats --all on the fixture"
# its DWARF, found before the process was held, gives both pools their layouts
"$PYTHON" -c '
import json,sys
p=json.load(open(sys.argv[1]))["processes"]
sys.exit(0 if p and p[0]["pools"] and all(pl["layout"].startswith("dwarf:") for pl in p[0]["pools"]) else 1)' "$WORK/all.json" &&
	pass "stats --all takes the layouts from the DWARF" || fail "stats --all: layouts not from the DWARF"
"$HW" stats --pid 2147483647 >/dev/null 2>"$WORK/err1"
rc=$?
[ $rc = 2 ] && grep -q "no process" "$WORK/err1" && pass "no such process: exit 2, said" || fail "no such process: rc $rc $(cat "$WORK/err1")"
sleep 30 &
SL=$!
"$HW" stats --pid $SL >/dev/null 2>"$WORK/err2"
rc=$?
kill $SL
[ $rc = 2 ] && grep -q "not a Kamailio or OpenSIPS process" "$WORK/err2" && pass "not a Kamailio: exit 2, said" || fail "not kamailio: rc $rc $(cat "$WORK/err2")"
if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$HW" stats --pid "$P" >/dev/null 2>"$WORK/err3"
	rc=$?
	[ $rc = 2 ] && grep -q "not permitted" "$WORK/err3" && pass "no permission: exit 2, said" ||
		fail "no permission: rc $rc $(cat "$WORK/err3")"
fi
"$HW" snapshot --pid "$P" >/dev/null 2>"$WORK/err4"
[ $? = 64 ] && pass "snapshot without -o: usage error" || fail "snapshot without -o"
"$HW" stats --core "$WORK/s1.core" --pid 1 >/dev/null 2>"$WORK/err5"
[ $? = 2 ] && grep -q "holds no process 1" "$WORK/err5" && pass "--core with a --pid not in the file" || fail "--core --pid: $(cat "$WORK/err5")"

for f in "$WORK"/*/started; do
	p=$(cat "$f")
	kill -0 "$p" 2>/dev/null && { running "$p" || fail "fixture $p not running at the end"; }
done
log "$NPASS passed, $NFAIL failed"
[ $NFAIL = 0 ]
