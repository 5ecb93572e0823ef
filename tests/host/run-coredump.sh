#!/bin/bash
# run-coredump.sh - --coredump on cores stored the way systemd-coredump
# stores them: a real gcore of a running fixture named kamailio, compressed
# with zstd, named core.COMM.UID.BOOTID.PID.USEC.zst in a store directory,
# with the user.coredump.* attributes systemd-coredump sets (setfattr).
#
# Checked: `stats --coredump latest` equals `stats --core` on the raw core
# (and `diagnose --coredump latest` runs); --coredump PID picks the right one
# of two stored Kamailio cores; a newer core of another program is not
# chosen by latest; a symlink planted in the store is refused; without the
# attributes the file name is enough; the store from HEAPWALK_COREDUMP_DIR;
# an empty or missing store is exit 2, a bad selector exit 64.
#
# systemd-coredump itself is not run: it stores cores only as the service
# behind /run/systemd/coredump (or as journald/PID 1's handler) into the
# fixed /var/lib/systemd/coredump, which needs a running systemd.
#
# usage: run-coredump.sh HEAPWALK FIXTURE MODULE CODECS (built in, e.g. zstd,xz,lz4)
HW=$1
FX=$2
MODULE=$3
case ,${4:-}, in *,zstd,*) ;; *) echo "1..0 # SKIP heapwalk built without zstd"; exit 77 ;; esac
. "$(dirname "$0")/../fixtures/lib.sh"
command -v zstd >/dev/null || skip "zstd not installed"

STORE=$TMP/store
mkdir -p "$STORE" "$TMP/bin" "$TMP/outside"
# the fixture as a program called kamailio: its comm and executable say so
cp "$FX" "$TMP/bin/kamailio"
BOOT=$(tr -d '-' </proc/sys/kernel/random/boot_id 2>/dev/null || echo 0123456789abcdef0123456789abcdef)
NOW=$(($(date +%s) * 1000000))

# user xattrs on this filesystem? Else the file names alone (and say so).
XATTRS=0
if command -v setfattr >/dev/null && touch "$TMP/x" && setfattr -n user.t -v 1 "$TMP/x" 2>/dev/null; then
	XATTRS=1
else
	echo "# no setfattr or no user xattrs on $TMP: the stored cores carry their file names only"
fi

# store CORE COMM PID USEC EXE [DIR]: as systemd-coredump does (file name, zstd, mode, attributes)
store() {
	local core=$1 comm=$2 pid=$3 usec=$4 exe=$5 dir=${6:-$STORE} f kv
	# systemd-coredump escapes '.', '/' and ' ' of the comm as \xNN
	f=$dir/core.$(printf '%s' "$comm" | sed 's/\./\\x2e/g; s|/|\\x2f|g; s/ /\\x20/g').0.$BOOT.$pid.$usec.zst
	zstd -q -c "$core" >"$f" || die "zstd failed"
	chmod 0640 "$f"
	if [ "$XATTRS" = 1 ]; then
		for kv in pid="$pid" uid=0 gid=0 signal=11 timestamp="$usec" \
			rlimit=18446744073709551615 hostname="$(hostname)" comm="$comm" exe="$exe"; do
			setfattr -n "user.coredump.${kv%%=*}" -v "${kv#*=}" "$f" || die "setfattr failed"
		done
	fi
	STORED=$f
}

# two Kamailio cores, the second one newer
start_fixture "$TMP/bin/kamailio" --module "$MODULE" --seed 5
P1=$FX_PID
[ "$(cat "/proc/$P1/comm")" = kamailio ] || die "the fixture's comm is $(cat "/proc/$P1/comm")"
dump_core "$P1" "$TMP/core"
C1=$CORE
stop_fixture
start_fixture "$TMP/bin/kamailio" --module "$MODULE" --seed 6 --leak 50
P2=$FX_PID
dump_core "$P2" "$TMP/core"
C2=$CORE
stop_fixture
store "$C1" kamailio "$P1" $((NOW - 3000000)) "$TMP/bin/kamailio"
F1=$STORED
store "$C2" kamailio "$P2" $((NOW - 2000000)) "$TMP/bin/kamailio"
F2=$STORED
# the newest: another program's core (a sleep)
sleep 60 &
SP=$!
gcore -o "$TMP/sleep" "$SP" >/dev/null 2>&1 || die "gcore of sleep failed"
kill "$SP"
wait "$SP" 2>/dev/null
store "$TMP/sleep.$SP" sleep "$SP" $((NOW - 1000000)) /usr/bin/sleep
mkdir "$TMP/only-sleep"
store "$TMP/sleep.$SP" sleep "$SP" $((NOW - 1000000)) /usr/bin/sleep "$TMP/only-sleep"
# newest of all: a symlink named like a Kamailio core, to a core outside the store
cp "$F2" "$TMP/outside/core.zst"
ln -s "$TMP/outside/core.zst" "$STORE/core.kamailio.0.$BOOT.99999.$NOW.zst"
# and a fifo and a directory named like newer Kamailio cores
mkfifo "$STORE/core.kamailio.0.$BOOT.99998.$((NOW + 1)).zst"
mkdir "$STORE/core.kamailio.0.$BOOT.99997.$((NOW + 2))"

# pools ARGS...: the pools of `stats ARGS --format json` (stdout), stderr into $TMP/p.err
pools() {
	"$HW" stats "$@" --format json 2>"$TMP/p.err" | python3 -c '
import json, sys
print(json.dumps(json.load(sys.stdin)["pools"], sort_keys=True))'
}

RAW2=$(pools --core "$C2")
GOT=$(pools --coredump latest --coredump-dir "$STORE")
if [ -n "$RAW2" ] && [ "$RAW2" = "$GOT" ] && grep -q "pkg" <<<"$GOT" &&
	grep -qF -- "--coredump latest: $F2 (pid $P2," "$TMP/p.err"; then
	ok "stats --coredump latest: the newest Kamailio core ($(basename "$F2")), pools as the raw core's"
else
	bad "stats --coredump latest: $(head -2 "$TMP/p.err")"
fi
if [ "$XATTRS" = 1 ]; then
	if grep -qF "$TMP/bin/kamailio, signal 11" "$TMP/p.err"; then
		ok "the chosen core is named on stderr with its executable and signal"
	else
		bad "stderr: $(cat "$TMP/p.err")"
	fi
fi

RAW1=$(pools --core "$C1")
GOT=$(pools --coredump "$P1" --coredump-dir "$STORE")
if [ -n "$RAW1" ] && [ "$RAW1" = "$GOT" ] && [ "$RAW1" != "$RAW2" ] &&
	grep -qF -- "--coredump $P1: $F1 (pid $P1," "$TMP/p.err"; then
	ok "stats --coredump $P1: the older core of that pid, pools as its raw core's"
else
	bad "stats --coredump $P1: $(head -2 "$TMP/p.err")"
fi

rc=0
"$HW" diagnose --coredump latest --coredump-dir "$STORE" >"$TMP/d.out" 2>"$TMP/d.err" || rc=$?
if [ $rc -le 1 ] && grep -q "shm" "$TMP/d.out"; then
	ok "diagnose --coredump latest: exit $rc"
else
	bad "diagnose --coredump latest: exit $rc: $(head -2 "$TMP/d.err")"
fi

# the recorded executable under --sysroot
mkdir -p "$TMP/root$TMP/bin"
cp "$TMP/bin/kamailio" "$TMP/root$TMP/bin/kamailio"
EXE=$("$HW" stats --coredump latest --coredump-dir "$STORE" --sysroot "$TMP/root" --format json \
	2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["target"]["executable"])')
# (the pools name the layout's DWARF file: as read, beneath the sysroot)
GOT=$(pools --coredump latest --coredump-dir "$STORE" --sysroot "$TMP/root" | sed "s|$TMP/root||g")
if [ "$XATTRS" = 0 ] || { [ "$EXE" = "$TMP/root$TMP/bin/kamailio" ] && [ "$GOT" = "$RAW2" ]; }; then
	ok "--sysroot: the recorded executable is opened beneath it (${EXE:-none})"
else
	bad "--sysroot: executable '$EXE', $(head -2 "$TMP/p.err")"
fi

# expect_exit NAME CODE PATTERN ARGS...: that exit code, one line on stderr matching PATTERN
expect_exit() {
	local name=$1 code=$2 pat=$3 rc=0
	shift 3
	"$HW" "$@" >"$TMP/f.out" 2>"$TMP/f.err" || rc=$?
	if [ $rc = "$code" ] && grep -qE -- "$pat" "$TMP/f.err" && [ "$(wc -l <"$TMP/f.err")" = 1 ]; then
		ok "$name: exit $code: $(cat "$TMP/f.err")"
	else
		bad "$name: exit $rc: $(head -3 "$TMP/f.err")"
	fi
}

expect_exit "the planted symlink" 2 "no core of pid 99999 stored .*; 3 entries refused, not a regular file" \
	stats --coredump 99999 --coredump-dir "$STORE"
expect_exit "the fifo" 2 "no core of pid 99998 stored" stats --coredump 99998 --coredump-dir "$STORE"
mkdir "$TMP/empty"
expect_exit "an empty store" 2 "no Kamailio or OpenSIPS core stored in $TMP/empty$" \
	stats --coredump latest --coredump-dir "$TMP/empty"
expect_exit "a store that is not there" 2 "cannot open systemd-coredump's store" \
	stats --coredump latest --coredump-dir "$TMP/none"
expect_exit "another program's core only" 2 "no Kamailio or OpenSIPS core stored in [^ ]*; 1 other core: give --coredump PID" \
	stats --coredump latest --coredump-dir "$TMP/only-sleep"
expect_exit "a bad selector" 64 "--coredump newest: not a pid or latest" \
	stats --coredump newest --coredump-dir "$STORE"
expect_exit "--coredump and --core" 64 "--coredump chooses the core" \
	stats --coredump latest --core "$C1"

# the store from the environment; the file name alone (no attributes), the comm escaped
mkdir "$TMP/names"
XATTRS=0 store "$C1" "kam.ailio" "$P1" "$NOW" "" "$TMP/names"
GOT=$(HEAPWALK_COREDUMP_DIR=$TMP/names pools --coredump "$P1")
if [ "$RAW1" = "$GOT" ] && grep -q "metadata from the file name" "$TMP/p.err" &&
	grep -qF '\x2e' <<<"$STORED"; then
	ok "HEAPWALK_COREDUMP_DIR, a file name without attributes, an escaped comm"
else
	bad "name-only store: $(head -2 "$TMP/p.err")"
fi
HEAPWALK_COREDUMP_DIR=$TMP/names expect_exit "latest: kam.ailio is not kamailio" 2 \
	"no Kamailio or OpenSIPS core" stats --coredump latest
# an OpenSIPS core is one too: the newest of the two is chosen (by its comm)
mkdir "$TMP/os"
XATTRS=0 store "$C1" kamailio "$P1" $((NOW - 10)) "" "$TMP/os"
XATTRS=0 store "$C2" opensips "$P2" "$NOW" "" "$TMP/os"
GOT=$(pools --coredump latest --coredump-dir "$TMP/os")
if [ "$RAW2" = "$GOT" ] && grep -qF -- "--coredump latest: $STORED (pid $P2," "$TMP/p.err"; then
	ok "--coredump latest: a core named opensips, newer than kamailio's, is chosen"
else
	bad "--coredump latest with an opensips core: $(head -2 "$TMP/p.err")"
fi

# names not in systemd-coredump's format are not stored cores; attribute values are sanitised
mkdir "$TMP/junk"
for n in "core.kamailio.0.$BOOT.1.2.gz" "core..0.$BOOT.1.2.zst" "core.kamailio.0.0123.1.2.zst" \
	"core.kamailio.0.$BOOT.1.123456789012345678901.zst" "core.kamailio.0.$BOOT.1.2.zst.zst" \
	"core.kamailio.x.$BOOT.1.2" "kamailio.0.$BOOT.1.2.zst"; do
	echo junk >"$TMP/junk/$n"
done
expect_exit "names not in the format" 2 "no Kamailio or OpenSIPS core stored in $TMP/junk$" \
	stats --coredump latest --coredump-dir "$TMP/junk"
if [ "$XATTRS" = 1 ]; then
	f="$TMP/junk/core.kamailio.0.$BOOT.77.$NOW.zst"
	echo junk >"$f"
	setfattr -n user.coredump.exe -v "0x2f782f1b5b33316d0a6b616d61696c696f" "$f"
	"$HW" stats --coredump 77 --coredump-dir "$TMP/junk" >/dev/null 2>"$TMP/j.err"
	if grep -qF '/x/\x1b[31m\x0akamailio' "$TMP/j.err" && ! grep -q $'\x1b' "$TMP/j.err"; then
		ok "an executable with control characters is printed escaped"
	else
		bad "control characters: $(head -2 "$TMP/j.err" | od -c | head -3)"
	fi
fi

finish
