/* dwobj.c - the DWARF sections of one ELF file, read with libelf and presented to libdwarf. */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <gelf.h>
#include <libelf.h>

#include <dwarf.h>
#include <libdwarf.h>

#include "heapwalk/error.h"
#include "heapwalk/sbuf.h"
#include "dwobj.h"

/*
 * The sections libdwarf gets: what heapwalk's queries (unit headers, DIEs,
 * names, references, DW_OP_addr/addrx locations) read, nothing more.
 * .debug_rnglists in particular stays hidden: libdwarf 20210528 parses its
 * headers whenever it loads .debug_info and frees twice when one is
 * damaged; heapwalk never asks for a range.
 */
static const char *const wanted[] = {
    ".debug_info",     ".debug_abbrev",	     ".debug_str",
    ".debug_line_str", ".debug_str_offsets", ".debug_addr",
};
enum { NWANTED = sizeof(wanted) / sizeof(wanted[0]) };

/* Bounds on untrusted ELF. */
enum {
	MAX_SECTIONS = 1 << 16, /* section headers looked at */
	MAX_INFLATION = 1032,	/* zlib cannot expand data more than about this */
};
/* A decompressed section larger than this is refused. */
static const uint64_t max_section = (uint64_t)1 << 31;

struct section {
	const char *name; /* one of wanted[] */
	size_t scn;	  /* ELF section index */
	uint64_t addr;
	uint64_t size;
	uint8_t *data; /* borrowed from libelf, or owned (copy) when relocated */
	bool owned;
};

struct hw_dwobj {
	Elf *elf;
	const char *path; /* borrowed, for messages during hw_dwobj_open */
	uint64_t file_size;
	bool big_endian;
	bool elf64;
	bool relocatable;
	uint16_t machine;
	struct section sec[NWANTED]; /* presented as index 1..nsec; 0 is ELF's null section */
	unsigned nsec;
#ifdef HW_DW_API_0X
	Dwarf_Obj_Access_Interface_a iface; /* libdwarf keeps a pointer to it */
#else
	Dwarf_Obj_Access_Interface iface;
#endif
};

/* ---- what libdwarf calls ---- */

static struct section *presented(struct hw_dwobj *obj, uint64_t index)
{
	return index >= 1 && index <= obj->nsec ? &obj->sec[index - 1] : NULL;
}

static Dwarf_Small length_size(void *p)
{
	return ((struct hw_dwobj *)p)->elf64 ? 8 : 4;
}

static Dwarf_Small pointer_size(void *p)
{
	return ((struct hw_dwobj *)p)->elf64 ? 8 : 4;
}

static Dwarf_Unsigned section_count(void *p)
{
	return ((struct hw_dwobj *)p)->nsec + 1u;
}

static int load_section(void *p, Dwarf_Unsigned index, Dwarf_Small **ret, int *error)
{
	struct section *s = presented(p, index);

	(void)error;
	if (!s)
		return DW_DLV_NO_ENTRY;
	*ret = s->data;
	return DW_DLV_OK;
}

/* How the two APIs name the section description and its members. */
#ifdef HW_DW_API_0X
typedef Dwarf_Unsigned section_index;
typedef Dwarf_Obj_Access_Section_a section_desc;
#define SECTION_DESC(member) as_##member
#else
typedef Dwarf_Half section_index;
typedef Dwarf_Obj_Access_Section section_desc;
#define SECTION_DESC(member) member
#endif

static int section_info(void *p, section_index index, section_desc *ret, int *error)
{
	struct hw_dwobj *obj = p;
	struct section *s = presented(obj, index);

	(void)error;
	if (index > obj->nsec)
		return DW_DLV_NO_ENTRY;
	memset(ret, 0, sizeof(*ret));
	ret->SECTION_DESC(name) = s ? s->name : "";
	ret->SECTION_DESC(type) = s ? SHT_PROGBITS : SHT_NULL;
	ret->SECTION_DESC(addr) = s ? s->addr : 0;
	ret->SECTION_DESC(size) = s ? s->size : 0;
	return DW_DLV_OK;
}

#ifdef HW_DW_API_0X
static Dwarf_Small byte_order(void *p)
{
	return ((struct hw_dwobj *)p)->big_endian ? DW_END_big : DW_END_little;
}

static Dwarf_Unsigned file_size(void *p)
{
	return ((struct hw_dwobj *)p)->file_size;
}

static const Dwarf_Obj_Access_Methods_a methods = {
    .om_get_section_info = section_info,
    .om_get_byte_order = byte_order,
    .om_get_length_size = length_size,
    .om_get_pointer_size = pointer_size,
    .om_get_filesize = file_size,
    .om_get_section_count = section_count,
    .om_load_section = load_section,
};

#else
static Dwarf_Endianness byte_order(void *p)
{
	return ((struct hw_dwobj *)p)->big_endian ? DW_OBJECT_MSB : DW_OBJECT_LSB;
}

static int load_section_20210528(void *p, Dwarf_Half index, Dwarf_Small **ret, int *error)
{
	return load_section(p, index, ret, error);
}

static const Dwarf_Obj_Access_Methods methods = {
    .get_section_info = section_info,
    .get_byte_order = byte_order,
    .get_length_size = length_size,
    .get_pointer_size = pointer_size,
    .get_section_count = section_count,
    .load_section = load_section_20210528,
    .relocate_a_section = NULL, /* hw_dwobj_open relocates */
};
#endif

int hw_dwobj_init(struct hw_dwobj *obj, Dwarf_Debug *dbg, Dwarf_Error *de)
{
#ifdef HW_DW_API_0X
	obj->iface.ai_object = obj;
	obj->iface.ai_methods = &methods;
#else
	obj->iface.object = obj;
	obj->iface.methods = &methods;
#endif
	return dwarf_object_init_b(&obj->iface, NULL, NULL, DW_GROUPNUMBER_ANY, dbg, de);
}

void hw_dwobj_finish(Dwarf_Debug dbg)
{
#ifdef HW_DW_API_0X
	dwarf_object_finish(dbg);
#else
	Dwarf_Error de = NULL;

	if (dwarf_object_finish(dbg, &de) == DW_DLV_ERROR)
		dwarf_dealloc(NULL, de, DW_DLA_ERROR);
#endif
}

/* ---- reading the file ---- */

/* HW_ERR_BAD_DATA "<path>: cannot <what> <name>: <libelf message>" */
static struct hw_error *elf_err(const struct hw_dwobj *obj, const char *what, const char *name)
{
	return hw_error_create(HW_ERR_BAD_DATA, "%s: cannot %s %s: %s", obj->path, what, name,
			       elf_errmsg(-1));
}

/* The wanted[] entry @name stands for (".zdebug_x" for ".debug_x"), or NULL. */
static const char *wanted_name(const char *name, bool *gnu_compressed)
{
	unsigned i;

	*gnu_compressed = !strncmp(name, ".zdebug_", 8);
	for (i = 0; i < NWANTED; i++) {
		const char *w = wanted[i];

		if (*gnu_compressed ? !strcmp(name + 8, w + 7) : !strcmp(name, w))
			return w;
	}
	return NULL;
}

static bool already(const struct hw_dwobj *obj, const char *name)
{
	unsigned i;

	for (i = 0; i < obj->nsec; i++)
		if (obj->sec[i].name == name)
			return true;
	return false;
}

/*
 * Decompress @scn in place (libelf) after checking what its header claims:
 * zlib, and a size in proportion to the compressed bytes and below
 * max_section, so that a few bytes cannot make anyone allocate gigabytes.
 */
static struct hw_error *inflate_section(struct hw_dwobj *obj, Elf_Scn *scn, const char *name,
					const GElf_Shdr *sh, bool gnu)
{
	uint64_t claimed = 0;
	int res;

	if (gnu) {
		Elf_Data *raw = elf_rawdata(scn, NULL);
		const uint8_t *b;
		unsigned i;

		if (!raw || !raw->d_buf || raw->d_size < 12 || memcmp(raw->d_buf, "ZLIB", 4))
			return hw_error_create(HW_ERR_BAD_DATA,
					       "%s: section %s: not a ZLIB-compressed section",
					       obj->path, name);
		b = (const uint8_t *)raw->d_buf + 4;
		for (i = 0; i < 8; i++)
			claimed = claimed << 8 | b[i];
	} else {
		GElf_Chdr ch;

		if (!gelf_getchdr(scn, &ch))
			return elf_err(obj, "read the compression header of", name);
		if (ch.ch_type != ELFCOMPRESS_ZLIB)
			return hw_error_create(HW_ERR_UNSUPPORTED,
					       "%s: section %s: compression type %u not supported",
					       obj->path, name, (unsigned)ch.ch_type);
		claimed = ch.ch_size;
	}
	if (claimed == 0 || claimed > max_section || claimed / MAX_INFLATION > sh->sh_size)
		return hw_error_create(
		    HW_ERR_BAD_DATA, "%s: section %s: %llu compressed bytes cannot hold %llu",
		    obj->path, name, (unsigned long long)sh->sh_size, (unsigned long long)claimed);
	res = gnu ? elf_compress_gnu(scn, 0, 0) : elf_compress(scn, 0, 0);
	if (res < 0)
		return elf_err(obj, "decompress", name);
	return NULL;
}

/* Load the bytes of @s (ELF section @scn with header @sh), decompressed. */
static struct hw_error *load(struct hw_dwobj *obj, Elf_Scn *scn, const GElf_Shdr *sh, bool gnu,
			     struct section *s)
{
	struct hw_error *err;
	Elf_Data *d;

	if ((sh->sh_flags & SHF_COMPRESSED) || gnu) {
		err =
		    inflate_section(obj, scn, s->name, sh, gnu && !(sh->sh_flags & SHF_COMPRESSED));
		if (err)
			return err;
	}
	d = elf_rawdata(scn, NULL);
	if (!d || !d->d_buf || !d->d_size)
		return elf_err(obj, "read", s->name);
	s->data = d->d_buf;
	s->size = d->d_size;
	return NULL;
}

/* ---- relocatable objects ---- */

/* The relocations applied in relocatable objects: absolute addresses of 4 or 8 bytes. */
struct reloc_kind {
	uint16_t machine;
	uint32_t type;
	uint8_t width;
};

static const struct reloc_kind reloc_kinds[] = {
    {EM_X86_64, R_X86_64_64, 8}, {EM_X86_64, R_X86_64_32, 4},	   {EM_X86_64, R_X86_64_32S, 4},
    {EM_386, R_386_32, 4},	 {EM_AARCH64, R_AARCH64_ABS64, 8}, {EM_AARCH64, R_AARCH64_ABS32, 4},
    {EM_ARM, R_ARM_ABS32, 4},	 {EM_PPC64, R_PPC64_ADDR64, 8},	   {EM_PPC64, R_PPC64_ADDR32, 4},
    {EM_S390, R_390_64, 8},	 {EM_S390, R_390_32, 4},	   {EM_RISCV, R_RISCV_64, 8},
    {EM_RISCV, R_RISCV_32, 4},
};

static bool machine_known(uint16_t machine)
{
	size_t i;

	for (i = 0; i < sizeof(reloc_kinds) / sizeof(reloc_kinds[0]); i++)
		if (reloc_kinds[i].machine == machine)
			return true;
	return false;
}

/* Width of relocation @type, 0 for types left alone (TLS offsets, none). */
static unsigned reloc_width(uint16_t machine, uint32_t type)
{
	size_t i;

	for (i = 0; i < sizeof(reloc_kinds) / sizeof(reloc_kinds[0]); i++)
		if (reloc_kinds[i].machine == machine && reloc_kinds[i].type == type)
			return reloc_kinds[i].width;
	return 0;
}

static uint64_t get_word(const struct hw_dwobj *obj, const uint8_t *p, unsigned width)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < width; i++)
		v = v << 8 | p[obj->big_endian ? i : width - 1 - i];
	return v;
}

static void put_word(const struct hw_dwobj *obj, uint8_t *p, unsigned width, uint64_t v)
{
	unsigned i;

	for (i = 0; i < width; i++, v >>= 8)
		p[obj->big_endian ? width - 1 - i : i] = (uint8_t)v;
}

/* Apply the relocation section @rscn (header @rsh) to @s. */
static struct hw_error *relocate(struct hw_dwobj *obj, Elf_Scn *rscn, const GElf_Shdr *rsh,
				 struct section *s)
{
	Elf_Scn *symscn = elf_getscn(obj->elf, rsh->sh_link);
	GElf_Shdr symsh;
	Elf_Data *rd, *sd;
	size_t n, nsyms, i, rsize, symsize;
	bool rela = rsh->sh_type == SHT_RELA;

	if (!machine_known(obj->machine))
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "%s: relocatable object for machine %u: its relocations "
				       "are not supported",
				       obj->path, obj->machine);
	if (!symscn || !gelf_getshdr(symscn, &symsh) || symsh.sh_type != SHT_SYMTAB)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "%s: relocations of %s without a symbol table", obj->path,
				       s->name);
	rd = elf_getdata(rscn, NULL);
	sd = elf_getdata(symscn, NULL);
	if (!rd || !sd)
		return elf_err(obj, "read the relocations of", s->name);
	rsize = gelf_fsize(obj->elf, rela ? ELF_T_RELA : ELF_T_REL, 1, EV_CURRENT);
	symsize = gelf_fsize(obj->elf, ELF_T_SYM, 1, EV_CURRENT);
	if (!rsize || !symsize)
		return elf_err(obj, "read the relocations of", s->name);
	n = rd->d_size / rsize;
	nsyms = sd->d_size / symsize;
	if (n > INT_MAX || nsyms > INT_MAX)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: too many relocations or symbols",
				       obj->path);
	if (!s->owned) {
		uint8_t *copy = malloc(s->size);

		if (!copy)
			return hw_error_nomem();
		memcpy(copy, s->data, s->size);
		s->data = copy;
		s->owned = true;
	}
	for (i = 0; i < n; i++) {
		GElf_Rela r;
		GElf_Sym sym;
		uint64_t type, symi, v;
		unsigned width;

		if (rela) {
			if (!gelf_getrela(rd, (int)i, &r))
				return elf_err(obj, "read a relocation of", s->name);
		} else {
			GElf_Rel rel;

			if (!gelf_getrel(rd, (int)i, &rel))
				return elf_err(obj, "read a relocation of", s->name);
			r.r_offset = rel.r_offset;
			r.r_info = rel.r_info;
			r.r_addend = 0;
		}
		/* gelf gives 32-bit objects' r_info in the 64-bit encoding too. */
		type = GELF_R_TYPE(r.r_info);
		symi = GELF_R_SYM(r.r_info);
		width = reloc_width(obj->machine, (uint32_t)type);
		if (!width)
			continue;
		if (r.r_offset > s->size || s->size - r.r_offset < width)
			return hw_error_create(
			    HW_ERR_BAD_DATA, "%s: relocation %zu of %s at 0x%llx lies outside it",
			    obj->path, i, s->name, (unsigned long long)r.r_offset);
		if (symi >= nsyms || !gelf_getsym(sd, (int)symi, &sym))
			return hw_error_create(
			    HW_ERR_BAD_DATA, "%s: relocation %zu of %s names symbol %llu of %zu",
			    obj->path, i, s->name, (unsigned long long)symi, nsyms);
		v = rela ? (uint64_t)r.r_addend : get_word(obj, s->data + r.r_offset, width);
		put_word(obj, s->data + r.r_offset, width, sym.st_value + v);
	}
	return NULL;
}

/* Apply every relocation section that targets a presented section. */
static struct hw_error *relocate_all(struct hw_dwobj *obj, size_t nscn)
{
	size_t i;
	unsigned k;

	for (i = 1; i < nscn; i++) {
		Elf_Scn *scn = elf_getscn(obj->elf, i);
		GElf_Shdr sh;

		if (!scn || !gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_REL && sh.sh_type != SHT_RELA))
			continue;
		for (k = 0; k < obj->nsec; k++) {
			struct hw_error *err;

			if (obj->sec[k].scn != sh.sh_info)
				continue;
			err = relocate(obj, scn, &sh, &obj->sec[k]);
			if (err)
				return err;
		}
	}
	return NULL;
}

/* ---- opening ---- */

struct hw_error *hw_dwobj_open(int fd, const char *path, struct hw_dwobj **ret)
{
	struct hw_error *err = NULL;
	struct hw_dwobj *obj;
	struct stat st;
	GElf_Ehdr eh;
	size_t shstrndx = 0, nscn = 0, i;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return hw_error_create(HW_ERR_ELF, "libelf: %s", elf_errmsg(-1));
	if (fstat(fd, &st) != 0)
		return hw_error_os(errno, "cannot stat %s", path);
	obj = calloc(1, sizeof(*obj));
	if (!obj)
		return hw_error_nomem();
	obj->path = path;
	obj->file_size = (uint64_t)st.st_size;
	obj->elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!obj->elf || elf_kind(obj->elf) != ELF_K_ELF || !gelf_getehdr(obj->elf, &eh)) {
		err = elf_err(obj, "read", "the ELF headers");
		goto fail;
	}
	obj->elf64 = gelf_getclass(obj->elf) == ELFCLASS64;
	obj->big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	obj->relocatable = eh.e_type == ET_REL;
	obj->machine = eh.e_machine;
	if (elf_getshdrnum(obj->elf, &nscn) != 0 || elf_getshdrstrndx(obj->elf, &shstrndx) != 0) {
		/* No section headers: nothing to present. */
		*ret = obj;
		return NULL;
	}
	if (nscn > MAX_SECTIONS) {
		err = hw_error_create(HW_ERR_BAD_DATA, "%s: %zu sections (at most %d are read)",
				      path, nscn, MAX_SECTIONS);
		goto fail;
	}
	for (i = 1; i < nscn && obj->nsec < NWANTED; i++) {
		Elf_Scn *scn = elf_getscn(obj->elf, i);
		struct section *s = &obj->sec[obj->nsec];
		const char *name, *std;
		GElf_Shdr sh;
		bool gnu = false;

		if (!scn || !gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(obj->elf, shstrndx, sh.sh_name);
		std = name ? wanted_name(name, &gnu) : NULL;
		/*
		 * One of each: in relocatable objects, copies in section
		 * groups (type units, COMDAT) are not the unit's own.
		 */
		if (!std || already(obj, std) || sh.sh_size == 0 || (sh.sh_flags & SHF_GROUP))
			continue;
		/* NOBITS: stripped; other types cannot hold DWARF. */
		if (sh.sh_type != SHT_PROGBITS && sh.sh_type != SHT_MIPS_DWARF)
			continue;
		if (sh.sh_offset > obj->file_size || obj->file_size - sh.sh_offset < sh.sh_size) {
			err = hw_error_create(
			    HW_ERR_BAD_DATA,
			    "%s: section %s (offset %llu, size %llu) lies outside "
			    "the file (size %llu)",
			    path, std, (unsigned long long)sh.sh_offset,
			    (unsigned long long)sh.sh_size, (unsigned long long)obj->file_size);
			goto fail;
		}
		s->name = std;
		s->scn = i;
		s->addr = sh.sh_addr;
		err = load(obj, scn, &sh, gnu, s);
		if (err)
			goto fail;
		obj->nsec++;
	}
	if (obj->relocatable) {
		err = relocate_all(obj, nscn);
		if (err)
			goto fail;
	}
	obj->path = NULL;
	*ret = obj;
	return NULL;
fail:
	hw_dwobj_close(obj);
	return err;
}

void hw_dwobj_close(struct hw_dwobj *obj)
{
	unsigned i;

	if (!obj)
		return;
	for (i = 0; i < obj->nsec; i++)
		if (obj->sec[i].owned)
			free(obj->sec[i].data);
	if (obj->elf)
		elf_end(obj->elf);
	free(obj);
}

bool hw_dwobj_section(const struct hw_dwobj *obj, const char *name, const uint8_t **data,
		      uint64_t *size)
{
	unsigned i;

	for (i = 0; i < obj->nsec; i++)
		if (!strcmp(obj->sec[i].name, name)) {
			*data = obj->sec[i].data;
			*size = obj->sec[i].size;
			return true;
		}
	*data = NULL;
	*size = 0;
	return false;
}

bool hw_dwobj_big_endian(const struct hw_dwobj *obj)
{
	return obj->big_endian;
}
