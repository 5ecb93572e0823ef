/* cmd_map.c - 'heapwalk map' (SVG heap map) and 'heapwalk report' (HTML page). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/error.h"
#include "heapwalk/heapmap.h"
#include "page.h"

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
	if (c->sites && f->used) {
		c->err = hw_sites_add(&pr->sites, f);
		if (c->err)
			return 1;
	}
	return 0;
}

int hw_page_walk(struct hw_session *s, uint32_t pkg_cells, uint32_t shm_cells, bool sites,
		 uint64_t top)
{
	struct map_ctx ctx = {.base = {.s = s}, .sites = sites};

	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		uint64_t end = pr->hdr.block + pr->hdr.size;
		struct hw_error *err;
		if (!pr->walked || pr->map)
			continue;
		pr->map = calloc(1, sizeof(*pr->map));
		if (!pr->map) {
			hw_cli_warn("out of memory");
			return HW_EXIT_FATAL;
		}
		err = hw_heapmap_init(pr->map, pr->hdr.first_frag, end,
				      pr->pool->kind == HW_POOL_SHM ? shm_cells : pkg_cells, 128,
				      hw_pool_debug(pr->pool), &s->report.strings);
		if (err) {
			hw_cli_warn("%s pool: %s", pr->pool->name, err->message);
			hw_error_destroy(err);
			free(pr->map);
			pr->map = NULL;
		}
	}
	hw_session_walk(s, feed, &ctx.base);
	if (ctx.err) {
		hw_cli_warn("%s", ctx.err->message);
		hw_error_destroy(ctx.err);
		return HW_EXIT_FATAL;
	}
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
		if (err) {
			hw_cli_warn("%s", err->message);
			hw_error_destroy(err);
			return HW_EXIT_FATAL;
		}
		if (top && pr->nrows > top)
			pr->nrows = top;
	}
	return HW_EXIT_OK;
}

FILE *hw_page_open(const struct hw_cli *cli)
{
	FILE *f;

	if (!cli->output || !strcmp(cli->output, "-"))
		return stdout;
	f = fopen(cli->output, "w");
	if (!f)
		hw_cli_warn("cannot write %s: %s", cli->output, strerror(errno));
	return f;
}

int hw_page_close(const struct hw_cli *cli, FILE *out)
{
	if (out != stdout && fclose(out) != 0) {
		hw_cli_warn("cannot write %s: %s", cli->output, strerror(errno));
		return HW_EXIT_FATAL;
	}
	return HW_EXIT_OK;
}

static int run(struct hw_cli *cli, bool html)
{
	struct hw_session s;
	FILE *out;
	int rc = hw_cli_open(cli, &s, html ? "report" : "map");

	if (rc)
		return rc;
	hw_session_prepare_pools(&s);
	rc = hw_page_walk(&s, cli->cells ? cli->cells : 8192, cli->cells ? cli->cells : 8192, html,
			  cli->top ? cli->top : 50);
	if (rc) {
		hw_session_close(&s);
		return rc;
	}
	out = hw_page_open(cli);
	if (!out) {
		hw_session_close(&s);
		return HW_EXIT_FATAL;
	}
	s.report.out = out;
	if (html)
		hw_fmt_html(&s.report);
	else
		hw_fmt_map(&s.report);
	rc = hw_page_close(cli, out);
	if (!rc)
		rc = hw_cli_exit_code(&s);
	hw_session_close(&s);
	return rc;
}

int hw_cmd_map(struct hw_cli *cli)
{
	return run(cli, false);
}

int hw_cmd_report(struct hw_cli *cli)
{
	/* an instance, a watch, or two inputs: cmd_report.c */
	if (cli->all || cli->watch || cli->operand[0])
		return hw_report_instance(cli);
	return run(cli, true);
}
