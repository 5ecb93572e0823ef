/*
 * fmt_prom.c - Prometheus text exposition (for node_exporter's textfile
 * collector): per-pool gauges and, for summary, per-site gauges, with the
 * process as labels so monitoring alerts on the numbers heapwalk shows.
 * Samples of one metric stay together under one HELP/TYPE, across processes.
 */
#include <inttypes.h>
#include <string.h>

#include "heapwalk/multi.h"
#include "heapwalk/report.h"
#include "heapwalk/target.h"

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *out, const char *name, const char *v, bool first)
{
	fprintf(out, "%s%s=\"", first ? "" : ",", name);
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', out);
		if (*v == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*v, out);
	}
	fputc('"', out);
}

struct proc {
	const struct hw_report *r;
	int pid, rank;
	const char *desc;
};

static void pool_labels(FILE *out, const struct proc *p, const struct hw_pool_report *pr)
{
	char num[24];

	label(out, "pool", pr->pool->name, true);
	snprintf(num, sizeof(num), "%d", p->pid);
	label(out, "pid", num, false);
	if (p->rank >= 0) {
		snprintf(num, sizeof(num), "%d", p->rank);
		label(out, "rank", num, false);
	}
	if (p->desc && p->desc[0])
		label(out, "process", p->desc, false);
	label(out, "manager", pr->pool->manager, false);
}

enum what { SIZE, USED, REAL_USED, FREE, MAX_USED, FRAGS_USED, FRAGS_FREE, FINDINGS, WALKED };

static const struct {
	const char *name, *help;
} metrics[] = {
    [SIZE] = {"heapwalk_pool_size_bytes", "Size of the Kamailio memory pool (heap size)."},
    [USED] = {"heapwalk_pool_used_bytes", "Bytes the pool's block counts as used."},
    [REAL_USED] = {"heapwalk_pool_real_used_bytes", "Used bytes plus allocator overhead."},
    [FREE] = {"heapwalk_pool_free_bytes", "Free bytes (size minus used plus overhead)."},
    [MAX_USED] = {"heapwalk_pool_max_real_used_bytes", "High-water mark of used plus overhead."},
    [FRAGS_USED] = {"heapwalk_pool_used_fragments", "Used fragments found by the walk."},
    [FRAGS_FREE] = {"heapwalk_pool_free_fragments", "Free fragments found by the walk."},
    [FINDINGS] = {"heapwalk_pool_damage_findings", "Findings of severity error (heap damage)."},
    [WALKED] = {"heapwalk_pool_walk_complete", "1 if the fragments tiled the heap exactly."},
};

static uint64_t value(const struct hw_pool_report *pr, enum what w)
{
	const struct hw_heap_header *h = &pr->hdr;

	switch (w) {
	case SIZE:
		return h->size;
	case USED:
		return h->used;
	case REAL_USED:
		return h->real_used;
	case FREE:
		return h->size - h->real_used;
	case MAX_USED:
		return h->max_real_used;
	case FRAGS_USED:
		return pr->walk.used_frags;
	case FRAGS_FREE:
		return pr->walk.free_frags;
	case FINDINGS:
		return pr->check.errors;
	default:
		return pr->walk.complete;
	}
}

static void write(FILE *out, const struct proc *procs, size_t n, bool sites)
{
	for (unsigned w = 0; w < sizeof(metrics) / sizeof(metrics[0]); w++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", metrics[w].name, metrics[w].help,
			metrics[w].name);
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < procs[i].r->npools; k++) {
				const struct hw_pool_report *pr = &procs[i].r->pools[k];
				if (!pr->walked)
					continue;
				fprintf(out, "%s{", metrics[w].name);
				pool_labels(out, &procs[i], pr);
				fprintf(out, "} %" PRIu64 "\n", value(pr, (enum what)w));
			}
		}
	}
	if (!sites)
		return;
	for (int m = 0; m < 2; m++) {
		const char *name = m ? "heapwalk_site_fragments" : "heapwalk_site_bytes";
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", name,
			m ? "Used fragments allocated at this site."
			  : "Used bytes allocated at this site.",
			name);
		for (size_t i = 0; i < n; i++) {
			for (size_t k = 0; k < procs[i].r->npools; k++) {
				const struct hw_pool_report *pr = &procs[i].r->pools[k];
				if (!pr->walked || !hw_pool_debug(pr->pool))
					continue;
				for (size_t j = 0; j < pr->nrows; j++) {
					const struct hw_site *s = pr->rows[j];
					char line[24];
					fprintf(out, "%s{", name);
					pool_labels(out, &procs[i], pr);
					label(out, "module", s->mname_s, false);
					label(out, "file", s->file_s, false);
					label(out, "func", s->func_s, false);
					snprintf(line, sizeof(line), "%" PRIu64, s->line);
					label(out, "line", line, false);
					fprintf(out, "} %" PRIu64 "\n", m ? s->count : s->bytes);
				}
			}
		}
	}
}

static void one(struct hw_report *r, bool sites)
{
	struct proc p = {
	    .r = r,
	    .pid = r->t->pid,
	    .rank = r->inst && r->inst->has_pt ? r->inst->pt_rank : -1,
	    .desc = r->inst && r->inst->has_pt ? r->inst->pt_desc : "",
	};

	write(r->out, &p, 1, sites);
}

static void stats(struct hw_report *r)
{
	one(r, false);
}

static void summary(struct hw_report *r)
{
	one(r, true);
}

void hw_fmt_multi_prometheus(const struct hw_multi *m)
{
	struct proc procs[256];
	size_t n = 0;

	for (size_t i = 0; i < m->nprocs && n < sizeof(procs) / sizeof(procs[0]); i++) {
		if (!m->procs[i].report)
			continue;
		procs[n].r = m->procs[i].report;
		procs[n].pid = m->procs[i].pid;
		procs[n].rank = m->procs[i].rank;
		procs[n].desc = m->procs[i].desc;
		n++;
	}
	write(m->out, procs, n, !strcmp(m->command, "summary"));
}

const struct hw_formatter hw_formatter_prometheus = {
    .name = "prometheus",
    .stats = stats,
    .summary = summary,
};
