/* test_fm.c - the f_malloc walker on synthetic heaps of every era, one damage at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fmheap.h"
#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/sites.h"
#include "heapwalk/target.h"

#define NFRAGS 40
#define HEAP (1u << 20)

struct fixture {
	struct fmheap h;
	struct heap_frag frags[NFRAGS];
	size_t nused;
};

static const struct {
	enum hw_fm_era era;
	bool debug, stats;
	uint32_t word, roundto;
} variants[] = {
    {HW_FM_ERA_44, true, true, 8, 0},	{HW_FM_ERA_44, false, true, 8, 0},
    {HW_FM_ERA_44, true, true, 4, 0},	{HW_FM_ERA_44, false, true, 4, 0},
    {HW_FM_ERA_58, true, true, 8, 0},	{HW_FM_ERA_58, false, true, 4, 8},
    {HW_FM_ERA_42, true, true, 8, 0},	{HW_FM_ERA_42, false, true, 4, 0},
    {HW_FM_ERA_OLD, true, true, 8, 0},	{HW_FM_ERA_OLD, false, false, 4, 0},
    {HW_FM_ERA_SER, true, true, 4, 0},	{HW_FM_ERA_SER, false, false, 8, 0},
    {HW_FM_ERA_SER, false, true, 8, 0},
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* Three sites; every 4th fragment free (free neighbours never touch: fm does not join before 4.4).
 */
static void make(struct fixture *fx, unsigned v)
{
	struct hw_fm_layout l;
	uint64_t files[3], funcs[3], mod;

	memset(fx, 0, sizeof(*fx));
	assert_null(hw_fm_profile(variants[v].era, variants[v].debug, variants[v].stats,
				  variants[v].word, variants[v].roundto, &l));
	fmh_init(&fx->h, &l, HEAP);
	files[0] = himg_str(&fx->h.img, "core: core/str_hash.h");
	files[1] = himg_str(&fx->h.img, "tm: h_table.c");
	files[2] = himg_str(&fx->h.img, "usrloc: udomain.c");
	funcs[0] = himg_str(&fx->h.img, "str_hash_alloc");
	funcs[1] = himg_str(&fx->h.img, "build_cell");
	funcs[2] = himg_str(&fx->h.img, "new_udomain");
	mod = himg_str(&fx->h.img, "core");
	for (size_t i = 0; i < NFRAGS; i++) {
		struct heap_frag *f = &fx->frags[i];
		unsigned s = (unsigned)(i % 3);
		f->size = (uint64_t)l.roundto * (1 + i * 3);
		f->used = (i % 4) != 3;
		f->file = files[s];
		f->func = funcs[s];
		f->line = 100 + s;
		f->mname = mod;
		if (f->used && i != NFRAGS - 1)
			fx->nused++;
	}
	fmh_build(&fx->h, fx->frags, NFRAGS);
	himg_target(&fx->h.img);
}

struct counted {
	uint64_t n, used, bytes;
	bool states_ok, in_order;
	const struct fixture *fx;
};

static int count_cb(void *arg, const struct hw_frag *f)
{
	struct counted *c = arg;
	bool want_used = c->fx->frags[f->index].used && f->index != NFRAGS - 1;

	if (f->used != want_used)
		c->states_ok = false;
	if (f->index != c->n || f->span != c->fx->h.l.frag_size + f->size ||
	    f->user != f->addr + c->fx->h.l.frag_size)
		c->in_order = false;
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

	assert_null(hw_fm_read_header(fx->h.t, &fx->h.l, fx->h.base, &h));
	hw_check_init(ck, 50);
	memset(c, 0, sizeof(*c));
	c->states_ok = c->in_order = true;
	c->fx = fx;
	assert_null(hw_fm_walk(fx->h.t, &fx->h.l, &h, count_cb, c, ck, st));
}

struct buckets {
	uint64_t n, elems, bytes;
	bool hash_ok;
	const struct hw_fm_layout *l;
};

static int bucket_cb(void *arg, const struct hw_free_bucket *b)
{
	struct buckets *bs = arg;

	bs->n++;
	bs->elems += b->count;
	bs->bytes += b->bytes;
	if (hw_fm_hash(bs->l, b->first_size) != b->index || b->count != b->no)
		bs->hash_ok = false;
	return 0;
}

static void free_lists(struct fixture *fx, struct hw_check *ck, struct buckets *bs)
{
	struct hw_heap_header h;

	assert_null(hw_fm_read_header(fx->h.t, &fx->h.l, fx->h.base, &h));
	hw_check_init(ck, 50);
	memset(bs, 0, sizeof(*bs));
	bs->hash_ok = true;
	bs->l = &fx->h.l;
	assert_null(hw_fm_walk_free(fx->h.t, &fx->h.l, &h, bucket_cb, bs, ck));
}

static void test_clean_walk_all_variants(void **state)
{
	(void)state;
	for (unsigned v = 0; v < NVARIANTS; v++) {
		struct fixture fx;
		struct hw_check ck;
		struct hw_walk_stats st;
		struct counted c;
		struct buckets bs;
		struct hw_heap_header h;

		make(&fx, v);
		walk(&fx, &ck, &st, &c);
		if (ck.total)
			print_message("variant %u (%s): %s\n", v, fx.h.l.name, ck.items[0].message);
		assert_int_equal(ck.total, 0);
		assert_true(st.complete);
		assert_int_equal(st.frags, NFRAGS);
		assert_int_equal(c.n, NFRAGS);
		assert_true(c.in_order);
		assert_true(c.states_ok);
		assert_int_equal(st.used_frags, fx.nused);
		assert_int_equal(st.used_bytes, fx.h.used_bytes);
		assert_int_equal(st.free_frags, fx.h.nfree);
		assert_null(hw_fm_read_header(fx.h.t, &fx.h.l, fx.h.base, &h));
		assert_int_equal(h.no_counters, !fx.h.l.stats);
		if (fx.h.l.stats)
			/* accounting identity: size - real_used == free bytes walked */
			assert_int_equal(h.size - h.real_used, st.free_bytes);
		hw_check_deinit(&ck);

		free_lists(&fx, &ck, &bs);
		assert_int_equal(ck.total, 0);
		assert_true(bs.hash_ok);
		assert_int_equal(bs.elems, fx.h.nfree);
		assert_int_equal(bs.bytes, st.free_bytes);
		hw_check_deinit(&ck);
		himg_free(&fx.h.img);
	}
}

static int add(void *arg, const struct hw_frag *f)
{
	if (f->used)
		assert_null(hw_sites_add(arg, f));
	return 0;
}

static void test_sites(void **state)
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
	assert_null(hw_fm_read_header(fx.h.t, &fx.h.l, fx.h.base, &h));
	hw_check_init(&ck, 10);
	hw_sites_init(&sites);
	hw_strcache_init(&sc, fx.h.t);
	assert_null(hw_fm_walk(fx.h.t, &fx.h.l, &h, add, &sites, &ck, &st));
	assert_int_equal(sites.n, 3);
	assert_int_equal(sites.bytes, fx.h.used_bytes);
	hw_sites_resolve(&sites, &sc);
	assert_null(hw_sites_sorted(&sites, HW_ORDER_KAMAILIO, &rows, &n));
	assert_int_equal(n, 3);
	assert_string_equal(rows[0]->file_s, "usrloc: udomain.c");
	assert_string_equal(rows[2]->func_s, "str_hash_alloc");
	assert_string_equal(rows[2]->mname_s, "core");
	assert_int_equal(rows[2]->line, 100);
	free(rows);
	hw_strcache_deinit(&sc);
	hw_sites_deinit(&sites);
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static unsigned variant_of(enum hw_fm_era era, bool debug, uint32_t word)
{
	for (unsigned v = 0; v < NVARIANTS; v++)
		if (variants[v].era == era && variants[v].debug == debug &&
		    variants[v].word == word)
			return v;
	fail();
	return 0;
}

static void test_bad_check_pattern(void **state)
{
	/* 4.4+ keeps the pattern in non-debug builds too (as an unsigned int) */
	unsigned vs[] = {variant_of(HW_FM_ERA_44, false, 8), variant_of(HW_FM_ERA_42, true, 8),
			 variant_of(HW_FM_ERA_58, true, 8)};

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		struct fixture fx;
		struct hw_check ck;
		struct hw_walk_stats st;
		struct counted c;
		uint64_t a;

		make(&fx, vs[i]);
		a = fmh_frag_addr(&fx.h, 5);
		himg_put(&fx.h.img, a + fx.h.l.f_check, 0x41414141, fx.h.l.f_check_size);
		walk(&fx, &ck, &st, &c);
		assert_int_equal(ck.errors, 1);
		assert_int_equal(ck.items[0].index, 5);
		assert_non_null(strstr(ck.items[0].message, "start pattern 0x41414141"));
		assert_true(st.complete);
		hw_check_deinit(&ck);
		himg_free(&fx.h.img);
	}
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
	a = fmh_frag_addr(&fx.h, 7);
	himg_put(&fx.h.img, a + fx.h.l.f_size, (uint64_t)1 << 40, fx.h.l.word);
	walk(&fx, &ck, &st, &c);
	assert_false(st.complete);
	assert_int_equal(st.frags, 7);
	assert_int_equal(st.end, a);
	assert_non_null(strstr(ck.items[0].message, "runs past the end"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static void test_sentinel(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	uint64_t last;

	(void)state;
	make(&fx, variant_of(HW_FM_ERA_44, true, 8));
	last = fx.h.base + fx.h.len - fx.h.l.frag_size;
	himg_put(&fx.h.img, last + fx.h.l.f_check, 0x1234, fx.h.l.f_check_size);
	walk(&fx, &ck, &st, &c);
	assert_true(st.complete);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "sentinel's pattern is 0x1234"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

/* <= 4.1: no flag; only the lists say what is free. */
static void test_old_free_set(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	struct buckets bs;
	uint64_t a3, a7, b;

	(void)state;
	make(&fx, variant_of(HW_FM_ERA_SER, false, 8));
	/* unlink fragment 3 (the only one in its bucket): it turns used */
	a3 = fmh_frag_addr(&fx.h, 3);
	b = hw_fm_hash(&fx.h.l, himg_get(&fx.h.img, a3 + fx.h.l.f_size, fx.h.l.word));
	himg_put(&fx.h.img, fx.h.base + fx.h.l.b_free_hash + b * fx.h.l.lnk_size, 0, fx.h.l.word);
	walk(&fx, &ck, &st, &c);
	assert_true(st.complete);
	assert_int_equal(st.free_frags, fx.h.nfree - 1);
	assert_false(c.states_ok); /* fragment 3 now counts as used */
	hw_check_deinit(&ck);

	/* a list element in the middle of a fragment is no fragment start */
	a7 = fmh_frag_addr(&fx.h, 7);
	himg_put(&fx.h.img, fx.h.base + fx.h.l.b_free_hash + b * fx.h.l.lnk_size, a7 + 8,
		 fx.h.l.word);
	walk(&fx, &ck, &st, &c);
	assert_true(ck.errors >= 1);
	assert_non_null(strstr(ck.items[ck.n - 1].message, "not fragment starts"));
	hw_check_deinit(&ck);

	/* a cycle: bounded, summarised by the walk, detailed by walk_free */
	himg_put(&fx.h.img, fx.h.base + fx.h.l.b_free_hash + b * fx.h.l.lnk_size, a3, fx.h.l.word);
	himg_put(&fx.h.img, a3 + fx.h.l.f_u, a3, fx.h.l.word);
	walk(&fx, &ck, &st, &c);
	assert_true(st.complete);
	assert_true(ck.warnings >= 1);
	assert_non_null(strstr(ck.items[0].message, "free lists are damaged"));
	hw_check_deinit(&ck);
	free_lists(&fx, &ck, &bs);
	assert_true(ck.errors >= 1);
	assert_non_null(strstr(ck.items[0].message, "cycle"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static void test_list_damage(void **state)
{
	unsigned vs[] = {variant_of(HW_FM_ERA_44, true, 8), variant_of(HW_FM_ERA_42, true, 8),
			 variant_of(HW_FM_ERA_OLD, true, 8)};

	(void)state;
	for (size_t i = 0; i < sizeof(vs) / sizeof(vs[0]); i++) {
		struct fixture fx;
		struct hw_check ck;
		struct buckets bs;
		uint64_t a = 0, b;
		const struct hw_fm_layout *l;

		make(&fx, vs[i]);
		l = &fx.h.l;
		/* a link outside the heap */
		a = fmh_frag_addr(&fx.h, 3);
		himg_put(&fx.h.img, a + l->f_link, 0x10, l->word);
		free_lists(&fx, &ck, &bs);
		assert_true(ck.errors >= 1);
		assert_non_null(strstr(ck.items[0].message, "outside the heap"));
		hw_check_deinit(&ck);
		himg_put(&fx.h.img, a + l->f_link, 0, l->word);

		/* the bitmap bit of a listed bucket cleared */
		b = hw_fm_hash(l, himg_get(&fx.h.img, a + l->f_size, l->word));
		fx.h.buf[l->b_free_bitmap + b / 8] &= (uint8_t) ~(1u << (b % 8));
		free_lists(&fx, &ck, &bs);
		assert_int_equal(ck.errors, 0);
		assert_int_equal(ck.warnings, 1);
		assert_non_null(strstr(ck.items[0].message, "bitmap bit is clear"));
		hw_check_deinit(&ck);

		/* the back link of a free fragment (4.2+) */
		if (l->era >= HW_FM_ERA_42) {
			uint32_t off = l->era >= HW_FM_ERA_44 ? l->f_prev_free : l->f_prv_free;
			himg_put(&fx.h.img, a + off, fx.h.base + 8, l->word);
			free_lists(&fx, &ck, &bs);
			assert_true(ck.errors >= 1);
			assert_non_null(strstr(ck.items[0].message, "expected"));
			hw_check_deinit(&ck);
		}
		himg_free(&fx.h.img);
	}
}

static void test_counters(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	uint64_t used;

	(void)state;
	make(&fx, variant_of(HW_FM_ERA_44, true, 8));
	used = himg_get(&fx.h.img, fx.h.base + fx.h.l.b_used, 8);
	himg_put(&fx.h.img, fx.h.base + fx.h.l.b_used, used + 64, 8);
	himg_put(&fx.h.img, fx.h.base + fx.h.l.b_ffrags, 1, 8);
	walk(&fx, &ck, &st, &c);
	assert_true(st.complete);
	assert_int_equal(ck.errors, 0);
	assert_int_equal(ck.warnings, 3); /* ffrags, used, real_used */
	assert_non_null(strstr(ck.items[0].message, "free fragments"));
	assert_non_null(strstr(ck.items[1].message, "bookkeeping delta"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
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
	a = fmh_frag_addr(&fx.h, 10);
	hw_mem_destroy(fx.h.t->mem);
	assert_null(hw_mem_create(&fx.h.t->mem));
	assert_null(
	    hw_mem_add_direct(fx.h.t->mem, HW_MEM_LAYER_CORE, fx.h.base, a - fx.h.base, fx.h.buf));
	assert_null(hw_mem_add_missing(fx.h.t->mem, a, fx.h.base + fx.h.len - a,
				       "memory not saved in core file"));
	assert_null(hw_fm_read_header(fx.h.t, &fx.h.l, fx.h.base, &h));
	hw_check_init(&ck, 10);
	memset(&c, 0, sizeof(c));
	c.fx = &fx;
	assert_null(hw_fm_walk(fx.h.t, &fx.h.l, &h, count_cb, &c, &ck, &st));
	assert_false(st.complete);
	assert_int_equal(st.frags, 10);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "not saved in core"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static void test_bad_header(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;

	(void)state;
	make(&fx, 0);
	himg_put(&fx.h.img, fx.h.base + fx.h.l.b_last_frag, 1, fx.h.l.word);
	walk(&fx, &ck, &st, &c);
	assert_int_equal(st.frags, 0);
	assert_false(st.complete);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "implausible"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
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
	    cmocka_unit_test(test_clean_walk_all_variants),
	    cmocka_unit_test(test_sites),
	    cmocka_unit_test(test_bad_check_pattern),
	    cmocka_unit_test(test_size_past_end),
	    cmocka_unit_test(test_sentinel),
	    cmocka_unit_test(test_old_free_set),
	    cmocka_unit_test(test_list_damage),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_unreadable_middle),
	    cmocka_unit_test(test_bad_header),
	    cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
