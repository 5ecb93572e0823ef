/*
 * fmt_html.c - the HTML report: one self-contained page (inline CSS and
 * SVG, a few lines of script to sort tables, nothing fetched), readable on
 * a phone and on paper. Another formatter of the same report model.
 */
#include <inttypes.h>
#include <string.h>

#include "heapwalk/heapmap.h"
#include "heapwalk/report.h"
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
	"@media print{th{cursor:auto}.noprint{display:none}h2{break-before:page}}\n";

/* Sort a table by a clicked header; numbers by their data-v value. */
static const char script[] =
	"document.querySelectorAll('table.sort th').forEach(function(th,i){th.onclick=function(){"
	"var t=th.closest('table'),b=t.tBodies[0],rows=Array.from(b.rows),"
	"num=th.classList.contains('n'),asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';"
	"rows.sort(function(x,y){var a=x.cells[i],c=y.cells[i];"
	"var r=num?(+a.dataset.v)-(+c.dataset.v):a.textContent.localeCompare(c.textContent);"
	"return asc?r:-r;});rows.forEach(function(r){b.appendChild(r);});};});\n";

static void esc(FILE *out, const char *s)
{
	hw_xml_escape(out, s ? s : "");
}

static void human(char *buf, size_t cap, uint64_t v)
{
	static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double d = (double)v;
	int i = 0;

	while (d >= 1024 && i < 4) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, cap, "%" PRIu64 " B", v);
	else
		snprintf(buf, cap, "%.1f %s", d, u[i]);
}

static void row_num(FILE *out, const char *label, uint64_t v, uint64_t of)
{
	char h[32];

	human(h, sizeof(h), v);
	fprintf(out, "<tr><th>%s</th><td class=\"n\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td><td>%s", label,
		v, v, h);
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
	esc(out, t->exe_path ? t->exe_path : "(not found)");
	fputs("</td></tr>\n<tr><th>version</th><td>", out);
	esc(out, in->version[0] ? in->version : "unknown");
	fprintf(out, "</td></tr>\n<tr><th>memory debug</th><td>%s</td></tr>\n",
		in->debug_known ? (in->debug ? "yes (allocation sites recorded)" : "no") : "unknown");
	fputs("<tr><th>debug info</th><td>", out);
	esc(out, r->debuginfo_path ? r->debuginfo_path : "none (built-in layouts)");
	fputs("</td></tr>\n</table></div>\n", out);
}

static void totals(FILE *out, const struct hw_pool_report *pr)
{
	const struct hw_heap_header *h = &pr->hdr;
	const struct hw_heapmap *m = pr->map;

	fputs("<div class=\"wrap\"><table class=\"totals\">\n", out);
	row_num(out, "heap size", h->size, 0);
	row_num(out, "used", h->used, h->size);
	row_num(out, "used+overhead", h->real_used, h->size);
	row_num(out, "free", h->size - h->real_used, h->size);
	row_num(out, "max used", h->max_real_used, h->size);
	fprintf(out,
		"<tr><th>fragments</th><td class=\"n\">%" PRIu64 "</td><td>%" PRIu64
		" used, %" PRIu64 " free</td></tr>\n",
		pr->walk.frags, pr->walk.used_frags, pr->walk.free_frags);
	if (m) {
		row_num(out, "largest free fragment", m->largest_free, 0);
		fprintf(out,
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
		human(lim, sizeof(lim), (uint64_t)1 << b);
		fprintf(out,
			"<rect x=\"%d\" y=\"%u\" width=\"%d\" height=\"%u\" fill=\"#4c78a8\"><title>%s and "
			"up: %" PRIu64 " fragments, %" PRIu64 " bytes</title></rect>\n",
			x, 8 + H - h, bw - 4, h ? h : 1, lim, m->free_hist_count[b],
			m->free_hist_bytes[b]);
		if ((b - lo) % 2 == 0)
			fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"l\">2^%d</text>\n", x, H + 24, b);
	}
	fputs("</svg>\n", out);
}

static void sites(FILE *out, const struct hw_pool_report *pr)
{
	fputs("<h3>Top allocation sites</h3>\n", out);
	if (!hw_pool_debug(pr->pool)) {
		fputs("<p>Allocation sites need a debug build (DBG_SR_MEMORY); this one records "
		      "none.</p>\n",
		      out);
		return;
	}
	fprintf(out, "<p class=\"sub\">%zu sites hold %" PRIu64 " bytes in %" PRIu64
		" used fragments; click a heading to sort.</p>\n",
		pr->sites.n, pr->sites.bytes, pr->sites.frags);
	fputs("<div class=\"wrap\"><table class=\"sort sites\"><thead><tr><th class=\"n\">count</th>"
	      "<th class=\"n\">bytes</th><th class=\"n\">%</th><th>module</th><th>site</th></tr>"
	      "</thead><tbody>\n",
	      out);
	for (size_t i = 0; i < pr->nrows; i++) {
		const struct hw_site *s = pr->rows[i];
		double pct = hw_report_pct(s->bytes, pr->sites.bytes);
		fprintf(out,
			"<tr><td class=\"n\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td><td class=\"n\" "
			"data-v=\"%" PRIu64 "\">%" PRIu64 "</td><td class=\"n\" data-v=\"%.3f\">%.1f</td><td>",
			s->count, s->count, s->bytes, s->bytes, pct, pct);
		esc(out, s->mname_s && s->mname_s[0] ? s->mname_s : "-");
		fputs("</td><td>", out);
		esc(out, s->file_s);
		fputs(": ", out);
		esc(out, s->func_s);
		fprintf(out, "(%" PRIu64 ")</td></tr>\n", s->line);
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
		fprintf(out, "<li class=\"%s\">%s at 0x%" PRIx64, f->sev == HW_SEV_ERROR ? "err" : "warn",
			hw_severity_name(f->sev), f->addr);
		if (f->index != HW_NO_INDEX)
			fprintf(out, " (fragment %" PRIu64 ")", f->index);
		fputs(": ", out);
		esc(out, f->message);
		fputs("</li>\n", out);
	}
	fputs("</ul>\n", out);
}

/* A walked pool's block, totals, map, histogram, sites and findings (or why it was not walked). */
static void pool_body(FILE *out, const struct hw_pool_report *pr, const char *map_title)
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
	sites(out, pr);
	findings(out, &pr->check);
}

void hw_fmt_html(struct hw_report *r)
{
	FILE *out = r->out;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>",
	      out);
	fputs("Kamailio memory: ", out);
	esc(out, r->t->source_path);
	fprintf(out, "</title>\n<style>\n%s</style></head><body>\n", css);
	fputs("<h1>Kamailio memory report</h1>\n<p class=\"sub\">made by heapwalk from ", out);
	esc(out, r->t->source_path);
	fputs("</p>\n", out);
	target_section(r);
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		fprintf(out, "<section class=\"pool\" id=\"pool-%s\">\n<h2>%s pool (", pr->pool->name,
			pr->pool->name);
		esc(out, pr->pool->manager[0] ? pr->pool->manager : "unknown manager");
		fputs(")</h2>\n", out);
		pool_body(out, pr, pr->pool->name);
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
	fprintf(r->out,
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
