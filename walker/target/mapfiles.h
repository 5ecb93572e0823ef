/*
 * mapfiles.h - internal to walker/target: the files a core's NT_FILE list
 * names, each opened once.
 *
 * A core may spell one file many ways (/usr/lib//./libc.so.6 ...); every
 * distinct file (device and inode) is opened once and its ELF handle
 * shared by all spellings, and no more than HW_MAPFILES_MAX distinct files
 * are opened for one core. Under a sysroot a path is resolved beneath it,
 * as if it were /: symlinks and ".." never lead out (openat2's
 * RESOLVE_IN_ROOT checks the walk where the kernel has it).
 */
#ifndef HEAPWALK_TARGET_MAPFILES_H
#define HEAPWALK_TARGET_MAPFILES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct hw_elf;
struct hw_error;

/* More distinct files than a process maps in practice (Kamailio: about 200). */
#define HW_MAPFILES_MAX 512

struct hw_mapfile {
	dev_t dev;
	ino_t ino;
	struct hw_elf *elf; /* NULL: not usable, see why */
	const char *why;
};

struct hw_mapfiles {
	struct hw_mapfile *v;
	size_t n, cap;
};

/* target.h's table shared by several targets. */
struct hw_target_files {
	struct hw_mapfiles m;
};

/*
 * The ELF file at @raw (an absolute path the core recorded) under @sysroot
 * (NULL or "": none), which @path spells on the host (for messages and for
 * the handle's own path). *elf_ret is owned by @files, NULL with a status
 * in *why_ret if the file is not usable. Only running out of memory is an
 * error.
 */
struct hw_error *hw_mapfiles_open(struct hw_mapfiles *files, const char *sysroot, const char *raw,
				  const char *path, struct hw_elf **elf_ret, const char **why_ret);

/*
 * The path to open on the host for @raw, a path a core recorded, with
 * @sysroot applied; NULL and a status in *why_ret if it must not be opened
 * (NULL and no status: out of memory).
 */
char *hw_mapfiles_host_path(const char *raw, const char *sysroot, const char **why_ret);

/*
 * @raw opened now, as a core that names it would have it opened, so that
 * the next lookup of the same file finds it open; *elf_ret: its handle,
 * NULL if it cannot be used (remembered as such). Only running out of
 * memory is an error.
 */
struct hw_error *hw_mapfiles_preopen(struct hw_mapfiles *files, const char *sysroot,
				     const char *raw, struct hw_elf **elf_ret);

/* Close every file opened. */
void hw_mapfiles_free(struct hw_mapfiles *files);

#endif
