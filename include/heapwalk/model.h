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
#include "heapwalk/check.h"
#include "heapwalk/json.h"
#include "heapwalk/pool.h"
#include "heapwalk/sites.h"

struct hw_target;
struct hw_frag_stats;
struct hw_heapmap;
struct hw_classify;
struct hw_location;

/* The JSON schema version; bump on incompatible changes (doc/json-schema.md). */
#define HW_JSON_FORMAT_VERSION 1

enum hw_format { HW_FMT_TEXT, HW_FMT_JSON, HW_FMT_CSV, HW_FMT_KAMAILIO, HW_FMT_GDB, HW_FMT_PROMETHEUS };

struct hw_pool_report {
	const struct hw_pool *pool;
	const struct hw_allocator *alloc; /* set when the pool is walked */
	bool walked;            /* header read and fragments walked */
	char *error;            /* why not walked (owned), NULL if walked */
	struct hw_heap_header hdr;
	struct hw_walk_stats walk;
	struct hw_check check;
	/* summary */
	struct hw_sites sites;
	const struct hw_site **rows; /* sorted, cut to --top (owned array) */
	size_t nrows;
	/* map / report: the heap map and free-size histogram (owned, NULL if not made) */
	struct hw_heapmap *map;
	/* frags: non-empty free buckets, collected after the walk (owned) */
	struct hw_free_bucket *buckets;
	size_t nbuckets, bucket_cap;
	/* stats: fragmentation figures (frag.h; owned), NULL if not computed */
	struct hw_frag_stats *frag;
	/* summary --classify: what each site's fragments hold (classify.h; owned), or NULL */
	struct hw_classify *classify;
};

struct hw_report {
	const char *command; /* "info", "stats", "summary", "frags" */
	enum hw_format format;
	FILE *out;
	const struct hw_target *t;
	const struct hw_instance *inst;
	const char *debuginfo_path;    /* DWARF file used, NULL if none */
	const char *debuginfo_problem; /* why none, NULL if not looked for or found */
	struct hw_pool_report pools[HW_POOL_KIND_COUNT];
	size_t npools;
	struct hw_strcache strings;
	/* frags streaming state */
	struct hw_json json;
	bool used_only; /* frags --used: Kamailio's mem_status_mode=0 */
	uint64_t request; /* stats --request N: say whether N bytes would fit (0: not asked) */
	bool color;       /* text: ANSI colours (--color) */
	/* frags: --hexdump N (0: none) and --strings: each payload's content (fmt_content.c) */
	uint64_t hexdump;
	bool show_strings;
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
	} *gaps; /* the ranges the resynchronised walk skipped */
	size_t ngaps;
};

/* The formats a command may take, as bits of enum hw_format (the command table's). */
#define HW_FMT_BIT(f) (1u << (f))
#define HW_FMTS_TEXT_JSON (HW_FMT_BIT(HW_FMT_TEXT) | HW_FMT_BIT(HW_FMT_JSON))
#define HW_FMTS_TABLE (HW_FMTS_TEXT_JSON | HW_FMT_BIT(HW_FMT_CSV) | HW_FMT_BIT(HW_FMT_KAMAILIO))

#endif
