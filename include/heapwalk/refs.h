/*
 * refs.h - conservative pointer scans of a target: every aligned word of the
 * memory the core saved (the pools, data and bss of the executable and its
 * modules, stacks, other anonymous memory) whose value falls in a range.
 *
 * What it is not: a reachability analysis. A word counts when its value
 * points into the range, whatever the program meant by it (an integer that
 * looks like a pointer, a stale copy). Registers are not scanned, and a
 * core holds one process's private memory only: another process's pkg
 * pool, which may point into shm, is not here.
 *
 * Pools are scanned fragment by fragment (a streaming walk with
 * resynchronisation), so that each word is attributed to its fragment.
 */
#ifndef HEAPWALK_REFS_H
#define HEAPWALK_REFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_target;
struct hw_pool;
struct hw_heap_header;
struct hw_frag;

struct hw_refs_pool {
	const struct hw_pool *pool;
	const struct hw_heap_header *hdr;
};

enum hw_ref_kind {
	HW_REF_USED,   /* in the payload of a used fragment */
	HW_REF_FREE,   /* in a free fragment (stale data, or its free-list links) */
	HW_REF_HEADER, /* in a used fragment's header or trailer */
	HW_REF_META,   /* in a pool's block header (free-list heads) or a damaged range */
	HW_REF_OTHER,  /* outside the pools: data, bss, stacks, other mappings */
};

struct hw_ref_src {
	enum hw_ref_kind kind;
	int pool;		    /* index into the pools given, -1 for HW_REF_OTHER */
	const struct hw_frag *frag; /* the fragment holding the word (USED, FREE, HEADER) */
};

/* One word at @at with value @v in [lo, hi); return non-zero to stop the scan. */
typedef int (*hw_ref_fn)(void *arg, uint64_t at, uint64_t v, const struct hw_ref_src *src);

struct hw_refs_opts {
	uint64_t lo, hi;	/* values looked for */
	bool used_payload_only; /* in the pools, scan only used fragments' payloads (leaks) */
};

/*
 * Scan the target. Every readable word is looked at once. Only a pool that
 * cannot be walked at all fails (nomem); damage is skipped over.
 */
struct hw_error *hw_refs_scan(const struct hw_target *t, const struct hw_refs_pool *pools,
			      size_t npools, const struct hw_refs_opts *o, hw_ref_fn fn, void *arg);

#endif
