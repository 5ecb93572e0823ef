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

/* fm_status: blank-led lines; the counters only where the build keeps them. */
static void fm_header(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_heap_header *h = &pr->hdr;

	fputs("fm_status (", r->out);
	put_ptr(r->out, h->block);
	fputs("):\n", r->out);
	fprintf(r->out, " heap size= %" PRId64 "\n", (int64_t)h->size);
	if (h->no_counters)
		return;
	fprintf(r->out, " used= %" PRIu64 ", used+overhead=%" PRIu64 ", free=%" PRIu64 "\n", h->used,
		h->real_used, h->size - h->real_used);
	fprintf(r->out, " max used (+overhead)= %" PRIu64 "\n", h->max_real_used);
}

static void fm_free_lists(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_fm_layout *l = &pr->pool->fm;
	uint64_t small = l->optimize / l->roundto, total = 0, bytes = 0;

	fputs("dumping free list:\n", r->out);
	for (size_t i = 0; i < pr->nbuckets; i++) {
		const struct hw_free_bucket *b = &pr->buckets[i];
		uint64_t lo = hw_fm_unhash(l, b->index);
		fprintf(r->out,
			"hash = %3" PRIu64 " fragments no.: %5" PRIu64 ", unused: %5d\n"
			"\t\t bucket size: %9" PRIu64 " - %9" PRIu64 " (first %9" PRIu64 ")\n",
			b->index, b->count, 0, lo, b->index <= small ? lo : 2 * lo, b->first_size);
		total += b->count;
		bytes += b->bytes;
	}
	fprintf(r->out, "TOTAL: %6" PRIu64 " free fragments = %6" PRIu64 " free bytes\n", total,
		bytes);
	fputs("-----------------------------\n", r->out);
}

static void tlsf_header(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_heap_header *h = &pr->hdr;

	fputs("status of pool (", r->out);
	put_ptr(r->out, h->block);
	fputs("):\n", r->out);
	fprintf(r->out, "heap size= %" PRIu64 "\n", h->size);
	fprintf(r->out,
		"used= %" PRIu64 ", used+overhead=%" PRIu64 ", free=%" PRIu64 ", fragments=%" PRIu64
		"\n",
		h->used, h->real_used, h->size - h->real_used, h->ffrags);
	fprintf(r->out, "max used (+overhead)=%" PRIu64 ", max fragments=%" PRIu64 "\n",
		h->max_real_used, h->max_frags);
}

/* 4.4+: the free-block matrix, one row per second-level index, 'A' + log2(list length). */
static void tlsf_matrix(struct hw_report *r, const struct hw_pool_report *pr)
{
	const struct hw_tlsf_layout *l = &pr->pool->tlsf;
	char row[64];

	fputs("Free blocks matrix ('.': none, 'X': between 2^X and (2^(X+1)-1) free blocks, "
	      "X=A..Z, A=0, B=1, ...)\n",
	      r->out);
	fprintf(r->out,
		"> first-level: %u block list arrays between 2^fl and 2^(fl+1) bytes (fl=%u..%u)\n",
		l->fl_count, l->fl_shift, l->fl_max);
	fprintf(r->out,
		"v second-level: %u block lists between 2^fl+sl*2^(fl-%u) and "
		"2^fl+(sl+1)*2^(fl-%u)-1 bytes (sl=0..%u)\n",
		l->sl_count, l->sl_log2, l->sl_log2, l->sl_count - 1);
	for (uint32_t sl = 0; sl < l->sl_count; sl++) {
		uint32_t n = l->fl_count < sizeof(row) ? l->fl_count : (uint32_t)sizeof(row);
		memset(row, '.', n);
		for (size_t i = 0; i < pr->nbuckets; i++) {
			const struct hw_free_bucket *b = &pr->buckets[i];
			uint64_t fl = b->index / l->sl_count, c = b->count;
			int log = 0;
			if (b->index % l->sl_count != sl || fl >= n || !c)
				continue;
			while (c >>= 1)
				log++;
			row[fl] = (char)('A' + log);
		}
		fprintf(r->out, "%2u|%.*s|\n", sl, (int)n, row);
	}
}

static bool tlsf_44(const struct hw_pool_report *pr)
{
	return pr->pool->tlsf.era != HW_TLSF_ERA_43;
}

static void stats(struct hw_report *r)
{
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked)
			continue;
		switch (pr->pool->mgr) {
		case HW_MGR_FM:
			fm_header(r, pr);
			break;
		case HW_MGR_TLSF:
			tlsf_header(r, pr);
			if (tlsf_44(pr))
				tlsf_matrix(r, pr);
			break;
		default:
			status_header(r, pr);
			break;
		}
	}
}

static void summary(struct hw_report *r)
{
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked || !hw_pool_debug(pr->pool))
			continue;
		if (pr->pool->mgr == HW_MGR_TLSF) {
			fputs("pool (", r->out);
			put_ptr(r->out, pr->hdr.block);
			fputs(") ", r->out);
		}
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
	switch (pr->pool->mgr) {
	case HW_MGR_FM:
		fm_header(r, pr); /* fm_status lists no fragments, only the free lists */
		break;
	case HW_MGR_TLSF:
		if (!tlsf_44(pr)) {
			tlsf_header(r, pr);
			fputs("dumping all fragments:\n", r->out);
		}
		break;
	default:
		status_header(r, pr);
		fputs("dumping all alloc'ed. fragments:\n", r->out);
		break;
	}
}

/* 4.3's tlsf_status lists every block by its user pointer. */
static void tlsf_frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	fputc('(', r->out);
	put_ptr(r->out, f->user);
	fprintf(r->out, "): used=%s size=%" PRIu64, f->used ? "true" : "false", f->size);
	if (pr->pool->tlsf.debug)
		fprintf(r->out, " was %s from %s: %s(%" PRId64 ")", f->used ? "alloc'd" : "free'd",
			hw_strcache_get(&r->strings, f->file), hw_strcache_get(&r->strings, f->func),
			(int64_t)f->line);
	fputc('\n', r->out);
}

static void frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	const struct hw_qm_layout *l = &pr->pool->qm;

	if (pr->pool->mgr == HW_MGR_FM)
		return;
	if (pr->pool->mgr == HW_MGR_TLSF) {
		if (!tlsf_44(pr))
			tlsf_frag(r, pr, f);
		return;
	}

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
	uint64_t small;

	if (!pr->walked)
		return;
	if (pr->pool->mgr == HW_MGR_FM) {
		fm_free_lists(r, pr);
		return;
	}
	if (pr->pool->mgr == HW_MGR_TLSF) {
		if (tlsf_44(pr)) {
			tlsf_header(r, pr);
			tlsf_matrix(r, pr);
		}
		return;
	}
	small = l->optimize / l->roundto;
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
