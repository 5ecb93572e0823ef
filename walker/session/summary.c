/* summary.c - the used fragments of every prepared pool by site, and (--classify) what they hold.
 */
#include <stdlib.h>

#include "heapwalk/classify.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/session.h"
#include "internal.h"

struct summary_ctx {
	struct hw_walk_ctx base;
	struct hw_error *err; /* first failure to count (out of memory) */
};

static int add_used(void *arg, const struct hw_frag *f)
{
	struct summary_ctx *c = arg;
	struct hw_pool_report *pr = c->base.pr;
	struct hw_error *err;

	if (!f->used)
		return 0;
	/* c->err written only when there is one: the contexts of a split walk's threads may share
	 * a cache line */
	err = hw_sites_add(&pr->sites, f);
	/* --classify: what the fragment holds, counted under its site */
	if (!err && pr->classify)
		err = hw_classify_add(pr->classify, c->base.s->t, f);
	/* --by stack: the fragment's stored stack, counted under its key frame */
	if (!err && pr->stacks)
		err = hw_session_stack_add(c->base.s, pr, f);
	if (!err)
		return 0;
	c->err = err;
	return 1;
}

/* A split walk thread's own sites (the pool report is only a holder for them). */
struct summary_half {
	struct summary_ctx c;
	struct hw_pool_report pr;
};

static void *summary_fork(struct hw_walk_ctx *ctx)
{
	struct summary_half *h;

	if (ctx->pr->classify || ctx->pr->stacks) /* --classify, --by stack: one thread */
		return NULL;
	h = hw_split_fork_alloc(sizeof(*h));
	if (!h)
		return NULL;
	h->c.base = *ctx;
	h->c.base.pr = &h->pr;
	hw_sites_init(&h->pr.sites);
	h->pr.sites.sizes = ctx->pr->sites.sizes;
	return &h->c;
}

static void summary_drop(void *half)
{
	struct summary_half *h = half;

	hw_error_destroy(h->c.err);
	hw_sites_deinit(&h->pr.sites);
	free(h);
}

static void summary_join(struct hw_walk_ctx *ctx, void *half)
{
	struct summary_ctx *c = (struct summary_ctx *)ctx;
	struct summary_half *h = half;

	if (!c->err) {
		c->err = h->c.err;
		h->c.err = NULL;
	}
	if (!c->err)
		c->err = hw_sites_merge(&ctx->pr->sites, &h->pr.sites);
	summary_drop(h);
}

static const struct hw_split_ops summary_split = {.fn = add_used,
						  .fork = summary_fork,
						  .join = summary_join,
						  .drop = summary_drop,
						  .any_order = true};

struct hw_error *hw_session_want_stacks(struct hw_session *s)
{
	struct hw_error *err;

	for (size_t i = 0; s->by == HW_BY_STACK && i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		if (!pr->walked || pr->stacks)
			continue;
		if ((err = hw_stack_groups_create(&pr->stacks)))
			return err;
		if (!hw_session_pool_has_stacks(pr) && s->warn)
			s->warn("%s pool: this build stores no stacks (%s): all is under "
				"\"(no stored stack)\"",
				pr->pool->name,
				s->inst.product == HW_PRODUCT_OPENSIPS
				    ? "OpenSIPS's allocators keep none"
				    : "Kamailio master built with MEMDBG_BACKTRACE=1 does");
	}
	return NULL;
}

struct hw_error *hw_session_stack_add(struct hw_session *s, struct hw_pool_report *pr,
				      const struct hw_frag *f)
{
	hw_session_frag_stack(s, pr, f);
	return hw_stack_groups_add(pr->stacks, f, s->report.content.bt, s->report.content.nbt);
}

/* --by size: the prepared pools keep their sites' size histograms (before the walk). */
void hw_session_want_sizes(struct hw_session *s)
{
	for (size_t i = 0; i < s->report.npools; i++)
		s->report.pools[i].sites.sizes = s->by == HW_BY_SIZE;
}

struct hw_error *hw_session_walk_summary(struct hw_session *s, bool classify)
{
	struct summary_ctx ctx = {.base = {.s = s}};
	struct hw_error *err;

	for (size_t i = 0; classify && i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		if (!pr->walked)
			continue;
		err = hw_classify_create(&pr->classify);
		if (err)
			return err;
		hw_classify_set_heap(pr->classify, pr->hdr.block,
				     hw_pool_heap_end(pr->pool, &pr->hdr));
	}
	if ((err = hw_session_want_stacks(s)))
		return err;
	hw_session_want_sizes(s);
	hw_session_walk_split(s, &summary_split, &ctx.base);
	/* OpenSIPS's dump ends with the free lists */
	if (!ctx.err && s->report.format == HW_FMT_OPENSIPS)
		hw_session_walk_free(s);
	return ctx.err;
}

void hw_session_resolve_sites(struct hw_session *s, bool warn_nodebug)
{
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		if (!pr->walked)
			continue;
		if (!hw_pool_debug(pr->pool) && warn_nodebug && s->warn)
			s->warn("%s pool: allocation sites need %s; this one records none",
				pr->pool->name, hw_sites_need(&s->inst));
		hw_sites_resolve(&pr->sites, &s->report.strings);
	}
}

struct hw_error *hw_session_rows(struct hw_session *s, enum hw_site_order order, uint64_t top)
{
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err = hw_groups_make(&pr->groups, &pr->sites, s->by, order, top);
		if (!err && pr->stacks) {
			err = hw_stack_groups_rows(pr->stacks, &pr->groups.v, &pr->groups.n);
			if (!err)
				hw_groups_order(&pr->groups, order, top);
		}
		if (err)
			return err;
		if (!pr->walked)
			continue;
		err = hw_sites_sorted(&pr->sites, order, &pr->rows, &pr->nrows);
		if (err)
			return err;
		if (top && pr->nrows > top)
			pr->nrows = top;
	}
	return NULL;
}
