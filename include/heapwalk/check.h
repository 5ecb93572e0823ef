/*
 * check.h - findings about the target's heap (damage, inconsistencies).
 *
 * A finding is data for the report, not an error: walkers add findings and
 * keep going where they can. The context keeps at most @max findings in
 * full and counts the rest.
 */
#ifndef HEAPWALK_CHECK_H
#define HEAPWALK_CHECK_H

#include <stdbool.h>
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

/*
 * A multiset of addresses in three words: their count and two sums of
 * differently mixed values. Two agree exactly when they hold the same
 * addresses (short of a 128-bit collision), whatever the order they were
 * added in: check compares the free lists with the walk's free fragments.
 */
struct hw_addr_sum {
	uint64_t n, s1, s2;
};

static inline uint64_t hw_addr_mix(uint64_t v, uint64_t k1, uint64_t k2)
{
	v ^= v >> 33;
	v *= k1;
	v ^= v >> 29;
	v *= k2;
	v ^= v >> 32;
	return v;
}

static inline void hw_addr_sum_add(struct hw_addr_sum *m, uint64_t a)
{
	m->n++;
	m->s1 += hw_addr_mix(a, 0xff51afd7ed558ccdull, 0xc4ceb9fe1a85ec53ull);
	m->s2 +=
	    hw_addr_mix(a ^ 0x9e3779b97f4a7c15ull, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull);
}

/* @a += @b */
static inline void hw_addr_sum_merge(struct hw_addr_sum *a, const struct hw_addr_sum *b)
{
	a->n += b->n;
	a->s1 += b->s1;
	a->s2 += b->s2;
}

static inline bool hw_addr_sum_eq(const struct hw_addr_sum *a, const struct hw_addr_sum *b)
{
	return a->n == b->n && a->s1 == b->s1 && a->s2 == b->s2;
}

#endif
