/*
 * check.h - findings about the target's heap (damage, inconsistencies).
 *
 * A finding is data for the report, not an error: walkers add findings and
 * keep going where they can. The context keeps at most @max findings in
 * full and counts the rest.
 */
#ifndef HEAPWALK_CHECK_H
#define HEAPWALK_CHECK_H

#include <stddef.h>
#include <stdint.h>

enum hw_severity { HW_SEV_INFO, HW_SEV_WARNING, HW_SEV_ERROR };

#define HW_NO_INDEX UINT64_MAX

struct hw_finding {
	enum hw_severity sev;
	uint64_t addr;	/* where in the target (0 if not about one place) */
	uint64_t index; /* fragment index, or HW_NO_INDEX */
	char *message;	/* owned, sanitised text */
};

struct hw_check {
	struct hw_finding *items;
	size_t n, cap, max;
	uint64_t total, errors, warnings; /* all findings, kept or not */
};

void hw_check_init(struct hw_check *ck, size_t max);
void hw_check_deinit(struct hw_check *ck);
/* Never fails: when memory runs out the finding is counted but not kept. */
void hw_check_add(struct hw_check *ck, enum hw_severity sev, uint64_t addr, uint64_t index,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Move @src's findings after @dst's (as far as @dst keeps them), their
 * fragment indices shifted by @index_offset, and count them all; @src is
 * left empty (deinitialised).
 */
void hw_check_append(struct hw_check *dst, struct hw_check *src, uint64_t index_offset);
const char *hw_severity_name(enum hw_severity sev);

#endif
