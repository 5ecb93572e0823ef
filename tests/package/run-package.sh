#!/bin/bash
# run-package.sh - the Debian package: dpkg-buildpackage builds it from the
# source tree, lintian reports no error or warning, its version is meson's,
# apt-get installs it, the installed heapwalk reads a fixture core as the
# build tree's does, and gdb auto-loads the hw-* commands for a core of
# /usr/sbin/kamailio. The package is removed again at the end.
#
# usage: run-package.sh SOURCE_DIR HEAPWALK FIXTURE VERSION
# Exit 0 pass, 1 fail, 77 skip (not root, or no dpkg-buildpackage/lintian;
# HW_E2E_REQUIRE=1 turns a skip into a failure).
SRC=$1
HW=$2
FX=$3
VERSION=$4
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../fixtures/lib.sh"

need() {
	if [ -n "${HW_E2E_REQUIRE:-}" ]; then die "$*"; fi
	skip "$*"
}
[ "$(id -u)" = 0 ] || need "installing a package needs root"
for t in dpkg-buildpackage dh lintian apt-get gdb gcore; do
	command -v $t >/dev/null || need "$t is not installed"
done

INSTALLED=0
remove_package() {
	[ "$INSTALLED" = 1 ] && dpkg -r heapwalk >/dev/null 2>&1
	INSTALLED=0
}
trap 'remove_package; cleanup' EXIT

# 1. build from a copy of the tree as git has it (no build directories)
mkdir -p "$TMP/src/heapwalk"
if git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$SRC" && { git ls-files; git ls-files --others --exclude-standard; } |
		grep -v '^build' | tar -cf - -T -) | tar -xf - -C "$TMP/src/heapwalk"
else
	(cd "$SRC" && tar --exclude='./build*' -cf - .) | tar -xf - -C "$TMP/src/heapwalk"
fi
if (cd "$TMP/src/heapwalk" && dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b: $(cd "$TMP/src" && ls ./*.deb | tr '\n' ' ')"
else
	tail -30 "$TMP/build.log"
	die "dpkg-buildpackage failed"
fi
DEB=$(ls "$TMP"/src/heapwalk_*_*.deb)
[ -f "$DEB" ] || die "no heapwalk_*.deb"
ls "$TMP"/src/heapwalk-dbgsym_*.deb >/dev/null 2>&1 && ok "a -dbgsym package too" ||
	bad "no -dbgsym package"

# 2. lintian: no error, no warning
lintian --allow-root "$TMP"/src/heapwalk_*.changes >"$TMP/lintian.log" 2>&1
if grep -E '^[EW]: ' "$TMP/lintian.log"; then
	bad "lintian: $(grep -cE '^[EW]: ' "$TMP/lintian.log") errors or warnings (above)"
else
	ok "lintian: no error or warning ($(grep -c . "$TMP/lintian.log") lines of other output)"
fi

# 3. one version: meson's project version is the package's and --version's
pv=$(dpkg-deb -f "$DEB" Version)
[ "$pv" = "$VERSION" ] && ok "package version $pv is meson's" ||
	bad "package version $pv, meson project version $VERSION (debian/changelog)"

# 4. where every piece goes
dpkg-deb -c "$DEB" | awk '{print $6}' >"$TMP/files"
for f in ./usr/bin/heapwalk ./usr/share/man/man1/heapwalk.1.gz \
	./usr/share/bash-completion/completions/heapwalk ./usr/share/heapwalk/gdb/heapwalk.gdb \
	./usr/share/heapwalk/gdb/profiles.gdb ./usr/share/gdb/auto-load/usr/sbin/kamailio-gdb.gdb \
	./usr/share/heapwalk/heapwalk.schema.json; do
	grep -qx "$f" "$TMP/files" && ok "installs $f" || bad "does not install $f"
done
dpkg-deb -f "$DEB" Depends | grep -q 'libdwarf' && ok "Depends (shlibs): $(dpkg-deb -f "$DEB" Depends)" ||
	bad "no shlibs dependencies: $(dpkg-deb -f "$DEB" Depends)"

# 5. installed with apt-get; the installed binary reads a fixture core as the build's does
if apt-get install -y -qq --no-install-recommends "$DEB" </dev/null >"$TMP/apt.log" 2>&1; then
	INSTALLED=1
	ok "apt-get install ./$(basename "$DEB")"
else
	tail -5 "$TMP/apt.log"
	die "apt-get install failed"
fi
v=$(/usr/bin/heapwalk --version)
[ "$v" = "heapwalk $VERSION" ] && ok "heapwalk --version: $v" || bad "heapwalk --version: '$v'"
start_fixture "$FX" --seed 17
dump_core "$FX_PID" "$TMP/core"
stop_fixture
for cmd in stats summary; do
	"$HW" $cmd --core "$CORE" >"$TMP/$cmd.build" 2>&1
	/usr/bin/heapwalk $cmd --core "$CORE" >"$TMP/$cmd.installed" 2>&1
	cmp -s "$TMP/$cmd.build" "$TMP/$cmd.installed" && [ -s "$TMP/$cmd.build" ] &&
		ok "installed heapwalk $cmd equals the build's" ||
		bad "installed heapwalk $cmd differs: $(diff "$TMP/$cmd.build" "$TMP/$cmd.installed" | head -3)"
done

# 6. gdb auto-loads the scripts for a core of /usr/sbin/kamailio
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}
KAMCMD=${KAMCMD:-$(command -v kamcmd || echo /usr/sbin/kamcmd)}
MODDIR=${KAMAILIO_MODDIR:-/usr/lib/x86_64-linux-gnu/kamailio/modules}
PYTHON=${PYTHON:-$(command -v python3 || echo python3)}
if [ -x "$KAMAILIO" ] && [ -x "$KAMCMD" ] && [ -d "$MODDIR" ]; then
	. "$HERE/../e2e/lib-kamailio.sh"
	mkdir -p "$TMP/kam"
	trap 'kamailio_stop; remove_package; cleanup' EXIT
	if kamailio_up "$TMP/kam" qm 100; then
		gcore -o "$TMP/kam/core" "$KPID" >"$TMP/gcore.log" 2>&1
		kamailio_stop
		timeout 120 gdb -batch -ex 'set debuginfod enabled off' \
			-ex 'info auto-load gdb-scripts' -ex 'hw-help' \
			"$KAMAILIO" "$TMP"/kam/core.* >"$TMP/gdb.out" 2>&1
		if grep -q 'Yes.*/usr/share/gdb/auto-load/usr/sbin/kamailio-gdb.gdb' "$TMP/gdb.out" &&
			grep -q 'hw-stats' "$TMP/gdb.out"; then
			ok "gdb auto-loads kamailio-gdb.gdb for a core of $KAMAILIO: hw-help lists hw-stats"
		else
			bad "gdb did not auto-load the scripts: $(grep -i 'auto-load\|hw-' "$TMP/gdb.out" | head -5)"
		fi
	else
		bad "kamailio did not start"
	fi
else
	[ -n "${HW_E2E_REQUIRE:-}" ] && bad "kamailio not installed: gdb auto-load not checked" ||
		echo "# kamailio not installed: gdb auto-load not checked"
fi
finish
