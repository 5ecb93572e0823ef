/* qm.c - the q_malloc walker: linear fragment walk and free-hash lists. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"
#include "resync.h"
#include "walk.h"

struct hw_error *hw_qm_read_header(const struct hw_target *t, const struct hw_qm_layout *l,
				   uint64_t block, struct hw_heap_header *ret)
{
	const struct hw_block_fields f = HW_KAM_BLOCK_FIELDS(l, b_last_frag_end);
	uint32_t need = l->b_free_hash; /* every counter precedes the hash table */

	if (need == 0 || need > HW_KAM_BLOCK_MAX)
		return hw_error_create(HW_ERR_INVALID_ARG, "q_malloc block header of %u bytes",
				       need);
	return hw_read_block_header(t, block, need, l->word, &f, "qm_block", ret);
}

/* The end of the heap the fragments must tile exactly: block + size. */
static bool heap_bounds(const struct hw_qm_layout *l, const struct hw_heap_header *h,
			uint64_t *start, uint64_t *end, struct hw_check *ck)
{
	uint64_t e;

	if (__builtin_add_overflow(h->block, h->size, &e) || h->first_frag < h->block ||
	    h->first_frag >= e) {
		hw_check_add(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX,
			     "block header is implausible: size %" PRIu64 ", first_frag 0x%" PRIx64,
			     h->size, h->first_frag);
		return false;
	}
	if (h->last_frag_end + l->end_size != e)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "last_frag_end 0x%" PRIx64 " does not end the heap at 0x%" PRIx64,
			     h->last_frag_end, e);
	*start = h->first_frag;
	*end = e;
	return true;
}

/*
 * After a complete walk the block's counters must agree with the fragments.
 * A used delta alone is what Kamailio's qm_realloc shrink bookkeeping left
 * behind before 5.8.8 / 6.0.6 / 6.1.0 (kamailio-memory.md §2.10): say so.
 */
void hw_qm_check_counters(const struct hw_heap_header *h, const struct hw_walk_stats *st,
			  struct hw_check *ck)
{
	if (h->used != st->used_bytes) {
		uint64_t d =
		    h->used > st->used_bytes ? h->used - st->used_bytes : st->used_bytes - h->used;
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "bookkeeping delta: the block counts %" PRIu64 " bytes used, the "
			     "fragments hold %" PRIu64 " (%s%" PRIu64 "); %s",
			     h->used, st->used_bytes, h->used > st->used_bytes ? "+" : "-", d,
			     h->used > st->used_bytes
				 ? "Kamailio before 5.8.8/6.0.6/6.1.0 leaves this after "
				   "shrinking reallocs; not heap damage"
				 : "the counter is lower than the heap");
	}
	hw_check_free_count(h, st, "block", ck);
}

/* Resynchronisation: what a plausible fragment header looks like. */
struct qm_probe {
	struct hw_probe head; /* depth: following headers that must be plausible too */
	const struct hw_target *t;
	const struct hw_qm_layout *l;
	uint64_t block, end;
};

/*
 * A fragment at @a whose size is a non-zero multiple of ROUNDTO inside the
 * heap, whose trailer repeats the size, whose patterns hold (debug builds),
 * whose free link is 0, 1 or inside the block; and so for the @depth
 * fragments after it (or it ends the heap).
 */
static bool qm_plausible_depth(const void *probe, uint64_t a, int depth)
{
	const struct qm_probe *p = probe;
	const struct hw_qm_layout *l = p->l;
	const uint64_t hs = l->frag_size, es = l->end_size, r = l->roundto ? l->roundto : 1;
	uint64_t size, v, e;

	for (;;) {
		if (a >= p->end || p->end - a < hs + es)
			return false;
		if (!hw_resync_word(p->t, a + l->f_size, l->word, &size) || size < r || size % r ||
		    size > p->end - a - hs - es)
			return false;
		e = a + hs + size;
		if (!hw_resync_word(p->t, e + l->e_size, l->word, &v) || v != size)
			return false;
		if (l->debug) {
			if (!hw_resync_word(p->t, a + l->f_check, l->word, &v) ||
			    v != l->st_check ||
			    !hw_resync_word(p->t, e + l->e_check1, l->word, &v) ||
			    v != l->end_check1 ||
			    !hw_resync_word(p->t, e + l->e_check2, l->word, &v) ||
			    v != l->end_check2)
				return false;
		}
		if (!hw_resync_word(p->t, a + l->f_u, l->word, &v) ||
		    (v > 1 && (v < p->block || v >= p->end)))
			return false;
		if (e + es == p->end || depth-- <= 0)
			return true;
		a = e + es;
	}
}

size_t hw_qm_backtrace(const struct hw_target *t, const struct hw_qm_layout *l, uint64_t frag,
		       uint64_t *out, size_t cap)
{
	size_t n = 0, depth = l->bt_depth < cap ? l->bt_depth : cap;

	if (l->f_backtrace == HW_NO_OFF || frag > UINT64_MAX - l->f_backtrace - depth * l->word)
		return 0;
	for (; n < depth; n++) {
		uint64_t v;
		struct hw_error *err =
		    hw_target_read_word(t, frag + l->f_backtrace + n * (uint64_t)l->word, &v);

		if (err) {
			hw_error_destroy(err);
			break;
		}
		if (v == 0)
			break;
		out[n] = v;
	}
	return n;
}

struct hw_error *hw_qm_walk(const struct hw_target *t, const struct hw_qm_layout *l,
			    const struct hw_heap_header *h, hw_frag_fn fn, void *arg,
			    struct hw_check *ck, struct hw_walk_stats *ret)
{
	return hw_qm_walk_opts(t, l, h, NULL, fn, arg, ck, ret);
}

/* The fragment layout in locals: the callback could alias *l, so the compiler would reload it. */
struct qm_offs {
	uint32_t size, u, file, func, mname, line, check, check1, check2, esize;
	uint64_t st, e1, e2; /* the patterns */
};

static inline __attribute__((always_inline)) struct qm_offs qm_offs(const struct hw_qm_layout *l)
{
	return (struct qm_offs){.size = l->f_size,
				.u = l->f_u,
				.file = l->f_file,
				.func = l->f_func,
				.mname = l->f_mname,
				.line = l->f_line,
				.check = l->f_check,
				.check1 = l->e_check1,
				.check2 = l->e_check2,
				.esize = l->e_size,
				.st = l->st_check,
				.e1 = l->end_check1,
				.e2 = l->end_check2};
}

/*
 * A header's size of 0, past the @room left or off the ROUNDTO grid: a
 * finding, and true. Every walk (stats as check) stops there.
 */
static inline __attribute__((always_inline)) bool size_bad(struct hw_check *ck, uint64_t addr,
							   uint64_t i, uint64_t size, uint64_t room,
							   uint64_t roundto, bool pow2)
{
	bool misaligned = roundto > 1 && (pow2 ? size & (roundto - 1) : size % roundto);

	if (__builtin_expect(size - 1 < room && !misaligned, 1))
		return false;
	if (size == 0)
		hw_check_add(ck, HW_SEV_ERROR, addr, i,
			     "fragment size 0 (q_malloc never makes fragments under ROUNDTO)");
	else
		hw_check_add(ck, HW_SEV_ERROR, addr, i, "fragment size %" PRIu64 " %s", size,
			     misaligned ? "is not a multiple of ROUNDTO"
					: "runs past the end of the heap");
	return true;
}

/*
 * Fragment @i at @addr of @size bytes, its header at @hp and its trailer at
 * @ep, into *f; and the findings its own words give: the trailer's size,
 * the patterns (debug builds), a free link of 1. @W is the word size, a
 * constant in walk_inplace.
 */
static inline __attribute__((always_inline)) void
read_frag(const struct qm_offs *o, bool debug, uint32_t hs, uint64_t span0, const uint8_t *hp,
	  const uint8_t *ep, uint64_t i, uint64_t addr, uint64_t size, unsigned W,
	  struct hw_frag *f, struct hw_check *ck)
{
	f->index = i;
	f->addr = addr;
	f->user = addr + hs;
	f->size = size;
	f->free_link = hw_field(hp, o->u, W);
	f->used = f->free_link == 0;
	f->file = hw_field(hp, o->file, W);
	f->func = hw_field(hp, o->func, W);
	f->mname = hw_field(hp, o->mname, W);
	f->line = hw_field(hp, o->line, W);
	f->check = hw_field(hp, o->check, W);
	f->end_check1 = hw_field(ep, o->check1, W);
	f->end_check2 = hw_field(ep, o->check2, W);
	f->end_size = hw_field(ep, o->esize, W);
	f->span = span0 + size;

	if (__builtin_expect(f->end_size != size, 0))
		hw_check_add(ck, HW_SEV_ERROR, addr, i,
			     "trailer size %" PRIu64 ", header size %" PRIu64, f->end_size, size);
	if (debug) {
		if (__builtin_expect(f->check != o->st, 0))
			hw_check_add(ck, HW_SEV_ERROR, addr, i,
				     "start pattern 0x%" PRIx64 ", expected 0x%" PRIx64, f->check,
				     o->st);
		if (__builtin_expect(f->end_check1 != o->e1 || f->end_check2 != o->e2, 0))
			hw_check_add(ck, HW_SEV_ERROR, addr + hs + size, i,
				     "end patterns 0x%" PRIx64 ", 0x%" PRIx64
				     ", expected 0x%" PRIx64 ", 0x%" PRIx64,
				     f->end_check1, f->end_check2, o->e1, o->e2);
	}
	if (__builtin_expect(f->free_link == 1, 0))
		hw_check_add(ck, HW_SEV_WARNING, addr, i,
			     "free link is 1: the core was taken inside a free with join");
}

/*
 * The walk of a heap in one piece of mapped memory at @base (the usual case:
 * a core's PT_LOAD), without resynchronisation: the same steps, checks and
 * findings as the general loop of hw_qm_walk_opts (the unit tests compare
 * the two), with the word size a constant, no per-fragment lookups and no
 * branch on used/free. Returns where the walk stopped.
 */
static inline __attribute__((always_inline)) uint64_t
walk_inplace(const struct hw_qm_layout *l, const uint8_t *base, uint64_t start, uint64_t end,
	     uint64_t limit, uint64_t meet, hw_frag_fn fn, void *arg, struct hw_check *ck,
	     struct hw_walk_stats *st, unsigned W)
{
	const uint32_t hs = l->frag_size, es = l->end_size;
	const struct qm_offs o = qm_offs(l);
	const uint64_t roundto = l->roundto, span0 = (uint64_t)hs + es;
	const bool debug = l->debug, pow2 = roundto && !(roundto & (roundto - 1));
	uint64_t addr = start, pf = start;
	struct hw_frag f;

	memset(&f, 0, sizeof(f));
	for (uint64_t i = 0; addr < end; i++) {
		const uint8_t *hp;
		uint64_t size, used;

		if (__builtin_expect(addr == meet, 0)) {
			st->met = true;
			break;
		}
		if (hw_walk_exceeded(ck, addr, i, limit, "fragments") ||
		    hw_walk_short(ck, addr, end, i, span0))
			break;
		hw_prefetch_ahead(base, start, addr, end, &pf);
		hp = base + (addr - start);
		size = hw_field(hp, o.size, W);
		if (size_bad(ck, addr, i, size, end - addr - span0, roundto, pow2))
			break;
		read_frag(&o, debug, hs, span0, hp, hp + hs + size, i, addr, size, W, &f, ck);
		used = f.used;
		st->frags++;
		st->used_frags += used;
		st->free_frags += 1 - used;
		st->used_bytes += size & (0 - used);
		st->free_bytes += size & (used - 1);
		addr += span0 + size;
		if (fn && fn(arg, &f)) {
			st->stopped = true;
			break;
		}
	}
	return addr;
}

/* Read @len bytes at @addr: in @base's piece when there is one, else through @buf. */
static inline const uint8_t *frag_view(const struct hw_target *t, const uint8_t *base,
				       uint64_t start, uint64_t addr, uint32_t len, uint8_t *buf,
				       struct hw_error **err)
{
	*err = NULL;
	return base ? base + (addr - start) : hw_view(t, addr, len, buf, err);
}

struct hw_error *hw_qm_walk_opts(const struct hw_target *t, const struct hw_qm_layout *l,
				 const struct hw_heap_header *h, const struct hw_walk_opts *o,
				 hw_frag_fn fn, void *arg, struct hw_check *ck,
				 struct hw_walk_stats *ret)
{
	const bool resync = o && o->resync;
	const uint64_t from = o ? o->from : 0, meet = o ? o->meet : 0;
	const uint32_t hs = l->frag_size, es = l->end_size, w = l->word;
	const struct qm_offs offs = qm_offs(l);
	const uint64_t roundto = l->roundto, span0 = (uint64_t)hs + es;
	const bool debug = l->debug, pow2 = roundto && !(roundto & (roundto - 1));
	struct qm_probe probe = {.head = {.at = qm_plausible_depth,
					  .depth = debug ? 1 : 2,
					  .origin = h->first_frag,
					  .step = hw_gcd(roundto ? roundto : 1, span0),
					  .need = hs + es,
					  .what = "q_malloc fragment header"},
				 .t = t,
				 .l = l,
				 .block = h->block};
	uint8_t hbuf[256], ebuf[128];
	struct hw_walk_stats st;
	struct hw_frag f;
	uint64_t addr, end, limit, start, pf;
	const uint8_t *base;
	struct hw_mem_prefault *pfth;

	if (hs > sizeof(hbuf) || es > sizeof(ebuf) || hs == 0 || es == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "q_malloc fragment layout %u+%u bytes",
				       hs, es);
	memset(&st, 0, sizeof(st));
	memset(&f, 0, sizeof(f));
	if ((from || meet) && resync)
		return hw_error_create(HW_ERR_INVALID_ARG, "a split walk cannot resynchronise");
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
	/* Every fragment takes at least hs+es bytes: the walk cannot take more steps. */
	limit = (end - addr) / (hs + es) + 1;
	if (resync)
		limit *= 2; /* a gap and the fragment found after it: two steps */
	probe.end = end;
	/*
	 * A heap that lies in one piece of mapped memory (a core's PT_LOAD) is
	 * read in place, and the lines ahead are prefetched: each step's
	 * address depends on the size just read, so without prefetching the
	 * walk waits for memory once per fragment.
	 */
	base = hw_mem_peek(t->mem, addr, end - addr);
	start = pf = addr;
	if (!from) /* the pieces of a split walk: the first one advises for all */
		hw_mem_advise_sequential(t->mem, addr, end - addr);
	/* pages mapped ahead on another CPU; a split walk's halves keep both busy already */
	pfth = base && !from && !meet ? hw_mem_prefault_start(t->mem, addr, end - addr) : NULL;
	if (base && !resync) {
		addr = w == 8 ? walk_inplace(l, base, start, end, limit, meet, fn, arg, ck, &st, 8)
			      : walk_inplace(l, base, start, end, limit, meet, fn, arg, ck, &st, 4);
		goto done;
	}
	if (from || meet) {
		hw_mem_prefault_stop(pfth);
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "a split walk needs the heap in one piece of memory");
	}

	for (uint64_t i = 0; addr < end; i++) {
		const uint8_t *hp, *ep;
		struct hw_error *err;
		uint64_t size, eaddr;

		if (hw_walk_exceeded(ck, addr, i, limit, "fragments"))
			break;
		if (hw_walk_short(ck, addr, end, i, span0))
			goto damaged;
		if (base)
			hw_prefetch_ahead(base, start, addr, end, &pf);
		hp = frag_view(t, base, start, addr, hs, hbuf, &err);
		if (!hp) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i, "fragment header: %s",
				     err->message);
			hw_error_destroy(err);
			goto damaged;
		}
		size = hw_field(hp, offs.size, w);
		if (size_bad(ck, addr, i, size, end - addr - span0, roundto, pow2))
			goto damaged;
		eaddr = addr + hs + size;
		ep = frag_view(t, base, start, eaddr, es, ebuf, &err);
		if (!ep) {
			hw_check_add(ck, HW_SEV_ERROR, eaddr, i, "fragment trailer: %s",
				     err->message);
			hw_error_destroy(err);
			goto damaged;
		}
		read_frag(&offs, debug, hs, span0, hp, ep, i, addr, size, w, &f, ck);
		f.gaps = st.gaps;
		/* a header whose size the trailer or the pattern doubts: believe it only if it
		 * leads to another plausible header */
		if (resync && (debug ? f.check != offs.st : f.end_size != size) &&
		    eaddr + es != end && !qm_plausible_depth(&probe, eaddr + es, 0))
			goto damaged;

		addr = eaddr + es;
		if (hw_walk_emit(&st, &f, fn, arg))
			break;
		continue;
	damaged:
		if (!hw_walk_resync(t, o, ck, &st, i, &addr, end, &probe.head))
			break;
		pf = addr;
	}
done:
	hw_mem_prefault_stop(pfth);
	st.end = addr;
	st.complete = addr == end && !st.stopped && !st.gaps;
	if (st.complete && !from)
		hw_qm_check_counters(h, &st, ck);
	*ret = st;
	return NULL;
}

/* Scanned for a split point at most this far past the middle. */
#define SPLIT_SCAN (4u << 20)

struct hw_error *hw_qm_split_points(const struct hw_target *t, const struct hw_qm_layout *l,
				    const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				    unsigned *np)
{
	const uint32_t hs = l->frag_size, es = l->end_size;
	struct qm_probe probe = {
	    .head = {qm_plausible_depth, 4}, .t = t, .l = l, .block = h->block};
	struct hw_check scratch;
	uint64_t start, end, step, a, stop, work_end, last = 0;
	bool ok;

	if (hs == 0 || es == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "q_malloc fragment layout %u+%u bytes",
				       hs, es);
	hw_check_init(&scratch, 0);
	ok = heap_bounds(l, h, &start, &end, &scratch);
	hw_check_deinit(&scratch);
	if (!ok || !hw_mem_peek(t->mem, start, end - start))
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "the heap is not in one piece of memory: no split walk");
	probe.end = end;
	if (end - start < 2 * ((uint64_t)hs + es))
		return hw_error_create(HW_ERR_UNSUPPORTED, "heap too small to split");
	/* every header lies at first_frag + a multiple of this */
	step = hw_gcd(l->roundto ? l->roundto : 1, (uint64_t)hs + es);
	/*
	 * Heaps fill from the start and usually end in one big free fragment:
	 * halve the work, not the address range, by leaving that last fragment
	 * (found from its trailer, which ends the heap) out of the middle.
	 */
	work_end = end;
	if (hw_resync_word(t, end - es + l->e_size, l->word, &last) && last < end - start &&
	    end - start - last >= (uint64_t)hs + es) {
		uint64_t lh = end - es - last - hs;
		if (lh > start && (lh - start) % step == 0 && qm_plausible_depth(&probe, lh, 0))
			work_end = lh;
	}
	*np = 0;
	for (unsigned k = 1; k < n; k++) {
		a = hw_split_target(start, work_end, k, n, step, pts, *np);
		stop = a < end && end - a > SPLIT_SCAN ? a + SPLIT_SCAN : end;
		for (; a < stop; a += step) {
			if (a > start && hw_probe_plausible(&probe, a)) {
				pts[(*np)++] = a;
				break;
			}
		}
	}
	if (*np)
		return NULL;
	return hw_error_create(HW_ERR_UNSUPPORTED,
			       "no fragment header found near the middle: no split walk");
}

/* Bucket @b's head (a struct qm_frag_lnk, a sentinel fragment) in the block. */
static inline uint64_t bucket_head(const struct hw_qm_layout *l, uint64_t block, uint64_t b)
{
	return block + l->b_free_hash + b * l->lnk_size;
}

static void report_no_end(struct hw_check *ck, uint64_t head, uint64_t b, uint64_t limit)
{
	hw_check_add(ck, HW_SEV_ERROR, head, HW_NO_INDEX,
		     "free bucket %" PRIu64 " does not end after %" PRIu64 " elements (a cycle?)",
		     b, limit);
}

static void report_unreadable(struct hw_check *ck, uint64_t b, uint64_t a)
{
	hw_check_add(ck, HW_SEV_ERROR, a, HW_NO_INDEX,
		     "free bucket %" PRIu64 ": element 0x%" PRIx64 " cannot be read", b, a);
}

/*
 * One bucket's list, followed one element at a time: every anomaly becomes a
 * finding. Returns false when the bucket head itself cannot be read.
 */
static bool walk_bucket(const struct hw_target *t, const struct hw_qm_layout *l,
			const struct hw_heap_header *h, uint64_t b, uint64_t start, uint64_t end,
			uint64_t limit, struct hw_check *ck, struct hw_free_bucket *bk)
{
	uint64_t head = bucket_head(l, h->block, b);
	uint64_t cur, first;
	struct hw_error *err;
	struct hw_cycle cyc;

	if (!hw_bucket_begin(t, ck, head, l->f_u, l->l_no, b, bk, &cur))
		return false;
	hw_cycle_init(&cyc);
	first = cur;
	while (cur != head) {
		if (bk->count >= limit) {
			report_no_end(ck, head, b, limit);
			break;
		}
		/* a list that loops ends here, whatever size the block claims */
		if (hw_cycle_step(&cyc, cur)) {
			hw_bucket_cycle(t, ck, b, first, l->f_u, l->word, limit, cur, bk->count);
			break;
		}
		if (cur < start || cur >= end) {
			hw_bucket_outside(ck, cur, b, cur);
			break;
		}
		if (bk->count == 0 &&
		    (err = hw_target_read_word(t, cur + l->f_size, &bk->first_size))) {
			hw_bucket_error(ck, cur, b, err);
			break;
		}
		bk->count++;
		err = hw_target_read_word(t, cur + l->f_u, &cur);
		if (err) {
			hw_bucket_error(ck, cur, b, err);
			break;
		}
	}
	hw_check_bucket_count(ck, head, bk);
	return true;
}

/*
 * check's view of one bucket: besides walk_bucket's findings, every element
 * is in the bucket its size hashes to, the bucket is sorted by size, each
 * element's trailer links back to its predecessor and the bucket's tail to
 * the last element, and a cycle is found as soon as it closes. Every
 * readable element goes to @o->elem.
 */
static void deep_bucket(const struct hw_target *t, const struct hw_qm_layout *l,
			const struct hw_heap_header *h, const struct hw_walk_opts *o, uint64_t b,
			uint64_t start, uint64_t end, uint64_t limit, struct hw_check *ck,
			struct hw_free_bucket *bk)
{
	const uint64_t head = bucket_head(l, h->block, b);
	const uint32_t w = l->word;
	uint64_t cur, first, prev = head, prev_size = 0, no = 0, tail;
	bool back_reported = false, sorted_reported = false;
	struct hw_cycle cyc;

	memset(bk, 0, sizeof(*bk));
	bk->index = b;
	if (!hw_resync_word(t, head + l->f_u, w, &cur) ||
	    !hw_resync_word(t, head + l->l_no, w, &no)) {
		hw_check_add(ck, HW_SEV_ERROR, head, HW_NO_INDEX,
			     "free bucket %" PRIu64 ": its head at 0x%" PRIx64 " cannot be read", b,
			     head);
		return;
	}
	bk->no = no;
	hw_cycle_init(&cyc);
	first = cur;
	while (cur != head) {
		uint64_t size, back;

		if (bk->count >= limit) {
			report_no_end(ck, head, b, limit);
			return;
		}
		if (hw_cycle_step(&cyc, cur)) {
			hw_bucket_cycle(t, ck, b, first, l->f_u, w, limit, cur, bk->count);
			return;
		}
		if (cur < start || cur >= end || end - cur < (uint64_t)l->frag_size + l->end_size) {
			hw_bucket_outside(ck, prev, b, cur);
			return;
		}
		if (!hw_resync_word(t, cur + l->f_size, w, &size)) {
			report_unreadable(ck, b, cur);
			return;
		}
		if (o->elem)
			o->elem(o->elem_arg, b, cur, size);
		if (hw_qm_hash(l, size) != b)
			hw_bucket_misplaced(ck, cur, size, b, hw_qm_hash(l, size));
		if (bk->count && size < prev_size && !sorted_reported) {
			hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
				     "free bucket %" PRIu64 " is not sorted by size (%" PRIu64
				     " after %" PRIu64 ")",
				     b, size, prev_size);
			sorted_reported = true;
		}
		if (size <= end - cur - l->frag_size - l->end_size &&
		    hw_resync_word(t, cur + l->frag_size + size + l->e_prev_free, w, &back) &&
		    back != prev && !back_reported) {
			hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
				     "free bucket %" PRIu64 ": prev_free 0x%" PRIx64
				     ", expected 0x%" PRIx64 " (the element before it)",
				     b, back, prev);
			back_reported = true;
		}
		if (bk->count == 0)
			bk->first_size = size;
		bk->count++;
		bk->bytes += size;
		prev = cur;
		prev_size = size;
		if (!hw_resync_word(t, cur + l->f_u, w, &cur)) {
			report_unreadable(ck, b, prev);
			return;
		}
	}
	/* the sentinel's trailer follows its header: tail.prev_free is the last element */
	if (hw_resync_word(t, head + l->frag_size + l->e_prev_free, w, &tail) && tail != prev)
		hw_check_add(ck, HW_SEV_ERROR, head, HW_NO_INDEX,
			     "free bucket %" PRIu64 ": the tail links back to 0x%" PRIx64
			     ", the last element is 0x%" PRIx64,
			     b, tail, prev);
	hw_check_bucket_count(ck, head, bk);
}

/* Lists followed side by side in the fast pass (more were no faster on the bench machine). */
#define LANES 16

/* A word of the heap in one piece of memory (see struct lanes), or false past its ends. */
static inline bool heap_word(const uint8_t *base, uint64_t start, uint64_t end, uint64_t addr,
			     uint32_t off, uint32_t w, uint64_t *ret)
{
	if (addr < start || addr >= end || off > end - addr || w > end - addr - off)
		return false;
	*ret = hw_field(base + (addr - start), off, w);
	return true;
}

/*
 * The fast pass over every bucket: when the block and the heap lie in one
 * piece of mapped memory, LANES lists are followed side by side so their
 * cache misses overlap (a list element is anywhere in the heap). A bucket
 * whose list is intact gets its result in res[b] and ok[b] set; anything
 * unusual is left to walk_bucket, which says what is wrong.
 */
struct lane {
	uint64_t b, head, cur;
	bool busy;
	struct hw_cycle cyc; /* a list that loops ends the lane at once */
};

struct lanes {
	const struct hw_target *t;
	const struct hw_qm_layout *l;
	struct hw_heap_header h;
	uint64_t start, end, limit;
	const uint8_t *base; /* maps [h.block, end): the block header and the fragments */
	struct lane lane[LANES];
	uint64_t next, active;
	unsigned turn;
	struct hw_free_bucket *res;
	bool *ok;
};

static bool lanes_done(const struct lanes *fl)
{
	return !fl->active && fl->next >= fl->l->hash_size;
}

/* Refill @ln with the next bucket if it is idle, then follow one element of its list. */
static void lane_step(struct lanes *fl, struct lane *ln)
{
	const struct hw_qm_layout *l = fl->l;
	const uint64_t block = fl->h.block, end = fl->end;
	const uint32_t w = l->word;
	struct hw_free_bucket *bk;
	uint64_t v;

	while (!ln->busy && fl->next < l->hash_size) {
		uint64_t b = fl->next++;
		ln->head = bucket_head(l, block, b);
		bk = &fl->res[b];
		bk->index = b;
		if (!heap_word(fl->base, block, end, ln->head, l->f_u, w, &ln->cur) ||
		    !heap_word(fl->base, block, end, ln->head, l->l_no, w, &bk->no))
			continue;
		if (ln->cur == ln->head) {
			fl->ok[b] = bk->no == 0;
			continue;
		}
		ln->b = b;
		ln->busy = true;
		hw_cycle_init(&ln->cyc);
		fl->active++;
	}
	if (!ln->busy)
		return;
	bk = &fl->res[ln->b];
	/* one step of this lane's list; any doubt ends the lane for walk_bucket */
	if (bk->count >= fl->limit || hw_cycle_step(&ln->cyc, ln->cur) || ln->cur < fl->start ||
	    ln->cur >= end ||
	    (bk->count == 0 &&
	     !heap_word(fl->base, block, end, ln->cur, l->f_size, w, &bk->first_size)) ||
	    !heap_word(fl->base, block, end, ln->cur, l->f_u, w, &v)) {
		ln->busy = false;
		fl->active--;
		return;
	}
	bk->count++;
	ln->cur = v;
	if (v == ln->head) {
		fl->ok[ln->b] = bk->count == bk->no;
		ln->busy = false;
		fl->active--;
	} else if (v >= block && v < end) {
		__builtin_prefetch(fl->base + (v - block));
	}
}

static void lanes_run(struct lanes *fl)
{
	while (!lanes_done(fl))
		for (int i = 0; i < LANES; i++)
			lane_step(fl, &fl->lane[i]);
}

/* Set up the pass; false when the block and heap are not one piece of memory. */
static bool lanes_init(struct lanes *fl, const struct hw_target *t, const struct hw_qm_layout *l,
		       const struct hw_heap_header *h, uint64_t start, uint64_t end, uint64_t limit,
		       struct hw_free_bucket *res, bool *ok)
{
	memset(fl, 0, sizeof(*fl));
	fl->t = t;
	fl->l = l;
	fl->h = *h;
	fl->start = start;
	fl->end = end;
	fl->limit = limit;
	fl->res = res;
	fl->ok = ok;
	fl->base = hw_mem_peek(t->mem, h->block, end - h->block);
	return fl->base != NULL;
}

/* The buckets in order, as a plain walk reports them and their findings. */
static void lanes_report(struct lanes *fl, hw_bucket_fn fn, void *arg, struct hw_check *ck)
{
	for (uint64_t b = 0; b < fl->l->hash_size; b++) {
		struct hw_free_bucket bk = fl->res[b];

		if (!fl->ok[b] &&
		    !walk_bucket(fl->t, fl->l, &fl->h, b, fl->start, fl->end, fl->limit, ck, &bk))
			continue;
		if (bk.count && fn && fn(arg, &bk))
			break;
	}
}

/*
 * check's fast pass (hw_lanes_run): the lists deep_bucket would follow
 * without a finding, several at once, when check only sums their elements
 * (elem_sum, no elem) and the block and heap lie in one mapped piece.
 */
struct qm_deep_lanes {
	const struct hw_qm_layout *l;
	const uint8_t *base; /* maps [block, end) */
	uint64_t block, start, end;
};

/* The sentinel's trailer follows its header: tail.prev_free must be the list's last element. */
static bool qm_tail_is(const struct qm_deep_lanes *c, uint64_t head, uint64_t last)
{
	uint64_t tail;

	return heap_word(c->base, c->block, c->end, head, c->l->frag_size + c->l->e_prev_free,
			 c->l->word, &tail) &&
	       tail == last;
}

static bool qm_deep_begin(void *ctx, uint64_t b, struct hw_free_bucket *bk, uint64_t *first)
{
	const struct qm_deep_lanes *c = ctx;
	const uint64_t head = bucket_head(c->l, c->block, b);

	bk->index = b;
	if (!heap_word(c->base, c->block, c->end, head, c->l->f_u, c->l->word, first) ||
	    !heap_word(c->base, c->block, c->end, head, c->l->l_no, c->l->word, &bk->no))
		return false;
	return *first != head || qm_tail_is(c, head, head);
}

static bool qm_deep_elem(void *ctx, const struct hw_lane *ln, const struct hw_free_bucket *bk,
			 uint64_t *size, uint64_t *next)
{
	const struct qm_deep_lanes *c = ctx;
	const struct hw_qm_layout *l = c->l;
	const uint64_t cur = ln->cur, head = bucket_head(l, c->block, ln->b);
	const uint64_t span0 = (uint64_t)l->frag_size + l->end_size;
	uint64_t back;

	if (cur < c->start || cur >= c->end || c->end - cur < span0 ||
	    !heap_word(c->base, c->block, c->end, cur, l->f_size, l->word, size) ||
	    hw_qm_hash(l, *size) != ln->b || (bk->count && *size < ln->prev_size) ||
	    *size > c->end - cur - span0 ||
	    !heap_word(c->base, c->block, c->end, cur + l->frag_size + *size, l->e_prev_free,
		       l->word, &back) ||
	    back != (bk->count ? ln->prev : head) ||
	    !heap_word(c->base, c->block, c->end, cur, l->f_u, l->word, next))
		return false;
	return *next != head || qm_tail_is(c, head, cur);
}

static uint64_t qm_deep_end(void *ctx, uint64_t b)
{
	const struct qm_deep_lanes *c = ctx;

	return bucket_head(c->l, c->block, b);
}

static const uint8_t *qm_deep_where(void *ctx, uint64_t addr)
{
	const struct qm_deep_lanes *c = ctx;

	return addr >= c->start && addr < c->end ? c->base + (addr - c->block) : NULL;
}

static const struct hw_lanes_ops qm_deep_ops = {
    .begin = qm_deep_begin, .elem = qm_deep_elem, .end_of = qm_deep_end, .where = qm_deep_where};

static struct hw_error *deep_walk_free(const struct hw_target *t, const struct hw_qm_layout *l,
				       const struct hw_heap_header *h, const struct hw_walk_opts *o,
				       hw_bucket_fn fn, void *arg, struct hw_check *ck)
{
	struct qm_deep_lanes c = {.l = l, .block = h->block};
	struct hw_free_bucket *res = NULL;
	struct hw_addr_sum *sums = NULL;
	struct hw_walk_opts tmp;
	const struct hw_walk_opts *so = hw_walk_opts_summing(o, &tmp);
	uint64_t start, end, limit, sum_no = 0;
	bool *ok = NULL, stopped = false;

	if (!heap_bounds(l, h, &start, &end, ck))
		return NULL;
	limit = (end - start) / ((uint64_t)l->frag_size + l->end_size) + 1;
	c.start = start;
	c.end = end;
	if (hw_lanes_may(o) && o && o->elem_sum &&
	    (c.base = hw_mem_peek(t->mem, h->block, end - h->block))) {
		res = calloc(l->hash_size ? l->hash_size : 1, sizeof(*res));
		ok = calloc(l->hash_size ? l->hash_size : 1, sizeof(*ok));
		sums = calloc(l->hash_size ? l->hash_size : 1, sizeof(*sums));
		if (res && ok && sums)
			hw_lanes_run(&qm_deep_ops, &c, l->hash_size, limit, res, ok, sums);
	}
	for (uint64_t b = 0; b < l->hash_size; b++) {
		struct hw_free_bucket bk;

		if (res && ok && sums && ok[b]) {
			/* followed to its end without a doubt: what deep_bucket would find */
			bk = res[b];
			hw_addr_sum_merge(o->elem_sum, &sums[b]);
			hw_check_bucket_count(ck, bucket_head(l, h->block, b), &bk);
		} else {
			deep_bucket(t, l, h, so, b, start, end, limit, ck, &bk);
		}
		sum_no += bk.no;
		if (bk.count && fn && fn(arg, &bk)) {
			stopped = true;
			break;
		}
	}
	if (!stopped)
		hw_check_bucket_sum(h, sum_no, ck);
	free(res);
	free(ok);
	free(sums);
	return NULL;
}

struct hw_error *hw_qm_walk_free_opts(const struct hw_target *t, const struct hw_qm_layout *l,
				      const struct hw_heap_header *h, const struct hw_walk_opts *o,
				      hw_bucket_fn fn, void *arg, struct hw_check *ck)
{
	if (o && (o->deep || o->elem || o->elem_sum))
		return deep_walk_free(t, l, h, o, fn, arg, ck);
	return hw_qm_walk_free(t, l, h, fn, arg, ck);
}

struct hw_error *hw_qm_walk_free(const struct hw_target *t, const struct hw_qm_layout *l,
				 const struct hw_heap_header *h, hw_bucket_fn fn, void *arg,
				 struct hw_check *ck)
{
	uint64_t start, end, limit;
	struct hw_free_bucket *res;
	bool *ok;

	if (!heap_bounds(l, h, &start, &end, ck))
		return NULL;
	limit = (end - start) / ((uint64_t)l->frag_size + l->end_size) + 1;
	res = calloc(l->hash_size ? l->hash_size : 1, sizeof(*res));
	ok = calloc(l->hash_size ? l->hash_size : 1, sizeof(*ok));
	if (!res || !ok) {
		free(res);
		free(ok);
		return hw_error_nomem();
	}
	{
		struct lanes fl;

		if (lanes_init(&fl, t, l, h, start, end, limit, res, ok))
			lanes_run(&fl);
		lanes_report(&fl, fn, arg, ck);
	}
	free(res);
	free(ok);
	return NULL;
}
