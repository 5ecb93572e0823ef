/* profiles.c - the built-in q_malloc layout profiles (kamailio-memory.md §2, §9.1). */
#include <stdio.h>
#include <string.h>

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

struct hw_error *hw_qm_profile(enum hw_qm_era era, bool debug, uint32_t word, uint32_t roundto,
			       struct hw_qm_layout *ret)
{
	struct hw_qm_layout l;
	const uint32_t w = word;
	bool new_era = era >= HW_QM_ERA_58;

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
	if (new_era) {
		if (roundto == 0)
			roundto = 16;
		if (roundto != 16 && roundto != 8 && roundto != 4)
			return hw_error_create(HW_ERR_INVALID_ARG,
					       "ROUNDTO %u is not one of 4, 8, 16", roundto);
		l.optimize = 32768;
		l.optimize_factor = 15;
	} else {
		uint32_t def = debug ? w : 16;
		if (roundto == 0)
			roundto = def;
		if (roundto != def)
			return hw_error_create(
			    HW_ERR_INVALID_ARG, "q_malloc %s %s uses ROUNDTO %u, not %u",
			    era_names[era], debug ? "debug" : "non-debug", def, roundto);
		l.optimize = 16384;
		l.optimize_factor = 14;
	}
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
		switch (era) {
		case HW_QM_ERA_OLD:
		case HW_QM_ERA_42:
			l.f_line = 4 * w;
			l.f_check = 5 * w;
			l.frag_size = 6 * w;
			break;
		case HW_QM_ERA_44:
			l.f_mname = 4 * w;
			l.f_line = 5 * w;
			l.f_check = 6 * w;
			l.frag_size = 7 * w;
			break;
		case HW_QM_ERA_58:
			l.f_mname = 4 * w;
			l.f_line = 5 * w;
			l.f_check = 6 * w; /* reserved1 follows */
			l.frag_size = 8 * w;
			break;
		case HW_QM_ERA_MASTER:
			l.f_mname = 4 * w;
			l.f_line = 5 * w;
			l.f_check = 7 * w; /* reserved1 precedes */
			l.frag_size = 8 * w;
			break;
		case HW_QM_ERA_MASTER_BT:
			l.f_mname = 4 * w;
			l.f_line = 5 * w;
			l.f_check = 15 * w; /* after backtrace[9] */
			l.frag_size = 16 * w;
			break;
		default:
			break;
		}
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

	/* struct qm_block */
	if (era == HW_QM_ERA_OLD) {
		l.b_type = l.b_ffrags = HW_NO_OFF;
		l.b_size = 0;
		l.b_used = w;
		l.b_real_used = 2 * w;
		l.b_max_real_used = 3 * w;
		l.b_first_frag = 4 * w;
		l.b_last_frag_end = 5 * w;
		l.b_free_hash = 6 * w;
	} else {
		/* an int (4.2-5.7, padded on LP64) or a long (5.8+): one word either way */
		l.b_type = 0;
		l.b_size = w;
		l.b_used = 2 * w;
		l.b_real_used = 3 * w;
		l.b_max_real_used = 4 * w;
		l.b_ffrags = 5 * w;
		l.b_first_frag = 6 * w;
		l.b_last_frag_end = 7 * w;
		l.b_free_hash = 8 * w;
	}
	l.hash_size = l.optimize / roundto + (8 * w - l.optimize_factor) + 1;
	l.block_size = l.b_free_hash + l.hash_size * l.lnk_size;
	l.first_off = roundup(l.block_size, roundto);

	snprintf(l.name, sizeof(l.name), "qm-%s-%s-%s%s", era_names[era], debug ? "dbg" : "nodbg",
		 w == 8 ? "lp64" : "ilp32",
		 new_era && roundto != 16 ? (roundto == 8 ? "-r8" : "-r4") : "");
	snprintf(l.source, sizeof(l.source), "profile:%s", l.name);
	*ret = l;
	return NULL;
}

size_t hw_qm_profiles(struct hw_qm_layout *out, size_t cap)
{
	static const uint32_t words[] = {8, 4};
	static const uint32_t new_rounds[] = {16, 8, 4};
	size_t n = 0;

	for (unsigned e = 0; e < HW_QM_ERA_COUNT; e++) {
		for (unsigned d = 0; d < 2; d++) {
			bool debug = d == 0;
			for (unsigned wi = 0; wi < 2; wi++) {
				unsigned nr = e >= HW_QM_ERA_58 ? 3 : 1;
				for (unsigned ri = 0; ri < nr; ri++) {
					struct hw_qm_layout l;
					uint32_t r = e >= HW_QM_ERA_58 ? new_rounds[ri] : 0;
					struct hw_error *err = hw_qm_profile(
					    (enum hw_qm_era)e, debug, words[wi], r, &l);
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

struct hw_error *hw_qm_profile_by_name(const char *name, struct hw_qm_layout *ret)
{
	struct hw_qm_layout all[64];
	size_t n = hw_qm_profiles(all, 64);

	for (size_t i = 0; i < n && i < 64; i++) {
		if (strcmp(all[i].name, name) == 0) {
			*ret = all[i];
			return NULL;
		}
	}
	return hw_error_create(HW_ERR_LOOKUP,
			       "no built-in layout named '%s' (see 'heapwalk profiles')", name);
}

uint64_t hw_qm_hash(const struct hw_qm_layout *l, uint64_t size)
{
	if (size <= l->optimize)
		return size / l->roundto;
	return l->optimize / l->roundto + ilog2(size) - l->optimize_factor + 1;
}

uint64_t hw_qm_unhash(const struct hw_qm_layout *l, uint64_t h)
{
	uint64_t small = l->optimize / l->roundto;
	uint64_t shift;

	if (h <= small)
		return h * l->roundto;
	shift = h - small + l->optimize_factor - 1;
	return shift < 64 ? (uint64_t)1 << shift : 0;
}
