/*
 * diagnose.h - a verdict about one pool, with the evidence behind it.
 *
 * The verdicts, checked in this order:
 *   damaged       the walk found damage or did not reach the end: nothing
 *                 below can be trusted;
 *   leak suspect  growth data (two snapshots, watch) shows sites that grew;
 *   fragmentation at least HW_DIAG_FRAG_MIN_FREE of the pool is free but the
 *                 largest free fragment is less than HW_DIAG_FRAG_MAX_SHARE of
 *                 the free memory and smaller than the probe request;
 *   leak suspect  (one snapshot) the pool is full and one site holds
 *                 HW_DIAG_DOMINANT_SHARE of the used bytes in many fragments:
 *                 more memory would only postpone the outage;
 *   pool too small real_used (or max_real_used) at or above
 *                 HW_DIAG_FULL_PCT of the pool and no growing site;
 *   ok            none of the above.
 * "Kernel or cache memory, not Kamailio" is the host command's business.
 *
 * Pure computation on numbers: no target access, no printing.
 */
#ifndef HEAPWALK_DIAGNOSE_H
#define HEAPWALK_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_frag_stats;

#define HW_DIAG_FULL_PCT 90.0	      /* real_used / size (or max_real_used / size) */
#define HW_DIAG_FRAG_MIN_FREE 0.20    /* free share of the pool */
#define HW_DIAG_FRAG_MAX_SHARE 0.10   /* largest free fragment / free memory */
#define HW_DIAG_DEFAULT_REQUEST 65536 /* probe request when none is given */
/*
 * One snapshot of a full pool: a site holding this share of the used bytes
 * in at least HW_DIAG_DOMINANT_FRAGS fragments looks like accumulation,
 * not like a pool too small (a table allocated once is one fragment).
 */
#define HW_DIAG_DOMINANT_SHARE 0.50
#define HW_DIAG_DOMINANT_FRAGS 100
#define HW_DIAG_EXHAUSTED_PCT 99.0 /* used share at which a pool is exhausted */

enum hw_verdict {
	HW_VERDICT_OK,
	HW_VERDICT_TOO_SMALL,
	HW_VERDICT_LEAK,
	HW_VERDICT_FRAGMENTED,
	HW_VERDICT_DAMAGED,
};

struct hw_diag_input {
	uint64_t size, used, real_used, max_real_used;
	bool no_counters; /* the manager keeps no used counters (old fm) */
	bool shm;	  /* the shared pool (-m), else pkg (-M) */
	bool opensips;	  /* OpenSIPS's pool (advice in its terms), else Kamailio's */
	const struct hw_frag_stats *frag; /* required */
	uint64_t roundto;		  /* the manager's request rounding (1 if unknown) */
	uint64_t request;		  /* probe request in bytes (0: HW_DIAG_DEFAULT_REQUEST) */
	bool walk_complete;
	uint64_t finding_errors;
	/* growth between two snapshots, if known */
	bool have_growth;
	uint64_t growing_sites; /* sites whose bytes grew */
	int64_t growth_bytes;	/* total used-bytes growth of those sites */
	double growth_seconds;	/* time between the snapshots (0: unknown) */
	const char *top_site;	/* the site that grew most (may be NULL) */
	int64_t top_site_bytes;
	/* a series of snapshots: sites that grew but are not suspects (hw_diag_series) */
	uint64_t
	    settled_sites; /* grew by more than the minimum, then levelled off or turned over */
	const char *settled_site;  /* the one of them that grew most (may be NULL) */
	const char *settled_trend; /* its trend: "levelling off" or "turning over" */
	double settled_kept;	   /* its share of fragments still there (< 0: unknown) */
	bool dominant_kept_known;  /* a series tracked the dominant site's fragments: */
	double dominant_kept;	   /* its share of them still there at the end */
	/* one snapshot: what holds the most of the used memory, if the sites were walked */
	const char *dominant_site; /* "module: file: func(line)" (NULL: unknown) */
	uint64_t dominant_bytes, dominant_frags;
	const char *dominant_module; /* (NULL: unknown) */
	uint64_t dominant_module_bytes;
};

#define HW_DIAG_MAX_EVIDENCE 8

struct hw_diag_result {
	enum hw_verdict verdict;
	char headline[200];
	char evidence[HW_DIAG_MAX_EVIDENCE][200];
	size_t nevidence;
	char advice[240];
};

void hw_diagnose_pool(const struct hw_diag_input *in, struct hw_diag_result *out);
/* "ok", "pool too small", "leak suspect", "fragmentation", "damaged". */
const char *hw_verdict_name(enum hw_verdict v);
/* The exit code (heapwalk/exit.h) of verdict @v. */
int hw_verdict_exit(enum hw_verdict v);

/*
 * The growth of pool @pool of process @pid between the two sides of @d
 * (baseline, now) into @in, over @seconds; its fastest growing site is
 * written to @top (and in->top_site points there).
 */
struct hw_diff;
struct hw_watch_store;
/*
 * The same from a series of snapshots (hw_watch_build's store @st): only
 * sites that kept growing count; those that levelled off or turned over
 * are named apart. @top and @settled receive the site names (as @topcap).
 */
void hw_diag_series(const struct hw_watch_store *st, const char *pool, int pid,
		    struct hw_diag_input *in, double seconds, char *top, char *settled,
		    size_t topcap);
void hw_diag_growth(const struct hw_diff *d, const char *pool, int pid, struct hw_diag_input *in,
		    double seconds, char *top, size_t topcap);

#endif
