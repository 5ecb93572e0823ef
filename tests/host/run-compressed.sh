#!/bin/bash
# run-compressed.sh - a fixture core compressed with zstd, xz and lz4 (as
# systemd-coredump stores them) gives the same output as the raw core; a
# truncated or corrupt one fails with a clear error (exit 2); one that
# decompresses beyond --max-core-size is refused. A format heapwalk was
# built without is refused with one line that says so.
#
# usage: run-compressed.sh HEAPWALK FIXTURE CODECS (built in, e.g. zstd,xz,lz4)
HW=$1
FX=$2
CODECS=,${3:-},
built() { case $CODECS in *,$1,*) return 0 ;; esac; return 1; }
. "$(dirname "$0")/../fixtures/lib.sh"

start_fixture "$FX" --seed 9
dump_core "$FX_PID" "$TMP/core"
stop_fixture
C=$CORE

# expect_fail NAME PATTERN ARGS...: exit 2, one line on stderr matching PATTERN
expect_fail() {
	local name=$1 pat=$2 rc=0
	shift 2
	"$HW" "$@" >"$TMP/f.out" 2>"$TMP/f.err" || rc=$?
	if [ $rc = 2 ] && grep -qE "$pat" "$TMP/f.err" && [ "$(wc -l <"$TMP/f.err")" = 1 ]; then
		ok "$name: exit 2: $(cat "$TMP/f.err")"
	else
		bad "$name: exit $rc: $(head -3 "$TMP/f.err")"
	fi
}

for cmd in stats "summary --format json" "info --format json" "frags --format csv"; do
	# shellcheck disable=SC2086
	"$HW" $cmd --core "$C" >"$TMP/raw.out" 2>"$TMP/raw.err" || true
	for z in zstd xz lz4; do
		command -v $z >/dev/null || { echo "skip $z not installed"; continue; }
		[ -f "$TMP/core.$z" ] || $z -q -c "$C" >"$TMP/core.$z" </dev/null
		if ! built $z; then
			# shellcheck disable=SC2086
			expect_fail "$cmd on a $z core, built without it" \
				"is $z-compressed, but this heapwalk was built without .*decompress it first" \
				$cmd --core "$TMP/core.$z"
			continue
		fi
		rc=0
		# shellcheck disable=SC2086
		"$HW" $cmd --core "$TMP/core.$z" >"$TMP/z.out" 2>"$TMP/z.err" || rc=$?
		# the core's own path shows in info: compare with it replaced
		sed "s|$TMP/core.$z|CORE|g" "$TMP/z.out" >"$TMP/z.cmp"
		sed "s|$C|CORE|g" "$TMP/raw.out" >"$TMP/raw.cmp"
		if [ $rc = 0 ] && cmp -s "$TMP/z.cmp" "$TMP/raw.cmp" && [ -s "$TMP/z.out" ]; then
			ok "$cmd: the $z core ($(stat -c %s "$TMP/core.$z") bytes) gives the raw core's output"
		else
			bad "$cmd on the $z core: exit $rc, $(head -2 "$TMP/z.err")"
			diff "$TMP/raw.cmp" "$TMP/z.cmp" | head -5
		fi
	done
done

# detected by content, not name: a zstd core called core.xz, a raw core called .zst
if command -v zstd >/dev/null && built zstd; then
	cp "$TMP/core.zstd" "$TMP/misnamed.xz"
	cp "$C" "$TMP/raw.zst"
	"$HW" stats --core "$C" >"$TMP/a.out" 2>&1
	if "$HW" stats --core "$TMP/misnamed.xz" >"$TMP/b.out" 2>&1 &&
		"$HW" stats --core "$TMP/raw.zst" >"$TMP/c.out" 2>&1 &&
		cmp -s "$TMP/a.out" "$TMP/b.out" && cmp -s "$TMP/a.out" "$TMP/c.out"; then
		ok "recognised by magic bytes, whatever the name"
	else
		bad "misnamed files"
	fi
	# a zstd stream made of several frames (zstd -c a b)
	head -c 1000000 "$C" >"$TMP/part1"
	tail -c +1000001 "$C" >"$TMP/part2"
	zstd -q -c "$TMP/part1" >"$TMP/multi.zst"
	zstd -q -c "$TMP/part2" >>"$TMP/multi.zst"
	if "$HW" stats --core "$TMP/multi.zst" >"$TMP/m.out" 2>&1 && cmp -s "$TMP/a.out" "$TMP/m.out"; then
		ok "a zstd stream of two frames"
	else
		bad "a zstd stream of two frames: $(head -2 "$TMP/m.out")"
	fi
fi

for z in zstd xz lz4; do
	[ -f "$TMP/core.$z" ] && built $z || continue
	size=$(stat -c %s "$TMP/core.$z")
	head -c $((size / 2)) "$TMP/core.$z" >"$TMP/trunc.$z"
	expect_fail "truncated $z" "$z stream truncated" stats --core "$TMP/trunc.$z"
	python3 - "$TMP/core.$z" "$TMP/bad.$z" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
for i in range(len(d) // 3, len(d) // 3 + 200):
    d[i] ^= 0x5A
open(sys.argv[2], "wb").write(d)
PY
	expect_fail "corrupt $z" "corrupt $z stream|$z stream truncated" stats --core "$TMP/bad.$z"
done

# a small bomb: an ELF core header and 128 MiB of zeros in a few KiB; refused past the limit
core_bomb() {
	{ printf '\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\4\0'; head -c 134217728 /dev/zero; } | "$@"
}
if command -v zstd >/dev/null && built zstd; then
	core_bomb zstd -q -c >"$TMP/bomb.zst"
	expect_fail "zstd bomb over --max-core-size 32M" "more than 33554432 bytes" \
		stats --core "$TMP/bomb.zst" --max-core-size 32M
	# no ELF core: refused from its first bytes, before the rest is expanded
	head -c 134217728 /dev/zero | zstd -q -c >"$TMP/zeros.zst"
	expect_fail "zstd zeros" "not an ELF" stats --core "$TMP/zeros.zst"
fi
if command -v xz >/dev/null && built xz; then
	core_bomb xz -T1 -q -c >"$TMP/bomb.xz"
	expect_fail "xz bomb over --max-core-size 50M" "more than 52428800 bytes" \
		stats --core "$TMP/bomb.xz" --max-core-size 50M
fi

finish
