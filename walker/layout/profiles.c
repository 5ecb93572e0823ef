/* profiles.c - the built-in q_malloc layout profiles (kamailio-memory.md §2, §9.1). */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

static const char *const era_names[HW_QM_ERA_COUNT] = {
    [HW_QM_ERA_OLD] = "0.9-4.1", [HW_QM_ERA_42] = "4.2-4.3",	[HW_QM_ERA_44] = "4.4-5.7",
    [HW_QM_ERA_58] = "5.8-6.1",	 [HW_QM_ERA_MASTER] = "master", [HW_QM_ERA_MASTER_BT] = "master-bt",
};

const char *hw_qm_era_name(enum hw_qm_era era)
{
	return (unsigned)era < HW_QM_ERA_COUNT ? era_names[era] : "?";
}

/*
 * struct qm_frag of debug builds: size, u, file, func, then per era (in
 * words) mname (0: none), line, check and the struct's size.
 */
static const struct {
	uint8_t mname, line, check, size;
} debug_frags[HW_QM_ERA_COUNT] = {
    [HW_QM_ERA_OLD] = {0, 4, 5, 6},
    [HW_QM_ERA_42] = {0, 4, 5, 6},
    [HW_QM_ERA_44] = {4, 5, 6, 7},
    [HW_QM_ERA_58] = {4, 5, 6, 8},	    /* reserved1 follows check */
    [HW_QM_ERA_MASTER] = {4, 5, 7, 8},	    /* reserved1 precedes check */
    [HW_QM_ERA_MASTER_BT] = {4, 5, 15, 16}, /* check after backtrace[9] */
};

struct hw_error *hw_qm_profile(enum hw_qm_era era, bool debug, uint32_t word, uint32_t roundto,
			       struct hw_qm_layout *ret)
{
	struct hw_qm_layout l;
	const uint32_t w = word;
	bool new_era = era >= HW_QM_ERA_58;
	struct hw_error *err;

	if ((unsigned)era >= HW_QM_ERA_COUNT || (word != 4 && word != 8))
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "no q_malloc profile for era %d, word %u", (int)era, word);
	if (era == HW_QM_ERA_MASTER_BT && !debug)
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "the backtrace variant exists only in debug builds");
	memset(&l, 0, sizeof(l));
	l.era = era;
	l.word = w;
	l.debug = debug;
	err = hw_hash_roundto("q_malloc", era_names[era], new_era, debug, debug ? w : 16, &roundto);
	if (err)
		return err;
	hw_hash_optimize(new_era, &l.optimize, &l.optimize_factor);
	l.roundto = roundto;

	/* struct qm_frag */
	l.f_size = 0;
	l.f_u = w;
	l.f_file = l.f_func = l.f_mname = l.f_line = l.f_check = HW_NO_OFF;
	if (!debug) {
		l.frag_size = 2 * w;
	} else {
		l.f_file = 2 * w;
		l.f_func = 3 * w;
		l.f_mname = debug_frags[era].mname ? debug_frags[era].mname * w : HW_NO_OFF;
		l.f_line = debug_frags[era].line * w;
		l.f_check = debug_frags[era].check * w;
		l.frag_size = debug_frags[era].size * w;
	}
	l.f_backtrace = HW_NO_OFF;
	if (era == HW_QM_ERA_MASTER_BT) { /* backtrace[9] between line and check */
		l.f_backtrace = (debug_frags[era].line + 1) * w;
		l.bt_depth = debug_frags[era].check - debug_frags[era].line - 1;
	}

	/* struct qm_frag_end */
	if (debug) {
		l.e_check1 = 0;
		l.e_check2 = w;
		l.e_size = 4 * w;
		l.e_prev_free = 5 * w;
		l.end_size = 6 * w;
	} else {
		l.e_check1 = l.e_check2 = HW_NO_OFF;
		l.e_size = 0;
		l.e_prev_free = w;
		l.end_size = 2 * w;
	}

	/* struct qm_frag_lnk: head, tail, no [, reserved1] */
	l.l_no = l.frag_size + l.end_size;
	l.lnk_size = l.l_no + w + (new_era ? w : 0);

	/* struct qm_block: the counters, first_frag, last_frag_end, free_hash */
	l.b_first_frag =
	    hw_block_counters(w, era != HW_QM_ERA_OLD, true, &l.b_type, &l.b_size, &l.b_used,
			      &l.b_real_used, &l.b_max_real_used, &l.b_ffrags);
	l.b_last_frag_end = l.b_first_frag + w;
	l.b_free_hash = l.b_first_frag + 2 * w;
	l.hash_size = l.optimize / roundto + (8 * w - l.optimize_factor) + 1;
	l.block_size = l.b_free_hash + l.hash_size * l.lnk_size;
	l.first_off = hw_roundup(l.block_size, roundto);

	hw_profile_name(&l.head, "qm-%s-%s-%s%s", era_names[era], debug ? "dbg" : "nodbg",
			w == 8 ? "lp64" : "ilp32",
			new_era && roundto != 16 ? (roundto == 8 ? "-r8" : "-r4") : "");
	*ret = l;
	return NULL;
}

#define QM_PROFILES_MAX 64

/* Variant 0 debug, 1 non-debug. */
static struct hw_error *qm_make(void *l, unsigned era, unsigned variant, uint32_t word,
				uint32_t roundto)
{
	return hw_qm_profile((enum hw_qm_era)era, variant == 0, word, roundto, l);
}

HW_PROFILE_TABLE(qm, QM_PROFILES_MAX, HW_QM_ERA_COUNT, 2, HW_QM_ERA_58)
HW_BUCKET_HASH(qm)
