/*
 * frag.h - fragmentation figures of one pool, from one walk: how the free
 * memory is cut up (free fragments per power-of-two size class), the
 * largest free fragment (so whether a request of N bytes would be served),
 * and the runs of adjacent free fragments that joining on free (Kamailio's
 * core parameter mem_join=1) would have merged.
 *
 * Fed with every fragment in address order (a walk callback); no memory
 * beyond the struct. Not here: verdicts (diagnose.h).
 */
#ifndef HEAPWALK_FRAG_H
#define HEAPWALK_FRAG_H

#include <stdbool.h>
#include <stdint.h>

struct hw_frag;

/* Size class k holds free fragments of [2^k, 2^(k+1)) bytes (class 0 also holds 0). */
#define HW_FRAG_CLASSES 48

struct hw_frag_stats {
	uint64_t free_frags, free_bytes, used_frags;
	uint64_t largest_free;	    /* payload bytes of the largest free fragment */
	uint64_t largest_free_addr; /* its payload address */
	uint64_t class_count[HW_FRAG_CLASSES];
	uint64_t class_bytes[HW_FRAG_CLASSES];
	/* runs of 2 or more adjacent free fragments */
	uint64_t join_runs, join_frags;
	uint64_t join_largest; /* payload of the largest fragment a join would make */
	uint64_t join_gain;    /* bytes of headers a join would give back */
	/* walk state */
	bool prev_free;
	uint64_t prev_index, run_first_user, run_frags, run_end;
	/*
	 * The second half of a split walk (hw_frag_stats_init_half): a run of
	 * free fragments it starts with may continue the first half's last
	 * run, so it is kept here instead of counted (head_open: still going).
	 */
	bool half, head_open;
	uint64_t head_first_user, head_frags, head_end;
};

void hw_frag_stats_init(struct hw_frag_stats *fs);
/* Count one fragment; fragments must come in walk (address) order. */
void hw_frag_stats_add(struct hw_frag_stats *fs, const struct hw_frag *f);
/* For the second half of a split walk (see hw_frag_stats_join). */
void hw_frag_stats_init_half(struct hw_frag_stats *fs);
/*
 * @a += @b: @b counted the fragments right after @a's last one (the halves
 * of a split walk, neither finished). The result is what one walk over
 * both would have counted.
 */
void hw_frag_stats_join(struct hw_frag_stats *a, const struct hw_frag_stats *b);
/* Close the last run; call once after the walk. */
void hw_frag_stats_finish(struct hw_frag_stats *fs);

/* @size rounded up to a multiple of @roundto (0 or 1: unchanged), saturating. */
uint64_t hw_frag_round(uint64_t size, uint64_t roundto);
/* Whether one free fragment could serve a request of @size bytes (rounded to @roundto). */
bool hw_frag_fits(const struct hw_frag_stats *fs, uint64_t size, uint64_t roundto);
/*
 * 1 - largest_free / free_bytes: 0 when all free memory is one fragment,
 * near 1 when it is scattered in small pieces; 0 when nothing is free.
 */
double hw_frag_index(const struct hw_frag_stats *fs);
/* Lower bound of size class @k. */
uint64_t hw_frag_class_min(unsigned k);

struct hw_pool;
/* The request rounding of the pool's manager (ROUNDTO / ALIGN_SIZE), 1 if unknown. */
uint64_t hw_frag_pool_roundto(const struct hw_pool *p);

#endif
