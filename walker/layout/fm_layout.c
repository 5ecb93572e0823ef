/* fm_layout.c - f_malloc layouts: built-in profiles of every era and the DWARF reader. */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

static const char *const era_names[HW_FM_ERA_COUNT] = {
    [HW_FM_ERA_SER] = "0.9-1.x",
    [HW_FM_ERA_OLD] = "3.0-4.1",
    [HW_FM_ERA_42] = "4.2-4.3",
    [HW_FM_ERA_44] = "4.4-5.7",
    [HW_FM_ERA_58] = "5.8+",
    [HW_FM_ERA_OS30] = "opensips 2.4-3.3",
    [HW_FM_ERA_OS34] = "opensips 3.4+",
};

const char *hw_fm_era_name(enum hw_fm_era era)
{
	return (unsigned)era < HW_FM_ERA_COUNT ? era_names[era] : "?";
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
	l->first_off = hw_roundup(l->block_size, l->roundto);
	l->f_link = hw_fm_flag_era(l->era) ? l->f_next_free : l->f_u;
	l->init_headers = l->era >= HW_FM_ERA_42 ? 2 : 1;
}

struct hw_error *hw_fm_profile(enum hw_fm_era era, bool debug, bool stats, uint32_t word,
			       uint32_t roundto, struct hw_fm_layout *ret)
{
	struct hw_fm_layout l;
	const uint32_t w = word;
	uint32_t off;
	struct hw_error *err;

	if ((unsigned)era > HW_FM_ERA_58 || (word != 4 && word != 8))
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
	l.f_pf = l.b_frags_used = l.f_stat = l.b_large_space = HW_NO_OFF;
	err = hw_hash_roundto("f_malloc", era_names[era], era == HW_FM_ERA_58, debug, debug ? w : 8,
			      &roundto);
	if (err)
		return err;
	hw_hash_optimize(era == HW_FM_ERA_58, &l.optimize, &l.optimize_factor);
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
			l.frag_size = hw_roundup(3 * w + 8, w);
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

	/* struct fm_block: the counters, [reserved1 (5.8),] first_frag, last_frag, the lists */
	off = hw_block_counters(w, era >= HW_FM_ERA_42, stats, &l.b_type, &l.b_size, &l.b_used,
				&l.b_real_used, &l.b_max_real_used, &l.b_ffrags);
	if (era == HW_FM_ERA_58)
		off += w;
	l.b_first_frag = off;
	l.b_last_frag = off + w;
	l.b_free_bitmap = era == HW_FM_ERA_SER ? HW_NO_OFF : off + 2 * w;
	if (era == HW_FM_ERA_SER)
		l.b_free_hash = off + 2 * w;
	finish(&l);

	hw_profile_name(&l.head, "fm-%s-%s%s-%s%s", era_names[era], debug ? "dbg" : "nodbg",
			!stats ? "-nostats" : "", w == 8 ? "lp64" : "ilp32",
			era == HW_FM_ERA_58 && roundto != 16 ? (roundto == 8 ? "-r8" : "-r4") : "");
	*ret = l;
	return NULL;
}

static const char *const os_release_names[HW_OS_REL_COUNT] = {[HW_OS_REL_24] = "2.4",
							      [HW_OS_REL_30] = "3.0",
							      [HW_OS_REL_31] = "3.1-3.3",
							      [HW_OS_REL_34] = "3.4"};

struct hw_error *hw_fm_profile_opensips(enum hw_os_release rel, bool debug, bool stats,
					bool extra_stats, uint32_t word, struct hw_fm_layout *ret)
{
	struct hw_fm_layout l;
	const uint32_t w = word;
	const bool check24 = rel == HW_OS_REL_24 && debug;
	uint32_t off;

	if ((word != 4 && word != 8) || (debug && !stats) || (unsigned)rel >= HW_OS_REL_COUNT)
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "no OpenSIPS f_malloc profile for word %u%s", word,
				       debug && !stats ? " without counters in a debug build" : "");
	memset(&l, 0, sizeof(l));
	l.product = HW_PRODUCT_OPENSIPS;
	l.era = rel == HW_OS_REL_34 ? HW_FM_ERA_OS34 : HW_FM_ERA_OS30;
	l.word = w;
	l.debug = debug;
	l.stats = stats;
	/* ROUNDTO is sizeof(void *); 2.4 without debug rounds to 8 */
	l.roundto = rel == HW_OS_REL_24 && !debug ? 8 : w;
	hw_hash_optimize(false, &l.optimize, &l.optimize_factor);

	/* struct fm_frag: size, u, prev, [pf,] [file, func, line, [check]] [is_free (2.4)]
	 * [statistic_index] */
	l.f_is_free = l.f_next_free = l.f_prev_free = l.f_mname = l.f_check = HW_NO_OFF;
	l.f_is_free_size = l.f_check_size = 0;
	l.f_size = 0;
	l.f_u = w;
	l.f_prv_free = 2 * w;
	off = 3 * w;
	l.f_pf = rel == HW_OS_REL_34 ? off : HW_NO_OFF;
	off += rel == HW_OS_REL_34 ? w : 0;
	l.f_file = l.f_func = l.f_line = HW_NO_OFF;
	if (debug) {
		l.f_file = off;
		l.f_func = off + w;
		l.f_line = off + 2 * w;
		off += 3 * w;
	}
	if (check24) { /* a word holding a 32-bit pattern */
		l.f_check = off;
		l.f_check_size = w;
		off += w;
	}
	if (rel == HW_OS_REL_24 && (debug || extra_stats))
		off = hw_roundup(off + 1, w); /* is_free, a char */
	l.f_stat = extra_stats ? off : HW_NO_OFF;
	l.frag_size = hw_roundup(off + (extra_stats ? w : 0), w);

	/* struct fm_block: name, size, [large_space, large_limit (3.0.0),] fragments, [used,
	 * real_used, max_real_used,] first_frag, last_frag, free_hash */
	l.b_type = l.b_ffrags = l.b_free_bitmap = HW_NO_OFF;
	l.b_size = w;
	off = 2 * w;
	l.b_large_space = rel == HW_OS_REL_30 ? off : HW_NO_OFF;
	off += rel == HW_OS_REL_30 ? 2 * w : 0;
	l.b_frags_used = off;
	off += w;
	l.b_used = stats ? off : HW_NO_OFF;
	l.b_real_used = stats ? off + w : HW_NO_OFF;
	l.b_max_real_used = stats ? off + 2 * w : HW_NO_OFF;
	off += stats ? 3 * w : 0;
	l.b_first_frag = off;
	l.b_last_frag = off + w;
	l.b_free_hash = off + 2 * w;
	finish(&l);

	hw_profile_name(&l.head, "fm-opensips-%s-%s%s-%s%s", os_release_names[rel],
			debug ? "dbg" : "nodbg", !stats ? "-nostats" : "",
			w == 8 ? "lp64" : "ilp32", extra_stats ? "-xs" : "");
	*ret = l;
	return NULL;
}

#define FM_PROFILES_MAX 96

/*
 * Variant 0 debug, 1 non-debug with counters, 2 non-debug without (the eras
 * before 4.2 only); OpenSIPS's eras: variant bits non-debug, SHM_EXTRA_STATS,
 * then the release, once per word size.
 */
static struct hw_error *fm_make(void *l, unsigned era, unsigned variant, uint32_t word,
				uint32_t roundto)
{
	if (era == HW_FM_ERA_OS30 || era == HW_FM_ERA_OS34) {
		/* bits: non-debug, SHM_EXTRA_STATS; then the release (3.4 once). Builds without
		 * the counters (neither DBG_MALLOC nor STATISTICS) come from DWARF only. */
		enum hw_os_release rel =
		    era == HW_FM_ERA_OS34 ? HW_OS_REL_34 : (enum hw_os_release)(variant / 4);
		if (roundto != 16 || (era == HW_FM_ERA_OS34 ? variant >= 4 : rel >= HW_OS_REL_34))
			return hw_error_create(HW_ERR_INVALID_ARG, "listed once");
		return hw_fm_profile_opensips(rel, !(variant & 1), true, variant & 2, word, l);
	}
	if (variant > 2)
		return hw_error_create(HW_ERR_INVALID_ARG, "Kamailio's have three variants");
	if (variant == 2 && era > HW_FM_ERA_OLD)
		return hw_error_create(HW_ERR_INVALID_ARG, "f_malloc %s always keeps the counters",
				       era_names[era]);
	return hw_fm_profile((enum hw_fm_era)era, variant == 0, variant != 2, word, roundto, l);
}

HW_PROFILE_TABLE(fm, FM_PROFILES_MAX, HW_FM_ERA_COUNT, 4 * HW_OS_REL_34, HW_FM_ERA_58)
HW_BUCKET_HASH(fm)

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
	F_PREV, /* OpenSIPS: prev (Kamailio 4.2's prv_free), pf, statistic_index */
	F_PF,
	F_STAT,
	F_N
};
enum { L_FIRST, L_NO, L_N };

struct hw_error *hw_fm_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					 struct hw_fm_layout *ret)
{
	return hw_fm_dwarf_named(dw, word, "fm_frag", "fm_block", "fm_frag_lnk", ret);
}

struct hw_error *hw_fm_dwarf_named(struct hw_dwarf *dw, uint32_t word, const char *frag,
				   const char *block, const char *lnk, struct hw_fm_layout *ret)
{
	struct hw_dwarf_member fm[F_N] = {
	    {.name = "size"},	 {.name = "u"},		{.name = "prv_free"},
	    {.name = "is_free"}, {.name = "next_free"}, {.name = "prev_free"},
	    {.name = "file"},	 {.name = "func"},	{.name = "mname"},
	    {.name = "line"},	 {.name = "reserved1"}, {.name = "check"},
	    {.name = "prev"},	 {.name = "pf"},	{.name = "statistic_index"},
	};
	/* OpenSIPS's block: a name where Kamailio has its type, fragments in use, 3.0.0's
	 * large_space */
	struct hw_dwarf_member om[3] = {
	    {.name = "name"}, {.name = "fragments"}, {.name = "large_space"}};
	uint32_t prev = HW_NO_OFF;
	struct hw_dwarf_member bm[HW_KB_N];
	struct hw_dwarf_member lm[L_N] = {{.name = "first"}, {.name = "no"}};
	struct hw_fm_layout l;
	uint32_t *const ff[F_N] = {&l.f_size,	   &l.f_u,	   &l.f_prv_free, &l.f_is_free,
				   &l.f_next_free, &l.f_prev_free, &l.f_file,	  &l.f_func,
				   &l.f_mname,	   &l.f_line,	   NULL,	  &l.f_check,
				   &prev,	   &l.f_pf,	   &l.f_stat};
	uint32_t *const bf[HW_KB_N] = {
	    &l.b_type,	 &l.b_size,	  &l.b_used,	  &l.b_real_used,   &l.b_max_real_used,
	    &l.b_ffrags, &l.b_first_frag, &l.b_last_frag, &l.b_free_bitmap, &l.b_free_hash};
	uint32_t *const lf[L_N] = {&l.l_first, &l.l_no};
	uint32_t *const of[3] = {NULL, &l.b_frags_used, &l.b_large_space};
	uint64_t fsz, bsz, lsz;
	struct hw_error *err;

	memset(&l, 0, sizeof(l));
	hw_kam_block_members(bm, "last_frag");
	if ((err = hw_dwarf_members(dw, frag, fm, F_N, &fsz, ff)) ||
	    (err = hw_dwarf_members(dw, block, bm, HW_KB_N, &bsz, bf)) ||
	    (err = hw_dwarf_members(dw, lnk, lm, L_N, &lsz, lf)) ||
	    (err = hw_dwarf_members(dw, block, om, 3, &bsz, of)))
		return hw_error_context(err, "reading the f_malloc layout from %s",
					hw_dwarf_path(dw));

	if (!fm[F_SIZE].found || (!fm[F_U].found && !fm[F_NEXT_FREE].found) ||
	    !bm[HW_KB_SIZE].found || !bm[HW_KB_FIRST_FRAG].found || !bm[HW_KB_LAST_FRAG].found ||
	    !bm[HW_KB_FREE_HASH].found || bm[HW_KB_FREE_HASH].count == 0 || !lm[L_FIRST].found ||
	    !lm[L_NO].found)
		return hw_error_create(HW_ERR_LOOKUP,
				       "the f_malloc structs in %s lack members heapwalk needs",
				       hw_dwarf_path(dw));
	if (fsz == 0 || lsz == 0 || fsz > 256 || bsz > HW_SANE_STRUCT_MAX || lsz > 64 ||
	    bm[HW_KB_FREE_HASH].count > HW_SANE_STRUCT_MAX)
		return hw_error_create(HW_ERR_BAD_DATA, "implausible f_malloc struct sizes in %s",
				       hw_dwarf_path(dw));

	l.word = word;
	l.debug = fm[F_FILE].found;
	l.stats = bm[HW_KB_USED].found;
	if (om[0].found) { /* OpenSIPS: free when prev is set, as Kamailio 4.2's prv_free */
		l.product = HW_PRODUCT_OPENSIPS;
		if (l.f_prv_free == HW_NO_OFF)
			l.f_prv_free = prev;
		/* 2.4's is_free char is not the free state: prev is */
		l.f_is_free = HW_NO_OFF;
		fm[F_IS_FREE].found = false;
	} else {
		l.f_pf = l.b_frags_used = l.f_stat = l.b_large_space = HW_NO_OFF;
	}
	l.frag_size = (uint32_t)fsz;
	l.f_is_free_size = fm[F_IS_FREE].found ? (uint32_t)fm[F_IS_FREE].size : 0;
	l.f_check_size = fm[F_CHECK].found ? (uint32_t)fm[F_CHECK].size : 0;
	if ((l.f_is_free_size != 0 && l.f_is_free_size != 4 && l.f_is_free_size != 8) ||
	    (l.f_check_size != 0 && l.f_check_size != 4 && l.f_check_size != 8))
		return hw_error_create(HW_ERR_BAD_DATA, "implausible f_malloc field sizes in %s",
				       hw_dwarf_path(dw));
	l.block_size = (uint32_t)bsz;
	l.bitmap_words = bm[HW_KB_FREE_BITMAP].found ? (uint32_t)bm[HW_KB_FREE_BITMAP].count : 0;
	l.lnk_size = (uint32_t)lsz;
	l.hash_size = (uint32_t)bm[HW_KB_FREE_HASH].count;

	/* Era from the members: what was added when (kamailio-memory.md §3.2, §3.3); OpenSIPS's
	 * lists work as 4.2's, whatever else its fragments carry (2.4's is_free flag) */
	if (l.product == HW_PRODUCT_OPENSIPS) {
		l.era = l.f_pf != HW_NO_OFF ? HW_FM_ERA_OS34 : HW_FM_ERA_OS30;
		l.f_is_free = HW_NO_OFF;
		l.f_is_free_size = 0;
	} else if (l.f_is_free != HW_NO_OFF)
		l.era = l.f_next_free != HW_NO_OFF && l.f_is_free < l.f_next_free ? HW_FM_ERA_58
										  : HW_FM_ERA_44;
	else if (l.f_prv_free != HW_NO_OFF)
		l.era = HW_FM_ERA_42;
	else if (l.b_free_bitmap != HW_NO_OFF)
		l.era = HW_FM_ERA_OLD;
	else
		l.era = HW_FM_ERA_SER;
	if (hw_fm_flag_era(l.era) && (l.f_next_free == HW_NO_OFF || l.f_prev_free == HW_NO_OFF))
		return hw_error_create(HW_ERR_LOOKUP,
				       "f_malloc in %s has is_free but no list links",
				       hw_dwarf_path(dw));
	if (!hw_fm_flag_era(l.era) && l.f_u == HW_NO_OFF)
		return hw_error_create(HW_ERR_LOOKUP, "f_malloc in %s has no free-list link",
				       hw_dwarf_path(dw));
	err = hw_dwarf_hash(dw, "f_malloc", &l.head, l.era == HW_FM_ERA_58, l.hash_size,
			    l.block_size, &l.optimize, &l.optimize_factor, &l.first_off);
	if (err)
		return err;
	l.f_link = hw_fm_flag_era(l.era) ? l.f_next_free : l.f_u;
	l.init_headers = l.era >= HW_FM_ERA_42 ? 2 : 1;
	*ret = l;
	return NULL;
}
