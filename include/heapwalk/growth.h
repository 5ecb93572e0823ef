/*
 * growth.h - what grows over a series of samples (watch, report --watch,
 * diagnose): for every site of the last sample its count and bytes in each
 * sample, whether it kept growing (a leak suspect) and how fast. Data
 * only; the live commands take the samples, the formatters print them.
 */
#ifndef HEAPWALK_GROWTH_H
#define HEAPWALK_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_diff_side;

/* watch: one site's values over the samples */
struct hw_watch_series {
	const char *pool;
	int pid, rank;
	const char *desc;
	const char *file, *func, *module;
	uint64_t line;
	const uint64_t *count, *bytes; /* one per sample (0 where absent) */
	bool growing;		       /* never shrank and grew overall: a leak suspect */
	double bytes_per_min, count_per_min;
};

/* The series built from samples (owned: hw_watch_store_deinit). */
struct hw_watch_store {
	struct hw_watch_series *v;
	size_t n, cap;
	uint64_t *values; /* 2 * nsamples per series: counts, then bytes */
};

/*
 * A series for every site of the last of @n samples (pools matched by
 * name and pid), the growing ones first by bytes per minute; *ngrowing
 * gets how many grow.
 */
struct hw_error *hw_watch_build(const struct hw_diff_side *samples, size_t n, const uint64_t *t_ns,
				struct hw_watch_store *st, size_t *ngrowing);
void hw_watch_store_deinit(struct hw_watch_store *st);

/*
 * The sites that grew from A to B of @d without losing fragments, as
 * two-point series of B's pools (paired by hw_diff_compute: pid, else rank
 * and description), the most grown first; @t_ns: A's and B's times (0:
 * unknown). *ret and *values_ret (4 values per series) are the caller's
 * to free.
 */
struct hw_diff;
struct hw_error *hw_growth_from_diff(const struct hw_diff *d, const uint64_t t_ns[2],
				     struct hw_watch_series **ret, uint64_t **values_ret,
				     size_t *n_ret);

#endif
