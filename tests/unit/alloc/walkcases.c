/* walkcases.c - synthetic pools of every manager and the scenarios they share (see walkcases.h). */
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
#include "heapwalk/sites.h"
#include "heapwalk/target.h"
#include "walkcases.h"

#define HEAP (1u << 20)
#define NVARIANTS(a) (unsigned)(sizeof(a) / sizeof((a)[0]))

/* Take over the heap a manager's init made, and where its fragment headers keep what. */
static void adopt(struct wc_pool *p, struct heapimg *img, const struct hw_layout_head *l,
		  uint64_t size_off, uint64_t user_off, uint64_t overhead)
{
	p->img = img;
	p->l = l;
	p->size_off = size_off;
	p->user_off = user_off;
	p->overhead = overhead;
}

/* ---- q_malloc ---- */

static const struct wc_variant qm_variants[] = {
    {HW_QM_ERA_44, true, true, 8, 0},	     {HW_QM_ERA_44, false, true, 8, 0},
    {HW_QM_ERA_44, true, true, 4, 0},	     {HW_QM_ERA_58, true, true, 8, 0},
    {HW_QM_ERA_OLD, true, true, 8, 0},	     {HW_QM_ERA_MASTER, true, true, 8, 0},
    {HW_QM_ERA_MASTER_BT, true, true, 8, 0}, {HW_QM_ERA_58, false, true, 4, 0},
};

static void qm_init(struct wc_pool *p, unsigned v)
{
	const struct wc_variant *va = &p->m->variants[v];
	struct hw_qm_layout l;

	assert_null(hw_qm_profile(va->era, va->debug, va->word, 0, &l));
	qmh_init(&p->qm, &l, HEAP);
	adopt(p, &p->qm.img, &p->qm.l.head, l.f_size, l.frag_size, l.frag_size + l.end_size);
}

static uint64_t qm_frag_size(const struct wc_pool *p, size_t i)
{
	return (uint64_t)p->l->roundto * (1 + i * 3);
}

static void qm_lay_out(struct wc_pool *p)
{
	qmh_build(&p->qm, &p->qm.l, p->frags, WC_NFRAGS, HEAP);
}

static uint64_t qm_frag_addr(struct wc_pool *p, size_t i)
{
	return qmh_frag_addr(&p->qm, i);
}

static bool qm_bucket_ok(const struct wc_pool *p, const struct hw_free_bucket *b)
{
	return hw_qm_hash(&p->qm.l, b->first_size) == b->index && b->count == b->no;
}

static bool qm_put_check(struct wc_pool *p, uint64_t a, uint64_t v)
{
	if (!p->qm.l.debug)
		return false;
	qmh_put_word(&p->qm, a + p->qm.l.f_check, v);
	return true;
}

static void qm_break_header(struct wc_pool *p)
{
	qmh_put_word(&p->qm, p->img->base + p->qm.l.b_size, UINT64_MAX - 5);
}

static void qm_clean_extra(const struct wc_pool *p, const struct hw_walk_stats *st,
			   const struct hw_heap_header *h)
{
	(void)p;
	assert_int_equal(h->used, st->used_bytes);
	/* accounting identity: size - real_used == free bytes walked */
	assert_int_equal(h->size - h->real_used, st->free_bytes);
}

const struct wc_mgr wc_qm = {
    .name = "q_malloc",
    .variants = qm_variants,
    .nvariants = NVARIANTS(qm_variants),
    .init = qm_init,
    .frag_size = qm_frag_size,
    .lay_out = qm_lay_out,
    .frag_addr = qm_frag_addr,
    .alloc = &hw_allocator_qm,
    .bucket_ok = qm_bucket_ok,
    .bucket_bytes = false,
    .put_check = qm_put_check,
    .break_header = qm_break_header,
    .clean_extra = qm_clean_extra,
};

/* ---- f_malloc ---- */

static const struct wc_variant fm_variants[] = {
    {HW_FM_ERA_44, true, true, 8, 0},	{HW_FM_ERA_44, false, true, 8, 0},
    {HW_FM_ERA_44, true, true, 4, 0},	{HW_FM_ERA_44, false, true, 4, 0},
    {HW_FM_ERA_58, true, true, 8, 0},	{HW_FM_ERA_58, false, true, 4, 8},
    {HW_FM_ERA_42, true, true, 8, 0},	{HW_FM_ERA_42, false, true, 4, 0},
    {HW_FM_ERA_OLD, true, true, 8, 0},	{HW_FM_ERA_OLD, false, false, 4, 0},
    {HW_FM_ERA_SER, true, true, 4, 0},	{HW_FM_ERA_SER, false, false, 8, 0},
    {HW_FM_ERA_SER, false, true, 8, 0},
};

static void fm_init(struct wc_pool *p, unsigned v)
{
	const struct wc_variant *va = &p->m->variants[v];
	struct hw_fm_layout l;

	assert_null(hw_fm_profile(va->era, va->debug, va->stats, va->word, va->roundto, &l));
	fmh_init(&p->fm, &l, HEAP);
	adopt(p, &p->fm.img, &p->fm.l.head, l.f_size, l.frag_size, l.frag_size);
}

static void fm_lay_out(struct wc_pool *p)
{
	fmh_build(&p->fm, p->frags, WC_NFRAGS);
}

static uint64_t fm_frag_addr(struct wc_pool *p, size_t i)
{
	return fmh_frag_addr(&p->fm, i);
}

static bool fm_bucket_ok(const struct wc_pool *p, const struct hw_free_bucket *b)
{
	return hw_fm_hash(&p->fm.l, b->first_size) == b->index && b->count == b->no;
}

/* 4.4+ keeps the pattern in non-debug builds too (as an unsigned int) */
static bool fm_put_check(struct wc_pool *p, uint64_t a, uint64_t v)
{
	if (p->fm.l.f_check == HW_NO_OFF)
		return false;
	himg_put(p->img, a + p->fm.l.f_check, v, p->fm.l.f_check_size);
	return true;
}

static void fm_break_header(struct wc_pool *p)
{
	himg_put(p->img, p->img->base + p->fm.l.b_last_frag, 1, p->img->word);
}

static void fm_clean_extra(const struct wc_pool *p, const struct hw_walk_stats *st,
			   const struct hw_heap_header *h)
{
	assert_int_equal(st->used_bytes, p->fm.used_bytes);
	assert_int_equal(h->no_counters, !p->fm.l.stats);
	if (p->fm.l.stats)
		/* accounting identity: size - real_used == free bytes walked */
		assert_int_equal(h->size - h->real_used, st->free_bytes);
}

const struct wc_mgr wc_fm = {
    .name = "f_malloc",
    .variants = fm_variants,
    .nvariants = NVARIANTS(fm_variants),
    .init = fm_init,
    .frag_size = qm_frag_size, /* the same sizes: multiples of roundto */
    .lay_out = fm_lay_out,
    .frag_addr = fm_frag_addr,
    .alloc = &hw_allocator_fm,
    .bucket_ok = fm_bucket_ok,
    .bucket_bytes = true,
    .put_check = fm_put_check,
    .break_header = fm_break_header,
    .clean_extra = fm_clean_extra,
};

/* ---- TLSF ---- */

static const struct wc_variant tlsf_variants[] = {
    {HW_TLSF_ERA_44, true, true, 8, 0},	 {HW_TLSF_ERA_44, false, true, 8, 0},
    {HW_TLSF_ERA_44, true, true, 4, 0},	 {HW_TLSF_ERA_44, false, true, 4, 0},
    {HW_TLSF_ERA_43, true, true, 8, 0},	 {HW_TLSF_ERA_43, true, true, 4, 0},
    {HW_TLSF_ERA_43, false, true, 8, 0},
};

static void tlsf_init(struct wc_pool *p, unsigned v)
{
	const struct wc_variant *va = &p->m->variants[v];
	struct hw_tlsf_layout l;

	assert_null(hw_tlsf_profile(va->era, va->debug, va->word, &l));
	tlsfh_init(&p->tlsf, &l, HEAP);
	adopt(p, &p->tlsf.img, &p->tlsf.l.head, l.h_size, l.start_offset, l.overhead);
}

/* small and big sizes, so that several lists fill */
static uint64_t tlsf_frag_size(const struct wc_pool *p, size_t i)
{
	const struct hw_tlsf_layout *l = &p->tlsf.l;

	return (uint64_t)l->align * (l->size_min / l->align + i * i);
}

static void tlsf_lay_out(struct wc_pool *p)
{
	tlsfh_build(&p->tlsf, p->frags, WC_NFRAGS);
}

static uint64_t tlsf_frag_addr(struct wc_pool *p, size_t i)
{
	return tlsfh_block_addr(&p->tlsf, i);
}

static bool tlsf_bucket_ok(const struct wc_pool *p, const struct hw_free_bucket *b)
{
	uint32_t fl, sl;

	hw_tlsf_mapping(&p->tlsf.l, b->first_size, &fl, &sl);
	return b->index == (uint64_t)fl * p->tlsf.l.sl_count + sl;
}

static void tlsf_break_header(struct wc_pool *p)
{
	himg_put(p->img, p->img->base + p->tlsf.l.c_total_size, 100, p->img->word);
}

static void tlsf_clean_extra(const struct wc_pool *p, const struct hw_walk_stats *st,
			     const struct hw_heap_header *h)
{
	assert_int_equal(st->used_bytes, p->tlsf.used_bytes);
	assert_int_equal(st->end, p->tlsf.sentinel);
	assert_int_equal(h->last_frag_end, p->tlsf.sentinel);
	assert_int_equal(h->ffrags, p->nfree);
	assert_true(h->has_max_frags);
	assert_int_equal(h->max_frags, p->nfree + 3);
}

const struct wc_mgr wc_tlsf = {
    .name = "TLSF",
    .variants = tlsf_variants,
    .nvariants = NVARIANTS(tlsf_variants),
    .init = tlsf_init,
    .frag_size = tlsf_frag_size,
    .lay_out = tlsf_lay_out,
    .frag_addr = tlsf_frag_addr,
    .alloc = &hw_allocator_tlsf,
    .bucket_ok = tlsf_bucket_ok,
    .bucket_bytes = true,
    .put_check = NULL, /* no start pattern */
    .break_header = tlsf_break_header,
    .clean_extra = tlsf_clean_extra,
};

/* ---- the pool ---- */

unsigned wc_variant_of(const struct wc_mgr *m, int era, bool debug, uint32_t word)
{
	for (unsigned v = 0; v < m->nvariants; v++)
		if (m->variants[v].era == era && m->variants[v].debug == debug &&
		    m->variants[v].word == word)
			return v;
	fail();
	return 0;
}

void wc_make(struct wc_pool *p, const struct wc_mgr *m, unsigned v)
{
	uint64_t files[3], funcs[3], mod;

	memset(p, 0, sizeof(*p));
	p->m = m;
	m->init(p, v);
	files[0] = himg_str(p->img, "core: core/str_hash.h");
	files[1] = himg_str(p->img, "tm: h_table.c");
	files[2] = himg_str(p->img, "usrloc: udomain.c");
	funcs[0] = himg_str(p->img, "str_hash_alloc");
	funcs[1] = himg_str(p->img, "build_cell");
	funcs[2] = himg_str(p->img, "new_udomain");
	mod = himg_str(p->img, "core");
	for (size_t i = 0; i < WC_NFRAGS; i++) {
		struct heap_frag *f = &p->frags[i];
		unsigned s = (unsigned)(i % 3);
		/* free neighbours never touch: fm does not join before 4.4, TLSF never has them */
		f->size = m->frag_size(p, i);
		f->used = (i % 4) != 3;
		f->file = files[s];
		f->func = funcs[s];
		f->line = 100 + s;
		f->mname = mod;
		if (f->used && i != WC_NFRAGS - 1) {
			p->used_bytes += f->size;
			p->nused++;
		}
	}
	p->nfree = WC_NFRAGS - p->nused;
	m->lay_out(p);
	himg_target(p->img);
}

void wc_free(struct wc_pool *p)
{
	himg_free(p->img);
}

static int count_cb(void *arg, const struct hw_frag *f)
{
	struct wc_walked *w = arg;
	const struct wc_pool *p = w->p;
	const struct heap_frag *want = f->index < WC_NFRAGS ? &p->frags[f->index] : NULL;
	bool want_used = want && want->used && f->index != WC_NFRAGS - 1;

	if (f->index != w->n || f->user != f->addr + p->user_off ||
	    f->span != p->overhead + f->size)
		w->in_order = false;
	if (f->used != want_used)
		w->states_ok = false;
	if (p->l->debug && f->used && (!want || f->line != want->line))
		w->lines_ok = false;
	w->n++;
	if (f->used) {
		w->used++;
		w->bytes += f->size;
	}
	return 0;
}

static void walk_keeping(const struct wc_pool *p, size_t keep, struct wc_walked *w)
{
	struct hw_heap_header h;

	memset(w, 0, sizeof(*w));
	assert_null(p->m->alloc->read_header(p->img->t, p->l, p->img->base, &h));
	hw_check_init(&w->ck, keep);
	w->in_order = w->states_ok = w->lines_ok = true;
	w->p = p;
	assert_null(p->m->alloc->walk(p->img->t, p->l, &h, NULL, count_cb, w, &w->ck, &w->st));
}

void wc_walk(const struct wc_pool *p, struct wc_walked *w)
{
	walk_keeping(p, 50, w);
}

static int bucket_cb(void *arg, const struct hw_free_bucket *b)
{
	struct wc_listed *ls = arg;

	ls->n++;
	ls->elems += b->count;
	ls->bytes += b->bytes;
	if (!ls->p->m->bucket_ok(ls->p, b))
		ls->index_ok = false;
	return 0;
}

void wc_free_lists(const struct wc_pool *p, struct wc_listed *ls)
{
	struct hw_heap_header h;

	memset(ls, 0, sizeof(*ls));
	assert_null(p->m->alloc->read_header(p->img->t, p->l, p->img->base, &h));
	hw_check_init(&ls->ck, 50);
	ls->index_ok = true;
	ls->p = p;
	assert_null(p->m->alloc->walk_free(p->img->t, p->l, &h, NULL, bucket_cb, ls, &ls->ck));
}

bool wc_has_message(const struct hw_check *ck, const char *text)
{
	for (size_t i = 0; i < ck->n; i++)
		if (strstr(ck->items[i].message, text))
			return true;
	return false;
}

/* ---- the scenarios ---- */

void wc_clean_walk_all_variants(void **state)
{
	const struct wc_mgr *m = *state;

	for (unsigned v = 0; v < m->nvariants; v++) {
		struct wc_pool p;
		struct wc_walked w;
		struct wc_listed ls;
		struct hw_heap_header h;

		wc_make(&p, m, v);
		wc_walk(&p, &w);
		if (w.ck.total)
			print_message("%s variant %u (%s): %s\n", m->name, v, p.l->name,
				      w.ck.items[0].message);
		assert_int_equal(w.ck.total, 0);
		assert_true(w.st.complete);
		assert_int_equal(w.st.frags, WC_NFRAGS);
		assert_int_equal(w.n, WC_NFRAGS);
		assert_true(w.in_order);
		assert_true(w.states_ok);
		assert_true(w.lines_ok);
		assert_int_equal(w.st.used_frags, p.nused);
		assert_int_equal(w.st.used_bytes, p.used_bytes);
		assert_int_equal(w.st.free_frags, p.nfree);
		assert_null(m->alloc->read_header(p.img->t, p.l, p.img->base, &h));
		m->clean_extra(&p, &w.st, &h);
		hw_check_deinit(&w.ck);

		wc_free_lists(&p, &ls);
		if (ls.ck.total)
			print_message("%s variant %u lists: %s\n", m->name, v,
				      ls.ck.items[0].message);
		assert_int_equal(ls.ck.total, 0);
		assert_true(ls.index_ok);
		assert_int_equal(ls.elems, p.nfree);
		if (m->bucket_bytes)
			assert_int_equal(ls.bytes, w.st.free_bytes);
		hw_check_deinit(&ls.ck);
		wc_free(&p);
	}
}

static int add_site(void *arg, const struct hw_frag *f)
{
	if (f->used)
		assert_null(hw_sites_add(arg, f));
	return 0;
}

void wc_sites(void **state)
{
	const struct wc_mgr *m = *state;
	struct wc_pool p;
	struct hw_heap_header h;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct hw_sites sites;
	struct hw_strcache sc;
	const struct hw_site **rows;
	size_t n;

	wc_make(&p, m, 0);
	assert_null(m->alloc->read_header(p.img->t, p.l, p.img->base, &h));
	hw_check_init(&ck, 10);
	hw_sites_init(&sites);
	hw_strcache_init(&sc, p.img->t);
	assert_null(m->alloc->walk(p.img->t, p.l, &h, NULL, add_site, &sites, &ck, &st));
	assert_int_equal(sites.n, 3);
	assert_int_equal(sites.bytes, p.used_bytes);
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
	wc_free(&p);
}

/* Every variant with a start pattern. */
void wc_bad_start_pattern(void **state)
{
	const struct wc_mgr *m = *state;
	unsigned tried = 0;

	for (unsigned v = 0; v < m->nvariants; v++) {
		struct wc_pool p;
		struct wc_walked w;
		uint64_t a;

		wc_make(&p, m, v);
		a = m->frag_addr(&p, 5);
		if (!m->put_check(&p, a, 0x41414141)) {
			wc_free(&p);
			continue;
		}
		tried++;
		wc_walk(&p, &w);
		assert_int_equal(w.ck.errors, 1);
		assert_int_equal(w.ck.items[0].index, 5);
		assert_int_equal(w.ck.items[0].addr, a);
		assert_non_null(strstr(w.ck.items[0].message, "start pattern 0x41414141"));
		assert_true(w.st.complete); /* a bad pattern does not stop the walk */
		hw_check_deinit(&w.ck);
		wc_free(&p);
	}
	assert_true(tried > 0);
}

void wc_size_past_end(void **state)
{
	const struct wc_mgr *m = *state;
	struct wc_pool p;
	struct wc_walked w;
	uint64_t a;

	wc_make(&p, m, 0);
	a = m->frag_addr(&p, 7);
	himg_put(p.img, a + p.size_off, (uint64_t)1 << 40, p.img->word);
	wc_walk(&p, &w);
	assert_false(w.st.complete);
	assert_int_equal(w.st.frags, 7);
	assert_int_equal(w.st.end, a);
	assert_true(w.ck.errors >= 1);
	assert_non_null(strstr(w.ck.items[0].message, "runs past the end"));
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

void wc_unreadable_middle(void **state)
{
	const struct wc_mgr *m = *state;
	struct wc_pool p;
	struct wc_walked w;

	wc_make(&p, m, 0);
	/* the heap stops being readable at fragment 10 */
	himg_cut(p.img, m->frag_addr(&p, 10));
	walk_keeping(&p, 10, &w);
	assert_false(w.st.complete);
	assert_int_equal(w.st.frags, 10);
	assert_int_equal(w.ck.errors, 1);
	assert_non_null(strstr(w.ck.items[0].message, "not saved in core"));
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

void wc_bad_header(void **state)
{
	const struct wc_mgr *m = *state;
	struct wc_pool p;
	struct wc_walked w;

	wc_make(&p, m, 0);
	m->break_header(&p);
	wc_walk(&p, &w);
	assert_int_equal(w.st.frags, 0);
	assert_false(w.st.complete);
	assert_int_equal(w.ck.errors, 1);
	assert_non_null(strstr(w.ck.items[0].message, "implausible"));
	hw_check_deinit(&w.ck);
	wc_free(&p);
}

/*
 * Every fragment zeroed behind an intact block header (a layout forced on
 * memory that is not a heap): the plain walk and check's resynchronising
 * walk agree on what they count, and the plain walk says it found no heap.
 */
void wc_zeroed_heap(void **state)
{
	const struct wc_mgr *m = *state;
	struct wc_pool p;
	struct wc_walked w;
	struct hw_heap_header h;
	struct hw_walk_opts ro = {.resync = true};
	struct hw_check ck;
	struct hw_walk_stats st;
	uint64_t a0;

	wc_make(&p, m, 0);
	a0 = m->frag_addr(&p, 0);
	memset(p.img->buf + (a0 - p.img->base), 0, (size_t)(p.img->len - (a0 - p.img->base)));
	wc_walk(&p, &w);
	assert_true(w.ck.errors >= 1);
	assert_null(m->alloc->read_header(p.img->t, p.l, p.img->base, &h));
	hw_check_init(&ck, 50);
	memset(&st, 0, sizeof(st));
	m->alloc->walk(p.img->t, p.l, &h, &ro, NULL, NULL, &ck, &st);
	assert_true(ck.errors >= 1);
	assert_int_equal(w.st.frags, st.frags);
	hw_check_deinit(&ck);
	hw_check_deinit(&w.ck);
	wc_free(&p);
}
