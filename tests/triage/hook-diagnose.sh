#!/bin/bash
# hook-diagnose.sh - scenario.sh's HW_TRIAGE_HOOK for run-triage.sh: what an
# operator runs first, `heapwalk diagnose --pid` of the main process with its
# default series, while the scenario's traffic goes on. Leaves in $OUTDIR:
#   diag-live.json   its output
#   diag-live.rc     its exit code
#   diag-live.err    what it said on stderr
#   stops.txt        how long stats --pid --all held each process (a figure
#                    under the scenario's load, not a check)
# HW: the heapwalk binary.
set -u
"$HW" diagnose --pid "$KPID" --format json >"$OUTDIR/diag-live.json" 2>"$OUTDIR/diag-live.err"
echo $? >"$OUTDIR/diag-live.rc"
"$HW" stats --pid "$KPID" --all --format json >/dev/null 2>"$OUTDIR/stops.txt"
exit 0
