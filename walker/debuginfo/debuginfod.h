/*
 * debuginfod.h - internal to walker/debuginfo: debug files fetched by
 * build-id from the servers named in DEBUGINFOD_URLS, through
 * libdebuginfod (optional at build time: HW_HAVE_DEBUGINFOD).
 */
#ifndef HEAPWALK_DEBUGINFO_DEBUGINFOD_H
#define HEAPWALK_DEBUGINFO_DEBUGINFOD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;

/* Whether a lookup would be attempted: DEBUGINFOD_URLS is set and not empty. */
bool hw_debuginfod_wanted(void);

/*
 * Ask the servers for the debug file of @build_id (@len bytes). On success
 * *path_ret is the file's path in libdebuginfod's cache (caller frees) or
 * NULL when nothing was found, and then @why (of @cap bytes) says why
 * ("not found on the servers", "built without libdebuginfod", ...).
 * Errors only for running out of memory.
 */
struct hw_error *hw_debuginfod_find(const uint8_t *build_id, size_t len, char **path_ret, char *why,
				    size_t cap);

#endif
