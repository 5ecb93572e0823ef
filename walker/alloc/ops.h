/*
 * ops.h - what the allocators' ops tables share (walker/alloc only): the
 * one adapter from the ops' layout head to each manager's typed functions,
 * tolerant reads for recognising a block, and pieces of Kamailio's log text.
 */
#ifndef HEAPWALK_ALLOC_OPS_H
#define HEAPWALK_ALLOC_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/target.h"

/*
 * The ops of manager X over its typed functions hw_X_read_header,
 * hw_X_walk_opts, hw_X_walk_free_opts, hw_X_profiles, hw_X_profile_by_name
 * and hw_X_era_name: static X_op_<name>, to be put in its struct
 * hw_allocator. A layout head is the start of its struct hw_X_layout.
 */
#define HW_ALLOC_OPS(X)                                                                            \
	static inline const struct hw_##X##_layout *X##_of(const struct hw_layout_head *l)         \
	{                                                                                          \
		return (const struct hw_##X##_layout *)(const void *)l;                            \
	}                                                                                          \
	static struct hw_error *X##_op_read_header(const struct hw_target *t,                      \
						   const struct hw_layout_head *l, uint64_t block, \
						   struct hw_heap_header *ret)                     \
	{                                                                                          \
		return hw_##X##_read_header(t, X##_of(l), block, ret);                             \
	}                                                                                          \
	static struct hw_error *X##_op_walk(                                                       \
	    const struct hw_target *t, const struct hw_layout_head *l,                             \
	    const struct hw_heap_header *h, const struct hw_walk_opts *o, hw_frag_fn fn,           \
	    void *arg, struct hw_check *ck, struct hw_walk_stats *ret)                             \
	{                                                                                          \
		return hw_##X##_walk_opts(t, X##_of(l), h, o, fn, arg, ck, ret);                   \
	}                                                                                          \
	static struct hw_error *X##_op_walk_free(                                                  \
	    const struct hw_target *t, const struct hw_layout_head *l,                             \
	    const struct hw_heap_header *h, const struct hw_walk_opts *o, hw_bucket_fn fn,         \
	    void *arg, struct hw_check *ck)                                                        \
	{                                                                                          \
		return hw_##X##_walk_free_opts(t, X##_of(l), h, o, fn, arg, ck);                   \
	}                                                                                          \
	static size_t X##_op_profiles(void *out, size_t cap)                                       \
	{                                                                                          \
		return hw_##X##_profiles(out, cap);                                                \
	}                                                                                          \
	static struct hw_error *X##_op_profile_by_name(const char *name, void *ret)                \
	{                                                                                          \
		return hw_##X##_profile_by_name(name, ret);                                        \
	}                                                                                          \
	static const char *X##_op_era_name(int era)                                                \
	{                                                                                          \
		return hw_##X##_era_name(era);                                                     \
	}

/* The ops HW_ALLOC_OPS(X) defines, as struct hw_allocator initialisers. */
#define HW_ALLOC_OPS_INIT(X)                                                                       \
	.layout_size = sizeof(struct hw_##X##_layout), .profiles = X##_op_profiles,                \
	.profile_by_name = X##_op_profile_by_name, .era_name = X##_op_era_name,                    \
	.read_header = X##_op_read_header, .walk = X##_op_walk, .walk_free = X##_op_walk_free

/* Reads for recognising a block: false (and no error) when the memory is not there. */
static inline bool hw_probe_word(const struct hw_target *t, uint64_t addr, uint64_t *v)
{
	struct hw_error *err = hw_target_read_word(t, addr, v);

	if (err) {
		hw_error_destroy(err);
		return false;
	}
	return true;
}

/* A 4- or 8-byte field. */
static inline bool hw_probe_sized(const struct hw_target *t, uint64_t addr, uint32_t size,
				  uint64_t *v)
{
	uint32_t v32;
	struct hw_error *err;

	if (size == 8)
		err = hw_target_read_u64(t, addr, v);
	else if (!(err = hw_target_read_u32(t, addr, &v32)))
		*v = v32;
	if (err) {
		hw_error_destroy(err);
		return false;
	}
	return true;
}

/* 4.2+ q_malloc and f_malloc: the block's type word at @off (0 shm, 1 pkg), -1 if none. */
static inline int hw_probe_pool_type(const struct hw_target *t, uint64_t block, uint32_t off)
{
	uint64_t type;

	if (off == HW_NO_OFF || !hw_probe_sized(t, block + off, 4, &type) || type > 1)
		return -1;
	return type == 0 ? HW_POOL_SHM : HW_POOL_PKG;
}

/* glibc's %p: "0x..." or "(nil)". */
void hw_kam_ptr(struct hw_sbuf *sb, uint64_t p);
/* q_malloc's status header ("(0x...):\nheap size= ..."), also fine for managers like it. */
void hw_kam_status_header(struct hw_sbuf *sb, const struct hw_heap_header *h);
/* Nothing to say (a kam op with no text). */
void hw_kam_sums_plain(struct hw_sbuf *sb, const struct hw_heap_header *h);

/*
 * OpenSIPS's status header: "<name>_status (0x...):", the heap size and
 * the counters; its q_malloc reports free as size - real_used, its
 * f_malloc as size - used (@free).
 */
void hw_os_status_header(struct hw_sbuf *sb, const char *name, const struct hw_heap_header *h,
			 uint64_t free);
/*
 * One free bucket of OpenSIPS's dump (q_malloc's "hash= N." or
 * f_malloc's "hash = N" line, then the bucket's size range from @lo, a
 * linear bucket's up to @lo, an exponential one's to 2 @lo).
 */
void hw_os_bucket(struct hw_sbuf *sb, bool qm, const struct hw_free_bucket *b, uint64_t lo,
		  bool linear);

#endif
