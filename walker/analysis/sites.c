/* sites.c - allocation-site aggregation and the target string cache. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"
#include "heapwalk/sites.h"
#include "heapwalk/target.h"

/* Longest string kept from the target (file names, function names). */
#define STR_CAP 512

/* Cheap enough to run per fragment: one multiply, high bits folded into the low ones. */
static inline uint64_t mix(uint64_t x)
{
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29) ^ (x >> 43);
}

struct hw_strcache_slot {
	uint64_t addr;
	char *text; /* NULL: empty slot */
};

struct hw_strcache_obj {
	const char *path; /* the mapping's path, the key */
	char *name;
};

/* Distinct mapped files named (a process maps a few hundred at most). */
#define OBJS_MAX 1024

void hw_strcache_init(struct hw_strcache *sc, const struct hw_target *t)
{
	memset(sc, 0, sizeof(*sc));
	sc->t = t;
}

void hw_strcache_deinit(struct hw_strcache *sc)
{
	for (size_t i = 0; i < sc->cap; i++)
		free(sc->slots[i].text);
	free(sc->slots);
	for (size_t i = 0; i < sc->nobjs; i++)
		free(sc->objs[i].name);
	free(sc->objs);
	memset(sc, 0, sizeof(*sc));
}

static bool strcache_grow(struct hw_strcache *sc)
{
	size_t cap = sc->cap ? sc->cap * 2 : 256;
	struct hw_strcache_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < sc->cap; i++) {
		struct hw_strcache_slot *o = &sc->slots[i];
		size_t j;
		if (!o->text)
			continue;
		for (j = mix(o->addr) & (cap - 1); slots[j].text; j = (j + 1) & (cap - 1))
			;
		slots[j] = *o;
	}
	free(sc->slots);
	sc->slots = slots;
	sc->cap = cap;
	return true;
}

const char *hw_strcache_get(struct hw_strcache *sc, uint64_t addr)
{
	char buf[STR_CAP];
	size_t j;
	struct hw_error *err;

	if (addr == 0)
		return "(null)";
	if ((sc->n + 1) * 2 > sc->cap && !strcache_grow(sc))
		return "<out of memory>";
	for (j = mix(addr) & (sc->cap - 1); sc->slots[j].text; j = (j + 1) & (sc->cap - 1))
		if (sc->slots[j].addr == addr)
			return sc->slots[j].text;
	err = hw_target_read_string(sc->t, addr, buf, sizeof(buf));
	if (err) {
		snprintf(buf, sizeof(buf), "<unreadable 0x%" PRIx64 ">", addr);
		hw_error_destroy(err);
	}
	sc->slots[j].text = strdup(buf);
	if (!sc->slots[j].text)
		return "<out of memory>";
	sc->slots[j].addr = addr;
	sc->n++;
	return sc->slots[j].text;
}

const char *hw_strcache_object(struct hw_strcache *sc, uint64_t addr)
{
	const struct hw_mapping *m = hw_target_mapping_at(sc->t, addr);
	const char *base, *exe = sc->t->exe_path_in_core;
	char name[64];
	size_t len;

	if (!m || !m->path || !m->path[0])
		return "";
	for (size_t i = 0; i < sc->nobjs; i++)
		if (sc->objs[i].path == m->path)
			return sc->objs[i].name;
	if (!sc->objs) {
		sc->objs = calloc(OBJS_MAX, sizeof(*sc->objs));
		if (!sc->objs)
			return "";
	}
	if (sc->nobjs >= OBJS_MAX)
		return "";
	base = strrchr(m->path, '/');
	base = base ? base + 1 : m->path;
	len = strlen(base);
	if (len > 3 && !strcmp(base + len - 3, ".so"))
		len -= 3;
	if (exe && !strcmp(exe, m->path))
		snprintf(name, sizeof(name), "core");
	else
		snprintf(name, sizeof(name), "%.*s",
			 (int)(len < sizeof(name) ? len : sizeof(name) - 1), base);
	sc->objs[sc->nobjs].name = strdup(name);
	if (!sc->objs[sc->nobjs].name)
		return "";
	sc->objs[sc->nobjs].path = m->path;
	return sc->objs[sc->nobjs++].name;
}

void hw_sites_init(struct hw_sites *s)
{
	memset(s, 0, sizeof(*s));
}

void hw_sites_deinit(struct hw_sites *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i].hist);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

/*
 * Per fragment, so cheap: three independent multiplies, then the high bits
 * folded into the low ones the table index uses.
 */
static inline uint64_t site_hash(uint64_t file, uint64_t func, uint64_t line)
{
	uint64_t h = file * 0x9e3779b97f4a7c15ULL ^ func * 0xc2b2ae3d27d4eb4fULL ^
		     line * 0x165667b19e3779f9ULL;

	return h ^ (h >> 29) ^ (h >> 43);
}

/* Slots are empty when count == 0. */
static bool sites_grow(struct hw_sites *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	struct hw_site *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < s->cap; i++) {
		struct hw_site *o = &s->slots[i];
		size_t j;
		if (!o->count)
			continue;
		for (j = site_hash(o->file, o->func, o->line) & (cap - 1); slots[j].count;
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = *o;
	}
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return true;
}

/* The slot of (file, func, line), claimed (count still 0) if new; NULL when out of memory. */
static inline struct hw_site *site_slot(struct hw_sites *s, uint64_t file, uint64_t func,
					uint64_t line)
{
	struct hw_site *e;

	if ((s->n + 1) * 4 > s->cap * 3 && !sites_grow(s))
		return NULL;
	for (size_t j = site_hash(file, func, line) & (s->cap - 1);; j = (j + 1) & (s->cap - 1)) {
		e = &s->slots[j];
		if (!e->count || (e->file == file && e->func == func && e->line == line))
			return e;
	}
}

struct hw_error *hw_sites_add(struct hw_sites *s, const struct hw_frag *f)
{
	struct hw_site *e = site_slot(s, f->file, f->func, f->line);

	if (!e)
		return hw_error_nomem();
	/* the histogram first: a claimed slot is counted at once */
	if (s->sizes) {
		unsigned k = hw_size_bucket(f->size);
		if (!e->hist && !(e->hist = calloc(1, sizeof(*e->hist))))
			return hw_error_nomem();
		e->hist->count[k]++;
		e->hist->bytes[k] += f->size;
	}
	if (!e->count) {
		e->file = f->file;
		e->func = f->func;
		e->line = f->line;
		e->mname = f->mname;
		e->first_seen = f->addr;
		s->n++;
	} else if (f->addr < e->first_seen) {
		/* seen out of order (a split walk): the lowest fragment speaks for the site */
		e->first_seen = f->addr;
		e->mname = f->mname;
	}
	e->count++;
	e->bytes += f->size;
	s->frags++;
	s->bytes += f->size;
	return NULL;
}

struct hw_error *hw_sites_merge(struct hw_sites *dst, const struct hw_sites *src)
{
	for (size_t i = 0; i < src->cap; i++) {
		const struct hw_site *o = &src->slots[i];
		struct hw_site *e;

		if (!o->count)
			continue;
		e = site_slot(dst, o->file, o->func, o->line);
		if (!e)
			return hw_error_nomem();
		/* the histogram first: a claimed slot is counted at once */
		if (o->hist) {
			if (!e->hist && !(e->hist = calloc(1, sizeof(*e->hist))))
				return hw_error_nomem();
			for (unsigned k = 0; k < HW_SIZE_BUCKETS; k++) {
				e->hist->count[k] += o->hist->count[k];
				e->hist->bytes[k] += o->hist->bytes[k];
			}
		}
		if (!e->count) {
			struct hw_size_hist *h = e->hist;
			*e = *o;
			e->count = 0;
			e->bytes = 0;
			e->hist = h;
			dst->n++;
		} else if (o->first_seen < e->first_seen) {
			e->first_seen = o->first_seen;
			e->mname = o->mname;
		}
		e->count += o->count;
		e->bytes += o->bytes;
	}
	dst->frags += src->frags;
	dst->bytes += src->bytes;
	return NULL;
}

const char *hw_strcache_module(struct hw_strcache *sc, uint64_t mname, uint64_t file)
{
	return mname		      ? hw_strcache_get(sc, mname)
	       : sc->module_by_object ? hw_strcache_object(sc, file)
				      : "";
}

void hw_sites_resolve(struct hw_sites *s, struct hw_strcache *sc)
{
	for (size_t i = 0; i < s->cap; i++) {
		struct hw_site *e = &s->slots[i];
		if (!e->count)
			continue;
		e->file_s = hw_strcache_get(sc, e->file);
		e->func_s = hw_strcache_get(sc, e->func);
		e->mname_s = hw_strcache_module(sc, e->mname, e->file);
	}
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int by_kamailio(const void *a, const void *b)
{
	const struct hw_site *x = *(const struct hw_site *const *)a;
	const struct hw_site *y = *(const struct hw_site *const *)b;

	return cmp_u64_desc(x->first_seen, y->first_seen);
}

static int by_bytes(const void *a, const void *b)
{
	const struct hw_site *x = *(const struct hw_site *const *)a;
	const struct hw_site *y = *(const struct hw_site *const *)b;
	int c = cmp_u64_desc(x->bytes, y->bytes);

	if (!c)
		c = cmp_u64_desc(x->count, y->count);
	return c ? c : -cmp_u64_desc(x->first_seen, y->first_seen);
}

static int by_count(const void *a, const void *b)
{
	const struct hw_site *x = *(const struct hw_site *const *)a;
	const struct hw_site *y = *(const struct hw_site *const *)b;
	int c = cmp_u64_desc(x->count, y->count);

	if (!c)
		c = cmp_u64_desc(x->bytes, y->bytes);
	return c ? c : -cmp_u64_desc(x->first_seen, y->first_seen);
}

static int by_site(const void *a, const void *b)
{
	const struct hw_site *x = *(const struct hw_site *const *)a;
	const struct hw_site *y = *(const struct hw_site *const *)b;
	int c = strcmp(x->file_s ? x->file_s : "", y->file_s ? y->file_s : "");

	if (!c)
		c = strcmp(x->func_s ? x->func_s : "", y->func_s ? y->func_s : "");
	if (!c)
		c = -cmp_u64_desc(x->line, y->line);
	return c ? c : -cmp_u64_desc(x->first_seen, y->first_seen);
}

struct hw_error *hw_sites_sorted(const struct hw_sites *s, enum hw_site_order order,
				 const struct hw_site ***ret, size_t *n_ret)
{
	const struct hw_site **v = calloc(s->n ? s->n : 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return hw_error_nomem();
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].count)
			v[n++] = &s->slots[i];
	switch (order) {
	case HW_ORDER_KAMAILIO:
		qsort(v, n, sizeof(*v), by_kamailio);
		break;
	case HW_ORDER_BYTES:
		qsort(v, n, sizeof(*v), by_bytes);
		break;
	case HW_ORDER_COUNT:
		qsort(v, n, sizeof(*v), by_count);
		break;
	case HW_ORDER_SITE:
		qsort(v, n, sizeof(*v), by_site);
		break;
	}
	*ret = v;
	*n_ret = n;
	return NULL;
}

void hw_sites_top(const struct hw_sites *s, struct hw_sites_top *ret)
{
	struct {
		const char *name;
		uint64_t bytes, frags;
	} mods[HW_SITES_TOP_MODULES];
	size_t nmods = 0;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < s->cap; i++) {
		const struct hw_site *site = &s->slots[i];
		size_t k;
		if (!site->count)
			continue;
		if (!ret->site || site->bytes > ret->site->bytes)
			ret->site = site;
		if (!site->mname_s || !site->mname_s[0])
			continue;
		for (k = 0; k < nmods && strcmp(mods[k].name, site->mname_s); k++)
			;
		if (k == nmods) {
			if (nmods == HW_SITES_TOP_MODULES)
				continue;
			mods[nmods].name = site->mname_s;
			mods[nmods].bytes = mods[nmods].frags = 0;
			nmods++;
		}
		mods[k].bytes += site->bytes;
		mods[k].frags += site->count;
	}
	for (size_t k = 0; k < nmods; k++)
		if (!ret->module || mods[k].bytes > ret->module_bytes) {
			ret->module = mods[k].name;
			ret->module_bytes = mods[k].bytes;
			ret->module_frags = mods[k].frags;
		}
}
