#!/bin/bash
# run-toy.sh - the test-only toy allocator end to end: gcore the toy fixture,
# walk its two heaps with heapwalk-toy (heapwalk with the toy in its
# allocator table) and compare stats and frags exactly with what the
# fixture says it laid out; the installed heapwalk has no toy.
#
# usage: run-toy.sh HEAPWALK-TOY HEAPWALK FX-TOY
# Exit 0 pass, 1 fail, 77 skip (no gcore or no ptrace).

HWT=$1
HW=$2
FX=$3
. "$(dirname "$0")/../fixtures/lib.sh"

[ -x "$HWT" ] || die "heapwalk-toy not found: $HWT"
[ -x "$FX" ] || die "fixture not found: $FX"

start_fixture "$FX" --seed 7 --ops 4000
dump_core "$FX_PID" "$TMP/core"
stop_fixture

FAIL=0
N=0
# expect NAME WANT-FILE ARGS...: heapwalk-toy ARGS exits 0 and prints exactly WANT-FILE
expect() {
	local name=$1 want=$2 rc=0
	shift 2
	N=$((N + 1))
	timeout 120 "$HWT" "$@" >"$TMP/r$N.out" 2>"$TMP/r$N.err" || rc=$?
	if [ "$rc" != 0 ] || ! cmp -s "$want" "$TMP/r$N.out"; then
		echo "FAIL $name: exit $rc"
		echo "  cmd: heapwalk-toy $*"
		diff -u "$want" "$TMP/r$N.out" | head -20 | sed 's/^/  /'
		sed 's/^/  stderr: /' "$TMP/r$N.err" | head -5
		FAIL=$((FAIL + 1))
	else
		echo "ok   $name ($(wc -l <"$TMP/r$N.out") lines)"
	fi
}

expect "stats" "$FX_OUT/stats.csv" stats --core "$CORE" --exe "$FX" --format csv
expect "frags" "$FX_OUT/frags.csv" frags --core "$CORE" --exe "$FX" --format csv
expect "stats --pool shm" <(grep -v '^pkg,' "$FX_OUT/stats.csv") \
	stats --core "$CORE" --exe "$FX" --format csv --pool shm
expect "frags --used" <(grep -v ',free,' "$FX_OUT/frags.csv") \
	frags --core "$CORE" --exe "$FX" --format csv --used
expect "frags --layout" "$FX_OUT/frags.csv" \
	frags --core "$CORE" --exe "$FX" --format csv --layout toy-1-lp64

# recognised through the table, said so; check finds nothing
rc=0
"$HWT" info --core "$CORE" --exe "$FX" >"$TMP/info" 2>&1 || rc=$?
if [ "$rc" = 0 ] && grep -q 'toy_malloc' "$TMP/info" && grep -q 'toy-1-lp64' "$TMP/info"; then
	echo "ok   info names toy_malloc and toy-1-lp64"
else
	echo "FAIL info (exit $rc)"
	sed 's/^/  /' "$TMP/info" | head -20
	FAIL=$((FAIL + 1))
fi
rc=0
"$HWT" check --core "$CORE" --exe "$FX" >"$TMP/check" 2>&1 || rc=$?
if [ "$rc" = 0 ]; then
	echo "ok   check: no findings"
else
	echo "FAIL check (exit $rc)"
	sed 's/^/  /' "$TMP/check" | head -20
	FAIL=$((FAIL + 1))
fi

# the toy is test-only: the heapwalk that gets installed does not know it
if "$HW" profiles | grep -q '^toy-'; then
	echo "FAIL heapwalk (installed) lists the toy profile"
	FAIL=$((FAIL + 1))
else
	echo "ok   heapwalk (installed) has no toy"
fi
[ "$FAIL" = 0 ] || exit 1
