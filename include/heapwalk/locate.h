/*
 * locate.h - where addresses lie in a pool: the fragment containing each
 * (and which part of it), or the damaged range a resynchronised walk
 * skipped, with the fragments before and after. One streaming walk for any
 * number of addresses; memory proportional to the addresses asked.
 *
 * Used by addr (one address), check (the neighbours of each finding) and
 * refs (where a pointer is stored).
 */
#ifndef HEAPWALK_LOCATE_H
#define HEAPWALK_LOCATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_target;
struct hw_pool;
struct hw_heap_header;
struct hw_check;
struct hw_frag;

/* A fragment as locate keeps it (strings stay target addresses). */
struct hw_frag_brief {
	bool valid;
	bool used;
	uint64_t index, gaps; /* index is relative after a gap (gaps > 0) */
	uint64_t addr, user, size, span;
	uint64_t file, func, line, mname;
};

void hw_frag_brief_set(struct hw_frag_brief *b, const struct hw_frag *f);

enum hw_loc_kind {
	HW_LOC_NONE,	 /* not inside this pool's heap */
	HW_LOC_BLOCK,	 /* in the manager's block header (before the first fragment) */
	HW_LOC_FRAG,	 /* inside a fragment */
	HW_LOC_GAP,	 /* inside a damaged range the walk skipped */
	HW_LOC_UNWALKED, /* inside the heap, past where the walk ended */
};

enum hw_loc_part { HW_PART_HEADER, HW_PART_PAYLOAD, HW_PART_TRAILER };

struct hw_location {
	uint64_t addr; /* in: the address asked about */
	/* out */
	enum hw_loc_kind kind;
	enum hw_loc_part part;	   /* HW_LOC_FRAG */
	uint64_t offset;	   /* HW_LOC_FRAG: addr - frag.user (negative parts: header) */
	struct hw_frag_brief frag; /* HW_LOC_FRAG */
	struct hw_frag_brief prev, next; /* the fragments before and after (valid if found) */
	uint64_t gap_from, gap_to;	 /* HW_LOC_GAP */
};

/*
 * Locate @n addresses (in any order) in the pool, walking it once with
 * resynchronisation. @ck (may be NULL) receives the walk's findings. Only
 * running out of memory or a pool that cannot be walked at all fails.
 */
struct hw_error *hw_locate(const struct hw_target *t, const struct hw_pool *p,
			   const struct hw_heap_header *h, struct hw_location *locs, size_t n,
			   struct hw_check *ck);

/* The end of the region a pool's fragments tile (block + size for q_malloc, ...). */
uint64_t hw_pool_heap_end(const struct hw_pool *p, const struct hw_heap_header *h);

#endif
