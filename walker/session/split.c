/* split.c - walking a large pool in pieces on several threads, split at verified headers. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/session.h"
#include "internal.h"

/* Heaps smaller than this are walked on one thread (a thread costs more than it gains). */
#define SPLIT_MIN (64ull << 20)
/* Pieces no smaller than this, and this many per thread (a dense piece then holds no one up). */
#define PIECE_MIN (4ull << 20)
#define PIECES_PER_THREAD 4
/* Threads for one walk at most. */
#define THREADS_MAX 8

/* How many threads, or 0 for one walk: HEAPWALK_THREADS=N, HEAPWALK_SPLIT_MIN=BYTES (tests). */
static unsigned split_threads(const struct hw_pool_report *pr, uint64_t *piece_min)
{
	const char *threads = getenv("HEAPWALK_THREADS");
	const char *min = getenv("HEAPWALK_SPLIT_MIN");
	uint64_t need = min && *min ? strtoull(min, NULL, 0) : SPLIT_MIN;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long n = threads && *threads ? strtol(threads, NULL, 10) : cpus;

	if (threads && *threads && n == 1)
		return 0;
	if (!min && cpus < 2)
		return 0;
	if (pr->hdr.size < need)
		return 0;
	*piece_min = min && *min ? need / PIECES_PER_THREAD : PIECE_MIN;
	return n < 2 ? 2 : n > THREADS_MAX ? THREADS_MAX : (unsigned)n;
}

/*
 * The progress line of a split walk on a terminal (as a one-thread walk
 * shows it, session.c): each piece adds how far it got every
 * PROGRESS_EVERY fragments; the pieces walked by the calling thread print.
 */
#define PROGRESS_EVERY 65536

struct split_shared {
	const char *pool;
	uint64_t span;
	atomic_uint_least64_t frags, bytes;
	struct timespec t0;
	double after, shown;
};

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* One piece of the walk: its bounds, its own results, and its context. */
struct piece {
	struct hw_walk_opts o;
	void *arg; /* its own fork, or (any order) the walking thread's */
	struct hw_check check;
	struct hw_walk_stats walk;
	struct hw_error *err;
	/* progress (a terminal only) */
	struct split_shared *sh;
	hw_frag_fn fn;
	uint64_t n, next, at; /* at: the address counted up to (the piece's start at first) */
	bool printer;
};

static int progress_piece(void *arg, const struct hw_frag *f)
{
	struct piece *p = arg;
	struct split_shared *sh = p->sh;

	if (++p->n >= p->next) {
		uint64_t at = p->at;
		uint64_t frags = atomic_fetch_add_explicit(
		    &sh->frags, p->n - (p->next - PROGRESS_EVERY), memory_order_relaxed);
		uint64_t bytes =
		    atomic_fetch_add_explicit(&sh->bytes, f->addr - at, memory_order_relaxed);
		double t;

		p->at = f->addr;
		p->next = p->n + PROGRESS_EVERY;
		if (p->printer && (t = seconds_since(&sh->t0)) >= sh->after &&
		    (sh->shown < 0 || t - sh->shown >= 0.25)) {
			double pct = sh->span ? 100.0 * (double)bytes / (double)sh->span : 0;

			fprintf(stderr,
				"\rheapwalk: walking the %s pool: %5.1f%%, %" PRIu64 " fragments",
				sh->pool, pct > 100 ? 100.0 : pct, frags);
			sh->shown = t;
		}
	}
	return p->fn(p->arg, f);
}

struct split_job {
	const struct hw_session *s;
	const struct hw_pool_report *pr;
	hw_frag_fn fn;
	struct piece *pieces;
	unsigned n;
	atomic_uint next;
	pthread_t main;
	bool any_order; /* one context per thread, not per piece */
};

void *hw_split_fork_alloc(size_t size)
{
	size_t n = (size + 63) / 64 * 64;
	void *p = aligned_alloc(64, n);

	if (p)
		memset(p, 0, n);
	return p;
}

/* One thread of the walk, and (any order) its context. */
struct worker {
	struct split_job *j;
	void *ctx;
};

/* Piece @p as a walk's callback and argument (with the progress line: through progress_piece). */
static void piece_fn(struct worker *w, struct piece *p, hw_frag_fn *fn, void **arg)
{
	struct split_job *j = w->j;

	if (j->any_order)
		p->arg = w->ctx;
	*fn = j->fn;
	*arg = p->arg;
	if (p->sh) {
		p->fn = j->fn;
		p->printer = pthread_equal(pthread_self(), j->main);
		*fn = progress_piece;
		*arg = p;
	}
}

static void walk_piece(struct worker *w, struct piece *p)
{
	hw_frag_fn fn;
	void *arg;

	piece_fn(w, p, &fn, &arg);
	p->err = hw_alloc_walk(w->j->s->t, w->j->pr->pool, &w->j->pr->hdr, &p->o, fn, arg,
			       &p->check, &p->walk);
}

/* Take the pieces in order, one at a time, until none is left. */
static void *run_pieces(void *arg)
{
	struct worker *w = arg;
	struct split_job *j = w->j;
	unsigned i;

	while ((i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < j->n)
		walk_piece(w, &j->pieces[i]);
	return NULL;
}

/* The pieces' boundaries as the tests' knob asks (HEAPWALK_SPLIT_MIN): up to the first unmet. */
static void trace_boundaries(struct hw_session *s, const struct hw_pool_report *pr,
			     const struct split_job *j, unsigned threads)
{
	if (!getenv("HEAPWALK_SPLIT_MIN"))
		return;
	SESSION_TRACE(s, "%s pool: %u pieces on %u threads", pr->pool->name, j->n, threads);
	for (unsigned i = 1; i < j->n; i++) {
		bool met = !j->pieces[i - 1].err && j->pieces[i - 1].walk.met;

		SESSION_TRACE(s, "%s pool: split at 0x%" PRIx64 ", %s", pr->pool->name,
			      j->pieces[i].o.from, met ? "the halves met" : "not met, one walk");
		if (!met)
			break;
	}
}

/* Piece @p's findings and figures after those folded so far (pr's). */
static void fold_one(struct hw_pool_report *pr, struct piece *p, bool first)
{
	bool met = p->walk.met;

	hw_check_append(&pr->check, &p->check, first ? 0 : pr->walk.frags);
	if (first)
		pr->walk = p->walk;
	else
		hw_alloc_walk_join(pr->pool, &pr->hdr, &pr->walk, &p->walk, &pr->check);
	p->walk.met = met;
}

/*
 * Fold the pieces in address order while each met the next one's start;
 * the first that did not went on to the end by itself, and the pieces
 * after it are dropped. Returns the first piece's error.
 */
static struct hw_error *fold_pieces(struct hw_pool_report *pr, const struct hw_split_ops *ops,
				    struct hw_walk_ctx *ctx, struct worker *w0, struct split_job *j)
{
	struct hw_error *err = j->pieces[0].err;
	bool chain = !err;

	j->pieces[0].err = NULL;
	if (chain)
		fold_one(pr, &j->pieces[0], true);
	else
		hw_check_deinit(&j->pieces[0].check);
	for (unsigned i = 1; i < j->n; i++) {
		struct piece *p = &j->pieces[i];

		chain = chain && j->pieces[i - 1].walk.met;
		if (chain && p->err) {
			/*
			 * The split was right but the piece failed: walk it again here,
			 * into @ctx itself (the pieces before it are in it already, in
			 * order), not into its fork, which holds what the failed walk saw.
			 */
			hw_error_destroy(p->err);
			hw_check_deinit(&p->check);
			hw_check_init(&p->check, pr->check.max);
			ops->drop(p->arg);
			p->arg = ctx;
			p->sh = NULL;
			walk_piece(w0, p);
			if (p->err) {
				err = p->err;
				p->err = NULL;
				chain = false;
			}
		}
		if (!chain) {
			hw_error_destroy(p->err);
			if (p->arg != ctx)
				ops->drop(p->arg);
			hw_check_deinit(&p->check);
			continue;
		}
		if (p->arg != ctx)
			ops->join(ctx, p->arg);
		fold_one(pr, p, false);
	}
	return err;
}

/*
 * The same for a walk whose context does not care about order: true when
 * every piece met the next one and none failed, the threads' contexts then
 * joined into @ctx; else nothing is kept (the caller walks the pool again
 * on one thread, as only that knows which fragments a stopped walk saw).
 */
static bool fold_any_order(struct hw_pool_report *pr, const struct hw_split_ops *ops,
			   struct hw_walk_ctx *ctx, struct worker *w, unsigned threads,
			   struct split_job *j)
{
	bool chain = true;

	for (unsigned i = 0; i < j->n; i++)
		chain = chain && !j->pieces[i].err && (i + 1 == j->n || j->pieces[i].walk.met);
	for (unsigned i = 0; i < j->n; i++) {
		struct piece *p = &j->pieces[i];

		hw_error_destroy(p->err);
		if (chain)
			fold_one(pr, p, i == 0);
		else
			hw_check_deinit(&p->check);
	}
	for (unsigned t = 0; t < threads; t++) {
		if (chain)
			ops->join(ctx, w[t].ctx);
		else
			ops->drop(w[t].ctx);
	}
	return chain;
}

/* Each piece's bounds, results and (in order) context: how many pieces could be set up. */
static unsigned set_up_pieces(struct hw_pool_report *pr, const struct hw_split_ops *ops,
			      struct hw_walk_ctx *ctx, const uint64_t *pts, unsigned np,
			      struct piece *pieces, bool any_order)
{
	unsigned n;

	memset(pieces, 0, (np + 1) * sizeof(*pieces));
	pieces[0].arg = ctx;
	hw_check_init(&pieces[0].check, pr->check.max);
	for (n = 1; n <= np; n++) {
		struct piece *p = &pieces[n];

		if (!any_order && !(p->arg = ops->fork(ctx)))
			break;
		hw_check_init(&p->check, pr->check.max);
		p->o.from = pts[n - 1];
		pieces[n - 1].o.meet = p->o.from;
	}
	pieces[n - 1].o.meet = 0;
	return n;
}

/*
 * One pool in pieces: the first from the first fragment to the first split
 * point, the last from the last one to the end, each piece on whichever
 * thread takes it next. A piece counts only if the one before it lands
 * exactly on its start; otherwise that one simply went on to the end.
 */
static struct hw_error *walk_split(struct hw_session *s, struct hw_pool_report *pr,
				   const struct hw_split_ops *ops, struct hw_walk_ctx *ctx,
				   unsigned threads, uint64_t piece_min, bool *done)
{
	const char *after = getenv("HEAPWALK_PROGRESS_AFTER");
	const bool show = !s->no_progress && isatty(STDERR_FILENO);
	struct split_shared sh = {.pool = pr->pool->name, .after = 1.0, .shown = -1};
	struct split_job j = {
	    .s = s, .pr = pr, .fn = ops->fn, .main = pthread_self(), .any_order = ops->any_order};
	struct piece pieces[HW_SPLIT_MAX];
	struct worker w[THREADS_MAX];
	uint64_t pts[HW_SPLIT_MAX];
	pthread_t tid[THREADS_MAX];
	unsigned want = threads * PIECES_PER_THREAD, np = 0, started = 0, t;
	struct hw_error *err;

	*done = false;
	if (piece_min && pr->hdr.size / piece_min < want)
		want = (unsigned)(pr->hdr.size / piece_min);
	want = want > HW_SPLIT_MAX ? HW_SPLIT_MAX : want < 2 ? 2 : want;
	err = hw_alloc_split_points(s->t, pr->pool, &pr->hdr, want, pts, &np);
	if (err) {
		if (getenv("HEAPWALK_SPLIT_MIN")) /* the tests' knob: say why not */
			SESSION_TRACE(s, "%s pool: no split: %s", pr->pool->name, err->message);
		hw_error_destroy(err); /* no split: the usual walk */
		return NULL;
	}
	for (t = 0; t < threads; t++) {
		w[t].j = &j;
		if (j.any_order && !(w[t].ctx = ops->fork(ctx)))
			break;
	}
	if (t < threads) { /* no context for each thread: one walk */
		while (t-- > 0)
			ops->drop(w[t].ctx);
		return NULL;
	}
	j.pieces = pieces;
	j.n = set_up_pieces(pr, ops, ctx, pts, np, pieces, j.any_order);
	if (j.n < 2 && !j.any_order) { /* no context for a second piece: one walk */
		hw_check_deinit(&pieces[0].check);
		return NULL;
	}
	if (show) {
		if (after &&
		    *after) /* for tests: HEAPWALK_PROGRESS_AFTER=0 shows the line at once */
			sh.after = strtod(after, NULL);
		sh.span = pr->hdr.last_frag_end > pr->hdr.first_frag
			      ? pr->hdr.last_frag_end - pr->hdr.first_frag
			      : 0;
		atomic_init(&sh.frags, 0);
		atomic_init(&sh.bytes, 0);
		clock_gettime(CLOCK_MONOTONIC, &sh.t0);
		for (unsigned i = 0; i < j.n; i++) {
			pieces[i].sh = &sh;
			pieces[i].next = PROGRESS_EVERY;
			pieces[i].at = i ? pieces[i].o.from : pr->hdr.first_frag;
		}
	}
	atomic_init(&j.next, 0);
	for (; started + 1 < threads && started < j.n - 1; started++)
		if (pthread_create(&tid[started], NULL, run_pieces, &w[started + 1]))
			break;
	run_pieces(&w[0]);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	if (sh.shown >= 0)
		fputs("\r\033[K", stderr);
	trace_boundaries(s, pr, &j, started + 1);
	if (j.any_order) {
		*done = fold_any_order(pr, ops, ctx, w, threads, &j);
		return NULL;
	}
	*done = true;
	return fold_pieces(pr, ops, ctx, &w[0], &j);
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
		uint64_t piece_min = 0;
		unsigned threads = split_threads(pr, &piece_min);

		if (threads)
			err = walk_split(s, pr, ops, ctx, threads, piece_min, &done);
		if (!done && !err)
			err = hw_session_walk_pool(s, pr, ops->fn, ctx);
		if (err) {
			SESSION_WARN(s, "%s pool: %s", pr->pool->name, err->message);
			pr->walked = false;
			pr->error = hw_error_steal_message(err);
		}
	}
}
