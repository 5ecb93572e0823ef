/* diff.c - two moments of an instance compared by allocation site (see include/heapwalk/diff.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/jsonin.h"
#include "heapwalk/persist.h"
#include "heapwalk/sbuf.h"

void hw_diff_side_init(struct hw_diff_side *s)
{
	memset(s, 0, sizeof(*s));
}

static void pool_deinit(struct hw_diff_pool *p)
{
	for (size_t i = 0; i < p->nsites; i++) {
		free(p->sites[i].file);
		free(p->sites[i].func);
		free(p->sites[i].module);
	}
	free(p->sites);
	free(p->slots);
	free(p->desc);
	if (p->ids)
		hw_idset_deinit(p->ids);
	free(p->ids);
}

void hw_diff_side_deinit(struct hw_diff_side *s)
{
	for (size_t i = 0; i < s->npools; i++)
		pool_deinit(&s->pools[i]);
	free(s->pools);
	free(s->source);
	memset(s, 0, sizeof(*s));
}

void hw_diff_side_filter(struct hw_diff_side *s,
			 bool (*keep)(const struct hw_diff_pool *p, void *arg), void *arg)
{
	size_t k = 0;

	for (size_t i = 0; i < s->npools; i++) {
		if (keep(&s->pools[i], arg))
			s->pools[k++] = s->pools[i];
		else
			pool_deinit(&s->pools[i]);
	}
	s->npools = k;
}

struct hw_error *hw_diff_side_add_pool(struct hw_diff_side *s, const char *name, int pid, int rank,
				       const char *desc, struct hw_diff_pool **ret)
{
	struct hw_diff_pool *p;

	if (s->npools == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct hw_diff_pool *v = realloc(s->pools, cap * sizeof(*v));
		if (!v)
			return hw_error_nomem();
		s->pools = v;
		s->cap = cap;
	}
	p = &s->pools[s->npools];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->pid = pid;
	p->rank = rank;
	p->sites_complete = true;
	if (!(p->desc = strdup(desc ? desc : "")))
		return hw_error_nomem();
	s->npools++;
	*ret = p;
	return NULL;
}

static uint64_t str_hash(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

static uint64_t site_hash(const char *file, const char *func, uint64_t line, const char *module)
{
	uint64_t h = 0xcbf29ce484222325ull;

	h = str_hash(h, file);
	h = str_hash(h, func);
	h = str_hash(h, module);
	return (h ^ line) * 0x100000001b3ull;
}

static bool site_is(const struct hw_diff_site *s, const char *file, const char *func, uint64_t line,
		    const char *module)
{
	return s->line == line && !strcmp(s->file, file) && !strcmp(s->func, func) &&
	       !strcmp(s->module, module);
}

/* Slot holding the site, or the empty slot where it would go. */
static size_t find_slot(const struct hw_diff_pool *p, const char *file, const char *func,
			uint64_t line, const char *module)
{
	size_t mask = p->nslots - 1, i = (size_t)site_hash(file, func, line, module) & mask;

	/* Bounded: the table is never more than half full. */
	while (p->slots[i] != SIZE_MAX &&
	       !site_is(&p->sites[p->slots[i]], file, func, line, module))
		i = (i + 1) & mask;
	return i;
}

static struct hw_error *grow_slots(struct hw_diff_pool *p)
{
	size_t n = p->nslots ? p->nslots * 2 : 64;
	size_t *old = p->slots;

	p->slots = malloc(n * sizeof(*p->slots));
	if (!p->slots) {
		p->slots = old;
		return hw_error_nomem();
	}
	for (size_t i = 0; i < n; i++)
		p->slots[i] = SIZE_MAX;
	p->nslots = n;
	for (size_t k = 0; k < p->nsites; k++) {
		const struct hw_diff_site *s = &p->sites[k];
		p->slots[find_slot(p, s->file, s->func, s->line, s->module)] = k;
	}
	free(old);
	return NULL;
}

struct hw_error *hw_diff_pool_add_site(struct hw_diff_pool *p, const char *file, const char *func,
				       uint64_t line, const char *module, uint64_t count,
				       uint64_t bytes)
{
	struct hw_error *err;
	struct hw_diff_site *s;
	size_t slot;

	file = file ? file : "";
	func = func ? func : "";
	module = module ? module : "";
	if ((p->nsites + 1) * 2 > p->nslots && (err = grow_slots(p)))
		return err;
	slot = find_slot(p, file, func, line, module);
	if (p->slots[slot] != SIZE_MAX) {
		s = &p->sites[p->slots[slot]];
		s->count += count;
		s->bytes += bytes;
		return NULL;
	}
	if (p->nsites == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct hw_diff_site *v = realloc(p->sites, cap * sizeof(*v));
		if (!v)
			return hw_error_nomem();
		p->sites = v;
		p->cap = cap;
	}
	s = &p->sites[p->nsites];
	memset(s, 0, sizeof(*s));
	s->file = strdup(file);
	s->func = strdup(func);
	s->module = strdup(module);
	if (!s->file || !s->func || !s->module) {
		free(s->file);
		free(s->func);
		free(s->module);
		return hw_error_nomem();
	}
	s->line = line;
	s->count = count;
	s->bytes = bytes;
	p->slots[slot] = p->nsites++;
	return NULL;
}

static const struct hw_diff_site *lookup(const struct hw_diff_pool *p, const struct hw_diff_site *s)
{
	size_t slot;

	if (!p || !p->nslots)
		return NULL;
	slot = find_slot(p, s->file, s->func, s->line, s->module);
	return p->slots[slot] == SIZE_MAX ? NULL : &p->sites[p->slots[slot]];
}

const struct hw_diff_site *hw_diff_pool_find(const struct hw_diff_pool *p, const char *file,
					     const char *func, uint64_t line, const char *module)
{
	size_t slot;

	if (!p || !p->nslots)
		return NULL;
	slot = find_slot(p, file, func, line, module);
	return p->slots[slot] == SIZE_MAX ? NULL : &p->sites[p->slots[slot]];
}

const struct hw_diff_pool *hw_diff_side_find(const struct hw_diff_side *s, const char *name,
					     int pid)
{
	for (size_t i = 0; i < s->npools; i++)
		if (s->pools[i].pid == pid && !strcmp(s->pools[i].name, name))
			return &s->pools[i];
	return NULL;
}

/* ---- pairing pools ---- */

static bool same_process(const struct hw_diff_pool *a, const struct hw_diff_pool *b, bool by_pid)
{
	if (strcmp(a->name, b->name))
		return false;
	if (by_pid)
		return a->pid == b->pid;
	return a->desc[0] && !strcmp(a->desc, b->desc) && a->rank == b->rank;
}

/* The index of @s's one shm pool; s->npools if it has none or several. */
static size_t only_shm(const struct hw_diff_side *s)
{
	size_t at = s->npools, n = 0;

	for (size_t i = 0; i < s->npools; i++)
		if (!strcmp(s->pools[i].name, "shm")) {
			at = i;
			n++;
		}
	return n == 1 ? at : s->npools;
}

static int64_t delta(uint64_t a, uint64_t b)
{
	return b >= a ? (int64_t)(b - a) : -(int64_t)(a - b);
}

static int cmp_rows(const void *x, const void *y)
{
	const struct hw_diff_row *a = x, *b = y;

	if (a->dbytes != b->dbytes)
		return a->dbytes > b->dbytes ? -1 : 1;
	if (a->dcount != b->dcount)
		return a->dcount > b->dcount ? -1 : 1;
	{
		const struct hw_diff_site *sa = a->b ? a->b : a->a, *sb = b->b ? b->b : b->a;
		int c = strcmp(sa->file, sb->file);
		if (c)
			return c;
		c = strcmp(sa->func, sb->func);
		if (c)
			return c;
		return sa->line < sb->line ? -1 : sa->line > sb->line;
	}
}

static struct hw_error *compare(struct hw_diff_pair *pr)
{
	const struct hw_diff_pool *a = pr->a, *b = pr->b;
	size_t max = (a ? a->nsites : 0) + (b ? b->nsites : 0), n = 0;
	struct hw_diff_row *rows = calloc(max ? max : 1, sizeof(*rows));

	if (!rows)
		return hw_error_nomem();
	for (size_t i = 0; b && i < b->nsites; i++) {
		const struct hw_diff_site *sb = &b->sites[i], *sa = lookup(a, sb);
		struct hw_diff_row *r = &rows[n];
		r->a = sa;
		r->b = sb;
		r->kind = sa ? HW_DIFF_CHANGED : HW_DIFF_NEW;
		r->dcount = delta(sa ? sa->count : 0, sb->count);
		r->dbytes = delta(sa ? sa->bytes : 0, sb->bytes);
		if (r->dcount || r->dbytes)
			n++;
	}
	for (size_t i = 0; a && i < a->nsites; i++) {
		const struct hw_diff_site *sa = &a->sites[i];
		struct hw_diff_row *r;
		if (lookup(b, sa))
			continue;
		r = &rows[n++];
		r->a = sa;
		r->b = NULL; /* the slot may hold an unchanged site left by the loop above */
		r->kind = HW_DIFF_GONE;
		r->dcount = -(int64_t)sa->count;
		r->dbytes = -(int64_t)sa->bytes;
	}
	qsort(rows, n, sizeof(*rows), cmp_rows);
	for (size_t i = 0; i < n; i++) {
		const struct hw_diff_row *r = &rows[i];
		if (r->kind == HW_DIFF_NEW)
			pr->added++;
		else if (r->kind == HW_DIFF_GONE)
			pr->gone++;
		if (r->dbytes > 0) {
			pr->grown++;
			pr->grown_bytes += r->dbytes;
		} else if (r->dbytes < 0) {
			pr->shrunk++;
		}
	}
	pr->rows = rows;
	pr->nrows = n;
	return NULL;
}

struct hw_error *hw_diff_compute(const struct hw_diff_side *a, const struct hw_diff_side *b,
				 struct hw_diff *ret)
{
	struct hw_diff d = {0};
	bool *used_b = calloc(b->npools + 1, sizeof(*used_b));
	struct hw_error *err = NULL;

	d.pairs = calloc(a->npools + b->npools + 1, sizeof(*d.pairs));
	if (!used_b || !d.pairs) {
		free(used_b);
		free(d.pairs);
		return hw_error_nomem();
	}
	/* Same pid first, then same rank and description (a restarted instance). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < a->npools; i++) {
			bool paired = false;
			for (size_t k = 0; k < d.npairs && !paired; k++)
				paired = d.pairs[k].a == &a->pools[i];
			if (paired)
				continue;
			for (size_t j = 0; j < b->npools; j++) {
				if (used_b[j] ||
				    !same_process(&a->pools[i], &b->pools[j], pass == 0))
					continue;
				used_b[j] = true;
				d.pairs[d.npairs].a = &a->pools[i];
				d.pairs[d.npairs++].b = &b->pools[j];
				break;
			}
		}
	/* shm is one pool per instance: the only one of each side, whichever process read it */
	{
		size_t ia = only_shm(a), jb = only_shm(b);
		bool paired = false;
		for (size_t k = 0; ia < a->npools && k < d.npairs && !paired; k++)
			paired = d.pairs[k].a == &a->pools[ia];
		if (ia < a->npools && jb < b->npools && !paired && !used_b[jb]) {
			used_b[jb] = true;
			d.pairs[d.npairs].a = &a->pools[ia];
			d.pairs[d.npairs++].b = &b->pools[jb];
		}
	}
	for (size_t i = 0; i < a->npools; i++) {
		bool paired = false;
		for (size_t k = 0; k < d.npairs && !paired; k++)
			paired = d.pairs[k].a == &a->pools[i];
		if (!paired)
			d.pairs[d.npairs++].a = &a->pools[i];
	}
	for (size_t j = 0; j < b->npools; j++)
		if (!used_b[j])
			d.pairs[d.npairs++].b = &b->pools[j];
	free(used_b);
	for (size_t k = 0; k < d.npairs && !err; k++)
		err = compare(&d.pairs[k]);
	if (err) {
		hw_diff_deinit(&d);
		return err;
	}
	*ret = d;
	return NULL;
}

void hw_diff_deinit(struct hw_diff *d)
{
	for (size_t k = 0; k < d->npairs; k++)
		free(d->pairs[k].rows);
	free(d->pairs);
	memset(d, 0, sizeof(*d));
}

/* ---- reading a saved summary ---- */

/*
 * Text from the file: heapwalk wrote it sanitised (printable ASCII), which
 * is kept as it is so that it compares equal with a walk; anything else is
 * sanitised now.
 */
static const char *clean(const char *in, char *out, size_t cap)
{
	size_t len = strlen(in);
	bool printable = len < cap;

	for (size_t i = 0; printable && i < len; i++)
		printable = in[i] >= 0x20 && in[i] <= 0x7e;
	if (printable)
		return in;
	hw_sanitise(out, cap, in, len);
	return out;
}

static uint64_t uint_of(const struct hw_jnode *obj, const char *key)
{
	int64_t v = hw_jsonin_get_int(obj, key, 0);

	return v > 0 ? (uint64_t)v : 0;
}

static struct hw_error *add_json_pool(struct hw_diff_side *s, const struct hw_jnode *pj, int pid,
				      int rank, const char *desc, const char *what)
{
	char b1[1024], b2[1024], b3[256], b4[512];
	const struct hw_jnode *sites = hw_jsonin_get(pj, "sites"), *frags;
	const char *name = hw_jsonin_get_str(pj, "pool", NULL);
	struct hw_diff_pool *p;
	struct hw_error *err;
	const struct hw_jnode *w = hw_jsonin_get(pj, "walked");

	if (!name || (strcmp(name, "pkg") && strcmp(name, "shm")))
		return hw_error_create(HW_ERR_BAD_DATA, "%s: a pool without a valid \"pool\" name",
				       what);
	if (w && w->type == HW_J_BOOL && !w->b)
		return NULL; /* a pool that was not walked has nothing to compare */
	if ((err = hw_diff_side_add_pool(s, name, pid, rank, clean(desc, b4, sizeof(b4)), &p)))
		return err;
	p->has_header = hw_jsonin_get(pj, "heap_size") != NULL;
	p->size = uint_of(pj, "heap_size");
	p->used = uint_of(pj, "used");
	p->real_used = uint_of(pj, "real_used");
	p->max_real_used = uint_of(pj, "max_real_used");
	frags = hw_jsonin_get(pj, "frags");
	p->frags = uint_of(frags, "total");
	p->free_frags = uint_of(frags, "free");
	{
		const struct hw_jnode *avail = hw_jsonin_get(pj, "sites_available");
		p->sites_known = !avail || avail->type != HW_J_BOOL || avail->b;
	}
	if (!sites)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "%s: pool %s has no \"sites\": save `heapwalk summary "
				       "--format json` output, not another command's",
				       what, name);
	if (sites->type != HW_J_ARRAY)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: \"sites\" is not an array", what);
	if ((uint64_t)hw_jsonin_get_int(pj, "sites_total", (int64_t)sites->nkids) > sites->nkids)
		p->sites_complete = false;
	for (size_t i = 0; i < sites->nkids; i++) {
		const struct hw_jnode *sj = &sites->kids[i];
		if (sj->type != HW_J_OBJECT)
			return hw_error_create(HW_ERR_BAD_DATA, "%s: a site is not an object",
					       what);
		if ((err = hw_diff_pool_add_site(
			 p, clean(hw_jsonin_get_str(sj, "file", ""), b1, sizeof(b1)),
			 clean(hw_jsonin_get_str(sj, "func", ""), b2, sizeof(b2)),
			 uint_of(sj, "line"),
			 clean(hw_jsonin_get_str(sj, "module", ""), b3, sizeof(b3)),
			 uint_of(sj, "count"), uint_of(sj, "bytes"))))
			return err;
	}
	return NULL;
}

static struct hw_error *add_json_pools(struct hw_diff_side *s, const struct hw_jnode *pools,
				       int pid, int rank, const char *desc, const char *what)
{
	struct hw_error *err;

	if (!pools || pools->type != HW_J_ARRAY)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: no \"pools\" array", what);
	for (size_t i = 0; i < pools->nkids; i++) {
		const struct hw_jnode *pj = &pools->kids[i];
		int ppid = (int)hw_jsonin_get_int(pj, "pid", pid);
		if (pj->type != HW_J_OBJECT)
			return hw_error_create(HW_ERR_BAD_DATA, "%s: a pool is not an object",
					       what);
		if ((err = add_json_pool(s, pj, ppid, rank, desc, what)))
			return err;
	}
	return NULL;
}

struct hw_error *hw_diff_side_from_json(struct hw_diff_side *s, const char *text, size_t len,
					const char *what)
{
	struct hw_jnode *root;
	struct hw_error *err = hw_jsonin_parse(text, len, &root);
	const struct hw_jnode *procs;
	const char *cmd;

	if (err)
		return hw_error_context(err, "%s", what);
	if (root->type != HW_J_OBJECT || !hw_jsonin_get(root, "format_version")) {
		hw_jsonin_free(root);
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not heapwalk JSON output", what);
	}
	cmd = hw_jsonin_get_str(root, "command", "");
	if (strcmp(cmd, "summary")) {
		char c[32];
		hw_sanitise(c, sizeof(c), cmd, strlen(cmd));
		hw_jsonin_free(root);
		return hw_error_create(HW_ERR_BAD_DATA,
				       "%s: output of '%s', but diff needs `heapwalk summary "
				       "--format json`",
				       what, c);
	}
	s->time_ns = (uint64_t)hw_jsonin_get_int(hw_jsonin_get(root, "instance"), "time_ns", 0);
	procs = hw_jsonin_get(root, "processes");
	if (procs && procs->type == HW_J_ARRAY) {
		/* summary --all */
		for (size_t i = 0; i < procs->nkids && !err; i++) {
			const struct hw_jnode *pj = &procs->kids[i];
			err = add_json_pools(s, hw_jsonin_get(pj, "pools"),
					     (int)hw_jsonin_get_int(pj, "pid", 0),
					     (int)hw_jsonin_get_int(pj, "rank", -1),
					     hw_jsonin_get_str(pj, "desc", ""), what);
		}
	} else {
		const struct hw_jnode *t = hw_jsonin_get(root, "target");
		err = add_json_pools(s, hw_jsonin_get(root, "pools"),
				     (int)hw_jsonin_get_int(t, "pid", 0), -1,
				     hw_jsonin_get_str(t, "process_desc", ""), what);
	}
	hw_jsonin_free(root);
	return err;
}

/*
 * @path opened for reading only if it is a regular file: a FIFO or a device
 * would block or never end. NULL with errno set otherwise (EINVAL: not a
 * regular file).
 */
static FILE *open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	f = fdopen(fd, "rb");
	if (!f)
		close(fd);
	return f;
}

bool hw_diff_file_is_json(const char *path)
{
	FILE *f = open_regular(path);
	int c = EOF;

	if (!f)
		return false;
	for (int i = 0; i < 4096; i++) {
		c = fgetc(f);
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
	}
	fclose(f);
	return c == '{';
}

struct hw_error *hw_diff_side_from_json_file(struct hw_diff_side *side, const char *path)
{
	FILE *f = open_regular(path);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct hw_error *err;
	bool failed;

	if (!f)
		return hw_error_create(HW_ERR_OS, "cannot open %s: %s", path,
				       errno == EINVAL ? "not a regular file" : strerror(errno));
	for (;;) {
		size_t n;
		if (len == cap) {
			char *nb;
			if (cap >= HW_JSONIN_MAX_BYTES) {
				fclose(f);
				free(buf);
				return hw_error_create(HW_ERR_BAD_DATA,
						       "%s: too large for a summary", path);
			}
			cap = cap ? cap * 2 : 1 << 16;
			nb = realloc(buf, cap);
			if (!nb) {
				fclose(f);
				free(buf);
				return hw_error_create(HW_ERR_NOMEM, "out of memory");
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	/* a read error is not the end of the file: never go on with what came before it */
	failed = ferror(f);
	fclose(f);
	if (failed) {
		free(buf);
		return hw_error_create(HW_ERR_OS, "cannot read %s", path);
	}
	err = hw_diff_side_from_json(side, buf, len, path);
	free(buf);
	return err;
}
