/*
 * test_tally.c - stats' tally of the free lists (tally.h) against following
 * them: on f_malloc 4.4+ and TLSF heaps, intact and broken one link at a
 * time, walk_free given a walk's tally must give exactly the buckets and
 * findings it gives without one, and take from the tally only what adds up.
 */
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
#include "heapwalk/pool.h"
#include "heapwalk/tally.h"
#include "tlsfheap.h"

#define HEAP (1u << 20)
#define NFRAGS 62
#define MAXB 4096

/* A heap of either manager, and where its lists keep their links. */
struct th {
	bool tlsf;
	struct fmheap fm;
	struct tlsfheap tl;
	struct heapimg *img;
	struct hw_pool pool;
	uint32_t o_next, o_prev, word;
	uint64_t end; /* what ends a list */
	struct heap_frag frags[NFRAGS];
};

/* Used and free in turn (free neighbours never touch); the free ones of four sizes, two big. */
static void lay_out(struct th *h, uint64_t unit, uint64_t small_base)
{
	memset(h->frags, 0, sizeof(h->frags));
	for (size_t i = 0; i < NFRAGS; i++) {
		struct heap_frag *f = &h->frags[i];

		f->used = i % 2 == 0;
		f->size = f->used ? small_base + 5 * unit : small_base + (i / 2 % 3) * unit;
		f->line = 10 + i;
	}
	/* two fragments above f_malloc's F_MALLOC_OPTIMIZE: a sorted bucket */
	h->frags[21].size = 20000 / unit * unit;
	h->frags[41].size = 24000 / unit * unit;
}

static void make_fm(struct th *h, int era, bool debug, uint32_t word)
{
	struct hw_fm_layout l;

	memset(h, 0, sizeof(*h));
	assert_null(hw_fm_profile(era, debug, true, word, 0, &l));
	fmh_init(&h->fm, &l, HEAP);
	lay_out(h, l.roundto, l.roundto);
	fmh_build(&h->fm, h->frags, NFRAGS);
	himg_target(&h->fm.img);
	h->img = &h->fm.img;
	h->pool.alloc = &hw_allocator_fm;
	h->pool.layout = &h->fm.l.head;
	h->o_next = h->fm.l.f_link;
	h->o_prev = h->fm.l.f_prev_free;
	h->word = word;
	h->end = 0;
}

static void make_tlsf(struct th *h, int era, bool debug, uint32_t word)
{
	struct hw_tlsf_layout l;

	memset(h, 0, sizeof(*h));
	h->tlsf = true;
	assert_null(hw_tlsf_profile(era, debug, word, &l));
	tlsfh_init(&h->tl, &l, HEAP);
	lay_out(h, l.align, l.size_min);
	tlsfh_build(&h->tl, h->frags, NFRAGS);
	himg_target(&h->tl.img);
	h->img = &h->tl.img;
	h->pool.alloc = &hw_allocator_tlsf;
	h->pool.layout = &h->tl.l.head;
	h->o_next = h->tl.l.h_next_free;
	h->o_prev = h->tl.l.h_prev_free;
	h->word = word;
	h->end = h->img->base; /* &control->block_null */
}

static void drop(struct th *h)
{
	himg_free(h->img);
}

static uint64_t frag_addr(struct th *h, size_t i)
{
	return h->tlsf ? tlsfh_block_addr(&h->tl, i) : fmh_frag_addr(&h->fm, i);
}

static uint64_t link_of(struct th *h, uint64_t a, uint32_t off)
{
	return himg_get(h->img, a + off, h->word);
}

static void set_link(struct th *h, uint64_t a, uint32_t off, uint64_t v)
{
	himg_put(h->img, a + off, v, h->word);
}

/* What one pass over the lists gave: its buckets and its findings. */
struct listed {
	struct hw_free_bucket b[MAXB];
	size_t n;
	struct hw_check ck;
};

static int keep_bucket(void *arg, const struct hw_free_bucket *b)
{
	struct listed *ls = arg;

	assert_true(ls->n < MAXB);
	ls->b[ls->n++] = *b;
	return 0;
}

static int tally_frag(void *arg, const struct hw_frag *f)
{
	hw_tally_add(arg, f);
	return 0;
}

/*
 * Walk @h tallying, then follow its lists with and without the tally:
 * both must agree. Returns how many non-empty buckets the tally accounted
 * for (hw_tally_buckets), -1 when its links did not add up.
 */
static long compare(struct th *h)
{
	const struct hw_allocator *a = h->pool.alloc;
	struct hw_heap_header hdr;
	struct hw_list_tally t;
	struct hw_walk_stats st;
	struct hw_check ck;
	struct listed *with = calloc(1, sizeof(*with)), *without = calloc(1, sizeof(*without));
	struct hw_walk_opts o = {.tally = &t};
	struct hw_free_bucket *res = calloc(MAXB, sizeof(*res));
	bool *ok = calloc(MAXB, sizeof(*ok));
	uint64_t *first = calloc(MAXB, sizeof(*first)), *no = calloc(MAXB, sizeof(*no));
	long taken;

	assert_non_null(with);
	assert_non_null(without);
	assert_null(a->read_header(h->img->t, h->pool.layout, h->img->base, &hdr));
	assert_true(hw_tally_init(&t, &h->pool, &hdr));
	assert_true(t.covered <= MAXB);
	hw_check_init(&ck, 50);
	assert_null(a->walk(h->img->t, h->pool.layout, &hdr, NULL, tally_frag, &t, &ck, &st));
	assert_true(st.complete);
	hw_check_deinit(&ck);

	hw_check_init(&with->ck, 50);
	hw_check_init(&without->ck, 50);
	assert_null(
	    a->walk_free(h->img->t, h->pool.layout, &hdr, &o, keep_bucket, with, &with->ck));
	assert_null(a->walk_free(h->img->t, h->pool.layout, &hdr, NULL, keep_bucket, without,
				 &without->ck));
	assert_int_equal(with->n, without->n);
	for (size_t i = 0; i < with->n; i++) {
		assert_int_equal(with->b[i].index, without->b[i].index);
		assert_int_equal(with->b[i].count, without->b[i].count);
		assert_int_equal(with->b[i].no, without->b[i].no);
		assert_int_equal(with->b[i].first_size, without->b[i].first_size);
		assert_int_equal(with->b[i].bytes, without->b[i].bytes);
	}
	assert_int_equal(with->ck.n, without->ck.n);
	for (size_t i = 0; i < with->ck.n; i++)
		assert_string_equal(with->ck.items[i].message, without->ck.items[i].message);

	/* which path: the heads as the managers read them */
	for (uint64_t b = 0; b < t.covered; b++) {
		if (h->tlsf) {
			first[b] = himg_get(h->img, h->img->base + h->tl.l.c_blocks + b * h->word,
					    h->word);
		} else {
			uint64_t head = h->img->base + h->fm.l.b_free_hash + b * h->fm.l.lnk_size;

			first[b] = himg_get(h->img, head + h->fm.l.l_first, h->word);
			no[b] = himg_get(h->img, head + h->fm.l.l_no, h->word);
		}
	}
	taken = hw_tally_buckets(&t, first, no, !h->tlsf, res, ok);
	hw_tally_deinit(&t);
	hw_check_deinit(&with->ck);
	hw_check_deinit(&without->ck);
	free(with);
	free(without);
	free(res);
	free(ok);
	free(first);
	free(no);
	return taken;
}

static void (*const makers[])(struct th *, int, bool, uint32_t) = {make_fm, make_tlsf};

static const struct {
	int maker, era;
	bool debug;
	uint32_t word;
} variants[] = {
    {0, HW_FM_ERA_44, true, 8},	  {0, HW_FM_ERA_44, false, 4},	 {0, HW_FM_ERA_58, true, 8},
    {1, HW_TLSF_ERA_44, true, 8}, {1, HW_TLSF_ERA_44, false, 4}, {1, HW_TLSF_ERA_43, true, 8},
};
#define NV (sizeof(variants) / sizeof(variants[0]))

static void make(struct th *h, size_t v)
{
	makers[variants[v].maker](h, variants[v].era, variants[v].debug, variants[v].word);
}

/* An intact heap: every unsorted list comes from the tally, with the results of following. */
static void test_intact(void **state)
{
	(void)state;
	for (size_t v = 0; v < NV; v++) {
		struct th *h = calloc(1, sizeof(*h));

		make(h, v);
		/* three sizes of small free fragments, and (TLSF) the two big ones */
		assert_true(compare(h) >= 3);
		drop(h);
		free(h);
	}
}

/* The first element of the list fragment @i is on. */
static uint64_t first_of(struct th *h, size_t i)
{
	uint64_t a = frag_addr(h, i);

	for (int n = 0; n < NFRAGS && link_of(h, a, h->o_prev) != h->end; n++)
		a = link_of(h, a, h->o_prev);
	return a;
}

/* fragment 1's bucket head (f_malloc): its counter's address */
static uint64_t fm_counter_of(struct th *h, size_t i)
{
	uint64_t size = himg_get(h->img, frag_addr(h, i) + h->fm.l.f_size, h->word);

	return h->img->base + h->fm.l.b_free_hash + hw_fm_hash(&h->fm.l, size) * h->fm.l.lnk_size +
	       h->fm.l.l_no;
}

/*
 * One thing broken on fragment 1's list (x, then a, b, c...): a back link
 * that does not match, a link out of the heap, a link to a used fragment:
 * the links do not add up and every list is followed.
 */
static void test_broken_links(void **state)
{
	(void)state;
	for (size_t v = 0; v < NV; v++) {
		for (int how = 0; how < 3; how++) {
			struct th *h = calloc(1, sizeof(*h));
			uint64_t x, a, b;

			make(h, v);
			x = first_of(h, 1);
			a = link_of(h, x, h->o_next);
			b = link_of(h, a, h->o_next);
			assert_true(a != h->end && b != h->end);
			if (how == 0) /* b's back link skips a */
				set_link(h, b, h->o_prev, x);
			else if (how == 1) /* a links out of the heap */
				set_link(h, a, h->o_next, h->img->base + HEAP * 4ull);
			else /* a links to a used fragment */
				set_link(h, a, h->o_next, frag_addr(h, 2));
			assert_int_equal(compare(h), -1);
			drop(h);
			free(h);
		}
	}
}

/*
 * f_malloc: a and b cut out of their list (x -> c) and made a ring whose
 * links agree, the counter saying what the list now holds: the links add
 * up, but the count does not, so that list is followed; the others come
 * from the tally.
 */
static void test_ring(void **state)
{
	(void)state;
	for (size_t v = 0; v < NV; v++) {
		struct th *h = calloc(1, sizeof(*h));
		uint64_t x, a, b, c, no;

		make(h, v);
		if (h->tlsf) {
			drop(h);
			free(h);
			continue;
		}
		x = first_of(h, 1);
		a = link_of(h, x, h->o_next);
		b = link_of(h, a, h->o_next);
		c = link_of(h, b, h->o_next);
		assert_true(a != h->end && b != h->end && c != h->end);
		set_link(h, x, h->o_next, c);
		set_link(h, c, h->o_prev, x);
		set_link(h, b, h->o_next, a);
		set_link(h, a, h->o_prev, b);
		no = himg_get(h->img, fm_counter_of(h, 1), h->word);
		himg_put(h->img, fm_counter_of(h, 1), no - 2, h->word);
		assert_true(compare(h) >= 2);
		drop(h);
		free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intact),
	    cmocka_unit_test(test_broken_links),
	    cmocka_unit_test(test_ring),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
