/* split.c - walking a large pool on two threads, split at a header near its middle. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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
	if (!min && sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return false;
	/* the progress line counts fragments in walk order on one thread */
	if (!s->no_progress && isatty(STDERR_FILENO))
		return false;
	return pr->hdr.size >= need;
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

	*done = false;
	err = hw_alloc_split_point(s->t, pr->pool, &pr->hdr, &at);
	if (err) {
		if (getenv("HEAPWALK_SPLIT_MIN")) /* the tests' knob: say why not */
			SESSION_TRACE(s, "%s pool: no split: %s", pr->pool->name, err->message);
		hw_error_destroy(err); /* no split: the usual walk */
		return NULL;
	}
	h.arg = ops->fork(ctx);
	if (!h.arg)
		return NULL;
	oa.meet = ob.from = at;
	hw_check_init(&h.check, pr->check.max);
	if (pthread_create(&thread, NULL, half_run, &h)) {
		ops->drop(h.arg);
		hw_check_deinit(&h.check);
		return NULL;
	}
	err = hw_alloc_walk(s->t, pr->pool, &pr->hdr, &oa, ops->fn, ctx, &pr->check, &pr->walk);
	pthread_join(thread, NULL);
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
