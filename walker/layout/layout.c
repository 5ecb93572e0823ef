/* layout.c - q_malloc layouts read from DWARF into the layout model. */
#include <stdio.h>
#include <string.h>

#include "build.h"
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
	if (fsz == 0 || esz == 0 || lsz == 0 || fsz > HW_SANE_STRUCT_MAX ||
	    esz > HW_SANE_STRUCT_MAX || bsz > HW_SANE_STRUCT_MAX || lsz > HW_SANE_STRUCT_MAX ||
	    bm[B_FREE_HASH].count > HW_SANE_STRUCT_MAX)
		return hw_error_create(HW_ERR_BAD_DATA, "implausible q_malloc struct sizes in %s",
				       hw_dwarf_path(dw));

	memset(&l, 0, sizeof(l));
	l.word = word;
	l.debug = fm[F_CHECK].found;
	l.frag_size = (uint32_t)fsz;
	l.f_size = hw_member_off(&fm[F_SIZE]);
	l.f_u = hw_member_off(&fm[F_U]);
	l.f_file = hw_member_off(&fm[F_FILE]);
	l.f_func = hw_member_off(&fm[F_FUNC]);
	l.f_mname = hw_member_off(&fm[F_MNAME]);
	l.f_line = hw_member_off(&fm[F_LINE]);
	l.f_check = hw_member_off(&fm[F_CHECK]);
	l.end_size = (uint32_t)esz;
	l.e_check1 = hw_member_off(&em[E_CHECK1]);
	l.e_check2 = hw_member_off(&em[E_CHECK2]);
	l.e_size = hw_member_off(&em[E_SIZE]);
	l.e_prev_free = hw_member_off(&em[E_PREV_FREE]);
	l.block_size = (uint32_t)bsz;
	l.b_type = hw_member_off(&bm[B_TYPE]);
	l.b_size = hw_member_off(&bm[B_SIZE]);
	l.b_used = hw_member_off(&bm[B_USED]);
	l.b_real_used = hw_member_off(&bm[B_REAL_USED]);
	l.b_max_real_used = hw_member_off(&bm[B_MAX_REAL_USED]);
	l.b_ffrags = hw_member_off(&bm[B_FFRAGS]);
	l.b_first_frag = hw_member_off(&bm[B_FIRST_FRAG]);
	l.b_last_frag_end = hw_member_off(&bm[B_LAST_FRAG_END]);
	l.b_free_hash = hw_member_off(&bm[B_FREE_HASH]);
	l.lnk_size = (uint32_t)lsz;
	l.l_no = hw_member_off(&lm[L_NO]);
	l.hash_size = (uint32_t)bm[B_FREE_HASH].count;

	/* Era from the members: what was added when (kamailio-memory.md §2.2-2.4). */
	if (lm[L_RESERVED1].found) { /* 5.8 padded the bucket head to a multiple of 16 */
		if (fm[F_BACKTRACE].found)
			l.era = HW_QM_ERA_MASTER_BT;
		else if (fm[F_RESERVED1].found && l.f_check != HW_NO_OFF &&
			 hw_member_off(&fm[F_RESERVED1]) < l.f_check)
			l.era = HW_QM_ERA_MASTER;
		else
			l.era = HW_QM_ERA_58;
	} else {
		if (l.b_type == HW_NO_OFF)
			l.era = HW_QM_ERA_OLD;
		else if (l.debug && l.f_mname == HW_NO_OFF)
			l.era = HW_QM_ERA_42;
		else
			l.era = HW_QM_ERA_44; /* non-debug 4.2-5.7 share one layout */
	}
	hw_hash_optimize(lm[L_RESERVED1].found, &l.optimize, &l.optimize_factor);

	err = hw_solve_roundto("q_malloc", hw_dwarf_path(dw), word, l.hash_size, l.optimize,
			       l.optimize_factor, &l.roundto);
	if (err)
		return err;
	l.first_off = hw_roundup(l.block_size, l.roundto);
	hw_dwarf_name(&l.head, hw_dwarf_path(dw));
	*ret = l;
	return NULL;
}
