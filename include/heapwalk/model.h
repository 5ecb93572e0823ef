/*
 * model.h - the report model: what a session and the analyses fill in
 * (per pool: the block header, walk totals, findings, sites, figures) and
 * the formatters (report.h) print. Data only; nothing here prints.
 */
#ifndef HEAPWALK_MODEL_H
#define HEAPWALK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heapwalk/alloc.h"
#include "heapwalk/backtrace.h"
#include "heapwalk/check.h"
#include "heapwalk/diagnose.h"
#include "heapwalk/json.h"
#include "heapwalk/locate.h"
#include "heapwalk/pool.h"
#include "heapwalk/refs.h"
#include "heapwalk/sites.h"

struct hw_target;
struct hw_frag_stats;
struct hw_heapmap;
struct hw_classify;
struct hw_location;

/* The JSON schema version; bump on incompatible changes (doc/json-schema.md). */
#define HW_JSON_FORMAT_VERSION 1

enum hw_format {
	HW_FMT_TEXT,
	HW_FMT_JSON,
	HW_FMT_CSV,
	HW_FMT_KAMAILIO,
	HW_FMT_GDB,
	HW_FMT_PROMETHEUS,
	HW_FMT_OPENSIPS
};

struct hw_pool_report {
	const struct hw_pool *pool;
	const struct hw_allocator *alloc; /* set when the pool is walked */
	bool walked;			  /* header read and fragments walked */
	char *error;			  /* why not walked (owned), NULL if walked */
	struct hw_heap_header hdr;
	struct hw_walk_stats walk;
	struct hw_check check;
	/* summary */
	struct hw_sites sites;
	const struct hw_site **rows; /* sorted, cut to --top (owned array) */
	size_t nrows;
	struct hw_groups groups; /* summary --by: by == HW_BY_SITE shows the rows as they are */
	/* map / report: the heap map and free-size histogram (owned, NULL if not made) */
	struct hw_heapmap *map;
	/* frags: non-empty free buckets, collected after the walk (owned) */
	struct hw_free_bucket *buckets;
	size_t nbuckets, bucket_cap;
	/* stats: fragmentation figures (frag.h; owned), NULL if not computed */
	struct hw_frag_stats *frag;
	/* stats: the walk's tally of the free lists (tally.h; owned), NULL if none */
	struct hw_list_tally *tally;
	/* summary --classify: what each site's fragments hold (classify.h; owned), or NULL */
	struct hw_classify *classify;
	/* summary --by stack: the used fragments by their stack's key frame (owned), or NULL */
	struct hw_stack_groups *stacks;
};

/*
 * A walked pool's used, used+overhead and peak as judged: the block's counters,
 * or the walk's figures where the block's are loose (OpenSIPS hp_malloc: shm's
 * used can even wrap below 0) or do not fit the heap; then a peak only where
 * the block's is plausible.
 */
static inline void hw_pool_counters(const struct hw_pool_report *pr, uint64_t *used,
				    uint64_t *real_used, uint64_t *max_real_used)
{
	const struct hw_heap_header *h = &pr->hdr;

	*used = h->used;
	*real_used = h->real_used;
	*max_real_used = h->max_real_used;
	if (h->no_counters || !pr->walk.complete || pr->walk.free_bytes > h->size ||
	    !(h->loose_counters || h->real_used > h->size || h->used > h->real_used))
		return;
	*used = pr->walk.used_bytes;
	*real_used = h->size - pr->walk.free_bytes;
	if (h->max_real_used > h->size || h->max_real_used < *real_used)
		*max_real_used = *real_used;
}

/*
 * One fragment's payload as frags --hexdump / --strings show it, read
 * before the fragment is formatted (hw_session_frag_content): formatters
 * print bytes, they do not read the target.
 */
struct hw_frag_content {
	const uint8_t *hex; /* the first min(size, hexdump) bytes; NULL: not readable */
	size_t nhex;
	const uint8_t *str; /* the first min(size, HW_STRINGS_MAX) bytes; NULL: not readable */
	size_t nstr;
	/* frags --backtrace, addr: the stored stack, symbolised (hw_session_frag_stack) */
	const struct hw_bt_frame *bt[HW_BT_MAX];
	size_t nbt;
	bool has_bt; /* the pool's fragments store stacks (nbt may still be 0) */
};

/* Bytes --strings looks at in one payload. */
#define HW_STRINGS_MAX (64u * 1024)

struct hw_report {
	const char *command; /* "info", "stats", "summary", "frags" */
	enum hw_format format;
	FILE *out;
	const struct hw_target *t;
	const struct hw_instance *inst;
	/* file names the core and --sysroot chose, sanitised for printing (hw_sanitise) */
	const char *exe_path;	       /* the executable as opened, NULL if none */
	const char *debuginfo_path;    /* DWARF file used, NULL if none */
	const char *debuginfo_problem; /* why none, NULL if not looked for or found */
	struct hw_pool_report pools[HW_POOL_KIND_COUNT];
	size_t npools;
	/* the pkg pool asked for, served by the system allocator (not in pools); NULL if none */
	const struct hw_pool *system_pkg;
	struct hw_strcache strings;
	/* frags streaming state */
	struct hw_json json;
	bool used_only;	  /* frags --used: Kamailio's mem_status_mode=0 */
	uint64_t request; /* stats --request N: say whether N bytes would fit (0: not asked) */
	bool color;	  /* text: ANSI colours (--color) */
	/* frags: --hexdump N (0: none) and --strings: each payload's content (fmt_content.c) */
	uint64_t hexdump;
	bool show_strings;
	bool backtrace; /* frags --backtrace: each fragment's stored stack (content.bt) */
	struct hw_frag_content content; /* of the fragment being formatted */
	/* report: the verdict per pool, shm first (hw_session_diagnose; none: 0) */
	const struct hw_diag_item *diag;
	size_t ndiag;
};

void hw_pool_report_deinit(struct hw_pool_report *pr);

/* check: what one pool's check found besides pr->check, and where each finding lies. */
struct hw_check_pool {
	struct hw_pool_report *pr;
	uint64_t listed;	   /* free-list elements followed */
	uint64_t strings_checked;  /* distinct site-string pointers verified */
	struct hw_location *where; /* one per kept finding of pr->check (NULL: not located) */
	struct hw_check_gap {
		uint64_t from, to;
	} * gaps; /* the ranges the resynchronised walk skipped */
	size_t ngaps;
};

/* refs: the references kept in full (the rest are counted). */
#define HW_REFS_KEEP 1000

struct hw_ref_found {
	uint64_t at, value;
	enum hw_ref_kind kind;
	int pool;		   /* index into prs, -1 outside the pools */
	struct hw_frag_brief frag; /* the fragment holding the word, if any */
	char *where;		   /* HW_REF_OTHER: the mapping holding @at (owned) */
};

/* refs ADDR: what holds ADDR, and every word that points into it. */
struct hw_refs_result {
	struct hw_location loc;	   /* ADDR, located in @in */
	struct hw_pool_report *in; /* the pool holding ADDR, NULL if none */
	uint64_t lo, hi;	   /* the range looked for: the fragment, else the word */
	uint64_t total;		   /* references found */
	struct hw_ref_found *refs; /* the first HW_REFS_KEEP of them (owned) */
	size_t n;
	struct hw_pool_report *prs[HW_POOL_KIND_COUNT]; /* the pools scanned */
	size_t nprs;
};
void hw_refs_result_deinit(struct hw_refs_result *res);

/* leaks: one example fragment per site. */
struct hw_leak_example {
	uint64_t file, func, line, addr;
};

/* leaks of one pool; the sites are the pool report's (rows sorted and cut). */
struct hw_pool_leaks {
	uint64_t frags, bytes, used;
	struct hw_leak_example *ex; /* owned */
	size_t nex;
};

struct hw_leaks_result {
	struct hw_pool_leaks pools[HW_POOL_KIND_COUNT]; /* in the order of the report's pools */
};
void hw_leaks_result_deinit(struct hw_leaks_result *res);

/* One process of an instance (instance.h fills these; multi.h prints them). */
struct hw_multi_proc {
	int pid, rank;	  /* rank -1 if unknown */
	int ns_pid;	  /* its pid in its own pid namespace (a container), 0: same as pid */
	const char *desc; /* its pt[] description, "" if unknown (sanitised) */
	bool in_pt;	  /* listed in the instance's process table */
	bool stopped, was_stopped;
	uint64_t stop_ns, copied, copied_while_stopped, unreadable, skipped_zero;
	uint64_t in_place;	  /* bytes of shm read in place while held, not copied */
	const char *error;	  /* why it could not be opened, NULL if report is valid */
	struct hw_report *report; /* NULL when error, or when no pool of it was selected */
};

struct hw_multi {
	const char *command; /* "stats", "summary", "info", "snapshot" */
	enum hw_format format;
	FILE *out;
	const char *source; /* "live" or the snapshot file */
	bool live, stopped;
	bool in_place; /* shm was read in place while the processes were held, not copied */
	/* the shm lock was known and read at the stop; stops let go as it was held; still */
	bool lock_watched, lock_held;
	unsigned stopped_again;
	uint64_t time_ns, wall_ns;
	const char *version; /* "" if unknown */
	bool has_process_count;
	int process_count;
	size_t npt;	       /* entries read from pt[] */
	const int *pt_missing; /* pids pt[] lists that are not in the snapshot */
	size_t npt_missing;
	const struct hw_multi_proc *procs;
	size_t nprocs;
	uint64_t request; /* stats --request */
	/* snapshot */
	const char *file; /* the file written */
	uint64_t file_bytes;
	/* report: the verdict per pool, shm first (hw_inst_diagnose; none: 0) */
	const struct hw_diag_item *diag;
	size_t ndiag;
};

/* diagnose: one pool's verdict (hw_inst_diagnose fills them; multi.h prints them). */
struct hw_diag_item {
	const char *pool;
	int pid, rank;
	const char *desc;
	size_t also; /* more processes with the same verdict, folded into this one */
	struct hw_diag_result res;
};

/* The formats a command may take, as bits of enum hw_format (the command table's). */
#define HW_FMT_BIT(f) (1u << (f))
#define HW_FMTS_TEXT_JSON (HW_FMT_BIT(HW_FMT_TEXT) | HW_FMT_BIT(HW_FMT_JSON))
#define HW_FMTS_TABLE (HW_FMTS_TEXT_JSON | HW_FMT_BIT(HW_FMT_CSV) | HW_FMT_BIT(HW_FMT_KAMAILIO))
/* stats and summary: the tables, Prometheus gauges and the server's own dump text */
#define HW_FMTS_POOLS (HW_FMTS_TABLE | HW_FMT_BIT(HW_FMT_PROMETHEUS) | HW_FMT_BIT(HW_FMT_OPENSIPS))

#endif
