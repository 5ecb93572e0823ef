/*
 * report.h - the report model and its formatters.
 *
 * A command fills a struct hw_report (what the target is, per pool: the
 * block header, walk totals, findings, sites) and hands it to a formatter;
 * formatters print, nothing else does. Fragment lists are streamed: the
 * frags formatter gets begin / one call per fragment / end, so listing a
 * million fragments needs no list of them.
 *
 * Every string a formatter prints from the target was sanitised when it
 * was read (hw_strcache); formatters escape again as their syntax needs
 * (JSON strings, CSV quoting).
 */
#ifndef HEAPWALK_REPORT_H
#define HEAPWALK_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "heapwalk/alloc.h"
#include "heapwalk/check.h"
#include "heapwalk/json.h"
#include "heapwalk/model.h"
#include "heapwalk/pool.h"
#include "heapwalk/sites.h"

struct hw_target;
struct hw_frag_stats;

/*
 * One formatter per (command, format): what 'heapwalk COMMAND --format F'
 * prints from the report and the command's result model (NULL for the
 * commands whose result is the report itself: info, stats, summary).
 */
struct hw_output {
	const char *command;
	enum hw_format format;
	void (*print)(struct hw_report *r, const void *model);
};
/* Print r->command's result @model in r->format (its text formatter when the format has none). */
void hw_report_print(struct hw_report *r, const void *model);
/* The result models of check and addr (refs and leaks: model.h). */
struct hw_check_result {
	const struct hw_check_pool *cp;
	size_t n;
};
struct hw_addr_result {
	const struct hw_pool_report *pr; /* the pool holding the address, NULL if none */
	const struct hw_location *loc;
	const char *elsewhere; /* what holds it when no pool does */
};
extern const struct hw_output hw_outputs_check[], hw_outputs_refs[]; /* end with command NULL */

/* layout: each selected pool's layout (text, json, gdb: commands for gdbscripts/). */
struct hw_layout_view {
	const struct hw_pool *pools; /* HW_POOL_KIND_COUNT of them */
	bool pool_sel[HW_POOL_KIND_COUNT];
	const char *core, *exe; /* the input's path and its executable's (NULL: unknown) */
	const char *version;	/* heapwalk's */
	enum hw_format format;
	FILE *out;
};
void hw_fmt_layout(const struct hw_layout_view *v);
void hw_fmt_info(struct hw_report *r);
/* A standalone SVG document of every walked pool's map. */
void hw_fmt_map(struct hw_report *r);
/* One self-contained HTML page: target, totals, maps, histograms, sites, findings. */
void hw_fmt_html(struct hw_report *r);
void hw_fmt_stats(struct hw_report *r);
void hw_fmt_summary(struct hw_report *r);

void hw_fmt_frags_begin(struct hw_report *r);
void hw_fmt_frags_pool_begin(struct hw_report *r, struct hw_pool_report *pr);
void hw_fmt_frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f);
void hw_fmt_frags_pool_end(struct hw_report *r, struct hw_pool_report *pr);
void hw_fmt_frags_end(struct hw_report *r);

/*
 * Per-format entry points (one file each); the hw_fmt_* above dispatch. A
 * NULL entry falls back to the text formatter's, and a step text leaves
 * NULL too (frags_begin, frags_end) writes nothing.
 */
struct hw_formatter {
	const char *name;
	void (*info)(struct hw_report *r);
	void (*stats)(struct hw_report *r);
	void (*summary)(struct hw_report *r);
	void (*frags_begin)(struct hw_report *r);
	void (*frags_pool_begin)(struct hw_report *r, struct hw_pool_report *pr);
	void (*frag)(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f);
	void (*frags_pool_end)(struct hw_report *r, struct hw_pool_report *pr);
	void (*frags_end)(struct hw_report *r);
};
extern const struct hw_formatter hw_formatter_text, hw_formatter_json, hw_formatter_csv,
    hw_formatter_kamailio, hw_formatter_prometheus, hw_formatter_opensips;

/* SVG pieces shared by map and the HTML report (svg.c). */
struct hw_heapmap;
void hw_xml_escape(FILE *out, const char *s);
void hw_svg_style(FILE *out);
uint32_t hw_svg_heapmap_width(const struct hw_heapmap *m);
uint32_t hw_svg_heapmap_height(const struct hw_heapmap *m);
/* A <g> with the map drawn from y0 down, titled @title. */
void hw_svg_heapmap(FILE *out, const struct hw_heapmap *m, const char *title, uint32_t y0);

/*
 * The host view (host.h), text or JSON: meminfo with its verdict, the
 * Kamailio instances and what could not be read; or the slab caches as
 * sorted by hw_slab_sort(@sort_key), the first @top (0: all). @color: ANSI
 * colours in text.
 */
struct hw_host;
void hw_fmt_host(const struct hw_host *h, enum hw_format fmt, FILE *out, bool color);
void hw_fmt_host_slab(const struct hw_host *h, enum hw_format fmt, FILE *out, char sort_key,
		      size_t top, bool color);

/*
 * Fragmentation figures of a pool (pr->frag, fmt_frag.c) for stats: text
 * lines each starting with @indent, or members of the open pool object.
 * @request (0: none) adds whether a request of that many bytes would fit.
 */
void hw_fmt_frag_text(FILE *out, const struct hw_pool_report *pr, uint64_t request,
		      const char *indent);
void hw_fmt_frag_json(struct hw_json *js, const struct hw_pool_report *pr, uint64_t request);

/* Helpers shared by the formatters. */
/*
 * Opens a JSON document on @out (doc/json-schema.md): "format_version" and
 * "command"; the caller adds its members. hw_json_doc_close ends the
 * document's object and the document (fmt_json.c).
 */
void hw_json_doc_open(struct hw_json *js, FILE *out, const char *command);
void hw_json_doc_close(struct hw_json *js);
/* Members that may be unknown: @key and the value, or null (NULL string, !@known). */
void hw_json_opt_string(struct hw_json *js, const char *key, const char *s);
void hw_json_opt_i64(struct hw_json *js, const char *key, bool known, int64_t v);
void hw_json_opt_u64(struct hw_json *js, const char *key, bool known, uint64_t v);
/* @key: an object of the addresses "from" and "to". */
void hw_json_range(struct hw_json *js, const char *key, uint64_t from, uint64_t to);
/*
 * The members a pool object starts with: pool, manager, pid (when @pid is
 * not NULL), block, layout, walked, and error when not walked.
 */
void hw_json_pool_members(struct hw_json *js, const struct hw_pool_report *pr, const int64_t *pid);
/*
 * Opens a pool object of the JSON documents (doc/json-schema.md) and writes
 * its common members: pool, manager, pid, block, layout, walked, then
 * error or the heap and walk totals. The caller adds its members and
 * closes it (fmt_json.c).
 */
void hw_json_pool_open(struct hw_json *js, const struct hw_pool_report *pr, int64_t pid);
/* "frags": the walk's fragment counts; "free_counter" too when @h is not NULL. */
void hw_json_walk_frags(struct hw_json *js, const struct hw_pool_report *pr,
			const struct hw_heap_header *h);
/* "findings_total" and the "findings" array of a pool object (fmt_json.c). */
void hw_json_findings(struct hw_json *js, const struct hw_check *ck);
/* The same; @more(@ctx, k) adds members to the object of finding k. */
void hw_json_findings_more(struct hw_json *js, const struct hw_check *ck,
			   void (*more)(void *ctx, size_t k), void *ctx);
/* The members of an allocation site: file, func, line, module ("" when NULL). */
void hw_json_site(struct hw_json *js, const char *file, const char *func, uint64_t line,
		  const char *module);
/* A site row's members: count, bytes and the site. */
void hw_json_site_row(struct hw_json *js, const struct hw_site *s);
/*
 * The sites of a summary pool object: "sites_available", "sites_total" and
 * the "sites" array of pr's rows (none when the pool records no sites).
 */
void hw_json_sites(struct hw_json *js, const struct hw_pool_report *pr);
/*
 * summary --by (pr->groups.by not site; fmt_groups.c): the groups, or the
 * site rows with their size histograms, as text lines or as the members
 * of a summary pool object ("by", "used_frags", "used_bytes", then
 * "groups..." or "sites..." with "sizes").
 */
void hw_fmt_groups_text(struct hw_report *r, const struct hw_pool_report *pr);
void hw_json_groups(struct hw_json *js, const struct hw_pool_report *pr);
/* summary --by size: the members before its sites ("by", used totals), and one site's "sizes". */
void hw_json_groups_head(struct hw_json *js, const struct hw_pool_report *pr);
struct hw_size_hist;
void hw_json_size_hist(struct hw_json *js, const struct hw_size_hist *h);
const char *hw_report_state(const struct hw_frag *f); /* "used" / "free" */
/* info: for the shm pool of a Kamailio master build, where its TLS memory is instead; else NULL. */
const char *hw_report_tls_note(const struct hw_report *r, const struct hw_pool_report *pr);
/* Percent of @part in @whole, 0 when whole is 0. */
double hw_report_pct(uint64_t part, uint64_t whole);

/* ---- integrity and forensics (fmt_check.c): check, addr, refs, leaks ---- */
struct hw_location;

/* check: struct hw_check_pool (model.h), one per pool. */
void hw_fmt_check(struct hw_report *r, const struct hw_check_pool *cp, size_t n);

/*
 * addr: where @loc (in pool @pr, NULL if in none) lies; @elsewhere says
 * what holds the address when no pool does (a mapped file, the stack...).
 */
void hw_fmt_addr(struct hw_report *r, const struct hw_pool_report *pr,
		 const struct hw_location *loc, const char *elsewhere);
/* One fragment, as check, addr, refs and leaks describe it (text, no newline). */
struct hw_frag_brief;
void hw_fmt_brief_text(struct hw_report *r, const struct hw_pool_report *pr,
		       const struct hw_frag_brief *b);
/*
 * Opens a command's JSON document: format_version, command (r->command) and
 * the target object; the caller adds its members and closes it.
 */
void hw_fmt_json_head(struct hw_report *r);
void hw_fmt_brief_json(struct hw_report *r, const struct hw_pool_report *pr,
		       const struct hw_frag_brief *b);

/* "text", "json", ... as --format names them; parse: false for none of them. */
const char *hw_format_name(enum hw_format format);
bool hw_format_parse(const char *name, enum hw_format *ret);
/* How many sites a list shows when --top is not given: 30 in text, all (0) otherwise. */
uint64_t hw_report_default_top(enum hw_format format);

/* Content (fmt_content.c): a fragment's bytes as r->hexdump / r->show_strings ask, text or JSON
 * members. */
void hw_fmt_content_text(struct hw_report *r, const struct hw_frag *f, const char *indent);
void hw_fmt_content_json(struct hw_report *r, const struct hw_frag *f);
/*
 * The stored stack in r->content (bt, nbt), innermost frame first: text
 * lines "#0 func+0x1f (object) 0x..." under @indent, a "backtrace" member
 * [{"addr","symbol","object","offset"}], or one CSV field of the frames'
 * text joined by " < " (fmt_content.c).
 */
void hw_fmt_stack_text(struct hw_report *r, const char *indent);
void hw_fmt_stack_json(struct hw_report *r);
void hw_fmt_stack_csv(struct hw_report *r, char *buf, size_t cap);
/* summary --classify: a site's "holds:" line, or its "content" member; the pool's total. */
void hw_fmt_classify_text(struct hw_report *r, const struct hw_pool_report *pr,
			  const struct hw_site *s, const char *indent);
void hw_fmt_classify_json(struct hw_json *js, const struct hw_pool_report *pr,
			  const struct hw_site *s);
void hw_fmt_classify_total_text(struct hw_report *r, const struct hw_pool_report *pr,
				const char *indent);
void hw_fmt_classify_total_json(struct hw_report *r, const struct hw_pool_report *pr);

/*
 * Fold everything written to stdout from now on to @width columns (wrap.c;
 * for the front end, which owns stdout): stdout is replaced until
 * hw_wrap_end, which writes what is left and returns 0, or EOF when
 * writing failed.
 */
int hw_wrap_stdout(unsigned width);
int hw_wrap_end(void);

#endif
