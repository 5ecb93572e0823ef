/* corefile.c - ELF core images of snapshots: layout, parsing, and the multi-process snapshot file.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/snapshot.h"
#include "core.h"
#include "live.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1u
#endif

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t page_up(uint64_t v)
{
	return (v + IMG_PAGE - 1) & ~(uint64_t)(IMG_PAGE - 1);
}

size_t note_add(struct notebuf *nb, const char *name, uint32_t type, const void *desc,
		size_t descsz)
{
	size_t namesz = strlen(name) + 1, need, off;

	need = 12 + ((namesz + 3) & ~(size_t)3) + ((descsz + 3) & ~(size_t)3);
	if (nb->oom || need > SIZE_MAX - nb->len)
		goto oom;
	if (nb->len + need > nb->cap) {
		size_t cap = nb->cap ? nb->cap : 4096;
		uint8_t *b;
		while (cap < nb->len + need)
			cap *= 2;
		b = realloc(nb->buf, cap);
		if (!b)
			goto oom;
		nb->buf = b;
		nb->cap = cap;
	}
	memset(nb->buf + nb->len, 0, need);
	put32(nb->buf + nb->len, (uint32_t)namesz);
	put32(nb->buf + nb->len + 4, (uint32_t)descsz);
	put32(nb->buf + nb->len + 8, type);
	memcpy(nb->buf + nb->len + 12, name, namesz);
	off = nb->len + 12 + ((namesz + 3) & ~(size_t)3);
	if (desc && descsz)
		memcpy(nb->buf + off, desc, descsz);
	nb->len += need;
	return off;
oom:
	nb->oom = true;
	return 0;
}

static unsigned ehdr_size(unsigned cls)
{
	return cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
}

static unsigned phdr_size(unsigned cls)
{
	return cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
}

struct hw_error *img_layout(struct img_desc *d)
{
	uint64_t cur, limit = d->cls == ELFCLASS64 ? UINT64_MAX / 2 : UINT32_MAX;

	if (d->nloads > IMG_MAX_LOADS)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "%zu mappings: too many for one core file", d->nloads);
	d->phoff = ehdr_size(d->cls);
	d->notes_off = d->phoff + (1 + d->nloads) * (uint64_t)phdr_size(d->cls);
	cur = page_up(d->notes_off + d->notes_len);
	for (size_t i = 0; i < d->nloads; i++) {
		struct img_load *l = &d->loads[i];
		if (l->filesz > l->memsz)
			l->filesz = l->memsz;
		if (!l->filesz) {
			l->offset = 0;
			continue;
		}
		if (l->filesz > limit - cur)
			return hw_error_create(HW_ERR_UNSUPPORTED, "core image too large");
		l->offset = cur;
		cur = page_up(cur + l->filesz);
	}
	d->size = cur;
	return NULL;
}

/* The ELF header fields heapwalk writes and reads, in either class. */
struct rehdr {
	uint64_t type, machine, version, phoff, ehsize, phentsize, phnum;
};

/* One program header, in either class. */
struct rphdr {
	uint64_t type, flags, offset, vaddr, paddr, filesz, memsz, align;
};

/* A member of struct rehdr or rphdr (@at) and where it lies: [0] 32-bit, [1] 64-bit class. */
struct field {
	size_t at;
	uint8_t off[2], size[2];
};

/* Where member @m of struct @rec is, as @pre@m of ELF structure @hdr in each class. */
/* clang-format off */
#define FIELD(rec, hdr, pre, m)                                                    \
	{.at = offsetof(struct rec, m),                                            \
	 .off = {offsetof(Elf32_##hdr, pre##m), offsetof(Elf64_##hdr, pre##m)},    \
	 .size = {sizeof(((Elf32_##hdr *)0)->pre##m), sizeof(((Elf64_##hdr *)0)->pre##m)}}
/* clang-format on */
#define EHDR(m) FIELD(rehdr, Ehdr, e_, m)
#define PHDR(m) FIELD(rphdr, Phdr, p_, m)

static const struct field ehdr_fields[] = {
    EHDR(type),	  EHDR(machine),   EHDR(version), EHDR(phoff),
    EHDR(ehsize), EHDR(phentsize), EHDR(phnum),
};
static const struct field phdr_fields[] = {
    PHDR(type),	 PHDR(flags),  PHDR(offset), PHDR(vaddr),
    PHDR(paddr), PHDR(filesz), PHDR(memsz),  PHDR(align),
};
#define NFIELDS(t) (sizeof(t) / sizeof(t[0]))

/* The members of @rec from a header at @p of class @cls. */
static void get_fields(const uint8_t *p, unsigned cls, const struct field *f, size_t n, void *rec)
{
	unsigned c = cls == ELFCLASS64;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *q = p + f[i].off[c];
		uint64_t v = f[i].size[c] == 8 ? get64(q) : f[i].size[c] == 4 ? get32(q) : get16(q);
		memcpy((uint8_t *)rec + f[i].at, &v, sizeof(v));
	}
}

/* The members of @rec into a header at @p of class @cls. */
static void put_fields(uint8_t *p, unsigned cls, const struct field *f, size_t n, const void *rec)
{
	unsigned c = cls == ELFCLASS64;

	for (size_t i = 0; i < n; i++) {
		uint8_t *q = p + f[i].off[c];
		uint64_t v;
		memcpy(&v, (const uint8_t *)rec + f[i].at, sizeof(v));
		if (f[i].size[c] == 8)
			put64(q, v);
		else if (f[i].size[c] == 4)
			put32(q, (uint32_t)v);
		else
			put16(q, (uint16_t)v);
	}
}

static void put_ehdr(uint8_t *p, unsigned cls, unsigned machine, uint64_t phoff, unsigned phnum)
{
	const struct rehdr e = {.type = ET_CORE,
				.machine = machine,
				.version = EV_CURRENT,
				.phoff = phoff,
				.ehsize = ehdr_size(cls),
				.phentsize = phdr_size(cls),
				.phnum = phnum};

	memset(p, 0, ehdr_size(cls));
	memcpy(p, ELFMAG, SELFMAG);
	p[EI_CLASS] = (uint8_t)cls;
	p[EI_DATA] = ELFDATA2LSB;
	p[EI_VERSION] = EV_CURRENT;
	p[EI_OSABI] = ELFOSABI_NONE;
	put_fields(p, cls, ehdr_fields, NFIELDS(ehdr_fields), &e);
}

static void put_phdr(uint8_t *p, unsigned cls, const struct rphdr *r)
{
	put_fields(p, cls, phdr_fields, NFIELDS(phdr_fields), r);
}

static void get_phdr(const uint8_t *p, unsigned cls, struct rphdr *r)
{
	get_fields(p, cls, phdr_fields, NFIELDS(phdr_fields), r);
}

void img_put_headers(const struct img_desc *d, uint8_t *buf)
{
	unsigned ps = phdr_size(d->cls);

	put_ehdr(buf, d->cls, d->machine, d->phoff, (unsigned)(1 + d->nloads));
	put_phdr(buf + d->phoff, d->cls,
		 &(struct rphdr){
		     .type = PT_NOTE, .offset = d->notes_off, .filesz = d->notes_len, .align = 4});
	for (size_t i = 0; i < d->nloads; i++) {
		const struct img_load *l = &d->loads[i];
		put_phdr(buf + d->phoff + (1 + i) * ps, d->cls,
			 &(struct rphdr){.type = PT_LOAD,
					 .flags = l->flags,
					 .offset = l->offset,
					 .vaddr = l->vaddr,
					 .filesz = l->filesz,
					 .memsz = l->memsz,
					 .align = IMG_PAGE});
	}
	if (d->notes_len && d->notes)
		memcpy(buf + d->notes_off, d->notes, d->notes_len);
}

/* The program header table of an ELF core (untrusted): where and how many. */
static struct hw_error *phdr_table(const uint8_t *map, size_t size, const char *what,
				   unsigned *cls_ret, unsigned *machine_ret, uint64_t *phoff_ret,
				   uint64_t *phnum_ret)
{
	unsigned cls, phentsize;
	uint64_t phoff, phnum;
	struct rehdr e;

	if (size < EI_NIDENT || memcmp(map, ELFMAG, SELFMAG) != 0)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not an ELF file", what);
	cls = map[EI_CLASS];
	if ((cls != ELFCLASS32 && cls != ELFCLASS64) || map[EI_DATA] != ELFDATA2LSB ||
	    size < ehdr_size(cls))
		return hw_error_create(HW_ERR_BAD_DATA, "%s: unsupported ELF header", what);
	get_fields(map, cls, ehdr_fields, NFIELDS(ehdr_fields), &e);
	if (e.type != ET_CORE)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not a core file", what);
	*machine_ret = (unsigned)e.machine;
	phoff = e.phoff;
	phentsize = (unsigned)e.phentsize;
	phnum = e.phnum;
	if (phentsize != phdr_size(cls) || phnum == PN_XNUM || phoff > size ||
	    phnum > (size - phoff) / phentsize)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: bad program header table", what);
	*cls_ret = cls;
	*phoff_ret = phoff;
	*phnum_ret = phnum;
	return NULL;
}

/* The bytes a segment saves, cut to the file: NULL if none. */
static const uint8_t *seg_bytes(const uint8_t *map, size_t size, const struct rphdr *r,
				uint64_t *len_ret)
{
	uint64_t len = r->filesz;

	if (!len || r->offset >= size) {
		*len_ret = 0;
		return NULL;
	}
	if (len > size - r->offset)
		len = size - r->offset;
	*len_ret = len;
	return map + r->offset;
}

struct hw_error *img_parse(const uint8_t *map, size_t size, const char *what, struct img_desc *ret)
{
	struct hw_error *err;
	struct img_desc d;
	uint64_t phoff, phnum;
	bool have_notes = false;

	memset(&d, 0, sizeof(d));
	if ((err = phdr_table(map, size, what, &d.cls, &d.machine, &phoff, &phnum)))
		return err;
	d.loads = calloc(phnum ? (size_t)phnum : 1, sizeof(*d.loads));
	if (!d.loads)
		return hw_error_nomem();
	for (uint64_t i = 0; i < phnum; i++) {
		struct rphdr r;
		uint64_t len;
		const uint8_t *b;
		get_phdr(map + phoff + i * phdr_size(d.cls), d.cls, &r);
		b = seg_bytes(map, size, &r, &len);
		if (r.type == PT_NOTE && !have_notes) {
			have_notes = true;
			d.notes = b;
			d.notes_len = (size_t)len;
			d.notes_align = r.align == 8 ? 8 : 4;
		} else if (r.type == PT_LOAD) {
			struct img_load *l = &d.loads[d.nloads++];
			l->vaddr = r.vaddr;
			l->memsz = r.memsz < r.filesz ? r.filesz : r.memsz;
			l->filesz = len;
			l->flags = r.flags;
			l->src = b;
		}
	}
	*ret = d;
	return NULL;
}

/* Calls @fn for each key=value line of @len bytes of note text, the value read as a number. */
static void each_number(const uint8_t *text, size_t len,
			void (*fn)(void *arg, const char *key, unsigned long long v), void *arg)
{
	char buf[2048];
	char *line, *save = NULL;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, text, len);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq = '\0';
		fn(arg, line, strtoull(eq + 1, NULL, 10));
	}
}

/* One key=value of a HEAPWALK process note into the snapshot process record. */
static void proc_number(void *arg, const char *key, unsigned long long v)
{
	struct hw_snapshot_proc *p = arg;

	if (!strcmp(key, "pid") && v <= INT_MAX)
		p->pid = (int)v;
	else if (!strcmp(key, "ppid") && v <= INT_MAX)
		p->ppid = (int)v;
	else if (!strcmp(key, "ns_pid") && v <= INT_MAX)
		p->ns_pid = (int)v;
	else if (!strcmp(key, "threads") && v <= UINT_MAX)
		p->nthreads = (unsigned)v;
	else if (!strcmp(key, "stopped"))
		p->stopped = v != 0;
	else if (!strcmp(key, "was_stopped"))
		p->was_stopped = v != 0;
	else if (!strcmp(key, "stop_ns"))
		p->stop_ns = v;
	else if (!strcmp(key, "copied"))
		p->copied = v;
	else if (!strcmp(key, "copied_while_stopped"))
		p->copied_while_stopped = v;
	else if (!strcmp(key, "shared_elsewhere"))
		p->shared_elsewhere = v;
	else if (!strcmp(key, "unreadable"))
		p->unreadable = v;
	else if (!strcmp(key, "skipped_zero"))
		p->skipped_zero = v;
}

void img_read_proc_notes(const uint8_t *notes, size_t len, size_t align, unsigned cls,
			 struct hw_snapshot_proc *p)
{
	struct hw_note n;
	size_t off = 0;
	bool seen_status = false, seen_ps = false;

	while (notes && hw_note_next(notes, len, align, &off, &n)) {
		if (hw_note_name_is(&n, "CORE")) {
			if (n.type == NT_PRSTATUS && !seen_status) {
				size_t o = cls == ELFCLASS64 ? 32 : 24;
				seen_status = true;
				if (n.descsz >= o + 8) {
					p->pid = (int)get32(n.desc + o);
					p->ppid = (int)get32(n.desc + o + 4);
				}
			} else if (n.type == NT_PRSTATUS) {
				p->nthreads++;
			} else if (n.type == NT_PRPSINFO && !seen_ps) {
				size_t o = n.descsz == 136 ? 40 : n.descsz == 128 ? 32 : 28;
				seen_ps = true;
				if (n.descsz >= o + 16)
					hw_sanitise(p->comm, sizeof(p->comm),
						    (const char *)n.desc + o, 16);
			}
		} else if (hw_note_name_is(&n, HW_NOTE_OWNER) && n.type == HW_NT_PROC) {
			each_number(n.desc, n.descsz, proc_number, p);
		}
	}
	if (seen_status)
		p->nthreads++;
}

struct hw_error *img_memfile(uint64_t size, int *fd_ret, uint8_t **map_ret)
{
	int fd;
	uint8_t *map;

	if (size == 0 || size > SIZE_MAX)
		return hw_error_create(HW_ERR_INVALID_ARG, "image of %" PRIu64 " bytes", size);
	fd = memfd_create("heapwalk-snapshot", MFD_CLOEXEC);
	if (fd < 0) {
		/* No memfd: an unlinked temporary file does the same. */
		char tmpl[] = "/tmp/heapwalk-snapshot-XXXXXX";
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd < 0)
			return hw_error_os(errno, "cannot create a memory file for the snapshot");
		unlink(tmpl);
	}
	if (ftruncate(fd, (off_t)size) != 0) {
		int e = errno;
		close(fd);
		return hw_error_os(e, "cannot size the snapshot memory file to %" PRIu64 " bytes",
				   size);
	}
	map = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		int e = errno;
		close(fd);
		return hw_error_os(e, "cannot map the snapshot memory file");
	}
	*fd_ret = fd;
	*map_ret = map;
	return NULL;
}

/* ---- the snapshot file ---- */

/* Write @len bytes at @off, leaving all-zero pages as holes. */
static struct hw_error *write_sparse(int fd, const char *path, const uint8_t *p, uint64_t len,
				     uint64_t off)
{
	static const uint8_t zero[IMG_PAGE];
	uint64_t pos = 0;

	while (pos < len) {
		uint64_t chunk = len - pos < IMG_PAGE ? len - pos : IMG_PAGE;
		uint64_t run = 0;
		/* Coalesce non-zero pages into one write. */
		while (pos + run < len) {
			uint64_t c = len - pos - run < IMG_PAGE ? len - pos - run : IMG_PAGE;
			if (!memcmp(p + pos + run, zero, c))
				break;
			run += c;
			if (run >= (8u << 20))
				break;
		}
		if (!run) {
			pos += chunk;
			continue;
		}
		for (uint64_t done = 0; done < run;) {
			ssize_t n = pwrite(fd, p + pos + done, (size_t)(run - done),
					   (off_t)(off + pos + done));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return hw_error_os(n < 0 ? errno : EIO, "cannot write %s", path);
			done += (uint64_t)n;
		}
		pos += run;
	}
	return NULL;
}

struct mapped {
	uint8_t *map;
	size_t size;
};

static struct hw_error *map_fd(int fd, const char *what, struct mapped *m)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return hw_error_os(errno, "cannot stat %s", what);
	if (!S_ISREG(st.st_mode))
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not a regular file", what);
	if (st.st_size <= 0 || (uint64_t)st.st_size > SIZE_MAX)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: empty or too large", what);
	m->size = (size_t)st.st_size;
	m->map = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m->map == MAP_FAILED)
		return hw_error_os(errno, "cannot map %s", what);
	return NULL;
}

/* A named temporary file to remove if SIGINT or SIGTERM ends heapwalk while it exists. */
static char *volatile tmp_named;
static struct sigaction tmp_old_int, tmp_old_term;

static void drop_tmp(int sig)
{
	char *p = tmp_named;

	if (p)
		unlink(p);
	sigaction(sig, sig == SIGINT ? &tmp_old_int : &tmp_old_term, NULL);
	raise(sig);
}

/* Remove @name (NULL: no more) if SIGINT or SIGTERM comes; an ignored signal stays ignored. */
static void guard_tmp(char *name)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = drop_tmp;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		struct sigaction *old = sigs[i] == SIGINT ? &tmp_old_int : &tmp_old_term;
		if (name) {
			tmp_named = name;
			if (sigaction(sigs[i], NULL, old) == 0 && old->sa_handler != SIG_IGN)
				sigaction(sigs[i], &sa, NULL);
		} else {
			sigaction(sigs[i], old, NULL);
		}
	}
	if (!name)
		tmp_named = NULL;
}

/*
 * The file a snapshot is written to: an unnamed file in @path's directory
 * (O_TMPFILE, named only once complete), which no signal, not even SIGKILL,
 * can leave behind; where the file system has none, a named temporary file
 * (*tmp_ret, guarded by guard_tmp).
 */
static struct hw_error *open_output(const char *path, int *fd_ret, char **tmp_ret)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd = -1;

	*tmp_ret = NULL;
	if (!slash)
		dir = strdup(".");
	else
		dir = strndup(path, slash == path ? 1 : (size_t)(slash - path));
	if (!dir)
		return hw_error_nomem();
	/* the name is given through /proc/self/fd */
	if (access("/proc/self/fd", X_OK) == 0)
		fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	free(dir);
	if (fd < 0) {
		char *tmp;
		if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0)
			return hw_error_nomem();
		guard_tmp(tmp);
		fd = mkostemp(tmp, O_CLOEXEC);
		if (fd < 0) {
			struct hw_error *err = hw_error_os(errno, "cannot create %s", tmp);
			guard_tmp(NULL);
			free(tmp);
			return err;
		}
		*tmp_ret = tmp;
	}
	*fd_ret = fd;
	return NULL;
}

/*
 * Give the unnamed file @fd (O_TMPFILE) the name @path: directly if there
 * is none yet, else through a temporary name (*tmp_ret, guarded) that the
 * caller renames over @path.
 */
static struct hw_error *name_output(int fd, const char *path, char **tmp_ret)
{
	char self[64];

	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0)
		return NULL;
	if (errno != EEXIST)
		return hw_error_os(errno, "cannot create %s", path);
	for (unsigned n = 0; n < 100; n++) {
		char *tmp;
		if (asprintf(&tmp, "%s.tmp-%d-%u", path, (int)getpid(), n) < 0)
			return hw_error_nomem();
		guard_tmp(tmp);
		if (linkat(AT_FDCWD, self, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) {
			*tmp_ret = tmp;
			return NULL;
		}
		int e = errno;
		guard_tmp(NULL);
		free(tmp);
		if (e != EEXIST)
			return hw_error_os(e, "cannot create a temporary name for %s", path);
	}
	return hw_error_os(EEXIST, "cannot create a temporary name for %s", path);
}

static void snapshot_text(const struct hw_snapshot *s, struct hw_sbuf *sb)
{
	hw_sbuf_printf(
	    sb, "processes=%zu\nstopped=%d\nlive=%d\ntime_ns=%" PRIu64 "\nwall_ns=%" PRIu64 "\n",
	    s->nprocs, s->stopped ? 1 : 0, s->live ? 1 : 0, s->time_ns, s->wall_ns);
}

struct hw_error *hw_snapshot_write(const struct hw_snapshot *s, const char *path,
				   uint64_t *bytes_ret)
{
	struct hw_error *err = NULL;
	struct mapped *maps = NULL;
	struct img_desc *d = NULL;
	struct notebuf nb0 = {0};
	struct hw_sbuf sb;
	char *tmp = NULL;
	const char *out_name;
	uint8_t *head = NULL;
	uint64_t phnum = 0, phoff, notes_off, cur, head_len;
	unsigned ps;
	int fd = -1;

	hw_sbuf_init(&sb);
	if (!s || s->nprocs == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "empty snapshot");
	maps = calloc(s->nprocs, sizeof(*maps));
	d = calloc(s->nprocs, sizeof(*d));
	if (!maps || !d) {
		err = hw_error_nomem();
		goto out;
	}
	for (size_t i = 0; i < s->nprocs; i++) {
		const struct hw_snapshot_proc *p = &s->procs[i];
		char what[64];
		int pfd = p->fd;
		snprintf(what, sizeof(what), "the image of pid %d", p->pid);
		if (pfd < 0 && p->path) {
			pfd = open(p->path, O_RDONLY | O_CLOEXEC);
			if (pfd < 0) {
				err = hw_error_os(errno, "cannot open %s", p->path);
				goto out;
			}
		}
		if (pfd < 0) {
			err = hw_error_create(HW_ERR_INVALID_ARG, "no image for pid %d", p->pid);
			goto out;
		}
		err = map_fd(pfd, what, &maps[i]);
		if (pfd != p->fd)
			close(pfd);
		if (err) {
			maps[i].map = NULL;
			goto out;
		}
		if ((err = img_parse(maps[i].map, maps[i].size, what, &d[i])))
			goto out;
		if (d[i].cls != d[0].cls) {
			err = hw_error_create(HW_ERR_UNSUPPORTED,
					      "processes of different ELF classes in one snapshot");
			goto out;
		}
		phnum += 1 + d[i].nloads;
	}
	if (phnum >= PN_XNUM) {
		err =
		    hw_error_create(HW_ERR_UNSUPPORTED, "too many mappings for one snapshot file");
		goto out;
	}
	/* The first image's notes, plus what the snapshot as a whole was. */
	snapshot_text(s, &sb);
	if ((err = hw_sbuf_error(&sb)))
		goto out;
	if (d[0].notes_len) {
		/* Keep them as they are (4-byte aligned notes in images heapwalk writes). */
		if (d[0].notes_align != 4) {
			err = hw_error_create(HW_ERR_UNSUPPORTED,
					      "%s: notes with 8-byte alignment cannot be combined",
					      path);
			goto out;
		}
		nb0.buf = malloc(d[0].notes_len);
		if (!nb0.buf) {
			err = hw_error_nomem();
			goto out;
		}
		memcpy(nb0.buf, d[0].notes, d[0].notes_len);
		nb0.len = nb0.cap = d[0].notes_len;
	}
	note_add(&nb0, HW_NOTE_OWNER, HW_NT_SNAPSHOT, hw_sbuf_str(&sb), sb.len);
	if (nb0.oom) {
		err = hw_error_nomem();
		goto out;
	}
	/* Layout: headers, all notes, then every saved segment page-aligned. */
	ps = phdr_size(d[0].cls);
	phoff = ehdr_size(d[0].cls);
	notes_off = phoff + phnum * ps;
	cur = notes_off + nb0.len;
	for (size_t i = 1; i < s->nprocs; i++)
		cur += (d[i].notes_len + 3) & ~(uint64_t)3;
	head_len = cur;
	cur = page_up(cur);
	for (size_t i = 0; i < s->nprocs; i++)
		for (size_t k = 0; k < d[i].nloads; k++) {
			struct img_load *l = &d[i].loads[k];
			l->offset = l->filesz ? cur : 0;
			cur = page_up(cur + l->filesz);
		}
	head = calloc(1, (size_t)head_len);
	if (!head) {
		err = hw_error_nomem();
		goto out;
	}
	{
		uint64_t ph = phoff, no = notes_off;
		put_ehdr(head, d[0].cls, d[0].machine, phoff, (unsigned)phnum);
		for (size_t i = 0; i < s->nprocs; i++) {
			size_t nlen = i ? d[i].notes_len : nb0.len;
			put_phdr(head + ph, d[0].cls,
				 &(struct rphdr){.type = i ? PT_HW_NOTE : PT_NOTE,
						 .offset = no,
						 .paddr = i,
						 .filesz = nlen,
						 .align = 4});
			memcpy(head + no, i ? d[i].notes : nb0.buf, nlen);
			ph += ps;
			no += (nlen + 3) & ~(uint64_t)3;
			for (size_t k = 0; k < d[i].nloads; k++) {
				const struct img_load *l = &d[i].loads[k];
				put_phdr(head + ph, d[0].cls,
					 &(struct rphdr){.type = i ? PT_HW_LOAD : PT_LOAD,
							 .flags = l->flags,
							 .offset = l->offset,
							 .vaddr = l->vaddr,
							 .paddr = i,
							 .filesz = l->filesz,
							 .memsz = l->memsz,
							 .align = IMG_PAGE});
				ph += ps;
			}
		}
	}
	if ((err = open_output(path, &fd, &tmp)))
		goto out;
	out_name = tmp ? tmp : path;
	if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)cur) != 0) {
		err = hw_error_os(errno, "cannot size %s", out_name);
		goto out;
	}
	if ((err = write_sparse(fd, out_name, head, head_len, 0)))
		goto out;
	for (size_t i = 0; i < s->nprocs; i++)
		for (size_t k = 0; k < d[i].nloads; k++) {
			const struct img_load *l = &d[i].loads[k];
			if (l->filesz &&
			    (err = write_sparse(fd, out_name, l->src, l->filesz, l->offset)))
				goto out;
		}
	if (fsync(fd) != 0 && errno != EINVAL) {
		err = hw_error_os(errno, "cannot write %s", out_name);
		goto out;
	}
	if (!tmp && (err = name_output(fd, path, &tmp)))
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		err = hw_error_os(errno, "cannot write %s", tmp ? tmp : path);
		if (!tmp)
			unlink(path); /* named already, but not whole */
		goto out;
	}
	fd = -1;
	if (tmp && rename(tmp, path) != 0) {
		err = hw_error_os(errno, "cannot rename %s to %s", tmp, path);
		goto out;
	}
	if (tmp) {
		guard_tmp(NULL);
		free(tmp);
		tmp = NULL;
	}
	if (bytes_ret)
		*bytes_ret = cur;
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		guard_tmp(NULL);
		free(tmp);
	}
	free(head);
	free(nb0.buf);
	hw_sbuf_deinit(&sb);
	for (size_t i = 0; d && i < s->nprocs; i++)
		free(d[i].loads);
	for (size_t i = 0; maps && i < s->nprocs; i++)
		if (maps[i].map)
			munmap(maps[i].map, maps[i].size);
	free(maps);
	free(d);
	return err;
}

/* A standard core image in a memory file from one hidden process of a snapshot file. */
static struct hw_error *build_image(struct img_desc *d, int *fd_ret)
{
	struct hw_error *err;
	uint8_t *map;
	int fd;

	if ((err = img_layout(d)) || (err = img_memfile(d->size, &fd, &map)))
		return err;
	img_put_headers(d, map);
	for (size_t i = 0; i < d->nloads; i++)
		if (d->loads[i].filesz)
			memcpy(map + d->loads[i].offset, d->loads[i].src, d->loads[i].filesz);
	munmap(map, (size_t)d->size);
	*fd_ret = fd;
	return NULL;
}

/* One key=value of the HEAPWALK snapshot note into the snapshot. */
static void snapshot_number(void *arg, const char *key, unsigned long long v)
{
	struct hw_snapshot *s = arg;

	if (!strcmp(key, "stopped"))
		s->stopped = v != 0;
	else if (!strcmp(key, "time_ns"))
		s->time_ns = v;
	else if (!strcmp(key, "wall_ns"))
		s->wall_ns = v;
}

static void snapshot_from_text(const uint8_t *notes, size_t len, size_t align,
			       struct hw_snapshot *s)
{
	struct hw_note n;
	size_t off = 0;

	while (notes && hw_note_next(notes, len, align, &off, &n))
		if (hw_note_name_is(&n, HW_NOTE_OWNER) && n.type == HW_NT_SNAPSHOT)
			each_number(n.desc, n.descsz, snapshot_number, s);
}

/* A segment's bytes in the file. */
struct span {
	uint64_t off, len;
};

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/*
 * A snapshot file with hidden processes, as heapwalk writes it: every saved
 * segment lies within the file and no two share bytes. Each hidden image is
 * copied from its segments, so this bounds them all by the file's size.
 */
static struct hw_error *check_spans(const uint8_t *map, size_t size, const char *path, unsigned cls,
				    uint64_t phoff, uint64_t phnum)
{
	struct hw_error *err = NULL;
	struct span *v = calloc(phnum ? (size_t)phnum : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return hw_error_nomem();
	for (uint64_t i = 0; i < phnum && !err; i++) {
		struct rphdr r;
		get_phdr(map + phoff + i * phdr_size(cls), cls, &r);
		if ((r.type != PT_LOAD && r.type != PT_NOTE && r.type != PT_HW_LOAD &&
		     r.type != PT_HW_NOTE) ||
		    !r.filesz)
			continue;
		if (r.offset > size || r.filesz > size - r.offset)
			err = hw_error_create(
			    HW_ERR_BAD_DATA,
			    "%s: not a snapshot file heapwalk wrote: segment %" PRIu64
			    " ends beyond the end of the file",
			    path, i);
		v[n++] = (struct span){r.offset, r.filesz};
	}
	qsort(v, n, sizeof(*v), cmp_span);
	for (size_t k = 1; k < n && !err; k++)
		if (v[k].off < v[k - 1].off + v[k - 1].len)
			err = hw_error_create(HW_ERR_BAD_DATA,
					      "%s: not a snapshot file heapwalk wrote: segments "
					      "share the file bytes at offset %" PRIu64,
					      path, v[k].off);
	free(v);
	return err;
}

struct hw_error *hw_snapshot_load(const char *path, struct hw_snapshot **ret)
{
	struct hw_error *err = NULL;
	struct hw_snapshot *s;
	struct mapped m = {0};
	unsigned cls = 0, machine = 0;
	uint64_t phoff = 0, phnum = 0, nhidden = 0;
	int fd;

	s = calloc(1, sizeof(*s));
	if (!s || !(s->source = strdup(path))) {
		free(s);
		return hw_error_nomem();
	}
	/* O_NONBLOCK: a FIFO must not block the open; map_fd refuses what is not a file */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		err = hw_error_os(errno, "cannot open core file %s", path);
		goto fail;
	}
	err = map_fd(fd, path, &m);
	close(fd);
	if (err) {
		m.map = NULL;
		goto fail;
	}
	/* Anything the core reader may still understand (compressed, odd) is one process. */
	err = phdr_table(m.map, m.size, path, &cls, &machine, &phoff, &phnum);
	if (!err) {
		for (uint64_t i = 0; i < phnum; i++) {
			struct rphdr r;
			get_phdr(m.map + phoff + i * phdr_size(cls), cls, &r);
			if (r.type == PT_HW_NOTE && r.paddr > nhidden && r.paddr <= 4096)
				nhidden = r.paddr;
		}
	} else {
		hw_error_destroy(err);
		err = NULL;
		phnum = 0;
	}
	if (nhidden && (err = check_spans(m.map, m.size, path, cls, phoff, phnum)))
		goto fail;
	s->procs = calloc((size_t)nhidden + 1, sizeof(*s->procs));
	if (!s->procs) {
		err = hw_error_nomem();
		goto fail;
	}
	s->nprocs = (size_t)nhidden + 1;
	for (size_t i = 0; i < s->nprocs; i++)
		s->procs[i].fd = -1;
	if (!(s->procs[0].path = strdup(path))) {
		err = hw_error_nomem();
		goto fail;
	}
	if (phnum) {
		struct img_desc d0;
		if (!img_parse(m.map, m.size, path, &d0)) {
			img_read_proc_notes(d0.notes, d0.notes_len, d0.notes_align, d0.cls,
					    &s->procs[0]);
			snapshot_from_text(d0.notes, d0.notes_len, d0.notes_align, s);
			free(d0.loads);
		}
	}
	for (uint64_t k = 1; k <= nhidden; k++) {
		struct img_desc d = {.cls = cls, .machine = machine, .notes_align = 4};
		char what[64];
		d.loads = calloc((size_t)phnum, sizeof(*d.loads));
		if (!d.loads) {
			err = hw_error_nomem();
			goto fail;
		}
		for (uint64_t i = 0; i < phnum; i++) {
			struct rphdr r;
			uint64_t len;
			const uint8_t *b;
			get_phdr(m.map + phoff + i * phdr_size(cls), cls, &r);
			if (r.paddr != k || (r.type != PT_HW_NOTE && r.type != PT_HW_LOAD))
				continue;
			b = seg_bytes(m.map, m.size, &r, &len);
			if (r.type == PT_HW_NOTE) {
				d.notes = b;
				d.notes_len = (size_t)len;
			} else {
				struct img_load *l = &d.loads[d.nloads++];
				l->vaddr = r.vaddr;
				l->memsz = r.memsz < len ? len : r.memsz;
				l->filesz = len;
				l->flags = r.flags;
				l->src = b;
			}
		}
		snprintf(what, sizeof(what), "%s (process %" PRIu64 ")", path, k);
		img_read_proc_notes(d.notes, d.notes_len, 4, cls, &s->procs[k]);
		err = build_image(&d, &s->procs[k].fd);
		free(d.loads);
		if (err) {
			err = hw_error_context(err, "%s", what);
			goto fail;
		}
	}
	munmap(m.map, m.size);
	*ret = s;
	return NULL;
fail:
	if (m.map)
		munmap(m.map, m.size);
	hw_snapshot_destroy(s);
	return err;
}
