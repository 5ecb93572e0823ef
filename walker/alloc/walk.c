/* walk.c - what the walkers share: block headers, counters and free-list findings. */
#include <inttypes.h>
#include <stdio.h>

#include "heapwalk/check.h"
#include "resync.h"
#include "walk.h"

uint64_t hw_gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t r = a % b;
		a = b;
		b = r;
	}
	return a ? a : 1;
}

struct hw_error *hw_read_block_header(const struct hw_target *t, uint64_t block, uint32_t need,
				      uint32_t word, const struct hw_block_fields *f,
				      const char *what, struct hw_heap_header *ret)
{
	uint8_t buf[256];
	struct hw_heap_header h;
	struct hw_error *err;

	if (need > sizeof(buf))
		return hw_error_create(HW_ERR_INVALID_ARG, "%s of %u bytes", what, need);
	err = hw_mem_read(t->mem, buf, block, need);
	if (err)
		return hw_error_context(err, "cannot read '%s' at 0x%" PRIx64, what, block);
	memset(&h, 0, sizeof(h));
	h.block = block;
	h.has_type = f->type != HW_NO_OFF;
	h.type = hw_field(buf, f->type, 4);
	h.size = hw_field(buf, f->size, word);
	h.no_counters = f->used == HW_NO_OFF;
	h.used = hw_field(buf, f->used, word);
	h.real_used = hw_field(buf, f->real_used, word);
	h.max_real_used = hw_field(buf, f->max_real_used, word);
	h.has_ffrags = f->ffrags != HW_NO_OFF;
	h.ffrags = hw_field(buf, f->ffrags, word);
	h.has_max_frags = f->max_frags != HW_NO_OFF;
	h.max_frags = hw_field(buf, f->max_frags, word);
	h.first_frag = hw_field(buf, f->first_frag, word);
	h.last_frag_end = hw_field(buf, f->last_frag_end, word);
	*ret = h;
	return NULL;
}

void hw_check_free_count(const struct hw_heap_header *h, const struct hw_walk_stats *st,
			 const char *owner, struct hw_check *ck)
{
	if (h->has_ffrags && h->ffrags != st->free_frags)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "the %s counts %" PRIu64 " free fragments, the walk found %" PRIu64,
			     owner, h->ffrags, st->free_frags);
}

void hw_check_bytes(const struct hw_heap_header *h, const struct hw_walk_stats *st, uint64_t want,
		    const char *owner, const char *counter, const char *held, struct hw_check *ck)
{
	if (h->used != st->used_bytes)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "bookkeeping delta: the %s counts %" PRIu64
			     " bytes %s, the %s hold %" PRIu64,
			     owner, h->used, counter, held, st->used_bytes);
	if (h->real_used != want)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "bookkeeping delta: used+overhead is %" PRIu64
			     ", the %s account for %" PRIu64,
			     h->real_used, held, want);
}

struct link_reader {
	const struct hw_target *t;
	uint32_t off, w;
};

static bool read_link(void *ctx, uint64_t a, uint64_t *ret)
{
	const struct link_reader *r = ctx;

	return hw_resync_word(r->t, a + r->off, r->w, ret);
}

void hw_report_cycle(const struct hw_target *t, struct hw_check *ck, const char *list,
		     uint64_t first, uint32_t link_off, uint32_t w, uint64_t limit, uint64_t cur,
		     uint64_t count)
{
	struct link_reader rd = {t, link_off, w};
	uint64_t closer, entry, len;

	if (hw_cycle_locate(first, read_link, &rd, limit, &closer, &entry, &len))
		hw_check_add(ck, HW_SEV_ERROR, closer, HW_NO_INDEX,
			     "%s runs in a cycle: 0x%" PRIx64 " links back to 0x%" PRIx64
			     ", already on the list (a cycle of %" PRIu64 ")",
			     list, closer, entry, len);
	else
		hw_check_add(ck, HW_SEV_ERROR, cur, HW_NO_INDEX,
			     "%s runs in a cycle: 0x%" PRIx64 " comes round again after %" PRIu64
			     " elements",
			     list, cur, count);
}

void hw_bucket_cycle(const struct hw_target *t, struct hw_check *ck, uint64_t b, uint64_t first,
		     uint32_t link_off, uint32_t w, uint64_t limit, uint64_t cur, uint64_t count)
{
	char list[48];

	snprintf(list, sizeof(list), "free bucket %" PRIu64, b);
	hw_report_cycle(t, ck, list, first, link_off, w, limit, cur, count);
}

void hw_bucket_error(struct hw_check *ck, uint64_t addr, uint64_t b, struct hw_error *err)
{
	hw_check_add(ck, HW_SEV_ERROR, addr, HW_NO_INDEX, "free bucket %" PRIu64 ": %s", b,
		     err->message);
	hw_error_destroy(err);
}

bool hw_bucket_begin(const struct hw_target *t, struct hw_check *ck, uint64_t head,
		     uint32_t first_off, uint32_t no_off, uint64_t b, struct hw_free_bucket *bk,
		     uint64_t *first)
{
	uint64_t no = 0;
	struct hw_error *err;

	memset(bk, 0, sizeof(*bk));
	bk->index = b;
	err = hw_target_read_word(t, head + first_off, first);
	if (!err)
		err = hw_target_read_word(t, head + no_off, &no);
	if (err) {
		hw_bucket_error(ck, head, b, err);
		return false;
	}
	bk->no = no;
	return true;
}

void hw_bucket_outside(struct hw_check *ck, uint64_t at, uint64_t b, uint64_t cur)
{
	hw_check_add(ck, HW_SEV_ERROR, at, HW_NO_INDEX,
		     "free bucket %" PRIu64 " links to 0x%" PRIx64 ", outside the heap", b, cur);
}

void hw_bucket_misplaced(struct hw_check *ck, uint64_t addr, uint64_t size, uint64_t b,
			 uint64_t want)
{
	hw_check_add(ck, HW_SEV_ERROR, addr, HW_NO_INDEX,
		     "free fragment of %" PRIu64 " bytes listed in bucket %" PRIu64
		     ", it belongs in %" PRIu64,
		     size, b, want);
}

void hw_check_bucket_count(struct hw_check *ck, uint64_t head, const struct hw_free_bucket *bk)
{
	if (bk->count != bk->no)
		hw_check_add(ck, HW_SEV_WARNING, head, HW_NO_INDEX,
			     "free bucket %" PRIu64 " lists %" PRIu64
			     " fragments, its counter says %" PRIu64,
			     bk->index, bk->count, bk->no);
}

void hw_check_bucket_sum(const struct hw_heap_header *h, uint64_t sum_no, struct hw_check *ck)
{
	if (h->has_ffrags && sum_no != h->ffrags)
		hw_check_add(ck, HW_SEV_WARNING, h->block, HW_NO_INDEX,
			     "the bucket counters add up to %" PRIu64 ", ffrags says %" PRIu64,
			     sum_no, h->ffrags);
}

struct lanes_run {
	const struct hw_lanes_ops *ops;
	void *ctx;
	uint64_t nb, next, active, limit;
	uint64_t budget; /* steps left for every list together: a bounded pass */
	struct hw_free_bucket *res;
	bool *ok;
	struct hw_addr_sum *sums;
};

static void lanes_end(struct lanes_run *r, struct hw_lane *ln, bool ok)
{
	r->ok[ln->b] = ok;
	ln->busy = false;
	r->active--;
}

/* Refill @ln with the next bucket if it is idle, then follow one element of its list. */
static void lanes_step(struct lanes_run *r, struct hw_lane *ln)
{
	struct hw_free_bucket *bk;
	uint64_t size, next, stop;
	const uint8_t *p;

	while (!ln->busy && r->next < r->nb && r->budget) {
		uint64_t b = r->next++, first;
		if (r->ok[b])
			continue; /* accounted for already (a walk's tally) */
		bk = &r->res[b];
		if (!r->ops->begin(r->ctx, b, bk, &first))
			continue;
		if (first == r->ops->end_of(r->ctx, b)) {
			r->ok[b] = true;
			continue;
		}
		memset(ln, 0, sizeof(*ln));
		ln->b = b;
		ln->cur = first;
		ln->busy = true;
		hw_cycle_init(&ln->cyc);
		r->active++;
	}
	if (!ln->busy)
		return;
	bk = &r->res[ln->b];
	if (!r->budget || bk->count >= r->limit || hw_cycle_step(&ln->cyc, ln->cur) ||
	    !r->ops->elem(r->ctx, ln, bk, &size, &next)) {
		lanes_end(r, ln, false);
		return;
	}
	r->budget--;
	if (bk->count == 0)
		bk->first_size = size;
	bk->count++;
	bk->bytes += size;
	if (r->sums)
		hw_addr_sum_add(&r->sums[ln->b], ln->cur);
	ln->prev = ln->cur;
	ln->prev_size = size;
	ln->cur = next;
	stop = r->ops->end_of(r->ctx, ln->b);
	if (next == stop)
		lanes_end(r, ln, true);
	else if ((p = r->ops->where(r->ctx, next)))
		__builtin_prefetch(p);
}

void hw_elem_sum(void *arg, uint64_t bucket, uint64_t addr, uint64_t size)
{
	(void)bucket;
	(void)size;
	hw_addr_sum_add(arg, addr);
}

const struct hw_walk_opts *hw_walk_opts_summing(const struct hw_walk_opts *o,
						struct hw_walk_opts *tmp)
{
	if (!o || !o->elem_sum)
		return o;
	*tmp = *o;
	tmp->elem = hw_elem_sum;
	tmp->elem_arg = o->elem_sum;
	return tmp;
}

void hw_lanes_run(const struct hw_lanes_ops *ops, void *ctx, uint64_t nb, uint64_t limit,
		  struct hw_free_bucket *res, bool *ok, struct hw_addr_sum *sums)
{
	struct lanes_run r = {.ops = ops,
			      .ctx = ctx,
			      .nb = nb,
			      .limit = limit,
			      .budget = limit,
			      .res = res,
			      .ok = ok,
			      .sums = sums};
	struct hw_lane lane[HW_LANES];

	memset(lane, 0, sizeof(lane));
	while (r.active || (r.next < r.nb && r.budget))
		for (int i = 0; i < HW_LANES; i++)
			lanes_step(&r, &lane[i]);
}
