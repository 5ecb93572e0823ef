/*
 * tally.h - the free lists as a walk sees them.
 *
 * A free fragment's header holds its list links, and a walk reads every
 * header in address order anyway. The tally sums, as the fragments stream
 * past, each free fragment's bucket, size and links: the pairs (fragment,
 * next) and (prev, fragment) as two multisets, and each list's first
 * element. When the two multisets agree, every link forward is matched by
 * the back link of a free fragment of the same bucket; when the firsts
 * agree with the heads, each list starts where its head says. The lists
 * are then paths from their heads, and each bucket holds what the walk
 * counted for it, so stats takes the buckets from the tally instead of
 * following the lists at one cache miss per element.
 *
 * What the multisets cannot tell is a ring of free fragments whose links
 * agree among themselves and that no head reaches: where the bucket keeps
 * a counter, a count that disagrees with it sends that bucket to the list
 * walk; 'check' follows every list. Anything else doubtful (a link to a
 * fragment that is not free, a bucket of the wrong size, a back link that
 * does not match) makes the multisets differ, and then every list is
 * followed as before, with the same findings.
 */
#ifndef HEAPWALK_TALLY_H
#define HEAPWALK_TALLY_H

#include <stdbool.h>
#include <stdint.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/pool.h"

/* What the walk saw of one bucket's free fragments. */
struct hw_tally_bucket {
	uint64_t count, bytes;
	uint64_t firsts;     /* fragments whose back link says they come first */
	uint64_t first_size; /* the size of (the last of) those */
};

struct hw_list_tally {
	/*
	 * The manager's: a free fragment's bucket, UINT64_MAX where the tally
	 * keeps none; sizes up to @linear_max (0: none) go to size >>
	 * @linear_shift without it.
	 */
	uint64_t (*bucket)(const struct hw_layout_head *l, uint64_t size);
	uint64_t linear_max;
	unsigned linear_shift;
	const struct hw_layout_head *l;
	uint64_t end;		   /* the link that ends a list, and a first element's back link */
	uint64_t covered;	   /* buckets [0, covered) are tallied */
	struct hw_tally_bucket *b; /* covered entries (owned) */
	struct hw_addr_sum next, prev, first;
};

/*
 * A tally of pool @p's lists (header @h), empty: false when its manager
 * or layout has none, or there is no memory for it.
 */
bool hw_tally_init(struct hw_list_tally *t, const struct hw_pool *p,
		   const struct hw_heap_header *h);
/* An empty tally like @src (for a piece of a split walk): false without memory. */
bool hw_tally_fork(struct hw_list_tally *t, const struct hw_list_tally *src);
/* @t += @src */
void hw_tally_join(struct hw_list_tally *t, const struct hw_list_tally *src);
void hw_tally_deinit(struct hw_list_tally *t);

/*
 * The link @from -> @to in bucket @b folded into one word, which the
 * multiset mixes twice (struct hw_addr_sum): two links count as one only
 * when their words agree, which needs differences no damage makes by chance.
 */
static inline uint64_t hw_tally_link(uint64_t from, uint64_t to, uint64_t b)
{
	return from * 0x9e3779b97f4a7c15ull + to * 0xc2b2ae3d27d4eb4full +
	       b * 0x165667b19e3779f9ull;
}

/* A fragment the walk stepped over (struct hw_frag.free_prev filled): counted when free. */
static inline void hw_tally_add(struct hw_list_tally *t, const struct hw_frag *f)
{
	struct hw_tally_bucket *tb;
	uint64_t b;

	if (f->used)
		return;
	b = f->size <= t->linear_max ? f->size >> t->linear_shift : t->bucket(t->l, f->size);
	if (b >= t->covered) /* a bucket the list walk follows */
		return;
	tb = &t->b[b];
	tb->count++;
	tb->bytes += f->size;
	if (f->free_link != t->end)
		hw_addr_sum_add(&t->next, hw_tally_link(f->addr, f->free_link, b));
	if (f->free_prev != t->end) {
		hw_addr_sum_add(&t->prev, hw_tally_link(f->free_prev, f->addr, b));
	} else {
		tb->firsts++;
		tb->first_size = f->size;
		hw_addr_sum_add(&t->first, hw_tally_link(t->end, f->addr, b));
	}
}

/*
 * The buckets a complete walk's tally @t accounts for, given the lists'
 * heads (@first: bucket b's first element, @no: its counter, @has_no:
 * whether the manager keeps one): ok[b] and res[b] set for each. Returns
 * how many of them are not empty; -1, and nothing set, when the links do
 * not add up.
 */
long hw_tally_buckets(const struct hw_list_tally *t, const uint64_t *first, const uint64_t *no,
		      bool has_no, struct hw_free_bucket *res, bool *ok);

#endif
