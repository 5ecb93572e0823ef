/*
 * gdb_emit.h - writing layouts as gdb CLI `set $hw_...` lines for
 * gdbscripts/ (heapwalk.gdb). Shared by 'heapwalk layout --format gdb' and
 * the build-time generator of gdbscripts/profiles.gdb, so both name every
 * variable the same way the scripts read it.
 *
 * Variables: $hw_mgr (1 q_malloc, 2 f_malloc, 3 tlsf), $hw_layout_name,
 * $hw_layout_src, and one $hw_<qm|fm|tlsf>_<field> per field of struct
 * hw_<qm|fm|tlsf>_layout, an absent offset (HW_NO_OFF) written as -1.
 */
#ifndef HEAPWALK_CLI_GDB_EMIT_H
#define HEAPWALK_CLI_GDB_EMIT_H

#include <stdint.h>
#include <stdio.h>

#include "heapwalk/layout.h"

/* A gdb string literal of @s: quoted; quotes, backslashes and control bytes become '?'. */
void hw_gdb_emit_string(FILE *out, const char *s);

/* The set lines of one layout, each line prefixed with @indent. @src names where it came from. */
void hw_gdb_emit_qm(FILE *out, const char *indent, const struct hw_qm_layout *l, const char *src);
void hw_gdb_emit_fm(FILE *out, const char *indent, const struct hw_fm_layout *l, const char *src);
void hw_gdb_emit_tlsf(FILE *out, const char *indent, const struct hw_tlsf_layout *l,
		      const char *src);

/*
 * Call @fn with each field of @layout (a struct hw_qm_layout, hw_fm_layout
 * or hw_tlsf_layout as @mgr says), by the name the gdb variable carries
 * after its $hw_<mgr>_ prefix; absent offsets are HW_NO_OFF. @fn may be
 * NULL. Returns the prefix ("qm", "fm", "tlsf"), NULL for an unknown manager.
 */
typedef void (*hw_gdb_field_fn)(void *arg, const char *name, uint32_t value);
const char *hw_gdb_layout_fields(enum hw_manager mgr, const void *layout, hw_gdb_field_fn fn,
				 void *arg);

#endif
