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
