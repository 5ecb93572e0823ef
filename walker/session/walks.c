/* walks.c - the walks the live commands share: fragmentation figures, and sites. */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/diagnose.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/frag.h"
#include "heapwalk/mem.h"
#include "heapwalk/persist.h"
#include "heapwalk/session.h"
#include "heapwalk/sites.h"
#include "heapwalk/tally.h"
#include "heapwalk/target.h"
#include "internal.h"

static int count_frag(void *arg, const struct hw_frag *f)
{
	struct hw_walk_ctx *ctx = arg;

	if (ctx->pr->frag) /* NULL: no memory for the figures */
		hw_frag_stats_add(ctx->pr->frag, f);
	if (ctx->pr->tally)
		hw_tally_add(ctx->pr->tally, f);
	return 0;
}

/* A piece of a split walk: fragmentation figures (and a tally) of its own. */
struct frag_half {
	struct hw_walk_ctx base;
	struct hw_pool_report pr;
	struct hw_frag_stats fs;
	struct hw_list_tally tally;
};

static void *frag_fork(struct hw_walk_ctx *ctx)
{
	struct frag_half *h;

	if (!ctx->pr->frag)
		return NULL;
	h = hw_split_fork_alloc(sizeof(*h));
	if (!h)
		return NULL;
	h->base = *ctx;
	h->base.pr = &h->pr;
	h->pr.frag = &h->fs;
	hw_frag_stats_init_half(&h->fs);
	if (ctx->pr->tally) {
		if (!hw_tally_fork(&h->tally, ctx->pr->tally)) {
			free(h);
			return NULL;
		}
		h->pr.tally = &h->tally;
	}
	return &h->base;
}

static void frag_drop(void *half)
{
	struct frag_half *h = half;

	hw_tally_deinit(&h->tally);
	free(h);
}

static void frag_join(struct hw_walk_ctx *ctx, void *half)
{
	struct frag_half *h = half;

	hw_frag_stats_join(ctx->pr->frag, &h->fs);
	if (ctx->pr->tally)
		hw_tally_join(ctx->pr->tally, &h->tally);
	frag_drop(h);
}

static const struct hw_split_ops frag_split = {
    .fn = count_frag, .fork = frag_fork, .join = frag_join, .drop = frag_drop};

/* Fragmentation figures for every walked pool that has none yet (NULL when out of memory). */
void hw_session_frag_begin(struct hw_session *s)
{
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		if (!pr->walked || pr->frag)
			continue;
		pr->frag = malloc(sizeof(*pr->frag));
		if (pr->frag)
			hw_frag_stats_init(pr->frag);
	}
}

void hw_session_frag_end(struct hw_session *s)
{
	for (size_t i = 0; i < s->report.npools; i++)
		if (s->report.pools[i].frag)
			hw_frag_stats_finish(s->report.pools[i].frag);
}

void hw_session_walk_frag(struct hw_session *s)
{
	struct hw_walk_ctx ctx = {.s = s};

	hw_session_frag_begin(s);
	hw_session_walk_split(s, &frag_split, &ctx);
	hw_session_frag_end(s);
}

struct sites_ctx {
	struct hw_walk_ctx base;
	struct hw_error *err;
};

static int add_used(void *arg, const struct hw_frag *f)
{
	struct sites_ctx *c = arg;

	if (c->base.pr->frag)
		hw_frag_stats_add(c->base.pr->frag, f);
	if (!f->used)
		return 0;
	c->err = hw_sites_add(&c->base.pr->sites, f);
	if (!c->err && c->base.pr->stacks)
		c->err = hw_session_stack_add(c->base.s, c->base.pr, f);
	return c->err != NULL;
}

bool hw_session_walk_sites(struct hw_session *s)
{
	struct sites_ctx ctx = {.base = {.s = s}};

	ctx.err = hw_session_want_stacks(s);
	hw_session_frag_begin(s);
	hw_session_want_sizes(s);
	if (!ctx.err)
		hw_session_walk(s, add_used, &ctx.base);
	hw_session_frag_end(s);
	if (ctx.err) {
		SESSION_WARN(s, "%s", ctx.err->message);
		hw_error_destroy(ctx.err);
		return false;
	}
	for (size_t i = 0; i < s->report.npools; i++)
		if (s->report.pools[i].walked)
			hw_sites_resolve(&s->report.pools[i].sites, &s->report.strings);
	return true;
}

struct persist_ctx {
	struct hw_walk_ctx base;
	struct hw_persist_pool *pp; /* one per pool report */
	struct hw_error *err;
};

static int persist_frag(void *arg, const struct hw_frag *f)
{
	struct persist_ctx *c = arg;
	struct hw_persist_pool *pp = &c->pp[c->base.pr - c->base.s->report.pools];
	const struct hw_mem *mem = c->base.s->t->mem;
	uint8_t buf[HW_PERSIST_BYTES];
	size_t n = f->size < sizeof(buf) ? (size_t)f->size : sizeof(buf);
	const void *p;
	uint64_t id;

	if (!f->used)
		return 0;
	p = hw_mem_peek(mem, f->user, n);
	if (!p) {
		struct hw_error *err = hw_mem_read(mem, buf, f->user, n);
		if (err)
			hw_error_destroy(err);
		p = err ? NULL : buf;
	}
	id = hw_frag_identity(f->user, f->size, p, p ? n : 0);
	if (pp->record)
		hw_idset_add(pp->record, id);
	if (pp->ref && hw_idset_has(pp->ref, id))
		c->err = hw_sites_add(&pp->kept, f);
	return c->err != NULL;
}

struct hw_error *hw_session_persist(struct hw_session *s, struct hw_persist_pool *pp)
{
	struct persist_ctx ctx = {.base = {.s = s}, .pp = pp};

	for (size_t i = 0; i < s->report.npools; i++)
		hw_sites_init(&pp[i].kept);
	hw_session_walk(s, persist_frag, &ctx.base);
	for (size_t i = 0; i < s->report.npools; i++)
		hw_sites_resolve(&pp[i].kept, &s->report.strings);
	return ctx.err;
}

struct hw_error *hw_session_to_diff(const struct hw_session *s, int pid, int rank, const char *desc,
				    struct hw_diff_side *side)
{
	struct hw_error *err;

	for (size_t k = 0; k < s->report.npools; k++) {
		const struct hw_pool_report *pr = &s->report.pools[k];
		struct hw_diff_pool *dp;
		if (!pr->walked)
			continue;
		if ((err = hw_diff_side_add_pool(side, pr->pool->name, pid, rank, desc, &dp)))
			return err;
		dp->has_header = true;
		dp->size = pr->hdr.size;
		hw_pool_counters(pr, &dp->used, &dp->real_used, &dp->max_real_used);
		dp->frags = pr->walk.frags;
		dp->free_frags = pr->walk.free_frags;
		dp->sites_known = hw_pool_debug(pr->pool);
		for (size_t j = 0; j < pr->sites.cap; j++) {
			const struct hw_site *st = &pr->sites.slots[j];
			if (!st->count)
				continue;
			if ((err = hw_diff_pool_add_site(dp, st->file_s, st->func_s, st->line,
							 st->mname_s ? st->mname_s : "", st->count,
							 st->bytes)))
				return err;
		}
	}
	return NULL;
}

void hw_session_diag_input(const struct hw_pool_report *pr, const struct hw_instance *inst,
			   uint64_t request, struct hw_diag_input *din)
{
	memset(din, 0, sizeof(*din));
	din->size = pr->hdr.size;
	hw_pool_counters(pr, &din->used, &din->real_used, &din->max_real_used);
	din->no_counters = pr->hdr.no_counters;
	din->opensips = inst && inst->product == HW_PRODUCT_OPENSIPS;
	din->frag = pr->frag;
	din->roundto = hw_frag_pool_roundto(pr->pool);
	din->request = request;
	din->walk_complete = pr->walk.complete;
	din->finding_errors = pr->check.errors;
	din->shm = !strcmp(pr->pool->name, "shm");
	din->settled_kept = -1;
}
