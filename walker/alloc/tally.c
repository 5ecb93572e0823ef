/* tally.c - the free lists as a walk sees them (tally.h). */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/tally.h"

bool hw_tally_init(struct hw_list_tally *t, const struct hw_pool *p, const struct hw_heap_header *h)
{
	memset(t, 0, sizeof(*t));
	if (!p->alloc || !p->layout || !p->alloc->tally_setup ||
	    !p->alloc->tally_setup(p->layout, h, t) || !t->covered)
		return false;
	t->l = p->layout;
	t->b = calloc(t->covered, sizeof(*t->b));
	return t->b != NULL;
}

bool hw_tally_fork(struct hw_list_tally *t, const struct hw_list_tally *src)
{
	*t = *src;
	memset(&t->next, 0, sizeof(t->next));
	memset(&t->prev, 0, sizeof(t->prev));
	memset(&t->first, 0, sizeof(t->first));
	t->b = calloc(src->covered, sizeof(*t->b));
	return t->b != NULL;
}

void hw_tally_join(struct hw_list_tally *t, const struct hw_list_tally *src)
{
	hw_addr_sum_merge(&t->next, &src->next);
	hw_addr_sum_merge(&t->prev, &src->prev);
	hw_addr_sum_merge(&t->first, &src->first);
	for (uint64_t b = 0; b < t->covered; b++) {
		struct hw_tally_bucket *d = &t->b[b];
		const struct hw_tally_bucket *s = &src->b[b];

		if (!s->count)
			continue;
		/* a bucket's first element is in one piece only, when all is well */
		if (s->firsts)
			d->first_size = s->first_size;
		d->count += s->count;
		d->bytes += s->bytes;
		d->firsts += s->firsts;
	}
}

void hw_tally_deinit(struct hw_list_tally *t)
{
	free(t->b);
	t->b = NULL;
}

long hw_tally_buckets(const struct hw_list_tally *t, const uint64_t *first, const uint64_t *no,
		      bool has_no, struct hw_free_bucket *res, bool *ok)
{
	struct hw_addr_sum heads = {0};
	long taken = 0;

	if (!hw_addr_sum_eq(&t->next, &t->prev))
		return -1;
	for (uint64_t b = 0; b < t->covered; b++)
		if (first[b] != t->end)
			hw_addr_sum_add(&heads, hw_tally_link(t->end, first[b], b));
	if (!hw_addr_sum_eq(&heads, &t->first))
		return -1;
	for (uint64_t b = 0; b < t->covered; b++) {
		const struct hw_tally_bucket *tb = &t->b[b];

		if (first[b] == t->end ? tb->count != 0 : tb->firsts != 1)
			continue;
		/* a counter that disagrees: perhaps a ring no head reaches; the list walk says */
		if (has_no && no[b] != tb->count)
			continue;
		ok[b] = true;
		res[b] = (struct hw_free_bucket){.index = b,
						 .count = tb->count,
						 .no = has_no ? no[b] : tb->count,
						 .first_size = tb->first_size,
						 .bytes = tb->bytes};
		taken += tb->count != 0;
	}
	return taken;
}
