/*
 * coredump.c - a core that systemd-coredump stored: the store's directory
 * scanned (bounded) for file names in its format,
 * core.COMM.UID.BOOTID.PID.USEC[.zst|.xz|.lz4], with COMM escaped (".", "/"
 * and " " as \xNN), and the metadata systemd-coredump attaches to each file
 * as user.coredump.* extended attributes (pid, uid, gid, signal, timestamp
 * in microseconds, rlimit, hostname, comm, exe). The attributes win over
 * the file name when present; the file name alone is enough.
 *
 * Everything in the store is untrusted: names and attribute values are
 * length-bounded and sanitised, only regular files directly in the
 * directory are considered (opened with O_NOFOLLOW beneath it), and a
 * symlink or anything else is refused and counted.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/target.h"

#define MAX_ENTRIES 100000 /* directory entries read at most */
#define ATTR_MAX 4096	   /* bytes of one attribute value read at most */

/* One stored core as its name and attributes describe it. */
struct stored {
	char name[256];
	char comm[64];
	char exe[1024];
	char hostname[128];
	uint64_t pid, uid, signal, usec;
	bool has_signal, xattrs;
};

bool hw_coredump_selector_ok(const char *sel)
{
	uint64_t v = 0;

	if (!sel)
		return false;
	if (!strcmp(sel, "latest"))
		return true;
	for (const char *p = sel; *p; p++) {
		if (*p < '0' || *p > '9' || p - sel > 9)
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return *sel && v > 0 && v <= INT32_MAX;
}

/* A decimal field of at most 19 digits; false for anything else. */
static bool parse_dec(const char *s, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 19)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = v;
	return true;
}

/* The file name's COMM: \xNN escapes undone, then sanitised for printing. */
static void unescape_comm(const char *s, size_t len, char *out, size_t cap)
{
	char raw[256];
	size_t n = 0;

	for (size_t i = 0; i < len && n < sizeof(raw) - 1; i++) {
		int hi, lo;
		if (s[i] == '\\' && i + 3 < len && s[i + 1] == 'x' &&
		    (hi = hw_hexval(s[i + 2])) >= 0 && (lo = hw_hexval(s[i + 3])) >= 0) {
			raw[n++] = (char)(hi << 4 | lo);
			i += 3;
		} else {
			raw[n++] = s[i];
		}
	}
	hw_sanitise(out, cap, raw, n);
}

/* core.COMM.UID.BOOTID.PID.USEC[.EXT]: false for any other name. */
static bool parse_name(const char *name, struct stored *c)
{
	const char *f[7];
	size_t len[7], n = 0;
	const char *p = name + 5, *dot;

	if (strncmp(name, "core.", 5) != 0 || strlen(name) >= sizeof(c->name))
		return false;
	while (n < 7) {
		dot = strchr(p, '.');
		f[n] = p;
		len[n] = dot ? (size_t)(dot - p) : strlen(p);
		n++;
		if (!dot)
			break;
		p = dot + 1;
	}
	if ((n != 5 && n != 6) || len[0] == 0 || len[2] != 32)
		return false;
	for (size_t i = 0; i < 32; i++)
		if (hw_hexval(f[2][i]) < 0)
			return false;
	if (!parse_dec(f[1], len[1], &c->uid) || !parse_dec(f[3], len[3], &c->pid) ||
	    !parse_dec(f[4], len[4], &c->usec))
		return false;
	if (n == 6 && strcmp(f[5], "zst") && strcmp(f[5], "xz") && strcmp(f[5], "lz4"))
		return false;
	unescape_comm(f[0], len[0], c->comm, sizeof(c->comm));
	memcpy(c->name, name, strlen(name) + 1);
	return true;
}

/* user.coredump.@key of @fd, sanitised into @out; false if absent or empty. */
static bool get_attr(int fd, const char *key, char *out, size_t cap)
{
	char name[64], raw[ATTR_MAX];
	ssize_t n;

	snprintf(name, sizeof(name), "user.coredump.%s", key);
	n = fgetxattr(fd, name, raw, sizeof(raw));
	if (n <= 0)
		return false;
	hw_sanitise(out, cap, raw, (size_t)n);
	return out[0] != '\0';
}

/* A decimal attribute over the value from the file name (kept when absent or malformed). */
static bool get_attr_dec(int fd, const char *key, uint64_t *v)
{
	char buf[32];

	return get_attr(fd, key, buf, sizeof(buf)) && parse_dec(buf, strlen(buf), v);
}

static void read_attrs(int fd, struct stored *c)
{
	char comm[64];

	c->xattrs |= get_attr_dec(fd, "pid", &c->pid);
	c->xattrs |= get_attr_dec(fd, "uid", &c->uid);
	c->xattrs |= get_attr_dec(fd, "timestamp", &c->usec);
	c->has_signal = get_attr_dec(fd, "signal", &c->signal);
	c->xattrs |= c->has_signal;
	c->xattrs |= get_attr(fd, "exe", c->exe, sizeof(c->exe));
	c->xattrs |= get_attr(fd, "hostname", c->hostname, sizeof(c->hostname));
	if (get_attr(fd, "comm", comm, sizeof(comm))) {
		memcpy(c->comm, comm, sizeof(comm));
		c->xattrs = true;
	}
}

/* Kamailio's or OpenSIPS's: its comm, or its executable's file name, is kamailio or opensips. */
static bool is_server(const struct stored *c)
{
	const char *base = strrchr(c->exe, '/');

	base = base ? base + 1 : c->exe;
	return !strcmp(c->comm, "kamailio") || !strcmp(base, "kamailio") ||
	       !strcmp(c->comm, "opensips") || !strcmp(base, "opensips");
}

/* Whether @a is newer than @b (the time, then the name, so that the choice is stable). */
static bool newer(const struct stored *a, const struct stored *b)
{
	return a->usec != b->usec ? a->usec > b->usec : strcmp(a->name, b->name) > 0;
}

struct scan {
	uint64_t pid; /* 0: latest */
	struct stored best, cur;
	bool found;
	size_t cores, refused, other; /* stored cores; refused entries; not Kamailio's (latest) */
	char refused_name[256];
};

/* One directory entry: considered if its name is a stored core's, opened beneath @dfd. */
static void scan_entry(struct scan *sc, int dfd, const char *name)
{
	struct stat st;
	int fd;

	memset(&sc->cur, 0, sizeof(sc->cur));
	if (!parse_name(name, &sc->cur))
		return;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0 || errno == ELOOP) {
			sc->refused++;
			hw_sanitise(sc->refused_name, sizeof(sc->refused_name), name, strlen(name));
		}
		if (fd >= 0)
			close(fd);
		return;
	}
	read_attrs(fd, &sc->cur);
	close(fd);
	sc->cores++;
	if (sc->pid ? sc->cur.pid != sc->pid : !is_server(&sc->cur)) {
		sc->other++;
		return;
	}
	if (!sc->found || newer(&sc->cur, &sc->best)) {
		sc->best = sc->cur;
		sc->found = true;
	}
}

/* The executable to open: the recorded one under @sysroot, if it is a regular file there. */
static void exe_to_open(const char *exe, const char *sysroot, char *out, size_t cap)
{
	struct stat st;
	int n;

	out[0] = '\0';
	/* a path cut to fit, or one that sanitising changed, is not the recorded one */
	if (exe[0] != '/' || strlen(exe) + 1 >= sizeof(((struct stored *)0)->exe) ||
	    strstr(exe, "/../") || strstr(exe, "\\x") || strstr(exe, "\\\\"))
		return;
	if (sysroot && *sysroot)
		n = snprintf(out, cap, "%s%s", sysroot, exe);
	else
		n = snprintf(out, cap, "%s", exe);
	if (n < 0 || (size_t)n >= cap || stat(out, &st) != 0 || !S_ISREG(st.st_mode))
		out[0] = '\0';
}

/* The line that says which core was chosen. */
static void describe(const char *sel, const struct stored *c, struct hw_coredump *ret)
{
	char when[64] = "time unknown", sig[32] = "", path[4096];
	time_t t = (time_t)(c->usec / 1000000);
	struct tm tm;

	if (c->usec && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (c->has_signal)
		snprintf(sig, sizeof(sig), ", signal %" PRIu64, c->signal);
	hw_sanitise(path, sizeof(path), ret->core_path, sizeof(ret->core_path));
	snprintf(ret->chosen, sizeof(ret->chosen),
		 "--coredump %s: %s (pid %" PRIu64 ", %s, %s%s%s%s)%s", sel, path, c->pid, when,
		 c->exe[0] ? c->exe : c->comm, sig, c->hostname[0] ? ", host " : "", c->hostname,
		 c->xattrs ? "" : "; no user.coredump attributes: metadata from the file name");
}

struct hw_error *hw_coredump_find(const char *sel, const char *dir, const char *sysroot,
				  struct hw_coredump *ret)
{
	struct scan *sc;
	struct dirent *de;
	struct hw_error *err = NULL;
	char shown[512];
	size_t seen = 0;
	bool cut;
	DIR *d;
	int dfd;

	memset(ret, 0, sizeof(*ret));
	if (!hw_coredump_selector_ok(sel))
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "--coredump takes a process id or 'latest', not '%s'",
				       sel ? sel : "");
	if (!dir || !*dir)
		dir = getenv("HEAPWALK_COREDUMP_DIR");
	if (!dir || !*dir)
		dir = HW_COREDUMP_DIR;
	hw_sanitise(shown, sizeof(shown), dir, strlen(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return hw_error_os(errno, "no stored core: cannot open systemd-coredump's store %s",
				   shown);
	if (!(d = fdopendir(dfd))) {
		close(dfd);
		return hw_error_os(errno, "cannot read systemd-coredump's store %s", shown);
	}
	if (!(sc = calloc(1, sizeof(*sc)))) {
		closedir(d);
		return hw_error_nomem();
	}
	sc->pid = strcmp(sel, "latest") ? strtoull(sel, NULL, 10) : 0;
	while ((cut = seen++ >= MAX_ENTRIES) == false && (de = readdir(d)))
		scan_entry(sc, dfd, de->d_name);
	if (sc->found) {
		int n =
		    snprintf(ret->core_path, sizeof(ret->core_path), "%s/%s", dir, sc->best.name);
		if (n < 0 || (size_t)n >= sizeof(ret->core_path))
			err = hw_error_create(HW_ERR_INVALID_ARG, "%s: path too long", shown);
	} else {
		char what[64] = "Kamailio or OpenSIPS core", others[64] = "", why[400] = "";
		if (sc->pid)
			snprintf(what, sizeof(what), "core of pid %" PRIu64, sc->pid);
		if (sc->other)
			snprintf(others, sizeof(others), "; %zu other core%s%s", sc->other,
				 sc->other == 1 ? "" : "s", sc->pid ? "" : ": give --coredump PID");
		if (sc->refused)
			snprintf(why, sizeof(why), "; %zu entr%s refused, not a regular file: %s",
				 sc->refused, sc->refused == 1 ? "y" : "ies", sc->refused_name);
		err = hw_error_create(HW_ERR_LOOKUP, "no %s stored in %s%s%s", what, shown, others,
				      why);
	}
	if (!err) {
		exe_to_open(sc->best.exe, sysroot, ret->exe_path, sizeof(ret->exe_path));
		ret->pid = (int)(sc->best.pid > INT32_MAX ? 0 : sc->best.pid);
		ret->usec = sc->best.usec;
		describe(sel, &sc->best, ret);
	}
	if (cut && !err)
		strncat(ret->chosen, " (the store has more entries than were read)",
			sizeof(ret->chosen) - strlen(ret->chosen) - 1);
	free(sc);
	closedir(d);
	return err;
}
