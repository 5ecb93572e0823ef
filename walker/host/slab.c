/* slab.c - /proc/slabinfo (version 2.x): parsing, totals and showslab's sort orders. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/error.h"
#include "heapwalk/host.h"
#include "heapwalk/sbuf.h"
#include "hostint.h"

/* More caches than any kernel has; beyond this the file is not a slabinfo. */
#define MAX_CACHES 100000

static uint64_t mul_sat(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void hw_slabinfo_deinit(struct hw_slabinfo *si)
{
	if (!si)
		return;
	free(si->caches);
	memset(si, 0, sizeof(*si));
}

static void totals(struct hw_slabinfo *si)
{
	struct hw_slab_totals *t = &si->totals;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < si->ncaches; i++) {
		const struct hw_slab_cache *c = &si->caches[i];

		t->ncaches++;
		if (c->active_objs)
			t->active_caches++;
		t->active_objs = add_sat(t->active_objs, c->active_objs);
		t->num_objs = add_sat(t->num_objs, c->num_objs);
		t->active_slabs = add_sat(t->active_slabs, c->active_slabs);
		t->num_slabs = add_sat(t->num_slabs, c->num_slabs);
		t->active_size = add_sat(t->active_size, mul_sat(c->active_objs, c->objsize));
		t->total_size = add_sat(t->total_size, mul_sat(c->num_objs, c->objsize));
		t->cache_size = add_sat(t->cache_size, c->cache_size);
		if (c->num_objs) {
			if (!t->min_objsize || c->objsize < t->min_objsize)
				t->min_objsize = c->objsize;
			if (c->objsize > t->max_objsize)
				t->max_objsize = c->objsize;
		}
	}
	t->avg_objsize = t->num_objs ? t->total_size / t->num_objs : 0;
}

struct hw_error *hw_slabinfo_parse(const char *text, size_t len, uint64_t page_size,
				   struct hw_slabinfo *ret)
{
	struct hw_slabinfo si;
	struct hw_host_lines it;
	char line[HW_HOST_LINE_MAX];
	size_t cap = 0, bad = 0, lineno = 0;

	memset(&si, 0, sizeof(si));
	si.page_size = page_size;
	hw_host_lines_init(&it, text, len);
	if (!hw_host_line_next(&it, line, sizeof(line)) ||
	    sscanf(line, "slabinfo - version: %15s", si.version) != 1)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "not a slabinfo file (no 'slabinfo - version:' line)");
	if (strncmp(si.version, "2.", 2) != 0)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "slabinfo version %s: heapwalk reads version 2.x",
				       si.version);
	while (hw_host_line_next(&it, line, sizeof(line))) {
		struct hw_slab_cache c;
		char name[256];

		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		memset(&c, 0, sizeof(c));
		if (sscanf(line,
			   "%255s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
			   " : tunables %*u %*u %*u : slabdata %" SCNu64 " %" SCNu64,
			   name, &c.active_objs, &c.num_objs, &c.objsize, &c.objperslab,
			   &c.pagesperslab, &c.active_slabs, &c.num_slabs) != 8) {
			bad++;
			continue;
		}
		if (si.ncaches >= MAX_CACHES) {
			hw_slabinfo_deinit(&si);
			return hw_error_create(HW_ERR_BAD_DATA,
					       "slabinfo lists more than %d caches", MAX_CACHES);
		}
		hw_sanitise(c.name, sizeof(c.name), name, strlen(name));
		c.cache_size = mul_sat(mul_sat(c.num_slabs, c.pagesperslab), page_size);
		if (si.ncaches == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct hw_slab_cache *v = realloc(si.caches, ncap * sizeof(*v));
			if (!v) {
				hw_slabinfo_deinit(&si);
				return hw_error_nomem();
			}
			si.caches = v;
			cap = ncap;
		}
		si.caches[si.ncaches++] = c;
	}
	if (bad && !si.ncaches) {
		hw_slabinfo_deinit(&si);
		return hw_error_create(HW_ERR_BAD_DATA,
				       "slabinfo: none of its %zu lines is a cache line", lineno);
	}
	totals(&si);
	*ret = si;
	return NULL;
}

bool hw_slab_sort_key_ok(char key)
{
	return key && strchr("aclnopsu", key) != NULL;
}

/* Utilisation in parts per million, comparable without floating point. */
static uint64_t use_ppm(const struct hw_slab_cache *c)
{
	return c->num_objs ? mul_sat(c->active_objs, 1000000) / c->num_objs : 0;
}

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b ? 1 : 0;
}

static int cmp_cache(const void *pa, const void *pb, void *arg)
{
	const struct hw_slab_cache *a = pa, *b = pb;
	int r = 0;

	switch (*(const char *)arg) {
	case 'a':
		r = cmp_u64_desc(a->active_objs, b->active_objs);
		break;
	case 'c':
		r = cmp_u64_desc(a->cache_size, b->cache_size);
		break;
	case 'l':
		r = cmp_u64_desc(a->num_slabs, b->num_slabs);
		break;
	case 'o':
		r = cmp_u64_desc(a->num_objs, b->num_objs);
		break;
	case 'p':
		r = cmp_u64_desc(a->objperslab, b->objperslab);
		break;
	case 's':
		r = cmp_u64_desc(a->objsize, b->objsize);
		break;
	case 'u':
		r = cmp_u64_desc(use_ppm(a), use_ppm(b));
		break;
	default:
		break;
	}
	return r ? r : strcmp(a->name, b->name);
}

void hw_slab_sort(struct hw_slabinfo *si, char key)
{
	if (!si->ncaches || !hw_slab_sort_key_ok(key))
		return;
	qsort_r(si->caches, si->ncaches, sizeof(si->caches[0]), cmp_cache, &key);
}
