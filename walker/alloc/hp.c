/*
 * hp.c - the walker of OpenSIPS's hp_malloc: fragments in address order
 * up to the sentinel, free state from prev, the free lists of the
 * HP_HASH_SIZE buckets and of the extra buckets optimized sizes spread over.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"
#include "ops.h"
#include "walk.h"

/* Buckets read at once while looking for non-empty lists. */
#define BUCKET_CHUNK 1024u

struct hw_error *hw_hp_read_header(const struct hw_target *t, const struct hw_hp_layout *l,
				   uint64_t block, struct hw_heap_header *ret)
{
	const struct hw_block_fields f = {
	    .type = HW_NO_OFF,
	    .size = l->b_size,
	    .used = l->b_used,
	    .real_used = l->b_real_used,
	    .max_real_used = l->b_max_real_used,
	    .ffrags = HW_NO_OFF,
	    .max_frags = HW_NO_OFF,
	    .first_frag = l->b_first_frag,
	    .last_frag_end = l->b_last_frag,
	};

	struct hw_heap_header hh;
	struct hw_error *err =
	    hw_read_block_header(t, block, l->b_free_hash, l->word, &f, "hp_block", &hh);

	if (err)
		return err;
	err = hw_target_read_word(t, block + l->b_frags, &hh.total_frags);
	if (err)
		return hw_error_context(err, "cannot read 'hp_block' at 0x%" PRIx64, block);
	hh.loose_counters = true;
	*ret = hh;
	return NULL;
}

/* The heap's fragments lie in [first_frag, last_frag), the sentinel ends the block. */
static bool heap_bounds(const struct hw_hp_layout *l, const struct hw_heap_header *h,
			struct hw_check *ck)
{
	uint64_t e;

	if (__builtin_add_overflow(h->block, h->size, &e) || h->first_frag < h->block ||
	    h->last_frag_end < h->first_frag || h->last_frag_end > e ||
	    e - h->last_frag_end < l->frag_size) {
		hw_check_add(ck, HW_SEV_ERROR, h->block, HW_NO_INDEX,
			     "block header is implausible: size %" PRIu64 ", first_frag 0x%" PRIx64
			     ", last_frag 0x%" PRIx64,
			     h->size, h->first_frag, h->last_frag_end);
		return false;
	}
	if (h->first_frag - h->block != l->first_off)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "first_frag is block+%" PRIu64 ", the layout expects block+%u",
			     h->first_frag - h->block, l->first_off);
	return true;
}

struct hw_error *hw_hp_walk_opts(const struct hw_target *t, const struct hw_hp_layout *l,
				 const struct hw_heap_header *h, const struct hw_walk_opts *o,
				 hw_frag_fn fn, void *arg, struct hw_check *ck,
				 struct hw_walk_stats *ret)
{
	const uint32_t hs = l->frag_size, w = l->word;
	/* sizes step by ROUNDTO, but a header that is not a multiple of it (2.4 on ILP32: 12
	 * bytes) leaves split remainders on its own grain */
	const uint64_t grain = hw_gcd(l->roundto, hs);
	uint8_t buf[256];
	struct hw_walk_stats st;
	uint64_t addr, end, limit;
	struct hw_error *err;

	if (hs > sizeof(buf) || hs == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "hp_malloc fragment header of %u bytes",
				       hs);
	if (o && (o->from || o->meet))
		return hw_error_create(HW_ERR_UNSUPPORTED, "no split walk for hp_malloc");
	memset(&st, 0, sizeof(st));
	st.end = h->first_frag;
	if (!heap_bounds(l, h, ck)) {
		*ret = st;
		return NULL;
	}
	addr = h->first_frag;
	end = h->last_frag_end;
	limit = (end - addr) / hs + 1;
	hw_mem_advise_sequential(t->mem, addr, end - addr);
	for (uint64_t i = 0; addr < end; i++) {
		const uint8_t *hp;
		struct hw_frag f;
		uint64_t size;

		if (hw_walk_exceeded(ck, addr, i, limit, "fragments") ||
		    hw_walk_short(ck, addr, end, i, hs))
			break;
		hp = hw_view(t, addr, hs, buf, &err);
		if (!hp) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i, "fragment header: %s",
				     err->message);
			hw_error_destroy(err);
			break;
		}
		size = hw_field(hp, l->f_size, w);
		if (size % grain || size > end - addr - hs) {
			hw_check_add(ck, HW_SEV_ERROR, addr, i, "fragment size %" PRIu64 " %s",
				     size,
				     size % grain ? "is not a multiple of the allocator's grain"
						  : "runs past the sentinel");
			break;
		}
		memset(&f, 0, sizeof(f));
		f.index = i;
		f.addr = addr;
		f.user = addr + hs;
		f.size = size;
		f.span = hs + size;
		f.used = hw_field(hp, l->f_prev, w) == 0;
		f.free_link = f.used ? 0 : hw_field(hp, l->f_nxt_free, w);
		f.file = hw_field(hp, l->f_file, w);
		f.func = hw_field(hp, l->f_func, w);
		f.line = hw_field(hp, l->f_line, w);
		addr += hs + size;
		if (hw_walk_emit(&st, &f, fn, arg))
			break;
	}
	st.end = addr;
	st.complete = addr == end && !st.stopped;
	if (st.complete) {
		const uint8_t *sp = hw_view(t, end, hs, buf, &err);
		if (!sp) {
			hw_check_add(ck, HW_SEV_WARNING, end, HW_NO_INDEX, "sentinel: %s",
				     err->message);
			hw_error_destroy(err);
		} else if (hw_field(sp, l->f_size, w) != 0) {
			hw_check_add(ck, HW_SEV_ERROR, end, HW_NO_INDEX,
				     "the sentinel's size is %" PRIu64 ", not 0",
				     hw_field(sp, l->f_size, w));
		}
	}
	/* hp_malloc does not keep its block's counters consistent: nothing to compare */
	*ret = st;
	return NULL;
}

/* The primary bucket an extra bucket @b belongs to; @secondary 0: unknown. */
static uint64_t primary_of(const struct hw_hp_layout *l, uint64_t b, uint64_t secondary)
{
	if (b < l->hash_size)
		return b;
	return secondary ? (b - l->hash_size) / secondary : UINT64_MAX;
}

/* Follow bucket @b's list from @first; *budget bounds every list together. */
static void follow(const struct hw_target *t, const struct hw_hp_layout *l,
		   const struct hw_heap_header *h, const struct hw_walk_opts *o, uint64_t b,
		   uint64_t head, uint64_t first, uint64_t secondary, uint64_t *budget,
		   struct hw_free_bucket *bk, struct hw_check *ck)
{
	const uint32_t w = l->word;
	uint64_t cur = first, link = head, want = primary_of(l, b, secondary);
	uint8_t buf[256];

	while (cur) {
		const uint8_t *p;
		struct hw_error *err;
		uint64_t size, back;

		if (!(*budget)--) {
			hw_check_add(ck, HW_SEV_ERROR, head, HW_NO_INDEX,
				     "free bucket %" PRIu64 " is longer than the heap allows (a "
				     "cycle?)",
				     b);
			return;
		}
		if (cur < h->first_frag || cur >= h->last_frag_end ||
		    (cur - h->first_frag) % hw_gcd(l->roundto, l->frag_size)) {
			hw_bucket_outside(ck, link, b, cur);
			return;
		}
		p = hw_view(t, cur, l->frag_size, buf, &err);
		if (!p) {
			hw_bucket_error(ck, cur, b, err);
			return;
		}
		size = hw_field(p, l->f_size, w);
		back = hw_field(p, l->f_prev, w);
		if (back != link) {
			hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
				     "free bucket %" PRIu64 ": prev 0x%" PRIx64
				     ", expected 0x%" PRIx64 " (the link that points here)",
				     b, back, link);
			return;
		}
		if (want != UINT64_MAX && hw_hp_hash(l, size) != want)
			hw_bucket_misplaced(ck, cur, size, b, hw_hp_hash(l, size));
		if (o && o->elem)
			o->elem(o->elem_arg, b, cur, size);
		if (!bk->count)
			bk->first_size = size;
		bk->count++;
		bk->bytes += size;
		link = cur + l->f_nxt_free;
		cur = hw_field(p, l->f_nxt_free, w);
	}
}

struct hw_error *hw_hp_walk_free_opts(const struct hw_target *t, const struct hw_hp_layout *l,
				      const struct hw_heap_header *h, const struct hw_walk_opts *o,
				      hw_bucket_fn fn, void *arg, struct hw_check *ck)
{
	const uint64_t nb = (uint64_t)l->hash_size + l->extra_hash_size;
	uint64_t budget, secondary = 0, sym;
	uint32_t sec32;
	uint8_t *chunk;
	struct hw_error *err;

	if (h->last_frag_end <= h->first_frag || !l->lnk_size || l->lnk_size > 64)
		return NULL;
	budget = (h->last_frag_end - h->first_frag) / l->frag_size + 1;
	/* shm_secondary_hash_size: how many extra buckets each optimized size has */
	err = hw_target_symbol(t, "shm_secondary_hash_size", &sym, NULL);
	if (!err)
		err = hw_target_read_u32(t, sym, &sec32);
	if (!err && sec32 > 0 && (uint64_t)sec32 * (l->optimize / l->roundto) <= l->extra_hash_size)
		secondary = sec32;
	hw_error_destroy(err);
	chunk = malloc((size_t)BUCKET_CHUNK * l->lnk_size);
	if (!chunk)
		return hw_error_create(HW_ERR_NOMEM, "out of memory");
	for (uint64_t b0 = 0; b0 < nb; b0 += BUCKET_CHUNK) {
		uint64_t n = nb - b0 < BUCKET_CHUNK ? nb - b0 : BUCKET_CHUNK;
		uint64_t at = h->block + l->b_free_hash + b0 * l->lnk_size;
		err = hw_mem_read(t->mem, chunk, at, n * l->lnk_size);
		if (err) {
			hw_bucket_error(ck, at, b0, err);
			break;
		}
		for (uint64_t k = 0; k < n; k++) {
			const uint8_t *e = chunk + k * l->lnk_size;
			uint64_t first = hw_field(e, l->l_first, l->word);
			struct hw_free_bucket bk;
			if (!first)
				continue;
			memset(&bk, 0, sizeof(bk));
			bk.index = b0 + k;
			follow(t, l, h, o, b0 + k, at + k * l->lnk_size + l->l_first, first,
			       secondary, &budget, &bk, ck);
			bk.no = l->l_no != HW_NO_OFF ? hw_field(e, l->l_no, l->word) : bk.count;
			if (bk.count && fn && fn(arg, &bk))
				break;
		}
	}
	free(chunk);
	return NULL;
}
