/*
 * build.h - internal to walker/layout: what the layout builders share,
 * the built-in profiles' and the DWARF readers' common steps. Not a
 * public interface.
 */
#ifndef HEAPWALK_LAYOUT_BUILD_H
#define HEAPWALK_LAYOUT_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

/* @v rounded up to a multiple of @r. */
static inline uint32_t hw_roundup(uint32_t v, uint32_t r)
{
	return (v + r - 1) / r * r;
}

/* Structures far larger than any real variant mean the DWARF is not what we think. */
#define HW_SANE_STRUCT_MAX (1u << 24)

/* ---- the free hash of q_malloc and f_malloc (kamailio-memory.md §2, §3) ---- */

/* GET_HASH: sizes up to @optimize by ROUNDTO, above it by their log2. */
static inline uint64_t hw_bucket_hash(uint64_t size, uint32_t roundto, uint32_t optimize,
				      uint32_t factor)
{
	uint32_t log2 = 0;

	if (size <= optimize)
		return size / roundto;
	for (uint64_t v = size; v >>= 1;)
		log2++;
	return optimize / roundto + log2 - factor + 1;
}

/* UN_HASH: the smallest size of bucket @h (0 past 64 bits). */
uint64_t hw_bucket_unhash(uint64_t h, uint32_t roundto, uint32_t optimize, uint32_t factor);

/* F_MALLOC_OPTIMIZE and its log2 factor: 5.8 doubled them. */
void hw_hash_optimize(bool new_era, uint32_t *optimize, uint32_t *factor);

/*
 * A profile's ROUNDTO: 16, 8 or 4 for the 5.8+ eras (0: 16), before them
 * only @old_default (0: that). @mgr and @era name the variant in the error.
 */
struct hw_error *hw_hash_roundto(const char *mgr, const char *era, bool new_era, bool debug,
				 uint32_t old_default, uint32_t *roundto);

/*
 * The free hash of a @mgr ("q_malloc") layout read from @dw, @h its head:
 * the optimize constants of its era (@new_era: 5.8+), ROUNDTO solved from
 * its @hash_size into h->roundto, the offset of the first fragment behind
 * the block's @block_size bytes; and the layout's name.
 */
struct hw_error *hw_dwarf_hash(struct hw_dwarf *dw, const char *mgr, struct hw_layout_head *h,
			       bool new_era, uint32_t hash_size, uint32_t block_size,
			       uint32_t *optimize, uint32_t *factor, uint32_t *first_off);

/*
 * q_malloc's and f_malloc's block header up to first_frag: [type,] size,
 * [used, real_used, max_real_used,] [ffrags,] a word each; 4.2 added type
 * and ffrags (@typed), old non-debug f_malloc may keep no @counters.
 * Absent ones are HW_NO_OFF. Returns the offset after them.
 */
uint32_t hw_block_counters(uint32_t w, bool typed, bool counters, uint32_t *type, uint32_t *size,
			   uint32_t *used, uint32_t *real_used, uint32_t *max_real_used,
			   uint32_t *ffrags);

/* ---- built-in profiles ---- */

/*
 * Build the profile of era @era, variant @variant (debug and the like, as
 * the manager numbers them), word size @word and ROUNDTO @roundto (0: the
 * era's default) into @l; an error when there is no such profile.
 */
typedef struct hw_error *(*hw_profile_fn)(void *l, unsigned era, unsigned variant, uint32_t word,
					  uint32_t roundto);

/*
 * Every built-in profile of a manager into @out (room for @cap of @size
 * bytes): each era below @eras, variant below @variants, word size (8,
 * then 4) and, from era @new_era on, ROUNDTO (16, 8, 4). Returns how many
 * there are, those that did not fit included.
 */
size_t hw_profiles_each(hw_profile_fn make, unsigned eras, unsigned variants, unsigned new_era,
			size_t size, void *out, size_t cap);

/* The profile named @name among the @n (at most @cap) of @all, @size bytes each, into *ret. */
struct hw_error *hw_profile_pick(const void *all, size_t n, size_t cap, size_t size,
				 const char *name, void *ret);

/* Name the profile @h (printf-style) and say so in its source ("profile:NAME"). */
void hw_profile_name(struct hw_layout_head *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The public table functions of manager X (hw_X_profiles and
 * hw_X_profile_by_name) over its X_make (an hw_profile_fn): MAX profiles
 * at most, the eras below ERAS, VARIANTS variants, ROUNDTO choices from
 * era NEW_ERA on. A macro: a function cannot be typed for each layout.
 */
#define HW_PROFILE_TABLE(X, MAX, ERAS, VARIANTS, NEW_ERA)                                          \
	size_t hw_##X##_profiles(struct hw_##X##_layout *out, size_t cap)                          \
	{                                                                                          \
		return hw_profiles_each(X##_make, ERAS, VARIANTS, NEW_ERA, sizeof(*out), out,      \
					cap);                                                      \
	}                                                                                          \
	struct hw_error *hw_##X##_profile_by_name(const char *name, struct hw_##X##_layout *ret)   \
	{                                                                                          \
		struct hw_##X##_layout all[MAX];                                                   \
		size_t n = hw_##X##_profiles(all, MAX);                                            \
                                                                                                   \
		return hw_profile_pick(all, n, MAX, sizeof(all[0]), name, ret);                    \
	}

/* hw_X_hash and hw_X_unhash, the free hash of q_malloc or f_malloc (manager X). */
#define HW_BUCKET_HASH(X)                                                                          \
	uint64_t hw_##X##_hash(const struct hw_##X##_layout *l, uint64_t size)                     \
	{                                                                                          \
		return hw_bucket_hash(size, l->roundto, l->optimize, l->optimize_factor);          \
	}                                                                                          \
	uint64_t hw_##X##_unhash(const struct hw_##X##_layout *l, uint64_t h)                      \
	{                                                                                          \
		return hw_bucket_unhash(h, l->roundto, l->optimize, l->optimize_factor);           \
	}

/* ---- DWARF ---- */

/*
 * f_malloc's DWARF reader over structs named @frag, @block and @lnk
 * (fm_frag, fm_block, fm_frag_lnk; OpenSIPS's parallel pools have their
 * own names for the same shape).
 */
struct hw_error *hw_fm_dwarf_named(struct hw_dwarf *dw, uint32_t word, const char *frag,
				   const char *block, const char *lnk, struct hw_fm_layout *ret);

/* A member's offset, HW_NO_OFF when absent. */
uint32_t hw_member_off(const struct hw_dwarf_member *m);

/*
 * Read struct @sname from DWARF as hw_dwarf_struct does (its size into
 * *size, its @n members into @m, their names set), and put each member's
 * offset (HW_NO_OFF when absent) into *@fields[i] where that is not NULL:
 * the layout's field for it.
 */
struct hw_error *hw_dwarf_members(struct hw_dwarf *dw, const char *sname, struct hw_dwarf_member *m,
				  size_t n, uint64_t *size, uint32_t *const *fields);

/* q_malloc's and f_malloc's block members, in their order (q_malloc has no free_bitmap). */
enum {
	HW_KB_TYPE,
	HW_KB_SIZE,
	HW_KB_USED,
	HW_KB_REAL_USED,
	HW_KB_MAX_REAL_USED,
	HW_KB_FFRAGS,
	HW_KB_FIRST_FRAG,
	HW_KB_LAST_FRAG,
	HW_KB_FREE_BITMAP,
	HW_KB_FREE_HASH,
	HW_KB_N
};
/* Their names in @bm, the last fragment's member called @last_frag ("last_frag_end"). */
void hw_kam_block_members(struct hw_dwarf_member bm[HW_KB_N], const char *last_frag);

/* Name a layout read from the DWARF of @path: "dwarf", its source "dwarf:PATH". */
void hw_dwarf_name(struct hw_layout_head *h, const char *path);

#endif
