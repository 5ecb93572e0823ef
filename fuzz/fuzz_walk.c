/*
 * fuzz_walk.c - fuzz harness: each walker (q_malloc, f_malloc, TLSF, every
 * built-in profile) over an arbitrary heap image, with resynchronisation,
 * the deep free-list checks, and the analyses that read fragment contents.
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hw_pool pool;
	struct hw_qm_layout qml;
	struct hw_fm_layout fml;
	struct hw_tlsf_layout tlsfl;
	struct hw_target t;
	struct hw_heap_header h;
	struct hw_check ck;
	struct hw_walk_stats st;
	struct hw_walk_opts o = {.resync = true, .elem = elem_cb};
	struct ctx c = {.t = &t, .p = &pool};
	struct hw_error *err;
	const uint8_t *img;
	uint64_t len, base;
	uint8_t flags;

	if (!nqm) {
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
	if (size < HW_FUZZ_HDR + 16)
		return 0;
	memset(&pool, 0, sizeof(pool));
	memset(&t, 0, sizeof(t));
	flags = data[2];
	img = data + HW_FUZZ_HDR;
	len = size - HW_FUZZ_HDR;
	switch (data[0] % 3) {
	case 0:
		pool.alloc = &hw_allocator_qm;
		qml = qm_profiles[data[1] % nqm];
		t.word_size = qml.word;
		pool.layout = &qml.head;
		break;
	case 1:
		pool.alloc = &hw_allocator_fm;
		fml = fm_profiles[data[1] % nfm];
		t.word_size = fml.word;
		pool.layout = &fml.head;
		break;
	default:
		pool.alloc = &hw_allocator_tlsf;
		tlsfl = tlsf_profiles[data[1] % ntlsf];
		t.word_size = tlsfl.word;
		pool.layout = &tlsfl.head;
		break;
	}
	pool.usable = true;
	pool.kind = HW_POOL_PKG;
	pool.name = "pkg";
	base = hw_fuzz_base(data[0] % 3, t.word_size);
	pool.block = base;
	if (hw_mem_create(&t.mem))
		return 0;
	if ((err = hw_mem_add_direct(t.mem, HW_MEM_LAYER_CORE, base, len, img))) {
		hw_error_destroy(err);
		hw_mem_destroy(t.mem);
		return 0;
	}
	switch (data[0] % 3) {
	case 0:
		err = hw_qm_read_header(&t, &qml, base, &h);
		if (!err && (flags & HW_FUZZ_FIX_HEADER)) {
			h.size = len;
			h.first_frag = base + qml.first_off;
			h.last_frag_end = base + len - qml.end_size;
		}
		break;
	case 1:
		err = hw_fm_read_header(&t, &fml, base, &h);
		if (!err && (flags & HW_FUZZ_FIX_HEADER)) {
			h.size = len;
			h.first_frag = base + fml.first_off;
			h.last_frag_end = base + len - fml.frag_size;
		}
		break;
	default:
		err = hw_tlsf_read_header(&t, &tlsfl, base, &h);
		break;
	}
	if (err) {
		hw_error_destroy(err);
		hw_mem_destroy(t.mem);
		return 0;
	}
	if ((flags & HW_FUZZ_CONTENT) && !hw_classify_create(&c.cl))
		hw_classify_set_heap(c.cl, base, base + len);
	hw_check_init(&ck, 8);
	err = hw_alloc_walk(&t, &pool, &h, &o, frag_cb, &c, &ck, &st);
	hw_error_destroy(err);
	o.deep = flags & HW_FUZZ_DEEP;
	err = hw_alloc_walk_free(&t, &pool, &h, &o, bucket_cb, NULL, &ck);
	hw_error_destroy(err);
	/* and the plain walk stats and summary use */
	err = hw_alloc_walk(&t, &pool, &h, NULL, NULL, NULL, &ck, &st);
	hw_error_destroy(err);
	if (flags & HW_FUZZ_CONTENT) {
		/* addresses spread over the image, located in one walk; a pointer scan */
		struct hw_location loc[4];
		struct hw_refs_pool rp = {&pool, &h};
		struct hw_refs_opts ro = {.lo = base, .hi = base + len / 2};
		for (int k = 0; k < 4; k++)
			loc[k].addr = base + (uint64_t)len * (uint64_t)(k + 1) / 5 - 3;
		hw_error_destroy(hw_locate(&t, &pool, &h, loc, 4, NULL));
		hw_error_destroy(hw_refs_scan(&t, &rp, 1, &ro, ref_cb, NULL));
	}
	hw_check_deinit(&ck);
	hw_classify_destroy(c.cl);
	hw_mem_destroy(t.mem);
	return 0;
}
