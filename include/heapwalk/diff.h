/*
 * diff.h - comparing two moments of an instance by allocation site.
 *
 * Each side is a list of pools (per process: pid, rank, description; pool
 * "pkg" or "shm"), each with its block counters and its sites keyed by
 * their text (file, function, line, module) - not by pointer, so a site
 * compares across processes and restarts. Sides are filled from a walk
 * (hw_diff_pool_add_site) or from a saved `--format json` summary
 * (hw_diff_side_from_json). hw_diff_compute pairs the pools (same pid, else
 * the same rank and description) and lists every site whose count or bytes
 * changed, growth first (bytes, then count, descending), with new and
 * vanished sites marked.
 *
 * Strings handed in are copied; they must already be sanitised.
 */
#ifndef HEAPWALK_DIFF_H
#define HEAPWALK_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;

struct hw_idset;

struct hw_diff_site {
	char *file, *func, *module;
	uint64_t line;
	uint64_t count, bytes;
	uint64_t
	    kept; /* of count: fragments that were there, the same, in the series' first sample */
};

struct hw_diff_pool {
	char name[8];  /* "pkg" / "shm" */
	int pid, rank; /* rank -1 if unknown */
	char *desc;    /* process description from pt[], "" if unknown */
	bool has_header;
	uint64_t size, used, real_used, max_real_used, frags, free_frags;
	bool sites_known;     /* a debug build: sites recorded */
	bool sites_complete;  /* false: the input was cut (--top) */
	bool kept_known;      /* sites' kept counted against the first sample (persist.h) */
	struct hw_idset *ids; /* the identities of its used fragments, when recorded (owned) */
	struct hw_diff_site *sites;
	size_t nsites, cap;
	/* site lookup (open addressing over sites) */
	size_t *slots;
	size_t nslots;
};

struct hw_diff_side {
	struct hw_diff_pool *pools;
	size_t npools, cap;
	char *source;
	uint64_t time_ns; /* CLOCK_REALTIME of the snapshot, 0 if unknown */
};

enum hw_diff_kind { HW_DIFF_CHANGED, HW_DIFF_NEW, HW_DIFF_GONE };

struct hw_diff_row {
	const struct hw_diff_site *a, *b; /* either may be NULL (new / gone) */
	enum hw_diff_kind kind;
	int64_t dcount, dbytes;
};

struct hw_diff_pair {
	const struct hw_diff_pool *a, *b; /* either may be NULL: pool only on one side */
	struct hw_diff_row *rows;
	size_t nrows;
	uint64_t grown, shrunk, added, gone; /* site counts */
	int64_t grown_bytes;		     /* Σ dbytes of the sites that grew */
};

struct hw_diff {
	struct hw_diff_pair *pairs;
	size_t npairs;
};

void hw_diff_side_init(struct hw_diff_side *s);
void hw_diff_side_deinit(struct hw_diff_side *s);
/* A new pool on @s; returns it in *ret (owned by the side). */
struct hw_error *hw_diff_side_add_pool(struct hw_diff_side *s, const char *name, int pid, int rank,
				       const char *desc, struct hw_diff_pool **ret);
/* Add @count fragments of @bytes at a site; the same text adds up. */
struct hw_error *hw_diff_pool_add_site(struct hw_diff_pool *p, const char *file, const char *func,
				       uint64_t line, const char *module, uint64_t count,
				       uint64_t bytes);
/*
 * Fill @s from heapwalk's JSON output of `summary` (single process or
 * --all); @what names the input in messages.
 */
/* Keep only the pools for which @keep returns true. */
void hw_diff_side_filter(struct hw_diff_side *s,
			 bool (*keep)(const struct hw_diff_pool *p, void *arg), void *arg);
/* The site with this text in @p, or NULL. */
const struct hw_diff_site *hw_diff_pool_find(const struct hw_diff_pool *p, const char *file,
					     const char *func, uint64_t line, const char *module);
/* The pool of @s with this name and pid, or NULL. */
const struct hw_diff_pool *hw_diff_side_find(const struct hw_diff_side *s, const char *name,
					     int pid);
struct hw_error *hw_diff_side_from_json(struct hw_diff_side *s, const char *text, size_t len,
					const char *what);
/* Whether the file at @path is JSON (its first non-blank byte is '{'), not a core. */
bool hw_diff_file_is_json(const char *path);
/* hw_diff_side_from_json on the contents of the file at @path. */
struct hw_error *hw_diff_side_from_json_file(struct hw_diff_side *side, const char *path);

struct hw_error *hw_diff_compute(const struct hw_diff_side *a, const struct hw_diff_side *b,
				 struct hw_diff *ret);
void hw_diff_deinit(struct hw_diff *d);

#endif
