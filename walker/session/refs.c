/*
 * refs.c - who points into a fragment (refs), and which used fragments
 * nothing points to (leaks): conservative pointer scans (analysis/refs.c)
 * over a session's walked pools, into the models of model.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "heapwalk/array.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/mem.h"
#include "heapwalk/refs.h"
#include "heapwalk/session.h"
#include "heapwalk/target.h"

struct refs_ctx {
	struct hw_refs_result *res;
	const struct hw_target *t;
	uint64_t skip_at; /* a word not to count (0: none) */
	bool nomem;
};

/* What holds @at outside the pools (owned), NULL when out of memory. */
static char *where_other(const struct hw_target *t, uint64_t at)
{
	const struct hw_mapping *m = hw_target_mapping_at(t, at);
	char buf[600];

	if (m)
		snprintf(buf, sizeof(buf), "%s +0x%" PRIx64, m->path,
			 at - m->start + m->file_offset);
	else
		snprintf(buf, sizeof(buf), "anonymous memory (a stack, or heap outside the pools)");
	return strdup(buf);
}

static int on_ref(void *arg, uint64_t at, uint64_t v, const struct hw_ref_src *src)
{
	struct refs_ctx *c = arg;
	struct hw_ref_found *r;

	if (c->skip_at && at == c->skip_at)
		return 0;
	c->res->total++;
	if (c->res->n >= HW_REFS_KEEP || c->nomem)
		return 0;
	if (!c->res->refs && !(c->res->refs = calloc(HW_REFS_KEEP, sizeof(*c->res->refs)))) {
		c->nomem = true;
		return 0;
	}
	r = &c->res->refs[c->res->n++];
	r->at = at;
	r->value = v;
	r->kind = src->kind;
	r->pool = src->pool;
	memset(&r->frag, 0, sizeof(r->frag));
	if (src->frag)
		hw_frag_brief_set(&r->frag, src->frag);
	if (src->kind == HW_REF_OTHER && !(r->where = where_other(c->t, at)))
		c->nomem = true;
	return 0;
}

/* The pools ready to scan, as hw_refs_scan takes them, and which report each is. */
static size_t scan_pools(struct hw_session *s, struct hw_refs_pool *rp, struct hw_pool_report **prs)
{
	size_t n = 0;

	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		if (!pr->walked)
			continue;
		rp[n].pool = pr->pool;
		rp[n].hdr = &pr->hdr;
		prs[n++] = pr;
	}
	return n;
}

struct hw_error *hw_session_locate(struct hw_session *s, uint64_t a, struct hw_location *loc,
				   bool findings, struct hw_pool_report **ret)
{
	*ret = NULL;
	memset(loc, 0, sizeof(*loc));
	loc->addr = a;
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err;
		if (!pr->walked || a < pr->hdr.block || a >= hw_pool_heap_end(pr->pool, &pr->hdr))
			continue;
		err = hw_locate(s->t, pr->pool, &pr->hdr, loc, 1, findings ? &pr->check : NULL);
		if (err)
			return hw_error_context(err, "%s pool", pr->pool->name);
		*ret = pr;
		if (loc->kind ==
		    HW_LOC_FRAG) /* the fragment's stored stack, if the build keeps one */
			hw_session_frag_stack(s, pr, &(struct hw_frag){.addr = loc->frag.addr});
		break;
	}
	return NULL;
}

void hw_session_elsewhere(const struct hw_session *s, uint64_t a, char *buf, size_t cap)
{
	const struct hw_mapping *m = hw_target_mapping_at(s->t, a);

	if (m)
		snprintf(buf, cap, "in %s (mapped file, offset 0x%" PRIx64 ")", m->path,
			 a - m->start + m->file_offset);
	else if (hw_mem_peek(s->t->mem, a, 1))
		snprintf(buf, cap, "in memory the core saved, outside the pools");
	else
		snprintf(buf, cap, "not in the core's memory");
}

struct hw_error *hw_session_refs(struct hw_session *s, uint64_t a, struct hw_refs_result *res)
{
	struct hw_refs_pool rp[HW_POOL_KIND_COUNT];
	struct refs_ctx c = {.res = res, .t = s->t};
	struct hw_refs_opts o = {0};
	struct hw_error *err = NULL;
	struct hw_location *loc = &res->loc;
	size_t n;

	memset(res, 0, sizeof(*res));
	loc->addr = a;
	n = scan_pools(s, rp, res->prs);
	res->nprs = n;
	err = hw_session_locate(s, a, loc, false, &res->in);
	/* the whole fragment (a pointer to its header is a free-list link); else the word */
	o.lo = a;
	o.hi = a + s->t->word_size;
	if (res->in && loc->kind == HW_LOC_FRAG) {
		o.lo = loc->frag.addr;
		o.hi = loc->frag.addr + loc->frag.span;
		/* TLSF: the next header's prev_phys word links back here; not a reference */
		if (res->in->pool->alloc->tail_back_link)
			c.skip_at = o.hi;
	}
	res->lo = o.lo;
	res->hi = o.hi;
	if (!err)
		err = hw_refs_scan(s->t, rp, n, &o, on_ref, &c);
	if (!err && c.nomem)
		err = hw_error_nomem();
	if (err)
		hw_refs_result_deinit(res);
	return err;
}

void hw_refs_result_deinit(struct hw_refs_result *res)
{
	for (size_t i = 0; i < res->n; i++)
		free(res->refs[i].where);
	free(res->refs);
	res->refs = NULL;
	res->n = 0;
}

/* ---- leaks ---- */

struct used_range {
	uint64_t lo, hi;
};

struct leaks_ctx {
	struct used_range *r;
	size_t n, cap;
	uint8_t *marked;
	bool nomem;
	/* TLSF: a payload's last word is also the next header's prev_phys (a pointer to the
	 * header after it), so it is left out of what a reference must point into */
	uint32_t tail;
	/* second pass */
	struct hw_pool_report *pr;
	uint64_t frags, bytes;
	struct hw_leak_example *ex;
	size_t nex, capex;
};

static int collect_used(void *arg, const struct hw_frag *f)
{
	struct leaks_ctx *c = arg;

	if (!f->used || !f->size)
		return 0;
	if (!hw_grow(&c->r, &c->cap, c->n + 1, sizeof(*c->r), 4096)) {
		c->nomem = true;
		return 1;
	}
	c->r[c->n].lo = f->user;
	c->r[c->n].hi = f->user + (f->size > c->tail ? f->size - c->tail : f->size);
	c->n++;
	return 0;
}

/* The used fragment whose payload holds @v, or -1. */
static ssize_t find_range(const struct leaks_ctx *c, uint64_t v)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->r[mid].hi <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->r[lo].lo <= v ? (ssize_t)lo : -1;
}

static int mark_ref(void *arg, uint64_t at, uint64_t v, const struct hw_ref_src *src)
{
	struct leaks_ctx *c = arg;
	ssize_t k = find_range(c, v);

	(void)at;
	/* a fragment that points into itself keeps itself no more alive */
	if (k >= 0 && !(src->frag && src->frag->user == c->r[k].lo))
		c->marked[k / 8] |= (uint8_t)(1u << (k % 8));
	return 0;
}

static int by_lo(const void *a, const void *b)
{
	const struct used_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int add_unmarked(void *arg, const struct hw_frag *f)
{
	struct leaks_ctx *c = arg;
	ssize_t k;
	struct hw_error *err;

	if (!f->used || !f->size)
		return 0;
	k = find_range(c, f->user);
	if (k < 0 || c->r[k].lo != f->user || (c->marked[k / 8] >> (k % 8)) & 1)
		return 0;
	c->frags++;
	c->bytes += f->size;
	err = hw_sites_add(&c->pr->sites, f);
	if (err) {
		hw_error_destroy(err);
		c->nomem = true;
		return 1;
	}
	/* one example address per site */
	for (size_t i = 0; i < c->nex; i++)
		if (c->ex[i].file == f->file && c->ex[i].func == f->func &&
		    c->ex[i].line == f->line)
			return 0;
	if (c->nex < 4096 && hw_grow(&c->ex, &c->capex, c->nex + 1, sizeof(*c->ex), 64)) {
		c->ex[c->nex].file = f->file;
		c->ex[c->nex].func = f->func;
		c->ex[c->nex].line = f->line;
		c->ex[c->nex].addr = f->user;
		c->nex++;
	}
	return 0;
}

struct hw_error *hw_session_leaks(struct hw_session *s, enum hw_site_order order, uint64_t top,
				  struct hw_leaks_result *res)
{
	struct hw_refs_pool rp[HW_POOL_KIND_COUNT];
	struct hw_pool_report *prs[HW_POOL_KIND_COUNT];
	struct hw_pool_leaks pl[HW_POOL_KIND_COUNT];
	struct leaks_ctx c = {0};
	struct hw_refs_opts o = {.used_payload_only = true};
	struct hw_walk_opts wo = {.resync = true};
	struct hw_error *err = NULL;
	size_t n;

	memset(res, 0, sizeof(*res));
	memset(pl, 0, sizeof(pl));
	n = scan_pools(s, rp, prs);
	/* every used fragment's payload, sorted: memory in proportion to the used fragments */
	for (size_t i = 0; i < n && !err; i++) {
		struct hw_check ck;
		struct hw_walk_stats st;
		size_t before = c.n;
		c.tail = rp[i].pool->alloc->tail_back_link ? s->t->word_size : 0;
		hw_check_init(&ck, 0);
		err = hw_alloc_walk(s->t, rp[i].pool, rp[i].hdr, &wo, collect_used, &c, &ck, &st);
		hw_check_deinit(&ck);
		pl[i].used = c.n - before;
	}
	if (!err && c.nomem)
		err = hw_error_nomem();
	if (!err && c.n) {
		qsort(c.r, c.n, sizeof(*c.r), by_lo);
		c.marked = calloc(c.n / 8 + 1, 1);
		if (!c.marked)
			err = hw_error_nomem();
		o.lo = c.r[0].lo;
		o.hi = c.r[c.n - 1].hi;
		for (size_t i = 0; i < c.n; i++)
			if (c.r[i].hi > o.hi)
				o.hi = c.r[i].hi;
		if (!err)
			err = hw_refs_scan(s->t, rp, n, &o, mark_ref, &c);
	}
	/* group what nothing points to by site */
	for (size_t i = 0; i < n && !err && c.n; i++) {
		struct hw_check ck;
		struct hw_walk_stats st;
		c.pr = prs[i];
		c.frags = c.bytes = 0;
		c.ex = NULL;
		c.nex = c.capex = 0;
		hw_check_init(&ck, 0);
		err = hw_alloc_walk(s->t, rp[i].pool, rp[i].hdr, &wo, add_unmarked, &c, &ck, &st);
		hw_check_deinit(&ck);
		pl[i].frags = c.frags;
		pl[i].bytes = c.bytes;
		pl[i].ex = c.ex;
		pl[i].nex = c.nex;
		if (!err && c.nomem)
			err = hw_error_nomem();
		hw_sites_resolve(&prs[i]->sites, &s->report.strings);
	}
	if (!err && c.n)
		err = hw_session_rows(s, order, top);
	free(c.r);
	free(c.marked);
	if (err) {
		for (size_t i = 0; i < n; i++)
			free(pl[i].ex);
		return err;
	}
	/* the pl entries follow the walked pools; give them the report's order */
	for (size_t i = 0, k = 0; i < s->report.npools; i++)
		if (k < n && prs[k] == &s->report.pools[i])
			res->pools[i] = pl[k++];
	return NULL;
}

void hw_leaks_result_deinit(struct hw_leaks_result *res)
{
	for (size_t i = 0; i < HW_POOL_KIND_COUNT; i++)
		free(res->pools[i].ex);
	memset(res, 0, sizeof(*res));
}
