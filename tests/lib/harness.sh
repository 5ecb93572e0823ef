# shellcheck shell=bash
# harness.sh - what the scripted tests share (sourced, not run).
#
# ok MSG, bad MSG       one check passed or failed: counted, and said on a line
#                       of its own ("ok   MSG" / "FAIL MSG")
# skip MSG              the test cannot run on this machine: exit 77
# die MSG               the test cannot go on: exit 1
# finish                "# N passed, N failed"; exits 0 only when none failed
# render_html HTML PNG WIDTH
#                       a headless Chromium screenshot of HTML at WIDTH pixels
#                       (as root, so without its sandbox); needs $CHROMIUM, $TMP

# sourced once, even through two libraries
[ -n "${HW_HARNESS_LOADED:-}" ] && return 0
HW_HARNESS_LOADED=1
PASS=0
FAIL=0

ok() {
	echo "ok   $*"
	PASS=$((PASS + 1))
}

bad() {
	echo "FAIL $*"
	FAIL=$((FAIL + 1))
}

skip() {
	echo "SKIP: $*"
	exit 77
}

die() {
	echo "ERROR: $*" >&2
	exit 1
}

finish() {
	echo "# $PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
	exit
}

render_html() {
	rm -rf "$TMP/chrome"
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$TMP/chrome" --window-size="$3,1600" --screenshot="$2" \
		"file://$1" >"$TMP/chrome.log" 2>&1
}
