/*
 * elfsym.h - ELF files on disk: identity and symbol tables.
 *
 * An hw_elf is an ELF file opened read-only and mapped, with its build-id,
 * .gnu_debuglink and merged symbol table (.symtab and .dynsym; .symtab wins
 * for duplicate names). Values are link-time addresses; add the load bias
 * yourself. Built on libelf.
 */
#ifndef HEAPWALK_ELFSYM_H
#define HEAPWALK_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_error;
struct hw_elf;

struct hw_elf_symbol {
	uint64_t value; /* st_value, unbiased */
	uint64_t size;
	unsigned char type; /* STT_* */
};

/*
 * Open @path read-only. Fails with HW_ERR_BAD_DATA if the file is not an
 * ELF file (checked before anything else is read from it). The result is
 * owned by the caller (hw_elf_close).
 */
struct hw_error *hw_elf_open(const char *path, struct hw_elf **ret);
void hw_elf_close(struct hw_elf *elf);

const char *hw_elf_path(const struct hw_elf *elf);
unsigned hw_elf_class(const struct hw_elf *elf);   /* ELFCLASS32 / ELFCLASS64 */
unsigned hw_elf_machine(const struct hw_elf *elf); /* EM_* */
unsigned hw_elf_type(const struct hw_elf *elf);	   /* ET_EXEC / ET_DYN / ET_CORE ... */
uint64_t hw_elf_entry(const struct hw_elf *elf);
/* The whole file, mapped read-only. */
const void *hw_elf_data(const struct hw_elf *elf, size_t *size_ret);
/* Build-id bytes (NULL, 0 if none); owned by the hw_elf. */
const uint8_t *hw_elf_build_id(const struct hw_elf *elf, size_t *len_ret);
/* .gnu_debuglink file name (NULL if none), owned by the hw_elf. */
const char *hw_elf_debuglink(const struct hw_elf *elf);
/* Whether the file has a .debug_info section. */
bool hw_elf_has_debug_info(const struct hw_elf *elf);
/* Whether the file has a .symtab (not just .dynsym). */
bool hw_elf_has_symtab(const struct hw_elf *elf);

/* Lowest p_vaddr of PT_LOAD segments with p_offset 0 (or of the first PT_LOAD), for the bias. */
uint64_t hw_elf_first_load_vaddr(const struct hw_elf *elf);

/*
 * The load bias (runtime address = link-time address + bias) of the file
 * mapped with its first page (file offset 0) at @start, in pages of
 * @page_size bytes (a power of two).
 */
uint64_t hw_elf_load_bias(const struct hw_elf *elf, uint64_t start, uint64_t page_size);

/*
 * Look up a defined symbol (st_shndx != SHN_UNDEF) by exact name. Returns an
 * HW_ERR_LOOKUP error if absent. O(1) average (hashed once on open).
 */
struct hw_error *hw_elf_symbol(const struct hw_elf *elf, const char *name,
			       struct hw_elf_symbol *ret);

/*
 * Read @len bytes at link-time virtual address @vaddr from the file's
 * PT_LOAD contents (file-backed part only). Used to read .rodata strings of
 * a binary directly.
 */
struct hw_error *hw_elf_read_vaddr(const struct hw_elf *elf, void *buf, uint64_t vaddr, size_t len);

/*
 * The link-time address of file offset @off, from the PT_LOAD segment whose
 * file-backed part holds it; false if none does.
 */
bool hw_elf_offset_vaddr(const struct hw_elf *elf, uint64_t off, uint64_t *vaddr_ret);

/*
 * The function (STT_FUNC / STT_GNU_IFUNC) whose range holds link-time
 * @vaddr: its name (owned by @elf) and start. A symbol of size 0 holds
 * everything up to the next function. The address index is built on the
 * first call (not thread-safe on one @elf). False if no function holds it.
 */
bool hw_elf_symbol_at(struct hw_elf *elf, uint64_t vaddr, const char **name_ret,
		      uint64_t *start_ret);

#endif
