#!/bin/bash
# run-gdb-fixture.sh - heapwalk.gdb in gdb -batch on a fixture core, against the heapwalk CLI.
#
# usage: run-gdb-fixture.sh HEAPWALK HEAPWALK.GDB FIXTURE qm|fm|tlsf dbg|nodbg [-- FIXTURE-ARGS]
#
# Runs the fixture, takes a core with gcore, and checks the hw-* commands
# against the CLI on the same core, with the layout from each source the
# scripts have:
#   dwarf        the fixture as built (gdb's debug info), pkg pool: every
#                command (hw-stats, hw-frags, hw-used and a range, hw-sums
#                counted with uniq -c, hw-status, hw-free, hw-check); the
#                offsets gdb read equal those heapwalk read from DWARF; and
#                hw-strings off lists the same fragments
#   fingerprint  an objcopy --strip-debug copy: recognised from the block
#   hw-layout    the stripped copy with the profile heapwalk names
#   cli-layout   the stripped copy with 'heapwalk layout --format gdb'
# (the last three: hw-stats, hw-used, hw-check, on alternating pools: the
# walks are the same code with other offsets).
# Exit 0 pass, 1 fail, 77 skip (no gdb/gcore or no ptrace).

HW=$1
GDBSCRIPT=$2
FX=$3
MGR=$4
KIND=$5
shift 5
[ "${1:-}" = -- ] && shift

. "$(dirname "$0")/../fixtures/lib.sh"
. "$(dirname "$0")/lib-gdb.sh"

need_fixture

start_fixture "$FX" "$@"
dump_core "$FX_PID" "$TMP/core"
stop_fixture
echo "# fixture $(basename "$FX") ($MGR, $KIND), core $(stat -c %s "$CORE") bytes"

# Kamailio before 4.4 has no _pkg_root/_shm_root: the pool is given by its block
SEL_PKG=hw-pkg
SEL_SHM=hw-shm
if nm -D "$FX" 2>/dev/null | grep -q ' mem_block$'; then
	SEL_PKG='hw-pkg *(unsigned long *)&mem_block'
	SEL_SHM='hw-shm *(unsigned long *)&shm_block'
fi

# with DWARF
CMDS=()
full_cmds dwarf "$SEL_PKG" "$MGR"
CMDS+=("@@dump" "hw-internal dump-$MGR" "@@strings" "hw-strings off" "@@ptr.used" hw-used "hw-strings on")
# the listings in chunks of 7 fragments (chunk boundaries everywhere), and streamed
CMDS+=("set \$hw_chunk = 7" "@@chunk.frags" hw-frags "@@chunk.used" hw-used "@@chunk.range" "hw-used 3 17"
	"@@chunk.sums" hw-sums "@@chunk.soff" "hw-strings off" "@@chunk.ptr" hw-used "@@chunk.son" "hw-strings on"
	"set \$hw_chunk = 4096"
	"@@stream.mode" "hw-stream on" "@@stream.frags" hw-frags "@@stream.used" hw-used "@@stream.sums" hw-sums
	"@@batch.mode" "hw-stream off")
gdb_run A "$FX" "$CORE" "${CMDS[@]}"
check_full A dwarf "$CORE" pkg "$MGR" "$KIND" "from gdb's debug info"
for s in frags used range sums; do
	same "$TMP/A.dwarf.$s" "$TMP/A.chunk.$s" "hw-${s/range/used 3 17} in chunks of 7 fragments = in one chunk"
done
frag_lines <"$TMP/A.ptr.used" >"$TMP/A.ptr.lines"
frag_lines <"$TMP/A.chunk.ptr" >"$TMP/A.chunk.ptr.lines"
same "$TMP/A.ptr.lines" "$TMP/A.chunk.ptr.lines" "hw-strings off: hw-used in chunks of 7 fragments = in one chunk"
for s in frags used sums; do
	same "$TMP/A.dwarf.$s" "$TMP/A.stream.$s" "hw-stream on: hw-$s prints the same"
done
grep -q 'each line as they find it' "$TMP/A.stream.mode" && grep -q 'in batches of 4096 fragments' "$TMP/A.batch.mode" &&
	ok "hw-stream on/off says which" || bad "hw-stream on/off: $(cat "$TMP/A.stream.mode" "$TMP/A.batch.mode")"
"$HW" layout --core "$CORE" --pool pkg --format gdb 2>/dev/null | sed 's/^ *//' |
	grep "^set \$hw_${MGR}_" >"$TMP/dump.cli"
same "$TMP/dump.cli" "$TMP/A.dump" "the layout gdb read from DWARF = heapwalk layout's"
# hw-strings off: the same fragments, the sites as the strings' addresses
if [ "$KIND" = dbg ]; then
	sed 's/  used  .*/  used/' "$TMP/A.dwarf.c-used" >"$TMP/ptr.want"
	grep -E '  used  0x[0-9a-f]+: 0x[0-9a-f]+\([0-9]+\)$' "$TMP/A.ptr.used" | sed 's/  used  .*/  used/' \
		>"$TMP/ptr.got"
	same "$TMP/ptr.want" "$TMP/ptr.got" "hw-strings off: hw-used lists the same fragments, sites as addresses"
fi

# without
STRIPPED=$TMP/$(basename "$FX")-nodebug
objcopy --strip-debug "$FX" "$STRIPPED" || die "objcopy --strip-debug failed"
PROFILE=$("$HW" layout --core "$CORE" --pool pkg --no-debuginfo --format json 2>/dev/null |
	sed -n 's/^ *"name": "\(.*\)",*$/\1/p' | head -1)
[ -n "$PROFILE" ] || bad "heapwalk layout --no-debuginfo names no profile"
"$HW" layout --core "$CORE" --no-debuginfo --format gdb >"$TMP/layout.gdb" 2>"$TMP/layout.err" ||
	bad "heapwalk layout --format gdb failed: $(head -1 "$TMP/layout.err")"
CMDS=()
light_cmds fingerprint "$SEL_SHM"
light_cmds hw-layout "$SEL_PKG" "hw-layout $PROFILE"
CMDS+=("hw-layout auto" "source $TMP/layout.gdb")
light_cmds cli-layout "$SEL_SHM"
gdb_run B "$STRIPPED" "$CORE" "${CMDS[@]}"
check_light B fingerprint "$CORE" shm "recognised from the block"
check_light B hw-layout "$CORE" pkg "chosen with hw-layout"
check_light B cli-layout "$CORE" shm "heapwalk layout: profile:"

finish
