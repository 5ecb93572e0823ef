/*
 * dwscan.h - internal to walker/debuginfo: one linear pass over
 * .debug_info, before libdwarf walks it, to find the units whose DIE
 * stream is sound.
 *
 * libdwarf 20210528 steps over a DIE's children by following nested
 * DW_AT_sibling attributes; one that points at its own DIE makes
 * dwarf_siblingof_b loop forever. The scan decodes every DIE of every unit
 * as libdwarf would (unit headers, abbreviations, form sizes) and accepts a
 * unit only when each DW_AT_sibling points forward to a DIE, a null entry
 * or the unit's end. heapwalk then lets libdwarf at a DIE only when it
 * starts at a position the scan accepted: libdwarf's walks from there only
 * reach accepted positions and always move forward, so they end.
 */
#ifndef HEAPWALK_DEBUGINFO_DWSCAN_H
#define HEAPWALK_DEBUGINFO_DWSCAN_H

#include <stdbool.h>
#include <stdint.h>

struct hw_error;
struct hw_dwscan;

/*
 * Scan @info (.debug_info, @info_size bytes) with the abbreviations in
 * @abbrev. Damage rejects the unit concerned (or, when unit lengths no
 * longer make sense, the rest of the section); it is not an error. Errors
 * only for running out of memory. Caller owns *ret.
 */
struct hw_error *hw_dwscan_build(const uint8_t *info, uint64_t info_size, const uint8_t *abbrev,
				 uint64_t abbrev_size, bool big_endian, struct hw_dwscan **ret);
void hw_dwscan_destroy(struct hw_dwscan *scan);

/* Whether a DIE of an accepted unit starts at .debug_info offset @off. */
bool hw_dwscan_die_ok(const struct hw_dwscan *scan, uint64_t off);

/* Rejected units, and why the first was (NULL if none was). */
unsigned long hw_dwscan_rejected(const struct hw_dwscan *scan, const char **first_why);

#endif
