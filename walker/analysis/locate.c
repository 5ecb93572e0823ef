/* locate.c - which fragment (or damaged range) holds each of a set of addresses. */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/pool.h"

void hw_frag_brief_set(struct hw_frag_brief *b, const struct hw_frag *f)
{
	b->valid = true;
	b->used = f->used;
	b->index = f->index;
	b->gaps = f->gaps;
	b->addr = f->addr;
	b->user = f->user;
	b->size = f->size;
	b->span = f->span;
	b->file = f->file;
	b->func = f->func;
	b->line = f->line;
	b->mname = f->mname;
}

uint64_t hw_pool_heap_end(const struct hw_pool *p, const struct hw_heap_header *h)
{
	if (!p->alloc || !p->layout || !p->alloc->heap_end)
		return h->block;
	return p->alloc->heap_end(p->layout, h);
}

struct walk {
	struct hw_location *locs;
	size_t *order;		   /* indices of locs by address */
	size_t n, k;		   /* next unresolved (in order) */
	size_t pend_from, pend_to; /* order[from, to) wait for their next fragment */
	struct hw_frag_brief prev;
	uint64_t first;
};

/* Everything below @lo that no event covered: in the block header, or nowhere. */
static void unaccounted(struct walk *w, uint64_t lo)
{
	while (w->k < w->n && w->locs[w->order[w->k]].addr < lo) {
		struct hw_location *l = &w->locs[w->order[w->k]];
		l->kind = l->addr < w->first ? HW_LOC_BLOCK : HW_LOC_NONE;
		l->prev = w->prev;
		w->k++;
	}
}

static void fill_next(struct walk *w, const struct hw_frag_brief *b)
{
	for (size_t i = w->pend_from; i < w->pend_to; i++)
		w->locs[w->order[i]].next = *b;
	w->pend_from = w->pend_to = w->k;
}

static int on_frag(void *arg, const struct hw_frag *f)
{
	struct walk *w = arg;
	struct hw_frag_brief b;

	hw_frag_brief_set(&b, f);
	unaccounted(w, f->addr);
	fill_next(w, &b);
	while (w->k < w->n && w->locs[w->order[w->k]].addr - f->addr < f->span) {
		struct hw_location *l = &w->locs[w->order[w->k]];
		l->kind = HW_LOC_FRAG;
		l->frag = b;
		l->prev = w->prev;
		l->part = l->addr < f->user		? HW_PART_HEADER
			  : l->addr - f->user < f->size ? HW_PART_PAYLOAD
							: HW_PART_TRAILER;
		l->offset = l->addr - f->user;
		w->k++;
	}
	w->pend_to = w->k;
	w->prev = b;
	/* nothing left to find: stop early */
	return w->k == w->n && w->pend_from == w->pend_to;
}

static void on_gap(void *arg, uint64_t from, uint64_t to)
{
	struct walk *w = arg;

	unaccounted(w, from);
	while (w->k < w->n && w->locs[w->order[w->k]].addr < to) {
		struct hw_location *l = &w->locs[w->order[w->k]];
		l->kind = HW_LOC_GAP;
		l->gap_from = from;
		l->gap_to = to;
		l->prev = w->prev;
		w->k++;
	}
	w->pend_to = w->k;
}

static int by_addr(const void *a, const void *b, void *arg)
{
	const struct hw_location *base = arg;
	uint64_t x = base[*(const size_t *)a].addr, y = base[*(const size_t *)b].addr;

	return x < y ? -1 : x > y;
}

struct hw_error *hw_locate(const struct hw_target *t, const struct hw_pool *p,
			   const struct hw_heap_header *h, struct hw_location *locs, size_t n,
			   struct hw_check *ck)
{
	struct walk w = {.locs = locs, .n = n, .first = h->first_frag};
	struct hw_walk_opts o = {.resync = true, .gap = on_gap, .gap_arg = &w};
	struct hw_walk_stats st;
	struct hw_check scratch;
	struct hw_error *err;
	uint64_t end = hw_pool_heap_end(p, h);

	for (size_t i = 0; i < n; i++) {
		uint64_t a = locs[i].addr;
		memset(&locs[i], 0, sizeof(locs[i]));
		locs[i].addr = a;
	}
	if (!n)
		return NULL;
	w.order = malloc(n * sizeof(*w.order));
	if (!w.order)
		return hw_error_nomem();
	for (size_t i = 0; i < n; i++)
		w.order[i] = i;
	qsort_r(w.order, n, sizeof(*w.order), by_addr, locs);
	if (!ck)
		hw_check_init(&scratch, 0);
	err = hw_alloc_walk(t, p, h, &o, on_frag, &w, ck ? ck : &scratch, &st);
	if (!ck)
		hw_check_deinit(&scratch);
	if (!err) {
		/* what the walk did not reach: in the heap but unwalked, or outside */
		unaccounted(&w, st.end > h->first_frag ? st.end : h->first_frag);
		for (; w.k < w.n; w.k++) {
			struct hw_location *l = &locs[w.order[w.k]];
			l->kind = l->addr < end ? HW_LOC_UNWALKED : HW_LOC_NONE;
			l->prev = w.prev;
		}
	}
	free(w.order);
	return err;
}
