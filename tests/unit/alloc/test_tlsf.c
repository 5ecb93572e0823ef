/*
 * test_tlsf.c - the TLSF walker on synthetic pools of every layout, one damage
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

/* Set @bits in block @i's size word, walk variant 0 and expect one finding saying @text. */
static void flag_block(size_t i, uint64_t bits, const char *text, bool exactly_one)
{
	struct wc_pool p;
	struct wc_walked w;
	struct tlsfheap *h = &p.tlsf;
	uint64_t a;

	wc_make(&p, &wc_tlsf, 0);
	a = tlsfh_block_addr(h, i);
	himg_put(&h->img, a + h->l.h_size, himg_get(&h->img, a + h->l.h_size, 8) | bits, 8);
	wc_walk(&p, &w);
	assert_true(w.st.complete);
	if (exactly_one) {
		assert_int_equal(w.ck.errors, 1);
		assert_int_equal(w.ck.items[0].index, i);
	} else {
		assert_true(w.ck.errors >= 1);
	}
	assert_non_null(strstr(w.ck.items[0].message, text));
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

static void test_prev_free_bit(void **state)
{
	(void)state;
	/* block 5 follows a used block: set its prev-free bit */
	flag_block(5, 2, "prev-free bit", true);
}

static void test_adjacent_free(void **state)
{
	(void)state;
	/* block 4 follows free block 3: mark it free too (with a correct prev-free bit) */
	flag_block(4, 1, "two free blocks in a row", false);
}

static void test_prev_phys(void **state)
{
	struct wc_pool p;
	struct wc_walked w;
	uint64_t a4;

	(void)state;
	wc_make(&p, &wc_tlsf, 0);
	a4 = tlsfh_block_addr(&p.tlsf, 4); /* block 3 is free: 4's prev_phys must point to it */
	himg_put(p.img, a4, p.img->base, 8);
	wc_walk(&p, &w);
	assert_true(w.st.complete);
	assert_int_equal(w.ck.errors, 1);
	assert_non_null(strstr(w.ck.items[0].message, "does not point back"));
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

static void test_list_damage(void **state)
{
	struct wc_pool p;
	struct wc_listed ls;
	struct tlsfheap *h = &p.tlsf;
	uint64_t a3, slot, bm;
	uint32_t fl, sl;
	const struct hw_tlsf_layout *l = &h->l;

	(void)state;
	wc_make(&p, &wc_tlsf, 0);
	a3 = tlsfh_block_addr(h, 3);
	hw_tlsf_mapping(l, himg_get(&h->img, a3 + l->h_size, 8) & ~3ull, &fl, &sl);
	slot = h->base + l->c_blocks + ((uint64_t)fl * l->sl_count + sl) * 8;

	/* a list head outside the pool */
	himg_put(&h->img, slot, 0x10, 8);
	wc_free_lists(&p, &ls);
	assert_true(ls.ck.errors >= 1);
	assert_non_null(strstr(ls.ck.items[0].message, "outside the pool"));
	hw_check_deinit(&ls.ck);
	himg_put(&h->img, slot, a3, 8);

	/* a cycle: the block links to itself, its back link gives it away at once */
	himg_put(&h->img, a3 + l->h_next_free, a3, 8);
	wc_free_lists(&p, &ls);
	assert_int_equal(ls.ck.errors, 1);
	assert_non_null(strstr(ls.ck.items[0].message, "prev_free"));
	hw_check_deinit(&ls.ck);
	himg_put(&h->img, a3 + l->h_next_free, h->base, 8);

	/* the second-level bit of a non-empty list cleared */
	bm = himg_get(&h->img, h->base + l->c_sl_bitmap + 4ull * fl, 4);
	himg_put(&h->img, h->base + l->c_sl_bitmap + 4ull * fl, bm & ~(1u << sl), 4);
	wc_free_lists(&p, &ls);
	assert_true(ls.ck.errors >= 1);
	assert_true(wc_has_message(&ls.ck, "bitmap bit is clear"));
	hw_check_deinit(&ls.ck);
	himg_put(&h->img, h->base + l->c_sl_bitmap + 4ull * fl, bm, 4);

	/* a used block on a list */
	himg_put(&h->img, a3 + l->h_size, himg_get(&h->img, a3 + l->h_size, 8) & ~1ull, 8);
	wc_free_lists(&p, &ls);
	assert_int_equal(ls.ck.errors, 1);
	assert_non_null(strstr(ls.ck.items[0].message, "not marked free"));
	hw_check_deinit(&ls.ck);
	wc_free(&p);
}

/* Add @extra to the allocated counter of variant @v (and set the fragment count to 1). */
static void miscount(struct wc_pool *p, unsigned v, uint64_t extra, bool fragments)
{
	struct tlsfheap *h = &p->tlsf;

	wc_make(p, &wc_tlsf, v);
	if (fragments)
		himg_put(&h->img, h->base + h->l.c_fragments, 1, 8);
	himg_put(&h->img, h->base + h->l.c_allocated,
		 himg_get(&h->img, h->base + h->l.c_allocated, 8) + extra, 8);
}

static void test_counters(void **state)
{
	struct wc_pool p;
	struct wc_walked w;

	(void)state;
	miscount(&p, 0, 8, true);
	wc_walk(&p, &w);
	assert_true(w.st.complete);
	assert_int_equal(w.ck.errors, 0);
	assert_int_equal(w.ck.warnings, 3); /* fragments, allocated, real_used */
	assert_non_null(strstr(w.ck.items[1].message, "bookkeeping delta"));
	hw_check_deinit(&w.ck);
	wc_free(&p);

	/* 4.3's byte counters carry the status bits: only the fragment count is checked */
	miscount(&p, wc_variant_of(&wc_tlsf, HW_TLSF_ERA_43, true, 8), 2, false);
	wc_walk(&p, &w);
	assert_int_equal(w.ck.total, 0);
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

/*
 * An exhausted Kamailio TLSF pool: its max_used (and real_used) counters run
 * past total_size (Kamailio counts block overhead that is not all in the
 * pool). The control block is still recognised.
 */
static void test_fit_overshoot(void **state)
{
	struct wc_pool p;
	struct tlsfheap *h = &p.tlsf;
	uint64_t total, got = 0;

	(void)state;
	wc_make(&p, &wc_tlsf, 0);
	assert_true(wc_tlsf.alloc->fit(h->t, p.l, h->base, &got) >= 0);
	total = himg_get(&h->img, h->base + h->l.c_total_size, 8);
	himg_put(&h->img, h->base + h->l.c_max_used, total + total / 300, 8);
	himg_put(&h->img, h->base + h->l.c_real_used, total + total / 400, 8);
	assert_true(wc_tlsf.alloc->fit(h->t, p.l, h->base, &got) >= 0);
	/* but counters far past the pool are not this layout */
	himg_put(&h->img, h->base + h->l.c_max_used, 3 * total, 8);
	assert_true(wc_tlsf.alloc->fit(h->t, p.l, h->base, &got) < 0);
	wc_free(&p);
}

static void test_mapping(void **state)
{
	struct hw_tlsf_layout l;
	uint32_t fl, sl;

	(void)state;
	assert_null(hw_tlsf_profile(HW_TLSF_ERA_44, true, 8, &l));
	hw_tlsf_mapping(&l, 24, &fl, &sl);
	assert_int_equal(fl, 0);
	assert_int_equal(sl, 3);
	hw_tlsf_mapping(&l, 256, &fl, &sl);
	assert_int_equal(fl, 1);
	assert_int_equal(sl, 0);
	hw_tlsf_mapping(&l, 1000, &fl, &sl);
	assert_int_equal(fl, 2);
	assert_int_equal(sl, 30);
	assert_null(hw_tlsf_profile(HW_TLSF_ERA_44, false, 4, &l));
	hw_tlsf_mapping(&l, 127, &fl, &sl); /* SMALL_BLOCK_SIZE is 128 on ILP32 */
	assert_int_equal(fl, 0);
	assert_int_equal(sl, 31);
	hw_tlsf_mapping(&l, 128, &fl, &sl);
	assert_int_equal(fl, 1);
	assert_int_equal(sl, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* the scenarios every manager runs (walkcases.c) */
	    WC_TEST(wc_clean_walk_all_variants, &wc_tlsf),
	    WC_TEST(wc_size_past_end, &wc_tlsf),
	    WC_TEST(wc_bad_header, &wc_tlsf),
	    WC_TEST(wc_sites, &wc_tlsf),
	    WC_TEST(wc_unreadable_middle, &wc_tlsf),
	    WC_TEST(wc_zeroed_heap, &wc_tlsf),
	    cmocka_unit_test(test_fit_overshoot),
	    /* TLSF's own */
	    cmocka_unit_test(test_prev_free_bit),
	    cmocka_unit_test(test_adjacent_free),
	    cmocka_unit_test(test_prev_phys),
	    cmocka_unit_test(test_list_damage),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
