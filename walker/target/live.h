/*
 * live.h - internal to walker/target: what /proc says about a running
 * process (mappings, threads, identity), the ELF core image heapwalk builds
 * from a snapshot, and the note formats it writes. Not a public interface.
 *
 * Everything read from /proc is treated like any other untrusted input:
 * lines are length-bounded, numbers range-checked, paths kept raw here and
 * sanitised by whoever prints them.
 */
#ifndef HEAPWALK_TARGET_LIVE_H
#define HEAPWALK_TARGET_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct hw_error;

/* At most this many mappings per process are used (a Kamailio has a few hundred). */
#define LIVE_MAX_MAPS 65536
/* At most this many threads per process are stopped. */
#define LIVE_MAX_TASKS 4096

enum {
	LM_R = 1,
	LM_W = 2,
	LM_X = 4,
	LM_SHARED = 8,
};

enum live_map_kind {
	LM_ANON, /* anonymous memory, [heap], [stack], shmem such as "/dev/zero (deleted)" */
	LM_FILE, /* a regular file (NT_FILE entry) */
	LM_VDSO, /* [vdso]: copied, not in NT_FILE */
	LM_SKIP, /* [vvar], [vsyscall], device memory: never read */
};

struct live_map {
	uint64_t start, end, offset;
	unsigned perms;
	unsigned dev_major, dev_minor;
	uint64_t inode;
	char *path; /* as /proc shows it (raw bytes), "" for anonymous; owned */
	enum live_map_kind kind;
};

struct live_maps {
	struct live_map *v;
	size_t n;
};

/* Read a whole /proc file (at most @max bytes); *buf_ret is NUL-terminated and owned. */
struct hw_error *live_read_file(const char *path, size_t max, char **buf_ret, size_t *len_ret);
/* Parse /proc/PID/maps. */
struct hw_error *live_read_maps(int pid, struct live_maps *ret);
void live_maps_free(struct live_maps *m);
/* Whether two readings agree on the mappings that matter for a copy (writable ones). */
bool live_maps_same_writable(const struct live_maps *a, const struct live_maps *b);

struct live_stat {
	char state;
	int ppid, pgrp, sid;
	long nice;
	unsigned long flags;
	unsigned long long starttime;
	char comm[17]; /* raw, NUL-terminated */
	unsigned uid, gid;
	long num_threads;
	int ns_pid; /* its pid in its own pid namespace when that is not ours, else 0 */
};
/* /proc/PID/stat and the Uid/Gid/NSpid lines of /proc/PID/status. */
struct hw_error *live_read_stat(int pid, struct live_stat *ret);
/* The number of threads of @pid (/proc/PID/stat), -1 if unknown. */
long live_thread_count(int pid);
/* The thread ids of /proc/PID/task, ascending; the caller frees *tids_ret. */
struct hw_error *live_list_tasks(int pid, pid_t **tids_ret, size_t *n_ret);
/* /proc/PID/cmdline with NULs turned into spaces, cut to @cap-1 bytes (raw). */
void live_read_psargs(int pid, char *out, size_t cap);
/* The ELF identity of /proc/PID/exe: class and machine. */
struct hw_error *live_exe_ident(int pid, unsigned *class_ret, unsigned *machine_ret);
/* Device and inode of the file /proc/PID/exe refers to. */
struct hw_error *live_exe_id(int pid, uint64_t *dev_ret, uint64_t *ino_ret);

/* ---- ELF core images (corefile.c) ---- */

#define IMG_PAGE 4096u
/* More program headers would need extended numbering; no process has that many mappings. */
#define IMG_MAX_LOADS 65000u

struct img_load {
	uint64_t vaddr, memsz;
	uint64_t filesz;    /* bytes saved */
	uint64_t offset;    /* in the image file, page aligned (0 when filesz is 0) */
	uint32_t flags;	    /* PF_R | PF_W | PF_X */
	const uint8_t *src; /* where the saved bytes are (parse/build), may be NULL */
};

/* One process's image: its notes and its segments. */
struct img_desc {
	unsigned cls, machine;
	const uint8_t *notes;
	size_t notes_len;
	size_t notes_align;
	struct img_load *loads;
	size_t nloads;
	/* set by img_layout */
	uint64_t phoff, notes_off, size;
};

/* Assign the file offsets (loads' offset, notes_off, size) for a standard core image. */
struct hw_error *img_layout(struct img_desc *d);
/* Write the ELF header, PT_NOTE and PT_LOAD headers and the notes at the start of @buf. */
void img_put_headers(const struct img_desc *d, uint8_t *buf);
/*
 * Parse an ELF core image of @size bytes at @map (untrusted): the first
 * PT_NOTE and the PT_LOADs (loads' src point into @map; filesz cut to what
 * the file holds). The caller frees d->loads.
 */
struct hw_error *img_parse(const uint8_t *map, size_t size, const char *what, struct img_desc *ret);
/* pid / comm from an image's notes (NT_PRSTATUS, NT_PRPSINFO, HEAPWALK notes). */
struct hw_snapshot_proc;
void img_read_proc_notes(const uint8_t *notes, size_t len, size_t align, unsigned cls,
			 struct hw_snapshot_proc *p);

/* A growing note section. */
struct notebuf {
	uint8_t *buf;
	size_t len, cap;
	bool oom;
};
/* Append a note (4-byte alignment); returns the offset of its desc in the buffer. */
size_t note_add(struct notebuf *nb, const char *name, uint32_t type, const void *desc,
		size_t descsz);

/* Write into a memory file: a fresh anonymous file of @size bytes, mapped writable. */
struct hw_error *img_memfile(uint64_t size, int *fd_ret, uint8_t **map_ret);

/* Names and types of heapwalk's own core contents. */
#define HW_NOTE_OWNER "HEAPWALK"
/*
 * Note types no tool knows (bfd and gdb act on a core note's type whatever
 * its owner name, so the small numbers NT_PRSTATUS etc. must be avoided).
 */
#define HW_NT_PROC 0x48570001u /* key=value text about one process of a snapshot */
#define HW_NT_SNAPSHOT                                                                             \
	0x48570002u /* key=value text about the whole snapshot (first image only)                  \
		     */
/* Program header types of the other processes of a multi-process file (PT_LOOS range). */
#define PT_HW_NOTE 0x68770001u
#define PT_HW_LOAD 0x68770002u

#endif
