/* watch.c - periodic snapshots of a running instance, each walked into a diff side. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "heapwalk/diff.h"
#include "heapwalk/error.h"
#include "heapwalk/instance.h"

#define DEFAULT_INTERVAL 60.0
#define DEFAULT_COUNT 10
#define MAX_COUNT 100000

static uint64_t now_real(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool stopped(const struct hw_watch_opts *o)
{
	return o->stop && *o->stop;
}

/* Sleep @s seconds unless stopped. */
static void nap(const struct hw_watch_opts *o, double s)
{
	struct timespec ts;

	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (!stopped(o) && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* One sample; with @persist its fragments' identities are recorded (@ref NULL) or compared. */
static struct hw_error *sample(const struct hw_inst_opts *o, const struct hw_watch_hook *hook,
			       struct hw_diff_side *side, double *stop_ms, bool persist,
			       const struct hw_diff_side *ref)
{
	struct hw_inst_opts io = *o;
	struct hw_error *err;
	struct hw_inst in;

	io.all = true;
	io.quiet = true;
	/* held while walked, shm in place: not for a hook's own walks */
	io.in_place = !(hook && hook->walk);
	if ((err = hw_inst_open(&io, &in)))
		return err;
	if (io.in_place) {
		err = hw_inst_walk_sample(&in, side, persist, ref);
	} else {
		err = hook->walk(&in, hook->arg);
		if (!err)
			err = hw_inst_to_side(&in, side);
		if (!err && persist)
			err = hw_inst_persist(&in, side, ref);
	}
	*stop_ms = hw_inst_max_stop_ms(&in);
	if (err || !(hook && hook->keep && hook->keep(&in, hook->arg)))
		hw_inst_close(&in);
	return err;
}

bool hw_watch_keep_last(struct hw_inst *in, void *last)
{
	struct hw_watch_last *l = last;

	if (l->have)
		hw_inst_close(&l->in);
	l->in = *in;
	l->have = true;
	return true;
}

struct hw_error *hw_inst_sample(const struct hw_inst_opts *o, const struct hw_watch_hook *hook,
				struct hw_diff_side *side, double *stop_ms)
{
	return sample(o, hook, side, stop_ms, false, NULL);
}

/* Seconds from now until sample @n (counted from 0) of @count, 0 when there is none. */
static double next_in(const struct hw_watch_opts *o, double start, double interval, size_t n,
		      uint64_t count)
{
	double next = start + interval * (double)n, now = (double)now_real() / 1e9;

	if (n >= count || stopped(o) || (o->duration > 0 && next - start > o->duration))
		return 0;
	return next > now ? next - now : 0;
}

struct hw_error *hw_watch_collect(const struct hw_watch_opts *o, const struct hw_watch_hook *hook,
				  struct hw_watch_run *run)
{
	double interval = o->interval > 0 ? o->interval : DEFAULT_INTERVAL, start;
	uint64_t count = o->count;
	struct hw_error *err = NULL;
	size_t n = 0;

	memset(run, 0, sizeof(*run));
	if (!count)
		count = o->duration > 0 ? (uint64_t)(o->duration / interval) + 1 : DEFAULT_COUNT;
	if (count > MAX_COUNT)
		count = MAX_COUNT;
	run->samples = calloc((size_t)count, sizeof(*run->samples));
	run->t_ns = calloc((size_t)count, sizeof(*run->t_ns));
	run->stop_ms = calloc((size_t)count, sizeof(*run->stop_ms));
	if (!run->samples || !run->t_ns || !run->stop_ms) {
		hw_watch_run_deinit(run);
		return hw_error_nomem();
	}
	start = (double)now_real() / 1e9;
	while (n < count && !stopped(o)) {
		if (n) {
			double next = start + interval * (double)n, now = (double)now_real() / 1e9;
			if (o->duration > 0 && next - start > o->duration)
				break;
			if (next > now)
				nap(o, next - now);
			if (stopped(o))
				break;
		}
		struct hw_inst_opts io = o->inst;
		io.system_said = n > 0; /* once for the series */
		hw_diff_side_init(&run->samples[n]);
		run->t_ns[n] = now_real();
		if ((err = sample(&io, hook, &run->samples[n], &run->stop_ms[n], o->persist,
				  n ? &run->samples[0] : NULL))) {
			hw_diff_side_deinit(&run->samples[n]);
			break;
		}
		run->n = ++n;
		if (o->progress)
			o->progress(run, count, next_in(o, start, interval, n, count));
	}
	run->interrupted = stopped(o);
	return err;
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

void hw_growth_init(struct hw_growth *g)
{
	memset(g, 0, sizeof(*g));
	hw_diff_side_init(&g->base);
	hw_diff_side_init(&g->now);
}

void hw_growth_deinit(struct hw_growth *g)
{
	hw_watch_store_deinit(&g->st);
	hw_watch_run_deinit(&g->run);
	if (g->have_diff)
		hw_diff_deinit(&g->d);
	hw_diff_side_deinit(&g->base);
	hw_diff_side_deinit(&g->now);
}

struct hw_error *hw_growth_series(struct hw_growth *g)
{
	const struct hw_watch_run *run = &g->run;
	struct hw_error *err;
	size_t ngrowing;

	if (run->n < 2)
		return hw_error_create(HW_ERR_INVALID_ARG, "interrupted after %zu snapshot(s)",
				       run->n);
	if ((err = hw_watch_build(run->samples, run->n, run->t_ns, &g->st, &ngrowing)))
		return err;
	g->seconds = (double)(run->t_ns[run->n - 1] - run->t_ns[0]) / 1e9;
	snprintf(g->text, sizeof(g->text), "%zu snapshots over %.0f s", run->n, g->seconds);
	return NULL;
}

struct hw_error *hw_growth_baseline(struct hw_growth *g, const struct hw_inst *in, const char *name)
{
	struct hw_error *err = hw_inst_to_side(in, &g->now);

	snprintf(g->text, sizeof(g->text), "compared with %s", name);
	if (!err)
		err = hw_diff_compute(&g->base, &g->now, &g->d);
	g->have_diff = !err;
	if (g->base.time_ns && g->now.time_ns > g->base.time_ns)
		g->seconds = (double)(g->now.time_ns - g->base.time_ns) / 1e9;
	return err;
}

struct hw_error *hw_inst_diagnose_growth(const struct hw_inst *in, uint64_t request,
					 const struct hw_growth *g, struct hw_diag_items *ret)
{
	if (g->st.nsamples)
		return hw_inst_diagnose_series(in, request, &g->st, g->seconds, ret);
	return hw_inst_diagnose(in, request, g->have_diff ? &g->d : NULL, g->seconds, ret);
}
