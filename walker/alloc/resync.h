/*
 * resync.h - internal to walker/alloc: what the three walkers share to
 * resynchronise after damage (scan for the next plausible header) and to
 * detect free-list cycles at once. Not a public interface.
 */
#ifndef HEAPWALK_ALLOC_RESYNC_H
#define HEAPWALK_ALLOC_RESYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "heapwalk/alloc.h"

struct hw_target;
struct hw_check;
struct hw_walk_opts;
struct hw_walk_stats;

/* Whether a plausible fragment header starts at @a (reads only through the target). */
typedef bool (*hw_plausible_fn)(void *ctx, uint64_t a);

/*
 * What a walker's probe starts with: @at says whether a plausible header
 * starts at @a and the @depth headers after it are plausible too.
 * hw_probe_plausible is the hw_plausible_fn of any such probe, at its
 * @depth. For hw_walk_resync: headers lie on @origin's grid of @step
 * bytes, need @need readable bytes and are called @what in findings.
 */
struct hw_probe {
	bool (*at)(const void *probe, uint64_t a, int depth);
	int depth;
	uint64_t origin, step;
	uint32_t need;
	const char *what;
};
bool hw_probe_plausible(void *ctx, uint64_t a);

/*
 * The first address in (@from, @end) that lies on @origin's grid of @step
 * bytes and where @ok holds; unreadable ranges are jumped over. Returns
 * @end when there is none. Bounded by (@end - @from) / @step candidates.
 */
uint64_t hw_resync_scan(const struct hw_target *t, uint64_t origin, uint64_t from, uint64_t end,
			uint64_t step, uint32_t need, hw_plausible_fn ok, void *ctx);

/*
 * Scan from the damaged header at @from and account for the gap: a finding
 * that names the skipped range, the gap callback, the stats. Returns where
 * the walk goes on (@end if nothing plausible is left).
 */
uint64_t hw_resync_gap(const struct hw_target *t, const struct hw_walk_opts *o, struct hw_check *ck,
		       struct hw_walk_stats *st, uint64_t index, uint64_t origin, uint64_t from,
		       uint64_t end, uint64_t step, uint32_t need, hw_plausible_fn ok, void *ctx,
		       const char *what);

/*
 * A walk met damage at *@addr (step @index). Unless @o asks to
 * resynchronise the walk ends there: false. Otherwise the gap up to the
 * next header @p finds plausible before @end is accounted for
 * (hw_resync_gap) and *@addr moves past it. Inline, so that the walk's
 * address stays in a register.
 */
static inline bool hw_walk_resync(const struct hw_target *t, const struct hw_walk_opts *o,
				  struct hw_check *ck, struct hw_walk_stats *st, uint64_t index,
				  uint64_t *addr, uint64_t end, struct hw_probe *p)
{
	if (!o || !o->resync)
		return false;
	*addr = hw_resync_gap(t, o, ck, st, index, p->origin, *addr, end, p->step, p->need,
			      hw_probe_plausible, p, p->what);
	return true;
}

/*
 * Brent's cycle detection for a list followed one element at a time: call
 * with each element's address in order; true when @a was seen before (the
 * list runs in a cycle). O(1) memory, finds a cycle within twice its
 * length past its entry.
 */
struct hw_cycle {
	uint64_t saved, power, lam;
	bool have;
};
void hw_cycle_init(struct hw_cycle *c);
bool hw_cycle_step(struct hw_cycle *c, uint64_t a);

/*
 * Once a cycle is known: follow the list from @first again (at most
 * @limit steps, @next reads an element's link; false when it cannot) and
 * find the element whose link closes the cycle (*closer), the element it
 * links back to (*entry) and the cycle's length. False if the list cannot
 * be followed that far.
 */
bool hw_cycle_locate(uint64_t first, bool (*next)(void *ctx, uint64_t a, uint64_t *ret), void *ctx,
		     uint64_t limit, uint64_t *closer, uint64_t *entry, uint64_t *len);

/* Readable bytes of the target, little-endian word of @w bytes at @a. */
bool hw_resync_word(const struct hw_target *t, uint64_t a, uint32_t w, uint64_t *ret);

#endif
