/* fmt_groups.c - summary --by module, file, function and size, as text and JSON members. */
#include <inttypes.h>
#include <stdio.h>

#include "heapwalk/report.h"
#include "heapwalk/sbuf.h"

/* A power of two as people read it: 512, 1K, 64M. */
static void pow2_label(char *buf, size_t cap, uint64_t v)
{
	static const char *const unit[] = {"", "K", "M", "G", "T", "P", "E"};
	int u = 0;

	while (v >= 1024 && !(v % 1024) && u < 6) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, "%" PRIu64 "%s", v, unit[u]);
}

/* Bucket k as a half-open range: "[64,128)", "[1K,2K)"; "0" for size 0. */
static void bucket_label(char *buf, size_t cap, unsigned k)
{
	char lo[24], hi[24];

	if (!k) {
		snprintf(buf, cap, "0");
		return;
	}
	pow2_label(lo, sizeof(lo), hw_size_bucket_lo(k));
	if (k == 64)
		snprintf(hi, sizeof(hi), "16E");
	else
		pow2_label(hi, sizeof(hi), hw_size_bucket_hi(k) + 1);
	snprintf(buf, cap, "[%s,%s)", lo, hi);
}

static const char *module_text(const char *m)
{
	return m && m[0] ? m : "-";
}

/* --by size: the site rows, each followed by its non-empty buckets. */
static void size_rows_text(struct hw_report *r, const struct hw_pool_report *pr)
{
	char b1[32], b2[32], label[56];

	fprintf(r->out, "  %8s %10s %6s  %-10s %s\n", "count", "bytes", "%", "module", "site");
	for (size_t j = 0; j < pr->nrows; j++) {
		const struct hw_site *s = pr->rows[j];
		unsigned col = 0;
		fprintf(r->out, "  %8" PRIu64 " %10s %5.1f%%  %-10s %s: %s(%" PRIu64 ")\n",
			s->count, hw_human_size(b1, sizeof(b1), s->bytes),
			hw_report_pct(s->bytes, pr->sites.bytes), module_text(s->mname_s),
			s->file_s, s->func_s, s->line);
		for (unsigned k = 0; s->hist && k < HW_SIZE_BUCKETS; k++) {
			if (!s->hist->count[k])
				continue;
			bucket_label(label, sizeof(label), k);
			snprintf(b2, sizeof(b2), "%s",
				 hw_human_size(b1, sizeof(b1), s->hist->bytes[k]));
			if (col == 0)
				fputs("      sizes:", r->out);
			else if (col % 3 == 0)
				fputs("\n            ", r->out);
			fprintf(r->out, "  %s %" PRIu64 "x %s", label, s->hist->count[k], b2);
			col++;
		}
		if (col)
			fputc('\n', r->out);
		hw_fmt_classify_text(r, pr, s, "                                          ");
	}
	if (pr->nrows < pr->sites.n)
		fprintf(r->out, "  ... %zu more sites (use --top)\n", pr->sites.n - pr->nrows);
	hw_fmt_classify_total_text(r, pr, "  ");
}

void hw_fmt_groups_text(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_groups *g = &pr->groups;
	const char *what = hw_group_by_name(g->by);
	char b1[32];

	if (g->by == HW_BY_SIZE) {
		size_rows_text(r, pr);
		return;
	}
	if (g->by == HW_BY_MODULE || g->by == HW_BY_STACK)
		fprintf(r->out, "  %8s %10s %6s %6s  %s\n", "count", "bytes", "%", "sites",
			g->by == HW_BY_STACK ? "first frame outside the allocator" : "module");
	else
		fprintf(r->out, "  %8s %10s %6s %6s  %-10s %s\n", "count", "bytes", "%", "sites",
			"module", what);
	for (size_t j = 0; j < g->nrows; j++) {
		const struct hw_group *x = &g->v[j];
		fprintf(r->out, "  %8" PRIu64 " %10s %5.1f%% %6zu  ", x->count,
			hw_human_size(b1, sizeof(b1), x->bytes),
			hw_report_pct(x->bytes, pr->sites.bytes), x->nsites);
		if (g->by == HW_BY_MODULE || g->by == HW_BY_STACK)
			fprintf(r->out, "%s\n", module_text(x->key));
		else
			fprintf(r->out, "%-10s %s\n", module_text(x->module), x->key);
	}
	if (g->nrows < g->n)
		fprintf(r->out, "  ... %zu more (use --top)\n", g->n - g->nrows);
}

void hw_json_size_hist(struct hw_json *js, const struct hw_size_hist *h)
{
	hw_json_key(js, "sizes");
	hw_json_begin_array(js);
	for (unsigned k = 0; h && k < HW_SIZE_BUCKETS; k++) {
		if (!h->count[k])
			continue;
		hw_json_begin_object(js);
		hw_json_key(js, "min_size");
		hw_json_u64(js, hw_size_bucket_lo(k));
		hw_json_key(js, "max_size");
		hw_json_u64(js, hw_size_bucket_hi(k));
		hw_json_key(js, "count");
		hw_json_u64(js, h->count[k]);
		hw_json_key(js, "bytes");
		hw_json_u64(js, h->bytes[k]);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
}

void hw_json_groups_head(struct hw_json *js, const struct hw_pool_report *pr)
{
	hw_json_key(js, "by");
	hw_json_string(js, hw_group_by_name(pr->groups.by));
	hw_json_key(js, "used_frags");
	hw_json_u64(js, pr->sites.frags);
	hw_json_key(js, "used_bytes");
	hw_json_u64(js, pr->sites.bytes);
}

void hw_json_groups(struct hw_json *js, const struct hw_pool_report *pr)
{
	const struct hw_groups *g = &pr->groups;
	bool debug = hw_pool_debug(pr->pool);

	hw_json_groups_head(js, pr);
	hw_json_key(js, "groups_available");
	hw_json_bool(js, debug);
	hw_json_key(js, "groups_total");
	hw_json_u64(js, debug ? g->n : 0);
	hw_json_key(js, "groups");
	hw_json_begin_array(js);
	for (size_t j = 0; debug && j < g->nrows; j++) {
		const struct hw_group *x = &g->v[j];
		hw_json_begin_object(js);
		hw_json_key(js, hw_group_by_name(g->by));
		hw_json_string(js, x->key);
		if (x->module) {
			hw_json_key(js, "module");
			hw_json_string(js, x->module);
		}
		hw_json_key(js, "count");
		hw_json_u64(js, x->count);
		hw_json_key(js, "bytes");
		hw_json_u64(js, x->bytes);
		hw_json_key(js, "sites");
		hw_json_u64(js, x->nsites);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
}
