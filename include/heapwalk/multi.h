/*
 * multi.h - reports about several processes of one Kamailio instance and
 * the live commands: `--all` (stats, summary, info), snapshot, diff, watch
 * and diagnose. The models are filled by the CLI; the formatters here
 * print them as text or JSON (format_version HW_JSON_FORMAT_VERSION) and
 * do nothing else.
 */
#ifndef HEAPWALK_MULTI_H
#define HEAPWALK_MULTI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "heapwalk/diagnose.h"
#include "heapwalk/growth.h"
#include "heapwalk/report.h"

struct hw_diff;
struct hw_watch_run;

/* stats, summary or info of every process (by m->command). */
void hw_fmt_multi(const struct hw_multi *m);
/* stats or summary of every process as Prometheus gauges (fmt_prom.c). */
void hw_fmt_multi_prometheus(const struct hw_multi *m);
/* What snapshot did: per process stop time and bytes, the file. */
void hw_fmt_snapshot(const struct hw_multi *m);

/* diff */
struct hw_diff_view {
	const struct hw_diff *d;
	const char *a_name, *b_name;
	uint64_t a_time_ns, b_time_ns; /* 0 if unknown */
	uint64_t top;		       /* rows per pool (0: all) */
	enum hw_format format;
	FILE *out;
};
void hw_fmt_diff(const struct hw_diff_view *v);

struct hw_watch_view {
	size_t nsamples;
	const uint64_t *t_ns;		      /* CLOCK_REALTIME of each sample */
	const double *max_stop_ms;	      /* longest stop of any process per sample */
	const struct hw_watch_series *series; /* the growing ones first, by bytes/min */
	size_t nseries;
	size_t ngrowing;
	bool interrupted; /* ended by Ctrl-C */
	bool stopped;	  /* snapshots taken with the processes stopped */
	uint64_t top;
	enum hw_format format;
	FILE *out;
};
void hw_fmt_watch(const struct hw_watch_view *v);
/*
 * One line for a terminal after each snapshot of a watch (@run->n of @count): when, how full
 * shm is, how much shm and pkg (all processes) grew since the first snapshot, and @next_s: the
 * seconds until the next one (0: none follows).
 */
void hw_fmt_watch_progress(FILE *out, const char *command, const struct hw_watch_run *run,
			   uint64_t count, double next_s);

/* diagnose */
struct hw_diag_view {
	const struct hw_diag_item *items;
	size_t nitems;
	const char *source;
	bool live, stopped;
	const char *growth; /* where growth data came from, NULL if none */
	enum hw_format format;
	FILE *out;
};
void hw_fmt_diagnose(const struct hw_diag_view *v);

/*
 * The HTML page of an instance (`report --all`, `--watch`, `report A B`;
 * fmt_html.c), written to m->out: first the verdict per pool (m->diag),
 * then the instance, shm once, every process's pkg in one table with
 * totals, each process's pkg in detail (m->procs' reports with their maps
 * and sites). With @growth (NULL: none), the leak suspects (its growing
 * series) and a line chart per growing site come before shm; @baseline
 * names the earlier input of `report A B` (NULL for a watch).
 */
void hw_fmt_html_multi(const struct hw_multi *m, const struct hw_watch_view *growth,
		       const char *baseline);

#endif
