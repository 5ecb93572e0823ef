#!/bin/bash
# run-debuginfod.sh - debug info fetched by build-id from DEBUGINFOD_URLS: a
# fixture core read with a copy of its executable stripped of DWARF finds the
# DWARF on a local debuginfod-protocol server (python's http.server serving
# buildid/<id>/debuginfo), only when DEBUGINFOD_URLS is set, and only after the
# local lookups; a server without the file is said in the debug info line.
#
# usage: run-debuginfod.sh HEAPWALK FIXTURE yes|no (heapwalk built with libdebuginfod)
HW=$1
FX=$2
HAVE=$3
. "$(dirname "$0")/../fixtures/lib.sh"

[ "$HAVE" = yes ] || skip "heapwalk was built without libdebuginfod"
command -v python3 >/dev/null || skip "python3 not installed"
command -v objcopy >/dev/null || skip "objcopy not installed"

SERVER=

stop_server() {
	if [ -n "$SERVER" ]; then
		kill "$SERVER" 2>/dev/null
		wait "$SERVER" 2>/dev/null
		SERVER=
	fi
}
trap 'stop_server; cleanup' EXIT

start_fixture "$FX" --seed 13
dump_core "$FX_PID" "$TMP/core"
stop_fixture
C=$CORE

cp "$FX" "$TMP/stripped"
objcopy --strip-debug --remove-section=.gnu_debuglink "$TMP/stripped"
objcopy --only-keep-debug "$FX" "$TMP/fx.debug"
id=$(python3 - "$FX" <<'PY'
import struct, sys
# the NT_GNU_BUILD_ID note, from the section headers of a 64- or 32-bit ELF
d = open(sys.argv[1], "rb").read()
is64 = d[4] == 2
shoff = struct.unpack_from("<Q" if is64 else "<I", d, 0x28 if is64 else 0x20)[0]
shentsize, shnum = struct.unpack_from("<HH", d, 0x3A if is64 else 0x2E)
for i in range(shnum):
    o = shoff + i * shentsize
    typ = struct.unpack_from("<I", d, o + 4)[0]
    off, size = (struct.unpack_from("<QQ", d, o + 0x18) if is64 else struct.unpack_from("<II", d, o + 0x10))
    if typ != 7:
        continue
    p = off
    while p + 12 <= off + size:
        nsz, dsz, nt = struct.unpack_from("<III", d, p)
        name = d[p + 12:p + 12 + nsz]
        desc = p + 12 + ((nsz + 3) & ~3)
        if nt == 3 and name.rstrip(b"\0") == b"GNU":
            print(d[desc:desc + dsz].hex())
            sys.exit(0)
        p = desc + ((dsz + 3) & ~3)
sys.exit(1)
PY
) || skip "the fixture has no build-id"
mkdir -p "$TMP/srv/buildid/$id"
cp "$TMP/fx.debug" "$TMP/srv/buildid/$id/debuginfo"

# a free port, then the server (its own process group member; killed by pid)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$TMP/srv" && exec python3 -m http.server --bind 127.0.0.1 "$port") >"$TMP/http.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
	sleep 0.1
done

export DEBUGINFOD_CACHE_PATH=$TMP/cache
export DEBUGINFOD_TIMEOUT=10
unset DEBUGINFOD_PROGRESS

# without DEBUGINFOD_URLS: no DWARF, built-in profiles, nothing asked
env -u DEBUGINFOD_URLS "$HW" info --core "$C" --exe "$TMP/stripped" --format json >"$TMP/a.json" 2>"$TMP/a.err"
if python3 - "$TMP/a.json" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
assert d["target"]["debuginfo"] is None, d["target"]
PY
	ok "without DEBUGINFOD_URLS: no debug info, no server asked"
else
	bad "without DEBUGINFOD_URLS: $(head -c 300 "$TMP/a.json")"
fi
if grep -q "GET" "$TMP/http.log"; then bad "the server was asked without DEBUGINFOD_URLS"; fi

# with it: the DWARF comes from the server, into the client's cache
DEBUGINFOD_URLS="http://127.0.0.1:$port" "$HW" info --core "$C" --exe "$TMP/stripped" --format json \
	>"$TMP/b.json" 2>"$TMP/b.err"
if python3 - "$TMP/b.json" "$TMP/cache" "$id" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
path = d["target"]["debuginfo"]
assert path and path.startswith(sys.argv[2]) and sys.argv[3] in path, d["target"]
assert all(p["layout"].startswith("dwarf:") for p in d["pools"]), [p["layout"] for p in d["pools"]]
PY
	ok "DEBUGINFOD_URLS: DWARF fetched by build-id $id, layouts from it"
else
	bad "DEBUGINFOD_URLS: $(head -c 600 "$TMP/b.json") $(cat "$TMP/b.err")"
fi
grep -q "GET /buildid/$id/debuginfo" "$TMP/http.log" && ok "the server was asked for /buildid/$id/debuginfo" ||
	bad "no request in the server log"

# the walk with the fetched DWARF equals the walk with the original executable
"$HW" stats --core "$C" >"$TMP/orig.out" 2>&1
DEBUGINFOD_URLS="http://127.0.0.1:$port" "$HW" stats --core "$C" --exe "$TMP/stripped" >"$TMP/dfd.out" 2>&1
# (but for where the DWARF came from)
sed -i 's|dwarf:[^ ,)]*|dwarf:FILE|g' "$TMP/orig.out" "$TMP/dfd.out"
cmp -s "$TMP/orig.out" "$TMP/dfd.out" && ok "stats with the fetched DWARF = stats with the original" ||
	{ bad "stats differ"; diff "$TMP/orig.out" "$TMP/dfd.out" | head -5; }

# local lookups come first: with the original executable (DWARF inside) nothing is fetched
: >"$TMP/http.log"
rm -rf "$TMP/cache"
DEBUGINFOD_URLS="http://127.0.0.1:$port" "$HW" info --core "$C" >/dev/null 2>&1
if grep -q "GET" "$TMP/http.log"; then bad "asked the server although the exe has DWARF"; else
	ok "local DWARF first: the server is not asked"; fi

# a server that lacks the file: said in the debug info problem, the walk goes on with profiles
rm -rf "$TMP/cache" "$TMP/srv/buildid"
DEBUGINFOD_URLS="http://127.0.0.1:$port" "$HW" info --core "$C" --exe "$TMP/stripped" \
	>"$TMP/c.out" 2>"$TMP/c.err"
if grep -q "^debug info: *none.*debuginfod build-id $id \[not found on the servers\]" "$TMP/c.out"; then
	ok "server without the file: said in the debug info line, walked with a profile"
else
	bad "server without the file: $(grep -i "debug info" "$TMP/c.out")"
fi

finish
