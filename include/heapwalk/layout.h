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

/* The memory managers Kamailio can be built with. */
enum hw_manager { HW_MGR_UNKNOWN, HW_MGR_QM, HW_MGR_FM, HW_MGR_TLSF };

/* An offset that does not exist in this variant. */
#define HW_NO_OFF UINT32_MAX

/* q_malloc eras with distinct layouts (kamailio-memory.md §2, §9.1). */
enum hw_qm_era {
	HW_QM_ERA_OLD,       /* SER 0.9, OpenSER 1.x, Kamailio 3.0-4.1 */
	HW_QM_ERA_42,        /* 4.2-4.3: block gains type, ffrags */
	HW_QM_ERA_44,        /* 4.4-5.7: fragment gains mname */
	HW_QM_ERA_58,        /* 5.8-6.1: ROUNDTO 16, reserved words, long type */
	HW_QM_ERA_MASTER,    /* after 6.1: reserved1 before check */
	HW_QM_ERA_MASTER_BT, /* after 6.1 with the backtrace array */
	HW_QM_ERA_COUNT
};

struct hw_qm_layout {
	char name[64];    /* profile name ("qm-4.4-5.7-dbg-lp64") or "dwarf" */
	char source[320]; /* "profile:qm-4.4-5.7-dbg-lp64" or "dwarf:/path/to/file" */
	enum hw_qm_era era;
	uint32_t word;    /* 4 or 8 */
	uint32_t roundto;
	bool debug;
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

#endif
