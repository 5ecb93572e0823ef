/*
 * fake_core.h - hand-made ELF64 core files for the hostile-input tests of
 * walker/target: exactly the headers a test asks for, nothing a real core
 * would add.
 */
#ifndef HW_TEST_FAKE_CORE_H
#define HW_TEST_FAKE_CORE_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

/* One NT_FILE entry. */
struct fake_file {
	uint64_t start, end, pgoff;
	const char *path;
};

/*
 * Write @img (@size bytes) to @path as an x86-64 core whose program header
 * table (@ph, @nph entries, offsets as given) follows the ELF header; the
 * first bytes of @img are overwritten by those headers.
 */
void fake_core_put(const char *path, uint8_t *img, size_t size, const Elf64_Phdr *ph, size_t nph);

/*
 * A minimal core: an NT_FILE note listing @files (its count replaced by
 * @count_override unless 0) and one PT_LOAD of 256 bytes of 0xab at
 * 0x70000 whose file contents start at @load_off (0: right after the note).
 */
void fake_core_nt_file(const char *path, const struct fake_file *files, size_t n,
		       uint64_t count_override, uint64_t load_off);

#endif
