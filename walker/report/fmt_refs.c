/* fmt_refs.c - refs and leaks, as text or JSON (doc/json-schema.md). */
#include <inttypes.h>
#include <stdio.h>

#include "heapwalk/json.h"
#include "heapwalk/locate.h"
#include "heapwalk/report.h"

#define CONSERVATIVE_NOTE                                                                          \
	"conservative: any aligned word whose value points into a fragment counts (stale copies "  \
	"and integers that look like pointers included); registers are not scanned, and other "    \
	"processes' private memory (their pkg pools, which may point into shm) is not in this "    \
	"core"

static const char *kind_text(enum hw_ref_kind k)
{
	switch (k) {
	case HW_REF_USED:
		return "a used fragment";
	case HW_REF_FREE:
		return "a FREE fragment (stale data or its free-list links)";
	case HW_REF_HEADER:
		return "a fragment header";
	case HW_REF_META:
		return "the block header or a damaged range";
	default:
		return "other memory";
	}
}

static const char *kind_key(enum hw_ref_kind k)
{
	static const char *const keys[] = {"used_fragment", "free_fragment", "fragment_header",
					   "heap_metadata", "other"};
	return k <= HW_REF_OTHER ? keys[k] : "other";
}

static void refs_json(struct hw_report *r, const void *model)
{
	const struct hw_refs_result *res = model;
	const struct hw_pool_report *in = res->in;
	const struct hw_location *loc = &res->loc;
	struct hw_pool_report *const *prs = res->prs;
	uint64_t lo = res->lo, hi = res->hi;
	struct hw_json *js = &r->json;

	hw_fmt_json_head(r);
	hw_json_key(js, "address");
	hw_json_hex(js, loc->addr);
	hw_json_opt_string(js, "pool", in ? in->pool->name : NULL);
	hw_json_key(js, "fragment");
	if (in && loc->kind == HW_LOC_FRAG)
		hw_fmt_brief_json(r, in, &loc->frag);
	else
		hw_json_null(js);
	hw_json_range(js, "range", lo, hi);
	hw_json_key(js, "conservative");
	hw_json_string(js, CONSERVATIVE_NOTE);
	hw_json_key(js, "total");
	hw_json_u64(js, res->total);
	hw_json_key(js, "refs");
	hw_json_begin_array(js);
	for (size_t i = 0; i < res->n; i++) {
		const struct hw_ref_found *f = &res->refs[i];
		hw_json_begin_object(js);
		hw_json_key(js, "at");
		hw_json_hex(js, f->at);
		hw_json_key(js, "value");
		hw_json_hex(js, f->value);
		hw_json_key(js, "offset");
		hw_json_u64(js, f->value - lo);
		hw_json_key(js, "in");
		hw_json_string(js, kind_key(f->kind));
		hw_json_opt_string(js, "in_pool", f->pool >= 0 ? prs[f->pool]->pool->name : NULL);
		hw_json_key(js, "holder");
		if (f->frag.valid)
			hw_fmt_brief_json(r, prs[f->pool], &f->frag);
		else
			hw_json_null(js);
		if (f->kind == HW_REF_OTHER) {
			hw_json_key(js, "where");
			hw_json_string(js, f->where);
		}
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
	hw_json_doc_close(js);
}

static void refs_text(struct hw_report *r, const void *model)
{
	const struct hw_refs_result *res = model;
	const struct hw_pool_report *in = res->in;
	const struct hw_location *loc = &res->loc;
	struct hw_pool_report *const *prs = res->prs;
	uint64_t lo = res->lo, hi = res->hi;

	fprintf(r->out, "references to 0x%" PRIx64 "-0x%" PRIx64, lo, hi);
	if (in && loc->kind == HW_LOC_FRAG) {
		fprintf(r->out, " (%s pool, ", in->pool->name);
		hw_fmt_brief_text(r, in, &loc->frag);
		fputc(')', r->out);
	}
	fprintf(r->out, "\n  %" PRIu64 " found; %s\n", res->total, CONSERVATIVE_NOTE);
	for (size_t i = 0; i < res->n; i++) {
		const struct hw_ref_found *f = &res->refs[i];
		fprintf(r->out, "  0x%-14" PRIx64 " -> +%-6" PRIu64 " in %s", f->at, f->value - lo,
			kind_text(f->kind));
		if (f->pool >= 0)
			fprintf(r->out, " of the %s pool", prs[f->pool]->pool->name);
		if (f->frag.valid) {
			fputs(": ", r->out);
			hw_fmt_brief_text(r, prs[f->pool], &f->frag);
		} else if (f->kind == HW_REF_OTHER) {
			fprintf(r->out, ": %s", f->where ? f->where : "");
		}
		fputc('\n', r->out);
	}
	if (res->total > res->n)
		fprintf(r->out, "  ... %" PRIu64 " more not shown\n", res->total - res->n);
}

static uint64_t example_of(const struct hw_pool_leaks *c, const struct hw_site *s)
{
	for (size_t i = 0; i < c->nex; i++)
		if (c->ex[i].file == s->file && c->ex[i].func == s->func &&
		    c->ex[i].line == s->line)
			return c->ex[i].addr;
	return 0;
}

static void leaks_json(struct hw_report *r, const void *model)
{
	const struct hw_leaks_result *res = model;
	const struct hw_pool_leaks *pl = res->pools;
	struct hw_json *js = &r->json;

	hw_fmt_json_head(r);
	hw_json_key(js, "conservative");
	hw_json_string(js, CONSERVATIVE_NOTE);
	hw_json_key(js, "pools");
	hw_json_begin_array(js);
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		hw_json_begin_object(js);
		hw_json_key(js, "pool");
		hw_json_string(js, pr->pool->name);
		hw_json_key(js, "walked");
		hw_json_bool(js, pr->walked);
		if (pr->walked) {
			hw_json_key(js, "used_frags");
			hw_json_u64(js, pl[i].used);
			hw_json_key(js, "leak_frags");
			hw_json_u64(js, pl[i].frags);
			hw_json_key(js, "leak_bytes");
			hw_json_u64(js, pl[i].bytes);
			hw_json_key(js, "sites_available");
			hw_json_bool(js, hw_pool_debug(pr->pool));
			hw_json_key(js, "sites");
			hw_json_begin_array(js);
			for (size_t k = 0; hw_pool_debug(pr->pool) && k < pr->nrows; k++) {
				const struct hw_site *st = pr->rows[k];
				hw_json_begin_object(js);
				hw_json_site_row(js, st);
				hw_json_key(js, "example");
				hw_json_hex(js, example_of(&pl[i], st));
				hw_json_end_object(js);
			}
			hw_json_end_array(js);
		}
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
	hw_json_doc_close(js);
}

static void leaks_text(struct hw_report *r, const void *model)
{
	const struct hw_leaks_result *res = model;
	const struct hw_pool_leaks *pl = res->pools;

	fprintf(r->out,
		"leak candidates: used fragments that nothing in the core points to.\n"
		"(%s.)\n",
		CONSERVATIVE_NOTE);
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked)
			continue;
		fprintf(r->out, "\n%s pool: %s, block 0x%" PRIx64 "\n", pr->pool->name,
			pr->pool->manager, pr->pool->block);
		fprintf(r->out,
			"  %" PRIu64 " of %" PRIu64 " used fragments (%" PRIu64
			" bytes) have no reference\n",
			pl[i].frags, pl[i].used, pl[i].bytes);
		if (!pl[i].frags)
			continue;
		if (!hw_pool_debug(pr->pool)) {
			fprintf(r->out, "  allocation sites need %s\n", hw_sites_need(r->inst));
			continue;
		}
		fprintf(r->out, "  %8s %12s  %-18s %s\n", "count", "bytes", "e.g.", "site");
		for (size_t k = 0; k < pr->nrows; k++) {
			const struct hw_site *st = pr->rows[k];
			fprintf(r->out,
				"  %8" PRIu64 " %12" PRIu64 "  0x%-16" PRIx64 " %s: %s(%" PRIu64
				")\n",
				st->count, st->bytes, example_of(&pl[i], st), st->file_s,
				st->func_s, st->line);
		}
		if (pr->nrows < pr->sites.n)
			fprintf(r->out, "  ... %zu more sites (use --top)\n",
				pr->sites.n - pr->nrows);
	}
}

const struct hw_output hw_outputs_refs[] = {
    {"refs", HW_FMT_TEXT, refs_text},
    {"refs", HW_FMT_JSON, refs_json},
    {"leaks", HW_FMT_TEXT, leaks_text},
    {"leaks", HW_FMT_JSON, leaks_json},
    {NULL, 0, NULL},
};
