/*
 * walkimage.h - the input format of the walker harness, shared with the
 * seed generator: byte 0 picks the manager, byte 1 its built-in profile,
 * byte 2 options, the rest is the heap image at hw_fuzz_base() of byte 0's
 * manager (with HW_FUZZ_FORCE walked as another manager or profile, as
 * --manager and --layout force one). The q_malloc and f_malloc profiles
 * get a small free-hash table (optimize = 8 ROUNDTO) so that images stay
 * a few KiB; the walkers take every size from the layout, so this is still
 * a layout they must handle.
 */
#ifndef HEAPWALK_FUZZ_WALKIMAGE_H
#define HEAPWALK_FUZZ_WALKIMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "heapwalk/layout.h"

/* where the image lies, per manager (0 qm, 1 fm, 2 tlsf): as the unit tests' builders put it */
static inline uint64_t hw_fuzz_base(unsigned mgr, uint32_t word)
{
	return (word == 8 ? 0x7f0000100000ull : 0x40100000ull) + (uint64_t)mgr * 0x100000ull +
	       (mgr == 2 ? 0x100000ull : 0);
}
#define HW_FUZZ_HDR 3

/* byte 2 */
#define HW_FUZZ_FIX_HEADER 1u /* set size / first / last from the image's length */
#define HW_FUZZ_DEEP 2u	      /* deep free-list checks */
#define HW_FUZZ_CONTENT 4u    /* also locate and classify */
#define HW_FUZZ_FORCE 8u      /* walk with the manager hw_fuzz_forced() names, profile byte 1 */

/* A forced walker: another manager than the image's (byte 0 % 3) when byte 0 / 3 says so. */
static inline unsigned hw_fuzz_forced(uint8_t byte0)
{
	return (byte0 / 3u) % 3u;
}

static inline uint32_t hw_fuzz_ilog2(uint64_t v)
{
	uint32_t r = 0;
	while (v >>= 1)
		r++;
	return r;
}

static inline void hw_fuzz_small_qm(struct hw_qm_layout *l)
{
	l->optimize = 8 * l->roundto;
	l->optimize_factor = hw_fuzz_ilog2(l->optimize);
	l->hash_size = l->optimize / l->roundto + 8 * l->word - l->optimize_factor + 1;
	l->block_size = l->b_free_hash + l->hash_size * l->lnk_size;
	l->first_off = (l->block_size + l->roundto - 1) / l->roundto * l->roundto;
}

static inline void hw_fuzz_small_fm(struct hw_fm_layout *l)
{
	l->optimize = 8 * l->roundto;
	l->optimize_factor = hw_fuzz_ilog2(l->optimize);
	l->hash_size = l->optimize / l->roundto + 8 * l->word - l->optimize_factor + 1;
	if (l->bitmap_words) {
		l->bitmap_words = (l->hash_size + 8 * l->word - 1) / (8 * l->word);
		l->b_free_hash = l->b_free_bitmap + l->bitmap_words * l->word;
	}
	l->block_size = l->b_free_hash + l->hash_size * l->lnk_size;
	l->first_off = (l->block_size + l->roundto - 1) / l->roundto * l->roundto;
}

#endif
