/* cmd_watch.c - 'heapwalk watch': periodic snapshots of a running instance; sites that keep
 * growing. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/multi.h"

static volatile sig_atomic_t interrupted;
static const char *progress_command;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* A line per snapshot on the terminal (stderr), never into a pipe or file. */
static void progress(const struct hw_watch_run *run, uint64_t count, double next_s)
{
	hw_fmt_watch_progress(stderr, progress_command, run, count, next_s);
}

int hw_cli_watch_collect(struct hw_cli *cli, const struct hw_watch_hook *hook,
			 struct hw_watch_run *run)
{
	struct hw_watch_opts o = {
	    .interval = cli->interval,
	    .count = cli->count,
	    .duration = cli->duration,
	    .stop = &interrupted,
	    .persist = true,
	    .progress = isatty(STDERR_FILENO) ? progress : NULL,
	};
	struct sigaction sa, old_int, old_term;
	struct hw_error *err;

	hw_cli_inst_opts(cli, cli->cmd->name, true, &o.inst);
	progress_command = cli->cmd->name;
	/* Ctrl-C ends the watch; what was collected is still reported. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	err = hw_watch_collect(&o, hook, run);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return err ? hw_cli_fail(err) : HW_EXIT_OK;
}

int hw_cmd_watch(struct hw_cli *cli)
{
	struct hw_watch_run run;
	struct hw_watch_view v;
	struct hw_watch_store st = {0};
	struct hw_error *err;
	size_t ngrowing = 0;
	int rc;

	if (cli->baseline)
		return hw_cli_usage_error(cli, "--baseline applies to diagnose");
	rc = hw_cli_watch_collect(cli, NULL, &run);
	if (run.n) {
		err = hw_watch_build(run.samples, run.n, run.t_ns, &st, &ngrowing);
		if (err)
			rc = hw_cli_fail(err);
		else {
			memset(&v, 0, sizeof(v));
			v.nsamples = run.n;
			v.t_ns = run.t_ns;
			v.max_stop_ms = run.stop_ms;
			v.series = st.v;
			v.nseries = st.n;
			v.ngrowing = ngrowing;
			v.interrupted = run.interrupted;
			v.stopped = !cli->no_stop;
			v.top = cli->top_given ? cli->top : cli->format == HW_FMT_TEXT ? 20 : 0;
			v.format = cli->format;
			v.out = stdout;
			hw_fmt_watch(&v);
			/* A watch cut short by Ctrl-C after some snapshots still succeeded. */
			if (ngrowing)
				rc = hw_exit_worse(rc, HW_EXIT_LEAK);
		}
	}
	hw_watch_run_deinit(&run);
	hw_watch_store_deinit(&st);
	return rc;
}
