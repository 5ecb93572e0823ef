/* refs.c - conservative scans of the saved memory for words pointing into a range. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/refs.h"
#include "heapwalk/target.h"

struct scan {
	const struct hw_target *t;
	const struct hw_refs_opts *o;
	hw_ref_fn fn;
	void *arg;
	int pool;
	bool stop;
	/* TLSF: a header's first word (prev_phys) is the last word of the block before */
	uint32_t head_skip;
	uint64_t walked_to; /* pool scan: where the last fragment ended */
};

static inline uint64_t load(const uint8_t *p, uint32_t w)
{
	if (w == 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		return le64toh(v);
	} else {
		uint32_t v;
		memcpy(&v, p, 4);
		return le32toh(v);
	}
}

/* Scan [a, b) word by word (a aligned up) with @src. */
static void scan_range(struct scan *s, uint64_t a, uint64_t b, const struct hw_ref_src *src)
{
	const uint32_t w = s->t->word_size;
	const uint64_t lo = s->o->lo, hi = s->o->hi;

	if (a % w)
		a += w - a % w;
	while (!s->stop && a < b && b - a >= w) {
		/* read in pieces that one segment serves */
		uint64_t chunk = b - a > (1u << 20) ? (1u << 20) : (b - a) / w * w;
		const uint8_t *p = hw_mem_peek(s->t->mem, a, chunk);

		if (!p) {
			/* the piece crosses the end of what is readable: word by word */
			uint8_t buf[8];
			struct hw_error *err = hw_mem_read(s->t->mem, buf, a, w);
			if (!err) {
				uint64_t v = load(buf, w);
				if (v >= lo && v < hi && s->fn(s->arg, a, v, src))
					s->stop = true;
				a += w;
			} else {
				uint64_t skip =
				    err->code == HW_ERR_FAULT && err->addr > a ? err->addr : a;
				hw_error_destroy(err);
				/* jump to the next readable segment */
				uint64_t next = 0;
				size_t n = hw_mem_segment_count(s->t->mem);
				for (size_t i = 0; i < n; i++) {
					struct hw_mem_segment_info si;
					hw_mem_segment_get(s->t->mem, i, &si);
					if (si.missing || si.start + si.len <= skip + 1 || !si.len)
						continue;
					uint64_t c = si.start > skip + 1 ? si.start : skip + w;
					if (c > a && (!next || c < next) &&
					    hw_mem_peek(s->t->mem, c, 1))
						next = c;
				}
				if (!next || next >= b)
					return;
				a = next % w ? next + (w - next % w) : next;
			}
			continue;
		}
		for (uint64_t i = 0; i < chunk; i += w) {
			uint64_t v = load(p + i, w);
			if (v >= lo && v < hi && s->fn(s->arg, a + i, v, src)) {
				s->stop = true;
				return;
			}
		}
		a += chunk;
	}
}

static int on_frag(void *arg, const struct hw_frag *f)
{
	struct scan *s = arg;
	struct hw_ref_src src = {.pool = s->pool, .frag = f};

	if (f->addr > s->walked_to && !s->o->used_payload_only) {
		/* the block header before the first fragment, or a skipped range */
		struct hw_ref_src meta = {.kind = HW_REF_META, .pool = s->pool};
		scan_range(s, s->walked_to, f->addr, &meta);
	}
	/* a TLSF payload runs one word into the next header */
	s->walked_to =
	    f->addr + f->span > f->user + f->size ? f->addr + f->span : f->user + f->size;
	if (f->used) {
		if (!s->o->used_payload_only) {
			src.kind = HW_REF_HEADER;
			scan_range(s, f->addr + s->head_skip, f->user, &src);
		}
		src.kind = HW_REF_USED;
		scan_range(s, f->user, f->user + f->size, &src);
		if (!s->o->used_payload_only) {
			src.kind = HW_REF_HEADER;
			scan_range(s, f->user + f->size, f->addr + f->span, &src);
		}
	} else if (!s->o->used_payload_only) {
		src.kind = HW_REF_FREE;
		scan_range(s, f->addr + s->head_skip, f->addr + f->span, &src);
	}
	return s->stop;
}

struct range {
	uint64_t lo, hi;
};

static int by_lo(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

struct hw_error *hw_refs_scan(const struct hw_target *t, const struct hw_refs_pool *pools,
			      size_t npools, const struct hw_refs_opts *o, hw_ref_fn fn, void *arg)
{
	struct scan s = {.t = t, .o = o, .fn = fn, .arg = arg};
	struct hw_walk_opts wo = {.resync = true};
	struct range *heaps;
	size_t nseg = hw_mem_segment_count(t->mem);
	struct hw_ref_src other = {.kind = HW_REF_OTHER, .pool = -1};

	heaps = calloc(npools ? npools : 1, sizeof(*heaps));
	if (!heaps)
		return hw_error_nomem();
	/* the pools, fragment by fragment */
	for (size_t i = 0; i < npools && !s.stop; i++) {
		struct hw_check ck;
		struct hw_walk_stats st;
		struct hw_error *err;
		uint64_t end = hw_pool_heap_end(pools[i].pool, pools[i].hdr);

		heaps[i].lo = pools[i].hdr->block;
		heaps[i].hi = end > heaps[i].lo ? end : heaps[i].lo;
		s.pool = (int)i;
		s.walked_to = pools[i].hdr->block;
		s.head_skip = pools[i].pool->alloc->tail_back_link ? t->word_size : 0;
		hw_check_init(&ck, 0);
		err = hw_alloc_walk(t, pools[i].pool, pools[i].hdr, &wo, on_frag, &s, &ck, &st);
		hw_check_deinit(&ck);
		if (err) {
			free(heaps);
			return err;
		}
		if (!o->used_payload_only && !s.stop && s.walked_to < heaps[i].hi) {
			struct hw_ref_src meta = {.kind = HW_REF_META, .pool = (int)i};
			scan_range(&s, s.walked_to, heaps[i].hi, &meta);
		}
	}
	qsort(heaps, npools, sizeof(*heaps), by_lo);
	/* everything else the core saved, the pools cut out */
	for (size_t i = 0; i < nseg && !s.stop; i++) {
		struct hw_mem_segment_info si;
		uint64_t a, b;

		hw_mem_segment_get(t->mem, i, &si);
		if (si.missing || si.layer != HW_MEM_LAYER_CORE || !si.len)
			continue;
		a = si.start;
		b = si.start + si.len;
		for (size_t k = 0; k < npools && a < b; k++) {
			if (heaps[k].hi <= a || heaps[k].lo >= b)
				continue;
			if (heaps[k].lo > a)
				scan_range(&s, a, heaps[k].lo, &other);
			a = heaps[k].hi;
		}
		if (a < b)
			scan_range(&s, a, b, &other);
	}
	free(heaps);
	return NULL;
}
