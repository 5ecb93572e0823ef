/* internal.h - private to walker/session: how the session speaks. */
#ifndef HEAPWALK_SESSION_INTERNAL_H
#define HEAPWALK_SESSION_INTERNAL_H

#include "heapwalk/session.h"

/* Tell the session's owner (a no-op when it gave no callback). */
#define SESSION_WARN(s, ...)                                                                       \
	do {                                                                                       \
		if ((s)->warn)                                                                     \
			(s)->warn(__VA_ARGS__);                                                    \
	} while (0)
#define SESSION_TRACE(s, ...)                                                                      \
	do {                                                                                       \
		if ((s)->trace)                                                                    \
			(s)->trace(__VA_ARGS__);                                                   \
	} while (0)

struct hw_elf;

/*
 * The DWARF of @exe as a session looks for it: beneath @sysroot (given by
 * the user), else beneath @own_root (a live process's root; NULL: ours) and
 * then the host's; @debug_file as hw_dwarf_find takes it.
 */
struct hw_error *hw_session_find_dwarf(const struct hw_elf *exe, const char *sysroot,
				       const char *own_root, const char *debug_file,
				       struct hw_dwarf **ret);
/* Before a walk by site: each pool keeps its sites' size histograms when s->by is size. */
void hw_session_want_sizes(struct hw_session *s);
/* --by stack: each walked pool's stack groups (before the walk; warns of pools without stacks). */
struct hw_error *hw_session_want_stacks(struct hw_session *s);
/* --by stack: used fragment @f of @pr counted under its stack's key frame. */
struct hw_error *hw_session_stack_add(struct hw_session *s, struct hw_pool_report *pr,
				      const struct hw_frag *f);
/*
 * The fragmentation figures (pr->frag) of a walk that counts them with
 * hw_frag_stats_add: begun for every walked pool without, finished after.
 */
struct hw_snapshot;
/* process.c: what the stop met of the shm lock (snapshot quiet_word), if anything. */
void hw_say_quiet(const struct hw_snapshot *s, hw_session_say_fn warn);
void hw_session_frag_begin(struct hw_session *s);
/*
 * A split walk's fork of @size bytes, zeroed, on cache lines of its own:
 * the threads update their forks at every fragment, and two forks sharing
 * a line would pass it back and forth. NULL when out of memory; free().
 */
void *hw_split_fork_alloc(size_t size);
void hw_session_frag_end(struct hw_session *s);

#endif
