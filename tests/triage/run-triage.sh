#!/bin/bash
# run-triage.sh - one of issue 15's memory scenarios on Debian's kamailio,
# checked: the state is reached, and heapwalk's totals and sites of the core
# equal Kamailio's own dump of that moment.
#
#   run-triage.sh NAME HEAPWALK OUTDIR
#
# Exit 0 pass, 1 fail, 77 skip (kamailio not installed; HW_E2E_REQUIRE=1, as
# in CI, turns that into a failure).
set -u
NAME=$1
HW=$2
OUT=$3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PYTHON=${PYTHON:-$(command -v python3 || echo python3)}

# while the state holds, diagnose --pid as an operator would run it (hook-diagnose.sh)
HW="$HW" HW_TRIAGE_HOOK="bash '$HERE/hook-diagnose.sh'" bash "$HERE/scenario.sh" "$NAME" "$OUT"
rc=$?
[ $rc = 0 ] || exit $rc
"$PYTHON" "$HERE/check-triage.py" "$NAME" "$OUT" "$HW"
