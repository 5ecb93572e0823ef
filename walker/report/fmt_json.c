/* fmt_json.c - JSON output, schema in doc/json-schema.md ("format_version": 1). */
#include <inttypes.h>

#include "heapwalk/report.h"
#include "heapwalk/target.h"

void hw_json_doc_open(struct hw_json *js, FILE *out, const char *command)
{
	hw_json_init(js, out, true);
	hw_json_begin_object(js);
	hw_json_key(js, "format_version");
	hw_json_u64(js, HW_JSON_FORMAT_VERSION);
	hw_json_key(js, "command");
	hw_json_string(js, command);
}

void hw_json_doc_close(struct hw_json *js)
{
	hw_json_end_object(js);
	hw_json_finish(js);
}

void hw_json_opt_string(struct hw_json *js, const char *key, const char *s)
{
	hw_json_key(js, key);
	if (s)
		hw_json_string(js, s);
	else
		hw_json_null(js);
}

void hw_json_opt_i64(struct hw_json *js, const char *key, bool known, int64_t v)
{
	hw_json_key(js, key);
	if (known)
		hw_json_i64(js, v);
	else
		hw_json_null(js);
}

void hw_json_opt_u64(struct hw_json *js, const char *key, bool known, uint64_t v)
{
	hw_json_key(js, key);
	if (known)
		hw_json_u64(js, v);
	else
		hw_json_null(js);
}

void hw_json_range(struct hw_json *js, const char *key, uint64_t from, uint64_t to)
{
	hw_json_key(js, key);
	hw_json_begin_object(js);
	hw_json_key(js, "from");
	hw_json_hex(js, from);
	hw_json_key(js, "to");
	hw_json_hex(js, to);
	hw_json_end_object(js);
}

void hw_fmt_json_head(struct hw_report *r)
{
	const struct hw_target *t = r->t;
	const struct hw_instance *in = r->inst;
	struct hw_json *js = &r->json;

	hw_json_doc_open(js, r->out, r->command);
	hw_json_key(js, "target");
	hw_json_begin_object(js);
	hw_json_key(js, "core");
	hw_json_string(js, t->source_path);
	hw_json_key(js, "pid");
	hw_json_i64(js, t->pid);
	if (t->ns_pid) {
		hw_json_key(js, "ns_pid");
		hw_json_i64(js, t->ns_pid);
	}
	hw_json_key(js, "comm");
	hw_json_string(js, t->comm);
	hw_json_opt_string(js, "executable", r->exe_path);
	hw_json_key(js, "word_size");
	hw_json_u64(js, t->word_size);
	hw_json_key(js, "version");
	hw_json_string(js, in->version);
	hw_json_key(js, "debug_build");
	if (in->debug_known)
		hw_json_bool(js, in->debug);
	else
		hw_json_null(js);
	hw_json_opt_i64(js, "process_no", in->has_process_no, in->process_no);
	hw_json_opt_string(js, "process_desc", in->has_pt ? in->pt_desc : NULL);
	hw_json_opt_string(js, "debuginfo", r->debuginfo_path);
	if (r->system_pkg) {
		/* a pool asked for that heapwalk has nothing to walk in */
		hw_json_key(js, "system_pools");
		hw_json_begin_array(js);
		hw_json_begin_object(js);
		hw_json_key(js, "pool");
		hw_json_string(js, r->system_pkg->name);
		hw_json_key(js, "allocator");
		hw_json_string(js, "system");
		hw_json_key(js, "note");
		hw_json_string(js, HW_POOL_SYSTEM_TEXT);
		hw_json_key(js, "evidence");
		hw_json_string(js, r->system_pkg->evidence);
		hw_json_end_object(js);
		hw_json_end_array(js);
	}
	hw_json_end_object(js);
}

/* The head of the commands that list pools: the document opened, "pools" begun. */
static void head(struct hw_report *r)
{
	hw_fmt_json_head(r);
	hw_json_key(&r->json, "pools");
	hw_json_begin_array(&r->json);
}

static void tail(struct hw_report *r)
{
	hw_json_end_array(&r->json);
	hw_json_doc_close(&r->json);
}

void hw_json_findings_more(struct hw_json *js, const struct hw_check *ck,
			   void (*more)(void *ctx, size_t k), void *ctx)
{
	hw_json_key(js, "findings_total");
	hw_json_u64(js, ck->total);
	hw_json_key(js, "findings");
	hw_json_begin_array(js);
	for (size_t i = 0; i < ck->n; i++) {
		const struct hw_finding *f = &ck->items[i];
		hw_json_begin_object(js);
		hw_json_key(js, "severity");
		hw_json_string(js, hw_severity_name(f->sev));
		hw_json_key(js, "address");
		hw_json_hex(js, f->addr);
		hw_json_opt_u64(js, "index", f->index != HW_NO_INDEX, f->index);
		hw_json_key(js, "message");
		hw_json_string(js, f->message);
		if (more)
			more(ctx, i);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
}

void hw_json_findings(struct hw_json *js, const struct hw_check *ck)
{
	hw_json_findings_more(js, ck, NULL, NULL);
}

void hw_json_pool_members(struct hw_json *js, const struct hw_pool_report *pr, const int64_t *pid)
{
	const struct hw_pool *p = pr->pool;

	hw_json_key(js, "pool");
	hw_json_string(js, p->name);
	hw_json_key(js, "manager");
	hw_json_string(js, p->manager);
	if (pid) {
		hw_json_key(js, "pid");
		hw_json_i64(js, *pid);
	}
	hw_json_key(js, "block");
	hw_json_hex(js, p->block);
	hw_json_opt_string(js, "layout", p->usable ? hw_pool_layout_source(p) : NULL);
	hw_json_key(js, "walked");
	hw_json_bool(js, pr->walked);
	if (!pr->walked) {
		hw_json_key(js, "error");
		hw_json_string(js, pr->error);
	}
}

void hw_json_walk_frags(struct hw_json *js, const struct hw_pool_report *pr,
			const struct hw_heap_header *h)
{
	hw_json_key(js, "frags");
	hw_json_begin_object(js);
	hw_json_key(js, "total");
	hw_json_u64(js, pr->walk.frags);
	hw_json_key(js, "used");
	hw_json_u64(js, pr->walk.used_frags);
	hw_json_key(js, "free");
	hw_json_u64(js, pr->walk.free_frags);
	if (h)
		hw_json_opt_u64(js, "free_counter", h->has_ffrags, h->ffrags);
	hw_json_end_object(js);
}

static void parts(struct hw_json *js, const struct hw_heap_header *h)
{
	hw_json_key(js, "pools");
	hw_json_begin_array(js);
	for (uint32_t i = 0; i < h->nparts && i < HW_PAR_POOLS_MAX; i++) {
		const struct hw_heap_part *p = &h->parts[i];
		hw_json_begin_object(js);
		hw_json_key(js, "block");
		hw_json_hex(js, p->block);
		hw_json_key(js, "heap_size");
		hw_json_u64(js, p->size);
		hw_json_key(js, "used");
		hw_json_u64(js, p->used);
		hw_json_key(js, "real_used");
		hw_json_u64(js, p->real_used);
		hw_json_key(js, "max_real_used");
		hw_json_u64(js, p->max_real_used);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
}

void hw_json_pool_open(struct hw_json *js, const struct hw_pool_report *pr, int64_t pid)
{
	const struct hw_heap_header *h = &pr->hdr;

	hw_json_begin_object(js);
	hw_json_pool_members(js, pr, &pid);
	if (!pr->walked)
		return;
	hw_json_key(js, "heap_size");
	hw_json_u64(js, h->size);
	hw_json_key(js, "used");
	hw_json_u64(js, h->used);
	hw_json_key(js, "real_used");
	hw_json_u64(js, h->real_used);
	hw_json_key(js, "free");
	hw_json_u64(js, h->size > h->real_used ? h->size - h->real_used : 0);
	hw_json_key(js, "max_real_used");
	hw_json_u64(js, h->max_real_used);
	if (h->nparts > 1) /* OpenSIPS's parallel pools, each with its own counters */
		parts(js, h);
	hw_json_walk_frags(js, pr, h);
	hw_json_key(js, "used_bytes_walked");
	hw_json_u64(js, pr->walk.used_bytes);
	hw_json_key(js, "free_bytes_walked");
	hw_json_u64(js, pr->walk.free_bytes);
	hw_json_key(js, "walk_complete");
	hw_json_bool(js, pr->walk.complete);
}

static void pool_open(struct hw_report *r, const struct hw_pool_report *pr)
{
	hw_json_pool_open(&r->json, pr, r->t->pid);
}

static void info(struct hw_report *r)
{
	struct hw_layout_facts lf;

	head(r);
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		struct hw_json *js = &r->json;
		pool_open(r, pr);
		hw_json_key(js, "evidence");
		hw_json_string(js, pr->pool->evidence);
		if (hw_pool_layout_facts(pr->pool, &lf)) {
			hw_json_key(js, "debug_layout");
			hw_json_bool(js, hw_pool_debug(pr->pool));
			hw_json_key(js, "roundto");
			hw_json_u64(js, lf.roundto);
			hw_json_key(js, "era");
			hw_json_string(js, lf.era);
			hw_json_key(js, "layout_word_size");
			hw_json_u64(js, lf.word);
			hw_json_key(js, "sites_resolvable");
			hw_json_bool(js, lf.debug && !pr->pool->no_strings);
		}
		hw_json_opt_string(js, "tls", hw_report_tls_note(r, pr));
		hw_json_end_object(js);
	}
	tail(r);
}

static void stats(struct hw_report *r)
{
	head(r);
	for (size_t i = 0; i < r->npools; i++) {
		pool_open(r, &r->pools[i]);
		if (r->pools[i].walked && r->pools[i].frag)
			hw_fmt_frag_json(&r->json, &r->pools[i], r->request);
		if (r->pools[i].walked)
			hw_json_findings(&r->json, &r->pools[i].check);
		hw_json_end_object(&r->json);
	}
	tail(r);
}

void hw_json_site(struct hw_json *js, const char *file, const char *func, uint64_t line,
		  const char *module)
{
	hw_json_key(js, "file");
	hw_json_string(js, file);
	hw_json_key(js, "func");
	hw_json_string(js, func);
	hw_json_key(js, "line");
	hw_json_u64(js, line);
	hw_json_key(js, "module");
	hw_json_string(js, module);
}

void hw_json_site_row(struct hw_json *js, const struct hw_site *s)
{
	hw_json_key(js, "count");
	hw_json_u64(js, s->count);
	hw_json_key(js, "bytes");
	hw_json_u64(js, s->bytes);
	hw_json_site(js, s->file_s, s->func_s, s->line, s->mname_s);
}

void hw_json_sites(struct hw_json *js, const struct hw_pool_report *pr)
{
	bool debug = hw_pool_debug(pr->pool);

	if (pr->groups.by != HW_BY_SITE && pr->groups.by != HW_BY_SIZE) {
		hw_json_groups(js, pr);
		return;
	}
	if (pr->groups.by == HW_BY_SIZE) /* the sites, each with its size histogram */
		hw_json_groups_head(js, pr);
	hw_json_key(js, "sites_available");
	hw_json_bool(js, debug);
	hw_json_key(js, "sites_total");
	hw_json_u64(js, pr->sites.n);
	hw_json_key(js, "sites");
	hw_json_begin_array(js);
	for (size_t j = 0; debug && j < pr->nrows; j++) {
		hw_json_begin_object(js);
		hw_json_site_row(js, pr->rows[j]);
		if (pr->groups.by == HW_BY_SIZE)
			hw_json_size_hist(js, pr->rows[j]->hist);
		hw_fmt_classify_json(js, pr, pr->rows[j]);
		hw_json_end_object(js);
	}
	hw_json_end_array(js);
}

static void summary(struct hw_report *r)
{
	struct hw_json *js = &r->json;

	head(r);
	for (size_t i = 0; i < r->npools; i++) {
		const struct hw_pool_report *pr = &r->pools[i];
		pool_open(r, pr);
		if (pr->walked) {
			hw_json_sites(js, pr);
			hw_fmt_classify_total_json(r, pr);
			hw_json_findings(js, &pr->check);
		}
		hw_json_end_object(js);
	}
	tail(r);
}

static void frags_pool_begin(struct hw_report *r, struct hw_pool_report *pr)
{
	pool_open(r, pr);
	hw_json_key(&r->json, "fragments");
	hw_json_begin_array(&r->json);
}

static void frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	struct hw_json *js = &r->json;

	hw_json_begin_object(js);
	hw_json_key(js, "index");
	hw_json_u64(js, f->index);
	hw_json_key(js, "address");
	hw_json_hex(js, f->user);
	hw_json_key(js, "frag");
	hw_json_hex(js, f->addr);
	hw_json_key(js, "size");
	hw_json_u64(js, f->size);
	hw_json_key(js, "state");
	hw_json_string(js, hw_report_state(f));
	if (hw_pool_debug(pr->pool))
		hw_json_site(js, hw_strcache_get(&r->strings, f->file),
			     hw_strcache_get(&r->strings, f->func), f->line,
			     hw_strcache_module(&r->strings, f->mname, f->file));
	if (r->backtrace)
		hw_fmt_stack_json(r);
	if (r->hexdump || r->show_strings)
		hw_fmt_content_json(r, f);
	hw_json_end_object(js);
}

static void frags_pool_end(struct hw_report *r, struct hw_pool_report *pr)
{
	hw_json_end_array(&r->json);
	hw_json_findings(&r->json, &pr->check);
	hw_json_end_object(&r->json);
}

const struct hw_formatter hw_formatter_json = {
    .name = "json",
    .info = info,
    .stats = stats,
    .summary = summary,
    .frags_begin = head,
    .frags_pool_begin = frags_pool_begin,
    .frag = frag,
    .frags_pool_end = frags_pool_end,
    .frags_end = tail,
};
