/* test_split.c - a walk split at a header near the middle gives exactly the one-walk results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/frag.h"
#include "heapwalk/pool.h"
#include "heapwalk/sites.h"
#include "qmheap.h"

#define NFRAGS 600
#define NSITES 7

static const struct {
	enum hw_qm_era era;
	bool debug;
	uint32_t word;
} variants[] = {
    {HW_QM_ERA_58, true, 8},
    {HW_QM_ERA_44, true, 4},
    {HW_QM_ERA_44, false, 8},
    {HW_QM_ERA_MASTER, true, 8},
};

struct fixture {
	struct qmheap h;
	struct heap_frag frags[NFRAGS];
	struct hw_pool pool;
	struct hw_qm_layout l;
	struct hw_heap_header hdr;
};

/* What a walk leaves: counters, findings, sites. */
struct result {
	struct hw_walk_stats st;
	struct hw_check ck;
	struct hw_sites sites;
};

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/*
 * @big: fragment index made 64 KiB (placed to cover the middle), or NFRAGS
 * for none; @tail: bytes added to the last fragment (a big free tail).
 */
static void make(struct fixture *fx, unsigned v, size_t big, uint64_t tail)
{
	struct hw_qm_layout l;
	uint64_t files[NSITES], funcs[NSITES], mod, seed = 42 + v, len;
	char name[32];

	memset(fx, 0, sizeof(*fx));
	assert_null(hw_qm_profile(variants[v].era, variants[v].debug, variants[v].word, 0, &l));
	len = l.first_off;
	for (size_t i = 0; i < NFRAGS; i++) {
		struct heap_frag *f = &fx->frags[i];
		f->size = (uint64_t)l.roundto * (1 + rnd(&seed) % 40);
		if (i == big)
			f->size = 65536;
		f->used = rnd(&seed) % 4 != 0 || i == big;
		len += f->size + l.frag_size + l.end_size;
	}
	fx->frags[NFRAGS - 1].used = false;
	len += tail;
	qmh_init(&fx->h, &l, len);
	mod = qmh_str(&fx->h, "core");
	for (unsigned s = 0; s < NSITES; s++) {
		snprintf(name, sizeof(name), "mod%u: file%u.c", s, s);
		files[s] = qmh_str(&fx->h, name);
		snprintf(name, sizeof(name), "func%u", s);
		funcs[s] = qmh_str(&fx->h, name);
	}
	for (size_t i = 0; i < NFRAGS; i++) {
		struct heap_frag *f = &fx->frags[i];
		unsigned s = (unsigned)(rnd(&seed) % NSITES);
		f->file = files[s];
		f->func = funcs[s];
		f->line = 10 + s;
		f->mname = mod;
	}
	qmh_build(&fx->h, &l, fx->frags, NFRAGS, len);
	qmh_target(&fx->h);
	fx->l = l;
	fx->pool.alloc = &hw_allocator_qm;
	fx->pool.layout = &fx->l.head;
	assert_null(hw_qm_read_header(fx->h.t, &l, fx->h.base, &fx->hdr));
}

static int add_used(void *arg, const struct hw_frag *f)
{
	if (f->used)
		assert_null(hw_sites_add(arg, f));
	return 0;
}

static void res_init(struct result *r)
{
	memset(r, 0, sizeof(*r));
	hw_check_init(&r->ck, 100);
	hw_sites_init(&r->sites);
}

static void res_deinit(struct result *r)
{
	hw_check_deinit(&r->ck);
	hw_sites_deinit(&r->sites);
}

static void walk_one(struct fixture *fx, struct result *r)
{
	res_init(r);
	assert_null(
	    hw_alloc_walk(fx->h.t, &fx->pool, &fx->hdr, NULL, add_used, &r->sites, &r->ck, &r->st));
}

/* The split walk as the CLI does it; returns whether the halves met. */
static bool walk_split(struct fixture *fx, struct result *r, uint64_t at)
{
	struct hw_walk_opts oa = {.meet = at}, ob = {.from = at};
	struct result b;

	res_init(r);
	res_init(&b);
	assert_null(
	    hw_alloc_walk(fx->h.t, &fx->pool, &fx->hdr, &oa, add_used, &r->sites, &r->ck, &r->st));
	assert_null(
	    hw_alloc_walk(fx->h.t, &fx->pool, &fx->hdr, &ob, add_used, &b.sites, &b.ck, &b.st));
	if (!r->st.met) {
		res_deinit(&b);
		return false;
	}
	hw_check_append(&r->ck, &b.ck, r->st.frags);
	hw_alloc_walk_join(&fx->pool, &fx->hdr, &r->st, &b.st, &r->ck);
	assert_null(hw_sites_merge(&r->sites, &b.sites));
	res_deinit(&b);
	return true;
}

static void assert_same(struct result *x, struct result *y)
{
	const struct hw_site **rx, **ry;
	size_t nx, ny;

	assert_int_equal(x->st.frags, y->st.frags);
	assert_int_equal(x->st.used_frags, y->st.used_frags);
	assert_int_equal(x->st.free_frags, y->st.free_frags);
	assert_int_equal(x->st.used_bytes, y->st.used_bytes);
	assert_int_equal(x->st.free_bytes, y->st.free_bytes);
	assert_int_equal(x->st.end, y->st.end);
	assert_int_equal(x->st.complete, y->st.complete);
	assert_int_equal(x->ck.total, y->ck.total);
	assert_int_equal(x->ck.errors, y->ck.errors);
	assert_int_equal(x->ck.n, y->ck.n);
	for (size_t i = 0; i < x->ck.n; i++) {
		assert_int_equal(x->ck.items[i].addr, y->ck.items[i].addr);
		assert_int_equal(x->ck.items[i].index, y->ck.items[i].index);
		assert_string_equal(x->ck.items[i].message, y->ck.items[i].message);
	}
	assert_int_equal(x->sites.n, y->sites.n);
	assert_int_equal(x->sites.frags, y->sites.frags);
	assert_int_equal(x->sites.bytes, y->sites.bytes);
	assert_null(hw_sites_sorted(&x->sites, HW_ORDER_KAMAILIO, &rx, &nx));
	assert_null(hw_sites_sorted(&y->sites, HW_ORDER_KAMAILIO, &ry, &ny));
	assert_int_equal(nx, ny);
	for (size_t i = 0; i < nx; i++) {
		assert_int_equal(rx[i]->file, ry[i]->file);
		assert_int_equal(rx[i]->line, ry[i]->line);
		assert_int_equal(rx[i]->count, ry[i]->count);
		assert_int_equal(rx[i]->bytes, ry[i]->bytes);
	}
	free(rx);
	free(ry);
}

static bool is_header(struct fixture *fx, uint64_t a)
{
	for (size_t i = 0; i < NFRAGS; i++)
		if (qmh_frag_addr(&fx->h, i) == a)
			return true;
	return false;
}

/* A healthy heap: the split point is a real header near the middle, and the halves meet. */
static void test_healthy(void **state)
{
	(void)state;
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct fixture fx;
		struct result one, two;
		uint64_t at, mid;

		make(&fx, v, NFRAGS, 0);
		assert_null(hw_alloc_split_point(fx.h.t, &fx.pool, &fx.hdr, &at));
		assert_true(is_header(&fx, at));
		/* the middle of the work: the last fragment (a free tail, usually) left out */
		mid =
		    fx.hdr.first_frag + (qmh_frag_addr(&fx.h, NFRAGS - 1) - fx.hdr.first_frag) / 2;
		assert_true(at >= mid && at - mid < 4096);
		walk_one(&fx, &one);
		assert_true(one.st.complete);
		assert_true(walk_split(&fx, &two, at));
		assert_same(&one, &two);
		res_deinit(&one);
		res_deinit(&two);
		qmh_free(&fx.h);
	}
}

/*
 * A heap that is mostly one free tail (as a young Kamailio's is): the split
 * halves the fragments before the tail, not the address range.
 */
static void test_free_tail(void **state)
{
	(void)state;
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct fixture fx;
		struct result one, two;
		uint64_t at, last;

		make(&fx, v, NFRAGS, 8u << 20);
		last = qmh_frag_addr(&fx.h, NFRAGS - 1);
		assert_true(fx.h.base + fx.h.len - last > (8u << 20));
		assert_null(hw_alloc_split_point(fx.h.t, &fx.pool, &fx.hdr, &at));
		assert_true(is_header(&fx, at));
		assert_true(at < last);
		assert_true(at >= fx.hdr.first_frag + (last - fx.hdr.first_frag) / 2);
		walk_one(&fx, &one);
		assert_true(walk_split(&fx, &two, at));
		assert_same(&one, &two);
		res_deinit(&one);
		res_deinit(&two);
		qmh_free(&fx.h);
	}
}

/* Damage in either half: the same findings at the same indices, the same stop. */
static void test_damage(void **state)
{
	(void)state;
	for (int where = 0; where < 3; where++) {
		struct fixture fx;
		struct result one, two;
		uint64_t at, bad;
		size_t k;
		bool met;

		make(&fx, 0, NFRAGS, 0);
		assert_null(hw_alloc_split_point(fx.h.t, &fx.pool, &fx.hdr, &at));
		k = where == 0 ? NFRAGS / 4 : NFRAGS * 3 / 4;
		bad = qmh_frag_addr(&fx.h, k);
		if (where == 2) /* a finding the walk goes on after: a start pattern */
			qmh_put_word(&fx.h, bad + fx.l.f_check, 0x1234);
		else /* a size that runs past the end: the walk stops there */
			qmh_put_word(&fx.h, bad + fx.l.f_size, UINT64_C(1) << 40);
		walk_one(&fx, &one);
		/* a bad pattern is a finding the walk goes past; a bad size stops it */
		assert_int_equal(one.st.complete, where == 2);
		met = walk_split(&fx, &two, at);
		/* damage before the split point: the first half never meets the second */
		assert_int_equal(met, where != 0);
		assert_same(&one, &two);
		assert_true(one.ck.n >= 1);
		assert_int_equal(one.ck.items[0].addr, bad);
		assert_int_equal(two.ck.items[0].index, k);
		res_deinit(&one);
		res_deinit(&two);
		qmh_free(&fx.h);
	}
}

/*
 * A used fragment covering the middle holds a copy of real fragments (a
 * header lookalike chain): the split point lands inside it, the first
 * half steps over it, and the second half is dropped.
 */
static void test_lookalike(void **state)
{
	(void)state;
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct fixture fx;
		struct result one, two;
		uint64_t at, mid, big_user, big_end, src, dst, n;
		size_t big = 0;

		/* find the fragment that covers the middle once laid out, make it the big one */
		make(&fx, v, NFRAGS, 0);
		mid = fx.hdr.first_frag + (fx.h.base + fx.h.len - fx.hdr.first_frag) / 2;
		while (big + 1 < NFRAGS && qmh_frag_addr(&fx.h, big + 1) <= mid)
			big++;
		qmh_free(&fx.h);
		make(&fx, v, big, 0);
		mid = fx.hdr.first_frag + (fx.h.base + fx.h.len - fx.hdr.first_frag) / 2;
		big_user = qmh_frag_addr(&fx.h, big) + fx.l.frag_size;
		big_end = big_user + 65536;
		assert_true(big_user < mid && mid + 8192 < big_end);
		/* copy fragments 1..12 (headers, payloads, trailers) just past the middle */
		src = qmh_frag_addr(&fx.h, 1);
		n = qmh_frag_addr(&fx.h, 13) - src;
		dst = (mid + 64) / 64 * 64 + (src % 64);
		assert_true(dst + n < big_end);
		memcpy(fx.h.buf + (dst - fx.h.base), fx.h.buf + (src - fx.h.base), n);
		assert_null(hw_alloc_split_point(fx.h.t, &fx.pool, &fx.hdr, &at));
		assert_true(at > big_user && at < big_end);
		walk_one(&fx, &one);
		assert_false(walk_split(&fx, &two, at));
		assert_same(&one, &two);
		res_deinit(&one);
		res_deinit(&two);
		qmh_free(&fx.h);
	}
}

/*
 * The walk in pieces as the CLI folds it: piece k from pts[k - 1] to
 * pts[k], each walked apart (the pieces' sites in reverse order, as
 * another thread may finish first), folded while each met the next one's
 * start. Returns how many boundaries were met.
 */
static unsigned walk_pieces(struct fixture *fx, struct result *r, const uint64_t *pts, unsigned np)
{
	struct result part[HW_SPLIT_MAX];
	unsigned met = 0;

	for (unsigned k = 0; k <= np; k++) {
		struct hw_walk_opts o = {.from = k ? pts[k - 1] : 0, .meet = k < np ? pts[k] : 0};

		res_init(&part[k]);
		assert_null(hw_alloc_walk(fx->h.t, &fx->pool, &fx->hdr, &o, add_used,
					  &part[k].sites, &part[k].ck, &part[k].st));
	}
	*r = part[0];
	for (unsigned k = 1; k <= np; k++) {
		bool chain = met == k - 1 && part[k - 1].st.met;

		if (chain) {
			met++;
			hw_check_append(&r->ck, &part[k].ck, r->st.frags);
			hw_alloc_walk_join(&fx->pool, &fx->hdr, &r->st, &part[k].st, &r->ck);
		}
	}
	for (unsigned k = np; k >= 1; k--) {
		if (k <= met)
			assert_null(hw_sites_merge(&r->sites, &part[k].sites));
		res_deinit(&part[k]);
	}
	return met;
}

/* Many pieces: rising real headers, each near its share; the walk in pieces is the one walk. */
static void test_pieces(void **state)
{
	static const unsigned ns[] = {3, 8, HW_SPLIT_MAX};
	(void)state;
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		for (unsigned q = 0; q < sizeof(ns) / sizeof(ns[0]); q++) {
			struct fixture fx;
			struct result one, many;
			uint64_t pts[HW_SPLIT_MAX];
			unsigned np;

			make(&fx, v, NFRAGS, 0);
			assert_null(
			    hw_alloc_split_points(fx.h.t, &fx.pool, &fx.hdr, ns[q], pts, &np));
			assert_true(np >= 1 && np < ns[q]);
			for (unsigned k = 0; k < np; k++) {
				assert_true(is_header(&fx, pts[k]));
				if (k)
					assert_true(pts[k] > pts[k - 1]);
			}
			walk_one(&fx, &one);
			assert_int_equal(walk_pieces(&fx, &many, pts, np), np);
			assert_same(&one, &many);
			res_deinit(&one);
			res_deinit(&many);
			qmh_free(&fx.h);
		}
	}
	/* out of range: refused */
	{
		struct fixture fx;
		uint64_t pts[HW_SPLIT_MAX];
		unsigned np = 7;
		struct hw_error *err;

		make(&fx, 0, NFRAGS, 0);
		err = hw_alloc_split_points(fx.h.t, &fx.pool, &fx.hdr, HW_SPLIT_MAX + 1, pts, &np);
		assert_non_null(err);
		assert_int_equal(np, 0);
		hw_error_destroy(err);
		qmh_free(&fx.h);
	}
}

/* Damage in a middle piece: the boundaries after it are not met, the results the one walk's. */
static void test_pieces_damage(void **state)
{
	(void)state;
	for (int where = 0; where < 2; where++) {
		struct fixture fx;
		struct result one, many;
		uint64_t pts[HW_SPLIT_MAX], bad;
		unsigned np, met;
		size_t k = NFRAGS / 2;

		make(&fx, 0, NFRAGS, 0);
		assert_null(hw_alloc_split_points(fx.h.t, &fx.pool, &fx.hdr, 8, pts, &np));
		bad = qmh_frag_addr(&fx.h, k);
		if (where) /* a finding the walk goes on after */
			qmh_put_word(&fx.h, bad + fx.l.f_check, 0x1234);
		else /* a size that stops the walk */
			qmh_put_word(&fx.h, bad + fx.l.f_size, UINT64_C(1) << 40);
		walk_one(&fx, &one);
		met = walk_pieces(&fx, &many, pts, np);
		assert_true(where ? met == np : met < np);
		assert_same(&one, &many);
		assert_int_equal(many.ck.items[0].addr, bad);
		assert_int_equal(many.ck.items[0].index, k);
		res_deinit(&one);
		res_deinit(&many);
		qmh_free(&fx.h);
	}
}

/* Findings moved by hw_check_append keep order, shift indices, respect the cap. */
static void test_check_append(void **state)
{
	struct hw_check a, b;

	(void)state;
	hw_check_init(&a, 3);
	hw_check_init(&b, 3);
	hw_check_add(&a, HW_SEV_ERROR, 0x10, 1, "a1");
	hw_check_add(&b, HW_SEV_WARNING, 0x20, 2, "b1");
	hw_check_add(&b, HW_SEV_ERROR, 0x30, HW_NO_INDEX, "b2");
	hw_check_add(&b, HW_SEV_ERROR, 0x40, 5, "b3");
	hw_check_append(&a, &b, 100);
	assert_int_equal(a.n, 3);
	assert_int_equal(a.total, 4);
	assert_int_equal(a.errors, 3);
	assert_int_equal(a.warnings, 1);
	assert_string_equal(a.items[1].message, "b1");
	assert_int_equal(a.items[1].index, 102);
	assert_int_equal(a.items[2].index, HW_NO_INDEX);
	assert_int_equal(b.n, 0);
	hw_check_deinit(&a);
}

static void assert_same_frag(const struct hw_frag_stats *x, const struct hw_frag_stats *y)
{
	assert_int_equal(x->free_frags, y->free_frags);
	assert_int_equal(x->free_bytes, y->free_bytes);
	assert_int_equal(x->used_frags, y->used_frags);
	assert_int_equal(x->largest_free, y->largest_free);
	assert_int_equal(x->largest_free_addr, y->largest_free_addr);
	assert_memory_equal(x->class_count, y->class_count, sizeof(x->class_count));
	assert_memory_equal(x->class_bytes, y->class_bytes, sizeof(x->class_bytes));
	assert_int_equal(x->join_runs, y->join_runs);
	assert_int_equal(x->join_frags, y->join_frags);
	assert_int_equal(x->join_largest, y->join_largest);
	assert_int_equal(x->join_gain, y->join_gain);
}

/*
 * Fragmentation figures of two halves joined equal those of one pass, for
 * every split position of sequences with runs of free fragments at either
 * end, across the split, and everywhere else.
 */
static void test_frag_join(void **state)
{
	enum { N = 40 };
	struct hw_frag f[N];
	uint64_t seed = 7;

	(void)state;
	for (int round = 0; round < 200; round++) {
		uint64_t addr = 0x10000;
		struct hw_frag_stats one;

		memset(f, 0, sizeof(f));
		for (size_t i = 0; i < N; i++) {
			f[i].index = i;
			f[i].addr = addr;
			f[i].user = addr + 16;
			f[i].size = 8 * (1 + rnd(&seed) % 64);
			f[i].span = 16 + f[i].size + 8;
			/* some rounds are mostly free, some all free, some all used */
			f[i].used = round % 10 == 0   ? false
				    : round % 10 == 1 ? true
						      : rnd(&seed) % (round % 3 + 2) == 0;
			addr += f[i].span;
		}
		hw_frag_stats_init(&one);
		for (size_t i = 0; i < N; i++)
			hw_frag_stats_add(&one, &f[i]);
		hw_frag_stats_finish(&one);
		for (size_t k = 0; k <= N; k++) {
			struct hw_frag_stats a, b;

			hw_frag_stats_init(&a);
			hw_frag_stats_init_half(&b);
			for (size_t i = 0; i < k; i++)
				hw_frag_stats_add(&a, &f[i]);
			for (size_t i = k; i < N; i++) {
				struct hw_frag g = f[i];
				g.index = i - k; /* a half counts from its own start */
				hw_frag_stats_add(&b, &g);
			}
			hw_frag_stats_join(&a, &b);
			hw_frag_stats_finish(&a);
			assert_same_frag(&one, &a);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_healthy),	 cmocka_unit_test(test_free_tail),
	    cmocka_unit_test(test_damage),	 cmocka_unit_test(test_lookalike),
	    cmocka_unit_test(test_check_append), cmocka_unit_test(test_frag_join),
	    cmocka_unit_test(test_pieces),	 cmocka_unit_test(test_pieces_damage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
