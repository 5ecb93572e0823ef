/*
 * walk.h - internal to walker/alloc: what the three walkers share to read
 * headers and fragments, count what they walk and word their findings
 * about free lists. Not a public interface.
 */
#ifndef HEAPWALK_ALLOC_WALK_H
#define HEAPWALK_ALLOC_WALK_H

#include <endian.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"
#include "resync.h"

/*
 * Little-endian value of @w (4 or 8) bytes at @p + @off; 0 for an absent
 * field. Always inlined: where @w is a constant each read is one load.
 */
static inline __attribute__((always_inline)) uint64_t hw_field(const uint8_t *p, uint32_t off,
							       uint32_t w)
{
	if (off == HW_NO_OFF)
		return 0;
	if (w == 8) {
		uint64_t v;
		memcpy(&v, p + off, 8);
		return le64toh(v);
	} else {
		uint32_t v;
		memcpy(&v, p + off, 4);
		return le32toh(v);
	}
}

/* Read @len bytes of the target at @addr, through @buf when not directly visible. */
static inline const uint8_t *hw_view(const struct hw_target *t, uint64_t addr, uint32_t len,
				     uint8_t *buf, struct hw_error **err)
{
	const uint8_t *p = hw_mem_peek(t->mem, addr, len);

	*err = NULL;
	if (p)
		return p;
	*err = hw_mem_read(t->mem, buf, addr, len);
	return *err ? NULL : buf;
}

/*
 * Where the scan for split point @k of @n begins: k/n of the work
 * [start, work_end), on the @step grid, and never at or before the point
 * found last (@pts[*np - 1]): the points rise strictly.
 */
static inline uint64_t hw_split_target(uint64_t start, uint64_t work_end, unsigned k, unsigned n,
				       uint64_t step, const uint64_t *pts, unsigned np)
{
	uint64_t a = start + (work_end - start) / n * k / step * step;

	if (np && a <= pts[np - 1])
		a = pts[np - 1] + step;
	return a;
}

/* How far ahead of a walk memory is prefetched (bytes; a few fragments). */
#define HW_PREFETCH_AHEAD 2048

/*
 * A walk over one piece of mapped memory at @base (@start's address):
 * the memory ahead of @addr prefetched up to HW_PREFETCH_AHEAD; *pf: how
 * far it is. Each step's address depends on the size just read, so
 * without this a walk waits for memory once per fragment.
 */
static inline __attribute__((always_inline)) void
hw_prefetch_ahead(const uint8_t *base, uint64_t start, uint64_t addr, uint64_t end, uint64_t *pf)
{
	uint64_t ahead = end - addr > HW_PREFETCH_AHEAD ? addr + HW_PREFETCH_AHEAD : end;

	for (; *pf < ahead; *pf += 64)
		__builtin_prefetch(base + (*pf - start));
}

/* The walk's step bound: once step @i reaches @limit, a finding and true. @what: "fragments". */
static inline bool hw_walk_exceeded(struct hw_check *ck, uint64_t addr, uint64_t i, uint64_t limit,
				    const char *what)
{
	if (__builtin_expect(i < limit, 1))
		return false;
	hw_check_add(ck, HW_SEV_ERROR, addr, i, "walk exceeded %" PRIu64 " %s", limit, what);
	return true;
}

/* Fewer than @need bytes left before @end for a fragment at @addr: a finding and true. */
static inline bool hw_walk_short(struct hw_check *ck, uint64_t addr, uint64_t end, uint64_t i,
				 uint64_t need)
{
	if (__builtin_expect(end - addr >= need, 1))
		return false;
	hw_check_add(ck, HW_SEV_ERROR, addr, i,
		     "%" PRIu64 " bytes left at the heap end, too few for a fragment", end - addr);
	return true;
}

/*
 * A fragment (or block) walked: counted in the stats and handed to @fn.
 * True when @fn asks to stop (st->stopped is set).
 */
static inline bool hw_walk_emit(struct hw_walk_stats *st, const struct hw_frag *f, hw_frag_fn fn,
				void *arg)
{
	st->frags++;
	if (f->used) {
		st->used_frags++;
		st->used_bytes += f->size;
	} else {
		st->free_frags++;
		st->free_bytes += f->size;
	}
	if (!fn || !fn(arg, f))
		return false;
	st->stopped = true;
	return true;
}

/* Greatest common divisor; 1 when both are 0 (a step is never 0). */
uint64_t hw_gcd(uint64_t a, uint64_t b);

/*
 * Where a block (control) header keeps what struct hw_heap_header holds,
 * HW_NO_OFF for what it does not; a 4-byte type, the rest words.
 */
struct hw_block_fields {
	uint32_t type, size, used, real_used, max_real_used, ffrags, max_frags, first_frag,
	    last_frag_end;
};

/*
 * A q_malloc or f_malloc layout @l's block fields (their members share
 * names; a function could not take both layouts), @last its
 * last-fragment member. The counters lie in the first HW_KAM_BLOCK_MAX
 * bytes of either block.
 */
#define HW_KAM_BLOCK_FIELDS(l, last)                                                               \
	{                                                                                          \
		.type = (l)->b_type, .size = (l)->b_size, .used = (l)->b_used,                     \
		.real_used = (l)->b_real_used, .max_real_used = (l)->b_max_real_used,              \
		.ffrags = (l)->b_ffrags, .max_frags = HW_NO_OFF, .first_frag = (l)->b_first_frag,  \
		.last_frag_end = (l)->last,                                                        \
	}
#define HW_KAM_BLOCK_MAX 128

/*
 * Read the @need bytes of the block header at @block (at most 256; the
 * caller checks) and fill *ret from @f. @what names the struct in the
 * error ("qm_block").
 */
struct hw_error *hw_read_block_header(const struct hw_target *t, uint64_t block, uint32_t need,
				      uint32_t word, const struct hw_block_fields *f,
				      const char *what, struct hw_heap_header *ret);

/* The counters after a complete walk: @@owner ("block") counts the free fragments (ffrags). */
void hw_check_free_count(const struct hw_heap_header *h, const struct hw_walk_stats *st,
			 const char *owner, struct hw_check *ck);
/*
 * The byte counters after a complete walk: used (what the @owner calls
 * @counter: "allocated") against what the walked @held ("used blocks")
 * hold, real_used against @want, what they account for.
 */
void hw_check_bytes(const struct hw_heap_header *h, const struct hw_walk_stats *st, uint64_t want,
		    const char *owner, const char *counter, const char *held, struct hw_check *ck);

/*
 * Free lists: the list @list ("free bucket 3", "free list [1][2]"), followed from @first over the
 * links at @link_off (words of @w bytes), came round again at @cur after @count elements: find
 * where the cycle closes (within @limit steps) and say so.
 */
void hw_report_cycle(const struct hw_target *t, struct hw_check *ck, const char *list,
		     uint64_t first, uint32_t link_off, uint32_t w, uint64_t limit, uint64_t cur,
		     uint64_t count);

/* hw_report_cycle for q_malloc's and f_malloc's bucket @b. */
void hw_bucket_cycle(const struct hw_target *t, struct hw_check *ck, uint64_t b, uint64_t first,
		     uint32_t link_off, uint32_t w, uint64_t limit, uint64_t cur, uint64_t count);
/* Bucket @b could not be read at @addr: a finding, and @err destroyed. */
void hw_bucket_error(struct hw_check *ck, uint64_t addr, uint64_t b, struct hw_error *err);
/*
 * Start *bk, bucket @b, from its head at @head: its first link (at
 * @first_off) into *first, its counter (at @no_off). False, with a
 * finding, when they cannot be read.
 */
bool hw_bucket_begin(const struct hw_target *t, struct hw_check *ck, uint64_t head,
		     uint32_t first_off, uint32_t no_off, uint64_t b, struct hw_free_bucket *bk,
		     uint64_t *first);
/* Bucket @b links to @cur, outside the heap: said at @at, where the link is. */
void hw_bucket_outside(struct hw_check *ck, uint64_t at, uint64_t b, uint64_t cur);
/* A list element of @size listed in bucket @b, but it hashes to @want. */
void hw_bucket_misplaced(struct hw_check *ck, uint64_t addr, uint64_t size, uint64_t b,
			 uint64_t want);
/* A bucket's counter against the elements on its list (head at @head). */
void hw_check_bucket_count(struct hw_check *ck, uint64_t head, const struct hw_free_bucket *bk);
/* The bucket counters' sum against the block's ffrags. */
void hw_check_bucket_sum(const struct hw_heap_header *h, uint64_t sum_no, struct hw_check *ck);

/*
 * The fast pass over a manager's free lists (f_malloc, TLSF; q_malloc has
 * its own): HW_LANES lists followed side by side, so that their cache
 * misses (a list element lies anywhere in the heap) overlap. Only lists
 * that are intact get a result; anything unusual is left to the manager's
 * own list walk, which says what is wrong.
 */
#define HW_LANES 16

struct hw_lane {
	uint64_t b, cur, prev, prev_size;
	bool busy;
	struct hw_cycle cyc;
};

struct hw_lanes_ops {
	/*
	 * Start bucket @b in *bk (index, counter): its first element into
	 * *first, @none when empty. False: the fast pass leaves this bucket.
	 */
	bool (*begin)(void *ctx, uint64_t b, struct hw_free_bucket *bk, uint64_t *first);
	/*
	 * One element at @ln->cur of bucket @ln->b (after ln->prev, of
	 * ln->prev_size bytes; bk->count elements before it): every test the
	 * manager's list walk makes; its size into *size and its link into
	 * *next. False when anything is doubtful.
	 */
	bool (*elem)(void *ctx, const struct hw_lane *ln, const struct hw_free_bucket *bk,
		     uint64_t *size, uint64_t *next);
	/* what ends a list (0, or the head's own address: see end_of) */
	uint64_t (*end_of)(void *ctx, uint64_t b);
	/* where an element's memory is, to prefetch (NULL: nowhere) */
	const uint8_t *(*where)(void *ctx, uint64_t addr);
};

/*
 * Follow @nb buckets' lists: res[b] and ok[b] (true: intact, bk complete,
 * at most @limit elements). At most @limit steps in all: the lists beyond
 * are left to the manager's own walk. @res and @ok hold @nb entries,
 * zeroed but where ok[b] is set already (a walk's tally): those are kept.
 */
void hw_lanes_run(const struct hw_lanes_ops *ops, void *ctx, uint64_t nb, uint64_t limit,
		  struct hw_free_bucket *res, bool *ok, struct hw_addr_sum *sums);

/* An elem visitor (struct hw_walk_opts) that adds to the struct hw_addr_sum at @arg. */
void hw_elem_sum(void *arg, uint64_t bucket, uint64_t addr, uint64_t size);

/*
 * The options a manager's own list walk runs with: @o, its elem_sum fed
 * by an elem visitor (@tmp holds the copy). NULL stays NULL.
 */
const struct hw_walk_opts *hw_walk_opts_summing(const struct hw_walk_opts *o,
						struct hw_walk_opts *tmp);

/* Whether the fast pass may serve walk_free with @o: no visitor that needs list order. */
static inline bool hw_lanes_may(const struct hw_walk_opts *o)
{
	return !o || !o->elem;
}

#endif
