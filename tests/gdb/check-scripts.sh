#!/bin/bash
# check-scripts.sh - heapwalk.gdb's own rules: gdb CLI only, every command documented, reloadable.
#
# usage: check-scripts.sh HEAPWALK.GDB GDB-FILE...
#
# The GDB-FILEs are every file heapwalk.gdb sources (the parts and the
# generated profiles.gdb and loops.gdb). Checks:
#   - no Python, Guile or Python-written convenience function in any command
#   - every hw-* command and every subcommand has its own documentation
#   - help hw-stats shows it; hw-help lists the commands
#   - sourcing twice is silent (no "Redefine command" questions)
#   - a walking command without a selected pool says so
#   - the profile names are those of 'heapwalk profiles' (+ spelt _)
# Exit 0 pass, 1 fail, 77 skip (no gdb).

GDBSCRIPT=$1
shift
HW=${HW:-}
command -v gdb >/dev/null 2>&1 || { echo "SKIP: gdb not installed"; exit 77; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hw-gdb-check.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/lib-gdb.sh"

# 1. gdb's CLI only. Comment lines may talk about Python; commands may not.
forbidden='python|guile|\$_(streq|strlen|memeq|regex|as_string|any_caller_is|any_caller_matches|caller_is|caller_matches)\b'
if grep -EinH "$forbidden" "$@" | grep -Ev '^[^:]+:[0-9]+:[[:space:]]*#' >"$TMP/forbidden"; [ -s "$TMP/forbidden" ]; then
	bad "Python/Guile or a Python convenience function in the scripts:"
	head -5 "$TMP/forbidden" | sed 's/^/  /'
else
	ok "no Python, Guile or Python convenience functions in $# files"
fi

run() {
	gdb -batch -nx -ex 'set pagination off' -ex 'set width 0' "$@" 2>&1
}

# 2. documentation: gdb shows "User-defined." for an undocumented command
run -ex "source $GDBSCRIPT" -ex 'help user-defined' -ex 'help hw-internal' \
	-ex 'help hw-profile' >"$TMP/help"
ncmd=$(grep -cE '^hw' "$TMP/help")
if grep -E '^hw.* -- User-defined\.$' "$TMP/help" >"$TMP/undoc"; [ -s "$TMP/undoc" ]; then
	bad "undocumented commands:"
	head -10 "$TMP/undoc" | sed 's/^/  /'
elif [ "$ncmd" -lt 100 ]; then
	bad "only $ncmd hw commands listed"
else
	ok "$ncmd hw commands and subcommands, all documented"
fi
for c in hw-pkg hw-shm hw-layout hw-stats hw-used hw-frags hw-free hw-sums hw-status hw-check \
	hw-addr hw-strings hw-help; do
	grep -qE "^$c -- " "$TMP/help" || bad "$c is not a documented command"
done
run -ex "source $GDBSCRIPT" -ex 'help hw-stats' -ex 'hw-help' >"$TMP/help2"
if grep -q "^Print the selected pool's totals" "$TMP/help2" && grep -q '^  hw-sums ' "$TMP/help2"; then
	ok "help hw-stats and hw-help"
else
	bad "help hw-stats / hw-help"
	head -5 "$TMP/help2" | sed 's/^/  /'
fi

# 3. sourcing twice prints nothing (commands are redefined silently)
run -ex "source $GDBSCRIPT" -ex "source $GDBSCRIPT" >"$TMP/twice"
if [ -s "$TMP/twice" ]; then
	bad "sourcing heapwalk.gdb twice prints something:"
	head -5 "$TMP/twice" | sed 's/^/  /'
else
	ok "sourcing heapwalk.gdb twice is silent"
fi

# 4. no pool selected
run -ex "source $GDBSCRIPT" -ex hw-stats -ex hw-used -ex hw-check >"$TMP/nopool"
if [ "$(grep -c '^hw: no pool selected' "$TMP/nopool")" = 3 ]; then
	ok "without a pool the commands say how to select one"
else
	bad "commands without a pool"
	head -5 "$TMP/nopool" | sed 's/^/  /'
fi

# 5. the profiles are the CLI's
if [ -n "$HW" ] && [ -x "$HW" ]; then
	"$HW" profiles | awk 'NR > 1 { gsub(/\+/, "_", $1); print $1 }' | sort >"$TMP/cli-profiles"
	sed -n 's/^hw-profile \([^ ]*\) -- .*/\1/p' "$TMP/help" | sort -u >"$TMP/gdb-profiles"
	same "$TMP/cli-profiles" "$TMP/gdb-profiles" "help hw-profile lists the profiles of 'heapwalk profiles'"
fi

finish
