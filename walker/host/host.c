/* host.c - the host view: /proc/meminfo and the Kamailio instances, from /proc or a saved copy. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/host.h"
#include "heapwalk/sbuf.h"
#include "hostint.h"

#define SMALL_FILE_CAP (8u << 20) /* meminfo, slabinfo, status, cmdline */
#define SMAPS_CAP (256u << 20)	  /* smaps of a process with very many mappings */
#define MAX_PIDS (1u << 22)	  /* the kernel's pid_max limit */
#define MAX_VMAS (1u << 22)
#define MAX_ARGS 4096
#define MIB ((uint64_t)1024 * 1024)
/* Kamailio's defaults since 4.2 (config.h); older releases used 4 and 32 MiB. */
#define DEFAULT_PKG_MIB 8
#define DEFAULT_SHM_MIB 64

const char *const hw_meminfo_names[HW_MI_COUNT] = {
    "MemTotal",	   "MemFree",	 "MemAvailable", "Buffers",    "Cached",    "SwapCached",
    "Shmem",	   "Slab",	 "SReclaimable", "SUnreclaim", "AnonPages", "Mapped",
    "KernelStack", "PageTables", "SwapTotal",	 "SwapFree",
};

const char *const hw_host_part_names[HW_PART_COUNT] = {"shm", "pkg", "anon", "file"};

/* ---- small helpers ---------------------------------------------------- */

void hw_host_lines_init(struct hw_host_lines *it, const char *text, size_t len)
{
	it->text = text;
	it->len = len;
	it->pos = 0;
}

bool hw_host_line_next(struct hw_host_lines *it, char *out, size_t cap)
{
	size_t start = it->pos, end, n;
	const char *nl;

	if (it->pos >= it->len)
		return false;
	nl = memchr(it->text + start, '\n', it->len - start);
	end = nl ? (size_t)(nl - it->text) : it->len;
	it->pos = nl ? end + 1 : it->len;
	n = end - start;
	if (n >= cap)
		n = cap - 1;
	memcpy(out, it->text + start, n);
	out[n] = '\0';
	return true;
}

static uint64_t kib(uint64_t v)
{
	return v > UINT64_MAX / 1024 ? UINT64_MAX : v * 1024;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/*
 * Read @dir/@rel whole, at most @cap bytes (E2BIG beyond). Returns 0 or an
 * errno; on success *buf_ret is NUL-terminated and owned by the caller.
 */
static int read_file(const char *dir, const char *rel, size_t cap, char **buf_ret, size_t *len_ret)
{
	char path[PATH_MAX];
	struct stat st;
	char *buf = NULL;
	size_t len = 0, bcap = 0;
	int fd, e = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >= sizeof(path))
		return ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return errno;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		e = errno ? errno : EINVAL;
		close(fd);
		return S_ISREG(st.st_mode) ? e : EINVAL;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= bcap) {
			size_t ncap = bcap ? bcap * 2 : 16384;
			char *nb;

			if (bcap >= cap + 1) {
				e = E2BIG;
				break;
			}
			if (ncap > cap + 1)
				ncap = cap + 1;
			nb = realloc(buf, ncap);
			if (!nb) {
				e = ENOMEM;
				break;
			}
			buf = nb;
			bcap = ncap;
		}
		n = read(fd, buf + len, bcap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (e) {
		free(buf);
		return e;
	}
	if (!buf && !(buf = malloc(1)))
		return ENOMEM;
	buf[len] = '\0';
	*buf_ret = buf;
	*len_ret = len;
	return 0;
}

static struct hw_error *add_note(struct hw_host *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static struct hw_error *add_note(struct hw_host *h, const char *fmt, ...)
{
	struct hw_error *err;
	char **v;
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	err = hw_vformat(&s, fmt, ap);
	va_end(ap);
	if (err)
		return err;
	v = realloc(h->notes, (h->nnotes + 1) * sizeof(*v));
	if (!v) {
		free(s);
		return hw_error_nomem();
	}
	v[h->nnotes++] = s;
	h->notes = v;
	return NULL;
}

static const char *why(int e)
{
	return e == E2BIG ? "file too large" : strerror(e);
}

/* ---- meminfo ------------------------------------------------------------ */

struct hw_error *hw_meminfo_parse(const char *text, size_t len, struct hw_meminfo *ret)
{
	struct hw_meminfo mi;
	struct hw_host_lines it;
	char line[256];
	bool any = false;

	memset(&mi, 0, sizeof(mi));
	hw_host_lines_init(&it, text, len);
	while (hw_host_line_next(&it, line, sizeof(line))) {
		char key[64];
		uint64_t v;
		int n = 0;

		if (sscanf(line, "%63[^:]: %" SCNu64 "%n", key, &v, &n) != 2)
			continue;
		if (strstr(line + n, "kB"))
			v = kib(v);
		for (int f = 0; f < HW_MI_COUNT; f++) {
			if (!strcmp(key, hw_meminfo_names[f])) {
				mi.bytes[f] = v;
				mi.have[f] = true;
				any = true;
			}
		}
	}
	if (!any)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "not a meminfo file (no MemTotal, MemFree...)");
	*ret = mi;
	return NULL;
}

void hw_meminfo_verdict(const struct hw_meminfo *mi, struct hw_mem_verdict *ret)
{
	const uint64_t *b = mi->bytes;
	uint64_t cache, recl;

	memset(ret, 0, sizeof(*ret));
	if (!mi->have[HW_MI_MEMTOTAL] || !mi->have[HW_MI_MEMFREE])
		return;
	ret->valid = true;
	ret->used = b[HW_MI_MEMTOTAL] > b[HW_MI_MEMFREE] ? b[HW_MI_MEMTOTAL] - b[HW_MI_MEMFREE] : 0;
	/* Cached counts Shmem (tmpfs, shared memory) too, which cannot be dropped */
	cache = b[HW_MI_CACHED] > b[HW_MI_SHMEM] ? b[HW_MI_CACHED] - b[HW_MI_SHMEM] : 0;
	recl = add_sat(add_sat(b[HW_MI_BUFFERS], cache), b[HW_MI_SRECLAIMABLE]);
	ret->reclaimable = recl < ret->used ? recl : ret->used;
	if (mi->have[HW_MI_MEMAVAILABLE])
		ret->held = b[HW_MI_MEMTOTAL] > b[HW_MI_MEMAVAILABLE]
				? b[HW_MI_MEMTOTAL] - b[HW_MI_MEMAVAILABLE]
				: 0;
	else
		ret->held = ret->used - ret->reclaimable;
	ret->mostly_reclaimable = ret->reclaimable >= ret->used / 2 + ret->used % 2;
}

/* ---- Kamailio's command line ------------------------------------------------ */

/* Kamailio's short options that take a value (5.x getopt string). */
static const char short_with_value[] = "aAbfgGlLmMnNOPQtuwWxXY";
static const char *const long_with_value[] = {
    "alias",	 "atexit", "debug",    "loadmodule", "log-engine", "modparam",
    "server-id", "subst",  "substdef", "substdefs",  NULL,
};

static uint64_t parse_mib(const char *s)
{
	uint64_t v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (1u << 24))
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

void hw_kamailio_mem_args(const char *args, size_t len, uint64_t *shm_mib, uint64_t *pkg_mib)
{
	const char *argv[MAX_ARGS];
	char *copy;
	size_t argc = 0, i = 0;

	*shm_mib = *pkg_mib = 0;
	copy = malloc(len + 1);
	if (!copy)
		return;
	memcpy(copy, args, len);
	copy[len] = '\0';
	/* argv[0] is the program */
	while (i < len && argc < MAX_ARGS) {
		argv[argc++] = copy + i;
		i += strlen(copy + i) + 1;
	}
	for (size_t a = 1; a < argc; a++) {
		const char *s = argv[a];

		if (!strcmp(s, "--"))
			break;
		if (s[0] == '-' && s[1] == '-') {
			if (strchr(s, '='))
				continue;
			for (size_t k = 0; long_with_value[k]; k++)
				if (!strcmp(s + 2, long_with_value[k])) {
					a++;
					break;
				}
			continue;
		}
		if (s[0] != '-' || !s[1])
			continue;
		for (size_t j = 1; s[j]; j++) {
			const char *val;

			if (!strchr(short_with_value, s[j]))
				continue;
			if (s[j + 1])
				val = s + j + 1;
			else if (a + 1 < argc)
				val = argv[++a];
			else
				val = "";
			if (s[j] == 'm')
				*shm_mib = parse_mib(val);
			else if (s[j] == 'M')
				*pkg_mib = parse_mib(val);
			break;
		}
	}
	free(copy);
}

/* ---- processes ------------------------------------------------------------ */

struct vma {
	uint64_t start, end, offset;
	char perms[5];
	char *path; /* raw, "" for anonymous */
	uint64_t rss, pss, swap;
};

struct vmas {
	struct vma *v;
	size_t n, cap;
};

static void vmas_free(struct vmas *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i].path);
	free(vs->v);
	memset(vs, 0, sizeof(*vs));
}

/* A mapping's header line of maps/smaps: "start-end perms offset dev inode [path]". */
static bool vma_header(const char *line, struct vma *v)
{
	uint64_t ino;
	char perms[8], dev[16];
	int n = 0;
	const char *p;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %15s %" SCNu64 "%n", &v->start,
		   &v->end, perms, &v->offset, dev, &ino, &n) != 6 ||
	    n == 0)
		return false;
	if (v->end < v->start || strlen(perms) != 4)
		return false;
	memcpy(v->perms, perms, 5);
	p = line + n;
	while (*p == ' ' || *p == '\t')
		p++;
	v->path = strdup(p);
	v->rss = v->pss = v->swap = 0;
	return v->path != NULL;
}

/* maps or smaps text into mappings (sizes stay 0 for maps). */
static struct hw_error *parse_smaps(const char *text, size_t len, struct vmas *ret)
{
	struct vmas vs = {0};
	struct hw_host_lines it;
	char line[HW_HOST_LINE_MAX];

	hw_host_lines_init(&it, text, len);
	while (hw_host_line_next(&it, line, sizeof(line))) {
		struct vma v;
		char key[32];
		uint64_t val;

		if (vma_header(line, &v)) {
			if (vs.n == vs.cap) {
				size_t ncap = vs.cap ? vs.cap * 2 : 64;
				struct vma *nv;

				if (vs.n >= MAX_VMAS) {
					free(v.path);
					vmas_free(&vs);
					return hw_error_create(HW_ERR_BAD_DATA,
							       "more than %u mappings", MAX_VMAS);
				}
				nv = realloc(vs.v, ncap * sizeof(*nv));
				if (!nv) {
					free(v.path);
					vmas_free(&vs);
					return hw_error_nomem();
				}
				vs.v = nv;
				vs.cap = ncap;
			}
			vs.v[vs.n++] = v;
			continue;
		}
		if (!vs.n || sscanf(line, "%31[^:]: %" SCNu64 " kB", key, &val) != 2)
			continue;
		if (!strcmp(key, "Rss"))
			vs.v[vs.n - 1].rss = kib(val);
		else if (!strcmp(key, "Pss"))
			vs.v[vs.n - 1].pss = kib(val);
		else if (!strcmp(key, "Swap"))
			vs.v[vs.n - 1].swap = kib(val);
	}
	*ret = vs;
	return NULL;
}

/* "Key: N kB" lines of status / smaps_rollup: the value of @key in bytes. */
static bool kv_bytes(const char *text, size_t len, const char *key, uint64_t *ret)
{
	struct hw_host_lines it;
	char line[256];
	size_t klen = strlen(key);

	hw_host_lines_init(&it, text, len);
	while (hw_host_line_next(&it, line, sizeof(line))) {
		uint64_t v;

		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		if (sscanf(line + klen + 1, " %" SCNu64, &v) != 1)
			return false;
		*ret = strstr(line + klen + 1, "kB") ? kib(v) : v;
		return true;
	}
	return false;
}

/* The text after "Key:" in status, trimmed, into @out. */
static bool kv_text(const char *text, size_t len, const char *key, char *out, size_t cap)
{
	struct hw_host_lines it;
	char line[256];
	size_t klen = strlen(key);

	hw_host_lines_init(&it, text, len);
	while (hw_host_line_next(&it, line, sizeof(line))) {
		const char *p;

		if (strncmp(line, key, klen) != 0 || line[klen] != ':')
			continue;
		p = line + klen + 1;
		while (*p == ' ' || *p == '\t')
			p++;
		hw_sanitise(out, cap, p, strlen(p));
		return true;
	}
	return false;
}

/* A process as first seen: from its status file. */
struct pinfo {
	int pid, ppid, ns_pid;
	char name[32];
	char *status; /* the status text, kept for the RSS split */
	size_t status_len;
	int root; /* topmost Kamailio ancestor */
};

/*
 * The last pid of a status text's NSpid: line: the pid in the process's own
 * namespace when it lives in another one than /proc's (a container), else 0.
 */
static int ns_pid_of(const char *st, size_t len)
{
	struct hw_host_lines it;
	char line[256];

	hw_host_lines_init(&it, st, len);
	while (hw_host_line_next(&it, line, sizeof(line)))
		if (!strncmp(line, "NSpid:", 6))
			return hw_parse_nspid(line + 6);
	return 0;
}

/* Which container @in's main process runs in: its pid namespace and root directory. */
static void read_container(const struct hw_host *h, const struct pinfo *main_proc,
			   struct hw_host_instance *in)
{
	char path[PATH_MAX], buf[PATH_MAX];
	ssize_t n;

	in->main_ns_pid = main_proc->ns_pid;
	snprintf(path, sizeof(path), "%s/%d/ns/pid", h->proc_dir, in->main_pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0)
		hw_sanitise(in->pid_ns, sizeof(in->pid_ns), buf, (size_t)n);
	snprintf(path, sizeof(path), "%s/%d/root", h->proc_dir, in->main_pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0)
		hw_sanitise(in->root, sizeof(in->root), buf, (size_t)n);
	in->in_container = in->main_ns_pid || (in->root[0] && strcmp(in->root, "/"));
	if (!in->in_container && h->live) {
		/* a root of its own mount (pivot_root) is named "/" too: compare the directories */
		struct stat a, b;

		in->in_container = stat(path, &a) == 0 && stat("/", &b) == 0 &&
				   (a.st_dev != b.st_dev || a.st_ino != b.st_ino);
	}
}

static bool is_kamailio(const char *name)
{
	return !strcmp(name, "kamailio");
}

static bool is_shm_mapping(const struct vma *v)
{
	return v->perms[3] == 's' &&
	       (!strncmp(v->path, "/dev/zero", 9) || !strncmp(v->path, "/SYSV", 5));
}

static bool is_anon(const struct vma *v)
{
	return v->path[0] == '\0' || !strcmp(v->path, "[heap]") || !strncmp(v->path, "[stack", 6) ||
	       !strncmp(v->path, "[anon", 5);
}

/* The shm pool's mapping: of the size configured if one has it, else the largest. */
static size_t find_shm(const struct vmas *vs, uint64_t want)
{
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < vs->n; i++) {
		const struct vma *v = &vs->v[i];

		if (!is_shm_mapping(v))
			continue;
		if (want && v->end - v->start == want)
			return i;
		if (best == SIZE_MAX || v->end - v->start > vs->v[best].end - vs->v[best].start)
			best = i;
	}
	return best;
}

/*
 * The pkg pool's mapping: the one holding @pool when known; else the
 * smallest private anonymous read-write mapping that can hold @size bytes
 * and is not much larger (glibc's mmap'ed chunk, possibly merged with a
 * neighbour by the kernel).
 */
static size_t find_pkg(const struct vmas *vs, uint64_t pool, uint64_t size)
{
	uint64_t slack = size / 8 > MIB ? size / 8 : MIB;
	size_t best = SIZE_MAX;

	for (size_t i = 0; i < vs->n; i++) {
		const struct vma *v = &vs->v[i];
		uint64_t len = v->end - v->start;

		if (pool) {
			if (pool >= v->start && pool < v->end)
				return i;
			continue;
		}
		if (v->path[0] != '\0' || strcmp(v->perms, "rw-p") != 0 || len < size ||
		    len - size > slack)
			continue;
		if (best == SIZE_MAX || len < vs->v[best].end - vs->v[best].start)
			best = i;
	}
	return best;
}

static void use_add(struct hw_host_usage *u, uint64_t rss, uint64_t pss, uint64_t swap)
{
	u->rss = add_sat(u->rss, rss);
	u->pss = add_sat(u->pss, pss);
	u->swap = add_sat(u->swap, swap);
	u->have_rss = u->have_pss = true;
}

/* Split a process's mappings into the parts. */
static void split_smaps(struct hw_host_proc *p, const struct vmas *vs,
			const struct hw_host_instance *in)
{
	size_t shm = find_shm(vs, in->shm_size);
	size_t pkg = find_pkg(vs, in->pkg_pool, in->pkg_size);

	p->detail = HW_DETAIL_SMAPS;
	for (int k = 0; k < HW_PART_COUNT; k++)
		p->part[k] = (struct hw_host_usage){.have_rss = true, .have_pss = true};
	p->total = (struct hw_host_usage){.have_rss = true, .have_pss = true};
	for (size_t i = 0; i < vs->n; i++) {
		const struct vma *v = &vs->v[i];
		enum hw_host_part k = i == shm	   ? HW_PART_SHM
				      : i == pkg   ? HW_PART_PKG
				      : is_anon(v) ? HW_PART_ANON
						   : HW_PART_FILE;

		use_add(&p->part[k], v->rss, v->pss, v->swap);
		use_add(&p->total, v->rss, v->pss, v->swap);
	}
	if (shm != SIZE_MAX) {
		p->shm_found = true;
		p->shm_start = vs->v[shm].start;
		p->shm_end = vs->v[shm].end;
	}
	if (pkg != SIZE_MAX) {
		p->pkg_found = true;
		p->pkg_start = vs->v[pkg].start;
		p->pkg_end = vs->v[pkg].end;
	}
}

/* The RSS split status gives (RssShmem, RssAnon, RssFile), pkg not told apart. */
static void split_status(struct hw_host_proc *p, const char *st, size_t len)
{
	static const char *const keys[HW_PART_COUNT] = {"RssShmem", NULL, "RssAnon", "RssFile"};
	uint64_t v;

	p->detail = HW_DETAIL_STATUS;
	for (int k = 0; k < HW_PART_COUNT; k++) {
		memset(&p->part[k], 0, sizeof(p->part[k]));
		if (keys[k] && kv_bytes(st, len, keys[k], &v)) {
			p->part[k].rss = v;
			p->part[k].have_rss = true;
		}
	}
	memset(&p->total, 0, sizeof(p->total));
	if (kv_bytes(st, len, "VmRSS", &v)) {
		p->total.rss = v;
		p->total.have_rss = true;
	}
	if (kv_bytes(st, len, "VmSwap", &v))
		p->total.swap = v;
}

/* smaps_rollup on top of status: PSS in total and per shm/anon/file. */
static void split_rollup(struct hw_host_proc *p, const char *ru, size_t len)
{
	static const char *const keys[HW_PART_COUNT] = {"Pss_Shmem", NULL, "Pss_Anon", "Pss_File"};
	uint64_t v;

	p->detail = HW_DETAIL_ROLLUP;
	for (int k = 0; k < HW_PART_COUNT; k++) {
		if (keys[k] && kv_bytes(ru, len, keys[k], &v)) {
			p->part[k].pss = v;
			p->part[k].have_pss = true;
		}
	}
	if (kv_bytes(ru, len, "Rss", &v)) {
		p->total.rss = v;
		p->total.have_rss = true;
	}
	if (kv_bytes(ru, len, "Pss", &v)) {
		p->total.pss = v;
		p->total.have_pss = true;
	}
	if (kv_bytes(ru, len, "Swap", &v))
		p->total.swap = v;
}

/* ---- process memory (live /proc only) ------------------------------------ */

static bool read_mem(int fd, uint64_t addr, void *buf, size_t len)
{
	ssize_t n;

	if (addr > (uint64_t)INT64_MAX)
		return false;
	do
		n = pread(fd, buf, len, (off_t)addr);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)len;
}

/* A global of 4 or 8 bytes (the symbol's size) at its runtime address. */
static bool read_global(const struct hw_elf *elf, uint64_t bias, int memfd, const char *name,
			uint64_t *ret)
{
	struct hw_elf_symbol sym;
	struct hw_error *err = hw_elf_symbol(elf, name, &sym);
	uint32_t v32;
	uint64_t v64;

	if (err) {
		hw_error_destroy(err);
		return false;
	}
	if (sym.size == 8 && read_mem(memfd, sym.value + bias, &v64, 8)) {
		*ret = v64;
		return true;
	}
	if (sym.size == 4 && read_mem(memfd, sym.value + bias, &v32, 4)) {
		*ret = v32;
		return true;
	}
	return false;
}

static bool plausible_pool_size(uint64_t v)
{
	return v >= 64 * 1024 && v <= (1ull << 40);
}

/*
 * The configured pool sizes and the pkg pool address from the main
 * process's memory (its exe's symbols, /proc/PID/mem). Needs the right to
 * trace the process; *why says what failed.
 */
static bool read_globals(const char *dir, struct hw_host_instance *in, const struct vmas *vs,
			 char *whybuf, size_t cap)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct hw_elf *elf = NULL;
	struct hw_error *err;
	uint64_t start = UINT64_MAX, bias, page = (uint64_t)sysconf(_SC_PAGESIZE), v;
	ssize_t n;
	int memfd;
	size_t tl;
	bool got = false;

	snprintf(link, sizeof(link), "%s/%d/exe", dir, in->main_pid);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		snprintf(whybuf, cap, "%s: %s", link, strerror(errno));
		return false;
	}
	target[n] = '\0';
	tl = strlen(target);
	if (tl > 10 && !strcmp(target + tl - 10, " (deleted)"))
		target[tl - 10] = '\0';
	for (size_t i = 0; i < vs->n; i++)
		if (vs->v[i].offset == 0 && !strcmp(vs->v[i].path, target) &&
		    vs->v[i].start < start)
			start = vs->v[i].start;
	if (start == UINT64_MAX) {
		snprintf(whybuf, cap, "the executable is not among its mappings");
		return false;
	}
	err = hw_elf_open(link, &elf);
	if (err) {
		snprintf(whybuf, cap, "%s", err->message);
		hw_error_destroy(err);
		return false;
	}
	bias = hw_elf_load_bias(elf, start, page);
	snprintf(link, sizeof(link), "%s/%d/mem", dir, in->main_pid);
	memfd = open(link, O_RDONLY | O_CLOEXEC);
	if (memfd < 0) {
		snprintf(whybuf, cap, "%s: %s", link, strerror(errno));
		hw_elf_close(elf);
		return false;
	}
	if (read_global(elf, bias, memfd, "shm_mem_size", &v) && plausible_pool_size(v)) {
		in->shm_size = v;
		snprintf(in->shm_from, sizeof(in->shm_from), "shm_mem_size in process memory");
		got = true;
	}
	if (read_global(elf, bias, memfd, "pkg_mem_size", &v) && plausible_pool_size(v)) {
		in->pkg_size = v;
		snprintf(in->pkg_from, sizeof(in->pkg_from), "pkg_mem_size in process memory");
		got = true;
	}
	{
		/* the pool pointer: _pkg_root.mem_pool (4.4+), else mem_pool (3.2-4.3) */
		struct hw_elf_symbol sym;
		unsigned ws = hw_elf_class(elf) == ELFCLASS32 ? 4 : 8;
		uint64_t p = 0;

		err = hw_elf_symbol(elf, "_pkg_root", &sym);
		if (!err) {
			if (!read_mem(memfd, sym.value + bias + ws, &p, ws))
				p = 0;
		} else {
			hw_error_destroy(err);
			err = hw_elf_symbol(elf, "mem_pool", &sym);
			if (!err && sym.size > ws)
				p = sym.value + bias; /* the pool is the array itself */
			else if (!err && !read_mem(memfd, sym.value + bias, &p, ws))
				p = 0;
			hw_error_destroy(err);
		}
		in->pkg_pool = p;
		got = got || p;
	}
	if (!got)
		snprintf(whybuf, cap, "%s: cannot read the pool globals", link);
	close(memfd);
	hw_elf_close(elf);
	return got;
}

/* ---- instances -------------------------------------------------------------- */

static void pinfo_free(struct pinfo *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].status);
	free(v);
}

static int cmp_pid(const void *a, const void *b)
{
	const struct pinfo *x = a, *y = b;

	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	if ((x->pid == x->root) != (y->pid == y->root))
		return x->pid == x->root ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Every Kamailio process under @dir, with its status text. */
static struct hw_error *scan(struct hw_host *h, struct pinfo **ret, size_t *n_ret)
{
	struct pinfo *v = NULL;
	size_t n = 0, cap = 0, seen = 0, denied = 0;
	struct dirent *de;
	DIR *d = opendir(h->proc_dir);

	if (!d)
		return hw_error_os(errno, "cannot list %s", h->proc_dir);
	while ((de = readdir(d)) != NULL && seen < MAX_PIDS) {
		char rel[64], name[32];
		char *st = NULL;
		size_t len;
		long pid;
		char *end;
		int e;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		errno = 0;
		pid = strtol(de->d_name, &end, 10);
		if (*end || errno || pid <= 0 || pid > INT_MAX)
			continue;
		seen++;
		snprintf(rel, sizeof(rel), "%ld/status", pid);
		e = read_file(h->proc_dir, rel, SMALL_FILE_CAP, &st, &len);
		if (e) {
			if (e == EACCES || e == EPERM)
				denied++;
			if (e == ENOMEM) {
				closedir(d);
				pinfo_free(v, n);
				return hw_error_nomem();
			}
			continue;
		}
		if (!kv_text(st, len, "Name", name, sizeof(name)) || !is_kamailio(name)) {
			free(st);
			continue;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct pinfo *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				free(st);
				closedir(d);
				pinfo_free(v, n);
				return hw_error_nomem();
			}
			v = nv;
			cap = ncap;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].pid = (int)pid;
		snprintf(v[n].name, sizeof(v[n].name), "%s", name);
		{
			uint64_t pp = 0;
			struct hw_host_lines it;
			char line[256];

			hw_host_lines_init(&it, st, len);
			while (hw_host_line_next(&it, line, sizeof(line)))
				if (sscanf(line, "PPid: %" SCNu64, &pp) == 1)
					break;
			v[n].ppid = pp <= INT_MAX ? (int)pp : 0;
			v[n].ns_pid = ns_pid_of(st, len);
		}
		v[n].status = st;
		v[n].status_len = len;
		n++;
	}
	closedir(d);
	if (denied) {
		struct hw_error *err = add_note(h,
						"cannot read the status of %zu processes: they "
						"are not checked for being Kamailio",
						denied);
		if (err) {
			pinfo_free(v, n);
			return err;
		}
	}
	/* each process's topmost Kamailio ancestor: children of one main share it */
	for (size_t i = 0; i < n; i++) {
		int cur = v[i].pid, parent = v[i].ppid;

		for (size_t step = 0; step < n; step++) {
			size_t j;

			for (j = 0; j < n; j++)
				if (v[j].pid == parent)
					break;
			if (j == n || parent == cur)
				break;
			cur = parent;
			parent = v[j].ppid;
		}
		v[i].root = cur;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_pid);
	*ret = v;
	*n_ret = n;
	return NULL;
}

static void sum_instance(struct hw_host_instance *in)
{
	uint64_t shm_res = 0;
	bool have_shm_res = false;

	for (int k = 0; k < HW_PART_COUNT; k++)
		in->part[k] = (struct hw_host_usage){.have_rss = true, .have_pss = true};
	in->total = (struct hw_host_usage){.have_rss = true, .have_pss = true};
	in->nprocs_pss = 0;
	for (size_t i = 0; i < in->nprocs; i++) {
		const struct hw_host_proc *p = &in->procs[i];

		for (int k = 0; k < HW_PART_COUNT; k++) {
			struct hw_host_usage *u = &in->part[k];
			const struct hw_host_usage *pu = &p->part[k];

			u->have_rss = u->have_rss && pu->have_rss;
			u->have_pss = u->have_pss && pu->have_pss;
			u->rss = add_sat(u->rss, pu->rss);
			u->pss = add_sat(u->pss, pu->pss);
			u->swap = add_sat(u->swap, pu->swap);
		}
		in->total.have_rss = in->total.have_rss && p->total.have_rss;
		in->total.have_pss = in->total.have_pss && p->total.have_pss;
		in->total.rss = add_sat(in->total.rss, p->total.rss);
		in->total.pss = add_sat(in->total.pss, p->total.pss);
		in->total.swap = add_sat(in->total.swap, p->total.swap);
		if (p->total.have_pss)
			in->nprocs_pss++;
		if (p->part[HW_PART_SHM].have_rss && p->part[HW_PART_SHM].rss > shm_res) {
			shm_res = p->part[HW_PART_SHM].rss;
			have_shm_res = true;
		}
	}
	/* resident shm: PSS summed over every process that maps it counts each page once */
	if (in->part[HW_PART_SHM].have_pss) {
		shm_res = in->part[HW_PART_SHM].pss;
		have_shm_res = true;
	}
	in->shm_nearly_full = have_shm_res && in->shm_size && shm_res >= in->shm_size / 10 * 9;
	in->outside_dominates =
	    in->part[HW_PART_ANON].have_pss && in->part[HW_PART_PKG].have_pss &&
	    in->part[HW_PART_SHM].have_pss &&
	    in->part[HW_PART_ANON].pss > in->part[HW_PART_PKG].pss + in->part[HW_PART_SHM].pss;
}

/* One instance: the processes @v[0..n) (main first). */
static struct hw_error *build_instance(struct hw_host *h, struct pinfo *v, size_t n,
				       struct hw_host_instance *in)
{
	struct hw_error *err = NULL;
	struct vmas *maps;
	char rel[64], *cmd = NULL;
	size_t len, nsmaps_failed = 0;
	int first_errno = 0;
	uint64_t shm_mib = 0, pkg_mib = 0;

	memset(in, 0, sizeof(*in));
	in->main_pid = v[0].root;
	in->procs = calloc(n, sizeof(*in->procs));
	maps = calloc(n, sizeof(*maps));
	if (!in->procs || !maps) {
		free(maps);
		return hw_error_nomem();
	}
	in->nprocs = n;
	read_container(h, &v[0], in);

	/* command line of the main process: -m/-M */
	snprintf(rel, sizeof(rel), "%d/cmdline", in->main_pid);
	if (!read_file(h->proc_dir, rel, SMALL_FILE_CAP, &cmd, &len)) {
		char *flat = malloc(len + 1);
		if (flat) {
			for (size_t i = 0; i < len; i++)
				flat[i] = cmd[i] ? cmd[i] : ' ';
			while (len && flat[len - 1] == ' ')
				len--;
			hw_sanitise(in->cmdline, sizeof(in->cmdline), flat, len);
			free(flat);
		}
		hw_kamailio_mem_args(cmd, len, &shm_mib, &pkg_mib);
		free(cmd);
	}

	/* every process's mappings */
	for (size_t i = 0; i < n; i++) {
		char *text = NULL;
		int e;

		in->procs[i].pid = v[i].pid;
		in->procs[i].ppid = v[i].ppid;
		in->procs[i].ns_pid = v[i].ns_pid;
		snprintf(in->procs[i].name, sizeof(in->procs[i].name), "%s", v[i].name);
		snprintf(rel, sizeof(rel), "%d/smaps", v[i].pid);
		e = read_file(h->proc_dir, rel, SMAPS_CAP, &text, &len);
		if (e == ENOMEM) {
			err = hw_error_nomem();
			goto out;
		}
		if (e) {
			nsmaps_failed++;
			if (!first_errno)
				first_errno = e;
			continue;
		}
		err = parse_smaps(text, len, &maps[i]);
		free(text);
		if (err)
			goto out;
	}

	/* the pool sizes: process memory, the mapping, the command line, the defaults */
	if (h->live && maps[0].n) {
		char whybuf[PATH_MAX + 128];

		if (!read_globals(h->proc_dir, in, &maps[0], whybuf, sizeof(whybuf)) &&
		    (err = add_note(h,
				    "instance of pid %d: cannot read its memory (%s): pool sizes "
				    "from its command line, mappings and Kamailio's defaults",
				    in->main_pid, whybuf)))
			goto out;
	}
	if (!in->shm_size && maps[0].n) {
		size_t s = find_shm(&maps[0], shm_mib * MIB);

		if (s != SIZE_MAX) {
			in->shm_size = maps[0].v[s].end - maps[0].v[s].start;
			snprintf(in->shm_from, sizeof(in->shm_from), "the size of its mapping");
		}
	}
	if (!in->shm_size && shm_mib) {
		in->shm_size = shm_mib * MIB;
		snprintf(in->shm_from, sizeof(in->shm_from), "-m %" PRIu64, shm_mib);
	}
	if (!in->shm_size) {
		in->shm_size = DEFAULT_SHM_MIB * MIB;
		snprintf(in->shm_from, sizeof(in->shm_from), "Kamailio's default");
	}
	if (!in->pkg_size && pkg_mib) {
		in->pkg_size = pkg_mib * MIB;
		snprintf(in->pkg_from, sizeof(in->pkg_from), "-M %" PRIu64, pkg_mib);
	}
	if (!in->pkg_size) {
		in->pkg_size = DEFAULT_PKG_MIB * MIB;
		snprintf(in->pkg_from, sizeof(in->pkg_from), "Kamailio's default");
	}

	/* split each process's memory as finely as its files allow */
	for (size_t i = 0; i < n; i++) {
		struct hw_host_proc *p = &in->procs[i];
		char *ru = NULL;

		if (maps[i].n) {
			split_smaps(p, &maps[i], in);
			continue;
		}
		split_status(p, v[i].status, v[i].status_len);
		snprintf(rel, sizeof(rel), "%d/smaps_rollup", v[i].pid);
		if (!read_file(h->proc_dir, rel, SMALL_FILE_CAP, &ru, &len)) {
			split_rollup(p, ru, len);
			free(ru);
		}
	}
	sum_instance(in);
	if (nsmaps_failed)
		err = add_note(h,
			       "instance of pid %d: cannot read smaps of %zu of its %zu processes "
			       "(%s): %s; run as root or as Kamailio's user for the full split",
			       in->main_pid, nsmaps_failed, n, why(first_errno),
			       in->nprocs_pss == n ? "pkg is not told apart from other anonymous "
						     "memory"
						   : "no PSS, pkg not told apart");
	else {
		size_t nopkg = 0;

		for (size_t i = 0; i < n; i++)
			nopkg += !in->procs[i].pkg_found;
		if (nopkg)
			err = add_note(
			    h,
			    "instance of pid %d: no mapping of the pkg pool's size (%" PRIu64
			    " MiB, %s) in %zu of its processes: their pkg counts as anon",
			    in->main_pid, in->pkg_size / MIB, in->pkg_from, nopkg);
	}
out:
	for (size_t i = 0; i < n; i++)
		vmas_free(&maps[i]);
	free(maps);
	return err;
}

static int cmp_container(const void *a, const void *b)
{
	const struct hw_host_instance *x = a, *y = b;
	int c;

	if (x->in_container != y->in_container)
		return x->in_container ? 1 : -1;
	if ((c = strcmp(x->pid_ns, y->pid_ns)) || (c = strcmp(x->root, y->root)))
		return c;
	return x->main_pid < y->main_pid ? -1 : x->main_pid > y->main_pid;
}

static struct hw_error *read_instances(struct hw_host *h)
{
	struct hw_error *err;
	struct pinfo *v = NULL;
	size_t n = 0;

	err = scan(h, &v, &n);
	if (err)
		return err;
	h->instances_scanned = true;
	for (size_t i = 0; i < n && !err;) {
		size_t j = i;
		struct hw_host_instance *ni;

		while (j < n && v[j].root == v[i].root)
			j++;
		ni = realloc(h->inst, (h->ninst + 1) * sizeof(*ni));
		if (!ni) {
			err = hw_error_nomem();
			break;
		}
		h->inst = ni;
		err = build_instance(h, v + i, j - i, &h->inst[h->ninst]);
		h->ninst++; /* even half built: deinit frees what it has */
		i = j;
	}
	pinfo_free(v, n);
	/* the instances of one container together, after the host's own */
	if (!err && h->ninst > 1)
		qsort(h->inst, h->ninst, sizeof(*h->inst), cmp_container);
	return err;
}

/* ---- the whole view ------------------------------------------------------------ */

void hw_host_deinit(struct hw_host *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->ninst; i++)
		free(h->inst[i].procs);
	free(h->inst);
	for (size_t i = 0; i < h->nnotes; i++)
		free(h->notes[i]);
	free(h->notes);
	hw_slabinfo_deinit(&h->slab);
	free(h->proc_dir);
	memset(h, 0, sizeof(*h));
}

static struct hw_error *read_meminfo(struct hw_host *h)
{
	struct hw_error *err;
	char *text;
	size_t len;
	int e = read_file(h->proc_dir, "meminfo", SMALL_FILE_CAP, &text, &len);

	if (e == ENOMEM)
		return hw_error_nomem();
	if (e)
		return add_note(h, "cannot read %s/meminfo (%s)", h->proc_dir, why(e));
	err = hw_meminfo_parse(text, len, &h->mi);
	free(text);
	if (err) {
		struct hw_error *e2 = add_note(h, "%s/meminfo: %s", h->proc_dir, err->message);
		hw_error_destroy(err);
		return e2;
	}
	h->have_meminfo = true;
	hw_meminfo_verdict(&h->mi, &h->verdict);
	return NULL;
}

static struct hw_error *read_slab(struct hw_host *h)
{
	struct hw_error *err;
	char *text;
	size_t len;
	long page = sysconf(_SC_PAGESIZE);
	int e = read_file(h->proc_dir, "slabinfo", SMALL_FILE_CAP, &text, &len);

	if (e == ENOMEM)
		return hw_error_nomem();
	if (e)
		return add_note(h, "cannot read %s/slabinfo (%s)%s", h->proc_dir, why(e),
				e == EACCES || e == EPERM ? ": the kernel lets only root read it"
							  : "");
	err = hw_slabinfo_parse(text, len, page > 0 ? (uint64_t)page : 4096, &h->slab);
	free(text);
	if (err) {
		struct hw_error *e2 = add_note(h, "%s/slabinfo: %s", h->proc_dir, err->message);
		hw_error_destroy(err);
		return e2;
	}
	h->have_slab = true;
	return NULL;
}

struct hw_error *hw_host_read(const struct hw_host_opts *opts, struct hw_host *ret)
{
	struct hw_error *err = NULL;
	struct hw_host h;
	const char *dir = opts && opts->proc_dir ? opts->proc_dir : "/proc";
	struct stat st;

	memset(&h, 0, sizeof(h));
	if (stat(dir, &st) != 0)
		return hw_error_os(errno, "cannot open %s", dir);
	if (!S_ISDIR(st.st_mode))
		return hw_error_create(HW_ERR_INVALID_ARG, "%s is not a directory", dir);
	h.proc_dir = strdup(dir);
	if (!h.proc_dir)
		return hw_error_nomem();
	h.live = !strcmp(dir, "/proc");
	if (opts->meminfo)
		err = read_meminfo(&h);
	if (!err && opts->slab)
		err = read_slab(&h);
	if (!err && opts->instances)
		err = read_instances(&h);
	if (err) {
		hw_host_deinit(&h);
		return err;
	}
	*ret = h;
	return NULL;
}
