#!/bin/bash
# `heapwalk summary --by module` against Kamailio's own per-module figures
# (kex's RPC mod.stats / mod.mem_statsx) on an idle Debian kamailio:
#  - shm: `summary --by module --pool shm --pid MAIN` has, for every module,
#    the bytes of `kamcmd mod.stats all shm` and the fragment count of
#    `kamcmd mod.mem_statsx all shm`; modules mod.stats lists with 0 bytes
#    (they only hold pkg) are not in heapwalk's table;
#  - pkg: the same for `mod.stats all pkg`, which walks the pkg of the
#    process that runs the RPC: the ctl handler of `kamcmd core.psx`, read
#    with `summary --by module --pool pkg --pid CTL`;
#  - the table's totals are the pool's used fragments and bytes, and the
#    text and csv forms carry the same groups.
# An idle instance still runs timers: when Kamailio's two answers around
# heapwalk's read differ, the round is repeated (at most 5 times).
#
#   run-modstats.sh --manager qm|fm|tlsf HEAPWALK
#
# Exit 0 pass, 1 fail, 77 skip (no kamailio/kamcmd/python3, a build without
# DBG_SR_MEMORY, or no ptrace; HW_E2E_REQUIRE=1 turns a skip into a failure).
# KEEP_TMP=1 keeps the work directory. KAMAILIO, KAMCMD, KAMAILIO_MODDIR as
# in run-e2e.sh.

set -u
set -o pipefail

MGR=qm
if [ "${1:-}" = --manager ]; then
	MGR=${2:-}
	shift 2
fi
HW=${1:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# KAMAILIO, KAMCMD, MODDIR, PYTHON, and kamailio_start/kamailio_stop
. "$HERE/lib-kamailio.sh"

log() { printf 'modstats-%s: %s\n' "$MGR" "$*" >&2; }
NFAIL=0
pass() { log "ok: $*"; }
fail() { NFAIL=$((NFAIL + 1)); log "FAIL: $*"; }
die() { log "FAIL: $*"; exit 1; }
skip() {
	if [ "${HW_E2E_REQUIRE:-0}" = 1 ]; then die "(HW_E2E_REQUIRE=1, would skip) $*"; fi
	log "SKIP: $*"
	exit 77
}

case "$MGR" in qm | fm | tlsf) ;; *) echo "usage: $0 --manager qm|fm|tlsf HEAPWALK" >&2; exit 64 ;; esac
[ -x "$HW" ] || die "no heapwalk at '$HW'"
[ -x "$KAMAILIO" ] || skip "kamailio not installed ($KAMAILIO)"
[ -x "$KAMCMD" ] || skip "kamcmd not installed"
command -v "$PYTHON" >/dev/null || skip "python3 not installed"
[ -d "$MODDIR" ] || skip "kamailio modules not found in $MODDIR"
"$KAMAILIO" -v 2>/dev/null | grep -Eq '^version: kamailio 5\.[678]\.' ||
	skip "this test expects kamailio 5.6 to 5.8"
"$KAMAILIO" -v 2>/dev/null | grep -q 'DBG_SR_MEMORY' ||
	skip "kamailio built without DBG_SR_MEMORY (mod.stats counts nothing)"

RUN=$(mktemp -d "${TMPDIR:-/tmp}/hw-modstats.XXXXXX") || exit 1
KPID=""
cleanup() {
	kamailio_stop
	if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

kamcmd_() { "$KAMCMD" -s "unixs:$RUN/kamailio_ctl" "$@"; }

kamailio_up "$RUN" "$MGR" 300 || die "kamailio -x $MGR did not start (above)"
CTL=$(awk '/PID:/{p=$2} /DSC: ctl handler/{print p}' "$RUN/psx.txt")
[ -n "$CTL" ] || die "no 'ctl handler' in core.psx"
log "kamailio $KPID (-x $MGR), ctl handler $CTL"

if ! "$HW" stats --pid "$KPID" --pool shm >/dev/null 2>"$RUN/probe.err"; then
	grep -qi 'not permitted\|already traced' "$RUN/probe.err" &&
		skip "heapwalk may not trace processes here: $(cat "$RUN/probe.err")"
	die "stats --pid failed: $(cat "$RUN/probe.err")"
fi

# compare POOL PID: Kamailio's figures before and after heapwalk's, one
# round; exit 0 equal, 1 different, 2 Kamailio's own two answers differ
compare() {
	local pool=$1 pid=$2 d=$RUN/$1
	kamcmd_ mod.stats all "$pool" >"$d.before" 2>&1 || return 1
	kamcmd_ mod.mem_statsx all "$pool" >"$d.x" 2>&1 || return 1
	"$HW" summary --by module --pool "$pool" --pid "$pid" --format json >"$d.json" 2>"$d.err" ||
		{ log "heapwalk exited $?: $(cat "$d.err")"; return 1; }
	kamcmd_ mod.stats all "$pool" >"$d.after" 2>&1 || return 1
	cmp -s "$d.before" "$d.after" || return 2
	"$PYTHON" - "$d" "$pool" <<'PY'
import json, re, sys
d, pool = sys.argv[1], sys.argv[2]

def modules(path):
    """Module -> the value of its Total line (mod.stats) or the per-site lines (statsx)."""
    out, cur = {}, None
    for line in open(path):
        m = re.match(r"^Module: (.*)$", line.rstrip("\n"))
        if m:
            cur = m.group(1)
            out.setdefault(cur, [])
        elif cur is not None and ":" in line:
            out[cur].append(line.strip())
    return out

total = {}
for mod, lines in modules(d + ".before").items():
    t = [int(l.split(":")[-1]) for l in lines if l.startswith("Total:")]
    if len(t) != 1:
        sys.exit("mod.stats: module %s has %d Total lines" % (mod, len(t)))
    total[mod] = t[0]
count = {}
for mod, lines in modules(d + ".x").items():
    # statsx: "func(line): SIZE (COUNT)" per site, then "Total: SIZE"
    count[mod] = sum(int(m.group(1)) for l in lines
                     for m in [re.search(r": \d+ \((\d+)\)$", l)] if m)
doc = json.load(open(d + ".json"))
p = [p for p in doc["pools"] if p["pool"] == pool][0]
hw = {g["module"]: g for g in p["groups"]}
kam = {m: b for m, b in total.items() if b}
bad = []
if set(hw) != set(kam):
    bad.append("modules: heapwalk %s, mod.stats (non-zero) %s" % (sorted(hw), sorted(kam)))
for m in sorted(set(hw) & set(kam)):
    if hw[m]["bytes"] != kam[m]:
        bad.append("%s: heapwalk %d bytes, mod.stats %d" % (m, hw[m]["bytes"], kam[m]))
    if hw[m]["count"] != count.get(m):
        bad.append("%s: heapwalk %d fragments, mod.mem_statsx %s" % (m, hw[m]["count"], count.get(m)))
if sum(g["bytes"] for g in p["groups"]) != p["used_bytes"] or \
        sum(g["count"] for g in p["groups"]) != p["used_frags"]:
    bad.append("the groups do not add up to used_bytes/used_frags")
if p["groups_total"] != len(p["groups"]):
    bad.append("groups_total %d, %d groups" % (p["groups_total"], len(p["groups"])))
if len(kam) < 2:
    bad.append("mod.stats names fewer than 2 modules: %s" % kam)
for b in bad:
    print(b, file=sys.stderr)
print("%d modules, %d bytes: %s" % (len(kam), sum(kam.values()),
      ", ".join("%s %d" % (m, kam[m]) for m in sorted(kam))))
sys.exit(1 if bad else 0)
PY
}

for spec in "shm $KPID" "pkg $CTL"; do
	set -- $spec
	rc=2
	for round in 1 2 3 4 5; do
		compare "$1" "$2" >"$RUN/$1.result" 2>"$RUN/$1.why"
		rc=$?
		[ $rc = 2 ] || break
		log "$1: mod.stats changed while heapwalk read (round $round); again"
		sleep 1
	done
	case $rc in
	0) pass "$1 of pid $2 equals mod.stats all $1: $(cat "$RUN/$1.result")" ;;
	2) fail "$1: mod.stats never answered the same twice in 5 rounds" ;;
	*) fail "$1 of pid $2 differs from mod.stats all $1: $(cat "$RUN/$1.why")" ;;
	esac
done

# the text and csv forms carry the same groups as the json
"$HW" summary --by module --pool shm --pid "$KPID" --format csv >"$RUN/shm.csv" 2>/dev/null
"$PYTHON" - "$RUN/shm.json" "$RUN/shm.csv" <<'PY' && pass "csv has the json's groups" || fail "csv and json differ"
import csv, json, sys
j = {g["module"]: (g["count"], g["bytes"]) for g in json.load(open(sys.argv[1]))["pools"][0]["groups"]}
c = {r["module"]: (int(r["count"]), int(r["bytes"])) for r in csv.DictReader(open(sys.argv[2]))}
sys.exit(0 if j == c and j else 1)
PY
"$HW" summary --by module --pool shm --pid "$KPID" >"$RUN/shm.txt" 2>/dev/null
if grep -Eq '^ +[0-9]+ +[0-9.]+ (B|KiB|MiB) +[0-9.]+% +[0-9]+  tm$' "$RUN/shm.txt"; then
	pass "text names tm with a human size"
else
	fail "text: no 'tm' row with a human size: $(cat "$RUN/shm.txt")"
fi

# a grouping Kamailio's own format cannot show is refused with one line
"$HW" summary --by module --format kamailio --pid "$KPID" >/dev/null 2>"$RUN/usage.err"
rc=$?
if [ $rc = 64 ] && [ "$(wc -l <"$RUN/usage.err")" = 1 ] && grep -q -- '--by module' "$RUN/usage.err"; then
	pass "--by module --format kamailio: exit 64, one line"
else
	fail "--by module --format kamailio: exit $rc: $(cat "$RUN/usage.err")"
fi

[ "$NFAIL" = 0 ] || die "$NFAIL check(s) failed"
log "PASS"
