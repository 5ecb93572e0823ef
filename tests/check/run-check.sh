#!/bin/bash
# run-check.sh - the corrupt-heap corpus: a real core, copies of it damaged
# one way at a time (corrupt.py), 'heapwalk check' on each.
#
# usage: run-check.sh HEAPWALK fixture FIXTURE-EXE POOL...
#        run-check.sh HEAPWALK kamailio qm|fm|tlsf POOL...
#        run-check.sh HEAPWALK forensics FIXTURE-EXE LEAK
#
# fixture: the fixture program's heap, gcore'd (skips 77 without ptrace).
# kamailio: Debian's kamailio on loopback, a worker's core taken by
# tests/e2e/run-e2e.sh --prepare-only (skips 77 when kamailio, gdb or
# python3 are missing, as the e2e suite does).
HW=$1
KIND=$2
WHAT=$3
shift 3
. "$(dirname "$0")/../fixtures/lib.sh"

[ -x "$HW" ] || die "heapwalk not found: $HW"
command -v python3 >/dev/null 2>&1 || skip "python3 needed to damage the cores"
case $KIND in
forensics)
	# addr, refs, leaks, --hexdump, --strings, --classify on an intact core
	[ -x "$WHAT" ] || die "fixture not found: $WHAT"
	start_fixture "$WHAT" --seed 5 --leak "$1"
	dump_core "$FX_PID" "$TMP/core"
	stop_fixture
	python3 "$(dirname "$0")/forensics.py" "$HW" "$CORE" "$1"
	exit $?
	;;
fixture)
	[ -x "$WHAT" ] || die "fixture not found: $WHAT"
	start_fixture "$WHAT" --seed 5
	dump_core "$FX_PID" "$TMP/core"
	stop_fixture
	EXE=$WHAT
	;;
kamailio)
	bash "$(dirname "$0")/../e2e/run-e2e.sh" --manager "$WHAT" --prepare-only "$TMP/e2e" \
		>"$TMP/e2e.log" 2>&1
	rc=$?
	if [ $rc = 77 ]; then
		skip "$(grep -m1 SKIP "$TMP/e2e.log")"
	elif [ $rc != 0 ]; then
		tail -20 "$TMP/e2e.log"
		die "could not prepare a kamailio core"
	fi
	CORE=$TMP/e2e/core
	EXE=$(command -v kamailio || echo /usr/sbin/kamailio)
	;;
*)
	die "unknown kind $KIND"
	;;
esac
rc=0
for pool in "$@"; do
	mkdir -p "$TMP/work-$pool"
	python3 "$(dirname "$0")/corrupt.py" "$HW" "$CORE" "$EXE" "$pool" "$TMP/work-$pool" || rc=1
	rm -f "$TMP/work-$pool"/*.core
done
exit $rc
