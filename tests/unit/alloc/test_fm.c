/*
 * test_fm.c - the f_malloc walker on synthetic heaps of every era, one damage
 * at a time: its own cases here, those every manager shares in walkcases.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "walkcases.h"

static void test_sentinel(void **state)
{
	struct wc_pool p;
	struct wc_walked w;
	struct fmheap *h = &p.fm;
	uint64_t last;

	(void)state;
	wc_make(&p, &wc_fm, wc_variant_of(&wc_fm, HW_FM_ERA_44, true, 8));
	last = h->base + h->len - h->l.frag_size;
	himg_put(&h->img, last + h->l.f_check, 0x1234, h->l.f_check_size);
	wc_walk(&p, &w);
	assert_true(w.st.complete);
	assert_int_equal(w.ck.errors, 1);
	assert_non_null(strstr(w.ck.items[0].message, "sentinel's pattern is 0x1234"));
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

/* <= 4.1: no flag; only the lists say what is free. */
static void test_old_free_set(void **state)
{
	struct wc_pool p;
	struct wc_walked w;
	struct wc_listed ls;
	struct fmheap *h = &p.fm;
	uint64_t a3, a7, b, head;

	(void)state;
	wc_make(&p, &wc_fm, wc_variant_of(&wc_fm, HW_FM_ERA_SER, false, 8));
	/* unlink fragment 3 (the only one in its bucket): it turns used */
	a3 = fmh_frag_addr(h, 3);
	b = hw_fm_hash(&h->l, himg_get(&h->img, a3 + h->l.f_size, h->l.word));
	head = h->base + h->l.b_free_hash + b * h->l.lnk_size;
	himg_put(&h->img, head, 0, h->l.word);
	wc_walk(&p, &w);
	assert_true(w.st.complete);
	assert_int_equal(w.st.free_frags, h->nfree - 1);
	assert_false(w.states_ok); /* fragment 3 now counts as used */
	hw_check_deinit(&w.ck);

	/* a list element in the middle of a fragment is no fragment start */
	a7 = fmh_frag_addr(h, 7);
	himg_put(&h->img, head, a7 + 8, h->l.word);
	wc_walk(&p, &w);
	assert_true(w.ck.errors >= 1);
	assert_non_null(strstr(w.ck.items[w.ck.n - 1].message, "not fragment starts"));
	hw_check_deinit(&w.ck);

	/* a cycle: bounded, summarised by the walk, detailed by walk_free */
	himg_put(&h->img, head, a3, h->l.word);
	himg_put(&h->img, a3 + h->l.f_u, a3, h->l.word);
	wc_walk(&p, &w);
	assert_true(w.st.complete);
	assert_true(w.ck.warnings >= 1);
	assert_non_null(strstr(w.ck.items[0].message, "free lists are damaged"));
	hw_check_deinit(&w.ck);
	wc_free_lists(&p, &ls);
	assert_true(ls.ck.errors >= 1);
	assert_non_null(strstr(ls.ck.items[0].message, "cycle"));
	hw_check_deinit(&ls.ck);
	wc_free(&p);
}

static void test_list_damage(void **state)
{
	const int eras[] = {HW_FM_ERA_44, HW_FM_ERA_42, HW_FM_ERA_OLD};

	(void)state;
	for (size_t i = 0; i < sizeof(eras) / sizeof(eras[0]); i++) {
		struct wc_pool p;
		struct wc_listed ls;
		struct fmheap *h = &p.fm;
		const struct hw_fm_layout *l = &h->l;
		uint64_t a, b;

		wc_make(&p, &wc_fm, wc_variant_of(&wc_fm, eras[i], true, 8));
		/* a link outside the heap */
		a = fmh_frag_addr(h, 3);
		himg_put(&h->img, a + l->f_link, 0x10, l->word);
		wc_free_lists(&p, &ls);
		assert_true(ls.ck.errors >= 1);
		assert_non_null(strstr(ls.ck.items[0].message, "outside the heap"));
		hw_check_deinit(&ls.ck);
		himg_put(&h->img, a + l->f_link, 0, l->word);

		/* the bitmap bit of a listed bucket cleared */
		b = hw_fm_hash(l, himg_get(&h->img, a + l->f_size, l->word));
		h->buf[l->b_free_bitmap + b / 8] &= (uint8_t) ~(1u << (b % 8));
		wc_free_lists(&p, &ls);
		assert_int_equal(ls.ck.errors, 0);
		assert_int_equal(ls.ck.warnings, 1);
		assert_non_null(strstr(ls.ck.items[0].message, "bitmap bit is clear"));
		hw_check_deinit(&ls.ck);

		/* the back link of a free fragment (4.2+) */
		if (l->era >= HW_FM_ERA_42) {
			uint32_t off = l->era >= HW_FM_ERA_44 ? l->f_prev_free : l->f_prv_free;
			himg_put(&h->img, a + off, h->base + 8, l->word);
			wc_free_lists(&p, &ls);
			assert_true(ls.ck.errors >= 1);
			assert_non_null(strstr(ls.ck.items[0].message, "expected"));
			hw_check_deinit(&ls.ck);
		}
		wc_free(&p);
	}
}

static void test_counters(void **state)
{
	struct wc_pool p;
	struct wc_walked w;
	struct fmheap *h = &p.fm;
	uint64_t used;

	(void)state;
	wc_make(&p, &wc_fm, wc_variant_of(&wc_fm, HW_FM_ERA_44, true, 8));
	used = himg_get(&h->img, h->base + h->l.b_used, 8);
	himg_put(&h->img, h->base + h->l.b_used, used + 64, 8);
	himg_put(&h->img, h->base + h->l.b_ffrags, 1, 8);
	wc_walk(&p, &w);
	assert_true(w.st.complete);
	assert_int_equal(w.ck.errors, 0);
	assert_int_equal(w.ck.warnings, 3); /* ffrags, used, real_used */
	assert_non_null(strstr(w.ck.items[0].message, "free fragments"));
	assert_non_null(strstr(w.ck.items[1].message, "bookkeeping delta"));
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

static void test_hash(void **state)
{
	struct hw_fm_layout l;

	(void)state;
	assert_null(hw_fm_profile(HW_FM_ERA_44, true, true, 8, 0, &l));
	assert_int_equal(hw_fm_hash(&l, 8), 1);
	assert_int_equal(hw_fm_hash(&l, 16384), 2048);
	assert_int_equal(hw_fm_hash(&l, 16392), 2049);
	assert_int_equal(hw_fm_unhash(&l, 2049), 16384);
	assert_int_equal(hw_fm_unhash(&l, 2056), 2097152);
	assert_null(hw_fm_profile(HW_FM_ERA_58, true, true, 8, 0, &l));
	assert_int_equal(hw_fm_hash(&l, 32768), 2048);
	assert_int_equal(hw_fm_hash(&l, 40000), 2049);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* the scenarios every manager runs (walkcases.c) */
	    WC_TEST(wc_clean_walk_all_variants, &wc_fm),
	    WC_TEST(wc_sites, &wc_fm),
	    WC_TEST(wc_bad_start_pattern, &wc_fm),
	    WC_TEST(wc_size_past_end, &wc_fm),
	    WC_TEST(wc_unreadable_middle, &wc_fm),
	    WC_TEST(wc_zeroed_heap, &wc_fm),
	    WC_TEST(wc_bad_header, &wc_fm),
	    /* f_malloc's own */
	    cmocka_unit_test(test_sentinel),
	    cmocka_unit_test(test_old_free_set),
	    cmocka_unit_test(test_list_damage),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
