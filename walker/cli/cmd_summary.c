/* cmd_summary.c - 'heapwalk summary': used memory by allocation site. */
#include <stdlib.h>

#include "cli.h"
#include "heapwalk/classify.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "instance.h"

struct summary_ctx {
	struct hw_walk_ctx base;
	struct hw_error *err; /* first failure to count (out of memory) */
};

static int add_used(void *arg, const struct hw_frag *f)
{
	struct summary_ctx *c = arg;

	if (!f->used)
		return 0;
	c->err = hw_sites_add(&c->base.pr->sites, f);
	/* --classify: what the fragment holds, counted under its site */
	if (!c->err && c->base.pr->classify)
		c->err = hw_classify_add(c->base.pr->classify, c->base.s->t, f);
	return c->err != NULL;
}

/* The second half of a split walk: its own sites (the pool report is only a holder for them). */
struct summary_half {
	struct summary_ctx c;
	struct hw_pool_report pr;
};

static void *summary_fork(struct hw_walk_ctx *ctx)
{
	struct summary_half *h;

	if (ctx->pr->classify) /* --classify keeps to one thread */
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->c.base = *ctx;
	h->c.base.pr = &h->pr;
	hw_sites_init(&h->pr.sites);
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

static const struct hw_split_ops summary_split = {
    .fn = add_used, .fork = summary_fork, .join = summary_join, .drop = summary_drop};

int hw_cmd_summary(struct hw_cli *cli)
{
	struct hw_session s;
	struct summary_ctx ctx = {0};
	enum hw_site_order order = cli->sort;
	uint64_t top = cli->top;
	int rc = hw_cli_open(cli, &s, "summary");

	if (rc)
		return rc;
	ctx.base.s = &s;
	if (cli->format == HW_FMT_KAMAILIO && !cli->sort_given)
		order = HW_ORDER_KAMAILIO;
	if (cli->format == HW_FMT_TEXT && !cli->top_given)
		top = 30;
	hw_session_prepare_pools(&s);
	for (size_t i = 0; cli->classify && i < s.report.npools; i++) {
		struct hw_pool_report *pr = &s.report.pools[i];
		struct hw_error *err;
		if (!pr->walked)
			continue;
		err = hw_classify_create(&pr->classify);
		if (err) {
			hw_cli_warn("%s", err->message);
			hw_error_destroy(err);
			hw_session_close(&s);
			return HW_EXIT_FATAL;
		}
		hw_classify_set_heap(pr->classify, pr->hdr.block,
				     hw_pool_heap_end(pr->pool, &pr->hdr));
	}
	hw_session_walk_split(&s, &summary_split, &ctx.base);
	if (ctx.err) {
		hw_cli_warn("%s", ctx.err->message);
		hw_error_destroy(ctx.err);
		hw_session_close(&s);
		return HW_EXIT_FATAL;
	}
	for (size_t i = 0; i < s.report.npools; i++) {
		struct hw_pool_report *pr = &s.report.pools[i];
		struct hw_error *err;
		if (!pr->walked)
			continue;
		if (!hw_pool_debug(pr->pool) && cli->format != HW_FMT_TEXT)
			hw_cli_warn("%s pool: allocation sites need a debug build (DBG_SR_MEMORY); "
				    "this one records none",
				    pr->pool->name);
		hw_sites_resolve(&pr->sites, &s.report.strings);
		err = hw_sites_sorted(&pr->sites, order, &pr->rows, &pr->nrows);
		if (err) {
			hw_cli_warn("%s", err->message);
			hw_error_destroy(err);
			hw_session_close(&s);
			return HW_EXIT_FATAL;
		}
		if (top && pr->nrows > top)
			pr->nrows = top;
	}
	hw_fmt_summary(&s.report);
	rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}

bool hw_cmd_summary_all(struct hw_cli *cli, struct hw_inst_proc *p, size_t i)
{
	uint64_t top = cli->top_given ? cli->top : hw_report_default_top(cli->format);

	(void)i;
	if (!hw_session_walk_sites(&p->s))
		return false;
	for (size_t k = 0; k < p->s.report.npools; k++) {
		struct hw_pool_report *pr = &p->s.report.pools[k];
		struct hw_error *err;
		if (!pr->walked)
			continue;
		err = hw_sites_sorted(&pr->sites, cli->sort, &pr->rows, &pr->nrows);
		if (err) {
			hw_cli_warn("%s", err->message);
			hw_error_destroy(err);
			return false;
		}
		if (top && pr->nrows > top)
			pr->nrows = top;
	}
	return true;
}
