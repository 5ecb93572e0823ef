/*
 * walkcases.h - a synthetic pool of any Kamailio manager (q_malloc,
 * f_malloc, TLSF) and the walker scenarios every manager must pass, written
 * once. A manager is a descriptor (struct wc_mgr: its variants, its builder,
 * its walker); test_qm, test_fm and test_tlsf run the scenarios with theirs
 * (cmocka_unit_test_prestate, the descriptor as the state) next to their
 * manager's own tests, which use the same pool.
 */
#ifndef TESTS_WALKCASES_H
#define TESTS_WALKCASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fmheap.h"
#include "heapimg.h"
#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "qmheap.h"
#include "tlsfheap.h"

#define WC_NFRAGS 40

/* A layout to build: what selects a manager's built-in profile. */
struct wc_variant {
	int era;
	bool debug, stats;	/* stats: f_malloc only */
	uint32_t word, roundto; /* roundto: f_malloc only (0: the era's) */
};

struct wc_pool;
struct wc_mgr;

/* The standard pool: three sites (one from two places), every 4th fragment free. */
struct wc_pool {
	const struct wc_mgr *m;
	union {
		struct qmheap qm;
		struct fmheap fm;
		struct tlsfheap tlsf;
	};
	struct heapimg *img;		/* the image of the heap above */
	const struct hw_layout_head *l; /* its layout */
	struct heap_frag frags[WC_NFRAGS];
	uint64_t nused, nfree, used_bytes; /* as laid out (the stretched last one is free) */
	uint64_t size_off;		   /* the size word in a fragment header */
	uint64_t user_off;		   /* header to payload */
	uint64_t overhead;		   /* span - payload */
};

struct wc_mgr {
	const char *name;
	const struct wc_variant *variants;
	unsigned nvariants;
	/* Profile of variant @v and an empty heap: p->img, p->l and the offsets. */
	void (*init)(struct wc_pool *p, unsigned v);
	/* Payload of the @i-th standard fragment. */
	uint64_t (*frag_size)(const struct wc_pool *p, size_t i);
	/* Lay out p->frags. */
	void (*lay_out)(struct wc_pool *p);
	/* Header address of fragment @i. */
	uint64_t (*frag_addr)(struct wc_pool *p, size_t i);
	/* Its ops: the walks run as heapwalk runs them (no options: the plain hw_<mgr>_walk). */
	const struct hw_allocator *alloc;
	/* Whether bucket @b lists what its index says (and counts it, where it can). */
	bool (*bucket_ok)(const struct wc_pool *p, const struct hw_free_bucket *b);
	bool bucket_bytes; /* the walk sums a bucket's sizes */
	/* Overwrite fragment @a's start pattern with @v; false: the layout has none. */
	bool (*put_check)(struct wc_pool *p, uint64_t a, uint64_t v);
	/* Make the block header implausible. */
	void (*break_header)(struct wc_pool *p);
	/* The manager's own checks on a clean walk. */
	void (*clean_extra)(const struct wc_pool *p, const struct hw_walk_stats *st,
			    const struct hw_heap_header *h);
};

extern const struct wc_mgr wc_qm, wc_fm, wc_tlsf;

/* The variant of @m with @era, @debug and @word (the first one listed); fails the test if none. */
unsigned wc_variant_of(const struct wc_mgr *m, int era, bool debug, uint32_t word);

/* The standard pool of @m's variant @v, with its target; wc_free at the end. */
void wc_make(struct wc_pool *p, const struct wc_mgr *m, unsigned v);
void wc_free(struct wc_pool *p);

/* One walk of a pool: its findings, its figures, and what it saw against what was laid out. */
struct wc_walked {
	struct hw_check ck; /* 50 kept; hw_check_deinit it */
	struct hw_walk_stats st;
	uint64_t n, used, bytes;
	bool in_order;	/* indices in sequence, payload and span where the layout puts them */
	bool states_ok; /* used as laid out */
	bool lines_ok;	/* debug: the line as laid out */
	const struct wc_pool *p;
};

/* One pass over a pool's free lists. */
struct wc_listed {
	struct hw_check ck; /* 50 kept; hw_check_deinit it */
	uint64_t n, elems, bytes;
	bool index_ok;
	const struct wc_pool *p;
};

void wc_walk(const struct wc_pool *p, struct wc_walked *w);
void wc_free_lists(const struct wc_pool *p, struct wc_listed *ls);
/* Whether any finding says @text. */
bool wc_has_message(const struct hw_check *ck, const char *text);

/* The scenarios; the state is the manager (WC_TEST). */
void wc_clean_walk_all_variants(void **state);
void wc_sites(void **state);
void wc_bad_start_pattern(void **state);
void wc_size_past_end(void **state);
void wc_unreadable_middle(void **state);
void wc_bad_header(void **state);
void wc_zeroed_heap(void **state);

#define WC_TEST(scenario, mgr) cmocka_unit_test_prestate(scenario, (void *)(mgr))

#endif
