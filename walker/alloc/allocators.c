/*
 * allocators.c - the table of memory managers heapwalk can walk, and the
 * walks of a pool whatever its manager.
 */
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"

#ifdef HW_TEST_ALLOCATORS
#define HW_TEST_ALLOCATOR(key) HW_ALLOCATOR(key)
#else
#define HW_TEST_ALLOCATOR(key)
#endif

#define HW_ALLOCATOR(key) extern const struct hw_allocator hw_allocator_##key;
#include "allocators.def"
#undef HW_ALLOCATOR

const struct hw_allocator *const hw_allocators[] = {
#define HW_ALLOCATOR(key) &hw_allocator_##key,
#include "allocators.def"
#undef HW_ALLOCATOR
    NULL,
};

const struct hw_allocator *hw_allocator_find(const char *name)
{
	for (size_t i = 0; hw_allocators[i]; i++)
		if (!strcmp(name, hw_allocators[i]->key) || !strcmp(name, hw_allocators[i]->name))
			return hw_allocators[i];
	return NULL;
}

const struct hw_allocator *hw_allocator_of_profile(const char *name)
{
	for (size_t i = 0; hw_allocators[i]; i++) {
		size_t n = strlen(hw_allocators[i]->key);
		if (!strncmp(name, hw_allocators[i]->key, n) && name[n] == '-')
			return hw_allocators[i];
	}
	return NULL;
}

struct hw_error *hw_profile_lookup(const char *name, const struct hw_allocator **alloc,
				   void **layout)
{
	const struct hw_allocator *a = hw_allocator_of_profile(name);
	struct hw_error *err;
	void *l;

	if (!a)
		return hw_error_create(
		    HW_ERR_LOOKUP, "no built-in layout named '%s' (see 'heapwalk profiles')", name);
	l = calloc(1, a->layout_size);
	if (!l)
		return hw_error_create(HW_ERR_NOMEM, "out of memory");
	err = a->profile_by_name(name, l);
	if (err) {
		free(l);
		return err;
	}
	*alloc = a;
	*layout = l;
	return NULL;
}

static struct hw_error *unwalkable(const struct hw_pool *p)
{
	return hw_error_create(HW_ERR_UNSUPPORTED, "heapwalk cannot walk this memory manager%s%s",
			       p->manager[0] ? ": " : "", p->manager);
}

struct hw_error *hw_alloc_read_header(const struct hw_target *t, const struct hw_pool *p,
				      struct hw_heap_header *ret)
{
	if (!p->alloc || !p->layout)
		return unwalkable(p);
	return p->alloc->read_header(t, p->layout, p->block, ret);
}

struct hw_error *hw_alloc_walk(const struct hw_target *t, const struct hw_pool *p,
			       const struct hw_heap_header *h, const struct hw_walk_opts *o,
			       hw_frag_fn fn, void *arg, struct hw_check *ck,
			       struct hw_walk_stats *ret)
{
	if (!p->alloc || !p->layout)
		return unwalkable(p);
	return p->alloc->walk(t, p->layout, h, o, fn, arg, ck, ret);
}

struct hw_error *hw_alloc_walk_free(const struct hw_target *t, const struct hw_pool *p,
				    const struct hw_heap_header *h, const struct hw_walk_opts *o,
				    hw_bucket_fn fn, void *arg, struct hw_check *ck)
{
	if (!p->alloc || !p->layout)
		return unwalkable(p);
	return p->alloc->walk_free(t, p->layout, h, o, fn, arg, ck);
}

struct hw_error *hw_alloc_split_points(const struct hw_target *t, const struct hw_pool *p,
				       const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				       unsigned *np)
{
	*np = 0;
	if (!p->alloc || !p->layout || !p->alloc->split_points)
		return hw_error_create(HW_ERR_UNSUPPORTED, "no split walk for %s",
				       p->manager[0] ? p->manager : "this memory manager");
	if (n < 2 || n > HW_SPLIT_MAX)
		return hw_error_create(HW_ERR_INVALID_ARG, "a walk in %u pieces", n);
	return p->alloc->split_points(t, p->layout, h, n, pts, np);
}

struct hw_error *hw_alloc_split_point(const struct hw_target *t, const struct hw_pool *p,
				      const struct hw_heap_header *h, uint64_t *ret)
{
	unsigned np;

	return hw_alloc_split_points(t, p, h, 2, ret, &np);
}

void hw_alloc_walk_join(const struct hw_pool *p, const struct hw_heap_header *h,
			struct hw_walk_stats *a, const struct hw_walk_stats *b, struct hw_check *ck)
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
	if (a->complete && p->alloc && p->alloc->check_counters)
		p->alloc->check_counters(p->layout, h, a, ck);
}
