/* fuzz_util.c - helpers shared by the fuzz harnesses. */
#include <elf.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/pool.h"
#include "heapwalk/target.h"
#include "fuzz.h"

int hw_fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("heapwalk-fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	return fd;
}

void hw_fuzz_use_target(struct hw_target *t)
{
	/* read a little of every segment, the way the walkers do */
	size_t n = hw_mem_segment_count(t->mem);
	struct hw_instance inst;
	struct hw_pool pools[HW_POOL_KIND_COUNT];
	struct hw_discover_opts dopts = {.block_kind = -1};
	struct hw_error *err;

	for (size_t i = 0; i < n && i < 64; i++) {
		struct hw_mem_segment_info si;
		uint64_t w;
		char s[64];

		hw_mem_segment_get(t->mem, i, &si);
		hw_error_destroy(hw_target_read_word(t, si.start, &w));
		hw_error_destroy(hw_target_read_string(t, si.start, s, sizeof(s)));
		if (si.len > 8)
			hw_error_destroy(hw_target_read_word(t, si.start + si.len - 8, &w));
	}
	for (size_t i = 0; i < t->nmappings; i++)
		(void)hw_target_mapping_at(t, t->mappings[i].start);
	/* the pools may hold problem texts even when discovery fails: always deinit */
	memset(pools, 0, sizeof(pools));
	err = hw_pools_discover(t, NULL, &dopts, &inst, pools);
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++)
		hw_pool_deinit(&pools[k]);
	hw_error_destroy(err);
}

/* libFuzzer's, when it is linked in (weak: the replay driver has none). */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

size_t hw_fuzz_mutate(uint8_t *data, size_t size, size_t max_size)
{
	if (LLVMFuzzerMutate)
		return LLVMFuzzerMutate(data, size, max_size);
	if (size)
		data[size / 2] ^= 0x55;
	return size;
}

/* ---- the sysroot ---- */

/*
 * Where the executable's symbols point (what mkcores.py's cores hold
 * there: words pointing into their heap segment), relative to the load
 * address; the entry is what their auxv says.
 */
static const struct {
	const char *name;
	uint64_t value;
} elf_syms[] = {
    {"mem_block", 0x2000},
    {"shm_block", 0x2008},
    {"process_count", 0x2010},
    {"process_no", 0x2018},
};
#define ELF_ENTRY 0x100
#define ELF_MEMSZ 0x4000

struct elfbuf {
	uint8_t b[1024];
	size_t len;
};

static size_t put(struct elfbuf *e, const void *p, size_t n, size_t align)
{
	size_t at = (e->len + align - 1) / align * align;

	memcpy(e->b + at, p, n);
	e->len = at + n;
	return at;
}

/*
 * A small position-independent x86-64 executable: one PT_LOAD over the
 * whole file, a build-id note, .symtab with elf_syms[] (a Kamailio binary's
 * pool roots, as far as pool discovery is concerned).
 */
static void small_elf(struct elfbuf *e)
{
	static const char strtab[] = "\0mem_block\0shm_block\0process_count\0process_no";
	static const char shstr[] = "\0.note.gnu.build-id\0.symtab\0.strtab\0.shstrtab";
	Elf64_Ehdr eh = {0};
	Elf64_Phdr ph[2] = {{0}};
	Elf64_Shdr sh[5] = {{0}};
	Elf64_Sym syms[1 + sizeof(elf_syms) / sizeof(elf_syms[0])] = {{0}};
	struct {
		Elf64_Nhdr h;
		char name[4];
		uint8_t id[20];
	} note = {{4, 20, NT_GNU_BUILD_ID}, "GNU", {0}};
	size_t note_at, sym_at, str_at, shstr_at, name = 1;

	memset(e, 0, sizeof(*e));
	for (size_t i = 0; i < sizeof(note.id); i++)
		note.id[i] = (uint8_t)(0xa0 + i);
	for (size_t i = 0; i < sizeof(elf_syms) / sizeof(elf_syms[0]); i++) {
		syms[i + 1].st_name = (uint32_t)name;
		syms[i + 1].st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
		syms[i + 1].st_shndx = 1;
		syms[i + 1].st_value = elf_syms[i].value;
		syms[i + 1].st_size = 8;
		name += strlen(elf_syms[i].name) + 1;
	}
	e->len = sizeof(eh) + sizeof(ph);
	note_at = put(e, &note, sizeof(note), 4);
	sym_at = put(e, syms, sizeof(syms), 8);
	str_at = put(e, strtab, sizeof(strtab), 1);
	shstr_at = put(e, shstr, sizeof(shstr), 1);
	sh[1] = (Elf64_Shdr){1, SHT_NOTE, SHF_ALLOC, note_at, note_at, sizeof(note), 0, 0, 4, 0};
	sh[2] =
	    (Elf64_Shdr){20, SHT_SYMTAB, 0, 0, sym_at, sizeof(syms), 3, 1, 8, sizeof(Elf64_Sym)};
	sh[3] = (Elf64_Shdr){28, SHT_STRTAB, 0, 0, str_at, sizeof(strtab), 0, 0, 1, 0};
	sh[4] = (Elf64_Shdr){36, SHT_STRTAB, 0, 0, shstr_at, sizeof(shstr), 0, 0, 1, 0};
	eh.e_shoff = put(e, sh, sizeof(sh), 8);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = ELF_ENTRY;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = 2;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 5;
	eh.e_shstrndx = 4;
	ph[0] = (Elf64_Phdr){PT_LOAD, PF_R | PF_X, 0, 0, 0, e->len, ELF_MEMSZ, 0x1000};
	ph[1] =
	    (Elf64_Phdr){PT_NOTE, PF_R, note_at, note_at, note_at, sizeof(note), sizeof(note), 4};
	memcpy(e->b, &eh, sizeof(eh));
	memcpy(e->b + sizeof(eh), ph, sizeof(ph));
}

/* More distinct files than one core may open (HW_MAPFILES_MAX is 512). */
#define MANY_FILES 600

static char sysroot[256];

/* @rel in the sysroot, in @path (PATH_MAX bytes) */
static const char *in_root(char *path, const char *rel)
{
	snprintf(path, PATH_MAX, "%s/%s", sysroot, rel);
	return path;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_sysroot(void)
{
	if (sysroot[0])
		nftw(sysroot, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int write_file(const char *rel, const void *p, size_t n)
{
	char path[PATH_MAX];
	FILE *fp = fopen(in_root(path, rel), "wb");
	int bad;

	if (!fp)
		return -1;
	bad = n && fwrite(p, 1, n, fp) != n;
	return fclose(fp) || bad ? -1 : 0;
}

static int make_sysroot(void)
{
	static const char *const dirs[] = {
	    "usr",
	    "usr/sbin",
	    "usr/lib",
	    "usr/lib/many",
	    "usr/lib/x86_64-linux-gnu",
	    "usr/lib/x86_64-linux-gnu/kamailio",
	    "usr/lib/x86_64-linux-gnu/kamailio/modules",
	    "usr/lib/x86_64-linux-gnu/dir.so",
	};
	static const char *const links[][2] = {
	    {"lib", "usr/lib"}, /* merged /usr */
	    {"usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/sbin/kamailio"},
	    {"usr/lib/x86_64-linux-gnu/libm.so.6", "../../sbin/kamailio"},
	    {"usr/lib/x86_64-linux-gnu/escape.so", "../../../../../../../../../../etc/passwd"},
	    {"usr/lib/x86_64-linux-gnu/self.so", "/proc/self/exe"},
	    {"usr/lib/x86_64-linux-gnu/loop.so", "loop.so"},
	};
	const char *tmp = getenv("TMPDIR");
	struct elfbuf e;
	char path[PATH_MAX];

	snprintf(sysroot, sizeof(sysroot), "%s/heapwalk-fuzz-sysroot-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sysroot)) {
		sysroot[0] = '\0';
		return -1;
	}
	atexit(remove_sysroot);
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (mkdir(in_root(path, dirs[i]), 0700))
			return -1;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		if (symlink(links[i][1], in_root(path, links[i][0])))
			return -1;
	}
	small_elf(&e);
	if (write_file("usr/sbin/kamailio", e.b, e.len) ||
	    write_file("usr/lib/x86_64-linux-gnu/kamailio/modules/tm.so", e.b, e.len) ||
	    write_file("usr/lib/x86_64-linux-gnu/notelf.so", "not an ELF file\n", 16) ||
	    write_file("usr/lib/x86_64-linux-gnu/empty.so", "", 0))
		return -1;
	for (int i = 0; i < MANY_FILES; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "usr/lib/many/%d", i);
		if (write_file(rel, "\177ELF", 4))
			return -1;
	}
	return 0;
}

const char *hw_fuzz_sysroot(void)
{
	static int state; /* 0: not made yet, 1: made, -1: failed */

	if (!state)
		state = make_sysroot() ? -1 : 1;
	return state > 0 ? sysroot : NULL;
}
