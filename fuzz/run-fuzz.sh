#!/bin/bash
# run-fuzz.sh - the bounded fuzz run of suite 'fuzz'.
#
# usage: run-fuzz.sh SRCDIR BUILDDIR libfuzzer|replay SANITIZE
#
# Makes the seed corpora (walker images from the unit tests' heap builders,
# small synthetic cores, snapshot files heapwalk's writer makes of them,
# object files with the managers' DWARF: plain, and optimised DWARF 5 with
# range lists and compressed sections), replays them through the harnesses
# as built, then fuzzes each harness for HW_FUZZ_SECONDS (default 6) with
# libFuzzer: directly when this build is a clang libFuzzer build, else from
# a clang copy built beside this build
# (BUILDDIR/clang). Skips (77) after the replay when clang or its fuzzer
# runtime is missing, and in sanitized gcc builds (the plain build fuzzes).
# A crash, leak or hang (libFuzzer -timeout) fails; its input is kept in
# BUILDDIR/artefacts.
set -u
SRC=$1
B=$2
MODE=$3
SAN=${4:-none}
SECS=${HW_FUZZ_SECONDS:-6}
CORPUS=$B/corpus
ART=$B/artefacts
HARNESSES="fuzz_core fuzz_dwarf fuzz_snapshot fuzz_walk"
mkdir -p "$CORPUS/walk" "$CORPUS/core" "$CORPUS/snapshot" "$CORPUS/dwarf" "$ART"

fail() {
	echo "FAIL: $*"
	exit 1
}
skip() {
	echo "SKIP: $*"
	exit 77
}

# ---- seeds ----
"$B/fuzz_mkseeds" "$CORPUS/walk" >/dev/null || fail "cannot write the walker seeds"
if command -v python3 >/dev/null 2>&1; then
	python3 "$SRC/fuzz/mkcores.py" "$CORPUS/core" >/dev/null || fail "cannot write the core seeds"
	"$B/fuzz_mksnapshots" "$CORPUS/snapshot" "$CORPUS"/core/core-* >/dev/null ||
		fail "cannot write the snapshot seeds"
fi
for bits in 64 32; do
	# shellcheck disable=SC2086
	${CC:-cc} -g -c -m$bits "$SRC/fuzz/seed_layouts.c" -o "$CORPUS/dwarf/layouts-$bits.o" \
		2>/dev/null || true
done
# optimised DWARF 5 as Kamailio's packages have it (range and location lists,
# compressed sections, a linked object): from gcc, and from clang (strx/addrx)
for c in gcc clang; do
	command -v $c >/dev/null 2>&1 || continue
	o="$CORPUS/dwarf/ranges-$c"
	$c -O2 -g -gdwarf-5 -c "$SRC/fuzz/seed_ranges.c" -o "$o.o" 2>/dev/null || true
	$c -O2 -g -gdwarf-5 -gz=zlib -c "$SRC/fuzz/seed_ranges.c" -o "$o-gz.o" 2>/dev/null || true
	$c -O2 -g -gdwarf-5 -shared -fPIC -nostdlib "$SRC/fuzz/seed_ranges.c" -o "$o.so" \
		2>/dev/null || true
done

# ---- replay the seeds through the harnesses as built ----
if [ "$MODE" = replay ]; then
	for h in $HARNESSES; do
		d=${h#fuzz_}
		out=$(timeout 300 "$B/$h" "$CORPUS/$d" 2>&1) || fail "$h on its seeds: $out"
		echo "# $h: $out"
	done
fi

# ---- the libFuzzer build ----
if [ "$MODE" = libfuzzer ]; then
	FB=$B
else
	[ "$SAN" = none ] || skip "seeds replayed; the fuzzing runs in the plain (unsanitized) build"
	command -v clang >/dev/null 2>&1 || skip "seeds replayed; clang not installed (no libFuzzer)"
	printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
		>"$B/probe.c"
	clang -fsanitize=fuzzer "$B/probe.c" -o "$B/probe" >/dev/null 2>&1 ||
		skip "seeds replayed; clang's fuzzer runtime (libclang-rt-dev) is missing"
	CB=$B/clang
	(
		flock 9
		if [ ! -f "$CB/build.ninja" ]; then
			CC=clang meson setup "$CB" "$SRC" -Db_sanitize=address,undefined -Db_lundef=false \
				-Dc_args=-fsanitize=fuzzer-no-link -Dbuildtype=debugoptimized >"$B/clang-setup.log" 2>&1 ||
				{ tail -20 "$B/clang-setup.log"; exit 1; }
		fi
		# shellcheck disable=SC2046
		ninja -C "$CB" $(printf 'fuzz/%s ' $HARNESSES) >"$B/clang-build.log" 2>&1 ||
			{ tail -30 "$B/clang-build.log"; exit 1; }
	) 9>"$B/clang.lock" || fail "cannot build the libFuzzer harnesses with clang"
	FB=$CB/fuzz
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=1:abort_on_error=0
total=0
for h in ${HW_FUZZ_HARNESSES:-$HARNESSES}; do
	d=${h#fuzz_}
	work=$B/work-$d
	mkdir -p "$work"
	log=$B/$h.log
	max=65536
	# debug files, cores with thousands of file names and snapshot files
	# (page-aligned segments) are larger than heap images
	[ "$d" = walk ] || max=200000
	"$FB/$h" "$work" "$CORPUS/$d" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
		-malloc_limit_mb=2048 -max_len=$max -artifact_prefix="$ART/$h-" -print_final_stats=1 >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "# $h: ${execs:-?} executions in ${SECS} s (exit $rc)"
	total=$((total + ${execs:-0}))
	if [ $rc -ne 0 ]; then
		grep -E 'ERROR|SUMMARY|Test unit written|==[0-9]+==' "$log" | head -20
		fail "$h found a problem (input kept in $ART)"
	fi
done
echo "# $total executions in total"
