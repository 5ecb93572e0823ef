/*
 * qmheap.h - builds q_malloc heap images in memory for unit tests, for any
 * layout, the way Kamailio lays them out: block header, tiled fragments
 * with trailers and check patterns, free fragments in sorted circular
 * bucket lists. Tests then break one thing at a time.
 */
#ifndef TESTS_QMHEAP_H
#define TESTS_QMHEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "heapimg.h"
#include "heapwalk/layout.h"

struct qmheap {
	HEAPIMG; /* base: the block; len: its size (qm->size) */
	struct hw_qm_layout l;
	uint64_t nfrags;
};

/* Allocate an empty image of @heap_len bytes (qmh_build does it when needed). */
void qmh_init(struct qmheap *h, const struct hw_qm_layout *l, uint64_t heap_len);
/* Lay out @n fragments; the last one is stretched to fill the heap (a free remainder). */
void qmh_build(struct qmheap *h, const struct hw_qm_layout *l, const struct heap_frag *frags,
	       size_t n, uint64_t heap_len);
/* Shorthands for himg_str, himg_target and himg_free on &h->img. */
uint64_t qmh_str(struct qmheap *h, const char *s);
void qmh_target(struct qmheap *h);
void qmh_free(struct qmheap *h);

/* Raw access for corrupting, a word at a time (himg_put, himg_get: any size). */
void qmh_put_word(struct qmheap *h, uint64_t addr, uint64_t v);
uint64_t qmh_get_word(struct qmheap *h, uint64_t addr);
/* Header address of fragment @i. */
uint64_t qmh_frag_addr(struct qmheap *h, size_t i);

#endif
