#!/bin/bash
# run-report-live.sh - 'report' of whole instances and with growth: a fixture
# instance walked live (--pid --all) and from a snapshot file (--core --all)
# against stats --all; growth planted with --grow-on-signal between two
# snapshots (report A B) and between the samples of --watch: the planted
# site is the first leak suspect with the right deltas and a line chart;
# every page well-formed and rendered by headless Chromium (desktop and
# phone widths). Each page opens with diagnose's verdicts (check_verdict.py:
# the same as `diagnose` of the same input, before the shm pool, which comes
# before the pkg table); a fixture that filled its pkg is said exhausted.
# Debian's kamailio as a many-process instance when it is installed.
#
# usage: run-report-live.sh HEAPWALK FIXTURE
# Exit 0 pass, 1 fail, 77 skip (only when this machine forbids ptrace).
HW=$1
FX=$2
HERE=$(cd "$(dirname "$0")" && pwd)
E2E=$HERE/../e2e
. "$HERE/../fixtures/lib.sh"
. "$HERE/lib-report.sh"

command -v xmllint >/dev/null || skip "xmllint (libxml2-utils) not installed"
command -v python3 >/dev/null || skip "python3 not installed"

# page NAME [phone]: well-formed, nothing fetched, rendered (also at a phone's width)
page() {
	local name=$1 f=$TMP/$1.html
	if xmllint --noout "$f" 2>"$TMP/xml.log"; then
		ok "$name: well-formed XML ($(wc -c <"$f") bytes)"
	else
		bad "$name: not well-formed: $(head -3 "$TMP/xml.log")"
	fi
	if grep -Eq '(src|href)="(https?:)?//' "$f"; then
		bad "$name: the page refers to the network"
	fi
	rendered "$name" "$f" "${2:-}"
}

# site JSON FUNC: "count bytes" of the pkg site FUNC in a summary JSON (0 0 if absent)
site() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
pools = d["pools"] if "pools" in d else [q for p in d["processes"] for q in p.get("pools", [])]
for p in pools:
    if p["pool"] == "pkg":
        for s in p["sites"]:
            if s["func"] == sys.argv[2]:
                print(s["count"], s["bytes"])
                sys.exit(0)
print(0, 0)
EOF
}

SITE=ht_cell_pkg_copy
start_growing_fixture "$FX"
P=$FX_PID

# ---- 1. the instance, live and from a snapshot file ---------------------------------
rc=0
"$HW" report --pid "$P" --all -o "$TMP/live.html" 2>"$TMP/err" || rc=$?
"$HW" stats --pid "$P" --all --format json >"$TMP/live.json" 2>>"$TMP/err" || rc=$?
if [ $rc = 0 ] && grep -q "stopped together" "$TMP/err"; then
	ok "report --pid --all: exit 0, the stop said on stderr"
else
	bad "report --pid --all: exit $rc: $(head -3 "$TMP/err")"
fi
if python3 "$HERE/check_instance.py" "$TMP/live.html" "$TMP/live.json" >"$TMP/ci.log" 2>&1; then
	ok "live: $(cat "$TMP/ci.log")"
else
	bad "live: per-process table vs stats --all: $(tail -3 "$TMP/ci.log")"
fi
grep -q '<th class="n">stopped ms</th>' "$TMP/live.html" && ok "live: the table gives stop times" ||
	bad "live: no stop-time column"
page live

"$HW" snapshot --pid "$P" --all -o "$TMP/s1.core" >/dev/null 2>&1 || bad "snapshot s1 failed"
rc=0
"$HW" report --core "$TMP/s1.core" --all -o "$TMP/snap.html" 2>"$TMP/err" || rc=$?
"$HW" stats --core "$TMP/s1.core" --all --format json >"$TMP/snap.json" 2>/dev/null
if [ $rc = 0 ] && python3 "$HERE/check_instance.py" "$TMP/snap.html" "$TMP/snap.json" >"$TMP/ci.log" 2>&1; then
	ok "snapshot file: $(cat "$TMP/ci.log")"
else
	bad "report --core SNAPSHOT --all (exit $rc): $(tail -3 "$TMP/ci.log" "$TMP/err")"
fi
grep -q 'stopped ms' "$TMP/snap.html" && bad "snapshot file: stop times shown for a saved file"
"$HW" diagnose --core "$TMP/s1.core" --format json >"$TMP/snap-diag.json" 2>/dev/null
python3 "$HERE/check_verdict.py" "$TMP/snap.html" "$TMP/snap-diag.json" >"$TMP/cv.log" 2>&1 &&
	ok "snapshot file: $(cat "$TMP/cv.log")" || bad "snapshot file: verdict: $(tail -3 "$TMP/cv.log")"
# the single-process page is unchanged by the instance page's existence
"$HW" report --core "$TMP/s1.core" -o "$TMP/single.html" 2>/dev/null &&
	! grep -q 'class="sort procs"' "$TMP/single.html" &&
	[ "$(grep -c '<section class="pool"' "$TMP/single.html")" = 2 ] &&
	ok "report --core without --all: the single-process page" || bad "single-process page changed"

# ---- 2. growth between two snapshots ------------------------------------------------
"$HW" summary --core "$TMP/s1.core" --pool pkg --format json >"$TMP/sum1.json" 2>/dev/null
g0=$(cat "$FX_OUT/grown" 2>/dev/null || echo 0)
kill -USR2 "$P"
wait_grown $((g0 + 50)) || bad "the fixture did not grow"
"$HW" snapshot --pid "$P" --all -o "$TMP/s2.core" >/dev/null 2>&1 || bad "snapshot s2 failed"
"$HW" summary --core "$TMP/s2.core" --pool pkg --format json >"$TMP/sum2.json" 2>/dev/null
read -r c0 b0 < <(site "$TMP/sum1.json" $SITE)
read -r c1 b1 < <(site "$TMP/sum2.json" $SITE)
rc=0
"$HW" report "$TMP/s1.core" "$TMP/s2.core" -o "$TMP/ab.html" 2>"$TMP/err" || rc=$?
[ $rc = 3 ] && ok "report A B: exit 3 (leak suspects listed)" || bad "report A B: exit $rc: $(head -3 "$TMP/err")"
if python3 "$HERE/check_growth.py" "$TMP/ab.html" pkg "$P" $SITE 50 $((b1 - b0)) "$b1" 2 \
	>"$TMP/cg.log" 2>&1; then
	ok "report A B: $(cat "$TMP/cg.log")"
else
	bad "report A B: $(tail -3 "$TMP/cg.log")"
fi
page ab
"$HW" diagnose --core "$TMP/s2.core" --baseline "$TMP/s1.core" --format json >"$TMP/ab-diag.json" 2>/dev/null
python3 "$HERE/check_verdict.py" "$TMP/ab.html" "$TMP/ab-diag.json" pkg:"leak suspect" >"$TMP/cv.log" 2>&1 &&
	ok "report A B: $(cat "$TMP/cv.log")" || bad "report A B: verdict: $(tail -3 "$TMP/cv.log")"
# the earlier input may be a summary JSON; the later one must be a core
rc=0
"$HW" report "$TMP/sum1.json" "$TMP/s2.core" -o "$TMP/ab-json.html" 2>/dev/null || rc=$?
[ $rc = 3 ] && python3 "$HERE/check_growth.py" "$TMP/ab-json.html" pkg "$P" $SITE 50 $((b1 - b0)) \
	"$b1" 2 >/dev/null 2>&1 && ok "report A.json B.core: the same suspect" ||
	bad "report A.json B.core (exit $rc)"

# ---- 3. growth over a watch: the signal sent between the samples ----------------------
g0=$(cat "$FX_OUT/grown" 2>/dev/null || echo 0)
"$HW" summary --pid "$P" --pool pkg --format json >"$TMP/before.json" 2>/dev/null
(sleep 0.3; kill -USR2 "$P"; sleep 0.4; kill -USR2 "$P") &
GROWER=$!
rc=0
"$HW" report --pid "$P" --all --watch 0.5x3 -o "$TMP/watch.html" 2>"$TMP/err" || rc=$?
wait $GROWER
wait_grown $((g0 + 100)) || bad "the fixture did not grow twice"
"$HW" summary --pid "$P" --pool pkg --format json >"$TMP/after.json" 2>/dev/null
read -r c0 b0 < <(site "$TMP/before.json" $SITE)
read -r c1 b1 < <(site "$TMP/after.json" $SITE)
[ $rc = 3 ] && ok "report --watch 0.5x3: exit 3 (leak suspects listed)" ||
	bad "report --watch: exit $rc: $(head -3 "$TMP/err")"
if python3 "$HERE/check_growth.py" "$TMP/watch.html" pkg "$P" $SITE $((c1 - c0)) $((b1 - b0)) "$b1" 3 \
	>"$TMP/cg.log" 2>&1 && [ $((c1 - c0)) = 100 ]; then
	ok "report --watch: $(cat "$TMP/cg.log")"
else
	bad "report --watch (planted +$((c1 - c0)) fragments, +$((b1 - b0)) bytes): $(tail -3 "$TMP/cg.log")"
fi
# the latest snapshot's page is there too: its pkg equals the walk after the growth
grep -q '<section class="pool" id="pool-shm">' "$TMP/watch.html" &&
	grep -q "<details class=\"proc\" id=\"pkg-$P\">" "$TMP/watch.html" &&
	grep -q '<table class="sort procs">' "$TMP/watch.html" &&
	ok "report --watch: the latest snapshot's processes, shm and pkg sections" ||
	bad "report --watch: sections of the latest snapshot missing"
page watch phone
# the verdict judges the last snapshot against the first: the planted growth makes a suspect
sed -n '/<section id="verdict">/,/<\/section>/p' "$TMP/watch.html" >"$TMP/watch-verdict"
grep -q 'growth since the first of 3' "$TMP/watch-verdict" &&
	grep -q '<div class="verdict" data-pool="pkg" data-verdict="leak suspect"><h3>pkg of pid '"$P"' ' "$TMP/watch-verdict" &&
	grep -q "$SITE" "$TMP/watch-verdict" && [ "$(grep -o '<section[^>]*>' "$TMP/watch.html" | head -1)" = '<section id="verdict">' ] &&
	ok "report --watch: the verdict first, pkg a leak suspect naming $SITE" ||
	bad "report --watch: verdict: $(grep -o '<h3>[^<]*' "$TMP/watch-verdict" | head -3)"
running=$(awk '/^State:/{print $2}' "/proc/$P/status" 2>/dev/null)
[ "$running" = S ] || [ "$running" = R ] && ok "the fixture runs after the watch" ||
	bad "fixture in state '$running' after the watch"

# ---- 4. usage errors ----------------------------------------------------------------
usage() { # usage WHAT ARGS...: exit 64 with one line on stderr
	local what=$1 rc=0
	shift
	"$HW" report "$@" >/dev/null 2>"$TMP/uerr" || rc=$?
	[ $rc = 64 ] && [ "$(wc -l <"$TMP/uerr")" = 1 ] && ok "usage error: $what: $(cat "$TMP/uerr")" ||
		bad "usage error expected for $what: exit $rc $(cat "$TMP/uerr")"
}
usage "--watch with --core" --core "$TMP/s1.core" --watch 1x3
usage "--watch 0x3" --pid "$P" --all --watch 0x3
usage "--watch 5x1" --pid "$P" --all --watch 5x1
usage "--watch 5" --pid "$P" --all --watch 5
usage "a JSON summary as B" "$TMP/s1.core" "$TMP/sum2.json"
usage "A B with --pid" "$TMP/s1.core" "$TMP/s2.core" --pid "$P"
usage "one operand" "$TMP/s1.core"
stop_fixture 2>/dev/null || true

# ---- 5. a pool the fixture filled: the page says it is exhausted, first --------------------
start_fixture "$FX" --seed 3 --fill
"$HW" snapshot --pid "$FX_PID" --all -o "$TMP/full.core" >/dev/null 2>&1 || bad "snapshot of the full fixture failed"
stop_fixture 2>/dev/null || true
rc=0
"$HW" report --core "$TMP/full.core" --all -o "$TMP/full.html" 2>"$TMP/err" || rc=$?
"$HW" diagnose --core "$TMP/full.core" --format json >"$TMP/full-diag.json" 2>/dev/null
if [ $rc = 4 ] && python3 "$HERE/check_verdict.py" "$TMP/full.html" "$TMP/full-diag.json" pkg:exhausted \
	>"$TMP/cv.log" 2>&1; then
	ok "full pkg: exit 4 (pool too small), $(cat "$TMP/cv.log")"
else
	bad "full pkg (exit $rc): $(tail -3 "$TMP/cv.log" "$TMP/err")"
fi
page full
# the single-process page of the same file opens with the same verdicts
rc=0
"$HW" report --core "$TMP/full.core" -o "$TMP/full-single.html" 2>"$TMP/err" || rc=$?
if [ $rc = 4 ] && python3 "$HERE/check_verdict.py" "$TMP/full-single.html" "$TMP/full-diag.json" \
	pkg:exhausted >"$TMP/cv.log" 2>&1; then
	ok "full pkg, one process's page: $(cat "$TMP/cv.log")"
else
	bad "full pkg, one process's page (exit $rc): $(tail -3 "$TMP/cv.log" "$TMP/err")"
fi

# ---- 6. Debian's kamailio: an instance of many processes --------------------------------
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}
KAMCMD=${KAMCMD:-$(command -v kamcmd || echo /usr/sbin/kamcmd)}
MODDIR=${KAMAILIO_MODDIR:-/usr/lib/x86_64-linux-gnu/kamailio/modules}
PYTHON=${PYTHON:-$(command -v python3 || echo python3)}
KPID=""
. "$E2E/lib-kamailio.sh"
trap 'kamailio_stop; cleanup' EXIT
if [ -x "$KAMAILIO" ] && [ -x "$KAMCMD" ] && [ -d "$MODDIR" ] &&
	"$KAMAILIO" -v 2>/dev/null | grep -Eq '^version: kamailio 5\.[678]\.'; then
	K=$TMP/kam
	mkdir -p "$K"
	kamailio_start "$K" qm 1500 || kamailio_stop
	if [ -n "$KPID" ]; then
		python3 "$E2E/sipsend.py" "$PORT" burst --count 20 --timeout 20 >/dev/null 2>&1
		NPROC=$(grep -c 'PID:' "$K/psx.txt")
		"$HW" snapshot --pid "$KPID" --all -o "$TMP/kam.core" >/dev/null 2>&1 || bad "kamailio: snapshot"
		rc=0
		"$HW" report --core "$TMP/kam.core" --all -o "$TMP/kam.html" 2>"$TMP/err" || rc=$?
		"$HW" stats --core "$TMP/kam.core" --all --format json >"$TMP/kam.json" 2>/dev/null
		if [ $rc = 0 ] && python3 "$HERE/check_instance.py" "$TMP/kam.html" "$TMP/kam.json" \
			>"$TMP/ci.log" 2>&1 && grep -q "^instance page agrees with stats --all: $NPROC processes" "$TMP/ci.log"; then
			ok "kamailio ($NPROC processes): $(cat "$TMP/ci.log")"
		else
			bad "kamailio instance page (exit $rc, $NPROC processes): $(tail -3 "$TMP/ci.log" "$TMP/err")"
		fi
		page kam
		"$HW" diagnose --core "$TMP/kam.core" --format json >"$TMP/kam-diag.json" 2>/dev/null
		python3 "$HERE/check_verdict.py" "$TMP/kam.html" "$TMP/kam-diag.json" >"$TMP/cv.log" 2>&1 &&
			ok "kamailio: $(cat "$TMP/cv.log")" || bad "kamailio: verdict: $(tail -3 "$TMP/cv.log")"
		# live, stop times per process; the same processes as stats --all
		rc=0
		"$HW" report --pid "$KPID" --all -o "$TMP/kam-live.html" 2>"$TMP/err" || rc=$?
		n=$(grep -c '<tr class="proc"' "$TMP/kam-live.html")
		[ $rc = 0 ] && [ "$n" = "$NPROC" ] && grep -q 'stopped ms' "$TMP/kam-live.html" &&
			xmllint --noout "$TMP/kam-live.html" 2>/dev/null &&
			ok "kamailio live: $n processes in the table, with stop times" ||
			bad "kamailio live: exit $rc, $n of $NPROC processes"
		kamailio_stop
	else
		[ -n "${HW_E2E_REQUIRE:-}" ] && bad "kamailio did not start: $(tail -3 "$K/kamailio.log")"
		echo "# kamailio did not start: $(tail -1 "$K/kamailio.log")"
	fi
else
	[ -n "${HW_E2E_REQUIRE:-}" ] && bad "kamailio 5.6-5.8 with kamcmd is required (HW_E2E_REQUIRE)"
	echo "# kamailio 5.6-5.8 not installed: many-process instance not checked"
fi

finish
