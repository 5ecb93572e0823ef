/* test_growth.c - sites over samples: which keep growing, how fast, in which order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/growth.h"
#include "heapwalk/persist.h"

#define N 3

/* Sample @j: "leak" grows every time, "flat" stays, "wobble" grows then shrinks. */
static void sample(struct hw_diff_side *side, size_t j, bool with_gone)
{
	struct hw_diff_pool *p;

	hw_diff_side_init(side);
	assert_null(hw_diff_side_add_pool(side, "pkg", 100, 1, "udp receiver", &p));
	assert_null(
	    hw_diff_pool_add_site(p, "m.c", "leak", 10, "core", 10 * (j + 1), 1000 * (j + 1)));
	assert_null(hw_diff_pool_add_site(p, "m.c", "flat", 20, "core", 5, 500));
	assert_null(hw_diff_pool_add_site(p, "m.c", "wobble", 30, "core", j == 1 ? 9 : 3,
					  j == 1 ? 900 : 400));
	if (with_gone)
		assert_null(hw_diff_pool_add_site(p, "m.c", "gone", 40, "core", 1, 64));
}

static const struct hw_watch_series *find(const struct hw_watch_store *st, const char *func)
{
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->v[i].func, func))
			return &st->v[i];
	return NULL;
}

static void test_growing_first(void **state)
{
	struct hw_diff_side s[N];
	uint64_t t[N] = {0, 60000000000ull, 120000000000ull}; /* a minute apart */
	struct hw_watch_store st = {0};
	const struct hw_watch_series *w;
	size_t ngrowing = 99;
	(void)state;

	for (size_t j = 0; j < N; j++)
		sample(&s[j], j, j == 0);
	assert_null(hw_watch_build(s, N, t, &st, &ngrowing));
	/* the sites of the last sample: "gone" (only in the first) has no series */
	assert_int_equal(st.n, 3);
	assert_null(find(&st, "gone"));
	assert_int_equal(ngrowing, 1);
	w = &st.v[0];
	assert_string_equal(w->func, "leak");
	assert_true(w->growing);
	assert_int_equal(w->pid, 100);
	assert_string_equal(w->pool, "pkg");
	assert_int_equal(w->bytes[0], 1000);
	assert_int_equal(w->bytes[2], 3000);
	assert_true(w->bytes_per_min > 999.9 && w->bytes_per_min < 1000.1);
	assert_true(w->count_per_min > 9.9 && w->count_per_min < 10.1);
	w = find(&st, "wobble");
	assert_non_null(w);
	assert_false(w->growing); /* it shrank on the way */
	w = find(&st, "flat");
	assert_non_null(w);
	assert_false(w->growing);
	assert_true(w->bytes_per_min == 0);
	hw_watch_store_deinit(&st);
	for (size_t j = 0; j < N; j++)
		hw_diff_side_deinit(&s[j]);
}

static void test_one_sample(void **state)
{
	struct hw_diff_side s;
	uint64_t t = 5;
	struct hw_watch_store st = {0};
	size_t ngrowing = 99;
	(void)state;

	sample(&s, 0, false);
	assert_null(hw_watch_build(&s, 1, &t, &st, &ngrowing));
	assert_int_equal(st.n, 3);
	assert_int_equal(ngrowing, 0); /* growing needs two samples at least */
	for (size_t i = 0; i < st.n; i++)
		assert_true(st.v[i].bytes_per_min == 0);
	hw_watch_store_deinit(&st);
	hw_diff_side_deinit(&s);
}

/* A to B: "leak" grew, "flat" and "wobble" did not move, "gone" went (after unchanged rows). */
static void test_two_points(void **state)
{
	struct hw_diff_side a, b;
	struct hw_diff d = {0};
	uint64_t t[2] = {60000000000ull, 180000000000ull}; /* two minutes apart */
	struct hw_watch_series *v = NULL;
	uint64_t *values = NULL;
	size_t n = 99;
	(void)state;

	sample(&a, 0, true);
	sample(&b, 2, false);
	assert_null(hw_diff_compute(&a, &b, &d));
	assert_null(hw_growth_from_diff(&d, t, &v, &values, &n));
	assert_int_equal(n, 1);
	assert_string_equal(v[0].func, "leak");
	assert_int_equal(v[0].bytes[0], 1000);
	assert_int_equal(v[0].bytes[1], 3000);
	assert_true(v[0].bytes_per_min > 999.9 && v[0].bytes_per_min < 1000.1);
	assert_true(v[0].growing);
	assert_int_equal(v[0].pid, 100);
	free(v);
	free(values);
	/* the row of the site that went has no B side */
	for (size_t i = 0; i < d.npairs; i++)
		for (size_t j = 0; j < d.pairs[i].nrows; j++)
			if (d.pairs[i].rows[j].kind == HW_DIFF_GONE)
				assert_null(d.pairs[i].rows[j].b);
	hw_diff_deinit(&d);
	hw_diff_side_deinit(&a);
	hw_diff_side_deinit(&b);
}

/* The trends, each at its edge: how much growth, at which steps, how many fragments stayed. */
static void test_trends(void **state)
{
	const uint64_t c3[] = {100, 110, 120}, c_flat[] = {100, 100, 100};
	const uint64_t steady[] = {10000, 11000, 12000}, slowing[] = {10000, 11800, 12000},
		       wobble[] = {10000, 12000, 11500}, tiny[] = {10000, 10100, 10150},
		       small_abs[] = {1000, 1100, 1200}, shrink[] = {12000, 11000, 10000};
	(void)state;

	assert_int_equal(hw_trend_of(c3, steady, 3, -1), HW_TREND_GROWING);
	assert_int_equal(hw_trend_of(c3, steady, 3, 1.0), HW_TREND_GROWING);
	assert_int_equal(hw_trend_of(c3, steady, 3, HW_GROWTH_KEPT), HW_TREND_GROWING);
	/* its first fragments mostly gone: in-flight state, however steady the growth */
	assert_int_equal(hw_trend_of(c3, steady, 3, 0.02), HW_TREND_TURNOVER);
	/* too few fragments to judge turnover by */
	{
		const uint64_t few[] = {5, 6, 7};
		assert_int_equal(hw_trend_of(few, steady, 3, 0.0), HW_TREND_GROWING);
	}
	/* the last step below a quarter of the mean step */
	assert_int_equal(hw_trend_of(c3, slowing, 3, -1), HW_TREND_LEVELLING);
	assert_int_equal(hw_trend_of(c3, slowing, 2, -1), HW_TREND_GROWING); /* two: no shape */
	assert_int_equal(hw_trend_of(c3, wobble, 3, -1), HW_TREND_LEVELLING);
	/* below HW_GROWTH_MIN_SHARE (2%) of what it had, or below HW_GROWTH_MIN_BYTES */
	assert_int_equal(hw_trend_of(c3, tiny, 3, -1), HW_TREND_STATIC);
	assert_int_equal(hw_trend_of(c3, small_abs, 3, -1), HW_TREND_STATIC);
	assert_int_equal(hw_trend_of(c_flat, shrink, 3, -1), HW_TREND_SHRINKING);
	assert_int_equal(hw_trend_of(c_flat, steady, 1, -1), HW_TREND_STATIC);
	assert_string_equal(hw_trend_name(HW_TREND_TURNOVER), "turning over");
}

/* Identities: the same fragment is found again; one byte, the size or the address differ: not. */
static void test_identity(void **state)
{
	unsigned char a[40], b[40];
	struct hw_idset set;
	(void)state;

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (unsigned char)i;
	hw_idset_init(&set);
	for (uint64_t k = 0; k < 5000; k++)
		hw_idset_add(&set, hw_frag_identity(0x1000 + 64 * k, 48, a, sizeof(a)));
	assert_int_equal(set.n, 5000);
	assert_false(set.overflow);
	assert_true(hw_idset_has(&set, hw_frag_identity(0x1000 + 64 * 77, 48, b, sizeof(b))));
	b[31] ^= 1; /* within the bytes that count */
	assert_false(hw_idset_has(&set, hw_frag_identity(0x1000 + 64 * 77, 48, b, sizeof(b))));
	b[31] ^= 1;
	b[32] ^= 1; /* past HW_PERSIST_BYTES: the same identity */
	assert_true(hw_idset_has(&set, hw_frag_identity(0x1000 + 64 * 77, 48, b, sizeof(b))));
	assert_false(hw_idset_has(&set, hw_frag_identity(0x1000 + 64 * 77, 56, a, sizeof(a))));
	assert_false(hw_idset_has(&set, hw_frag_identity(0x1008 + 64 * 77, 48, a, sizeof(a))));
	/* adding twice counts once */
	hw_idset_add(&set, hw_frag_identity(0x1000, 48, a, sizeof(a)));
	assert_int_equal(set.n, 5000);
	hw_idset_deinit(&set);
}

/* A series whose samples carry kept counts: the site that turns over is no suspect. */
static void test_series_turnover(void **state)
{
	struct hw_diff_side s[N];
	uint64_t t[N] = {0, 10000000000ull, 20000000000ull};
	struct hw_watch_store st = {0};
	struct hw_idset ids;
	size_t ngrowing = 99;
	(void)state;

	hw_idset_init(&ids);
	for (size_t j = 0; j < N; j++) {
		struct hw_diff_pool *p;
		hw_diff_side_init(&s[j]);
		assert_null(hw_diff_side_add_pool(&s[j], "shm", 7, 0, "main", &p));
		assert_null(hw_diff_pool_add_site(p, "ul.c", "contact", 96, "usrloc", 100 + 10 * j,
						  30000 + 3000 * j));
		assert_null(hw_diff_pool_add_site(p, "ht.c", "cell", 58, "htable", 100 + 10 * j,
						  30000 + 3000 * j));
		if (j) {
			p->kept_known = true;
			p->sites[0].kept = 2;	/* of the first 100 contacts: 2 left */
			p->sites[1].kept = 100; /* every first cell still there */
		} else {
			p->ids = malloc(sizeof(*p->ids)); /* recorded: the series can compare */
			assert_non_null(p->ids);
			*p->ids = ids;
		}
	}
	assert_null(hw_watch_build(s, N, t, &st, &ngrowing));
	assert_int_equal(ngrowing, 1);
	assert_string_equal(find(&st, "cell")->func, "cell");
	assert_int_equal(find(&st, "cell")->trend, HW_TREND_GROWING);
	assert_int_equal(find(&st, "contact")->trend, HW_TREND_TURNOVER);
	assert_true(find(&st, "contact")->kept_share < 0.03);
	hw_watch_store_deinit(&st);
	for (size_t j = 0; j < N; j++)
		hw_diff_side_deinit(&s[j]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_growing_first), cmocka_unit_test(test_one_sample),
	    cmocka_unit_test(test_two_points),	  cmocka_unit_test(test_trends),
	    cmocka_unit_test(test_identity),	  cmocka_unit_test(test_series_turnover),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
