#!/bin/bash
# run-hostile-path.sh - an executable whose path holds terminal control bytes
# (here through --sysroot; a core can name such a file too) is printed
# sanitised in every format: no ESC or BEL reaches the output.
#
# usage: run-hostile-path.sh HEAPWALK FIXTURE
HW=$1
FX=$2
. "$(dirname "$0")/../fixtures/lib.sh"

[ -x "$HW" ] || die "heapwalk not found: $HW"
[ -x "$FX" ] || die "fixture not found: $FX"
start_fixture "$FX" --seed 5
dump_core "$FX_PID" "$TMP/core"
stop_fixture

# the core names the fixture by its real path; the copy under the sysroot is the one opened
SR=$TMP/sr$'\033[31m\a'
EXE=$(readlink -f "$FX")
mkdir -p "$SR$(dirname "$EXE")" || die "mkdir failed"
cp "$EXE" "$SR$EXE" || die "copy failed"

# what heapwalk prints of the path: \x1b and \x07 in place of the bytes (in JSON, with the
# backslashes escaped)
TEXT='sr\x1b[31m\x07'
JSON='sr\\x1b[31m\\x07'

raw_free() {
	! LC_ALL=C grep -q $'[\033\a]' "$1"
}

case_out() {
	local what=$1 want=$2 rc=0
	shift 2
	"$HW" "$@" --core "$CORE" --sysroot "$SR" >"$TMP/o.out" 2>"$TMP/o.err" || rc=$?
	if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
		bad "$what: exit $rc: $(head -c 300 "$TMP/o.err")"
	elif ! raw_free "$TMP/o.out" || ! raw_free "$TMP/o.err"; then
		bad "$what: a control byte of the path reached the output"
	elif ! LC_ALL=C grep -qF "$want" "$TMP/o.out"; then
		bad "$what: the sanitised path is not in the output"
	else
		ok "$what"
	fi
}

case_out "info (executable, debug info, layout)" "$TEXT" info
case_out "info json" "$JSON" info --format json
for cmd in stats summary check; do
	case_out "$cmd (layout of the pool title)" "$TEXT" "$cmd"
	case_out "$cmd json" "$JSON" "$cmd" --format json
done
case_out "frags (layout of the pool title)" "$TEXT" frags --pool pkg --to 10
case_out "report html" "$TEXT" report
finish
