/* fmt_layout.c - 'heapwalk layout': each pool's layout as text, JSON or gdb commands. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "heapwalk/gdb_emit.h"
#include "heapwalk/json.h"
#include "heapwalk/report.h"

static const char *era_name(const struct hw_pool *p)
{
	return p->alloc->era_name(p->layout->era);
}

static void text_field(void *arg, const char *name, uint32_t v)
{
	FILE *out = arg;

	if (v == HW_NO_OFF)
		fprintf(out, "    %-16s -\n", name);
	else
		fprintf(out, "    %-16s %" PRIu32 "\n", name, v);
}

static void print_text(const struct hw_layout_view *v)
{
	bool first = true;

	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		const struct hw_pool *p = &v->pools[k];
		if (!v->pool_sel[k] || p->absent)
			continue;
		if (!first)
			fputc('\n', v->out);
		first = false;
		fprintf(v->out, "%s pool: %s, block 0x%" PRIx64 "\n", p->name,
			p->manager[0] ? p->manager : "unknown manager", p->block);
		if (!hw_pool_has_layout(p)) {
			fprintf(v->out, "  no layout: %s\n",
				p->problem ? p->problem : "unknown manager");
			continue;
		}
		fprintf(v->out, "  layout   %s (%s)\n", p->layout->name, hw_pool_layout_source(p));
		fprintf(v->out, "  era      %s, %s build\n", era_name(p),
			p->layout->debug ? "debug" : "non-debug");
		if (p->evidence[0])
			fprintf(v->out, "  evidence %s\n", p->evidence);
		fprintf(v->out, "  fields (bytes; - = not in this layout):\n");
		hw_gdb_layout_fields(p->alloc, p->layout, text_field, v->out);
	}
}

static void json_field(void *arg, const char *name, uint32_t v)
{
	struct hw_json *js = arg;

	hw_json_key(js, name);
	if (v == HW_NO_OFF)
		hw_json_null(js);
	else
		hw_json_u64(js, v);
}

static void print_json(const struct hw_layout_view *v)
{
	struct hw_json js;

	hw_json_init(&js, v->out, true);
	hw_json_begin_object(&js);
	hw_json_key(&js, "format_version");
	hw_json_u64(&js, HW_JSON_FORMAT_VERSION);
	hw_json_key(&js, "command");
	hw_json_string(&js, "layout");
	hw_json_key(&js, "core");
	hw_json_string(&js, v->core ? v->core : "");
	hw_json_key(&js, "pools");
	hw_json_begin_array(&js);
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		const struct hw_pool *p = &v->pools[k];
		if (!v->pool_sel[k] || p->absent)
			continue;
		hw_json_begin_object(&js);
		hw_json_key(&js, "pool");
		hw_json_string(&js, p->name);
		hw_json_key(&js, "manager");
		if (p->manager[0])
			hw_json_string(&js, p->manager);
		else
			hw_json_null(&js);
		hw_json_key(&js, "block");
		hw_json_hex(&js, p->block);
		hw_json_key(&js, "usable");
		hw_json_bool(&js, hw_pool_has_layout(p));
		hw_json_key(&js, "problem");
		if (hw_pool_has_layout(p))
			hw_json_null(&js);
		else
			hw_json_string(&js, p->problem ? p->problem : "unknown manager");
		hw_json_key(&js, "layout");
		if (!hw_pool_has_layout(p)) {
			hw_json_null(&js);
			hw_json_end_object(&js);
			continue;
		}
		hw_json_begin_object(&js);
		hw_json_key(&js, "name");
		hw_json_string(&js, p->layout->name);
		hw_json_key(&js, "source");
		hw_json_string(&js, hw_pool_layout_source(p));
		hw_json_key(&js, "era");
		hw_json_string(&js, era_name(p));
		hw_json_key(&js, "debug");
		hw_json_bool(&js, p->layout->debug);
		hw_json_key(&js, "fields");
		hw_json_begin_object(&js);
		hw_gdb_layout_fields(p->alloc, p->layout, json_field, &js);
		hw_json_end_object(&js);
		hw_json_end_object(&js);
		hw_json_end_object(&js);
	}
	hw_json_end_array(&js);
	hw_json_end_object(&js);
	hw_json_finish(&js);
}

/*
 * For gdbscripts/heapwalk.gdb: per pool a command hw-cli-<pool> that sets
 * the layout variables and $hw_cli_block, and $hw_cli_<pool> = 1 so that
 * hw-pkg / hw-shm call it instead of detecting.
 */
static void print_gdb(const struct hw_layout_view *v)
{
	fprintf(v->out, "# heapwalk %s: the pool layouts found in ", v->version);
	hw_gdb_emit_string(v->out, v->core ? v->core : "?");
	if (v->exe) {
		fprintf(v->out, " (executable ");
		hw_gdb_emit_string(v->out, v->exe);
		fputc(')', v->out);
	}
	fprintf(
	    v->out,
	    ".\n# In gdb: source heapwalk.gdb ('heapwalk gdb' prints where it is), then this\n"
	    "# file, then hw-pkg / hw-shm use these layouts ('hw-layout auto' forgets them).\n");
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		const struct hw_pool *p = &v->pools[k];
		char src[400];
		if (!v->pool_sel[k] || p->absent)
			continue;
		if (!hw_pool_has_layout(p)) {
			fprintf(v->out, "\n# %s pool: no layout (", p->name);
			for (const char *c = p->problem ? p->problem : "unknown manager"; *c; c++)
				fputc(*c == '\n' ? ' ' : *c, v->out);
			fprintf(v->out, ")\nset $hw_cli_%s = 0\n", p->name);
			continue;
		}
		snprintf(src, sizeof(src), "heapwalk layout: %s", hw_pool_layout_source(p));
		fprintf(v->out, "\ndefine hw-cli-%s\n", p->name);
		hw_gdb_emit_layout(v->out, "  ", p->alloc, p->layout, src);
		fprintf(v->out, "  set $hw_cli_block = 0x%" PRIx64 "\nend\n", p->block);
		fprintf(
		    v->out,
		    "document hw-cli-%s\n(from heapwalk layout) Set the %s pool's layout (%s) and "
		    "block.\nend\n",
		    p->name, p->name, p->layout->name);
		fprintf(v->out, "set $hw_cli_%s = 1\n", p->name);
	}
}

void hw_fmt_layout(const struct hw_layout_view *v)
{
	switch (v->format) {
	case HW_FMT_JSON:
		print_json(v);
		break;
	case HW_FMT_GDB:
		print_gdb(v);
		break;
	default:
		print_text(v);
		break;
	}
}
