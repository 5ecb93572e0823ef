/*
 * gdb_emit.h - writing layouts as gdb CLI `set $hw_...` lines for
 * gdbscripts/ (heapwalk.gdb). Shared by 'heapwalk layout --format gdb' and
 * the build-time generator of gdbscripts/profiles.gdb, so both name every
 * variable the same way the scripts read it.
 *
 * Variables: $hw_mgr (the allocator's gdb_id: 1 q_malloc, 2 f_malloc, 3
 * tlsf, 4 hp_malloc, 5 f_parallel_malloc), $hw_layout_name, $hw_layout_src,
 * and one $hw_<key>_<field> per field of the allocator's layout table, an
 * absent offset (HW_NO_OFF) written as -1.
 */
#ifndef HEAPWALK_GDB_EMIT_H
#define HEAPWALK_GDB_EMIT_H

#include <stdint.h>
#include <stdio.h>

#include "heapwalk/alloc.h"
#include "heapwalk/layout.h"

/* A gdb string literal of @s: quoted; quotes, backslashes and control bytes become '?'. */
void hw_gdb_emit_string(FILE *out, const char *s);

/*
 * The set lines of one layout of @a, each line prefixed with @indent: the
 * head ($hw_mgr, name, @src), $hw_<key>_era, _debug, each flag, each field.
 */
void hw_gdb_emit_layout(FILE *out, const char *indent, const struct hw_allocator *a,
			const struct hw_layout_head *l, const char *src);

/*
 * Call @fn with each field of @l (a layout of @a), by the name the gdb
 * variable carries after its $hw_<key>_ prefix; absent offsets are
 * HW_NO_OFF. @fn may be NULL. Returns the prefix (a->key).
 */
typedef void (*hw_gdb_field_fn)(void *arg, const char *name, uint32_t value);
const char *hw_gdb_layout_fields(const struct hw_allocator *a, const struct hw_layout_head *l,
				 hw_gdb_field_fn fn, void *arg);
/* The same for the layout's flags (values 0 or 1). */
void hw_gdb_layout_flags(const struct hw_allocator *a, const struct hw_layout_head *l,
			 hw_gdb_field_fn fn, void *arg);

#endif
