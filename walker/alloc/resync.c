/* resync.c - resynchronising a walk after damage, and free-list cycle detection. */
#include <inttypes.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"
#include "resync.h"
#include "walk.h"

bool hw_resync_word(const struct hw_target *t, uint64_t a, uint32_t w, uint64_t *ret)
{
	uint8_t b[8];
	const uint8_t *p = hw_mem_peek(t->mem, a, w);

	if (!p) {
		struct hw_error *err = hw_mem_read(t->mem, b, a, w);
		if (err) {
			hw_error_destroy(err);
			return false;
		}
		p = b;
	}
	*ret = hw_field(p, 0, w);
	return true;
}

bool hw_probe_plausible(void *ctx, uint64_t a)
{
	const struct hw_probe *p = ctx;

	return p->at(p, a, p->depth);
}

/* The lowest readable address at or after @a, or 0 if none. */
static uint64_t next_readable(const struct hw_mem *mem, uint64_t a)
{
	size_t n = hw_mem_segment_count(mem);
	uint64_t best = 0;

	for (size_t i = 0; i < n; i++) {
		struct hw_mem_segment_info si;
		uint64_t c;

		hw_mem_segment_get(mem, i, &si);
		if (si.missing || si.len == 0 || si.start + si.len <= a)
			continue;
		c = si.start > a ? si.start : a;
		if (!hw_mem_peek(mem, c, 1))
			continue; /* covered by a missing range of a lower layer */
		if (!best || c < best)
			best = c;
	}
	return best;
}

uint64_t hw_resync_scan(const struct hw_target *t, uint64_t origin, uint64_t from, uint64_t end,
			uint64_t step, uint32_t need, hw_plausible_fn ok, void *ctx)
{
	uint64_t a;

	if (step == 0)
		step = 1;
	if (from < origin || from >= end)
		return end;
	/* the next grid point after @from */
	a = from + (step - (from - origin) % step);
	while (a < end && end - a >= need) {
		if (!hw_mem_peek(t->mem, a, 1)) {
			uint64_t r = next_readable(t->mem, a);
			if (!r || r >= end)
				return end;
			if (r > a) {
				uint64_t m = (r - origin) % step;
				a = m ? r + (step - m) : r;
				continue;
			}
		}
		if (ok(ctx, a))
			return a;
		a += step;
	}
	return end;
}

uint64_t hw_resync_gap(const struct hw_target *t, const struct hw_walk_opts *o, struct hw_check *ck,
		       struct hw_walk_stats *st, uint64_t index, uint64_t origin, uint64_t from,
		       uint64_t end, uint64_t step, uint32_t need, hw_plausible_fn ok, void *ctx,
		       const char *what)
{
	uint64_t to = hw_resync_scan(t, origin, from, end, step, need, ok, ctx);

	st->gaps++;
	st->gap_bytes += to - from;
	if (to < end)
		hw_check_add(ck, HW_SEV_WARNING, from, index,
			     "skipped 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " bytes) after the "
			     "damage: resynchronised on a plausible %s at 0x%" PRIx64
			     "; fragment indices after this gap are relative",
			     from, to, to - from, what, to);
	else
		hw_check_add(ck, HW_SEV_WARNING, from, index,
			     "skipped 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " bytes) after the "
			     "damage: no plausible %s up to the end of the heap",
			     from, to, to - from, what);
	if (o && o->gap)
		o->gap(o->gap_arg, from, to);
	return to;
}

void hw_cycle_init(struct hw_cycle *c)
{
	memset(c, 0, sizeof(*c));
}

bool hw_cycle_step(struct hw_cycle *c, uint64_t a)
{
	if (c->have && a == c->saved)
		return true;
	if (!c->have || ++c->lam == c->power) {
		c->power = c->have ? c->power * 2 : 1;
		c->saved = a;
		c->have = true;
		c->lam = 0;
	}
	return false;
}

bool hw_cycle_locate(uint64_t first, bool (*next)(void *ctx, uint64_t a, uint64_t *ret), void *ctx,
		     uint64_t limit, uint64_t *closer, uint64_t *entry, uint64_t *len)
{
	uint64_t power = 1, lam = 1, tortoise = first, hare, prev, steps = 0;

	/* Brent: the cycle's length */
	if (!next(ctx, first, &hare))
		return false;
	while (tortoise != hare) {
		if (++steps > limit)
			return false;
		if (power == lam) {
			tortoise = hare;
			power *= 2;
			lam = 0;
		}
		if (!next(ctx, hare, &hare))
			return false;
		lam++;
	}
	/* the entry: two pointers lam apart meet there; the one behind links back to it */
	tortoise = hare = prev = first;
	for (uint64_t i = 0; i < lam; i++) {
		prev = hare;
		if (!next(ctx, hare, &hare))
			return false;
	}
	for (steps = 0; tortoise != hare; steps++) {
		if (steps > limit || !next(ctx, tortoise, &tortoise))
			return false;
		prev = hare;
		if (!next(ctx, hare, &hare))
			return false;
	}
	*closer = prev;
	*entry = hare;
	*len = lam;
	return true;
}
