#!/bin/bash
# run-cli.sh - the CLI contract on a fixture core: usage errors, exit codes,
# and the JSON, CSV and text formats agreeing with the Kamailio-format output.
#
# usage: run-cli.sh HEAPWALK FIXTURE
HW=$1
FX=$2
. "$(dirname "$0")/../fixtures/lib.sh"

# usage errors: exit 64 and exactly one line on stderr, nothing on stdout
usage_case() {
	local rc=0
	"$HW" "$@" >"$TMP/u.out" 2>"$TMP/u.err" || rc=$?
	if [ "$rc" = 64 ] && [ "$(wc -l <"$TMP/u.err")" = 1 ] && [ ! -s "$TMP/u.out" ]; then
		ok "usage: heapwalk $* -> $(cat "$TMP/u.err")"
	else
		bad "usage: heapwalk $*: exit $rc, $(wc -l <"$TMP/u.err") stderr lines"
	fi
}
usage_case
usage_case bogus
usage_case stats
usage_case stats --core
usage_case stats --core x --pool foo
usage_case stats --core x --format yaml
usage_case info --core x --format csv
usage_case summary --core x --top 0
usage_case summary --core x --sort size
usage_case summary --core x --by modules
usage_case summary --core x --by module --format kamailio
usage_case summary --core x --by size --format prometheus
usage_case summary --core x --by function --classify
usage_case stats --core x --by module
usage_case frags --core x --used --free
usage_case frags --core x --from 10 --to 5
usage_case frags --core x --min-size 12k
usage_case stats --core x --top 5
usage_case stats --core x stray
usage_case stats --nonsense
usage_case stats --core x --layout bogus

rc=0
"$HW" stats --help >"$TMP/h.out" 2>&1 || rc=$?
if [ $rc = 0 ] && grep -q -- '--core FILE' "$TMP/h.out"; then ok "stats --help"; else bad "stats --help: exit $rc"; fi

start_fixture "$FX" --seed 5
dump_core "$FX_PID" "$TMP/core"
stop_fixture
C=$CORE

run() { # run NAME WANT-RC ARGS... ; output in $TMP/NAME.out
	local name=$1 want=$2 rc=0
	shift 2
	"$HW" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
	if [ "$rc" != "$want" ]; then
		bad "$name: exit $rc, want $want: $(head -3 "$TMP/$name.err")"
		return 1
	fi
	return 0
}

# -o naming an input: a usage error, and the input is left as it was
cp "$C" "$TMP/input.core"
usage_case report --core "$TMP/input.core" -o "$TMP/input.core"
usage_case map --core "$TMP/input.core" --output "$TMP/../$(basename "$TMP")/input.core"
usage_case report "$TMP/input.core" "$C" -o "$C"
cmp -s "$C" "$TMP/input.core" && ok "the inputs named by -o are unchanged" ||
	bad "an input named by -o was written over"

# a FIFO (or any other non-file) as an input: refused at once, never read (it would block)
mkfifo "$TMP/fifo"
for args in "diff $TMP/fifo $C" "diff $C $TMP/fifo" "diagnose --core $C --baseline $TMP/fifo" \
	"stats --core $TMP/fifo"; do
	rc=0
	# shellcheck disable=SC2086
	timeout 60 "$HW" $args >/dev/null 2>"$TMP/fifo.err" || rc=$?
	if [ $rc = 2 ] && grep -q "$TMP/fifo: not a regular file" "$TMP/fifo.err"; then
		ok "heapwalk $args: exit 2, $(cat "$TMP/fifo.err")"
	else
		bad "heapwalk $args: exit $rc (124: it hung), $(head -2 "$TMP/fifo.err")"
	fi
done

# an input that is missing or not heapwalk's: exit 2, said, nothing leaked (the ASan
# build turns a leak on these error paths into another exit code)
echo '{}' >"$TMP/other.json"
for args in "diagnose --core $C --baseline $TMP/missing" "diagnose --core $C --baseline $TMP/other.json" \
	"diff $TMP/missing $C" "diff $C $TMP/other.json" "report $TMP/missing $C -o $TMP/r.html"; do
	rc=0
	# shellcheck disable=SC2086
	"$HW" $args >/dev/null 2>"$TMP/in.err" || rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$TMP/in.err")" = 1 ] && ok "heapwalk $args: exit 2, $(cat "$TMP/in.err")" ||
		bad "heapwalk $args: exit $rc, $(head -3 "$TMP/in.err")"
done

# a full disk: every format says so on stderr and exits 2 (heapwalk itself,
# not tests/lib/heapwalk-checked, which would write the JSON through a file)
REAL=$(sed -n "s/^real='\(.*\)'$/\1/p" "$HW" 2>/dev/null)
REAL=${REAL:-$HW}
for f in text json csv kamailio; do
	rc=0
	"$REAL" stats --core "$C" --format $f >/dev/full 2>"$TMP/full.err" || rc=$?
	if [ $rc = 2 ] && [ "$(cat "$TMP/full.err")" = "heapwalk: stats: cannot write the output" ]; then
		ok "--format $f to a full disk: exit 2, said"
	else
		bad "--format $f to a full disk: exit $rc, $(head -2 "$TMP/full.err")"
	fi
done

# JSON: valid, versioned, and the same numbers as Kamailio's own format
if run sj 0 stats --core "$C" --format json && run sk 0 stats --core "$C" --format kamailio &&
	run mj 0 summary --core "$C" --format json && run fj 0 frags --core "$C" --format json &&
	run fc 0 frags --core "$C" --format csv && run ij 0 info --core "$C" --format json; then
	if python3 - "$TMP" <<'PY'
import json, re, sys, csv
d = sys.argv[1]
sj = json.load(open(d + "/sj.out"))
mj = json.load(open(d + "/mj.out"))
fj = json.load(open(d + "/fj.out"))
ij = json.load(open(d + "/ij.out"))
for doc, cmd in ((sj, "stats"), (mj, "summary"), (fj, "frags"), (ij, "info")):
    assert doc["format_version"] == 1, doc["format_version"]
    assert doc["command"] == cmd
    assert [p["pool"] for p in doc["pools"]] == ["pkg", "shm"]
# kamailio stats lines, pkg then shm
k = open(d + "/sk.out").read()
heads = re.findall(r"\((0x[0-9a-f]+)\):\nheap size= (\d+)\nused= (\d+), used\+overhead=(\d+), free=(\d+)\nmax used \(\+overhead\)= (\d+)\n", k)
assert len(heads) == 2, k
for p, h in zip(sj["pools"], heads):
    assert p["block"] == h[0] and p["manager"] == "q_malloc" and p["walked"]
    assert [p["heap_size"], p["used"], p["real_used"], p["free"], p["max_real_used"]] == [int(x) for x in h[1:]]
    assert p["frags"]["free"] == p["frags"]["free_counter"]
    assert p["walk_complete"] is True and p["findings_total"] == 0
    assert p["used_bytes_walked"] == p["used"]
for p, q, f in zip(sj["pools"], mj["pools"], fj["pools"]):
    assert q["sites_available"] is True
    assert sum(s["count"] for s in q["sites"]) == p["frags"]["used"]
    assert sum(s["bytes"] for s in q["sites"]) == p["used"]
    assert all(s["file"] and s["func"] and s["module"] for s in q["sites"])
    bys = [s["bytes"] for s in q["sites"]]
    assert bys == sorted(bys, reverse=True)
    fr = f["fragments"]
    assert len(fr) == p["frags"]["total"]
    assert [x["index"] for x in fr] == list(range(len(fr)))
    assert sum(x["size"] for x in fr if x["state"] == "used") == p["used"]
rows = list(csv.DictReader(open(d + "/fc.out")))
assert len(rows) == sum(p["frags"]["total"] for p in sj["pools"])
assert {r["pool"] for r in rows} == {"pkg", "shm"}
for r, x in zip(rows, fj["pools"][0]["fragments"]):
    assert r["address"] == x["address"] and int(r["size"]) == x["size"] and r["file"] == x["file"]
print("json/csv agree with kamailio format: %d fragments, %d sites" % (len(rows), sum(len(q["sites"]) for q in mj["pools"])))
PY
	then ok "json and csv agree with the kamailio format"; else bad "json/csv check"; fi
fi

# prometheus: well-formed exposition, the same numbers as JSON
if run pm 0 summary --core "$C" --format prometheus --top 5; then
	if python3 - "$TMP" <<'PY'
import json, re, sys
d = sys.argv[1]
st = json.load(open(d + "/sj.out"))
lines = open(d + "/pm.out").read().splitlines()
typed, seen = set(), {}
for ln in lines:
    if ln.startswith("# HELP "):
        continue
    if ln.startswith("# TYPE "):
        name, kind = ln.split()[2:4]
        assert kind == "gauge" and name not in typed, ln
        typed.add(name)
        continue
    m = re.fullmatch(r'([a-z_]+)\{((?:[a-z_]+="(?:[^"\\]|\\.)*",?)*)\} (\d+)', ln)
    assert m, ln
    assert m.group(1) in typed, ("sample before TYPE", ln)
    labels = dict(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2)))
    seen.setdefault(m.group(1), []).append((labels, int(m.group(3))))
for p in st["pools"]:
    def val(metric):
        return [v for l, v in seen[metric] if l["pool"] == p["pool"]][0]
    assert val("heapwalk_pool_size_bytes") == p["heap_size"]
    assert val("heapwalk_pool_used_bytes") == p["used"]
    assert val("heapwalk_pool_free_bytes") == p["free"]
    assert val("heapwalk_pool_used_fragments") == p["frags"]["used"]
sites = seen["heapwalk_site_bytes"]
assert len(sites) == 10 and all(l["file"] and l["func"] and l["line"] for l, v in sites)
print("prometheus: %d metrics, %d site samples" % (len(typed), len(sites)))
PY
	then ok "prometheus exposition agrees with JSON"; else bad "prometheus exposition"; fi
fi

# frags filters: --from/--to, --used, --min-size, --site
if run f1 0 frags --core "$C" --pool pkg --format csv --from 100 --to 199 &&
	run f2 0 frags --core "$C" --pool pkg --format csv --used --min-size 1000 &&
	run f3 0 frags --core "$C" --pool shm --format csv --site build_cell &&
	run f4 0 frags --core "$C" --pool pkg --format csv --free; then
	if python3 - "$TMP" <<'PY'
import csv, sys
d = sys.argv[1]
f1 = list(csv.DictReader(open(d + "/f1.out")))
assert [int(r["index"]) for r in f1] == list(range(100, 200)), len(f1)
f2 = list(csv.DictReader(open(d + "/f2.out")))
assert f2 and all(r["state"] == "used" and int(r["size"]) >= 1000 for r in f2)
f3 = list(csv.DictReader(open(d + "/f3.out")))
assert f3 and all("build_cell" in r["func"] or "build_cell" in r["file"] for r in f3)
f4 = list(csv.DictReader(open(d + "/f4.out")))
assert f4 and all(r["state"] == "free" for r in f4)
print("filters: %d %d %d %d rows" % (len(f1), len(f2), len(f3), len(f4)))
PY
	then ok "frags filters"; else bad "frags filters"; fi
fi

# summary --top and --sort
if run t1 0 summary --core "$C" --pool pkg --format csv --top 3 --sort count; then
	if [ "$(tail -n +2 "$TMP/t1.out" | wc -l)" = 3 ] &&
		tail -n +2 "$TMP/t1.out" | cut -d, -f2 | sort -c -n -r 2>/dev/null; then
		ok "summary --top 3 --sort count"
	else
		bad "summary --top 3 --sort count: $(cat "$TMP/t1.out")"
	fi
fi

# summary --by: the groups and the size buckets add up to the sites of the plain summary
if run bs 0 summary --core "$C" --format csv && run bm 0 summary --core "$C" --format csv --by module &&
	run bf 0 summary --core "$C" --format csv --by function &&
	run bz 0 summary --core "$C" --format csv --by size; then
	if /usr/bin/python3 - "$TMP" <<'PY'; then
import collections, csv, sys
t = sys.argv[1]
rows = lambda n: list(csv.DictReader(open("%s/%s.out" % (t, n))))
def add(d, k, c, b):
    d[k] = (d.get(k, (0, 0))[0] + int(c), d.get(k, (0, 0))[1] + int(b))
mod, fun, siz = {}, {}, {}
for r in rows("bs"):
    add(mod, (r["pool"], r["module"]), r["count"], r["bytes"])
    add(fun, (r["pool"], r["module"], r["func"]), r["count"], r["bytes"])
    add(siz, (r["pool"], r["file"], r["func"], r["line"]), r["count"], r["bytes"])
bm = {(r["pool"], r["module"]): (int(r["count"]), int(r["bytes"])) for r in rows("bm")}
bf = {(r["pool"], r["module"], r["function"]): (int(r["count"]), int(r["bytes"])) for r in rows("bf")}
bz = {}
for r in rows("bz"):
    assert int(r["min_size"]) <= int(r["bytes"]) // int(r["count"]) <= int(r["max_size"]), r
    add(bz, (r["pool"], r["file"], r["func"], r["line"]), r["count"], r["bytes"])
ok = mod == bm and fun == bf and siz == bz and len(bm) >= 2
print(len(bm), "modules,", len(bf), "functions,", len(bz), "sites")
sys.exit(0 if ok else 1)
PY
		ok "summary --by module/function/size add up to the sites"
	else
		bad "summary --by module/function/size do not add up to the sites"
	fi
fi
if run bt 0 summary --core "$C" --pool shm --by module &&
	grep -Eq '^ +count +bytes +% +sites +module$' "$TMP/bt.out" &&
	grep -Eq '^ +[0-9]+ +[0-9.]+ (B|KiB|MiB) +[0-9.]+% +[0-9]+  [a-z_-]+$' "$TMP/bt.out"; then
	ok "summary --by module: text with human sizes"
else
	bad "summary --by module text: $(head -8 "$TMP/bt.out")"
fi

# text formats name the pool, the manager and the layout
if run tx 0 stats --core "$C" && grep -q "^pkg pool: q_malloc" "$TMP/tx.out" &&
	grep -q "^shm pool: q_malloc" "$TMP/tx.out" && grep -q "complete" "$TMP/tx.out"; then
	ok "text stats"
else
	bad "text stats: $(head -5 "$TMP/tx.out")"
fi

# a damaged heap: overwrite one start pattern in a copy of the core -> exit 1 with the finding
python3 - "$C" "$TMP/damaged.core" <<'PY'
import sys, struct
src, dst = sys.argv[1], sys.argv[2]
data = bytearray(open(src, "rb").read())
pat = struct.pack("<Q", 0xf0f0f0f0)
# the 20th occurrence of the start pattern lies in a fragment header well inside a pool
i = -1
for _ in range(20):
    i = data.index(pat, i + 1)
data[i:i + 8] = struct.pack("<Q", 0x4141414141414141)
open(dst, "wb").write(data)
PY
rc=0
"$HW" stats --core "$TMP/damaged.core" --exe "$FX" >"$TMP/d.out" 2>"$TMP/d.err" || rc=$?
if [ $rc = 1 ] && grep -q "start pattern 0x4141414141414141" "$TMP/d.out"; then
	ok "damaged heap: exit 1, finding named"
else
	bad "damaged heap: exit $rc: $(grep -i -m3 'pattern\|error' "$TMP/d.out")"
fi

# a pool walked in two halves on two threads gives exactly the one-thread output
for core in "$C" "$TMP/damaged.core"; do
	for cmd in stats summary; do
		HEAPWALK_THREADS=1 "$HW" $cmd --core "$core" --exe "$FX" --format json >"$TMP/t1.out" 2>&1
		HEAPWALK_SPLIT_MIN=0 "$HW" $cmd --core "$core" --exe "$FX" --format json >"$TMP/t2.out" \
			2>"$TMP/t2.err"
		if cmp -s "$TMP/t1.out" "$TMP/t2.out" && grep -q '"largest_free"\|"sites"' "$TMP/t1.out" &&
			grep -q 'shm pool: split at 0x[0-9a-f]*, the halves met' "$TMP/t2.err"; then
			ok "$cmd split in two: same output ($(basename "$core"))"
		else
			bad "$cmd split in two differs ($(basename "$core")): $(diff "$TMP/t1.out" "$TMP/t2.out" | head -5)"
		fi
	done
done

finish
