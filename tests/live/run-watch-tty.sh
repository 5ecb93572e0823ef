#!/bin/bash
# run-watch-tty.sh - progress on a terminal, nothing extra in a pipe: 'watch'
# and 'diagnose --interval' on a live fixture, run once on a pseudo-terminal
# (ptyrun.py) and once into pipes. On the terminal each snapshot of a watch
# says one line (when, how full shm is, what grew since the first, when the
# next comes); pkg growth planted between two snapshots shows in the lines
# after it. Into pipes the same commands print only their reports.
#
# usage: run-watch-tty.sh HEAPWALK FIXTURE
# Exit 0 pass, 1 fail, 77 skip (no ptrace here, or no python3).
HW=$1
FX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../fixtures/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
PTY=(python3 "$HERE/ptyrun.py")

start_growing_fixture "$FX"
P=$FX_PID
# snapshot 1: how full shm is; the later ones: what grew since the first
SIZE='[0-9.]+ [KMG]?i?B'
LINE1="^heapwalk: watch: snapshot 1/3 at [0-9]{2}:[0-9]{2}:[0-9]{2}: shm [0-9]+% used \\($SIZE of $SIZE\\)"
LINE="^heapwalk: watch: snapshot [23]/3 at [0-9]{2}:[0-9]{2}:[0-9]{2}: shm [0-9]+% used; since the first: shm [-+]?$SIZE, pkg [-+]?$SIZE"


# ---- 1. watch on a terminal, pkg grown between the first and the second snapshot -------
g0=$(cat "$FX_OUT/grown" 2>/dev/null || echo 0)
rc=0
"${PTY[@]}" "$TMP/tty.out" "$HW" watch --pid "$P" --interval 1 --count 3 &
WATCH=$!
# the growth goes in once the first snapshot is said, a second before the next one
for _ in $(seq 500); do
	grep -q "snapshot 1/3" "$TMP/tty.out" 2>/dev/null && break
	sleep 0.02
done
kill -USR2 "$P"
wait $WATCH || rc=$?
grep -E "^heapwalk: watch: snapshot" "$TMP/tty.out" >"$TMP/progress"
n=$(($(grep -cE "$LINE1" "$TMP/progress") + $(grep -cE "$LINE" "$TMP/progress")))
if [ "$n" = 3 ] && [ "$(wc -l <"$TMP/progress")" = 3 ]; then
	ok "watch on a terminal: one progress line per snapshot, 3 in all"
else
	bad "watch on a terminal (exit $rc): $n of 3 progress lines: $(cat "$TMP/tty.out")"
fi
sed -n 1p "$TMP/progress" | grep -q "; next in 1 s$" && sed -n 2p "$TMP/progress" | grep -q "; next in 1 s$" &&
	! sed -n 3p "$TMP/progress" | grep -q "next in" &&
	ok "the first two lines say when the next snapshot comes, the last does not" ||
	bad "'next in' wrong: $(cat "$TMP/progress")"
sed -n 1p "$TMP/progress" | grep -q "since the first" &&
	bad "the first snapshot compares with itself: $(sed -n 1p "$TMP/progress")"
grown=$(($(cat "$FX_OUT/grown" 2>/dev/null || echo 0) - g0))
if [ "$grown" = 50 ] && sed -n 3p "$TMP/progress" | grep -Eq ", pkg \+[1-9][0-9.]* [KM]?i?B$"; then
	ok "the planted pkg growth (+$grown fragments) shows: $(sed -n 3p "$TMP/progress" | sed 's/.*, pkg/pkg/;s/;.*//')"
else
	bad "pkg growth of $grown fragments not in the last line: $(sed -n 3p "$TMP/progress")"
fi
grep -q "^3 snapshots from" "$TMP/tty.out" && ok "the report follows on the terminal" ||
	bad "no report after the progress: $(tail -3 "$TMP/tty.out")"

# ---- 2. the same into pipes: only the report ----------------------------------------
rc=0
"$HW" watch --pid "$P" --interval 1 --count 3 2>"$TMP/pipe.err" | cat >"$TMP/pipe.out" || rc=$?
if [ ! -s "$TMP/pipe.err" ] && ! grep -q "snapshot [0-9]/" "$TMP/pipe.out" &&
	grep -q "^3 snapshots from" "$TMP/pipe.out"; then
	ok "watch into pipes: the report alone, stderr empty"
else
	bad "watch into pipes (exit $rc): stderr '$(head -3 "$TMP/pipe.err")', $(grep -c "snapshot [0-9]/" "$TMP/pipe.out") progress lines on stdout"
fi

# ---- 3. diagnose --interval: waits aloud on a terminal only --------------------------
rc=0
"${PTY[@]}" "$TMP/diag-tty.out" "$HW" diagnose --pid "$P" --interval 1 --pool pkg || rc=$?
grep -q "^heapwalk: diagnose: snapshot 1/2 at [0-9:]*.*; next in 1 s" "$TMP/diag-tty.out" &&
	grep -q "^pkg .*: " "$TMP/diag-tty.out" &&
	ok "diagnose --interval on a terminal: a line per snapshot, then the verdict" ||
	bad "diagnose --interval on a terminal (exit $rc): $(head -5 "$TMP/diag-tty.out")"
rc=0
"$HW" diagnose --pid "$P" --interval 1 --pool pkg 2>"$TMP/diag.err" | cat >"$TMP/diag.out" || rc=$?
! grep -q "snapshot 1/" "$TMP/diag.err" "$TMP/diag.out" && grep -q "^pkg .*: " "$TMP/diag.out" &&
	ok "diagnose --interval into pipes: the verdict, no progress lines" ||
	bad "diagnose --interval into pipes (exit $rc): stderr '$(head -3 "$TMP/diag.err")'"

stop_fixture 2>/dev/null || true
finish
