/* test_os_profiles.c - OpenSIPS's q_malloc and f_malloc profiles: the documented sizes,
 * consistency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

/* opensips-memory.md, x86-64 with DBG_MALLOC: struct sizes and offsets. */
static void test_qm_documented(void **state)
{
	struct hw_qm_layout l;
	struct hw_error *err;

	(void)state;
	assert_null(hw_qm_profile_opensips(true, 8, 1, false, false, &l));
	assert_string_equal(l.name, "qm-opensips-dbg-lp64");
	assert_int_equal(l.product, HW_PRODUCT_OPENSIPS);
	assert_int_equal(l.era, HW_QM_ERA_OPENSIPS);
	/* qm_frag (48): size 0; u 8; dbg{file, func, line} 16/24/32; check 40 */
	assert_int_equal(l.frag_size, 48);
	assert_int_equal(l.f_u, 8);
	assert_int_equal(l.f_file, 16);
	assert_int_equal(l.f_func, 24);
	assert_int_equal(l.f_line, 32);
	assert_int_equal(l.f_check, 40);
	assert_int_equal(l.f_mname, HW_NO_OFF);
	/* qm_frag_end (48): check1 0; check2 8; size 32; prev_free 40 */
	assert_int_equal(l.end_size, 48);
	assert_int_equal(l.e_check1, 0);
	assert_int_equal(l.e_check2, 8);
	assert_int_equal(l.e_size, 32);
	assert_int_equal(l.e_prev_free, 40);
	/* qm_block (218360): size 8 ... fragments 40; first_frag 48; last_frag_end 56;
	 * free_hash[2099] of 104-byte buckets at 64 */
	assert_int_equal(l.block_size, 218360);
	assert_int_equal(l.first_off, 218360);
	assert_int_equal(l.b_size, 8);
	assert_int_equal(l.b_used, 16);
	assert_int_equal(l.b_real_used, 24);
	assert_int_equal(l.b_max_real_used, 32);
	assert_int_equal(l.b_frags_used, 40);
	assert_int_equal(l.b_ffrags, HW_NO_OFF);
	assert_int_equal(l.b_type, HW_NO_OFF);
	assert_int_equal(l.b_first_frag, 48);
	assert_int_equal(l.b_last_frag_end, 56);
	assert_int_equal(l.b_free_hash, 64);
	assert_int_equal(l.hash_size, 2099);
	assert_int_equal(l.lnk_size, 104);
	/* the patterns fill the word */
	assert_true(l.st_check == 0xf0f0f0f0f0f0f0f0ull);
	assert_true(l.end_check1 == 0xc0c0c0c0c0c0c0c0ull);
	assert_true(l.end_check2 == 0xabcdefedabcdefedull);

	/* QM_DBG_MALLOC_HIST=3: three {file, func, line}, check after them */
	assert_null(hw_qm_profile_opensips(true, 8, 3, false, false, &l));
	assert_string_equal(l.name, "qm-opensips-dbg-lp64-h3");
	assert_int_equal(l.f_check, 16 + 3 * 24);
	assert_int_equal(l.frag_size, 16 + 3 * 24 + 8);
	/* SHM_EXTRA_STATS: a word after check */
	assert_null(hw_qm_profile_opensips(true, 8, 1, true, false, &l));
	assert_int_equal(l.f_stat, 48);
	assert_int_equal(l.frag_size, 56);
	/* ILP32: 4-byte words, ROUNDTO 4, the patterns as 32-bit values */
	assert_null(hw_qm_profile_opensips(true, 4, 1, false, false, &l));
	assert_int_equal(l.frag_size, 24);
	assert_int_equal(l.roundto, 4);
	assert_int_equal(l.hash_size, 4096 + 32 - 14 + 1);
	assert_true(l.st_check == 0xf0f0f0f0u && l.end_check2 == 0xabcdefedu);
	/* 2.4 without debug rounds to 16: a bucket per 16 bytes */
	assert_null(hw_qm_profile_opensips(false, 8, 1, false, true, &l));
	assert_string_equal(l.name, "qm-opensips-2.4-nodbg-lp64");
	assert_int_equal(l.roundto, 16);
	assert_int_equal(l.hash_size, 1024 + 64 - 14 + 1);
	/* ... which a debug build never had */
	err = hw_qm_profile_opensips(true, 8, 1, false, true, &l);
	assert_non_null(err);
	hw_error_destroy(err);
}

static void test_fm_documented(void **state)
{
	struct hw_fm_layout l;

	(void)state;
	/* fm_frag (56; 48 in 3.0-3.3, no pf): size 0; u 8; prev 16; pf 24; file 32; func 40;
	 * line 48 */
	assert_null(hw_fm_profile_opensips(HW_OS_REL_34, true, true, false, 8, &l));
	assert_string_equal(l.name, "fm-opensips-3.4-dbg-lp64");
	assert_int_equal(l.era, HW_FM_ERA_OS34);
	assert_int_equal(l.frag_size, 56);
	assert_int_equal(l.f_u, 8);
	assert_int_equal(l.f_prv_free, 16);
	assert_int_equal(l.f_pf, 24);
	assert_int_equal(l.f_file, 32);
	assert_int_equal(l.f_func, 40);
	assert_int_equal(l.f_line, 48);
	/* fm_block (33648): size 8; fragments 16; used 24; real_used 32; max_real_used 40;
	 * first_frag 48; last_frag 56; free_hash[2099] of 16-byte buckets at 64 */
	assert_int_equal(l.block_size, 33648);
	assert_int_equal(l.first_off, 33648);
	assert_int_equal(l.b_frags_used, 16);
	assert_int_equal(l.b_used, 24);
	assert_int_equal(l.b_max_real_used, 40);
	assert_int_equal(l.b_first_frag, 48);
	assert_int_equal(l.b_last_frag, 56);
	assert_int_equal(l.b_free_hash, 64);
	assert_int_equal(l.hash_size, 2099);
	assert_null(hw_fm_profile_opensips(HW_OS_REL_31, true, true, false, 8, &l));
	assert_int_equal(l.era, HW_FM_ERA_OS30);
	assert_int_equal(l.frag_size, 48);
	assert_int_equal(l.f_pf, HW_NO_OFF);
	assert_int_equal(l.f_file, 24);
	/* 2.4's debug header: check, then the is_free char (64 bytes) */
	assert_null(hw_fm_profile_opensips(HW_OS_REL_24, true, true, false, 8, &l));
	assert_int_equal(l.f_check, 48);
	assert_int_equal(l.frag_size, 64);
	/* 3.0.0's block: large_space and large_limit after size */
	assert_null(hw_fm_profile_opensips(HW_OS_REL_30, true, true, false, 8, &l));
	assert_int_equal(l.b_large_space, 16);
	assert_int_equal(l.b_frags_used, 32);
	assert_int_equal(l.b_first_frag, 64);
	assert_int_equal(l.b_free_hash, 80);
}

static void test_hp_documented(void **state)
{
	struct hw_hp_layout l;

	(void)state;
	/* hp_frag (48): size 0; prev 8; nxt_free 16; file 24; func 32; line 40 */
	assert_null(hw_hp_profile(HW_OS_REL_34, true, false, 8, &l));
	assert_int_equal(l.frag_size, 48);
	assert_int_equal(l.f_prev, 8);
	assert_int_equal(l.f_nxt_free, 16);
	assert_int_equal(l.f_file, 24);
	assert_int_equal(l.f_line, 40);
	/* hp_block (1082240): total_fragments 40; first_frag 64; last_frag 72; free_hash[2099 +
	 * 65536] of 16-byte buckets at 80 */
	assert_int_equal(l.b_frags, 40);
	assert_int_equal(l.b_first_frag, 64);
	assert_int_equal(l.b_last_frag, 72);
	assert_int_equal(l.b_free_hash, 80);
	assert_int_equal(l.hash_size, 2099);
	assert_int_equal(l.extra_hash_size, 65536);
	assert_int_equal(l.block_size, 1082240);
	/* 3.0.0: the free link in a union before prev, large_space and large_limit */
	assert_null(hw_hp_profile(HW_OS_REL_30, true, false, 8, &l));
	assert_int_equal(l.f_nxt_free, 8);
	assert_int_equal(l.f_prev, 16);
	assert_int_equal(l.b_first_frag, 80);
	/* 2.4: the is_free char, and buckets that count their fragments */
	assert_null(hw_hp_profile(HW_OS_REL_24, true, false, 8, &l));
	assert_int_equal(l.frag_size, 56);
	assert_int_equal(l.lnk_size, 32);
	assert_int_equal(l.l_no, 16);
}

/* Every OpenSIPS profile in the tables: its allocator, name, era, and what OpenSIPS builds share.
 */
static void test_consistency(void **state)
{
	struct hw_fm_layout fm[96];
	struct hw_qm_layout qm[96];
	size_t nf = hw_fm_profiles(fm, 96), nq = hw_qm_profiles(qm, 96), seen_f = 0, seen_q = 0;

	(void)state;
	assert_true(nf <= 96 && nq <= 96);
	for (size_t i = 0; i < nf; i++) {
		const struct hw_fm_layout *l = &fm[i];
		const uint32_t w = l->word;
		if (l->product != HW_PRODUCT_OPENSIPS) {
			assert_true(l->era <= HW_FM_ERA_58);
			continue;
		}
		seen_f++;
		assert_true(strncmp(l->name, "fm-opensips-", 12) == 0);
		assert_true(l->era == HW_FM_ERA_OS30 || l->era == HW_FM_ERA_OS34);
		assert_int_equal(l->f_pf != HW_NO_OFF, l->era == HW_FM_ERA_OS34);
		assert_true(hw_fm_prv_era(l->era) && !hw_fm_flag_era(l->era));
		assert_int_equal(l->f_prv_free, 2 * w);
		assert_int_equal(l->f_link, l->f_u);
		/* only 2.4's debug header has a check word; only 3.0.0's block large_space */
		assert_int_equal(l->f_check != HW_NO_OFF,
				 l->debug && strstr(l->name, "-2.4-") != NULL);
		assert_int_equal(l->b_large_space != HW_NO_OFF, strstr(l->name, "-3.0-") != NULL);
		assert_int_equal(l->bitmap_words, 0);
		assert_int_equal(l->b_type, HW_NO_OFF);
		assert_int_equal(l->b_ffrags, HW_NO_OFF);
		assert_int_equal(l->b_frags_used, (l->b_large_space != HW_NO_OFF ? 4 : 2) * w);
		assert_true(l->roundto == w || (l->roundto == 8 && !l->debug));
		assert_int_equal(l->init_headers, 2);
		assert_int_equal(l->debug, l->f_file != HW_NO_OFF);
		assert_int_equal(l->stats, l->b_used != HW_NO_OFF);
		assert_int_equal(l->block_size, l->b_free_hash + l->hash_size * l->lnk_size);
		assert_ptr_equal(hw_allocator_of_profile(l->name), &hw_allocator_fm);
	}
	for (size_t i = 0; i < nq; i++) {
		const struct hw_qm_layout *l = &qm[i];
		const uint32_t w = l->word;
		if (l->product != HW_PRODUCT_OPENSIPS) {
			assert_true(l->era != HW_QM_ERA_OPENSIPS);
			assert_true(l->st_check == HW_QM_ST_CHECK);
			continue;
		}
		seen_q++;
		assert_true(strncmp(l->name, "qm-opensips-", 12) == 0);
		assert_int_equal(l->era, HW_QM_ERA_OPENSIPS);
		assert_true(l->roundto == w || (l->roundto == 16 && !l->debug));
		assert_int_equal(l->b_frags_used, 5 * w);
		assert_int_equal(l->debug, l->f_check != HW_NO_OFF);
		assert_int_equal(l->debug, l->hist >= 1);
		assert_int_equal(l->l_no, l->frag_size + l->end_size);
		assert_int_equal(l->first_off,
				 (l->block_size + l->roundto - 1) / l->roundto * l->roundto);
		assert_ptr_equal(hw_allocator_of_profile(l->name), &hw_allocator_qm);
	}
	/* f_malloc: 4 releases x debug or not x extra stats or not x 2 words */
	assert_int_equal(seen_f, HW_OS_REL_COUNT * 2 * 2 * 2);
	/* q_malloc: (debug: 2 x HW_QM_HIST_MAX; non-debug: 2; 2.4 non-debug: 2) x 2 words */
	assert_int_equal(seen_q, (2 * HW_QM_HIST_MAX + 2 + 2) * 2);
}

/* The parallel pools' structs as opensips-memory.md gives them (3.6.8 and 4.0.0, x86-64). */
static void test_par_documented(void **state)
{
	struct hw_par_layout p;
	const struct hw_fm_layout *l = &p.fm;
	size_t n;
	struct hw_par_layout all[16];

	(void)state;
	assert_null(hw_par_profile(true, false, 8, &p));
	assert_string_equal(l->name, "par-3.6-dbg-lp64");
	assert_int_equal(l->product, HW_PRODUCT_OPENSIPS);
	assert_int_equal(l->era, HW_FM_ERA_OS30); /* sorted big buckets, no pf */
	assert_int_equal(l->frag_size, 56);
	assert_int_equal(l->f_size, 0);
	assert_int_equal(l->f_u, 8);
	assert_int_equal(l->f_prv_free, 16);
	assert_int_equal(l->f_file, 24);
	assert_int_equal(l->f_func, 32);
	assert_int_equal(l->f_line, 40);
	assert_int_equal(p.f_block_ptr, 48);
	assert_int_equal(l->f_pf, HW_NO_OFF);
	assert_int_equal(l->b_size, 8);
	assert_int_equal(l->b_frags_used, 16);
	assert_int_equal(l->b_used, 24);
	assert_int_equal(l->b_real_used, 32);
	assert_int_equal(l->b_max_real_used, 40);
	assert_int_equal(p.b_idx, 48);
	assert_int_equal(l->b_first_frag, 56);
	assert_int_equal(l->b_last_frag, 64);
	assert_int_equal(l->b_free_hash, 72);
	assert_int_equal(l->hash_size, 2099);
	assert_int_equal(l->block_size, 33656);
	assert_int_equal(l->first_off, 33656);
	assert_int_equal(p.pools, 32);
	assert_string_equal(hw_par_era_name(l->era), "opensips 3.6+");

	/* SHM_EXTRA_STATS: statistic_index after block_ptr */
	assert_null(hw_par_profile(true, true, 8, &p));
	assert_int_equal(l->f_stat, 56);
	assert_int_equal(l->frag_size, 64);
	/* no DBG_MALLOC: block_ptr follows prev */
	assert_null(hw_par_profile(false, false, 8, &p));
	assert_int_equal(p.f_block_ptr, 24);
	assert_int_equal(l->frag_size, 32);
	/* ILP32: the header aligned to ROUNDTO 8, idx a word like the others */
	assert_null(hw_par_profile(true, false, 4, &p));
	assert_int_equal(l->frag_size, 32);
	assert_int_equal(l->b_first_frag, 28);
	assert_int_equal(l->b_free_hash, 36);
	assert_int_equal(l->hash_size, 2048 + 32 - 14 + 1);
	assert_int_equal(l->block_size, 16576); /* 36 + 8 * 2067, aligned to 8 */

	n = hw_par_profiles(all, 16);
	assert_int_equal(n, 8); /* debug or not x extra stats or not x 2 words */
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(hw_allocator_of_profile(all[i].fm.name), &hw_allocator_par);
	{
		struct hw_error *err = hw_par_profile(true, false, 2, &p);
		assert_non_null(err);
		hw_error_destroy(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qm_documented), cmocka_unit_test(test_fm_documented),
	    cmocka_unit_test(test_hp_documented), cmocka_unit_test(test_par_documented),
	    cmocka_unit_test(test_consistency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
