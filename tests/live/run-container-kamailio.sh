#!/bin/bash
# heapwalk on Debian's kamailio running in a container: its own mount and
# pid namespaces (unshare), chrooted into a root copied into a temporary
# directory, the executable at a path that does not exist on this machine
# (/opt/kam-in-container/sbin/kamailio), its modules beside it. Without
# --sysroot:
#   - `info --pid` reads the executable through /proc/PID/root and names
#     the pid the process has in its namespace (1 for the main process);
#   - `stats --pid MAIN --all` finds every process pt[] lists (pt[] holds
#     the container's pids), each labelled, every pkg walk complete and
#     used == the sum of the used fragments;
#   - at one stop (SIGSTOP), every pool equals that of heapwalk's snapshot
#     file, which names the files by the container's paths as a core dumped
#     in the container does, read with --sysroot pointing at the container's
#     root (and not found without it), and shm and pkg equal gdb's gcore;
#   - `host` lists the instance under its container, with the container's pids;
#   - started again with pivot_root (a root of its own, as container runtimes
#     do: /proc then names the container's paths), info, stats --all and host.
#
#   run-container-kamailio.sh HEAPWALK
#
# Exit 0 pass, 1 fail, 77 skip. Skips: not root, unshare or chroot refused
# (a container runtime without CAP_SYS_ADMIN), no ptrace, no python3 or
# kamcmd. HW_E2E_REQUIRE=1 turns only "kamailio is not installed" into a
# failure: that is what CI installs; the others depend on where the suite
# runs and stay skips. KEEP_TMP=1 keeps the work directory. KAMAILIO,
# KAMCMD, KAMAILIO_MODDIR as in tests/e2e.

set -u
set -o pipefail

HW=$1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
E2E=$HERE/../e2e
# KAMAILIO, KAMCMD, MODDIR, PYTHON, and kamailio_start/kamailio_stop
. "$E2E/lib-kamailio.sh"
GCORE=${GCORE:-$(command -v gcore || true)}
# where the container has its kamailio: nowhere on this machine
KDIR=/opt/kam-in-container
MODULES="ctl cfg_rpc corex kex tm sl pv xlog usrloc registrar htable"

log() { printf 'container-kamailio: %s\n' "$*" >&2; }
NFAIL=0
NPASS=0
pass() { NPASS=$((NPASS + 1)); log "ok: $*"; }
fail() { NFAIL=$((NFAIL + 1)); log "FAIL: $*"; }
die() { log "FAIL: $*"; exit 1; }
skip() { log "SKIP: $*"; exit 77; }
missing() { # kamailio itself missing: a failure where CI must have it
	if [ "${HW_E2E_REQUIRE:-0}" = 1 ]; then die "(HW_E2E_REQUIRE=1) $*"; fi
	skip "$*"
}

[ -x "$HW" ] || die "no heapwalk at $HW"
[ -x "$KAMAILIO" ] || missing "kamailio not installed ($KAMAILIO)"
[ -d "$MODDIR" ] || missing "kamailio modules not found in $MODDIR"
"$KAMAILIO" -v 2>/dev/null | grep -Eq '^version: kamailio 5\.[678]\.' ||
	skip "this test expects kamailio 5.6 to 5.8"
[ -x "$KAMCMD" ] || skip "kamcmd not installed"
command -v "$PYTHON" >/dev/null || skip "python3 not installed"
[ "$(id -u)" = 0 ] || skip "not root: unshare --mount --pid and chroot need root"
command -v unshare >/dev/null && command -v chroot >/dev/null || skip "no unshare or chroot"
[ -e "$KDIR" ] && skip "$KDIR exists on this machine: the test needs a path only the container has"
unshare --mount --pid --fork --kill-child --mount-proc true 2>/dev/null ||
	skip "unshare --mount --pid is not permitted here (a container without CAP_SYS_ADMIN?)"

RUN=$(mktemp -d "${TMPDIR:-/tmp}/hw-cont-kam.XXXXXX") || exit 1
ROOT=$RUN/root
UPID=""
KPID=""
cleanup() {
	declare -F stop_container >/dev/null && stop_container
	if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $RUN"; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---- the container's root: kamailio, its modules, their libraries, the config --------
copy_file() { # FILE: into the root at its own path, symlinks followed
	mkdir -p "$ROOT$(dirname "$1")" && cp -L "$1" "$ROOT$1"
}
copy_libs() { # ELF: the libraries ldd names, at their own paths
	local lib
	for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
		[ -e "$ROOT$lib" ] || copy_file "$lib" || return 1
	done
}
mkdir -p "$ROOT$KDIR/sbin" "$ROOT$KDIR/modules" "$ROOT/run/kam" "$ROOT/dev" "$ROOT/proc" "$ROOT/tmp" ||
	die "cannot make $ROOT"
cp -L "$KAMAILIO" "$ROOT$KDIR/sbin/kamailio" && copy_libs "$KAMAILIO" || die "cannot copy kamailio"
for m in $MODULES; do
	cp -L "$MODDIR/$m.so" "$ROOT$KDIR/modules/" && copy_libs "$MODDIR/$m.so" ||
		die "cannot copy module $m"
done
sed "s|^mpath=.*|mpath=\"$KDIR/modules/\"|" "$E2E/kamailio.cfg" >"$ROOT$KDIR/kamailio.cfg" || exit 1
grep -q "^mpath=\"$KDIR/modules/\"" "$ROOT$KDIR/kamailio.cfg" || die "no mpath line in kamailio.cfg"
# device files: bound over empty files inside the namespace, never created here
for d in null zero urandom random; do : >"$ROOT/dev/$d"; done

# ---- start it: unshare, /dev and /proc of the namespace, chroot or pivot_root ----------
# chroot: /proc names its files by our paths (ROOT/opt/...); pivot_root, as
# container runtimes do, makes the root a mount of its own: /proc names them
# by the container's paths (/opt/...) and its root "/".
mkdir -p "$ROOT/.old"
start_container() { # chroot|pivot_root: sets UPID, KPID, PORT, NSPIDS, NPROC; RUN/psx.txt
	local how=$1 c
	PORT=$("$PYTHON" "$E2E/sipsend.py" freeport) || die "no free port"
	: >"$RUN/psx.txt"
	rm -f "$CTL"
	# --kill-child: whatever happens to this script, the namespace dies with unshare
	env -u MALLOC_PERTURB_ unshare --mount --pid --fork --kill-child --mount-proc \
		--propagation private /bin/sh -c '
			how=$1 root=$2; shift 2
			if [ "$how" = pivot_root ]; then mount --bind "$root" "$root" || exit 1; fi
			for d in null zero urandom random; do
				mount --bind "/dev/$d" "$root/dev/$d" || exit 1
			done
			mount -t proc proc "$root/proc" || exit 1
			[ "$how" = chroot ] && exec chroot "$root" "$@"
			cd "$root" && pivot_root . .old && exec "$@"' sh "$how" "$ROOT" \
		"$KDIR/sbin/kamailio" -f "$KDIR/kamailio.cfg" -x qm -X qm -M 4 -m 16 -DD -E \
		-Y /run/kam -P /run/kam/kamailio.pid -A "HW_PORT=$PORT" \
		-A 'HW_CTL="unix:/run/kam/kamailio_ctl"' -A HW_HTSIZE=1500 \
		</dev/null >"$RUN/kamailio.stdout" 2>"$RUN/kamailio.log" &
	UPID=$!
	KPID=""
	for _ in $(seq 200); do
		kill -0 "$UPID" 2>/dev/null || break
		if [ -z "$KPID" ]; then
			for c in $(pgrep -P "$UPID"); do
				case $(readlink "/proc/$c/exe") in
				"$ROOT$KDIR/sbin/kamailio" | "$KDIR/sbin/kamailio") KPID=$c ;;
				esac
			done
		fi
		if [ -n "$KPID" ] && [ -S "$CTL" ] && kamcmd_ core.psx >"$RUN/psx.txt" 2>/dev/null &&
			grep -q 'DSC: ctl handler' "$RUN/psx.txt" &&
			grep -q 'DSC: udp receiver child=1' "$RUN/psx.txt"; then
			break
		fi
		sleep 0.1
	done
	grep -q 'DSC: udp receiver child=1' "$RUN/psx.txt" 2>/dev/null || {
		tail -n 30 "$RUN/kamailio.log" >&2
		die "kamailio did not start in its namespace ($how)"
	}
	NSPIDS=$(awk '/PID:/{print $2}' "$RUN/psx.txt" | sort -n | tr '\n' ' ')
	NPROC=$(echo $NSPIDS | wc -w)
}
stop_container() {
	if [ -n "$KPID" ]; then
		kill -CONT $(pgrep -P "$KPID") "$KPID" 2>/dev/null
		# the main process is the namespace's init: when it ends, the namespace ends
		kill -TERM "$KPID" 2>/dev/null
		for _ in $(seq 150); do kill -0 "$KPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$KPID" 2>/dev/null
	fi
	if [ -n "$UPID" ]; then
		kill -KILL $(pgrep -P "$UPID") "$UPID" 2>/dev/null
		wait "$UPID" 2>/dev/null
	fi
	KPID=""
	UPID=""
}
CTL="$ROOT/run/kam/kamailio_ctl"
kamcmd_() { "$KAMCMD" -s "unixs:$CTL" "$@"; }
start_container chroot
nsline=$(awk '/^NSpid:/{print $2, $3}' "/proc/$KPID/status")
[ "$nsline" = "$KPID 1" ] || die "kamailio $KPID: NSpid '$nsline', expected '$KPID 1'"
[ "$(readlink "/proc/$KPID/exe")" = "$ROOT$KDIR/sbin/kamailio" ] && [ ! -e "$KDIR" ] ||
	die "the executable is not at $KDIR in the container only"
log "kamailio $KPID (1 in its namespace) on udp:127.0.0.1:$PORT, $NPROC processes: $NSPIDS"
"$PYTHON" "$E2E/sipsend.py" "$PORT" burst --count 20 --timeout 20 >"$RUN/traffic.txt" 2>&1 ||
	die "no SIP replies: $(cat "$RUN/traffic.txt")"

if ! "$HW" info --pid "$KPID" >"$RUN/info.txt" 2>"$RUN/info.err"; then
	grep -qi 'not permitted\|already traced' "$RUN/info.err" &&
		skip "heapwalk may not trace processes here: $(cat "$RUN/info.err")"
	cat "$RUN/info.err" >&2
	fail "info --pid MAIN failed"
fi
hostpids() { # the host's pids of the instance
	local p
	for p in $(pgrep -P "$KPID") "$KPID"; do echo "$p"; done | sort -n | tr '\n' ' '
}
PIDS=$(hostpids)

# ---- 1. info: the container's executable and pid ---------------------------------------
if grep -q "^process: *pid $KPID (1 in its namespace)" "$RUN/info.txt" &&
	grep -q "^executable: */proc/$KPID/root$KDIR/sbin/kamailio" "$RUN/info.txt" &&
	grep -q "^version: *kamailio 5" "$RUN/info.txt"; then
	pass "info --pid MAIN: pid $KPID (1 in its namespace), the executable read through /proc/$KPID/root"
else
	cat "$RUN/info.txt" "$RUN/info.err" >&2
	fail "info --pid MAIN: pid, namespace pid or executable"
fi

# ---- 2. stats --all: every pt[] process, by the container's pids -----------------------
check_all() { # ALL.JSON
	"$PYTHON" "$HERE/check_all.py" "$1" "$PIDS" --nspids "$NSPIDS" --main "$KPID"
}
if "$HW" stats --pid "$KPID" --all --format json >"$RUN/all.json" 2>"$RUN/all.err"; then
	if check_all "$RUN/all.json" >"$RUN/check.out"; then
		pass "stats --pid MAIN --all: all $NPROC processes, labelled from pt[] by their namespace pids ($(cat "$RUN/check.out")); every walk complete, used == Σ used fragments"
	else
		cat "$RUN/check.out" "$RUN/all.err" >&2
		fail "stats --all in the container: coverage or consistency"
	fi
else
	cat "$RUN/all.err" >&2
	fail "stats --pid MAIN --all failed"
fi
WORKER=$(awk '/PID:/{p=$2} /DSC: udp receiver child=0 /{print p}' "$RUN/psx.txt")
HWORKER=$(for p in $PIDS; do
	[ "$(awk '/^NSpid:/{print $3}' "/proc/$p/status")" = "$WORKER" ] && echo "$p"
done)
if "$HW" stats --pid "$KPID" --all >"$RUN/all.txt" 2>/dev/null &&
	grep -Eq "^ +$HWORKER \($WORKER\) .*udp receiver child=0" "$RUN/all.txt" &&
	grep -q "pid (in ns)" "$RUN/all.txt"; then
	pass "stats --all text names each process by both pids ($HWORKER ($WORKER) udp receiver child=0)"
else
	cat "$RUN/all.txt" >&2
	fail "stats --all text: no '$HWORKER ($WORKER)' row"
fi
if "$HW" info --pid "$HWORKER" --format json >"$RUN/winfo.json" 2>"$RUN/winfo.err" &&
	"$PYTHON" -c '
import json, sys
t = json.load(open(sys.argv[1]))["target"]
assert t["pid"] == int(sys.argv[2]) and t["ns_pid"] == int(sys.argv[3]), t
assert t["process_desc"].startswith("udp receiver child=0"), t
' "$RUN/winfo.json" "$HWORKER" "$WORKER"; then
	pass "info --pid WORKER --format json: pid $HWORKER, ns_pid $WORKER, its pt[] entry"
else
	cat "$RUN/winfo.err" >&2
	fail "info --pid WORKER json"
fi

# ---- 3. one stop: gcore, and a snapshot file read as a core from the container -------
# gdb, run here, names the files by our paths (ROOT/opt/...): its core reads
# without --sysroot. heapwalk's snapshot file names them as the container
# sees them (/opt/...), as a core the kernel dumps there would: it reads with
# --sysroot ROOT, and not without (nothing of this machine stands in).
state() { awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null; }
kill -STOP $PIDS
for p in $PIDS; do for _ in $(seq 100); do [ "$(state "$p")" = T ] && break; sleep 0.01; done; done
"$HW" stats --pid "$KPID" --all --format json >"$RUN/stopped.json" 2>"$RUN/stopped.err"
"$HW" snapshot --pid "$KPID" --all -o "$RUN/snap.core" >/dev/null 2>"$RUN/snap.err"
if [ -n "$GCORE" ]; then
	"$GCORE" -o "$RUN/gc" "$KPID" >/dev/null 2>&1
	"$GCORE" -o "$RUN/gc" "$HWORKER" >/dev/null 2>&1
fi
kill -CONT $PIDS
"$HW" stats --core "$RUN/snap.core" --sysroot "$ROOT" --all --format json >"$RUN/snap.json" 2>"$RUN/snap-read.err"
"$HW" info --core "$RUN/snap.core" --sysroot "$ROOT" >"$RUN/snap-info.txt" 2>>"$RUN/snap-read.err"
cmp_stop() { # LIVE.JSON SNAP.JSON [GCORE-MAIN.JSON GCORE-WORKER.JSON]
	"$PYTHON" - "$KPID" "$HWORKER" "$@" <<'EOF'
import json, sys
main, worker = int(sys.argv[1]), int(sys.argv[2])
live = json.load(open(sys.argv[3])); snap = json.load(open(sys.argv[4]))
keys = ["heap_size", "used", "real_used", "max_real_used", "frags", "used_bytes_walked", "free_bytes_walked", "walk_complete"]
def pool(procs, pid, name):
    return [pl for p in procs if p["pid"] == pid for pl in p["pools"] if pl["pool"] == name][0]
def same(a, b):
    return a["walk_complete"] and all(a[k] == b[k] for k in keys)
ok = len(snap["processes"]) == len(live["processes"])
for p in live["processes"]:
    for pl in p["pools"]:
        if not same(pl, pool(snap["processes"], p["pid"], pl["pool"])):
            print("snapshot file pid %d %s differs" % (p["pid"], pl["pool"]))
            ok = False
    if [q.get("ns_pid") for q in snap["processes"] if q["pid"] == p["pid"]] != [p["ns_pid"]]:
        print("snapshot file: pid %d lost its namespace pid" % p["pid"])
        ok = False
print("snapshot file --sysroot: %d processes %s" % (len(snap["processes"]), "equal" if ok else "DIFFERENT"))
if len(sys.argv) > 6:
    gm = json.load(open(sys.argv[5])); gw = json.load(open(sys.argv[6]))
    for name, a, b in [("shm", pool(live["processes"], main, "shm"), [p for p in gm["pools"] if p["pool"] == "shm"][0]),
                       ("main pkg", pool(live["processes"], main, "pkg"), [p for p in gm["pools"] if p["pool"] == "pkg"][0]),
                       ("worker pkg", pool(live["processes"], worker, "pkg"), gw["pools"][0])]:
        print("gcore", name, "equal (used %d, %d fragments)" % (a["used"], a["frags"]["used"] + a["frags"]["free"]) if same(a, b)
              else "DIFFERENT %s" % [(k, a[k], b[k]) for k in keys if a[k] != b[k]])
        ok &= same(a, b)
sys.exit(0 if ok else 1)
EOF
}
GC=()
if [ -n "$GCORE" ]; then
	"$HW" stats --core "$RUN/gc.$KPID" --format json >"$RUN/gc-main.json" 2>"$RUN/gcore.err"
	"$HW" stats --core "$RUN/gc.$HWORKER" --pool pkg --format json >"$RUN/gc-worker.json" 2>>"$RUN/gcore.err"
	GC=("$RUN/gc-main.json" "$RUN/gc-worker.json")
else
	log "no gcore: the comparison with gdb's core is skipped"
fi
if cmp_stop "$RUN/stopped.json" "$RUN/snap.json" "${GC[@]}" >"$RUN/cmp.out"; then
	pass "at one stop, stats --pid --all (no --sysroot) equals: $(tr '\n' ';' <"$RUN/cmp.out")"
else
	cat "$RUN/cmp.out" "$RUN/stopped.err" "$RUN/snap.err" "$RUN/snap-read.err" "$RUN/gcore.err" >&2
	fail "the live walk in the container, its snapshot file and gcore disagree"
fi
grep -q "^executable: *$ROOT$KDIR/sbin/kamailio" "$RUN/snap-info.txt" &&
	pass "a core naming the container's paths reads its executable from --sysroot ROOT" ||
	{ cat "$RUN/snap-info.txt" >&2; fail "info --core --sysroot: executable"; }
rc=0
"$HW" stats --core "$RUN/snap.core" >/dev/null 2>"$RUN/nosys.err" || rc=$?
[ $rc != 0 ] && grep -q "cannot open the executable $KDIR/sbin/kamailio" "$RUN/nosys.err" &&
	pass "without --sysroot the same core finds no executable (exit $rc): no file of this machine stands in" ||
	fail "stats --core SNAPSHOT without --sysroot: exit $rc, $(cat "$RUN/nosys.err")"
rm -f "$RUN"/gc.* "$RUN/snap.core"

# ---- 4. host: the instance under its container ----------------------------------------
if "$HW" host --format json >"$RUN/host.json" 2>"$RUN/host.err" &&
	"$PYTHON" - "$RUN/host.json" "$KPID" "$NSPIDS" "$ROOT" <<'EOF'; then
import json, sys
d = json.load(open(sys.argv[1])); main = int(sys.argv[2])
nspids = sorted(int(x) for x in sys.argv[3].split())
inst = [i for i in d["instances"] if i["main_pid"] == main]
assert len(inst) == 1, [i["main_pid"] for i in d["instances"]]
i = inst[0]
c = i["container"]
assert c and c["pid_ns"].startswith("pid:[") and c["root"] == sys.argv[4], c
assert i["main_ns_pid"] == 1, i
assert sorted(p["ns_pid"] for p in i["processes"]) == nspids, i["processes"]
EOF
	"$HW" host >"$RUN/host.txt" 2>/dev/null
	if grep -q "^container pid:\[[0-9]*\], root " "$RUN/host.txt" &&
		grep -q "instance of pid $KPID (1 in its namespace)" "$RUN/host.txt"; then
		pass "host lists the instance under its container (pid namespace, root), with the container's pids"
	else
		cat "$RUN/host.txt" >&2
		fail "host text: container heading or pid"
	fi
else
	cat "$RUN/host.err" >&2
	fail "host --format json: the instance's container"
fi

for p in $PIDS; do
	s=$(awk '/^State:/{print $2}' "/proc/$p/status")
	[ "$s" = S ] || [ "$s" = R ] || fail "pid $p is left in state '$s'"
done

# ---- 5. the same with pivot_root, as container runtimes start it ------------------------
if command -v pivot_root >/dev/null; then
	stop_container
	start_container pivot_root
	PIDS=$(hostpids)
	log "kamailio $KPID with a root of its own (pivot_root), $NPROC processes: $NSPIDS"
	# /proc now names the container's paths, and its root "/"
	awk -v k="$KDIR/sbin/kamailio" '$6 == k {f = 1} END {exit !f}' "/proc/$KPID/maps" &&
		[ "$(readlink "/proc/$KPID/root")" = / ] ||
		fail "pivot_root: /proc/$KPID/maps does not name $KDIR/sbin/kamailio, or its root is not /"
	if "$HW" info --pid "$KPID" >"$RUN/info2.txt" 2>"$RUN/info2.err" &&
		grep -q "^process: *pid $KPID (1 in its namespace)" "$RUN/info2.txt" &&
		grep -q "^executable: */proc/$KPID/root$KDIR/sbin/kamailio" "$RUN/info2.txt" &&
		"$HW" stats --pid "$KPID" --all --format json >"$RUN/all2.json" 2>"$RUN/all2.err" &&
		check_all "$RUN/all2.json" >"$RUN/check2.out"; then
		pass "pivot_root: info and stats --all --pid MAIN without --sysroot, every process by its namespace pid ($(cat "$RUN/check2.out"))"
	else
		cat "$RUN/info2.txt" "$RUN/info2.err" "$RUN/all2.err" "$RUN/check2.out" >&2
		fail "pivot_root: info or stats --all"
	fi
	"$HW" host >"$RUN/host2.txt" 2>/dev/null
	grep -q "^container pid:\[[0-9]*\], a root of its own: 1 instance" "$RUN/host2.txt" &&
		grep -q "instance of pid $KPID (1 in its namespace)" "$RUN/host2.txt" &&
		pass "pivot_root: host lists the instance under its container" ||
		{ cat "$RUN/host2.txt" >&2; fail "pivot_root: host"; }
else
	log "no pivot_root: the second start is skipped"
fi
log "$NPASS passed, $NFAIL failed"
[ $NFAIL = 0 ]
