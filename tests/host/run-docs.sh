#!/bin/bash
# run-docs.sh - --help, the man page and the bash completion agree: every
# command of 'heapwalk --help' is in the man page and offered by the
# completion, every option of each command's --help is in the man page and
# offered for that command; the man page renders with man -l without groff
# warnings; 'meson install --destdir' puts every piece in its place.
#
# usage: run-docs.sh HEAPWALK MANPAGE COMPLETION [MESON BUILDDIR]
set -u
HW=$1
MAN=$2
COMP=$3
MESON=${4:-}
BUILD=${5:-}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hw-docs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
. "$(dirname "$0")/../lib/harness.sh"

# the generated files are what the binary prints now
"$HW" --man >"$TMP/man.now" && cmp -s "$TMP/man.now" "$MAN" && ok "heapwalk.1 is 'heapwalk --man'" ||
	bad "heapwalk.1 differs from 'heapwalk --man'"
"$HW" --completion bash >"$TMP/comp.now" && cmp -s "$TMP/comp.now" "$COMP" &&
	ok "the completion is 'heapwalk --completion bash'" || bad "completion differs"
rc=0
"$HW" --completion zsh >/dev/null 2>&1 || rc=$?
[ $rc = 64 ] && ok "--completion zsh: usage error" || bad "--completion zsh: exit $rc"

# rendering: man -l, and groff's own warnings
if command -v man >/dev/null 2>&1; then
	if MANWIDTH=80 MANPAGER=cat man -l "$MAN" >"$TMP/man.txt" 2>"$TMP/man.err" && [ -s "$TMP/man.txt" ] &&
		[ ! -s "$TMP/man.err" ]; then
		ok "man -l renders $(wc -l <"$TMP/man.txt") lines"
	else
		bad "man -l: $(head -3 "$TMP/man.err")"
	fi
else
	echo "skip man not installed: rendering with groff only"
fi
if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -ww -z "$MAN" 2>"$TMP/groff.err"
	[ ! -s "$TMP/groff.err" ] && ok "groff -ww: no warnings" || bad "groff: $(head -3 "$TMP/groff.err")"
	[ -s "$TMP/man.txt" ] || groff -man -Tutf8 -P-cbou "$MAN" >"$TMP/man.txt" 2>/dev/null
fi
# the rendered text, with hyphenation undone
tr -d '\010' <"$TMP/man.txt" | sed 's/‐/-/g; s/−/-/g' >"$TMP/man.plain"

# the commands of --help
"$HW" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' \
	>"$TMP/commands"
n=$(wc -l <"$TMP/commands")
[ "$n" -ge 5 ] && ok "--help lists $n commands" || bad "--help lists only $n commands"

# the exit codes: --help's list, the man page's EXIT STATUS and README's table agree
README=$(dirname "$0")/../../README.md
"$HW" --help | sed -n 's/^Exit codes: //p' | tr ',' '\n' | sed 's/^ *//; s/\.$//' >"$TMP/exits"
n=0 miss=""
while read -r code what; do
	[ -n "$code" ] || continue
	n=$((n + 1))
	grep -qiE "^\| $code \| $what" "$README" || miss="$miss README:$code"
	awk -v c="$code" -v w="$what" '$1 == c && index(tolower($0), tolower(w)) { f = 1 } END { exit !f }' \
		"$TMP/man.plain" || miss="$miss man:$code"
done <"$TMP/exits"
[ "$n" -ge 7 ] && [ -z "$miss" ] && ok "$n exit codes: --help, the man page and README agree" ||
	bad "exit codes ($n in --help) missing or different:$miss"

# the completion, run in bash: the words offered after "heapwalk " and "heapwalk CMD -"
complete_words() { # complete_words WORD... : the words offered for the last (partial) word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _heapwalk
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@" | sort -u
}
complete_words heapwalk "" >"$TMP/offered"
missing=$(sort "$TMP/commands" | comm -23 - "$TMP/offered" | tr '\n' ' ')
[ -z "$missing" ] && ok "the completion offers every command" || bad "not offered: $missing"

while read -r cmd; do
	"$HW" "$cmd" --help >"$TMP/h.txt" 2>&1 || { bad "$cmd --help fails"; continue; }
	# the option entries: lines "  --name ..." or "  -o, --name ..."
	grep -oE '^  (-[a-zA-Z], )?--[a-z][a-z0-9-]*' "$TMP/h.txt" | tr ',' ' ' | tr ' ' '\n' |
		grep . | sort -u >"$TMP/opts"
	# the man page: the command (as 'heapwalk CMD') and each option
	grep -qE "^ *heapwalk $cmd( |$)" "$TMP/man.plain" || bad "man page: no 'heapwalk $cmd'"
	miss_man=""
	while read -r o; do
		grep -qF -- "$o" "$TMP/man.plain" || miss_man="$miss_man $o"
	done <"$TMP/opts"
	# the completion for this command: exactly the options of its --help
	complete_words heapwalk "$cmd" "-" >"$TMP/copts"
	if [ -z "$miss_man" ] && cmp -s "$TMP/opts" "$TMP/copts"; then
		ok "$cmd: $(wc -l <"$TMP/opts") options in --help, the man page and the completion"
	else
		bad "$cmd: man page lacks:$miss_man; completion differs: $(diff "$TMP/opts" "$TMP/copts" | grep '^[<>]' | tr '\n' ' ')"
	fi
done <"$TMP/commands"

# option values and file arguments
[ "$(complete_words heapwalk stats --format "" | tr '\n' ' ')" = "csv gdb json kamailio opensips prometheus text " ] &&
	ok "values of --format offered" || bad "values of --format"
[ "$(complete_words heapwalk host --color "" | tr '\n' ' ')" = "always auto never " ] &&
	ok "values of --color offered" || bad "values of --color"
mkdir -p "$TMP/dir/sub" && : >"$TMP/dir/core.1"
[ "$(complete_words heapwalk stats --core "$TMP/dir/co" | tr '\n' ' ')" = "$TMP/dir/core.1 " ] &&
	ok "files offered for --core" || bad "files for --core"

# the exit codes and the JSON schema version are in the man page
for code in 0 1 2 64; do
	grep -qE "^ {5,}$code\$|^ {5,}$code " "$TMP/man.plain" || bad "man page: exit code $code missing"
done
grep -q "format_version" "$TMP/man.plain" && ok "man page: exit codes and format_version" ||
	bad "man page: no format_version"

# meson install --destdir: every piece in its place
if [ -n "$MESON" ] && [ -n "$BUILD" ]; then
	if "$MESON" install -C "$BUILD" --no-rebuild --destdir "$TMP/dest" >"$TMP/install.log" 2>&1; then
		prefix=$("$MESON" introspect "$BUILD" --buildoptions | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["bindir"], o["mandir"], o["datadir"])')
		read -r p bindir mandir datadir <<<"$prefix"
		want=("$p/$bindir/heapwalk" "$p/$mandir/man1/heapwalk.1")
		comp=$(find "$TMP/dest" -path '*completions/heapwalk' | head -1)
		[ -n "$comp" ] || bad "install: no bash completion"
		if [ -d "$BUILD/gdbscripts" ]; then
			want+=("$p/$datadir/heapwalk/gdb/heapwalk.gdb" "$p/$datadir/gdb/auto-load/usr/sbin/kamailio-gdb.gdb")
		fi
		missing=""
		for f in "${want[@]}"; do
			[ -s "$TMP/dest$f" ] || missing="$missing $f"
		done
		if [ -z "$missing" ] && [ -x "$TMP/dest$p/$bindir/heapwalk" ]; then
			ok "meson install --destdir: ${want[*]} ${comp#"$TMP/dest"}"
		else
			bad "meson install --destdir: missing$missing"
		fi
		"$TMP/dest$p/$bindir/heapwalk" --version >/dev/null && ok "the installed binary runs" ||
			bad "the installed binary does not run"
	else
		bad "meson install: $(tail -3 "$TMP/install.log")"
	fi
fi

finish
