/* allocators.c - the table of memory managers heapwalk can walk. */
#include <stddef.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"

const struct hw_allocator *hw_allocator_get(enum hw_manager mgr)
{
	static const struct hw_allocator *const all[] = {&hw_allocator_qm, &hw_allocator_fm,
							   &hw_allocator_tlsf};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->id == mgr)
			return all[i];
	return NULL;
}

struct hw_error *hw_alloc_walk(const struct hw_target *t, const struct hw_pool *p,
			       const struct hw_heap_header *h, const struct hw_walk_opts *o,
			       hw_frag_fn fn, void *arg, struct hw_check *ck,
			       struct hw_walk_stats *ret)
{
	switch (p->mgr) {
	case HW_MGR_QM:
		return hw_qm_walk_opts(t, &p->qm, h, o, fn, arg, ck, ret);
	case HW_MGR_FM:
		return hw_fm_walk_opts(t, &p->fm, h, o, fn, arg, ck, ret);
	case HW_MGR_TLSF:
		return hw_tlsf_walk_opts(t, &p->tlsf, h, o, fn, arg, ck, ret);
	default:
		return hw_error_create(HW_ERR_UNSUPPORTED, "heapwalk cannot walk this memory manager");
	}
}

struct hw_error *hw_alloc_walk_free(const struct hw_target *t, const struct hw_pool *p,
				    const struct hw_heap_header *h, const struct hw_walk_opts *o,
				    hw_bucket_fn fn, void *arg, struct hw_check *ck)
{
	switch (p->mgr) {
	case HW_MGR_QM:
		return hw_qm_walk_free_opts(t, &p->qm, h, o, fn, arg, ck);
	case HW_MGR_FM:
		return hw_fm_walk_free_opts(t, &p->fm, h, o, fn, arg, ck);
	case HW_MGR_TLSF:
		return hw_tlsf_walk_free_opts(t, &p->tlsf, h, o, fn, arg, ck);
	default:
		return hw_error_create(HW_ERR_UNSUPPORTED, "heapwalk cannot walk this memory manager");
	}
}

struct hw_error *hw_alloc_split_point(const struct hw_target *t, const struct hw_pool *p,
				      const struct hw_heap_header *h, uint64_t *ret)
{
	if (p->mgr != HW_MGR_QM)
		return hw_error_create(HW_ERR_UNSUPPORTED, "no split walk for %s",
				       p->manager[0] ? p->manager : "this memory manager");
	return hw_qm_split_point(t, &p->qm, h, ret);
}

void hw_alloc_walk_join(const struct hw_pool *p, const struct hw_heap_header *h,
			struct hw_walk_stats *a, const struct hw_walk_stats *b,
			struct hw_check *ck)
{
	a->frags += b->frags;
	a->used_frags += b->used_frags;
	a->free_frags += b->free_frags;
	a->used_bytes += b->used_bytes;
	a->free_bytes += b->free_bytes;
	a->gaps += b->gaps;
	a->gap_bytes += b->gap_bytes;
	a->end = b->end;
	a->complete = b->complete;
	a->stopped = b->stopped;
	a->met = false;
	if (a->complete && p->mgr == HW_MGR_QM)
		hw_qm_check_counters(h, a, ck);
}
