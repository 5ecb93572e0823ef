/*
 * fuzz_walk.c - fuzz harness: each walker (q_malloc, f_malloc, TLSF, every
 * built-in profile) over an arbitrary heap image, with resynchronisation,
 * the deep free-list checks, and the analyses that read fragment contents;
 * the image's own manager or a forced one (another manager or profile). Its
 * mutator edits heap headers and free-list links where the walker finds
 * them.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/classify.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/refs.h"
#include "heapwalk/target.h"
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

/* One input opened for walking: the image as a target's memory, the pool and
 * its header. */
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

/* ---- the structure-aware mutator ---- */

#define MAX_HDRS 256

/* Where the walk found headers: what the mutator edits and points at. */
struct found {
	uint64_t addr[MAX_HDRS], user[MAX_HDRS], size[MAX_HDRS];
	size_t n;
};

static int found_cb(void *arg, const struct hw_frag *f)
{
	struct found *fd = arg;

	fd->addr[fd->n] = f->addr;
	fd->user[fd->n] = f->user;
	fd->size[fd->n] = f->size;
	return ++fd->n == MAX_HDRS;
}

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: enough to pick edits, reproducible from libFuzzer's seed */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

/*
 * The words of header @k the walkers trust: its size, and its free-list
 * links (forward, back, the trailer's back link, TLSF's physical back
 * link). Offsets from the image's start; returns how many.
 */
static size_t header_words(const struct wimg *w, const struct found *fd, size_t k, uint64_t out[4])
{
	uint64_t a = fd->addr[k] - w->base, u = fd->user[k] - w->base;
	size_t n = 0;

	switch (w->mgr) {
	case 0:
		out[n++] = a + w->qml.f_size;
		out[n++] = a + w->qml.f_u;
		out[n++] = u + fd->size[k] + w->qml.e_prev_free;
		break;
	case 1:
		out[n++] = a + w->fml.f_size;
		out[n++] = a + w->fml.f_link;
		if (w->fml.f_prev_free != w->fml.f_link)
			out[n++] = a + w->fml.f_prev_free;
		if (w->fml.f_prv_free != w->fml.f_link && w->fml.f_prv_free != w->fml.f_prev_free)
			out[n++] = a + w->fml.f_prv_free;
		break;
	default:
		out[n++] = a + w->tlsfl.h_size;
		out[n++] = a + w->tlsfl.h_next_free;
		out[n++] = a + w->tlsfl.h_prev_free;
		out[n++] = a + w->tlsfl.h_prev_phys;
		break;
	}
	return n;
}

/* A value a damaged or hostile heap might hold where a size or a link is. */
static uint64_t hostile_value(const struct wimg *w, const struct found *fd, size_t self,
			      uint64_t *rs)
{
	size_t other = (size_t)(next_rand(rs) % fd->n);

	switch (next_rand(rs) % 9) {
	case 0:
		return fd->addr[other]; /* another header */
	case 1:
		return fd->addr[self]; /* itself: a cycle */
	case 2:
		return fd->user[other] + w->t.word_size; /* the middle of a fragment */
	case 3:
		return 1ull << (30 + next_rand(rs) % 34); /* a huge size */
	case 4:
		return ~0ull - next_rand(rs) % 64;
	case 5:
		return 0;
	case 6:
		return w->base; /* the block */
	case 7:
		return fd->size[self] + w->pool.layout->roundto * (next_rand(rs) % 5);
	default:
		return w->base + w->len + next_rand(rs) % 4096; /* past the heap */
	}
}

static void put_word(uint8_t *img, uint64_t len, uint64_t off, uint64_t v, uint32_t word)
{
	if (off > len || word > len - off)
		return;
	for (uint32_t i = 0; i < word; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

/*
 * Edit a few heap headers and free-list links where the walker finds them
 * (and now and then a free-hash bucket head of the block), instead of
 * random bytes: the damage issue 20's endless walk was made of. Otherwise,
 * or when no header is found, libFuzzer's own mutations.
 */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
	uint64_t rs = (uint64_t)seed * 0x9e3779b97f4a7c15ull + 1;
	struct found fd = {.n = 0};
	struct hw_walk_opts o = {.resync = true};
	struct hw_walk_stats st;
	struct hw_check ck;
	struct wimg w;
	uint8_t *img;

	if (next_rand(&rs) % 3 == 0 || !wimg_open(&w, data, size))
		return hw_fuzz_mutate(data, size, max_size);
	hw_check_init(&ck, 1);
	hw_error_destroy(hw_alloc_walk(&w.t, &w.pool, &w.h, &o, found_cb, &fd, &ck, &st));
	hw_check_deinit(&ck);
	hw_mem_destroy(w.t.mem);
	if (!fd.n)
		return hw_fuzz_mutate(data, size, max_size);
	img = data + HW_FUZZ_HDR;
	for (unsigned e = 1 + next_rand(&rs) % 3; e; e--) {
		size_t k = (size_t)(next_rand(&rs) % fd.n);
		uint64_t words[4], off;
		size_t nw = header_words(&w, &fd, k, words);

		off = words[next_rand(&rs) % nw];
		if (w.mgr != 2 && next_rand(&rs) % 8 == 0) {
			/* the head of a bucket of the block's free hash */
			uint64_t b = next_rand(&rs);
			off = w.mgr ? w.fml.b_free_hash + b % w.fml.hash_size * w.fml.lnk_size +
					  w.fml.l_first
				    : w.qml.b_free_hash + b % w.qml.hash_size * w.qml.lnk_size +
					  w.qml.f_u;
		}
		put_word(img, w.len, off, hostile_value(&w, &fd, k, &rs), w.t.word_size);
	}
	return size;
}
