/* hp_layout.c - OpenSIPS's hp_malloc layouts: built-in profiles and the DWARF reader. */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

/* hp_malloc's ROUNDTO is 8 on every architecture; an optimized bucket spreads over 32 more. */
#define HP_ROUNDTO 8u
#define HP_SECONDARY_MAX 32u

const char *hw_hp_era_name(enum hw_hp_era era)
{
	return era == HW_HP_ERA_OPENSIPS ? "opensips" : "?";
}

/* The hash sizes and the block's size follow from the word, ROUNDTO and the optimize constants. */
static void finish(struct hw_hp_layout *l, uint32_t total_buckets)
{
	l->hash_size = l->optimize / l->roundto + (8 * l->word - l->optimize_factor) + 1;
	l->extra_hash_size = total_buckets ? total_buckets - l->hash_size
					   : (l->optimize / l->roundto) * HP_SECONDARY_MAX;
	if (!l->block_size)
		l->block_size = l->b_free_hash + (l->hash_size + l->extra_hash_size) * l->lnk_size;
	l->first_off = hw_roundup(l->block_size, l->roundto);
}

struct hw_error *hw_hp_profile(enum hw_os_release rel, bool debug, bool extra_stats, uint32_t word,
			       struct hw_hp_layout *ret)
{
	struct hw_hp_layout l;
	const uint32_t w = word;
	uint32_t off;

	if ((word != 4 && word != 8) || (unsigned)rel >= HW_OS_REL_COUNT)
		return hw_error_create(HW_ERR_INVALID_ARG, "no hp_malloc profile for word %u",
				       word);
	memset(&l, 0, sizeof(l));
	l.product = HW_PRODUCT_OPENSIPS;
	l.era = HW_HP_ERA_OPENSIPS;
	l.word = w;
	l.debug = debug;
	l.roundto = HP_ROUNDTO;
	hw_hash_optimize(false, &l.optimize, &l.optimize_factor);

	/* struct hp_frag: size, prev, nxt_free (3.0.0: size, u.nxt_free, prev), [file, func,
	 * line,] [is_free (2.4),] [statistic_index] */
	l.f_size = 0;
	l.f_prev = rel == HW_OS_REL_30 ? 2 * w : w;
	l.f_nxt_free = rel == HW_OS_REL_30 ? w : 2 * w;
	off = 3 * w;
	l.f_file = l.f_func = l.f_line = HW_NO_OFF;
	if (debug) {
		l.f_file = off;
		l.f_func = off + w;
		l.f_line = off + 2 * w;
		off += 3 * w;
	}
	if (rel == HW_OS_REL_24 && (debug || extra_stats))
		off = hw_roundup(off + 1, w); /* is_free, a char */
	l.f_stat = extra_stats ? off : HW_NO_OFF;
	off += extra_stats ? w : 0;
	/* aligned to ROUNDTO from 3.1 on, to the word before */
	l.frag_size = hw_roundup(off, rel >= HW_OS_REL_31 ? HP_ROUNDTO : w);

	/* struct hp_block: name, size, [large_space, large_limit (3.0.0),] used, real_used,
	 * max_real_used, total_fragments, last_updated (a struct timeval: two longs),
	 * first_frag, last_frag, free_hash */
	l.b_size = w;
	off = rel == HW_OS_REL_30 ? 4 * w : 2 * w;
	l.b_used = off;
	l.b_real_used = off + w;
	l.b_max_real_used = off + 2 * w;
	l.b_frags = off + 3 * w;
	l.b_first_frag = off + 4 * w + 2 * w;
	l.b_last_frag = l.b_first_frag + w;
	l.b_free_hash = l.b_last_frag + w;
	/* struct hp_frag_lnk: is_optimized (a char), first at its alignment, [no, total_no
	 * (2.4)] */
	l.l_optimized = 0;
	l.l_first = w;
	l.l_no = rel == HW_OS_REL_24 ? 2 * w : HW_NO_OFF;
	l.lnk_size = rel == HW_OS_REL_24 ? 4 * w : 2 * w;
	finish(&l, 0);

	hw_profile_name(&l.head, "hp-opensips-%s%s-%s%s",
			rel == HW_OS_REL_24   ? "2.4-"
			: rel == HW_OS_REL_30 ? "3.0-"
					      : "",
			debug ? "dbg" : "nodbg", w == 8 ? "lp64" : "ilp32",
			extra_stats ? "-xs" : "");
	*ret = l;
	return NULL;
}

#define HP_PROFILES_MAX 32

/* Variant bits: non-debug, SHM_EXTRA_STATS; then the release: 2.4, 3.0.0-3.0.2, 3.1+. */
static struct hw_error *hp_make(void *l, unsigned era, unsigned variant, uint32_t word,
				uint32_t roundto)
{
	static const enum hw_os_release rels[] = {HW_OS_REL_24, HW_OS_REL_30, HW_OS_REL_31};

	(void)era;
	(void)roundto;
	if (variant / 4 >= sizeof(rels) / sizeof(rels[0]))
		return hw_error_create(HW_ERR_INVALID_ARG, "no such release");
	return hw_hp_profile(rels[variant / 4], !(variant & 1), variant & 2, word, l);
}

HW_PROFILE_TABLE(hp, HP_PROFILES_MAX, HW_HP_ERA_COUNT, 12, HW_HP_ERA_COUNT)

uint64_t hw_hp_hash(const struct hw_hp_layout *l, uint64_t size)
{
	return hw_bucket_hash(size, l->roundto, l->optimize, l->optimize_factor);
}

uint64_t hw_hp_unhash(const struct hw_hp_layout *l, uint64_t h)
{
	return hw_bucket_unhash(h, l->roundto, l->optimize, l->optimize_factor);
}

/* ---- DWARF ---- */

enum { F_SIZE, F_PREV, F_NXT_FREE, F_FILE, F_FUNC, F_LINE, F_STAT, F_N };
enum {
	B_SIZE,
	B_USED,
	B_REAL_USED,
	B_MAX_REAL_USED,
	B_FRAGS,
	B_FIRST_FRAG,
	B_LAST_FRAG,
	B_FREE_HASH,
	B_N
};
enum { L_OPTIMIZED, L_FIRST, L_NO, L_N };

struct hw_error *hw_hp_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					 struct hw_hp_layout *ret)
{
	struct hw_dwarf_member fm[F_N] = {
	    {.name = "size"}, {.name = "prev"}, {.name = "nxt_free"},	     {.name = "file"},
	    {.name = "func"}, {.name = "line"}, {.name = "statistic_index"},
	};
	/* 3.0.0-3.0.2 kept the free link in a union u, before prev */
	struct hw_dwarf_member um = {.name = "u.nxt_free"};
	uint32_t u_nxt = HW_NO_OFF;
	uint32_t *const uf[1] = {&u_nxt};
	struct hw_dwarf_member bm[B_N] = {
	    {.name = "size"},
	    {.name = "used"},
	    {.name = "real_used"},
	    {.name = "max_real_used"},
	    {.name = "total_fragments"},
	    {.name = "first_frag"},
	    {.name = "last_frag"},
	    {.name = "free_hash"},
	};
	struct hw_dwarf_member lm[L_N] = {
	    {.name = "is_optimized"}, {.name = "first"}, {.name = "no"}};
	struct hw_hp_layout l;
	uint32_t *const ff[F_N] = {&l.f_size, &l.f_prev, &l.f_nxt_free, &l.f_file,
				   &l.f_func, &l.f_line, &l.f_stat};
	uint32_t *const bf[B_N] = {&l.b_size,  &l.b_used,	&l.b_real_used, &l.b_max_real_used,
				   &l.b_frags, &l.b_first_frag, &l.b_last_frag, &l.b_free_hash};
	uint32_t *const lf[L_N] = {&l.l_optimized, &l.l_first, &l.l_no};
	uint64_t fsz, bsz, lsz;
	struct hw_error *err;

	memset(&l, 0, sizeof(l));
	if ((err = hw_dwarf_members(dw, "hp_frag", fm, F_N, &fsz, ff)) ||
	    (err = hw_dwarf_members(dw, "hp_block", bm, B_N, &bsz, bf)) ||
	    (err = hw_dwarf_members(dw, "hp_frag_lnk", lm, L_N, &lsz, lf)) ||
	    (err = hw_dwarf_members(dw, "hp_frag", &um, 1, &fsz, uf)))
		return hw_error_context(err, "reading the hp_malloc layout from %s",
					hw_dwarf_path(dw));
	if (!fm[F_NXT_FREE].found && um.found) {
		fm[F_NXT_FREE].found = true;
		l.f_nxt_free = u_nxt;
	}
	if (!fm[F_SIZE].found || !fm[F_PREV].found || !fm[F_NXT_FREE].found)
		return hw_error_create(HW_ERR_LOOKUP,
				       "struct hp_frag in %s lacks size, prev or nxt_free",
				       hw_dwarf_path(dw));
	for (int i = 0; i < B_N; i++)
		if (!bm[i].found)
			return hw_error_create(HW_ERR_LOOKUP, "struct hp_block in %s lacks %s",
					       hw_dwarf_path(dw), bm[i].name);
	if (!lm[L_OPTIMIZED].found || !lm[L_FIRST].found)
		return hw_error_create(HW_ERR_LOOKUP, "struct hp_frag_lnk in %s lacks first",
				       hw_dwarf_path(dw));
	if (fsz == 0 || fsz > 256 || lsz == 0 || lsz > 64 || bsz > HW_SANE_STRUCT_MAX ||
	    bm[B_FREE_HASH].count <= 2 * 8 * word || bm[B_FREE_HASH].count > HW_SANE_STRUCT_MAX)
		return hw_error_create(HW_ERR_BAD_DATA, "implausible hp_malloc struct sizes in %s",
				       hw_dwarf_path(dw));
	l.product = HW_PRODUCT_OPENSIPS;
	l.era = HW_HP_ERA_OPENSIPS;
	l.word = word;
	l.debug = fm[F_FILE].found;
	l.roundto = HP_ROUNDTO;
	hw_hash_optimize(false, &l.optimize, &l.optimize_factor);
	l.frag_size = (uint32_t)fsz;
	l.block_size = (uint32_t)bsz;
	l.lnk_size = (uint32_t)lsz;
	finish(&l, (uint32_t)bm[B_FREE_HASH].count);
	if (l.hash_size >= bm[B_FREE_HASH].count)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "hp_malloc in %s has %u hash buckets, fewer than its "
				       "HP_HASH_SIZE",
				       hw_dwarf_path(dw), (uint32_t)bm[B_FREE_HASH].count);
	hw_dwarf_name(&l.head, hw_dwarf_path(dw));
	*ret = l;
	return NULL;
}
