/* test_qm_paths.c - q_malloc in-place fast paths agree with piecewise reads; CSV frag lines. */
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
#include "heapwalk/mem.h"
#include "heapwalk/report.h"
#include "heapwalk/sites.h"
#include "heapwalk/target.h"
#include "qmheap.h"

/*
 * A heap that lies in one mapped piece is walked in place with prefetching,
 * and its free lists are followed many at a time; a heap split across
 * segments goes through hw_mem_peek/hw_mem_read one piece at a time. Both
 * must see exactly the same fragments, buckets and findings.
 */

#define NFRAGS 300
#define NSIZES 41 /* distinct sizes: more non-empty buckets than the fast pass has lanes */

static const struct {
	enum hw_qm_era era;
	bool debug;
	uint32_t word;
} variants[] = {
    {HW_QM_ERA_44, true, 8}, {HW_QM_ERA_44, false, 8}, {HW_QM_ERA_44, true, 4},
    {HW_QM_ERA_58, true, 8}, {HW_QM_ERA_58, false, 4},
};

/* Every other fragment free (so none are neighbours), sizes cycling through NSIZES values. */
static void make(struct qmheap *h, unsigned v)
{
	struct hw_qm_layout l;
	struct heap_frag *frags = calloc(NFRAGS, sizeof(*frags));
	uint64_t file, func, mod;

	assert_non_null(frags);
	memset(h, 0, sizeof(*h));
	assert_null(hw_qm_profile(variants[v].era, variants[v].debug, variants[v].word, 0, &l));
	qmh_init(h, &l, 4 << 20);
	file = qmh_str(h, "tm: t_funcs.c");
	func = qmh_str(h, "build_cell");
	mod = qmh_str(h, "tm");
	for (size_t i = 0; i < NFRAGS; i++) {
		frags[i].size = (uint64_t)l.roundto * (1 + (i * 7) % NSIZES);
		frags[i].used = i % 2 == 0;
		frags[i].file = file;
		frags[i].func = func;
		frags[i].line = 100 + i % 5;
		frags[i].mname = mod;
	}
	qmh_build(h, &l, frags, NFRAGS, 4 << 20);
	qmh_target(h);
	free(frags);
}

/* A second target over the same bytes, the heap cut into two segments at @cut. */
static struct hw_target *split_target(const struct qmheap *h, uint64_t cut)
{
	struct hw_target *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	assert_true(cut > 0 && cut < h->len);
	assert_null(hw_mem_create(&t->mem));
	assert_null(hw_mem_add_direct(t->mem, HW_MEM_LAYER_CORE, h->base, cut, h->buf));
	assert_null(hw_mem_add_direct(t->mem, HW_MEM_LAYER_CORE, h->base + cut, h->len - cut,
				      h->buf + cut));
	assert_null(hw_mem_add_direct(t->mem, HW_MEM_LAYER_FILE, h->rodata, h->rolen, h->ro));
	t->word_size = h->l.word;
	return t;
}

static void free_target(struct hw_target *t)
{
	hw_mem_destroy(t->mem);
	free(t);
}

struct seen {
	struct hw_frag v[NFRAGS + 4];
	size_t n;
};

static int record(void *arg, const struct hw_frag *f)
{
	struct seen *s = arg;

	assert_true(s->n < sizeof(s->v) / sizeof(s->v[0]));
	s->v[s->n++] = *f;
	return 0;
}

static void same_frag(const struct hw_frag *a, const struct hw_frag *b)
{
	assert_int_equal(a->index, b->index);
	assert_int_equal(a->addr, b->addr);
	assert_int_equal(a->user, b->user);
	assert_int_equal(a->size, b->size);
	assert_int_equal(a->span, b->span);
	assert_int_equal(a->used, b->used);
	assert_int_equal(a->free_link, b->free_link);
	assert_int_equal(a->file, b->file);
	assert_int_equal(a->func, b->func);
	assert_int_equal(a->mname, b->mname);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->check, b->check);
	assert_int_equal(a->end_check1, b->end_check1);
	assert_int_equal(a->end_check2, b->end_check2);
	assert_int_equal(a->end_size, b->end_size);
}

static void same_findings(const struct hw_check *a, const struct hw_check *b)
{
	assert_int_equal(a->total, b->total);
	assert_int_equal(a->errors, b->errors);
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->items[i].addr, b->items[i].addr);
		assert_string_equal(a->items[i].message, b->items[i].message);
	}
}

static void walk_both(struct qmheap *h, uint64_t cut)
{
	struct hw_target *t2 = split_target(h, cut);
	struct hw_heap_header hd;
	struct hw_check c1, c2;
	struct hw_walk_stats s1, s2;
	struct seen *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	assert_non_null(a);
	assert_non_null(b);
	assert_null(hw_qm_read_header(h->t, &h->l, h->base, &hd));
	hw_check_init(&c1, 50);
	hw_check_init(&c2, 50);
	assert_null(hw_qm_walk(h->t, &h->l, &hd, record, a, &c1, &s1));
	assert_null(hw_qm_walk(t2, &h->l, &hd, record, b, &c2, &s2));
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++)
		same_frag(&a->v[i], &b->v[i]);
	assert_int_equal(s1.frags, s2.frags);
	assert_int_equal(s1.used_bytes, s2.used_bytes);
	assert_int_equal(s1.free_bytes, s2.free_bytes);
	assert_int_equal(s1.end, s2.end);
	assert_int_equal(s1.complete, s2.complete);
	same_findings(&c1, &c2);
	hw_check_deinit(&c1);
	hw_check_deinit(&c2);
	free(a);
	free(b);
	free_target(t2);
}

static void test_walk_paths_agree(void **state)
{
	(void)state;
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct qmheap h;
		uint64_t f7;

		make(&h, v);
		f7 = qmh_frag_addr(&h, 7);
		/* cuts in the block header, inside a fragment header, inside a trailer */
		walk_both(&h, 64);
		walk_both(&h, f7 - h.base + 4);
		walk_both(&h, qmh_frag_addr(&h, 8) - h.base - 4);
		walk_both(&h, qmh_frag_addr(&h, NFRAGS / 2) - h.base);
		/* damage: the walk stops at the same place with the same findings */
		qmh_put_word(&h, f7 + h.l.f_size, 3);
		walk_both(&h, f7 - h.base + 4);
		walk_both(&h, 64);
		qmh_free(&h);
	}
}

struct buckets {
	struct hw_free_bucket v[4096];
	size_t n;
};

static int add_bucket(void *arg, const struct hw_free_bucket *b)
{
	struct buckets *bs = arg;

	assert_true(bs->n < sizeof(bs->v) / sizeof(bs->v[0]));
	bs->v[bs->n++] = *b;
	return 0;
}

/* Free lists of both targets; returns how many elements the in-place pass listed. */
static uint64_t free_both(struct qmheap *h, const char *want)
{
	struct hw_target *t2 = split_target(h, qmh_frag_addr(h, 11) - h->base + 8);
	struct hw_heap_header hd;
	struct hw_check c1, c2;
	struct buckets *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	uint64_t elems = 0;

	assert_non_null(a);
	assert_non_null(b);
	assert_null(hw_qm_read_header(h->t, &h->l, h->base, &hd));
	hw_check_init(&c1, 50);
	hw_check_init(&c2, 50);
	assert_null(hw_qm_walk_free(h->t, &h->l, &hd, add_bucket, a, &c1));
	assert_null(hw_qm_walk_free(t2, &h->l, &hd, add_bucket, b, &c2));
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(a->v[i].index, b->v[i].index);
		assert_int_equal(a->v[i].count, b->v[i].count);
		assert_int_equal(a->v[i].no, b->v[i].no);
		assert_int_equal(a->v[i].first_size, b->v[i].first_size);
		if (i)
			assert_true(a->v[i].index > a->v[i - 1].index);
		elems += a->v[i].count;
	}
	same_findings(&c1, &c2);
	if (want) {
		assert_true(c1.n >= 1);
		assert_non_null(strstr(c1.items[0].message, want));
	} else {
		assert_int_equal(c1.total, 0);
	}
	hw_check_deinit(&c1);
	hw_check_deinit(&c2);
	free(a);
	free(b);
	free_target(t2);
	return elems;
}

static void test_free_paths_agree(void **state)
{
	(void)state;
	for (unsigned v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		struct qmheap h;
		struct hw_heap_header hd;
		uint64_t f3, head;

		make(&h, v);
		assert_null(hw_qm_read_header(h.t, &h.l, h.base, &hd));
		/* every free fragment listed, in more buckets than the pass follows at once */
		assert_int_equal(free_both(&h, NULL), hd.ffrags);
		/* a bucket counter that disagrees with its list */
		f3 = qmh_frag_addr(&h, 3);
		head = h.base + h.l.b_free_hash +
		       (qmh_get_word(&h, f3 + h.l.f_size) / h.l.roundto) * h.l.lnk_size;
		qmh_put_word(&h, head + h.l.l_no, qmh_get_word(&h, head + h.l.l_no) + 1);
		free_both(&h, "its counter says");
		qmh_put_word(&h, head + h.l.l_no, qmh_get_word(&h, head + h.l.l_no) - 1);
		/* a cycle, and a link out of the heap */
		qmh_put_word(&h, f3 + h.l.f_u, f3);
		free_both(&h, "cycle");
		qmh_put_word(&h, f3 + h.l.f_u, 0x10);
		free_both(&h, "outside the heap");
		qmh_free(&h);
	}
}

/* CSV: fields that need quoting are quoted; the hand-made line equals printf's. */
static void test_csv_frag_line(void **state)
{
	struct qmheap h;
	struct hw_qm_layout l;
	struct heap_frag fr[2] = {{0}};
	struct hw_pool pool;
	struct hw_report r;
	struct hw_frag f;
	char *text = NULL, want[512], longf[1100];
	uint64_t fml[4];
	size_t len = 0;

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_null(hw_qm_profile(HW_QM_ERA_44, true, 8, 0, &l));
	qmh_init(&h, &l, 1 << 20);
	fr[0].size = 64;
	fr[0].used = true;
	fr[0].file = qmh_str(&h, "mod: a,b.c");
	fr[0].func = qmh_str(&h, "say \"hi\"");
	fr[0].mname = qmh_str(&h, "mod");
	fr[0].line = 18446744073709551615ULL;
	/* spreadsheet formulas from the target stay text; one too long for the fast path */
	memset(longf, 'a', sizeof(longf) - 1);
	longf[0] = '+';
	longf[sizeof(longf) - 1] = '\0';
	fml[0] = qmh_str(&h, "-mod");
	fml[1] = qmh_str(&h, "@SUM(1+1)");
	fml[2] = qmh_str(&h, "=cmd|' /C calc'!A0");
	fml[3] = qmh_str(&h, longf);
	qmh_build(&h, &l, fr, 2, 1 << 20);
	qmh_target(&h);

	memset(&pool, 0, sizeof(pool));
	pool.name = "shm";
	pool.usable = true;
	pool.alloc = &hw_allocator_qm;
	pool.layout = &l.head;
	memset(&r, 0, sizeof(r));
	r.format = HW_FMT_CSV;
	r.t = h.t;
	r.npools = 1;
	r.pools[0].pool = &pool;
	r.out = open_memstream(&text, &len);
	assert_non_null(r.out);
	hw_strcache_init(&r.strings, h.t);
	memset(&f, 0, sizeof(f));
	f.index = 0;
	f.addr = qmh_frag_addr(&h, 0);
	f.user = f.addr + l.frag_size;
	f.size = 64;
	f.used = true;
	f.file = fr[0].file;
	f.func = fr[0].func;
	f.mname = fr[0].mname;
	f.line = fr[0].line;
	hw_fmt_frag(&r, &r.pools[0], &f);
	f.index = 1234567890123ULL;
	f.used = false;
	f.addr = 0;
	f.user = 0xffffffffffffffffULL;
	f.size = 0;
	f.mname = 0;
	f.line = 0;
	hw_fmt_frag(&r, &r.pools[0], &f);
	fclose(r.out);
	snprintf(want, sizeof(want),
		 "shm,0,0x%llx,0x%llx,64,used,mod,\"mod: a,b.c\",\"say "
		 "\"\"hi\"\"\",18446744073709551615\n"
		 "shm,1234567890123,0xffffffffffffffff,0x0,0,free,,\"mod: a,b.c\",\"say "
		 "\"\"hi\"\"\",0\n",
		 (unsigned long long)(qmh_frag_addr(&h, 0) + l.frag_size),
		 (unsigned long long)qmh_frag_addr(&h, 0));
	assert_string_equal(text, want);
	free(text);

	/* a build without debug fields: empty site columns */
	l.debug = false;
	text = NULL;
	r.out = open_memstream(&text, &len);
	assert_non_null(r.out);
	hw_fmt_frag(&r, &r.pools[0], &f);
	fclose(r.out);
	assert_string_equal(text, "shm,1234567890123,0xffffffffffffffff,0x0,0,free,,,,\n");
	free(text);

	/* formulas: quoted behind a ', on the fast path and on the stdio one */
	l.debug = true;
	f.mname = fml[0];
	f.file = fml[1];
	f.func = fml[2];
	f.line = 7;
	text = NULL;
	r.out = open_memstream(&text, &len);
	assert_non_null(r.out);
	hw_fmt_frag(&r, &r.pools[0], &f);
	f.func = fml[3];
	hw_fmt_frag(&r, &r.pools[0], &f);
	fclose(r.out);
	assert_non_null(strstr(text, "free,\"'-mod\",\"'@SUM(1+1)\",\"'=cmd|' /C calc'!A0\",7\n"));
	assert_non_null(strstr(text, "free,\"'-mod\",\"'@SUM(1+1)\",\"'+aaaa"));
	free(text);
	hw_strcache_deinit(&r.strings);
	qmh_free(&h);
}

/* The read-ahead hint changes nothing readable, whatever range it is given. */
static void test_advise_is_harmless(void **state)
{
	struct hw_mem *mem;
	uint8_t *buf = malloc(3 * 4096), back[16];

	(void)state;
	assert_non_null(buf);
	for (size_t i = 0; i < 3 * 4096; i++)
		buf[i] = (uint8_t)(i * 7);
	assert_null(hw_mem_create(&mem));
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, 0x10000, 4096, buf));
	assert_null(hw_mem_add_direct(mem, HW_MEM_LAYER_FILE, 0x20000, 2 * 4096, buf + 4096));
	hw_mem_advise_sequential(mem, 0x10000, 4096);
	hw_mem_advise_sequential(mem, 0x10010, 3);
	hw_mem_advise_sequential(mem, 0, UINT64_MAX);
	hw_mem_advise_sequential(mem, 0x1f000, 0x2000);
	hw_mem_advise_sequential(mem, UINT64_MAX - 10, 100);
	hw_mem_advise_sequential(mem, 0x30000, 0);
	assert_null(hw_mem_read(mem, back, 0x10000 + 100, sizeof(back)));
	assert_memory_equal(back, buf + 100, sizeof(back));
	assert_null(hw_mem_read(mem, back, 0x21000, sizeof(back)));
	assert_memory_equal(back, buf + 2 * 4096, sizeof(back));
	hw_mem_destroy(mem);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_paths_agree),
	    cmocka_unit_test(test_free_paths_agree),
	    cmocka_unit_test(test_csv_frag_line),
	    cmocka_unit_test(test_advise_is_harmless),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
