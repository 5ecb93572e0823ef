/*
 * layout.h - the layout model: where each field of an allocator's
 * structures lives, resolved once (from DWARF or from a built-in profile)
 * and then used as plain offsets by the walkers.
 *
 * Not here: reading the heap (alloc.h), finding the blocks (pool.h).
 */
#ifndef HEAPWALK_LAYOUT_H
#define HEAPWALK_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_dwarf;

/*
 * What every layout starts with, whatever its allocator: callers that do
 * not know the allocator read only this (struct hw_pool.layout points at
 * it). HW_LAYOUT_HEAD opens each struct hw_<mgr>_layout with it, so that
 * its fields are also reachable by name (l->word, l->debug) and a pointer
 * to the layout is a pointer to its head.
 */
/* Which server an image or a layout is: Kamailio (and SER/OpenSER before it) or OpenSIPS. */
enum hw_product { HW_PRODUCT_KAMAILIO, HW_PRODUCT_OPENSIPS };

#define HW_LAYOUT_HEAD_FIELDS(ROUNDTO)                                                             \
	char name[64];		 /* profile name ("qm-4.4-5.7-dbg-lp64") or "dwarf" */             \
	enum hw_product product; /* whose structures these are */                                  \
	char source[320];	 /* "profile:NAME" or "dwarf:/path/to/file" */                     \
	int era;		 /* the allocator's era (enum hw_<mgr>_era) */                     \
	uint32_t word;		 /* 4 or 8 */                                                      \
	ROUNDTO;		 /* every fragment size is a multiple of it */                     \
	bool debug		 /* the fragments record their allocation site */

struct hw_layout_head {
	HW_LAYOUT_HEAD_FIELDS(uint32_t roundto);
};

#define HW_LAYOUT_HEAD(ROUNDTO)                                                                    \
	union {                                                                                    \
		struct hw_layout_head head;                                                        \
		struct {                                                                           \
			HW_LAYOUT_HEAD_FIELDS(ROUNDTO);                                            \
		};                                                                                 \
	}

/* An offset that does not exist in this variant. */
#define HW_NO_OFF UINT32_MAX

/* q_malloc eras with distinct layouts (kamailio-memory.md §2, §9.1). */
enum hw_qm_era {
	HW_QM_ERA_OLD,	     /* SER 0.9, OpenSER 1.x, Kamailio 3.0-4.1 */
	HW_QM_ERA_42,	     /* 4.2-4.3: block gains type, ffrags */
	HW_QM_ERA_44,	     /* 4.4-5.7: fragment gains mname */
	HW_QM_ERA_58,	     /* 5.8-6.1: ROUNDTO 16, reserved words, long type */
	HW_QM_ERA_MASTER,    /* after 6.1: reserved1 before check */
	HW_QM_ERA_MASTER_BT, /* after 6.1 with the backtrace array */
	HW_QM_ERA_OPENSIPS,  /* OpenSIPS 2.4-4.0: name and fragments in use in the block */
	HW_QM_ERA_COUNT
};

struct hw_qm_layout {
	HW_LAYOUT_HEAD(uint32_t roundto); /* era: enum hw_qm_era */
	/* struct qm_frag */
	uint32_t frag_size, f_size, f_u, f_file, f_func, f_mname, f_line, f_check;
	/* struct qm_frag_end */
	uint32_t end_size, e_check1, e_check2, e_size, e_prev_free;
	/* struct qm_block */
	uint32_t block_size, b_type, b_size, b_used, b_real_used, b_max_real_used, b_ffrags,
	    b_first_frag, b_last_frag_end, b_free_hash;
	/* struct qm_frag_lnk */
	uint32_t lnk_size, l_no;
	/* constants */
	uint32_t hash_size, optimize, optimize_factor;
	uint32_t first_off; /* ROUNDUP(sizeof(qm_block), roundto): expected first_frag - block */
	/* master with MEMDBG_BACKTRACE: the return addresses stored in each fragment */
	uint32_t f_backtrace; /* HW_NO_OFF: none */
	uint32_t bt_depth;    /* entries (9), 0 when none */
	/* the debug patterns: Kamailio's are 32-bit values, OpenSIPS's fill the word */
	uint64_t st_check, end_check1, end_check2;
	/* OpenSIPS: the block's count of fragments in use (b_ffrags is HW_NO_OFF), the
	 * QM_DBG_MALLOC_HIST entries of {file, func, line} (1), SHM_EXTRA_STATS's word */
	uint32_t b_frags_used, hist, f_stat;
};

/* Check patterns of debug builds (stored in unsigned long words). */
#define HW_QM_ST_CHECK 0xf0f0f0f0UL
#define HW_QM_END_CHECK1 0xc0c0c0c0UL
#define HW_QM_END_CHECK2 0xabcdefedUL

/* The era's human name ("4.4-5.7"). */
const char *hw_qm_era_name(enum hw_qm_era era);

/*
 * Build a profile: era, debug, word size 4/8, roundto (0 = the era's
 * default; 5.8+ also accept 8 and 4 for KSR_MEMORY_ALIGN builds).
 * HW_ERR_INVALID_ARG for combinations that do not exist.
 */
struct hw_error *hw_qm_profile(enum hw_qm_era era, bool debug, uint32_t word, uint32_t roundto,
			       struct hw_qm_layout *ret);

/* OpenSIPS's QM_DBG_MALLOC_HIST values with built-in profiles: 1 to this. */
#define HW_QM_HIST_MAX 3

/*
 * An OpenSIPS q_malloc profile (2.4-4.0 share it): DBG_MALLOC compiled in
 * or not, word size 4/8, QM_DBG_MALLOC_HIST entries (1 unless -D),
 * SHM_EXTRA_STATS's statistic_index; @r16: 2.4's non-debug ROUNDTO of 16
 * (else the word). HW_ERR_INVALID_ARG otherwise.
 */
struct hw_error *hw_qm_profile_opensips(bool debug, uint32_t word, uint32_t hist, bool extra_stats,
					bool r16, struct hw_qm_layout *ret);

/* Every built-in q_malloc profile, in a stable order. Returns the count; fills at most @cap. */
size_t hw_qm_profiles(struct hw_qm_layout *out, size_t cap);

/* Find a built-in profile by name. HW_ERR_LOOKUP if none. */
struct hw_error *hw_qm_profile_by_name(const char *name, struct hw_qm_layout *ret);

/*
 * Fill a layout from DWARF (struct qm_frag, qm_frag_end, qm_block,
 * qm_frag_lnk). ROUNDTO and the optimize constants, which DWARF cannot
 * hold, are derived from the free_hash bound. HW_ERR_LOOKUP if the structs
 * are absent (not a q_malloc build, or not this DWARF).
 */
struct hw_error *hw_qm_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					 struct hw_qm_layout *ret);

/* Bucket index of a free fragment of @size (GET_HASH). */
uint64_t hw_qm_hash(const struct hw_qm_layout *l, uint64_t size);
/* Lower bound of bucket @h (UN_HASH). */
uint64_t hw_qm_unhash(const struct hw_qm_layout *l, uint64_t h);

/* ---- f_malloc (kamailio-memory.md §3, §9.2) ---- */

enum hw_fm_era {
	HW_FM_ERA_SER, /* SER 0.9, OpenSER 1.x: free only via the lists, no bitmap */
	HW_FM_ERA_OLD, /* Kamailio 3.0-4.1: adds the free bitmap */
	HW_FM_ERA_42,  /* 4.2-4.3: prv_free, type and ffrags; the sentinel ends the walk */
	HW_FM_ERA_44,  /* 4.4-5.7: is_free flag, doubly linked lists, mname, check in all builds */
	HW_FM_ERA_58,  /* 5.8+: ROUNDTO 16, is_free first, reserved words */
	/* OpenSIPS, its lists as 4.2's (its prev is prv_free), a name and fragments in use in
	 * the block; after Kamailio's so that gdbscripts/ keep their numbers */
	HW_FM_ERA_OS30, /* OpenSIPS 2.4-3.3 */
	HW_FM_ERA_OS34, /* OpenSIPS 3.4+: pf, the previous physical fragment */
	HW_FM_ERA_COUNT
};

/* Eras telling free fragments by a flag in the header (4.4+). */
static inline bool hw_fm_flag_era(int era)
{
	return era == HW_FM_ERA_44 || era == HW_FM_ERA_58;
}

/* Eras telling free fragments by a set back link (prv_free, OpenSIPS's prev). */
static inline bool hw_fm_prv_era(int era)
{
	return era == HW_FM_ERA_42 || era == HW_FM_ERA_OS30 || era == HW_FM_ERA_OS34;
}

struct hw_fm_layout {
	HW_LAYOUT_HEAD(uint32_t roundto); /* era: enum hw_fm_era */
	bool stats; /* the block keeps used/real_used/max_real_used (debug, STATISTICS,
		       MALLOC_STATS) */
	/* struct fm_frag; f_link is the forward free-list link of the era (u or next_free) */
	uint32_t frag_size, f_size, f_u, f_prv_free, f_is_free, f_is_free_size, f_next_free,
	    f_prev_free, f_link, f_file, f_func, f_mname, f_line, f_check, f_check_size;
	/* struct fm_block */
	uint32_t block_size, b_type, b_size, b_used, b_real_used, b_max_real_used, b_ffrags,
	    b_first_frag, b_last_frag, b_free_bitmap, b_free_hash;
	uint32_t bitmap_words; /* 0: no bitmap */
	/* struct fm_frag_lnk */
	uint32_t lnk_size, l_first, l_no;
	/* constants */
	uint32_t hash_size, optimize, optimize_factor;
	uint32_t first_off;    /* ROUNDUP(sizeof(fm_block)): expected first_frag - block */
	uint32_t init_headers; /* fragment headers in INIT_OVERHEAD: 1 (<= 4.1) or 2 */
	/*
	 * OpenSIPS: pf, the previous physical fragment (3.4+), the block's count
	 * of fragments in use, SHM_EXTRA_STATS's word; HW_NO_OFF if absent.
	 */
	uint32_t f_pf, b_frags_used, f_stat;
	uint32_t b_large_space; /* OpenSIPS 3.0.0: free bytes in big fragments (HW_NO_OFF) */
};

const char *hw_fm_era_name(enum hw_fm_era era);
/* OpenSIPS's f_malloc and hp_malloc releases with layouts of their own. */
enum hw_os_release {
	HW_OS_REL_24, /* 2.4: a check word and an is_free char in debug fragments */
	HW_OS_REL_30, /* 3.0.0: large_space and large_limit in the block (hp: 3.0.0-3.0.2) */
	HW_OS_REL_31, /* 3.1-3.3 */
	HW_OS_REL_34, /* 3.4+: f_malloc's pf */
	HW_OS_REL_COUNT
};

/*
 * An OpenSIPS f_malloc profile of release @rel: DBG_MALLOC compiled in or
 * not, the counters (DBG_MALLOC or STATISTICS), SHM_EXTRA_STATS, word size
 * 4/8. HW_ERR_INVALID_ARG otherwise.
 */
struct hw_error *hw_fm_profile_opensips(enum hw_os_release rel, bool debug, bool stats,
					bool extra_stats, uint32_t word, struct hw_fm_layout *ret);
/*
 * Build a profile. @stats only matters for non-debug SER/OpenSER/3.0-4.1
 * builds (debug builds and 4.2+ always keep the counters); roundto 0 = the
 * era's default (5.8+ also 8 and 4). HW_ERR_INVALID_ARG if no such variant.
 */
struct hw_error *hw_fm_profile(enum hw_fm_era era, bool debug, bool stats, uint32_t word,
			       uint32_t roundto, struct hw_fm_layout *ret);
size_t hw_fm_profiles(struct hw_fm_layout *out, size_t cap);
struct hw_error *hw_fm_profile_by_name(const char *name, struct hw_fm_layout *ret);
/* From DWARF (struct fm_frag, fm_block, fm_frag_lnk). HW_ERR_LOOKUP if absent. */
struct hw_error *hw_fm_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					 struct hw_fm_layout *ret);
uint64_t hw_fm_hash(const struct hw_fm_layout *l, uint64_t size);
uint64_t hw_fm_unhash(const struct hw_fm_layout *l, uint64_t h);

/*
 * ---- OpenSIPS 3.6+ parallel pools (f_parallel_malloc, opensips-memory.md) ----
 *
 * A parallel_block is an f_malloc block of OpenSIPS 3.3's kind (free when
 * prev is set, big buckets sorted, no pf) with a pool index before
 * first_frag, and every parallel_frag carries a block_ptr: the walk is
 * f_malloc's, over @fm (era HW_FM_ERA_OS30). shm runs on @pools of them,
 * found through shm_blocks.
 */
enum hw_par_era {
	/* OpenSIPS 3.6-4.0; the era in the head, which is the f_malloc era of the walk */
	HW_PAR_ERA_36 = HW_FM_ERA_OS30,
};

#define HW_PAR_POOLS_MAX 32 /* TOTAL_F_PARALLEL_POOLS, 3.6 and 4.0 */

struct hw_par_layout {
	struct hw_fm_layout fm; /* first: its head is this layout's head */
	uint32_t f_block_ptr, b_idx, pools;
};

const char *hw_par_era_name(enum hw_par_era era);
/* A profile: DBG_MALLOC compiled in or not, SHM_EXTRA_STATS, word size 4/8. */
struct hw_error *hw_par_profile(bool debug, bool extra_stats, uint32_t word,
				struct hw_par_layout *ret);
size_t hw_par_profiles(struct hw_par_layout *out, size_t cap);
struct hw_error *hw_par_profile_by_name(const char *name, struct hw_par_layout *ret);
/* From DWARF (struct parallel_frag, parallel_block, parallel_frag_lnk); HW_ERR_LOOKUP if absent. */
struct hw_error *hw_par_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					  struct hw_par_layout *ret);

/* ---- TLSF (kamailio-memory.md §4, §9.3) ---- */

enum hw_tlsf_era {
	HW_TLSF_ERA_43, /* 4.3 (compile time, mem/tlsf.c): alloc_info {file, func, ulong line} */
	HW_TLSF_ERA_44, /* 4.4 -> master: alloc_info {file, func, mname, uint line} */
	HW_TLSF_ERA_COUNT
};

struct hw_tlsf_layout {
	/* era: enum hw_tlsf_era; align (ALIGN_SIZE) is TLSF's name of roundto */
	HW_LAYOUT_HEAD(union {
		uint32_t roundto;
		uint32_t align;
	});
	/* block_header_t */
	uint32_t hdr_size, h_prev_phys, h_file, h_func, h_mname, h_line, h_line_size, h_size,
	    h_next_free, h_prev_free;
	uint32_t start_offset; /* user pointer - header */
	uint32_t overhead;     /* block_header_overhead: bytes a block costs besides its size */
	uint32_t size_min;     /* block_size_min */
	/* control_t */
	uint32_t control_size, c_total_size, c_allocated, c_real_used, c_max_used, c_fragments,
	    c_max_fragments, c_fl_bitmap, c_sl_bitmap, c_blocks;
	/* constants */
	uint32_t fl_count, sl_count, sl_log2, fl_shift, fl_max;
};

const char *hw_tlsf_era_name(enum hw_tlsf_era era);
struct hw_error *hw_tlsf_profile(enum hw_tlsf_era era, bool debug, uint32_t word,
				 struct hw_tlsf_layout *ret);
size_t hw_tlsf_profiles(struct hw_tlsf_layout *out, size_t cap);
struct hw_error *hw_tlsf_profile_by_name(const char *name, struct hw_tlsf_layout *ret);
/* From DWARF (block_header_t, control_t of tlsf_malloc.c). HW_ERR_LOOKUP if absent. */
struct hw_error *hw_tlsf_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					   struct hw_tlsf_layout *ret);
/* The free list (mapping_insert) a free block of @size belongs to. */
void hw_tlsf_mapping(const struct hw_tlsf_layout *l, uint64_t size, uint32_t *fl, uint32_t *sl);

/* ---- OpenSIPS hp_malloc (opensips-memory.md) ---- */

enum hw_hp_era {
	HW_HP_ERA_OPENSIPS, /* 2.4-4.0 */
	HW_HP_ERA_COUNT
};

struct hw_hp_layout {
	HW_LAYOUT_HEAD(uint32_t roundto); /* ROUNDTO is 8 whatever the word */
	/* struct hp_frag: free when prev (the link that points at it) is set */
	uint32_t frag_size, f_size, f_prev, f_nxt_free, f_file, f_func, f_line, f_stat;
	/* struct hp_block */
	uint32_t block_size, b_size, b_used, b_real_used, b_max_real_used, b_frags, b_first_frag,
	    b_last_frag, b_free_hash;
	/* struct hp_frag_lnk: is_optimized (a char), first, [no, total_no] */
	uint32_t lnk_size, l_optimized, l_first, l_no;
	/*
	 * HP_HASH_SIZE buckets, then extra_hash_size more into which an
	 * optimized bucket h spreads its fragments (HP_HASH_SIZE + h *
	 * shm_secondary_hash_size + i); the optimize constants; first_frag - block
	 */
	uint32_t hash_size, extra_hash_size, optimize, optimize_factor, first_off;
};

const char *hw_hp_era_name(enum hw_hp_era era);
/*
 * An hp_malloc profile of OpenSIPS release @rel (2.4, 3.0, 3.1+: the later
 * ones share it): DBG_MALLOC, SHM_EXTRA_STATS, word size 4/8.
 */
struct hw_error *hw_hp_profile(enum hw_os_release rel, bool debug, bool extra_stats, uint32_t word,
			       struct hw_hp_layout *ret);
size_t hw_hp_profiles(struct hw_hp_layout *out, size_t cap);
struct hw_error *hw_hp_profile_by_name(const char *name, struct hw_hp_layout *ret);
/* From DWARF (struct hp_frag, hp_block, hp_frag_lnk); HW_ERR_LOOKUP if absent. */
struct hw_error *hw_hp_layout_from_dwarf(struct hw_dwarf *dw, uint32_t word,
					 struct hw_hp_layout *ret);
/* GET_HASH and UN_HASH of hp_malloc. */
uint64_t hw_hp_hash(const struct hw_hp_layout *l, uint64_t size);
uint64_t hw_hp_unhash(const struct hw_hp_layout *l, uint64_t h);

#endif
