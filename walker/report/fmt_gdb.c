/* gdb_emit.c - layouts as gdb CLI `set $hw_...` lines (the variables gdbscripts/ reads). */
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "heapwalk/gdb_emit.h"

void hw_gdb_emit_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c < 0x20 || c == 0x7f || c == '"' || c == '\\' ? '?' : c, out);
	}
	fputc('"', out);
}

static uint32_t field_value(const struct hw_layout_head *l, const struct hw_layout_field *f)
{
	uint32_t v;

	memcpy(&v, (const char *)l + f->off, sizeof(v));
	return v;
}

static bool flag_value(const struct hw_layout_head *l, const struct hw_layout_field *f)
{
	bool v;

	memcpy(&v, (const char *)l + f->off, sizeof(v));
	return v;
}

struct emit_ctx {
	FILE *out;
	const char *indent, *prefix;
};

static void emit_field(void *arg, const char *name, uint32_t v)
{
	struct emit_ctx *c = arg;

	if (v == HW_NO_OFF)
		fprintf(c->out, "%sset $hw_%s_%s = -1\n", c->indent, c->prefix, name);
	else
		fprintf(c->out, "%sset $hw_%s_%s = %u\n", c->indent, c->prefix, name, v);
}

void hw_gdb_emit_layout(FILE *out, const char *indent, const struct hw_allocator *a,
			const struct hw_layout_head *l, const char *src)
{
	struct emit_ctx c = {out, indent, a->key};

	fprintf(out, "%sset $hw_mgr = %d\n", indent, a->gdb_id);
	fprintf(out, "%sset $hw_layout_name = ", indent);
	hw_gdb_emit_string(out, l->name);
	fprintf(out, "\n%sset $hw_layout_src = ", indent);
	hw_gdb_emit_string(out, src);
	fputc('\n', out);
	fprintf(out, "%sset $hw_%s_era = %d\n", indent, a->key, l->era);
	fprintf(out, "%sset $hw_%s_debug = %d\n", indent, a->key, l->debug ? 1 : 0);
	hw_gdb_layout_flags(a, l, emit_field, &c);
	hw_gdb_layout_fields(a, l, emit_field, &c);
}

const char *hw_gdb_layout_fields(const struct hw_allocator *a, const struct hw_layout_head *l,
				 hw_gdb_field_fn fn, void *arg)
{
	for (size_t i = 0; fn && i < a->nfields; i++)
		fn(arg, a->fields[i].name, field_value(l, &a->fields[i]));
	return a->key;
}

void hw_gdb_layout_flags(const struct hw_allocator *a, const struct hw_layout_head *l,
			 hw_gdb_field_fn fn, void *arg)
{
	for (size_t i = 0; fn && i < a->nflags; i++)
		fn(arg, a->flags[i].name, flag_value(l, &a->flags[i]) ? 1 : 0);
}
