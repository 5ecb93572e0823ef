/*
 * session.h - one target opened for walking: address space, debug info,
 * pools and the report model they are walked into (like drgn's program
 * object). A session walks its pools (in pieces on several threads when a pool is large),
 * follows their free lists and fills the report model; it prints nothing
 * itself: what it has to say goes through the warn callback it is given.
 * Not here: option parsing, output formats, exit policy (the CLI).
 */
#ifndef HEAPWALK_SESSION_H
#define HEAPWALK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heapwalk/model.h"
#include "heapwalk/pool.h"

struct hw_error;
struct hw_target;
struct hw_dwarf;

/* A message for a person ("pkg pool: ..."); the caller adds its prefix. */
typedef void (*hw_session_say_fn)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* What to open and how; every member may be zero. */
struct hw_session_opts {
	const char *core, *exe, *sysroot, *debug_file, *layout;
	bool no_debuginfo;
	const struct hw_allocator *manager; /* force a manager (NULL: detect) */
	bool block_given; /* walk the block at @block instead of looking for roots */
	uint64_t block;
	uint64_t max_core_size;
	bool pool_sel[HW_POOL_KIND_COUNT]; /* the pools to prepare */
	struct hw_target *target; /* already open: the session takes it (NULL: open core) */
	struct hw_dwarf *dw;	  /* already open: borrowed (NULL: look it up) */
	const char *dw_problem;	  /* dw NULL: it was looked up and not found, why (no search) */
	/* the report model's header */
	const char *command;
	enum hw_format format;
	bool color;
	hw_session_say_fn warn;	 /* NULL: silent */
	hw_session_say_fn trace; /* test knobs (HEAPWALK_SPLIT_MIN); NULL: silent */
};

/* Everything a walking command needs, opened in order; torn down by hw_session_close. */
struct hw_session {
	struct hw_target *t;
	struct hw_dwarf *dw;
	struct hw_instance inst;
	struct hw_pool pools[HW_POOL_KIND_COUNT];
	bool pool_sel[HW_POOL_KIND_COUNT]; /* the pools prepare_pools sets up */
	char *debuginfo_problem;
	char *exe_text, *debuginfo_text; /* the report's exe_path and debuginfo_path */
	struct hw_report report;
	bool dw_borrowed;	      /* dw belongs to someone else (an instance shares one) */
	bool no_progress;	      /* no progress line (the command streams to the terminal) */
	bool system_said;	      /* pkg on the system allocator said by another process */
	enum hw_group_by by;	      /* summary --by: walks by site keep sizes, rows are grouped */
	struct hw_free_job *free_job; /* hw_session_walk_free_start's work, NULL if none */
	hw_session_say_fn warn, trace;
	struct hw_diag_item diag[HW_POOL_KIND_COUNT]; /* hw_session_diagnose's (report.diag) */
	struct hw_bt_cache *bt; /* stored stacks' addresses symbolised (owned), NULL until needed */
};

/*
 * Open target (or take o->target), debug info and pools; set up the report
 * header. On failure *s is closed and the error says why (its message is
 * what the user is told). A missing executable with --block only warns.
 */
struct hw_error *hw_session_open(const struct hw_session_opts *o, struct hw_session *s);
/*
 * Prepare the report entry for each selected pool and read its header; a pool
 * that cannot be walked gets its error (also warned). Returns the number of
 * pools ready to walk.
 */
size_t hw_session_prepare_pools(struct hw_session *s);
/* What a walk callback gets: the pool being walked; commands extend it by embedding. */
struct hw_walk_ctx {
	struct hw_session *s;
	struct hw_pool_report *pr; /* set before each pool's walk */
};
/*
 * Walk every prepared pool with @fn (NULL: count only), calling @fn with
 * @ctx. A walk that fails outright marks the pool unwalked and warns why.
 */
void hw_session_walk(struct hw_session *s, hw_frag_fn fn, struct hw_walk_ctx *ctx);
/*
 * A walk whose callback state can be split and joined again: the pieces
 * of a large pool are walked on several threads, each with a context of
 * its own (fork; NULL: walk on one thread), folded into @ctx in address
 * order (join) or dropped when a split was wrong (drop).
 */
struct hw_split_ops {
	hw_frag_fn fn;
	void *(*fork)(struct hw_walk_ctx *ctx);
	void (*join)(struct hw_walk_ctx *ctx, void *half);
	void (*drop)(void *half);
	/*
	 * The context's result does not depend on the order the fragments
	 * come in: one fork per thread instead of one per piece.
	 */
	bool any_order;
};
/*
 * hw_session_walk for such a walk: large pools (64 MiB or more, in one
 * piece of memory, of a manager with split points) are walked in pieces
 * on up to one thread per CPU (at most 8), each thread taking the next
 * piece as it finishes one; the results exactly those of one walk (the
 * unit, cli and e2e tests compare them); the rest as hw_session_walk
 * does. HEAPWALK_THREADS=N sets the threads, 1 keeps to one.
 */
void hw_session_walk_split(struct hw_session *s, const struct hw_split_ops *ops,
			   struct hw_walk_ctx *ctx);
/*
 * Walk one prepared pool (pr->alloc->walk into pr->check and pr->walk); a
 * walk of more than a second shows a progress line when stderr is a
 * terminal, unless s->no_progress.
 */
struct hw_error *hw_session_walk_pool(struct hw_session *s, struct hw_pool_report *pr,
				      hw_frag_fn fn, void *arg);

/* Walk every prepared pool counting fragmentation figures (pr->frag, frag.h). */
void hw_session_walk_frag(struct hw_session *s);
/* The same, also adding used fragments to the pools' sites (resolved); false on nomem (warned). */
bool hw_session_walk_sites(struct hw_session *s);
/*
 * Every walked pool's header, totals and sites (after hw_session_walk_sites)
 * into @side as pools of process @pid (@rank, @desc: its pt[] entry).
 */
struct hw_diff_side;
struct hw_error *hw_session_to_diff(const struct hw_session *s, int pid, int rank, const char *desc,
				    struct hw_diff_side *side);
/*
 * map, report: a heap map (pr->map) of about @pkg_cells or @shm_cells cells
 * and the fragmentation figures (pr->frag) of every prepared pool and, with
 * @sites, the used fragments by site (resolved, sorted by bytes into
 * pr->rows, cut to @top, 0: all). A pool whose map cannot be made is warned
 * about and drawn without one.
 */
struct hw_error *hw_session_walk_map(struct hw_session *s, uint32_t pkg_cells, uint32_t shm_cells,
				     bool sites, uint64_t top);
/*
 * summary: the used fragments of every prepared pool into its sites (split
 * in two for a large pool), and with @classify what each site's fragments
 * hold (pr->classify; on one thread). NULL, or why it failed (nomem).
 */
struct hw_error *hw_session_walk_summary(struct hw_session *s, bool classify);
/*
 * Every walked pool's sites (resolved) sorted by @order into pr->rows, cut
 * to @top (0: all); with s->by module, file or function also grouped into
 * pr->groups (sorted and cut the same way).
 */
/*
 * The walked pools' site strings resolved (hw_sites_resolve); @warn_nodebug:
 * warn of each pool that records no sites.
 */
void hw_session_resolve_sites(struct hw_session *s, bool warn_nodebug);
struct hw_error *hw_session_rows(struct hw_session *s, enum hw_site_order order, uint64_t top);
/* diagnose: what a walked pool (with pr->frag) says about itself, for hw_diagnose_pool. */
struct hw_diag_input;
/*
 * Which fragments stay (persist.h): for every walked pool i, the identities of
 * its used fragments go into pp[i].record (when set), and those found in
 * pp[i].ref are counted by site into pp[i].kept (initialised here; the
 * caller deinits it). @pp has one entry per s->report.pools.
 */
struct hw_idset;
struct hw_persist_pool {
	struct hw_idset *record;
	const struct hw_idset *ref;
	struct hw_sites kept;
};
struct hw_error *hw_session_persist(struct hw_session *s, struct hw_persist_pool *pp);

void hw_session_diag_input(const struct hw_pool_report *pr, const struct hw_instance *inst,
			   uint64_t request, struct hw_diag_input *din);
/*
 * report: diagnose's verdict on every walked pool with fragmentation
 * figures and sites (hw_session_walk_map), shm first, into s->report.diag.
 */
void hw_session_diagnose(struct hw_session *s, uint64_t request);
/* Follow every walked pool's free lists, keeping the non-empty ones in pr->buckets. */
void hw_session_walk_free(struct hw_session *s);
/*
 * The same overlapping the walk: started after prepare_pools and before the
 * walk, q_malloc lists are followed a step per fragment of the walk
 * (hw_free_lanes), the other managers' on a second thread; finish completes
 * them and leaves exactly what hw_session_walk_free after the walk would
 * (findings after the walk's). Nothing between start and finish may touch
 * pr->buckets.
 */
void hw_session_walk_free_start(struct hw_session *s);
void hw_session_walk_free_finish(struct hw_session *s);
/*
 * stats: hw_session_walk_frag and hw_session_walk_free. Where every walked
 * pool's manager keeps back links in its headers, the walk tallies the
 * lists (tally.h) and they are taken from the tally after it, followed
 * only where it does not add up; else, with @beside, they are followed
 * beside the walk (hw_session_walk_free_start).
 */
void hw_session_walk_stats(struct hw_session *s, bool beside);

/*
 * check: walk the prepared pool cp->pr once more with every check, walking
 * past damage (resynchronised), and cross-check its free lists with the
 * walk: in memory that does not grow with the heap when they agree, element
 * by element when not. Findings go to cp->pr->check (all of them, up to
 * 10000), the skipped ranges to cp->gaps, where each finding lies to
 * cp->where (owned by @cp). An error: the pool could not be walked.
 */
struct hw_error *hw_session_check_pool(struct hw_session *s, struct hw_check_pool *cp);

/*
 * addr, refs: the walked pool holding @a (*ret; NULL: none does) and where
 * in it (*loc); with @findings, damage seen on the way goes to its check.
 * An error ("POOL pool: ..."): the pool could not be read there.
 */
struct hw_location;
struct hw_error *hw_session_locate(struct hw_session *s, uint64_t a, struct hw_location *loc,
				   bool findings, struct hw_pool_report **ret);
/*
 * addr: when @loc is in a damaged range, or in a fragment whose header or
 * trailer the walk found damaged (pr->check), explain it (loc->overrun);
 * a fragment the free lists hold as a double free leaves it: loc->dfree.
 */
void hw_session_explain(struct hw_session *s, const struct hw_pool_report *pr,
			struct hw_location *loc);
/* What holds @a when no pool does: a mapped file, or memory the core saved (into @buf). */
void hw_session_elsewhere(const struct hw_session *s, uint64_t a, char *buf, size_t cap);
/*
 * refs: locate @addr in the prepared pools and find every word of the
 * target that points into its fragment (the word itself when no fragment
 * holds it). Conservative (refs.h). The caller deinitialises *res.
 */
struct hw_error *hw_session_refs(struct hw_session *s, uint64_t addr, struct hw_refs_result *res);
/*
 * leaks: the used fragments of the prepared pools that nothing points to,
 * by site into each pool report's sites and rows (sorted by @order, cut to
 * @top, 0: all), with an example address per site in *res.
 */
struct hw_error *hw_session_leaks(struct hw_session *s, enum hw_site_order order, uint64_t top,
				  struct hw_leaks_result *res);

/* frags: which fragments to list (--used --free --from --to --min-size --site). */
struct hw_frag_filter {
	uint64_t from, to; /* index range, inclusive */
	uint64_t min_size;
	bool used_only, free_only;
	const char *site; /* in the file or function name; NULL: any */
};
/* 1: list @f, 0: not, -1: past the range (indices only grow: stop the walk). */
int hw_frag_filter_match(const struct hw_frag_filter *flt, const struct hw_pool *pool,
			 struct hw_strcache *strings, const struct hw_frag *f);
/*
 * Read @f's payload as s->report.hexdump and show_strings ask, and its
 * stored stack when s->report.backtrace asks, into s->report.content
 * (buffers of the session layer, valid until the next call), for the
 * formatter of @f in pool @pr.
 */
void hw_session_frag_content(struct hw_session *s, const struct hw_pool_report *pr,
			     const struct hw_frag *f);
/*
 * @f's stored stack (@pr's allocator and layout), symbolised, into
 * s->report.content.bt / nbt: none when the build stores none.
 */
void hw_session_frag_stack(struct hw_session *s, const struct hw_pool_report *pr,
			   const struct hw_frag *f);
/* Whether @pr's fragments store a stack (Kamailio master with MEMDBG_BACKTRACE). */
bool hw_session_pool_has_stacks(const struct hw_pool_report *pr);
/* Follow one walked pool's free lists into pr->buckets (see hw_session_walk_free). */
struct hw_error *hw_session_walk_free_pool(struct hw_session *s, struct hw_pool_report *pr);

/* process.c: whether the executable of @pid (or @exe) looks like Kamailio; NULL or the error. */
struct hw_error *hw_kamailio_check(int pid, const char *exe);
/*
 * The address in @pid (any process of its instance) of the shm lock's word,
 * 0 while no process allocates or frees shm; 0 when it cannot be found
 * (x86-64 only: the managers' lock functions are read for it).
 */
uint64_t hw_kamailio_shm_lock(int pid, const char *exe);

/* live.c: one process as a target; the members as --pid, --core, --exe, --no-stop, --pool say. */
struct hw_live_opts {
	int pid;
	const char *core; /* a snapshot file holding @pid (NULL: the running process) */
	const char *exe;
	bool no_stop;
	unsigned hold_ms;		   /* keep it stopped this much longer (tests) */
	unsigned max_stop_ms;		   /* the longest hold (0: HW_SNAPSHOT_MAX_STOP_MS) */
	bool pool_sel[HW_POOL_KIND_COUNT]; /* shm may be dropped (said): a file's later process */
	hw_session_say_fn warn;		   /* how long it was stopped; NULL: silent */
};
struct hw_target_opts;
/*
 * Snapshot @o->pid (its instance's other processes held while shm is
 * copied) and open it, or open that process of the snapshot file @o->core.
 */
struct hw_error *hw_live_target(struct hw_live_opts *o, const struct hw_target_opts *topts,
				struct hw_target **ret);

/* Whether every prepared pool was walked; *errors: whether one has error findings. */
bool hw_session_walked(const struct hw_session *s, bool *errors);
void hw_session_close(struct hw_session *s);

#endif
