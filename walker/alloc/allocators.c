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
