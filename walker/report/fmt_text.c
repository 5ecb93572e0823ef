/* fmt_text.c - plain text for people: the default format. */
#include <inttypes.h>
#include <string.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/report.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/target.h"

/* @v as text people read ("4.3 MiB"), for one statement's arguments; exact bytes stay in
 * json, csv and the kamailio format. */
#define HS(v) hw_human_size((char[24]){0}, 24, (v))

static void pool_title(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_pool *p = pr->pool;

	fprintf(r->out, "%s%s pool%s: %s, block 0x%" PRIx64 ", layout %s\n",
		r->color ? "\033[1m" : "", p->name, r->color ? "\033[0m" : "",
		p->manager[0] ? p->manager : "unknown manager", p->block, hw_pool_layout_source(p));
}

static void print_findings(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_check *ck = &pr->check;

	if (!ck->total)
		return;
	fprintf(r->out, "  findings: %" PRIu64 " (%" PRIu64 " errors, %" PRIu64 " warnings)\n",
		ck->total, ck->errors, ck->warnings);
	for (size_t i = 0; i < ck->n; i++) {
		const struct hw_finding *f = &ck->items[i];
		const char *on = "";

		if (r->color && f->sev == HW_SEV_ERROR)
			on = "\033[31m";
		else if (r->color && f->sev == HW_SEV_WARNING)
			on = "\033[33m";
		fprintf(r->out, "    %s%s%s at 0x%" PRIx64, on, hw_severity_name(f->sev),
			*on ? "\033[0m" : "", f->addr);
		if (f->index != HW_NO_INDEX)
			fprintf(r->out, " (fragment %" PRIu64 ")", f->index);
		fprintf(r->out, ": %s\n", f->message);
	}
	if (ck->total > ck->n)
		fprintf(r->out, "    ... %" PRIu64 " more not shown\n", ck->total - ck->n);
}

static bool pool_unwalked(struct hw_report *r, const struct hw_pool_report *pr)
{
	/* The command already said why on stderr. */
	(void)r;
	return !pr->walked;
}

static void describe_target(struct hw_report *r)
{
	const struct hw_target *t = r->t;
	const struct hw_instance *in = r->inst;

	fprintf(r->out, "core:        %s\n", t->source_path ? t->source_path : "?");
	fprintf(r->out, "process:     pid %d", t->pid);
	if (t->ns_pid)
		fprintf(r->out, " (%d in its namespace)", t->ns_pid);
	if (t->comm[0])
		fprintf(r->out, " (%s)", t->comm);
	if (in->has_process_no)
		fprintf(r->out, ", process_no %d", in->process_no);
	if (in->has_pt && in->pt_rank >= 0)
		fprintf(r->out, ", rank %d", in->pt_rank);
	if (in->has_pt)
		fprintf(r->out, ", \"%s\"", in->pt_desc);
	fputc('\n', r->out);
	if (t->psargs[0])
		fprintf(r->out, "command:     %s\n", t->psargs);
	fprintf(r->out, "executable:  %s", r->exe_path ? r->exe_path : "(not found)");
	if (t->exe_path_in_core && (!r->exe_path || strcmp(r->exe_path, t->exe_path_in_core)))
		fprintf(r->out, " (core names %s)", t->exe_path_in_core);
	if (t->exe)
		fprintf(r->out, ", load bias 0x%" PRIx64 "%s", t->exe_bias,
			t->exe_build_id_checked ? ", build-id matches the core" : "");
	fputc('\n', r->out);
	fprintf(r->out, "arch:        %u-bit, ELF machine %u\n", t->word_size * 8, t->machine);
	if (in->version[0])
		fprintf(r->out, "version:     %s\n", in->version);
	if (in->debug_known)
		fprintf(r->out, "memory debug: %s\n",
			in->debug ? "yes (DBG_SR_MEMORY: allocation sites recorded)" : "no");
	if (r->debuginfo_path)
		fprintf(r->out, "debug info:  dwarf:%s\n", r->debuginfo_path);
	else
		fprintf(r->out, "debug info:  none%s%s\n", r->debuginfo_problem ? " - " : "",
			r->debuginfo_problem ? r->debuginfo_problem : "");
}

static void info(struct hw_report *r)
{
	size_t opened = 0;
	struct hw_layout_facts lf;

	describe_target(r);
	for (size_t i = 0; i < r->t->nmappings; i++)
		if (r->t->mappings[i].elf)
			opened++;
	fprintf(r->out, "files:       %zu mapped files named by the core, %zu read from disk\n",
		r->t->nmappings, opened);
	if (r->system_pkg) {
		const struct hw_pool *p = r->system_pkg;
		fprintf(r->out, "\n%s pool\n  manager:   system\n  note:      %s\n", p->name,
			HW_POOL_SYSTEM_TEXT);
		if (p->evidence[0])
			fprintf(r->out, "  evidence:  %s\n", p->evidence);
	}
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		const struct hw_pool *p = pr->pool;
		fputc('\n', r->out);
		fprintf(r->out, "%s pool\n", p->name);
		fprintf(r->out, "  manager:   %s\n", p->manager[0] ? p->manager : "unknown");
		if (p->root_symbol[0] && p->root)
			fprintf(r->out, "  found via: %s at 0x%" PRIx64 "\n", p->root_symbol,
				p->root);
		else if (p->root_symbol[0])
			fprintf(r->out, "  found via: %s\n", p->root_symbol);
		fprintf(r->out, "  block:     0x%" PRIx64 "\n", p->block);
		if (hw_pool_layout_facts(p, &lf)) {
			fprintf(r->out, "  layout:    %s (era %s, %s, %u-bit, ROUNDTO %u)\n",
				hw_pool_layout_source(p), lf.era, lf.debug ? "debug" : "non-debug",
				lf.word * 8, lf.roundto);
			fprintf(r->out, "  sizes:     %s\n", lf.sizes);
			if (!lf.debug)
				fprintf(r->out,
					"  sites:     none recorded: allocation sites need %s\n",
					hw_sites_need(r->inst));
			else if (p->no_strings)
				fputs("  sites:     recorded, but their strings cannot be resolved "
				      "without the executable\n",
				      r->out);
		}
		if (hw_report_tls_note(r, pr))
			fprintf(r->out, "  tls:       %s\n", hw_report_tls_note(r, pr));
		if (p->evidence[0])
			fprintf(r->out, "  evidence:  %s\n", p->evidence);
		if (p->problem)
			fprintf(r->out, "  problem:   %s\n", p->problem);
		if (pr->walked)
			fprintf(r->out,
				"  heap:      %" PRIu64 " bytes, %" PRIu64 " fragments, walk %s\n",
				pr->hdr.size, pr->walk.frags,
				pr->walk.complete ? "complete" : "incomplete");
	}
}

/* The pools a heap is made of (h->nparts > 1): where each is and how full, by its block. */
static void pools_of(struct hw_report *r, const struct hw_heap_header *h)
{
	char b1[32], b2[32];

	fprintf(r->out, "  pools          %12u  (used+overhead of heap size, by each block)\n",
		h->nparts);
	for (uint32_t i = 0; i < h->nparts && i < HW_PAR_POOLS_MAX; i++) {
		const struct hw_heap_part *p = &h->parts[i];
		hw_human_size(b1, sizeof(b1), p->real_used);
		hw_human_size(b2, sizeof(b2), p->size);
		fprintf(r->out, "    pool %2u  0x%" PRIx64 "  %s of %s (%.1f%%)\n", i, p->block, b1,
			b2, hw_report_pct(p->real_used, p->size));
	}
}

static void stats(struct hw_report *r)
{
	char b1[32];

	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		const struct hw_heap_header *h = &pr->hdr;
		const struct hw_walk_stats *w = &pr->walk;
		if (i)
			fputc('\n', r->out);
		if (pool_unwalked(r, pr))
			continue;
		pool_title(r, pr);
		hw_human_size(b1, sizeof(b1), h->size);
		fprintf(r->out, "  heap size      %12" PRIu64 "  (%s)\n", h->size, b1);
		if (h->no_counters) {
			/* old non-debug f_malloc keeps no counters: give what the walk found */
			fprintf(r->out,
				"  used           %12s  (this build keeps no counters; the walk "
				"found %" PRIu64 " bytes)\n",
				"-", w->used_bytes);
		} else {
			fprintf(r->out, "  used           %12" PRIu64 "  (%s, %.1f%%)\n", h->used,
				HS(h->used), hw_report_pct(h->used, h->size));
			fprintf(r->out, "  used+overhead  %12" PRIu64 "  (%s, %.1f%%)\n",
				h->real_used, HS(h->real_used),
				hw_report_pct(h->real_used, h->size));
			fprintf(r->out, "  free           %12" PRIu64 "  (%s, %.1f%%)\n",
				h->size - h->real_used, HS(h->size - h->real_used),
				hw_report_pct(h->size - h->real_used, h->size));
			fprintf(r->out, "  max used       %12" PRIu64 "  (%s, %.1f%%)\n",
				h->max_real_used, HS(h->max_real_used),
				hw_report_pct(h->max_real_used, h->size));
			if (h->loose_counters)
				fputs("  (hp_malloc keeps these counters loosely: the walked bytes "
				      "are the pool's)\n",
				      r->out);
		}
		if (h->nparts > 1) /* OpenSIPS's parallel pools: each one's own counters */
			pools_of(r, h);
		fprintf(r->out,
			"  fragments      %12" PRIu64 "  (%" PRIu64 " used, %" PRIu64 " free",
			w->frags, w->used_frags, w->free_frags);
		if (h->has_ffrags)
			fprintf(r->out, "; block counts %" PRIu64 " free", h->ffrags);
		fputs(")\n", r->out);
		fprintf(r->out, "  walked bytes   %12" PRIu64 " used, %" PRIu64 " free\n",
			w->used_bytes, w->free_bytes);
		fprintf(r->out, "  walk           %s\n",
			w->complete ? "complete, fragments tile the heap exactly"
				    : "INCOMPLETE - see findings");
		if (pr->frag)
			hw_fmt_frag_text(r->out, pr, r->request, "  ");
		print_findings(r, pr);
	}
}

static void summary(struct hw_report *r)
{
	char b1[32];

	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		if (i)
			fputc('\n', r->out);
		if (pool_unwalked(r, pr))
			continue;
		pool_title(r, pr);
		hw_human_size(b1, sizeof(b1), pr->sites.bytes);
		fprintf(r->out,
			"  %" PRIu64 " used fragments, %" PRIu64 " bytes (%s) at %zu sites\n",
			pr->sites.frags, pr->sites.bytes, b1, pr->sites.n);
		if (!hw_pool_debug(pr->pool)) {
			fprintf(r->out, "  allocation sites need %s; this one records none\n",
				hw_sites_need(r->inst));
			print_findings(r, pr);
			continue;
		}
		if (pr->groups.by != HW_BY_SITE) {
			hw_fmt_groups_text(r, pr);
			print_findings(r, pr);
			continue;
		}
		fprintf(r->out, "  %8s %12s %6s  %-10s %s\n", "count", "bytes", "%", "module",
			"site");
		for (size_t j = 0; j < pr->nrows; j++) {
			const struct hw_site *s = pr->rows[j];
			fprintf(r->out, "  %8" PRIu64 " %12s %5.1f%%  %-10s %s: %s(%" PRIu64 ")\n",
				s->count, HS(s->bytes), hw_report_pct(s->bytes, pr->sites.bytes),
				s->mname_s && s->mname_s[0] ? s->mname_s : "-", s->file_s,
				s->func_s, s->line);
			hw_fmt_classify_text(r, pr, s,
					     "                                          ");
		}
		if (pr->nrows < pr->sites.n)
			fprintf(r->out, "  ... %zu more sites (use --top)\n",
				pr->sites.n - pr->nrows);
		hw_fmt_classify_total_text(r, pr, "  ");
		print_findings(r, pr);
	}
}

static void frags_pool_begin(struct hw_report *r, struct hw_pool_report *pr)
{
	if (!pr->walked)
		return;
	pool_title(r, pr);
	fprintf(r->out, "  %8s  %-18s %10s  %-4s  %s\n", "index", "address", "size", "state",
		hw_pool_debug(pr->pool) ? "site (free fragments: where freed)" : "");
}

static void frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	fprintf(r->out, "  %8" PRIu64 "  0x%-16" PRIx64 " %10" PRIu64 "  %-5s", f->index, f->user,
		f->size, hw_report_state(f));
	if (hw_pool_debug(pr->pool))
		fprintf(r->out, " %s: %s(%" PRIu64 ")", hw_strcache_get(&r->strings, f->file),
			hw_strcache_get(&r->strings, f->func), f->line);
	fputc('\n', r->out);
	if (r->backtrace)
		hw_fmt_stack_text(r, "            ");
	if (r->hexdump || r->show_strings)
		hw_fmt_content_text(r, f, "            ");
}

static void frags_pool_end(struct hw_report *r, struct hw_pool_report *pr)
{
	if (!pr->walked)
		return;
	print_findings(r, pr);
	fputc('\n', r->out);
}

const struct hw_formatter hw_formatter_text = {
    .name = "text",
    .info = info,
    .stats = stats,
    .summary = summary,
    .frags_pool_begin = frags_pool_begin,
    .frag = frag,
    .frags_pool_end = frags_pool_end,
};
