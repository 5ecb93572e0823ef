/* session.c - opening a target: core, executable, DWARF, pools; walking them into the report model.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "heapwalk/array.h"
#include "heapwalk/debuginfo.h"
#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/session.h"
#include "heapwalk/tally.h"
#include "internal.h"
#include "heapwalk/target.h"

/* @text sanitised (hw_sanitise): a new string; NULL for NULL or without memory. */
static char *printable(const char *text)
{
	size_t cap = text ? 4 * strlen(text) + 1 : 0;
	char *out = cap ? malloc(cap) : NULL;

	if (out)
		hw_sanitise(out, cap, text, cap);
	return out;
}

/* An owned text replaced by its printable copy. */
static void make_printable(char **text)
{
	char *p = printable(*text);

	free(*text);
	*text = p;
}

/* A text in an array of @cap bytes made printable in place, cut to fit. */
static void make_printable_in(char *text, size_t cap)
{
	char *p = printable(text);

	snprintf(text, cap, "%s", p ? p : "");
	free(p);
}

/*
 * What the report prints of the files the core and --sysroot name (the
 * executable, the debug file, each layout's "dwarf:PATH" and the texts
 * that quote them) is sanitised like a target string: those bytes are the
 * target's too.
 */
static void printable_names(struct hw_session *s)
{
	s->report.exe_path = s->exe_text = printable(s->t->exe_path);
	s->report.debuginfo_path = s->debuginfo_text = printable(hw_dwarf_path(s->dw));
	make_printable(&s->debuginfo_problem);
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		struct hw_pool *p = &s->pools[k];
		struct hw_layout_head *l = p->layout_mem;
		if (l)
			make_printable_in(l->source, sizeof(l->source));
		make_printable_in(p->evidence, sizeof(p->evidence));
		make_printable(&p->problem);
	}
}

struct hw_error *hw_session_find_dwarf(const struct hw_elf *exe, const char *sysroot,
				       const char *own_root, const char *debug_file,
				       struct hw_dwarf **ret)
{
	const char *root = sysroot ? sysroot : own_root;
	struct hw_error *err = hw_dwarf_find(exe, root, debug_file, ret);

	/* a live process in a container: its own debug files, then the host's */
	if (err && !sysroot && root && !debug_file) {
		hw_error_destroy(err);
		err = hw_dwarf_find(exe, NULL, NULL, ret);
	}
	return err;
}

struct hw_error *hw_session_open(const struct hw_session_opts *o, struct hw_session *s)
{
	struct hw_target_opts topts = {
	    .core_path = o->core,
	    .exe_path = o->exe,
	    .sysroot = o->sysroot,
	    .max_core_size = o->max_core_size,
	};
	struct hw_discover_opts dopts = {
	    .layout_name = o->layout,
	    .no_debuginfo = o->no_debuginfo,
	    .manager = o->manager,
	    .has_block = o->block_given,
	    .block = o->block,
	    /* --pool NAME says which pool a --block is; else its header does */
	    .block_kind = -1,
	};
	struct hw_error *err = NULL;

	for (int k = 0, n = 0; k < HW_POOL_KIND_COUNT; k++)
		if (o->pool_sel[k])
			dopts.block_kind = n++ ? -1 : k;
	memset(s, 0, sizeof(*s));
	s->warn = o->warn;
	s->trace = o->trace;
	memcpy(s->pool_sel, o->pool_sel, sizeof(s->pool_sel));
	if (o->target)
		s->t = o->target; /* the session owns it from here */
	else
		err = hw_target_open_core(&topts, &s->t);
	if (err)
		return err;
	if (!s->t->exe && o->block_given) {
		/* The block's address stands in for the symbols; strings stay unresolved. */
		if (s->warn)
			s->warn(
			    "no executable (%s): walking the block given with --block; allocation "
			    "sites show as addresses",
			    s->t->exe_path_in_core ? s->t->exe_path_in_core
						   : "the core names none");
	} else if (!s->t->exe) {
		if (s->t->exe_path_in_core)
			err = hw_error_create(
			    HW_ERR_LOOKUP,
			    "cannot open the executable %s that the core names; give it with "
			    "--exe (and --sysroot for a core from another machine), or the "
			    "block address with --block",
			    s->t->exe_path_in_core);
		else
			err = hw_error_create(
			    HW_ERR_LOOKUP,
			    "the core names no executable (are its notes missing? a truncated "
			    "core loses them); give it with --exe");
		hw_session_close(s);
		return err;
	}
	if (o->dw && !o->no_debuginfo && !o->layout) {
		s->dw = o->dw;
		s->dw_borrowed = true;
	} else if (o->dw_problem && !o->no_debuginfo && !o->layout) {
		if (!(s->debuginfo_problem = strdup(o->dw_problem))) {
			hw_session_close(s);
			return hw_error_nomem();
		}
	} else if (!o->no_debuginfo && !o->layout && (s->t->exe || o->debug_file)) {
		err = hw_session_find_dwarf(s->t->exe, o->sysroot, s->t->sysroot, o->debug_file,
					    &s->dw);
		if (err) {
			if (o->debug_file) {
				hw_session_close(s);
				return err;
			}
			s->debuginfo_problem = strdup(err->message);
			hw_error_destroy(err);
		}
	}
	err = hw_pools_discover(s->t, s->dw, &dopts, &s->inst, s->pools);
	if (err) {
		hw_session_close(s);
		return err;
	}
	if (o->block_given)
		for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
			s->pool_sel[k] = !strcmp(s->pools[k].root_symbol, "--block");
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		if (!s->pools[k].absent) /* an optional pool this target does not have */
			continue;
		if (k == dopts.block_kind && !o->block_given)
			SESSION_WARN(s,
				     "%s pool: this target has none (no %s_block, or it is NULL)",
				     s->pools[k].name, s->pools[k].name);
		s->pool_sel[k] = false;
	}
	s->report.command = o->command;
	s->report.format = o->format;
	s->report.out = stdout;
	s->report.color = o->color;
	s->report.t = s->t;
	s->report.inst = &s->inst;
	printable_names(s);
	s->report.debuginfo_problem = s->debuginfo_problem;
	if (o->no_debuginfo)
		s->report.debuginfo_problem = "not used (--no-debuginfo)";
	else if (o->layout)
		s->report.debuginfo_problem = "not used (--layout)";
	hw_strcache_init(&s->report.strings, s->t);
	s->report.strings.module_by_object = s->inst.product == HW_PRODUCT_OPENSIPS;
	return NULL;
}

size_t hw_session_prepare_pools(struct hw_session *s)
{
	size_t ready = 0;

	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		struct hw_pool_report *pr;
		struct hw_error *err;

		if (!s->pool_sel[k])
			continue;
		if (s->pools[k].system_alloc) {
			/* nothing of heapwalk's to walk, and no failure: said once, not walked */
			s->report.system_pkg = &s->pools[k];
			if (!s->system_said &&
			    (!s->report.command || strcmp(s->report.command, "info")))
				SESSION_WARN(s, "%s", HW_POOL_SYSTEM_TEXT);
			continue;
		}
		pr = &s->report.pools[s->report.npools++];
		pr->pool = &s->pools[k];
		hw_check_init(&pr->check, 100);
		hw_sites_init(&pr->sites);
		if (!pr->pool->usable) {
			pr->error =
			    strdup(pr->pool->problem ? pr->pool->problem : "no usable layout");
			SESSION_WARN(s, "%s pool: %s", pr->pool->name, pr->error ? pr->error : "");
			continue;
		}
		pr->alloc = pr->pool->alloc;
		if (!pr->alloc) {
			pr->error = strdup("heapwalk cannot walk this memory manager yet");
			SESSION_WARN(s, "%s pool: %s", pr->pool->name, pr->error ? pr->error : "");
			continue;
		}
		err = hw_alloc_read_header(s->t, pr->pool, &pr->hdr);
		if (err) {
			pr->error = strdup(err->message);
			SESSION_WARN(s, "%s pool: %s", pr->pool->name, err->message);
			hw_error_destroy(err);
			continue;
		}
		pr->walked = true; /* provisional: the walk itself reports damage as findings */
		ready++;
	}
	return ready;
}

/*
 * Progress on a terminal: a walk that takes more than a second shows how
 * far it is on stderr, and wipes the line when done. Nothing when stderr is
 * not a terminal (pipes, files, scripts reading JSON).
 */
struct progress {
	hw_frag_fn fn;
	void *arg;
	const char *pool;
	uint64_t first, span; /* the address range the walk covers */
	uint64_t n, next;     /* fragments seen; when to look at the clock again */
	struct timespec t0;
	double after; /* seconds of walking before the first line */
	double shown; /* seconds into the walk of the last line; < 0: none yet */
};

#define PROGRESS_EVERY 65536 /* fragments between looks at the clock */

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int progress_frag(void *arg, const struct hw_frag *f)
{
	struct progress *p = arg;

	if (++p->n >= p->next) {
		double t = seconds_since(&p->t0);

		p->next = p->n + PROGRESS_EVERY;
		if (t >= p->after && (p->shown < 0 || t - p->shown >= 0.25)) {
			double pct = 0;

			if (p->span && f->addr >= p->first)
				pct = 100.0 * (double)(f->addr - p->first) / (double)p->span;
			fprintf(stderr,
				"\rheapwalk: walking the %s pool: %5.1f%%, %" PRIu64 " fragments",
				p->pool, pct > 100 ? 100.0 : pct, p->n);
			p->shown = t;
		}
	}
	return p->fn ? p->fn(p->arg, f) : 0;
}

struct hw_error *hw_session_walk_pool(struct hw_session *s, struct hw_pool_report *pr,
				      hw_frag_fn fn, void *arg)
{
	struct progress p = {
	    .fn = fn, .arg = arg, .pool = pr->pool->name, .next = 1, .after = 1.0, .shown = -1};
	/* for tests: HEAPWALK_PROGRESS_AFTER=0 shows the line at once */
	const char *after = getenv("HEAPWALK_PROGRESS_AFTER");
	struct hw_error *err;

	if (s->no_progress || !isatty(STDERR_FILENO))
		return hw_alloc_walk(s->t, pr->pool, &pr->hdr, NULL, fn, arg, &pr->check,
				     &pr->walk);
	if (after && *after)
		p.after = strtod(after, NULL);
	p.first = pr->hdr.first_frag;
	if (pr->hdr.last_frag_end > p.first)
		p.span = pr->hdr.last_frag_end - p.first;
	clock_gettime(CLOCK_MONOTONIC, &p.t0);
	err =
	    hw_alloc_walk(s->t, pr->pool, &pr->hdr, NULL, progress_frag, &p, &pr->check, &pr->walk);
	if (p.shown >= 0)
		fputs("\r\033[K", stderr);
	return err;
}

void hw_session_walk(struct hw_session *s, hw_frag_fn fn, struct hw_walk_ctx *ctx)
{
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err;

		if (!pr->walked)
			continue;
		if (ctx)
			ctx->pr = pr;
		err = hw_session_walk_pool(s, pr, fn, ctx);
		if (err) {
			SESSION_WARN(s, "%s pool: %s", pr->pool->name, err->message);
			pr->walked = false;
			pr->error = hw_error_steal_message(err);
		}
	}
}

static int add_bucket(void *arg, const struct hw_free_bucket *b)
{
	struct hw_pool_report *pr = arg;

	/* Each list is reported once, so the array is bounded by the manager's list count. */
	if (!hw_grow(&pr->buckets, &pr->bucket_cap, pr->nbuckets + 1, sizeof(*b), 64))
		return 1;
	pr->buckets[pr->nbuckets++] = *b;
	return 0;
}

struct hw_error *hw_session_walk_free_pool(struct hw_session *s, struct hw_pool_report *pr)
{
	/* a tally counts only if the walk saw every fragment */
	long taken = -1;
	const struct hw_walk_opts o = {.tally = pr->tally, .tallied = &taken};
	const bool tallied = pr->tally && pr->walk.complete && !pr->walk.stopped;
	struct hw_error *err;

	pr->nbuckets = 0;
	err = hw_alloc_walk_free(s->t, pr->pool, &pr->hdr, tallied ? &o : NULL, add_bucket, pr,
				 &pr->check);
	if (tallied && getenv("HEAPWALK_TRACE_LISTS")) { /* the tests' knob: say how */
		size_t n = taken < 0 ? 0 : (size_t)taken;

		SESSION_TRACE(s, "%s pool: %zu lists from the walk's tally, %zu followed",
			      pr->pool->name, n, pr->nbuckets > n ? pr->nbuckets - n : 0);
	}
	return err;
}

void hw_session_walk_free(struct hw_session *s)
{
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err;

		if (!pr->walked)
			continue;
		err = hw_session_walk_free_pool(s, pr);
		if (err) {
			SESSION_WARN(s, "%s pool: %s", pr->pool->name, err->message);
			pr->walked = false;
			pr->error = hw_error_steal_message(err);
		}
	}
}

/*
 * The free lists on a second thread while the fragments are walked: list
 * elements lie anywhere in the heap, so following them is one cache miss
 * each, and that waiting overlaps the walk's streaming instead of adding
 * to it. The thread reads only what prepare_pools set up (target, pool,
 * header), writes only pr->buckets and its own findings, and says
 * nothing; finish merges as if the lists had been followed after the walk.
 */
struct hw_free_job {
	struct hw_session *s;
	pthread_t thread;
	bool todo[HW_POOL_KIND_COUNT];
	struct hw_check check[HW_POOL_KIND_COUNT];
	char *error[HW_POOL_KIND_COUNT];
};

static void *free_job_run(void *arg)
{
	struct hw_free_job *job = arg;
	struct hw_session *s = job->s;

	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		struct hw_error *err;

		if (!job->todo[i])
			continue;
		pr->nbuckets = 0;
		err = hw_alloc_walk_free(s->t, pr->pool, &pr->hdr, NULL, add_bucket, pr,
					 &job->check[i]);
		if (err)
			job->error[i] = hw_error_steal_message(err);
	}
	return NULL;
}

void hw_session_walk_free_start(struct hw_session *s)
{
	struct hw_free_job *job = calloc(1, sizeof(*job));

	if (!job)
		return; /* finish follows the lists itself */
	job->s = s;
	for (size_t i = 0; i < s->report.npools; i++) {
		job->todo[i] = s->report.pools[i].walked;
		hw_check_init(&job->check[i], s->report.pools[i].check.max);
	}
	if (pthread_create(&job->thread, NULL, free_job_run, job)) {
		for (size_t i = 0; i < s->report.npools; i++)
			hw_check_deinit(&job->check[i]);
		free(job);
		return;
	}
	s->free_job = job;
}

void hw_session_walk_free_finish(struct hw_session *s)
{
	struct hw_free_job *job = s->free_job;

	if (!job) {
		hw_session_walk_free(s);
		return;
	}
	pthread_join(job->thread, NULL);
	s->free_job = NULL;
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];

		if (job->todo[i] && !pr->walked) {
			/* the walk failed: in sequence the lists would not have been followed */
			pr->nbuckets = 0;
		} else if (job->todo[i]) {
			hw_check_append(&pr->check, &job->check[i], 0);
			if (job->error[i]) {
				SESSION_WARN(s, "%s pool: %s", pr->pool->name, job->error[i]);
				pr->walked = false;
				pr->error = job->error[i];
				job->error[i] = NULL;
			}
		}
		free(job->error[i]);
		hw_check_deinit(&job->check[i]);
	}
	free(job);
}

void hw_session_walk_stats(struct hw_session *s, bool beside)
{
	bool all = true;

	for (size_t i = 0; i < s->report.npools && all; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];

		if (!pr->walked)
			continue;
		pr->tally = malloc(sizeof(*pr->tally));
		if (!pr->tally || !hw_tally_init(pr->tally, pr->pool, &pr->hdr))
			all = false;
	}
	if (all) {
		hw_session_walk_frag(s);
		hw_session_walk_free(s);
		return;
	}
	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];

		if (pr->tally)
			hw_tally_deinit(pr->tally);
		free(pr->tally);
		pr->tally = NULL;
	}
	if (beside)
		hw_session_walk_free_start(s);
	hw_session_walk_frag(s);
	if (beside)
		hw_session_walk_free_finish(s);
	else
		hw_session_walk_free(s);
}

bool hw_session_walked(const struct hw_session *s, bool *errors)
{
	*errors = false;
	for (size_t i = 0; i < s->report.npools; i++) {
		const struct hw_pool_report *pr = &s->report.pools[i];
		if (!pr->walked)
			return false;
		if (pr->check.errors)
			*errors = true;
	}
	return true;
}

void hw_session_close(struct hw_session *s)
{
	if (s->free_job) { /* a path that skipped finish: wait, keep nothing */
		pthread_join(s->free_job->thread, NULL);
		for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
			hw_check_deinit(&s->free_job->check[k]);
			free(s->free_job->error[k]);
		}
		free(s->free_job);
		s->free_job = NULL;
	}
	for (size_t i = 0; i < s->report.npools; i++)
		hw_pool_report_deinit(&s->report.pools[i]);
	hw_strcache_deinit(&s->report.strings);
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
		hw_pool_deinit(&s->pools[k]);
	free(s->debuginfo_problem);
	free(s->exe_text);
	free(s->debuginfo_text);
	if (!s->dw_borrowed)
		hw_dwarf_close(s->dw);
	hw_target_destroy(s->t);
	hw_bt_cache_destroy(s->bt);
	memset(s, 0, sizeof(*s));
}
