/* report.c - the dispatch to the formatters. */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/classify.h"
#include "heapwalk/heapmap.h"
#include "heapwalk/report.h"

/* The per-fragment formatter of each format (a format without one prints as text). */
static const struct hw_formatter *const formatters[] = {
    [HW_FMT_TEXT] = &hw_formatter_text,
    [HW_FMT_JSON] = &hw_formatter_json,
    [HW_FMT_CSV] = &hw_formatter_csv,
    [HW_FMT_KAMAILIO] = &hw_formatter_kamailio,
    [HW_FMT_PROMETHEUS] = &hw_formatter_prometheus,
    [HW_FMT_OPENSIPS] = &hw_formatter_opensips,
};

static const struct hw_formatter *formatter(const struct hw_report *r)
{
	size_t f = (size_t)r->format;

	return f < sizeof(formatters) / sizeof(formatters[0]) && formatters[f] ? formatters[f]
									       : &hw_formatter_text;
}

/*
 * A formatter without an entry falls back to text for that command; where
 * text has none either (frags_begin, frags_end), the step writes nothing.
 */
#define DISPATCH(fn, ...)                                                                          \
	do {                                                                                       \
		const struct hw_formatter *f_ = formatter(r);                                      \
		if (f_->fn)                                                                        \
			f_->fn(__VA_ARGS__);                                                       \
		else if (hw_formatter_text.fn)                                                     \
			hw_formatter_text.fn(__VA_ARGS__);                                         \
	} while (0)

void hw_fmt_info(struct hw_report *r)
{
	DISPATCH(info, r);
}

void hw_fmt_stats(struct hw_report *r)
{
	DISPATCH(stats, r);
}

void hw_fmt_summary(struct hw_report *r)
{
	DISPATCH(summary, r);
}

void hw_fmt_frags_begin(struct hw_report *r)
{
	DISPATCH(frags_begin, r);
}

void hw_fmt_frags_pool_begin(struct hw_report *r, struct hw_pool_report *pr)
{
	DISPATCH(frags_pool_begin, r, pr);
}

void hw_fmt_frag(struct hw_report *r, struct hw_pool_report *pr, const struct hw_frag *f)
{
	DISPATCH(frag, r, pr, f);
}

void hw_fmt_frags_pool_end(struct hw_report *r, struct hw_pool_report *pr)
{
	DISPATCH(frags_pool_end, r, pr);
}

void hw_fmt_frags_end(struct hw_report *r)
{
	DISPATCH(frags_end, r);
}

/* info, stats and summary through the per-format formatters (text where one has none). */
#define REPORT_OUTPUT(cmd, f)                                                                      \
	static void cmd##_##f(struct hw_report *r, const void *m)                                  \
	{                                                                                          \
		(void)m;                                                                           \
		if (hw_formatter_##f.cmd)                                                          \
			hw_formatter_##f.cmd(r);                                                   \
		else                                                                               \
			hw_formatter_text.cmd(r);                                                  \
	}
#define REPORT_OUTPUTS(f) REPORT_OUTPUT(info, f) REPORT_OUTPUT(stats, f) REPORT_OUTPUT(summary, f)
REPORT_OUTPUTS(text)
REPORT_OUTPUTS(json)
REPORT_OUTPUTS(csv)
REPORT_OUTPUTS(kamailio)
REPORT_OUTPUTS(prometheus)
REPORT_OUTPUTS(opensips)

#define REPORT_ENTRIES(fmt, f)                                                                     \
	{"info", fmt, info_##f}, {"stats", fmt, stats_##f},                                        \
	{                                                                                          \
		"summary", fmt, summary_##f                                                        \
	}

static const struct hw_output report_outputs[] = {
    REPORT_ENTRIES(HW_FMT_TEXT, text),
    REPORT_ENTRIES(HW_FMT_JSON, json),
    REPORT_ENTRIES(HW_FMT_CSV, csv),
    REPORT_ENTRIES(HW_FMT_KAMAILIO, kamailio),
    REPORT_ENTRIES(HW_FMT_PROMETHEUS, prometheus),
    REPORT_ENTRIES(HW_FMT_OPENSIPS, opensips),
    {NULL, 0, NULL},
};

static const struct hw_output *const output_tables[] = {report_outputs, hw_outputs_check,
							hw_outputs_refs};

static const struct hw_output *find_output(const char *command, enum hw_format format)
{
	for (size_t t = 0; t < sizeof(output_tables) / sizeof(output_tables[0]); t++)
		for (const struct hw_output *o = output_tables[t]; o->command; o++)
			if (o->format == format && o->print && !strcmp(o->command, command))
				return o;
	return NULL;
}

void hw_report_print(struct hw_report *r, const void *model)
{
	const struct hw_output *o = find_output(r->command, r->format);

	if (!o)
		o = find_output(r->command, HW_FMT_TEXT);
	if (o)
		o->print(r, model);
}

const char *hw_report_tls_note(const struct hw_report *r, const struct hw_pool_report *pr)
{
	struct hw_layout_facts lf;
	const struct hw_instance *in = r->inst;
	bool master = in && (in->major > 6 || (in->major == 6 && in->minor >= 2));

	if (pr->pool->kind != HW_POOL_SHM || (in && in->product == HW_PRODUCT_OPENSIPS))
		return NULL;
	if (!master && hw_pool_layout_facts(pr->pool, &lf))
		master = !strncmp(lf.era, "master", 6);
	return master ? "Kamailio master keeps TLS/OpenSSL memory in glibc malloc, not in shm: "
			"look for it with heaptrack or valgrind"
		      : NULL;
}

const char *hw_report_state(const struct hw_frag *f)
{
	return f->used ? "used" : "free";
}

double hw_report_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

uint64_t hw_report_default_top(enum hw_format format)
{
	return format == HW_FMT_TEXT ? 30 : 0;
}

static const char *const format_names[] = {"text", "json",	 "csv",	    "kamailio",
					   "gdb",  "prometheus", "opensips"};

const char *hw_format_name(enum hw_format format)
{
	return (size_t)format < sizeof(format_names) / sizeof(format_names[0])
		   ? format_names[format]
		   : "?";
}

bool hw_format_parse(const char *name, enum hw_format *ret)
{
	for (size_t f = 0; f < sizeof(format_names) / sizeof(format_names[0]); f++) {
		if (!strcmp(name, format_names[f])) {
			*ret = (enum hw_format)f;
			return true;
		}
	}
	return false;
}
