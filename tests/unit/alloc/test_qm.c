/*
 * test_qm.c - the q_malloc walker on synthetic heaps, one damage at a time:
 * its own cases here, those every manager shares in walkcases.c.
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

static void test_trailer_mismatch(void **state)
{
	struct wc_pool p;
	struct wc_walked w;
	struct qmheap *h = &p.qm;
	uint64_t a, sz;

	(void)state;
	wc_make(&p, &wc_qm, 1); /* non-debug: only the sizes can disagree */
	a = qmh_frag_addr(h, 3);
	sz = qmh_get_word(h, a + h->l.f_size);
	qmh_put_word(h, a + h->l.frag_size + sz + h->l.e_size, sz + 16);
	wc_walk(&p, &w);
	assert_int_equal(w.ck.errors, 1);
	assert_non_null(strstr(w.ck.items[0].message, "trailer size"));
	assert_true(w.st.complete);
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

static void test_free_lists(void **state)
{
	struct wc_pool p;
	struct hw_heap_header hdr;
	struct wc_listed ls;
	struct qmheap *h = &p.qm;
	uint64_t a;

	(void)state;
	wc_make(&p, &wc_qm, 0);
	assert_null(hw_qm_read_header(h->t, &h->l, h->base, &hdr));
	wc_free_lists(&p, &ls);
	assert_int_equal(ls.ck.total, 0);
	assert_int_equal(ls.elems, hdr.ffrags);
	assert_true(ls.n >= 1);
	hw_check_deinit(&ls.ck);

	/* a free fragment that links to itself: a cycle, bounded and reported */
	a = qmh_frag_addr(h, 3);
	qmh_put_word(h, a + h->l.f_u, a);
	wc_free_lists(&p, &ls);
	assert_true(ls.ck.errors >= 1);
	assert_non_null(strstr(ls.ck.items[0].message, "cycle"));
	hw_check_deinit(&ls.ck);

	/*
	 * the same with a block claiming a 2^62-byte heap: the list still ends at
	 * once, as a cycle (its length is no longer bounded by the heap's size)
	 */
	qmh_put_word(h, h->base + h->l.b_size, 1ull << 62);
	wc_free_lists(&p, &ls);
	assert_true(wc_has_message(&ls.ck, "runs in a cycle"));
	hw_check_deinit(&ls.ck);
	qmh_put_word(h, h->base + h->l.b_size, hdr.size);

	/* a link outside the heap */
	qmh_put_word(h, a + h->l.f_u, 0x10);
	wc_free_lists(&p, &ls);
	assert_true(ls.ck.errors >= 1);
	assert_non_null(strstr(ls.ck.items[0].message, "outside the heap"));
	hw_check_deinit(&ls.ck);
	wc_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* the scenarios every manager runs (walkcases.c) */
	    WC_TEST(wc_clean_walk_all_variants, &wc_qm),
	    WC_TEST(wc_sites, &wc_qm),
	    WC_TEST(wc_bad_start_pattern, &wc_qm),
	    WC_TEST(wc_size_past_end, &wc_qm),
	    WC_TEST(wc_unreadable_middle, &wc_qm),
	    WC_TEST(wc_zeroed_heap, &wc_qm),
	    WC_TEST(wc_bad_header, &wc_qm),
	    /* q_malloc's own */
	    cmocka_unit_test(test_trailer_mismatch),
	    cmocka_unit_test(test_free_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
