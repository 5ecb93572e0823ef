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

/* The damaged bytes shown, and the tail of the culprit's payload. */
#define HW_DAMAGE_BYTES 48
#define HW_TAIL_BYTES 32

/*
 * A damaged header or trailer explained (check, addr): its bytes as read,
 * and when the bytes from the end of the fragment before it run as text up
 * to the damage, that fragment as the likely culprit of an overrun.
 */
struct hw_overrun {
	bool valid;
	uint64_t at; /* where the bytes shown start */
	uint8_t bytes[HW_DAMAGE_BYTES];
	uint32_t nbytes;
	struct hw_frag_brief culprit; /* valid: the fragment whose payload ran over */
	uint64_t into;		      /* the fragment or damaged range reached (culprit.addr: its
					 own trailer) */
	uint64_t length;	      /* text bytes past the culprit's payload end */
	bool at_least;		      /* the text reaches the next payload: it may run on */
	uint64_t tail_at;	      /* the last ntail bytes of the culprit's payload */
	uint8_t tail[HW_TAIL_BYTES];
	uint32_t ntail;
};

/*
 * A fragment a free list holds twice (or runs round through), or holds
 * while its header says it is in use: what a second free leaves.
 */
struct hw_double_free {
	bool valid;
	bool reused; /* in use again: allocated while a list still held it */
	struct hw_frag_brief frag;
	/* a used fragment whose payload still points into it: the other party (valid if found) */
	struct hw_frag_brief holder;
};

struct hw_location {
	uint64_t addr; /* in: the address asked about */
	/* out */
	enum hw_loc_kind kind;
	enum hw_loc_part part;	   /* HW_LOC_FRAG */
	uint64_t offset;	   /* HW_LOC_FRAG: addr - frag.user (negative parts: header) */
	struct hw_frag_brief frag; /* HW_LOC_FRAG */
	struct hw_frag_brief prev, next; /* the fragments before and after (valid if found) */
	uint64_t gap_from, gap_to;	 /* HW_LOC_GAP */
	struct hw_overrun overrun;	 /* set by hw_explain_overrun */
	struct hw_double_free dfree;	 /* set by check */
};

/*
 * Locate @n addresses (in any order) in the pool, walking it once with
 * resynchronisation. @ck (may be NULL) receives the walk's findings. Only
 * running out of memory or a pool that cannot be walked at all fails.
 */
struct hw_error *hw_locate(const struct hw_target *t, const struct hw_pool *p,
			   const struct hw_heap_header *h, struct hw_location *locs, size_t n,
			   struct hw_check *ck);

/*
 * Explain the damage a finding reports at @at (in @l's fragment header or
 * trailer, or in its damaged range): into l->overrun. The fragment before
 * is named only when the bytes from its payload end are text up to @at.
 * @payload: the header's payload size when the finding is about the trailer
 * of the fragment at @at (its index @index), which is then the culprit if
 * text follows its payload; else 0.
 */
void hw_explain_overrun(const struct hw_target *t, struct hw_location *l, uint64_t at,
			uint64_t index, uint64_t payload);

/*
 * A trailer whose known bytes are damaged by bytes that are no text: @want
 * is what its first @len bytes must hold where @known[i] is set. When the
 * first known byte after the payload is damaged, the fragment is its own
 * culprit, the overrun as long as the last damaged known byte (at_least
 * when the byte after that is not known). Only when l->overrun names no
 * culprit yet.
 */
void hw_explain_trailer(const struct hw_target *t, struct hw_location *l, uint64_t at,
			const uint8_t *want, const uint8_t *known, uint32_t len);

/* The end of the region a pool's fragments tile (block + size for q_malloc, ...). */
uint64_t hw_pool_heap_end(const struct hw_pool *p, const struct hw_heap_header *h);

#endif
