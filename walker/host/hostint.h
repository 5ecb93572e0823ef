/*
 * hostint.h - internal to walker/host: line iteration over a file's text
 * and reading whole (small) proc files.
 */
#ifndef HEAPWALK_HOST_HOSTINT_H
#define HEAPWALK_HOST_HOSTINT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest line kept whole; longer lines are cut (paths are at most 4096). */
#define HW_HOST_LINE_MAX 4352

struct hw_host_lines {
	const char *text;
	size_t len, pos;
};

void hw_host_lines_init(struct hw_host_lines *it, const char *text, size_t len);
/*
 * Copy the next line (without its newline, cut to @cap - 1 bytes, NULs
 * inside it end it) into @out. False at the end of the text.
 */
bool hw_host_line_next(struct hw_host_lines *it, char *out, size_t cap);

#endif
