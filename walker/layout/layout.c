/* layout.c - q_malloc layouts read from DWARF into the layout model. */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

enum {
	F_SIZE,
	F_U,
	F_FILE,
	F_FUNC,
	F_MNAME,
	F_LINE,
	F_CHECK,
	F_RESERVED1,
	F_BACKTRACE,
	F_DBG,	/* OpenSIPS: dbg[QM_DBG_MALLOC_HIST] of struct qm_frag_dbg */
	F_STAT, /* OpenSIPS SHM_EXTRA_STATS */
	F_N
};
enum { E_CHECK1, E_CHECK2, E_SIZE, E_PREV_FREE, E_N };
enum { L_HEAD, L_TAIL, L_NO, L_RESERVED1, L_N };

struct hw_error *hw_qm_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					 struct hw_qm_layout *ret)
{
	struct hw_dwarf_member fm[F_N] = {
	    {.name = "size"},
	    {.name = "u"},
	    {.name = "file"},
	    {.name = "func"},
	    {.name = "mname"},
	    {.name = "line"},
	    {.name = "check"},
	    {.name = "reserved1"},
	    {.name = "backtrace"},
	    {.name = "dbg"},
	    {.name = "statistic_index"},
	};
	/* OpenSIPS's struct qm_frag_dbg: the site, the first entry of dbg[] */
	struct hw_dwarf_member dm[3] = {{.name = "file"}, {.name = "func"}, {.name = "line"}};
	/* OpenSIPS's block: a name where Kamailio has its type, fragments in use */
	struct hw_dwarf_member om[2] = {{.name = "name"}, {.name = "fragments"}};
	struct hw_dwarf_member em[E_N] = {
	    {.name = "check1"}, {.name = "check2"}, {.name = "size"}, {.name = "prev_free"}};
	struct hw_dwarf_member bm[HW_KB_N];
	struct hw_dwarf_member lm[L_N] = {
	    {.name = "head"}, {.name = "tail"}, {.name = "no"}, {.name = "reserved1"}};
	struct hw_qm_layout l;
	uint32_t dbg_site[3];
	uint32_t *const df[3] = {&dbg_site[0], &dbg_site[1], &dbg_site[2]};
	uint32_t *const ff[F_N] = {&l.f_size,	   &l.f_u,    &l.f_file,  &l.f_func,
				   &l.f_mname,	   &l.f_line, &l.f_check, NULL,
				   &l.f_backtrace, NULL,      &l.f_stat};
	uint32_t *const of[2] = {NULL, &l.b_frags_used};
	uint32_t *const ef[E_N] = {&l.e_check1, &l.e_check2, &l.e_size, &l.e_prev_free};
	uint32_t *const bf[HW_KB_N] = {
	    &l.b_type,	 &l.b_size,	  &l.b_used,	      &l.b_real_used, &l.b_max_real_used,
	    &l.b_ffrags, &l.b_first_frag, &l.b_last_frag_end, NULL,	      &l.b_free_hash};
	uint32_t *const lf[L_N] = {NULL, NULL, &l.l_no, NULL};
	uint64_t fsz, esz, bsz, lsz;
	struct hw_error *err;

	memset(&l, 0, sizeof(l));
	hw_kam_block_members(bm, "last_frag_end");
	if ((err = hw_dwarf_members(dw, "qm_frag", fm, F_N, &fsz, ff)) ||
	    (err = hw_dwarf_members(dw, "qm_frag_end", em, E_N, &esz, ef)) ||
	    (err = hw_dwarf_members(dw, "qm_block", bm, HW_KB_N, &bsz, bf)) ||
	    (err = hw_dwarf_members(dw, "qm_frag_lnk", lm, L_N, &lsz, lf)) ||
	    (err = hw_dwarf_members(dw, "qm_block", om, 2, &bsz, of)))
		return hw_error_context(err, "reading the q_malloc layout from %s",
					hw_dwarf_path(dw));

	if (!fm[F_SIZE].found || !fm[F_U].found || !em[E_SIZE].found || !em[E_PREV_FREE].found ||
	    !bm[HW_KB_SIZE].found || !bm[HW_KB_USED].found || !bm[HW_KB_REAL_USED].found ||
	    !bm[HW_KB_MAX_REAL_USED].found || !bm[HW_KB_FIRST_FRAG].found ||
	    !bm[HW_KB_LAST_FRAG].found || !bm[HW_KB_FREE_HASH].found ||
	    bm[HW_KB_FREE_HASH].count == 0 || !lm[L_NO].found)
		return hw_error_create(HW_ERR_LOOKUP,
				       "the q_malloc structs in %s lack members heapwalk needs",
				       hw_dwarf_path(dw));
	if (fsz == 0 || esz == 0 || lsz == 0 || fsz > HW_SANE_STRUCT_MAX ||
	    esz > HW_SANE_STRUCT_MAX || bsz > HW_SANE_STRUCT_MAX || lsz > HW_SANE_STRUCT_MAX ||
	    bm[HW_KB_FREE_HASH].count > HW_SANE_STRUCT_MAX)
		return hw_error_create(HW_ERR_BAD_DATA, "implausible q_malloc struct sizes in %s",
				       hw_dwarf_path(dw));

	l.word = word;
	l.debug = fm[F_CHECK].found;
	l.st_check = HW_QM_ST_CHECK;
	l.end_check1 = HW_QM_END_CHECK1;
	l.end_check2 = HW_QM_END_CHECK2;
	l.hist = l.debug ? 1 : 0;
	if (om[0].found) { /* OpenSIPS: whole-word patterns, the site in dbg[0] */
		l.product = HW_PRODUCT_OPENSIPS;
		if (word == 8) {
			l.st_check |= l.st_check << 32;
			l.end_check1 |= l.end_check1 << 32;
			l.end_check2 |= l.end_check2 << 32;
		}
		if (fm[F_DBG].found) {
			uint64_t dsz = 0, d0 = hw_member_off(&fm[F_DBG]);
			err = hw_dwarf_members(dw, "qm_frag_dbg", dm, 3, &dsz, df);
			if (err)
				return hw_error_context(err, "reading qm_frag_dbg from %s",
							hw_dwarf_path(dw));
			if (!dm[0].found || !dm[1].found || !dm[2].found || dsz == 0 ||
			    fm[F_DBG].size > HW_SANE_STRUCT_MAX)
				return hw_error_create(HW_ERR_LOOKUP,
						       "struct qm_frag_dbg in %s lacks file, func "
						       "or line",
						       hw_dwarf_path(dw));
			l.f_file = (uint32_t)(d0 + dbg_site[0]);
			l.f_func = (uint32_t)(d0 + dbg_site[1]);
			l.f_line = (uint32_t)(d0 + dbg_site[2]);
			l.hist = fm[F_DBG].count ? (uint32_t)fm[F_DBG].count : 1;
		}
	} else {
		l.b_frags_used = l.f_stat = HW_NO_OFF;
	}
	l.frag_size = (uint32_t)fsz;
	l.end_size = (uint32_t)esz;
	l.block_size = (uint32_t)bsz;
	l.lnk_size = (uint32_t)lsz;
	l.hash_size = (uint32_t)bm[HW_KB_FREE_HASH].count;
	/* the stored return addresses: an array of words, bounded (Kamailio keeps 9) */
	if (fm[F_BACKTRACE].found && fm[F_BACKTRACE].count > 0 && fm[F_BACKTRACE].count <= 64 &&
	    fm[F_BACKTRACE].size == fm[F_BACKTRACE].count * word)
		l.bt_depth = (uint32_t)fm[F_BACKTRACE].count;
	else
		l.f_backtrace = HW_NO_OFF;

	/* Era from the members: what was added when (kamailio-memory.md §2.2-2.4). */
	if (lm[L_RESERVED1].found) { /* 5.8 padded the bucket head to a multiple of 16 */
		if (fm[F_BACKTRACE].found)
			l.era = HW_QM_ERA_MASTER_BT;
		else if (fm[F_RESERVED1].found && l.f_check != HW_NO_OFF &&
			 hw_member_off(&fm[F_RESERVED1]) < l.f_check)
			l.era = HW_QM_ERA_MASTER;
		else
			l.era = HW_QM_ERA_58;
	} else if (l.product == HW_PRODUCT_OPENSIPS) {
		l.era = HW_QM_ERA_OPENSIPS;
	} else {
		if (l.b_type == HW_NO_OFF)
			l.era = HW_QM_ERA_OLD;
		else if (l.debug && l.f_mname == HW_NO_OFF)
			l.era = HW_QM_ERA_42;
		else
			l.era = HW_QM_ERA_44; /* non-debug 4.2-5.7 share one layout */
	}
	err = hw_dwarf_hash(dw, "q_malloc", &l.head, lm[L_RESERVED1].found, l.hash_size,
			    l.block_size, &l.optimize, &l.optimize_factor, &l.first_off);
	if (err)
		return err;
	*ret = l;
	return NULL;
}
