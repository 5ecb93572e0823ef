/* target.c - a process image opened from an ELF core (see include/heapwalk/target.h). */
#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/sbuf.h"
#include "heapwalk/target.h"
#include "core.h"
#include "decompress.h"
#include "mapfiles.h"

#define DELETED_SUFFIX " (deleted)"
#define WHY_FILE_UNAVAILABLE "mapped file not available"
#define WHY_BEYOND_FILE "beyond the end of the mapped file"

struct hw_target_private {
	void *core_map;
	size_t core_size;
	struct hw_elf **elfs; /* every file opened, closed on destroy */
	size_t nelfs;
	struct hw_mapfiles own;	   /* the files the core names, each opened once */
	struct hw_mapfiles *files; /* &own, or a table shared with other targets */
	size_t *by_start;	   /* mapping indices sorted by start */
};

void hw_target_destroy(struct hw_target *t)
{
	if (!t)
		return;
	hw_mem_destroy(t->mem);
	for (size_t i = 0; i < t->nmappings; i++) {
		free(t->mappings[i].path);
		free(t->mappings[i].opened_path);
	}
	free(t->mappings);
	if (t->priv) {
		for (size_t i = 0; i < t->priv->nelfs; i++)
			hw_elf_close(t->priv->elfs[i]);
		free(t->priv->elfs);
		hw_mapfiles_free(&t->priv->own);
		free(t->priv->by_start);
		if (t->priv->core_map)
			munmap(t->priv->core_map, t->priv->core_size);
		free(t->priv);
	}
	free(t->source_path);
	free(t->sysroot);
	free(t->exe_path);
	free(t->exe_path_in_core);
	free(t);
}

/* Take ownership of @elf (closed with the target). */
static struct hw_error *keep_elf(struct hw_target *t, struct hw_elf *elf)
{
	struct hw_elf **v = realloc(t->priv->elfs, (t->priv->nelfs + 1) * sizeof(*v));

	if (!v) {
		hw_elf_close(elf);
		return hw_error_nomem();
	}
	v[t->priv->nelfs++] = elf;
	t->priv->elfs = v;
	return NULL;
}

static char *sanitised_dup(const char *s)
{
	size_t len = strlen(s), cap;
	char *out;

	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	cap = len * 4 + 1;
	out = malloc(cap);
	if (out)
		hw_sanitise(out, cap, s, len);
	return out;
}

static void hex(char *out, const uint8_t *id, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 15];
	}
	out[2 * len] = '\0';
}

static struct hw_error *map_core(const char *path, struct hw_target_private *priv,
				 uint64_t max_core_size)
{
	struct hw_error *err;
	struct stat st;
	void *map;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return hw_error_os(errno, "cannot open core file %s", path);
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return hw_error_os(e, "cannot stat %s", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not a regular file", path);
	}
	/* a zstd/xz/lz4 core (systemd-coredump) becomes a temporary plain one */
	if ((err = hw_core_uncompressed(path, &fd, &st, max_core_size, NULL))) {
		close(fd);
		return err;
	}
	if (st.st_size < EI_NIDENT) {
		close(fd);
		return hw_error_create(HW_ERR_BAD_DATA, "%s: not an ELF file (%s)", path,
				       st.st_size == 0 ? "empty file" : "too short");
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		close(fd);
		return hw_error_create(HW_ERR_UNSUPPORTED, "%s: file too large", path);
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		int e = errno;
		close(fd);
		return hw_error_os(e, "cannot map %s", path);
	}
	close(fd);
	priv->core_map = map;
	priv->core_size = (size_t)st.st_size;
	return NULL;
}

/* Index of the mapping containing @addr, or SIZE_MAX. */
static size_t mapping_index_at(const struct hw_target *t, uint64_t addr)
{
	const size_t *idx = t->priv->by_start;
	size_t lo = 0, hi = t->nmappings;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->mappings[idx[mid]].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || addr >= t->mappings[idx[lo - 1]].end)
		return SIZE_MAX;
	return idx[lo - 1];
}

const struct hw_mapping *hw_target_mapping_at(const struct hw_target *t, uint64_t addr)
{
	size_t i = mapping_index_at(t, addr);

	return i == SIZE_MAX ? NULL : &t->mappings[i];
}

/* Mapping indices sorted by their raw path, to find each distinct file once. */
struct by_path {
	const char *raw;
	size_t idx;
};

static int cmp_by_path(const void *a, const void *b)
{
	const struct by_path *x = a, *y = b;
	int c = strcmp(x->raw, y->raw);

	if (c)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_by_start(const void *a, const void *b, void *arg)
{
	const struct hw_mapping *m = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;

	if (m[i].start != m[j].start)
		return m[i].start < m[j].start ? -1 : 1;
	return i < j ? -1 : i > j;
}

/*
 * The build-ids the core saved for one file: compares the id of every
 * mapping of the group at file offset 0 whose first pages the core holds
 * with @id. *any_ret: some id was found; returns false on a mismatch.
 */
static bool group_ids_agree(const struct hw_target *t, const struct by_path *g, size_t n,
			    const uint8_t *id, size_t id_len, bool *any_ret, uint8_t *first_id,
			    size_t *first_len)
{
	bool agree = true;

	*any_ret = false;
	for (size_t k = 0; k < n; k++) {
		const struct hw_mapping *m = &t->mappings[g[k].idx];
		uint8_t core_id[HW_BUILD_ID_MAX];
		size_t len;

		if (m->file_offset != 0)
			continue;
		len = hw_core_mapped_build_id(t->mem, m->start, m->end - m->start, core_id);
		if (len == 0)
			continue;
		if (!*any_ret && first_id) {
			memcpy(first_id, core_id, len);
			*first_len = len;
		}
		*any_ret = true;
		if (len != id_len || memcmp(core_id, id, len) != 0)
			agree = false;
	}
	return agree;
}

/*
 * Open the file of one group of mappings (same recorded path) and attach it
 * to them if its build-id agrees with what the core saved. Only a nomem
 * failure is an error; anything else is a status.
 */
static struct hw_error *open_group(struct hw_target *t, const struct by_path *g, size_t n,
				   const char *sysroot)
{
	const char *raw = g[0].raw, *why = NULL;
	char *path = NULL, *stripped = NULL;
	struct hw_elf *elf = NULL;
	struct hw_error *err;
	const uint8_t *id;
	size_t id_len, rl = strlen(raw), sl = strlen(DELETED_SUFFIX);
	bool any, agree, deleted;
	/*
	 * The kernel marks files unlinked since they were mapped; the file now
	 * at that path is used only if the core proves it is the same build.
	 */
	deleted = rl > sl && strcmp(raw + rl - sl, DELETED_SUFFIX) == 0;
	if (deleted) {
		group_ids_agree(t, g, n, NULL, 0, &any, NULL, NULL);
		if (!any) {
			why = "deleted";
			goto status;
		}
		stripped = strndup(raw, rl - sl);
		if (!stripped)
			return hw_error_nomem();
		raw = stripped;
	}
	path = hw_mapfiles_host_path(raw, sysroot, &why);
	if (!path) {
		free(stripped);
		if (!why)
			return hw_error_nomem();
		goto status;
	}
	/* opened once per file, shared by every spelling of its path */
	err = hw_mapfiles_open(t->priv->files, sysroot, raw, path, &elf, &why);
	free(stripped);
	if (err || !elf) {
		free(path);
		if (err)
			return err;
		goto status;
	}
	id = hw_elf_build_id(elf, &id_len);
	agree = group_ids_agree(t, g, n, id, id_len, &any, NULL, NULL);
	if (!agree || (deleted && !any)) {
		why = "build-id differs from the core";
		elf = NULL; /* the file stays in the table, shared with its other spellings */
	} else {
		why = "ok";
	}
	for (size_t k = 0; k < n && !err; k++) {
		struct hw_mapping *m = &t->mappings[g[k].idx];
		m->elf = elf;
		m->status = why;
		m->opened_path = strdup(path);
		if (!m->opened_path)
			err = hw_error_nomem();
	}
	free(path);
	return err;

status:
	for (size_t k = 0; k < n; k++)
		t->mappings[g[k].idx].status = why;
	return NULL;
}

/* The group (in @sorted) whose path is @raw: its first element and size. */
static const struct by_path *find_group(const struct by_path *sorted, size_t n, const char *raw,
					size_t *len_ret)
{
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(sorted[j].raw, sorted[i].raw) == 0)
			j++;
		if (strcmp(sorted[i].raw, raw) == 0) {
			*len_ret = j - i;
			return &sorted[i];
		}
		i = j;
	}
	return NULL;
}

/*
 * The explicit executable: check it against the core, attach it to the
 * mappings of the executable the core names; *exe_idx gets that mapping
 * when auxv did not tell (found by build-id).
 */
static struct hw_error *use_explicit_exe(struct hw_target *t, const struct hw_target_opts *opts,
					 const struct by_path *sorted, size_t *exe_idx,
					 bool *group_done)
{
	struct hw_error *err;
	struct hw_elf *elf;
	const uint8_t *id;
	size_t id_len, n = 0;
	const struct by_path *g = NULL;
	bool any = false;
	uint8_t core_id[HW_BUILD_ID_MAX];
	size_t core_id_len = 0;

	if ((err = hw_elf_open(opts->exe_path, &elf)))
		return hw_error_context(err, "cannot use executable");
	if ((err = keep_elf(t, elf)))
		return err;
	if (hw_elf_class(elf) != t->elf_class || hw_elf_machine(elf) != t->machine)
		return hw_error_create(HW_ERR_BAD_DATA,
				       "executable %s (ELF class %u, machine %u) does not match "
				       "the core %s (ELF class %u, machine %u)",
				       opts->exe_path, hw_elf_class(elf), hw_elf_machine(elf),
				       opts->core_path, t->elf_class, t->machine);
	id = hw_elf_build_id(elf, &id_len);
	if (*exe_idx != SIZE_MAX) {
		for (size_t i = 0; i < t->nmappings; i++)
			if (sorted[i].idx == *exe_idx) {
				g = find_group(sorted, t->nmappings, sorted[i].raw, &n);
				break;
			}
	} else if (id_len) {
		/* No auxv: the executable is the mapping whose saved build-id is its own. */
		for (size_t i = 0; i < t->nmappings && !g; i++) {
			const struct hw_mapping *m = &t->mappings[sorted[i].idx];
			uint8_t cid[HW_BUILD_ID_MAX];
			size_t len;
			if (m->file_offset != 0)
				continue;
			len = hw_core_mapped_build_id(t->mem, m->start, m->end - m->start, cid);
			if (len == id_len && memcmp(cid, id, len) == 0) {
				g = find_group(sorted, t->nmappings, sorted[i].raw, &n);
				*exe_idx = sorted[i].idx;
			}
		}
	}
	if (g && !group_ids_agree(t, g, n, id, id_len, &any, core_id, &core_id_len)) {
		char want[2 * HW_BUILD_ID_MAX + 1], got[2 * HW_BUILD_ID_MAX + 1];
		hex(want, core_id, core_id_len);
		hex(got, id, id_len);
		return hw_error_create(HW_ERR_BAD_DATA,
				       "executable build-id differs from the core: %s has %s, "
				       "the core %s saved %s",
				       opts->exe_path, id_len ? got : "none", opts->core_path,
				       want);
	}
	t->exe = elf;
	t->exe_build_id_checked = any;
	if (!(t->exe_path = strdup(opts->exe_path)))
		return hw_error_nomem();
	if (g) {
		for (size_t k = 0; k < n; k++) {
			struct hw_mapping *m = &t->mappings[g[k].idx];
			m->elf = elf;
			m->status = "ok";
			if (!(m->opened_path = strdup(opts->exe_path)))
				return hw_error_nomem();
			group_done[g[k].idx] = true;
		}
	}
	return NULL;
}

/* Add the file-backed bytes of every usable mapping to the mem, in address order. */
static struct hw_error *add_file_segments(struct hw_target *t)
{
	struct hw_error *err;

	for (size_t k = 0; k < t->nmappings; k++) {
		struct hw_mapping *m = &t->mappings[t->priv->by_start[k]];
		uint64_t len = m->end - m->start, avail = 0;
		size_t size;
		const uint8_t *data;

		if (m->elf) {
			data = hw_elf_data(m->elf, &size);
			if (m->file_offset < size)
				avail = size - m->file_offset < len ? size - m->file_offset : len;
			err = hw_mem_add_direct(t->mem, HW_MEM_LAYER_FILE, m->start, avail,
						data + (avail ? m->file_offset : 0));
			if (err && err->code == HW_ERR_NOMEM)
				return err;
			if (err) {
				hw_error_destroy(err);
				m->elf = NULL;
				m->status = "overlaps another mapping";
				avail = 0;
			}
		}
		/* Explain faults in the rest; where the core already explains them, keep that. */
		err = hw_mem_add_missing(t->mem, m->start + avail, len - avail,
					 m->elf ? WHY_BEYOND_FILE : WHY_FILE_UNAVAILABLE);
		if (err && err->code == HW_ERR_NOMEM)
			return err;
		hw_error_destroy(err);
	}
	return NULL;
}

/* Load bias of the executable from auxv, else from its mapping at file offset 0. */
static void compute_bias(struct hw_target *t, const struct hw_core *core, size_t exe_idx)
{
	uint64_t page = core->page_size > 1 ? core->page_size : 4096;
	const struct hw_mapping *first = NULL;

	if (core->have_entry && hw_elf_entry(t->exe) != 0) {
		t->exe_bias = core->at_entry - hw_elf_entry(t->exe);
	} else if (exe_idx != SIZE_MAX) {
		const char *path = t->mappings[exe_idx].path;
		for (size_t i = 0; i < t->nmappings; i++) {
			const struct hw_mapping *m = &t->mappings[i];
			if (m->file_offset == 0 && strcmp(m->path, path) == 0 &&
			    (!first || m->start < first->start))
				first = m;
		}
		if (first)
			t->exe_bias = hw_elf_load_bias(t->exe, first->start, page);
	}
	if (t->word_size == 4)
		t->exe_bias &= 0xffffffffu;
}

struct hw_error *hw_target_open_core(const struct hw_target_opts *opts, struct hw_target **ret)
{
	struct hw_error *err;
	struct hw_target *t;
	struct hw_core core;
	struct by_path *sorted = NULL;
	bool *group_done = NULL;
	size_t exe_idx = SIZE_MAX;
	bool have_core = false;

	if (!opts || !opts->core_path)
		return hw_error_create(HW_ERR_INVALID_ARG, "no core file given");
	t = calloc(1, sizeof(*t));
	if (!t)
		return hw_error_nomem();
	if ((t->priv = calloc(1, sizeof(*t->priv))))
		t->priv->files = opts->files ? &opts->files->m : &t->priv->own;
	if (!t->priv || !(t->source_path = strdup(opts->core_path)) ||
	    (opts->sysroot && *opts->sysroot && !(t->sysroot = strdup(opts->sysroot)))) {
		err = hw_error_nomem();
		goto fail;
	}
	if ((err = map_core(opts->core_path, t->priv, opts->max_core_size)) ||
	    (err = hw_mem_create(&t->mem)))
		goto fail;
	if ((err = hw_core_parse(opts->core_path, t->priv->core_map, t->priv->core_size, t->mem,
				 &core)))
		goto fail;
	have_core = true;
	t->word_size = core.word_size;
	t->elf_class = core.elf_class;
	t->machine = core.machine;
	t->pid = core.pid;
	memcpy(t->comm, core.comm, sizeof(t->comm));
	memcpy(t->psargs, core.psargs, sizeof(t->psargs));

	/* The mappings, and the same in path order and in address order. */
	if (core.nfiles) {
		t->mappings = calloc(core.nfiles, sizeof(*t->mappings));
		sorted = calloc(core.nfiles, sizeof(*sorted));
		group_done = calloc(core.nfiles, sizeof(*group_done));
		t->priv->by_start = calloc(core.nfiles, sizeof(*t->priv->by_start));
		if (!t->mappings || !sorted || !group_done || !t->priv->by_start) {
			err = hw_error_nomem();
			goto fail;
		}
	}
	t->nmappings = core.nfiles;
	for (size_t i = 0; i < core.nfiles; i++) {
		struct hw_mapping *m = &t->mappings[i];
		m->start = core.files[i].start;
		m->end = core.files[i].end;
		m->file_offset = core.files[i].file_offset;
		m->status = "not opened";
		if (!(m->path = sanitised_dup(core.files[i].path))) {
			err = hw_error_nomem();
			goto fail;
		}
		sorted[i].raw = core.files[i].path;
		sorted[i].idx = i;
		t->priv->by_start[i] = i;
	}
	if (t->nmappings) {
		qsort(sorted, t->nmappings, sizeof(*sorted), cmp_by_path);
		qsort_r(t->priv->by_start, t->nmappings, sizeof(size_t), cmp_by_start, t->mappings);
	}

	/* Which mapping is the executable: the one holding its program headers or entry. */
	if (core.have_phdr)
		exe_idx = mapping_index_at(t, core.at_phdr);
	if (exe_idx == SIZE_MAX && core.have_entry)
		exe_idx = mapping_index_at(t, core.at_entry);

	if (opts->exe_path && *opts->exe_path &&
	    (err = use_explicit_exe(t, opts, sorted, &exe_idx, group_done)))
		goto fail;

	for (size_t i = 0; i < t->nmappings;) {
		size_t j = i + 1;
		while (j < t->nmappings && strcmp(sorted[j].raw, sorted[i].raw) == 0)
			j++;
		if (!group_done[sorted[i].idx] &&
		    (err = open_group(t, &sorted[i], j - i, opts->sysroot)))
			goto fail;
		i = j;
	}

	if (!t->exe && exe_idx == SIZE_MAX) {
		/* No auxv: the first program mapped at offset 0. */
		for (size_t k = 0; k < t->nmappings; k++) {
			const struct hw_mapping *m = &t->mappings[t->priv->by_start[k]];
			if (m->file_offset == 0 && m->elf &&
			    (hw_elf_type(m->elf) == ET_EXEC ||
			     (hw_elf_type(m->elf) == ET_DYN && hw_elf_has_interp(m->elf)))) {
				exe_idx = t->priv->by_start[k];
				break;
			}
		}
	}
	if (exe_idx != SIZE_MAX) {
		const struct hw_mapping *m = &t->mappings[exe_idx];
		if (!(t->exe_path_in_core = strdup(m->path))) {
			err = hw_error_nomem();
			goto fail;
		}
		if (!t->exe && m->elf) {
			bool any = false;
			size_t n = 0, id_len;
			const uint8_t *id = hw_elf_build_id(m->elf, &id_len);
			const struct by_path *g =
			    find_group(sorted, t->nmappings, core.files[exe_idx].path, &n);
			t->exe = m->elf;
			if (g)
				group_ids_agree(t, g, n, id, id_len, &any, NULL, NULL);
			t->exe_build_id_checked = any;
			if (!(t->exe_path = strdup(m->opened_path))) {
				err = hw_error_nomem();
				goto fail;
			}
		}
	} else if (core.have_execfn) {
		char raw[PATH_MAX];
		size_t len;
		struct hw_error *e =
		    hw_mem_read_cstr(t->mem, core.at_execfn, raw, sizeof(raw), &len, NULL);
		if (!e && !(t->exe_path_in_core = sanitised_dup(raw))) {
			err = hw_error_nomem();
			goto fail;
		}
		hw_error_destroy(e);
	}
	if (t->exe)
		compute_bias(t, &core, exe_idx);

	if ((err = add_file_segments(t)))
		goto fail;
	free(sorted);
	free(group_done);
	hw_core_deinit(&core);
	*ret = t;
	return NULL;

fail:
	free(sorted);
	free(group_done);
	if (have_core)
		hw_core_deinit(&core);
	hw_target_destroy(t);
	return err;
}

struct hw_error *hw_target_symbol(const struct hw_target *t, const char *name, uint64_t *addr_ret,
				  uint64_t *size_ret)
{
	struct hw_elf_symbol sym;
	struct hw_error *err;
	uint64_t addr;

	if (!t->exe)
		return hw_error_create(HW_ERR_LOOKUP,
				       "cannot look up symbol '%s': the executable of %s is not "
				       "available",
				       name, t->source_path);
	if ((err = hw_elf_symbol(t->exe, name, &sym)))
		return err;
	addr = sym.value + t->exe_bias;
	if (t->word_size == 4)
		addr &= 0xffffffffu;
	*addr_ret = addr;
	if (size_ret)
		*size_ret = sym.size;
	return NULL;
}

/* A little-endian integer of @size bytes (4 or 8) at @addr, zero-extended. */
static struct hw_error *read_le(const struct hw_target *t, uint64_t addr, size_t size,
				uint64_t *ret)
{
	union {
		uint32_t u32;
		uint64_t u64;
	} v;
	const void *p = hw_mem_peek(t->mem, addr, size);
	struct hw_error *err;

	if (p) {
		memcpy(&v, p, size);
	} else if ((err = hw_mem_read(t->mem, &v, addr, size))) {
		return err;
	}
	*ret = size == 8 ? le64toh(v.u64) : le32toh(v.u32);
	return NULL;
}

struct hw_error *hw_target_read_u32(const struct hw_target *t, uint64_t addr, uint32_t *ret)
{
	uint64_t v;
	struct hw_error *err = read_le(t, addr, sizeof(*ret), &v);

	if (!err)
		*ret = (uint32_t)v;
	return err;
}

struct hw_error *hw_target_read_u64(const struct hw_target *t, uint64_t addr, uint64_t *ret)
{
	return read_le(t, addr, sizeof(*ret), ret);
}

struct hw_error *hw_target_read_word(const struct hw_target *t, uint64_t addr, uint64_t *ret)
{
	return read_le(t, addr, t->word_size == 8 ? 8 : 4, ret);
}

struct hw_error *hw_target_read_string(const struct hw_target *t, uint64_t addr, char *out,
				       size_t cap)
{
	char raw[4096];
	size_t len;
	struct hw_error *err;

	if (cap == 0)
		return hw_error_create(HW_ERR_INVALID_ARG, "string buffer of 0 bytes");
	/* Each raw byte yields at least one output byte: cap raw bytes are enough. */
	err =
	    hw_mem_read_cstr(t->mem, addr, raw, cap < sizeof(raw) ? cap : sizeof(raw), &len, NULL);
	if (err)
		return err;
	hw_sanitise(out, cap, raw, len);
	return NULL;
}
