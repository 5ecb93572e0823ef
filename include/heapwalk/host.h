/*
 * host.h - the host view: what the kernel says about memory
 * (/proc/meminfo, /proc/slabinfo) and how the Kamailio instances running
 * on the host use theirs (/proc/PID/smaps, smaps_rollup, status, cmdline).
 *
 * Everything is read from a proc directory: /proc itself, or a saved copy
 * of its files (same names, DIR/PID/... for processes). Whatever cannot be
 * read (permissions: slabinfo is root-only, smaps needs the right to trace
 * the process) is not an error: it is left out and said in notes, and the
 * model records how much detail each number has.
 *
 * The files are untrusted input like a core: lines are length-checked,
 * counts bounded, strings sanitised.
 *
 * Not here: printing (report.h: hw_fmt_host, hw_fmt_host_slab).
 */
#ifndef HEAPWALK_HOST_H
#define HEAPWALK_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;

/* The /proc/meminfo fields the host view explains, all in bytes. */
enum hw_meminfo_field {
	HW_MI_MEMTOTAL,
	HW_MI_MEMFREE,
	HW_MI_MEMAVAILABLE,
	HW_MI_BUFFERS,
	HW_MI_CACHED,
	HW_MI_SWAPCACHED,
	HW_MI_SHMEM,
	HW_MI_SLAB,
	HW_MI_SRECLAIMABLE,
	HW_MI_SUNRECLAIM,
	HW_MI_ANONPAGES,
	HW_MI_MAPPED,
	HW_MI_KERNELSTACK,
	HW_MI_PAGETABLES,
	HW_MI_SWAPTOTAL,
	HW_MI_SWAPFREE,
	HW_MI_COUNT
};
/* The field's name as /proc/meminfo spells it. */
extern const char *const hw_meminfo_names[HW_MI_COUNT];

struct hw_meminfo {
	uint64_t bytes[HW_MI_COUNT];
	bool have[HW_MI_COUNT];
};

/*
 * How much of the memory in use is reclaimable. used = MemTotal - MemFree;
 * reclaimable = Buffers + (Cached - Shmem) + SReclaimable, at most used;
 * held = MemTotal - MemAvailable (what programs and the kernel keep; when
 * MemAvailable is missing, used - reclaimable).
 */
struct hw_mem_verdict {
	bool valid; /* MemTotal and MemFree were read */
	uint64_t used, reclaimable, held;
	bool mostly_reclaimable; /* reclaimable >= half of used */
};
void hw_meminfo_verdict(const struct hw_meminfo *mi, struct hw_mem_verdict *ret);

/* One /proc/slabinfo (2.x) line. */
struct hw_slab_cache {
	char name[64]; /* sanitised, cut */
	uint64_t active_objs, num_objs, objsize, objperslab, pagesperslab;
	uint64_t active_slabs, num_slabs;
	uint64_t cache_size; /* num_slabs * pagesperslab * page size, bytes */
};

struct hw_slab_totals {
	uint64_t active_objs, num_objs;
	uint64_t active_slabs, num_slabs;
	uint64_t active_caches, ncaches;   /* active: with at least one active object */
	uint64_t active_size, total_size;  /* sum of active_objs*objsize, num_objs*objsize */
	uint64_t cache_size;		   /* sum of cache_size */
	uint64_t min_objsize, max_objsize; /* over the caches with objects */
	uint64_t avg_objsize;		   /* total_size / num_objs */
};

struct hw_slabinfo {
	char version[16];
	uint64_t page_size;
	struct hw_slab_cache *caches;
	size_t ncaches;
	struct hw_slab_totals totals;
};

/*
 * Sort keys of showslab: 'a' active objects, 'c' cache size, 'l' slabs,
 * 'n' name, 'o' objects, 'p' objects per slab, 's' object size, 'u'
 * utilisation. Numbers sort largest first, names A-Z; ties by name.
 */
bool hw_slab_sort_key_ok(char key);
void hw_slab_sort(struct hw_slabinfo *si, char key);

/* How a process's memory is split. */
enum hw_host_part {
	HW_PART_SHM,  /* the shm pool: the shared /dev/zero (or SysV) mapping */
	HW_PART_PKG,  /* the mapping holding this process's pkg pool */
	HW_PART_ANON, /* other anonymous memory: system malloc, stacks, ... */
	HW_PART_FILE, /* file-backed: the executable, modules, libraries */
	HW_PART_COUNT
};
extern const char *const hw_host_part_names[HW_PART_COUNT]; /* "shm", "pkg", "anon", "file" */

/* Bytes; have_* false when the files read did not give the number. */
struct hw_host_usage {
	uint64_t rss, pss, swap;
	bool have_rss, have_pss;
};

enum hw_host_detail {
	HW_DETAIL_SMAPS,  /* per mapping: every part */
	HW_DETAIL_ROLLUP, /* smaps_rollup: totals, shm/anon/file PSS; pkg not told apart */
	HW_DETAIL_STATUS, /* status only: RSS of shm/anon/file; no PSS */
};

struct hw_host_proc {
	int pid, ppid;
	int ns_pid;    /* its pid in its own pid namespace (a container), 0: the same as pid */
	char name[32]; /* status Name:, sanitised */
	enum hw_host_detail detail;
	struct hw_host_usage part[HW_PART_COUNT];
	struct hw_host_usage total;
	bool pkg_found;
	uint64_t pkg_start, pkg_end; /* the mapping counted as pkg */
	bool shm_found;
	uint64_t shm_start, shm_end;
};

struct hw_host_instance {
	int main_pid; /* the topmost Kamailio process */
	/*
	 * The container it runs in: set when its main process has a pid of its
	 * own namespace or another root directory. pid_ns as /proc/PID/ns/pid
	 * names it ("pid:[4026532...]", "" unknown), root as /proc/PID/root
	 * names it to us (sanitised; "/" for a root that is a mount of its own).
	 */
	bool in_container;
	int main_ns_pid;
	char pid_ns[48];
	char root[256];
	char cmdline[512];	    /* of the main process, sanitised, arguments joined by spaces */
	struct hw_host_proc *procs; /* main first, then by pid */
	size_t nprocs;
	/* the configured pool sizes and where they were learnt */
	uint64_t shm_size, pkg_size;
	char shm_from[64], pkg_from[64]; /* "process memory", "-m 16", "mapping size", "default" */
	uint64_t pkg_pool;		 /* pkg pool address from process memory, 0 if unknown */
	/* sums over the processes; PSS sums count shared pages once */
	struct hw_host_usage part[HW_PART_COUNT], total;
	size_t nprocs_pss; /* how many processes gave PSS */
	/* verdict inputs */
	bool shm_nearly_full;	/* resident shm >= 90% of its size (high-water mark) */
	bool outside_dominates; /* anon outside the pools > the pools' resident memory */
};

struct hw_host_opts {
	const char *proc_dir;	       /* NULL: "/proc" */
	bool meminfo, slab, instances; /* what to read */
};

struct hw_host {
	char *proc_dir;
	bool live; /* reading /proc itself (process memory may be read) */
	bool have_meminfo;
	struct hw_meminfo mi;
	struct hw_mem_verdict verdict;
	bool have_slab;
	struct hw_slabinfo slab;
	bool instances_scanned;
	struct hw_host_instance *inst;
	size_t ninst;
	char **notes; /* what could not be read and what that costs, one line each */
	size_t nnotes;
};

/*
 * Read what @opts asks for. Errors only for running out of memory and for
 * a proc directory that cannot be opened at all; everything else becomes
 * a note. The caller owns *ret's contents (hw_host_deinit).
 */
struct hw_error *hw_host_read(const struct hw_host_opts *opts, struct hw_host *ret);
void hw_host_deinit(struct hw_host *h);

/*
 * Parsers, public for tests. Each reads a whole file's text (@len bytes,
 * need not be NUL-terminated).
 */
struct hw_error *hw_meminfo_parse(const char *text, size_t len, struct hw_meminfo *ret);
/* Fails (HW_ERR_BAD_DATA / HW_ERR_UNSUPPORTED) on a header other than "slabinfo - version: 2.x". */
struct hw_error *hw_slabinfo_parse(const char *text, size_t len, uint64_t page_size,
				   struct hw_slabinfo *ret);
void hw_slabinfo_deinit(struct hw_slabinfo *si);
/*
 * Kamailio's -m / -M (MiB) from its argument vector (@len bytes of
 * NUL-separated arguments, as /proc/PID/cmdline). 0 when not given.
 */
void hw_kamailio_mem_args(const char *args, size_t len, uint64_t *shm_mib, uint64_t *pkg_mib);

#endif
