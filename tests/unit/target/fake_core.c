/* fake_core.c - hand-made ELF64 core files (see fake_core.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "fake_core.h"
#include "testutil.h"

void fake_core_put(const char *path, uint8_t *img, size_t size, const Elf64_Phdr *ph, size_t nph)
{
	Elf64_Ehdr eh = {0};

	assert_true(sizeof(eh) + nph * sizeof(*ph) <= size);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_CORE;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (Elf64_Half)nph;
	memcpy(img, &eh, sizeof(eh));
	memcpy(img + sizeof(eh), ph, nph * sizeof(*ph));
	tu_spit(path, img, size);
}

static void put_word(uint8_t **p, uint64_t v)
{
	memcpy(*p, &v, 8);
	*p += 8;
}

void fake_core_nt_file(const char *path, const struct fake_file *files, size_t n,
		       uint64_t count_override, uint64_t load_off)
{
	Elf64_Phdr ph[2] = {{0}};
	uint32_t nh[3];
	size_t cap = 4096 + 256, descsz, note_off = sizeof(Elf64_Ehdr) + sizeof(ph), data_off;
	uint8_t *img, *p, *desc;

	for (size_t i = 0; i < n; i++)
		cap += 24 + strlen(files[i].path) + 1;
	img = calloc(1, cap);
	assert_non_null(img);
	desc = img + note_off + 12 + 8;
	p = desc;
	put_word(&p, count_override ? count_override : n);
	put_word(&p, 4096);
	for (size_t i = 0; i < n; i++) {
		put_word(&p, files[i].start);
		put_word(&p, files[i].end);
		put_word(&p, files[i].pgoff);
	}
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(files[i].path) + 1;
		memcpy(p, files[i].path, l);
		p += l;
	}
	descsz = (size_t)(p - desc);
	nh[0] = 5;
	nh[1] = (uint32_t)descsz;
	nh[2] = 0x46494c45; /* NT_FILE */
	memcpy(img + note_off, nh, 12);
	memcpy(img + note_off + 12, "CORE\0\0\0\0", 8);
	data_off = (note_off + 20 + descsz + 7) & ~(size_t)7;
	memset(img + data_off, 0xab, 256);

	ph[0].p_type = PT_NOTE;
	ph[0].p_offset = note_off;
	ph[0].p_filesz = 20 + descsz;
	ph[1].p_type = PT_LOAD;
	ph[1].p_offset = load_off ? load_off : data_off;
	ph[1].p_vaddr = 0x70000;
	ph[1].p_filesz = 256;
	ph[1].p_memsz = 4096;
	fake_core_put(path, img, data_off + 256, ph, 2);
	free(img);
}
