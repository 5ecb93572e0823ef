/* tlsf.c - the TLSF walker: blocks up to the sentinel, the fl/sl free lists and bitmaps. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/tally.h"
#include "heapwalk/target.h"
#include "resync.h"
#include "walk.h"

/* The control structure up to the bitmaps, where every counter lies. */
#define TLSF_CONTROL_MAX 256

#define FREE_BIT 1u
#define PREV_FREE_BIT 2u

struct hw_error *hw_tlsf_read_header(const struct hw_target *t, const struct hw_tlsf_layout *l,
				     uint64_t control, struct hw_heap_header *ret)
{
	const struct hw_block_fields f = {
	    .type = HW_NO_OFF,
	    .size = l->c_total_size,
	    .used = l->c_allocated,
	    .real_used = l->c_real_used,
	    .max_real_used = l->c_max_used,
	    .ffrags = l->c_fragments,
	    .max_frags = l->c_max_fragments,
	    .first_frag = HW_NO_OFF,
	    .last_frag_end = HW_NO_OFF,
	};
	uint32_t need = l->c_fl_bitmap; /* the six counters precede the bitmaps */
	struct hw_heap_header h;
	struct hw_error *err;
	uint64_t first, sentinel;

	if (need == 0 || need > TLSF_CONTROL_MAX || l->c_total_size == HW_NO_OFF ||
	    l->c_total_size + l->word > need)
		return hw_error_create(HW_ERR_INVALID_ARG, "TLSF control header of %u bytes", need);
	err = hw_read_block_header(t, control, need, l->word, &f, "control_t", &h);
	if (err)
		return err;
	/*
	 * The first header's prev_phys word is the last word of control_t; the
	 * sentinel sits where the pool's one big block (total_size - control
	 * size bytes) would end (kamailio-memory.md §4.4).
	 */
	first = control + l->control_size - l->word;
	if (__builtin_add_overflow(control, h.size, &sentinel) ||
	    __builtin_add_overflow(sentinel, (uint64_t)l->start_offset, &sentinel) ||
	    sentinel < 2ull * l->word)
		sentinel = 0;
	else
		sentinel -= 2ull * l->word;
	h.first_frag = first;
	h.last_frag_end = sentinel;
	*ret = h;
	return NULL;
}

static bool heap_bounds(const struct hw_tlsf_layout *l, const struct hw_heap_header *h,
			uint64_t *start, uint64_t *end, struct hw_check *ck)
{
	if (h->size < l->control_size || h->last_frag_end <= h->first_frag) {
		hw_check_add(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX,
			     "control header is implausible: total_size %" PRIu64
			     " (the control structure alone is %u bytes)",
			     h->size, l->control_size);
		return false;
	}
	*start = h->first_frag;
	*end = h->last_frag_end;
	return true;
}

static uint64_t block_limit(const struct hw_tlsf_layout *l, uint64_t start, uint64_t end)
{
	return (end - start) / ((uint64_t)l->overhead + l->align) + 2;
}

void hw_tlsf_check_counters(const struct hw_tlsf_layout *l, const struct hw_heap_header *h,
			    const struct hw_walk_stats *st, struct hw_check *ck)
{
	uint64_t want;

	hw_check_free_count(h, st, "control", ck);
	/* 4.3 adds raw size words, status bits included: its byte counters drift by design. */
	if (l->era == HW_TLSF_ERA_43)
		return;
	/* each used block is charged its size, its header up to the payload and one more word */
	want = l->control_size + h->used + st->used_frags * ((uint64_t)l->start_offset + l->word);
	hw_check_bytes(h, st, want, "control", "allocated", "used blocks", ck);
}

/* Resynchronisation: what a plausible block header looks like. */
struct tlsf_probe {
	struct hw_probe head;
	const struct hw_target *t;
	const struct hw_tlsf_layout *l;
	uint64_t control, start, end;
};

/*
 * A block at @a whose size is a multiple of ALIGN_SIZE, at least three
 * words, inside the pool; whose next block carries its free bit as the
 * prev-free bit; which, when free, the next block links back to and whose
 * list links point at the control or into the pool; and so for the @depth
 * blocks after it (the size-0 sentinel ends the chain).
 */
static bool tlsf_plausible_depth(const void *probe, uint64_t a, int depth)
{
	const struct tlsf_probe *p = probe;
	const struct hw_tlsf_layout *l = p->l;
	const uint32_t w = l->word;
	uint64_t raw, size, next, nraw, v;

	for (;;) {
		if (a > p->end || p->end - a < l->start_offset ||
		    !hw_resync_word(p->t, a + l->h_size, w, &raw))
			return false;
		size = raw & ~(uint64_t)3;
		if (size == 0)
			return a == p->end && !(raw & FREE_BIT);
		if (size % l->align || size < 3ull * w || size > p->end - a)
			return false;
		next = a + l->start_offset + size - w;
		if (next > p->end || !hw_resync_word(p->t, next + l->h_size, w, &nraw) ||
		    !!(nraw & PREV_FREE_BIT) != !!(raw & FREE_BIT))
			return false;
		if (raw & FREE_BIT) {
			if (!hw_resync_word(p->t, next + l->h_prev_phys, w, &v) || v != a)
				return false;
			for (int k = 0; k < 2; k++) {
				uint32_t off = k ? l->h_prev_free : l->h_next_free;
				if (!hw_resync_word(p->t, a + off, w, &v) ||
				    (v != p->control && (v < p->start || v >= p->end)))
					return false;
			}
		}
		if (depth-- <= 0)
			return true;
		a = next;
	}
}

struct hw_error *hw_tlsf_walk(const struct hw_target *t, const struct hw_tlsf_layout *l,
			      const struct hw_heap_header *h, hw_frag_fn fn, void *arg,
			      struct hw_check *ck, struct hw_walk_stats *ret)
{
	return hw_tlsf_walk_opts(t, l, h, NULL, fn, arg, ck, ret);
}

/* What tlsf_fast walks, and the walk's loop variables it advances (in the caller's frame). */
struct tlsf_fast {
	const uint8_t *base;
	uint64_t start, end, mapped_end, meet, limit;
	uint64_t *addr, *i, *pf;
	bool *prev_free;
};

/*
 * The walk over a pool mapped in one piece, while every block is as it
 * should be, with the word size @W a constant: the steps and figures of
 * hw_tlsf_walk_opts's loop, which it returns to at the first block that
 * would give a finding, at the sentinel or at the split's meeting point
 * (each left unconsumed at *v->addr, for the loop to handle as before).
 * True when @fn asked to stop.
 */
static inline __attribute__((always_inline)) bool
tlsf_fast(const struct hw_tlsf_layout *l, const struct tlsf_fast *v, hw_frag_fn fn, void *arg,
	  struct hw_walk_stats *st, struct hw_frag *f, unsigned W)
{
	/* everything in locals: the stores through @f and @st could alias the layout's words */
	const uint32_t so = l->start_offset, o_size = l->h_size, o_file = l->h_file;
	const uint32_t o_func = l->h_func, o_mname = l->h_mname, o_line = l->h_line;
	const uint32_t o_line_w = l->h_line_size ? l->h_line_size : W;
	const uint32_t o_next = l->h_next_free, o_prev = l->h_prev_free, o_back = l->h_prev_phys;
	const uint64_t align = l->align, min = 3ull * W;
	const uint8_t *const base = v->base;
	const uint64_t start = v->start, end = v->end, mapped_end = v->mapped_end;
	const uint64_t meet = v->meet, limit = v->limit;
	uint64_t addr = *v->addr, i = *v->i, pf = *v->pf;
	bool prev_free = *v->prev_free, stopped = false;

	while (addr < end && addr != meet && i < limit) {
		const uint8_t *hp;
		uint64_t raw, size, next, link = 0, back = 0;
		bool used;

		hw_prefetch_ahead(base, start, addr, mapped_end, &pf);
		hp = base + (addr - start);
		raw = hw_field(hp, o_size, W);
		size = raw & ~(uint64_t)3;
		if (size < min || !!(raw & PREV_FREE_BIT) != prev_free || size % align ||
		    size > end - addr)
			break;
		next = addr + so + size - W;
		if (next > end)
			break;
		used = !(raw & FREE_BIT);
		if (!used) {
			if (prev_free || addr + o_next + W > mapped_end ||
			    addr + o_prev + W > mapped_end || next + o_back + W > mapped_end ||
			    hw_field(base + (next - start), o_back, W) != addr)
				break;
			link = hw_field(hp, o_next, W);
			back = hw_field(hp, o_prev, W);
		}
		f->index = i;
		f->addr = addr;
		f->user = addr + so;
		f->size = size;
		f->span = next - addr;
		f->used = used;
		f->free_link = link;
		f->free_prev = back;
		f->file = hw_field(hp, o_file, W);
		f->func = hw_field(hp, o_func, W);
		f->mname = hw_field(hp, o_mname, W);
		f->line = hw_field(hp, o_line, o_line_w);
		f->gaps = st->gaps;
		prev_free = !used;
		addr = next;
		i++;
		if (hw_walk_emit(st, f, fn, arg)) {
			stopped = true;
			break;
		}
	}
	*v->addr = addr;
	*v->i = i;
	*v->pf = pf;
	*v->prev_free = prev_free;
	return stopped;
}

static bool tlsf_fast_w(const struct hw_tlsf_layout *l, const struct tlsf_fast *v, hw_frag_fn fn,
			void *arg, struct hw_walk_stats *st, struct hw_frag *f)
{
	return l->word == 8 ? tlsf_fast(l, v, fn, arg, st, f, 8)
			    : tlsf_fast(l, v, fn, arg, st, f, 4);
}

struct hw_error *hw_tlsf_walk_opts(const struct hw_target *t, const struct hw_tlsf_layout *l,
				   const struct hw_heap_header *h, const struct hw_walk_opts *o,
				   hw_frag_fn fn, void *arg, struct hw_check *ck,
				   struct hw_walk_stats *ret)
{
	const bool resync = o && o->resync;
	const uint64_t from = o ? o->from : 0, meet = o ? o->meet : 0;
	const uint32_t w = l->word, so = l->start_offset;
	uint8_t hbuf[256];
	struct hw_walk_stats st;
	struct hw_frag f;
	uint64_t addr, end, limit, start, pf, mapped_end;
	const uint8_t *base;
	struct hw_mem_prefault *pfth;
	bool prev_free = false, found_sentinel = false;

	if (so > sizeof(hbuf) || l->hdr_size > sizeof(hbuf) || so <= w)
		return hw_error_create(HW_ERR_INVALID_ARG, "TLSF block header of %u bytes", so);
	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	if ((from || meet) && resync)
		return hw_error_create(HW_ERR_INVALID_ARG, "a split walk cannot resynchronise");
	if (from) {
		/* the second half: the first half reports the control header */
		struct hw_check scratch;
		bool ok;

		hw_check_init(&scratch, 0);
		ok = heap_bounds(l, h, &addr, &end, &scratch);
		hw_check_deinit(&scratch);
		if (!ok || from < addr || from >= end)
			return hw_error_create(HW_ERR_INVALID_ARG,
					       "split point 0x%" PRIx64 " is not inside the pool",
					       from);
		addr = from;
	} else if (!heap_bounds(l, h, &addr, &end, ck)) {
		st.end = h->first_frag;
		*ret = st;
		return NULL;
	}
	limit = block_limit(l, addr, end);
	if (resync)
		limit *= 2; /* a gap and the block found after it: two steps */
	struct tlsf_probe probe = {.head = {.at = tlsf_plausible_depth,
					    .depth = 2,
					    .origin = h->first_frag,
					    .step = hw_gcd(l->align, (uint64_t)so - w),
					    .need = so,
					    .what = "TLSF block header"},
				   .t = t,
				   .l = l,
				   .control = h->block,
				   .start = addr,
				   .end = end};
	bool after_gap = false;

	/*
	 * A pool in one piece of mapped memory (a core's PT_LOAD), the
	 * sentinel's header included, is read in place and prefetched.
	 */
	start = pf = addr;
	mapped_end = end + so;
	base = mapped_end > end ? hw_mem_peek(t->mem, start, mapped_end - start) : NULL;
	if (!from) /* the pieces of a split walk: the first one advises for all */
		hw_mem_advise_sequential(t->mem, addr, end - addr);
	if ((from || meet) && !base)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "a split walk needs the pool in one piece of memory");
	/* pages mapped ahead on another CPU; a split walk's halves keep both busy already */
	pfth = base && !from && !meet ? hw_mem_prefault_start(t->mem, addr, end - addr) : NULL;

	/* the common case, while nothing is wrong; resynchronising walks take the loop */
	uint64_t i = 0;
	const struct tlsf_fast fast = {.base = base,
				       .start = start,
				       .end = end,
				       .mapped_end = mapped_end,
				       .meet = meet,
				       .limit = limit,
				       .addr = &addr,
				       .i = &i,
				       .pf = &pf,
				       .prev_free = &prev_free};
	const bool use_fast = base && !resync && (w == 8 || w == 4);

	for (; addr <= end; i++) {
		const uint8_t *hp;
		struct hw_error *err;
		uint64_t raw, size, next;

		if (use_fast && !after_gap && addr >= start &&
		    tlsf_fast_w(l, &fast, fn, arg, &st, &f))
			break;
		if (__builtin_expect(addr == meet, 0)) {
			/* the second half starts after a used block: met only if so */
			st.met = !prev_free;
			if (st.met)
				break;
		}
		if (hw_walk_exceeded(ck, addr, i, limit, "blocks"))
			break;
		/* only prev_phys .. size belong to a used block; the rest is its payload */
		if (base) {
			hw_prefetch_ahead(base, start, addr, mapped_end, &pf);
			hp = base + (addr - start);
			err = NULL;
		} else {
			hp = hw_view(t, addr, so, hbuf, &err);
		}
		if (!hp) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i, "block header: %s", err->message);
			hw_error_destroy(err);
			goto damaged;
		}
		raw = hw_field(hp, l->h_size, w);
		size = raw & ~(uint64_t)3;
		/* every walk (stats as check) stops at a size 0 before the sentinel's place */
		if (size == 0 && addr != end) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "block size 0 at 0x%" PRIx64
				     ", before the sentinel's place 0x%" PRIx64,
				     addr, end);
			goto damaged;
		}
		/* after a gap the previous block is unknown */
		if (!after_gap && !!(raw & PREV_FREE_BIT) != prev_free)
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "prev-free bit is %d, but the previous block is %s",
				     !!(raw & PREV_FREE_BIT), prev_free ? "free" : "used");
		if (size == 0) {
			found_sentinel = true;
			if (raw & FREE_BIT)
				hw_check_add(ck, HW_SEV_ERROR, addr, i,
					     "the size-0 sentinel is marked free");
			break;
		}
		if (size % l->align || size > end - addr) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i, "block size %" PRIu64 " %s", size,
				     size % l->align ? "is not a multiple of ALIGN_SIZE"
						     : "runs past the end of the pool");
			goto damaged;
		}
		next = addr + so + size - w;
		if (next > end) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "block size %" PRIu64 " runs past the end of the pool", size);
			goto damaged;
		}
		if (resync && size < 3ull * w) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "block size %" PRIu64 " is below the minimum %u", size, 3 * w);
			goto damaged;
		}
		after_gap = false;
		f.index = i;
		f.addr = addr;
		f.user = addr + so;
		f.size = size;
		f.span = next - addr;
		f.used = !(raw & FREE_BIT);
		f.free_link = 0;
		f.free_prev = 0;
		f.file = hw_field(hp, l->h_file, w);
		f.func = hw_field(hp, l->h_func, w);
		f.mname = hw_field(hp, l->h_mname, w);
		f.line = hw_field(hp, l->h_line, l->h_line_size ? l->h_line_size : w);
		f.gaps = st.gaps;
		/*
		 * A split can leave a free remainder as small as the header minus the
		 * overhead (3 words), below block_size_min in debug builds: the
		 * least a block needs for its free links and the next prev_phys word.
		 */
		if (size < 3ull * w)
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "block size %" PRIu64 " is below the minimum %u", size, 3 * w);
		if (!f.used) {
			uint64_t back = 0;
			if (prev_free)
				hw_check_add(ck, HW_SEV_ERROR, addr, i,
					     "two free blocks in a row (TLSF always coalesces)");
			if (size >= 3ull * w) {
				if (base && addr + l->h_next_free + w <= mapped_end &&
				    addr + l->h_prev_free + w <= mapped_end &&
				    next + l->h_prev_phys + w <= mapped_end) {
					/* both words lie inside the mapped piece */
					f.free_link = hw_field(hp, l->h_next_free, w);
					f.free_prev = hw_field(hp, l->h_prev_free, w);
					back = hw_field(base + (next - start), l->h_prev_phys, w);
					err = NULL;
				} else {
					err = hw_target_read_word(t, addr + l->h_next_free,
								  &f.free_link);
					/* only a tally reads it: no finding of its own */
					if (!err && !hw_resync_word(t, addr + l->h_prev_free, w,
								    &f.free_prev))
						f.free_prev = 0;
					if (!err)
						err = hw_target_read_word(t, next + l->h_prev_phys,
									  &back);
				}
				if (err) {
					hw_check_add(ck, HW_SEV_ERROR, addr, i, "free block: %s",
						     err->message);
					hw_error_destroy(err);
				} else if (back != addr) {
					hw_check_add(
					    ck, HW_SEV_ERROR, next, i + 1,
					    "prev_phys_block 0x%" PRIx64
					    " does not point back to the free block 0x%" PRIx64,
					    back, addr);
				}
			}
		}
		prev_free = !f.used;
		addr = next;
		if (hw_walk_emit(&st, &f, fn, arg))
			break;
		continue;
	damaged:
		/* the scan stops short of the sentinel's place, which the loop then reads */
		if (addr >= end || !hw_walk_resync(t, o, ck, &st, i, &addr, end, &probe.head))
			break;
		after_gap = true;
		prev_free = false;
		pf = addr;
	}
	hw_mem_prefault_stop(pfth);
	st.end = addr;
	st.complete = found_sentinel && !st.stopped && !st.gaps;
	if (!found_sentinel && !st.stopped && addr > end)
		hw_check_add(ck, HW_SEV_ERROR, end, HW_NO_INDEX,
			     "no size-0 sentinel ends the pool");
	if (st.complete && !from)
		hw_tlsf_check_counters(l, h, &st, ck);
	*ret = st;
	return NULL;
}

/* Scanned for a split point at most this far past the middle. */
#define SPLIT_SCAN (4u << 20)

struct hw_error *hw_tlsf_split_points(const struct hw_target *t, const struct hw_tlsf_layout *l,
				      const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				      unsigned *np)
{
	const uint32_t w = l->word, so = l->start_offset;
	struct hw_check scratch;
	uint64_t start, end, step, a, stop, work_end, raw, last;
	bool ok;

	if (so <= w || w == 0 || l->align == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "TLSF block header of %u bytes", so);
	hw_check_init(&scratch, 0);
	ok = heap_bounds(l, h, &start, &end, &scratch);
	hw_check_deinit(&scratch);
	if (!ok || !hw_mem_peek(t->mem, start, end - start + so))
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "the pool is not in one piece of memory: no split walk");
	if (end - start < 4ull * so)
		return hw_error_create(HW_ERR_UNSUPPORTED, "pool too small to split");
	struct tlsf_probe probe = {.head = {.at = tlsf_plausible_depth},
				   .t = t,
				   .l = l,
				   .control = h->block,
				   .start = start,
				   .end = end};
	/* every block lies at the first one + a multiple of this */
	step = hw_gcd(l->align, (uint64_t)so - w);
	/*
	 * Pools fill from the start and usually end in one big free block:
	 * halve the work, not the address range. The sentinel says whether
	 * the block before it is free and, if so, where it starts.
	 */
	work_end = end;
	if (hw_resync_word(t, end + l->h_size, w, &raw) && (raw & PREV_FREE_BIT) &&
	    hw_resync_word(t, end + l->h_prev_phys, w, &last) && last > start && last < end &&
	    (last - start) % step == 0 && tlsf_plausible_depth(&probe, last, 0))
		work_end = last;
	*np = 0;
	for (unsigned k = 1; k < n; k++) {
		a = hw_split_target(start, work_end, k, n, step, pts, *np);
		stop = a < end && end - a > SPLIT_SCAN ? a + SPLIT_SCAN : end;
		for (; a < stop; a += step) {
			/* a used block after a used one: the pieces meet without a state to pass */
			if (a > start && hw_resync_word(t, a + l->h_size, w, &raw) && !(raw & 3) &&
			    tlsf_plausible_depth(&probe, a, 4)) {
				pts[(*np)++] = a;
				break;
			}
		}
	}
	if (*np)
		return NULL;
	return hw_error_create(HW_ERR_UNSUPPORTED,
			       "no block header found near the middle: no split walk");
}

/* The fast pass (hw_lanes_run) over the lists, in the pool mapped in one piece. */
struct tlsf_lanes {
	const struct hw_tlsf_layout *l;
	const uint8_t *base; /* maps [start, end) */
	const uint8_t *heads;
	uint64_t control, start, end;
};

static bool tlsf_lane_begin(void *ctx, uint64_t b, struct hw_free_bucket *bk, uint64_t *first)
{
	const struct tlsf_lanes *c = ctx;

	bk->index = b;
	*first = hw_field(c->heads, (uint32_t)(b * c->l->word), c->l->word);
	return true;
}

static bool tlsf_lane_elem(void *ctx, const struct hw_lane *ln, const struct hw_free_bucket *bk,
			   uint64_t *size, uint64_t *next)
{
	const struct tlsf_lanes *c = ctx;
	const struct hw_tlsf_layout *l = c->l;
	const uint64_t cur = ln->cur;
	const uint8_t *p;
	uint64_t raw;
	uint32_t mfl, msl;

	(void)bk;
	if (cur < c->start || cur >= c->end || c->end - cur < l->hdr_size)
		return false;
	p = c->base + (cur - c->start);
	raw = hw_field(p, l->h_size, l->word);
	*size = raw & ~(uint64_t)3;
	*next = hw_field(p, l->h_next_free, l->word);
	if (!(raw & FREE_BIT) ||
	    hw_field(p, l->h_prev_free, l->word) != (ln->prev ? ln->prev : c->control))
		return false;
	hw_tlsf_mapping(l, *size, &mfl, &msl);
	return (uint64_t)mfl * l->sl_count + msl == ln->b && mfl < l->fl_count && msl < l->sl_count;
}

static uint64_t tlsf_lane_end(void *ctx, uint64_t b)
{
	(void)b;
	return ((const struct tlsf_lanes *)ctx)->control;
}

static const uint8_t *tlsf_lane_where(void *ctx, uint64_t addr)
{
	const struct tlsf_lanes *c = ctx;

	return addr >= c->start && addr < c->end ? c->base + (addr - c->start) : NULL;
}

static const struct hw_lanes_ops tlsf_lanes_ops = {.begin = tlsf_lane_begin,
						   .elem = tlsf_lane_elem,
						   .end_of = tlsf_lane_end,
						   .where = tlsf_lane_where};

/*
 * The fast pass's results (*res, *ok, and with @o->elem_sum *sums: calloc'd,
 * @nheads entries) when it can run: no element visitor, the pool in one
 * mapped piece. A list that passes every test of the loop in
 * hw_tlsf_walk_free_opts passes check's (deep) ones too: deep only goes
 * on past what fails.
 */
static void tlsf_fast_lists(const struct hw_target *t, const struct hw_tlsf_layout *l,
			    const struct hw_heap_header *h, const struct hw_walk_opts *o,
			    const uint8_t *heads, size_t nheads, uint64_t start, uint64_t end,
			    struct hw_free_bucket **res, bool **ok, struct hw_addr_sum **sums)
{
	struct tlsf_lanes c = {
	    .l = l, .heads = heads, .control = h->block, .start = start, .end = end};

	*res = NULL;
	*ok = NULL;
	*sums = NULL;
	if (!hw_lanes_may(o) || !nheads || l->h_size + l->word > l->hdr_size ||
	    l->h_next_free + l->word > l->hdr_size || l->h_prev_free + l->word > l->hdr_size)
		return;
	c.base = hw_mem_peek(t->mem, start, end - start);
	if (!c.base)
		return;
	*res = calloc(nheads, sizeof(**res));
	*ok = calloc(nheads, sizeof(**ok));
	if (o && o->elem_sum)
		*sums = calloc(nheads, sizeof(**sums));
	if (!*res || !*ok || (o && o->elem_sum && !*sums)) {
		free(*res);
		free(*ok);
		free(*sums);
		*res = NULL;
		*ok = NULL;
		*sums = NULL;
		return;
	}
	/* the tally keeps no element sums */
	if (o && o->tally && !*sums && o->tally->covered == nheads && o->tally->end == h->block) {
		uint64_t *first = malloc(nheads * sizeof(*first));

		long taken = -1;

		if (first) {
			for (size_t b = 0; b < nheads; b++)
				first[b] = hw_field(heads, (uint32_t)(b * l->word), l->word);
			taken = hw_tally_buckets(o->tally, first, NULL, false, *res, *ok);
		}
		if (o->tallied)
			*o->tallied = taken;
		free(first);
	}
	hw_lanes_run(&tlsf_lanes_ops, &c, nheads, block_limit(l, start, end), *res, *ok, *sums);
}

struct hw_error *hw_tlsf_walk_free(const struct hw_target *t, const struct hw_tlsf_layout *l,
				   const struct hw_heap_header *h, hw_bucket_fn fn, void *arg,
				   struct hw_check *ck)
{
	return hw_tlsf_walk_free_opts(t, l, h, NULL, fn, arg, ck);
}

struct hw_error *hw_tlsf_walk_free_opts(const struct hw_target *t, const struct hw_tlsf_layout *l,
					const struct hw_heap_header *h,
					const struct hw_walk_opts *o, hw_bucket_fn fn, void *arg,
					struct hw_check *ck)
{
	const bool deep = o && o->deep;
	const uint32_t w = l->word;
	uint64_t start, end, budget, listed = 0;
	uint32_t fl_bitmap;
	uint32_t *sl_bitmap = NULL;
	uint8_t *heads = NULL;
	size_t nheads = (size_t)l->fl_count * l->sl_count;
	struct hw_free_bucket *res = NULL;
	struct hw_addr_sum *sums = NULL;
	struct hw_walk_opts tmp;
	const struct hw_walk_opts *so = hw_walk_opts_summing(o, &tmp);
	struct hw_error *err;
	bool stop = false, *ok = NULL;

	if (!heap_bounds(l, h, &start, &end, ck))
		return NULL;
	budget = block_limit(l, start, end);
	sl_bitmap = calloc(l->fl_count, sizeof(*sl_bitmap));
	heads = malloc(nheads * w);
	if (!sl_bitmap || !heads) {
		free(sl_bitmap);
		free(heads);
		return hw_error_create(HW_ERR_NOMEM, "out of memory reading the TLSF free lists");
	}
	err = hw_target_read_u32(t, h->block + l->c_fl_bitmap, &fl_bitmap);
	for (uint32_t i = 0; !err && i < l->fl_count; i++)
		err = hw_target_read_u32(t, h->block + l->c_sl_bitmap + 4ull * i, &sl_bitmap[i]);
	if (!err)
		err = hw_mem_read(t->mem, heads, h->block + l->c_blocks, nheads * w);
	if (err) {
		hw_check_add(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX, "free lists: %s",
			     err->message);
		hw_error_destroy(err);
		goto out;
	}
	tlsf_fast_lists(t, l, h, o, heads, nheads, start, end, &res, &ok, &sums);
	for (uint32_t fl = 0; fl < l->fl_count && !stop; fl++) {
		bool fl_set = (fl_bitmap >> fl) & 1;
		if (fl_set != (sl_bitmap[fl] != 0))
			hw_check_add(ck, HW_SEV_ERROR, h->block + l->c_fl_bitmap, HW_NO_INDEX,
				     "first-level bit %u is %d but second-level map %u is 0x%x", fl,
				     fl_set, fl, sl_bitmap[fl]);
		for (uint32_t sl = 0; sl < l->sl_count && !stop; sl++) {
			struct hw_free_bucket bk = {.index = (uint64_t)fl * l->sl_count + sl};
			uint64_t cur = hw_field(heads, (uint32_t)(bk.index * w), w);
			uint64_t prev = h->block; /* &control->block_null */
			bool sl_set = (sl_bitmap[fl] >> sl) & 1;
			struct hw_cycle cyc;
			const uint64_t first = cur;
			bool back_reported = false;

			hw_cycle_init(&cyc);

			if (sl_set != (cur != h->block))
				hw_check_add(ck, HW_SEV_ERROR,
					     h->block + l->c_blocks + bk.index * w, HW_NO_INDEX,
					     "free list [%u][%u] is %s but its bitmap bit is %s",
					     fl, sl, cur != h->block ? "not empty" : "empty",
					     sl_set ? "set" : "clear");
			if (ok && ok[bk.index] && res[bk.index].count <= budget) {
				/* the fast pass followed it to its end: what the loop would find */
				bk = res[bk.index];
				budget -= bk.count;
				cur = h->block;
				if (sums)
					hw_addr_sum_merge(o->elem_sum, &sums[bk.index]);
			}
			while (cur != h->block) {
				uint8_t buf[256];
				const uint8_t *p;
				uint64_t raw, size;
				uint32_t mfl, msl;

				if (deep && hw_cycle_step(&cyc, cur)) {
					char list[48];
					snprintf(list, sizeof(list), "free list [%u][%u]", fl, sl);
					hw_report_cycle(t, ck, list, first, l->h_next_free, w,
							block_limit(l, start, end), cur, bk.count);
					break;
				}
				if (budget == 0) {
					hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
						     "free list [%u][%u] does not end (a cycle?)",
						     fl, sl);
					stop = true;
					break;
				}
				budget--;
				if (cur < start || cur >= end || end - cur < l->hdr_size) {
					/* said where the bad link is: the block before, or the head
					 */
					hw_check_add(ck, HW_SEV_ERROR,
						     prev != h->block
							 ? prev
							 : h->block + l->c_blocks + bk.index * w,
						     HW_NO_INDEX,
						     "free list [%u][%u] links to 0x%" PRIx64
						     ", outside the pool",
						     fl, sl, cur);
					break;
				}
				p = hw_view(t, cur, l->hdr_size, buf, &err);
				if (!p) {
					hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
						     "free list [%u][%u]: %s", fl, sl,
						     err->message);
					hw_error_destroy(err);
					break;
				}
				raw = hw_field(p, l->h_size, w);
				size = raw & ~(uint64_t)3;
				if (so && so->elem)
					so->elem(so->elem_arg, bk.index, cur, size);
				if (!(raw & FREE_BIT))
					hw_check_add(
					    ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
					    "block on free list [%u][%u] is not marked free", fl,
					    sl);
				if (hw_field(p, l->h_prev_free, w) != prev && !back_reported) {
					/* the list is broken here: following it on only echoes
					 * that, but check (deep) follows it on to find a cycle */
					hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
						     "free list [%u][%u]: prev_free 0x%" PRIx64
						     ", expected 0x%" PRIx64,
						     fl, sl, hw_field(p, l->h_prev_free, w), prev);
					if (!deep)
						break;
					back_reported = true;
				}
				hw_tlsf_mapping(l, size, &mfl, &msl);
				if (mfl != fl || msl != sl)
					hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
						     "free block of %" PRIu64
						     " bytes on list [%u][%u], "
						     "it belongs on [%u][%u]",
						     size, fl, sl, mfl, msl);
				if (bk.count == 0)
					bk.first_size = size;
				bk.count++;
				bk.bytes += size;
				prev = cur;
				cur = hw_field(p, l->h_next_free, w);
			}
			bk.no = bk.count; /* TLSF keeps no per-list counter */
			listed += bk.count;
			if (bk.count && fn && !stop && fn(arg, &bk))
				stop = true;
		}
	}
	if (!stop && h->has_ffrags && listed != h->ffrags)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "the free lists hold %" PRIu64 " blocks, the control counts %" PRIu64,
			     listed, h->ffrags);
out:
	free(res);
	free(ok);
	free(sums);
	free(sl_bitmap);
	free(heads);
	return NULL;
}
