#!/bin/bash
# run-units.sh - sizes in text output read as human units; the exact numbers
# stay in JSON. Two snapshot files of a live fixture with pkg growth planted
# between them: check_units.py holds the text of stats --all, summary,
# info --all and diff to their JSON; a watch over planted growth lists its
# suspect's rate and size in units too.
#
# usage: run-units.sh HEAPWALK FIXTURE
# Exit 0 pass, 1 fail, 77 skip (no ptrace here, or no python3).
HW=$1
FX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../fixtures/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"

start_growing_fixture "$FX"
P=$FX_PID

"$HW" snapshot --pid "$P" --all -o "$TMP/a.core" >/dev/null 2>&1 || die "snapshot a failed"
g0=$(cat "$FX_OUT/grown" 2>/dev/null || echo 0)
kill -USR2 "$P"
wait_grown $((g0 + 50)) || die "the fixture did not grow"
"$HW" snapshot --pid "$P" --all -o "$TMP/b.core" >/dev/null 2>&1 || die "snapshot b failed"
if python3 "$HERE/check_units.py" "$HW" "$TMP/a.core" "$TMP/b.core" >"$TMP/cu.log" 2>&1; then
	ok "$(cat "$TMP/cu.log")"
else
	bad "text sizes: $(tail -3 "$TMP/cu.log")"
fi

# watch: the suspect's bytes/min and bytes now in units (its exact numbers are in the JSON)
(sleep 0.3; kill -USR2 "$P"; sleep 0.5; kill -USR2 "$P") &
GROWER=$!
"$HW" watch --pid "$P" --interval 0.5 --count 3 --width 0 >"$TMP/watch.out" 2>/dev/null
wait $GROWER
if grep -Eq '^ +\+[0-9.]+ (KiB|MiB|B) +[0-9.]+ +[0-9.]+ (KiB|MiB|B) +[0-9]+  pkg +'"$P"'  htable +.*ht_cell_pkg_copy' \
	"$TMP/watch.out"; then
	ok "watch: $(grep ht_cell_pkg_copy "$TMP/watch.out" | awk '{print $1 " " $2 "/min, now " $4 " " $5}')"
else
	bad "watch: the suspect's sizes are not in units: $(tail -3 "$TMP/watch.out")"
fi

stop_fixture 2>/dev/null || true
finish
