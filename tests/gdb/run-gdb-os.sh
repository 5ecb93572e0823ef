#!/bin/bash
# run-gdb-os.sh - heapwalk.gdb on cores of an OpenSIPS fixture, against the heapwalk CLI.
#
# usage: run-gdb-os.sh HEAPWALK HEAPWALK.GDB FIXTURE SETTING...
#
# One core per SETTING (the fixture's allocator options, e.g. "-k Q_MALLOC_DBG
# -s HP_MALLOC_DBG"); for each pool: hw-stats and hw-status print what
# 'heapwalk stats --format opensips' prints (the status, then the free
# lists; hw-free the lists), hw-frags and hw-used 3 17 the fragments
# of 'heapwalk frags', hw-addr the fragment of an address, hw-sums counted with
# uniq -c the counts of 'heapwalk summary --format opensips' per site (or,
# on a plain flavour, that there are no sites), and hw-check finds the heap
# intact, with the layout gdb reads from the fixture's debug info (equal to
# the one heapwalk read). Then, on a copy without debug info, hw-stats,
# hw-frags and hw-check with the layout recognised from the block, and with
# the output of 'heapwalk layout --format gdb' sourced. OpenSIPS 3.6+'s
# parallel shm pools: all 32 walked as one, hw-stats the 32 fm_status blocks,
# hw-free each pool's lists. On copies of the
# core with fragment 3's size (and a q_malloc debug build's start pattern)
# overwritten, hw-check names fragment 3.
# Exit 0 pass, 1 fail, 77 skip (no gdb/gcore or no ptrace).

HW=$1
GDBSCRIPT=$2
FX=$3
shift 3

HERE=$(cd "$(dirname "$0")" && pwd -P)
. "$HERE/../fixtures/lib.sh"
. "$HERE/lib-gdb.sh"

need_fixture

# the site lines of summary --format opensips as "count file: func(line)", summed by text
os_sums() {
	sed -n 's/^ *[0-9]* : \([0-9]*\) x \[\(.*\), line \([0-9]*\)\]$/\1 \2(\3)/p' | sum_by_site
}

# var FIELD: a layout variable of the pool's manager ($key) as gdb read it ($p.dump)
var() { sed -n "s/^set \\\$hw_${key}_$1 = //p" "$p.dump"; }

STRIPPED=$TMP/$(basename "$FX")-nodebug
objcopy --strip-debug "$FX" "$STRIPPED" || die "objcopy --strip-debug failed"

seed=21
for s in "$@"; do
	# shellcheck disable=SC2086 # the setting is split into its options on purpose
	start_fixture "$FX" --seed "$seed" $s
	dump_core "$FX_PID" "$TMP/core"
	stop_fixture
	seed=$((seed + 1))
	"$HW" layout --core "$CORE" --exe "$FX" --format gdb >"$TMP/layout.gdb" 2>/dev/null
	for pool in pkg shm; do
		tag="${s// /_}.$pool"
		mgr=$(sed -n "s/^${pool}_manager=//p" "$FX_OUT/info.txt")
		case $mgr in
		q_malloc) key=qm ;;
		f_malloc) key=fm ;;
		hp_malloc) key=hp ;;
		f_parallel_malloc) key=par ;;
		*) bad "$s: $pool: the fixture names no manager ('$mgr')" && continue ;;
		esac
		CMDS=("@@$tag.select" "hw-$pool" "@@$tag.stats" hw-stats "@@$tag.status" hw-status
			"@@$tag.frags" hw-frags "@@$tag.sums" hw-sums "@@$tag.check" hw-check
			"@@$tag.range" "hw-used 3 17" "@@$tag.free" hw-free "@@$tag.three" "hw-frags 3 3"
			"@@$tag.addr" 'hw-addr $hw_u + 1' "@@$tag.dump" "hw-internal dump-$key")
		# the parallel pools: the second lowest pool alone
		[ "$key" = par ] && CMDS+=("@@$tag.one" 'hw-shm $hw_par_a[1]' hw-stats "@@$tag.onefrags" hw-frags)
		gdb_run "G$seed" "$FX" "$CORE" "${CMDS[@]}"
		CMDS=("@@$tag.fselect" "hw-$pool" "@@$tag.fstats" hw-stats "@@$tag.ffrags" hw-frags
			"@@$tag.fcheck" hw-check
			"source $TMP/layout.gdb" "@@$tag.cselect" "hw-$pool" "@@$tag.cstats" hw-stats
			"@@$tag.cfrags" hw-frags "hw-layout auto")
		gdb_run "G$seed" "$STRIPPED" "$CORE" "${CMDS[@]}"
		p="$TMP/G$seed.$tag"
		"$HW" stats --core "$CORE" --exe "$FX" --pool "$pool" --format opensips 2>/dev/null |
			sed 1d >"$p.c-status"
		head -n "$(wc -l <"$p.stats")" "$p.c-status" >"$p.c-stats"
		"$HW" frags --core "$CORE" --exe "$FX" --pool "$pool" 2>/dev/null | frag_lines >"$p.c-frags"
		"$HW" summary --core "$CORE" --exe "$FX" --pool "$pool" --format opensips 2>/dev/null |
			os_sums >"$p.c-sums"
		if grep -q "^hw: $pool pool.*, layout dwarf (from gdb's debug info)" "$p.select"; then
			ok "$s: $pool: $(grep -o 'q_malloc\|f_malloc\|hp_malloc\|f_parallel_malloc' "$p.select" | head -1) from gdb's debug info"
		else
			bad "$s: $pool: the selection: $(head -2 "$p.select" | tr '\n' ' ')"
		fi
		"$HW" layout --core "$CORE" --exe "$FX" --pool "$pool" --format gdb 2>/dev/null |
			sed 's/^ *//' | grep "^set \$hw_${key}_" >"$p.c-dump"
		same "$p.c-dump" "$p.dump" "$s: $pool: the layout gdb read from DWARF = heapwalk layout's"
		[ -s "$p.c-stats" ] || bad "$s: $pool: the CLI printed no status"
		same "$p.c-stats" "$p.stats" "$s: $pool: hw-stats = stats --format opensips (its status)"
		same "$p.c-status" "$p.status" "$s: $pool: hw-status = stats --format opensips"
		frag_lines <"$p.frags" >"$p.g-frags"
		[ -s "$p.c-frags" ] || bad "$s: $pool: the CLI listed no fragments"
		same "$p.c-frags" "$p.g-frags" "$s: $pool: hw-frags = frags"
		"$HW" frags --core "$CORE" --exe "$FX" --pool "$pool" --used --from 3 --to 17 2>/dev/null |
			frag_lines >"$p.c-range"
		frag_lines <"$p.range" >"$p.g-range"
		same "$p.c-range" "$p.g-range" "$s: $pool: hw-used 3 17 = frags --used --from 3 --to 17"
		if [ "$key" = par ]; then
			# per pool (shm_blocks' order): its name, then its lists and their total
			awk '/^fm_status / { sub(/^fm_status/, "pool " n++); print }
				/^hash = |bucket size:|^TOTAL: .* free bytes$/' "$p.c-status" >"$p.c-free"
		else
			# the status, the free lists' title, then what hw-free prints
			tail -n +"$(($(wc -l <"$p.stats") + 2))" "$p.c-status" | head -n "$(wc -l <"$p.free")" >"$p.c-free"
		fi
		same "$p.c-free" "$p.free" "$s: $pool: hw-free = the free lists of stats --format opensips"
		grep -q "^hw: 0x[0-9a-f]* is in the payload of fragment 3:" "$p.addr" &&
			ok "$s: $pool: hw-addr: $(grep -m1 ' is in the payload' "$p.addr" | cut -c5-)" ||
			bad "$s: $pool: hw-addr: $(head -2 "$p.addr" | tr '\n' ' ')"
		# damage: fragment 3's size runs past the heap; a q_malloc debug
		# build's fragment 3 loses its start pattern (a whole word)
		user=$(frag_lines <"$p.three" | awk '{ print $2 }')
		hdr=$(printf '0x%x' $((user - $(var frag_size))))
		python3 "$HERE/patch-core.py" "$CORE" "$TMP/size.core" "$hdr" 0x7ffffff0 "$(var word)" ||
			die "cannot patch the core"
		CMDS=("@@$tag.dsize" "hw-$pool" hw-check)
		if [ "$key" = qm ] && [ "$(var debug)" = 1 ]; then
			python3 "$HERE/patch-core.py" "$CORE" "$TMP/check.core" \
				"$(printf '0x%x' $((hdr + $(var f_check))))" 0 "$(var word)" || die "cannot patch the core"
		fi
		gdb_run "D$seed" "$FX" "$TMP/size.core" "${CMDS[@]}"
		grep -q "^hw-check: BAD fragment 3 at $hdr: size 2147483632 runs past the heap end" "$TMP/D$seed.$tag.dsize" &&
			ok "$s: $pool: a damaged size: $(grep -m1 BAD "$TMP/D$seed.$tag.dsize" | cut -c11-)" ||
			bad "$s: $pool: a damaged size: $(head -3 "$TMP/D$seed.$tag.dsize" | tr '\n' ' ')"
		if [ -e "$TMP/check.core" ]; then
			gdb_run "E$seed" "$FX" "$TMP/check.core" "@@$tag.dcheck" "hw-$pool" hw-check
			want=f0f0f0f0
			[ "$(var word)" = 8 ] && want=f0f0f0f0f0f0f0f0
			grep -q "^hw-check: BAD fragment 3 at $hdr: start pattern 0, expected $want" "$TMP/E$seed.$tag.dcheck" &&
				ok "$s: $pool: a damaged start pattern: $(grep -m1 BAD "$TMP/E$seed.$tag.dcheck" | cut -c11-)" ||
				bad "$s: $pool: a damaged start pattern: $(head -3 "$TMP/E$seed.$tag.dcheck" | tr '\n' ' ')"
			rm -f "$TMP/check.core"
		fi
		rm -f "$TMP/size.core"
		if [ -s "$p.c-sums" ]; then
			sort "$p.sums" | uniq -c | sum_by_site >"$p.g-sums"
			same "$p.c-sums" "$p.g-sums" "$s: $pool: pipe hw-sums | sort | uniq -c = the summary's counts"
		elif grep -q 'need a debug build' "$p.sums" && [ "$(wc -l <"$p.sums")" = 1 ]; then
			ok "$s: $pool: a plain flavour: hw-sums says there are no sites"
		else
			bad "$s: $pool: hw-sums on a heap without sites: $(head -1 "$p.sums")"
		fi
		if [ "$key" = par ]; then
			# the walk's figures: the CLI's check, and one pool alone
			walk=$("$HW" check --core "$CORE" --exe "$FX" --pool shm 2>/dev/null |
				sed -n 's/^ *walk: *\([0-9]*\) fragments (\([0-9]*\) used, \([0-9]*\) free).*/\1 \2 \3/p')
			[ "$(sed -n 's/^hw-check: \([0-9]*\) fragments OK in 32 pools (\([0-9]*\) used, \([0-9]*\) free)$/\1 \2 \3/p' "$p.check")" = "$walk" ] &&
				ok "$s: $pool: hw-check's totals = check's walk ($walk)" ||
				bad "$s: $pool: hw-check's totals: $(tail -1 "$p.check"), check's walk: '$walk'"
			one=$(sed -n '2s/^fm_status (\(0x[0-9a-f]*\)):$/\1/p' "$p.one")
			"$HW" stats --core "$CORE" --exe "$FX" --pool shm --block "$one" --format opensips 2>/dev/null |
				sed 1d >"$p.c-one"
			sed 1d "$p.one" >"$p.g-one"
			same "$p.c-one" "$p.g-one" "$s: $pool: hw-shm $one (one pool): hw-stats = stats --block"
			"$HW" frags --core "$CORE" --exe "$FX" --pool shm --block "$one" 2>/dev/null | frag_lines >"$p.c-onefrags"
			frag_lines <"$p.onefrags" >"$p.g-onefrags"
			same "$p.c-onefrags" "$p.g-onefrags" "$s: $pool: hw-shm $one (one pool): hw-frags = frags --block"
		fi
		if grep -q '^hw-check: [0-9]* fragments OK' "$p.check" && ! grep -q 'BAD' "$p.check"; then
			ok "$s: $pool: hw-check: $(grep '^hw-check: [0-9]* fragments OK' "$p.check" | tail -1 | cut -c11-)"
		else
			bad "$s: $pool: hw-check: $(head -3 "$p.check" | tr '\n' ' ')"
		fi
		if grep -q "^hw: $pool pool.*, layout .*(recognised from the block)" "$p.fselect"; then
			ok "$s: $pool: without debug info: $(sed 's/.*, layout //' "$p.fselect")"
		else
			bad "$s: $pool: without debug info: $(head -2 "$p.fselect" | tr '\n' ' ')"
		fi
		same "$p.c-stats" "$p.fstats" "$s: $pool: without debug info: hw-stats"
		frag_lines <"$p.ffrags" >"$p.g-ffrags"
		same "$p.c-frags" "$p.g-ffrags" "$s: $pool: without debug info: hw-frags"
		grep -q '^hw-check: [0-9]* fragments OK' "$p.fcheck" && ! grep -q 'BAD' "$p.fcheck" ||
			bad "$s: $pool: without debug info: hw-check: $(head -3 "$p.fcheck" | tr '\n' ' ')"
		grep -q "^hw: $pool pool.*heapwalk layout: " "$p.cselect" ||
			bad "$s: $pool: with the CLI's layout file: $(head -1 "$p.cselect")"
		same "$p.c-stats" "$p.cstats" "$s: $pool: with the CLI's layout: hw-stats"
		frag_lines <"$p.cfrags" >"$p.g-cfrags"
		same "$p.c-frags" "$p.g-cfrags" "$s: $pool: with the CLI's layout: hw-frags"
	done
done
finish
