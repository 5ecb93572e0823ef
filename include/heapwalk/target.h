/*
 * target.h - a target: one process image heapwalk reads (today: an ELF core
 * file; later a live pid or a snapshot), with its address space, word size,
 * executable and symbols.
 *
 * A target owns everything it opened: the mapped core, the on-disk files
 * named by the core's NT_FILE note (opened read-only under the sysroot, only
 * when they are ELF files whose build-id agrees with what the core saved of
 * them), and the executable. No global state: two targets can be open at
 * once.
 *
 * Not here: DWARF (debuginfo.h), heap layouts (layout.h).
 */
#ifndef HEAPWALK_TARGET_H
#define HEAPWALK_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_mem;
struct hw_elf;

/* One NT_FILE entry of a core. */
struct hw_mapping {
	uint64_t start;
	uint64_t end;
	uint64_t file_offset; /* bytes (NT_FILE pages already multiplied by the page size) */
	char *path;	      /* as recorded in the core, sanitised for printing */
	char *opened_path;    /* the path actually opened (sysroot applied), NULL if not opened */
	struct hw_elf *elf;   /* shared between mappings of the same file; NULL if not opened */
	const char *status;   /* static text: "ok", "not found", "not an ELF file",
				 "build-id differs from the core", "not a regular file", ... */
};

/*
 * Files opened once for several targets: the processes of one instance map
 * the same executable and libraries. Each target still checks every file
 * against what its own core recorded (build-id); the table only saves
 * opening and reading them again. It must outlive every target opened with
 * it, and targets sharing it are opened on one thread at a time.
 */
struct hw_target_files;
struct hw_target_files *hw_target_files_create(void); /* NULL: out of memory */
void hw_target_files_destroy(struct hw_target_files *f);

struct hw_target_opts {
	const char *core_path;	/* required */
	const char *exe_path;	/* NULL: the executable the core names (NT_FILE / auxv) */
	const char *sysroot;	/* NULL or "": none; else prefix for every path the core names */
	uint64_t max_core_size; /* a compressed core decompressing to more is refused; 0: 32 GiB */
	struct hw_target_files *files; /* NULL: the target opens its own */
};

struct hw_target {
	struct hw_mem *mem; /* the address space */
	unsigned word_size; /* 4 or 8 */
	unsigned elf_class; /* ELFCLASS32 / ELFCLASS64 */
	unsigned machine;   /* EM_* of the core */
	int pid;	    /* NT_PRSTATUS pr_pid of the first thread, 0 if unknown */
	int ns_pid;	    /* a live process's pid in its own pid namespace, 0: same as pid */
	char *sysroot;	    /* the root the files were looked up beneath (owned), NULL: "/" */
	char comm[17];	    /* NT_PRPSINFO pr_fname, sanitised ("" if none) */
	char psargs[81];    /* NT_PRPSINFO pr_psargs, sanitised ("" if none) */
	char *source_path;  /* the core file path as given */

	struct hw_elf *exe;	   /* the executable, NULL if it could not be opened */
	char *exe_path;		   /* path of the executable as opened (NULL if none) */
	char *exe_path_in_core;	   /* path the core names for it, sanitised (NULL if unknown) */
	uint64_t exe_bias;	   /* load bias: runtime address = link-time address + bias */
	bool exe_build_id_checked; /* the core saved the exe's build-id and it matched */

	struct hw_mapping *mappings; /* NT_FILE entries in core order */
	size_t nmappings;

	struct hw_target_private *priv;
};

/*
 * Open a core file, plain or compressed with zstd, xz or lz4 (recognised by
 * its magic bytes; decompressed into an unlinked temporary file). Fails
 * (HW_ERR_BAD_DATA) for a file that is not an ELF core of a supported
 * class/endianness (little-endian ELFCLASS32/64); a truncated core opens,
 * with the lost ranges marked missing ("core file truncated"). A missing
 * executable is not an error here (exe stays NULL): callers decide. An
 * explicit opts->exe_path that cannot be opened as an ELF file is an
 * error. The caller owns *ret (hw_target_destroy).
 */
struct hw_error *hw_target_open_core(const struct hw_target_opts *opts, struct hw_target **ret);
void hw_target_destroy(struct hw_target *t);

/* Runtime address and size of a symbol of the executable (bias applied). HW_ERR_LOOKUP if absent.
 */
struct hw_error *hw_target_symbol(const struct hw_target *t, const char *name, uint64_t *addr_ret,
				  uint64_t *size_ret);

/* Little-endian reads of target words; word = t->word_size bytes, zero-extended. */
struct hw_error *hw_target_read_word(const struct hw_target *t, uint64_t addr, uint64_t *ret);
struct hw_error *hw_target_read_u32(const struct hw_target *t, uint64_t addr, uint32_t *ret);
struct hw_error *hw_target_read_u64(const struct hw_target *t, uint64_t addr, uint64_t *ret);

/*
 * Read a string at @addr and sanitise it (hw_sanitise) into @out of @cap
 * bytes. Strings longer than the cap are cut. A fault is an error.
 */
struct hw_error *hw_target_read_string(const struct hw_target *t, uint64_t addr, char *out,
				       size_t cap);

/* The NT_FILE mapping containing @addr, or NULL. */
const struct hw_mapping *hw_target_mapping_at(const struct hw_target *t, uint64_t addr);

/*
 * Open a running process: a snapshot of it (stopped briefly, every thread,
 * unless @no_stop) opened like a core; see snapshot.h for instances and
 * for control over the snapshot. @opts may be NULL (core_path is ignored).
 * Errors as hw_snapshot_take. The caller owns *ret.
 */
struct hw_error *hw_target_open_pid(int pid, const struct hw_target_opts *opts, bool no_stop,
				    struct hw_target **ret);

/* systemd-coredump's store (coredump.c); HEAPWALK_COREDUMP_DIR overrides it. */
#define HW_COREDUMP_DIR "/var/lib/systemd/coredump"

/* A core systemd-coredump stored, as hw_coredump_find chose it. */
struct hw_coredump {
	char core_path[4096]; /* the store's directory and the file's name */
	char exe_path[4096];  /* its executable under the sysroot, if there ("": the core's own) */
	int pid;	      /* as recorded (the initial pid namespace's) */
	uint64_t usec;	      /* when it dumped, microseconds since the Epoch */
	char chosen[10240];   /* one line: the file, pid, time, executable, signal */
};

/* A --coredump selector: "latest" or a process id. */
bool hw_coredump_selector_ok(const char *sel);

/*
 * Choose a stored core in @dir (NULL: $HEAPWALK_COREDUMP_DIR, else
 * HW_COREDUMP_DIR): for "latest" the newest whose comm or executable is
 * kamailio, for a pid the newest of that pid. Metadata from the file's
 * user.coredump.* attributes, else from its name. Only regular files in
 * @dir itself count (a symlink is refused). HW_ERR_INVALID_ARG for a bad
 * selector, HW_ERR_OS when @dir cannot be read, HW_ERR_LOOKUP when no
 * stored core fits.
 */
struct hw_error *hw_coredump_find(const char *sel, const char *dir, const char *sysroot,
				  struct hw_coredump *ret);

#endif
