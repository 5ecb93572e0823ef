/* allocators.c - the table of memory managers heapwalk can walk. */
#include <stddef.h>

#include "heapwalk/alloc.h"

const struct hw_allocator *hw_allocator_get(enum hw_manager mgr)
{
	static const struct hw_allocator *const all[] = {&hw_allocator_qm, &hw_allocator_fm,
							   &hw_allocator_tlsf};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i]->id == mgr)
			return all[i];
	return NULL;
}
