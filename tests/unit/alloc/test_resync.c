/* test_resync.c - resynchronising walks after damage and the deep free-list checks, every manager.
 */
#include <inttypes.h>
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
#include "heapwalk/target.h"
#include "fmheap.h"
#include "qmheap.h"
#include "tlsfheap.h"
#include "../../../walker/alloc/resync.h"

#define N 40
#define HEAP (1u << 20)

struct seen {
	uint64_t n, after_gap, gaps_cb, gap_from, gap_to;
	uint64_t addrs[N + 4];
};

static int count_cb(void *arg, const struct hw_frag *f)
{
	struct seen *s = arg;

	if (s->n < N + 4)
		s->addrs[s->n] = f->addr;
	s->n++;
	if (f->gaps)
		s->after_gap++;
	return 0;
}

static void gap_cb(void *arg, uint64_t from, uint64_t to)
{
	struct seen *s = arg;

	s->gaps_cb++;
	s->gap_from = from;
	s->gap_to = to;
}

static bool has_finding(const struct hw_check *ck, enum hw_severity sev, uint64_t addr,
			const char *text)
{
	for (size_t i = 0; i < ck->n; i++)
		if (ck->items[i].sev == sev && (addr == 0 || ck->items[i].addr == addr) &&
		    strstr(ck->items[i].message, text))
			return true;
	return false;
}

/* N fragments of growing sizes (@unit each step), every 5th free; lines count them. */
static void fill_frags(struct heap_frag *frags, uint64_t unit, uint64_t first, uint64_t file,
		       uint64_t func)
{
	memset(frags, 0, N * sizeof(*frags));
	for (size_t i = 0; i < N; i++) {
		frags[i].size = unit * (first + i);
		frags[i].used = i % 5 != 4;
		frags[i].file = file;
		frags[i].func = func;
		frags[i].line = i;
	}
}

/* Walk the heap of @m (@al, @l), with resynchronisation or without, seeing fragments into @s. */
static void walk(const struct hw_allocator *al, const struct hw_layout_head *l,
		 const struct heapimg *m, bool resync, struct hw_check *ck,
		 struct hw_walk_stats *st, struct seen *s)
{
	struct hw_heap_header hdr;
	struct hw_walk_opts o = {.resync = resync, .gap = gap_cb, .gap_arg = s};

	assert_null(al->read_header(m->t, l, m->base, &hdr));
	hw_check_init(ck, 100);
	memset(s, 0, sizeof(*s));
	assert_null(al->walk(m->t, l, &hdr, &o, count_cb, s, ck, st));
}

/* A resynchronised walk got over the damaged header at @a to the next one, @next, in one gap. */
static void expect_one_gap(const struct hw_check *ck, const struct hw_walk_stats *st,
			   const struct seen *s, uint64_t a, uint64_t next)
{
	assert_int_equal(st->gaps, 1);
	assert_int_equal(s->gap_from, a);
	assert_int_equal(s->gap_to, next);
	assert_int_equal(s->n, N - 1);
	assert_true(has_finding(ck, HW_SEV_WARNING, a, "resynchronised"));
}

/* ---- q_malloc ---- */

static void qm_make(struct qmheap *h, enum hw_qm_era era, bool debug, uint32_t word)
{
	struct hw_qm_layout l;
	struct heap_frag frags[N];
	uint64_t file, func;

	assert_null(hw_qm_profile(era, debug, word, 0, &l));
	qmh_init(h, &l, HEAP);
	file = qmh_str(h, "core: core/x.c");
	func = qmh_str(h, "f");
	fill_frags(frags, l.roundto, 2, file, func);
	qmh_build(h, &l, frags, N, HEAP);
	qmh_target(h);
}

static void qm_walk(struct qmheap *h, bool resync, struct hw_check *ck, struct hw_walk_stats *st,
		    struct seen *s)
{
	walk(&hw_allocator_qm, &h->l.head, &h->img, resync, ck, st, s);
}

static void test_qm_resync_each_damage(void **state)
{
	static const struct {
		enum hw_qm_era era;
		bool debug;
		uint32_t word;
	} v[] = {{HW_QM_ERA_44, true, 8},
		 {HW_QM_ERA_44, false, 8},
		 {HW_QM_ERA_58, true, 4},
		 {HW_QM_ERA_MASTER, true, 8}};
	const char *what[] = {"zero", "huge", "past", "misaligned"};
	(void)state;

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		for (int d = 0; d < 4; d++) {
			struct qmheap h;
			struct hw_check ck;
			struct hw_walk_stats st;
			struct seen s;
			uint64_t a, next, bad;

			qm_make(&h, v[k].era, v[k].debug, v[k].word);
			a = qmh_frag_addr(&h, 10);
			next = qmh_frag_addr(&h, 11);
			bad = d == 0   ? 0
			      : d == 1 ? (h.l.word == 8 ? 0x7ffffffffff0ull : 0x7ffffff0ull)
			      : d == 2 ? h.base + h.len - a
				       : qmh_get_word(&h, a + h.l.f_size) + 1;
			qmh_put_word(&h, a + h.l.f_size, bad);

			/* without resync the walk stops at the damage, as before (size 0: it
			 * steps on into the payload) */
			qm_walk(&h, false, &ck, &st, &s);
			if (d) {
				assert_int_equal(s.n, 10);
				assert_false(st.complete);
			}
			assert_true(ck.errors >= 1);
			hw_check_deinit(&ck);

			qm_walk(&h, true, &ck, &st, &s);
			print_message("qm %zu %s: %" PRIu64 " frags, %" PRIu64 " gaps\n", k,
				      what[d], s.n, st.gaps);
			expect_one_gap(&ck, &st, &s, a, next);
			assert_int_equal(s.gaps_cb, 1);
			assert_int_equal(s.after_gap, N - 11);
			assert_int_equal(s.addrs[10], next);
			assert_int_equal(st.end, h.base + h.len);
			assert_false(st.complete);
			assert_true(has_finding(&ck, HW_SEV_ERROR, a, "fragment size"));
			hw_check_deinit(&ck);
			qmh_free(&h);
		}
	}
}

/* An overrun from fragment 9 over its trailer into fragment 10's header. */
static void test_qm_resync_overrun(void **state)
{
	struct qmheap h;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct seen s;
	uint64_t a9, a10, a11, e9;
	(void)state;

	qm_make(&h, HW_QM_ERA_44, true, 8);
	a9 = qmh_frag_addr(&h, 9);
	a10 = qmh_frag_addr(&h, 10);
	a11 = qmh_frag_addr(&h, 11);
	e9 = a10 - h.l.end_size;
	for (uint64_t p = e9; p < a10 + h.l.frag_size; p += 8)
		qmh_put_word(&h, p, 0x4141414141414141ull);
	qm_walk(&h, true, &ck, &st, &s);
	assert_true(has_finding(&ck, HW_SEV_ERROR, e9, "end patterns 0x4141414141414141"));
	assert_true(has_finding(&ck, HW_SEV_WARNING, a10, "resynchronised"));
	assert_int_equal(s.addrs[9], a9);
	assert_int_equal(s.addrs[10], a11);
	assert_int_equal(st.gaps, 1);
	hw_check_deinit(&ck);
	qmh_free(&h);
}

/* Only the patterns overwritten: the sizes agree, the walk keeps every fragment. */
static void test_qm_patterns_only(void **state)
{
	struct qmheap h;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct seen s;
	uint64_t a;
	(void)state;

	qm_make(&h, HW_QM_ERA_58, true, 8);
	a = qmh_frag_addr(&h, 7);
	qmh_put_word(&h, a + h.l.f_check, 0);
	qm_walk(&h, true, &ck, &st, &s);
	assert_int_equal(st.gaps, 0);
	assert_int_equal(s.n, N);
	assert_true(has_finding(&ck, HW_SEV_ERROR, a, "start pattern 0x0, expected 0xf0f0f0f0"));
	hw_check_deinit(&ck);
	qmh_free(&h);
}

struct elems {
	uint64_t n;
	uint64_t addr[N];
};

static void elem_cb(void *arg, uint64_t bucket, uint64_t addr, uint64_t size)
{
	struct elems *e = arg;

	(void)bucket;
	(void)size;
	if (e->n < N)
		e->addr[e->n] = addr;
	e->n++;
}

static void qm_deep(struct qmheap *h, struct hw_check *ck, struct elems *e)
{
	struct hw_heap_header hdr;
	struct hw_walk_opts o = {.deep = true, .elem = elem_cb, .elem_arg = e};

	assert_null(hw_qm_read_header(h->t, &h->l, h->base, &hdr));
	hw_check_init(ck, 100);
	memset(e, 0, sizeof(*e));
	assert_null(hw_qm_walk_free_opts(h->t, &h->l, &hdr, &o, NULL, NULL, ck));
}

/* Two free fragments of one bucket: all are of size 2*roundto.. so give two equal sizes. */
static void qm_make_pair(struct qmheap *h, uint64_t *a, uint64_t *b)
{
	struct hw_qm_layout l;
	struct heap_frag frags[6];

	assert_null(hw_qm_profile(HW_QM_ERA_44, true, 8, 0, &l));
	memset(frags, 0, sizeof(frags));
	for (size_t i = 0; i < 6; i++) {
		frags[i].size = l.roundto * 4;
		frags[i].used = !(i == 1 || i == 3);
	}
	qmh_build(h, &l, frags, 6, HEAP);
	qmh_target(h);
	*a = qmh_frag_addr(h, 1);
	*b = qmh_frag_addr(h, 3);
}

static void test_qm_deep_lists(void **state)
{
	struct qmheap h;
	struct hw_check ck;
	struct elems e;
	uint64_t a, b, head;
	(void)state;

	/* clean */
	memset(&h, 0, sizeof(h));
	qm_make_pair(&h, &a, &b);
	qm_deep(&h, &ck, &e);
	assert_int_equal(ck.total, 0);
	assert_int_equal(e.n, 3); /* a, b and the stretched last fragment */
	hw_check_deinit(&ck);

	/* a cycle: b links back to a */
	qmh_put_word(&h, b + h.l.f_u, a);
	qm_deep(&h, &ck, &e);
	assert_true(has_finding(&ck, HW_SEV_ERROR, b, "runs in a cycle"));
	assert_true(has_finding(&ck, HW_SEV_ERROR, b, "already on the list (a cycle of 2)"));
	hw_check_deinit(&ck);
	qmh_free(&h);

	/* a link out of the heap */
	memset(&h, 0, sizeof(h));
	qm_make_pair(&h, &a, &b);
	qmh_put_word(&h, a + h.l.f_u, 0xdeadbeef000ull);
	qm_deep(&h, &ck, &e);
	assert_true(has_finding(&ck, HW_SEV_ERROR, a, "links to 0xdeadbeef000, outside the heap"));
	hw_check_deinit(&ck);
	qmh_free(&h);

	/* wrong bucket, broken back link */
	memset(&h, 0, sizeof(h));
	qm_make_pair(&h, &a, &b);
	head = h.base + h.l.b_free_hash + hw_qm_hash(&h.l, h.l.roundto * 4) * h.l.lnk_size;
	qmh_put_word(&h, b + h.l.frag_size + h.l.roundto * 4 + h.l.e_prev_free, head);
	qm_deep(&h, &ck, &e);
	assert_true(has_finding(&ck, HW_SEV_ERROR, b, "prev_free"));
	hw_check_deinit(&ck);
	qmh_free(&h);
}

/* ---- f_malloc ---- */

static void fm_make(struct fmheap *h, enum hw_fm_era era, bool debug, uint32_t word)
{
	struct hw_fm_layout l;
	struct heap_frag frags[N];

	assert_null(hw_fm_profile(era, debug, true, word, 0, &l));
	fmh_init(h, &l, HEAP);
	fill_frags(frags, l.roundto, 2, 0, 0);
	fmh_build(h, frags, N);
	himg_target(&h->img);
}

static void test_fm_resync(void **state)
{
	static const struct {
		enum hw_fm_era era;
		bool debug;
		uint32_t word;
	} v[] = {{HW_FM_ERA_44, true, 8}, {HW_FM_ERA_44, false, 8}, {HW_FM_ERA_58, true, 8},
		 {HW_FM_ERA_42, true, 4}, {HW_FM_ERA_OLD, true, 8}, {HW_FM_ERA_58, false, 4}};
	(void)state;

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		for (int d = 0; d < 2; d++) {
			struct fmheap h;
			struct hw_check ck;
			struct hw_walk_stats st;
			struct seen s;
			uint64_t a, next;

			fm_make(&h, v[k].era, v[k].debug, v[k].word);
			a = fmh_frag_addr(&h, 10);
			next = fmh_frag_addr(&h, 11);
			himg_put(&h.img, a + h.l.f_size, d ? 0x7ffffff0ull : 3, h.l.word);
			walk(&hw_allocator_fm, &h.l.head, &h.img, true, &ck, &st, &s);
			print_message("fm %zu/%d: %" PRIu64 " frags, %" PRIu64
				      " gaps, to 0x%" PRIx64 " want 0x%" PRIx64 "\n",
				      k, d, s.n, st.gaps, s.gap_to, next);
			expect_one_gap(&ck, &st, &s, a, next);
			hw_check_deinit(&ck);
			himg_free(&h.img);
		}
	}
}

static void test_fm_deep_cycle(void **state)
{
	struct fmheap h;
	struct hw_fm_layout l;
	struct heap_frag frags[6];
	struct hw_check ck;
	struct hw_heap_header hdr;
	struct elems e;
	struct hw_walk_opts o = {.deep = true, .elem = elem_cb, .elem_arg = &e};
	uint64_t a, b;
	(void)state;

	/* singly linked (3.0-4.1): a pure cycle, found at once, the other lists still followed */
	assert_null(hw_fm_profile(HW_FM_ERA_OLD, true, true, 8, 0, &l));
	fmh_init(&h, &l, HEAP);
	memset(frags, 0, sizeof(frags));
	for (size_t i = 0; i < 6; i++) {
		frags[i].size = l.roundto * 4;
		frags[i].used = !(i == 1 || i == 3);
	}
	fmh_build(&h, frags, 6);
	himg_target(&h.img);
	a = fmh_frag_addr(&h, 1);
	b = fmh_frag_addr(&h, 3);
	/* small buckets are LIFO: whichever comes second links to the first; close the loop */
	if (himg_get(&h.img, a + l.f_link, l.word) == b)
		himg_put(&h.img, b + l.f_link, a, l.word);
	else
		himg_put(&h.img, a + l.f_link, b, l.word);
	assert_null(hw_fm_read_header(h.t, &l, h.base, &hdr));
	hw_check_init(&ck, 100);
	memset(&e, 0, sizeof(e));
	assert_null(hw_fm_walk_free_opts(h.t, &l, &hdr, &o, NULL, NULL, &ck));
	assert_true(has_finding(&ck, HW_SEV_ERROR, 0, "runs in a cycle"));
	assert_false(has_finding(&ck, HW_SEV_ERROR, 0, "does not end"));
	assert_true(e.n >= 3);
	hw_check_deinit(&ck);
	himg_free(&h.img);
}

/* ---- TLSF ---- */

static void test_tlsf_resync(void **state)
{
	static const struct {
		enum hw_tlsf_era era;
		bool debug;
		uint32_t word;
	} v[] = {{HW_TLSF_ERA_44, true, 8}, {HW_TLSF_ERA_44, false, 8}, {HW_TLSF_ERA_43, true, 4}};
	(void)state;

	for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
		for (int d = 0; d < (v[k].word == 8 ? 3 : 2); d++) {
			struct tlsfheap h;
			struct hw_tlsf_layout l;
			struct heap_frag b[N];
			struct hw_check ck;
			struct hw_walk_stats st;
			struct seen s;
			uint64_t a, next, raw;

			assert_null(hw_tlsf_profile(v[k].era, v[k].debug, v[k].word, &l));
			tlsfh_init(&h, &l, HEAP);
			fill_frags(b, l.align, l.size_min / l.align, 0, 0);
			tlsfh_build(&h, b, N);
			himg_target(&h.img);
			a = tlsfh_block_addr(&h, 10);
			next = tlsfh_block_addr(&h, 11);
			raw = himg_get(&h.img, a + l.h_size, l.word);
			himg_put(&h.img, a + l.h_size,
				 d == 0	  ? (raw & 3)
				 : d == 1 ? 0x7ffffff0ull | (raw & 3)
					  : raw + 4,
				 l.word);
			walk(&hw_allocator_tlsf, &h.l.head, &h.img, true, &ck, &st, &s);
			print_message("tlsf %zu/%d: %" PRIu64 " blocks, %" PRIu64
				      " gaps, to 0x%" PRIx64 " want 0x%" PRIx64 "\n",
				      k, d, s.n, st.gaps, s.gap_to, next);
			expect_one_gap(&ck, &st, &s, a, next);
			assert_false(has_finding(&ck, HW_SEV_ERROR, 0, "no size-0 sentinel"));
			hw_check_deinit(&ck);
			himg_free(&h.img);
		}
	}
}

/* ---- the cycle detector itself ---- */

static void test_cycle_detector(void **state)
{
	(void)state;
	for (uint64_t tail = 0; tail < 20; tail++) {
		for (uint64_t len = 1; len < 40; len++) {
			struct hw_cycle c;
			uint64_t steps = 0, x = 0;
			bool found = false;

			hw_cycle_init(&c);
			while (steps < 4 * (tail + len) + 4) {
				if (hw_cycle_step(&c, 1000 + x)) {
					found = true;
					break;
				}
				steps++;
				x = x + 1 < tail + len ? x + 1 : tail;
			}
			assert_true(found);
		}
	}
	/* a list without a cycle is never reported */
	{
		struct hw_cycle c;
		hw_cycle_init(&c);
		for (uint64_t i = 0; i < 100000; i++)
			assert_false(hw_cycle_step(&c, i * 16));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_qm_resync_each_damage),
	    cmocka_unit_test(test_qm_resync_overrun),
	    cmocka_unit_test(test_qm_patterns_only),
	    cmocka_unit_test(test_qm_deep_lists),
	    cmocka_unit_test(test_fm_resync),
	    cmocka_unit_test(test_fm_deep_cycle),
	    cmocka_unit_test(test_tlsf_resync),
	    cmocka_unit_test(test_cycle_detector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
