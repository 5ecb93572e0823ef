/* fmt_live.c - text and JSON for --all, snapshot, diff, watch and diagnose (see multi.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "heapwalk/diff.h"
#include "heapwalk/frag.h"
#include "heapwalk/instance.h"
#include "heapwalk/multi.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/target.h"

/* @v as text people read ("4.3 MiB", "+12 KiB"), for one statement's arguments; the exact
 * bytes are in the JSON. */
#define HS(v) hw_human_size((char[24]){0}, 24, (v))
#define HD(v) hw_human_delta((char[24]){0}, 24, (v))

static void when(char *buf, size_t cap, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns || !localtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, cap, "unknown time");
}

static const char *proc_label(const struct hw_multi_proc *p)
{
	return p->desc && p->desc[0] ? p->desc : p->in_pt ? "" : "(not in pt[])";
}

/* The process column: as wide as the longest label (at least 30), names never cut. */
static int label_width(const struct hw_multi *m)
{
	size_t w = 30;

	for (size_t i = 0; i < m->nprocs; i++)
		if (strlen(proc_label(&m->procs[i])) > w)
			w = strlen(proc_label(&m->procs[i]));
	return w > 200 ? 200 : (int)w;
}

/* Whether some process runs in a pid namespace other than heapwalk's (a container). */
static bool any_ns(const struct hw_multi *m)
{
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].ns_pid)
			return true;
	return false;
}

/* The pid column: "4242", or "4242 (1)" when it has another pid in its container. */
static int pid_width(const struct hw_multi *m)
{
	return any_ns(m) ? 15 : 7;
}

static const char *pid_head(const struct hw_multi *m)
{
	return any_ns(m) ? "pid (in ns)" : "pid";
}

static const char *pid_cell(const struct hw_multi_proc *p, char *buf, size_t cap)
{
	if (p->ns_pid)
		snprintf(buf, cap, "%d (%d)", p->pid, p->ns_pid);
	else
		snprintf(buf, cap, "%d", p->pid);
	return buf;
}

/* Below a table with a "pid (in ns)" column: what the second pid is. */
static void pid_note(const struct hw_multi *m)
{
	if (any_ns(m))
		fputs("  (pid (in ns): the host's pid, then the pid in the process's own pid "
		      "namespace, as its container and pt[] name it)\n",
		      m->out);
}

/* "pid 4242" or "pid 4242 (1 in its namespace)". */
static const char *pid_text(const struct hw_multi_proc *p, char *buf, size_t cap)
{
	if (p->ns_pid)
		snprintf(buf, cap, "pid %d (%d in its namespace)", p->pid, p->ns_pid);
	else
		snprintf(buf, cap, "pid %d", p->pid);
	return buf;
}

/* ---- shared JSON pieces ---- */

/* A pool object with the members of the single-process JSON (doc/json-schema.md). */
static void json_pool(struct hw_json *js, const struct hw_multi *m, const struct hw_report *r,
		      const struct hw_pool_report *pr)
{
	hw_json_pool_open(js, pr, r->t->pid);
	if (!pr->walked) {
		hw_json_end_object(js);
		return;
	}
	if (!strcmp(m->command, "stats") && pr->frag)
		hw_fmt_frag_json(js, pr, m->request);
	if (!strcmp(m->command, "summary"))
		hw_json_sites(js, pr);
	if (!strcmp(m->command, "info")) {
		hw_json_key(js, "evidence");
		hw_json_string(js, pr->pool->evidence);
	}
	hw_json_findings(js, &pr->check);
	hw_json_end_object(js);
}

static void json_instance(struct hw_json *js, const struct hw_multi *m)
{
	hw_json_key(js, "instance");
	hw_json_begin_object(js);
	hw_json_key(js, "source");
	hw_json_string(js, m->source);
	hw_json_key(js, "live");
	hw_json_bool(js, m->live);
	hw_json_key(js, "stopped");
	hw_json_bool(js, m->stopped);
	hw_json_key(js, "shm_read");
	hw_json_string(js, !m->live ? "file" : m->in_place ? "in place" : "copied");
	if (m->live && m->stopped) {
		hw_json_key(js, "shm_lock");
		hw_json_string(js, !m->lock_watched ? "unknown" : m->lock_held ? "held" : "free");
		hw_json_key(js, "stopped_again");
		hw_json_u64(js, m->stopped_again);
	}
	hw_json_key(js, "time_ns");
	hw_json_u64(js, m->time_ns);
	hw_json_key(js, "wall_ms");
	hw_json_double(js, (double)m->wall_ns / 1e6);
	hw_json_key(js, "version");
	hw_json_string(js, m->version);
	hw_json_opt_i64(js, "process_count", m->has_process_count, m->process_count);
	hw_json_key(js, "pt_entries");
	hw_json_u64(js, m->npt);
	hw_json_key(js, "pt_missing");
	hw_json_begin_array(js);
	for (size_t i = 0; i < m->npt_missing; i++)
		hw_json_i64(js, m->pt_missing[i]);
	hw_json_end_array(js);
	hw_json_end_object(js);
}

/* Named counts, members of the open object. */
struct count {
	const char *key;
	uint64_t v;
};

static void json_counts(struct hw_json *js, const struct count *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hw_json_key(js, c[i].key);
		hw_json_u64(js, c[i].v);
	}
}

static void json_proc_head(struct hw_json *js, const struct hw_multi_proc *p)
{
	const struct count counts[] = {
	    {"copied_bytes", p->copied},	  {"copied_while_stopped", p->copied_while_stopped},
	    {"untouched_bytes", p->skipped_zero}, {"in_place_bytes", p->in_place},
	    {"unreadable_bytes", p->unreadable},
	};

	hw_json_key(js, "pid");
	hw_json_i64(js, p->pid);
	if (p->ns_pid) {
		hw_json_key(js, "ns_pid");
		hw_json_i64(js, p->ns_pid);
	}
	hw_json_opt_i64(js, "rank", p->rank >= 0 || p->in_pt, p->rank);
	hw_json_key(js, "desc");
	hw_json_string(js, p->desc);
	hw_json_key(js, "in_pt");
	hw_json_bool(js, p->in_pt);
	hw_json_key(js, "stopped");
	hw_json_bool(js, p->stopped);
	hw_json_key(js, "was_stopped");
	hw_json_bool(js, p->was_stopped);
	hw_json_key(js, "stop_ms");
	hw_json_double(js, (double)p->stop_ns / 1e6);
	json_counts(js, counts, sizeof(counts) / sizeof(counts[0]));
}

/* Sum of one pool kind over every process. */
struct totals {
	size_t n;
	uint64_t size, used, real_used, max_real_used, frags, free_frags, used_walked;
};

static void add_total(struct totals *t, const struct hw_pool_report *pr)
{
	uint64_t used, real_used, max_real_used;

	hw_pool_counters(pr, &used, &real_used, &max_real_used);
	t->n++;
	t->size += pr->hdr.size;
	t->used += used;
	t->real_used += real_used;
	t->max_real_used += max_real_used;
	t->frags += pr->walk.frags;
	t->free_frags += pr->walk.free_frags;
	t->used_walked += pr->walk.used_bytes;
}

static void totals_of(const struct hw_multi *m, const char *pool, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_report *r = m->procs[i].report;
		for (size_t k = 0; r && k < r->npools; k++)
			if (r->pools[k].walked && !strcmp(r->pools[k].pool->name, pool))
				add_total(t, &r->pools[k]);
	}
}

static void json_totals(struct hw_json *js, const struct hw_multi *m)
{
	static const char *const pools[] = {"pkg", "shm"};

	hw_json_key(js, "totals");
	hw_json_begin_object(js);
	for (int k = 0; k < 2; k++) {
		struct totals t;
		totals_of(m, pools[k], &t);
		const struct count counts[] = {
		    {"pools", t.n},
		    {"heap_size", t.size},
		    {"used", t.used},
		    {"real_used", t.real_used},
		    {"free", t.size > t.real_used ? t.size - t.real_used : 0},
		    {"max_real_used", t.max_real_used},
		    {"frags", t.frags},
		    {"free_frags", t.free_frags},
		};
		hw_json_key(js, pools[k]);
		hw_json_begin_object(js);
		json_counts(js, counts, sizeof(counts) / sizeof(counts[0]));
		hw_json_end_object(js);
	}
	hw_json_end_object(js);
}

static void multi_json(const struct hw_multi *m)
{
	struct hw_json js;

	hw_json_doc_open(&js, m->out, m->command);
	json_instance(&js, m);
	if (!strcmp(m->command, "snapshot")) {
		hw_json_key(&js, "file");
		hw_json_string(&js, m->file);
		hw_json_key(&js, "file_bytes");
		hw_json_u64(&js, m->file_bytes);
	}
	hw_json_key(&js, "processes");
	hw_json_begin_array(&js);
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_multi_proc *p = &m->procs[i];
		hw_json_begin_object(&js);
		json_proc_head(&js, p);
		if (p->error) {
			hw_json_key(&js, "error");
			hw_json_string(&js, p->error);
		}
		if (p->report) {
			hw_json_key(&js, "pools");
			hw_json_begin_array(&js);
			for (size_t k = 0; k < p->report->npools; k++)
				json_pool(&js, m, p->report, &p->report->pools[k]);
			hw_json_end_array(&js);
		}
		hw_json_end_object(&js);
	}
	hw_json_end_array(&js);
	if (!strcmp(m->command, "stats"))
		json_totals(&js, m);
	hw_json_doc_close(&js);
}

/* ---- text ---- */

static void text_head(const struct hw_multi *m)
{
	uint64_t copied = 0, max = 0, zero = 0;
	char b1[32], b2[32], t[40];

	for (size_t i = 0; i < m->nprocs; i++) {
		copied += m->procs[i].copied;
		zero += m->procs[i].skipped_zero;
		if (m->procs[i].stop_ns > max)
			max = m->procs[i].stop_ns;
	}
	fprintf(m->out, "instance   %s; %zu processes",
		m->version && m->version[0] ? m->version : "version unknown", m->nprocs);
	if (m->npt)
		fprintf(m->out, ", pt[] lists %zu", m->npt);
	if (m->has_process_count)
		fprintf(m->out, " (process_count %d)", m->process_count);
	fputc('\n', m->out);
	hw_human_size(b1, sizeof(b1), copied);
	hw_human_size(b2, sizeof(b2), zero);
	when(t, sizeof(t), m->time_ns);
	if (m->live && m->stopped && m->in_place)
		fprintf(m->out,
			"snapshot   live at %s, all held together while shm was walked in place: "
			"longest stop %.2f ms; %s copied\n",
			t, (double)max / 1e6, b1);
	else if (m->live && m->stopped)
		fprintf(m->out,
			"snapshot   live at %s, all stopped together: longest stop %.2f ms; %s "
			"copied, %s never touched (not read)\n",
			t, (double)max / 1e6, b1, b2);
	else if (m->live)
		fprintf(m->out,
			"snapshot   live at %s, NOT stopped (--no-stop): torn reads possible; "
			"%s copied\n",
			t, b1);
	else
		fprintf(m->out, "snapshot   %s (%s, taken %s)\n", m->source ? m->source : "?", t,
			m->stopped ? "with the processes stopped" : "without stopping");
	if (m->npt_missing) {
		fprintf(m->out,
			"warning    pt[] lists %zu process%s not in the snapshot:", m->npt_missing,
			m->npt_missing == 1 ? "" : "es");
		for (size_t i = 0; i < m->npt_missing; i++)
			fprintf(m->out, " %d", m->pt_missing[i]);
		fputc('\n', m->out);
	}
	for (size_t i = 0; i < m->nprocs; i++)
		if (m->procs[i].error)
			fprintf(m->out, "error      pid %d: %s\n", m->procs[i].pid,
				m->procs[i].error);
}

/* The single-process text of one pool (the stats or summary lines), via a one-pool report. */
static void text_pool(const struct hw_multi *m, const struct hw_report *r,
		      const struct hw_pool_report *pr)
{
	struct hw_report one = *r;

	one.pools[0] = *pr;
	one.npools = 1;
	one.out = m->out;
	one.request = m->request;
	if (!strcmp(m->command, "summary"))
		hw_formatter_text.summary(&one);
	else
		hw_formatter_text.stats(&one);
}

static void stats_text(const struct hw_multi *m)
{
	struct totals t;
	bool any = false;
	char pb[32];
	const int lw = label_width(m), pw = pid_width(m);

	text_head(m);
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_report *r = m->procs[i].report;
		for (size_t k = 0; r && k < r->npools; k++)
			if (!strcmp(r->pools[k].pool->name, "shm") && r->pools[k].walked) {
				fprintf(m->out, "\n(shm as seen from pid %d)\n", m->procs[i].pid);
				text_pool(m, r, &r->pools[k]);
			}
	}
	fprintf(m->out, "\npkg pools\n");
	fprintf(m->out, "  %*s %4s  %-*s %8s %10s %10s %10s %6s %10s %7s %6s %10s  %s\n", pw,
		pid_head(m), "rank", lw, "process", "stop ms", "heap size", "used", "used+ovh",
		"free%", "max used", "frags", "free", "largest", "walk");
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_multi_proc *p = &m->procs[i];
		const struct hw_report *r = p->report;
		for (size_t k = 0; r && k < r->npools; k++) {
			const struct hw_pool_report *pr = &r->pools[k];
			const struct hw_heap_header *h = &pr->hdr;
			const char *walk;
			char rank[16];
			uint64_t cu, cr, cm;
			if (strcmp(pr->pool->name, "pkg"))
				continue;
			any = true;
			/* a table without ranks (older Kamailio, OpenSIPS) shows none */
			snprintf(rank, sizeof(rank), p->rank >= 0 ? "%d" : "-", p->rank);
			if (!pr->walked) {
				fprintf(m->out, "  %*s %4s  %-*s %8.2f  not walked: %s\n", pw,
					pid_cell(p, pb, sizeof(pb)), rank, lw, proc_label(p),
					(double)p->stop_ns / 1e6, pr->error ? pr->error : "?");
				continue;
			}
			hw_pool_counters(pr, &cu, &cr, &cm);
			walk = !pr->walk.complete ? "INCOMPLETE"
			       : pr->check.errors ? "damaged"
			       : !h->loose_counters && h->used != pr->walk.used_bytes
				   ? "used!=walked"
				   : "ok";
			fprintf(m->out,
				"  %*s %4s  %-*s %8.2f %10s %10s %10s %5.1f%% %10s %7" PRIu64
				" %6" PRIu64 " %10s  %s\n",
				pw, pid_cell(p, pb, sizeof(pb)), rank, lw, proc_label(p),
				(double)p->stop_ns / 1e6, HS(h->size), HS(cu), HS(cr),
				hw_report_pct(h->size > cr ? h->size - cr : 0, h->size), HS(cm),
				pr->walk.frags, pr->walk.free_frags,
				HS(pr->frag ? pr->frag->largest_free : 0), walk);
		}
	}
	totals_of(m, "pkg", &t);
	if (any) {
		fprintf(m->out, "  %-*s %10s %10s %10s %5.1f%% %10s %7" PRIu64 " %6" PRIu64 "\n",
			lw + pw + 16, "total", HS(t.size), HS(t.used), HS(t.real_used),
			hw_report_pct(t.size > t.real_used ? t.size - t.real_used : 0, t.size),
			HS(t.max_real_used), t.frags, t.free_frags);
		pid_note(m);
	} else {
		bool sys = false;
		for (size_t i = 0; i < m->nprocs; i++)
			if (m->procs[i].report && m->procs[i].report->system_pkg)
				sys = true;
		fprintf(m->out, "  (%s)\n", sys ? HW_POOL_SYSTEM_TEXT : "none selected");
	}
	/* Damage is listed per pool below the table. */
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_report *r = m->procs[i].report;
		for (size_t k = 0; r && k < r->npools; k++) {
			const struct hw_pool_report *pr = &r->pools[k];
			if (strcmp(pr->pool->name, "pkg") || !pr->check.total)
				continue;
			fprintf(m->out, "\npid %d pkg: %" PRIu64 " findings (%" PRIu64 " errors)\n",
				m->procs[i].pid, pr->check.total, pr->check.errors);
			for (size_t f = 0; f < pr->check.n; f++)
				fprintf(m->out, "    %s at 0x%" PRIx64 ": %s\n",
					hw_severity_name(pr->check.items[f].sev),
					pr->check.items[f].addr, pr->check.items[f].message);
		}
	}
}

static void summary_text(const struct hw_multi *m)
{
	char pb[48];

	text_head(m);
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_multi_proc *p = &m->procs[i];
		const struct hw_report *r = p->report;
		if (!r)
			continue;
		fprintf(m->out, "\n== %s", pid_text(p, pb, sizeof(pb)));
		if (p->rank >= 0)
			fprintf(m->out, ", rank %d", p->rank);
		if (proc_label(p)[0])
			fprintf(m->out, ": %s", proc_label(p));
		fputs(" ==\n", m->out);
		for (size_t k = 0; k < r->npools; k++) {
			if (k)
				fputc('\n', m->out);
			text_pool(m, r, &r->pools[k]);
		}
	}
}

static void info_text(const struct hw_multi *m)
{
	char pb[48];

	text_head(m);
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_multi_proc *p = &m->procs[i];
		const struct hw_report *r = p->report;
		fprintf(m->out, "\n%s", pid_text(p, pb, sizeof(pb)));
		if (p->rank >= 0)
			fprintf(m->out, ", rank %d", p->rank);
		if (proc_label(p)[0])
			fprintf(m->out, ": %s", proc_label(p));
		fprintf(m->out, " (stopped %.2f ms, %s copied)\n", (double)p->stop_ns / 1e6,
			HS(p->copied));
		for (size_t k = 0; r && k < r->npools; k++) {
			const struct hw_pool_report *pr = &r->pools[k];
			fprintf(m->out, "  %s: %s, block 0x%" PRIx64 ", layout %s", pr->pool->name,
				pr->pool->manager[0] ? pr->pool->manager : "unknown manager",
				pr->pool->block, hw_pool_layout_source(pr->pool));
			if (pr->walked)
				fprintf(m->out, ", %" PRIu64 " fragments, walk %s\n",
					pr->walk.frags,
					pr->walk.complete ? "complete" : "incomplete");
			else
				fprintf(m->out, ", not walked: %s\n", pr->error ? pr->error : "?");
		}
	}
}

/* --all's printers by format and command (NULL: any command); the first that matches prints. */
static const struct {
	enum hw_format format;
	const char *command;
	void (*print)(const struct hw_multi *m);
} multi_outputs[] = {
    {HW_FMT_PROMETHEUS, NULL, hw_fmt_multi_prometheus},
    {HW_FMT_JSON, NULL, multi_json},
    {HW_FMT_TEXT, "summary", summary_text},
    {HW_FMT_TEXT, "info", info_text},
    {HW_FMT_TEXT, NULL, stats_text},
};

void hw_fmt_multi(const struct hw_multi *m)
{
	/* a format without a printer of its own prints as text */
	for (int pass = 0; pass < 2; pass++) {
		enum hw_format f = pass ? HW_FMT_TEXT : m->format;
		for (size_t i = 0; i < sizeof(multi_outputs) / sizeof(multi_outputs[0]); i++)
			if (multi_outputs[i].format == f &&
			    (!multi_outputs[i].command ||
			     !strcmp(multi_outputs[i].command, m->command))) {
				multi_outputs[i].print(m);
				return;
			}
	}
}

void hw_fmt_snapshot(const struct hw_multi *m)
{
	char b1[32], b2[32], pb[32];
	const int lw = label_width(m), pw = pid_width(m);

	if (m->format == HW_FMT_JSON) {
		multi_json(m);
		return;
	}
	hw_human_size(b1, sizeof(b1), m->file_bytes);
	fprintf(m->out, "wrote %s (%s, zero pages left as holes; %zu process%s)\n",
		m->file ? m->file : "?", b1, m->nprocs, m->nprocs == 1 ? "" : "es");
	fprintf(m->out, "  %*s %4s  %-*s %9s %12s %12s  %s\n", pw, pid_head(m), "rank", lw,
		"process", "stop ms", "copied", "untouched", "");
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_multi_proc *p = &m->procs[i];
		char rank[16];
		snprintf(rank, sizeof(rank), p->in_pt || p->rank >= 0 ? "%d" : "-", p->rank);
		hw_human_size(b1, sizeof(b1), p->copied);
		hw_human_size(b2, sizeof(b2), p->skipped_zero);
		fprintf(m->out, "  %*s %4s  %-*s %9.2f %12s %12s  %s%s\n", pw,
			pid_cell(p, pb, sizeof(pb)), rank, lw, proc_label(p),
			(double)p->stop_ns / 1e6, b1, b2,
			!p->stopped	 ? "not stopped"
			: p->was_stopped ? "was already stopped"
					 : "",
			p->unreadable ? " (some memory unreadable)" : "");
	}
	pid_note(m);
	if (m->npt_missing)
		fprintf(m->out, "warning: pt[] lists %zu processes not in the snapshot\n",
			m->npt_missing);
	fprintf(m->out,
		"read it with: heapwalk stats --core %s [--all | --pid PID]; gdb "
		"EXECUTABLE %s\n",
		m->file ? m->file : "FILE", m->file ? m->file : "FILE");
}

/* ---- diff ---- */

/* The pool, pid and process description members of a diff, watch or diagnose entry. */
static void json_pool_of(struct hw_json *js, const char *pool, int pid, const char *desc)
{
	hw_json_key(js, "pool");
	hw_json_string(js, pool);
	hw_json_key(js, "pid");
	hw_json_i64(js, pid);
	hw_json_key(js, "desc");
	hw_json_string(js, desc);
}

static const char *diff_kind(const struct hw_diff_row *r, const char *changed)
{
	return r->kind == HW_DIFF_NEW ? "new" : r->kind == HW_DIFF_GONE ? "gone" : changed;
}

static void diff_pair_title(FILE *out, const struct hw_diff_pair *p)
{
	const struct hw_diff_pool *x = p->b ? p->b : p->a;

	fprintf(out, "%s pool of pid %d", x->name, x->pid);
	if (x->desc && x->desc[0])
		fprintf(out, " (%s)", x->desc);
	if (!p->a)
		fputs(": only in B", out);
	else if (!p->b)
		fputs(": only in A", out);
	fputc('\n', out);
}

/* A figure of a site in A and in B, and the change: "NAME_a", "NAME_b", "d_NAME". */
static void json_a_b(struct hw_json *js, const char *name, uint64_t a, uint64_t b, int64_t d)
{
	char key[32];

	snprintf(key, sizeof(key), "%s_a", name);
	hw_json_key(js, key);
	hw_json_u64(js, a);
	snprintf(key, sizeof(key), "%s_b", name);
	hw_json_key(js, key);
	hw_json_u64(js, b);
	snprintf(key, sizeof(key), "d_%s", name);
	hw_json_key(js, key);
	hw_json_i64(js, d);
}

static void diff_pair_json(struct hw_json *js, const struct hw_diff_view *v,
			   const struct hw_diff_pair *p)
{
	const struct hw_diff_pool *x = p->b ? p->b : p->a;

	hw_json_begin_object(js);
	json_pool_of(js, x->name, x->pid, x->desc);
	hw_json_key(js, "in_a");
	hw_json_bool(js, p->a != NULL);
	hw_json_key(js, "in_b");
	hw_json_bool(js, p->b != NULL);
	if (p->a && p->b && p->a->has_header && p->b->has_header) {
		hw_json_key(js, "d_used");
		hw_json_i64(js, (int64_t)(p->b->used - p->a->used));
		hw_json_key(js, "d_real_used");
		hw_json_i64(js, (int64_t)(p->b->real_used - p->a->real_used));
		hw_json_key(js, "d_frags");
		hw_json_i64(js, (int64_t)(p->b->frags - p->a->frags));
	}
	hw_json_key(js, "sites_grown");
	hw_json_u64(js, p->grown);
	hw_json_key(js, "sites_new");
	hw_json_u64(js, p->added);
	hw_json_key(js, "sites_gone");
	hw_json_u64(js, p->gone);
	hw_json_key(js, "sites");
	hw_json_begin_array(js);
	for (size_t i = 0; i < p->nrows && (!v->top || i < v->top); i++) {
		const struct hw_diff_row *r = &p->rows[i];
		const struct hw_diff_site *s = r->b ? r->b : r->a;
		hw_json_begin_object(js);
		hw_json_key(js, "change");
		hw_json_string(js, diff_kind(r, "changed"));
		json_a_b(js, "count", r->a ? r->a->count : 0, r->b ? r->b->count : 0, r->dcount);
		json_a_b(js, "bytes", r->a ? r->a->bytes : 0, r->b ? r->b->bytes : 0, r->dbytes);
		hw_json_site(js, s->file, s->func, s->line, s->module);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
	hw_json_end_object(js);
}

static void diff_json(const struct hw_diff_view *v)
{
	struct hw_json js;

	hw_json_doc_open(&js, v->out, "diff");
	hw_json_key(&js, "a");
	hw_json_string(&js, v->a_name);
	hw_json_key(&js, "b");
	hw_json_string(&js, v->b_name);
	hw_json_key(&js, "seconds");
	if (v->a_time_ns && v->b_time_ns)
		hw_json_double(&js, ((double)v->b_time_ns - (double)v->a_time_ns) / 1e9);
	else
		hw_json_null(&js);
	hw_json_key(&js, "pools");
	hw_json_begin_array(&js);
	for (size_t k = 0; k < v->d->npairs; k++)
		diff_pair_json(&js, v, &v->d->pairs[k]);
	hw_json_end_array(&js);
	hw_json_doc_close(&js);
}

static void diff_pair_text(const struct hw_diff_view *v, const struct hw_diff_pair *p)
{
	fputc('\n', v->out);
	diff_pair_title(v->out, p);
	if (p->a && p->b && p->a->has_header && p->b->has_header)
		fprintf(v->out,
			"  used %s -> %s (%s), used+overhead %s, fragments %" PRIu64 " -> %" PRIu64
			"\n",
			HS(p->a->used), HS(p->b->used), HD((int64_t)(p->b->used - p->a->used)),
			HD((int64_t)(p->b->real_used - p->a->real_used)), p->a->frags, p->b->frags);
	if ((p->a && !p->a->sites_known) || (p->b && !p->b->sites_known)) {
		fputs("  allocation sites need a debug build (Kamailio: DBG_SR_MEMORY; OpenSIPS: a "
		      "_DBG allocator flavour)\n",
		      v->out);
		return;
	}
	if ((p->a && !p->a->sites_complete) || (p->b && !p->b->sites_complete))
		fputs("  warning: an input lists only its top sites (--top): the deltas of "
		      "the others are not known\n",
		      v->out);
	if (!p->nrows) {
		fputs("  no site changed\n", v->out);
		return;
	}
	fprintf(v->out, "  %u sites grew, %" PRIu64 " shrank; %" PRIu64 " new, %" PRIu64 " gone\n",
		(unsigned)p->grown, p->shrunk, p->added, p->gone);
	fprintf(v->out, "  %12s %9s %12s %9s  %-6s %-10s %s\n", "d bytes", "d count", "bytes B",
		"count B", "", "module", "site");
	for (size_t i = 0; i < p->nrows && (!v->top || i < v->top); i++) {
		const struct hw_diff_row *r = &p->rows[i];
		const struct hw_diff_site *s = r->b ? r->b : r->a;
		fprintf(v->out,
			"  %12s %+9" PRId64 " %12s %9" PRIu64 "  %-6s %-10s %s: %s(%" PRIu64 ")\n",
			HD(r->dbytes), r->dcount, HS(r->b ? r->b->bytes : 0),
			r->b ? r->b->count : 0, diff_kind(r, ""), s->module[0] ? s->module : "-",
			s->file, s->func, s->line);
	}
	if (v->top && p->nrows > v->top)
		fprintf(v->out, "  ... %zu more changed sites (use --top)\n", p->nrows - v->top);
}

void hw_fmt_diff(const struct hw_diff_view *v)
{
	char t1[40], t2[40];

	if (v->format == HW_FMT_JSON) {
		diff_json(v);
		return;
	}
	when(t1, sizeof(t1), v->a_time_ns);
	when(t2, sizeof(t2), v->b_time_ns);
	fprintf(v->out, "A: %s (%s)\nB: %s (%s)", v->a_name, t1, v->b_name, t2);
	if (v->a_time_ns && v->b_time_ns)
		fprintf(v->out, ", %.0f s later",
			((double)v->b_time_ns - (double)v->a_time_ns) / 1e9);
	fputc('\n', v->out);
	for (size_t k = 0; k < v->d->npairs; k++)
		diff_pair_text(v, &v->d->pairs[k]);
}

/* ---- watch ---- */

static void json_u64s(struct hw_json *js, const char *key, const uint64_t *v, size_t n)
{
	hw_json_key(js, key);
	hw_json_begin_array(js);
	for (size_t k = 0; k < n; k++)
		hw_json_u64(js, v[k]);
	hw_json_end_array(js);
}

static void watch_json(const struct hw_watch_view *v)
{
	size_t n = v->nsamples;
	struct hw_json js;

	hw_json_doc_open(&js, v->out, "watch");
	hw_json_key(&js, "interrupted");
	hw_json_bool(&js, v->interrupted);
	hw_json_key(&js, "stopped");
	hw_json_bool(&js, v->stopped);
	hw_json_key(&js, "samples");
	hw_json_begin_array(&js);
	for (size_t i = 0; i < n; i++) {
		hw_json_begin_object(&js);
		hw_json_key(&js, "time_ns");
		hw_json_u64(&js, v->t_ns[i]);
		hw_json_key(&js, "max_stop_ms");
		hw_json_double(&js, v->max_stop_ms[i]);
		hw_json_end_object(&js);
	}
	hw_json_end_array(&js);
	hw_json_key(&js, "growing");
	hw_json_begin_array(&js);
	for (size_t i = 0; i < v->nseries && i < v->ngrowing && (!v->top || i < v->top); i++) {
		const struct hw_watch_series *s = &v->series[i];
		hw_json_begin_object(&js);
		json_pool_of(&js, s->pool, s->pid, s->desc);
		hw_json_site(&js, s->file, s->func, s->line, s->module);
		hw_json_key(&js, "bytes_per_min");
		hw_json_double(&js, s->bytes_per_min);
		hw_json_key(&js, "count_per_min");
		hw_json_double(&js, s->count_per_min);
		json_u64s(&js, "bytes", s->bytes, n);
		json_u64s(&js, "count", s->count, n);
		if (s->kept_share >= 0) {
			hw_json_key(&js, "kept_share");
			hw_json_double(&js, s->kept_share);
		}
		hw_json_end_object(&js);
	}
	hw_json_end_array(&js);
	/* the sites that grew but are no suspects: in-flight state */
	hw_json_key(&js, "settled");
	hw_json_begin_array(&js);
	for (size_t i = 0; i < v->nseries; i++) {
		const struct hw_watch_series *s = &v->series[i];
		if (s->trend != HW_TREND_LEVELLING && s->trend != HW_TREND_TURNOVER)
			continue;
		hw_json_begin_object(&js);
		json_pool_of(&js, s->pool, s->pid, s->desc);
		hw_json_site(&js, s->file, s->func, s->line, s->module);
		hw_json_key(&js, "trend");
		hw_json_string(&js, hw_trend_name(s->trend));
		if (s->kept_share >= 0) {
			hw_json_key(&js, "kept_share");
			hw_json_double(&js, s->kept_share);
		}
		json_u64s(&js, "bytes", s->bytes, n);
		json_u64s(&js, "count", s->count, n);
		hw_json_end_object(&js);
	}
	hw_json_end_array(&js);
	hw_json_doc_close(&js);
}

/* The sites that grew but levelled off or turned over: how many, and the one that grew most. */
static void settled_text(const struct hw_watch_view *v)
{
	const struct hw_watch_series *top = NULL;
	size_t k = 0, n = v->nsamples;

	for (size_t i = 0; i < v->nseries; i++) {
		const struct hw_watch_series *s = &v->series[i];
		if (s->trend != HW_TREND_LEVELLING && s->trend != HW_TREND_TURNOVER)
			continue;
		k++;
		if (!top || s->bytes[n - 1] - s->bytes[0] > top->bytes[n - 1] - top->bytes[0])
			top = s;
	}
	if (!top)
		return;
	fprintf(v->out,
		"%zu site%s grew but levelled off or turned over (in-flight state, no suspect%s); "
		"most: %s: %s(%" PRIu64 ") [%s], %s",
		k, k == 1 ? "" : "s", k == 1 ? "" : "s", top->file, top->func, top->line,
		top->module[0] ? top->module : "-", hw_trend_name(top->trend));
	if (top->kept_share >= 0)
		fprintf(v->out, ", %.0f%% of its first fragments still there",
			100.0 * top->kept_share);
	fputc('\n', v->out);
}

void hw_fmt_watch(const struct hw_watch_view *v)
{
	size_t n = v->nsamples;
	char t1[40], t2[40];

	if (v->format == HW_FMT_JSON) {
		watch_json(v);
		return;
	}
	if (!n) {
		fputs("no snapshot was taken\n", v->out);
		return;
	}
	when(t1, sizeof(t1), v->t_ns[0]);
	when(t2, sizeof(t2), v->t_ns[n - 1]);
	{
		double worst = 0;
		for (size_t i = 0; i < n; i++)
			if (v->max_stop_ms[i] > worst)
				worst = v->max_stop_ms[i];
		fprintf(v->out, "%zu snapshots from %s to %s%s; longest stop %.2f ms\n", n, t1, t2,
			v->interrupted ? " (interrupted)" : "", worst);
	}
	if (n < 3) {
		fputs("fewer than 3 snapshots: growth cannot be told from noise\n", v->out);
	}
	settled_text(v);
	if (!v->ngrowing) {
		fputs("no allocation site grew steadily: no leak suspect\n", v->out);
		return;
	}
	fprintf(v->out, "%zu sites grew at every snapshot (leak suspects), fastest first:\n",
		v->ngrowing);
	fprintf(v->out, "  %12s %10s %12s %9s  %-4s %7s  %-10s %s\n", "bytes/min", "count/min",
		"bytes now", "count", "pool", "pid", "module", "site");
	for (size_t i = 0; i < v->ngrowing && (!v->top || i < v->top); i++) {
		const struct hw_watch_series *s = &v->series[i];
		fprintf(v->out,
			"  %12s %10.1f %12s %9" PRIu64 "  %-4s %7d  %-10s %s: %s(%" PRIu64 ")\n",
			HD((int64_t)s->bytes_per_min), s->count_per_min, HS(s->bytes[n - 1]),
			s->count[n - 1], s->pool, s->pid, s->module[0] ? s->module : "-", s->file,
			s->func, s->line);
	}
}

/* The used+overhead of @s's pools named @pool (every process's pkg; shm once), their size. */
static bool side_used(const struct hw_diff_side *s, const char *pool, uint64_t *used,
		      uint64_t *size)
{
	bool any = false;

	*used = *size = 0;
	for (size_t k = 0; s && k < s->npools; k++) {
		const struct hw_diff_pool *p = &s->pools[k];
		if (!p->has_header || strcmp(p->name, pool))
			continue;
		*used += p->real_used;
		*size += p->size;
		any = true;
		if (!strcmp(pool, "shm"))
			break;
	}
	return any;
}

void hw_fmt_watch_progress(FILE *out, const char *command, const struct hw_watch_run *run,
			   uint64_t count, double next_s)
{
	const struct hw_diff_side *first = &run->samples[0], *last = &run->samples[run->n - 1];
	uint64_t u0, s0, u1, s1, t_ns = run->t_ns[run->n - 1];
	char t[16] = "", h1[32], h2[32];
	time_t sec = (time_t)(t_ns / 1000000000ull);
	struct tm tm;

	if (t_ns && localtime_r(&sec, &tm))
		strftime(t, sizeof(t), " at %H:%M:%S", &tm);
	fprintf(out, "heapwalk: %s: snapshot %zu/%" PRIu64 "%s", command, run->n, count, t);
	if (side_used(last, "shm", &u1, &s1)) {
		fprintf(out, ": shm %.0f%% used", s1 ? 100.0 * (double)u1 / (double)s1 : 0);
		if (run->n == 1)
			fprintf(out, " (%s of %s)", hw_human_size(h1, sizeof(h1), u1),
				hw_human_size(h2, sizeof(h2), s1));
	}
	/* what grew since the first snapshot: shm, then the pkg of every process together */
	for (int k = 0, said = 0; run->n > 1 && k < 2; k++)
		if (side_used(last, k ? "pkg" : "shm", &u1, &s1) &&
		    side_used(first, k ? "pkg" : "shm", &u0, &s0))
			fprintf(out, "%s %s %s",
				said++ ? "," : "; since the first:", k ? "pkg" : "shm",
				hw_human_delta(h1, sizeof(h1), (int64_t)(u1 - u0)));
	if (next_s > 0)
		fprintf(out, "; next in %.0f s", next_s);
	fputc('\n', out);
	fflush(out);
}

/* ---- diagnose ---- */

static void diagnose_json(const struct hw_diag_view *v)
{
	struct hw_json js;

	hw_json_doc_open(&js, v->out, "diagnose");
	hw_json_key(&js, "source");
	hw_json_string(&js, v->source);
	hw_json_opt_string(&js, "growth_data", v->growth);
	hw_json_key(&js, "pools");
	hw_json_begin_array(&js);
	for (size_t i = 0; i < v->nitems; i++) {
		const struct hw_diag_item *it = &v->items[i];
		hw_json_begin_object(&js);
		json_pool_of(&js, it->pool, it->pid, it->desc);
		hw_json_key(&js, "same_verdict_processes");
		hw_json_u64(&js, it->also);
		hw_json_key(&js, "verdict");
		hw_json_string(&js, hw_verdict_name(it->res.verdict));
		hw_json_key(&js, "headline");
		hw_json_string(&js, it->res.headline);
		hw_json_key(&js, "evidence");
		hw_json_begin_array(&js);
		for (size_t k = 0; k < it->res.nevidence; k++)
			hw_json_string(&js, it->res.evidence[k]);
		hw_json_end_array(&js);
		hw_json_key(&js, "advice");
		hw_json_string(&js, it->res.advice);
		hw_json_end_object(&js);
	}
	hw_json_end_array(&js);
	hw_json_doc_close(&js);
}

void hw_fmt_diagnose(const struct hw_diag_view *v)
{
	if (v->format == HW_FMT_JSON) {
		diagnose_json(v);
		return;
	}
	fprintf(v->out, "%s%s\n", v->source ? v->source : "",
		v->live ? (v->stopped ? " (stopped briefly while read)" : " (not stopped)") : "");
	fprintf(v->out, "growth data: %s\n\n", v->growth ? v->growth : "none (one snapshot)");
	for (size_t i = 0; i < v->nitems; i++) {
		const struct hw_diag_item *it = &v->items[i];
		fprintf(v->out, "%s", it->pool);
		if (it->pid)
			fprintf(v->out, " of pid %d", it->pid);
		if (it->desc && it->desc[0])
			fprintf(v->out, " (%s)", it->desc);
		if (it->also)
			fprintf(v->out, " and %zu more process%s", it->also,
				it->also == 1 ? "" : "es");
		fprintf(v->out, ": %s\n", it->res.headline);
		for (size_t k = 0; k < it->res.nevidence; k++)
			fprintf(v->out, "  - %s\n", it->res.evidence[k]);
		if (it->res.advice[0])
			fprintf(v->out, "  => %s\n", it->res.advice);
		fputc('\n', v->out);
	}
}
