#!/bin/bash
# run-schema.sh - doc/heapwalk.schema.json: every command's --format json on
# a fixture core matches it (through heapwalk-checked, which exits 70 when
# a document does not), and documents that break it are refused.
#
# usage: run-schema.sh HEAPWALK_CHECKED FIXTURE CHECK_JSON SCHEMA
HW=$1
FX=$2
CHECK=$3
SCHEMA=$4
. "$(dirname "$0")/../fixtures/lib.sh"

start_fixture "$FX" --seed 23
dump_core "$FX_PID" "$TMP/core"
C=$CORE

# json NAME ARGS...: heapwalk ARGS --format json, checked; exit 0 or 1 (findings) is fine
json() {
	local name=$1 rc=0
	shift
	"$HW" "$@" --format json >"$TMP/$name.json" 2>"$TMP/$name.err" || rc=$?
	if [ $rc -le 1 ] && [ -s "$TMP/$name.json" ]; then
		ok "$name: matches the schema"
	else
		bad "$name: exit $rc: $(head -5 "$TMP/$name.err")"
	fi
}
json info info --core "$C"
json stats stats --core "$C"
json stats-request stats --core "$C" --request 4096
json summary summary --core "$C"
json summary-module summary --core "$C" --by module
json summary-function summary --core "$C" --by function --top 3
json summary-size summary --core "$C" --by size
json summary-all-file summary --core "$C" --all --by file
json frags frags --core "$C" --pool pkg --to 50
json check check --core "$C"
json leaks leaks --core "$C" --pool pkg
a=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pools"][0]["fragments"][7]["address"])' "$TMP/frags.json")
json addr addr "$a" --core "$C"
json refs refs "$a" --core "$C"
json all stats --core "$C" --all
json diff diff "$C" "$C"
json diagnose diagnose --core "$C"
json host host
json live stats --pid "$FX_PID" --pool pkg
stop_fixture

# broken documents are refused (the checker is not a rubber stamp)
/usr/bin/python3 - "$TMP" <<'PY'
import json, sys
tmp = sys.argv[1]
d = json.load(open(tmp + "/stats.json"))
cases = {
    "version": dict(d, format_version=2),
    "nopools": {k: v for k, v in d.items() if k != "pools"},
    "address": json.loads(json.dumps(d).replace('"block": "0x', '"block": "zz', 1)),
    "state": json.loads(json.dumps(json.load(open(tmp + "/frags.json"))).replace('"state": "used"', '"state": "busy"', 1)),
    "severity": dict(json.load(open(tmp + "/check.json")), pools=[{"pool": "pkg", "manager": "q_malloc", "walked": True, "frags": {}, "walk_complete": True, "skipped": [], "free_list_elements": 0, "site_pointers_checked": 0, "errors": 1, "warnings": 0, "findings_total": 1, "findings": [{"severity": "fatal", "address": "0x10", "message": "x"}]}]),
}
for name, doc in cases.items():
    json.dump(doc, open("%s/bad-%s.json" % (tmp, name), "w"))
PY
for b in version nopools address state severity; do
	rc=0
	/usr/bin/python3 "$CHECK" "$SCHEMA" "$TMP/bad-$b.json" 2>"$TMP/bad.err" || rc=$?
	[ $rc = 1 ] && ok "a document with a broken $b is refused: $(head -1 "$TMP/bad.err")" ||
		bad "a document with a broken $b: checker exit $rc"
done
finish
