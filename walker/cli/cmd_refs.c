/* cmd_refs.c - 'heapwalk refs ADDR' and 'heapwalk leaks': conservative pointer scans. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "heapwalk/error.h"
#include "heapwalk/locate.h"
#include "heapwalk/mem.h"
#include "heapwalk/refs.h"
#include "heapwalk/target.h"

#define CONSERVATIVE_NOTE                                                                          \
	"conservative: any aligned word whose value points into a fragment counts (stale copies "  \
	"and integers that look like pointers included); registers are not scanned, and other "  \
	"processes' private memory (their pkg pools, which may point into shm) is not in this core"

/* References kept in full; the rest are counted. */
#define REFS_KEEP 1000

struct ref {
	uint64_t at, value;
	enum hw_ref_kind kind;
	int pool;
	struct hw_frag_brief frag;
};

struct refs_ctx {
	uint64_t skip_at; /* a word not to count (0: none) */
	struct ref *refs;
	size_t n;
	uint64_t total;
	bool nomem;
};

static int on_ref(void *arg, uint64_t at, uint64_t v, const struct hw_ref_src *src)
{
	struct refs_ctx *c = arg;
	struct ref *r;

	if (c->skip_at && at == c->skip_at)
		return 0;
	c->total++;
	if (c->n >= REFS_KEEP || c->nomem)
		return 0;
	if (!c->refs && !(c->refs = calloc(REFS_KEEP, sizeof(*c->refs)))) {
		c->nomem = true;
		return 0;
	}
	r = &c->refs[c->n++];
	r->at = at;
	r->value = v;
	r->kind = src->kind;
	r->pool = src->pool;
	memset(&r->frag, 0, sizeof(r->frag));
	if (src->frag)
		hw_frag_brief_set(&r->frag, src->frag);
	return 0;
}

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

/* The pools ready to scan, as hw_refs_scan takes them, and which report each is. */
static size_t scan_pools(struct hw_session *s, struct hw_refs_pool *rp,
			 struct hw_pool_report **prs)
{
	size_t n = 0;

	for (size_t i = 0; i < s->report.npools; i++) {
		struct hw_pool_report *pr = &s->report.pools[i];
		if (!pr->walked)
			continue;
		rp[n].pool = pr->pool;
		rp[n].hdr = &pr->hdr;
		prs[n++] = pr;
	}
	return n;
}

static void where_other(const struct hw_target *t, uint64_t at, char *buf, size_t cap)
{
	const struct hw_mapping *m = hw_target_mapping_at(t, at);

	if (m)
		snprintf(buf, cap, "%s +0x%" PRIx64, m->path, at - m->start + m->file_offset);
	else
		snprintf(buf, cap, "anonymous memory (a stack, or heap outside the pools)");
}

static void refs_output(struct hw_session *s, struct hw_pool_report *in,
			const struct hw_location *loc, uint64_t lo, uint64_t hi,
			const struct refs_ctx *c, struct hw_pool_report **prs)
{
	struct hw_report *r = &s->report;
	char buf[600];

	if (r->format == HW_FMT_JSON) {
		struct hw_json *js = &r->json;
		hw_fmt_json_head(r);
		hw_json_key(js, "address");
		hw_json_hex(js, loc->addr);
		hw_json_key(js, "pool");
		if (in)
			hw_json_string(js, in->pool->name);
		else
			hw_json_null(js);
		hw_json_key(js, "fragment");
		if (in && loc->kind == HW_LOC_FRAG)
			hw_fmt_brief_json(r, in, &loc->frag);
		else
			hw_json_null(js);
		hw_json_key(js, "range");
		hw_json_begin_object(js);
		hw_json_key(js, "from");
		hw_json_hex(js, lo);
		hw_json_key(js, "to");
		hw_json_hex(js, hi);
		hw_json_end_object(js);
		hw_json_key(js, "conservative");
		hw_json_string(js, CONSERVATIVE_NOTE);
		hw_json_key(js, "total");
		hw_json_u64(js, c->total);
		hw_json_key(js, "refs");
		hw_json_begin_array(js);
		for (size_t i = 0; i < c->n; i++) {
			const struct ref *f = &c->refs[i];
			hw_json_begin_object(js);
			hw_json_key(js, "at");
			hw_json_hex(js, f->at);
			hw_json_key(js, "value");
			hw_json_hex(js, f->value);
			hw_json_key(js, "offset");
			hw_json_u64(js, f->value - lo);
			hw_json_key(js, "in");
			hw_json_string(js, kind_key(f->kind));
			hw_json_key(js, "in_pool");
			if (f->pool >= 0)
				hw_json_string(js, prs[f->pool]->pool->name);
			else
				hw_json_null(js);
			hw_json_key(js, "holder");
			if (f->frag.valid)
				hw_fmt_brief_json(r, prs[f->pool], &f->frag);
			else
				hw_json_null(js);
			if (f->kind == HW_REF_OTHER) {
				where_other(s->t, f->at, buf, sizeof(buf));
				hw_json_key(js, "where");
				hw_json_string(js, buf);
			}
			hw_json_end_object(js);
		}
		hw_json_end_array(js);
		hw_json_end_object(js);
		hw_json_finish(js);
		return;
	}
	fprintf(r->out, "references to 0x%" PRIx64 "-0x%" PRIx64, lo, hi);
	if (in && loc->kind == HW_LOC_FRAG) {
		fprintf(r->out, " (%s pool, ", in->pool->name);
		hw_fmt_brief_text(r, in, &loc->frag);
		fputc(')', r->out);
	}
	fprintf(r->out, "\n  %" PRIu64 " found; %s\n", c->total, CONSERVATIVE_NOTE);
	for (size_t i = 0; i < c->n; i++) {
		const struct ref *f = &c->refs[i];
		fprintf(r->out, "  0x%-14" PRIx64 " -> +%-6" PRIu64 " in %s", f->at, f->value - lo,
			kind_text(f->kind));
		if (f->pool >= 0)
			fprintf(r->out, " of the %s pool", prs[f->pool]->pool->name);
		if (f->frag.valid) {
			fputs(": ", r->out);
			hw_fmt_brief_text(r, prs[f->pool], &f->frag);
		} else if (f->kind == HW_REF_OTHER) {
			where_other(s->t, f->at, buf, sizeof(buf));
			fprintf(r->out, ": %s", buf);
		}
		fputc('\n', r->out);
	}
	if (c->total > c->n)
		fprintf(r->out, "  ... %" PRIu64 " more not shown\n", c->total - c->n);
}

int hw_cmd_refs(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_location loc;
	struct hw_pool_report *in = NULL;
	struct hw_refs_pool rp[HW_POOL_KIND_COUNT];
	struct hw_pool_report *prs[HW_POOL_KIND_COUNT];
	struct refs_ctx c = {0};
	struct hw_refs_opts o = {0};
	struct hw_error *err = NULL;
	size_t n;
	uint64_t a;
	int rc;

	if (!hw_cli_parse_addr(cli->operand[0], &a))
		return hw_cli_usage_error(cli, "'%s' is not an address (hex, 0x optional)",
					  cli->operand[0]);
	rc = hw_cli_open(cli, &s, "refs");
	if (rc)
		return rc;
	memset(&loc, 0, sizeof(loc));
	loc.addr = a;
	/* every pool is scanned; --pool chooses where ADDR is looked up */
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
		cli->pool_sel[k] = true;
	hw_session_prepare_pools(&s);
	n = scan_pools(&s, rp, prs);
	for (size_t i = 0; i < n && !in; i++) {
		if (a < prs[i]->hdr.block || a >= hw_pool_heap_end(prs[i]->pool, &prs[i]->hdr))
			continue;
		err = hw_locate(s.t, prs[i]->pool, &prs[i]->hdr, &loc, 1, NULL);
		if (err)
			break;
		in = prs[i];
	}
	/* the whole fragment (a pointer to its header is a free-list link); else the word */
	o.lo = a;
	o.hi = a + s.t->word_size;
	if (in && loc.kind == HW_LOC_FRAG) {
		o.lo = loc.frag.addr;
		o.hi = loc.frag.addr + loc.frag.span;
		/* TLSF: the next header's prev_phys word links back here; not a reference */
		if (in->pool->mgr == HW_MGR_TLSF)
			c.skip_at = o.hi;
	}
	if (!err)
		err = hw_refs_scan(s.t, rp, n, &o, on_ref, &c);
	if (!err && c.nomem)
		err = hw_error_nomem();
	if (err) {
		hw_cli_warn("%s", err->message);
		hw_error_destroy(err);
		free(c.refs);
		hw_session_close(&s);
		return HW_EXIT_FATAL;
	}
	refs_output(&s, in, &loc, o.lo, o.hi, &c, prs);
	free(c.refs);
	hw_session_close(&s);
	return HW_EXIT_OK;
}

/* ---- leaks ---- */

struct used_range {
	uint64_t lo, hi;
};

struct leaks_ctx {
	struct used_range *r;
	size_t n, cap;
	uint8_t *marked;
	bool nomem;
	/* TLSF: a payload's last word is also the next header's prev_phys (a pointer to the
	 * header after it), so it is left out of what a reference must point into */
	uint32_t tail;
	/* second pass */
	struct hw_pool_report *pr;
	uint64_t frags, bytes;
	struct example {
		uint64_t file, func, line, addr;
	} *ex;
	size_t nex, capex;
};

static int collect_used(void *arg, const struct hw_frag *f)
{
	struct leaks_ctx *c = arg;

	if (!f->used || !f->size)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 4096;
		struct used_range *nr = realloc(c->r, cap * sizeof(*nr));
		if (!nr) {
			c->nomem = true;
			return 1;
		}
		c->r = nr;
		c->cap = cap;
	}
	c->r[c->n].lo = f->user;
	c->r[c->n].hi = f->user + (f->size > c->tail ? f->size - c->tail : f->size);
	c->n++;
	return 0;
}

/* The used fragment whose payload holds @v, or -1. */
static ssize_t find_range(const struct leaks_ctx *c, uint64_t v)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->r[mid].hi <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->r[lo].lo <= v ? (ssize_t)lo : -1;
}

static int mark_ref(void *arg, uint64_t at, uint64_t v, const struct hw_ref_src *src)
{
	struct leaks_ctx *c = arg;
	ssize_t k = find_range(c, v);

	(void)at;
	/* a fragment that points into itself keeps itself no more alive */
	if (k >= 0 && !(src->frag && src->frag->user == c->r[k].lo))
		c->marked[k / 8] |= (uint8_t)(1u << (k % 8));
	return 0;
}

static int by_lo(const void *a, const void *b)
{
	const struct used_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int add_unmarked(void *arg, const struct hw_frag *f)
{
	struct leaks_ctx *c = arg;
	ssize_t k;
	struct hw_error *err;

	if (!f->used || !f->size)
		return 0;
	k = find_range(c, f->user);
	if (k < 0 || c->r[k].lo != f->user || (c->marked[k / 8] >> (k % 8)) & 1)
		return 0;
	c->frags++;
	c->bytes += f->size;
	err = hw_sites_add(&c->pr->sites, f);
	if (err) {
		hw_error_destroy(err);
		c->nomem = true;
		return 1;
	}
	/* one example address per site */
	for (size_t i = 0; i < c->nex; i++)
		if (c->ex[i].file == f->file && c->ex[i].func == f->func && c->ex[i].line == f->line)
			return 0;
	if (c->nex < 4096) {
		if (c->nex == c->capex) {
			size_t cap = c->capex ? c->capex * 2 : 64;
			struct example *ne = realloc(c->ex, cap * sizeof(*ne));
			if (!ne)
				return 0;
			c->ex = ne;
			c->capex = cap;
		}
		c->ex[c->nex].file = f->file;
		c->ex[c->nex].func = f->func;
		c->ex[c->nex].line = f->line;
		c->ex[c->nex].addr = f->user;
		c->nex++;
	}
	return 0;
}

static uint64_t example_of(const struct leaks_ctx *c, const struct hw_site *s)
{
	for (size_t i = 0; i < c->nex; i++)
		if (c->ex[i].file == s->file && c->ex[i].func == s->func && c->ex[i].line == s->line)
			return c->ex[i].addr;
	return 0;
}

struct pool_leaks {
	uint64_t frags, bytes, used;
	struct example *ex;
	size_t nex;
};

static void leaks_output(struct hw_session *s, struct pool_leaks *pl)
{
	struct hw_report *r = &s->report;

	if (r->format == HW_FMT_JSON) {
		struct hw_json *js = &r->json;
		hw_fmt_json_head(r);
		hw_json_key(js, "conservative");
		hw_json_string(js, CONSERVATIVE_NOTE);
		hw_json_key(js, "pools");
		hw_json_begin_array(js);
		for (size_t i = 0; i < r->npools; i++) {
			struct hw_pool_report *pr = &r->pools[i];
			struct leaks_ctx lc = {.ex = pl[i].ex, .nex = pl[i].nex};
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
					hw_json_key(js, "count");
					hw_json_u64(js, st->count);
					hw_json_key(js, "bytes");
					hw_json_u64(js, st->bytes);
					hw_json_key(js, "file");
					hw_json_string(js, st->file_s);
					hw_json_key(js, "func");
					hw_json_string(js, st->func_s);
					hw_json_key(js, "line");
					hw_json_u64(js, st->line);
					hw_json_key(js, "module");
					hw_json_string(js, st->mname_s ? st->mname_s : "");
					hw_json_key(js, "example");
					hw_json_hex(js, example_of(&lc, st));
					hw_json_end_object(js);
				}
				hw_json_end_array(js);
			}
			hw_json_end_object(js);
		}
		hw_json_end_array(js);
		hw_json_end_object(js);
		hw_json_finish(js);
		return;
	}
	fprintf(r->out, "leak candidates: used fragments that nothing in the core points to.\n"
			"(%s.)\n",
		CONSERVATIVE_NOTE);
	for (size_t i = 0; i < r->npools; i++) {
		struct hw_pool_report *pr = &r->pools[i];
		struct leaks_ctx lc = {.ex = pl[i].ex, .nex = pl[i].nex};
		if (!pr->walked)
			continue;
		fprintf(r->out, "\n%s pool: %s, block 0x%" PRIx64 "\n", pr->pool->name,
			pr->pool->manager, pr->pool->block);
		fprintf(r->out, "  %" PRIu64 " of %" PRIu64 " used fragments (%" PRIu64
				" bytes) have no reference\n",
			pl[i].frags, pl[i].used, pl[i].bytes);
		if (!pl[i].frags)
			continue;
		if (!hw_pool_debug(pr->pool)) {
			fputs("  allocation sites need a debug build (DBG_SR_MEMORY)\n", r->out);
			continue;
		}
		fprintf(r->out, "  %8s %12s  %-18s %s\n", "count", "bytes", "e.g.", "site");
		for (size_t k = 0; k < pr->nrows; k++) {
			const struct hw_site *st = pr->rows[k];
			fprintf(r->out, "  %8" PRIu64 " %12" PRIu64 "  0x%-16" PRIx64 " %s: %s(%" PRIu64
					")\n",
				st->count, st->bytes, example_of(&lc, st), st->file_s, st->func_s,
				st->line);
		}
		if (pr->nrows < pr->sites.n)
			fprintf(r->out, "  ... %zu more sites (use --top)\n", pr->sites.n - pr->nrows);
	}
}

int hw_cmd_leaks(struct hw_cli *cli)
{
	struct hw_session s;
	struct hw_refs_pool rp[HW_POOL_KIND_COUNT];
	struct hw_pool_report *prs[HW_POOL_KIND_COUNT];
	struct pool_leaks pl[HW_POOL_KIND_COUNT];
	struct leaks_ctx c = {0};
	struct hw_refs_opts o = {.used_payload_only = true};
	struct hw_walk_opts wo = {.resync = true};
	struct hw_error *err = NULL;
	uint64_t top = cli->top_given ? cli->top : (cli->format == HW_FMT_TEXT ? 30 : 0);
	size_t n;
	int rc = hw_cli_open(cli, &s, "leaks");

	if (rc)
		return rc;
	memset(pl, 0, sizeof(pl));
	hw_session_prepare_pools(&s);
	n = scan_pools(&s, rp, prs);
	/* every used fragment's payload, sorted: memory in proportion to the used fragments */
	for (size_t i = 0; i < n && !err; i++) {
		struct hw_check ck;
		struct hw_walk_stats st;
		size_t before = c.n;
		c.tail = rp[i].pool->mgr == HW_MGR_TLSF ? s.t->word_size : 0;
		hw_check_init(&ck, 0);
		err = hw_alloc_walk(s.t, rp[i].pool, rp[i].hdr, &wo, collect_used, &c, &ck, &st);
		hw_check_deinit(&ck);
		pl[i].used = c.n - before;
	}
	if (!err && c.nomem)
		err = hw_error_nomem();
	if (!err && c.n) {
		qsort(c.r, c.n, sizeof(*c.r), by_lo);
		c.marked = calloc(c.n / 8 + 1, 1);
		if (!c.marked)
			err = hw_error_nomem();
		o.lo = c.r[0].lo;
		o.hi = c.r[c.n - 1].hi;
		for (size_t i = 0; i < c.n; i++)
			if (c.r[i].hi > o.hi)
				o.hi = c.r[i].hi;
		if (!err)
			err = hw_refs_scan(s.t, rp, n, &o, mark_ref, &c);
	}
	/* group what nothing points to by site */
	for (size_t i = 0; i < n && !err && c.n; i++) {
		struct hw_check ck;
		struct hw_walk_stats st;
		c.pr = prs[i];
		c.frags = c.bytes = 0;
		c.ex = NULL;
		c.nex = c.capex = 0;
		hw_check_init(&ck, 0);
		err = hw_alloc_walk(s.t, rp[i].pool, rp[i].hdr, &wo, add_unmarked, &c, &ck, &st);
		hw_check_deinit(&ck);
		pl[i].frags = c.frags;
		pl[i].bytes = c.bytes;
		pl[i].ex = c.ex;
		pl[i].nex = c.nex;
		if (!err && c.nomem)
			err = hw_error_nomem();
		hw_sites_resolve(&prs[i]->sites, &s.report.strings);
		if (!err)
			err = hw_sites_sorted(&prs[i]->sites, cli->sort_given ? cli->sort : HW_ORDER_BYTES,
					      &prs[i]->rows, &prs[i]->nrows);
		if (!err && top && prs[i]->nrows > top)
			prs[i]->nrows = top;
	}
	if (err) {
		hw_cli_warn("%s", err->message);
		hw_error_destroy(err);
		rc = HW_EXIT_FATAL;
	} else {
		/* the pl entries follow the walked pools; give them the report's order */
		struct pool_leaks ordered[HW_POOL_KIND_COUNT];
		memset(ordered, 0, sizeof(ordered));
		for (size_t i = 0, k = 0; i < s.report.npools; i++)
			if (k < n && prs[k] == &s.report.pools[i])
				ordered[i] = pl[k++];
		leaks_output(&s, ordered);
		rc = hw_cli_exit_code(&s) == HW_EXIT_FATAL ? HW_EXIT_FATAL : HW_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		free(pl[i].ex);
	free(c.r);
	free(c.marked);
	hw_session_close(&s);
	return rc;
}
