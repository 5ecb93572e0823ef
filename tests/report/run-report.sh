#!/bin/bash
# run-report.sh - 'map' and 'report' on real cores: well-formed SVG/XHTML,
# the same bytes on every run, totals and top sites equal to stats/summary,
# the verdicts of diagnose first and shm before pkg (check_verdict.py), and
# the page rendered by headless Chromium to a non-blank PNG.
#
# usage: run-report.sh HEAPWALK FIXTURE E2E-RUNNER
HW=$1
FX=$2
E2E=$3
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../fixtures/lib.sh"
. "$HERE/lib-report.sh"

command -v xmllint >/dev/null || skip "xmllint (libxml2-utils) not installed"

check_core() { # check_core NAME CORE [heapwalk target options...]
	local name=$1 core=$2
	shift 2
	local rc=0
	"$HW" map --core "$core" "$@" -o "$TMP/$name-1.svg" 2>"$TMP/err" || rc=$?
	"$HW" map --core "$core" "$@" -o "$TMP/$name-2.svg" 2>>"$TMP/err" || rc=$?
	"$HW" report --core "$core" "$@" -o "$TMP/$name.html" 2>>"$TMP/err" || rc=$?
	"$HW" stats --core "$core" "$@" --format json >"$TMP/$name-stats.json" 2>>"$TMP/err" || rc=$?
	"$HW" summary --core "$core" "$@" --format json --top 50 >"$TMP/$name-summary.json" \
		2>>"$TMP/err" || rc=$?
	if [ $rc != 0 ]; then
		bad "$name: heapwalk exit $rc: $(head -3 "$TMP/err")"
		return
	fi
	if xmllint --noout "$TMP/$name-1.svg" && xmllint --noout "$TMP/$name.html"; then
		ok "$name: map SVG and report page are well-formed XML"
	else
		bad "$name: not well-formed"
	fi
	if cmp -s "$TMP/$name-1.svg" "$TMP/$name-2.svg"; then
		ok "$name: map identical across runs (stable colours)"
	else
		bad "$name: map differs between runs"
	fi
	if python3 "$HERE/check_report.py" "$TMP/$name.html" "$TMP/$name-stats.json" \
		"$TMP/$name-summary.json" >"$TMP/cr.log" 2>&1; then
		ok "$name: $(cat "$TMP/cr.log")"
	else
		bad "$name: report vs stats/summary: $(tail -3 "$TMP/cr.log")"
	fi
	"$HW" diagnose --core "$core" "$@" --format json >"$TMP/$name-diag.json" 2>/dev/null
	if python3 "$HERE/check_verdict.py" "$TMP/$name.html" "$TMP/$name-diag.json" >"$TMP/cv.log" 2>&1; then
		ok "$name: $(cat "$TMP/cv.log")"
	else
		bad "$name: verdict: $(tail -3 "$TMP/cv.log")"
	fi
	rendered "$name" "$TMP/$name.html" phone
}

# 1. a fixture core
start_fixture "$FX" --seed 3
dump_core "$FX_PID" "$TMP/fx"
stop_fixture
check_core fixture "$CORE"

# 2. a fragmented fixture heap: the holes must show in the rendered map
start_fixture "$FX" --seed 4 --fragment 2400
dump_core "$FX_PID" "$TMP/frag"
stop_fixture
if "$HW" map --core "$CORE" --pool pkg -o "$TMP/frag.svg" 2>"$TMP/err"; then
	if [ -n "$CHROMIUM" ]; then
		if render_html "$TMP/frag.svg" "$TMP/frag.png" 1000 &&
			python3 "$HERE/check_png.py" "$TMP/frag.png" 1000 400 e8e8e8 >"$TMP/png.log" 2>&1; then
			ok "fragmented heap: $(head -1 "$TMP/png.log")"
		else
			bad "fragmented heap: $(tail -3 "$TMP/png.log")"
		fi
	fi
else
	bad "fragmented heap: map failed: $(head -3 "$TMP/err")"
fi

# 3. Debian's kamailio, gcore'd at its own memory dump (the end-to-end runner prepares it)
if bash "$E2E" --prepare-only "$TMP/kam" >"$TMP/e2e.log" 2>&1; then
	check_core kamailio "$TMP/kam/core"
else
	rc=$?
	if [ $rc = 77 ] && [ -z "${HW_E2E_REQUIRE:-}" ]; then
		echo "# kamailio not available here: $(tail -1 "$TMP/e2e.log")"
	else
		bad "kamailio core could not be prepared: $(tail -3 "$TMP/e2e.log")"
	fi
fi

finish
