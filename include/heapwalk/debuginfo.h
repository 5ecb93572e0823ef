/*
 * debuginfo.h - DWARF debug information, through libdwarf.
 *
 * Finds the DWARF for an executable and answers the few questions heapwalk
 * asks of it: struct layouts (size, member offsets, member sizes, array
 * bounds) and variable addresses. Callers copy the answers into their own
 * model (layout.h) once; nothing here is meant for hot loops.
 *
 * Lookup order in hw_dwarf_find (all paths under the sysroot when given):
 *   1. the explicit debug file, if given (an error if it has no DWARF);
 *   2. the executable itself, if it has .debug_info;
 *   3. /usr/lib/debug/.build-id/xx/yyyy.debug from the executable's build-id;
 *   4. .gnu_debuglink: <exe dir>/<name>, <exe dir>/.debug/<name>,
 *      /usr/lib/debug/<exe dir>/<name>;
 *   5. when DEBUGINFOD_URLS is set, the servers it names (libdebuginfod, by
 *      build-id; the dwz file too). Optional at build time.
 * A candidate whose build-id differs from the executable's is skipped.
 */
#ifndef HEAPWALK_DEBUGINFO_H
#define HEAPWALK_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_elf;
struct hw_dwarf;

/*
 * @exe may be NULL only when @debug_file is given. HW_ERR_NO_DEBUGINFO when
 * nothing was found; its message lists what was tried. Caller owns *ret.
 */
struct hw_error *hw_dwarf_find(const struct hw_elf *exe, const char *sysroot,
			       const char *debug_file, struct hw_dwarf **ret);
void hw_dwarf_close(struct hw_dwarf *dw);
/*
 * Index the names now (the first query does otherwise): before a live
 * hold, so that the queries under it do not scan the DWARF. An error is
 * also what the queries will meet.
 */
struct hw_error *hw_dwarf_index(struct hw_dwarf *dw);
/* The file the DWARF was read from. */
const char *hw_dwarf_path(const struct hw_dwarf *dw);

struct hw_dwarf_member {
	const char *name; /* in: member name; a dotted path ("head.size") descends into members */
	bool found;	  /* out */
	uint64_t offset;  /* out: from the start of the outer struct */
	uint64_t size;	  /* out: byte size of the member's type (whole array for arrays) */
	uint64_t count;	  /* out: element count if the member is a 1-D array, else 0 */
};

/*
 * Layout of the struct/union named @name: either a tag ("qm_frag", found as
 * DW_TAG_structure_type/union_type with a full definition) or a typedef
 * name ("sr_pkg_api_t", followed through typedefs and qualifiers). Fills
 * *size_ret (may be NULL) and every member's out fields; members not found
 * have found=false (not an error). HW_ERR_LOOKUP if the type is absent.
 */
struct hw_error *hw_dwarf_struct(struct hw_dwarf *dw, const char *name, uint64_t *size_ret,
				 struct hw_dwarf_member *members, size_t nmembers);

/*
 * Link-time address (DW_AT_location DW_OP_addr) of a global or file-static
 * variable; add the load bias. HW_ERR_LOOKUP if absent.
 */
struct hw_error *hw_dwarf_variable(struct hw_dwarf *dw, const char *name, uint64_t *addr_ret);

#endif
