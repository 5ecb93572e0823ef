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

#include "heapimg.h"
#include "heapwalk/layout.h"

struct fmheap {
	HEAPIMG; /* base: the block; len: fm_block.size */
	struct hw_fm_layout l;
	uint64_t nfrags, nfree, used_bytes;
};

/* An empty heap for @l (strings: himg_str(&h->img, ...); raw access: himg_put, himg_get). */
void fmh_init(struct fmheap *h, const struct hw_fm_layout *l, uint64_t heap_len);
/* Lay out @n fragments; then himg_target(&h->img), and himg_free(&h->img) at the end. */
void fmh_build(struct fmheap *h, const struct heap_frag *frags, size_t n);
/* Header address of fragment @i. */
uint64_t fmh_frag_addr(struct fmheap *h, size_t i);

#endif
