/*
 * instance.h - a Kamailio instance (or one process of it), snapshotted
 * live or loaded from a snapshot file, with a session per process,
 * labelled from the instance's process table pt[]; and the instance model
 * (hw_multi) the formatters print.
 */
#ifndef HEAPWALK_INSTANCE_H
#define HEAPWALK_INSTANCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "heapwalk/diff.h"
#include "heapwalk/growth.h"
#include "heapwalk/model.h"
#include "heapwalk/session.h"
#include "heapwalk/snapshot.h"

struct hw_diff_side;

/* What to open. */
struct hw_inst_opts {
	/*
	 * How each process's session opens; the instance sets its target, DWARF
	 * and pools. warn also says why a process could not be opened and, unless
	 * @quiet, how long the processes were stopped.
	 */
	struct hw_session_opts session;
	const char *file; /* a snapshot file (NULL: the running instance of @pid) */
	int pid;	  /* live: a process of the instance; in @file: the one (0: the first) */
	bool all;	  /* every process of the instance (else @pid's, or the file's first) */
	bool quiet;	  /* no line on how long the processes were stopped */
	bool system_said; /* pkg on the system allocator said already (an earlier sample) */
	/*
	 * live: the processes stay held after hw_inst_open, shm read in place
	 * where it can be (see hw_snapshot_opts.hold); the caller walks, then
	 * calls hw_inst_release before printing anything.
	 */
	bool in_place;
	struct hw_snapshot_opts snap; /* live: no_stop, hold_ms (the rest is set here) */
};

struct hw_inst_proc {
	struct hw_session s;
	bool open;	 /* s is usable */
	bool selected;	 /* some pool of this process is shown */
	size_t snap_idx; /* index in the snapshot */
	int pid, rank;
	char desc[160];
	bool in_pt;
	char *error;   /* why it could not be opened (owned) */
	bool deferred; /* opened once the processes run again (hw_inst_release) */
};

struct hw_inst {
	struct hw_snapshot *snap;
	struct hw_inst_proc *p;
	size_t n;
	bool have_count;
	int process_count;
	size_t npt;
	int *pt_missing;
	size_t npt_missing;
	/* the model, for the formatters (hw_inst_model) */
	struct hw_multi_proc *mp;
	struct hw_multi m;
	/* held (in_place): the stop-time line said on release (NULL: quiet) */
	hw_session_say_fn warn;
	bool failed; /* released too late: the walks' results are not to be trusted */
	/* internal: what it was opened with, to open the processes deferred while held */
	struct hw_inst_opts o;
	int main_pid;
	struct hw_dwarf *dw; /* the sessions share one: found before a hold, or the first's */
	bool dw_owned;	     /* found before the hold: closed with the instance */
	char *dw_problem;    /* looked up before the hold and not found: why */
	/* the files the processes map, opened once for all (live: before they are stopped) */
	struct hw_target_files *files;
};

/*
 * The processes @o names, a session each (pkg for all, shm for the first);
 * the first process (which holds shm) also gives the pt[] labels. A process
 * that cannot be opened keeps its reason in ->error. An error: nothing could
 * be opened, and *in is closed.
 */
struct hw_error *hw_inst_open(const struct hw_inst_opts *o, struct hw_inst *in);
/*
 * Opened with in_place: let the processes go (nothing if they run), say how
 * long they were held, make the sessions' reads of what was read in place
 * fail from now on, and open the sessions deferred until then. False: the walks' results are not to
 * be trusted (held too long, see hw_snapshot_release), said through the session's warn.
 */
bool hw_inst_release(struct hw_inst *in);
/*
 * Whether process @i's session is open and may be walked now. Walks go in
 * index order: while the processes are held, the first process not holding
 * shm releases them (hw_inst_release) and opens the others; if that fails,
 * every later call says false and hw_inst_release does too.
 */
bool hw_inst_proc_ready(struct hw_inst *in, size_t i);
/* Fill in->m / in->mp from the sessions (after the walks). */
void hw_inst_model(struct hw_inst *in, const char *command, enum hw_format format,
		   uint64_t request);
/* Prepare and walk every open process's pools into their sites (resolved); false: nomem, said. */
bool hw_inst_walk_sites(struct hw_inst *in);
/*
 * report: prepare every open process's pools and walk them into heap maps
 * (hw_session_walk_map: @pkg_cells for pkg, @shm_cells for shm) and sites (cut to @top).
 */
struct hw_error *hw_inst_walk_map(struct hw_inst *in, uint32_t pkg_cells, uint32_t shm_cells,
				  uint64_t top);
/* diagnose's verdicts (owned; hw_diag_items_deinit). */
struct hw_diag_items {
	struct hw_diag_item *v;
	size_t n;
	char (*tops)[600];    /* each item's top growing sites, in the text of its verdict */
	char (*settled)[600]; /* each item's largest site that grew but settled */
};
struct hw_diff;
/*
 * diagnose: a verdict for every walked pool of the instance (with
 * fragmentation figures): shm first, then each process's pkg, the healthy
 * pkg pools folded into the first of them. @request: stats --request (0:
 * none); @d: growth against an earlier input over @seconds (NULL: none).
 */
struct hw_error *hw_inst_diagnose(const struct hw_inst *in, uint64_t request,
				  const struct hw_diff *d, double seconds,
				  struct hw_diag_items *ret);
/* The same with the growth of a series of samples (hw_watch_build's store @st). */
struct hw_watch_store;
struct hw_error *hw_inst_diagnose_series(const struct hw_inst *in, uint64_t request,
					 const struct hw_watch_store *st, double seconds,
					 struct hw_diag_items *ret);
/* The more urgent of exit code @rc and the items' verdicts' (heapwalk/exit.h). */
int hw_diag_items_exit(const struct hw_diag_items *items, int rc);
void hw_diag_items_deinit(struct hw_diag_items *items);
/* The longest stop of any process of the snapshot, in ms. */
double hw_inst_max_stop_ms(const struct hw_inst *in);
void hw_inst_close(struct hw_inst *in);

/* Every walked pool's sites (after hw_session_walk_sites) into @side, labelled per process. */
struct hw_error *hw_inst_to_side(const struct hw_inst *in, struct hw_diff_side *side);
/*
 * Which fragments stay (persist.h), after hw_inst_to_side filled @side from
 * @in: without @ref, every walked pool of @side records the identities of its
 * used fragments; with @ref (an earlier side that recorded them), each
 * site of @side learns how many of its fragments @ref already had (kept).
 */
/*
 * One sample of watch/diagnose: hw_inst_walk_sites, hw_inst_to_side and
 * (with @persist) hw_inst_persist process by process, so that an instance
 * held (in_place) is released once the first process's pools are walked.
 */
struct hw_error *hw_inst_walk_sample(struct hw_inst *in, struct hw_diff_side *side, bool persist,
				     const struct hw_diff_side *ref);
struct hw_error *hw_inst_persist(struct hw_inst *in, struct hw_diff_side *side,
				 const struct hw_diff_side *ref);
/*
 * One input of diff, report A B or diagnose --baseline into @side: a
 * summary JSON file, or a core or snapshot file (every process) walked now
 * as @o says (its file and pid are replaced). On failure @side owns nothing.
 */
struct hw_error *hw_inst_load_side(const struct hw_inst_opts *o, const char *path,
				   struct hw_diff_side *side);

/* ---- watch: periodic snapshots of a running instance (watch, report --watch) ---- */

/* What a caller adds to each sample; every member may be NULL. */
struct hw_watch_hook {
	/* Walk the open instance of one sample so that every walked pool's sites are resolved
	 * (default: hw_inst_walk_sites). */
	struct hw_error *(*walk)(struct hw_inst *in, void *arg);
	/* After the sample's side is filled: true when the hook took @in (it closes it). */
	bool (*keep)(struct hw_inst *in, void *arg);
	void *arg;
};

/* A hook's keep (arg: this) holding on to the latest sample's instance; hw_inst_close it. */
struct hw_watch_last {
	struct hw_inst in;
	bool have;
	const void *user; /* the caller's, e.g. for its walk */
};
bool hw_watch_keep_last(struct hw_inst *in, void *last);

/*
 * One sample: a snapshot of every process @o names (quietly), walked by
 * @hook (NULL: into their sites) into @side; *stop_ms: its longest stop.
 */
struct hw_error *hw_inst_sample(const struct hw_inst_opts *o, const struct hw_watch_hook *hook,
				struct hw_diff_side *side, double *stop_ms);

struct hw_watch_run;
struct hw_watch_opts {
	struct hw_inst_opts inst;	   /* each sample: every process, quietly */
	double interval;		   /* seconds between samples (0: 60) */
	uint64_t count;			   /* samples (0: 10, or as many as @duration allows) */
	double duration;		   /* seconds at most (0: no limit) */
	const volatile sig_atomic_t *stop; /* set (by a signal handler) to end the watch early */
	bool persist; /* count per site which fragments of the first sample stay (persist.h) */
	/*
	 * After each sample (NULL: nothing): the samples so far (@run->n of @count) and the
	 * seconds until the next one (0: none follows).
	 */
	void (*progress)(const struct hw_watch_run *run, uint64_t count, double next_s);
};

/* The samples taken (owned; hw_watch_run_deinit). */
struct hw_watch_run {
	size_t n;
	struct hw_diff_side *samples;
	uint64_t *t_ns;	  /* CLOCK_REALTIME of each */
	double *stop_ms;  /* longest stop of any process in each */
	bool interrupted; /* ended by *stop */
};

/*
 * Sample @o->inst's instance as @o says, until *o->stop. *run holds the
 * samples taken even when a later one failed (the error says why).
 */
struct hw_error *hw_watch_collect(const struct hw_watch_opts *o, const struct hw_watch_hook *hook,
				  struct hw_watch_run *run);
void hw_watch_run_deinit(struct hw_watch_run *run);

/* ---- diagnose's growth data: a series of samples, or the instance against a baseline ---- */
struct hw_growth {
	struct hw_watch_run run; /* a series: filled by the caller (hw_watch_collect) */
	struct hw_watch_store st;
	struct hw_diff_side base, now; /* a baseline: base loaded by the caller */
	struct hw_diff d;
	bool have_diff;
	double seconds; /* from the first sample (or the baseline) to now; 0 unknown */
	char text[512]; /* what the growth data is, for the reader */
};
void hw_growth_init(struct hw_growth *g);
void hw_growth_deinit(struct hw_growth *g);
/* The series in g->run (at least two samples) into g->st. */
struct hw_error *hw_growth_series(struct hw_growth *g);
/* @in (walked) against g->base (loaded from @name). */
struct hw_error *hw_growth_baseline(struct hw_growth *g, const struct hw_inst *in,
				    const char *name);
/* hw_inst_diagnose with @g's growth (a series, a baseline or none). */
struct hw_error *hw_inst_diagnose_growth(const struct hw_inst *in, uint64_t request,
					 const struct hw_growth *g, struct hw_diag_items *ret);

#endif
