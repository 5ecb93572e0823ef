#!/bin/bash
# run-gdb-damage.sh - heapwalk.gdb on damaged q_malloc heaps: findings, and no endless loop.
#
# usage: run-gdb-damage.sh HEAPWALK HEAPWALK.GDB FIXTURE
#
# FIXTURE is fx-qm-56-dbg (5.6 LP64 debug layout: check at +48, header 56,
# trailer 48). Copies of its core get one word changed each (patch-core.py),
# in the shm pool, at fragments the fixture itself listed:
#   pattern  a used fragment's start pattern: hw-check stops there and shows
#            it with its neighbours; hw-status prints it as the CLI does
#   size     a used fragment's size runs past the heap: every walk stops
#            there and says so; hw-used lists exactly the fragments before
#   skew     a used fragment's size is 8 too big: the walk goes off the
#            fragment grid; hw-check names the fragment, hw-used ends
#   cycle    a free fragment's list link points to itself: hw-free says
#            the list does not return to its head, after a bounded walk
#   string   a used fragment's file pointer points nowhere: hw-used lists
#            the fragments before it, then gdb's error, in batches or not
# A hang is a failure (gdb_run's timeout). Exit 0 pass, 1 fail, 77 skip.

HW=$1
GDBSCRIPT=$2
FX=$3
shift 3
HERE=$(cd "$(dirname "$0")" && pwd -P)
. "$HERE/../fixtures/lib.sh"
. "$HERE/lib-gdb.sh"
GDB_TIMEOUT=60
command -v gdb >/dev/null 2>&1 || skip "gdb not installed"
command -v python3 >/dev/null 2>&1 || skip "python3 not installed"

start_fixture "$FX" --seed 5 --ops 3000
dump_core "$FX_PID" "$TMP/core"
stop_fixture

# from the fixture's own status dump: fragment index, header, size, used (N) or free (A)
awk '/^ +[0-9]+\. [AN]  address=/ {
	split($4, a, "="); split($5, s, "=")
	print $1 + 0, a[2], s[2], $2
}' "$FX_OUT/frags-shm.txt" >"$TMP/list"
USED=$(awk '$4 == "N" && $1 > 40 { print; exit }' "$TMP/list")
FREE=$(awk '$4 == "A" && $1 > 40 { print; exit }' "$TMP/list")
[ -n "$USED" ] && [ -n "$FREE" ] || die "the fixture listed no fragments to damage"
read -r UI UF US _ <<<"$USED"
read -r FI FF _ _ <<<"$FREE"
echo "# damaging used fragment $UI at $UF (size $US) and free fragment $FI at $FF"

damage() { # NAME ADDRESS VALUE
	python3 "$HERE/patch-core.py" "$CORE" "$TMP/$1.core" "$2" "$3" || die "cannot patch the core"
}

# timed NAME CMD...: gdb on the damaged core NAME.core (gdb_run fails a
# run that does not finish: an error, or a hang caught by its timeout)
timed() {
	local name=$1
	shift
	gdb_run "$name" "$FX" "$TMP/${name%%-*}.core" "$@"
	grep -q '^@@end' "$TMP/$name.out" && ok "$name: gdb finished"
}

# pattern
damage pattern $((UF + 48)) 0x4141414141414141
timed pattern-a hw-shm "@@check" hw-check "@@status" "hw-status 1"
if grep -q "^hw-check: BAD fragment $UI at $UF: start pattern 4141414141414141" "$TMP/pattern-a.check" &&
	grep -q '^previous:' "$TMP/pattern-a.check" && grep -q '^next:' "$TMP/pattern-a.check"; then
	ok "pattern: hw-check names fragment $UI and shows its neighbours"
else
	bad "pattern: hw-check"
	head -8 "$TMP/pattern-a.check" | sed 's/^/  /'
fi
"$HW" frags --core "$TMP/pattern.core" --exe "$FX" --pool shm --format kamailio >"$TMP/pattern.c-status" 2>/dev/null
same "$TMP/pattern.c-status" "$TMP/pattern-a.status" "pattern: hw-status 1 = frags --format kamailio"
grep -q 'beginning overwritten(4141414141414141)' "$TMP/pattern-a.status" &&
	ok "pattern: hw-status says 'beginning overwritten'" || bad "pattern: no 'beginning overwritten'"

# size
damage size "$UF" 0x7fffffffff00
timed size-a hw-shm "@@used" hw-used "@@frags" hw-frags "@@check" hw-check "@@free" hw-free
frag_lines <"$TMP/size-a.used" | awk '{ print $1 }' >"$TMP/size.idx"
if [ "$(tail -1 "$TMP/size.idx")" -lt "$UI" ] && grep -q "^hw: fragment $UI at $UF has size .* walk stopped" "$TMP/size-a.used"; then
	ok "size: hw-used lists the fragments before $UI and says where it stopped"
else
	bad "size: hw-used"
	tail -3 "$TMP/size-a.used" | sed 's/^/  /'
fi
awk -v n="$UI" '$1 < n && $4 == "N" { c++ } END { print c + 0 }' "$TMP/list" >"$TMP/size.want"
[ "$(wc -l <"$TMP/size.idx")" = "$(cat "$TMP/size.want")" ] &&
	ok "size: hw-used listed all $(cat "$TMP/size.want") used fragments before it" ||
	bad "size: hw-used listed $(wc -l <"$TMP/size.idx") used fragments, want $(cat "$TMP/size.want")"
grep -q "^hw-check: BAD fragment $UI at $UF: size $((0x7fffffffff00)) runs past the heap end" "$TMP/size-a.check" &&
	ok "size: hw-check names the fragment" || { bad "size: hw-check"; head -3 "$TMP/size-a.check" | sed 's/^/  /'; }

# skew
damage skew "$UF" $((US + 8))
timed skew-a hw-shm "@@used" hw-used "@@check" hw-check
grep -q "^hw-check: BAD fragment $UI at $UF: trailer size" "$TMP/skew-a.check" &&
	ok "skew: hw-check names the fragment whose trailer disagrees" ||
	{ bad "skew: hw-check"; head -3 "$TMP/skew-a.check" | sed 's/^/  /'; }

# cycle
damage cycle $((FF + 8)) "$FF"
timed cycle-a hw-shm "@@free" hw-free "@@used" hw-used
grep -q 'the list does not return to its head within [0-9]* steps' "$TMP/cycle-a.free" &&
	ok "cycle: hw-free reports the list that does not close" ||
	{ bad "cycle: hw-free"; grep '^hw:' "$TMP/cycle-a.free" | head -3 | sed 's/^/  /'; }
frag_lines <"$TMP/cycle-a.used" | wc -l >"$TMP/cycle.n"
[ "$(cat "$TMP/cycle.n")" = "$(awk '$4 == "N"' "$TMP/list" | wc -l)" ] &&
	ok "cycle: hw-used still lists every used fragment" || bad "cycle: hw-used"

# string: a used fragment's file pointer points nowhere. gdb stops the
# listing there with its error, after the lines before it: the same whether
# the lines are collected in batches (the default) or streamed.
damage string $((UF + 16)) 0x10
for m in off on; do
	printf 'set pagination off\nset width 0\nset confirm off\nset debuginfod enabled off\nsource %s\nhw-shm\nhw-stream %s\nhw-used\n' \
		"$GDBSCRIPT" "$m" >"$TMP/string-$m.gdb"
	timeout 60 gdb -batch -nx -x "$TMP/string-$m.gdb" "$FX" "$TMP/string.core" >"$TMP/string-$m.out" 2>"$TMP/string-$m.err"
	frag_lines <"$TMP/string-$m.out" >"$TMP/string-$m.lines"
done
awk -v n="$UI" '$1 < n && $4 == "N" { c++ } END { print c + 0 }' "$TMP/list" >"$TMP/string.want"
# (gdb prints what it has of the failing line: fragment $UI up to its site)
if [ "$(awk -v n="$UI" '$1 < n' "$TMP/string-off.lines" | wc -l)" = "$(cat "$TMP/string.want")" ] &&
	[ "$(awk 'END { print $1 }' "$TMP/string-off.lines")" = "$UI" ] &&
	grep -q 'Cannot access memory at address 0x10$' "$TMP/string-off.err"; then
	ok "string: hw-used lists the $(cat "$TMP/string.want") used fragments before $UI, then gdb's error"
else
	bad "string: hw-used listed $(wc -l <"$TMP/string-off.lines") lines, want $(cat "$TMP/string.want") and the start of $UI's, then the error"
	tail -2 "$TMP/string-off.out" "$TMP/string-off.err" | sed 's/^/  /'
fi
same "$TMP/string-on.lines" "$TMP/string-off.lines" "string: hw-used in batches = streamed, up to the error"
grep -q 'Cannot access memory at address 0x10$' "$TMP/string-on.err" &&
	ok "string: streamed, gdb's error too" || bad "string: streamed hw-used did not stop with the error"

finish
