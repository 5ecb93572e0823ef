/* fm.c - the f_malloc walker of every era: fragments, free state, free lists and bitmap. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/array.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/tally.h"
#include "heapwalk/target.h"
#include "ops.h"
#include "resync.h"
#include "walk.h"

struct hw_error *hw_fm_read_header(const struct hw_target *t, const struct hw_fm_layout *l,
				   uint64_t block, struct hw_heap_header *ret)
{
	const struct hw_block_fields f = HW_KAM_BLOCK_FIELDS(l, b_last_frag);
	const uint32_t offs[] = {f.type,	  f.size,   f.used,	  f.real_used,
				 f.max_real_used, f.ffrags, f.first_frag, f.last_frag_end};
	uint32_t need = 0;

	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		if (offs[i] != HW_NO_OFF && offs[i] + l->word > need)
			need = offs[i] + l->word;
	if (need == 0 || need > HW_KAM_BLOCK_MAX || f.first_frag == HW_NO_OFF ||
	    f.last_frag_end == HW_NO_OFF || f.size == HW_NO_OFF)
		return hw_error_create(HW_ERR_INVALID_ARG, "f_malloc block header of %u bytes",
				       need);
	struct hw_heap_header hh;
	struct hw_error *err = hw_read_block_header(t, block, need, l->word, &f, "fm_block", &hh);

	if (!err && l->product == HW_PRODUCT_OPENSIPS && l->b_large_space != HW_NO_OFF) {
		err = hw_target_read_word(t, block + l->b_large_space, &hh.large_space);
		hh.has_large_space = !err;
	}
	if (err)
		return err;
	*ret = hh;
	return NULL;
}

/*
 * The region the fragments tile: [first_frag, end). Up to 4.1 the last
 * fragment runs over the sentinel header to the block's end; since 4.2 the
 * walk ends at the sentinel (kamailio-memory.md §3.4).
 */
static bool heap_bounds(const struct hw_fm_layout *l, const struct hw_heap_header *h,
			uint64_t *start, uint64_t *end, struct hw_check *ck)
{
	uint64_t e, s_end;

	if (__builtin_add_overflow(h->block, h->size, &e) || h->first_frag < h->block ||
	    h->last_frag_end < h->first_frag || h->last_frag_end >= e ||
	    __builtin_add_overflow(h->last_frag_end, l->frag_size, &s_end)) {
		hw_check_add(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX,
			     "block header is implausible: size %" PRIu64 ", first_frag 0x%" PRIx64
			     ", last_frag 0x%" PRIx64,
			     h->size, h->first_frag, h->last_frag_end);
		return false;
	}
	if (s_end != e)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "the sentinel header at 0x%" PRIx64
			     " does not end the heap at 0x%" PRIx64,
			     h->last_frag_end, e);
	*start = h->first_frag;
	*end = l->era >= HW_FM_ERA_42 ? h->last_frag_end : s_end;
	return true;
}

/* ---- free lists ---- */

struct list_elem {
	uint64_t addr, size;
};
typedef void (*elem_fn)(void *arg, uint64_t bucket, const struct list_elem *e);

/*
 * Follow the list of bucket @b, checking each element; @visit sees every
 * element that could be read. *budget bounds the elements of all lists
 * together (there cannot be more than fragments): a cycle eats it up, is
 * reported once, and returns false so that the caller stops.
 */
/*
 * With @o->deep a cycle is found as soon as it closes (and reported as one,
 * the other lists still followed), and every element goes to @o->elem.
 */
static uint64_t frag_limit(const struct hw_fm_layout *l, uint64_t start, uint64_t end)
{
	return (end - start) / l->frag_size + 1;
}

static bool follow_list_opts(const struct hw_target *t, const struct hw_fm_layout *l,
			     const struct hw_heap_header *h, uint64_t start, uint64_t end,
			     uint64_t b, uint64_t *budget, struct hw_check *ck,
			     struct hw_free_bucket *bk, elem_fn visit, void *arg,
			     const struct hw_walk_opts *o)
{
	uint64_t first;
	const bool deep = o && o->deep;
	bool back_reported = false;
	struct hw_cycle cyc;
	uint64_t head = h->block + l->b_free_hash + b * l->lnk_size;
	uint64_t link_addr = head + l->l_first; /* the word that points at cur */
	uint64_t cur, prev = 0, prev_size = 0;
	uint8_t buf[256];
	struct hw_error *err;

	if (!hw_bucket_begin(t, ck, head, l->l_first, l->l_no, b, bk, &cur))
		return true;
	hw_cycle_init(&cyc);
	first = cur;
	while (cur) {
		const uint8_t *p;
		uint64_t size, flag, back;
		struct list_elem e;

		if (deep && hw_cycle_step(&cyc, cur)) {
			hw_bucket_cycle(t, ck, b, first, l->f_link, l->word,
					frag_limit(l, start, end), cur, bk->count);
			return true;
		}
		if (*budget == 0) {
			hw_check_add(ck, HW_SEV_ERROR, head, HW_NO_INDEX,
				     "free bucket %" PRIu64 " does not end (a cycle?)", b);
			return false;
		}
		(*budget)--;
		if (cur < start || cur >= end || end - cur < l->frag_size) {
			/* said where the bad link is: the element before, or the bucket */
			hw_bucket_outside(ck, prev ? prev : head, b, cur);
			return true;
		}
		p = hw_view(t, cur, l->frag_size, buf, &err);
		if (!p) {
			hw_bucket_error(ck, cur, b, err);
			return true;
		}
		size = hw_field(p, l->f_size, l->word);
		if (o && o->elem)
			o->elem(o->elem_arg, b, cur, size);
		if (hw_fm_hash(l, size) != b)
			hw_bucket_misplaced(ck, cur, size, b, hw_fm_hash(l, size));
		/* OpenSIPS 3.4+ puts a freed fragment at the head of its bucket */
		if (bk->count && size > l->optimize && size < prev_size && l->era != HW_FM_ERA_OS34)
			hw_check_add(ck, HW_SEV_WARNING, cur, HW_NO_INDEX,
				     "free bucket %" PRIu64 " is not sorted by size", b);
		if (hw_fm_flag_era(l->era)) {
			flag = hw_field(p, l->f_is_free, l->f_is_free_size);
			back = hw_field(p, l->f_prev_free, l->word);
			if (!flag)
				hw_check_add(
				    ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
				    "fragment on free bucket %" PRIu64 " is not marked free", b);
			if (back != prev && !back_reported) {
				/* the list is broken here: following it on only echoes that, but
				 * check (deep) follows it on to find a cycle */
				hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
					     "free bucket %" PRIu64 ": prev_free 0x%" PRIx64
					     ", expected 0x%" PRIx64,
					     b, back, prev);
				if (!deep)
					return true;
				back_reported = true;
			}
		} else if (hw_fm_prv_era(l->era)) {
			back = hw_field(p, l->f_prv_free, l->word);
			if (back != link_addr) {
				hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
					     "free bucket %" PRIu64 ": prv_free 0x%" PRIx64
					     ", expected 0x%" PRIx64 " (the link that points here)",
					     b, back, link_addr);
				return true;
			}
		}
		if (bk->count == 0)
			bk->first_size = size;
		bk->count++;
		bk->bytes += size;
		e.addr = cur;
		e.size = size;
		if (visit)
			visit(arg, b, &e);
		prev = cur;
		prev_size = size;
		link_addr = cur + l->f_link;
		cur = hw_field(p, l->f_link, l->word);
	}
	return true;
}

/* ---- the free set of eras without a free flag (<= 4.1) ---- */

struct free_set {
	uint64_t *a;
	size_t n, cap;
	bool nomem;
	bool damaged; /* some list could not be followed to its end */
};

static void set_add(void *arg, uint64_t bucket, const struct list_elem *e)
{
	struct free_set *s = arg;

	(void)bucket;
	if (s->nomem)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint64_t *na = realloc(s->a, cap * sizeof(*na));
		if (!na) {
			s->nomem = true;
			return;
		}
		s->a = na;
		s->cap = cap;
	}
	s->a[s->n++] = e->addr;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Every address on a free list, sorted and unique. List damage is only
 * summarised here; walk_free reports it in detail.
 */
static struct hw_error *build_free_set(const struct hw_target *t, const struct hw_fm_layout *l,
				       const struct hw_heap_header *h, uint64_t start, uint64_t end,
				       struct free_set *s, struct hw_check *ck)
{
	struct hw_check scratch;
	uint64_t budget = frag_limit(l, start, end);
	size_t k = 0;

	memset(s, 0, sizeof(*s));
	hw_check_init(&scratch, 0);
	for (uint64_t b = 0; b < l->hash_size; b++) {
		struct hw_free_bucket bk;
		/* cycles found at once, so that one does not eat every other list's budget */
		static const struct hw_walk_opts brent = {.deep = true};
		if (!follow_list_opts(t, l, h, start, end, b, &budget, &scratch, &bk, set_add, s,
				      &brent))
			break;
	}
	if (s->nomem) {
		free(s->a);
		memset(s, 0, sizeof(*s));
		hw_check_deinit(&scratch);
		return hw_error_create(HW_ERR_NOMEM, "out of memory collecting the free fragments");
	}
	s->damaged = scratch.errors > 0;
	if (scratch.errors)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "the free lists are damaged (%" PRIu64 " problems, see 'frags'); "
			     "fragments are free here only if a list reaches them",
			     scratch.errors);
	hw_check_deinit(&scratch);
	if (s->n > 1)
		qsort(s->a, s->n, sizeof(*s->a), cmp_u64);
	for (size_t i = 0; i < s->n; i++)
		if (!k || s->a[k - 1] != s->a[i])
			s->a[k++] = s->a[i];
	if (k != s->n)
		hw_check_add(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX,
			     "%zu free-list entries repeat fragments listed before", s->n - k);
	s->n = k;
	return NULL;
}

/* ---- the linear walk ---- */

void hw_fm_check_counters(const struct hw_fm_layout *l, const struct hw_heap_header *h,
			  const struct hw_walk_stats *st, struct hw_check *ck)
{
	uint64_t want;

	hw_check_free_count(h, st, "block", ck);
	if (h->no_counters)
		return;
	/* real_used = used + ROUNDUP(block) + headers of all fragments (+ the sentinel 4.2+) */
	want = h->used + l->first_off + (st->frags + l->init_headers - 1) * l->frag_size;
	hw_check_bytes(h, st, want, "block", "used", "fragments", ck);
}

/* Resynchronisation: what a plausible fragment header looks like. */
struct fm_probe {
	struct hw_probe head;
	const struct hw_target *t;
	const struct hw_fm_layout *l;
	uint64_t block, end, grain;
};

/* A pointer a free-list word may hold: none, or into the block (heads) or the heap. */
static bool fm_link_ok(const struct fm_probe *p, uint64_t v)
{
	return v == 0 || (v >= p->block && v < p->end + p->l->frag_size);
}

/*
 * A fragment at @a with a non-zero size, a multiple of the grain inside the
 * heap, the start pattern where the layout has one, a free flag and links
 * as its era keeps them; and so for the @depth fragments after it (or it
 * ends the heap).
 */
static bool fm_plausible_depth(const void *probe, uint64_t a, int depth)
{
	const struct fm_probe *p = probe;
	const struct hw_fm_layout *l = p->l;
	const uint64_t hs = l->frag_size;
	uint8_t buf[256];
	struct hw_error *err;
	const uint8_t *hp;
	uint64_t size;

	for (;;) {
		if (a > p->end || p->end - a < hs)
			return false;
		hp = hw_view(p->t, a, (uint32_t)hs, buf, &err);
		if (!hp) {
			hw_error_destroy(err);
			return false;
		}
		size = hw_field(hp, l->f_size, l->word);
		if (size == 0 || size % p->grain || size > p->end - a - hs)
			return false;
		if (l->f_check != HW_NO_OFF &&
		    hw_field(hp, l->f_check, l->f_check_size) != HW_QM_ST_CHECK)
			return false;
		switch (l->era) {
		case HW_FM_ERA_44:
		case HW_FM_ERA_58: {
			uint64_t fl = hw_field(hp, l->f_is_free, l->f_is_free_size);
			uint64_t nx = hw_field(hp, l->f_next_free, l->word);
			uint64_t pv = hw_field(hp, l->f_prev_free, l->word);
			if (fl > 1 || (!fl && (nx || pv)) || !fm_link_ok(p, nx) ||
			    !fm_link_ok(p, pv))
				return false;
			break;
		}
		case HW_FM_ERA_42:
		case HW_FM_ERA_OS30:
		case HW_FM_ERA_OS34:
			if (!fm_link_ok(p, hw_field(hp, l->f_prv_free, l->word)))
				return false;
			break;
		default:
			if (!fm_link_ok(p, hw_field(hp, l->f_u, l->word)))
				return false;
			break;
		}
		a += hs + size;
		if (a == p->end || depth-- <= 0)
			return true;
	}
}

struct hw_error *hw_fm_walk(const struct hw_target *t, const struct hw_fm_layout *l,
			    const struct hw_heap_header *h, hw_frag_fn fn, void *arg,
			    struct hw_check *ck, struct hw_walk_stats *ret)
{
	return hw_fm_walk_opts(t, l, h, NULL, fn, arg, ck, ret);
}

/* What fm_fast walks, and the walk's loop variables it advances (in the caller's frame). */
struct fm_fast {
	const uint8_t *base;
	uint64_t start, stop, end, meet, limit;
	uint64_t *addr, *i, *pf, *before;
	bool *know_before;
};

/*
 * The 4.2+ walk over a heap mapped in one piece, while every fragment is
 * as it should be, with the word size @W a constant: the steps and
 * figures of hw_fm_walk_opts's loop, which it returns to at the first
 * fragment that would give a finding (left unconsumed at *v->addr, so that
 * the loop reports it the same way) or at the heap's end. True when the
 * walk is over (the end, @meet, or @fn asked to stop).
 */
static inline __attribute__((always_inline)) bool
fm_fast(const struct hw_fm_layout *l, const struct fm_fast *v, uint64_t grain, hw_frag_fn fn,
	void *arg, struct hw_walk_stats *st, struct hw_frag *f, unsigned W)
{
	/* everything in locals: the stores through @f and @st could alias the layout's words */
	const uint32_t hs = l->frag_size, o_size = l->f_size, o_link = l->f_link;
	const uint32_t o_flag = l->f_is_free, o_flag_w = l->f_is_free_size, o_prev = l->f_prev_free;
	const uint32_t o_prv = l->f_prv_free, o_pf = l->f_pf, o_check = l->f_check;
	const uint32_t o_check_w = l->f_check_size, o_file = l->f_file, o_func = l->f_func;
	const uint32_t o_mname = l->f_mname, o_line = l->f_line;
	const bool flag = hw_fm_flag_era(l->era);
	const bool pf_check = l->era == HW_FM_ERA_OS34 && o_pf != HW_NO_OFF;
	const bool has_check = o_check != HW_NO_OFF;
	const uint64_t gmask = (grain & (grain - 1)) ? 0 : grain - 1;
	const uint8_t *const base = v->base;
	const uint64_t start = v->start, stop = v->stop, end = v->end, meet = v->meet;
	const uint64_t limit = v->limit;
	uint64_t addr = *v->addr, i = *v->i, pf = *v->pf, before = *v->before;
	bool know_before = *v->know_before, done = false;

	while (addr < stop) {
		const uint8_t *hp;
		uint64_t size, link, check, back = 0;
		bool used;

		if (addr == meet) {
			st->met = true;
			done = true;
			break;
		}
		if (i >= limit || end - addr < hs)
			break;
		hw_prefetch_ahead(base, start, addr, end, &pf);
		hp = base + (addr - start);
		size = hw_field(hp, o_size, W);
		if (size - 1 >= end - addr - hs || (gmask ? size & gmask : size % grain))
			break;
		link = hw_field(hp, o_link, W);
		if (flag) {
			used = hw_field(hp, o_flag, o_flag_w) == 0;
			back = hw_field(hp, o_prev, W);
			if (used && (link || back))
				break;
		} else {
			used = hw_field(hp, o_prv, W) == 0;
			if (pf_check && know_before && hw_field(hp, o_pf, W) != before)
				break;
		}
		check = hw_field(hp, o_check, o_check_w);
		if (has_check && check != HW_QM_ST_CHECK)
			break;
		f->index = i;
		f->addr = addr;
		f->user = addr + hs;
		f->size = size;
		f->span = (uint64_t)hs + size;
		f->used = used;
		f->free_link = link;
		f->free_prev = back;
		f->check = check;
		f->file = hw_field(hp, o_file, W);
		f->func = hw_field(hp, o_func, W);
		f->mname = hw_field(hp, o_mname, W);
		f->line = hw_field(hp, o_line, W);
		f->gaps = st->gaps;
		before = addr;
		know_before = true;
		addr += hs + size;
		i++;
		if (hw_walk_emit(st, f, fn, arg)) {
			done = true;
			break;
		}
	}
	*v->addr = addr;
	*v->i = i;
	*v->pf = pf;
	*v->before = before;
	*v->know_before = know_before;
	return done || addr >= stop;
}

static bool fm_fast_w(const struct hw_fm_layout *l, const struct fm_fast *v, uint64_t grain,
		      hw_frag_fn fn, void *arg, struct hw_walk_stats *st, struct hw_frag *f)
{
	return l->word == 8 ? fm_fast(l, v, grain, fn, arg, st, f, 8)
			    : fm_fast(l, v, grain, fn, arg, st, f, 4);
}

struct hw_error *hw_fm_walk_opts(const struct hw_target *t, const struct hw_fm_layout *l,
				 const struct hw_heap_header *h, const struct hw_walk_opts *o,
				 hw_frag_fn fn, void *arg, struct hw_check *ck,
				 struct hw_walk_stats *ret)
{
	const bool resync = o && o->resync;
	const uint64_t from = o ? o->from : 0, meet = o ? o->meet : 0;
	const uint32_t hs = l->frag_size, w = l->word;
	const uint32_t grain = (uint32_t)hw_gcd(l->roundto, hs);
	uint8_t hbuf[256];
	struct hw_walk_stats st;
	struct free_set fs = {0};
	size_t fi = 0, matched = 0;
	uint64_t unreached = 0;
	/* the fragment the walk came from (pf's check); the first one's pf is NULL */
	uint64_t before = 0;
	bool know_before = !(o && o->from);
	struct hw_frag f;
	uint64_t addr, end, limit, stop, start, pf;
	const uint8_t *base;
	struct hw_mem_prefault *pfth;
	struct hw_error *err;

	if (hs > sizeof(hbuf) || hs == 0 || grain == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "f_malloc fragment header of %u bytes",
				       hs);
	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	if ((from || meet) && (resync || l->era < HW_FM_ERA_42))
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "a split walk cannot resynchronise or run before 4.2");
	if (from) {
		/* the second half: the first half reports the block header */
		struct hw_check scratch;
		bool ok;

		hw_check_init(&scratch, 0);
		ok = heap_bounds(l, h, &addr, &end, &scratch);
		hw_check_deinit(&scratch);
		if (!ok || from < addr || from >= end)
			return hw_error_create(HW_ERR_INVALID_ARG,
					       "split point 0x%" PRIx64 " is not inside the heap",
					       from);
		addr = from;
	} else if (!heap_bounds(l, h, &addr, &end, ck)) {
		st.end = h->first_frag;
		*ret = st;
		return NULL;
	}
	if (l->era < HW_FM_ERA_42) {
		err = build_free_set(t, l, h, addr, end, &fs, ck);
		if (err)
			return err;
	}
	limit = frag_limit(l, addr, end);
	if (resync)
		limit *= 2; /* a gap and the fragment found after it: two steps */
	/* <= 4.1: the loop runs while below the sentinel header, and ends at the heap end */
	stop = l->era >= HW_FM_ERA_42 ? end : h->last_frag_end;
	struct fm_probe probe = {.head = {.at = fm_plausible_depth,
					  .depth = l->f_check != HW_NO_OFF ? 1 : 2,
					  .origin = h->first_frag,
					  .step = grain,
					  .need = hs,
					  .what = "f_malloc fragment header"},
				 .t = t,
				 .l = l,
				 .block = h->block,
				 .end = end,
				 .grain = grain};

	/* a heap in one piece of mapped memory (a core's PT_LOAD) is read in place, prefetched */
	base = hw_mem_peek(t->mem, addr, end - addr);
	start = pf = addr;
	if (!from) /* the pieces of a split walk: the first one advises for all */
		hw_mem_advise_sequential(t->mem, addr, end - addr);
	if ((from || meet) && !base)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "a split walk needs the heap in one piece of memory");
	/* pages mapped ahead on another CPU; a split walk's halves keep both busy already */
	pfth = base && !from && !meet ? hw_mem_prefault_start(t->mem, addr, end - addr) : NULL;

	/* the common case, while nothing is wrong; resynchronising walks take the loop */
	uint64_t i = 0;
	const struct fm_fast fast = {.base = base,
				     .start = start,
				     .stop = stop,
				     .end = end,
				     .meet = meet,
				     .limit = limit,
				     .addr = &addr,
				     .i = &i,
				     .pf = &pf,
				     .before = &before,
				     .know_before = &know_before};
	const bool use_fast = base && !resync && l->era >= HW_FM_ERA_42 && (w == 8 || w == 4);

	for (; addr < stop; i++) {
		const uint8_t *hp;
		uint64_t size;

		if (use_fast && addr >= start && fm_fast_w(l, &fast, grain, fn, arg, &st, &f))
			break;
		if (__builtin_expect(addr == meet, 0)) {
			st.met = true;
			break;
		}
		if (hw_walk_exceeded(ck, addr, i, limit, "fragments"))
			break;
		if (hw_walk_short(ck, addr, end, i, hs))
			goto damaged;
		if (base && addr >= start) {
			hw_prefetch_ahead(base, start, addr, end, &pf);
			hp = base + (addr - start);
			err = NULL;
		} else {
			hp = hw_view(t, addr, hs, hbuf, &err);
		}
		if (!hp) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i, "fragment header: %s",
				     err->message);
			hw_error_destroy(err);
			goto damaged;
		}
		size = hw_field(hp, l->f_size, w);
		/* (size 0 wraps round: doubtful for every walk, so that stats and check agree) */
		if (__builtin_expect(size - 1 >= end - addr - hs || size % grain, 0)) {
			if (size == 0) {
				/* believed only if it leads to another plausible header */
				if (addr + hs != end && !fm_plausible_depth(&probe, addr + hs, 0)) {
					hw_check_add(ck, HW_SEV_ERROR, addr, i, "fragment size 0");
					goto damaged;
				}
			} else {
				hw_check_add(
				    ck, HW_SEV_ERROR, addr, i, "fragment size %" PRIu64 " %s", size,
				    size % grain ? "is not a multiple of the allocation grain"
						 : "runs past the end of the heap");
				goto damaged;
			}
		}
		f.index = i;
		f.addr = addr;
		f.user = addr + hs;
		f.size = size;
		f.span = (uint64_t)hs + size;
		f.free_link = hw_field(hp, l->f_link, w);
		f.free_prev = 0;
		switch (l->era) {
		case HW_FM_ERA_44:
		case HW_FM_ERA_58:
			f.used = hw_field(hp, l->f_is_free, l->f_is_free_size) == 0;
			f.free_prev = hw_field(hp, l->f_prev_free, w);
			if (f.used && (f.free_link || f.free_prev))
				hw_check_add(ck, HW_SEV_WARNING, addr, i,
					     "used fragment still has free-list links");
			break;
		case HW_FM_ERA_42:
		case HW_FM_ERA_OS30:
		case HW_FM_ERA_OS34:
			f.used = hw_field(hp, l->f_prv_free, w) == 0;
			/* OpenSIPS 3.4+: pf names the fragment before; OpenSIPS's own joins
			 * can leave it stale, and a later join through it then goes wrong */
			if (l->era == HW_FM_ERA_OS34 && l->f_pf != HW_NO_OFF && know_before &&
			    hw_field(hp, l->f_pf, w) != before)
				hw_check_add(ck, HW_SEV_WARNING, addr, i,
					     "pf is 0x%" PRIx64
					     ", the fragment before is 0x%" PRIx64
					     ": stale (left by a join; freeing the fragment before "
					     "this one would join through it)",
					     hw_field(hp, l->f_pf, w), before);
			break;
		default:
			while (fi < fs.n && fs.a[fi] < addr)
				fi++;
			f.used = !(fi < fs.n && fs.a[fi] == addr);
			if (!f.used)
				matched++;
			else if (f.free_link && fs.damaged)
				unreached++; /* the lists' damage is said once, below */
			else if (f.free_link)
				hw_check_add(
				    ck, HW_SEV_WARNING, addr, i,
				    "nxt_free is set but no free list reaches this fragment");
			break;
		}
		f.file = hw_field(hp, l->f_file, w);
		f.func = hw_field(hp, l->f_func, w);
		f.mname = hw_field(hp, l->f_mname, w);
		f.line = hw_field(hp, l->f_line, w);
		f.check = hw_field(hp, l->f_check, l->f_check_size);
		if (l->f_check != HW_NO_OFF && f.check != HW_QM_ST_CHECK)
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "start pattern 0x%" PRIx64 ", expected 0x%lx", f.check,
				     HW_QM_ST_CHECK);
		f.gaps = st.gaps;
		/* a header whose pattern is wrong counts only if it leads to another plausible one
		 */
		if (resync && l->f_check != HW_NO_OFF && f.check != HW_QM_ST_CHECK &&
		    addr + hs + size != end && !fm_plausible_depth(&probe, addr + hs + size, 0))
			goto damaged;

		before = addr;
		know_before = true;
		addr += hs + size;
		if (hw_walk_emit(&st, &f, fn, arg))
			break;
		continue;
	damaged:
		know_before = false;
		if (!hw_walk_resync(t, o, ck, &st, i, &addr, stop, &probe.head))
			break;
		if (addr >= stop)
			addr = end; /* the gap runs to the heap's end */
		pf = addr;
	}
	hw_mem_prefault_stop(pfth);
	st.end = addr;
	st.complete = addr == end && !st.stopped && !st.gaps;
	if (st.complete && l->era >= HW_FM_ERA_42) {
		/* the sentinel: size 0, not free, END_CHECK_PATTERN1 where a check exists */
		const uint8_t *sp = hw_view(t, end, hs, hbuf, &err);
		if (!sp) {
			hw_check_add(ck, HW_SEV_WARNING, end, HW_NO_INDEX, "sentinel: %s",
				     err->message);
			hw_error_destroy(err);
		} else {
			uint64_t ssize = hw_field(sp, l->f_size, w);
			uint64_t schk = hw_field(sp, l->f_check, l->f_check_size);
			if (ssize != 0)
				hw_check_add(ck, HW_SEV_ERROR, end, HW_NO_INDEX,
					     "the sentinel's size is %" PRIu64 ", not 0", ssize);
			if (l->era == HW_FM_ERA_OS34 && l->f_pf != HW_NO_OFF && know_before &&
			    hw_field(sp, l->f_pf, w) != before)
				hw_check_add(ck, HW_SEV_WARNING, end, HW_NO_INDEX,
					     "the sentinel's pf is 0x%" PRIx64
					     ", the last fragment is 0x%" PRIx64,
					     hw_field(sp, l->f_pf, w), before);
			if (l->f_check != HW_NO_OFF && schk != HW_QM_END_CHECK1)
				hw_check_add(ck, HW_SEV_ERROR, end, HW_NO_INDEX,
					     "the sentinel's pattern is 0x%" PRIx64
					     ", expected 0x%lx",
					     schk, HW_QM_END_CHECK1);
		}
	}
	if (unreached)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "%" PRIu64
			     " fragments have nxt_free set but no free list reaches them "
			     "(the lists are damaged)",
			     unreached);
	if (st.complete && l->era < HW_FM_ERA_42 && matched != fs.n)
		hw_check_add(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX,
			     "%zu free-list elements are not fragment starts", fs.n - matched);
	if (st.complete && !from)
		hw_fm_check_counters(l, h, &st, ck);
	free(fs.a);
	*ret = st;
	return NULL;
}

/* Scanned for a split point at most this far past the middle. */
#define SPLIT_SCAN (4u << 20)
/* Elements of each free list looked at for a split point. */
#define SPLIT_LISTED 8

/*
 * Heaps fill from the start and usually end in one big free fragment:
 * halve the work, not the address range. That fragment is the first on
 * the highest non-empty list; where it starts (else @end).
 */
static uint64_t tail_free(const struct hw_target *t, const struct hw_fm_layout *l,
			  const struct hw_heap_header *h, uint64_t start, uint64_t end,
			  uint64_t grain, const struct fm_probe *probe)
{
	for (uint64_t b = l->hash_size; b-- > 0;) {
		uint64_t cur, size;
		if (!hw_probe_word(t, h->block + l->b_free_hash + b * l->lnk_size + l->l_first,
				   &cur))
			return end;
		if (!cur)
			continue;
		if (cur > start && cur < end && (cur - start) % grain == 0 &&
		    hw_probe_word(t, cur + l->f_size, &size) && size == end - cur - l->frag_size &&
		    fm_plausible_depth(probe, cur, 0))
			return cur;
		return end;
	}
	return end;
}

/*
 * The free fragments at the heads of the lists (SPLIT_LISTED of each, on
 * the grid, inside the heap), sorted: real headers, the split points'
 * candidates. NULL when there are none (or no memory).
 */
static uint64_t *listed_frags(const struct hw_target *t, const struct hw_fm_layout *l,
			      const struct hw_heap_header *h, uint64_t start, uint64_t end,
			      uint64_t grain, size_t *ret)
{
	uint64_t *v = NULL;
	size_t n = 0, cap = 0;

	for (uint64_t b = 0; b < l->hash_size; b++) {
		uint64_t cur;
		if (!hw_probe_word(t, h->block + l->b_free_hash + b * l->lnk_size + l->l_first,
				   &cur))
			break;
		for (int k = 0; k < SPLIT_LISTED && cur; k++) {
			if (cur <= start || cur >= end || (cur - start) % grain)
				break;
			if (!hw_grow(&v, &cap, n + 1, sizeof(*v), 256)) {
				free(v);
				return NULL;
			}
			v[n++] = cur;
			if (!hw_probe_word(t, cur + l->f_link, &cur))
				break;
		}
	}
	if (!n) {
		free(v);
		return NULL;
	}
	qsort(v, n, sizeof(*v), cmp_u64);
	*ret = n;
	return v;
}

/*
 * The plausible listed fragment nearest @mid and after @after into *ret;
 * the candidates it finds implausible are set to 0 (never tried again).
 */
static bool listed_near(uint64_t *v, size_t n, uint64_t mid, uint64_t after,
			const struct fm_probe *probe, uint64_t *ret)
{
	uint64_t best = 0, dist = UINT64_MAX;

	for (size_t i = 0; i < n; i++) {
		uint64_t d = v[i] > mid ? v[i] - mid : mid - v[i];
		if (!v[i] || v[i] <= after || d >= dist)
			continue;
		if (!fm_plausible_depth(probe, v[i], 4)) {
			v[i] = 0;
			continue;
		}
		best = v[i];
		dist = d;
	}
	*ret = best;
	return best != 0;
}

struct hw_error *hw_fm_split_points(const struct hw_target *t, const struct hw_fm_layout *l,
				    const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				    unsigned *np)
{
	const uint32_t hs = l->frag_size;
	const uint64_t grain = hw_gcd(l->roundto, hs);
	struct hw_check scratch;
	uint64_t start, end, a, stop, work_end, *listed;
	size_t nlisted = 0;
	bool ok;

	*np = 0;
	if (l->era < HW_FM_ERA_42)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "f_malloc before 4.2 keeps no free flag: no split walk");
	if (hs == 0 || hs > 256)
		return hw_error_create(HW_ERR_INVALID_ARG, "f_malloc fragment header of %u bytes",
				       hs);
	hw_check_init(&scratch, 0);
	ok = heap_bounds(l, h, &start, &end, &scratch);
	hw_check_deinit(&scratch);
	if (!ok || !hw_mem_peek(t->mem, start, end - start))
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "the heap is not in one piece of memory: no split walk");
	if (end - start < 4ull * hs)
		return hw_error_create(HW_ERR_UNSUPPORTED, "heap too small to split");
	struct fm_probe probe = {.head = {.at = fm_plausible_depth},
				 .t = t,
				 .l = l,
				 .block = h->block,
				 .end = end,
				 .grain = grain};
	work_end = tail_free(t, l, h, start, end, grain, &probe);
	/*
	 * Joined free fragments keep the headers they swallowed: a scan can
	 * land on one, and the pieces then never meet. A fragment on a free
	 * list is a real one: take the listed fragment nearest each point.
	 */
	listed = listed_frags(t, l, h, start, end, grain, &nlisted);
	for (unsigned k = 1; k < n; k++) {
		uint64_t after = *np ? pts[*np - 1] : start;

		a = hw_split_target(start, work_end, k, n, grain, pts, *np);
		if (listed) {
			if (listed_near(listed, nlisted, a, after, &probe, &a))
				pts[(*np)++] = a;
			continue;
		}
		stop = a < end && end - a > SPLIT_SCAN ? a + SPLIT_SCAN : end;
		for (; a < stop; a += grain) {
			if (a > start && fm_plausible_depth(&probe, a, 4)) {
				pts[(*np)++] = a;
				break;
			}
		}
	}
	free(listed);
	if (*np)
		return NULL;
	return hw_error_create(HW_ERR_UNSUPPORTED,
			       "no fragment header found near the middle: no split walk");
}

struct hw_error *hw_fm_walk_free(const struct hw_target *t, const struct hw_fm_layout *l,
				 const struct hw_heap_header *h, hw_bucket_fn fn, void *arg,
				 struct hw_check *ck)
{
	return hw_fm_walk_free_opts(t, l, h, NULL, fn, arg, ck);
}

/* The fast pass (hw_lanes_run) over 4.4+ lists, in the block and heap mapped in one piece. */
struct fm_lanes {
	const struct hw_fm_layout *l;
	const uint8_t *base; /* maps [block, end) */
	uint64_t block, start, end;
};

static bool fm_lane_begin(void *ctx, uint64_t b, struct hw_free_bucket *bk, uint64_t *first)
{
	const struct fm_lanes *c = ctx;
	const struct hw_fm_layout *l = c->l;
	const uint8_t *head = c->base + l->b_free_hash + b * l->lnk_size;

	bk->index = b;
	bk->no = hw_field(head, l->l_no, l->word);
	*first = hw_field(head, l->l_first, l->word);
	return true;
}

static bool fm_lane_elem(void *ctx, const struct hw_lane *ln, const struct hw_free_bucket *bk,
			 uint64_t *size, uint64_t *next)
{
	const struct fm_lanes *c = ctx;
	const struct hw_fm_layout *l = c->l;
	const uint64_t cur = ln->cur;
	const uint8_t *p;

	if (cur < c->start || cur >= c->end || c->end - cur < l->frag_size)
		return false;
	p = c->base + (cur - c->block);
	*size = hw_field(p, l->f_size, l->word);
	*next = hw_field(p, l->f_link, l->word);
	return hw_fm_hash(l, *size) == ln->b &&
	       !(bk->count && *size > l->optimize && *size < ln->prev_size) &&
	       hw_field(p, l->f_is_free, l->f_is_free_size) &&
	       hw_field(p, l->f_prev_free, l->word) == ln->prev;
}

static uint64_t fm_lane_end(void *ctx, uint64_t b)
{
	(void)ctx;
	(void)b;
	return 0;
}

static const uint8_t *fm_lane_where(void *ctx, uint64_t addr)
{
	const struct fm_lanes *c = ctx;

	return addr >= c->start && addr < c->end ? c->base + (addr - c->block) : NULL;
}

static const struct hw_lanes_ops fm_lanes_ops = {
    .begin = fm_lane_begin, .elem = fm_lane_elem, .end_of = fm_lane_end, .where = fm_lane_where};

/* The buckets a walk's tally @t accounts for, from the heads in @c's mapping. */
static void fm_tally_lists(const struct fm_lanes *c, const struct hw_list_tally *t,
			   struct hw_free_bucket *res, bool *ok, long *tallied)
{
	const struct hw_fm_layout *l = c->l;
	uint64_t *first, *no;
	long taken = -1;

	if (t->covered > l->hash_size || t->end != 0)
		return;
	first = malloc(2 * t->covered * sizeof(*first));
	no = first ? first + t->covered : NULL;
	if (first) {
		for (uint64_t b = 0; b < t->covered; b++) {
			const uint8_t *head = c->base + l->b_free_hash + b * l->lnk_size;

			first[b] = hw_field(head, l->l_first, l->word);
			no[b] = hw_field(head, l->l_no, l->word);
		}
		taken = hw_tally_buckets(t, first, no, true, res, ok);
	}
	if (tallied)
		*tallied = taken;
	free(first);
}

/*
 * The fast pass's results (*res, *ok, and with @o->elem_sum *sums: calloc'd,
 * hash_size entries) when it can run: 4.4+ lists (free flag and back
 * links), no element visitor, the block and heap in one mapped piece. A
 * list that passes every test of follow_list_opts passes check's (deep)
 * ones too: deep only goes on past what fails.
 */
static void fm_fast_lists(const struct hw_target *t, const struct hw_fm_layout *l,
			  const struct hw_heap_header *h, const struct hw_walk_opts *o,
			  uint64_t start, uint64_t end, struct hw_free_bucket **res, bool **ok,
			  struct hw_addr_sum **sums)
{
	struct fm_lanes c = {.l = l, .block = h->block, .start = start, .end = end};

	*res = NULL;
	*ok = NULL;
	*sums = NULL;
	if (!hw_lanes_may(o) || !hw_fm_flag_era(l->era) || !l->hash_size ||
	    l->b_free_hash + (uint64_t)l->hash_size * l->lnk_size > start - h->block ||
	    l->l_first + l->word > l->lnk_size || l->l_no + l->word > l->lnk_size)
		return;
	c.base = hw_mem_peek(t->mem, h->block, end - h->block);
	if (!c.base)
		return;
	*res = calloc(l->hash_size, sizeof(**res));
	*ok = calloc(l->hash_size, sizeof(**ok));
	if (o && o->elem_sum)
		*sums = calloc(l->hash_size, sizeof(**sums));
	if (!*res || !*ok || (o && o->elem_sum && !*sums)) {
		free(*res);
		free(*ok);
		free(*sums);
		*res = NULL;
		*ok = NULL;
		*sums = NULL;
		return;
	}
	if (o && o->tally && !*sums) /* the tally keeps no element sums */
		fm_tally_lists(&c, o->tally, *res, *ok, o->tallied);
	hw_lanes_run(&fm_lanes_ops, &c, l->hash_size, frag_limit(l, start, end), *res, *ok, *sums);
}

struct hw_error *hw_fm_walk_free_opts(const struct hw_target *t, const struct hw_fm_layout *l,
				      const struct hw_heap_header *h, const struct hw_walk_opts *o,
				      hw_bucket_fn fn, void *arg, struct hw_check *ck)
{
	uint64_t start, end, budget, listed = 0, sum_no = 0;
	uint8_t *bmp = NULL;
	struct hw_free_bucket *res;
	struct hw_addr_sum *sums;
	struct hw_walk_opts tmp;
	const struct hw_walk_opts *so = hw_walk_opts_summing(o, &tmp);
	bool stop = false, *ok;

	if (!heap_bounds(l, h, &start, &end, ck))
		return NULL;
	budget = frag_limit(l, start, end);
	if (l->bitmap_words) {
		size_t len = (size_t)l->bitmap_words * l->word;
		struct hw_error *err;
		bmp = malloc(len);
		if (!bmp)
			return hw_error_create(HW_ERR_NOMEM,
					       "out of memory reading the free bitmap");
		err = hw_mem_read(t->mem, bmp, h->block + l->b_free_bitmap, len);
		if (err) {
			hw_check_add(ck, HW_SEV_ERROR, h->block + l->b_free_bitmap, HW_NO_INDEX,
				     "free bitmap: %s", err->message);
			hw_error_destroy(err);
			free(bmp);
			bmp = NULL;
		}
	}
	fm_fast_lists(t, l, h, o, start, end, &res, &ok, &sums);
	for (uint64_t b = 0; b < l->hash_size && !stop; b++) {
		struct hw_free_bucket bk;

		if (ok && ok[b] && res[b].count <= budget) {
			/* the fast pass followed it to its end: what the walk below would find */
			bk = res[b];
			budget -= bk.count;
			if (sums)
				hw_addr_sum_merge(o->elem_sum, &sums[b]);
		} else if (!follow_list_opts(t, l, h, start, end, b, &budget, ck, &bk, NULL, NULL,
					     so)) {
			stop = true;
		}
		listed += bk.count;
		sum_no += bk.no;
		hw_check_bucket_count(ck, h->block + l->b_free_hash + b * l->lnk_size, &bk);
		/* A listed bucket must have its bit; a stale set bit is harmless (lazy reset). */
		if (bmp && bk.count && !((bmp[b / 8] >> (b % 8)) & 1))
			hw_check_add(
			    ck, HW_SEV_WARNING, h->block + l->b_free_bitmap, HW_NO_INDEX,
			    "free bucket %" PRIu64 " is not empty but its bitmap bit is clear", b);
		if (bk.count && fn && fn(arg, &bk))
			stop = true;
	}
	if (!stop)
		hw_check_bucket_sum(h, sum_no, ck);
	(void)listed;
	free(bmp);
	free(res);
	free(ok);
	free(sums);
	return NULL;
}
