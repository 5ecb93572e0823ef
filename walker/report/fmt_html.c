/*
 * fmt_html.c - the HTML report: one self-contained page (inline CSS and
 * SVG, a few lines of script to sort tables, nothing fetched), readable on
 * a phone and on paper. Another formatter of the same report model.
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "heapwalk/heapmap.h"
#include "heapwalk/multi.h"
#include "heapwalk/report.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/target.h"

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:12px;"
    "color:#222}\n"
    "h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:24px 0 8px;border-bottom:1px solid "
    "#ccc}\n"
    "table{border-collapse:collapse;margin:8px 0}td,th{padding:2px 8px;text-align:left;"
    "border-bottom:1px solid #eee}\n"
    "th{background:#f4f4f4;cursor:pointer}td.n,th.n{text-align:right;font-variant-numeric:"
    "tabular-nums}\n"
    ".wrap{overflow-x:auto}.sub{color:#666}.err{color:#b00}.warn{color:#a60}\n"
    "svg{max-width:100%;height:auto}\n"
    "@media print{th{cursor:auto}.noprint{display:none}h2{break-before:page}}\n"
    ".verdict{border-left:6px solid #b00;padding:2px 12px;margin:8px 0}"
    ".verdict.ok{border-color:#4a4}.verdict h3{margin:6px 0}.advice{font-weight:bold}\n";

/* The instance page's additions: charts in a grid that folds to one column on a phone. */
static const char css_multi[] =
    "td.n{white-space:nowrap}.nav a{margin-right:12px}\n"
    "details.proc{margin:6px 0;border:1px solid #ddd;padding:4px 8px}\n"
    "details.proc>summary{cursor:pointer}tfoot th,tfoot td{font-weight:bold;"
    "border-top:2px solid #ccc}\n"
    ".charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}\n"
    "figure.chart{margin:0;border:1px solid #ddd;padding:6px}figcaption{font-size:12px;"
    "overflow-wrap:anywhere}\n"
    "@media print{figure.chart,tr{break-inside:avoid}details.proc{border:0}}\n";

/* Printing opens every folded section. */
static const char script_print[] =
    "window.addEventListener('beforeprint',function(){"
    "document.querySelectorAll('details').forEach(function(d){d.open=true;});});\n";

/* Sort a table by a clicked header; numbers by their data-v value. */
static const char script[] =
    "document.querySelectorAll('table.sort thead th').forEach(function(th){th.onclick=function(){"
    "var t=th.closest('table'),b=t.tBodies[0],rows=Array.from(b.rows),"
    "num=th.classList.contains('n'),asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';"
    "var i=th.cellIndex;rows.sort(function(x,y){var a=x.cells[i],c=y.cells[i];"
    "var r=num?(+a.dataset.v)-(+c.dataset.v):a.textContent.localeCompare(c.textContent);"
    "return asc?r:-r;});rows.forEach(function(r){b.appendChild(r);});};});\n";

static void esc(FILE *out, const char *s)
{
	hw_xml_escape(out, s ? s : "");
}

/* An allocation site as "FILE: FUNC(LINE)", escaped. */
static void site_text(FILE *out, const char *file, const char *func, uint64_t line)
{
	esc(out, file);
	fputs(": ", out);
	esc(out, func);
	fprintf(out, "(%" PRIu64 ")", line);
}

/* The last cells of a site row: the module ("-" if none), then the site in @site_td; the row ends.
 */
static void site_cells(FILE *out, const char *module, const char *site_td, const char *file,
		       const char *func, uint64_t line)
{
	fputs("<td>", out);
	esc(out, module && module[0] ? module : "-");
	fputs("</td>", out);
	fputs(site_td, out);
	site_text(out, file, func, line);
	fputs("</td></tr>\n", out);
}

static void row_num(FILE *out, const char *label, uint64_t v, uint64_t of)
{
	char h[32];

	hw_human_size(h, sizeof(h), v);
	fprintf(out, "<tr><th>%s</th><td class=\"n\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td><td>%s",
		label, v, v, h);
	if (of)
		fprintf(out, " (%.1f%%)", hw_report_pct(v, of));
	fputs("</td></tr>\n", out);
}

static void target_section(struct hw_report *r)
{
	const struct hw_target *t = r->t;
	const struct hw_instance *in = r->inst;
	FILE *out = r->out;

	fputs("<h2>Target</h2><div class=\"wrap\"><table>\n", out);
	fputs("<tr><th>core</th><td>", out);
	esc(out, t->source_path);
	fprintf(out, "</td></tr>\n<tr><th>process</th><td>pid %d ", t->pid);
	esc(out, t->comm);
	if (in->has_pt) {
		fprintf(out, ", process_no %d, rank %d, ", in->process_no, in->pt_rank);
		esc(out, in->pt_desc);
	}
	fputs("</td></tr>\n<tr><th>executable</th><td>", out);
	esc(out, r->exe_path ? r->exe_path : "(not found)");
	fputs("</td></tr>\n<tr><th>version</th><td>", out);
	esc(out, in->version[0] ? in->version : "unknown");
	fprintf(out, "</td></tr>\n<tr><th>memory debug</th><td>%s</td></tr>\n",
		in->debug_known ? (in->debug ? "yes (allocation sites recorded)" : "no")
				: "unknown");
	fputs("<tr><th>debug info</th><td>", out);
	esc(out, r->debuginfo_path ? r->debuginfo_path : "none (built-in layouts)");
	fputs("</td></tr>\n</table></div>\n", out);
}

static void totals(FILE *out, const struct hw_pool_report *pr)
{
	const struct hw_heap_header *h = &pr->hdr;
	const struct hw_heapmap *m = pr->map;
	uint64_t used, real_used, max_real_used;

	hw_pool_counters(pr, &used, &real_used, &max_real_used);
	fputs("<div class=\"wrap\"><table class=\"totals\">\n", out);
	row_num(out, "heap size", h->size, 0);
	row_num(out, "used", used, h->size);
	row_num(out, "used+overhead", real_used, h->size);
	row_num(out, "free", h->size > real_used ? h->size - real_used : 0, h->size);
	row_num(out, "max used", max_real_used, h->size);
	if (h->loose_counters && pr->walk.complete)
		fputs("<tr><th></th><td colspan=\"2\">from the walk: hp_malloc keeps its block's "
		      "counters loosely</td></tr>\n",
		      out);
	fprintf(out,
		"<tr><th>fragments</th><td class=\"n\">%" PRIu64 "</td><td>%" PRIu64
		" used, %" PRIu64 " free</td></tr>\n",
		pr->walk.frags, pr->walk.used_frags, pr->walk.free_frags);
	if (m) {
		row_num(out, "largest free fragment", m->largest_free, 0);
		fprintf(
		    out,
		    "<tr><th>fragmentation</th><td class=\"n\">%.1f%%</td><td>of the free memory "
		    "is outside the largest free fragment</td></tr>\n",
		    m->free_bytes ? 100.0 - hw_report_pct(m->largest_free, m->free_bytes) : 0.0);
	}
	fprintf(out, "<tr><th>walk</th><td colspan=\"2\">%s</td></tr>\n",
		pr->walk.complete ? "complete: the fragments tile the heap exactly"
				  : "<span class=\"err\">incomplete, see findings</span>");
	fputs("</table></div>\n", out);
}

/* Free fragments by size class as a bar chart (bytes, log2 classes). */
static void histogram(FILE *out, const struct hw_heapmap *m)
{
	int lo = -1, hi = -1;
	uint64_t max = 0;
	const int bw = 22, H = 120;

	for (int b = 0; b < 64; b++) {
		if (!m->free_hist_count[b])
			continue;
		if (lo < 0)
			lo = b;
		hi = b;
		if (m->free_hist_bytes[b] > max)
			max = m->free_hist_bytes[b];
	}
	fputs("<h3>Free fragments by size</h3>\n", out);
	if (lo < 0) {
		fputs("<p>No free fragments.</p>\n", out);
		return;
	}
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"free fragments by size\">\n",
		(hi - lo + 1) * bw + 16, H + 40, (hi - lo + 1) * bw + 16, H + 40);
	hw_svg_style(out);
	for (int b = lo; b <= hi; b++) {
		uint32_t h = max ? (uint32_t)((double)m->free_hist_bytes[b] / (double)max * H) : 0;
		char lim[32];
		int x = 8 + (b - lo) * bw;
		hw_human_size(lim, sizeof(lim), (uint64_t)1 << b);
		fprintf(out,
			"<rect x=\"%d\" y=\"%u\" width=\"%d\" height=\"%u\" "
			"fill=\"#4c78a8\"><title>%s and "
			"up: %" PRIu64 " fragments, %" PRIu64 " bytes</title></rect>\n",
			x, 8 + H - h, bw - 4, h ? h : 1, lim, m->free_hist_count[b],
			m->free_hist_bytes[b]);
		if ((b - lo) % 2 == 0)
			fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"l\">2^%d</text>\n", x, H + 24,
				b);
	}
	fputs("</svg>\n", out);
}

static void sites(FILE *out, const struct hw_pool_report *pr, const struct hw_instance *inst)
{
	fputs("<h3>Top allocation sites</h3>\n", out);
	if (!hw_pool_debug(pr->pool)) {
		fputs("<p>Allocation sites need ", out);
		esc(out, hw_sites_need(inst));
		fputs("; this one records none.</p>\n", out);
		return;
	}
	fprintf(out,
		"<p class=\"sub\">%zu sites hold %" PRIu64 " bytes in %" PRIu64
		" used fragments; click a heading to sort.</p>\n",
		pr->sites.n, pr->sites.bytes, pr->sites.frags);
	fputs(
	    "<div class=\"wrap\"><table class=\"sort sites\"><thead><tr><th class=\"n\">count</th>"
	    "<th class=\"n\">bytes</th><th class=\"n\">%</th><th>module</th><th>site</th></tr>"
	    "</thead><tbody>\n",
	    out);
	for (size_t i = 0; i < pr->nrows; i++) {
		const struct hw_site *s = pr->rows[i];
		double pct = hw_report_pct(s->bytes, pr->sites.bytes);
		fprintf(out,
			"<tr><td class=\"n\" data-v=\"%" PRIu64 "\">%" PRIu64
			"</td><td class=\"n\" "
			"data-v=\"%" PRIu64 "\">%" PRIu64
			"</td><td class=\"n\" data-v=\"%.3f\">%.1f</td>",
			s->count, s->count, s->bytes, s->bytes, pct, pct);
		site_cells(out, s->mname_s, "<td>", s->file_s, s->func_s, s->line);
	}
	fputs("</tbody></table></div>\n", out);
	if (pr->nrows < pr->sites.n)
		fprintf(out, "<p class=\"sub\">%zu smaller sites not shown.</p>\n",
			pr->sites.n - pr->nrows);
}

static void findings(FILE *out, const struct hw_check *ck)
{
	fputs("<h3>Findings</h3>\n", out);
	if (!ck->total) {
		fputs("<p>None: every fragment looked as it should.</p>\n", out);
		return;
	}
	fprintf(out, "<p>%" PRIu64 " findings (%" PRIu64 " errors, %" PRIu64 " warnings)</p><ul>\n",
		ck->total, ck->errors, ck->warnings);
	for (size_t i = 0; i < ck->n; i++) {
		const struct hw_finding *f = &ck->items[i];
		fprintf(out, "<li class=\"%s\">%s at 0x%" PRIx64,
			f->sev == HW_SEV_ERROR ? "err" : "warn", hw_severity_name(f->sev), f->addr);
		if (f->index != HW_NO_INDEX)
			fprintf(out, " (fragment %" PRIu64 ")", f->index);
		fputs(": ", out);
		esc(out, f->message);
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
}

/* A walked pool's block, totals, map, histogram, sites and findings (or why it was not walked). */
static void pool_body(FILE *out, const struct hw_pool_report *pr, const struct hw_instance *inst,
		      const char *map_title)
{
	if (!pr->walked) {
		fputs("<p class=\"err\">Not walked: ", out);
		esc(out, pr->error);
		fputs("</p>", out);
		return;
	}
	fprintf(out, "<p class=\"sub\">block 0x%" PRIx64 ", layout ", pr->hdr.block);
	esc(out, hw_pool_layout_source(pr->pool));
	fputs("</p>\n", out);
	totals(out, pr);
	if (pr->map) {
		fputs("<h3>Heap map</h3>\n<div class=\"wrap\">", out);
		fprintf(out,
			"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
			"viewBox=\"0 0 %u %u\" role=\"img\" aria-label=\"heap map\">\n",
			hw_svg_heapmap_width(pr->map), hw_svg_heapmap_height(pr->map),
			hw_svg_heapmap_width(pr->map), hw_svg_heapmap_height(pr->map));
		hw_svg_style(out);
		hw_svg_heapmap(out, pr->map, map_title, 0);
		fputs("</svg></div>\n", out);
		histogram(out, pr->map);
	}
	sites(out, pr, inst);
	findings(out, &pr->check);
}

/* What diagnose says of each pool (@diag, shm first): headline, evidence, advice. */
static void verdict_section(FILE *out, const struct hw_diag_item *diag, size_t ndiag,
			    const struct hw_watch_view *g)
{
	fputs("<section id=\"verdict\">\n<h2>Verdict</h2>\n<p class=\"sub\">", out);
	if (g)
		fprintf(out, "From the latest snapshot and the growth since the first of %zu.",
			g->nsamples);
	else
		fputs("From this snapshot alone: no growth data (a watch or report A B adds it).",
		      out);
	fputs("</p>\n", out);
	if (!ndiag)
		fputs("<p class=\"warn\">No pool was walked: nothing to judge.</p>\n", out);
	for (size_t i = 0; i < ndiag; i++) {
		const struct hw_diag_item *it = &diag[i];
		const char *name = hw_verdict_name(it->res.verdict);
		fprintf(out, "<div class=\"verdict%s\" data-pool=\"%s\" data-verdict=\"%s\"><h3>",
			it->res.verdict == HW_VERDICT_OK ? " ok" : "", it->pool, name);
		esc(out, it->pool);
		if (it->pid)
			fprintf(out, " of pid %d", it->pid);
		if (it->desc && it->desc[0]) {
			fputs(" (", out);
			esc(out, it->desc);
			fputs(")", out);
		}
		if (it->also)
			fprintf(out, " and %zu more process%s", it->also,
				it->also == 1 ? "" : "es");
		fputs(": ", out);
		esc(out, it->res.headline);
		fputs("</h3>\n", out);
		if (it->res.nevidence)
			fputs("<ul>\n", out);
		for (size_t k = 0; k < it->res.nevidence && k < HW_DIAG_MAX_EVIDENCE; k++) {
			fputs("<li>", out);
			esc(out, it->res.evidence[k]);
			fputs("</li>\n", out);
		}
		if (it->res.nevidence)
			fputs("</ul>\n", out);
		if (it->res.advice[0]) {
			fputs("<p class=\"advice\">", out);
			esc(out, it->res.advice);
			fputs("</p>\n", out);
		}
		fputs("</div>\n", out);
	}
	fputs("</section>\n", out);
}

/* The server the pools belong to, as the page's title names it. */
static const char *product_name(const struct hw_instance *in)
{
	return in && in->product == HW_PRODUCT_OPENSIPS ? "OpenSIPS" : "Kamailio";
}

void hw_fmt_html(struct hw_report *r)
{
	FILE *out = r->out;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
	      out);
	fprintf(out, "%s memory: ", product_name(r->inst));
	esc(out, r->t->source_path);
	fprintf(out, "</title>\n<style>\n%s</style></head><body>\n", css);
	fprintf(out, "<h1>%s memory report</h1>\n<p class=\"sub\">made by heapwalk from ",
		product_name(r->inst));
	esc(out, r->t->source_path);
	fputs("</p>\n", out);
	if (r->diag)
		verdict_section(out, r->diag, r->ndiag, NULL);
	target_section(r);
	/* shm first: shared by every process, the pool an outage is usually about */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->npools; i++) {
			struct hw_pool_report *pr = &r->pools[i];
			if ((pr->pool->kind == HW_POOL_SHM) != (pass == 0))
				continue;
			fprintf(out, "<section class=\"pool\" id=\"pool-%s\">\n<h2>%s pool (",
				pr->pool->name, pr->pool->name);
			esc(out, pr->pool->manager[0] ? pr->pool->manager : "unknown manager");
			fputs(")</h2>\n", out);
			pool_body(out, pr, r->inst, pr->pool->name);
			fputs("</section>\n", out);
		}
	fprintf(out, "<script>\n%s</script>\n</body></html>\n", script);
}

void hw_fmt_map(struct hw_report *r)
{
	uint32_t w = 0, h = 0;

	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_heapmap *m = r->pools[i].map;
		if (!r->pools[i].walked || !m)
			continue;
		if (hw_svg_heapmap_width(m) > w)
			w = hw_svg_heapmap_width(m);
		h += hw_svg_heapmap_height(m);
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", r->out);
	fprintf(
	    r->out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" viewBox=\"0 0 %u "
	    "%u\">\n",
	    w, h, w, h);
	hw_svg_style(r->out);
	fprintf(r->out, "<rect width=\"%u\" height=\"%u\" fill=\"#fff\"/>\n", w, h);
	h = 0;
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		char title[96];
		if (!pr->walked || !pr->map)
			continue;
		snprintf(title, sizeof(title), "%s pool (%s), pid %d", pr->pool->name,
			 pr->pool->manager, r->t->pid);
		hw_svg_heapmap(r->out, pr->map, title, h);
		h += hw_svg_heapmap_height(pr->map);
	}
	fputs("</svg>\n", r->out);
}

/* ---- the instance page: processes, shm once, each process's pkg; growth ---- */

/* CLOCK_REALTIME nanoseconds as UTC, "" when unknown. */
static void utc(char *buf, size_t cap, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!ns || !gmtime_r(&t, &tm) || !strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(buf, cap, "%s", "");
}

static void span_text(char *buf, size_t cap, double s)
{
	if (s < 120)
		snprintf(buf, cap, "%.1f s", s);
	else if (s < 7200)
		snprintf(buf, cap, "%.1f min", s / 60);
	else
		snprintf(buf, cap, "%.1f h", s / 3600);
}

static const struct hw_pool_report *find_pool(const struct hw_report *r, const char *name)
{
	for (size_t k = 0; r && k < r->npools; k++)
		if (!strcmp(r->pools[k].pool->name, name))
			return &r->pools[k];
	return NULL;
}

/* The process's pt[] label, else its command name. */
static const char *proc_label(const struct hw_multi_proc *p)
{
	if (p->desc && p->desc[0])
		return p->desc;
	if (p->report && p->report->t->comm[0])
		return p->report->t->comm;
	return "";
}

/* One numeric cell: human-readable text, the exact value in data-v and the title. */
static void cell_bytes(FILE *out, const char *key, uint64_t v)
{
	char h[32];

	hw_human_size(h, sizeof(h), v);
	fprintf(out,
		"<td class=\"n\" data-k=\"%s\" data-v=\"%" PRIu64 "\" title=\"%" PRIu64
		" bytes\">%s</td>",
		key, v, v, h);
}

static void instance_section(FILE *out, const struct hw_multi *m)
{
	const struct hw_report *first = NULL;
	uint64_t max_stop = 0;
	char b[64];

	for (size_t i = 0; i < m->nprocs; i++) {
		if (!first && m->procs[i].report)
			first = m->procs[i].report;
		if (m->procs[i].stop_ns > max_stop)
			max_stop = m->procs[i].stop_ns;
	}
	fputs(
	    "<h2 id=\"instance\">Instance</h2><div class=\"wrap\"><table>\n<tr><th>source</th><td>",
	    out);
	if (m->live)
		fprintf(out, "running processes, pid %d and its instance",
			m->nprocs ? m->procs[0].pid : 0);
	else
		esc(out, m->source);
	fputs("</td></tr>\n", out);
	utc(b, sizeof(b), m->time_ns);
	if (b[0])
		fprintf(out, "<tr><th>taken</th><td>%s</td></tr>\n", b);
	fprintf(out, "<tr><th>processes</th><td>%zu", m->nprocs);
	if (m->has_process_count)
		fprintf(out, " (the process table lists %d)", m->process_count);
	if (m->npt_missing) {
		fputs(", <span class=\"warn\">not in the snapshot:", out);
		for (size_t i = 0; i < m->npt_missing; i++)
			fprintf(out, " %d", m->pt_missing[i]);
		fputs("</span>", out);
	}
	fputs("</td></tr>\n", out);
	if (m->live) {
		if (m->stopped)
			fprintf(
			    out,
			    "<tr><th>stopped</th><td>all together while copied; the longest stop "
			    "%.2f ms, %.2f ms from the first stop to the last release</td></tr>\n",
			    (double)max_stop / 1e6, (double)m->wall_ns / 1e6);
		else
			fputs(
			    "<tr><th>stopped</th><td class=\"warn\">no (--no-stop): torn reads are "
			    "possible, findings may be artefacts</td></tr>\n",
			    out);
	}
	fputs("<tr><th>version</th><td>", out);
	esc(out, m->version && m->version[0] ? m->version : "unknown");
	fputs("</td></tr>\n", out);
	if (first) {
		fputs("<tr><th>executable</th><td>", out);
		esc(out, first->exe_path ? first->exe_path : "(not found)");
		fprintf(out, "</td></tr>\n<tr><th>memory debug</th><td>%s</td></tr>\n",
			first->inst->debug_known
			    ? (first->inst->debug ? "yes (allocation sites recorded)" : "no")
			    : "unknown");
		fputs("<tr><th>debug info</th><td>", out);
		esc(out, first->debuginfo_path ? first->debuginfo_path : "none (built-in layouts)");
		fputs("</td></tr>\n", out);
	}
	fputs("</table></div>\n", out);
}

/* The walk state of a pool, in words. */
static void walk_state(FILE *out, const struct hw_multi_proc *p, const struct hw_pool_report *pr)
{
	fputs("<td data-k=\"walk\">", out);
	if (p->error) {
		fputs("<span class=\"err\">could not be opened: ", out);
		esc(out, p->error);
		fputs("</span>", out);
	} else if (!pr) {
		fputs("-", out);
	} else if (!pr->walked) {
		fputs("<span class=\"err\">not walked: ", out);
		esc(out, pr->error);
		fputs("</span>", out);
	} else if (!pr->walk.complete) {
		fprintf(out, "<span class=\"err\">incomplete, %" PRIu64 " findings</span>",
			pr->check.total);
	} else if (pr->check.total) {
		fprintf(out, "<span class=\"warn\">complete, %" PRIu64 " findings</span>",
			pr->check.total);
	} else {
		fputs("complete", out);
	}
	fputs("</td>", out);
}

static void processes_section(FILE *out, const struct hw_multi *m)
{
	uint64_t size = 0, used = 0, real = 0, max = 0, frags = 0, maxstop = 0;
	size_t n = 0, complete = 0;

	fputs("<h2 id=\"processes\">Processes: pkg</h2>\n", out);
	fputs(
	    "<p class=\"sub\">Each process's private pool; click a pid for its details, a heading "
	    "to sort.</p>\n",
	    out);
	fputs("<div class=\"wrap\"><table class=\"sort procs\"><thead><tr><th class=\"n\">pid</th>"
	      "<th class=\"n\">rank</th><th>process</th><th class=\"n\">heap size</th>"
	      "<th class=\"n\">used</th><th class=\"n\">used+overhead</th><th class=\"n\">free</th>"
	      "<th class=\"n\">max used</th><th class=\"n\">fragments</th><th>walk</th>",
	      out);
	if (m->live)
		fputs("<th class=\"n\">stopped ms</th>", out);
	fputs("</tr></thead><tbody>\n", out);
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_multi_proc *p = &m->procs[i];
		const struct hw_pool_report *pr = find_pool(p->report, "pkg");
		fprintf(out, "<tr class=\"proc\" data-pid=\"%d\" data-rank=\"%d\">", p->pid,
			p->rank >= 0 || p->in_pt ? p->rank : -1);
		if (pr && pr->walked)
			fprintf(out,
				"<td class=\"n\" data-v=\"%d\"><a href=\"#pkg-%d\">%d</a></td>",
				p->pid, p->pid, p->pid);
		else
			fprintf(out, "<td class=\"n\" data-v=\"%d\">%d</td>", p->pid, p->pid);
		if (p->rank >= 0 || p->in_pt)
			fprintf(out, "<td class=\"n\" data-v=\"%d\">%d</td>", p->rank, p->rank);
		else
			fputs("<td class=\"n\" data-v=\"-1\">-</td>", out);
		fputs("<td data-k=\"desc\">", out);
		esc(out, proc_label(p));
		fputs("</td>", out);
		if (pr && pr->walked) {
			const struct hw_heap_header *h = &pr->hdr;
			uint64_t pu, pr_real, pmax;
			hw_pool_counters(pr, &pu, &pr_real, &pmax);
			uint64_t fr = h->size > pr_real ? h->size - pr_real : 0;
			cell_bytes(out, "size", h->size);
			cell_bytes(out, "used", pu);
			cell_bytes(out, "real_used", pr_real);
			cell_bytes(out, "free", fr);
			cell_bytes(out, "max_real_used", pmax);
			fprintf(out,
				"<td class=\"n\" data-k=\"frags\" data-v=\"%" PRIu64
				"\" title=\"%" PRIu64 " used, %" PRIu64 " free\">%" PRIu64 "</td>",
				pr->walk.frags, pr->walk.used_frags, pr->walk.free_frags,
				pr->walk.frags);
			n++;
			complete += pr->walk.complete;
			size += h->size;
			used += pu;
			real += pr_real;
			max += pmax;
			frags += pr->walk.frags;
		} else {
			for (int k = 0; k < 6; k++)
				fputs("<td class=\"n\" data-v=\"0\"></td>", out);
		}
		walk_state(out, p, pr);
		if (m->live)
			fprintf(out, "<td class=\"n\" data-k=\"stop_ms\" data-v=\"%.3f\">%.2f</td>",
				(double)p->stop_ns / 1e6, (double)p->stop_ns / 1e6);
		if (p->stop_ns > maxstop)
			maxstop = p->stop_ns;
		fputs("</tr>\n", out);
	}
	fputs("</tbody><tfoot><tr class=\"total\">", out);
	fprintf(out, "<td colspan=\"3\">all %zu pkg pools</td>", n);
	cell_bytes(out, "size", size);
	cell_bytes(out, "used", used);
	cell_bytes(out, "real_used", real);
	cell_bytes(out, "free", size > real ? size - real : 0);
	cell_bytes(out, "max_real_used", max);
	fprintf(out, "<td class=\"n\" data-k=\"frags\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>",
		frags, frags);
	fprintf(out, "<td>%zu of %zu complete</td>", complete, n);
	if (m->live)
		fprintf(out, "<td class=\"n\">max %.2f</td>", (double)maxstop / 1e6);
	fputs("</tr></tfoot></table></div>\n", out);
}

/* shm, from the process whose image holds it (the first). */
static void shm_section(FILE *out, const struct hw_multi *m)
{
	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_pool_report *pr = find_pool(m->procs[i].report, "shm");
		if (!pr)
			continue;
		fputs("<section class=\"pool\" id=\"pool-shm\">\n<h2>shm pool (", out);
		esc(out, pr->pool->manager[0] ? pr->pool->manager : "unknown manager");
		fprintf(
		    out,
		    ")</h2>\n<p class=\"sub\">Shared by every process of the instance; read once, "
		    "through pid %d.</p>\n",
		    m->procs[i].pid);
		pool_body(out, pr, m->procs[i].report->inst, "shm");
		fputs("</section>\n", out);
		return;
	}
}

static void pkg_details(FILE *out, const struct hw_multi *m)
{
	bool any = false;

	for (size_t i = 0; i < m->nprocs; i++) {
		const struct hw_multi_proc *p = &m->procs[i];
		const struct hw_pool_report *pr = find_pool(p->report, "pkg");
		char title[96], h1[32], h2[32];
		if (!pr || !pr->walked)
			continue;
		if (!any)
			fputs("<h2 id=\"pkg\">pkg of each process</h2>\n", out);
		any = true;
		hw_human_size(h1, sizeof(h1), pr->hdr.used);
		hw_human_size(h2, sizeof(h2), pr->hdr.size);
		fprintf(out, "<details class=\"proc\" id=\"pkg-%d\"><summary>pid %d", p->pid,
			p->pid);
		if (p->rank >= 0 || p->in_pt)
			fprintf(out, ", rank %d", p->rank);
		fputs(": ", out);
		esc(out, proc_label(p));
		fprintf(out, " - %s used of %s", h1, h2);
		if (!pr->walk.complete || pr->check.total)
			fprintf(out, ", <span class=\"err\">%" PRIu64 " findings</span>",
				pr->check.total);
		fputs("</summary>\n<div class=\"pool\">\n<h3>pkg pool (", out);
		esc(out, pr->pool->manager[0] ? pr->pool->manager : "unknown manager");
		fputs(")</h3>\n", out);
		snprintf(title, sizeof(title), "pkg pool, pid %d", p->pid);
		pool_body(out, pr, p->report->inst, title);
		fputs("</div></details>\n", out);
	}
}

/* Pixels of the growth charts. */
#define CW 320
#define CH 150
#define CL 58 /* left margin: the byte labels */
#define CR 10
#define CT 12
#define CB 30

/* Where sample @j goes across a chart, 0..1: by its time, or evenly spaced. */
static double xpos(const struct hw_watch_view *g, size_t j, bool timed, double span)
{
	double x;

	if (g->nsamples < 2)
		return 0.5;
	if (!timed)
		return (double)j / (double)(g->nsamples - 1);
	/* a clock stepped back keeps its points inside the chart */
	x = ((double)g->t_ns[j] - (double)g->t_ns[0]) / 1e9 / span;
	return x < 0 ? 0 : x > 1 ? 1 : x;
}

/* One site's bytes over the samples; a point per sample with its count on hover. */
static void chart(FILE *out, const struct hw_watch_view *g, const struct hw_watch_series *s,
		  size_t rank)
{
	size_t n = g->nsamples;
	uint64_t lo = UINT64_MAX, hi = 0;
	bool timed = g->t_ns && g->t_ns[0] && g->t_ns[n - 1] > g->t_ns[0];
	double span = timed ? (double)(g->t_ns[n - 1] - g->t_ns[0]) / 1e9 : 0, ylo, yhi;
	char colour[8], b1[32], b2[32];

	for (size_t j = 0; j < n; j++) {
		if (s->bytes[j] < lo)
			lo = s->bytes[j];
		if (s->bytes[j] > hi)
			hi = s->bytes[j];
	}
	ylo = (double)lo;
	yhi = (double)hi;
	if (yhi - ylo < 1) {
		ylo -= 1;
		yhi += 1;
	}
	hw_heapmap_colour(s->module && s->module[0] ? s->module : "core", colour);
	fprintf(out, "<figure class=\"chart\" id=\"chart-%zu\"><figcaption><b>#%zu</b> %s, pid %d",
		rank, rank, s->pool, s->pid);
	if (s->desc && s->desc[0]) {
		fputs(" (", out);
		esc(out, s->desc);
		fputs(")", out);
	}
	fputs(": ", out);
	if (s->module && s->module[0]) {
		esc(out, s->module);
		fputs(" ", out);
	}
	site_text(out, s->file, s->func, s->line);
	fputs("</figcaption>\n", out);
	fprintf(
	    out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d "
	    "%d\" role=\"img\" aria-label=\"bytes over time\">\n",
	    CW, CH, CW, CH);
	hw_svg_style(out);
	fprintf(out,
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fafafa\" "
		"stroke=\"#ccc\"/>\n",
		CL, CT, CW - CL - CR, CH - CT - CB);
	hw_human_size(b1, sizeof(b1), hi);
	hw_human_size(b2, sizeof(b2), lo);
	fprintf(out,
		"<text x=\"%d\" y=\"%d\" class=\"l\" text-anchor=\"end\">%s</text>\n<text x=\"%d\" "
		"y=\"%d\" class=\"l\" text-anchor=\"end\">%s</text>\n",
		CL - 4, CT + 9, b1, CL - 4, CH - CB, b2);
	if (timed) {
		span_text(b1, sizeof(b1), span);
		fprintf(out,
			"<text x=\"%d\" y=\"%d\" class=\"l\">0</text><text x=\"%d\" y=\"%d\" "
			"class=\"l\" "
			"text-anchor=\"end\">%s</text>\n",
			CL, CH - CB + 14, CW - CR, CH - CB + 14, b1);
	} else {
		fprintf(
		    out,
		    "<text x=\"%d\" y=\"%d\" class=\"l\">snapshot 1</text><text x=\"%d\" y=\"%d\" "
		    "class=\"l\" text-anchor=\"end\">snapshot %zu</text>\n",
		    CL, CH - CB + 14, CW - CR, CH - CB + 14, n);
	}
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"l\">bytes over %s</text>\n", CL, CH - 4,
		timed ? "time" : "the snapshots");
	fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", colour);
	for (size_t j = 0; j < n; j++) {
		double fx = xpos(g, j, timed, span);
		double fy = ((double)s->bytes[j] - ylo) / (yhi - ylo);
		fprintf(out, "%s%.1f,%.1f", j ? " " : "", CL + fx * (CW - CL - CR),
			CH - CB - fy * (CH - CT - CB));
	}
	fputs("\"/>\n", out);
	for (size_t j = 0; j < n; j++) {
		double fx = xpos(g, j, timed, span);
		double fy = ((double)s->bytes[j] - ylo) / (yhi - ylo);
		fprintf(out,
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"><title>snapshot %zu",
			CL + fx * (CW - CL - CR), CH - CB - fy * (CH - CT - CB), colour, j + 1);
		if (timed) {
			span_text(b1, sizeof(b1), fx * span);
			fprintf(out, " (+%s)", b1);
		}
		fprintf(out, ": %" PRIu64 " bytes in %" PRIu64 " fragments</title></circle>\n",
			s->bytes[j], s->count[j]);
	}
	fputs("</svg></figure>\n", out);
}

/* Charts shown at most; the table lists up to growth->top suspects (0: 50). */
#define MAX_CHARTS 12

static void growth_section(FILE *out, const struct hw_watch_view *g, const char *baseline,
			   const char *latest)
{
	size_t n = g->nsamples, shown;
	bool timed = g->t_ns && n > 1 && g->t_ns[0] && g->t_ns[n - 1] > g->t_ns[0];
	uint64_t top = g->top ? g->top : 50;
	double maxstop = 0;
	char b1[64], b2[64], b3[32];

	fputs("<section id=\"growth\"><h2>Growth</h2>\n<p class=\"sub\">", out);
	if (baseline) {
		fputs("From ", out);
		esc(out, baseline);
		utc(b1, sizeof(b1), g->t_ns ? g->t_ns[0] : 0);
		if (b1[0])
			fprintf(out, " (%s)", b1);
		fputs(" to ", out);
		esc(out, latest);
		utc(b1, sizeof(b1), g->t_ns && n ? g->t_ns[n - 1] : 0);
		if (b1[0])
			fprintf(out, " (%s)", b1);
		if (timed) {
			span_text(b3, sizeof(b3), (double)(g->t_ns[n - 1] - g->t_ns[0]) / 1e9);
			fprintf(out, ", %s apart", b3);
		}
		fputs(". Processes are matched by pid, else by rank and description.", out);
	} else {
		utc(b1, sizeof(b1), g->t_ns && n ? g->t_ns[0] : 0);
		utc(b2, sizeof(b2), g->t_ns && n ? g->t_ns[n - 1] : 0);
		span_text(b3, sizeof(b3), timed ? (double)(g->t_ns[n - 1] - g->t_ns[0]) / 1e9 : 0);
		fprintf(out, "%zu snapshots of the running instance over %s, %s to %s", n, b3, b1,
			b2);
		for (size_t j = 0; g->max_stop_ms && j < n; j++)
			if (g->max_stop_ms[j] > maxstop)
				maxstop = g->max_stop_ms[j];
		if (g->stopped)
			fprintf(out, "; no process was stopped for more than %.2f ms", maxstop);
		else
			fputs("; read without stopping (--no-stop)", out);
		fputs(".", out);
		if (g->interrupted)
			fputs(" <span class=\"warn\">Interrupted before the last snapshot.</span>",
			      out);
	}
	fputs("</p>\n<h3>Leak suspects</h3>\n", out);
	if (!g->ngrowing) {
		fprintf(out, "<p>No leak suspects: no site grew %s.</p>\n",
			n > 2 ? "without ever shrinking" : "between the two snapshots");
	} else {
		fprintf(out,
			"<p>%zu site%s never shrank and grew overall (per pool and process), the "
			"fastest first%s.</p>\n",
			g->ngrowing, g->ngrowing == 1 ? "" : "s",
			g->ngrowing > top ? "; the slower ones are not listed" : "");
		fputs("<div class=\"wrap\"><table class=\"sort suspects\"><thead><tr>"
		      "<th class=\"n\">#</th><th>pool</th><th class=\"n\">pid</th><th>process</th>"
		      "<th class=\"n\">grew</th><th class=\"n\">per minute</th>"
		      "<th class=\"n\">fragments</th><th class=\"n\">now</th><th>module</th>"
		      "<th>site</th></tr></thead><tbody>\n",
		      out);
		shown = g->ngrowing < top ? g->ngrowing : (size_t)top;
		for (size_t i = 0; i < shown; i++) {
			const struct hw_watch_series *s = &g->series[i];
			int64_t db = (int64_t)(s->bytes[n - 1] - s->bytes[0]);
			int64_t dc = (int64_t)(s->count[n - 1] - s->count[0]);
			hw_human_delta(b1, sizeof(b1), db);
			fprintf(out, "<tr class=\"suspect\"><td class=\"n\" data-v=\"%zu\">",
				i + 1);
			if (i < MAX_CHARTS)
				fprintf(out, "<a href=\"#chart-%zu\">%zu</a>", i + 1, i + 1);
			else
				fprintf(out, "%zu", i + 1);
			fprintf(out,
				"</td><td data-k=\"pool\">%s</td><td class=\"n\" data-k=\"pid\" "
				"data-v=\"%d\">%d</td><td>",
				s->pool, s->pid, s->pid);
			esc(out, s->desc ? s->desc : "");
			fprintf(out,
				"</td><td class=\"n\" data-k=\"d_bytes\" data-v=\"%" PRId64
				"\">%s</td>",
				db, b1);
			if (timed) {
				hw_human_size(b2, sizeof(b2),
					      s->bytes_per_min > 0 ? (uint64_t)s->bytes_per_min
								   : 0);
				fprintf(out,
					"<td class=\"n\" data-k=\"bytes_per_min\" "
					"data-v=\"%.1f\">%s/min"
					"</td>",
					s->bytes_per_min, b2);
			} else {
				fputs(
				    "<td class=\"n\" data-k=\"bytes_per_min\" data-v=\"0\">-</td>",
				    out);
			}
			fprintf(out,
				"<td class=\"n\" data-k=\"d_count\" data-v=\"%" PRId64
				"\">%+" PRId64 "</td>",
				dc, dc);
			cell_bytes(out, "bytes", s->bytes[n - 1]);
			site_cells(out, s->module, "<td data-k=\"site\">", s->file, s->func,
				   s->line);
		}
		fputs("</tbody></table></div>\n", out);
		fputs("<h3>Growth over time</h3>\n<div class=\"charts\">\n", out);
		for (size_t i = 0; i < g->ngrowing && i < MAX_CHARTS; i++)
			chart(out, g, &g->series[i], i + 1);
		fputs("</div>\n", out);
	}
	fputs("</section>\n", out);
}

void hw_fmt_html_multi(const struct hw_multi *m, const struct hw_watch_view *growth,
		       const char *baseline)
{
	FILE *out = m->out;
	const char *source = m->live ? "a running instance" : m->source ? m->source : "";

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
	      out);
	const struct hw_instance *inst = NULL;
	for (size_t i = 0; i < m->nprocs && !inst; i++)
		if (m->procs[i].report)
			inst = m->procs[i].report->inst;
	fprintf(out, "%s memory: ", product_name(inst));
	esc(out, source);
	fprintf(out, "</title>\n<style>\n%s%s</style></head><body>\n", css, css_multi);
	fprintf(out, "<h1>%s memory report</h1>\n<p class=\"sub\">made by heapwalk from ",
		product_name(inst));
	esc(out, source);
	fprintf(out, ", %zu process%s", m->nprocs, m->nprocs == 1 ? "" : "es");
	if (growth)
		fprintf(out, ", growth over %zu snapshots", growth->nsamples);
	fputs("</p>\n<p class=\"noprint nav\"><a href=\"#verdict\">verdict</a> ", out);
	if (growth)
		fputs("<a href=\"#growth\">growth</a> ", out);
	fputs("<a href=\"#instance\">instance</a> <a href=\"#pool-shm\">shm</a> <a "
	      "href=\"#processes\">processes</a> <a href=\"#pkg\">pkg of each process</a></p>\n",
	      out);
	/* what to do first, then why: shm (shared by all, the usual culprit) before pkg */
	verdict_section(out, m->diag, m->ndiag, growth);
	instance_section(out, m);
	if (growth)
		growth_section(out, growth, baseline, source);
	shm_section(out, m);
	processes_section(out, m);
	pkg_details(out, m);
	fprintf(out, "<script>\n%s%s</script>\n</body></html>\n", script, script_print);
}
