# shellcheck shell=bash
# lib-gdb.sh - shared helpers of the gdb-script tests (sourced, not run).
#
# Needs: HW (heapwalk), GDBSCRIPT (heapwalk.gdb), TMP (a work dir).
#
# gdb_run NAME EXE CORE CMD...   gdb -batch with heapwalk.gdb and the CMDs; a
#                                CMD "@@X" starts output section X, kept in
#                                $TMP/NAME.X; everything in $TMP/NAME.out
# full_cmds TAG SELECT MGR [PRE] append to the array CMDS the commands that
#                                run every hw-* command, in sections
#                                TAG.select, TAG.stats, ...
# light_cmds TAG SELECT [PRE]    the same for hw-stats, hw-used, hw-check
# check_full NAME TAG CORE POOL MGR DEBUG WANT
# check_light NAME TAG CORE POOL WANT
#                                compare the sections of session NAME with the
#                                CLI on CORE; WANT: text the pool's description
#                                line must show (where the layout came from)
# need_fixture                   die/skip unless HW, GDBSCRIPT, FX and gdb are there
# ok / bad MESSAGE, finish        tests/lib/harness.sh

. "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

# need_fixture: HW, GDBSCRIPT and FX are there, and gdb (else skip)
need_fixture() {
	[ -x "$HW" ] || die "heapwalk not found: $HW"
	[ -r "$GDBSCRIPT" ] || die "heapwalk.gdb not found: $GDBSCRIPT"
	[ -x "$FX" ] || die "fixture not found: $FX"
	command -v gdb >/dev/null 2>&1 || skip "gdb not installed"
}

gdb_run() {
	local name=$1 exe=$2 core=$3
	shift 3
	{
		echo "set pagination off"
		echo "set width 0"
		echo "set confirm off"
		echo "set debuginfod enabled off"
		echo "source $GDBSCRIPT"
		local c
		for c in "$@"; do
			case $c in
			@@*) echo "echo ${c}\\n" ;;
			*) echo "$c" ;;
			esac
		done
		echo "echo @@end\\n"
	} >"$TMP/$name.gdb"
	timeout "${GDB_TIMEOUT:-300}" gdb -batch -nx -x "$TMP/$name.gdb" "$exe" "$core" >"$TMP/$name.out" 2>"$TMP/$name.err"
	awk -v p="$TMP/$name." '/^@@/ { f = p substr($0, 3); printf "" > f; next } f { print > f }' \
		"$TMP/$name.out"
	if ! grep -q '^@@end' "$TMP/$name.out"; then
		bad "$name: gdb did not get through the commands"
		grep -v '^\[' "$TMP/$name.err" | tail -3 | sed 's/^/  /'
	fi
}

# The q_malloc status with free fragments (the test configs run Kamailio
# with mem_status_mode=1, and 'frags --format kamailio' lists them too).
status_cmd() {
	[ "$1" = qm ] && echo "hw-status 1" || echo hw-status
}

full_cmds() { # TAG SELECT MGR [PRE]: appends to the array CMDS
	[ -n "${4:-}" ] && CMDS+=("$4")
	CMDS+=("@@$1.select" "$2" "@@$1.stats" hw-stats "@@$1.frags" hw-frags "@@$1.used" hw-used
		"@@$1.range" "hw-used 3 17" "@@$1.sums" hw-sums "@@$1.status" "$(status_cmd "$3")"
		"@@$1.free" hw-free "@@$1.check" hw-check)
}

light_cmds() { # TAG SELECT [PRE]: appends to the array CMDS
	[ -n "${3:-}" ] && CMDS+=("$3")
	CMDS+=("@@$1.select" "$2" "@@$1.stats" hw-stats "@@$1.used" hw-used "@@$1.check" hw-check)
}

# The fragment lines of heapwalk's text output (index, address, size, state, site).
frag_lines() {
	grep -E '^ +[0-9]+  0x[0-9a-f]+ +[0-9]+  (used|free)'
}

# "count site" per line, summed over equal site texts, sorted.
sum_by_site() {
	awk '{ c = $1; $1 = ""; sub(/^ /, ""); n[$0] += c } END { for (k in n) printf "%d %s\n", n[k], k }' |
		sort
}

# same FILE-A FILE-B WHAT: exact comparison, a diff excerpt on failure
same() {
	if cmp -s "$1" "$2"; then
		ok "$3 ($(wc -l <"$1") lines)"
	else
		bad "$3"
		diff -u "$1" "$2" | head -20 | sed 's/^/  /'
	fi
}

# cli CORE POOL WHAT: the CLI's output for a pool, computed once per core
cli() {
	local core=$1 pool=$2 what=$3 key
	key="$TMP/cli.$(echo "$core" | md5sum | cut -c1-8).$pool.$what"
	if [ ! -e "$key" ]; then
		case $what in
		stats) "$HW" stats --core "$core" --pool "$pool" --format kamailio ;;
		frags) "$HW" frags --core "$core" --pool "$pool" | frag_lines ;;
		used) "$HW" frags --core "$core" --pool "$pool" --used | frag_lines ;;
		range) "$HW" frags --core "$core" --pool "$pool" --used --from 3 --to 17 | frag_lines ;;
		status) "$HW" frags --core "$core" --pool "$pool" --format kamailio ;;
		sums)
			"$HW" summary --core "$core" --pool "$pool" --format kamailio |
				sed -n 's/^ count= *\([0-9]*\) size= *[0-9]* bytes from \(.*\)$/\1 \2/p' |
				sum_by_site
			;;
		esac >"$key" 2>/dev/null
	fi
	cat "$key"
}

check_select() { # NAME TAG POOL WANT
	local p="$TMP/$1.$2"
	if grep -q "^hw: .*$3 pool.*, layout .*$4" "$p.select" 2>/dev/null; then
		ok "$2: $3 pool, layout $4"
	else
		bad "$2: the selection does not say '$4'"
		sed 's/^/  /' "$p.select" 2>/dev/null | head -5
	fi
}

check_light() { # NAME TAG CORE POOL WANT
	local name=$1 tag=$2 core=$3 pool=$4
	local p="$TMP/$name.$tag"
	check_select "$name" "$tag" "$pool" "$5"
	cli "$core" "$pool" stats >"$p.c-stats"
	same "$p.c-stats" "$p.stats" "$tag: hw-stats = stats --format kamailio"
	cli "$core" "$pool" used >"$p.c-used"
	frag_lines <"$p.used" >"$p.g-used"
	same "$p.c-used" "$p.g-used" "$tag: hw-used = frags --used"
	if grep -q '^hw-check: [0-9]* \(fragments\|blocks\) OK' "$p.check" && ! grep -q 'BAD' "$p.check"; then
		ok "$tag: hw-check: $(head -1 "$p.check" | cut -c11-)"
	else
		bad "$tag: hw-check"
		sed 's/^/  /' "$p.check" | head -10
	fi
}

check_full() { # NAME TAG CORE POOL MGR DEBUG WANT
	local name=$1 tag=$2 core=$3 pool=$4 mgr=$5 debug=$6
	local p="$TMP/$name.$tag"
	check_light "$name" "$tag" "$core" "$pool" "$7"
	cli "$core" "$pool" frags >"$p.c-frags"
	frag_lines <"$p.frags" >"$p.g-frags"
	same "$p.c-frags" "$p.g-frags" "$tag: hw-frags = frags"
	cli "$core" "$pool" range >"$p.c-range"
	frag_lines <"$p.range" >"$p.g-range"
	same "$p.c-range" "$p.g-range" "$tag: hw-used 3 17 = frags --used --from 3 --to 17"
	cli "$core" "$pool" status >"$p.c-status"
	same "$p.c-status" "$p.status" "$tag: $(status_cmd "$mgr") = frags --format kamailio"
	if [ "$mgr" != tlsf ]; then
		# the free lists are the end of the status body
		sed -n '/^dumping free list/,/^-----/p' "$p.c-status" | sed '1d;$d' >"$p.c-free"
		same "$p.c-free" "$p.free" "$tag: hw-free = the free lists of frags --format kamailio"
	else
		local lists
		lists=$(grep -c '^list ' "$p.free")
		if grep -q "^TOTAL: .* free blocks (control block says" "$p.free" && [ "$lists" -gt 0 ]; then
			ok "$tag: hw-free lists $lists TLSF free lists"
		else
			bad "$tag: hw-free"
			head -5 "$p.free" | sed 's/^/  /'
		fi
	fi
	if [ "$debug" = dbg ]; then
		sort "$p.sums" | uniq -c | sum_by_site >"$p.g-sums"
		cli "$core" "$pool" sums >"$p.c-sums"
		same "$p.c-sums" "$p.g-sums" "$tag: pipe hw-sums | sort | uniq -c = summary counts"
	elif grep -q 'need a debug build' "$p.sums" && [ "$(wc -l <"$p.sums")" = 1 ]; then
		ok "$tag: hw-sums says a debug build is needed"
	else
		bad "$tag: hw-sums on a non-debug heap"
	fi
}
