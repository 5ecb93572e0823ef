/* process.c - whether a process is Kamailio's, and where its shm lock is. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/session.h"
#include "heapwalk/snapshot.h"
#include "heapwalk/target.h"
#include "internal.h"

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

/* @len bytes of a process's memory (its open /proc/PID/mem) at @addr. */
static bool read_mem(int fd, uint64_t addr, void *buf, size_t len)
{
	return pread(fd, buf, len, (off_t)addr) == (ssize_t)len;
}

/*
 * The link-time address of the variable that the x86-64 function @code
 * (at @vaddr, @len bytes read) loads first: `mov disp32(%rip), %reg`
 * (REX.W 8B, ModRM mod 00 r/m 101). 0 when it does not start so.
 */
static uint64_t first_rip_load(const uint8_t *code, size_t len, uint64_t vaddr)
{
	for (size_t i = 0; i + 7 <= len && i < 16; i++) {
		if ((code[i] & 0xf8) == 0x48 && code[i + 1] == 0x8b &&
		    (code[i + 2] & 0xc7) == 0x05) {
			int32_t disp =
			    (int32_t)((uint32_t)code[i + 3] | (uint32_t)code[i + 4] << 8 |
				      (uint32_t)code[i + 5] << 16 | (uint32_t)code[i + 6] << 24);
			return vaddr + i + 7 + (uint64_t)(int64_t)disp;
		}
	}
	return 0;
}

uint64_t hw_kamailio_shm_lock(int pid, const char *exe)
{
	/* the lock's pointer: a global of its own (OpenSIPS, old Kamailio), else the one
	 * each manager's shm lock function loads first (only the running one's is set) */
	static const char *const lockers[] = {"qm_shm_glock", "fm_shm_glock", "tlsf_shm_glock"};
	char path[64];
	struct hw_elf *elf;
	struct hw_elf_symbol sym;
	struct hw_error *err;
	uint64_t start, bias, lock = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if ((err = hw_elf_open(exe ? exe : path, &elf))) {
		hw_error_destroy(err);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	err = fd < 0 ? hw_error_os(errno, "%s", path) : hw_live_exe_start(pid, &start);
	if (err || hw_elf_class(elf) != ELFCLASS64 || hw_elf_machine(elf) != EM_X86_64)
		goto out;
	bias = hw_elf_load_bias(elf, start, (uint64_t)sysconf(_SC_PAGESIZE));
	if (!(err = hw_elf_symbol(elf, "mem_lock", &sym)) && sym.type == STT_OBJECT) {
		if (!read_mem(fd, sym.value + bias, &lock, sizeof(lock)))
			lock = 0;
		goto out;
	}
	for (size_t i = 0; i < sizeof(lockers) / sizeof(lockers[0]) && !lock; i++) {
		uint8_t code[24];
		uint64_t var;
		struct hw_error *e = hw_elf_symbol(elf, lockers[i], &sym);
		if (!e)
			e = hw_elf_read_vaddr(elf, code, sym.value, sizeof(code));
		if (e) {
			hw_error_destroy(e);
			continue;
		}
		var = first_rip_load(code, sizeof(code), sym.value);
		if (var && !read_mem(fd, var + bias, &lock, sizeof(lock)))
			lock = 0;
	}
out:
	hw_error_destroy(err);
	if (fd >= 0) {
		/* A lock word is 0 most of the time: one never seen 0 is not one (a
		 * System V semaphore's id) or is stuck, and not worth waiting for. */
		bool seen_free = false;
		for (int i = 0; i < 5 && lock && !seen_free; i++) {
			uint32_t word;
			if (!read_mem(fd, lock, &word, sizeof(word)))
				break;
			seen_free = word == 0;
			if (!seen_free)
				usleep(200);
		}
		if (!seen_free)
			lock = 0;
		close(fd);
	}
	hw_elf_close(elf);
	return fd >= 0 ? lock : 0;
}

void hw_say_quiet(const struct hw_snapshot *s, hw_session_say_fn warn)
{
	if (!warn || !s->quiet_retries)
		return;
	if (s->quiet_busy)
		warn("a process held the shm lock at each of %u stops: the snapshot was taken so, "
		     "shm may be caught in the middle of an allocation",
		     s->quiet_retries + 1);
	else
		warn("the processes were let go and stopped again %u time%s: a process was caught "
		     "inside shm's malloc or free (the lock held)",
		     s->quiet_retries, s->quiet_retries == 1 ? "" : "s");
}
