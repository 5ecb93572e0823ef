#!/bin/bash
# run-width.sh - text output fits 80 columns on a terminal (and with --width N
# anywhere): long lines continue indented under their last column; --width 0,
# pipes and the machine formats are left alone; --color adds only escapes.
#
# usage: run-width.sh HEAPWALK FIXTURE
HW=$1
FX=$2
. "$(dirname "$0")/../fixtures/lib.sh"

start_fixture "$FX" --seed 21
dump_core "$FX_PID" "$TMP/core"
stop_fixture
C=$CORE

# widest line, not counting a single word that cannot be broken
widest() {
	sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '{ w = length($0); if (w > 80 && NF > 1) over++; if (w > m) m = w }
		END { print m + 0, over + 0 }'
}
# the words of a text, in order (folding must only move line breaks)
words() { sed 's/\x1b\[[0-9;]*m//g' "$1" | tr -s ' \n' '\n\n' | grep .; }

for cmd in info stats summary frags; do
	"$HW" $cmd --core "$C" >"$TMP/$cmd.plain" 2>/dev/null
	"$HW" $cmd --core "$C" --width 80 >"$TMP/$cmd.80" 2>/dev/null
	"$HW" $cmd --core "$C" --width 0 >"$TMP/$cmd.0" 2>/dev/null
	read -r wp _ < <(widest "$TMP/$cmd.plain")
	read -r w80 over < <(widest "$TMP/$cmd.80")
	if [ "$over" = 0 ] && [ "$w80" -le 80 ] || [ "$over" = 0 ]; then
		ok "$cmd --width 80: widest line $w80 (unfolded: $wp)"
	else
		bad "$cmd --width 80: $over lines over 80 columns"
	fi
	if cmp -s <(words "$TMP/$cmd.plain") <(words "$TMP/$cmd.80"); then
		ok "$cmd: folding keeps every word in order"
	else
		bad "$cmd: folding changed the text"
	fi
	cmp -s "$TMP/$cmd.plain" "$TMP/$cmd.0" && ok "$cmd: into a pipe and with --width 0: not folded" ||
		bad "$cmd: --width 0 differs from the pipe output"
done

# a continued line starts under the column it continues
# (no unfolded line starts with 40 spaces; the site column starts after them)
if grep -qE '^ {40,}[^ ]' "$TMP/summary.80" && ! grep -qE '^ {40,}[^ ]' "$TMP/summary.plain"; then
	ok "summary: a long site continues under the site column"
elif [ "$(widest "$TMP/summary.plain" | cut -d' ' -f1)" -le 80 ]; then
	echo "skip no summary line long enough to fold"
else
	bad "summary: continuation lines are not under the site column"
fi

# machine formats are never folded
"$HW" frags --core "$C" --format csv --width 80 >"$TMP/f.csv"
"$HW" frags --core "$C" --format csv >"$TMP/g.csv"
cmp -s "$TMP/f.csv" "$TMP/g.csv" && ok "csv is not folded" || bad "csv was folded"
"$HW" info --core "$C" --format json --width 80 | python3 -m json.tool >/dev/null && ok "json is not folded" ||
	bad "json broken by --width"

# on a terminal: folded to 80 by default
if command -v script >/dev/null 2>&1; then
	TERM=xterm COLUMNS=200 script -qec "'$HW' info --core '$C' --color never" /dev/null | tr -d '\r' >"$TMP/tty.out"
	read -r wt over < <(widest "$TMP/tty.out")
	[ "$over" = 0 ] && ok "on a terminal: folded to 80 columns by default (widest $wt)" ||
		bad "on a terminal: $over lines over 80"
else
	echo "skip script(1) missing"
fi

# colour: the same text with escapes
"$HW" stats --core "$C" --color always >"$TMP/col.out"
sed 's/\x1b\[[0-9;]*m//g' "$TMP/col.out" | cmp -s - "$TMP/stats.plain" && ok "--color always adds only escapes" ||
	bad "--color always changes the text"

rc=0
"$HW" stats --core "$C" --width 10 >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] && ok "--width 10: usage error" || bad "--width 10: exit $rc"

finish
