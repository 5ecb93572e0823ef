/*
 * backtrace.h - the return addresses Kamailio master stores in each
 * q_malloc fragment (MEMDBG_BACKTRACE=1), symbolised against the objects
 * mapped in the target: "func+0xoff (object)".
 *
 * Every distinct address is symbolised once (struct hw_bt_cache). The
 * addresses are untrusted: any value is accepted, and only one inside a
 * file mapping of the target whose ELF file could be opened gets a
 * symbol. Not here: reading the stored words (the allocator's backtrace
 * op, alloc.h).
 */
#ifndef HEAPWALK_BACKTRACE_H
#define HEAPWALK_BACKTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_frag;
struct hw_target;

/* Entries heapwalk reads from one fragment at most (Kamailio keeps 9). */
#define HW_BT_MAX 16

struct hw_bt_frame {
	uint64_t addr;
	const char *symbol; /* function name, sanitised; NULL: none known */
	const char *object; /* file name of the mapping (no directory); NULL: not mapped */
	uint64_t offset;    /* addr - the function's start (symbol != NULL) */
	bool wrapper;	    /* an allocator or one of its wrappers (hw_bt_is_wrapper) */
};

struct hw_bt_cache;
/* NULL when out of memory: hw_bt_symbolise then symbolises nothing. */
struct hw_bt_cache *hw_bt_cache_create(void);
void hw_bt_cache_destroy(struct hw_bt_cache *c);
/*
 * The frame of @addr in @t (cached; valid while @c lives). Out of memory,
 * or past the cache's bound, a frame with the address only (valid until
 * the next call).
 */
const struct hw_bt_frame *hw_bt_symbolise(struct hw_bt_cache *c, const struct hw_target *t,
					  uint64_t addr);
/* Distinct addresses symbolised so far, and how many of them got a symbol. */
void hw_bt_cache_counts(const struct hw_bt_cache *c, uint64_t *addrs, uint64_t *symbolised);

/*
 * Whether a function is the allocator or a wrapper around it, not the
 * code that asked for the memory: the managers' own functions (qm_*,
 * fm_*, tlsf_*), anything with shm_ or pkg_ in its name (shm_malloc,
 * _shm_resize, shm_str_dup, pkg_str_dup ...), the ser_/sr_ malloc, free and
 * realloc wrappers that libraries are handed, and glibc's backtrace().
 */
bool hw_bt_is_wrapper(const char *symbol);
/* The first of @n frames that is no wrapper; the last if all are; 0 when n == 0. */
size_t hw_bt_key_frame(const struct hw_bt_frame *const *frames, size_t n);
/* A frame as one line of text: "func+0x1f (kamailio)", "0x7f.. (libc.so.6)", "0x.. (not mapped)".
 */
void hw_bt_frame_text(const struct hw_bt_frame *f, char *buf, size_t cap);

/*
 * summary --by stack: the used fragments grouped by the key frame of their
 * stored stack (the first frame outside the wrappers; exact return
 * address). Fragments without a stack form the group "(no stored stack)".
 */
struct hw_stack_groups;
struct hw_error *hw_stack_groups_create(struct hw_stack_groups **ret);
void hw_stack_groups_destroy(struct hw_stack_groups *g);
/* Count used fragment @f with its @n symbolised frames (its site for the site count). */
struct hw_error *hw_stack_groups_add(struct hw_stack_groups *g, const struct hw_frag *f,
				     const struct hw_bt_frame *const *frames, size_t n);
struct hw_group;
/*
 * The groups as struct hw_group rows (unsorted; key: the frame's text,
 * owned by @g; nsites: distinct sites), into a new array *ret of *n_ret
 * (owned by the caller).
 */
struct hw_error *hw_stack_groups_rows(struct hw_stack_groups *g, struct hw_group **ret,
				      size_t *n_ret);

#endif
