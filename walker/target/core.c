/* core.c - ELF core parsing: segments, notes (NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE). */
#include <elf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/sbuf.h"
#include "core.h"

#ifndef NT_FILE
#define NT_FILE 0x46494c45
#endif

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* A little-endian number of @size (2, 4 or 8) bytes. */
static uint64_t le(const uint8_t *p, size_t size)
{
	return size == 8 ? le64(p) : size == 4 ? le32(p) : le16(p);
}

/* A target word of @ws (4 or 8) bytes. */
static uint64_t word(const uint8_t *p, unsigned ws)
{
	return le(p, ws);
}

/* Member @m of the ELF structure Elf32_@T or Elf64_@T (by @cls) at @p. */
#define ELF_MEMBER(p, cls, T, m)                                                                   \
	((cls) == ELFCLASS64 ? le((p) + offsetof(Elf64_##T, m), sizeof(((Elf64_##T *)0)->m))       \
			     : le((p) + offsetof(Elf32_##T, m), sizeof(((Elf32_##T *)0)->m)))

/* A program header, either class. */
struct phdr {
	uint32_t type;
	uint64_t offset;
	uint64_t vaddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
};

static void read_phdr(const uint8_t *ph, unsigned cls, struct phdr *ret)
{
	ret->type = le32(ph);
	ret->offset = ELF_MEMBER(ph, cls, Phdr, p_offset);
	ret->vaddr = ELF_MEMBER(ph, cls, Phdr, p_vaddr);
	ret->filesz = ELF_MEMBER(ph, cls, Phdr, p_filesz);
	ret->memsz = ELF_MEMBER(ph, cls, Phdr, p_memsz);
	ret->align = ELF_MEMBER(ph, cls, Phdr, p_align);
}

bool hw_note_next(const uint8_t *buf, size_t len, size_t align, size_t *off, struct hw_note *ret)
{
	size_t o = *off, namesz, descsz, pad;

	if (o > len || len - o < 12)
		return false;
	namesz = le32(buf + o);
	descsz = le32(buf + o + 4);
	ret->type = le32(buf + o + 8);
	o += 12;
	if (namesz > len - o)
		return false;
	ret->name = (const char *)buf + o;
	ret->namesz = namesz;
	pad = (align - namesz % align) % align;
	o += namesz;
	if (pad > len - o) {
		if (descsz != 0)
			return false;
		pad = len - o;
	}
	o += pad;
	if (descsz > len - o)
		return false;
	ret->desc = buf + o;
	ret->descsz = descsz;
	o += descsz;
	pad = (align - descsz % align) % align;
	o += pad < len - o ? pad : len - o;
	*off = o;
	return true;
}

bool hw_note_name_is(const struct hw_note *n, const char *name)
{
	size_t l = strlen(name);

	if (n->namesz == l + 1)
		return n->name[l] == '\0' && memcmp(n->name, name, l) == 0;
	return n->namesz == l && memcmp(n->name, name, l) == 0;
}

size_t hw_notes_build_id(const uint8_t *buf, size_t len, size_t align, uint8_t *out)
{
	struct hw_note n;
	size_t off = 0;

	while (hw_note_next(buf, len, align, &off, &n)) {
		if (n.type != NT_GNU_BUILD_ID || !hw_note_name_is(&n, "GNU"))
			continue;
		if (n.descsz == 0 || n.descsz > HW_BUILD_ID_MAX)
			return 0;
		memcpy(out, n.desc, n.descsz);
		return n.descsz;
	}
	return 0;
}

/* Largest note segment read back from a core's copy of a file's first pages. */
#define MAX_MAPPED_NOTES 65536

size_t hw_core_mapped_build_id(const struct hw_mem *mem, uint64_t start, uint64_t maplen,
			       uint8_t *out)
{
	uint8_t eh[sizeof(Elf64_Ehdr)];
	uint64_t phoff;
	unsigned phentsize, phnum, cls;
	size_t id_len = 0;
	struct hw_error *err;

	if (maplen < sizeof(Elf32_Ehdr))
		return 0;
	err = hw_mem_read(mem, eh, start, sizeof(Elf32_Ehdr));
	if (err) {
		hw_error_destroy(err);
		return 0;
	}
	if (memcmp(eh, ELFMAG, SELFMAG) != 0 || eh[EI_DATA] != ELFDATA2LSB)
		return 0;
	cls = eh[EI_CLASS];
	if (cls != ELFCLASS32 && cls != ELFCLASS64)
		return 0;
	if (cls == ELFCLASS64) {
		if (maplen < sizeof(Elf64_Ehdr))
			return 0;
		err = hw_mem_read(mem, eh, start, sizeof(Elf64_Ehdr));
		if (err) {
			hw_error_destroy(err);
			return 0;
		}
	}
	phoff = ELF_MEMBER(eh, cls, Ehdr, e_phoff);
	phentsize = (unsigned)ELF_MEMBER(eh, cls, Ehdr, e_phentsize);
	phnum = (unsigned)ELF_MEMBER(eh, cls, Ehdr, e_phnum);
	if (phentsize != (cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return 0;
	/* PN_XNUM would need the section headers, which are not in the mapped pages. */
	if (phnum == PN_XNUM || phoff > maplen || (uint64_t)phnum * phentsize > maplen - phoff)
		return 0;
	for (unsigned i = 0; i < phnum && id_len == 0; i++) {
		uint8_t ph[sizeof(Elf64_Phdr)];
		struct phdr p;
		uint8_t *notes;

		err = hw_mem_read(mem, ph, start + phoff + (uint64_t)i * phentsize, phentsize);
		if (err) {
			hw_error_destroy(err);
			return 0;
		}
		read_phdr(ph, cls, &p);
		if (p.type != PT_NOTE)
			continue;
		if (p.offset > maplen || p.filesz > maplen - p.offset || p.filesz == 0 ||
		    p.filesz > MAX_MAPPED_NOTES)
			continue;
		notes = malloc(p.filesz);
		if (!notes)
			return 0;
		err = hw_mem_read(mem, notes, start + p.offset, p.filesz);
		if (err)
			hw_error_destroy(err);
		else
			id_len = hw_notes_build_id(notes, p.filesz, p.align == 8 ? 8 : 4, out);
		free(notes);
	}
	return id_len;
}

static const char *type_name(unsigned type)
{
	switch (type) {
	case ET_NONE:
		return "ET_NONE";
	case ET_REL:
		return "ET_REL";
	case ET_EXEC:
		return "ET_EXEC";
	case ET_DYN:
		return "ET_DYN";
	default:
		return NULL;
	}
}

static void parse_prstatus(struct hw_core *c, const struct hw_note *n)
{
	/* pr_pid follows pr_info (12), pr_cursig (2+2), pr_sigpend and pr_sighold (2 words). */
	size_t off = c->word_size == 8 ? 32 : 24;

	if (n->descsz >= off + 4)
		c->pid = (int)le32(n->desc + off);
}

static void parse_prpsinfo(struct hw_core *c, const struct hw_note *n)
{
	size_t off;

	/*
	 * pr_fname follows 4 chars, pr_flag (a word), pr_uid/pr_gid and 4 pids.
	 * The uid/gid width depends on the architecture: tell by the size.
	 */
	switch (n->descsz) {
	case 136: /* LP64 */
		off = 40;
		break;
	case 124: /* 32-bit, 16-bit uid/gid (i386, also as dumped by x86-64 kernels) */
		off = 28;
		break;
	case 128: /* 32-bit, 32-bit uid/gid */
		off = 32;
		break;
	default:
		off = c->word_size == 8 ? 40 : 28;
	}
	if (n->descsz >= off + 16)
		hw_sanitise(c->comm, sizeof(c->comm), (const char *)n->desc + off, 16);
	if (n->descsz >= off + 16 + 80) {
		size_t len =
		    hw_sanitise(c->psargs, sizeof(c->psargs), (const char *)n->desc + off + 16, 80);
		/* The kernel turns the argument separators, the last one too, into spaces. */
		while (len > 0 && c->psargs[len - 1] == ' ')
			c->psargs[--len] = '\0';
	}
}

static void parse_auxv(struct hw_core *c, const struct hw_note *n)
{
	unsigned ws = c->word_size;
	size_t count = n->descsz / (2 * ws);

	c->have_auxv = true;
	for (size_t i = 0; i < count; i++) {
		uint64_t type = word(n->desc + i * 2 * ws, ws);
		uint64_t val = word(n->desc + i * 2 * ws + ws, ws);
		if (type == AT_NULL)
			break;
		switch (type) {
		case AT_ENTRY:
			c->at_entry = val;
			c->have_entry = true;
			break;
		case AT_PHDR:
			c->at_phdr = val;
			c->have_phdr = true;
			break;
		case AT_EXECFN:
			c->at_execfn = val;
			c->have_execfn = true;
			break;
		}
	}
}

static struct hw_error *parse_file_note(struct hw_core *c, const struct hw_note *n)
{
	unsigned ws = c->word_size;
	uint64_t count, page_size, max;
	const uint8_t *d = n->desc;
	size_t strings, pos, nfiles = 0;
	struct hw_core_file *files;

	if (n->descsz < 2 * (size_t)ws)
		return NULL;
	count = word(d, ws);
	page_size = word(d + ws, ws);
	/* A page size is a power of two (gdb writes 1: offsets already in bytes). */
	if (page_size == 0 || (page_size & (page_size - 1)) != 0)
		return NULL;
	max = (n->descsz - 2 * (size_t)ws) / (3 * (size_t)ws);
	if (count > max)
		count = max;
	if (count > HW_CORE_MAX_FILES)
		count = HW_CORE_MAX_FILES;
	if (count == 0)
		return NULL;
	files = calloc((size_t)count, sizeof(*files));
	if (!files)
		return hw_error_nomem();
	strings = 2 * (size_t)ws + (size_t)count * 3 * ws;
	pos = strings;
	for (size_t i = 0; i < count && pos < n->descsz; i++) {
		const uint8_t *e = d + 2 * ws + i * 3 * ws;
		uint64_t start = word(e, ws), end = word(e + ws, ws), pgoff = word(e + 2 * ws, ws);
		const char *s = (const char *)d + pos;
		const char *nul = memchr(s, '\0', n->descsz - pos);
		size_t len = nul ? (size_t)(nul - s) : n->descsz - pos;
		struct hw_core_file *f;

		pos += len + (nul ? 1 : 0);
		/* Entries that make no sense are dropped. */
		if (start >= end || (pgoff != 0 && page_size > UINT64_MAX / pgoff))
			continue;
		f = &files[nfiles];
		f->path = malloc(len + 1);
		if (!f->path) {
			for (size_t k = 0; k < nfiles; k++)
				free(files[k].path);
			free(files);
			return hw_error_nomem();
		}
		memcpy(f->path, s, len);
		f->path[len] = '\0';
		f->start = start;
		f->end = end;
		f->file_offset = pgoff * page_size;
		nfiles++;
	}
	c->files = files;
	c->nfiles = nfiles;
	c->page_size = page_size;
	return NULL;
}

static struct hw_error *parse_notes(struct hw_core *c, const uint8_t *buf, size_t len, size_t align,
				    bool *seen)
{
	struct hw_note n;
	size_t off = 0;
	struct hw_error *err;

	/* Bounded: every note advances off by at least 12 bytes. */
	while (hw_note_next(buf, len, align, &off, &n)) {
		if (!hw_note_name_is(&n, "CORE"))
			continue;
		switch (n.type) {
		case NT_PRSTATUS:
			if (!seen[0])
				parse_prstatus(c, &n);
			seen[0] = true;
			break;
		case NT_PRPSINFO:
			if (!seen[1])
				parse_prpsinfo(c, &n);
			seen[1] = true;
			break;
		case NT_AUXV:
			if (!seen[2])
				parse_auxv(c, &n);
			seen[2] = true;
			break;
		case NT_FILE:
			if (!seen[3] && (err = parse_file_note(c, &n)))
				return err;
			seen[3] = true;
			break;
		}
	}
	return NULL;
}

static int cmp_load(const void *a, const void *b)
{
	const struct phdr *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* Add the PT_LOAD segments, sorted and checked for overlap, to @mem. */
static struct hw_error *add_loads(const char *path, const uint8_t *map, size_t size,
				  struct phdr *loads, size_t nloads, struct hw_mem *mem)
{
	struct hw_error *err;

	qsort(loads, nloads, sizeof(*loads), cmp_load);
	for (size_t i = 0; i < nloads; i++) {
		const struct phdr *p = &loads[i];
		uint64_t avail;

		if (i > 0 && loads[i - 1].vaddr + loads[i - 1].memsz > p->vaddr)
			return hw_error_create(HW_ERR_BAD_DATA,
					       "%s: PT_LOAD segments at 0x%" PRIx64
					       " and 0x%" PRIx64 " overlap",
					       path, loads[i - 1].vaddr, p->vaddr);
		avail = p->offset >= size ? 0 : size - p->offset;
		if (avail > p->filesz)
			avail = p->filesz;
		if ((err = hw_mem_add_direct(mem, HW_MEM_LAYER_CORE, p->vaddr, avail,
					     map + (avail ? p->offset : 0))) ||
		    (err = hw_mem_add_missing(mem, p->vaddr + avail, p->filesz - avail,
					      HW_WHY_TRUNCATED)) ||
		    (err = hw_mem_add_missing(mem, p->vaddr + p->filesz, p->memsz - p->filesz,
					      HW_WHY_NOT_SAVED)))
			return hw_error_context(err, "%s", path);
	}
	return NULL;
}

void hw_core_deinit(struct hw_core *core)
{
	if (!core)
		return;
	for (size_t i = 0; i < core->nfiles; i++)
		free(core->files[i].path);
	free(core->files);
	memset(core, 0, sizeof(*core));
}

struct hw_error *hw_core_parse(const char *path, const uint8_t *map, size_t size,
			       struct hw_mem *mem, struct hw_core *ret)
{
	struct hw_core c;
	struct hw_error *err = NULL;
	uint64_t phoff, shoff;
	unsigned phentsize, shentsize, type, cls;
	uint64_t phnum;
	struct phdr *loads = NULL;
	size_t nloads = 0;
	bool seen[4] = {false};

	memset(&c, 0, sizeof(c));
	if (size < EI_NIDENT || memcmp(map, ELFMAG, SELFMAG) != 0)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not an ELF file", path);
	cls = map[EI_CLASS];
	if (cls != ELFCLASS32 && cls != ELFCLASS64)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: invalid ELF class %u", path, cls);
	if (map[EI_DATA] == ELFDATA2MSB)
		return hw_error_create(HW_ERR_UNSUPPORTED,
				       "%s: big-endian core files are not supported", path);
	if (map[EI_DATA] != ELFDATA2LSB)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: invalid ELF data encoding %u", path,
				       map[EI_DATA]);
	if (size < (cls == ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
		return hw_error_create(HW_ERR_BAD_DATA, "%s: truncated ELF header", path);
	c.elf_class = cls;
	c.word_size = cls == ELFCLASS64 ? 8 : 4;
	type = (unsigned)ELF_MEMBER(map, cls, Ehdr, e_type);
	c.machine = (unsigned)ELF_MEMBER(map, cls, Ehdr, e_machine);
	phoff = ELF_MEMBER(map, cls, Ehdr, e_phoff);
	shoff = ELF_MEMBER(map, cls, Ehdr, e_shoff);
	phentsize = (unsigned)ELF_MEMBER(map, cls, Ehdr, e_phentsize);
	phnum = ELF_MEMBER(map, cls, Ehdr, e_phnum);
	shentsize = (unsigned)ELF_MEMBER(map, cls, Ehdr, e_shentsize);
	if (type != ET_CORE) {
		const char *tn = type_name(type);
		if (tn)
			return hw_error_create(HW_ERR_BAD_DATA, "%s: not a core file (ELF type %s)",
					       path, tn);
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not a core file (ELF type %u)", path,
				       type);
	}
	if (phnum == PN_XNUM) {
		/* The real count is in sh_info of section header 0. */
		size_t shsz = cls == ELFCLASS64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);

		if (shoff == 0 || shentsize < shsz || shoff > size || size - shoff < shsz)
			return hw_error_create(HW_ERR_BAD_DATA,
					       "%s: extended program header count without a "
					       "valid section header 0",
					       path);
		phnum = ELF_MEMBER(map + shoff, cls, Shdr, sh_info);
	}
	if (phentsize != (cls == ELFCLASS64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return hw_error_create(HW_ERR_BAD_DATA, "%s: unexpected program header size %u",
				       path, phentsize);
	if (phnum == 0)
		return hw_error_create(HW_ERR_BAD_DATA, "%s: core file has no program headers",
				       path);
	if (phoff > size || phnum > (size - phoff) / phentsize)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "%s: program headers (%" PRIu64 " at offset 0x%" PRIx64
				       ") lie outside the file",
				       path, phnum, phoff);
	loads = calloc((size_t)phnum, sizeof(*loads));
	if (!loads)
		return hw_error_nomem();

	for (uint64_t i = 0; i < phnum; i++) {
		const uint8_t *ph = map + phoff + i * phentsize;
		struct phdr p;

		read_phdr(ph, cls, &p);
		if (p.type == PT_LOAD) {
			if (p.memsz < p.filesz)
				p.memsz = p.filesz;
			if (p.memsz == 0)
				continue;
			if (p.memsz > UINT64_MAX - p.vaddr) {
				err = hw_error_create(HW_ERR_BAD_DATA,
						      "%s: PT_LOAD at 0x%" PRIx64 " of %" PRIu64
						      " bytes wraps around the address space",
						      path, p.vaddr, p.memsz);
				goto fail;
			}
			loads[nloads++] = p;
		} else if (p.type == PT_NOTE) {
			uint64_t len;
			/* A truncated core may have lost the end of its notes: use what is left. */
			if (p.offset >= size)
				continue;
			len = p.filesz < size - p.offset ? p.filesz : size - p.offset;
			if ((err = parse_notes(&c, map + p.offset, (size_t)len,
					       p.align == 8 ? 8 : 4, seen)))
				goto fail;
		}
	}
	if ((err = add_loads(path, map, size, loads, nloads, mem)))
		goto fail;
	free(loads);
	*ret = c;
	return NULL;

fail:
	free(loads);
	hw_core_deinit(&c);
	return err;
}
