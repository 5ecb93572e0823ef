# shellcheck shell=bash
# lib-report.sh - shared checks of the report tests (sourced after tests/lib/harness.sh).
#
# rendered NAME HTML [phone]   headless Chromium draws HTML into a non-blank
#                              picture 1200 pixels wide (and, with "phone", 390
#                              wide too); said and counted. Without Chromium:
#                              a comment line, nothing counted.

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
REPORT_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rendered() {
	local name=$1 f=$2
	if [ -z "$CHROMIUM" ]; then
		echo "# $name: chromium not installed, rendering not checked"
		return
	fi
	if render_html "$f" "$TMP/$name.png" 1200 &&
		python3 "$REPORT_TESTS/check_png.py" "$TMP/$name.png" 1200 1600 >"$TMP/png.log" 2>&1; then
		ok "$name: rendered by Chromium: $(cat "$TMP/png.log")"
	else
		bad "$name: rendering: $(tail -3 "$TMP/chrome.log" "$TMP/png.log" 2>/dev/null)"
	fi
	[ "${3:-}" = phone ] || return
	# a phone-sized window still shows the page (no fixed widths force it blank)
	if render_html "$f" "$TMP/$name-phone.png" 390 &&
		python3 "$REPORT_TESTS/check_png.py" "$TMP/$name-phone.png" 390 1600 >/dev/null 2>&1; then
		ok "$name: renders in a phone-sized window"
	else
		bad "$name: phone-sized rendering"
	fi
}
