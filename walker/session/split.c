/* split.c - walking a large pool on two threads, split at a header near its middle. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/session.h"
#include "internal.h"

/* Heaps smaller than this are walked on one thread (a thread costs more than it gains). */
#define SPLIT_MIN (64ull << 20)

/* The second half's walk, on its own thread. */
struct half {
	const struct hw_session *s;
	const struct hw_pool_report *pr;
	const struct hw_walk_opts *o;
	hw_frag_fn fn;
	void *arg;
	struct hw_check check;
	struct hw_walk_stats walk;
	struct hw_error *err;
};

static void *half_run(void *p)
{
	struct half *h = p;

	h->err = hw_alloc_walk(h->s->t, h->pr->pool, &h->pr->hdr, h->o, h->fn, h->arg, &h->check,
			       &h->walk);
	return NULL;
}

/* Whether to try: HEAPWALK_THREADS=1 never, HEAPWALK_SPLIT_MIN=BYTES lowers the size (tests). */
static bool worth_splitting(const struct hw_session *s, const struct hw_pool_report *pr)
{
	const char *threads = getenv("HEAPWALK_THREADS");
	const char *min = getenv("HEAPWALK_SPLIT_MIN");
	uint64_t need = min && *min ? strtoull(min, NULL, 0) : SPLIT_MIN;

	if (threads && *threads && strtol(threads, NULL, 10) == 1)
		return false;
	(void)s;
	if (!min && sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return false;
	return pr->hdr.size >= need;
}

/*
 * The progress line of a split walk on a terminal (as a one-thread walk
 * shows it, session.c): the second half publishes how far it is every
 * PROGRESS_EVERY fragments, the first half adds that up and prints.
 */
#define PROGRESS_EVERY 65536

struct split_progress {
	hw_frag_fn fn;
	void *arg;
	const char *pool;
	uint64_t first, meet, span, n, next;
	atomic_uint_least64_t *n2, *at2; /* the second half's count and address */
	struct timespec t0;
	double after, shown;
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The second half: counts, and says how far it is now and then. */
static int progress_second(void *arg, const struct hw_frag *f)
{
	struct split_progress *p = arg;

	if (++p->n >= p->next) {
		p->next = p->n + PROGRESS_EVERY;
		atomic_store_explicit(p->n2, p->n, memory_order_relaxed);
		atomic_store_explicit(p->at2, f->addr, memory_order_relaxed);
	}
	return p->fn(p->arg, f);
}

/* The first half: both halves' fragments, and the share of the heap behind both. */
static int progress_first(void *arg, const struct hw_frag *f)
{
	struct split_progress *p = arg;

	if (++p->n >= p->next) {
		double t = seconds_since(&p->t0);

		p->next = p->n + PROGRESS_EVERY;
		if (t >= p->after && (p->shown < 0 || t - p->shown >= 0.25)) {
			uint64_t n2 = atomic_load_explicit(p->n2, memory_order_relaxed);
			uint64_t at2 = atomic_load_explicit(p->at2, memory_order_relaxed);
			uint64_t done = f->addr - p->first + (at2 > p->meet ? at2 - p->meet : 0);
			double pct = p->span ? 100.0 * (double)done / (double)p->span : 0;

			fprintf(stderr,
				"\rheapwalk: walking the %s pool: %5.1f%%, %" PRIu64 " fragments",
				p->pool, pct > 100 ? 100.0 : pct, p->n + n2);
			p->shown = t;
		}
	}
	return p->fn(p->arg, f);
}

/*
 * One pool, split: this thread walks from the first fragment to the split
 * point, a second thread from there to the end. The second half counts
 * only if the first one lands exactly on its start; otherwise the first
 * walk simply went on to the end and the second half is dropped.
 */
static struct hw_error *walk_split(struct hw_session *s, struct hw_pool_report *pr,
				   const struct hw_split_ops *ops, struct hw_walk_ctx *ctx,
				   bool *done)
{
	struct hw_walk_opts oa = {0}, ob = {0};
	struct half h = {.s = s, .pr = pr, .o = &ob, .fn = ops->fn};
	struct hw_error *err;
	pthread_t thread;
	uint64_t at;
	/* for tests: HEAPWALK_PROGRESS_AFTER=0 shows the line at once */
	const char *after = getenv("HEAPWALK_PROGRESS_AFTER");
	const bool show = !s->no_progress && isatty(STDERR_FILENO);
	atomic_uint_least64_t n2, at2;
	struct split_progress p1 = {.fn = ops->fn,
				    .arg = ctx,
				    .next = 1,
				    .after = 1.0,
				    .shown = -1},
			      p2 = {.next = PROGRESS_EVERY};
	hw_frag_fn fn1 = ops->fn;
	void *arg1 = ctx, *fork;

	*done = false;
	err = hw_alloc_split_point(s->t, pr->pool, &pr->hdr, &at);
	if (err) {
		if (getenv("HEAPWALK_SPLIT_MIN")) /* the tests' knob: say why not */
			SESSION_TRACE(s, "%s pool: no split: %s", pr->pool->name, err->message);
		hw_error_destroy(err); /* no split: the usual walk */
		return NULL;
	}
	h.arg = fork = ops->fork(ctx);
	if (!h.arg)
		return NULL;
	oa.meet = ob.from = at;
	if (show) {
		atomic_init(&n2, 0);
		atomic_init(&at2, 0);
		p1.pool = pr->pool->name;
		p1.first = pr->hdr.first_frag;
		p1.meet = at;
		p1.span = pr->hdr.last_frag_end > p1.first ? pr->hdr.last_frag_end - p1.first : 0;
		p1.n2 = p2.n2 = &n2;
		p1.at2 = p2.at2 = &at2;
		if (after && *after)
			p1.after = strtod(after, NULL);
		clock_gettime(CLOCK_MONOTONIC, &p1.t0);
		p2.fn = ops->fn;
		p2.arg = fork;
		h.fn = progress_second;
		h.arg = &p2;
		fn1 = progress_first;
		arg1 = &p1;
	}
	hw_check_init(&h.check, pr->check.max);
	if (pthread_create(&thread, NULL, half_run, &h)) {
		ops->drop(fork);
		hw_check_deinit(&h.check);
		return NULL;
	}
	err = hw_alloc_walk(s->t, pr->pool, &pr->hdr, &oa, fn1, arg1, &pr->check, &pr->walk);
	pthread_join(thread, NULL);
	if (p1.shown >= 0)
		fputs("\r\033[K", stderr);
	h.arg = fork;
	*done = true;
	if (getenv("HEAPWALK_SPLIT_MIN")) /* the tests' knob: say what happened */
		SESSION_TRACE(s, "%s pool: split at 0x%" PRIx64 ", %s", pr->pool->name, at,
			      !err && pr->walk.met ? "the halves met" : "not met, one walk");
	if (!err && pr->walk.met && h.err) {
		/* the split was right but the second half failed: walk it here */
		hw_error_destroy(h.err);
		h.err = NULL;
		ops->drop(h.arg);
		hw_check_deinit(&h.check);
		hw_check_init(&h.check, pr->check.max);
		h.arg = ctx;
		h.err =
		    hw_alloc_walk(s->t, pr->pool, &pr->hdr, &ob, ops->fn, ctx, &h.check, &h.walk);
		if (h.err) {
			hw_check_deinit(&h.check);
			return h.err;
		}
	} else if (err || !pr->walk.met) {
		hw_error_destroy(h.err);
		ops->drop(h.arg);
		hw_check_deinit(&h.check);
		return err;
	} else {
		ops->join(ctx, h.arg);
	}
	hw_check_append(&pr->check, &h.check, pr->walk.frags);
	hw_alloc_walk_join(pr->pool, &pr->hdr, &pr->walk, &h.walk, &pr->check);
	return NULL;
}

void hw_session_walk_split(struct hw_session *s, const struct hw_split_ops *ops,
			   struct hw_walk_ctx *ctx)
{
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err = NULL;
		bool done = false;

		if (!pr->walked)
			continue;
		ctx->pr = pr;
		if (worth_splitting(s, pr))
			err = walk_split(s, pr, ops, ctx, &done);
		if (!done && !err)
			err = hw_session_walk_pool(s, pr, ops->fn, ctx);
		if (err) {
			SESSION_WARN(s, "%s pool: %s", pr->pool->name, err->message);
			pr->walked = false;
			pr->error = hw_error_steal_message(err);
		}
	}
}
