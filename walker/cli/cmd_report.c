/* cmd_report.c - 'heapwalk report' of a whole instance, with growth (--watch, or A B). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/diagnose.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/multi.h"

/* Sites per pool in the tables unless --top. */
#define DEFAULT_TOP 50

/* Maps and sites of every open process: shm as big as the single page's, each pkg smaller. */
static struct hw_error *walk_instance(const struct hw_cli *cli, struct hw_inst *in)
{
	return hw_inst_walk_map(in, cli->cells ? cli->cells : HW_PAGE_PROC_CELLS,
				cli->cells ? cli->cells : 8192, cli->top ? cli->top : DEFAULT_TOP);
}

/* A watch's hook: each sample walked as the page needs (hw_watch_last's user: the cli). */
static struct hw_error *walk_sample(struct hw_inst *in, void *arg)
{
	return walk_instance(((struct hw_watch_last *)arg)->user, in);
}

/* Write the page of @in (walked) with its verdicts, with the growth of @st or against @d
 * (NULL: none); an exit code, the verdicts' among them. */
static int render(struct hw_cli *cli, struct hw_inst *in, const struct hw_watch_view *growth,
		  const char *baseline, const struct hw_diff *d, const struct hw_watch_store *st)
{
	const uint64_t *t = growth ? growth->t_ns : NULL, t1 = t ? t[growth->nsamples - 1] : 0;
	double secs = t && t[0] && t1 > t[0] ? (double)(t1 - t[0]) / 1e9 : 0;
	struct hw_diag_items items = {0};
	struct hw_error *err;
	FILE *out;
	int rc = HW_EXIT_FATAL;

	hw_inst_model(in, "report", cli->format, cli->request);
	if (!in->mp)
		hw_cli_warn("out of memory");
	else if ((err = st ? hw_inst_diagnose_series(in, cli->request, st, secs, &items)
			   : hw_inst_diagnose(in, cli->request, d, secs, &items)))
		rc = hw_cli_fail(err);
	else if ((out = hw_cli_output_open(cli))) {
		in->m.out = out;
		in->m.diag = items.v;
		in->m.ndiag = items.n;
		hw_fmt_html_multi(&in->m, growth, baseline);
		rc = hw_cli_output_close(cli, out);
		rc = rc ? rc : hw_diag_items_exit(&items, hw_inst_exit_code(in));
	}
	hw_diag_items_deinit(&items);
	return rc;
}

static int report_all(struct hw_cli *cli)
{
	struct hw_inst in;
	struct hw_error *err;
	int rc = hw_cli_inst_open(cli, &in, "report", INST_ALL);

	if (rc)
		return rc;
	err = walk_instance(cli, &in);
	rc = err ? hw_cli_fail(err) : render(cli, &in, NULL, NULL, NULL, NULL);
	hw_inst_close(&in);
	return rc;
}

static void fill_view(struct hw_watch_view *v, const struct hw_cli *cli, size_t n,
		      const uint64_t *t_ns, const struct hw_watch_series *series, size_t nseries,
		      size_t ngrowing)
{
	memset(v, 0, sizeof(*v));
	v->nsamples = n;
	v->t_ns = t_ns;
	v->series = series;
	v->nseries = nseries;
	v->ngrowing = ngrowing;
	v->stopped = !cli->no_stop;
	v->top = cli->top_given ? cli->top : DEFAULT_TOP;
	v->format = cli->format;
}

static int report_watch(struct hw_cli *cli)
{
	struct hw_watch_last l = {.user = cli, .have = false};
	struct hw_watch_hook hook = {.walk = walk_sample, .keep = hw_watch_keep_last, .arg = &l};
	struct hw_watch_run run;
	struct hw_watch_store st = {0};
	struct hw_watch_view v;
	struct hw_error *err;
	size_t ngrowing = 0;
	int rc = hw_cli_watch_collect(cli, &hook, &run);

	/* A watch cut short (Ctrl-C, or a later snapshot failed) still shows what it has. */
	if (run.n && l.have) {
		err = hw_watch_build(run.samples, run.n, run.t_ns, &st, &ngrowing);
		if (err)
			rc = hw_cli_fail(err);
		else {
			fill_view(&v, cli, run.n, run.t_ns, st.v, st.n, ngrowing);
			v.max_stop_ms = run.stop_ms;
			v.interrupted = run.interrupted;
			rc = hw_exit_worse(rc, render(cli, &l.in, &v, NULL, NULL, &st));
			if (ngrowing)
				rc = hw_exit_worse(rc, HW_EXIT_LEAK);
		}
	} else if (!rc) {
		hw_cli_warn("interrupted before the first snapshot: no page written");
		rc = HW_EXIT_FATAL;
	}
	if (l.have)
		hw_inst_close(&l.in);
	hw_watch_run_deinit(&run);
	hw_watch_store_deinit(&st);
	return rc;
}

static int report_two(struct hw_cli *cli)
{
	const char *a_path = cli->operand[0], *b_path = cli->operand[1];
	struct hw_diff_side a, b;
	struct hw_diff d = {0};
	struct hw_cli c = *cli;
	struct hw_inst in;
	struct hw_watch_series *series = NULL;
	struct hw_watch_view v;
	struct hw_error *err = NULL;
	uint64_t *values = NULL, t_ns[2];
	size_t n = 0;
	bool have_inst = false, have_diff = false;
	int rc;

	if (hw_diff_file_is_json(b_path))
		return hw_cli_usage_error(
		    cli, "the second input must be a core or snapshot file (the page "
			 "shows its heap); the first may be a summary JSON");
	hw_diff_side_init(&a);
	hw_diff_side_init(&b);
	rc = hw_diff_load(cli, a_path, &a);
	if (!rc) {
		c.core = b_path;
		c.pid = 0;
		c.all = true;
		rc = hw_cli_inst_open(&c, &in, "report", INST_ALL | INST_QUIET);
		have_inst = !rc;
	}
	if (!rc && (err = walk_instance(&c, &in)))
		rc = hw_cli_fail(err);
	if (!rc) {
		b.source = strdup(b_path);
		err = b.source ? hw_inst_to_side(&in, &b) : hw_error_nomem();
		if (!err) {
			hw_diff_side_filter(&a, hw_cli_pool_selected, cli);
			hw_diff_side_filter(&b, hw_cli_pool_selected, cli);
			err = hw_diff_compute(&a, &b, &d);
			have_diff = !err;
		}
		t_ns[0] = a.time_ns;
		t_ns[1] = b.time_ns;
		if (!err)
			err = hw_growth_from_diff(&d, t_ns, &series, &values, &n);
		if (err)
			rc = hw_cli_fail(err);
	}
	if (!rc) {
		fill_view(&v, cli, 2, t_ns, series, n, n);
		rc = render(cli, &in, &v, a_path, &d, NULL);
		if (n)
			rc = hw_exit_worse(rc, HW_EXIT_LEAK);
	}
	free(series);
	free(values);
	if (have_diff)
		hw_diff_deinit(&d);
	if (have_inst)
		hw_inst_close(&in);
	hw_diff_side_deinit(&a);
	hw_diff_side_deinit(&b);
	return rc;
}

static int report_instance(struct hw_cli *cli)
{
	if (cli->operand[0]) {
		if (cli->core || cli->pid || cli->watch)
			return hw_cli_usage_error(cli,
						  "report A B compares two inputs; --core, --pid "
						  "and --watch do not apply");
		return report_two(cli);
	}
	if (cli->watch) {
		if (!cli->pid || cli->core)
			return hw_cli_usage_error(
			    cli, "--watch snapshots a running instance: give --pid PID (for saved "
				 "snapshots: report A B)");
		return report_watch(cli);
	}
	return report_all(cli);
}

int hw_cmd_report(struct hw_cli *cli)
{
	/* an instance, a watch, or two inputs */
	if (cli->all || cli->watch || cli->operand[0])
		return report_instance(cli);
	return hw_cli_page(cli, true);
}
