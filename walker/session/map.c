/* map.c - the walk behind map and report: heap maps, fragmentation figures, and optionally the
 * sites, of every pool. */
#include <stdlib.h>

#include "heapwalk/error.h"
#include "heapwalk/frag.h"
#include "heapwalk/heapmap.h"
#include "heapwalk/session.h"
#include "internal.h"

struct map_ctx {
	struct hw_walk_ctx base;
	bool sites;
	struct hw_error *err;
};

static int feed(void *arg, const struct hw_frag *f)
{
	struct map_ctx *c = arg;
	struct hw_pool_report *pr = c->base.pr;

	if (pr->map)
		hw_heapmap_add(pr->map, f, f->span ? f->span : f->size);
	if (pr->frag)
		hw_frag_stats_add(pr->frag, f);
	if (c->sites && f->used) {
		c->err = hw_sites_add(&pr->sites, f);
		if (c->err)
			return 1;
	}
	return 0;
}

struct hw_error *hw_session_walk_map(struct hw_session *s, uint32_t pkg_cells, uint32_t shm_cells,
				     bool sites, uint64_t top)
{
	struct map_ctx ctx = {.base = {.s = s}, .sites = sites};

	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		uint64_t end = pr->hdr.block + pr->hdr.size;
		struct hw_error *err;
		if (!pr->walked || pr->map)
			continue;
		pr->map = calloc(1, sizeof(*pr->map));
		if (!pr->map)
			return hw_error_create(HW_ERR_NOMEM, "out of memory");
		err = hw_heapmap_init(pr->map, pr->hdr.first_frag, end,
				      pr->pool->kind == HW_POOL_SHM ? shm_cells : pkg_cells, 128,
				      hw_pool_debug(pr->pool), &s->report.strings);
		if (err) {
			SESSION_WARN(s, "%s pool: %s", pr->pool->name, err->message);
			hw_error_destroy(err);
			free(pr->map);
			pr->map = NULL;
		}
	}
	hw_session_frag_begin(s); /* the figures behind report's verdicts */
	hw_session_walk(s, feed, &ctx.base);
	hw_session_frag_end(s);
	if (ctx.err)
		return ctx.err;
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err;
		if (!pr->walked)
			continue;
		if (pr->map && !pr->walk.complete)
			hw_heapmap_damaged(pr->map, pr->walk.end);
		if (!sites)
			continue;
		hw_sites_resolve(&pr->sites, &s->report.strings);
		free(pr->rows);
		pr->rows = NULL;
		err = hw_sites_sorted(&pr->sites, HW_ORDER_BYTES, &pr->rows, &pr->nrows);
		if (err)
			return err;
		if (top && pr->nrows > top)
			pr->nrows = top;
	}
	return NULL;
}
