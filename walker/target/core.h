/*
 * core.h - internal to walker/target: ELF core parsing, ELF note walking,
 * and the few hw_elf internals target.c needs. Not a public interface.
 *
 * hw_core_parse reads an ELF core already mapped in memory: it validates
 * the headers, adds the core's PT_LOAD contents to a mem (HW_MEM_LAYER_CORE)
 * together with the ranges the core knows of but did not save, and picks
 * out the notes heapwalk uses. Everything in the core is untrusted: every
 * offset, size and count is range-checked against the mapping.
 */
#ifndef HEAPWALK_TARGET_CORE_H
#define HEAPWALK_TARGET_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_mem;
struct hw_elf;

/* Longest build-id heapwalk keeps; longer ones are treated as absent. */
#define HW_BUILD_ID_MAX 64
/* At most this many NT_FILE entries are used; the rest are ignored. */
#define HW_CORE_MAX_FILES (1u << 20)

/* Reasons given for ranges the core knows of but cannot serve. */
#define HW_WHY_NOT_SAVED "memory not saved in core file"
#define HW_WHY_TRUNCATED "core file truncated"

/* One ELF note, pointing into the buffer it was read from. */
struct hw_note {
	uint32_t type;
	const char *name; /* namesz bytes, not necessarily NUL-terminated */
	size_t namesz;
	const uint8_t *desc;
	size_t descsz;
};

/*
 * Read the note at *@off of @buf (@len bytes; notes padded to @align, 4 or
 * 8) and advance *@off past it. Returns false at the end or on a malformed
 * note (which ends the walk).
 */
bool hw_note_next(const uint8_t *buf, size_t len, size_t align, size_t *off, struct hw_note *ret);
/* Whether the note's name is @name (with or without the terminating NUL). */
bool hw_note_name_is(const struct hw_note *n, const char *name);
/*
 * Find an NT_GNU_BUILD_ID note in @buf. Copies the id to @out (at least
 * HW_BUILD_ID_MAX bytes) and returns its length, or 0 if there is none.
 */
size_t hw_notes_build_id(const uint8_t *buf, size_t len, size_t align, uint8_t *out);

/*
 * Build-id of the ELF image whose first bytes the mem holds at @start (a
 * file mapping at file offset 0, saved by the core), read through its
 * program headers; only bytes inside [start, start+maplen) are used.
 * Returns the id length in @out, or 0 if it cannot be found.
 */
size_t hw_core_mapped_build_id(const struct hw_mem *mem, uint64_t start, uint64_t maplen,
			       uint8_t *out);

/* hw_elf internals. */
/*
 * hw_elf_open that also gives, on failure, a static one-word reason for
 * the mapping table: "not found", "permission denied", "not a regular
 * file", "not an ELF file", "unsupported ELF file", "bad ELF file",
 * "cannot open".
 */
struct hw_error *hw_elf_open_why(const char *path, struct hw_elf **ret, const char **why_ret);
/* Whether the file has a PT_INTERP program header (a dynamically linked program). */
bool hw_elf_has_interp(const struct hw_elf *elf);

/* One NT_FILE entry, raw. */
struct hw_core_file {
	uint64_t start;
	uint64_t end;
	uint64_t file_offset;
	char *path; /* raw bytes as recorded (NUL-terminated copy, may hold any byte but NUL) */
};

/* What a core says about itself. */
struct hw_core {
	unsigned elf_class;
	unsigned machine;
	unsigned word_size;
	int pid;
	char comm[17];
	char psargs[81];

	bool have_auxv;
	bool have_entry, have_phdr, have_execfn;
	uint64_t at_entry, at_phdr, at_execfn;

	uint64_t page_size; /* from NT_FILE, 0 if none */
	struct hw_core_file *files;
	size_t nfiles;
};

/*
 * Parse the core @map (@size bytes, read from @path, which is only used in
 * messages). Core segments go to @mem (which may hold some of them after a
 * failure). On success the caller owns ret's contents (hw_core_deinit).
 */
struct hw_error *hw_core_parse(const char *path, const uint8_t *map, size_t size,
			       struct hw_mem *mem, struct hw_core *ret);
void hw_core_deinit(struct hw_core *core);

#endif
