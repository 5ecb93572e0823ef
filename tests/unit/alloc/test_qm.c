/* test_qm.c - the q_malloc walker and site aggregation on synthetic heaps, one damage at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/sites.h"
#include "heapwalk/target.h"
#include "qmheap.h"

#define NFRAGS 40

struct fixture {
	struct qmheap h;
	struct heap_frag frags[NFRAGS];
	uint64_t used_bytes;
	size_t nused;
};

static const struct {
	enum hw_qm_era era;
	bool debug;
	uint32_t word;
} variants[] = {
    {HW_QM_ERA_44, true, 8},	    {HW_QM_ERA_44, false, 8}, {HW_QM_ERA_44, true, 4},
    {HW_QM_ERA_58, true, 8},	    {HW_QM_ERA_OLD, true, 8}, {HW_QM_ERA_MASTER, true, 8},
    {HW_QM_ERA_MASTER_BT, true, 8}, {HW_QM_ERA_58, false, 4},
};

/* Three sites; site 1 is used from two places so it groups; every 4th fragment free. */
static void make(struct fixture *fx, unsigned v)
{
	struct hw_qm_layout l;
	uint64_t files[3], funcs[3], mod;

	memset(fx, 0, sizeof(*fx));
	assert_null(hw_qm_profile(variants[v].era, variants[v].debug, variants[v].word, 0, &l));
	qmh_init(&fx->h, &l, 1 << 20);
	files[0] = qmh_str(&fx->h, "core: core/str_hash.h");
	files[1] = qmh_str(&fx->h, "tm: h_table.c");
	files[2] = qmh_str(&fx->h, "usrloc: udomain.c");
	funcs[0] = qmh_str(&fx->h, "str_hash_alloc");
	funcs[1] = qmh_str(&fx->h, "build_cell");
	funcs[2] = qmh_str(&fx->h, "new_udomain");
	mod = qmh_str(&fx->h, "core");
	for (size_t i = 0; i < NFRAGS; i++) {
		struct heap_frag *f = &fx->frags[i];
		unsigned s = (unsigned)(i % 3);
		f->size = (uint64_t)l.roundto * (1 + i * 3);
		f->used = (i % 4) != 3;
		f->file = files[s];
		f->func = funcs[s];
		f->line = 100 + s;
		f->mname = mod;
		if (f->used && i != NFRAGS - 1) {
			fx->used_bytes += f->size;
			fx->nused++;
		}
	}
	qmh_build(&fx->h, &l, fx->frags, NFRAGS, 1 << 20);
	qmh_target(&fx->h);
}

struct counted {
	uint64_t n, used, bytes, last_index;
	bool in_order;
};

static int count_cb(void *arg, const struct hw_frag *f)
{
	struct counted *c = arg;

	c->in_order = c->n == 0 ? f->index == 0 : (c->in_order && f->index == c->last_index + 1);
	c->last_index = f->index;
	c->n++;
	if (f->used) {
		c->used++;
		c->bytes += f->size;
	}
	return 0;
}

static void walk(struct fixture *fx, struct hw_check *ck, struct hw_walk_stats *st,
		 struct counted *c)
{
	struct hw_heap_header h;

	assert_null(hw_qm_read_header(fx->h.t, &fx->h.l, fx->h.base, &h));
	hw_check_init(ck, 50);
	memset(c, 0, sizeof(*c));
	assert_null(hw_qm_walk(fx->h.t, &fx->h.l, &h, count_cb, c, ck, st));
}

static void test_clean_walk_all_variants(void **state)
{
	(void)state;
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct fixture fx;
		struct hw_check ck;
		struct hw_walk_stats st;
		struct counted c;
		struct hw_heap_header h;

		make(&fx, v);
		walk(&fx, &ck, &st, &c);
		assert_int_equal(ck.total, 0);
		assert_true(st.complete);
		assert_int_equal(st.frags, NFRAGS);
		assert_int_equal(c.n, NFRAGS);
		assert_true(c.in_order);
		assert_int_equal(st.used_frags, fx.nused);
		assert_int_equal(st.used_bytes, fx.used_bytes);
		assert_null(hw_qm_read_header(fx.h.t, &fx.h.l, fx.h.base, &h));
		assert_int_equal(h.used, st.used_bytes);
		/* accounting identity: size - real_used == free bytes walked */
		assert_int_equal(h.size - h.real_used, st.free_bytes);
		hw_check_deinit(&ck);
		qmh_free(&fx.h);
	}
}

static int add(void *arg, const struct hw_frag *f)
{
	if (f->used)
		assert_null(hw_sites_add(arg, f));
	return 0;
}

static void test_sites_kamailio_order(void **state)
{
	struct fixture fx;
	struct hw_heap_header h;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct hw_sites sites;
	struct hw_strcache sc;
	const struct hw_site **rows;
	size_t n;

	(void)state;
	make(&fx, 0);
	assert_null(hw_qm_read_header(fx.h.t, &fx.h.l, fx.h.base, &h));
	hw_check_init(&ck, 10);
	hw_sites_init(&sites);
	hw_strcache_init(&sc, fx.h.t);
	assert_null(hw_qm_walk(fx.h.t, &fx.h.l, &h, add, &sites, &ck, &st));
	assert_int_equal(sites.n, 3);
	assert_int_equal(sites.bytes, fx.used_bytes);
	hw_sites_resolve(&sites, &sc);
	assert_null(hw_sites_sorted(&sites, HW_ORDER_KAMAILIO, &rows, &n));
	assert_int_equal(n, 3);
	/* reverse of first appearance: fragment 2's site, then 1's, then 0's */
	assert_string_equal(rows[0]->file_s, "usrloc: udomain.c");
	assert_string_equal(rows[1]->file_s, "tm: h_table.c");
	assert_string_equal(rows[2]->file_s, "core: core/str_hash.h");
	assert_string_equal(rows[2]->func_s, "str_hash_alloc");
	assert_int_equal(rows[2]->line, 100);
	assert_string_equal(rows[2]->mname_s, "core");
	free(rows);
	assert_null(hw_sites_sorted(&sites, HW_ORDER_BYTES, &rows, &n));
	assert_true(rows[0]->bytes >= rows[1]->bytes && rows[1]->bytes >= rows[2]->bytes);
	free(rows);
	hw_strcache_deinit(&sc);
	hw_sites_deinit(&sites);
	hw_check_deinit(&ck);
	qmh_free(&fx.h);
}

static void test_bad_start_pattern(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	uint64_t a;

	(void)state;
	make(&fx, 0);
	a = qmh_frag_addr(&fx.h, 5);
	qmh_put_word(&fx.h, a + fx.h.l.f_check, 0x41414141);
	walk(&fx, &ck, &st, &c);
	assert_int_equal(ck.errors, 1);
	assert_int_equal(ck.items[0].index, 5);
	assert_int_equal(ck.items[0].addr, a);
	assert_non_null(strstr(ck.items[0].message, "start pattern 0x41414141"));
	assert_true(st.complete); /* a bad pattern does not stop the walk */
	hw_check_deinit(&ck);
	qmh_free(&fx.h);
}

static void test_size_past_end(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	uint64_t a;

	(void)state;
	make(&fx, 0);
	a = qmh_frag_addr(&fx.h, 7);
	qmh_put_word(&fx.h, a + fx.h.l.f_size, (uint64_t)1 << 40);
	walk(&fx, &ck, &st, &c);
	assert_false(st.complete);
	assert_int_equal(st.frags, 7);
	assert_int_equal(st.end, a);
	assert_true(ck.errors >= 1);
	assert_non_null(strstr(ck.items[0].message, "runs past the end"));
	hw_check_deinit(&ck);
	qmh_free(&fx.h);
}

static void test_trailer_mismatch(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	uint64_t a, sz;

	(void)state;
	make(&fx, 1); /* non-debug: only the sizes can disagree */
	a = qmh_frag_addr(&fx.h, 3);
	sz = qmh_get_word(&fx.h, a + fx.h.l.f_size);
	qmh_put_word(&fx.h, a + fx.h.l.frag_size + sz + fx.h.l.e_size, sz + 16);
	walk(&fx, &ck, &st, &c);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "trailer size"));
	assert_true(st.complete);
	hw_check_deinit(&ck);
	qmh_free(&fx.h);
}

static void test_unreadable_middle(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	struct hw_heap_header h;
	uint64_t a;

	(void)state;
	make(&fx, 0);
	a = qmh_frag_addr(&fx.h, 10);
	/* rebuild the target so that the heap stops being readable at fragment 10 */
	hw_mem_destroy(fx.h.t->mem);
	assert_null(hw_mem_create(&fx.h.t->mem));
	assert_null(
	    hw_mem_add_direct(fx.h.t->mem, HW_MEM_LAYER_CORE, fx.h.base, a - fx.h.base, fx.h.buf));
	assert_null(hw_mem_add_missing(fx.h.t->mem, a, fx.h.base + fx.h.len - a,
				       "memory not saved in core file"));
	assert_null(hw_qm_read_header(fx.h.t, &fx.h.l, fx.h.base, &h));
	hw_check_init(&ck, 10);
	memset(&c, 0, sizeof(c));
	assert_null(hw_qm_walk(fx.h.t, &fx.h.l, &h, count_cb, &c, &ck, &st));
	assert_false(st.complete);
	assert_int_equal(st.frags, 10);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "not saved in core"));
	hw_check_deinit(&ck);
	qmh_free(&fx.h);
}

struct buckets {
	uint64_t n, elems;
};

static int bucket_cb(void *arg, const struct hw_free_bucket *b)
{
	struct buckets *bs = arg;

	bs->n++;
	bs->elems += b->count;
	return 0;
}

static void test_free_lists(void **state)
{
	struct fixture fx;
	struct hw_heap_header h;
	struct hw_check ck;
	struct buckets bs = {0};
	uint64_t a;

	(void)state;
	make(&fx, 0);
	assert_null(hw_qm_read_header(fx.h.t, &fx.h.l, fx.h.base, &h));
	hw_check_init(&ck, 10);
	assert_null(hw_qm_walk_free(fx.h.t, &fx.h.l, &h, bucket_cb, &bs, &ck));
	assert_int_equal(ck.total, 0);
	assert_int_equal(bs.elems, h.ffrags);
	assert_true(bs.n >= 1);
	hw_check_deinit(&ck);

	/* a free fragment that links to itself: a cycle, bounded and reported */
	a = qmh_frag_addr(&fx.h, 3);
	qmh_put_word(&fx.h, a + fx.h.l.f_u, a);
	hw_check_init(&ck, 10);
	memset(&bs, 0, sizeof(bs));
	assert_null(hw_qm_walk_free(fx.h.t, &fx.h.l, &h, bucket_cb, &bs, &ck));
	assert_true(ck.errors >= 1);
	assert_non_null(strstr(ck.items[0].message, "cycle"));
	hw_check_deinit(&ck);

	/* a link outside the heap */
	qmh_put_word(&fx.h, a + fx.h.l.f_u, 0x10);
	hw_check_init(&ck, 10);
	assert_null(hw_qm_walk_free(fx.h.t, &fx.h.l, &h, bucket_cb, &bs, &ck));
	assert_true(ck.errors >= 1);
	assert_non_null(strstr(ck.items[0].message, "outside the heap"));
	hw_check_deinit(&ck);
	qmh_free(&fx.h);
}

static void test_bad_header(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;

	(void)state;
	make(&fx, 0);
	qmh_put_word(&fx.h, fx.h.base + fx.h.l.b_size, UINT64_MAX - 5);
	walk(&fx, &ck, &st, &c);
	assert_int_equal(st.frags, 0);
	assert_false(st.complete);
	assert_int_equal(ck.errors, 1);
	hw_check_deinit(&ck);
	qmh_free(&fx.h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_walk_all_variants),
	    cmocka_unit_test(test_sites_kamailio_order),
	    cmocka_unit_test(test_bad_start_pattern),
	    cmocka_unit_test(test_size_past_end),
	    cmocka_unit_test(test_trailer_mismatch),
	    cmocka_unit_test(test_unreadable_middle),
	    cmocka_unit_test(test_free_lists),
	    cmocka_unit_test(test_bad_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
