/* test_groups.c - summary --by: sites grouped by module, file, function; size histograms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"
#include "heapwalk/sites.h"

/* Fake target string addresses and the names they stand for. */
static const struct {
	uint64_t addr;
	const char *text;
} names[] = {
    {0x100, "core"},	    {0x101, "tm"},	     {0x102, "htable"},
    {0x200, "core/mem.c"},  {0x201, "core/timer.c"}, {0x202, "tm: h_table.c"},
    {0x203, "ht_api.c"},    {0x300, "init"},	     {0x301, "alloc_cell"},
    {0x302, "ht_cell_new"}, {0x303, "init_timer"},
};

static const char *name_of(uint64_t addr)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].addr == addr)
			return names[i].text;
	return addr ? "?" : "";
}

/* What hw_sites_resolve does with a target: the names into every site. */
static void resolve(struct hw_sites *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		struct hw_site *e = &s->slots[i];
		if (!e->count)
			continue;
		e->file_s = name_of(e->file);
		e->func_s = name_of(e->func);
		e->mname_s = name_of(e->mname);
	}
}

/* @n used fragments of @size each from (mname, file, func, line), at rising addresses as a walk
 * meets them (a site's first appearance is its lowest fragment). */
static void add(struct hw_sites *s, uint64_t mname, uint64_t file, uint64_t func, uint64_t line,
		uint64_t size, unsigned n)
{
	static uint64_t at = 0x10000;
	struct hw_frag f = {
	    .used = true, .size = size, .file = file, .func = func, .line = line, .mname = mname};

	for (unsigned i = 0; i < n; i++) {
		f.addr = at;
		at += 64 + size;
		assert_null(hw_sites_add(s, &f));
	}
}

/*
 * In the order first seen:
 * core: init (mem.c:10, 2 x 100), init (timer.c:20, 1 x 1000), init_timer (timer.c:30, 1 x 8)
 * tm: init (h_table.c:40, 1 x 5000), alloc_cell (h_table.c:50, 3 x 300)
 * htable: ht_cell_new (ht_api.c:60, 10 x 64)
 * no module: init (mem.c:70, 1 x 16)
 */
static void fill(struct hw_sites *s)
{
	hw_sites_init(s);
	add(s, 0x100, 0x200, 0x300, 10, 100, 2);
	add(s, 0x100, 0x201, 0x300, 20, 1000, 1);
	add(s, 0x100, 0x201, 0x303, 30, 8, 1);
	add(s, 0x102, 0x203, 0x302, 60, 64, 10);
	add(s, 0, 0x200, 0x300, 70, 16, 1);
	add(s, 0x101, 0x202, 0x300, 40, 5000, 1);
	add(s, 0x101, 0x202, 0x301, 50, 300, 3);
	resolve(s);
}

static const struct hw_group *find(const struct hw_groups *g, const char *key, const char *module)
{
	for (size_t i = 0; i < g->n; i++)
		if (!strcmp(g->v[i].key, key) &&
		    (!module || (g->v[i].module && !strcmp(g->v[i].module, module))))
			return &g->v[i];
	return NULL;
}

static void test_by_module(void **state)
{
	struct hw_sites s;
	struct hw_groups g = {0};
	uint64_t bytes = 0, count = 0;
	(void)state;

	fill(&s);
	assert_null(hw_groups_make(&g, &s, HW_BY_MODULE, HW_ORDER_BYTES, 0));
	assert_int_equal(g.by, HW_BY_MODULE);
	assert_int_equal(g.n, 4);
	assert_int_equal(g.nrows, 4);
	/* by bytes: tm 5900, core 1208, htable 640, "" 16 */
	assert_string_equal(g.v[0].key, "tm");
	assert_int_equal(g.v[0].bytes, 5900);
	assert_int_equal(g.v[0].count, 4);
	assert_int_equal(g.v[0].nsites, 2);
	assert_null(g.v[0].module);
	assert_string_equal(g.v[1].key, "core");
	assert_int_equal(g.v[1].bytes, 2 * 100 + 1000 + 8);
	assert_int_equal(g.v[1].count, 4);
	assert_int_equal(g.v[1].nsites, 3);
	assert_string_equal(g.v[2].key, "htable");
	assert_int_equal(g.v[2].bytes, 640);
	/* a fragment whose header names no module is grouped under "" */
	assert_string_equal(g.v[3].key, "");
	assert_int_equal(g.v[3].bytes, 16);
	for (size_t i = 0; i < g.n; i++) {
		bytes += g.v[i].bytes;
		count += g.v[i].count;
	}
	assert_int_equal(bytes, s.bytes);
	assert_int_equal(count, s.frags);
	hw_groups_deinit(&g);
	assert_null(g.v);
	hw_sites_deinit(&s);
}

static void test_by_function_and_file(void **state)
{
	struct hw_sites s;
	struct hw_groups g = {0};
	const struct hw_group *x;
	(void)state;

	fill(&s);
	assert_null(hw_groups_make(&g, &s, HW_BY_FUNCTION, HW_ORDER_BYTES, 0));
	/* "init" of core (two files), of tm and of no module are three groups */
	assert_int_equal(g.n, 6);
	x = find(&g, "init", "core");
	assert_non_null(x);
	assert_int_equal(x->bytes, 1200);
	assert_int_equal(x->count, 3);
	assert_int_equal(x->nsites, 2);
	x = find(&g, "init", "tm");
	assert_non_null(x);
	assert_int_equal(x->bytes, 5000);
	x = find(&g, "init", "");
	assert_non_null(x);
	assert_int_equal(x->bytes, 16);
	x = find(&g, "alloc_cell", "tm");
	assert_non_null(x);
	assert_int_equal(x->count, 3);

	assert_null(hw_groups_make(&g, &s, HW_BY_FILE, HW_ORDER_BYTES, 0));
	/* mem.c of core and of no module, timer.c, h_table.c, ht_api.c */
	assert_int_equal(g.n, 5);
	x = find(&g, "core/timer.c", "core");
	assert_non_null(x);
	assert_int_equal(x->bytes, 1008);
	assert_int_equal(x->nsites, 2);
	x = find(&g, "core/mem.c", "core");
	assert_non_null(x);
	assert_int_equal(x->bytes, 200);
	assert_int_equal(x->nsites, 1);
	assert_string_equal(g.v[0].key, "tm: h_table.c");
	assert_int_equal(g.v[0].bytes, 5900);
	hw_groups_deinit(&g);
	hw_sites_deinit(&s);
}

static void test_orders_and_top(void **state)
{
	struct hw_sites s;
	struct hw_groups g = {0};
	(void)state;

	fill(&s);
	/* by count: htable 10, then core and tm with 4 each (core: fewer bytes), "" 1 */
	assert_null(hw_groups_make(&g, &s, HW_BY_MODULE, HW_ORDER_COUNT, 0));
	assert_string_equal(g.v[0].key, "htable");
	assert_string_equal(g.v[1].key, "tm");
	assert_string_equal(g.v[2].key, "core");
	assert_string_equal(g.v[3].key, "");
	/* by key (--sort site): names ascending */
	assert_null(hw_groups_make(&g, &s, HW_BY_MODULE, HW_ORDER_SITE, 0));
	assert_string_equal(g.v[0].key, "");
	assert_string_equal(g.v[1].key, "core");
	assert_string_equal(g.v[2].key, "htable");
	assert_string_equal(g.v[3].key, "tm");
	/* as mod.stats lists them: the module of the newest site first */
	assert_null(hw_groups_make(&g, &s, HW_BY_MODULE, HW_ORDER_KAMAILIO, 0));
	assert_string_equal(g.v[0].key, "tm");
	assert_string_equal(g.v[1].key, "");
	assert_string_equal(g.v[2].key, "htable");
	assert_string_equal(g.v[3].key, "core");
	/* --top keeps every group, shows the first */
	assert_null(hw_groups_make(&g, &s, HW_BY_MODULE, HW_ORDER_BYTES, 2));
	assert_int_equal(g.n, 4);
	assert_int_equal(g.nrows, 2);
	assert_string_equal(g.v[1].key, "core");
	/* by site and by size: no groups (the rows are the sites) */
	assert_null(hw_groups_make(&g, &s, HW_BY_SIZE, HW_ORDER_BYTES, 0));
	assert_int_equal(g.by, HW_BY_SIZE);
	assert_int_equal(g.n, 0);
	assert_null(hw_groups_make(&g, &s, HW_BY_SITE, HW_ORDER_BYTES, 0));
	assert_int_equal(g.n, 0);
	hw_groups_deinit(&g);
	hw_sites_deinit(&s);
}

static void test_empty(void **state)
{
	struct hw_sites s;
	struct hw_groups g = {0};
	(void)state;

	hw_sites_init(&s);
	assert_null(hw_groups_make(&g, &s, HW_BY_FUNCTION, HW_ORDER_BYTES, 5));
	assert_int_equal(g.n, 0);
	assert_int_equal(g.nrows, 0);
	hw_groups_deinit(&g);
	hw_sites_deinit(&s);
}

static void test_by_names(void **state)
{
	static const char *const all[] = {"site", "module", "file", "function", "size"};
	enum hw_group_by by;
	(void)state;

	for (size_t k = 0; k < 5; k++) {
		assert_true(hw_group_by_parse(all[k], &by));
		assert_int_equal(by, k);
		assert_string_equal(hw_group_by_name(by), all[k]);
	}
	assert_false(hw_group_by_parse("modules", &by));
	assert_false(hw_group_by_parse("", &by));
}

static void test_size_buckets(void **state)
{
	(void)state;

	assert_int_equal(hw_size_bucket(0), 0);
	assert_int_equal(hw_size_bucket(1), 1);
	assert_int_equal(hw_size_bucket(64), 7);
	assert_int_equal(hw_size_bucket(127), 7);
	assert_int_equal(hw_size_bucket(128), 8);
	assert_int_equal(hw_size_bucket(UINT64_MAX), 64);
	for (unsigned k = 1; k < HW_SIZE_BUCKETS; k++) {
		assert_int_equal(hw_size_bucket(hw_size_bucket_lo(k)), k);
		assert_int_equal(hw_size_bucket(hw_size_bucket_hi(k)), k);
	}
	assert_int_equal(hw_size_bucket_lo(7), 64);
	assert_int_equal(hw_size_bucket_hi(7), 127);
	assert_true(hw_size_bucket_hi(64) == UINT64_MAX);
}

static void test_size_hist(void **state)
{
	struct hw_sites s, half;
	const struct hw_site **rows;
	size_t n;
	(void)state;

	/* without sizes no histogram is kept */
	hw_sites_init(&s);
	add(&s, 0x100, 0x200, 0x300, 10, 100, 2);
	assert_int_equal(s.n, 1);
	for (size_t i = 0; i < s.cap; i++)
		assert_null(s.slots[i].hist);
	hw_sites_deinit(&s);

	hw_sites_init(&s);
	s.sizes = true;
	add(&s, 0x100, 0x200, 0x300, 10, 64, 3);
	add(&s, 0x100, 0x200, 0x300, 10, 127, 1);
	add(&s, 0x100, 0x200, 0x300, 10, 128, 2);
	add(&s, 0x100, 0x200, 0x300, 10, 0, 1);
	add(&s, 0x101, 0x202, 0x301, 50, 4096, 1);
	/* the second half of a split walk: the same site and a new one */
	hw_sites_init(&half);
	half.sizes = true;
	add(&half, 0x100, 0x200, 0x300, 10, 100, 2);
	add(&half, 0x102, 0x203, 0x302, 60, 5000, 1);
	assert_null(hw_sites_merge(&s, &half));
	hw_sites_deinit(&half);
	resolve(&s);

	assert_null(hw_sites_sorted(&s, HW_ORDER_SITE, &rows, &n));
	assert_int_equal(n, 3);
	/* core/mem.c init(10): 64 x3, 127, 100 x2 in [64,128); 128 x2; 0 */
	assert_string_equal(rows[0]->file_s, "core/mem.c");
	assert_non_null(rows[0]->hist);
	assert_int_equal(rows[0]->count, 9);
	assert_int_equal(rows[0]->hist->count[0], 1);
	assert_int_equal(rows[0]->hist->bytes[0], 0);
	assert_int_equal(rows[0]->hist->count[7], 6);
	assert_int_equal(rows[0]->hist->bytes[7], 3 * 64 + 127 + 2 * 100);
	assert_int_equal(rows[0]->hist->count[8], 2);
	assert_int_equal(rows[0]->hist->bytes[8], 256);
	for (unsigned k = 0; k < HW_SIZE_BUCKETS; k++)
		if (k != 0 && k != 7 && k != 8)
			assert_int_equal(rows[0]->hist->count[k], 0);
	/* the site only the second half saw keeps its histogram */
	assert_string_equal(rows[1]->file_s, "ht_api.c");
	assert_non_null(rows[1]->hist);
	assert_int_equal(rows[1]->hist->count[13], 1);
	assert_int_equal(rows[1]->hist->bytes[13], 5000);
	assert_string_equal(rows[2]->file_s, "tm: h_table.c");
	assert_int_equal(rows[2]->hist->count[13], 1);
	assert_int_equal(rows[2]->hist->bytes[13], 4096);
	free(rows);
	hw_sites_deinit(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_by_module),	   cmocka_unit_test(test_by_function_and_file),
	    cmocka_unit_test(test_orders_and_top), cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_by_names),	   cmocka_unit_test(test_size_buckets),
	    cmocka_unit_test(test_size_hist),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
