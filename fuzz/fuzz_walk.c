/*
 * fuzz_walk.c - fuzz harness: each walker (q_malloc, f_malloc, TLSF, every
 * built-in profile) over an arbitrary heap image, with resynchronisation,
 * the deep free-list checks, and the analyses that read fragment contents;
 * the image's own manager or a forced one (another manager or profile).
 */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/classify.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/refs.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/target.h"
#include "fuzz.h"
#include "walkimage.h"

static struct hw_qm_layout qm_profiles[64];
static struct hw_fm_layout fm_profiles[64];
static struct hw_tlsf_layout tlsf_profiles[16];
static size_t nqm, nfm, ntlsf;

struct ctx {
	struct hw_classify *cl;
	const struct hw_target *t;
	const struct hw_pool *p;
	uint64_t n, last;
};

static int frag_cb(void *arg, const struct hw_frag *f)
{
	struct ctx *c = arg;

	/* addresses only grow along a walk, gaps included */
	if (c->n && f->addr <= c->last)
		abort();
	c->last = f->addr;
	c->n++;
	if (c->cl && f->used)
		hw_error_destroy(hw_classify_add(c->cl, c->t, f));
	return 0;
}

static int bucket_cb(void *arg, const struct hw_free_bucket *b)
{
	(void)arg;
	(void)b;
	return 0;
}

static int ref_cb(void *arg, uint64_t at, uint64_t v, const struct hw_ref_src *src)
{
	(void)arg;
	(void)at;
	(void)v;
	(void)src;
	return 0;
}

static void elem_cb(void *arg, uint64_t bucket, uint64_t addr, uint64_t size)
{
	(void)arg;
	(void)bucket;
	(void)addr;
	(void)size;
}

/* One input opened for walking: the image as a target's memory, the pool and its header. */
struct wimg {
	struct hw_pool pool;
	struct hw_qm_layout qml;
	struct hw_fm_layout fml;
	struct hw_tlsf_layout tlsfl;
	struct hw_target t;
	struct hw_heap_header h;
	unsigned mgr; /* the walker: byte 0, or with HW_FUZZ_FORCE another one */
	uint64_t base, len;
	uint8_t flags;
};

static void init_profiles(void)
{
	if (nqm)
		return;
	nqm = hw_qm_profiles(qm_profiles, 64);
	nfm = hw_fm_profiles(fm_profiles, 64);
	ntlsf = hw_tlsf_profiles(tlsf_profiles, 16);
	if (nqm > 64)
		nqm = 64;
	if (nfm > 64)
		nfm = 64;
	if (ntlsf > 16)
		ntlsf = 16;
	for (size_t i = 0; i < nqm; i++)
		hw_fuzz_small_qm(&qm_profiles[i]);
	for (size_t i = 0; i < nfm; i++)
		hw_fuzz_small_fm(&fm_profiles[i]);
}

/*
 * Lay @data out as walkimage.h says; false if it is too short or its
 * header cannot be read. The image lies where byte 0's manager puts it; a
 * forced walker reads it with its own layout there, as --manager and
 * --layout would on a pool of another manager or profile.
 */
static bool wimg_open(struct wimg *w, const uint8_t *data, size_t size)
{
	struct hw_error *err;
	const uint8_t *img;

	init_profiles();
	if (size < HW_FUZZ_HDR + 16)
		return false;
	memset(w, 0, sizeof(*w));
	w->flags = data[2];
	img = data + HW_FUZZ_HDR;
	w->len = size - HW_FUZZ_HDR;
	w->mgr = (w->flags & HW_FUZZ_FORCE) ? hw_fuzz_forced(data[0]) : data[0] % 3u;
	switch (w->mgr) {
	case 0:
		w->pool.alloc = &hw_allocator_qm;
		w->qml = qm_profiles[data[1] % nqm];
		w->t.word_size = w->qml.word;
		w->pool.layout = &w->qml.head;
		break;
	case 1:
		w->pool.alloc = &hw_allocator_fm;
		w->fml = fm_profiles[data[1] % nfm];
		w->t.word_size = w->fml.word;
		w->pool.layout = &w->fml.head;
		break;
	default:
		w->pool.alloc = &hw_allocator_tlsf;
		w->tlsfl = tlsf_profiles[data[1] % ntlsf];
		w->t.word_size = w->tlsfl.word;
		w->pool.layout = &w->tlsfl.head;
		break;
	}
	w->pool.usable = true;
	w->pool.kind = HW_POOL_PKG;
	w->pool.name = "pkg";
	w->base = hw_fuzz_base(data[0] % 3u, w->t.word_size);
	w->pool.block = w->base;
	if (hw_mem_create(&w->t.mem))
		return false;
	if ((err = hw_mem_add_direct(w->t.mem, HW_MEM_LAYER_CORE, w->base, w->len, img)))
		goto fail;
	switch (w->mgr) {
	case 0:
		err = hw_qm_read_header(&w->t, &w->qml, w->base, &w->h);
		if (!err && (w->flags & HW_FUZZ_FIX_HEADER)) {
			w->h.size = w->len;
			w->h.first_frag = w->base + w->qml.first_off;
			w->h.last_frag_end = w->base + w->len - w->qml.end_size;
		}
		break;
	case 1:
		err = hw_fm_read_header(&w->t, &w->fml, w->base, &w->h);
		if (!err && (w->flags & HW_FUZZ_FIX_HEADER)) {
			w->h.size = w->len;
			w->h.first_frag = w->base + w->fml.first_off;
			w->h.last_frag_end = w->base + w->len - w->fml.frag_size;
		}
		break;
	default:
		err = hw_tlsf_read_header(&w->t, &w->tlsfl, w->base, &w->h);
		break;
	}
	if (!err)
		return true;
fail:
	hw_error_destroy(err);
	hw_mem_destroy(w->t.mem);
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wimg w;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct hw_walk_opts o = {.resync = true, .elem = elem_cb};
	struct ctx c = {.t = &w.t, .p = &w.pool};
	struct hw_error *err;

	if (!wimg_open(&w, data, size))
		return 0;
	if ((w.flags & HW_FUZZ_CONTENT) && !hw_classify_create(&c.cl))
		hw_classify_set_heap(c.cl, w.base, w.base + w.len);
	hw_check_init(&ck, 8);
	err = hw_alloc_walk(&w.t, &w.pool, &w.h, &o, frag_cb, &c, &ck, &st);
	hw_error_destroy(err);
	o.deep = w.flags & HW_FUZZ_DEEP;
	err = hw_alloc_walk_free(&w.t, &w.pool, &w.h, &o, bucket_cb, NULL, &ck);
	hw_error_destroy(err);
	/* and the plain walk stats and summary use */
	err = hw_alloc_walk(&w.t, &w.pool, &w.h, NULL, NULL, NULL, &ck, &st);
	hw_error_destroy(err);
	if (w.flags & HW_FUZZ_CONTENT) {
		/* addresses spread over the image, located in one walk; a pointer scan */
		struct hw_location loc[4];
		struct hw_refs_pool rp = {&w.pool, &w.h};
		struct hw_refs_opts ro = {.lo = w.base, .hi = w.base + w.len / 2};
		for (int k = 0; k < 4; k++)
			loc[k].addr = w.base + w.len * (uint64_t)(k + 1) / 5 - 3;
		hw_error_destroy(hw_locate(&w.t, &w.pool, &w.h, loc, 4, NULL));
		hw_error_destroy(hw_refs_scan(&w.t, &rp, 1, &ro, ref_cb, NULL));
	}
	hw_check_deinit(&ck);
	hw_classify_destroy(c.cl);
	hw_mem_destroy(w.t.mem);
	return 0;
}
