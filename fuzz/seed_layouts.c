/*
 * seed_layouts.c - compiled with -g into the DWARF harness's seeds: the
 * memory managers' structs with the member names heapwalk looks up, laid
 * out as kamailio-memory.md's tables give them (4.4-5.7 debug).
 */
struct qm_frag {
	unsigned long size;
	union {
		struct qm_frag *nxt_free;
		long is_free;
	} u;
	const char *file, *func, *mname;
	unsigned long line, check;
};
struct qm_frag_end {
	unsigned long check1, check2, reserved1, reserved2, size;
	struct qm_frag *prev_free;
};
struct qm_frag_lnk {
	struct qm_frag head;
	struct qm_frag_end tail;
	unsigned long no;
};
struct qm_block {
	int type;
	unsigned long size, used, real_used, max_real_used, ffrags;
	struct qm_frag *first_frag;
	struct qm_frag_end *last_frag_end;
	struct qm_frag_lnk free_hash[2099];
};
struct fm_frag {
	unsigned long size;
	struct fm_frag *next_free, *prev_free;
	unsigned int is_free;
	const char *file, *func, *mname;
	unsigned long line;
	unsigned int check;
};
struct fm_frag_lnk {
	struct fm_frag *first;
	unsigned long no;
};
struct fm_block {
	int type;
	unsigned long size, used, real_used, max_real_used, ffrags;
	struct fm_frag *first_frag, *last_frag;
	unsigned long free_bitmap[33];
	struct fm_frag_lnk free_hash[2099];
};
typedef struct alloc_info_t {
	const char *file, *func, *mname;
	unsigned int line;
} alloc_info_t;
typedef struct block_header_t {
	struct block_header_t *prev_phys_block;
	alloc_info_t alloc_info;
	unsigned long size;
	struct block_header_t *next_free, *prev_free;
} block_header_t;
typedef struct control_t {
	block_header_t block_null;
	unsigned long total_size, allocated, real_used, max_used, fragments, max_fragments;
	unsigned int fl_bitmap;
	unsigned int sl_bitmap[32];
	block_header_t *blocks[32][32];
} control_t;

struct qm_block *mem_block;
struct fm_block *fm_mem_block;
control_t *tlsf_control;
struct {
	const char *mname;
	void *mem_pool, *mem_block;
} _pkg_root;
