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

/*
 * How a site moved over a series. A suspect must grow by at least
 * HW_GROWTH_MIN_BYTES and HW_GROWTH_MIN_SHARE of what it had, at every
 * step; it is levelling off when its last step is below HW_GROWTH_LEVEL of
 * its mean step, and turning over (in-flight state: transactions,
 * registrations that expire) when fewer than HW_GROWTH_KEPT of the
 * fragments it had in the first sample are still there in the last.
 */
#define HW_GROWTH_MIN_BYTES 256
#define HW_GROWTH_MIN_SHARE 0.02
#define HW_GROWTH_LEVEL 0.25
#define HW_GROWTH_KEPT 0.5
/* Fewer fragments than this in the first sample: too few to judge turnover. */
#define HW_GROWTH_KEPT_MIN_FRAGS 10

enum hw_trend {
	HW_TREND_STATIC,    /* no change above the minimum */
	HW_TREND_GROWING,   /* grew at every step, by more than the minimum: a suspect */
	HW_TREND_LEVELLING, /* grew, but rose and fell or slowed down to nearly nothing */
	HW_TREND_TURNOVER,  /* grew, but its fragments of the first sample are mostly gone */
	HW_TREND_SHRINKING, /* smaller at the end by more than the minimum */
};
/* "static", "growing", "levelling off", "turning over", "shrinking" */
const char *hw_trend_name(enum hw_trend t);

/* watch: one site's values over the samples */
struct hw_watch_series {
	const char *pool;
	int pid, rank;
	const char *desc;
	const char *file, *func, *module;
	uint64_t line;
	const uint64_t *count, *bytes; /* one per sample (0 where absent) */
	bool growing;		       /* trend == HW_TREND_GROWING: a leak suspect */
	enum hw_trend trend;
	double
	    kept_share; /* of the first sample's fragments, the share still there; < 0: unknown */
	double bytes_per_min, count_per_min;
};

/* The series built from samples (owned: hw_watch_store_deinit). */
struct hw_watch_store {
	struct hw_watch_series *v;
	size_t n, cap;
	uint64_t *values; /* 2 * nsamples per series: counts, then bytes */
	size_t nsamples;
};

/*
 * A series for every site of the last of @n samples (pools matched by
 * name and pid), the growing ones first by bytes per minute; *ngrowing
 * gets how many grow.
 */
struct hw_error *hw_watch_build(const struct hw_diff_side *samples, size_t n, const uint64_t *t_ns,
				struct hw_watch_store *st, size_t *ngrowing);
void hw_watch_store_deinit(struct hw_watch_store *st);

/* The trend of @n values (bytes, counts) and the kept share (< 0: unknown). */
enum hw_trend hw_trend_of(const uint64_t *count, const uint64_t *bytes, size_t n,
			  double kept_share);

/*
 * The sites that grew from A to B of @d without losing fragments, by more
 * than the minimum (HW_GROWTH_MIN_BYTES and _SHARE), as
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
