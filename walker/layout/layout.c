/* layout.c - q_malloc layouts read from DWARF into the layout model. */
#include <stdio.h>
#include <string.h>

#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

enum { F_SIZE, F_U, F_FILE, F_FUNC, F_MNAME, F_LINE, F_CHECK, F_RESERVED1, F_BACKTRACE, F_N };
enum { E_CHECK1, E_CHECK2, E_SIZE, E_PREV_FREE, E_N };
enum {
	B_TYPE,
	B_SIZE,
	B_USED,
	B_REAL_USED,
	B_MAX_REAL_USED,
	B_FFRAGS,
	B_FIRST_FRAG,
	B_LAST_FRAG_END,
	B_FREE_HASH,
	B_N
};
enum { L_HEAD, L_TAIL, L_NO, L_RESERVED1, L_N };

static uint32_t off(const struct hw_dwarf_member *m)
{
	return m->found && m->offset < HW_NO_OFF ? (uint32_t)m->offset : HW_NO_OFF;
}

/* Structures far larger than any real variant mean the DWARF is not what we think. */
#define SANE_STRUCT_MAX (1u << 24)

struct hw_error *hw_qm_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					 struct hw_qm_layout *ret)
{
	struct hw_dwarf_member fm[F_N] = {
	    {.name = "size"},  {.name = "u"},	      {.name = "file"},
	    {.name = "func"},  {.name = "mname"},     {.name = "line"},
	    {.name = "check"}, {.name = "reserved1"}, {.name = "backtrace"},
	};
	struct hw_dwarf_member em[E_N] = {
	    {.name = "check1"}, {.name = "check2"}, {.name = "size"}, {.name = "prev_free"}};
	struct hw_dwarf_member bm[B_N] = {
	    {.name = "type"},	    {.name = "size"},	       {.name = "used"},
	    {.name = "real_used"},  {.name = "max_real_used"}, {.name = "ffrags"},
	    {.name = "first_frag"}, {.name = "last_frag_end"}, {.name = "free_hash"},
	};
	struct hw_dwarf_member lm[L_N] = {
	    {.name = "head"}, {.name = "tail"}, {.name = "no"}, {.name = "reserved1"}};
	uint64_t fsz, esz, bsz, lsz;
	struct hw_qm_layout l;
	struct hw_error *err;
	bool found_r = false;

	if ((err = hw_dwarf_struct(dw, "qm_frag", &fsz, fm, F_N)) ||
	    (err = hw_dwarf_struct(dw, "qm_frag_end", &esz, em, E_N)) ||
	    (err = hw_dwarf_struct(dw, "qm_block", &bsz, bm, B_N)) ||
	    (err = hw_dwarf_struct(dw, "qm_frag_lnk", &lsz, lm, L_N)))
		return hw_error_context(err, "reading the q_malloc layout from %s",
					hw_dwarf_path(dw));

	if (!fm[F_SIZE].found || !fm[F_U].found || !em[E_SIZE].found || !em[E_PREV_FREE].found ||
	    !bm[B_SIZE].found || !bm[B_USED].found || !bm[B_REAL_USED].found ||
	    !bm[B_MAX_REAL_USED].found || !bm[B_FIRST_FRAG].found || !bm[B_LAST_FRAG_END].found ||
	    !bm[B_FREE_HASH].found || bm[B_FREE_HASH].count == 0 || !lm[L_NO].found)
		return hw_error_create(HW_ERR_LOOKUP,
				       "the q_malloc structs in %s lack members heapwalk needs",
				       hw_dwarf_path(dw));
	if (fsz == 0 || esz == 0 || lsz == 0 || fsz > SANE_STRUCT_MAX || esz > SANE_STRUCT_MAX ||
	    bsz > SANE_STRUCT_MAX || lsz > SANE_STRUCT_MAX ||
	    bm[B_FREE_HASH].count > SANE_STRUCT_MAX)
		return hw_error_create(HW_ERR_BAD_DATA, "implausible q_malloc struct sizes in %s",
				       hw_dwarf_path(dw));

	memset(&l, 0, sizeof(l));
	l.word = word;
	l.debug = fm[F_CHECK].found;
	l.frag_size = (uint32_t)fsz;
	l.f_size = off(&fm[F_SIZE]);
	l.f_u = off(&fm[F_U]);
	l.f_file = off(&fm[F_FILE]);
	l.f_func = off(&fm[F_FUNC]);
	l.f_mname = off(&fm[F_MNAME]);
	l.f_line = off(&fm[F_LINE]);
	l.f_check = off(&fm[F_CHECK]);
	l.end_size = (uint32_t)esz;
	l.e_check1 = off(&em[E_CHECK1]);
	l.e_check2 = off(&em[E_CHECK2]);
	l.e_size = off(&em[E_SIZE]);
	l.e_prev_free = off(&em[E_PREV_FREE]);
	l.block_size = (uint32_t)bsz;
	l.b_type = off(&bm[B_TYPE]);
	l.b_size = off(&bm[B_SIZE]);
	l.b_used = off(&bm[B_USED]);
	l.b_real_used = off(&bm[B_REAL_USED]);
	l.b_max_real_used = off(&bm[B_MAX_REAL_USED]);
	l.b_ffrags = off(&bm[B_FFRAGS]);
	l.b_first_frag = off(&bm[B_FIRST_FRAG]);
	l.b_last_frag_end = off(&bm[B_LAST_FRAG_END]);
	l.b_free_hash = off(&bm[B_FREE_HASH]);
	l.lnk_size = (uint32_t)lsz;
	l.l_no = off(&lm[L_NO]);
	l.hash_size = (uint32_t)bm[B_FREE_HASH].count;

	/* Era from the members: what was added when (kamailio-memory.md §2.2-2.4). */
	if (lm[L_RESERVED1].found) { /* 5.8 padded the bucket head to a multiple of 16 */
		if (fm[F_BACKTRACE].found)
			l.era = HW_QM_ERA_MASTER_BT;
		else if (fm[F_RESERVED1].found && l.f_check != HW_NO_OFF &&
			 off(&fm[F_RESERVED1]) < l.f_check)
			l.era = HW_QM_ERA_MASTER;
		else
			l.era = HW_QM_ERA_58;
		l.optimize = 32768;
		l.optimize_factor = 15;
	} else {
		if (l.b_type == HW_NO_OFF)
			l.era = HW_QM_ERA_OLD;
		else if (l.debug && l.f_mname == HW_NO_OFF)
			l.era = HW_QM_ERA_42;
		else
			l.era = HW_QM_ERA_44; /* non-debug 4.2-5.7 share one layout */
		l.optimize = 16384;
		l.optimize_factor = 14;
	}

	/*
	 * ROUNDTO is a macro, not in DWARF: solve
	 * hash_size = optimize/R + (bits - factor) + 1 for R.
	 */
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
				       "q_malloc in %s has %u hash buckets, which matches no known "
				       "ROUNDTO/optimize setting",
				       hw_dwarf_path(dw), l.hash_size);
	l.first_off = (l.block_size + l.roundto - 1) / l.roundto * l.roundto;
	snprintf(l.name, sizeof(l.name), "dwarf");
	snprintf(l.source, sizeof(l.source), "dwarf:%s", hw_dwarf_path(dw));
	*ret = l;
	return NULL;
}
