#!/bin/bash
# heapwalk end-to-end test against a real Kamailio (Debian 12's 5.6.3).
#
#   run-e2e.sh [--manager M] [--artefacts DIR] HEAPWALK   full test (exit 0 pass, 1 fail, 77 skip)
#   run-e2e.sh [--manager M] --prepare-only DIR          only produce DIR/core and the expected
#                                                        bodies (no heapwalk needed)
#
# --manager qm (default), fm or tlsf: Kamailio runs with -x M -X M.
# Starts Kamailio on 127.0.0.1 with its own runtime dir, sends a little SIP
# traffic, freezes one UDP worker with gdb inside mem_dump_pkg_cb (Kamailio has
# just logged that worker's pkg status + sums: qm_status/qm_sums, fm_status/
# fm_sums or tlsf_status/tlsf_sums), lets the frozen worker log the shm status
# + sums under the shm lock, takes a core with gcore, then resumes it. The
# message bodies Kamailio logged are the expected output of
# `heapwalk {stats,summary,frags} --format kamailio` on that core (fm_status
# lists no fragments: its frags body is the free-list dump; tlsf 4.4+ prints
# the free-block matrix, which is both its stats and its frags body).
#
# Artefacts (log, core, expected bodies, heapwalk outputs) stay in
# $HW_E2E_KEEP, else --artefacts DIR, else ./e2e-artefacts.
# Environment: HW_E2E_REQUIRE=1 turns every skip into a failure (for CI that
# has installed kamailio and gdb); KAMAILIO, KAMCMD, GDB override the tools;
# KAMAILIO_MODDIR overrides the module directory (passed to kamailio as -L,
# which takes precedence over the config's mpath), e.g. for a source build;
# HW_E2E_EXPECT_LAYOUT=dwarf (or another layout source, e.g. profile) adds
# checks that `heapwalk info` shows, for both pools, a layout line containing
# "dwarf:" (resp. "<source>:"), i.e. that the layout came from that source.

set -u
set -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}
KAMCMD=${KAMCMD:-$(command -v kamcmd || echo /usr/sbin/kamcmd)}
GDB=${GDB:-$(command -v gdb || echo gdb)}
PYTHON=${PYTHON:-$(command -v python3 || echo python3)}
MODDIR=${KAMAILIO_MODDIR:-/usr/lib/x86_64-linux-gnu/kamailio/modules}
HTSIZE=1500             # htable items created at startup (shm fragments)
BURST=20                # rounds of REGISTER+OPTIONS+MESSAGE

T0=$(date +%s.%N)
log() { printf 'e2e: %s\n' "$*" >&2; }
fail() { log "FAIL: $*"; exit 1; }
skip() {
	if [ "${HW_E2E_REQUIRE:-0}" = 1 ]; then
		log "FAIL (HW_E2E_REQUIRE=1, would skip): $*"
		exit 1
	fi
	log "SKIP: $*"
	exit 77
}
usage() {
	echo "usage: $0 [--manager qm|fm|tlsf] [--artefacts DIR] HEAPWALK | $0 [--manager M] --prepare-only DIR" >&2
	exit 64
}

# ---- arguments -------------------------------------------------------------
PREPARE_ONLY=0
ART=""
HEAPWALK=""
MGR=qm
while [ $# -gt 0 ]; do
	case "$1" in
	--manager) [ $# -ge 2 ] || usage; MGR=$2; shift 2 ;;
	--prepare-only) [ $# -ge 2 ] || usage; PREPARE_ONLY=1; ART=$2; shift 2 ;;
	--artefacts) [ $# -ge 2 ] || usage; ART=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) usage ;;
	*) [ -z "$HEAPWALK" ] || usage; HEAPWALK=$1; shift ;;
	esac
done
if [ "$PREPARE_ONLY" = 0 ]; then
	[ -n "$HEAPWALK" ] || usage
	[ -n "${HW_E2E_KEEP:-}" ] && ART=$HW_E2E_KEEP
	[ -n "$ART" ] || ART=$PWD/e2e-artefacts
	[ -x "$HEAPWALK" ] || fail "heapwalk binary '$HEAPWALK' is not executable"
	HEAPWALK=$(cd "$(dirname "$HEAPWALK")" && pwd -P)/$(basename "$HEAPWALK")
fi
case "$MGR" in
qm | fm | tlsf) ;;
*) usage ;;
esac

# ---- prerequisites (missing tools or no ptrace = skip) ---------------------
[ -x "$KAMAILIO" ] || skip "kamailio not installed ($KAMAILIO)"
[ -x "$KAMCMD" ] || skip "kamcmd not installed"
command -v "$GDB" >/dev/null || skip "gdb not installed"
command -v "$PYTHON" >/dev/null || skip "python3 not installed"
[ -d "$MODDIR" ] || skip "kamailio modules not found in $MODDIR"
# The config and the gdb calls hold for 5.6 to 5.8 (checked on 5.6.3 and 5.8.8).
"$KAMAILIO" -v 2>/dev/null | grep -Eq '^version: kamailio 5\.[678]\.' ||
	skip "this test expects kamailio 5.6 to 5.8; got: $("$KAMAILIO" -v 2>&1 | head -1)"
"$KAMAILIO" -v 2>/dev/null | grep -q 'DBG_SR_MEMORY' ||
	skip "kamailio built without DBG_SR_MEMORY (no allocation sites to compare)"

if [ -r /proc/sys/kernel/yama/ptrace_scope ] &&
	[ "$(cat /proc/sys/kernel/yama/ptrace_scope)" = 3 ]; then
	skip "ptrace disabled (kernel.yama.ptrace_scope=3)"
fi

mkdir -p "$ART" || fail "cannot create artefact dir '$ART'"
ART=$(cd "$ART" && pwd -P)
# Start from a clean artefact dir, but only remove what this script writes.
rm -f "$ART"/core "$ART"/kamailio.* "$ART"/gdb.* "$ART"/expected-* \
	"$ART"/core-*.txt "$ART"/actual-* "$ART"/diff-* "$ART"/psx.txt \
	"$ART"/traffic.txt "$ART"/worker.txt "$ART"/RESULT
RUN=$(mktemp -d "${TMPDIR:-/tmp}/hw-e2e.XXXXXX") || fail "mktemp failed"
KPID=""
GDBPID=""
CHILDREN=""

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM HUP
	# A gdb that is still attached holds the worker stopped: end it first
	# (gdb detaches from an attached process when it is told to quit).
	if [ -n "$GDBPID" ] && kill -0 "$GDBPID" 2>/dev/null; then
		kill -TERM "$GDBPID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$GDBPID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$GDBPID" 2>/dev/null
	fi
	if [ -n "$KPID" ] && kill -0 "$KPID" 2>/dev/null; then
		kill -TERM "$KPID" 2>/dev/null
		for _ in $(seq 150); do kill -0 "$KPID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$KPID" 2>/dev/null; then
			log "kamailio did not stop after SIGTERM within 15 s: SIGKILL"
			kill -KILL "$KPID" 2>/dev/null
		fi
		wait "$KPID" 2>/dev/null
	fi
	# Children normally exit with the main process; make sure of it.
	for p in $CHILDREN; do
		for _ in $(seq 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	done
	[ -f "$RUN/kamailio.log" ] && cp "$RUN/kamailio.log" "$ART/kamailio.log" 2>/dev/null
	[ -f "$RUN/kamailio.stdout" ] && cp "$RUN/kamailio.stdout" "$ART/kamailio.stdout" 2>/dev/null
	rm -rf "$RUN"
	log "wall time $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f s", b-a}'); artefacts in $ART"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Trial attach: can this user ptrace a process it did not fork from gdb?
sleep 30 &
TRIAL=$!
"$GDB" -batch -nx -ex 'set debuginfod enabled off' -p "$TRIAL" >"$RUN/trial.out" 2>&1
kill -KILL "$TRIAL" 2>/dev/null
wait "$TRIAL" 2>/dev/null
if ! grep -q "(process $TRIAL) detached" "$RUN/trial.out"; then
	sed 's/^/  gdb: /' "$RUN/trial.out" >&2
	skip "gdb cannot attach to processes here (ptrace not permitted)"
fi

kamcmd_() { "$KAMCMD" -s "unixs:$RUN/kamailio_ctl" "$@"; }

# ---- 1. start kamailio --------------------------------------------------------
. "$HERE/lib-kamailio.sh"
kamailio_up "$RUN" "$MGR" "$HTSIZE" || fail "kamailio did not start (above)"
cp "$RUN/psx.txt" "$ART/psx.txt"
CHILDREN=$(awk '/PID:/{print $2}' "$RUN/psx.txt" | tr '\n' ' ')
WORKER=$(awk '/PID:/{p=$2} /DSC: udp receiver child=0 /{print p}' "$RUN/psx.txt")
[ -n "$WORKER" ] || fail "no 'udp receiver child=0' in core.psx output"
log "kamailio $KPID on udp:127.0.0.1:$PORT, processes: $CHILDREN; worker $WORKER"

# ---- 2. traffic ----------------------------------------------------------------
"$PYTHON" "$HERE/sipsend.py" "$PORT" burst --count "$BURST" --timeout 20 \
	>"$ART/traffic.txt" 2>&1 || { cat "$ART/traffic.txt" >&2; fail "SIP traffic got no replies"; }
log "$(cat "$ART/traffic.txt")"

# ---- 3. freeze the worker, let Kamailio dump, take a core -----------------------
CORE=$ART/core
SHMB='(*(void**)((char*)&_shm_root+16))'
PKGB='(*(void**)((char*)&_pkg_root+16))'
# Signatures (Kamailio 5.6 q_malloc.c, f_malloc.c, tlsf_malloc.c):
# void qm_status(void *), void qm_sums(void *), void qm_shm_glock(void *),
# void qm_shm_gunlock(void *); the same for fm_*; tlsf_status(tlsf_t) and
# tlsf_sums(tlsf_t) take the control block (tlsf_t is a void *), and
# tlsf_shm_glock/tlsf_shm_gunlock(void *). The lock functions ignore their
# argument and use the manager's own shm lock.
cat >"$RUN/gdb.cmd" <<EOF
set pagination off
set confirm off
set width 0
set debuginfod enabled off
handle all nostop noprint pass
break mem_dump_pkg_cb
shell touch $RUN/gdb.ready
continue
shell touch $RUN/gdb.hit
bt 1
finish
printf "HW pkg_block=%p shm_block=%p process_no=%d\n", $PKGB, $SHMB, *(int*)&process_no
call ((void(*)(void*))${MGR}_shm_glock)($SHMB)
call ((void(*)(void*))${MGR}_status)($SHMB)
call ((void(*)(void*))${MGR}_sums)($SHMB)
call ((int(*)(void*))fflush)(0)
gcore $CORE
call ((void(*)(void*))${MGR}_shm_gunlock)($SHMB)
delete
detach
printf "HW done\n"
quit
EOF
cp "$RUN/gdb.cmd" "$ART/gdb.cmd"

timeout -k 5 120 "$GDB" -batch -nx -x "$RUN/gdb.cmd" -p "$WORKER" >"$ART/gdb.out" 2>&1 &
GDBPID=$!
for _ in $(seq 300); do
	[ -e "$RUN/gdb.ready" ] && break
	kill -0 "$GDBPID" 2>/dev/null || break
	sleep 0.1
done
[ -e "$RUN/gdb.ready" ] || { cat "$ART/gdb.out" >&2; fail "gdb did not attach to worker $WORKER"; }
T_FREEZE=$(date +%s.%N)
kamcmd_ cfg.set_now_int core mem_dump_pkg "$WORKER" >"$RUN/cfgset.out" 2>&1 ||
	{ cat "$RUN/cfgset.out" >&2; fail "kamcmd cfg.set_now_int core mem_dump_pkg failed"; }
# Both UDP workers read the same socket: send single OPTIONS until the
# target worker picks one up (then it stops in mem_dump_pkg_cb).
sent=0
while [ ! -e "$RUN/gdb.hit" ] && [ $sent -lt 100 ]; do
	kill -0 "$GDBPID" 2>/dev/null || break
	"$PYTHON" "$HERE/sipsend.py" "$PORT" options --timeout 0.3 >/dev/null 2>&1
	sent=$((sent + 1))
done
[ -e "$RUN/gdb.hit" ] || { cat "$ART/gdb.out" >&2; fail "worker $WORKER never reached mem_dump_pkg_cb ($sent OPTIONS sent)"; }
wait "$GDBPID"
grc=$?
GDBPID=""
T_THAW=$(date +%s.%N)
[ $grc = 0 ] || { cat "$ART/gdb.out" >&2; fail "gdb exited with $grc"; }
grep -q '^HW done' "$ART/gdb.out" || { cat "$ART/gdb.out" >&2; fail "gdb script did not complete"; }
# "Breakpoint 1, 0x... in mem_dump_pkg_cb ()" without debug info, "Breakpoint 1,
# mem_dump_pkg_cb (gname=...) at core/pt.c:541" with it.
grep -Eq '^Breakpoint 1, (.* in )?mem_dump_pkg_cb ' "$ART/gdb.out" ||
	{ cat "$ART/gdb.out" >&2; fail "gdb did not stop in mem_dump_pkg_cb"; }
[ -s "$CORE" ] || fail "gcore did not write $CORE"
T_HIT=$(date -r "$RUN/gdb.hit" +%s.%N)
log "worker $WORKER frozen for $(awk -v a="$T_HIT" -v b="$T_THAW" 'BEGIN{printf "%.2f s", b-a}') (dump request to resume $(awk -v a="$T_FREEZE" -v b="$T_THAW" 'BEGIN{printf "%.2f s", b-a}'), $sent OPTIONS), core $(stat -c %s "$CORE") bytes"
kill -0 "$WORKER" 2>/dev/null || fail "worker $WORKER died after the freeze"
# The worker handles the OPTIONS that woke it: Kamailio must still answer.
"$PYTHON" "$HERE/sipsend.py" "$PORT" options --timeout 2 || fail "kamailio stopped answering after the freeze"

read -r PKG_BLOCK SHM_BLOCK PROCNO < <(sed -n 's/^HW pkg_block=\(0x[0-9a-f]*\) shm_block=\(0x[0-9a-f]*\) process_no=\([0-9]*\)$/\1 \2 \3/p' "$ART/gdb.out")
[ -n "${PROCNO:-}" ] || fail "gdb did not print the block addresses"
printf 'pid=%s process_no=%s pkg_block=%s shm_block=%s port=%s\n' \
	"$WORKER" "$PROCNO" "$PKG_BLOCK" "$SHM_BLOCK" "$PORT" >"$ART/worker.txt"

# ---- 4. extract the message bodies for that worker ------------------------------
# Envelope (5.4+ on stderr): "<process_no>(<pid>) <LEVEL>: <prefix><function>(): <body>",
# prefix and function per manager: qm_status:/qm_status() and qm_sums:/qm_sums();
# fm_status:/fm_status() and fm_status:/fm_sums(); tlsf_status:/tlsf_status() and
# tlsf_sums:/tlsf_sums(). A message with an embedded newline (bucket lines)
# continues on a line with no envelope that starts with a tab; one message is
# one write(2), so it directly follows its first line.
case "$MGR" in
qm)
	ST_ENV='qm_status: qm_status[(][)]: '
	SU_ENV='qm_sums: qm_sums[(][)]: '
	ST_FIRST='^[(](0x[0-9a-f]+|[(]nil[)])[)]:$'
	SU_FIRST='^summarizing all alloc.ed\. fragments:$'
	ST_LAST='^-----------------------------$'
	;;
fm)
	ST_ENV='fm_status: fm_status[(][)]: '
	SU_ENV='fm_status: fm_sums[(][)]: '
	ST_FIRST='^fm_status [(](0x[0-9a-f]+|[(]nil[)])[)]:$'
	SU_FIRST='^summarizing all alloc.ed\. fragments:$'
	ST_LAST='^-----------------------------$'
	;;
tlsf)
	ST_ENV='tlsf_status: tlsf_status[(][)]: '
	SU_ENV='tlsf_sums: tlsf_sums[(][)]: '
	ST_FIRST='^status of pool [(](0x[0-9a-f]+|[(]nil[)])[)]:$'
	SU_FIRST='^pool [(](0x[0-9a-f]+|[(]nil[)])[)] summarizing all alloc.ed\. fragments:$'
	ST_LAST='^31[|]'
	;;
esac
cp "$RUN/kamailio.log" "$ART/kamailio.log"
awk -v pid="$WORKER" -v out="$ART" -v stenv="$ST_ENV" -v suenv="$SU_ENV" \
	-v stfirst="$ST_FIRST" -v sufirst="$SU_FIRST" -v stlast="$ST_LAST" '
	function emit(name, text) {
		if (name != "")
			print text > (out "/expected-" name ".txt")
	}
	BEGIN {
		started = 0; nst = 0; nsu = 0; scur = ""; ucur = ""; last = ""
		dashes = "-----------------------------"
		st_env = "^ *[0-9]+[(]" pid "[)] [A-Z]+: " stenv
		su_env = "^ *[0-9]+[(]" pid "[)] [A-Z]+: " suenv
	}
	!started {
		if (index($0, "(" pid ") ") &&
		    index($0, "mem_dump_pkg_cb(): Memory status (pkg) of process " pid ":"))
			started = 1
		next
	}
	$0 ~ st_env {
		body = $0
		sub(st_env, "", body)
		if (body ~ stfirst) {
			nst++
			scur = (nst == 1) ? "pkg-status" : (nst == 2) ? "shm-status" : ""
		}
		emit(scur, body)
		last = scur
		if (body ~ stlast)
			scur = ""
		next
	}
	$0 ~ su_env {
		body = $0
		sub(su_env, "", body)
		if (body ~ sufirst) {
			nsu++
			ucur = (nsu == 1) ? "pkg-summary" : (nsu == 2) ? "shm-summary" : ""
		}
		emit(ucur, body)
		last = ucur
		if (body == dashes)
			ucur = ""
		next
	}
	/^\t/ {
		# continuation of the previous message, kept only if that was ours
		emit(last, $0)
		next
	}
	{ last = "" }
	END { printf "status blocks %d, summary blocks %d\n", nst, nsu > (out "/expected-counts.txt") }
' "$ART/kamailio.log"

for f in pkg-status shm-status pkg-summary shm-summary; do
	[ -s "$ART/expected-$f.txt" ] || fail "no $f body for pid $WORKER in the log"
done
for f in pkg-summary shm-summary; do
	[ "$(tail -n 1 "$ART/expected-$f.txt")" = "-----------------------------" ] ||
		fail "expected-$f.txt is truncated (no trailing dashes line)"
done
for p in pkg shm; do
	f=$ART/expected-$p-status.txt
	tail -n 1 "$f" | grep -Eq "$ST_LAST" || fail "$f is truncated (last line: $(tail -n 1 "$f"))"
	head -n 1 "$ART/expected-$p-summary.txt" | grep -Eq "$SU_FIRST" ||
		fail "expected-$p-summary.txt: unexpected first line"
	case "$MGR" in
	qm)
		head -n 4 "$f" >"$ART/expected-$p-stats.txt"
		grep -qx "dumping all alloc'ed. fragments:" "$f" || fail "$f: no fragment list"
		grep -qx "dumping free list stats :" "$f" || fail "$f: no free list stats"
		;;
	fm)
		head -n 4 "$f" >"$ART/expected-$p-stats.txt"
		grep -qx "dumping free list:" "$f" || fail "$f: no free list dump"
		grep -q "^TOTAL: " "$f" || fail "$f: no TOTAL line"
		;;
	tlsf)
		# 4.4+: header, legend and the whole matrix are the status
		cp "$f" "$ART/expected-$p-stats.txt"
		[ "$(grep -Ec '^[ 0-9][0-9][|][.A-Z]+[|]$' "$f")" = 32 ] || fail "$f: no 32-row matrix"
		;;
	esac
done
blk_of() { sed -n '1s/.*[(]\(0x[0-9a-f]*\|(nil)\)[)].*/\1/p' "$1"; }
[ "$(blk_of "$ART/expected-pkg-status.txt")" = "$PKG_BLOCK" ] ||
	fail "pkg status is not about the pkg block $PKG_BLOCK: $(head -n 1 "$ART/expected-pkg-status.txt")"
[ "$(blk_of "$ART/expected-shm-status.txt")" = "$SHM_BLOCK" ] ||
	fail "shm status is not about the shm block $SHM_BLOCK: $(head -n 1 "$ART/expected-shm-status.txt")"
# qm: every fragment line is followed by its site and check lines (debug
# build); qm and fm: in the free-list stats each bucket line by its
# tab-started second line.
for p in pkg shm; do
	[ "$MGR" = tlsf ] && continue
	awk -v f="$p" -v mgr="$MGR" '
		/^ +[0-9]+\. [AN]  address=/ { n++; want = 2; next }
		want == 2 { if ($0 !~ /^          (alloc.d|freed) from /) { print f ": bad site line " NR; bad = 1 } want = 1; next }
		want == 1 { if ($0 !~ /^         start check=/) { print f ": bad check line " NR; bad = 1 } want = 0; next }
		/^hash ?= / { h++; if ((getline l) <= 0 || l !~ /^\t\t bucket size: /) { print f ": bad bucket line " NR; bad = 1 } }
		END { if ((mgr == "qm" && n < 10) || h < 1) { print f ": only " n " fragments, " h " buckets"; bad = 1 } exit bad }
	' "$ART/expected-$p-status.txt" >&2 || fail "malformed $p status body"
done

# The core must hold exactly the state that was dumped: read both block
# headers from the core with gdb and print them as the status does (5.6-5.8
# LP64: qm_block/fm_block start with type, then size, used, real_used,
# max_real_used as unsigned long words; TLSF's control_t has the 64-byte
# block_null, then total_size, allocated, real_used, max_used, fragments,
# max_fragments as size_t).
core_hdr() { # TAG BLOCK-EXPRESSION
	local w="((unsigned long*)$2)"
	case "$MGR" in
	qm) printf 'printf "%s (%%p):\\n%s heap size= %%lu\\n%s used= %%lu, used+overhead=%%lu, free=%%lu\\n%s max used (+overhead)= %%lu\\n", %s, %s[1], %s[2], %s[3], %s[1]-%s[3], %s[4]\n' \
		"$1" "$1" "$1" "$1" "$2" "$w" "$w" "$w" "$w" "$w" "$w" ;;
	fm) printf 'printf "%s fm_status (%%p):\\n%s  heap size= %%ld\\n%s  used= %%lu, used+overhead=%%lu, free=%%lu\\n%s  max used (+overhead)= %%lu\\n", %s, %s[1], %s[2], %s[3], %s[1]-%s[3], %s[4]\n' \
		"$1" "$1" "$1" "$1" "$2" "$w" "$w" "$w" "$w" "$w" "$w" ;;
	tlsf) printf 'printf "%s status of pool (%%p):\\n%s heap size= %%lu\\n%s used= %%lu, used+overhead=%%lu, free=%%lu, fragments=%%lu\\n%s max used (+overhead)=%%lu, max fragments=%%lu\\n", %s, %s[8], %s[9], %s[10], %s[8]-%s[10], %s[12], %s[11], %s[13]\n' \
		"$1" "$1" "$1" "$1" "$2" "$w" "$w" "$w" "$w" "$w" "$w" "$w" "$w" ;;
	esac
}
{
	echo "set pagination off"
	echo "set width 0"
	echo "set debuginfod enabled off"
	core_hdr HWpkg "$PKGB"
	core_hdr HWshm "$SHMB"
} >"$RUN/core-check.cmd"
"$GDB" -batch -nx -x "$RUN/core-check.cmd" "$KAMAILIO" "$CORE" >"$RUN/core-check.out" 2>&1
sed -n 's/^HWpkg //p' "$RUN/core-check.out" >"$ART/core-pkg-stats.txt"
sed -n 's/^HWshm //p' "$RUN/core-check.out" >"$ART/core-shm-stats.txt"
for p in pkg shm; do
	diff -u <(head -n 4 "$ART/expected-$p-stats.txt") "$ART/core-$p-stats.txt" >&2 ||
		{ cat "$RUN/core-check.out" >&2; fail "the $p $MGR block in the core differs from Kamailio's dump"; }
done
log "extracted: pkg status $(wc -l <"$ART/expected-pkg-status.txt") lines, summary $(wc -l <"$ART/expected-pkg-summary.txt"); shm status $(wc -l <"$ART/expected-shm-status.txt"), summary $(wc -l <"$ART/expected-shm-summary.txt"); core headers match"

# Kamailio is not needed any more.
cleanup_kamailio_early() {
	kill -TERM "$KPID" 2>/dev/null
	for _ in $(seq 150); do kill -0 "$KPID" 2>/dev/null || break; sleep 0.1; done
}
cleanup_kamailio_early

if [ "$PREPARE_ONLY" = 1 ]; then
	log "prepared: $ART/core (worker $WORKER of kamailio $KPID, exe $KAMAILIO) and $ART/expected-{pkg,shm}-{stats,summary,status}.txt"
	echo "prepared" >"$ART/RESULT"
	exit 0
fi

# ---- 5. run heapwalk and compare ----------------------------------------------
FAILS=0
CHECKS=0
# check NAME EXPECTED-FILE heapwalk-args...
check() {
	local name=$1 expected=$2 rc
	shift 2
	CHECKS=$((CHECKS + 1))
	timeout -k 5 120 "$HEAPWALK" "$@" >"$ART/actual-$name.txt" 2>"$ART/actual-$name.err"
	rc=$?
	if [ $rc != 0 ]; then
		if [ $rc = 124 ]; then
			log "MISMATCH $name: heapwalk $* did not finish within 120 s"
		else
			log "MISMATCH $name: heapwalk $* exited $rc"
		fi
		sed 's/^/  stderr: /' "$ART/actual-$name.err" | head -n 20 >&2
		FAILS=$((FAILS + 1))
		return
	fi
	if [ -n "$expected" ] && ! diff -u --label "kamailio:$(basename "$expected")" \
		--label "heapwalk:$name" "$expected" "$ART/actual-$name.txt" >"$ART/diff-$name.txt"; then
		log "MISMATCH $name: heapwalk $* (diff: $ART/diff-$name.txt, first 40 lines)"
		head -n 40 "$ART/diff-$name.txt" >&2
		FAILS=$((FAILS + 1))
		return
	fi
	rm -f "$ART/diff-$name.txt"
	log "ok $name"
}
# check_layout NAME INFO-OUTPUT: with HW_E2E_EXPECT_LAYOUT set, the layout
# line of each pool section in `heapwalk info` names that source.
check_layout() {
	local name=$1 info=$2 p line
	[ -n "${HW_E2E_EXPECT_LAYOUT:-}" ] || return 0
	for p in pkg shm; do
		CHECKS=$((CHECKS + 1))
		line=$(awk -v sec="$p pool" '
			/^[^ ]/ { in_sec = ($0 == sec) }
			in_sec && /^ +layout:/ { print; exit }' "$info" 2>/dev/null)
		if [ -f "$info" ] && printf '%s\n' "$line" | grep -qF "$HW_E2E_EXPECT_LAYOUT:"; then
			log "ok $name-layout-$p ($(printf "%s" "$line" | sed "s/^ *layout: *//"))"
		else
			log "MISMATCH $name-layout-$p: expected a '$HW_E2E_EXPECT_LAYOUT:' layout, got: ${line:-no layout line in $info}"
			FAILS=$((FAILS + 1))
		fi
	done
}

cat "$ART/expected-pkg-stats.txt" "$ART/expected-shm-stats.txt" >"$ART/expected-all-stats.txt"
for variant in exe noexe; do
	if [ $variant = exe ]; then
		EXEOPT=(--exe "$KAMAILIO")
	else
		EXEOPT=()
	fi
	check "$variant-info" "" info --core "$CORE" "${EXEOPT[@]}"
	check_layout "$variant-info" "$ART/actual-$variant-info.txt"
	for p in pkg shm; do
		check "$variant-stats-$p" "$ART/expected-$p-stats.txt" \
			stats --core "$CORE" "${EXEOPT[@]}" --pool $p --format kamailio
		check "$variant-summary-$p" "$ART/expected-$p-summary.txt" \
			summary --core "$CORE" "${EXEOPT[@]}" --pool $p --format kamailio
		check "$variant-frags-$p" "$ART/expected-$p-status.txt" \
			frags --core "$CORE" "${EXEOPT[@]}" --pool $p --format kamailio
	done
	check "$variant-stats-all" "$ART/expected-all-stats.txt" \
		stats --core "$CORE" "${EXEOPT[@]}" --pool all --format kamailio
done

# the same summaries with each pool's walk split in two halves on two threads
# (checked for q_malloc here; f_malloc 4.2+ and TLSF split too where a header is found)
for p in pkg shm; do
	HEAPWALK_SPLIT_MIN=0 check "split-summary-$p" "$ART/expected-$p-summary.txt" \
		summary --core "$CORE" --exe "$KAMAILIO" --pool $p --format kamailio
	CHECKS=$((CHECKS + 1))
	if [ "$MGR" = qm ] && ! grep -q "$p pool: split at 0x[0-9a-f]*, the halves met" \
		"$ART/actual-split-summary-$p.err"; then
		log "MISMATCH split-summary-$p: the $p pool was not split: $(cat "$ART/actual-split-summary-$p.err")"
		FAILS=$((FAILS + 1))
	fi
done

# f_malloc 4.4+ and TLSF: stats takes the lists from the walk's tally of their
# links instead of following them; the same output, and the tally really taken
if [ "$MGR" != qm ]; then
	for p in pkg shm; do
		HEAPWALK_TRACE_LISTS=1 check "tally-stats-$p" "$ART/expected-$p-stats.txt" \
			stats --core "$CORE" --exe "$KAMAILIO" --pool $p --format kamailio
		CHECKS=$((CHECKS + 1))
		if ! grep -q "$p pool: [1-9][0-9]* lists from the walk's tally" \
			"$ART/actual-tally-stats-$p.err"; then
			log "MISMATCH tally-stats-$p: the lists were not taken from the tally: $(cat "$ART/actual-tally-stats-$p.err")"
			FAILS=$((FAILS + 1))
		fi
	done
fi

if [ $FAILS != 0 ]; then
	echo "failed $FAILS of $CHECKS" >"$ART/RESULT"
	fail "$FAILS of $CHECKS heapwalk checks failed"
fi
echo "passed $CHECKS" >"$ART/RESULT"
log "PASS: all $CHECKS heapwalk checks match Kamailio's own output"
exit 0
