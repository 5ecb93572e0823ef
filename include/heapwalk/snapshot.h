/*
 * snapshot.h - consistent copies of running processes, and the ELF core
 * files heapwalk keeps them in.
 *
 * A snapshot stops the processes briefly (PTRACE_SEIZE + PTRACE_INTERRUPT,
 * every thread), copies their writable memory, and lets them go again
 * (PTRACE_DETACH, re-delivering any signal that arrived meanwhile) before
 * anything is walked. The target is only ever read: COW-shared pages are
 * read through /proc/PID/mem so that no page gets unshared, pages that were
 * never touched are not read at all (no memory gets allocated in the
 * target), and heapwalk's own signals are blocked while processes are held.
 * If heapwalk dies anyway, the kernel releases its tracees.
 *
 * Each process becomes an ELF core image (the format gdb and the kernel
 * write: PT_LOAD per mapping, NT_PRSTATUS per thread, NT_PRPSINFO,
 * NT_AUXV, NT_FILE), kept in an anonymous memory file. A shared mapping
 * (Kamailio's shm) is copied once, into the image of the first process of
 * the list that maps it; the other images list it as not saved.
 *
 * The snapshot file (hw_snapshot_write) is the first process's image as a
 * standard core, plus, hidden from other tools in program headers of types
 * PT_HW_NOTE / PT_HW_LOAD (PT_LOOS range), the images of the other
 * processes. gdb and `heapwalk --core FILE` read it as the first process;
 * hw_snapshot_load gives back every process.
 *
 * Not here: finding pools (pool.h), walking (alloc.h).
 */
#ifndef HEAPWALK_SNAPSHOT_H
#define HEAPWALK_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_target;
struct hw_elf;
struct hw_target_files;
struct hw_target_opts;

struct hw_snapshot_opts {
	bool no_stop;		  /* copy while the processes run: torn reads possible */
	unsigned stop_timeout_ms; /* how long a thread may take to stop; 0: 2000 */
	uint64_t max_bytes;	  /* refuse to copy more than this; 0: 16 GiB */
	/*
	 * Processes held only while the shared mappings are copied (the rest
	 * of a Kamailio instance, when one process is snapshotted): shm is
	 * written by every process, so all of them must stand still.
	 */
	const int *also_stop;
	size_t nalso_stop;
	/* Keep the processes stopped this long after copying shm (tests of the release paths);
	 * it counts against max_stop_ms. */
	unsigned hold_ms;
	/*
	 * Never hold a process longer than this while copying: past it the copy
	 * stops, every process is released and the snapshot fails, saying so.
	 * 0: HW_SNAPSHOT_MAX_STOP_MS. Not with no_stop (nothing is held).
	 */
	unsigned max_stop_ms;
	/*
	 * Return with every process still held, for the caller to walk what
	 * it needs and then call hw_snapshot_release. A shared writable
	 * mapping is then not copied but mapped read-only from
	 * /proc/PID/map_files (needs CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE;
	 * HEAPWALK_SHM_COPY=1 in the environment forbids it) and read in
	 * place. Where nothing can be mapped so, the snapshot is taken as
	 * without hold (copied, released before it returns). max_stop_ms
	 * bounds the whole hold: past it a timer lets the processes go and
	 * the release fails. Not with no_stop.
	 */
	bool hold;
	/*
	 * The address (in the processes, shared) of a 32-bit word that is 0
	 * while no process is inside the allocator: the shm lock. Stopped
	 * while it is not 0, a process was caught holding the lock, the heap
	 * half updated: everyone is let go and stopped again, at most
	 * HW_SNAPSHOT_QUIET_TRIES times. 0: not checked.
	 */
	uint64_t quiet_word;
};
#define HW_SNAPSHOT_MAX_STOP_MS 1000u
#define HW_SNAPSHOT_QUIET_TRIES 8u

struct hw_snapshot_proc {
	int pid, ppid;
	int ns_pid;    /* its pid in its own pid namespace (a container), 0: the same as ours */
	char comm[17]; /* sanitised */
	unsigned nthreads;
	bool stopped;		       /* held while its memory was copied */
	bool was_stopped;	       /* already stopped by a signal (SIGSTOP): left stopped */
	uint64_t stop_ns;	       /* how long it was held by heapwalk */
	uint64_t copied;	       /* bytes read from this process */
	uint64_t copied_while_stopped; /* bytes read from any process while this one was held */
	uint64_t shared_elsewhere;     /* bytes of shared mappings saved in another image */
	uint64_t unreadable;	       /* bytes that could not be read (not saved) */
	uint64_t skipped_zero; /* bytes never touched by the process, known zero, not read */
	uint64_t in_place;     /* bytes of shared mappings read in place, not copied (hold) */
	/* internal: the image */
	int fd;	    /* memory file or file holding the image; -1 if none */
	char *path; /* the image's own file (first process of a loaded file), or NULL */
};

struct hw_snapshot {
	struct hw_snapshot_proc *procs;
	size_t nprocs;
	struct hw_snapshot_proc *held; /* the also_stop processes: pid, stop_ns */
	size_t nheld;
	bool stopped;	  /* taken with the processes stopped (not no_stop) */
	bool live;	  /* taken now (false: loaded from a file) */
	uint64_t time_ns; /* CLOCK_REALTIME when taken (0 if unknown) */
	uint64_t wall_ns; /* from the first stop to the last release */
	char *source;	  /* "live" or the file it was loaded from */
	/* hold: shared mappings read in place while the processes are held */
	struct hw_snapshot_live *inplace;
	size_t ninplace;
	bool holding;  /* taken with hold and not released yet */
	bool released; /* released after a hold: the in-place mappings are no longer read */
	/* quiet_word: the stops let go because the lock was held; whether it still was */
	unsigned quiet_retries;
	bool quiet_watched, quiet_busy;
	struct hw_snapshot_hold *hold; /* internal: the held processes */
};

/* A shared mapping of process procs[proc], read in place at @data. */
struct hw_snapshot_live {
	size_t proc;
	uint64_t start, len;
	const void *data;
};

/*
 * The Kamailio instance @pid belongs to: the topmost ancestor running the
 * same executable file (the main process) and all its descendants running
 * it, main first. Caller frees *pids_ret.
 */
struct hw_error *hw_instance_find(int pid, int **pids_ret, size_t *n_ret);

/*
 * Where @pid's executable has its first page (file offset 0) mapped, for
 * its load bias (hw_elf_load_bias). HW_ERR_LOOKUP if it is not mapped so.
 */
struct hw_error *hw_live_exe_start(int pid, uint64_t *start_ret);

/*
 * Snapshot @n processes (distinct pids). All are stopped together; each is
 * released as soon as its memory is copied. Errors: HW_ERR_OS with EPERM
 * (no ptrace permission), ESRCH (no such process); HW_ERR_INVALID_ARG. A
 * process that exits during the snapshot is an error. The caller owns
 * *ret (hw_snapshot_destroy).
 */
struct hw_error *hw_snapshot_take(const int *pids, size_t n, const struct hw_snapshot_opts *opts,
				  struct hw_snapshot **ret);

/*
 * Let the processes of a snapshot taken with hold go (nothing if there are
 * none), and fill in how long each was held. Fails if the hold outlasted
 * max_stop_ms (the processes were let go then, and what was read in place
 * since is not to be trusted) or a process changed its mappings while being
 * stopped. Then call hw_snapshot_withdraw on every target opened from it.
 */
struct hw_error *hw_snapshot_release(struct hw_snapshot *s);

/* After hw_snapshot_release: reads of @t in the in-place mappings fail from now on. */
void hw_snapshot_withdraw(const struct hw_snapshot *s, struct hw_target *t);

/*
 * Open process @i of the snapshot as a target. @topts may be NULL; its
 * exe_path and sysroot are used, core_path is ignored (for a live snapshot
 * the default sysroot is /proc/PID/root, so the files are those the process
 * sees). The target does not depend on the snapshot afterwards, but for
 * the shared mappings read in place (hold), which live as long as the
 * snapshot.
 */
struct hw_error *hw_snapshot_open(const struct hw_snapshot *s, size_t i,
				  const struct hw_target_opts *topts, struct hw_target **ret);

/*
 * The files running process @pid maps, opened into @files now, as
 * hw_snapshot_open would open them (@sysroot, else the process's root):
 * before a hold, so that opening the held process's image finds them
 * open. *exe_ret: its executable among them (/proc/PID/exe), NULL if not
 * usable; owned by @files. Best effort: what cannot be opened is left for
 * hw_snapshot_open to report. Only running out of memory is an error.
 */
struct hw_error *hw_snapshot_preopen(int pid, const char *sysroot, struct hw_target_files *files,
				     const struct hw_elf **exe_ret);
/* The root running process @pid sees, as a sysroot: /proc/PID/root; NULL if it is ours. */
char *hw_snapshot_root(int pid);

/*
 * Write the snapshot to @path as one ELF core file (see above); zero pages
 * become holes. *bytes_ret (may be NULL) gets the file's size.
 */
struct hw_error *hw_snapshot_write(const struct hw_snapshot *s, const char *path,
				   uint64_t *bytes_ret);

/*
 * Load a core file: a heapwalk snapshot file gives all its processes, any
 * other core (gcore, kernel) one process.
 */
struct hw_error *hw_snapshot_load(const char *path, struct hw_snapshot **ret);

/* The index of the process with @pid, or -1. */
long hw_snapshot_find(const struct hw_snapshot *s, int pid);

void hw_snapshot_destroy(struct hw_snapshot *s);

#endif
