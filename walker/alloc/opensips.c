/*
 * opensips.c - what marks an image as OpenSIPS rather than Kamailio, its
 * version, and which allocator each of its pools runs (opensips-memory.md).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/alloc.h"
#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/pool.h"
#include "heapwalk/target.h"
#include "heapwalk/mem.h"

/* The longest version text kept ("opensips 3.6.8 (x86_64/linux)"). */
#define VERSION_MAX 64

static bool has_sym(const struct hw_target *t, const char *name)
{
	uint64_t a;
	struct hw_error *err = hw_target_symbol(t, name, &a, NULL);

	hw_error_destroy(err);
	return err == NULL;
}

/* Copy the printable run at @p (at most @n bytes, up to a NUL) into @out. */
static void copy_printable(const char *p, size_t n, char *out, size_t cap)
{
	size_t k = 0;

	for (; k < n && k + 1 < cap && p[k] && isprint((unsigned char)p[k]); k++)
		out[k] = p[k];
	out[k] = '\0';
}

/*
 * OPENSIPS_FULL_VERSION, "opensips 3.6.8 (x86_64/linux)", as a string of
 * its own in the executable's file: every OpenSIPS since 1.x has it, even
 * stripped (the -V output and each module's version check use it).
 */
static bool version_in_file(const struct hw_target *t, char *out, size_t cap)
{
	static const char needle[] = "opensips ";
	const size_t nl = sizeof(needle) - 1;
	size_t size = 0;
	const char *d = t->exe ? hw_elf_data(t->exe, &size) : NULL;
	const char *p = d, *end = d ? d + size : NULL;

	/* Bounded: p moves forward at every round. */
	while (p && (size_t)(end - p) > nl + 3) {
		const char *hit = memmem(p, (size_t)(end - p), needle, nl);
		if (!hit || (size_t)(end - hit) < nl + 3)
			return false;
		if ((hit == d || hit[-1] == '\0') && isdigit((unsigned char)hit[nl]) &&
		    hit[nl + 1] == '.' && isdigit((unsigned char)hit[nl + 2])) {
			size_t room = (size_t)(end - hit);
			copy_printable(hit, room < VERSION_MAX ? room : VERSION_MAX, out, cap);
			return true;
		}
		p = hit + 1;
	}
	return false;
}

/* 3.4+: server_header, a str "Server: OpenSIPS (3.6.8 (x86_64/linux))". */
static bool version_in_header(const struct hw_target *t, char *out, size_t cap)
{
	static const char mark[] = "OpenSIPS (";
	uint64_t sym, str, s, len = 0;
	uint32_t len32 = 0;
	char buf[VERSION_MAX + 1], *v;
	struct hw_error *err = hw_target_symbol(t, "server_header", &sym, NULL);

	if (!err)
		err = hw_target_read_word(t, sym, &str);
	if (!err)
		err = hw_target_read_word(t, str, &s);
	if (!err)
		err = hw_target_read_u32(t, str + t->word_size, &len32);
	len = len32;
	if (!err && (len == 0 || len > VERSION_MAX))
		len = VERSION_MAX;
	if (!err)
		err = hw_mem_read(t->mem, buf, s, len);
	if (err) {
		hw_error_destroy(err);
		return false;
	}
	buf[len] = '\0';
	v = strstr(buf, mark);
	if (!v || !isdigit((unsigned char)v[sizeof(mark) - 1]))
		return false;
	snprintf(out, cap, "opensips ");
	copy_printable(v + sizeof(mark) - 1, strlen(v + sizeof(mark) - 1), out + 9,
		       cap > 9 ? cap - 9 : 0);
	/* "3.6.8 (x86_64/linux))": drop the header's closing parenthesis */
	len = strlen(out);
	if (len && out[len - 1] == ')')
		out[len - 1] = '\0';
	return true;
}

/*
 * enum osips_mm: 3.0-3.5 NONE, F, Q, HP, then the _DBG flavours; 3.6
 * inserted F_PARALLEL at 4 and F_PARALLEL_DBG at the end.
 */
static void decode_mm(int v, bool parallel_era, enum hw_os_mm *mm, bool *dbg)
{
	static const enum hw_os_mm base[] = {HW_OS_MM_UNKNOWN, HW_OS_MM_F, HW_OS_MM_Q, HW_OS_MM_HP,
					     HW_OS_MM_PARALLEL};
	int first_dbg = parallel_era ? 5 : 4;
	int kinds = parallel_era ? 4 : 3;

	*mm = HW_OS_MM_UNKNOWN;
	*dbg = false;
	if (v > 0 && v < first_dbg) {
		*mm = base[v];
	} else if (v >= first_dbg && v < first_dbg + kinds) {
		*mm = base[v - first_dbg + 1];
		*dbg = true;
	}
}

bool hw_opensips_read(const struct hw_target *t, struct hw_instance *inst)
{
	/* the shm debug pool runs on shm's allocator */
	static const char *const mm_syms[HW_POOL_KIND_COUNT] = {
	    "mem_allocator_pkg", "mem_allocator_shm", "mem_allocator_rpm", "mem_allocator_shm"};
	bool by_sym = has_sym(t, "mem_allocator_pkg") || has_sym(t, "mem_allocator_shm");
	bool parallel_era;
	char v[VERSION_MAX + 1] = "";

	if (!version_in_header(t, v, sizeof(v)) && !version_in_file(t, v, sizeof(v)))
		v[0] = '\0';
	if (!by_sym && !v[0])
		return false;
	inst->product = HW_PRODUCT_OPENSIPS;
	snprintf(inst->product_why, sizeof(inst->product_why), "%s",
		 v[0] ? "its version string" : "mem_allocator_pkg/mem_allocator_shm");
	if (v[0]) {
		snprintf(inst->version, sizeof(inst->version), "%s", v);
		if (sscanf(v + 9, "%d.%d", &inst->major, &inst->minor) != 2)
			inst->major = inst->minor = -1;
	}
	/* Without a version, the parallel pools' own global tells the numbering. */
	parallel_era = inst->major >= 0 ? inst->major > 3 || (inst->major == 3 && inst->minor >= 6)
					: has_sym(t, "shm_blocks");
	for (int k = 0; k < HW_POOL_KIND_COUNT; k++) {
		uint64_t addr;
		uint32_t val;
		struct hw_error *err = hw_target_symbol(t, mm_syms[k], &addr, NULL);
		if (!err)
			err = hw_target_read_u32(t, addr, &val);
		if (err) {
			hw_error_destroy(err);
			continue;
		}
		inst->os_mm_value[k] = (int)(val & 0x7fffffff);
		decode_mm(inst->os_mm_value[k], parallel_era, &inst->os_mm[k], &inst->os_mm_dbg[k]);
		inst->os_mm_known[k] = inst->os_mm[k] != HW_OS_MM_UNKNOWN;
	}
	return true;
}

const char *hw_os_mm_name(enum hw_os_mm mm)
{
	switch (mm) {
	case HW_OS_MM_F:
		return "f_malloc";
	case HW_OS_MM_Q:
		return "q_malloc";
	case HW_OS_MM_HP:
		return "hp_malloc";
	case HW_OS_MM_PARALLEL:
		return "f_parallel_malloc";
	default:
		return "unknown";
	}
}

/* ---- OpenSIPS's process table ---- */

/* Entries read at most, and the longest struct process_table looked for. */
#define OS_PT_MAX 4096u
#define OS_PT_ENTRY_MAX 8192u
/* MAX_PT_DESC: the description is a char[128] */
#define OS_DESC 128u

/* Entry at @e: its pid and its description when printable (false otherwise). */
static bool os_entry(const struct hw_target *t, uint64_t e, uint32_t desc_off, int *pid, char *desc)
{
	uint32_t p;
	struct hw_error *err = hw_target_read_u32(t, e, &p);

	if (!err)
		err = hw_target_read_string(t, e + desc_off, desc, OS_DESC + 1);
	if (err) {
		hw_error_destroy(err);
		return false;
	}
	*pid = (int)p;
	for (const char *c = desc; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			return false;
	return true;
}

/* Linux's PID_MAX_LIMIT: no pid is above it. */
#define OS_PID_MAX 4194304
/* Entries looked at to tell the stride. */
#define OS_PT_PROBE 16u

/*
 * How many of entries 1 .. @count - 1 (at most OS_PT_PROBE) read as used
 * entries at stride @s (a pid, distinct from the others, and a description
 * of three printable characters at least), -1 when one reads as neither a
 * used nor an unused (all zero) entry.
 */
static int os_stride_score(const struct hw_target *t, uint64_t pt, uint32_t s, uint32_t desc_off,
			   uint32_t count, int pid0)
{
	int pids[OS_PT_PROBE + 1], used = 0;

	pids[0] = pid0;
	for (uint32_t i = 1; i < count && i <= OS_PT_PROBE; i++) {
		char desc[OS_DESC + 1];
		int pid;
		if (!os_entry(t, pt + (uint64_t)i * s, desc_off, &pid, desc))
			return -1;
		pids[i] = pid;
		if (pid == 0 && !desc[0])
			continue;
		if (pid < 0 || pid > OS_PID_MAX || strlen(desc) < 3)
			return -1;
		for (uint32_t k = 0; k < i; k++)
			if (pids[k] == pid)
				return -1;
		used++;
	}
	return used;
}

bool hw_opensips_pt_read(const struct hw_target *t, int main_pid, struct hw_pt *ret)
{
	/* 2.4: pid, desc; 3.0+: pid, type (a small enum: never text), pg_filter, desc */
	const uint32_t desc_offs[] = {4, 8 + t->word_size};
	uint64_t addr, pt;
	uint32_t count, desc_off = 0, stride = 0;
	struct hw_error *err = hw_target_symbol(t, "counted_max_processes", &addr, NULL);
	char desc[OS_DESC + 1];
	int pid = 0, pid0;

	if (err) {
		hw_error_destroy(err);
		return false;
	}
	memset(ret, 0, sizeof(*ret));
	err = hw_target_read_u32(t, addr, &count);
	if (!err)
		err = hw_target_symbol(t, "pt", &addr, NULL);
	if (!err)
		err = hw_target_read_word(t, addr, &pt);
	if (err || !pt || count == 0 || count > OS_PT_MAX) {
		hw_error_destroy(err);
		return true;
	}
	/* entry 0 is the main process: @main_pid's first, else any (a worker's core) */
	for (int any = 0; any < 2 && !desc_off; any++)
		for (size_t k = 0; k < sizeof(desc_offs) / sizeof(desc_offs[0]) && !desc_off; k++)
			if (os_entry(t, pt, desc_offs[k], &pid, desc) && desc[0] &&
			    (!main_pid || pid == main_pid || (any && pid > 0 && pid <= OS_PID_MAX)))
				desc_off = desc_offs[k];
	if (desc_off)
		os_entry(t, pt, desc_off, &pid, desc);
	if (!desc_off)
		return true;
	/* The entry's size changes with the release: the first stride at which the next
	 * entries read as entries too. */
	/* the stride at which the most entries read as used ones (the first of equals) */
	pid0 = pid;
	for (uint32_t s = desc_off + OS_DESC, best = 0; s <= OS_PT_ENTRY_MAX && count > 1;
	     s += t->word_size) {
		int score = os_stride_score(t, pt, s, desc_off, count, pid0);
		if (score > 0 && (uint32_t)score > best) {
			best = (uint32_t)score;
			stride = s;
		}
	}
	if (!stride) /* no other entry in use (or none readable): entry 0 alone */
		count = 1;
	ret->e = calloc(count, sizeof(*ret->e));
	if (!ret->e)
		return true;
	for (uint32_t i = 0; i < count; i++) {
		if (!os_entry(t, pt + (uint64_t)i * stride, desc_off, &pid, desc))
			break;
		if (pid <= 0)
			continue;
		ret->e[ret->n].pid = pid;
		ret->e[ret->n].rank = -1;
		snprintf(ret->e[ret->n].desc, sizeof(ret->e[ret->n].desc), "%s", desc);
		ret->n++;
	}
	ret->have_count = true;
	ret->process_count = (int)ret->n;
	return true;
}
