/*
 * fmheap.h - builds f_malloc heap images in memory for unit tests, for any
 * era and layout, the way Kamailio lays them out: block header, tiled
 * fragments up to the sentinel (<= 4.1: over it to the block's end), free
 * fragments on NULL-terminated bucket lists linked as the era links them,
 * the bitmap and the counters. Tests then break one thing at a time.
 */
#ifndef TESTS_FMHEAP_H
#define TESTS_FMHEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "heapwalk/layout.h"

struct hw_target;

struct fmh_frag {
	uint64_t size; /* payload; the last fragment is stretched to fill the heap */
	bool used;
	uint64_t file, func, mname, line;
};

struct fmheap {
	struct hw_fm_layout l;
	uint64_t base, len; /* block address and fm_block.size */
	uint8_t *buf;
	uint64_t rodata;
	uint8_t *ro;
	uint64_t rolen, roused;
	struct hw_target *t;
	uint64_t nfrags, nfree, used_bytes;
};

void fmh_init(struct fmheap *h, const struct hw_fm_layout *l, uint64_t heap_len);
void fmh_build(struct fmheap *h, const struct fmh_frag *frags, size_t n);
uint64_t fmh_str(struct fmheap *h, const char *s);
void fmh_target(struct fmheap *h);
void fmh_free(struct fmheap *h);

void fmh_put(struct fmheap *h, uint64_t addr, uint64_t v, uint32_t size);
uint64_t fmh_get(struct fmheap *h, uint64_t addr, uint32_t size);
/* Header address of fragment @i. */
uint64_t fmh_frag_addr(struct fmheap *h, size_t i);

#endif
