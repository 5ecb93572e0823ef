/* fm_layout.c - f_malloc layouts: built-in profiles of every era and the DWARF reader. */
#include <stdio.h>
#include <string.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

static const char *const era_names[HW_FM_ERA_COUNT] = {
    [HW_FM_ERA_SER] = "0.9-1.x", [HW_FM_ERA_OLD] = "3.0-4.1", [HW_FM_ERA_42] = "4.2-4.3",
    [HW_FM_ERA_44] = "4.4-5.7",	 [HW_FM_ERA_58] = "5.8+",
};

const char *hw_fm_era_name(enum hw_fm_era era)
{
	return (unsigned)era < HW_FM_ERA_COUNT ? era_names[era] : "?";
}

static uint32_t roundup(uint32_t v, uint32_t r)
{
	return (v + r - 1) / r * r;
}

static uint32_t ilog2(uint64_t v)
{
	uint32_t r = 0;

	while (v >>= 1)
		r++;
	return r;
}

/* Sizes, bitmap and first-fragment offset follow from the offsets and constants. */
static void finish(struct hw_fm_layout *l)
{
	uint32_t bits = 8 * l->word;

	l->hash_size = l->optimize / l->roundto + (bits - l->optimize_factor) + 1;
	if (l->b_free_bitmap != HW_NO_OFF)
		l->bitmap_words = (l->hash_size + bits - 1) / bits;
	l->lnk_size = 2 * l->word;
	l->l_first = 0;
	l->l_no = l->word;
	l->b_free_hash = (l->b_free_bitmap != HW_NO_OFF ? l->b_free_bitmap : l->b_free_hash) +
			 l->bitmap_words * l->word;
	l->block_size = l->b_free_hash + l->hash_size * l->lnk_size;
	l->first_off = roundup(l->block_size, l->roundto);
	l->f_link = l->era >= HW_FM_ERA_44 ? l->f_next_free : l->f_u;
	l->init_headers = l->era >= HW_FM_ERA_42 ? 2 : 1;
}

struct hw_error *hw_fm_profile(enum hw_fm_era era, bool debug, bool stats, uint32_t word,
			       uint32_t roundto, struct hw_fm_layout *ret)
{
	struct hw_fm_layout l;
	const uint32_t w = word;
	uint32_t off;

	if ((unsigned)era >= HW_FM_ERA_COUNT || (word != 4 && word != 8))
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "no f_malloc profile for era %d, word %u", (int)era, word);
	/* Debug builds and 4.2+ always keep the counters. */
	if (debug || era >= HW_FM_ERA_42)
		stats = true;
	memset(&l, 0, sizeof(l));
	l.era = era;
	l.word = w;
	l.debug = debug;
	l.stats = stats;
	if (era == HW_FM_ERA_58) {
		if (roundto == 0)
			roundto = 16;
		if (roundto != 16 && roundto != 8 && roundto != 4)
			return hw_error_create(HW_ERR_INVALID_ARG,
					       "ROUNDTO %u is not one of 4, 8, 16", roundto);
		l.optimize = 32768;
		l.optimize_factor = 15;
	} else {
		uint32_t def = debug ? w : 8;
		if (roundto == 0)
			roundto = def;
		if (roundto != def)
			return hw_error_create(
			    HW_ERR_INVALID_ARG, "f_malloc %s %s uses ROUNDTO %u, not %u",
			    era_names[era], debug ? "debug" : "non-debug", def, roundto);
		l.optimize = 16384;
		l.optimize_factor = 14;
	}
	l.roundto = roundto;

	/* struct fm_frag */
	l.f_size = 0;
	l.f_u = l.f_prv_free = l.f_is_free = l.f_next_free = l.f_prev_free = HW_NO_OFF;
	l.f_file = l.f_func = l.f_mname = l.f_line = l.f_check = HW_NO_OFF;
	l.f_is_free_size = l.f_check_size = 0;
	switch (era) {
	case HW_FM_ERA_SER:
	case HW_FM_ERA_OLD:
	case HW_FM_ERA_42:
		l.f_u = w;
		off = 2 * w;
		if (era == HW_FM_ERA_42) {
			l.f_prv_free = off;
			off += w;
		}
		if (debug) {
			l.f_file = off;
			l.f_func = off + w;
			l.f_line = off + 2 * w;
			l.f_check = off + 3 * w;
			l.f_check_size = w;
			off += 4 * w;
		}
		l.frag_size = off;
		break;
	case HW_FM_ERA_44:
		l.f_next_free = w;
		l.f_prev_free = 2 * w;
		l.f_is_free = 3 * w; /* unsigned int, padded on LP64 when debug fields follow */
		l.f_is_free_size = 4;
		if (debug) {
			l.f_file = 4 * w;
			l.f_func = 5 * w;
			l.f_mname = 6 * w;
			l.f_line = 7 * w;
			l.f_check = 8 * w; /* unsigned int */
			l.frag_size = 9 * w;
		} else {
			l.f_check = 3 * w + 4;
			l.frag_size = roundup(3 * w + 8, w);
		}
		l.f_check_size = 4;
		break;
	case HW_FM_ERA_58:
		l.f_is_free = w;
		l.f_is_free_size = w;
		l.f_next_free = 2 * w;
		l.f_prev_free = 3 * w;
		off = 4 * w;
		if (debug) {
			l.f_file = off;
			l.f_func = off + w;
			l.f_mname = off + 2 * w;
			l.f_line = off + 3 * w;
			off += 4 * w;
		}
		l.f_check = off + w; /* reserved1 precedes it */
		l.f_check_size = w;
		l.frag_size = off + 2 * w;
		break;
	default:
		break;
	}

	/* struct fm_block */
	l.b_type = l.b_ffrags = l.b_free_bitmap = HW_NO_OFF;
	l.b_used = l.b_real_used = l.b_max_real_used = HW_NO_OFF;
	if (era <= HW_FM_ERA_OLD) {
		l.b_size = 0;
		off = w;
		if (stats) {
			l.b_used = w;
			l.b_real_used = 2 * w;
			l.b_max_real_used = 3 * w;
			off = 4 * w;
		}
		l.b_first_frag = off;
		l.b_last_frag = off + w;
		if (era == HW_FM_ERA_OLD)
			l.b_free_bitmap = off + 2 * w;
		else
			l.b_free_hash = off + 2 * w;
	} else {
		/* an int (4.2-5.7, padded on LP64) or a long (5.8+): one word either way */
		l.b_type = 0;
		l.b_size = w;
		l.b_used = 2 * w;
		l.b_real_used = 3 * w;
		l.b_max_real_used = 4 * w;
		l.b_ffrags = 5 * w;
		off = era == HW_FM_ERA_58 ? 7 * w : 6 * w; /* 5.8: reserved1 after ffrags */
		l.b_first_frag = off;
		l.b_last_frag = off + w;
		l.b_free_bitmap = off + 2 * w;
	}
	finish(&l);

	snprintf(l.name, sizeof(l.name), "fm-%s-%s%s-%s%s", era_names[era], debug ? "dbg" : "nodbg",
		 !stats ? "-nostats" : "", w == 8 ? "lp64" : "ilp32",
		 era == HW_FM_ERA_58 && roundto != 16 ? (roundto == 8 ? "-r8" : "-r4") : "");
	snprintf(l.source, sizeof(l.source), "profile:%s", l.name);
	*ret = l;
	return NULL;
}

#define FM_PROFILES_MAX 64

size_t hw_fm_profiles(struct hw_fm_layout *out, size_t cap)
{
	static const uint32_t words[] = {8, 4};
	static const uint32_t new_rounds[] = {16, 8, 4};
	size_t n = 0;

	for (unsigned e = 0; e < HW_FM_ERA_COUNT; e++) {
		for (unsigned d = 0; d < 3; d++) {
			/* debug; non-debug with counters; non-debug without (old eras only) */
			bool debug = d == 0, stats = d != 2;
			if (d == 2 && e > HW_FM_ERA_OLD)
				continue;
			for (unsigned wi = 0; wi < 2; wi++) {
				unsigned nr = e == HW_FM_ERA_58 ? 3 : 1;
				for (unsigned ri = 0; ri < nr; ri++) {
					struct hw_fm_layout l;
					uint32_t r = e == HW_FM_ERA_58 ? new_rounds[ri] : 0;
					struct hw_error *err = hw_fm_profile(
					    (enum hw_fm_era)e, debug, stats, words[wi], r, &l);
					if (err) {
						hw_error_destroy(err);
						continue;
					}
					if (n < cap)
						out[n] = l;
					n++;
				}
			}
		}
	}
	return n;
}

struct hw_error *hw_fm_profile_by_name(const char *name, struct hw_fm_layout *ret)
{
	struct hw_fm_layout all[FM_PROFILES_MAX];
	size_t n = hw_fm_profiles(all, FM_PROFILES_MAX);

	for (size_t i = 0; i < n && i < FM_PROFILES_MAX; i++) {
		if (strcmp(all[i].name, name) == 0) {
			*ret = all[i];
			return NULL;
		}
	}
	return hw_error_create(HW_ERR_LOOKUP,
			       "no built-in layout named '%s' (see 'heapwalk profiles')", name);
}

uint64_t hw_fm_hash(const struct hw_fm_layout *l, uint64_t size)
{
	if (size <= l->optimize)
		return size / l->roundto;
	return l->optimize / l->roundto + ilog2(size) - l->optimize_factor + 1;
}

uint64_t hw_fm_unhash(const struct hw_fm_layout *l, uint64_t h)
{
	uint64_t small = l->optimize / l->roundto;
	uint64_t shift;

	if (h <= small)
		return h * l->roundto;
	shift = h - small + l->optimize_factor - 1;
	return shift < 64 ? (uint64_t)1 << shift : 0;
}

/* ---- DWARF ---- */

enum {
	F_SIZE,
	F_U,
	F_PRV_FREE,
	F_IS_FREE,
	F_NEXT_FREE,
	F_PREV_FREE,
	F_FILE,
	F_FUNC,
	F_MNAME,
	F_LINE,
	F_RESERVED1,
	F_CHECK,
	F_N
};
enum {
	B_TYPE,
	B_SIZE,
	B_USED,
	B_REAL_USED,
	B_MAX_REAL_USED,
	B_FFRAGS,
	B_FIRST_FRAG,
	B_LAST_FRAG,
	B_FREE_BITMAP,
	B_FREE_HASH,
	B_N
};
enum { L_FIRST, L_NO, L_N };

static uint32_t off(const struct hw_dwarf_member *m)
{
	return m->found && m->offset < HW_NO_OFF ? (uint32_t)m->offset : HW_NO_OFF;
}

#define SANE_STRUCT_MAX (1u << 24)

struct hw_error *hw_fm_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					 struct hw_fm_layout *ret)
{
	struct hw_dwarf_member fm[F_N] = {
	    {.name = "size"},	 {.name = "u"},		{.name = "prv_free"},
	    {.name = "is_free"}, {.name = "next_free"}, {.name = "prev_free"},
	    {.name = "file"},	 {.name = "func"},	{.name = "mname"},
	    {.name = "line"},	 {.name = "reserved1"}, {.name = "check"},
	};
	struct hw_dwarf_member bm[B_N] = {
	    {.name = "type"},	    {.name = "size"},	       {.name = "used"},
	    {.name = "real_used"},  {.name = "max_real_used"}, {.name = "ffrags"},
	    {.name = "first_frag"}, {.name = "last_frag"},     {.name = "free_bitmap"},
	    {.name = "free_hash"},
	};
	struct hw_dwarf_member lm[L_N] = {{.name = "first"}, {.name = "no"}};
	uint64_t fsz, bsz, lsz;
	struct hw_fm_layout l;
	struct hw_error *err;
	bool found_r = false;

	if ((err = hw_dwarf_struct(dw, "fm_frag", &fsz, fm, F_N)) ||
	    (err = hw_dwarf_struct(dw, "fm_block", &bsz, bm, B_N)) ||
	    (err = hw_dwarf_struct(dw, "fm_frag_lnk", &lsz, lm, L_N)))
		return hw_error_context(err, "reading the f_malloc layout from %s",
					hw_dwarf_path(dw));

	if (!fm[F_SIZE].found || (!fm[F_U].found && !fm[F_NEXT_FREE].found) || !bm[B_SIZE].found ||
	    !bm[B_FIRST_FRAG].found || !bm[B_LAST_FRAG].found || !bm[B_FREE_HASH].found ||
	    bm[B_FREE_HASH].count == 0 || !lm[L_FIRST].found || !lm[L_NO].found)
		return hw_error_create(HW_ERR_LOOKUP,
				       "the f_malloc structs in %s lack members heapwalk needs",
				       hw_dwarf_path(dw));
	if (fsz == 0 || lsz == 0 || fsz > 256 || bsz > SANE_STRUCT_MAX || lsz > 64 ||
	    bm[B_FREE_HASH].count > SANE_STRUCT_MAX)
		return hw_error_create(HW_ERR_BAD_DATA, "implausible f_malloc struct sizes in %s",
				       hw_dwarf_path(dw));

	memset(&l, 0, sizeof(l));
	l.word = word;
	l.debug = fm[F_FILE].found;
	l.stats = bm[B_USED].found;
	l.frag_size = (uint32_t)fsz;
	l.f_size = off(&fm[F_SIZE]);
	l.f_u = off(&fm[F_U]);
	l.f_prv_free = off(&fm[F_PRV_FREE]);
	l.f_is_free = off(&fm[F_IS_FREE]);
	l.f_is_free_size = fm[F_IS_FREE].found ? (uint32_t)fm[F_IS_FREE].size : 0;
	l.f_next_free = off(&fm[F_NEXT_FREE]);
	l.f_prev_free = off(&fm[F_PREV_FREE]);
	l.f_file = off(&fm[F_FILE]);
	l.f_func = off(&fm[F_FUNC]);
	l.f_mname = off(&fm[F_MNAME]);
	l.f_line = off(&fm[F_LINE]);
	l.f_check = off(&fm[F_CHECK]);
	l.f_check_size = fm[F_CHECK].found ? (uint32_t)fm[F_CHECK].size : 0;
	if ((l.f_is_free_size != 0 && l.f_is_free_size != 4 && l.f_is_free_size != 8) ||
	    (l.f_check_size != 0 && l.f_check_size != 4 && l.f_check_size != 8))
		return hw_error_create(HW_ERR_BAD_DATA, "implausible f_malloc field sizes in %s",
				       hw_dwarf_path(dw));
	l.block_size = (uint32_t)bsz;
	l.b_type = off(&bm[B_TYPE]);
	l.b_size = off(&bm[B_SIZE]);
	l.b_used = off(&bm[B_USED]);
	l.b_real_used = off(&bm[B_REAL_USED]);
	l.b_max_real_used = off(&bm[B_MAX_REAL_USED]);
	l.b_ffrags = off(&bm[B_FFRAGS]);
	l.b_first_frag = off(&bm[B_FIRST_FRAG]);
	l.b_last_frag = off(&bm[B_LAST_FRAG]);
	l.b_free_bitmap = off(&bm[B_FREE_BITMAP]);
	l.b_free_hash = off(&bm[B_FREE_HASH]);
	l.bitmap_words = bm[B_FREE_BITMAP].found ? (uint32_t)bm[B_FREE_BITMAP].count : 0;
	l.lnk_size = (uint32_t)lsz;
	l.l_first = off(&lm[L_FIRST]);
	l.l_no = off(&lm[L_NO]);
	l.hash_size = (uint32_t)bm[B_FREE_HASH].count;

	/* Era from the members: what was added when (kamailio-memory.md §3.2, §3.3). */
	if (l.f_is_free != HW_NO_OFF)
		l.era = l.f_next_free != HW_NO_OFF && l.f_is_free < l.f_next_free ? HW_FM_ERA_58
										  : HW_FM_ERA_44;
	else if (l.f_prv_free != HW_NO_OFF)
		l.era = HW_FM_ERA_42;
	else if (l.b_free_bitmap != HW_NO_OFF)
		l.era = HW_FM_ERA_OLD;
	else
		l.era = HW_FM_ERA_SER;
	if (l.era == HW_FM_ERA_58) {
		l.optimize = 32768;
		l.optimize_factor = 15;
	} else {
		l.optimize = 16384;
		l.optimize_factor = 14;
	}
	if (l.era >= HW_FM_ERA_44 && (l.f_next_free == HW_NO_OFF || l.f_prev_free == HW_NO_OFF))
		return hw_error_create(HW_ERR_LOOKUP,
				       "f_malloc in %s has is_free but no list links",
				       hw_dwarf_path(dw));
	if (l.era < HW_FM_ERA_44 && l.f_u == HW_NO_OFF)
		return hw_error_create(HW_ERR_LOOKUP, "f_malloc in %s has no free-list link",
				       hw_dwarf_path(dw));
	l.f_link = l.era >= HW_FM_ERA_44 ? l.f_next_free : l.f_u;
	l.init_headers = l.era >= HW_FM_ERA_42 ? 2 : 1;

	/* ROUNDTO is a macro: solve hash_size = optimize/R + (bits - factor) + 1. */
	for (uint32_t r = 4; r <= 64; r *= 2) {
		if ((uint64_t)l.optimize / r + (8ull * word - l.optimize_factor) + 1 ==
		    l.hash_size) {
			l.roundto = r;
			found_r = true;
			break;
		}
	}
	if (!found_r)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "f_malloc in %s has %u hash buckets, which matches no known "
				       "ROUNDTO/optimize setting",
				       hw_dwarf_path(dw), l.hash_size);
	l.first_off = roundup(l.block_size, l.roundto);
	snprintf(l.name, sizeof(l.name), "dwarf");
	snprintf(l.source, sizeof(l.source), "dwarf:%s", hw_dwarf_path(dw));
	*ret = l;
	return NULL;
}
