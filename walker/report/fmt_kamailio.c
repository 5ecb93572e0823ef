/*
 * fmt_kamailio.c - the message bodies Kamailio itself logs (qm_status,
 * qm_sums, fm_status, fm_sums, tlsf_status, tlsf_sums; kamailio-memory.md
 * §7.2-§7.4), so that existing grep/awk habits keep working on heapwalk's
 * output. stats is the status header (TLSF 4.4+: with its free-block
 * matrix), frags the whole status body, summary the sums body.
 */
#include <inttypes.h>
#include <string.h>

#include "heapwalk/report.h"
#include "heapwalk/sbuf.h"

/* Write what an op put in @sb and empty it. */
static void flush(struct hw_report *r, struct hw_sbuf *sb)
{
	fwrite(hw_sbuf_str(sb), 1, sb->len, r->out);
	hw_sbuf_reset(sb);
}

static const struct hw_kam_ops *kam(const struct hw_pool_report *pr)
{
	return &pr->pool->alloc->kam;
}

static void stats(struct hw_report *r)
{
	struct hw_sbuf sb;

	hw_sbuf_init(&sb);
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked)
			continue;
		kam(pr)->stats(&sb, pr->pool->layout, &pr->hdr, pr->buckets, pr->nbuckets);
		flush(r, &sb);
	}
	hw_sbuf_deinit(&sb);
}

static void summary(struct hw_report *r)
{
	struct hw_sbuf sb;

	hw_sbuf_init(&sb);
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked || !hw_pool_debug(pr->pool))
			continue;
		kam(pr)->sums_head(&sb, &pr->hdr);
		flush(r, &sb);
		fputs("summarizing all alloc'ed. fragments:\n", r->out);
		for (size_t j = 0; j < pr->nrows; j++) {
			const struct hw_site *s = pr->rows[j];
			fprintf(r->out,
				" count=%6" PRIu64 " size=%10" PRIu64 " bytes from %s: %s(%" PRId64
				")\n",
				s->count, s->bytes, s->file_s, s->func_s, (int64_t)s->line);
		}
		fputs("-----------------------------\n", r->out);
	}
	hw_sbuf_deinit(&sb);
}

static void frags_pool_begin(struct hw_report *r, struct hw_pool_report *pr)
{
	struct hw_sbuf sb;

	if (!pr->walked)
		return;
	hw_sbuf_init(&sb);
	kam(pr)->status_begin(&sb, pr->pool->layout, &pr->hdr);
	flush(r, &sb);
	hw_sbuf_deinit(&sb);
}

static void frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	struct hw_sbuf sb;

	hw_sbuf_init(&sb);
	kam(pr)->status_frag(&sb, pr->pool->layout, f, hw_strcache_get(&r->strings, f->file),
			     hw_strcache_get(&r->strings, f->func));
	flush(r, &sb);
	hw_sbuf_deinit(&sb);
}

static void frags_pool_end(struct hw_report *r, struct hw_pool_report *pr)
{
	struct hw_sbuf sb;

	if (!pr->walked)
		return;
	hw_sbuf_init(&sb);
	kam(pr)->status_end(&sb, pr->pool->layout, &pr->hdr, pr->buckets, pr->nbuckets);
	flush(r, &sb);
	hw_sbuf_deinit(&sb);
}

const struct hw_formatter hw_formatter_kamailio = {
    .name = "kamailio",
    .stats = stats,
    .summary = summary,
    .frags_pool_begin = frags_pool_begin,
    .frag = frag,
    .frags_pool_end = frags_pool_end,
};
