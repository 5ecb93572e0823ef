/* test_profiles.c - every built-in q_malloc profile against the documented fingerprints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/error.h"
#include "heapwalk/layout.h"

/* first_frag - block per era/debug/word (kamailio-memory.md §2.5), and header sizes (§2.2). */
static const struct {
	enum hw_qm_era era;
	bool debug;
	uint32_t word, roundto;
	uint32_t first_off, frag, end, hash;
} known[] = {
    {HW_QM_ERA_OLD, true, 8, 0, 218344, 48, 48, 2099},
    {HW_QM_ERA_OLD, false, 8, 0, 43056, 16, 16, 1075},
    {HW_QM_ERA_OLD, true, 4, 0, 214004, 24, 24, 4115},
    {HW_QM_ERA_OLD, false, 4, 0, 20896, 8, 8, 1043},
    {HW_QM_ERA_42, true, 8, 0, 218360, 48, 48, 2099},
    {HW_QM_ERA_42, false, 8, 0, 43072, 16, 16, 1075},
    {HW_QM_ERA_42, true, 4, 0, 214012, 24, 24, 4115},
    {HW_QM_ERA_42, false, 4, 0, 20896, 8, 8, 1043},
    {HW_QM_ERA_44, true, 8, 0, 235152, 56, 48, 2099},
    {HW_QM_ERA_44, false, 8, 0, 43072, 16, 16, 1075},
    {HW_QM_ERA_44, true, 4, 0, 230472, 28, 24, 4115},
    {HW_QM_ERA_44, false, 4, 0, 20896, 8, 8, 1043},
    {HW_QM_ERA_58, true, 8, 16, 268608, 64, 48, 2098},
    {HW_QM_ERA_58, false, 8, 16, 100768, 16, 16, 2098},
    {HW_QM_ERA_58, true, 4, 16, 132256, 32, 24, 2066},
    {HW_QM_ERA_58, false, 4, 16, 49616, 8, 8, 2066},
    {HW_QM_ERA_MASTER, true, 8, 16, 268608, 64, 48, 2098},
    {HW_QM_ERA_MASTER_BT, true, 8, 16, 402880, 128, 48, 2098},
    {HW_QM_ERA_MASTER_BT, true, 4, 16, 198368, 64, 24, 2066},
    {HW_QM_ERA_58, true, 8, 8, 530752, 64, 48, 4146},
    {HW_QM_ERA_58, false, 8, 8, 199072, 16, 16, 4146},
    {HW_QM_ERA_58, true, 4, 8, 263328, 32, 24, 4114},
    {HW_QM_ERA_58, false, 4, 8, 98768, 8, 8, 4114},
};

static void test_fingerprints(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct hw_qm_layout l;
		struct hw_error *err = hw_qm_profile(known[i].era, known[i].debug, known[i].word,
						     known[i].roundto, &l);
		assert_null(err);
		assert_int_equal(l.first_off, known[i].first_off);
		assert_int_equal(l.frag_size, known[i].frag);
		assert_int_equal(l.end_size, known[i].end);
		assert_int_equal(l.hash_size, known[i].hash);
	}
}

/* Self-consistency of every profile: fields inside their structs, no overlaps, sizes aligned. */
static void test_consistency(void **state)
{
	struct hw_qm_layout all[64];
	size_t n = hw_qm_profiles(all, 64);

	(void)state;
	assert_true(n > 20 && n <= 64);
	for (size_t i = 0; i < n; i++) {
		const struct hw_qm_layout *l = &all[i];
		uint32_t fo[] = {l->f_size,  l->f_u,	l->f_file, l->f_func,
				 l->f_mname, l->f_line, l->f_check};
		uint32_t eo[] = {l->e_check1, l->e_check2, l->e_size, l->e_prev_free};
		struct hw_qm_layout again;

		for (size_t a = 0; a < 7; a++) {
			if (fo[a] == HW_NO_OFF)
				continue;
			assert_true(fo[a] + l->word <= l->frag_size);
			for (size_t b = a + 1; b < 7; b++)
				assert_true(fo[b] == HW_NO_OFF || fo[a] != fo[b]);
		}
		for (size_t a = 0; a < 4; a++)
			assert_true(eo[a] == HW_NO_OFF || eo[a] + l->word <= l->end_size);
		assert_int_equal(l->debug, l->f_check != HW_NO_OFF);
		assert_int_equal(l->l_no, l->frag_size + l->end_size);
		assert_true(l->first_off >= l->block_size && l->first_off % l->roundto == 0);
		assert_int_equal(l->block_size, l->b_free_hash + l->hash_size * l->lnk_size);
		/* the bucket of the largest size fits the table */
		assert_true(hw_qm_hash(l, (uint64_t)1 << (l->word * 8 - 1)) < l->hash_size);
		assert_null(hw_qm_profile_by_name(l->name, &again));
		assert_memory_equal(&again, l, sizeof(again));
		assert_true(strncmp(l->source, "profile:", 8) == 0);
	}
}

static void test_hash(void **state)
{
	struct hw_qm_layout l;

	(void)state;
	assert_null(hw_qm_profile(HW_QM_ERA_44, true, 8, 0, &l));
	assert_int_equal(hw_qm_hash(&l, 8), 1);
	assert_int_equal(hw_qm_hash(&l, 1024), 128);
	assert_int_equal(hw_qm_hash(&l, 16384), 2048);
	/* 5.6.3 sample: a 3451224-byte fragment is in bucket 2056, printed 2097152 - 4194304 */
	assert_int_equal(hw_qm_hash(&l, 3451224), 2056);
	assert_int_equal(hw_qm_unhash(&l, 2056), 2097152);
	assert_int_equal(hw_qm_unhash(&l, 128), 1024);
}

static void test_bad_profiles(void **state)
{
	struct hw_qm_layout l;
	struct hw_error *err;

	(void)state;
	err = hw_qm_profile(HW_QM_ERA_44, true, 8, 16, &l);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_INVALID_ARG);
	hw_error_destroy(err);
	err = hw_qm_profile(HW_QM_ERA_MASTER_BT, false, 8, 0, &l);
	assert_non_null(err);
	hw_error_destroy(err);
	err = hw_qm_profile_by_name("qm-nonsense", &l);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_LOOKUP);
	hw_error_destroy(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fingerprints),
	    cmocka_unit_test(test_consistency),
	    cmocka_unit_test(test_hash),
	    cmocka_unit_test(test_bad_profiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
