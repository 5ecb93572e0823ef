#!/bin/bash
# bench-gdb.sh - hw-used against the classic typed gdb loop over the same q_malloc fragments.
#
# usage: bench-gdb.sh [--build DIR] [--core CORE --exe EXE] [--pool shm|pkg]
#                     [--frags N] [--classic N]
#
#   --build DIR    heapwalk build directory (default: ../../build next to this
#                  script); gives heapwalk.gdb and, without --core, the fixture
#   --core, --exe  a core of a Kamailio (or fixture) q_malloc build WITH DWARF
#                  (the classic loop needs struct qm_frag); default: a fixture
#                  core made here with fx-qm-56-dbg --ops 400000 (~46k shm
#                  fragments, Kamailio 5.6 debug layout)
#   --pool P       the pool to walk (default shm)
#   --frags N      the prefix both loops walk: fragments 0..N-1 (default 20000)
#   --classic N    let the classic loop walk only the first N of them and
#                  extrapolate (default: all of --frags; it runs ~100/s)
#
# Both loops run on the same core, each in a fresh gdb started the same way
# (heapwalk.gdb sourced, the pool selected), and print every used fragment. The classic loop is the one operators type
# from the Kamailio wiki: typed pointers, sizeof(struct ...) and `p *$a` on
# each used fragment:
#   set $a = mem_block->first_frag
#   while ($a < mem_block->last_frag_end) ... p *$a ... set $a = (struct qm_frag *)(...)
# Reported: fragments per second of each (gdb's CPU time, and wall time),
# and the ratio.

set -u
HERE=$(cd "$(dirname "$0")" && pwd -P)
BUILD=$HERE/../../build
CORE=
EXE=
POOL=shm
FRAGS=20000
CLASSIC=

while [ $# -gt 0 ]; do
	case $1 in
	--build) BUILD=$2; shift 2 ;;
	--core) CORE=$2; shift 2 ;;
	--exe) EXE=$2; shift 2 ;;
	--pool) POOL=$2; shift 2 ;;
	--frags) FRAGS=$2; shift 2 ;;
	--classic) CLASSIC=$2; shift 2 ;;
	-h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench-gdb.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
	esac
done
CLASSIC=${CLASSIC:-$FRAGS}
case $POOL in pkg | shm) ;; *) echo "bench-gdb.sh: --pool takes pkg or shm" >&2; exit 64 ;; esac

GDBSCRIPT=$BUILD/gdbscripts/heapwalk.gdb
[ -r "$GDBSCRIPT" ] || { echo "bench-gdb.sh: no $GDBSCRIPT (build heapwalk first, or give --build)" >&2; exit 2; }
command -v gdb >/dev/null || { echo "bench-gdb.sh: gdb not installed" >&2; exit 2; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hw-bench-gdb.XXXXXX")
FXPID=
cleanup() {
	[ -n "$FXPID" ] && kill "$FXPID" 2>/dev/null && wait "$FXPID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

if [ -z "$CORE" ]; then
	EXE=$BUILD/fixtures/fx-qm-56-dbg
	[ -x "$EXE" ] || { echo "bench-gdb.sh: no fixture $EXE" >&2; exit 2; }
	command -v gcore >/dev/null || { echo "bench-gdb.sh: gcore not installed" >&2; exit 2; }
	echo "making a fixture core: $(basename "$EXE") --ops 400000 ..."
	mkdir -p "$TMP/fx"
	"$EXE" --out "$TMP/fx" --seed 7 --ops 400000 --shm-size 64m --pkg-size 16m --no-stdin \
		--timeout 600 >"$TMP/fx.log" 2>&1 &
	FXPID=$!
	for _ in $(seq 1200); do [ -f "$TMP/fx/ready" ] && break; sleep 0.1; done
	[ -f "$TMP/fx/ready" ] || { cat "$TMP/fx.log" >&2; echo "bench-gdb.sh: fixture not ready" >&2; exit 2; }
	gcore -o "$TMP/core" "$FXPID" >"$TMP/gcore.log" 2>&1 || { cat "$TMP/gcore.log" >&2; exit 2; }
	CORE=$TMP/core.$FXPID
	kill "$FXPID"; wait "$FXPID" 2>/dev/null; FXPID=
fi
[ -r "$CORE" ] || { echo "bench-gdb.sh: cannot read core $CORE" >&2; exit 2; }
[ -n "$EXE" ] || { echo "bench-gdb.sh: give --exe with --core" >&2; exit 2; }

# gdb's own CPU time: the shell that `shell` starts is gdb's child.
stamp() {
	echo "shell echo \"@@t $1 \$(date +%s.%N) \$(awk '{print \$14 + \$15}' /proc/\$PPID/stat)\""
}
setup() {
	echo "set pagination off"
	echo "set width 0"
	echo "set confirm off"
	echo "set debuginfod enabled off"
	echo "set print pretty off"
	echo "source $GDBSCRIPT"
	echo "hw-$POOL"
}
# Each loop in a fresh gdb (the classic loop's type lookups expand symbol
# tables, which slows every later expression in that session).
{
	setup
	echo "set \$mb = (struct qm_block *)_${POOL}_root.mem_block"
	stamp classic-start
	echo "set \$a = \$mb->first_frag"
	echo "set \$n = 0"
	echo "while (\$a < \$mb->last_frag_end && \$n < $CLASSIC)"
	echo "  if (\$a->u.is_free == 0)"
	echo "    p *\$a"
	echo "  end"
	echo "  set \$a = (struct qm_frag *)((char *)\$a + sizeof(struct qm_frag) + \$a->size + sizeof(struct qm_frag_end))"
	echo "  set \$n = \$n + 1"
	echo "end"
	stamp classic-end
	echo "printf \"@@classic-walked %d\\n\", \$n"
} >"$TMP/classic.gdb"
{
	setup
	stamp hw-start
	echo "hw-used 0 $((FRAGS - 1))"
	stamp hw-end
	echo "printf \"@@hw-walked %lld\\n\", \$hw_fin ? \$hw_i + 1 : \$hw_i"
} >"$TMP/hw.gdb"

echo "core: $CORE ($EXE), pool $POOL; classic loop over $CLASSIC fragments, hw-used over $FRAGS"
gdb -batch -nx -x "$TMP/hw.gdb" "$EXE" "$CORE" >"$TMP/out.txt" 2>"$TMP/err.txt"
grep '^hw: ' "$TMP/out.txt" | tail -1
gdb -batch -nx -x "$TMP/classic.gdb" "$EXE" "$CORE" >>"$TMP/out.txt" 2>>"$TMP/err.txt"

CLOCK=$(getconf CLK_TCK)
awk -v clk="$CLOCK" -v cl="$CLASSIC" -v nf="$FRAGS" '
	/^@@t / { wall[$2] = $3; cpu[$2] = $4 / clk }
	/^@@classic-walked / { walked = $2 }
	/^@@hw-walked / { nf = $2 }
	/^\$[0-9]+ = \{/ { pused++ }
	/^ +[0-9]+  0x[0-9a-f]+ +[0-9]+  used/ { hused++ }
	END {
		if (!("hw-end" in wall) || walked == 0) { print "bench-gdb.sh: gdb did not finish the run"; exit 2 }
		cc = cpu["classic-end"] - cpu["classic-start"]; cw = wall["classic-end"] - wall["classic-start"]
		hc = cpu["hw-end"] - cpu["hw-start"]; hw = wall["hw-end"] - wall["hw-start"]
		if (cc <= 0) cc = cw; if (hc <= 0) hc = hw
		printf "classic loop: %d fragments (%d used, printed with p *$a) in %.2f s CPU, %.2f s wall: %.0f fragments/s\n", walked, pused, cc, cw, walked / cc
		printf "hw-used:      %d fragments (%d used) in %.2f s CPU, %.2f s wall: %.0f fragments/s\n", nf, hused, hc, hw, nf / hc
		printf "ratio:        %.0fx (CPU time; wall time: %.0fx)\n", (nf / hc) / (walked / cc), (nf / hw) / (walked / cw)
	}' "$TMP/out.txt"
rc=$?
if [ "$CLASSIC" = "$FRAGS" ]; then
	# both listed the same used fragments
	c=$(grep -c '^\$[0-9]* = {' "$TMP/out.txt")
	h=$(grep -cE '^ +[0-9]+  0x[0-9a-f]+ +[0-9]+  used' "$TMP/out.txt")
	[ "$c" = "$h" ] || { echo "bench-gdb.sh: the classic loop printed $c used fragments, hw-used $h" >&2; rc=1; }
fi
exit $rc
