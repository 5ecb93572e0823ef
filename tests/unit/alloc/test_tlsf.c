/* test_tlsf.c - the TLSF walker on synthetic pools of every layout, one damage at a time. */
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
#include "tlsfheap.h"

#define NBLOCKS 40
#define POOL (1u << 20)

struct fixture {
	struct tlsfheap h;
	struct heap_frag blocks[NBLOCKS];
	size_t nused;
};

static const struct {
	enum hw_tlsf_era era;
	bool debug;
	uint32_t word;
} variants[] = {
    {HW_TLSF_ERA_44, true, 8},	{HW_TLSF_ERA_44, false, 8}, {HW_TLSF_ERA_44, true, 4},
    {HW_TLSF_ERA_44, false, 4}, {HW_TLSF_ERA_43, true, 8},  {HW_TLSF_ERA_43, true, 4},
    {HW_TLSF_ERA_43, false, 8},
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

/* Three sites; every 4th block free, small and big sizes so that several lists fill. */
static void make(struct fixture *fx, unsigned v)
{
	struct hw_tlsf_layout l;
	uint64_t files[3], funcs[3], mod;

	memset(fx, 0, sizeof(*fx));
	assert_null(hw_tlsf_profile(variants[v].era, variants[v].debug, variants[v].word, &l));
	tlsfh_init(&fx->h, &l, POOL);
	files[0] = himg_str(&fx->h.img, "core: core/str_hash.h");
	files[1] = himg_str(&fx->h.img, "tm: h_table.c");
	files[2] = himg_str(&fx->h.img, "usrloc: udomain.c");
	funcs[0] = himg_str(&fx->h.img, "str_hash_alloc");
	funcs[1] = himg_str(&fx->h.img, "build_cell");
	funcs[2] = himg_str(&fx->h.img, "new_udomain");
	mod = himg_str(&fx->h.img, "core");
	for (size_t i = 0; i < NBLOCKS; i++) {
		struct heap_frag *b = &fx->blocks[i];
		unsigned s = (unsigned)(i % 3);
		b->size = (uint64_t)l.align * (l.size_min / l.align + i * i);
		b->used = (i % 4) != 3;
		b->file = files[s];
		b->func = funcs[s];
		b->line = 100 + s;
		b->mname = mod;
		if (b->used && i != NBLOCKS - 1)
			fx->nused++;
	}
	tlsfh_build(&fx->h, fx->blocks, NBLOCKS);
	himg_target(&fx->h.img);
}

struct counted {
	uint64_t n, used, bytes;
	bool ok;
	const struct fixture *fx;
};

static int count_cb(void *arg, const struct hw_frag *f)
{
	struct counted *c = arg;
	const struct hw_tlsf_layout *l = &c->fx->h.l;
	bool want_used = c->fx->blocks[f->index].used && f->index != NBLOCKS - 1;

	if (f->used != want_used || f->index != c->n || f->user != f->addr + l->start_offset ||
	    f->span != l->overhead + f->size)
		c->ok = false;
	if (l->debug && f->used && f->line != c->fx->blocks[f->index].line)
		c->ok = false;
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

	assert_null(hw_tlsf_read_header(fx->h.t, &fx->h.l, fx->h.base, &h));
	hw_check_init(ck, 50);
	memset(c, 0, sizeof(*c));
	c->ok = true;
	c->fx = fx;
	assert_null(hw_tlsf_walk(fx->h.t, &fx->h.l, &h, count_cb, c, ck, st));
}

struct lists {
	uint64_t n, elems, bytes;
	bool index_ok;
	const struct hw_tlsf_layout *l;
};

static int list_cb(void *arg, const struct hw_free_bucket *b)
{
	struct lists *ls = arg;
	uint32_t fl, sl;

	ls->n++;
	ls->elems += b->count;
	ls->bytes += b->bytes;
	hw_tlsf_mapping(ls->l, b->first_size, &fl, &sl);
	if (b->index != (uint64_t)fl * ls->l->sl_count + sl)
		ls->index_ok = false;
	return 0;
}

static void free_lists(struct fixture *fx, struct hw_check *ck, struct lists *ls)
{
	struct hw_heap_header h;

	assert_null(hw_tlsf_read_header(fx->h.t, &fx->h.l, fx->h.base, &h));
	hw_check_init(ck, 50);
	memset(ls, 0, sizeof(*ls));
	ls->index_ok = true;
	ls->l = &fx->h.l;
	assert_null(hw_tlsf_walk_free(fx->h.t, &fx->h.l, &h, list_cb, ls, ck));
}

static bool has_message(const struct hw_check *ck, const char *text)
{
	for (size_t i = 0; i < ck->n; i++)
		if (strstr(ck->items[i].message, text))
			return true;
	return false;
}

static void test_clean_walk_all_variants(void **state)
{
	(void)state;
	for (unsigned v = 0; v < NVARIANTS; v++) {
		struct fixture fx;
		struct hw_check ck;
		struct hw_walk_stats st;
		struct counted c;
		struct lists ls;
		struct hw_heap_header h;

		make(&fx, v);
		walk(&fx, &ck, &st, &c);
		if (ck.total)
			print_message("variant %u (%s): %s\n", v, fx.h.l.name, ck.items[0].message);
		assert_int_equal(ck.total, 0);
		assert_true(st.complete);
		assert_true(c.ok);
		assert_int_equal(st.frags, NBLOCKS);
		assert_int_equal(st.used_frags, fx.nused);
		assert_int_equal(st.used_bytes, fx.h.used_bytes);
		assert_int_equal(st.end, fx.h.sentinel);
		assert_null(hw_tlsf_read_header(fx.h.t, &fx.h.l, fx.h.base, &h));
		assert_int_equal(h.last_frag_end, fx.h.sentinel);
		assert_int_equal(h.ffrags, fx.h.nfree);
		assert_true(h.has_max_frags);
		assert_int_equal(h.max_frags, fx.h.nfree + 3);
		hw_check_deinit(&ck);

		free_lists(&fx, &ck, &ls);
		if (ck.total)
			print_message("variant %u lists: %s\n", v, ck.items[0].message);
		assert_int_equal(ck.total, 0);
		assert_true(ls.index_ok);
		assert_int_equal(ls.elems, fx.h.nfree);
		assert_int_equal(ls.bytes, st.free_bytes);
		hw_check_deinit(&ck);
		himg_free(&fx.h.img);
	}
}

static void test_prev_free_bit(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	uint64_t a;

	(void)state;
	make(&fx, 0);
	a = tlsfh_block_addr(&fx.h, 5); /* after a used block: set its prev-free bit */
	himg_put(&fx.h.img, a + fx.h.l.h_size, himg_get(&fx.h.img, a + fx.h.l.h_size, 8) | 2, 8);
	walk(&fx, &ck, &st, &c);
	assert_true(st.complete);
	assert_int_equal(ck.errors, 1);
	assert_int_equal(ck.items[0].index, 5);
	assert_non_null(strstr(ck.items[0].message, "prev-free bit"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static void test_adjacent_free(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	uint64_t a4;

	(void)state;
	make(&fx, 0);
	/* block 4 follows free block 3: mark it free too (with a correct prev-free bit) */
	a4 = tlsfh_block_addr(&fx.h, 4);
	himg_put(&fx.h.img, a4 + fx.h.l.h_size, himg_get(&fx.h.img, a4 + fx.h.l.h_size, 8) | 1, 8);
	walk(&fx, &ck, &st, &c);
	assert_true(st.complete);
	assert_true(ck.errors >= 1);
	assert_non_null(strstr(ck.items[0].message, "two free blocks in a row"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
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
	a = tlsfh_block_addr(&fx.h, 7);
	himg_put(&fx.h.img, a + fx.h.l.h_size, (uint64_t)1 << 40, 8);
	walk(&fx, &ck, &st, &c);
	assert_false(st.complete);
	assert_int_equal(st.frags, 7);
	assert_non_null(strstr(ck.items[0].message, "runs past the end"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static void test_prev_phys(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	uint64_t a4;

	(void)state;
	make(&fx, 0);
	a4 = tlsfh_block_addr(&fx.h, 4); /* block 3 is free: 4's prev_phys must point to it */
	himg_put(&fx.h.img, a4, fx.h.base, 8);
	walk(&fx, &ck, &st, &c);
	assert_true(st.complete);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "does not point back"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static void test_list_damage(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct lists ls;
	struct hw_heap_header h;
	uint64_t a3, slot, bm;
	uint32_t fl, sl;
	const struct hw_tlsf_layout *l;

	(void)state;
	make(&fx, 0);
	l = &fx.h.l;
	assert_null(hw_tlsf_read_header(fx.h.t, l, fx.h.base, &h));
	a3 = tlsfh_block_addr(&fx.h, 3);
	hw_tlsf_mapping(l, himg_get(&fx.h.img, a3 + l->h_size, 8) & ~3ull, &fl, &sl);
	slot = fx.h.base + l->c_blocks + ((uint64_t)fl * l->sl_count + sl) * 8;

	/* a list head outside the pool */
	himg_put(&fx.h.img, slot, 0x10, 8);
	free_lists(&fx, &ck, &ls);
	assert_true(ck.errors >= 1);
	assert_non_null(strstr(ck.items[0].message, "outside the pool"));
	hw_check_deinit(&ck);
	himg_put(&fx.h.img, slot, a3, 8);

	/* a cycle: the block links to itself, its back link gives it away at once */
	himg_put(&fx.h.img, a3 + l->h_next_free, a3, 8);
	free_lists(&fx, &ck, &ls);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "prev_free"));
	hw_check_deinit(&ck);
	himg_put(&fx.h.img, a3 + l->h_next_free, fx.h.base, 8);

	/* the second-level bit of a non-empty list cleared */
	bm = himg_get(&fx.h.img, fx.h.base + l->c_sl_bitmap + 4ull * fl, 4);
	himg_put(&fx.h.img, fx.h.base + l->c_sl_bitmap + 4ull * fl, bm & ~(1u << sl), 4);
	free_lists(&fx, &ck, &ls);
	assert_true(ck.errors >= 1);
	assert_true(has_message(&ck, "bitmap bit is clear"));
	hw_check_deinit(&ck);
	himg_put(&fx.h.img, fx.h.base + l->c_sl_bitmap + 4ull * fl, bm, 4);

	/* a used block on a list */
	himg_put(&fx.h.img, a3 + l->h_size, himg_get(&fx.h.img, a3 + l->h_size, 8) & ~1ull, 8);
	free_lists(&fx, &ck, &ls);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "not marked free"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static void test_counters(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;
	const struct hw_tlsf_layout *l;

	(void)state;
	make(&fx, 0);
	l = &fx.h.l;
	himg_put(&fx.h.img, fx.h.base + l->c_fragments, 1, 8);
	himg_put(&fx.h.img, fx.h.base + l->c_allocated,
		 himg_get(&fx.h.img, fx.h.base + l->c_allocated, 8) + 8, 8);
	walk(&fx, &ck, &st, &c);
	assert_true(st.complete);
	assert_int_equal(ck.errors, 0);
	assert_int_equal(ck.warnings, 3); /* fragments, allocated, real_used */
	assert_non_null(strstr(ck.items[1].message, "bookkeeping delta"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);

	/* 4.3's byte counters carry the status bits: only the fragment count is checked */
	make(&fx, 4);
	l = &fx.h.l;
	himg_put(&fx.h.img, fx.h.base + l->c_allocated,
		 himg_get(&fx.h.img, fx.h.base + l->c_allocated, 8) + 2, 8);
	walk(&fx, &ck, &st, &c);
	assert_int_equal(ck.total, 0);
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
}

static void test_bad_control(void **state)
{
	struct fixture fx;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct counted c;

	(void)state;
	make(&fx, 0);
	himg_put(&fx.h.img, fx.h.base + fx.h.l.c_total_size, 100, 8);
	walk(&fx, &ck, &st, &c);
	assert_int_equal(st.frags, 0);
	assert_false(st.complete);
	assert_int_equal(ck.errors, 1);
	assert_non_null(strstr(ck.items[0].message, "implausible"));
	hw_check_deinit(&ck);
	himg_free(&fx.h.img);
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
	    cmocka_unit_test(test_clean_walk_all_variants),
	    cmocka_unit_test(test_prev_free_bit),
	    cmocka_unit_test(test_adjacent_free),
	    cmocka_unit_test(test_size_past_end),
	    cmocka_unit_test(test_prev_phys),
	    cmocka_unit_test(test_list_damage),
	    cmocka_unit_test(test_counters),
	    cmocka_unit_test(test_bad_control),
	    cmocka_unit_test(test_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
