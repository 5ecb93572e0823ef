/* elf.c - ELF files on disk: identity and merged symbol tables (see include/heapwalk/elfsym.h). */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "core.h"

/* A function of the address index. */
struct fn_sym {
	uint64_t value, size;
	const char *name; /* into the file's string table */
	unsigned char rank;
};

/* Open-addressing slot; name == NULL marks an empty slot. */
struct sym_slot {
	const char *name; /* into the file's string table, lives as long as the hw_elf */
	uint64_t value;
	uint64_t size;
	uint64_t hash;
	unsigned char type;
	unsigned char rank; /* binding preference, see bind_rank() */
	bool from_symtab;
};

struct hw_elf {
	char *path;
	const uint8_t *map;
	size_t size;
	Elf *elf;

	unsigned elf_class;
	unsigned machine;
	unsigned type;
	uint64_t entry;

	GElf_Phdr *phdrs;
	size_t nphdrs;
	bool has_interp;

	uint8_t build_id[HW_BUILD_ID_MAX];
	size_t build_id_len;
	char *debuglink;
	bool has_debug_info;
	bool has_symtab;

	struct sym_slot *syms;
	size_t sym_mask; /* table size - 1; table size is a power of two */

	/* functions by address, built on the first hw_elf_symbol_at */
	struct fn_sym *by_addr;
	size_t nby_addr;
	bool by_addr_built;
};

void hw_elf_close(struct hw_elf *elf)
{
	if (!elf)
		return;
	if (elf->elf)
		elf_end(elf->elf);
	if (elf->map)
		munmap((void *)elf->map, elf->size);
	free(elf->phdrs);
	free(elf->by_addr);
	free(elf->syms);
	free(elf->debuglink);
	free(elf->path);
	free(elf);
}

/* GLOBAL (and GNU_UNIQUE) over WEAK over LOCAL. */
static unsigned char bind_rank(unsigned bind)
{
	switch (bind) {
	case STB_GLOBAL:
	case STB_GNU_UNIQUE:
		return 3;
	case STB_WEAK:
		return 2;
	default:
		return 1;
	}
}

static struct sym_slot *slot_for(const struct hw_elf *elf, const char *name, uint64_t hash)
{
	size_t i = hash & elf->sym_mask;

	/* The table is never more than half full, so this ends. */
	for (;;) {
		struct sym_slot *s = &elf->syms[i];
		if (!s->name || (s->hash == hash && strcmp(s->name, name) == 0))
			return s;
		i = (i + 1) & elf->sym_mask;
	}
}

/* Whether section data [off, off+size) lies inside the file. */
static bool in_file(const struct hw_elf *elf, uint64_t off, uint64_t size)
{
	return off <= elf->size && size <= elf->size - off;
}

static Elf_Data *section_data(struct hw_elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d;

	if (sh->sh_type == SHT_NOBITS || !in_file(elf, sh->sh_offset, sh->sh_size))
		return NULL;
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf || d->d_size > sh->sh_size)
		return NULL;
	return d;
}

/* Insert the defined, named symbols of one symbol table section. */
static void add_symbols(struct hw_elf *elf, Elf_Scn *scn, const GElf_Shdr *sh, bool is_symtab)
{
	Elf_Data *d = section_data(elf, scn, sh);
	size_t entsize = gelf_fsize(elf->elf, ELF_T_SYM, 1, EV_CURRENT);
	size_t n;

	if (!d || entsize == 0)
		return;
	n = d->d_size / entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		struct sym_slot *slot;
		unsigned type;
		unsigned char rank;
		uint64_t h;

		if (!gelf_getsym(d, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0 || type == STT_SECTION ||
		    type == STT_FILE)
			continue;
		name = elf_strptr(elf->elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		rank = bind_rank(GELF_ST_BIND(sym.st_info));
		h = hw_str_hash(name);
		slot = slot_for(elf, name, h);
		if (slot->name) {
			/* .symtab wins over .dynsym; within a table, the stronger binding. */
			if (slot->from_symtab != is_symtab || slot->rank >= rank)
				continue;
		}
		slot->name = name;
		slot->hash = h;
		slot->value = sym.st_value;
		slot->size = sym.st_size;
		slot->type = (unsigned char)type;
		slot->rank = rank;
		slot->from_symtab = is_symtab;
	}
}

/*
 * Hash the first .symtab and the first .dynsym (a sane file has at most one
 * of each; using only those bounds the table by the file size).
 */
static struct hw_error *load_symbols(struct hw_elf *elf)
{
	size_t entsize = gelf_fsize(elf->elf, ELF_T_SYM, 1, EV_CURRENT), total = 0, tabsize = 16;
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr symtab_sh, dynsym_sh, sh;

	if (entsize == 0)
		return NULL;
	while ((scn = elf_nextscn(elf->elf, scn))) {
		if (!gelf_getshdr(scn, &sh) || !in_file(elf, sh.sh_offset, sh.sh_size))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !symtab) {
			symtab = scn;
			symtab_sh = sh;
			total += sh.sh_size / entsize;
			elf->has_symtab = sh.sh_size / entsize > 1;
		} else if (sh.sh_type == SHT_DYNSYM && !dynsym) {
			dynsym = scn;
			dynsym_sh = sh;
			total += sh.sh_size / entsize;
		}
	}
	while (tabsize < 2 * total + 1) {
		if (tabsize > SIZE_MAX / 4 / sizeof(struct sym_slot))
			return hw_error_nomem();
		tabsize *= 2;
	}
	elf->syms = calloc(tabsize, sizeof(*elf->syms));
	if (!elf->syms)
		return hw_error_nomem();
	elf->sym_mask = tabsize - 1;
	/* .symtab first: it wins over .dynsym for a name both define. */
	if (symtab)
		add_symbols(elf, symtab, &symtab_sh, true);
	if (dynsym)
		add_symbols(elf, dynsym, &dynsym_sh, false);
	return NULL;
}

/* Build-id, .gnu_debuglink, .debug_info from the section headers. */
static void scan_sections(struct hw_elf *elf, size_t shstrndx)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf->elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf->elf, shstrndx, sh.sh_name);
		if (sh.sh_type == SHT_NOTE && elf->build_id_len == 0) {
			d = section_data(elf, scn, &sh);
			if (d)
				elf->build_id_len =
				    hw_notes_build_id(d->d_buf, d->d_size,
						      sh.sh_addralign == 8 ? 8 : 4, elf->build_id);
		}
		if (!name)
			continue;
		if (strcmp(name, ".debug_info") == 0 && sh.sh_type != SHT_NOBITS &&
		    sh.sh_size > 0 && in_file(elf, sh.sh_offset, sh.sh_size))
			elf->has_debug_info = true;
		if (strcmp(name, ".gnu_debuglink") == 0 && !elf->debuglink) {
			const char *s, *nul;
			d = section_data(elf, scn, &sh);
			if (!d)
				continue;
			s = d->d_buf;
			nul = memchr(s, '\0', d->d_size);
			/* A debuglink is a plain file name: refuse anything that is a path. */
			if (!nul || nul == s || memchr(s, '/', (size_t)(nul - s)) ||
			    strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
				continue;
			elf->debuglink = strdup(s); /* NULL on oom: just no debuglink */
		}
	}
}

static struct hw_error *read_phdrs(struct hw_elf *elf)
{
	size_t n;

	if (elf_getphdrnum(elf->elf, &n) != 0)
		return NULL; /* treated as no program headers */
	if (n == 0)
		return NULL;
	/* Each program header occupies file bytes, so n is bounded by the file size. */
	if (n > elf->size / 32)
		return NULL;
	elf->phdrs = calloc(n, sizeof(*elf->phdrs));
	if (!elf->phdrs)
		return hw_error_nomem();
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf->elf, (int)i, &ph))
			break;
		elf->phdrs[elf->nphdrs++] = ph;
		if (ph.p_type == PT_INTERP)
			elf->has_interp = true;
		if (ph.p_type == PT_NOTE && elf->build_id_len == 0 &&
		    in_file(elf, ph.p_offset, ph.p_filesz))
			elf->build_id_len =
			    hw_notes_build_id(elf->map + ph.p_offset, ph.p_filesz,
					      ph.p_align == 8 ? 8 : 4, elf->build_id);
	}
	return NULL;
}

/* Checks the identification bytes; @why_ret gets the status word on failure. */
static struct hw_error *check_ident(const char *path, const unsigned char *id, size_t n,
				    const char **why_ret)
{
	size_t ehsize;

	if (n < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG) != 0) {
		*why_ret = "not an ELF file";
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not an ELF file", path);
	}
	if (id[EI_CLASS] != ELFCLASS32 && id[EI_CLASS] != ELFCLASS64) {
		*why_ret = "bad ELF file";
		return hw_error_create(HW_ERR_BAD_DATA, "%s: invalid ELF class %u", path,
				       id[EI_CLASS]);
	}
	if (id[EI_DATA] != ELFDATA2LSB) {
		*why_ret = "unsupported ELF file";
		if (id[EI_DATA] == ELFDATA2MSB)
			return hw_error_create(HW_ERR_UNSUPPORTED,
					       "%s: big-endian ELF files are not supported", path);
		return hw_error_create(HW_ERR_BAD_DATA, "%s: invalid ELF data encoding %u", path,
				       id[EI_DATA]);
	}
	if (id[EI_VERSION] != EV_CURRENT) {
		*why_ret = "bad ELF file";
		return hw_error_create(HW_ERR_BAD_DATA, "%s: invalid ELF version %u", path,
				       id[EI_VERSION]);
	}
	ehsize = id[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
	if (n < ehsize) {
		*why_ret = "bad ELF file";
		return hw_error_create(HW_ERR_BAD_DATA, "%s: truncated ELF header", path);
	}
	return NULL;
}

static const char *errno_why(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return "not found";
	case EACCES:
	case EPERM:
		return "permission denied";
	default:
		return "cannot open";
	}
}

struct hw_error *hw_elf_open_why(const char *path, struct hw_elf **ret, const char **why_ret)
{
	struct hw_error *err = NULL;
	struct hw_elf *elf;
	struct stat st;
	unsigned char ident[sizeof(Elf64_Ehdr)];
	const char *why = "cannot open";
	GElf_Ehdr eh;
	size_t shstrndx;
	ssize_t got;
	int fd;
	void *map;

	/* Refuse devices and FIFOs before open() can block or have side effects. */
	if (stat(path, &st) != 0) {
		*why_ret = errno_why(errno);
		return hw_error_os(errno, "cannot open %s", path);
	}
	if (!S_ISREG(st.st_mode)) {
		*why_ret = "not a regular file";
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not a regular file", path);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		*why_ret = errno_why(errno);
		return hw_error_os(errno, "cannot open %s", path);
	}
	if (fstat(fd, &st) != 0) {
		err = hw_error_os(errno, "cannot stat %s", path);
		goto out_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		why = "not a regular file";
		err = hw_error_create(HW_ERR_BAD_DATA, "%s: not a regular file", path);
		goto out_fd;
	}
	if (st.st_size < 0 || (uint64_t)st.st_size > SIZE_MAX) {
		why = "bad ELF file";
		err = hw_error_create(HW_ERR_BAD_DATA, "%s: file too large", path);
		goto out_fd;
	}
	/* Look at the identification before anything else reads the file. */
	do
		got = pread(fd, ident, sizeof(ident), 0);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		err = hw_error_os(errno, "cannot read %s", path);
		goto out_fd;
	}
	if ((err = check_ident(path, ident, (size_t)got, &why)))
		goto out_fd;
	if ((uint64_t)st.st_size < (uint64_t)got) {
		why = "bad ELF file";
		err = hw_error_create(HW_ERR_BAD_DATA, "%s: file changed while being opened", path);
		goto out_fd;
	}

	elf = calloc(1, sizeof(*elf));
	if (!elf || !(elf->path = strdup(path))) {
		free(elf);
		err = hw_error_nomem();
		goto out_fd;
	}
	elf->size = (size_t)st.st_size;
	map = mmap(NULL, elf->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		err = hw_error_os(errno, "cannot map %s", path);
		hw_elf_close(elf);
		goto out_fd;
	}
	close(fd);
	fd = -1;
	elf->map = map;

	why = "bad ELF file";
	if (elf_version(EV_CURRENT) == EV_NONE) {
		err =
		    hw_error_create(HW_ERR_ELF, "libelf initialisation failed: %s", elf_errmsg(-1));
		goto out_elf;
	}
	/* Native byte order only, so libelf reads the image in place and never writes it. */
	elf->elf = elf_memory((char *)elf->map, elf->size);
	if (!elf->elf || elf_kind(elf->elf) != ELF_K_ELF || !gelf_getehdr(elf->elf, &eh)) {
		err = hw_error_create(HW_ERR_ELF, "%s: cannot read ELF header: %s", path,
				      elf_errmsg(-1));
		goto out_elf;
	}
	elf->elf_class = ident[EI_CLASS];
	elf->machine = eh.e_machine;
	elf->type = eh.e_type;
	elf->entry = eh.e_entry;
	if ((err = read_phdrs(elf)))
		goto out_elf;
	if (elf_getshdrstrndx(elf->elf, &shstrndx) != 0)
		shstrndx = SHN_UNDEF;
	scan_sections(elf, shstrndx);
	if ((err = load_symbols(elf)))
		goto out_elf;
	*ret = elf;
	return NULL;

out_elf:
	*why_ret = why;
	hw_elf_close(elf);
	return err;
out_fd:
	*why_ret = why;
	if (fd >= 0)
		close(fd);
	return err;
}

struct hw_error *hw_elf_open(const char *path, struct hw_elf **ret)
{
	const char *why;

	return hw_elf_open_why(path, ret, &why);
}

/* The accessors that give one member as it is (elfsym.h, core.h). */
#define HW_ELF_MEMBER(type, name, member)                                                          \
	type hw_elf_##name(const struct hw_elf *elf)                                               \
	{                                                                                          \
		return elf->member;                                                                \
	}

HW_ELF_MEMBER(const char *, path, path)
HW_ELF_MEMBER(unsigned, class, elf_class)
HW_ELF_MEMBER(unsigned, machine, machine)
HW_ELF_MEMBER(unsigned, type, type)
HW_ELF_MEMBER(uint64_t, entry, entry)
HW_ELF_MEMBER(const char *, debuglink, debuglink)
HW_ELF_MEMBER(bool, has_debug_info, has_debug_info)
HW_ELF_MEMBER(bool, has_symtab, has_symtab)
HW_ELF_MEMBER(bool, has_interp, has_interp)

const void *hw_elf_data(const struct hw_elf *elf, size_t *size_ret)
{
	*size_ret = elf->size;
	return elf->map;
}

const uint8_t *hw_elf_build_id(const struct hw_elf *elf, size_t *len_ret)
{
	*len_ret = elf->build_id_len;
	return elf->build_id_len ? elf->build_id : NULL;
}

uint64_t hw_elf_first_load_vaddr(const struct hw_elf *elf)
{
	bool found = false;
	uint64_t lowest = 0, first = 0;
	bool have_first = false;

	for (size_t i = 0; i < elf->nphdrs; i++) {
		const GElf_Phdr *ph = &elf->phdrs[i];
		if (ph->p_type != PT_LOAD)
			continue;
		if (!have_first) {
			first = ph->p_vaddr;
			have_first = true;
		}
		if (ph->p_offset == 0 && (!found || ph->p_vaddr < lowest)) {
			lowest = ph->p_vaddr;
			found = true;
		}
	}
	return found ? lowest : first;
}

uint64_t hw_elf_load_bias(const struct hw_elf *elf, uint64_t start, uint64_t page_size)
{
	return start - (hw_elf_first_load_vaddr(elf) & ~(page_size - 1));
}

struct hw_error *hw_elf_symbol(const struct hw_elf *elf, const char *name,
			       struct hw_elf_symbol *ret)
{
	const struct sym_slot *s = slot_for(elf, name, hw_str_hash(name));

	if (!s->name)
		return hw_error_create(HW_ERR_LOOKUP, "symbol '%s' not found in %s", name,
				       elf->path);
	ret->value = s->value;
	ret->size = s->size;
	ret->type = s->type;
	return NULL;
}

struct hw_error *hw_elf_read_vaddr(const struct hw_elf *elf, void *buf, uint64_t vaddr, size_t len)
{
	for (size_t i = 0; i < elf->nphdrs; i++) {
		const GElf_Phdr *ph = &elf->phdrs[i];
		uint64_t rel;
		if (ph->p_type != PT_LOAD || vaddr < ph->p_vaddr)
			continue;
		rel = vaddr - ph->p_vaddr;
		if (rel >= ph->p_filesz || len > ph->p_filesz - rel)
			continue;
		if (ph->p_offset > UINT64_MAX - rel || !in_file(elf, ph->p_offset + rel, len))
			continue;
		memcpy(buf, elf->map + ph->p_offset + rel, len);
		return NULL;
	}
	return hw_error_fault(vaddr,
			      "cannot read %zu bytes at link-time address 0x%" PRIx64
			      " of %s: not in the file contents of a PT_LOAD segment",
			      len, vaddr, elf->path);
}

bool hw_elf_offset_vaddr(const struct hw_elf *elf, uint64_t off, uint64_t *vaddr_ret)
{
	for (size_t i = 0; i < elf->nphdrs; i++) {
		const GElf_Phdr *ph = &elf->phdrs[i];

		if (ph->p_type == PT_LOAD && off >= ph->p_offset &&
		    off - ph->p_offset < ph->p_filesz) {
			*vaddr_ret = ph->p_vaddr + (off - ph->p_offset);
			return true;
		}
	}
	return false;
}

static int cmp_fn_addr(const void *a, const void *b)
{
	const struct fn_sym *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	/* one function under two names: the sized, the global, then the lexically first */
	if ((x->size != 0) != (y->size != 0))
		return x->size ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The functions of one symbol table section into elf->by_addr (grown as needed). */
static void add_functions(struct hw_elf *elf, Elf_Scn *scn, const GElf_Shdr *sh)
{
	Elf_Data *d = section_data(elf, scn, sh);
	size_t entsize = gelf_fsize(elf->elf, ELF_T_SYM, 1, EV_CURRENT);
	size_t n, cap = 0;

	if (!d || entsize == 0)
		return;
	n = d->d_size / entsize;
	for (size_t i = 1; i < n; i++) {
		GElf_Sym sym;
		const char *name;
		unsigned type;

		if (!gelf_getsym(d, (int)i, &sym))
			break;
		type = GELF_ST_TYPE(sym.st_info);
		if (sym.st_shndx == SHN_UNDEF || sym.st_name == 0 ||
		    (type != STT_FUNC && type != STT_GNU_IFUNC))
			continue;
		name = elf_strptr(elf->elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (elf->nby_addr == cap) {
			size_t ncap = cap ? 2 * cap : 256;
			struct fn_sym *v = realloc(elf->by_addr, ncap * sizeof(*v));
			if (!v)
				return;
			elf->by_addr = v;
			cap = ncap;
		}
		elf->by_addr[elf->nby_addr++] = (struct fn_sym){
		    sym.st_value, sym.st_size, name, bind_rank(GELF_ST_BIND(sym.st_info))};
	}
}

/*
 * Every function by address, from .symtab when the file has one (it holds
 * the static functions, also those of one name in several units), else
 * from .dynsym.
 */
static void build_by_addr(struct hw_elf *elf)
{
	Elf_Scn *scn = NULL, *symtab = NULL, *dynsym = NULL;
	GElf_Shdr symtab_sh, dynsym_sh, sh;

	elf->by_addr_built = true;
	while ((scn = elf_nextscn(elf->elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB && !symtab) {
			symtab = scn;
			symtab_sh = sh;
		} else if (sh.sh_type == SHT_DYNSYM && !dynsym) {
			dynsym = scn;
			dynsym_sh = sh;
		}
	}
	if (symtab)
		add_functions(elf, symtab, &symtab_sh);
	if (!elf->nby_addr && dynsym)
		add_functions(elf, dynsym, &dynsym_sh);
	if (elf->nby_addr)
		qsort(elf->by_addr, elf->nby_addr, sizeof(*elf->by_addr), cmp_fn_addr);
}

bool hw_elf_symbol_at(struct hw_elf *elf, uint64_t vaddr, const char **name_ret,
		      uint64_t *start_ret)
{
	size_t lo = 0, hi;
	const struct fn_sym *s;

	if (!elf->by_addr_built)
		build_by_addr(elf);
	hi = elf->nby_addr;
	while (lo < hi) { /* the first function starting after vaddr */
		size_t mid = lo + (hi - lo) / 2;
		if (elf->by_addr[mid].value <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return false;
	/* several names at one address sort together: take the first of them */
	while (lo > 1 && elf->by_addr[lo - 2].value == elf->by_addr[lo - 1].value)
		lo--;
	s = &elf->by_addr[lo - 1];
	if (s->size && vaddr - s->value >= s->size)
		return false;
	*name_ret = s->name;
	*start_ret = s->value;
	return true;
}
