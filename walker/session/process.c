/* process.c - Kamailio's processes: whether a pid is one, and the instance's process table pt[]. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/session.h"
#include "heapwalk/target.h"

struct hw_error *hw_kamailio_check(int pid, const char *exe)
{
	static const char *const roots[] = {"_pkg_root", "_shm_root", "mem_block", "shm_block"};
	char path[64];
	struct hw_elf *elf;
	struct hw_error *err;
	bool found = false;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	err = hw_elf_open(exe ? exe : path, &elf);
	if (err) {
		if (err->code == HW_ERR_OS && (err->errnum == ENOENT || err->errnum == ESRCH)) {
			hw_error_destroy(err);
			return hw_error_os(ESRCH, "no process %d", pid);
		}
		if (err->code == HW_ERR_OS && (err->errnum == EACCES || err->errnum == EPERM)) {
			hw_error_destroy(err);
			return hw_error_os(
			    EPERM,
			    "cannot read the executable of pid %d: not permitted (run "
			    "heapwalk as root or as the process's user)",
			    pid);
		}
		return err;
	}
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]) && !found; i++) {
		struct hw_elf_symbol sym;
		struct hw_error *e = hw_elf_symbol(elf, roots[i], &sym);
		found = e == NULL;
		hw_error_destroy(e);
	}
	hw_elf_close(elf);
	if (!found)
		return hw_error_create(HW_ERR_LOOKUP,
				       "pid %d is not a Kamailio process: its executable has no "
				       "_pkg_root, _shm_root, mem_block or shm_block symbol",
				       pid);
	return NULL;
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

void hw_pt_read(const struct hw_target *t, int main_pid, struct hw_pt *ret)
{
	uint64_t addr, pt, pc;
	uint32_t count = 0;
	struct hw_error *err;
	int best = -1;

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
	err = hw_target_symbol(t, "pt", &addr, NULL);
	if (!err)
		err = hw_target_read_word(t, addr, &pt);
	if (err || !pt || !ret->have_count) {
		hw_error_destroy(err);
		return;
	}
	/* The layout whose first entry is the main process with a readable description. */
	for (size_t l = 0; l < sizeof(pt_layouts) / sizeof(pt_layouts[0]) && best < 0; l++) {
		uint32_t pid0;
		char desc[160];
		err = hw_target_read_u32(t, pt, &pid0);
		if (!err)
			err = hw_target_read_string(t, pt + pt_layouts[l].desc, desc, sizeof(desc));
		if (!err && printable(desc) && (!main_pid || (int)pid0 == main_pid))
			best = (int)l;
		hw_error_destroy(err);
	}
	if (best < 0 || !(ret->e = calloc(count, sizeof(*ret->e))))
		return;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t e = pt + (uint64_t)i * pt_layouts[best].size;
		struct hw_pt_entry *pe = &ret->e[ret->n];
		uint32_t pid, rank = 0;
		err = hw_target_read_u32(t, e, &pid);
		if (!err && pt_layouts[best].rank)
			err = hw_target_read_u32(t, e + pt_layouts[best].rank, &rank);
		if (!err)
			err = hw_target_read_string(t, e + pt_layouts[best].desc, pe->desc, 129);
		if (err) {
			hw_error_destroy(err);
			break;
		}
		pe->pid = (int)pid;
		pe->rank = pt_layouts[best].rank ? (int)rank : -1;
		ret->n++;
	}
}

void hw_pt_deinit(struct hw_pt *pt)
{
	free(pt->e);
	memset(pt, 0, sizeof(*pt));
}
