/* cmd_diagnose.c - 'heapwalk diagnose': one verdict per pool, with the evidence. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	struct hw_diag_item *items = NULL;
	size_t nitems = 0;
	struct hw_diag_view v;
	struct hw_error *err;
	char growth[512] = "", (*tops)[600] = NULL;
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
		if ((rc = hw_cli_inst_open(cli, &in, "diagnose", INST_ALL | INST_QUIET)))
			return rc;
		rc = hw_inst_walk_sites(&in) ? HW_EXIT_OK : HW_EXIT_FATAL;
		if (!rc && (err = hw_inst_to_side(&in, &base))) {
			rc = hw_cli_fail(err);
		}
		hw_inst_close(&in);
		if (rc) {
			hw_diff_side_deinit(&base);
			return rc;
		}
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
	items = calloc(in.n * HW_POOL_KIND_COUNT + 1, sizeof(*items));
	tops = calloc(in.n * HW_POOL_KIND_COUNT + 1, sizeof(*tops));
	if (!items || !tops) {
		hw_cli_warn("out of memory");
		rc = HW_EXIT_FATAL;
		goto out;
	}
	/* shm first, then each process's pkg; healthy pkg pools fold into one line. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < in.n; i++) {
			const struct hw_inst_proc *p = &in.p[i];
			for (size_t k = 0; p->open && k < p->s.report.npools; k++) {
				const struct hw_pool_report *pr = &p->s.report.pools[k];
				struct hw_diag_input din;
				struct hw_diag_item *it = &items[nitems];
				bool shm = !strcmp(pr->pool->name, "shm");
				if (shm != (pass == 0) || !pr->walked || !pr->frag)
					continue;
				hw_session_diag_input(pr, cli->request, &din);
				if (have_diff)
					hw_diag_growth(&d, pr->pool->name, p->pid, &din, seconds,
						       tops[nitems], sizeof(tops[0]));
				it->pool = pr->pool->name;
				it->pid = p->pid;
				it->rank = p->rank;
				it->desc = p->desc;
				hw_diagnose_pool(&din, &it->res);
				if (!shm && it->res.verdict == HW_VERDICT_OK) {
					/* fold into the first healthy pkg line */
					bool folded = false;
					for (size_t j = 0; j < nitems && !folded; j++)
						if (!strcmp(items[j].pool, "pkg") &&
						    items[j].res.verdict == HW_VERDICT_OK) {
							items[j].also++;
							folded = true;
						}
					if (folded)
						continue;
				}
				nitems++;
			}
		}
	memset(&v, 0, sizeof(v));
	v.items = items;
	v.nitems = nitems;
	v.source = in.snap->live ? "live instance" : in.snap->source;
	v.live = in.snap->live;
	v.stopped = in.snap->stopped;
	v.growth = growth[0] ? growth : NULL;
	v.format = cli->format;
	v.out = stdout;
	hw_fmt_diagnose(&v);
	rc = hw_inst_exit_code(&in);
	if (rc == HW_EXIT_OK)
		for (size_t i = 0; i < nitems; i++)
			if (items[i].res.verdict != HW_VERDICT_OK)
				rc = HW_EXIT_FINDINGS;
out:
	free(items);
	free(tops);
	if (have_diff)
		hw_diff_deinit(&d);
	hw_diff_side_deinit(&base);
	hw_diff_side_deinit(&now);
	hw_inst_close(&in);
	return rc;
}
