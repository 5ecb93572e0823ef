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

#include "heapwalk/layout.h"

struct hw_target;

struct tlsfh_block {
	uint64_t size; /* multiple of ALIGN_SIZE; the last block is stretched to the sentinel */
	bool used;     /* two free blocks must not follow each other */
	uint64_t file, func, mname, line;
};

struct tlsfheap {
	struct hw_tlsf_layout l;
	uint64_t base, len; /* control address and the bytes given to the pool */
	uint8_t *buf;
	uint64_t rodata;
	uint8_t *ro;
	uint64_t rolen, roused;
	struct hw_target *t;
	uint64_t nblocks, nfree, used_bytes, sentinel;
};

void tlsfh_init(struct tlsfheap *h, const struct hw_tlsf_layout *l, uint64_t len);
void tlsfh_build(struct tlsfheap *h, const struct tlsfh_block *blocks, size_t n);
uint64_t tlsfh_str(struct tlsfheap *h, const char *s);
void tlsfh_target(struct tlsfheap *h);
void tlsfh_free(struct tlsfheap *h);

void tlsfh_put(struct tlsfheap *h, uint64_t addr, uint64_t v, uint32_t size);
uint64_t tlsfh_get(struct tlsfheap *h, uint64_t addr, uint32_t size);
/* Header address of block @i. */
uint64_t tlsfh_block_addr(struct tlsfheap *h, size_t i);

#endif
