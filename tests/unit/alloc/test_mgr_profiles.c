/* test_mgr_profiles.c - every built-in f_malloc and TLSF profile: documented sizes, consistency. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"
#include "heapwalk/layout.h"

/* first_frag - block (kamailio-memory.md §3.3), header size (§3.2), F_HASH_SIZE (§3.1). */
static const struct {
	enum hw_fm_era era;
	bool debug, stats;
	uint32_t word, roundto;
	uint32_t first_off, frag, hash;
} fm_known[] = {
    {HW_FM_ERA_SER, true, true, 8, 0, 33632, 48, 2099},
    {HW_FM_ERA_SER, false, false, 8, 0, 33608, 16, 2099},
    {HW_FM_ERA_SER, false, true, 8, 0, 33632, 16, 2099},
    {HW_FM_ERA_SER, true, true, 4, 0, 32944, 24, 4115},
    {HW_FM_ERA_SER, false, false, 4, 0, 16552, 8, 2067},
    {HW_FM_ERA_SER, false, true, 4, 0, 16560, 8, 2067},
    {HW_FM_ERA_OLD, true, true, 8, 0, 33896, 48, 2099},
    {HW_FM_ERA_OLD, false, true, 8, 0, 33896, 16, 2099},
    {HW_FM_ERA_OLD, false, false, 8, 0, 33872, 16, 2099},
    {HW_FM_ERA_OLD, true, true, 4, 0, 33460, 24, 4115},
    {HW_FM_ERA_OLD, false, true, 4, 0, 16824, 8, 2067},
    {HW_FM_ERA_OLD, false, false, 4, 0, 16808, 8, 2067},
    {HW_FM_ERA_42, true, true, 8, 0, 33912, 56, 2099},
    {HW_FM_ERA_42, false, true, 8, 0, 33912, 24, 2099},
    {HW_FM_ERA_42, true, true, 4, 0, 33468, 28, 4115},
    {HW_FM_ERA_42, false, true, 4, 0, 16832, 12, 2067},
    {HW_FM_ERA_44, true, true, 8, 0, 33912, 72, 2099},
    {HW_FM_ERA_44, false, true, 8, 0, 33912, 32, 2099},
    {HW_FM_ERA_44, true, true, 4, 0, 33468, 36, 4115},
    {HW_FM_ERA_44, false, true, 4, 0, 16832, 20, 2067},
    {HW_FM_ERA_58, true, true, 8, 16, 33904, 80, 2098},
    {HW_FM_ERA_58, false, true, 8, 16, 33904, 48, 2098},
    {HW_FM_ERA_58, true, true, 4, 16, 16832, 40, 2066},
    {HW_FM_ERA_58, false, true, 4, 16, 16832, 24, 2066},
    {HW_FM_ERA_58, true, true, 8, 8, 66928, 80, 4146},
    {HW_FM_ERA_58, true, true, 4, 8, 33464, 40, 4114},
    {HW_FM_ERA_58, false, true, 4, 8, 33464, 24, 4114},
};

/* Field offsets of §3.2 for the eras whose order changed. */
/* clang-format off */
#define FM(f) #f, offsetof(struct hw_fm_layout, f)
static const struct {
	enum hw_fm_era era;
	bool debug, stats;
	uint32_t word;
	const char *field;
	size_t off; /* of a uint32_t in struct hw_fm_layout */
	uint32_t want;
} fm_fields[] = {
	{HW_FM_ERA_44, true, true, 8, FM(f_is_free), 24},
	{HW_FM_ERA_44, true, true, 8, FM(f_is_free_size), 4},
	{HW_FM_ERA_44, true, true, 8, FM(f_next_free), 8},
	{HW_FM_ERA_44, true, true, 8, FM(f_prev_free), 16},
	{HW_FM_ERA_44, true, true, 8, FM(f_mname), 48},
	{HW_FM_ERA_44, true, true, 8, FM(f_line), 56},
	{HW_FM_ERA_44, true, true, 8, FM(f_check), 64},
	{HW_FM_ERA_44, true, true, 8, FM(f_check_size), 4},
	{HW_FM_ERA_44, false, true, 8, FM(f_check), 28},
	{HW_FM_ERA_44, true, true, 4, FM(f_is_free), 12},
	{HW_FM_ERA_44, true, true, 4, FM(f_check), 32},
	{HW_FM_ERA_58, true, true, 8, FM(f_is_free), 8},
	{HW_FM_ERA_58, true, true, 8, FM(f_next_free), 16},
	{HW_FM_ERA_58, true, true, 8, FM(f_check), 72},
	{HW_FM_ERA_58, true, true, 8, FM(b_first_frag), 56},
	{HW_FM_ERA_58, true, true, 8, FM(b_free_bitmap), 72},
	{HW_FM_ERA_58, true, true, 8, FM(b_free_hash), 336},
	{HW_FM_ERA_58, false, true, 8, FM(f_check), 40},
	{HW_FM_ERA_42, true, true, 8, FM(f_prv_free), 16},
	{HW_FM_ERA_42, true, true, 8, FM(f_check), 48},
	{HW_FM_ERA_42, true, true, 8, FM(b_free_hash), 328},
	{HW_FM_ERA_42, true, true, 8, FM(init_headers), 2},
	{HW_FM_ERA_OLD, true, true, 4, FM(f_check), 20},
	{HW_FM_ERA_OLD, true, true, 4, FM(b_free_hash), 540},
	{HW_FM_ERA_OLD, true, true, 4, FM(bitmap_words), 129},
	{HW_FM_ERA_OLD, true, true, 4, FM(init_headers), 1},
	{HW_FM_ERA_SER, false, false, 8, FM(b_first_frag), 8},
	{HW_FM_ERA_SER, false, false, 8, FM(b_used), HW_NO_OFF},
	{HW_FM_ERA_SER, false, false, 8, FM(bitmap_words), 0},
};
#undef FM
/* clang-format on */

static void test_fm_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fm_fields) / sizeof(fm_fields[0]); i++) {
		struct hw_fm_layout l;
		uint32_t got;

		assert_null(hw_fm_profile(fm_fields[i].era, fm_fields[i].debug, fm_fields[i].stats,
					  fm_fields[i].word, 0, &l));
		memcpy(&got, (const char *)&l + fm_fields[i].off, sizeof(got));
		if (got != fm_fields[i].want)
			print_message("%s: %s %u, want %u\n", l.name, fm_fields[i].field, got,
				      fm_fields[i].want);
		assert_int_equal(got, fm_fields[i].want);
	}
}

static void test_fm_fingerprints(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fm_known) / sizeof(fm_known[0]); i++) {
		struct hw_fm_layout l;
		assert_null(hw_fm_profile(fm_known[i].era, fm_known[i].debug, fm_known[i].stats,
					  fm_known[i].word, fm_known[i].roundto, &l));
		if (l.first_off != fm_known[i].first_off)
			print_message("%s: first_off %u, want %u\n", l.name, l.first_off,
				      fm_known[i].first_off);
		assert_int_equal(l.first_off, fm_known[i].first_off);
		assert_int_equal(l.frag_size, fm_known[i].frag);
		assert_int_equal(l.hash_size, fm_known[i].hash);
	}
}

/* Fields lie inside their struct and do not overlap (a width each). */
static void no_overlap(const uint32_t *off, const uint32_t *size, size_t n, uint32_t total)
{
	for (size_t a = 0; a < n; a++) {
		if (off[a] == HW_NO_OFF)
			continue;
		assert_true(size[a] > 0);
		assert_true(off[a] + size[a] <= total);
		for (size_t b = a + 1; b < n; b++)
			if (off[b] != HW_NO_OFF)
				assert_true(off[a] + size[a] <= off[b] ||
					    off[b] + size[b] <= off[a]);
	}
}

static void test_fm_consistency(void **state)
{
	struct hw_fm_layout all[64];
	size_t n = hw_fm_profiles(all, 64);

	(void)state;
	assert_true(n >= 30 && n <= 64);
	for (size_t i = 0; i < n; i++) {
		const struct hw_fm_layout *l = &all[i];
		const uint32_t w = l->word;
		uint32_t fo[] = {l->f_size,	 l->f_u,	 l->f_prv_free, l->f_is_free,
				 l->f_next_free, l->f_prev_free, l->f_file,	l->f_func,
				 l->f_mname,	 l->f_line,	 l->f_check};
		uint32_t fs[] = {w, w, w, l->f_is_free_size, w, w, w, w, w, w, l->f_check_size};
		uint32_t bo[] = {l->b_size,   l->b_used,       l->b_real_used, l->b_max_real_used,
				 l->b_ffrags, l->b_first_frag, l->b_last_frag};
		uint32_t bs[] = {w, w, w, w, w, w, w};
		struct hw_fm_layout again;

		no_overlap(fo, fs, 11, l->frag_size);
		no_overlap(bo, bs, 7, l->block_size);
		if (l->product != HW_PRODUCT_KAMAILIO)
			continue; /* OpenSIPS's: test_os_profiles.c */
		assert_int_equal(l->frag_size % w, 0);
		assert_int_equal(l->debug, l->f_file != HW_NO_OFF);
		assert_int_equal(l->f_check != HW_NO_OFF, l->debug || l->era >= HW_FM_ERA_44);
		assert_int_equal(l->stats, l->b_used != HW_NO_OFF);
		assert_true(l->stats || (!l->debug && l->era <= HW_FM_ERA_OLD));
		/* exactly one way to tell free fragments per era */
		assert_int_equal(l->f_is_free != HW_NO_OFF, l->era >= HW_FM_ERA_44);
		assert_int_equal(l->f_prv_free != HW_NO_OFF, l->era == HW_FM_ERA_42);
		assert_int_equal(l->f_link, l->era >= HW_FM_ERA_44 ? l->f_next_free : l->f_u);
		assert_int_equal(l->bitmap_words != 0, l->era >= HW_FM_ERA_OLD);
		if (l->bitmap_words)
			assert_int_equal(l->bitmap_words, (l->hash_size + 8 * w - 1) / (8 * w));
		assert_int_equal(l->b_type != HW_NO_OFF, l->era >= HW_FM_ERA_42);
		assert_int_equal(l->init_headers, l->era >= HW_FM_ERA_42 ? 2 : 1);
		assert_int_equal(l->block_size, l->b_free_hash + l->hash_size * l->lnk_size);
		assert_int_equal(l->lnk_size, 2 * w);
		assert_true(l->first_off >= l->block_size && l->first_off % l->roundto == 0);
		assert_true(hw_fm_hash(l, (uint64_t)1 << (w * 8 - 1)) < l->hash_size);
		assert_null(hw_fm_profile_by_name(l->name, &again));
		assert_memory_equal(&again, l, sizeof(again));
		assert_true(strncmp(l->source, "profile:fm-", 11) == 0);
		assert_ptr_equal(hw_allocator_of_profile(l->name), &hw_allocator_fm);
	}
}

static void test_tlsf_profiles(void **state)
{
	/* §4.2, §4.3: header, user offset, overhead, minimum, control size per variant */
	static const struct {
		enum hw_tlsf_era era;
		bool debug;
		uint32_t word, hdr, start, overhead, min, control, total_off, blocks_off;
	} known[] = {
	    {HW_TLSF_ERA_43, false, 8, 32, 16, 8, 24, 8408, 32, 216},
	    {HW_TLSF_ERA_43, true, 8, 56, 40, 32, 48, 8432, 56, 240},
	    {HW_TLSF_ERA_44, true, 8, 64, 48, 40, 56, 8440, 64, 248},
	    {HW_TLSF_ERA_44, false, 4, 16, 8, 4, 12, 3212, 16, 140},
	    {HW_TLSF_ERA_43, true, 4, 28, 20, 16, 24, 3224, 28, 152},
	    {HW_TLSF_ERA_44, true, 4, 32, 24, 20, 28, 3228, 32, 156},
	};
	struct hw_tlsf_layout all[16];
	size_t n = hw_tlsf_profiles(all, 16);

	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct hw_tlsf_layout l;
		assert_null(hw_tlsf_profile(known[i].era, known[i].debug, known[i].word, &l));
		assert_int_equal(l.hdr_size, known[i].hdr);
		assert_int_equal(l.start_offset, known[i].start);
		assert_int_equal(l.overhead, known[i].overhead);
		assert_int_equal(l.size_min, known[i].min);
		assert_int_equal(l.control_size, known[i].control);
		assert_int_equal(l.c_total_size, known[i].total_off);
		assert_int_equal(l.c_blocks, known[i].blocks_off);
		assert_int_equal(l.fl_count, known[i].word == 8 ? 32 : 24);
		assert_int_equal(l.fl_shift, known[i].word == 8 ? 8 : 7);
	}
	assert_int_equal(n, 8);
	for (size_t i = 0; i < n; i++) {
		const struct hw_tlsf_layout *l = &all[i];
		const uint32_t w = l->word;
		uint32_t ho[] = {l->h_prev_phys, l->h_file, l->h_func,	    l->h_mname,
				 l->h_line,	 l->h_size, l->h_next_free, l->h_prev_free};
		uint32_t hs[] = {w, w, w, w, l->h_line_size, w, w, w};
		struct hw_tlsf_layout again;

		no_overlap(ho, hs, 8, l->hdr_size);
		assert_int_equal(l->debug, l->h_file != HW_NO_OFF);
		assert_int_equal(l->h_mname != HW_NO_OFF, l->debug && l->era == HW_TLSF_ERA_44);
		assert_int_equal(l->start_offset, l->h_size + w);
		assert_int_equal(l->overhead + 3 * w, l->hdr_size);
		assert_int_equal(l->align, w);
		assert_int_equal(l->fl_max - l->fl_shift + 1, l->fl_count);
		assert_int_equal(l->control_size, l->c_blocks + l->fl_count * l->sl_count * w);
		assert_true(l->c_sl_bitmap + 4 * l->fl_count <= l->c_blocks);
		assert_true(l->c_max_fragments + w <= l->c_fl_bitmap);
		assert_null(hw_tlsf_profile_by_name(l->name, &again));
		assert_memory_equal(&again, l, sizeof(again));
		assert_ptr_equal(hw_allocator_of_profile(l->name), &hw_allocator_tlsf);
	}
}

static void test_bad_profiles(void **state)
{
	struct hw_fm_layout fl;
	struct hw_tlsf_layout tl;
	struct hw_error *err;

	(void)state;
	err = hw_fm_profile(HW_FM_ERA_44, false, true, 8, 16, &fl);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_INVALID_ARG);
	hw_error_destroy(err);
	err = hw_fm_profile(HW_FM_ERA_58, true, true, 8, 32, &fl);
	assert_non_null(err);
	hw_error_destroy(err);
	err = hw_tlsf_profile(HW_TLSF_ERA_44, true, 2, &tl);
	assert_non_null(err);
	hw_error_destroy(err);
	err = hw_fm_profile_by_name("qm-4.4-5.7-dbg-lp64", &fl);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_LOOKUP);
	hw_error_destroy(err);
	assert_ptr_equal(hw_allocator_of_profile("qm-4.4-5.7-dbg-lp64"), &hw_allocator_qm);
	assert_null(hw_allocator_of_profile("nonsense"));
	assert_string_equal(hw_allocator_tlsf.name, "tlsf_malloc");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fm_fields),	   cmocka_unit_test(test_fm_fingerprints),
	    cmocka_unit_test(test_fm_consistency), cmocka_unit_test(test_tlsf_profiles),
	    cmocka_unit_test(test_bad_profiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
