/* groups.c - summary --by: allocation sites grouped by module, file or function. */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/error.h"
#include "heapwalk/sites.h"

static const char *const by_names[] = {"site", "module", "file", "function", "size", "stack"};

const char *hw_group_by_name(enum hw_group_by by)
{
	return (unsigned)by < sizeof(by_names) / sizeof(by_names[0]) ? by_names[by] : "?";
}

bool hw_group_by_parse(const char *name, enum hw_group_by *ret)
{
	for (size_t k = 0; k < sizeof(by_names) / sizeof(by_names[0]); k++)
		if (!strcmp(name, by_names[k])) {
			*ret = (enum hw_group_by)k;
			return true;
		}
	return false;
}

static const char *str_or_empty(const char *s)
{
	return s ? s : "";
}

/* The group key of a site: its name under @by, and the module it is shown with. */
static const char *key_of(const struct hw_site *s, enum hw_group_by by)
{
	switch (by) {
	case HW_BY_FILE:
		return str_or_empty(s->file_s);
	case HW_BY_FUNCTION:
		return str_or_empty(s->func_s);
	default:
		return str_or_empty(s->mname_s);
	}
}

static int cmp_sites(const struct hw_site *x, const struct hw_site *y, enum hw_group_by by)
{
	int c = strcmp(key_of(x, by), key_of(y, by));

	if (!c && by != HW_BY_MODULE)
		c = strcmp(str_or_empty(x->mname_s), str_or_empty(y->mname_s));
	return c;
}

#define SITE_CMP(name, by)                                                                         \
	static int name(const void *a, const void *b)                                              \
	{                                                                                          \
		return cmp_sites(*(const struct hw_site *const *)a,                                \
				 *(const struct hw_site *const *)b, by);                           \
	}
SITE_CMP(sites_by_module, HW_BY_MODULE)
SITE_CMP(sites_by_file, HW_BY_FILE)
SITE_CMP(sites_by_function, HW_BY_FUNCTION)

static int cmp_u64_desc(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_key(const struct hw_group *x, const struct hw_group *y)
{
	int c = strcmp(x->key, y->key);

	return c ? c : strcmp(x->module ? x->module : "", y->module ? y->module : "");
}

static int by_bytes(const void *a, const void *b)
{
	const struct hw_group *x = a, *y = b;
	int c = cmp_u64_desc(x->bytes, y->bytes);

	if (!c)
		c = cmp_u64_desc(x->count, y->count);
	return c ? c : cmp_key(x, y);
}

static int by_count(const void *a, const void *b)
{
	const struct hw_group *x = a, *y = b;
	int c = cmp_u64_desc(x->count, y->count);

	if (!c)
		c = cmp_u64_desc(x->bytes, y->bytes);
	return c ? c : cmp_key(x, y);
}

static int by_key(const void *a, const void *b)
{
	return cmp_key(a, b);
}

static int by_kamailio(const void *a, const void *b)
{
	const struct hw_group *x = a, *y = b;
	int c = cmp_u64_desc(x->last_new, y->last_new);

	return c ? c : cmp_key(x, y);
}

void hw_groups_deinit(struct hw_groups *g)
{
	free(g->v);
	memset(g, 0, sizeof(*g));
}

struct hw_error *hw_groups_make(struct hw_groups *g, const struct hw_sites *s, enum hw_group_by by,
				enum hw_site_order order, uint64_t top)
{
	const struct hw_site **v;
	size_t n = 0;

	hw_groups_deinit(g);
	g->by = by;
	if (by == HW_BY_SITE || by == HW_BY_SIZE || by == HW_BY_STACK)
		return NULL;
	v = calloc(s->n ? s->n : 1, sizeof(*v));
	g->v = calloc(s->n ? s->n : 1, sizeof(*g->v));
	if (!v || !g->v) {
		free(v);
		hw_groups_deinit(g);
		return hw_error_nomem();
	}
	for (size_t i = 0; i < s->cap && n < s->n; i++)
		if (s->slots[i].count)
			v[n++] = &s->slots[i];
	/* sites with the same key next to each other, then one group per run */
	qsort(v, n, sizeof(*v),
	      by == HW_BY_FILE	     ? sites_by_file
	      : by == HW_BY_FUNCTION ? sites_by_function
				     : sites_by_module);
	for (size_t i = 0; i < n; i++) {
		struct hw_group *cur = g->n ? &g->v[g->n - 1] : NULL;
		if (!cur || cmp_sites(v[i], v[i - 1], by)) {
			cur = &g->v[g->n++];
			cur->key = key_of(v[i], by);
			cur->module = by == HW_BY_MODULE ? NULL : str_or_empty(v[i]->mname_s);
			cur->last_new = v[i]->first_seen;
		}
		cur->count += v[i]->count;
		cur->bytes += v[i]->bytes;
		cur->nsites++;
		if (v[i]->first_seen > cur->last_new)
			cur->last_new = v[i]->first_seen;
	}
	free(v);
	hw_groups_order(g, order, top);
	return NULL;
}

void hw_groups_order(struct hw_groups *g, enum hw_site_order order, uint64_t top)
{
	switch (order) {
	case HW_ORDER_KAMAILIO:
		qsort(g->v, g->n, sizeof(*g->v), by_kamailio);
		break;
	case HW_ORDER_BYTES:
		qsort(g->v, g->n, sizeof(*g->v), by_bytes);
		break;
	case HW_ORDER_COUNT:
		qsort(g->v, g->n, sizeof(*g->v), by_count);
		break;
	case HW_ORDER_SITE:
		qsort(g->v, g->n, sizeof(*g->v), by_key);
		break;
	}
	g->nrows = top && top < g->n ? (size_t)top : g->n;
}
