/* cmd_layout.c - 'heapwalk layout': each pool's layout as text, JSON or gdb commands. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gdb_emit.h"
#include "heapwalk/json.h"
#include "heapwalk/target.h"

/* A pool the layout can be given for: usable, with a manager heapwalk has a layout type for. */
static bool has_layout(const struct hw_pool *p)
{
	return p->usable && p->alloc && p->layout;
}

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

static void print_text(const struct hw_session *s, const struct hw_cli *cli)
{
	bool first = true;

	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		const struct hw_pool *p = &s->pools[k];
		if (!cli->pool_sel[k])
			continue;
		if (!first)
			putchar('\n');
		first = false;
		printf("%s pool: %s, block 0x%" PRIx64 "\n", p->name,
		       p->manager[0] ? p->manager : "unknown manager", p->block);
		if (!has_layout(p)) {
			printf("  no layout: %s\n", p->problem ? p->problem : "unknown manager");
			continue;
		}
		printf("  layout   %s (%s)\n", p->layout->name, hw_pool_layout_source(p));
		printf("  era      %s, %s build\n", era_name(p),
		       p->layout->debug ? "debug" : "non-debug");
		if (p->evidence[0])
			printf("  evidence %s\n", p->evidence);
		printf("  fields (bytes; - = not in this layout):\n");
		hw_gdb_layout_fields(p->alloc, p->layout, text_field, stdout);
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

static void print_json(const struct hw_session *s, const struct hw_cli *cli)
{
	struct hw_json js;

	hw_json_init(&js, stdout, true);
	hw_json_begin_object(&js);
	hw_json_key(&js, "format_version");
	hw_json_u64(&js, HW_JSON_FORMAT_VERSION);
	hw_json_key(&js, "command");
	hw_json_string(&js, "layout");
	hw_json_key(&js, "core");
	hw_json_string(&js, s->t->source_path ? s->t->source_path : "");
	hw_json_key(&js, "pools");
	hw_json_begin_array(&js);
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		const struct hw_pool *p = &s->pools[k];
		if (!cli->pool_sel[k])
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
		hw_json_bool(&js, has_layout(p));
		hw_json_key(&js, "problem");
		if (has_layout(p))
			hw_json_null(&js);
		else
			hw_json_string(&js, p->problem ? p->problem : "unknown manager");
		hw_json_key(&js, "layout");
		if (!has_layout(p)) {
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
static void print_gdb(const struct hw_session *s, const struct hw_cli *cli)
{
	printf("# heapwalk %s: the pool layouts found in ", HEAPWALK_VERSION);
	hw_gdb_emit_string(stdout, s->t->source_path ? s->t->source_path : "?");
	if (s->t->exe_path) {
		printf(" (executable ");
		hw_gdb_emit_string(stdout, s->t->exe_path);
		putchar(')');
	}
	printf(".\n# In gdb: source heapwalk.gdb ('heapwalk gdb' prints where it is), then this\n"
	       "# file, then hw-pkg / hw-shm use these layouts ('hw-layout auto' forgets them).\n");
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		const struct hw_pool *p = &s->pools[k];
		char src[400];
		if (!cli->pool_sel[k])
			continue;
		if (!has_layout(p)) {
			printf("\n# %s pool: no layout (", p->name);
			for (const char *c = p->problem ? p->problem : "unknown manager"; *c; c++)
				putchar(*c == '\n' ? ' ' : *c);
			printf(")\nset $hw_cli_%s = 0\n", p->name);
			continue;
		}
		snprintf(src, sizeof(src), "heapwalk layout: %s", hw_pool_layout_source(p));
		printf("\ndefine hw-cli-%s\n", p->name);
		hw_gdb_emit_layout(stdout, "  ", p->alloc, p->layout, src);
		printf("  set $hw_cli_block = 0x%" PRIx64 "\nend\n", p->block);
		printf(
		    "document hw-cli-%s\n(from heapwalk layout) Set the %s pool's layout (%s) and "
		    "block.\nend\n",
		    p->name, p->name, p->layout->name);
		printf("set $hw_cli_%s = 1\n", p->name);
	}
}

int hw_cmd_layout(struct hw_cli *cli)
{
	struct hw_session s;
	int rc = hw_cli_open(cli, &s, "layout");

	if (rc)
		return rc;
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		const struct hw_pool *p = &s.pools[k];
		if (!cli->pool_sel[k] || has_layout(p))
			continue;
		hw_cli_warn("%s pool: %s", p->name, p->problem ? p->problem : "unknown manager");
		rc = HW_EXIT_FATAL;
	}
	switch (cli->format) {
	case HW_FMT_JSON:
		print_json(&s, cli);
		break;
	case HW_FMT_GDB:
		print_gdb(&s, cli);
		break;
	default:
		print_text(&s, cli);
		break;
	}
	hw_session_close(&s);
	return rc;
}
