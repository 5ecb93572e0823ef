/* check.c - the findings context (see include/heapwalk/check.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/check.h"

void hw_check_init(struct hw_check *ck, size_t max)
{
	memset(ck, 0, sizeof(*ck));
	ck->max = max;
}

void hw_check_deinit(struct hw_check *ck)
{
	for (size_t i = 0; i < ck->n; i++)
		free(ck->items[i].message);
	free(ck->items);
	memset(ck, 0, sizeof(*ck));
}

void hw_check_add(struct hw_check *ck, enum hw_severity sev, uint64_t addr, uint64_t index,
		  const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	ck->total++;
	if (sev == HW_SEV_ERROR)
		ck->errors++;
	else if (sev == HW_SEV_WARNING)
		ck->warnings++;
	if (ck->n >= ck->max)
		return;
	if (ck->n == ck->cap) {
		size_t cap = ck->cap ? ck->cap * 2 : 16;
		struct hw_finding *items = realloc(ck->items, cap * sizeof(*items));
		if (!items)
			return;
		ck->items = items;
		ck->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!msg)
		return;
	ck->items[ck->n++] = (struct hw_finding){sev, addr, index, msg};
}

const char *hw_severity_name(enum hw_severity sev)
{
	switch (sev) {
	case HW_SEV_INFO:
		return "info";
	case HW_SEV_WARNING:
		return "warning";
	default:
		return "error";
	}
}

void hw_check_append(struct hw_check *dst, struct hw_check *src, uint64_t index_offset)
{
	for (size_t i = 0; i < src->n; i++) {
		struct hw_finding *it = &src->items[i];

		if (it->index != HW_NO_INDEX)
			it->index += index_offset;
		if (dst->n == dst->cap && dst->n < dst->max) {
			size_t cap = dst->cap ? dst->cap * 2 : 16;
			struct hw_finding *items = realloc(dst->items, cap * sizeof(*items));
			if (items) {
				dst->items = items;
				dst->cap = cap;
			}
		}
		if (dst->n < dst->max && dst->n < dst->cap) {
			dst->items[dst->n++] = *it;
			it->message = NULL;
		}
	}
	dst->total += src->total;
	dst->errors += src->errors;
	dst->warnings += src->warnings;
	hw_check_deinit(src);
}
