/*
 * heapimg.h - what every synthetic heap builder (qmheap, fmheap, tlsfheap)
 * shares: the heap image at a target address, the string area its debug
 * fragments point into, word access in the target's byte order, and the
 * target over both. HEAPIMG opens each builder's struct, as HW_LAYOUT_HEAD
 * opens a layout: the fields stay reachable by name (h->base, h->t) and
 * &h->img is the image the functions below take.
 */
#ifndef TESTS_HEAPIMG_H
#define TESTS_HEAPIMG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapwalk/layout.h"

struct hw_target;

#define HEAPIMG_FIELDS                                                                             \
	uint64_t base;	 /* target address of the image */                                         \
	uint64_t len;	 /* its size */                                                            \
	uint8_t *buf;	 /* the image */                                                           \
	uint64_t rodata; /* target address of the string area */                                   \
	uint8_t *ro;                                                                               \
	uint64_t rolen, roused;                                                                    \
	struct hw_target *t;                                                                       \
	uint32_t word /* 4 or 8 */

struct heapimg {
	HEAPIMG_FIELDS;
};

#define HEAPIMG                                                                                    \
	union {                                                                                    \
		struct heapimg img;                                                                \
		struct {                                                                           \
			HEAPIMG_FIELDS;                                                            \
		};                                                                                 \
	}

/* A fragment (block) to lay out; the builders stretch the last one to fill the heap. */
struct heap_frag {
	uint64_t size; /* payload, a multiple of the layout's rounding */
	bool used;
	uint64_t file, func, mname, line; /* target addresses of strings (debug) */
};

/*
 * Where an image goes: each manager its own addresses (heapimg.c), so that
 * a test mixing them never sees two heaps overlap.
 */
enum heapimg_place { HEAPIMG_QM, HEAPIMG_FM, HEAPIMG_TLSF };

/* An empty image of @len bytes at @place's address for @word, and an empty string area. */
void himg_init(struct heapimg *m, enum heapimg_place place, uint32_t word, uint64_t len);
/* Put a string in the string area; returns its target address. */
uint64_t himg_str(struct heapimg *m, const char *s);
/* Create the target over the image and the string area. */
void himg_target(struct heapimg *m);
/* Make the image unreadable from @from on, as a core that did not save it. */
void himg_cut(struct heapimg *m, uint64_t from);
void himg_free(struct heapimg *m);

/* @size bytes at @addr (little endian, inside the image). */
void himg_put(struct heapimg *m, uint64_t addr, uint64_t v, uint32_t size);
uint64_t himg_get(const struct heapimg *m, uint64_t addr, uint32_t size);
/* A word into the field at @off of the header at @addr, unless the layout has none (HW_NO_OFF). */
void himg_put_field(struct heapimg *m, uint64_t addr, uint32_t off, uint64_t v);
/*
 * Header address of the @i-th of the headers tiled from @first: each next
 * one @overhead bytes plus its size word (at @size_off, under @size_mask)
 * after the last.
 */
uint64_t himg_nth(const struct heapimg *m, uint64_t first, uint32_t size_off, uint64_t size_mask,
		  uint64_t overhead, size_t i);

#endif
