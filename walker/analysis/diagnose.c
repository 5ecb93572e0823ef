/* diagnose.c - a verdict about one pool from its counters, fragmentation and growth. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "heapwalk/diagnose.h"
#include "heapwalk/diff.h"
#include "heapwalk/exit.h"
#include "heapwalk/frag.h"
#include "heapwalk/growth.h"
#include "heapwalk/sbuf.h"

const char *hw_verdict_name(enum hw_verdict v)
{
	switch (v) {
	case HW_VERDICT_OK:
		return "ok";
	case HW_VERDICT_TOO_SMALL:
		return "pool too small";
	case HW_VERDICT_LEAK:
		return "leak suspect";
	case HW_VERDICT_FRAGMENTED:
		return "fragmentation";
	case HW_VERDICT_DAMAGED:
		return "damaged";
	}
	return "?";
}

int hw_verdict_exit(enum hw_verdict v)
{
	static const int code[] = {
	    [HW_VERDICT_OK] = HW_EXIT_OK,
	    [HW_VERDICT_TOO_SMALL] = HW_EXIT_EXHAUSTED,
	    [HW_VERDICT_LEAK] = HW_EXIT_LEAK,
	    [HW_VERDICT_FRAGMENTED] = HW_EXIT_FRAGMENTED,
	    [HW_VERDICT_DAMAGED] = HW_EXIT_FINDINGS,
	};

	return (unsigned)v < sizeof(code) / sizeof(code[0]) ? code[v] : HW_EXIT_FATAL;
}

static void evidence(struct hw_diag_result *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void evidence(struct hw_diag_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nevidence == HW_DIAG_MAX_EVIDENCE)
		return;
	va_start(ap, fmt);
	vsnprintf(r->evidence[r->nevidence++], sizeof(r->evidence[0]), fmt, ap);
	va_end(ap);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* How full the pool is, for a headline: "exhausted", "near full" or NULL (neither). */
static const char *fullness(double use, double peak, bool fits)
{
	if (use >= HW_DIAG_EXHAUSTED_PCT || (!fits && use >= HW_DIAG_FULL_PCT))
		return "exhausted";
	if (use >= HW_DIAG_FULL_PCT || peak >= HW_DIAG_FULL_PCT + 5.0)
		return "near full";
	return NULL;
}

/* One snapshot: the site that holds most of a full pool, in many fragments? */
static bool accumulates(const struct hw_diag_input *in, uint64_t used)
{
	return in->dominant_site && used &&
	       (double)in->dominant_bytes >= (double)used * HW_DIAG_DOMINANT_SHARE &&
	       in->dominant_frags >= HW_DIAG_DOMINANT_FRAGS;
}

/* @minutes as "N min", "N h" or "N days" */
static const char *human_minutes(char *buf, size_t cap, double minutes)
{
	if (minutes < 120)
		snprintf(buf, cap, "%.0f min", minutes);
	else if (minutes < 48 * 60)
		snprintf(buf, cap, "%.0f h", minutes / 60);
	else
		snprintf(buf, cap, "%.0f days", minutes / (24 * 60));
	return buf;
}

/* The sites that grew but are not suspects: in-flight state, named. */
static void settled_evidence(const struct hw_diag_input *in, struct hw_diag_result *out)
{
	if (!in->settled_sites || !in->settled_site)
		return;
	if (in->settled_kept >= 0)
		evidence(out,
			 "not suspects: %" PRIu64 " site%s grew but levelled off or turned over "
			 "(in-flight state); most: %s, %s, %.0f%% of its first fragments still "
			 "there",
			 in->settled_sites, in->settled_sites == 1 ? "" : "s", in->settled_site,
			 in->settled_trend, 100.0 * in->settled_kept);
	else
		evidence(out,
			 "not suspects: %" PRIu64 " site%s grew but levelled off "
			 "(in-flight state); most: %s",
			 in->settled_sites, in->settled_sites == 1 ? "" : "s", in->settled_site);
}

void hw_diagnose_pool(const struct hw_diag_input *in, struct hw_diag_result *out)
{
	const struct hw_frag_stats *fs = in->frag;
	uint64_t request = in->request ? in->request : HW_DIAG_DEFAULT_REQUEST;
	uint64_t free_bytes = in->no_counters		 ? fs->free_bytes
			      : in->size > in->real_used ? in->size - in->real_used
							 : 0;
	double use =
	    in->no_counters ? 100.0 - pct(fs->free_bytes, in->size) : pct(in->real_used, in->size);
	double peak = in->no_counters ? use : pct(in->max_real_used, in->size);
	bool fits = hw_frag_fits(fs, request, in->roundto);
	const char *full = in->no_counters ? NULL : fullness(use, peak, fits);
	uint64_t used = in->no_counters ? in->size - fs->free_bytes : in->used;
	char b1[32], b2[32], b3[32];

	memset(out, 0, sizeof(*out));
	hw_human_size(b1, sizeof(b1), in->size);
	hw_human_size(b2, sizeof(b2), free_bytes);
	evidence(out, "%.1f%% used (%s of %s free), peak %.1f%%", use, b2, b1, peak);
	hw_human_size(b1, sizeof(b1), fs->largest_free);
	hw_human_size(b3, sizeof(b3), request);
	evidence(out,
		 "largest free fragment %s of %" PRIu64 " free fragments; a request of %s "
		 "would %s",
		 b1, fs->free_frags, b3, fits ? "fit" : "NOT fit");

	if (!in->walk_complete || in->finding_errors) {
		out->verdict = HW_VERDICT_DAMAGED;
		snprintf(out->headline, sizeof(out->headline),
			 "heap damaged: %" PRIu64 " errors%s; the figures below may be wrong",
			 in->finding_errors, in->walk_complete ? "" : ", walk incomplete");
		snprintf(out->advice, sizeof(out->advice),
			 "run 'heapwalk stats' for the findings (a snapshot taken with --no-stop "
			 "can show torn fragments)");
		return;
	}
	if (in->have_growth && in->growing_sites > 0 && in->growth_bytes > 0) {
		hw_human_size(b1, sizeof(b1), (uint64_t)in->growth_bytes);
		out->verdict = HW_VERDICT_LEAK;
		snprintf(out->headline, sizeof(out->headline),
			 "leak suspect: %" PRIu64 " allocation site%s kept growing, by %s in "
			 "total%s%s",
			 in->growing_sites, in->growing_sites == 1 ? "" : "s", b1,
			 full ? "; the pool is " : "", full ? full : "");
		if (in->top_site) {
			hw_human_size(b2, sizeof(b2),
				      in->top_site_bytes > 0 ? (uint64_t)in->top_site_bytes : 0);
			if (in->growth_seconds > 0) {
				hw_human_size(
				    b3, sizeof(b3),
				    (uint64_t)((double)(in->top_site_bytes > 0 ? in->top_site_bytes
									       : 0) *
					       60.0 / in->growth_seconds));
				evidence(out, "grew most: %s (+%s, %s/min)", in->top_site, b2, b3);
			} else {
				evidence(out, "grew most: %s (+%s)", in->top_site, b2);
			}
		}
		if (in->growth_seconds > 0) {
			double per_min = (double)in->growth_bytes * 60.0 / in->growth_seconds;
			hw_human_size(b2, sizeof(b2), (uint64_t)per_min);
			hw_human_size(b3, sizeof(b3), free_bytes);
			if (full && !strcmp(full, "exhausted"))
				evidence(out, "growth %s/min over %.0f s; the pool is already full",
					 b2, in->growth_seconds);
			else
				evidence(
				    out,
				    "growth %s/min over %.0f s: at this rate the %s still free "
				    "are gone in about %s",
				    b2, in->growth_seconds, b3,
				    human_minutes(b1, sizeof(b1), (double)free_bytes / per_min));
		}
		settled_evidence(in, out);
		evidence(out, "state that lives longer than the series can still level off: "
			      "confirm with a longer one (--interval 60, or watch)");
		snprintf(out->advice, sizeof(out->advice),
			 "leak in %s: look at what it keeps and why it is never freed; more "
			 "memory only postpones the outage",
			 in->top_site ? in->top_site : "the sites above");
		return;
	}
	if (free_bytes >= (uint64_t)((double)in->size * HW_DIAG_FRAG_MIN_FREE) && free_bytes &&
	    (double)fs->largest_free < (double)free_bytes * HW_DIAG_FRAG_MAX_SHARE && !fits) {
		out->verdict = HW_VERDICT_FRAGMENTED;
		hw_human_size(b2, sizeof(b2), free_bytes);
		snprintf(out->headline, sizeof(out->headline),
			 "fragmentation: a request of %s fails though %s (%.0f%% of the pool) is "
			 "free, in pieces; the largest is %s",
			 b3, b2, pct(free_bytes, in->size), b1);
		evidence(out, "fragmentation index %.2f (0: one free block, 1: dust)",
			 hw_frag_index(fs));
		if (fs->join_runs) {
			hw_human_size(b2, sizeof(b2), fs->join_largest);
			evidence(out,
				 "%" PRIu64 " runs of adjacent free fragments (%" PRIu64
				 " fragments): joining them%s would make a %s fragment",
				 fs->join_runs, fs->join_frags, in->opensips ? "" : " (mem_join=1)",
				 b2);
		} else {
			evidence(out, "no adjacent free fragments: joining%s would not help",
				 in->opensips ? "" : " (mem_join)");
		}
		if (in->opensips)
			snprintf(
			    out->advice, sizeof(out->advice),
			    "fragmentation: large requests fail although memory is free; a "
			    "manager that joins free neighbours at once (%s Q_MALLOC) can help; "
			    "a bigger pool only delays it",
			    in->shm ? "-s" : "-k");
		else
			snprintf(out->advice, sizeof(out->advice),
				 "fragmentation: large requests fail although memory is free; %sa "
				 "manager that keeps big pieces together (%s tlsf) can help; a "
				 "bigger pool only delays it",
				 fs->join_runs ? "set mem_join=1; " : "", in->shm ? "-x" : "-X");
		return;
	}
	if (full && (!in->have_growth || !in->growing_sites) && accumulates(in, used) &&
	    (!in->dominant_kept_known || in->dominant_kept >= HW_GROWTH_KEPT)) {
		out->verdict = HW_VERDICT_LEAK;
		hw_human_size(b2, sizeof(b2), in->dominant_bytes);
		snprintf(out->headline, sizeof(out->headline),
			 "leak suspect: the pool is %s (%.1f%% used) and one allocation site "
			 "holds %.0f%% of it: %s",
			 full, use, pct(in->dominant_bytes, used), in->dominant_site);
		evidence(out,
			 "%s in %" PRIu64 " fragments at that one site: memory that "
			 "accumulates, not a pool sized too small",
			 b2, in->dominant_frags);
		if (in->dominant_module) {
			hw_human_size(b2, sizeof(b2), in->dominant_module_bytes);
			evidence(out, "module %s holds %s (%.0f%% of the used memory)",
				 in->dominant_module, b2, pct(in->dominant_module_bytes, used));
		}
		if (in->have_growth && in->dominant_kept_known)
			evidence(
			    out,
			    "its fragments stay: %.0f%% of those of the first snapshot "
			    "(%.0f s earlier) are still there, unchanged; the pool is too full "
			    "for it to grow further",
			    100.0 * in->dominant_kept, in->growth_seconds);
		else if (!in->have_growth)
			evidence(out, "one snapshot: to see it grow, take a second one minutes "
				      "later (diagnose --pid, or heapwalk diff of two cores)");
		snprintf(out->advice, sizeof(out->advice),
			 "leak in %s: look at what it keeps and why it is never freed; more "
			 "memory only postpones the outage",
			 in->dominant_site);
		return;
	}
	if (full) {
		uint64_t peak_bytes =
		    in->max_real_used > in->real_used ? in->max_real_used : in->real_used;
		out->verdict = HW_VERDICT_TOO_SMALL;
		snprintf(out->headline, sizeof(out->headline),
			 "pool too small: %s, %.1f%% used (peak %.1f%%)%s", full, use, peak,
			 in->have_growth ? "; no allocation site keeps growing" : "");
		if (!in->have_growth)
			evidence(out, "no growth data: to rule out a leak, compare two snapshots "
				      "(diagnose --pid, diff, watch)");
		settled_evidence(in, out);
		hw_human_size(b2, sizeof(b2), peak_bytes);
		snprintf(out->advice, sizeof(out->advice),
			 "pool too small: give %s more memory, %s %" PRIu64
			 " (MiB; 1.5 times the measured peak of %s)",
			 in->opensips ? "OpenSIPS" : "Kamailio", in->shm ? "-m" : "-M",
			 (peak_bytes * 3 / 2 + (1 << 20) - 1) >> 20, b2);
		return;
	}
	out->verdict = HW_VERDICT_OK;
	snprintf(out->headline, sizeof(out->headline), "ok: %.1f%% used, largest free fragment %s",
		 use, b1);
	if (!in->have_growth)
		evidence(out, "no growth data (one snapshot): leaks show only between two");
}

void hw_diag_growth(const struct hw_diff *d, const char *pool, int pid, struct hw_diag_input *in,
		    double seconds, char *top, size_t topcap)
{
	for (size_t k = 0; k < d->npairs; k++) {
		const struct hw_diff_pair *p = &d->pairs[k];
		if (!p->b || p->b->pid != pid || strcmp(p->b->name, pool) || !p->a)
			continue;
		in->have_growth = true;
		in->growing_sites = p->grown;
		in->growth_bytes = p->grown_bytes;
		in->growth_seconds = seconds;
		if (p->nrows && p->rows[0].dbytes > 0) {
			const struct hw_diff_site *s = p->rows[0].b ? p->rows[0].b : p->rows[0].a;
			snprintf(top, topcap, "%s: %s(%llu) [%s]", s->file, s->func,
				 (unsigned long long)s->line, s->module[0] ? s->module : "-");
			in->top_site = top;
			in->top_site_bytes = p->rows[0].dbytes;
		}
		return;
	}
}

/* "file: func(line) [module]" of series @w into @buf */
static const char *series_name(const struct hw_watch_series *w, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s: %s(%llu) [%s]", w->file, w->func, (unsigned long long)w->line,
		 w->module && w->module[0] ? w->module : "-");
	return buf;
}

void hw_diag_series(const struct hw_watch_store *st, const char *pool, int pid,
		    struct hw_diag_input *in, double seconds, char *top, char *settled,
		    size_t topcap)
{
	int64_t settled_bytes = 0;
	char name[400];

	in->have_growth = true;
	in->growth_seconds = seconds;
	in->settled_kept = -1;
	for (size_t k = 0; k < st->n; k++) {
		const struct hw_watch_series *w = &st->v[k];
		size_t last;
		int64_t grown;
		if (w->pid != pid || strcmp(w->pool, pool))
			continue;
		last = st->nsamples ? st->nsamples - 1 : 0;
		if (in->dominant_site &&
		    !strcmp(series_name(w, name, sizeof(name)), in->dominant_site)) {
			in->dominant_kept = w->kept_share;
			in->dominant_kept_known = w->kept_share >= 0;
		}
		grown = (int64_t)w->bytes[last] - (int64_t)w->bytes[0];
		if (w->trend == HW_TREND_GROWING) {
			in->growing_sites++;
			in->growth_bytes += grown;
			if (!in->top_site || grown > in->top_site_bytes) {
				in->top_site = series_name(w, top, topcap);
				in->top_site_bytes = grown;
			}
		} else if (w->trend == HW_TREND_LEVELLING || w->trend == HW_TREND_TURNOVER) {
			in->settled_sites++;
			if (!in->settled_site || grown > settled_bytes) {
				in->settled_site = series_name(w, settled, topcap);
				in->settled_trend = hw_trend_name(w->trend);
				in->settled_kept = w->kept_share;
				settled_bytes = grown;
			}
		}
	}
}
