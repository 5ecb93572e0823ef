/* par_layout.c - OpenSIPS's parallel pools: built-in profiles and the DWARF reader. */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

/* ROUNDTO is 8 on every word size; TOTAL_F_PARALLEL_POOLS is 32 in 3.6 and 4.0. */
#define PAR_ROUNDTO 8u
#define PAR_POOLS 32u

const char *hw_par_era_name(enum hw_par_era era)
{
	return era == HW_PAR_ERA_36 ? "opensips 3.6+" : "?";
}

/* What is the same whichever way the offsets were found. */
static void finish(struct hw_par_layout *p)
{
	struct hw_fm_layout *l = &p->fm;

	l->product = HW_PRODUCT_OPENSIPS;
	l->era = HW_PAR_ERA_36; /* lists as 3.3's f_malloc: big buckets sorted, no pf */
	l->roundto = PAR_ROUNDTO;
	l->stats = l->b_used != HW_NO_OFF;
	l->f_is_free = l->f_next_free = l->f_prev_free = l->f_mname = l->f_check = HW_NO_OFF;
	l->f_is_free_size = l->f_check_size = 0;
	l->f_pf = l->b_large_space = l->b_type = l->b_ffrags = l->b_free_bitmap = HW_NO_OFF;
	l->bitmap_words = 0;
	l->f_link = l->f_u;
	l->init_headers = 2;
	p->pools = PAR_POOLS;
}

struct hw_error *hw_par_profile(bool debug, bool extra_stats, uint32_t word,
				struct hw_par_layout *ret)
{
	struct hw_par_layout p;
	struct hw_fm_layout *l = &p.fm;
	const uint32_t w = word;
	uint32_t off;

	if (word != 4 && word != 8)
		return hw_error_create(HW_ERR_INVALID_ARG, "no parallel-pool profile for word %u",
				       word);
	memset(&p, 0, sizeof(p));
	l->word = w;
	l->debug = debug;
	l->b_used = 0; /* counters kept: DBG_MALLOC or STATISTICS (the default) */
	hw_hash_optimize(false, &l->optimize, &l->optimize_factor);

	/* struct parallel_frag: size, u, prev, [file, func, line,] block_ptr, [statistic_index] */
	l->f_size = 0;
	l->f_u = w;
	l->f_prv_free = 2 * w;
	off = 3 * w;
	l->f_file = l->f_func = l->f_line = HW_NO_OFF;
	if (debug) {
		l->f_file = off;
		l->f_func = off + w;
		l->f_line = off + 2 * w;
		off += 3 * w;
	}
	p.f_block_ptr = off;
	off += w;
	l->f_stat = extra_stats ? off : HW_NO_OFF;
	off += extra_stats ? w : 0;
	l->frag_size = hw_roundup(off, PAR_ROUNDTO);

	/* struct parallel_block: name, size, fragments, used, real_used, max_real_used, idx (an
	 * int, padded to a word), first_frag, last_frag, free_hash */
	l->b_size = w;
	l->b_frags_used = 2 * w;
	l->b_used = 3 * w;
	l->b_real_used = 4 * w;
	l->b_max_real_used = 5 * w;
	p.b_idx = 6 * w;
	l->b_first_frag = 7 * w;
	l->b_last_frag = 8 * w;
	l->b_free_hash = 9 * w;
	l->lnk_size = 2 * w;
	l->l_first = 0;
	l->l_no = w;
	l->hash_size = l->optimize / PAR_ROUNDTO + (8 * w - l->optimize_factor) + 1;
	l->block_size = hw_roundup(l->b_free_hash + l->hash_size * l->lnk_size, PAR_ROUNDTO);
	l->first_off = l->block_size;
	finish(&p);
	hw_profile_name(&l->head, "par-3.6-%s-%s%s", debug ? "dbg" : "nodbg",
			w == 8 ? "lp64" : "ilp32", extra_stats ? "-xs" : "");
	*ret = p;
	return NULL;
}

size_t hw_par_profiles(struct hw_par_layout *out, size_t cap)
{
	size_t n = 0;

	for (uint32_t word = 8; word >= 4; word -= 4)
		for (unsigned v = 0; v < 4; v++) {
			struct hw_par_layout p;
			if (hw_par_profile(!(v & 1), v & 2, word, &p))
				continue;
			if (n < cap)
				out[n] = p;
			n++;
		}
	return n;
}

struct hw_error *hw_par_profile_by_name(const char *name, struct hw_par_layout *ret)
{
	struct hw_par_layout all[8];
	size_t n = hw_par_profiles(all, 8);

	return hw_profile_pick(all, n, 8, sizeof(all[0]), name, ret);
}

struct hw_error *hw_par_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					  struct hw_par_layout *ret)
{
	struct hw_dwarf_member fm[1] = {{.name = "block_ptr"}};
	struct hw_dwarf_member bm[1] = {{.name = "idx"}};
	uint32_t *const ff[1] = {NULL}, *const bf[1] = {NULL};
	struct hw_par_layout p;
	uint64_t fsz, bsz;
	struct hw_error *err;

	memset(&p, 0, sizeof(p));
	err = hw_fm_dwarf_named(dw, word, "parallel_frag", "parallel_block", "parallel_frag_lnk",
				&p.fm);
	if (!err && ((err = hw_dwarf_members(dw, "parallel_frag", fm, 1, &fsz, ff)) ||
		     (err = hw_dwarf_members(dw, "parallel_block", bm, 1, &bsz, bf))))
		err = hw_error_context(err, "reading the parallel pools' layout from %s",
				       hw_dwarf_path(dw));
	if (err)
		return err;
	if (p.fm.product != HW_PRODUCT_OPENSIPS || !fm[0].found || !bm[0].found ||
	    p.fm.roundto != PAR_ROUNDTO || p.fm.f_u == HW_NO_OFF || p.fm.f_prv_free == HW_NO_OFF)
		return hw_error_create(
		    HW_ERR_LOOKUP, "the parallel-pool structs in %s lack members heapwalk needs",
		    hw_dwarf_path(dw));
	p.f_block_ptr = hw_member_off(&fm[0]);
	p.b_idx = hw_member_off(&bm[0]);
	finish(&p);
	*ret = p;
	return NULL;
}
