/* live.c - a running process through /proc: mappings, threads, identity, and its Kamailio instance.
 */
#include <ctype.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/snapshot.h"
#include "live.h"

struct hw_error *live_read_file(const char *path, size_t max, char **buf_ret, size_t *len_ret)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	int fd;

	if (!buf)
		return hw_error_nomem();
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(buf);
		return hw_error_os(e, "cannot open %s", path);
	}
	for (;;) {
		ssize_t n;
		if (len == cap) {
			char *nb;
			if (cap >= max) {
				close(fd);
				free(buf);
				return hw_error_create(HW_ERR_BAD_DATA, "%s: more than %zu bytes",
						       path, max);
			}
			cap = cap * 2 > max ? max : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				close(fd);
				free(buf);
				return hw_error_nomem();
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			free(buf);
			return hw_error_os(e, "cannot read %s", path);
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*buf_ret = buf;
	if (len_ret)
		*len_ret = len;
	return NULL;
}

void live_maps_free(struct live_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i].path);
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

static bool parse_hex(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	while (isxdigit((unsigned char)*s)) {
		if (digits++ >= 16)
			return false;
		v = v * 16 + (uint64_t)(isdigit((unsigned char)*s)
					    ? *s - '0'
					    : tolower((unsigned char)*s) - 'a' + 10);
		s++;
	}
	if (!digits)
		return false;
	*p = s;
	*ret = v;
	return true;
}

static bool parse_dec(const char **p, uint64_t *ret)
{
	const char *s = *p;
	uint64_t v = 0;
	int digits = 0;

	while (isdigit((unsigned char)*s)) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
		digits++;
	}
	if (!digits)
		return false;
	*p = s;
	*ret = v;
	return true;
}

static enum live_map_kind classify(const struct live_map *m)
{
	const char *p = m->path;

	if (!p[0])
		return LM_ANON;
	if (p[0] == '[') {
		if (!strcmp(p, "[vdso]"))
			return LM_VDSO;
		if (!strcmp(p, "[heap]") || !strncmp(p, "[stack", 6) || !strncmp(p, "[anon", 5))
			return LM_ANON;
		return LM_SKIP; /* [vvar], [vvar_vclock], [vsyscall], [uprobes] ... */
	}
	if (p[0] != '/')
		return LM_SKIP;
	/* shmem objects: /dev/zero and SysV segments live on the internal shm mount (major 0). */
	if (m->dev_major == 0 && (!strncmp(p, "/dev/zero", 9) || !strncmp(p, "/SYSV", 5)))
		return LM_ANON;
	/* Device memory is never read (a read can have side effects). */
	if (!strncmp(p, "/dev/", 5) && strncmp(p, "/dev/shm/", 9))
		return LM_SKIP;
	return LM_FILE;
}

/* One line of /proc/PID/maps. */
static bool parse_map_line(const char *line, struct live_map *m)
{
	const char *p = line;
	uint64_t maj, min;

	memset(m, 0, sizeof(*m));
	if (!parse_hex(&p, &m->start) || *p++ != '-' || !parse_hex(&p, &m->end) || *p++ != ' ')
		return false;
	if (m->start >= m->end || strlen(p) < 5)
		return false;
	if (p[0] == 'r')
		m->perms |= LM_R;
	if (p[1] == 'w')
		m->perms |= LM_W;
	if (p[2] == 'x')
		m->perms |= LM_X;
	if (p[3] == 's')
		m->perms |= LM_SHARED;
	p += 4;
	if (*p++ != ' ' || !parse_hex(&p, &m->offset) || *p++ != ' ' || !parse_hex(&p, &maj) ||
	    *p++ != ':' || !parse_hex(&p, &min) || *p++ != ' ' || !parse_dec(&p, &m->inode))
		return false;
	m->dev_major = (unsigned)maj;
	m->dev_minor = (unsigned)min;
	while (*p == ' ')
		p++;
	m->path = strdup(p);
	if (!m->path)
		return false;
	m->kind = classify(m);
	return true;
}

struct hw_error *live_read_maps(int pid, struct live_maps *ret)
{
	char path[64], *buf, *line, *next;
	struct hw_error *err;
	struct live_maps m = {0};
	size_t cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	if ((err = live_read_file(path, 64u << 20, &buf, NULL)))
		return err;
	for (line = buf; *line; line = next) {
		struct live_map e;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		else
			next = line + strlen(line);
		if (!*line)
			continue;
		if (m.n == LIVE_MAX_MAPS)
			break;
		if (!parse_map_line(line, &e)) {
			free(e.path);
			live_maps_free(&m);
			free(buf);
			return hw_error_create(HW_ERR_BAD_DATA, "%s: cannot parse line '%.60s'",
					       path, line);
		}
		if (m.n == cap) {
			struct live_map *v;
			cap = cap ? cap * 2 : 128;
			v = realloc(m.v, cap * sizeof(*v));
			if (!v) {
				free(e.path);
				live_maps_free(&m);
				free(buf);
				return hw_error_nomem();
			}
			m.v = v;
		}
		m.v[m.n++] = e;
	}
	free(buf);
	*ret = m;
	return NULL;
}

static bool copied_kind(const struct live_map *m)
{
	return (m->perms & (LM_R | LM_W)) == (LM_R | LM_W) && m->kind != LM_SKIP;
}

bool live_maps_same_writable(const struct live_maps *a, const struct live_maps *b)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < a->n && !copied_kind(&a->v[i]))
			i++;
		while (j < b->n && !copied_kind(&b->v[j]))
			j++;
		if (i == a->n || j == b->n)
			return i == a->n && j == b->n;
		if (a->v[i].start != b->v[j].start || a->v[i].end != b->v[j].end ||
		    a->v[i].perms != b->v[j].perms || a->v[i].inode != b->v[j].inode)
			return false;
		i++;
		j++;
	}
}

/* The pid in the process's own pid namespace, when it is not heapwalk's (0 otherwise). */
static int ns_pid_of(const char *status)
{
	const char *p = strstr(status, "\nNSpid:");

	return p ? hw_parse_nspid(p + 7) : 0;
}

static struct hw_error *read_stat(int pid, struct live_stat *ret, bool ids)
{
	char path[64], *buf, *open_paren, *close_paren, *p;
	struct hw_error *err;
	struct live_stat st;
	size_t len;
	int field;

	memset(&st, 0, sizeof(st));
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((err = live_read_file(path, 1 << 16, &buf, &len))) {
		if (err->code == HW_ERR_OS && err->errnum == ENOENT) {
			hw_error_destroy(err);
			return hw_error_os(ESRCH, "no process %d", pid);
		}
		return err;
	}
	/* comm may hold spaces and parentheses: it ends at the last ')'. */
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren || close_paren < open_paren) {
		free(buf);
		return hw_error_create(HW_ERR_BAD_DATA, "%s: unexpected format", path);
	}
	len = (size_t)(close_paren - open_paren - 1);
	if (len > 16)
		len = 16;
	memcpy(st.comm, open_paren + 1, len);
	st.comm[len] = '\0';
	p = close_paren + 1;
	/* Fields from 3 (state) on, space separated. */
	for (field = 3; *p && field <= 22; field++) {
		char *tok;
		while (*p == ' ')
			p++;
		tok = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
		switch (field) {
		case 3:
			st.state = tok[0];
			break;
		case 4:
			st.ppid = atoi(tok);
			break;
		case 5:
			st.pgrp = atoi(tok);
			break;
		case 6:
			st.sid = atoi(tok);
			break;
		case 9:
			st.flags = strtoul(tok, NULL, 10);
			break;
		case 19:
			st.nice = strtol(tok, NULL, 10);
			break;
		case 20:
			st.num_threads = strtol(tok, NULL, 10);
			break;
		case 22:
			st.starttime = strtoull(tok, NULL, 10);
			break;
		}
	}
	free(buf);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (ids && !live_read_file(path, 1 << 16, &buf, NULL)) {
		char *u = strstr(buf, "\nUid:"), *g = strstr(buf, "\nGid:");
		if (u)
			st.uid = (unsigned)strtoul(u + 5, NULL, 10);
		if (g)
			st.gid = (unsigned)strtoul(g + 5, NULL, 10);
		st.ns_pid = ns_pid_of(buf);
		free(buf);
	}
	*ret = st;
	return NULL;
}

struct hw_error *live_read_stat(int pid, struct live_stat *ret)
{
	return read_stat(pid, ret, true);
}

long live_thread_count(int pid)
{
	struct live_stat st;
	struct hw_error *err = read_stat(pid, &st, false);

	if (err) {
		hw_error_destroy(err);
		return -1;
	}
	return st.num_threads;
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

struct hw_error *live_list_tasks(int pid, pid_t **tids_ret, size_t *n_ret)
{
	char path[64];
	DIR *d;
	struct dirent *de;
	pid_t *v = NULL;
	size_t n = 0, cap = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d) {
		int e = errno;
		return hw_error_os(e == ENOENT ? ESRCH : e, "cannot list the threads of pid %d",
				   pid);
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		long t;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		t = strtol(de->d_name, &end, 10);
		if (*end || t <= 0 || t > INT_MAX)
			continue;
		if (n == LIVE_MAX_TASKS)
			break;
		if (n == cap) {
			pid_t *nv;
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				closedir(d);
				free(v);
				return hw_error_nomem();
			}
			v = nv;
		}
		v[n++] = (pid_t)t;
	}
	closedir(d);
	if (n == 0) {
		free(v);
		return hw_error_os(ESRCH, "pid %d has no threads (exited?)", pid);
	}
	qsort(v, n, sizeof(*v), cmp_pid);
	*tids_ret = v;
	*n_ret = n;
	return NULL;
}

void live_read_psargs(int pid, char *out, size_t cap)
{
	char path[64], *buf;
	size_t len;
	struct hw_error *err;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if ((err = live_read_file(path, 1 << 20, &buf, &len))) {
		hw_error_destroy(err);
		return;
	}
	if (len >= cap)
		len = cap - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = buf[i] ? buf[i] : ' ';
	while (len > 0 && out[len - 1] == ' ')
		len--;
	out[len] = '\0';
	free(buf);
}

struct hw_error *live_exe_ident(int pid, unsigned *class_ret, unsigned *machine_ret)
{
	char path[64];
	unsigned char id[EI_NIDENT + 4]; /* e_ident, e_type, e_machine */
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		return hw_error_os(e == ENOENT ? ESRCH : e, "cannot open the executable of pid %d",
				   pid);
	}
	n = pread(fd, id, sizeof(id), 0);
	close(fd);
	if (n < (ssize_t)sizeof(id) || memcmp(id, ELFMAG, SELFMAG) != 0)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "the executable of pid %d is not an ELF file", pid);
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64)
		return hw_error_create(HW_ERR_BAD_DATA, "the executable of pid %d: bad ELF class",
				       pid);
	if (id[EI_DATA] != ELFDATA2LSB)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "the executable of pid %d is not little-endian", pid);
	*class_ret = id[EI_CLASS];
	*machine_ret = (unsigned)id[EI_NIDENT + 2] | (unsigned)id[EI_NIDENT + 3] << 8;
	return NULL;
}

struct hw_error *live_exe_id(int pid, uint64_t *dev_ret, uint64_t *ino_ret)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st) != 0) {
		int e = errno;
		return hw_error_os(e == ENOENT ? ESRCH : e, "cannot stat the executable of pid %d",
				   pid);
	}
	*dev_ret = (uint64_t)st.st_dev;
	*ino_ret = (uint64_t)st.st_ino;
	return NULL;
}

/* ---- the instance: the topmost ancestor running the same file, and its descendants ---- */

struct proc_entry {
	pid_t pid, ppid;
	bool same_exe;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static struct proc_entry *find_entry(struct proc_entry *v, size_t n, pid_t pid)
{
	struct proc_entry key = {.pid = pid};

	return bsearch(&key, v, n, sizeof(*v), cmp_entry);
}

struct hw_error *hw_live_exe_start(int pid, uint64_t *start_ret)
{
	struct live_maps maps = {0};
	struct hw_error *err;
	uint64_t dev, ino;

	if ((err = live_exe_id(pid, &dev, &ino)) || (err = live_read_maps(pid, &maps)))
		return err;
	err = hw_error_create(HW_ERR_LOOKUP, "pid %d: its executable's first page is not mapped",
			      pid);
	for (size_t i = 0; i < maps.n; i++) {
		const struct live_map *m = &maps.v[i];
		/* by inode only: overlay file systems show another device in maps */
		if (m->offset == 0 && m->inode == ino) {
			*start_ret = m->start;
			hw_error_destroy(err);
			err = NULL;
			break;
		}
	}
	live_maps_free(&maps);
	return err;
}

struct hw_error *hw_instance_find(int pid, int **pids_ret, size_t *n_ret)
{
	struct hw_error *err;
	uint64_t dev, ino;
	DIR *d;
	struct dirent *de;
	struct proc_entry *v = NULL, *e;
	size_t n = 0, cap = 0, nout = 0;
	int *out = NULL;
	pid_t top;

	if (pid <= 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "invalid pid %d", pid);
	if ((err = live_exe_id(pid, &dev, &ino)))
		return err;
	d = opendir("/proc");
	if (!d)
		return hw_error_os(errno, "cannot list /proc");
	while ((de = readdir(d)) != NULL) {
		struct live_stat st;
		uint64_t pdev, pino;
		char *end;
		long p;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		p = strtol(de->d_name, &end, 10);
		if (*end || p <= 0 || p > INT_MAX)
			continue;
		if ((err = read_stat((int)p, &st, false))) {
			hw_error_destroy(err); /* exited meanwhile */
			continue;
		}
		if (n == cap) {
			struct proc_entry *nv;
			cap = cap ? cap * 2 : 512;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				closedir(d);
				free(v);
				return hw_error_nomem();
			}
			v = nv;
		}
		v[n].pid = (pid_t)p;
		v[n].ppid = st.ppid;
		err = live_exe_id((int)p, &pdev, &pino);
		v[n].same_exe = !err && pdev == dev && pino == ino;
		hw_error_destroy(err);
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_entry);
	e = find_entry(v, n, pid);
	if (!e) {
		free(v);
		return hw_error_os(ESRCH, "no process %d", pid);
	}
	e->same_exe = true;
	/* Up: the main process is the topmost ancestor running the same executable. */
	top = pid;
	for (size_t hops = 0; hops < n; hops++) {
		struct proc_entry *up = find_entry(v, n, e->ppid);
		if (!up || !up->same_exe || up->pid == e->pid)
			break;
		e = up;
		top = e->pid;
	}
	/* Down: every descendant running the same executable, breadth first, main first. */
	out = malloc((n + 1) * sizeof(*out));
	if (!out) {
		free(v);
		return hw_error_nomem();
	}
	out[nout++] = top;
	for (size_t k = 0; k < nout; k++) {
		for (size_t i = 0; i < n; i++) {
			if (v[i].ppid != out[k] || !v[i].same_exe || v[i].pid == out[k])
				continue;
			/* A pid is listed once (the array is bounded by n). */
			bool seen = false;
			for (size_t j = 0; j < nout && !seen; j++)
				seen = out[j] == v[i].pid;
			if (!seen && nout < n + 1)
				out[nout++] = v[i].pid;
		}
	}
	free(v);
	*pids_ret = out;
	*n_ret = nout;
	return NULL;
}
