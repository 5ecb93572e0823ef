/* cmd_diagnose.c - 'heapwalk diagnose': one verdict per pool, with the evidence. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "heapwalk/diagnose.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/frag.h"
#include "heapwalk/multi.h"

static void nap(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int hw_cmd_diagnose(struct hw_cli *cli)
{
	struct hw_inst in;
	struct hw_diff_side base, now;
	struct hw_diff d = {0};
	bool have_diff = false;
	struct hw_diag_items items = {0};
	struct hw_diag_view v;
	struct hw_error *err;
	char growth[512] = "";
	double seconds = 0;
	int rc;

	if (cli->interval > 0 && cli->baseline)
		return hw_cli_usage_error(cli, "--interval and --baseline exclude each other");
	if (cli->interval > 0 && !cli->pid)
		return hw_cli_usage_error(cli, "--interval needs a running process (--pid)");
	if (cli->count || cli->duration > 0)
		return hw_cli_usage_error(cli, "--count and --duration apply to watch");
	hw_diff_side_init(&base);
	hw_diff_side_init(&now);
	if (cli->baseline) {
		if ((rc = hw_diff_load(cli, cli->baseline, &base)))
			return rc;
		snprintf(growth, sizeof(growth), "compared with %s", cli->baseline);
	} else if (cli->interval > 0) {
		struct hw_inst_opts o;
		double stop_ms;
		hw_cli_inst_opts(cli, "diagnose", true, &o);
		if ((err = hw_inst_sample(&o, NULL, &base, &stop_ms))) {
			hw_diff_side_deinit(&base);
			return hw_cli_fail(err);
		}
		if (isatty(STDERR_FILENO)) /* on a terminal only: a pipe stays clean */
			hw_cli_warn("first snapshot taken; waiting %.0f s for the second...",
				    cli->interval);
		nap(cli->interval);
		snprintf(growth, sizeof(growth), "two snapshots %.0f s apart", cli->interval);
	}
	if ((rc = hw_cli_inst_open(cli, &in, "diagnose", INST_ALL))) {
		hw_diff_side_deinit(&base);
		return rc;
	}
	rc = hw_inst_walk_sites(&in) ? HW_EXIT_OK : HW_EXIT_FATAL;
	if (!rc && (cli->baseline || cli->interval > 0)) {
		err = hw_inst_to_side(&in, &now);
		if (!err)
			err = hw_diff_compute(&base, &now, &d);
		if (err)
			rc = hw_cli_fail(err);
		else {
			have_diff = true;
			if (base.time_ns && now.time_ns > base.time_ns)
				seconds = (double)(now.time_ns - base.time_ns) / 1e9;
		}
	}
	if (rc)
		goto out;
	if ((err = hw_inst_diagnose(&in, cli->request, have_diff ? &d : NULL, seconds, &items))) {
		rc = hw_cli_fail(err);
		goto out;
	}
	memset(&v, 0, sizeof(v));
	v.items = items.v;
	v.nitems = items.n;
	v.source = in.snap->live ? "live instance" : in.snap->source;
	v.live = in.snap->live;
	v.stopped = in.snap->stopped;
	v.growth = growth[0] ? growth : NULL;
	v.format = cli->format;
	v.out = stdout;
	hw_fmt_diagnose(&v);
	rc = hw_inst_exit_code(&in);
	for (size_t i = 0; i < items.n; i++)
		rc = hw_exit_worse(rc, hw_verdict_exit(items.v[i].res.verdict));
out:
	hw_diag_items_deinit(&items);
	if (have_diff)
		hw_diff_deinit(&d);
	hw_diff_side_deinit(&base);
	hw_diff_side_deinit(&now);
	hw_inst_close(&in);
	return rc;
}
