/*
 * pool.h - finding the memory pools of a Kamailio target and recognising
 * their manager and layout.
 *
 * Evidence, strongest first: DWARF struct layouts; the block's own
 * fingerprint (first_frag - block, kamailio-memory.md §2.5); the version
 * and compile flags strings the binary exports; the manager name in
 * _pkg_root/_shm_root. Every pool records, in plain words, what was used.
 */
#ifndef HEAPWALK_POOL_H
#define HEAPWALK_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapwalk/layout.h"

struct hw_error;
struct hw_target;
struct hw_dwarf;
struct hw_allocator;

/*
 * pkg and shm, then the pools only some OpenSIPS instances have:
 * restart-persistent memory (rpm_block, 3.0+) and the shm debug pool
 * (shm_dbg_block, 3.4+), each run by a manager of its own.
 */
enum hw_pool_kind { HW_POOL_PKG, HW_POOL_SHM, HW_POOL_RPM, HW_POOL_SHM_DBG, HW_POOL_KIND_COUNT };

/* The first of the pools a target may not have. */
#define HW_POOL_OPTIONAL HW_POOL_RPM

struct hw_pool {
	enum hw_pool_kind kind;
	const char *name; /* "pkg", "shm", "rpm", "shm_dbg" */
	char manager[24]; /* "q_malloc", "f_malloc", "tlsf_malloc"; "" if unknown */
	/* the manager heapwalk walks the pool with (alloc.h), NULL if not recognised */
	const struct hw_allocator *alloc;
	/*
	 * Its layout, a struct hw_<mgr>_layout of @alloc (set when usable).
	 * Points into layout_mem when hw_pools_discover filled it (owned,
	 * freed by hw_pool_deinit); a caller that builds a pool by hand may
	 * point it at a layout of its own and leave layout_mem NULL.
	 */
	const struct hw_layout_head *layout;
	void *layout_mem;
	char root_symbol[16]; /* "_pkg_root", "mem_block", ... */
	uint64_t root;	      /* address of that symbol */
	uint64_t block;	      /* the manager's block */
	bool usable;	      /* a layout was found and heapwalk can walk this pool */
	char *problem;	      /* why not usable (owned), NULL if usable */
	char evidence[768];   /* '; '-separated reasons for manager and layout */
	bool no_strings;      /* no executable: site strings cannot be resolved */
	/* pkg only: Kamailio built without PKG_MALLOC serves pkg_malloc with the C library's
	 * malloc; nothing to walk, and no failure (not usable, problem HW_POOL_SYSTEM_TEXT) */
	bool system_alloc;
	/* an optional pool (rpm, shm_dbg) the target does not have: its global missing, NULL
	 * or pointing at nothing readable; not shown, and no failure */
	bool absent;
};

/* The pool kind named @name ("pkg", "shm", "rpm", "shm_dbg"), -1 if none. */
int hw_pool_kind_of(const char *name);

/* What heapwalk says of a pkg pool on the system allocator, everywhere. */
#define HW_POOL_SYSTEM_TEXT                                                                        \
	"pkg uses the system allocator (Kamailio built without PKG_MALLOC): use valgrind or "      \
	"heaptrack for it"

/* An OpenSIPS pool's allocator, from mem_allocator_pkg / mem_allocator_shm (3.0+). */
enum hw_os_mm { HW_OS_MM_UNKNOWN, HW_OS_MM_F, HW_OS_MM_Q, HW_OS_MM_HP, HW_OS_MM_PARALLEL };

/* What the binary says about itself, all optional (empty / false when unknown). */
struct hw_instance {
	char version[96];	 /* full_version, sanitised, trailing blanks removed */
	int major, minor;	 /* parsed from version, -1 if unknown */
	char flags[512];	 /* ver_flags, sanitised */
	bool debug_known, debug; /* from the flags */
	bool has_process_no;
	int process_no;
	bool has_pt;
	int pt_pid, pt_rank;
	char pt_desc[160];
	uint64_t pkg_mem_size, shm_mem_size; /* 0 if unknown */
	enum hw_product product;	     /* KAMAILIO unless OpenSIPS's marks are found */
	char product_why[96];		     /* what said OpenSIPS ("" for Kamailio) */
	/* OpenSIPS 3.0+, per pool kind: the allocator running it, and whether it is the
	 * *_DBG flavour that fills file/func/line (the fields exist in every packaged build) */
	bool os_mm_known[HW_POOL_KIND_COUNT];
	enum hw_os_mm os_mm[HW_POOL_KIND_COUNT];
	bool os_mm_dbg[HW_POOL_KIND_COUNT];
	int os_mm_value[HW_POOL_KIND_COUNT]; /* the raw enum value read */
};

/* What records allocation sites in @inst's server: said wherever a pool has none. */
static inline const char *hw_sites_need(const struct hw_instance *inst)
{
	return inst && inst->product == HW_PRODUCT_OPENSIPS
		   ? "a _DBG allocator flavour (-a Q_MALLOC_DBG, F_MALLOC_DBG or HP_MALLOC_DBG)"
		   : "a debug build (DBG_SR_MEMORY)";
}

struct hw_discover_opts {
	const char *layout_name;	    /* force a built-in profile (NULL: detect) */
	bool no_debuginfo;		    /* ignore DWARF even if @dw is given */
	const struct hw_allocator *manager; /* force a manager (NULL: detect) */
	bool has_block; /* walk the block at @block instead of looking for roots */
	uint64_t block;
	int block_kind; /* the pool @block is (enum hw_pool_kind), -1: from its header */
};

/*
 * Read the instance description and locate both pools. A pool that cannot
 * be walked is still returned, with usable=false and a problem text; a pkg
 * pool on the system allocator with system_alloc, which is no failure. Fails
 * (HW_ERR_LOOKUP) only when the target shows no sign of Kamailio at all
 * (none of _pkg_root, _shm_root, mem_block, shm_block). The caller owns
 * the pools' problem strings (hw_pool_deinit).
 */
struct hw_error *hw_pools_discover(const struct hw_target *t, struct hw_dwarf *dw,
				   const struct hw_discover_opts *opts, struct hw_instance *inst,
				   struct hw_pool pools[HW_POOL_KIND_COUNT]);
void hw_pool_deinit(struct hw_pool *pool);

/* Whether the pool is usable, with a manager heapwalk has a layout for. */
bool hw_pool_has_layout(const struct hw_pool *pool);
/* Whether the pool's layout records allocation sites (a debug build). */
bool hw_pool_debug(const struct hw_pool *pool);
/* "dwarf:/path" or "profile:NAME" of the pool's layout; "none" when not usable. */
const char *hw_pool_layout_source(const struct hw_pool *pool);

/* Plain facts about a usable pool's layout, whatever its manager. */
struct hw_layout_facts {
	const char *era; /* "4.4-5.7", "4.4+", ... */
	bool debug;
	uint32_t word;	  /* bytes */
	uint32_t roundto; /* ROUNDTO (TLSF: ALIGN_SIZE) */
	char sizes[256];  /* one line of the sizes that matter for this manager */
	char header[24];  /* fragment header (and trailer) bytes: "32+16" */
	uint32_t first;	  /* where the first fragment header lies from the block */
};
/* Fills @ret for a usable pool; returns false (and leaves @ret) when not usable. */
bool hw_pool_layout_facts(const struct hw_pool *pool, struct hw_layout_facts *ret);

#endif
