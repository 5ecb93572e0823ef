/* fmt_csv.c - RFC 4180 CSV with a header row, one table per command. */
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "heapwalk/report.h"
#include "heapwalk/target.h"

/*
 * A cell a spreadsheet would take for a formula (=, +, -, @, tab, CR first):
 * such text from the target is written quoted behind a ' so that it stays text.
 */
static bool formula(const char *s)
{
	switch (*s) {
	case '=':
	case '+':
	case '-':
	case '@':
	case '\t':
	case '\r':
		return true;
	default:
		return false;
	}
}

static void field(FILE *out, const char *s)
{
	if (!s)
		s = "";
	if (!formula(s) && strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	if (formula(s))
		fputc('\'', out);
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

/* --by module, file, function: one line per group. */
static void groups(struct hw_report *r, enum hw_group_by by)
{
	if (by == HW_BY_MODULE)
		fputs("pool,count,bytes,sites,module\n", r->out);
	else if (by == HW_BY_STACK)
		fputs("pool,count,bytes,sites,stack\n", r->out);
	else
		fprintf(r->out, "pool,count,bytes,sites,module,%s\n", hw_group_by_name(by));
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked || !hw_pool_debug(pr->pool))
			continue;
		for (size_t j = 0; j < pr->groups.nrows; j++) {
			const struct hw_group *g = &pr->groups.v[j];
			fprintf(r->out, "%s,%" PRIu64 ",%" PRIu64 ",%zu,", pr->pool->name, g->count,
				g->bytes, g->nsites);
			if (by == HW_BY_MODULE || by == HW_BY_STACK) {
				field(r->out, g->key);
			} else {
				field(r->out, g->module);
				fputc(',', r->out);
				field(r->out, g->key);
			}
			fputc('\n', r->out);
		}
	}
}

/* --by size: one line per site and size bucket. */
static void sizes(struct hw_report *r)
{
	fputs("pool,module,file,func,line,min_size,max_size,count,bytes\n", r->out);
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		if (!pr->walked || !hw_pool_debug(pr->pool))
			continue;
		for (size_t j = 0; j < pr->nrows; j++) {
			const struct hw_site *s = pr->rows[j];
			for (unsigned k = 0; s->hist && k < HW_SIZE_BUCKETS; k++) {
				if (!s->hist->count[k])
					continue;
				fprintf(r->out, "%s,", pr->pool->name);
				field(r->out, s->mname_s);
				fputc(',', r->out);
				field(r->out, s->file_s);
				fputc(',', r->out);
				field(r->out, s->func_s);
				fprintf(r->out,
					",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
					"\n",
					s->line, hw_size_bucket_lo(k), hw_size_bucket_hi(k),
					s->hist->count[k], s->hist->bytes[k]);
			}
		}
	}
}

static void summary(struct hw_report *r)
{
	enum hw_group_by by = r->npools ? r->pools[0].groups.by : HW_BY_SITE;

	if (by == HW_BY_SIZE) {
		sizes(r);
		return;
	}
	if (by != HW_BY_SITE) {
		groups(r, by);
		return;
	}
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
	fputs(r->backtrace ? "pool,index,address,frag,size,state,module,file,func,line,frames\n"
			   : "pool,index,address,frag,size,state,module,file,func,line\n",
	      r->out);
}

/* frags --backtrace: the frames column, then the line's end. */
static void frames_field(struct hw_report *r)
{
	char buf[HW_BT_MAX * 600];

	hw_fmt_stack_csv(r, buf, sizeof(buf));
	fputc(',', r->out);
	field(r->out, buf);
	fputc('\n', r->out);
}

/*
 * The per-fragment line is built by hand in a buffer and written at once:
 * printf's format parsing was most of the time of a big 'frags' run.
 */
static char *put_dec(char *p, uint64_t v)
{
	char tmp[20];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* As "0x%" PRIx64. */
static char *put_hex(char *p, uint64_t v)
{
	char tmp[16];
	int n = 0;

	*p++ = '0';
	*p++ = 'x';
	do
		tmp[n++] = "0123456789abcdef"[v & 15];
	while ((v >>= 4));
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* As field(); the caller leaves room for 2 * strlen(s) + 3 bytes. */
static char *put_field(char *p, const char *s, size_t len)
{
	if (!formula(s) && !strpbrk(s, ",\"\r\n")) {
		memcpy(p, s, len);
		return p + len;
	}
	*p++ = '"';
	if (formula(s))
		*p++ = '\'';
	for (; *s; s++) {
		if (*s == '"')
			*p++ = '"';
		*p++ = *s;
	}
	*p++ = '"';
	return p;
}

/* Fields longer than this take the plain stdio path. */
#define FAST_FIELD_MAX 1024

static void frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	char line[4 * (2 * FAST_FIELD_MAX + 3) + 160], *p = line;
	const char *name = pr->pool->name, *state = hw_report_state(f);
	size_t nlen = strlen(name);

	if (nlen <= FAST_FIELD_MAX && !r->backtrace) {
		const char *str[3] = {"", "", ""};
		size_t len[3] = {0, 0, 0};
		bool fast = true;

		if (hw_pool_debug(pr->pool)) {
			str[0] = hw_strcache_module(&r->strings, f->mname, f->file);
			str[1] = hw_strcache_get(&r->strings, f->file);
			str[2] = hw_strcache_get(&r->strings, f->func);
			for (int k = 0; k < 3; k++)
				if ((len[k] = strlen(str[k])) > FAST_FIELD_MAX)
					fast = false;
		}
		if (fast) {
			memcpy(p, name, nlen); /* pool names are plain words */
			p += nlen;
			*p++ = ',';
			p = put_dec(p, f->index);
			*p++ = ',';
			p = put_hex(p, f->user);
			*p++ = ',';
			p = put_hex(p, f->addr);
			*p++ = ',';
			p = put_dec(p, f->size);
			*p++ = ',';
			p = stpcpy(p, state);
			*p++ = ',';
			if (hw_pool_debug(pr->pool)) {
				for (int k = 0; k < 3; k++) {
					p = put_field(p, str[k], len[k]);
					*p++ = ',';
				}
				p = put_dec(p, f->line);
			} else {
				p = stpcpy(p, ",,,");
			}
			*p++ = '\n';
			fwrite(line, 1, (size_t)(p - line), r->out);
			return;
		}
	}
	fprintf(r->out, "%s,%" PRIu64 ",0x%" PRIx64 ",0x%" PRIx64 ",%" PRIu64 ",%s,",
		pr->pool->name, f->index, f->user, f->addr, f->size, hw_report_state(f));
	if (hw_pool_debug(pr->pool)) {
		field(r->out, hw_strcache_module(&r->strings, f->mname, f->file));
		fputc(',', r->out);
		field(r->out, hw_strcache_get(&r->strings, f->file));
		fputc(',', r->out);
		field(r->out, hw_strcache_get(&r->strings, f->func));
		fprintf(r->out, ",%" PRIu64, f->line);
	} else {
		fputs(",,,", r->out);
	}
	if (r->backtrace)
		frames_field(r);
	else
		fputc('\n', r->out);
}

static void nothing_pool(struct hw_report *r, struct hw_pool_report *pr)
{
	(void)r;
	(void)pr;
}

const struct hw_formatter hw_formatter_csv = {
    .name = "csv",
    .stats = stats,
    .summary = summary,
    .frags_begin = frags_begin,
    .frags_pool_begin = nothing_pool,
    .frag = frag,
    .frags_pool_end = nothing_pool,
};
