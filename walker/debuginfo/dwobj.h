/*
 * dwobj.h - internal to walker/debuginfo: the object file as libdwarf sees
 * it. heapwalk opens debug files with libelf and hands libdwarf only the
 * DWARF sections it needs (dwarf_object_init_b with its own access
 * methods), checked against the file, decompressed and, in relocatable
 * objects, relocated. Everything else (range and location lists, line
 * tables, macros, frames, package indexes) stays invisible to libdwarf, so
 * its parsers of those sections never run on an untrusted file.
 */
#ifndef HEAPWALK_DEBUGINFO_DWOBJ_H
#define HEAPWALK_DEBUGINFO_DWOBJ_H

#include <stdbool.h>
#include <stdint.h>

#include <libdwarf.h>

/*
 * libdwarf API differences. 20210528 (Debian 12) defines no version macro;
 * 0.x and later define DW_LIBDWARF_VERSION_MAJOR, dropped the access
 * argument of dwarf_init_b and the error argument of dwarf_finish and
 * dwarf_object_finish, renamed the object access structs (…_a, members
 * prefixed om_/as_/ai_), and from 0.9 on offer dwarf_next_cu_header_e /
 * dwarf_siblingof_c.
 */
#if defined(DW_LIBDWARF_VERSION_MAJOR)
#define HW_DW_API_0X 1
#if DW_LIBDWARF_VERSION_MAJOR > 0 || DW_LIBDWARF_VERSION_MINOR >= 9
#define HW_DW_API_CU_DIE 1
#endif
#endif

struct hw_error;
struct hw_dwobj;

/*
 * Read the ELF file open on @fd (borrowed; @path is for messages) and
 * prepare its DWARF sections. HW_ERR_BAD_DATA when the file or one of
 * those sections is malformed (outside the file, a compressed size out of
 * proportion, a bad relocation), HW_ERR_UNSUPPORTED for relocatable
 * objects of machines whose relocations heapwalk does not apply. A file
 * without DWARF opens; libdwarf then finds nothing. Caller owns *ret.
 */
struct hw_error *hw_dwobj_open(int fd, const char *path, struct hw_dwobj **ret);
void hw_dwobj_close(struct hw_dwobj *obj);

/*
 * A libdwarf session on @obj (dwarf_object_init_b). @obj must outlive it:
 * end the session with hw_dwobj_finish before hw_dwobj_close.
 * DW_DLV_NO_ENTRY when the file has no DWARF libdwarf would read.
 */
int hw_dwobj_init(struct hw_dwobj *obj, Dwarf_Debug *dbg, Dwarf_Error *de);
void hw_dwobj_finish(Dwarf_Debug dbg);

/* The bytes libdwarf sees of section @name (".debug_info"); false (NULL, 0) when absent. */
bool hw_dwobj_section(const struct hw_dwobj *obj, const char *name, const uint8_t **data,
		      uint64_t *size);
bool hw_dwobj_big_endian(const struct hw_dwobj *obj);

#endif
