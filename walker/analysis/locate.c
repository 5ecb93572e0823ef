/* locate.c - which fragment (or damaged range) holds each of a set of addresses. */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/target.h"

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
	const struct hw_heap_header *h;
};

/* Whether @a lies in a block header: the heap's, or one of several pools' (OpenSIPS's
 * parallel pools) that starts after the fragment walked last. */
static bool in_block(const struct walk *w, uint64_t a)
{
	uint64_t after = w->prev.valid ? w->prev.addr + w->prev.span : 0;

	if (a < w->first)
		return true;
	for (uint32_t i = 0; i < w->h->nparts && i < HW_PAR_POOLS_MAX; i++)
		if (w->h->parts[i].block <= a && w->h->parts[i].block >= after)
			return true;
	return false;
}

/* Everything below @lo that no event covered: in a block header, or nowhere. */
static void unaccounted(struct walk *w, uint64_t lo)
{
	while (w->k < w->n && w->locs[w->order[w->k]].addr < lo) {
		struct hw_location *l = &w->locs[w->order[w->k]];
		l->kind = in_block(w, l->addr) ? HW_LOC_BLOCK : HW_LOC_NONE;
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
	struct walk w = {.locs = locs, .n = n, .first = h->first_frag, .h = h};
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

/* ---- overruns ---- */

/* How far an overrun's text is followed (a header is far shorter). */
#define TEXT_RUN_MAX 4096

static bool texty(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) || c == '\t' || c == '\n' || c == '\r';
}

/* How many bytes from @a up to @cap are text (readable ones only). */
static uint64_t text_run(const struct hw_target *t, uint64_t a, uint64_t cap)
{
	uint8_t buf[64];
	uint64_t n = 0;

	while (a + n < cap) {
		size_t len = cap - (a + n) < sizeof(buf) ? (size_t)(cap - (a + n)) : sizeof(buf);
		struct hw_error *err = hw_mem_read(t->mem, buf, a + n, len);
		if (err) {
			hw_error_destroy(err);
			return n;
		}
		for (size_t i = 0; i < len; i++, n++)
			if (!texty(buf[i]))
				return n;
	}
	return n;
}

/* Up to @len bytes at @a into @buf; how many could be read. */
static uint32_t read_some(const struct hw_target *t, uint64_t a, uint8_t *buf, uint32_t len)
{
	struct hw_error *err;

	while (len) {
		if (!(err = hw_mem_read(t->mem, buf, a, len)))
			return len;
		hw_error_destroy(err);
		len = len > 8 ? len - 8 : 0; /* less: the range may end in unsaved memory */
	}
	return 0;
}

static bool has_text(const uint8_t *b, uint32_t n, uint32_t want)
{
	uint32_t run = 0;

	for (uint32_t i = 0; i < n; i++) {
		run = texty(b[i]) ? run + 1 : 0;
		if (run >= want)
			return true;
	}
	return false;
}

void hw_explain_overrun(const struct hw_target *t, struct hw_location *l, uint64_t at,
			uint64_t index, uint64_t payload)
{
	struct hw_frag_brief self = {0};
	struct hw_overrun *o = &l->overrun;
	const struct hw_frag_brief *a = NULL;
	uint64_t victim, hs, cap, pe = 0, run = 0, start, stop;
	uint32_t w = t->word_size ? t->word_size : 8, n;

	memset(o, 0, sizeof(*o));
	if (l->kind == HW_LOC_FRAG) {
		const struct hw_frag_brief *f = &l->frag;
		if (at >= f->user && at - f->user < f->size)
			return; /* in the payload: no header or trailer word */
		if (at >= f->user)
			a = f; /* its own trailer */
		victim = f->addr;
		hs = f->user - f->addr;
	} else if (l->kind == HW_LOC_GAP) {
		victim = l->gap_from;
		hs = l->prev.valid ? l->prev.user - l->prev.addr : 0;
	} else {
		return;
	}
	/* a fragment whose trailer is damaged: its own payload ran over it */
	if (payload && at == victim && hs && l->kind == HW_LOC_GAP && at < UINT64_MAX - hs &&
	    payload < UINT64_MAX - at - hs) {
		self.valid = self.used = true;
		self.index = index;
		self.addr = at;
		self.user = at + hs;
		self.size = payload;
		a = &self;
	} else if (payload && l->kind == HW_LOC_FRAG && at == victim) {
		a = &l->frag;
	}
	if (!a && l->prev.valid && l->prev.addr + l->prev.span == victim)
		a = &l->prev;
	if (a && a->user >= a->addr && a->user < UINT64_MAX - TEXT_RUN_MAX &&
	    a->size < UINT64_MAX - a->user - TEXT_RUN_MAX) {
		pe = a->user + a->size;
		/* as far as the header after the victim's start (its own trailer: the next one;
		 * its trailer's size unknown: as far as the text runs) */
		cap = a == &self ? pe + TEXT_RUN_MAX
				 : (a == &l->frag ? a->addr + a->span : victim) + hs;
		if (cap > pe + TEXT_RUN_MAX || cap < pe)
			cap = pe + TEXT_RUN_MAX;
		run = text_run(t, pe, cap);
		if (run && (a != &l->prev || at < pe + run)) {
			o->culprit = *a;
			o->into = victim;
			o->length = run;
			o->at_least = pe + run == cap;
			o->ntail = a->size < HW_TAIL_BYTES ? (uint32_t)a->size : HW_TAIL_BYTES;
			o->tail_at = pe - o->ntail;
			o->ntail = read_some(t, o->tail_at, o->tail, o->ntail);
		}
	}
	/* the bytes: the text that ran over the damage, else two words at it */
	start = at;
	stop = at + 2 * w;
	if (o->culprit.valid) {
		start = at > pe ? at : pe;
		if (pe + run > stop)
			stop = pe + run;
	}
	if (stop < start)
		stop = start; /* at the top of the address space */
	n = stop - start < HW_DAMAGE_BYTES ? (uint32_t)(stop - start) : HW_DAMAGE_BYTES;
	o->at = start;
	o->nbytes = read_some(t, start, o->bytes, n);
	/* without a culprit, worth showing only when the bytes read as text */
	o->valid = o->culprit.valid || has_text(o->bytes, o->nbytes, 4);
}

void hw_explain_trailer(const struct hw_target *t, struct hw_location *l, uint64_t at,
			const uint8_t *want, const uint8_t *known, uint32_t len)
{
	struct hw_overrun *o = &l->overrun;
	const struct hw_frag_brief *f = &l->frag;
	uint8_t got[HW_DAMAGE_BYTES];
	uint32_t first = len, last = 0, w = t->word_size ? t->word_size : 8;
	struct hw_error *err;

	if (o->culprit.valid || l->kind != HW_LOC_FRAG || !len || len > sizeof(got) ||
	    f->user > UINT64_MAX - f->size - len || at != f->user + f->size)
		return;
	if ((err = hw_mem_read(t->mem, got, at, len))) {
		hw_error_destroy(err);
		return;
	}
	for (uint32_t i = 0; i < len; i++) {
		if (!known[i])
			continue;
		if (first == len)
			first = i;
		if (got[i] != want[i])
			last = i + 1;
	}
	/* from the payload's end on, or it is no overrun from this payload */
	if (first == len || got[first] == want[first])
		return;
	o->culprit = *f;
	o->into = f->addr;
	o->length = last;
	o->at_least = last == len || !known[last];
	o->ntail = f->size < HW_TAIL_BYTES ? (uint32_t)f->size : HW_TAIL_BYTES;
	o->tail_at = at - o->ntail;
	o->ntail = read_some(t, o->tail_at, o->tail, o->ntail);
	o->at = at;
	o->nbytes = last > 2 * w ? last : 2 * w;
	if (o->nbytes > len)
		o->nbytes = len;
	memcpy(o->bytes, got, o->nbytes);
	o->valid = true;
}
