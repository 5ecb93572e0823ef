/* fmt_csv.c - RFC 4180 CSV with a header row, one table per command. */
#include <inttypes.h>
#include <string.h>

#include "heapwalk/report.h"
#include "heapwalk/target.h"

static void field(FILE *out, const char *s)
{
	if (!s)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void stats(struct hw_report *r)
{
	fputs("pool,manager,pid,block,heap_size,used,real_used,free,max_real_used,frags_total,"
	      "frags_used,frags_free,walk_complete,findings\n",
	      r->out);
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		const struct hw_heap_header *h = &pr->hdr;
		if (!pr->walked)
			continue;
		fprintf(r->out,
			"%s,%s,%d,0x%" PRIx64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
			",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%" PRIu64 "\n",
			pr->pool->name, pr->pool->manager, r->t->pid, h->block, h->size, h->used,
			h->real_used, h->size - h->real_used, h->max_real_used, pr->walk.frags,
			pr->walk.used_frags, pr->walk.free_frags, pr->walk.complete ? "yes" : "no",
			pr->check.total);
	}
}

static void summary(struct hw_report *r)
{
	fputs("pool,count,bytes,module,file,func,line\n", r->out);
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked || !hw_pool_debug(pr->pool))
			continue;
		for (size_t j = 0; j < pr->nrows; j++) {
			const struct hw_site *s = pr->rows[j];
			fprintf(r->out, "%s,%" PRIu64 ",%" PRIu64 ",", pr->pool->name, s->count,
				s->bytes);
			field(r->out, s->mname_s);
			fputc(',', r->out);
			field(r->out, s->file_s);
			fputc(',', r->out);
			field(r->out, s->func_s);
			fprintf(r->out, ",%" PRIu64 "\n", s->line);
		}
	}
}

static void frags_begin(struct hw_report *r)
{
	fputs("pool,index,address,frag,size,state,module,file,func,line\n", r->out);
}

static void frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	fprintf(r->out, "%s,%" PRIu64 ",0x%" PRIx64 ",0x%" PRIx64 ",%" PRIu64 ",%s,", pr->pool->name,
		f->index, f->user, f->addr, f->size, hw_report_state(f));
	if (hw_pool_debug(pr->pool)) {
		field(r->out, f->mname ? hw_strcache_get(&r->strings, f->mname) : "");
		fputc(',', r->out);
		field(r->out, hw_strcache_get(&r->strings, f->file));
		fputc(',', r->out);
		field(r->out, hw_strcache_get(&r->strings, f->func));
		fprintf(r->out, ",%" PRIu64 "\n", f->line);
	} else {
		fputs(",,,\n", r->out);
	}
}

static void nothing_pool(struct hw_report *r, struct hw_pool_report *pr)
{
	(void)r;
	(void)pr;
}

static void nothing(struct hw_report *r)
{
	(void)r;
}

const struct hw_formatter hw_formatter_csv = {
	.name = "csv",
	.stats = stats,
	.summary = summary,
	.frags_begin = frags_begin,
	.frags_pool_begin = nothing_pool,
	.frag = frag,
	.frags_pool_end = nothing_pool,
	.frags_end = nothing,
};
