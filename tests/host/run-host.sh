#!/bin/bash
# run-host.sh - 'heapwalk host' on saved /proc copies (exact outputs), its slab
# table against /proc/slabinfo worked out by hand (awk), colour, 80 columns,
# usage errors.
#
# usage: run-host.sh HEAPWALK DATADIR EXPECTEDDIR
set -u
HW=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
DATA=$2
EXP=$3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hw-host.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/../lib/harness.sh"

# run NAME WANT-RC ARGS... (in DATA, so the proc dir prints as a relative path)
run() {
	local name=$1 want=$2 rc=0
	shift 2
	(cd "$DATA" && "$HW" "$@") >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name: heapwalk $*: exit $rc, want $want: $(head -3 "$TMP/$name.err")"
		return 1
	fi
	return 0
}
same() { # same NAME EXPECTED-FILE
	if cmp -s "$TMP/$1.out" "$EXP/$2"; then
		ok "$1 matches $2"
	else
		bad "$1 differs from $2:"
		diff -u "$EXP/$2" "$TMP/$1.out" | head -40
	fi
}
narrow() { # every line of NAME's output fits 80 columns
	local w
	w=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$TMP/$1.out")
	if [ "$w" -le 80 ]; then ok "$1: widest line $w columns"; else bad "$1: a line of $w columns"; fi
}

# exact outputs on the fixture copies
run cache 0 host --proc proc-cache && same cache proc-cache.txt && narrow cache
run leak 0 host --proc proc-leak && same leak proc-leak.txt && narrow leak
run leakj 0 host --proc proc-leak --format json && same leakj proc-leak.json
# instances in containers: after the host's own, one heading per container, both pids
run cont 0 host --proc proc-container && same cont proc-container.txt && narrow cont
run contj 0 host --proc proc-container --format json && same contj proc-container.json
# (the cache sizes there assume 4 KiB pages, as on the machine the copy came from)
if [ "$(getconf PAGESIZE)" = 4096 ]; then
	run slab 0 host --slab --proc proc-cache --top 12 && same slab proc-cache-slab.txt && narrow slab
	run slabu 0 host --slab --sort u --top 5 --proc proc-cache && same slabu proc-cache-slab-u.txt
else
	echo "skip exact slab tables: pages are not 4 KiB here"
fi

# the verdicts the fixtures were made for
if run cj 0 host --proc proc-cache --format json && run lj 0 host --proc proc-leak --format json &&
	python3 - "$TMP/cj.out" "$TMP/lj.out" <<'PY'; then
import json, sys
c = json.load(open(sys.argv[1]))
l = json.load(open(sys.argv[2]))
assert c["format_version"] == 1 and c["command"] == "host" and c["view"] == "memory"
assert c["verdict"]["mostly_reclaimable"] is True
assert l["verdict"]["mostly_reclaimable"] is False
# proc-cache: one instance of 4 processes (sshd is not Kamailio), pools from -M and the mapping
(i,) = c["instances"]
assert i["main_pid"] == 2466 and len(i["processes"]) == 4
assert i["pkg_size"] == 4 << 20 and i["pkg_size_from"] == "-M 4"
assert i["shm_size"] == 16 << 20 and i["shm_size_from"] == "the size of its mapping"
assert not i["outside_dominates"] and not i["shm_nearly_full"]
# per part PSS adds up to the total
m = i["memory"]
assert sum(m[k]["pss"] for k in ("shm", "pkg", "anon", "file")) == m["total"]["pss"]
# proc-leak: the leaking instance and the one seen through status only
a, b = l["instances"]
assert a["main_pid"] == 4100 and a["outside_dominates"] and a["shm_nearly_full"]
assert a["pkg_size_from"] == "-M 16" and a["shm_size"] == 64 << 20
assert [p["detail"] for p in b["processes"]] == ["smaps_rollup", "status"]
assert b["memory"]["pkg"]["pss"] is None and b["pkg_size_from"] == "Kamailio's default"
assert any("5200" in n for n in l["not_read"])
PY
	ok "verdicts: proc-cache reclaimable, proc-leak held, outside the pools, shm nearly full"
else
	bad "verdicts"
fi

# slab caches and sizes against the file worked out by hand, every sort key
check_slab() { # check_slab DIR LABEL
	local dir=$1 label=$2 page key
	page=$(getconf PAGESIZE)
	for key in a c l n o p s u; do
		"$HW" host --slab --sort "$key" --proc "$dir" --format json >"$TMP/s.json" 2>"$TMP/s.err" ||
			{ bad "$label --sort $key: $(cat "$TMP/s.err")"; continue; }
		# name active objs objsize objperslab slabs cache-size, as /proc/slabinfo says
		awk -v page="$page" 'NR > 2 && $1 != "#" {
			printf "%s %d %d %d %d %d %d\n", $1, $2, $3, $4, $5, $15, $15 * $6 * page }' \
			"$dir/slabinfo" >"$TMP/hand.txt"
		if python3 - "$TMP/s.json" "$TMP/hand.txt" "$key" <<'PY'; then
import json, sys
got = json.load(open(sys.argv[1]))
key = sys.argv[3]
hand = []
for line in open(sys.argv[2]):
    n, act, num, size, per, slabs, cache = line.split()
    hand.append(dict(name=n, active_objs=int(act), num_objs=int(num), objsize=int(size),
                     objperslab=int(per), num_slabs=int(slabs), cache_size=int(cache)))
def use(c):
    return c["active_objs"] * 1000000 // c["num_objs"] if c["num_objs"] else 0
k = {"a": lambda c: c["active_objs"], "c": lambda c: c["cache_size"],
     "l": lambda c: c["num_slabs"], "o": lambda c: c["num_objs"],
     "p": lambda c: c["objperslab"], "s": lambda c: c["objsize"], "u": use}
if key == "n":
    hand.sort(key=lambda c: c["name"].encode())
else:
    hand.sort(key=lambda c: (-k[key](c), c["name"].encode()))
fields = ("name", "active_objs", "num_objs", "objsize", "objperslab", "num_slabs", "cache_size")
mine = [tuple(c[f] for f in fields) for c in got["caches"]]
theirs = [tuple(c[f] for f in fields) for c in hand]
assert mine == theirs, [x for x in zip(mine, theirs) if x[0] != x[1]][:3]
t = got["totals"]
assert t["caches"] == len(hand)
assert t["num_objs"] == sum(c["num_objs"] for c in hand)
assert t["active_objs"] == sum(c["active_objs"] for c in hand)
assert t["num_slabs"] == sum(c["num_slabs"] for c in hand)
assert t["cache_size"] == sum(c["cache_size"] for c in hand)
assert t["total_size"] == sum(c["num_objs"] * c["objsize"] for c in hand)
PY
			:
		else
			bad "$label --sort $key differs from the file worked out by hand"
			return
		fi
	done
	ok "$label: every cache and size as computed by hand, all 8 sort keys"
}
check_slab "$DATA/proc-cache" "fixture slabinfo"
if [ -r /proc/slabinfo ] && cat /proc/slabinfo >"$TMP/live-slabinfo" 2>/dev/null; then
	mkdir -p "$TMP/live"
	mv "$TMP/live-slabinfo" "$TMP/live/slabinfo"
	check_slab "$TMP/live" "this machine's /proc/slabinfo"
	# and straight from /proc: the same caches (their counts move, their names do not)
	if ! "$HW" host --slab --sort n --format json >"$TMP/lv.json" 2>"$TMP/lv.err"; then
		bad "live --slab: $(cat "$TMP/lv.err")"
	elif python3 - "$TMP/lv.json" <<'PY'; then
import json, sys
got = sorted(c["name"] for c in json.load(open(sys.argv[1]))["caches"])
names = sorted(l.split()[0] for l in open("/proc/slabinfo").read().splitlines()[2:])
assert got == names, set(got) ^ set(names)
PY
		ok "live --slab lists the caches of /proc/slabinfo"
	else
		bad "live --slab names differ from /proc/slabinfo"
	fi
else
	echo "skip /proc/slabinfo is not readable here (root only): live slab check not run"
fi

# nothing readable: exit 2, the reason on stderr, nothing on stdout
if run noslab 2 host --slab --proc proc-leak && [ ! -s "$TMP/noslab.out" ] &&
	grep -q "proc-leak/slabinfo" "$TMP/noslab.err"; then
	ok "no slabinfo: exit 2 with the reason"
else
	bad "no slabinfo: $(cat "$TMP/noslab.err")"
fi
run nodir 2 host --proc /nonexistent-heapwalk && ok "a missing --proc dir: exit 2"

# colour: never by default into a pipe, always on request, NO_COLOR honoured on a terminal
esc=$(printf '\033[')
run c1 0 host --proc proc-leak && ! grep -qF "$esc" "$TMP/c1.out" && ok "no colour into a pipe" ||
	bad "colour into a pipe"
run c2 0 host --proc proc-leak --color always && grep -qF "$esc" "$TMP/c2.out" &&
	ok "--color always colours" || bad "--color always"
run c3 0 host --proc proc-leak --color never && cmp -s "$TMP/c1.out" "$TMP/c3.out" &&
	ok "--color never" || bad "--color never"
# without colour codes, --color always prints the same text
sed 's/\x1b\[[0-9;]*m//g' "$TMP/c2.out" >"$TMP/c2.plain"
cmp -s "$TMP/c2.plain" "$TMP/c1.out" && ok "colour adds nothing but escapes" || bad "colour changes the text"
if command -v script >/dev/null 2>&1; then
	(cd "$DATA" && TERM=xterm script -qec "'$HW' host --proc proc-leak" /dev/null) >"$TMP/tty.out" 2>&1
	(cd "$DATA" && TERM=xterm NO_COLOR=1 script -qec "'$HW' host --proc proc-leak" /dev/null) >"$TMP/ttyn.out" 2>&1
	(cd "$DATA" && TERM=xterm NO_COLOR=1 script -qec "'$HW' host --proc proc-leak --color always" /dev/null) >"$TMP/ttya.out" 2>&1
	if grep -qF "$esc" "$TMP/tty.out" && ! grep -qF "$esc" "$TMP/ttyn.out" &&
		grep -qF "$esc" "$TMP/ttya.out"; then
		ok "on a terminal: colour by default, none with NO_COLOR, --color always wins"
	else
		bad "colour on a terminal / NO_COLOR"
	fi
else
	echo "skip script(1) missing: terminal colour check not run"
fi

# usage errors: exit 64, one line
for args in "host --sort c" "host --top 3" "host --slab --sort x" "host --slab --sort cc" \
	"host --color sometimes" "host --core x" "host --format csv" "stats --core x --max-core-size 12Q" \
	"stats --core x --slab"; do
	rc=0
	# shellcheck disable=SC2086
	"$HW" $args >"$TMP/u.out" 2>"$TMP/u.err" || rc=$?
	if [ $rc = 64 ] && [ "$(wc -l <"$TMP/u.err")" = 1 ] && [ ! -s "$TMP/u.out" ]; then
		ok "usage: heapwalk $args -> $(cat "$TMP/u.err")"
	else
		bad "usage: heapwalk $args: exit $rc"
	fi
done

finish
