/*
 * fmt_kamailio.c - the message bodies Kamailio itself logs for q_malloc
 * (qm_status, qm_sums; kamailio-memory.md §7.2, §7.4), so that existing
 * grep/awk habits keep working on heapwalk's output.
 */
#include <inttypes.h>

#include "heapwalk/report.h"

/* glibc's %p: "0x..." or "(nil)". */
static void put_ptr(FILE *out, uint64_t p)
{
	if (p)
		fprintf(out, "0x%" PRIx64, p);
	else
		fputs("(nil)", out);
}

static void status_header(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_heap_header *h = &pr->hdr;

	fputc('(', r->out);
	put_ptr(r->out, h->block);
	fputs("):\n", r->out);
	fprintf(r->out, "heap size= %" PRIu64 "\n", h->size);
	fprintf(r->out, "used= %" PRIu64 ", used+overhead=%" PRIu64 ", free=%" PRIu64 "\n", h->used,
		h->real_used, h->size - h->real_used);
	fprintf(r->out, "max used (+overhead)= %" PRIu64 "\n", h->max_real_used);
}

static void stats(struct hw_report *r)
{
	for (size_t i = 0; i < r->npools; i++)
		if (r->pools[i].walked)
			status_header(r, &r->pools[i]);
}

static void summary(struct hw_report *r)
{
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked || !hw_pool_debug(pr->pool))
			continue;
		fputs("summarizing all alloc'ed. fragments:\n", r->out);
		for (size_t j = 0; j < pr->nrows; j++) {
			const struct hw_site *s = pr->rows[j];
			fprintf(r->out, " count=%6" PRIu64 " size=%10" PRIu64 " bytes from %s: %s(%" PRId64 ")\n",
				s->count, s->bytes, s->file_s, s->func_s, (int64_t)s->line);
		}
		fputs("-----------------------------\n", r->out);
	}
}

static void frags_pool_begin(struct hw_report *r, struct hw_pool_report *pr)
{
	if (!pr->walked)
		return;
	status_header(r, pr);
	fputs("dumping all alloc'ed. fragments:\n", r->out);
}

static void frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	const struct hw_qm_layout *l = &pr->pool->qm;

	fprintf(r->out, "   %3" PRIu64 ". %c  address=", f->index, f->used ? 'N' : 'A');
	put_ptr(r->out, f->user);
	fputs(" frag=", r->out);
	put_ptr(r->out, f->addr);
	fprintf(r->out, " size=%" PRIu64 " used=1\n", f->size);
	if (!l->debug)
		return;
	fprintf(r->out, "          %s from %s: %s(%" PRId64 ")\n", f->used ? "alloc'd" : "freed",
		hw_strcache_get(&r->strings, f->file), hw_strcache_get(&r->strings, f->func),
		(int64_t)f->line);
	fprintf(r->out, "         start check=%" PRIx64 ", end check= %" PRIx64 ", %" PRIx64 "\n",
		f->check, f->end_check1, f->end_check2);
	if (f->check != HW_QM_ST_CHECK)
		fprintf(r->out, "         * beginning overwritten(%" PRIx64 ")!\n", f->check);
	if (f->end_check1 != HW_QM_END_CHECK1 || f->end_check2 != HW_QM_END_CHECK2)
		fprintf(r->out, "         * end overwritten(%" PRIx64 ", %" PRIx64 ")!\n",
			f->end_check1, f->end_check2);
}

static void frags_pool_end(struct hw_report *r, struct hw_pool_report *pr)
{
	const struct hw_qm_layout *l = &pr->pool->qm;
	uint64_t small = l->optimize / l->roundto;

	if (!pr->walked)
		return;
	fputs("dumping free list stats :\n", r->out);
	for (size_t i = 0; i < pr->nbuckets; i++) {
		const struct hw_free_bucket *b = &pr->buckets[i];
		uint64_t lo = hw_qm_unhash(l, b->index);
		uint64_t hi = b->index <= small ? lo : 2 * lo;
		fprintf(r->out,
			"hash= %3" PRIu64 ". fragments no.: %5" PRIu64 ", unused: %5d\n"
			"\t\t bucket size: %9" PRIu64 " - %9" PRId64 " (first %9" PRIu64 ")\n",
			b->index, b->count, 0, lo, (int64_t)hi, b->first_size);
	}
	fputs("-----------------------------\n", r->out);
}

static void nothing(struct hw_report *r)
{
	(void)r;
}

const struct hw_formatter hw_formatter_kamailio = {
	.name = "kamailio",
	.stats = stats,
	.summary = summary,
	.frags_begin = nothing,
	.frags_pool_begin = frags_pool_begin,
	.frag = frag,
	.frags_pool_end = frags_pool_end,
	.frags_end = nothing,
};
