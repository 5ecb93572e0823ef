/*
 * alloc.h - walking an allocator's heap as a stream of fragments.
 *
 * The walkers read the target through hw_mem (range-checked), never build
 * a list of fragments, and bound every loop. Damage is reported as findings
 * (check.h) and the walk stops at the first fragment it cannot step past;
 * errors are only for failures to walk at all (the block header unreadable).
 *
 * Each manager is a struct hw_allocator (an ops table, at the end of this
 * file); a pool names its own (pool->alloc) and callers never care which
 * it is. The hw_qm_*, hw_fm_*, hw_tlsf_* functions are the managers'
 * implementations, public for unit tests.
 */
#ifndef HEAPWALK_ALLOC_H
#define HEAPWALK_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "heapwalk/layout.h"
#include "heapwalk/pool.h"
#include "heapwalk/sbuf.h"

struct hw_error;
struct hw_target;
struct hw_check;
struct hw_dwarf;
struct hw_list_tally;

/* The block header's own counters, whatever the manager. */
struct hw_heap_header {
	uint64_t block;
	uint64_t type; /* 4.2+ only: 0 shm, 1 pkg */
	uint64_t size, used, real_used, max_real_used;
	uint64_t ffrags; /* free-fragment counter (qm/fm ffrags 4.2+, tlsf fragments) */
	bool has_type, has_ffrags;
	uint64_t first_frag;	/* first fragment header */
	uint64_t last_frag_end; /* qm: last_frag_end; fm: last_frag (sentinel) */
	/* tlsf: first_frag is the first block header, last_frag_end where the size-0
	 * sentinel must be; max_frags its max_fragments */
	bool no_counters; /* used/real_used/max_real_used not kept (old non-debug f_malloc) */
	uint64_t max_frags;
	bool has_max_frags;
	/* OpenSIPS hp_malloc: used/real_used/max_real_used are read but not kept consistent
	 * by the server (shm's used can wrap below 0): shown, never compared or judged */
	bool loose_counters;
	/* OpenSIPS hp_malloc: total_fragments, the fragments it counts (0: not kept) */
	uint64_t total_frags;
	/* OpenSIPS 3.0.0 f_malloc: large_space, the free bytes in big fragments */
	bool has_large_space;
	uint64_t large_space;
	/*
	 * OpenSIPS's parallel pools (par.c), walked as one pool: each pool's
	 * block and counters, in shm_blocks order; the fields above are their
	 * sums (block: the lowest, last_frag_end: the highest). 0 for one block.
	 */
	uint32_t nparts;
	struct hw_heap_part {
		uint64_t block, size, used, real_used, max_real_used, last_frag;
	} parts[HW_PAR_POOLS_MAX];
};

/* One fragment as read from the target; strings stay target addresses. */
struct hw_frag {
	uint64_t index; /* 0-based, counting every fragment, as Kamailio does */
	uint64_t addr;	/* header */
	uint64_t user;	/* payload = addr + header size */
	uint64_t size;	/* payload bytes */
	uint64_t span;	/* bytes from this header to the next one (header, payload, trailer) */
	bool used;
	uint64_t free_link; /* u.nxt_free word (0 when used) */
	uint64_t free_prev; /* a free fragment's back link (f_malloc 4.4+, TLSF; else 0) */
	uint64_t file, func, mname, line; /* debug builds; 0 otherwise */
	uint64_t check, end_check1, end_check2, end_size;
	uint64_t gaps; /* resynchronised walks: gaps skipped before this fragment (index relative if
			  > 0) */
};

struct hw_walk_stats {
	uint64_t frags, used_frags, free_frags;
	uint64_t used_bytes, free_bytes;
	uint64_t end;		  /* address where the walk stopped */
	bool complete;		  /* reached exactly the end of the heap */
	bool stopped;		  /* the callback asked to stop */
	bool met;		  /* reached exactly hw_walk_opts.meet */
	uint64_t gaps, gap_bytes; /* resynchronised walks: ranges skipped and their bytes */
};

/* Return non-zero to stop the walk. */
typedef int (*hw_frag_fn)(void *arg, const struct hw_frag *f);

struct hw_error *hw_qm_read_header(const struct hw_target *t, const struct hw_qm_layout *l,
				   uint64_t block, struct hw_heap_header *ret);

/* Walk every fragment in address order. @ck receives findings. */
struct hw_error *hw_qm_walk(const struct hw_target *t, const struct hw_qm_layout *l,
			    const struct hw_heap_header *h, hw_frag_fn fn, void *arg,
			    struct hw_check *ck, struct hw_walk_stats *ret);

/* One non-empty free list (qm/fm hash bucket; tlsf: index = fl * 32 + sl). */
struct hw_free_bucket {
	uint64_t index;
	uint64_t count;	     /* elements found by following the list */
	uint64_t no;	     /* the bucket's own counter */
	uint64_t first_size; /* size of the first element */
	uint64_t bytes;	     /* sum of the listed sizes (fm, tlsf; 0 for qm) */
};
typedef int (*hw_bucket_fn)(void *arg, const struct hw_free_bucket *b);

/* Follow every free-hash list (bounded; cycles and bad links become findings). */
struct hw_error *hw_qm_walk_free(const struct hw_target *t, const struct hw_qm_layout *l,
				 const struct hw_heap_header *h, hw_bucket_fn fn, void *arg,
				 struct hw_check *ck);

/*
 * f_malloc (fm.c). Before 4.2 a fragment carries no free flag: the walk
 * first follows every free list and keeps a sorted set of the listed
 * addresses (memory proportional to the free fragments).
 */
struct hw_error *hw_fm_read_header(const struct hw_target *t, const struct hw_fm_layout *l,
				   uint64_t block, struct hw_heap_header *ret);
struct hw_error *hw_fm_walk(const struct hw_target *t, const struct hw_fm_layout *l,
			    const struct hw_heap_header *h, hw_frag_fn fn, void *arg,
			    struct hw_check *ck, struct hw_walk_stats *ret);
struct hw_error *hw_fm_walk_free(const struct hw_target *t, const struct hw_fm_layout *l,
				 const struct hw_heap_header *h, hw_bucket_fn fn, void *arg,
				 struct hw_check *ck);

/* TLSF (tlsf.c): physical walk to the size-0 sentinel; lists index = fl * 32 + sl. */
struct hw_error *hw_tlsf_read_header(const struct hw_target *t, const struct hw_tlsf_layout *l,
				     uint64_t control, struct hw_heap_header *ret);
struct hw_error *hw_tlsf_walk(const struct hw_target *t, const struct hw_tlsf_layout *l,
			      const struct hw_heap_header *h, hw_frag_fn fn, void *arg,
			      struct hw_check *ck, struct hw_walk_stats *ret);
struct hw_error *hw_tlsf_walk_free(const struct hw_target *t, const struct hw_tlsf_layout *l,
				   const struct hw_heap_header *h, hw_bucket_fn fn, void *arg,
				   struct hw_check *ck);

/*
 * Options of a walk (the *_opts entry points; the plain ones are these
 * with everything off). Used by check, addr, refs and leaks.
 */
struct hw_walk_opts {
	/*
	 * After a fragment the walk cannot step past, scan forward (at the
	 * manager's alignment, at most to the heap end) for the next plausible
	 * fragment header (check pattern where the layout has one, sane size,
	 * consistent trailer or following header), report the skipped range
	 * as a finding and go on. Fragment indices after a gap are relative:
	 * the gap's fragments are not counted. Off: the walk stops at the
	 * damage, as stats and summary expect.
	 */
	bool resync;
	/* each skipped range [from, to), in walk order (may be NULL) */
	void (*gap)(void *arg, uint64_t from, uint64_t to);
	void *gap_arg;
	/*
	 * walk_free: check every listed element (its bucket, the order, the
	 * back links, cycles found at once, the sum of the counters) and keep
	 * following the other lists after a broken one.
	 */
	bool deep;
	/* walk_free: every list element that could be read, in list order (may be NULL) */
	void (*elem)(void *arg, uint64_t bucket, uint64_t addr, uint64_t size);
	void *elem_arg;
	/*
	 * walk_free: every list element's address added here, in no
	 * particular order (may be NULL): what check needs of the lists
	 * when it does not name their elements, which lets the managers
	 * follow several lists at once.
	 */
	struct hw_addr_sum *elem_sum;
	/*
	 * A split walk (hw_alloc_split_points; not with resync). from: start at
	 * this header instead of the first fragment; indices count from 0
	 * there, the block's counters are not checked (hw_alloc_walk_join
	 * does). meet: stop on reaching exactly this address and set
	 * hw_walk_stats.met; a walk that steps over it goes on to the end.
	 */
	uint64_t from, meet;
	/*
	 * walk_free: a complete walk's tally of the lists (tally.h): the
	 * buckets it accounts for are taken from it instead of followed.
	 */
	const struct hw_list_tally *tally;
	long *tallied; /* walk_free: the non-empty lists taken from it, -1 none (may be NULL) */
};

/* q_malloc's split point and end-of-walk counter checks (see hw_alloc_split_point). */
struct hw_error *hw_qm_split_points(const struct hw_target *t, const struct hw_qm_layout *l,
				    const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				    unsigned *np);
void hw_qm_check_counters(const struct hw_heap_header *h, const struct hw_walk_stats *st,
			  struct hw_check *ck);
/* The return addresses stored in the fragment at @frag (see hw_allocator.backtrace). */
size_t hw_qm_backtrace(const struct hw_target *t, const struct hw_qm_layout *l, uint64_t frag,
		       uint64_t *out, size_t cap);
struct hw_error *hw_qm_walk_opts(const struct hw_target *t, const struct hw_qm_layout *l,
				 const struct hw_heap_header *h, const struct hw_walk_opts *o,
				 hw_frag_fn fn, void *arg, struct hw_check *ck,
				 struct hw_walk_stats *ret);
struct hw_error *hw_qm_walk_free_opts(const struct hw_target *t, const struct hw_qm_layout *l,
				      const struct hw_heap_header *h, const struct hw_walk_opts *o,
				      hw_bucket_fn fn, void *arg, struct hw_check *ck);
/* f_malloc's (4.2+) and TLSF's split points and end-of-walk counter checks, as q_malloc's. */
struct hw_error *hw_fm_split_points(const struct hw_target *t, const struct hw_fm_layout *l,
				    const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				    unsigned *np);
void hw_fm_check_counters(const struct hw_fm_layout *l, const struct hw_heap_header *h,
			  const struct hw_walk_stats *st, struct hw_check *ck);
struct hw_error *hw_tlsf_split_points(const struct hw_target *t, const struct hw_tlsf_layout *l,
				      const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				      unsigned *np);
void hw_tlsf_check_counters(const struct hw_tlsf_layout *l, const struct hw_heap_header *h,
			    const struct hw_walk_stats *st, struct hw_check *ck);
struct hw_error *hw_fm_walk_opts(const struct hw_target *t, const struct hw_fm_layout *l,
				 const struct hw_heap_header *h, const struct hw_walk_opts *o,
				 hw_frag_fn fn, void *arg, struct hw_check *ck,
				 struct hw_walk_stats *ret);
struct hw_error *hw_fm_walk_free_opts(const struct hw_target *t, const struct hw_fm_layout *l,
				      const struct hw_heap_header *h, const struct hw_walk_opts *o,
				      hw_bucket_fn fn, void *arg, struct hw_check *ck);
/* OpenSIPS's hp_malloc (hp.c): no resynchronising, no split walk. */
struct hw_error *hw_hp_read_header(const struct hw_target *t, const struct hw_hp_layout *l,
				   uint64_t block, struct hw_heap_header *ret);
struct hw_error *hw_hp_walk_opts(const struct hw_target *t, const struct hw_hp_layout *l,
				 const struct hw_heap_header *h, const struct hw_walk_opts *o,
				 hw_frag_fn fn, void *arg, struct hw_check *ck,
				 struct hw_walk_stats *ret);
struct hw_error *hw_hp_walk_free_opts(const struct hw_target *t, const struct hw_hp_layout *l,
				      const struct hw_heap_header *h, const struct hw_walk_opts *o,
				      hw_bucket_fn fn, void *arg, struct hw_check *ck);
struct hw_error *hw_tlsf_walk_opts(const struct hw_target *t, const struct hw_tlsf_layout *l,
				   const struct hw_heap_header *h, const struct hw_walk_opts *o,
				   hw_frag_fn fn, void *arg, struct hw_check *ck,
				   struct hw_walk_stats *ret);
struct hw_error *hw_tlsf_walk_free_opts(const struct hw_target *t, const struct hw_tlsf_layout *l,
					const struct hw_heap_header *h,
					const struct hw_walk_opts *o, hw_bucket_fn fn, void *arg,
					struct hw_check *ck);

/*
 * Where a walk can be split in two: a plausible fragment header near the
 * middle of the heap, found by scanning (bounded). The two halves are
 * walked at once, the first with meet = *ret, the second with from = *ret;
 * the split was right only if the first one meets it (a header lookalike
 * in user data is never met: the second half's results are then
 * dropped). HW_ERR_UNSUPPORTED when the manager or the memory does not
 * allow it (heaps in one mapped piece only; f_malloc from 4.2).
 */
struct hw_error *hw_alloc_split_point(const struct hw_target *t, const struct hw_pool *p,
				      const struct hw_heap_header *h, uint64_t *ret);
/* At most this many pieces of one walk. */
#define HW_SPLIT_MAX 64
/*
 * The same for a walk in @n pieces (2 <= @n <= HW_SPLIT_MAX): up to @n - 1
 * headers, each near k/@n of the work, rising strictly, into @pts; *@np:
 * how many were found (fewer where pieces would coincide). Piece k is
 * walked from pts[k - 1] to pts[k]; each boundary counts only if the piece
 * before it meets it.
 */
struct hw_error *hw_alloc_split_points(const struct hw_target *t, const struct hw_pool *p,
				       const struct hw_heap_header *h, unsigned n, uint64_t *pts,
				       unsigned *np);
/*
 * @a += @b, the halves of a split walk (@a met @b's start); then the
 * checks a whole walk makes at its end (the block's counters) into @ck.
 */
void hw_alloc_walk_join(const struct hw_pool *p, const struct hw_heap_header *h,
			struct hw_walk_stats *a, const struct hw_walk_stats *b,
			struct hw_check *ck);

/* The pool's block header, whatever its manager. */
struct hw_error *hw_alloc_read_header(const struct hw_target *t, const struct hw_pool *p,
				      struct hw_heap_header *ret);
/* The pool's walk / free-list walk with options, whatever its manager (@o may be NULL). */
struct hw_error *hw_alloc_walk(const struct hw_target *t, const struct hw_pool *p,
			       const struct hw_heap_header *h, const struct hw_walk_opts *o,
			       hw_frag_fn fn, void *arg, struct hw_check *ck,
			       struct hw_walk_stats *ret);
struct hw_error *hw_alloc_walk_free(const struct hw_target *t, const struct hw_pool *p,
				    const struct hw_heap_header *h, const struct hw_walk_opts *o,
				    hw_bucket_fn fn, void *arg, struct hw_check *ck);

/* One uint32_t field of a layout struct, by the name gdbscripts/ gives it. */
struct hw_layout_field {
	const char *name;
	size_t off; /* offsetof in the layout struct */
};

/*
 * A memory manager. Adding one: its layout and profiles
 * (walker/layout/<key>_layout.c), its walker and this table
 * (walker/alloc/<key>.c), and one line in walker/alloc/allocators.def;
 * the test-only toy allocator (walker/alloc/toy.c) is the smallest example.
 * gdbscripts/ walk only the managers in gen-gdb.c's table.
 *
 * Every op takes the layout as its head (the struct
 * hw_<mgr>_layout the allocator's own code casts it back to). An op that
 * is NULL is deliberately absent; each says what absence means. The
 * table self-test (tests/unit/alloc/test_tables.c) checks which may be.
 */
struct hw_allocator {
	const char *name;   /* Kamailio's mname: "q_malloc" */
	const char *key;    /* short name: --manager, profile prefix "<key>-", gdb "$hw_<key>_" */
	int gdb_id;	    /* $hw_mgr in gdbscripts/; 0: gdbscripts/ cannot walk it */
	size_t layout_size; /* sizeof(struct hw_<key>_layout) */

	/* ---- layouts ---- */
	/* Every built-in profile in a stable order into @out (@cap layouts); returns the count. */
	size_t (*profiles)(void *out, size_t cap);
	/* The built-in profile @name into @ret (layout_size bytes). HW_ERR_LOOKUP if none. */
	struct hw_error *(*profile_by_name)(const char *name, void *ret);
	/* The layout from DWARF. HW_ERR_LOOKUP if absent; NULL op: never from DWARF. */
	struct hw_error *(*layout_from_dwarf)(struct hw_dwarf *dw, uint32_t word, void *ret);
	/* The era's human name ("4.4-5.7"). */
	const char *(*era_name)(int era);
	/* era name, debug, word, roundto and one line of the sizes that matter. */
	void (*describe)(const struct hw_layout_head *l, struct hw_layout_facts *ret);
	/* The layout's fields for 'heapwalk layout' and gdbscripts/, then its flags (0/1). */
	const struct hw_layout_field *fields, *flags;
	size_t nfields, nflags;

	/* ---- recognising a block (detect.c) ---- */
	/* Function names in .dynsym that tell this manager: pkg's malloc, shm's malloc. */
	const char *sym_pkg, *sym_shm;
	/* How well the block at @block fits @l: -1 no, else a score; *got: the figure compared. */
	int (*fit)(const struct hw_target *t, const struct hw_layout_head *l, uint64_t block,
		   uint64_t *got);
	/* The era a Kamailio version has, -1 if unknown (major < 0) or none. */
	int (*era_of_version)(int major, int minor);
	/* Extra score for @l from what the binary says (NULL: none). */
	int (*prefer)(const struct hw_layout_head *l, const struct hw_instance *inst, int want_era);
	/* Adjust a DWARF layout's era where only the version tells them apart (NULL: none). */
	void (*dwarf_era)(struct hw_layout_head *l, const struct hw_instance *inst);
	/* Evidence text for a profile that fit / the problem when none did. */
	void (*fit_text)(const struct hw_layout_head *l, char *buf, size_t cap);
	void (*misfit_text)(uint64_t block, uint64_t got, char *buf, size_t cap);
	/* What a fitting debug layout proves, and what to beware of (NULL: nothing to say). */
	const char *debug_evidence;
	const char *(*caveat)(const struct hw_layout_head *l, const struct hw_instance *inst);
	/* Label of *got when the block does not fit a DWARF layout. */
	const char *got_label;
	/* OpenSIPS: @l's debug fields exist but its flavour never writes them (NULL: n/a). */
	void (*unfilled)(struct hw_layout_head *l);
	/* OpenSIPS: the global holding the address of this manager's blocks (NULL: mem_block /
	 * shm_block); its _DBG flavour writes no debug fields either (3.6.8's parallel pools) */
	const char *os_root;
	bool os_dbg_unfilled;
	/* pkg or shm from the block's own type word (enum hw_pool_kind), -1 unknown (NULL: -1). */
	int (*pool_kind)(const struct hw_target *t, const struct hw_layout_head *l, uint64_t block);

	/* ---- walking ---- */
	struct hw_error *(*read_header)(const struct hw_target *t, const struct hw_layout_head *l,
					uint64_t block, struct hw_heap_header *ret);
	struct hw_error *(*walk)(const struct hw_target *t, const struct hw_layout_head *l,
				 const struct hw_heap_header *h, const struct hw_walk_opts *o,
				 hw_frag_fn fn, void *arg, struct hw_check *ck,
				 struct hw_walk_stats *ret);
	struct hw_error *(*walk_free)(const struct hw_target *t, const struct hw_layout_head *l,
				      const struct hw_heap_header *h, const struct hw_walk_opts *o,
				      hw_bucket_fn fn, void *arg, struct hw_check *ck);
	uint64_t (*heap_end)(const struct hw_layout_head *l, const struct hw_heap_header *h);
	/* NULL: no split walk (HW_ERR_UNSUPPORTED). See hw_alloc_split_points. */
	struct hw_error *(*split_points)(const struct hw_target *t, const struct hw_layout_head *l,
					 const struct hw_heap_header *h, unsigned n, uint64_t *pts,
					 unsigned *np);
	/* The block's counters against a whole walk (NULL: nothing the walk did not check). */
	void (*check_counters)(const struct hw_layout_head *l, const struct hw_heap_header *h,
			       const struct hw_walk_stats *st, struct hw_check *ck);
	/* check: the bookkeeping the block keeps against a complete walk (NULL: none). */
	void (*check_totals)(const struct hw_layout_head *l, const struct hw_heap_header *h,
			     const struct hw_walk_stats *st, struct hw_check *ck);
	/*
	 * A tally of the lists (tally.h; NULL: none): its bucket function,
	 * the link that ends a list, the buckets it keeps; false when @l has
	 * no back links in the header or no such buckets.
	 */
	bool (*tally_setup)(const struct hw_layout_head *l, const struct hw_heap_header *h,
			    struct hw_list_tally *t);
	/* Whether a fragment's own header says it is free (NULL: yes; else only the lists tell). */
	bool (*free_flag)(const struct hw_layout_head *l);
	/* A used block's last word is the next header's back link (TLSF prev_phys). */
	bool tail_back_link;
	/* A free fragment's mname may be stale (not checked as a string). */
	bool stale_free_mname;
	/*
	 * The return addresses a fragment stores (Kamailio master's
	 * MEMDBG_BACKTRACE): how many a fragment holds under @l (0: none), and
	 * the fragment's, into @out (at most @cap), up to the first 0 or the
	 * first unreadable word; returns the count. NULL ops: none.
	 */
	unsigned (*backtrace_depth)(const struct hw_layout_head *l);
	size_t (*backtrace)(const struct hw_target *t, const struct hw_layout_head *l,
			    const struct hw_frag *f, uint64_t *out, size_t cap);
	/*
	 * The bytes a fragment's trailer must hold (@size: its payload): into
	 * @want where @known[i] is set, for its first @len bytes (NULL: no
	 * trailer, or nothing in it is known). check tells an overrun's length
	 * from them.
	 */
	void (*trailer_known)(const struct hw_layout_head *l, uint64_t size, uint8_t *want,
			      uint8_t *known, uint32_t len);

	/* ---- Kamailio's own log text (fmt_kamailio.c); bodies into @sb ---- */
	struct hw_kam_ops {
		/* stats: the status header */
		void (*stats)(struct hw_sbuf *sb, const struct hw_layout_head *l,
			      const struct hw_heap_header *h, const struct hw_free_bucket *b,
			      size_t nb);
		/* summary: what comes before "summarizing all alloc'ed. fragments:" */
		void (*sums_head)(struct hw_sbuf *sb, const struct hw_heap_header *h);
		/* frags: the status body, before / per fragment (file, func: sanitised) / after */
		void (*status_begin)(struct hw_sbuf *sb, const struct hw_layout_head *l,
				     const struct hw_heap_header *h);
		void (*status_frag)(struct hw_sbuf *sb, const struct hw_layout_head *l,
				    const struct hw_frag *f, const char *file, const char *func);
		void (*status_end)(struct hw_sbuf *sb, const struct hw_layout_head *l,
				   const struct hw_heap_header *h, const struct hw_free_bucket *b,
				   size_t nb);
	} kam;

	/* ---- OpenSIPS's mem_pkg_dump / mem_shm_dump text (fmt_opensips.c); NULL: none ---- */
	struct hw_os_ops {
		/* "qm_status (0x...):" and the counters */
		void (*status)(struct hw_sbuf *sb, const struct hw_layout_head *l,
			       const struct hw_heap_header *h);
		/* the site table's title and the rule above and under it */
		const char *site_title, *site_rule;
		/* the free lists, after the sites */
		void (*free_lists)(struct hw_sbuf *sb, const struct hw_layout_head *l,
				   const struct hw_heap_header *h, const struct hw_free_bucket *b,
				   size_t nb);
		/* what check says beside an intact debug heap that OpenSIPS's dump calls
		 * broken (NULL: nothing) */
		const char *false_alarm;
	} os;
};

/* Every allocator heapwalk knows, NULL-terminated (allocators.c). */
extern const struct hw_allocator *const hw_allocators[];
extern const struct hw_allocator hw_allocator_qm, hw_allocator_fm, hw_allocator_tlsf,
    hw_allocator_hp, hw_allocator_par;

/* The allocator whose key or Kamailio name is @name ("qm", "q_malloc"), NULL if none. */
const struct hw_allocator *hw_allocator_find(const char *name);
/* The allocator a built-in profile name belongs to ("qm-..."), NULL if none. */
const struct hw_allocator *hw_allocator_of_profile(const char *name);
/* The profile @name of any allocator into a fresh layout (caller frees); HW_ERR_LOOKUP if none. */
struct hw_error *hw_profile_lookup(const char *name, const struct hw_allocator **alloc,
				   void **layout);

/* instance.c: what the image says about its Kamailio: version, flags, sizes, its own pt[] entry. */
void hw_instance_read(const struct hw_target *t, struct hw_instance *inst);

/*
 * opensips.c: whether @t is OpenSIPS (its version string, or the
 * mem_allocator_* globals of 3.0+); if so fill inst's product, version and
 * the allocator of each pool, and return true. Nothing is changed otherwise.
 */
bool hw_opensips_read(const struct hw_target *t, struct hw_instance *inst);
/* "q_malloc", "f_malloc", "hp_malloc", "f_parallel_malloc"; "unknown". */
const char *hw_os_mm_name(enum hw_os_mm mm);
struct hw_pt;
/*
 * OpenSIPS's process table (pt, counted_max_processes entries of a struct
 * process_table whose size the table itself shows) into *ret, its used
 * entries only; false when @t has none (not OpenSIPS).
 */
bool hw_opensips_pt_read(const struct hw_target *t, int main_pid, struct hw_pt *ret);

/* One entry of Kamailio's process table pt[]. */
struct hw_pt_entry {
	int pid, rank; /* rank -1: the table has none (older Kamailio) */
	char desc[160];
};

/* pt[] and *process_count, as far as they could be read. */
struct hw_pt {
	bool have_count;
	int process_count;
	struct hw_pt_entry *e; /* NULL: no table could be read (owned) */
	size_t n;
};

/*
 * Read pt[] of the target whose image holds shm; its entry layout is the
 * one whose first entry is @main_pid (0: any) with a readable description.
 */
void hw_pt_read(const struct hw_target *t, int main_pid, struct hw_pt *ret);
void hw_pt_deinit(struct hw_pt *pt);

#endif
