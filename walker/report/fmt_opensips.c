/*
 * fmt_opensips.c - the lines OpenSIPS itself logs for mem_pkg_dump /
 * mem_shm_dump (opensips-memory.md): the status, the allocation sites
 * (summary) and the free lists, without the log envelope, so that greps
 * written for OpenSIPS's dumps keep working. stats prints the status and
 * the free lists, summary the whole dump. q_malloc's "failed to walk
 * through all fragments", which OpenSIPS logs for every intact heap, is
 * not repeated: check says what heapwalk found.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/report.h"
#include "heapwalk/sbuf.h"

static void flush(struct hw_report *r, struct hw_sbuf *sb)
{
	fwrite(hw_sbuf_str(sb), 1, sb->len, r->out);
	hw_sbuf_reset(sb);
}

/* A walked pool whose manager has OpenSIPS's text. */
static const struct hw_os_ops *os(const struct hw_pool_report *pr)
{
	return pr->walked && pr->alloc && pr->alloc->os.status ? &pr->alloc->os : NULL;
}

static int by_text(const void *a, const void *b)
{
	const struct hw_site *x = *(const struct hw_site *const *)a;
	const struct hw_site *y = *(const struct hw_site *const *)b;
	int c = strcmp(x->file_s, y->file_s);

	if (!c)
		c = strcmp(x->func_s, y->func_s);
	return c ? c : x->line < y->line ? -1 : x->line > y->line;
}

/*
 * OpenSIPS sums the sites whose texts are equal: the same file, function
 * and line compiled into several objects (an inline in a shared header)
 * make one line.
 */
static void sites(struct hw_report *r, const struct hw_pool_report *pr, const char *title,
		  const char *rule)
{
	static const char end_rule[] = "----------------------------------------------------";
	const struct hw_site **v = pr->nrows ? malloc(pr->nrows * sizeof(*v)) : NULL;

	fprintf(r->out, "%s\n%s\n", title, rule);
	fprintf(r->out, "total_bytes | num_allocations x [file: func, line]\n%s\n", rule);
	if (v) {
		memcpy(v, pr->rows, pr->nrows * sizeof(*v));
		qsort(v, pr->nrows, sizeof(*v), by_text);
	}
	for (size_t j = 0; v && j < pr->nrows;) {
		const struct hw_site *s = v[j];
		uint64_t bytes = 0, count = 0;
		for (; j < pr->nrows && !by_text(&v[j], &s); j++) {
			bytes += v[j]->bytes;
			count += v[j]->count;
		}
		fprintf(r->out, " %10" PRIu64 " : %" PRIu64 " x [%s: %s, line %" PRIu64 "]\n",
			bytes, count, s->file_s, s->func_s, s->line);
	}
	if (!v && pr->nrows)
		fputs("<out of memory>\n", r->out);
	free(v);
	fprintf(r->out, "%s\n", end_rule);
}

static void dump(struct hw_report *r, bool with_sites)
{
	struct hw_sbuf sb;

	hw_sbuf_init(&sb);
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		const struct hw_os_ops *o = os(pr);
		if (!o)
			continue;
		fprintf(r->out, "Memory status (%s):\n", pr->pool->name);
		o->status(&sb, pr->pool->layout, &pr->hdr);
		flush(r, &sb);
		if (with_sites && hw_pool_debug(pr->pool))
			sites(r, pr, o->site_title, o->site_rule);
		o->free_lists(&sb, pr->pool->layout, &pr->hdr, pr->buckets, pr->nbuckets);
		flush(r, &sb);
	}
	hw_sbuf_deinit(&sb);
}

static void stats(struct hw_report *r)
{
	dump(r, false);
}

static void summary(struct hw_report *r)
{
	dump(r, true);
}

const struct hw_formatter hw_formatter_opensips = {
    .name = "opensips",
    .stats = stats,
    .summary = summary,
};
