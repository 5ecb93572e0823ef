/* process.c - whether a process is Kamailio's. */
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
		return hw_error_create(
		    HW_ERR_LOOKUP,
		    "pid %d is not a Kamailio or OpenSIPS process: its executable has no "
		    "_pkg_root, _shm_root, mem_block or shm_block symbol",
		    pid);
	return NULL;
}
