/* instance.c - what a Kamailio image says about itself: version, flags, sizes, process_no, pt[]. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "heapwalk/alloc.h"
#include "heapwalk/error.h"
#include "heapwalk/pool.h"
#include "heapwalk/target.h"

/* Read a symbol's string contents (an array of char, e.g. full_version). */
static bool read_sym_string(const struct hw_target *t, const char *sym, char *out, size_t cap)
{
	uint64_t addr;
	struct hw_error *err = hw_target_symbol(t, sym, &addr, NULL);

	if (!err)
		err = hw_target_read_string(t, addr, out, cap);
	if (err) {
		hw_error_destroy(err);
		out[0] = '\0';
		return false;
	}
	return true;
}

static bool read_sym_word(const struct hw_target *t, const char *sym, uint64_t *ret)
{
	uint64_t addr;
	struct hw_error *err = hw_target_symbol(t, sym, &addr, NULL);

	if (!err)
		err = hw_target_read_word(t, addr, ret);
	if (err) {
		hw_error_destroy(err);
		return false;
	}
	return true;
}

/* Process table entry layouts (struct process_table), tried in order. */
static const struct {
	unsigned size, rank, desc; /* rank 0: none */
} pt_layouts[] = {
    {148, 16, 20}, /* 4.4 .. 6.x with USE_TCP: pid, unix_sock, idx, status, rank, desc[128] */
    {140, 0, 12},  /* older: pid, unix_sock, idx, desc[128] */
};

#define PT_MAX 4096

static bool printable(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* The entry layout of the table at @pt: the first whose entry 0 is @main_pid (0: any) with a
 * readable description; -1 if none is. */
static int pt_layout(const struct hw_target *t, uint64_t pt, int main_pid)
{
	for (size_t l = 0; l < sizeof(pt_layouts) / sizeof(pt_layouts[0]); l++) {
		uint32_t pid0;
		char desc[160];
		struct hw_error *err = hw_target_read_u32(t, pt, &pid0);
		if (!err)
			err = hw_target_read_string(t, pt + pt_layouts[l].desc, desc, sizeof(desc));
		if (err)
			hw_error_destroy(err);
		else if (printable(desc) && (!main_pid || (int)pid0 == main_pid))
			return (int)l;
	}
	return -1;
}

/* Entry @i of the table at @pt in layout @l. */
static bool pt_entry(const struct hw_target *t, uint64_t pt, int l, uint32_t i,
		     struct hw_pt_entry *pe)
{
	uint64_t e = pt + (uint64_t)i * pt_layouts[l].size;
	uint32_t pid, rank = 0;
	struct hw_error *err = hw_target_read_u32(t, e, &pid);

	if (!err && pt_layouts[l].rank)
		err = hw_target_read_u32(t, e + pt_layouts[l].rank, &rank);
	if (!err)
		err = hw_target_read_string(t, e + pt_layouts[l].desc, pe->desc, 129);
	if (err) {
		hw_error_destroy(err);
		return false;
	}
	pe->pid = (int)pid;
	pe->rank = pt_layouts[l].rank ? (int)rank : -1;
	return true;
}

void hw_pt_read(const struct hw_target *t, int main_pid, struct hw_pt *ret)
{
	uint64_t addr, pt, pc;
	uint32_t count = 0;
	struct hw_error *err;
	int l;

	if (hw_opensips_pt_read(t, main_pid, ret))
		return;
	memset(ret, 0, sizeof(*ret));
	err = hw_target_symbol(t, "process_count", &addr, NULL);
	if (!err)
		err = hw_target_read_word(t, addr, &pc);
	if (!err && pc)
		err = hw_target_read_u32(t, pc, &count);
	if (!err && pc && count > 0 && count <= PT_MAX) {
		ret->have_count = true;
		ret->process_count = (int)count;
	}
	hw_error_destroy(err);
	if (!ret->have_count || !read_sym_word(t, "pt", &pt) || !pt)
		return;
	if ((l = pt_layout(t, pt, main_pid)) < 0 || !(ret->e = calloc(count, sizeof(*ret->e))))
		return;
	for (uint32_t i = 0; i < count && pt_entry(t, pt, l, i, &ret->e[ret->n]); i++)
		ret->n++;
}

void hw_pt_deinit(struct hw_pt *pt)
{
	free(pt->e);
	memset(pt, 0, sizeof(*pt));
}

void hw_instance_read(const struct hw_target *t, struct hw_instance *inst)
{
	struct hw_pt_entry e;
	uint64_t v, pt;
	size_t n;
	int l;
	bool os, have_version;
	char v_str[sizeof(inst->version)] = "";

	memset(inst, 0, sizeof(*inst));
	inst->major = inst->minor = -1;
	have_version = read_sym_string(t, "full_version", v_str, sizeof(v_str)) ||
		       read_sym_string(t, "ver_version", v_str, sizeof(v_str));
	/*
	 * OpenSIPS: version and allocators from its own marks, no ver_flags. A
	 * version string that names another server settles it without searching
	 * the executable's file for OpenSIPS's (a few MiB, under a live hold).
	 */
	os = (!v_str[0] || !strncasecmp(v_str, "opensips", 8)) && hw_opensips_read(t, inst);
	if (!os && have_version) {
		const char *p = inst->version;
		snprintf(inst->version, sizeof(inst->version), "%s", v_str);
		n = strlen(inst->version);
		while (n && inst->version[n - 1] == ' ')
			inst->version[--n] = '\0';
		/* "kamailio 5.6.3 (x86_64/linux)", "ser 0.9.6 ...": first digits */
		while (*p && !isdigit((unsigned char)*p))
			p++;
		if (sscanf(p, "%d.%d", &inst->major, &inst->minor) != 2)
			inst->major = inst->minor = -1;
	}
	if (!os && read_sym_string(t, "ver_flags", inst->flags, sizeof(inst->flags))) {
		inst->debug_known = true;
		/* 4.4+: DBG_SR_MEMORY; before, one DBG_<MANAGER>_MALLOC given with -D */
		inst->debug =
		    strstr(inst->flags, "DBG_SR_MEMORY") || strstr(inst->flags, "DBG_QM_MALLOC") ||
		    strstr(inst->flags, "DBG_F_MALLOC") || strstr(inst->flags, "DBG_TLSF_MALLOC");
	}
	if (read_sym_word(t, "pkg_mem_size", &v))
		inst->pkg_mem_size = v;
	if (read_sym_word(t, "shm_mem_size", &v))
		inst->shm_mem_size = v;
	{
		uint64_t addr;
		uint32_t pn;
		struct hw_error *err = hw_target_symbol(t, "process_no", &addr, NULL);
		if (!err)
			err = hw_target_read_u32(t, addr, &pn);
		if (!err) {
			inst->has_process_no = true;
			inst->process_no = (int)pn;
		}
		hw_error_destroy(err);
	}
	/* this process's own entry of pt[], in the layout the table itself shows (OpenSIPS's
	 * process table is another struct: not read as Kamailio's) */
	if (!os && inst->has_process_no && inst->process_no >= 0 && inst->process_no < PT_MAX &&
	    read_sym_word(t, "pt", &pt) && pt && (l = pt_layout(t, pt, 0)) >= 0 &&
	    pt_entry(t, pt, l, (uint32_t)inst->process_no, &e)) {
		inst->has_pt = true;
		inst->pt_pid = e.pid;
		inst->pt_rank = e.rank;
		snprintf(inst->pt_desc, sizeof(inst->pt_desc), "%s", e.desc);
	}
	/* OpenSIPS: this process's entry, found by its pid */
	if (os) {
		struct hw_pt tab;
		int me = t->ns_pid ? t->ns_pid : t->pid;
		if (me > 0 && hw_opensips_pt_read(t, 0, &tab)) {
			for (size_t i = 0; i < tab.n; i++)
				if (tab.e[i].pid == me) {
					inst->has_pt = true;
					inst->pt_pid = me;
					inst->pt_rank = -1;
					snprintf(inst->pt_desc, sizeof(inst->pt_desc), "%s",
						 tab.e[i].desc);
				}
			hw_pt_deinit(&tab);
		}
	}
}
