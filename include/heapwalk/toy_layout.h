/*
 * toy_layout.h - a toy allocator that exists only in test binaries
 * (HW_TEST_ALLOCATORS; tests/toy): the proof that a memory manager comes
 * in through the tables alone. Not a Kamailio manager; never installed.
 *
 * The heap: a 64-byte block header, then fragments tiling the rest of the
 * heap exactly, each a 32-byte header and its payload (a multiple of 16
 * bytes). Free fragments are on one singly linked list (no coalescing).
 * tests/toy/fx_toy.c lays such heaps out in a real process. Its walker
 * (walker/alloc/toy.c) is reached through the allocator table only.
 *
 *   block:    magic, size (heap bytes, header included), used, real_used,
 *             max_real_used, free_head, nfree, reserved
 *   fragment: size (payload), state (TOY_USED / TOY_FREE), next_free, reserved
 */
#ifndef HEAPWALK_TOY_LAYOUT_H
#define HEAPWALK_TOY_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "heapwalk/layout.h"

#define HW_TOY_MAGIC 0x31504145594f5448ULL /* "HTOYEAP1" */
#define HW_TOY_USED 0x55534544ULL
#define HW_TOY_FREE 0x46524545ULL

struct hw_toy_layout {
	HW_LAYOUT_HEAD(uint32_t roundto); /* era: always 1 */
	uint32_t block_size, b_magic, b_size, b_used, b_real_used, b_max_real_used, b_free_head,
	    b_nfree;
	uint32_t frag_size, f_size, f_state, f_next_free;
};

/* ---- layout (toy_layout.c) ---- */
const char *hw_toy_era_name(int era);
size_t hw_toy_profiles(struct hw_toy_layout *out, size_t cap);
struct hw_error *hw_toy_profile_by_name(const char *name, struct hw_toy_layout *ret);

#endif
