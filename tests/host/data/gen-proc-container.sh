#!/bin/bash
# gen-proc-container.sh - writes proc-container/ from proc-leak/: the host's
# own instance (5200, 5201, as in proc-leak) and two instances in containers,
# as /proc shows them to the host: 7100 (1 in its namespace) and its child
# 7101 (7) chrooted into /srv/kam-a/rootfs, and 7300 (1) in another pid
# namespace with no root link (as when /proc/PID/root cannot be read; a root
# of its own, which /proc names "/", is left to tests/live: a link to / here
# would lead tools that follow links out of the tree).
set -eu
cd "$(dirname "$0")"
OUT=proc-container
rm -rf "$OUT"
mkdir "$OUT"
cp proc-leak/meminfo "$OUT/"
cp -r proc-leak/5200 proc-leak/5201 "$OUT/"
# proc PID PPID NSPID FROM PIDNS ROOT
proc() {
	local d=$OUT/$1
	mkdir -p "$d/ns"
	cp "proc-leak/$4/cmdline" "proc-leak/$4/status" "$d/"
	[ -e "proc-leak/$4/smaps_rollup" ] && cp "proc-leak/$4/smaps_rollup" "$d/"
	sed -i -e "s/^Tgid:.*/Tgid:\t$1/" -e "s/^Pid:.*/Pid:\t$1/" -e "s/^PPid:.*/PPid:\t$2/" \
		-e "/^PPid:/a NSpid:\t$1\t$3" "$d/status"
	ln -s "pid:[$5]" "$d/ns/pid"
	[ -z "$6" ] || ln -s "$6" "$d/root"
}
proc 7100 7090 1 5200 4026532301 /srv/kam-a/rootfs
proc 7101 7100 7 5201 4026532301 /srv/kam-a/rootfs
proc 7300 7290 1 5200 4026532302 ""
