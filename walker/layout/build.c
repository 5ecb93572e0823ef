/* build.c - what the layout builders share: free-hash constants, profile tables, DWARF members. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "build.h"

uint64_t hw_bucket_unhash(uint64_t h, uint32_t roundto, uint32_t optimize, uint32_t factor)
{
	uint64_t small = optimize / roundto;
	uint64_t shift;

	if (h <= small)
		return h * roundto;
	shift = h - small + factor - 1;
	return shift < 64 ? (uint64_t)1 << shift : 0;
}

void hw_hash_optimize(bool new_era, uint32_t *optimize, uint32_t *factor)
{
	*optimize = new_era ? 32768 : 16384;
	*factor = new_era ? 15 : 14;
}

struct hw_error *hw_hash_roundto(const char *mgr, const char *era, bool new_era, bool debug,
				 uint32_t old_default, uint32_t *roundto)
{
	if (new_era) {
		if (*roundto == 0)
			*roundto = 16;
		if (*roundto != 16 && *roundto != 8 && *roundto != 4)
			return hw_error_create(HW_ERR_INVALID_ARG,
					       "ROUNDTO %u is not one of 4, 8, 16", *roundto);
		return NULL;
	}
	if (*roundto == 0)
		*roundto = old_default;
	if (*roundto != old_default)
		return hw_error_create(HW_ERR_INVALID_ARG, "%s %s %s uses ROUNDTO %u, not %u", mgr,
				       era, debug ? "debug" : "non-debug", old_default, *roundto);
	return NULL;
}

struct hw_error *hw_dwarf_hash(struct hw_dwarf *dw, const char *mgr, struct hw_layout_head *h,
			       bool new_era, uint32_t hash_size, uint32_t block_size,
			       uint32_t *optimize, uint32_t *factor, uint32_t *first_off)
{
	hw_hash_optimize(new_era, optimize, factor);
	/* ROUNDTO is a macro, not in DWARF: solve hash_size = optimize/R + (bits - factor) + 1 */
	for (uint32_t r = 4; r <= 64; r *= 2) {
		if ((uint64_t)*optimize / r + (8ull * h->word - *factor) + 1 == hash_size) {
			h->roundto = r;
			*first_off = hw_roundup(block_size, r);
			hw_dwarf_name(h, hw_dwarf_path(dw));
			return NULL;
		}
	}
	return hw_error_create(HW_ERR_UNSUPPORTED,
			       "%s in %s has %u hash buckets, which matches no known "
			       "ROUNDTO/optimize setting",
			       mgr, hw_dwarf_path(dw), hash_size);
}

uint32_t hw_block_counters(uint32_t w, bool typed, bool counters, uint32_t *type, uint32_t *size,
			   uint32_t *used, uint32_t *real_used, uint32_t *max_real_used,
			   uint32_t *ffrags)
{
	uint32_t off = 0;

	*type = typed ? off : HW_NO_OFF;
	off += typed ? w : 0; /* an int (4.2-5.7, padded on LP64) or a long (5.8+) */
	*size = off;
	off += w;
	*used = counters ? off : HW_NO_OFF;
	*real_used = counters ? off + w : HW_NO_OFF;
	*max_real_used = counters ? off + 2 * w : HW_NO_OFF;
	off += counters ? 3 * w : 0;
	*ffrags = typed ? off : HW_NO_OFF;
	return off + (typed ? w : 0);
}

size_t hw_profiles_each(hw_profile_fn make, unsigned eras, unsigned variants, unsigned new_era,
			size_t size, void *out, size_t cap)
{
	static const uint32_t words[] = {8, 4};
	static const uint32_t new_rounds[] = {16, 8, 4};
	_Alignas(max_align_t) unsigned char l[2048]; /* a layout of any manager */
	size_t n = 0;

	if (size > sizeof(l))
		return 0;
	for (unsigned e = 0; e < eras; e++) {
		unsigned nr = e >= new_era ? 3 : 1;
		for (unsigned v = 0; v < variants; v++) {
			for (unsigned wi = 0; wi < 2; wi++) {
				for (unsigned ri = 0; ri < nr; ri++) {
					uint32_t r = e >= new_era ? new_rounds[ri] : 0;
					struct hw_error *err = make(l, e, v, words[wi], r);
					if (err) {
						hw_error_destroy(err);
						continue;
					}
					if (n < cap)
						memcpy((char *)out + n * size, l, size);
					n++;
				}
			}
		}
	}
	return n;
}

struct hw_error *hw_profile_pick(const void *all, size_t n, size_t cap, size_t size,
				 const char *name, void *ret)
{
	for (size_t i = 0; i < n && i < cap; i++) {
		const struct hw_layout_head *h = (const void *)((const char *)all + i * size);
		if (strcmp(h->name, name) == 0) {
			memcpy(ret, h, size);
			return NULL;
		}
	}
	return hw_error_create(HW_ERR_LOOKUP,
			       "no built-in layout named '%s' (see 'heapwalk profiles')", name);
}

uint32_t hw_member_off(const struct hw_dwarf_member *m)
{
	return m->found && m->offset < HW_NO_OFF ? (uint32_t)m->offset : HW_NO_OFF;
}

void hw_profile_name(struct hw_layout_head *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->name, sizeof(h->name), fmt, ap);
	va_end(ap);
	snprintf(h->source, sizeof(h->source), "profile:%s", h->name);
}

struct hw_error *hw_dwarf_members(struct hw_dwarf *dw, const char *sname, struct hw_dwarf_member *m,
				  size_t n, uint64_t *size, uint32_t *const *fields)
{
	struct hw_error *err = hw_dwarf_struct(dw, sname, size, m, n);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (fields[i])
			*fields[i] = hw_member_off(&m[i]);
	return NULL;
}

void hw_kam_block_members(struct hw_dwarf_member bm[HW_KB_N], const char *last_frag)
{
	static const char *const names[HW_KB_N] = {
	    [HW_KB_TYPE] = "type",
	    [HW_KB_SIZE] = "size",
	    [HW_KB_USED] = "used",
	    [HW_KB_REAL_USED] = "real_used",
	    [HW_KB_MAX_REAL_USED] = "max_real_used",
	    [HW_KB_FFRAGS] = "ffrags",
	    [HW_KB_FIRST_FRAG] = "first_frag",
	    [HW_KB_FREE_BITMAP] = "free_bitmap",
	    [HW_KB_FREE_HASH] = "free_hash",
	};

	memset(bm, 0, HW_KB_N * sizeof(*bm));
	for (int i = 0; i < HW_KB_N; i++)
		bm[i].name = i == HW_KB_LAST_FRAG ? last_frag : names[i];
}

void hw_dwarf_name(struct hw_layout_head *h, const char *path)
{
	snprintf(h->name, sizeof(h->name), "dwarf");
	snprintf(h->source, sizeof(h->source), "dwarf:%s", path);
}
