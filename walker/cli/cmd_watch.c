/* cmd_watch.c - 'heapwalk watch': periodic snapshots of a running instance; sites that keep
 * growing. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/multi.h"
#include "instance.h"
#include "watch.h"

#define DEFAULT_INTERVAL 60.0
#define DEFAULT_COUNT 10

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static uint64_t now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleep @s seconds unless interrupted. */
static void nap(double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (!interrupted && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One sample: a snapshot of the instance, walked into a diff side. */
static int sample(struct hw_cli *cli, struct hw_diff_side *side, double *max_stop_ms,
		  const struct hw_watch_hook *hook)
{
	struct hw_inst in;
	struct hw_error *err;
	int rc = hw_inst_open(cli, &in, cli->cmd->name, INST_ALL | INST_QUIET);

	if (rc)
		return rc;
	*max_stop_ms = 0;
	for (size_t i = 0; i < in.snap->nprocs; i++)
		if ((double)in.snap->procs[i].stop_ns / 1e6 > *max_stop_ms)
			*max_stop_ms = (double)in.snap->procs[i].stop_ns / 1e6;
	if (hook && hook->walk) {
		if (!hook->walk(cli, &in, hook->arg)) {
			hw_inst_close(&in);
			return HW_EXIT_FATAL;
		}
	} else if (!hw_inst_walk_sites(&in)) {
		hw_inst_close(&in);
		return HW_EXIT_FATAL;
	}
	err = hw_inst_to_side(&in, side);
	if (!(!err && hook && hook->keep && hook->keep(&in, hook->arg)))
		hw_inst_close(&in);
	if (err)
		return hw_cli_fail(err);
	return HW_EXIT_OK;
}

int hw_watch_collect(struct hw_cli *cli, const struct hw_watch_hook *hook, struct hw_watch_run *run)
{
	double interval = cli->interval > 0 ? cli->interval : DEFAULT_INTERVAL;
	uint64_t count = cli->count;
	struct hw_diff_side *samples;
	uint64_t *t_ns;
	double *stop_ms, start;
	struct sigaction sa, old_int, old_term;
	size_t n = 0;
	bool tty = isatty(STDERR_FILENO);
	int rc = HW_EXIT_OK;

	memset(run, 0, sizeof(*run));
	if (!count)
		count =
		    cli->duration > 0 ? (uint64_t)(cli->duration / interval) + 1 : DEFAULT_COUNT;
	if (count > 100000)
		count = 100000;
	samples = calloc((size_t)count, sizeof(*samples));
	t_ns = calloc((size_t)count, sizeof(*t_ns));
	stop_ms = calloc((size_t)count, sizeof(*stop_ms));
	if (!samples || !t_ns || !stop_ms) {
		free(samples);
		free(t_ns);
		free(stop_ms);
		hw_cli_warn("out of memory");
		return HW_EXIT_FATAL;
	}
	/* Ctrl-C ends the watch; what was collected is still reported. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	start = (double)now_real() / 1e9;
	while (n < count && !interrupted) {
		if (n) {
			double next = start + interval * (double)n, now = (double)now_real() / 1e9;
			if (cli->duration > 0 && next - start > cli->duration)
				break;
			if (next > now)
				nap(next - now);
			if (interrupted)
				break;
		}
		hw_diff_side_init(&samples[n]);
		t_ns[n] = now_real();
		rc = sample(cli, &samples[n], &stop_ms[n], hook);
		if (rc) {
			hw_diff_side_deinit(&samples[n]);
			break;
		}
		n++;
		if (tty)
			fprintf(stderr, "\rheapwalk: %s: snapshot %zu/%llu, stopped %.2f ms%s",
				cli->cmd->name, n, (unsigned long long)count, stop_ms[n - 1],
				n == count ? "\n" : "");
	}
	if (tty && n && n < count)
		fputc('\n', stderr);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	run->n = n;
	run->samples = samples;
	run->t_ns = t_ns;
	run->stop_ms = stop_ms;
	run->interrupted = interrupted != 0;
	return rc;
}

void hw_watch_run_deinit(struct hw_watch_run *run)
{
	for (size_t i = 0; i < run->n; i++)
		hw_diff_side_deinit(&run->samples[i]);
	free(run->samples);
	free(run->t_ns);
	free(run->stop_ms);
	memset(run, 0, sizeof(*run));
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
	rc = hw_watch_collect(cli, NULL, &run);
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
			if (rc == HW_EXIT_OK && ngrowing)
				rc = HW_EXIT_FINDINGS;
		}
	}
	hw_watch_run_deinit(&run);
	hw_watch_store_deinit(&st);
	return rc;
}
