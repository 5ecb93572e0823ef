/* cmd_diagnose.c - 'heapwalk diagnose': one verdict per pool, with the evidence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/diagnose.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/frag.h"
#include "heapwalk/growth.h"
#include "heapwalk/multi.h"

/* A live diagnose's series unless --count/--interval say otherwise: 3 snapshots, 10 s apart. */
#define SERIES_COUNT 3
#define SERIES_INTERVAL 10.0

/* A series of --count samples into @g; the last one's instance into @in. */
static int series(struct hw_cli *cli, struct hw_inst *in, struct hw_growth *g)
{
	struct hw_watch_last l = {.have = false};
	struct hw_watch_hook hook = {.keep = hw_watch_keep_last, .arg = &l};
	struct hw_error *err;
	int rc = hw_cli_watch_collect(cli, &hook, &g->run);

	if (!rc && !l.have)
		rc = HW_EXIT_FATAL;
	if (!rc && (err = hw_growth_series(g)))
		rc = hw_cli_fail(err);
	if (!rc)
		*in = l.in;
	else if (l.have)
		hw_inst_close(&l.in);
	return rc;
}

/* The instance now into @in, and what grew into @g; on failure nothing stays open. */
static int collect(struct hw_cli *cli, struct hw_inst *in, struct hw_growth *g)
{
	struct hw_error *err;
	int rc;

	if (!cli->baseline && cli->count >= 2)
		return series(cli, in, g);
	if ((rc = hw_cli_inst_open(cli, in, "diagnose", INST_ALL | INST_IN_PLACE)))
		return rc;
	if (!hw_inst_walk_sites(in))
		rc = HW_EXIT_FATAL;
	else if (cli->baseline && !(rc = hw_diff_load(cli, cli->baseline, &g->base)) &&
		 (err = hw_growth_baseline(g, in, cli->baseline)))
		rc = hw_cli_fail(err);
	if (rc)
		hw_inst_close(in);
	return rc;
}

int hw_cmd_diagnose(struct hw_cli *cli)
{
	struct hw_inst in;
	struct hw_growth g;
	bool live = cli->pid && !cli->core;
	struct hw_diag_items items = {0};
	struct hw_diag_view v;
	struct hw_error *err;
	int rc;

	if ((cli->interval > 0 || cli->count) && cli->baseline)
		return hw_cli_usage_error(cli, "--interval and --count exclude --baseline");
	if ((cli->interval > 0 || cli->count) && !live)
		return hw_cli_usage_error(cli,
					  "--interval and --count need a running process (--pid)");
	if (cli->duration > 0)
		return hw_cli_usage_error(cli, "--duration applies to watch");
	if (live && !cli->baseline) {
		cli->count = cli->count ? cli->count : cli->interval > 0 ? 2 : SERIES_COUNT;
		cli->interval = cli->interval > 0 ? cli->interval : SERIES_INTERVAL;
	}
	hw_growth_init(&g);
	if ((rc = collect(cli, &in, &g))) {
		hw_growth_deinit(&g);
		return rc;
	}
	if ((err = hw_inst_diagnose_growth(&in, cli->request, &g, &items))) {
		rc = hw_cli_fail(err);
		goto out;
	}
	memset(&v, 0, sizeof(v));
	v.items = items.v;
	v.nitems = items.n;
	v.source = in.snap->live ? "live instance" : in.snap->source;
	v.live = in.snap->live;
	v.stopped = in.snap->stopped;
	v.growth = g.text[0] ? g.text : NULL;
	v.format = cli->format;
	v.out = stdout;
	hw_fmt_diagnose(&v);
	rc = hw_diag_items_exit(&items, hw_inst_exit_code(&in));
out:
	hw_diag_items_deinit(&items);
	hw_growth_deinit(&g);
	hw_inst_close(&in);
	return rc;
}
