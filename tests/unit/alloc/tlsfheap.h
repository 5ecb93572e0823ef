/*
 * tlsfheap.h - builds TLSF pool images in memory for unit tests, for any
 * layout, the way Kamailio's TLSF lays them out: control_t at the start,
 * the first block header one word before the pool, blocks chained by size
 * with free / prev-free bits, a size-0 sentinel, free blocks on the fl/sl
 * lists with their bitmaps, and the counters. Tests then break one thing
 * at a time.
 */
#ifndef TESTS_TLSFHEAP_H
#define TESTS_TLSFHEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "heapimg.h"
#include "heapwalk/layout.h"

/*
 * Blocks are struct heap_frag: sizes multiples of ALIGN_SIZE, the last one
 * stretched to the sentinel; two free blocks must not follow each other.
 */
struct tlsfheap {
	HEAPIMG; /* base: the control; len: the bytes given to the pool */
	struct hw_tlsf_layout l;
	uint64_t nblocks, nfree, used_bytes, sentinel;
};

/* An empty heap for @l (strings: himg_str(&h->img, ...); raw access: himg_put, himg_get). */
void tlsfh_init(struct tlsfheap *h, const struct hw_tlsf_layout *l, uint64_t len);
/* Lay out @n blocks; then himg_target(&h->img), and himg_free(&h->img) at the end. */
void tlsfh_build(struct tlsfheap *h, const struct heap_frag *blocks, size_t n);
/* Header address of block @i. */
uint64_t tlsfh_block_addr(struct tlsfheap *h, size_t i);

#endif
