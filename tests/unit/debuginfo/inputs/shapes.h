/* shapes.h - test input: structs shaped like Kamailio's memory-manager types. */
#ifndef SHAPES_H
#define SHAPES_H

#define QM_HASH_SIZE 37
#define FM_HASH_SIZE 19

struct qm_frag {
	unsigned long size;
	union {
		struct qm_frag *nxt_free;
		long is_free;
	} u;
	const char *file;
	const char *func;
	const char *mname;
	unsigned long line;
	unsigned long check;
};

struct qm_frag_end {
	unsigned long check1;
	unsigned long check2;
	unsigned long check3;
	unsigned long check4;
	unsigned long size;
	struct qm_frag *prev_free;
};

struct qm_frag_lnk {
	struct qm_frag head;
	struct qm_frag_end tail;
	unsigned long no;
};

struct qm_block {
	int type;
	unsigned long size;
	unsigned long used;
	unsigned long real_used;
	unsigned long max_real_used;
	unsigned long ffrags;
	struct qm_frag *first_frag;
	struct qm_frag_end *last_frag_end;
	struct qm_frag_lnk free_hash[QM_HASH_SIZE];
};

struct fm_frag {
	unsigned long size;
	union {
		struct fm_frag *nxt_free;
		long reserved;
	} u;
	struct fm_frag **prv_free;
	const char *file;
	const char *func;
	const char *mname;
	unsigned int line;
	unsigned int check;
};

struct fm_frag_lnk {
	struct fm_frag *first;
	unsigned long no;
};

/* cu_decl.c sees only "struct fm_block;"; this is the definition. */
struct fm_block {
	int type;
	unsigned long size;
	struct fm_frag *first_frag;
	struct fm_frag *last_frag;
	unsigned long free_bitmap[4];
	struct fm_frag_lnk free_hash[FM_HASH_SIZE];
	unsigned short matrix[3][5];
	volatile const unsigned char qualified[6];
};

typedef struct {
	const char *mname;
	void *mem_pool;
	void *mem_block;
	void *(*xmalloc)(void *, unsigned long, const char *, const char *, unsigned int,
			 const char *);
	void (*xfree)(void *, void *, const char *, const char *, unsigned int, const char *);
	void (*xstatus)(void *);
} sr_pkg_api_t;

typedef struct sr_shm_api {
	const char *mname;
	void *mem_pool;
	void *mem_block;
	void *(*xmalloc)(void *, unsigned long, const char *, const char *, unsigned int,
			 const char *);
	void *(*xmalloc_unsafe)(void *, unsigned long, const char *, const char *, unsigned int,
				const char *);
	void (*xfree)(void *, void *, const char *, const char *, unsigned int, const char *);
} sr_shm_api_t;

/* Typedef of a qualified typedef of an anonymous struct. */
typedef const sr_pkg_api_t sr_pkg_api_const_t;

struct process_table {
	int pid;
	int unix_sock;
	int idx;
	int status;
	int rank;
	char desc[128];
};

/* C11 anonymous members. */
struct anon_holder {
	int kind;
	union {
		long l;
		struct {
			short a;
			short b;
		} pair;
	};
	struct {
		int x;
		int y;
	};
};

struct with_flex {
	unsigned int n;
	char data[];
};

typedef int not_a_struct_t;

extern sr_pkg_api_t _pkg_root;
extern sr_shm_api_t _shm_root;
extern sr_pkg_api_const_t pkg_const_root;
extern struct process_table *pt;
extern int process_no;
extern struct qm_block *qm_main_block;
extern struct fm_block fm_main;
extern struct anon_holder anon;
extern struct with_flex *flex;
extern not_a_struct_t plain_int;

#ifdef EXTRA
/* Only in the "other build" of the dwz test. */
struct extra_shared {
	long a;
	long b;
};
extern struct extra_shared extra_shared_var;
#endif

void *def_static_addr(void);
void *decl_static_addr(void);

#endif
