/* profiles.c - the built-in q_malloc layout profiles (kamailio-memory.md §2, §9.1). */
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

static const char *const era_names[HW_QM_ERA_COUNT] = {
    [HW_QM_ERA_OLD] = "0.9-4.1",       [HW_QM_ERA_42] = "4.2-4.3",
    [HW_QM_ERA_44] = "4.4-5.7",	       [HW_QM_ERA_58] = "5.8-6.1",
    [HW_QM_ERA_MASTER] = "master",     [HW_QM_ERA_MASTER_BT] = "master-bt",
    [HW_QM_ERA_OPENSIPS] = "opensips",
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

	if (era == HW_QM_ERA_OPENSIPS)
		return hw_qm_profile_opensips(debug, word, 1, false, false, ret);
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

	l.st_check = HW_QM_ST_CHECK;
	l.end_check1 = HW_QM_END_CHECK1;
	l.end_check2 = HW_QM_END_CHECK2;
	l.b_frags_used = l.f_stat = HW_NO_OFF;
	l.hist = debug ? 1 : 0;
	hw_profile_name(&l.head, "qm-%s-%s-%s%s", era_names[era], debug ? "dbg" : "nodbg",
			w == 8 ? "lp64" : "ilp32",
			new_era && roundto != 16 ? (roundto == 8 ? "-r8" : "-r4") : "");
	*ret = l;
	return NULL;
}

/* The 32-bit pattern @v32 repeated over the word: OpenSIPS's patterns fill it. */
static uint64_t fill_word(uint64_t v32, uint32_t word)
{
	return word == 8 ? v32 << 32 | v32 : v32;
}

struct hw_error *hw_qm_profile_opensips(bool debug, uint32_t word, uint32_t hist, bool extra_stats,
					bool r16, struct hw_qm_layout *ret)
{
	struct hw_qm_layout l;
	const uint32_t w = word, x = extra_stats ? 1 : 0;

	if ((word != 4 && word != 8) || hist < 1 || hist > HW_QM_HIST_MAX ||
	    (!debug && hist != 1) || (debug && r16))
		return hw_error_create(HW_ERR_INVALID_ARG,
				       "no OpenSIPS q_malloc profile for word %u, history %u", word,
				       hist);
	memset(&l, 0, sizeof(l));
	l.product = HW_PRODUCT_OPENSIPS;
	l.era = HW_QM_ERA_OPENSIPS;
	l.word = w;
	l.debug = debug;
	l.roundto = r16 ? 16 : w; /* QM_ROUNDTO is sizeof(void *); 2.4 without debug: 16 */
	l.optimize = 1u << 14;
	l.optimize_factor = 14;
	l.hist = debug ? hist : 0;

	/* struct qm_frag: size, u, [dbg[hist] {file, func, line}, check,] [statistic_index] */
	l.f_size = 0;
	l.f_u = w;
	l.f_mname = HW_NO_OFF;
	l.f_backtrace = HW_NO_OFF;
	if (debug) {
		l.f_file = 2 * w;
		l.f_func = 3 * w;
		l.f_line = 4 * w;
		l.f_check = (2 + 3 * hist) * w;
		l.f_stat = x ? l.f_check + w : HW_NO_OFF;
		l.frag_size = (3 + 3 * hist + x) * w;
	} else {
		l.f_file = l.f_func = l.f_line = l.f_check = HW_NO_OFF;
		l.f_stat = x ? 2 * w : HW_NO_OFF;
		l.frag_size = (2 + x) * w;
	}
	/* struct qm_frag_end: [check1, check2, reserved1, reserved2,] size, prev_free */
	l.e_check1 = debug ? 0 : HW_NO_OFF;
	l.e_check2 = debug ? w : HW_NO_OFF;
	l.e_size = debug ? 4 * w : 0;
	l.e_prev_free = l.e_size + w;
	l.end_size = l.e_prev_free + w;
	/* struct qm_frag_lnk: head, tail, no */
	l.l_no = l.frag_size + l.end_size;
	l.lnk_size = l.l_no + w;
	/* struct qm_block: name, size, used, real_used, max_real_used, fragments, first_frag,
	 * last_frag_end, free_hash */
	l.b_type = l.b_ffrags = HW_NO_OFF;
	l.b_size = w;
	l.b_used = 2 * w;
	l.b_real_used = 3 * w;
	l.b_max_real_used = 4 * w;
	l.b_frags_used = 5 * w;
	l.b_first_frag = 6 * w;
	l.b_last_frag_end = 7 * w;
	l.b_free_hash = 8 * w;
	l.hash_size = l.optimize / l.roundto + (8 * w - l.optimize_factor) + 1;
	l.block_size = l.b_free_hash + l.hash_size * l.lnk_size;
	l.first_off = hw_roundup(l.block_size, l.roundto);
	l.st_check = fill_word(HW_QM_ST_CHECK, w);
	l.end_check1 = fill_word(HW_QM_END_CHECK1, w);
	l.end_check2 = fill_word(HW_QM_END_CHECK2, w);

	hw_profile_name(&l.head, "qm-opensips-%s%s-%s%s", r16 ? "2.4-" : "",
			debug ? "dbg" : "nodbg", w == 8 ? "lp64" : "ilp32",
			extra_stats ? "-xs" : "");
	if (hist > 1) {
		size_t n = strlen(l.name);
		snprintf(l.name + n, sizeof(l.name) - n, "-h%u", hist);
		snprintf(l.source, sizeof(l.source), "profile:%s", l.name);
	}
	*ret = l;
	return NULL;
}

#define QM_PROFILES_MAX 96

/*
 * Variant 0 debug, 1 non-debug; OpenSIPS's also: +2 SHM_EXTRA_STATS, +4*(n-1)
 * a QM_DBG_MALLOC_HIST of n (debug only), and after those 2.4's non-debug
 * ROUNDTO 16 (+1 SHM_EXTRA_STATS).
 */
static struct hw_error *qm_make(void *l, unsigned era, unsigned variant, uint32_t word,
				uint32_t roundto)
{
	if (era == HW_QM_ERA_OPENSIPS) {
		if (roundto != 16) /* one ROUNDTO each: the word */
			return hw_error_create(HW_ERR_INVALID_ARG, "once per word size");
		if (variant >= 4 * HW_QM_HIST_MAX)
			return hw_qm_profile_opensips(false, word, 1,
						      variant - 4 * HW_QM_HIST_MAX == 1, true, l);
		return hw_qm_profile_opensips(variant % 2 == 0, word, 1 + variant / 4,
					      variant / 2 % 2 == 1, false, l);
	}
	if (variant > 1)
		return hw_error_create(HW_ERR_INVALID_ARG, "Kamailio has two variants");
	return hw_qm_profile((enum hw_qm_era)era, variant == 0, word, roundto, l);
}

HW_PROFILE_TABLE(qm, QM_PROFILES_MAX, HW_QM_ERA_COUNT, 4 * HW_QM_HIST_MAX + 2, HW_QM_ERA_58)
HW_BUCKET_HASH(qm)
