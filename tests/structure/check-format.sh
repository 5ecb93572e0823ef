#!/bin/bash
# check-format.sh - every C source and header of heapwalk is formatted as
# .clang-format says: any difference fails, with the files named.
#
# usage: check-format.sh SOURCE_ROOT
# Exit 0 pass, 1 fail, 77 skip (no clang-format; HW_E2E_REQUIRE=1 makes that a failure).
ROOT=$1
. "$(dirname "$0")/../lib/harness.sh"
if ! command -v clang-format >/dev/null; then
	[ -n "${HW_E2E_REQUIRE:-}" ] && die "clang-format is not installed"
	skip "clang-format is not installed"
fi
cd "$ROOT" || die "no source root $ROOT"
if git rev-parse --git-dir >/dev/null 2>&1; then
	mapfile -t files < <(git ls-files '*.c' '*.h')
else
	mapfile -t files < <(find walker include tests fixtures bench fuzz gdbscripts -name '*.[ch]' | sort)
fi
[ ${#files[@]} -gt 100 ] || die "only ${#files[@]} C files found under $ROOT"
for f in "${files[@]}"; do
	if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
		bad "$f differs from .clang-format: $(clang-format --dry-run "$f" 2>&1 | grep -c 'warning:') places (clang-format -i $f)"
	fi
done
[ "$FAIL" = 0 ] && ok "${#files[@]} C files as .clang-format says ($(clang-format --version))"
finish
