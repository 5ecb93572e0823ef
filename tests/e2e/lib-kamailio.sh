# shellcheck shell=bash
# lib-kamailio.sh - Debian's kamailio on loopback for the tests (sourced, not run).
#
# Sets KAMAILIO, MODDIR, KAMCMD and PYTHON unless the environment gives them
# (KAMAILIO_MODDIR for MODDIR); the config and the SIP sender are the ones next
# to this file.
#
# kamailio_start DIR MGR HTSIZE   kamailio with kamailio.cfg on a free UDP port
#                                 of 127.0.0.1, DIR its run directory (log,
#                                 pid file, ctl socket), MGR its pkg and shm
#                                 manager, HTSIZE the htable items it fills;
#                                 tries three ports; waits until core.psx
#                                 (DIR/psx.txt) lists the ctl handler and both
#                                 UDP workers. Sets KPID and PORT. Returns 0;
#                                 1 when it exited during startup (see
#                                 DIR/kamailio.log); 2 when it runs but was not
#                                 ready within 20 s (KPID stays set)
# kamailio_up DIR MGR HTSIZE      kamailio_start; when it fails, the log's tail
#                                 and the reason on stderr, and returns 1
# kamailio_stop                   SIGTERM, up to 15 s, then SIGKILL; empties KPID

KAM_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# the tools, unless the environment names others (KAMAILIO_MODDIR: the modules)
KAMAILIO=${KAMAILIO:-/usr/sbin/kamailio}
KAMCMD=${KAMCMD:-$(command -v kamcmd || echo /usr/sbin/kamcmd)}
MODDIR=${KAMAILIO_MODDIR:-/usr/lib/x86_64-linux-gnu/kamailio/modules}
PYTHON=${PYTHON:-$(command -v python3 || echo python3)}

kamailio_start() {
	local dir=$1 mgr=$2 htsize=$3 _try _
	KPID=""
	for _try in 1 2 3; do
		PORT=$("$PYTHON" "$KAM_TESTS/sipsend.py" freeport) || return 1
		: >"$dir/kamailio.log"
		# MALLOC_PERTURB_ (set by meson test) would only scribble on free
		# memory; keep Kamailio's environment plain.
		env -u MALLOC_PERTURB_ "$KAMAILIO" -f "$KAM_TESTS/kamailio.cfg" -L "$MODDIR" \
			-x "$mgr" -X "$mgr" -M 4 -m 16 -DD -E -Y "$dir" -P "$dir/kamailio.pid" \
			-A "HW_PORT=$PORT" -A "HW_CTL=\"unix:$dir/kamailio_ctl\"" \
			-A "HW_HTSIZE=$htsize" \
			</dev/null >"$dir/kamailio.stdout" 2>>"$dir/kamailio.log" &
		KPID=$!
		for _ in $(seq 200); do
			kill -0 "$KPID" 2>/dev/null || break
			if [ -S "$dir/kamailio_ctl" ] &&
				"$KAMCMD" -s "unixs:$dir/kamailio_ctl" core.psx >"$dir/psx.txt" 2>/dev/null &&
				grep -q 'DSC: ctl handler' "$dir/psx.txt" &&
				grep -q 'DSC: udp receiver child=1' "$dir/psx.txt"; then
				return 0
			fi
			sleep 0.1
		done
		kill -0 "$KPID" 2>/dev/null && return 2
		wait "$KPID" 2>/dev/null
		KPID=""
		# the port was taken meanwhile: another one
		grep -q 'bind\|Address already in use' "$dir/kamailio.log" || return 1
	done
	return 1
}

kamailio_up() {
	kamailio_start "$@"
	case $? in
	0) return 0 ;;
	2)
		tail -n 20 "$1/kamailio.log" >&2
		echo "kamailio (pid $KPID) did not become ready within 20 s" >&2
		;;
	*)
		tail -n 30 "$1/kamailio.log" >&2
		echo "kamailio exited during startup, or found no free UDP port in 3 tries" >&2
		;;
	esac
	return 1
}

kamailio_stop() {
	[ -n "$KPID" ] || return 0
	kill -TERM "$KPID" 2>/dev/null
	for _ in $(seq 150); do kill -0 "$KPID" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$KPID" 2>/dev/null
	wait "$KPID" 2>/dev/null
	KPID=""
}
