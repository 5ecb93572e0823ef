/*
 * test_core.c - hw_target_open_core on real cores of a helper process (gcore, 64- and
 * 32-bit, and a kernel core where the system writes one) and on hostile cores.
 *
 * With --only32, the 32-bit helper alone: gcore'd where the kernel runs i386
 * programs, else run under qemu-i386 and cored by itself (fx_selfcore.c).
 * Exits 77 (skip) only when gcore is missing or ptrace is not permitted, or
 * (--only32) when this machine runs no i386 program at all.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_core.h"
#include "testutil.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/mem.h"
#include "heapwalk/target.h"

#define HEAP_SIZE 16384
#define HELPER_STR "heapwalk rodata marker: the quick brown fox jumps over the lazy dog"

/* A helper process as it described itself, and its core. */
struct run {
	pid_t pid;	/* the live process, 0 once reaped */
	pid_t core_pid; /* the pid it had */
	uint64_t heap_var, heap, str_var, str;
	char core[PATH_MAX];
	char exe_real[PATH_MAX];
	bool have_core;
};

static const char *helper_path, *helper32_path, *fixture_path;
static char gcore_path[PATH_MAX];
static char tmpdir[PATH_MAX];
static struct run h64, h32, hk;

/* ---- helpers: files ---- */

/* snprintf that treats truncation as a test failure. */
__attribute__((format(printf, 3, 4))) static void fmt(char *out, size_t cap, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(out, cap, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap) {
		fprintf(stderr, "path too long: %s\n", out);
		abort();
	}
}

static void tmp_path(char *out, size_t cap, const char *name)
{
	fmt(out, cap, "%s/%s", tmpdir, name);
}

static void mkdirs(const char *path)
{
	char buf[PATH_MAX];

	fmt(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(buf, 0700);
		*p = '/';
	}
	mkdir(buf, 0700);
}

/* Copy @src to @root + @abs (creating directories). */
static void plant(const char *root, const char *abs, const char *src)
{
	char dst[PATH_MAX], dir[PATH_MAX];
	size_t len;
	uint8_t *data = tu_slurp(src, &len);

	fmt(dst, sizeof(dst), "%s%s", root, abs);
	fmt(dir, sizeof(dir), "%s", dst);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	tu_spit(dst, data, len);
	free(data);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* ---- helpers: processes ---- */

/*
 * Start a helper (in @cwd if given; through @emulator, e.g. qemu-i386, if
 * given) with up to two arguments, and read its self-description.
 */
static bool spawn_helper_via(const char *emulator, const char *path, const char *arg,
			     const char *arg2, const char *cwd, struct run *r)
{
	int fds[2];
	char line[512];
	FILE *f;
	long pid;
	bool ok;

	memset(r, 0, sizeof(*r));
	if (pipe(fds) != 0)
		return false;
	r->pid = fork();
	if (r->pid < 0)
		return false;
	if (r->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		if (cwd && chdir(cwd) != 0)
			_exit(126);
		if (emulator)
			execlp(emulator, emulator, path, arg, arg2, (char *)NULL);
		else
			execl(path, path, arg, arg2, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	ok = f && fgets(line, sizeof(line), f) &&
	     sscanf(line, "%ld %" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64, &pid, &r->heap_var,
		    &r->heap, &r->str_var, &r->str) == 5 &&
	     pid == r->pid;
	r->core_pid = r->pid;
	if (f)
		fclose(f);
	if (!realpath(path, r->exe_real))
		ok = false;
	return ok;
}

static bool spawn_helper(const char *path, const char *arg, const char *cwd, struct run *r)
{
	return spawn_helper_via(NULL, path, arg, NULL, cwd, r);
}

static void reap(struct run *r)
{
	if (r->pid > 0) {
		kill(r->pid, SIGKILL);
		waitpid(r->pid, NULL, 0);
		r->pid = 0;
	}
}

static bool find_gcore(void)
{
	const char *path = getenv("PATH");
	char dirs[4096];

	fmt(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
	for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		fmt(gcore_path, sizeof(gcore_path), "%s/gcore", d);
		if (access(gcore_path, X_OK) == 0)
			return true;
	}
	return false;
}

/* Whether we may ptrace @pid (our child): if not, gcore cannot work either. */
static bool ptrace_permitted(pid_t pid)
{
	int st;

	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0)
		return !(errno == EPERM || errno == EACCES);
	waitpid(pid, &st, __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	return true;
}

static bool run_gcore(struct run *r, const char *name)
{
	char prefix[PATH_MAX], log[PATH_MAX], pidstr[32];
	pid_t g;
	int st;

	tmp_path(prefix, sizeof(prefix), name);
	fmt(log, sizeof(log), "%s.log", prefix);
	fmt(pidstr, sizeof(pidstr), "%ld", (long)r->pid);
	g = fork();
	if (g < 0)
		return false;
	if (g == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(gcore_path, "gcore", "-o", prefix, pidstr, (char *)NULL);
		_exit(127);
	}
	if (waitpid(g, &st, 0) != g)
		return false;
	fmt(r->core, sizeof(r->core), "%s.%ld", prefix, (long)r->pid);
	r->have_core = WIFEXITED(st) && WEXITSTATUS(st) == 0 && access(r->core, R_OK) == 0;
	if (!r->have_core) {
		char cmd[PATH_MAX + 16];
		fprintf(stderr, "gcore of %ld failed; its output:\n", (long)r->pid);
		fmt(cmd, sizeof(cmd), "cat '%s' >&2", log);
		if (system(cmd) != 0)
			fprintf(stderr, "(no log)\n");
	}
	return r->have_core;
}

/* A kernel-written core of the helper, when core_pattern writes into the cwd. */
static void kernel_core(void)
{
	char pattern[256] = "", dir[PATH_MAX];
	FILE *f = fopen("/proc/sys/kernel/core_pattern", "r");
	int st;
	DIR *d;
	struct dirent *e;

	if (f) {
		if (!fgets(pattern, sizeof(pattern), f))
			pattern[0] = '\0';
		fclose(f);
	}
	if (!pattern[0] || pattern[0] == '|' || strchr(pattern, '/')) {
		fprintf(stderr,
			"note: core_pattern '%s' does not write to the cwd; "
			"no kernel-core test\n",
			pattern);
		return;
	}
	tmp_path(dir, sizeof(dir), "kcore");
	mkdir(dir, 0700);
	if (!spawn_helper(helper_path, "abort", dir, &hk)) {
		reap(&hk);
		return;
	}
	waitpid(hk.pid, &st, 0);
	hk.pid = 0;
	if (!WIFSIGNALED(st) || !WCOREDUMP(st)) {
		fprintf(stderr, "note: the kernel wrote no core; no kernel-core test\n");
		return;
	}
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		fmt(hk.core, sizeof(hk.core), "%s/%s", dir, e->d_name);
		hk.have_core = true;
	}
	if (d)
		closedir(d);
}

/* ---- helpers: core images (test-local ELF64 reading) ---- */

static Elf64_Phdr get_phdr(const uint8_t *img, size_t i)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	memcpy(&eh, img, sizeof(eh));
	memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
	return ph;
}

static void put_phdr(uint8_t *img, size_t i, const Elf64_Phdr *ph)
{
	Elf64_Ehdr eh;

	memcpy(&eh, img, sizeof(eh));
	memcpy(img + eh.e_phoff + i * sizeof(*ph), ph, sizeof(*ph));
}

static size_t phnum(const uint8_t *img)
{
	Elf64_Ehdr eh;

	memcpy(&eh, img, sizeof(eh));
	return eh.e_phnum;
}

/* The PT_LOAD holding @addr in its file contents. */
static size_t load_at(const uint8_t *img, uint64_t addr)
{
	for (size_t i = 0; i < phnum(img); i++) {
		Elf64_Phdr ph = get_phdr(img, i);
		if (ph.p_type == PT_LOAD && addr >= ph.p_vaddr && addr - ph.p_vaddr < ph.p_filesz)
			return i;
	}
	fail_msg("no PT_LOAD holds 0x%" PRIx64, addr);
	return 0;
}

static bool core_layer_covers(const struct hw_mem *mem, uint64_t addr, enum hw_mem_layer layer)
{
	struct hw_mem_segment_info si;

	for (size_t i = 0; i < hw_mem_segment_count(mem); i++) {
		hw_mem_segment_get(mem, i, &si);
		if (!si.missing && si.layer == layer && addr >= si.start &&
		    addr - si.start < si.len)
			return true;
	}
	return false;
}

static const struct hw_mapping *mapping_named(const struct hw_target *t, const char *needle)
{
	for (size_t i = 0; i < t->nmappings; i++)
		if (strstr(t->mappings[i].path, needle))
			return &t->mappings[i];
	return NULL;
}

static struct hw_target *open_core(const char *core, const char *exe, const char *sysroot)
{
	struct hw_target_opts opts = {.core_path = core, .exe_path = exe, .sysroot = sysroot};
	struct hw_target *t = NULL;
	struct hw_error *err = hw_target_open_core(&opts, &t);

	if (err)
		fail_msg("opening %s: %s", core, err->message);
	assert_non_null(t);
	return t;
}

static void expect_open_error(const char *core, const char *exe, enum hw_error_code code,
			      const char *needle)
{
	struct hw_target_opts opts = {.core_path = core, .exe_path = exe};
	struct hw_target *t = NULL;
	struct hw_error *err = hw_target_open_core(&opts, &t);

	assert_non_null(err);
	assert_null(t);
	assert_int_equal(err->code, code);
	if (!strstr(err->message, needle))
		fail_msg("error '%s' does not mention '%s'", err->message, needle);
	hw_error_destroy(err);
}

static void expect_fault(const struct hw_target *t, uint64_t addr, size_t len, uint64_t at,
			 const char *why)
{
	uint8_t buf[64];
	struct hw_error *err = hw_mem_read(t->mem, buf, addr, len);

	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_FAULT);
	assert_int_equal(err->addr, at);
	if (!strstr(err->message, why))
		fail_msg("fault '%s' does not say '%s'", err->message, why);
	hw_error_destroy(err);
}

static void check_heap(const struct hw_target *t, uint64_t heap, size_t len)
{
	static uint8_t buf[HEAP_SIZE];

	assert_true(len <= HEAP_SIZE);
	assert_null(hw_mem_read(t->mem, buf, heap, len));
	for (size_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(i * 7 + 3))
			fail_msg("heap byte %zu is 0x%02x", i, buf[i]);
}

/* What every core of the helper with its files available must give. */
static void check_symbols(const struct hw_target *t, const struct run *r)
{
	uint64_t addr, size, v;
	uint32_t magic;
	char s[128];

	assert_non_null(t->exe);
	assert_null(hw_target_symbol(t, "hw_helper_heap", &addr, &size));
	assert_int_equal(addr, r->heap_var);
	assert_int_equal(size, t->word_size);
	assert_null(hw_target_read_word(t, addr, &v));
	assert_int_equal(v, r->heap);
	assert_null(hw_target_symbol(t, "hw_helper_str", &addr, NULL));
	assert_int_equal(addr, r->str_var);
	assert_null(hw_target_read_word(t, addr, &v));
	assert_int_equal(v, r->str);
	assert_null(hw_target_read_string(t, r->str, s, sizeof(s)));
	assert_string_equal(s, HELPER_STR);
	/* Cut to the buffer. */
	assert_null(hw_target_read_string(t, r->str, s, 9));
	assert_string_equal(s, "heapwalk");
	assert_null(hw_target_symbol(t, "hw_helper_magic", &addr, NULL));
	assert_null(hw_target_read_u32(t, addr, &magic));
	assert_int_equal(magic, 0xfeedc0deu);
}

static void check_helper_image(const struct hw_target *t, const struct run *r)
{
	check_symbols(t, r);
	check_heap(t, r->heap, HEAP_SIZE);
}

/* ---- tests ---- */

static void test_gcore_basics(void **state)
{
	struct hw_target *t;
	const struct hw_mapping *m;

	(void)state;
	t = open_core(h64.core, NULL, NULL);
	assert_int_equal(t->pid, h64.core_pid);
	assert_string_equal(t->comm, "core_helper");
	assert_non_null(strstr(t->psargs, "core_helper"));
	assert_int_equal(t->word_size, 8);
	assert_int_equal(t->elf_class, ELFCLASS64);
#ifdef __x86_64__
	assert_int_equal(t->machine, EM_X86_64);
#endif
	assert_string_equal(t->source_path, h64.core);
	assert_non_null(t->exe_path_in_core);
	assert_string_equal(t->exe_path_in_core, h64.exe_real);
	assert_string_equal(t->exe_path, h64.exe_real);
	assert_true(t->exe_build_id_checked);
	check_helper_image(t, &h64);

	/* The literal is in .rodata: gcore did not save it; the file layer serves it. */
	assert_false(core_layer_covers(t->mem, h64.str, HW_MEM_LAYER_CORE));
	assert_true(core_layer_covers(t->mem, h64.str, HW_MEM_LAYER_FILE));
	m = hw_target_mapping_at(t, h64.str);
	assert_non_null(m);
	assert_string_equal(m->path, h64.exe_real);
	assert_string_equal(m->status, "ok");
	assert_ptr_equal(m->elf, t->exe);
	assert_true(h64.str >= m->start && h64.str < m->end);
	/* The heap is no file's. */
	assert_null(hw_target_mapping_at(t, h64.heap));
	/* Shared libraries were opened too. */
	m = mapping_named(t, "libc.so");
	assert_non_null(m);
	assert_string_equal(m->status, "ok");
	assert_non_null(m->elf);
	hw_target_destroy(t);
}

static void test_gcore_without_files(void **state)
{
	char root[PATH_MAX], s[64];
	struct hw_target *t;
	struct hw_error *err;
	uint64_t v, addr;

	(void)state;
	tmp_path(root, sizeof(root), "emptyroot");
	mkdir(root, 0700);
	t = open_core(h64.core, NULL, root);
	assert_null(t->exe);
	assert_null(t->exe_path);
	assert_string_equal(t->exe_path_in_core, h64.exe_real);
	for (size_t i = 0; i < t->nmappings; i++) {
		assert_null(t->mappings[i].elf);
		assert_null(t->mappings[i].opened_path);
		assert_string_equal(t->mappings[i].status, "not found");
	}
	/* What the core saved is still there... */
	assert_null(hw_target_read_word(t, h64.heap_var, &v));
	assert_int_equal(v, h64.heap);
	check_heap(t, h64.heap, 64);
	/* ...but the literal was only ever in the file. */
	err = hw_target_read_string(t, h64.str, s, sizeof(s));
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_FAULT);
	assert_int_equal(err->addr, h64.str);
	assert_non_null(strstr(err->message, "mapped file not available"));
	hw_error_destroy(err);
	err = hw_target_symbol(t, "hw_helper_heap", &addr, NULL);
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_LOOKUP);
	hw_error_destroy(err);
	hw_target_destroy(t);
}

/*
 * Open a copy of the 64-bit core whose heap buffer holds only its first
 * @keep bytes: the file cut there (@cut), or the segment's p_filesz
 * lowered to end there (the core did not save the rest). @path: the copy.
 */
static struct hw_target *open_short_heap(const char *name, uint64_t keep, bool cut, char *path,
					 size_t cap)
{
	size_t len, i;
	uint8_t *img = tu_slurp(h64.core, &len);
	Elf64_Phdr ph;
	struct hw_target *t;

	i = load_at(img, h64.heap);
	ph = get_phdr(img, i);
	if (cut) {
		uint64_t at = ph.p_offset + (h64.heap + keep - ph.p_vaddr);

		assert_true(at < len);
		len = (size_t)at;
	} else {
		ph.p_filesz = h64.heap + keep - ph.p_vaddr;
		put_phdr(img, i, &ph);
	}
	tmp_path(path, cap, name);
	tu_spit(path, img, len);
	free(img);
	t = open_core(path, NULL, NULL);
	check_heap(t, h64.heap, keep);
	return t;
}

static void test_not_saved(void **state)
{
	char path[PATH_MAX];
	struct hw_target *t;

	(void)state;
	/* Pretend the core saved only the first 256 bytes of the heap buffer. */
	t = open_short_heap("notsaved.core", 256, false, path, sizeof(path));
	expect_fault(t, h64.heap + 250, 16, h64.heap + 256, "memory not saved in core file");
	expect_fault(t, h64.heap + 4096, 8, h64.heap + 4096, "memory not saved in core file");
	/* Everything else still works. */
	check_symbols(t, &h64);
	hw_target_destroy(t);
	unlink(path);
}

static void test_truncated(void **state)
{
	char path[PATH_MAX];
	struct hw_target *t;
	uint64_t v;

	(void)state;
	t = open_short_heap("truncated.core", 512, true, path, sizeof(path));
	expect_fault(t, h64.heap + 500, 16, h64.heap + 512, "core file truncated");
	expect_fault(t, h64.heap + 8192, 4, h64.heap + 8192, "core file truncated");
	/* What lies before the cut is intact. */
	assert_null(hw_target_read_word(t, h64.heap_var, &v));
	assert_int_equal(v, h64.heap);
	hw_target_destroy(t);
	unlink(path);
}

static void test_explicit_exe(void **state)
{
	struct hw_target *t;
	const struct hw_mapping *m;

	(void)state;
	t = open_core(h64.core, helper_path, NULL);
	assert_string_equal(t->exe_path, helper_path);
	assert_true(t->exe_build_id_checked);
	check_helper_image(t, &h64);
	m = hw_target_mapping_at(t, h64.str);
	assert_non_null(m);
	assert_string_equal(m->opened_path, helper_path);
	assert_ptr_equal(m->elf, t->exe);
	hw_target_destroy(t);

	/* The wrong binary must be refused, and so must a file that is not ELF. */
	expect_open_error(h64.core, fixture_path, HW_ERR_BAD_DATA,
			  "executable build-id differs from the core");
	expect_open_error(h64.core, "/etc/passwd", HW_ERR_BAD_DATA, "/etc/passwd");
	expect_open_error(h64.core, "/nonexistent/exe", HW_ERR_OS, "/nonexistent/exe");
	if (helper32_path)
		expect_open_error(h64.core, helper32_path, HW_ERR_BAD_DATA, "does not match");
}

static void test_sysroot(void **state)
{
	char good[PATH_MAX], bad[PATH_MAX], want[PATH_MAX * 2], s[128];
	struct hw_target *t;
	const struct hw_mapping *m;
	struct hw_error *err;

	(void)state;
	/* A sysroot holding the right executable (and nothing else). */
	tmp_path(good, sizeof(good), "root-good");
	plant(good, h64.exe_real, helper_path);
	t = open_core(h64.core, NULL, good);
	fmt(want, sizeof(want), "%s%s", good, h64.exe_real);
	assert_string_equal(t->exe_path, want);
	assert_true(t->exe_build_id_checked);
	check_helper_image(t, &h64);
	m = mapping_named(t, "libc.so");
	assert_non_null(m);
	assert_string_equal(m->status, "not found");
	hw_target_destroy(t);

	/* A sysroot holding another program at the executable's path. */
	tmp_path(bad, sizeof(bad), "root-bad");
	plant(bad, h64.exe_real, fixture_path);
	t = open_core(h64.core, NULL, bad);
	assert_null(t->exe);
	m = hw_target_mapping_at(t, h64.str);
	assert_non_null(m);
	assert_string_equal(m->status, "build-id differs from the core");
	assert_null(m->elf);
	err = hw_target_read_string(t, h64.str, s, sizeof(s));
	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_FAULT);
	hw_error_destroy(err);
	hw_target_destroy(t);
}

static void test_gcore32(void **state)
{
	struct hw_target *t;

	(void)state;
	t = open_core(h32.core, NULL, NULL);
	assert_int_equal(t->pid, h32.core_pid);
	assert_string_equal(t->comm, "core_helper32");
	assert_int_equal(t->word_size, 4);
	assert_int_equal(t->elf_class, ELFCLASS32);
	assert_int_equal(t->machine, EM_386);
	assert_string_equal(t->exe_path_in_core, h32.exe_real);
	assert_true(t->exe_build_id_checked);
	assert_true(t->nmappings > 3);
	check_helper_image(t, &h32);
	assert_false(core_layer_covers(t->mem, h32.str, HW_MEM_LAYER_CORE));
	hw_target_destroy(t);
}

static void test_kernel_core(void **state)
{
	struct hw_target *t;
	size_t len;
	uint8_t *img;
	bool partial = false;
	char root[PATH_MAX], s[64];
	struct hw_error *err;

	(void)state;
	if (!hk.have_core)
		skip();
	/* The kernel records unsaved file pages as p_filesz < p_memsz. */
	img = tu_slurp(hk.core, &len);
	for (size_t i = 0; i < phnum(img); i++) {
		Elf64_Phdr ph = get_phdr(img, i);
		if (ph.p_type == PT_LOAD && ph.p_filesz < ph.p_memsz)
			partial = true;
	}
	free(img);
	assert_true(partial);

	t = open_core(hk.core, NULL, NULL);
	assert_int_equal(t->pid, hk.core_pid);
	assert_string_equal(t->comm, "core_helper");
	assert_true(t->exe_build_id_checked);
	check_helper_image(t, &hk);
	hw_target_destroy(t);

	tmp_path(root, sizeof(root), "emptyroot");
	mkdir(root, 0700);
	t = open_core(hk.core, NULL, root);
	err = hw_target_read_string(t, hk.str, s, sizeof(s));
	assert_non_null(err);
	assert_int_equal(err->addr, hk.str);
	assert_non_null(strstr(err->message, "memory not saved in core file"));
	hw_error_destroy(err);
	hw_target_destroy(t);
}

/* ---- hostile cores ---- */

static const struct hw_mapping *mapping_starting(const struct hw_target *t, uint64_t start)
{
	for (size_t i = 0; i < t->nmappings; i++)
		if (t->mappings[i].start == start)
			return &t->mappings[i];
	fail_msg("no mapping at 0x%" PRIx64, start);
	return NULL;
}

static void test_hostile_nt_file(void **state)
{
	char core[PATH_MAX], fifo[PATH_MAX];
	struct fake_file files[] = {
	    {0x10000, 0x11000, 0, "/etc/passwd"},	  {0x20000, 0x21000, 0, "/etc/shadow"},
	    {0x30000, 0x31000, 0, "relative/path"},	  {0x40000, 0x41000, 0, fifo},
	    {0x50000, 0x51000, 0, "/dev/zero (deleted)"}, {0x58000, 0x59000, 0, "/dev/zero"},
	    {0x60000, 0x61000, 0, h64.exe_real},
	};
	struct hw_target *t;
	const struct hw_mapping *m;
	uint8_t buf[4];

	(void)state;
	tmp_path(fifo, sizeof(fifo), "fifo");
	assert_int_equal(mkfifo(fifo, 0600), 0);
	tmp_path(core, sizeof(core), "hostile.core");
	fake_core_nt_file(core, files, sizeof(files) / sizeof(files[0]), 0, 0);

	t = open_core(core, NULL, NULL);
	assert_int_equal(t->nmappings, 7);
	m = mapping_starting(t, 0x10000);
	assert_string_equal(m->path, "/etc/passwd");
	assert_string_equal(m->status, "not an ELF file");
	assert_null(m->elf);
	assert_null(m->opened_path);
	expect_fault(t, 0x10000, 4, 0x10000, "mapped file not available");
	m = mapping_starting(t, 0x20000);
	assert_null(m->elf);
	assert_string_not_equal(m->status, "ok");
	expect_fault(t, 0x20000, 4, 0x20000, "mapped file not available");
	assert_string_equal(mapping_starting(t, 0x30000)->status, "not an absolute path");
	assert_string_equal(mapping_starting(t, 0x40000)->status, "not a regular file");
	assert_string_equal(mapping_starting(t, 0x50000)->status, "deleted");
	assert_string_equal(mapping_starting(t, 0x58000)->status, "not a regular file");
	/* A real ELF file is used, and with no auxv it is taken as the executable. */
	m = mapping_starting(t, 0x60000);
	assert_string_equal(m->status, "ok");
	assert_non_null(m->elf);
	assert_null(hw_mem_read(t->mem, buf, 0x60000, 4));
	assert_memory_equal(buf, ELFMAG, 4);
	assert_ptr_equal(t->exe, m->elf);
	assert_int_equal(t->exe_bias, 0x60000);
	assert_false(t->exe_build_id_checked);
	/* The PT_LOAD: saved part, then the unsaved rest. */
	assert_null(hw_mem_read(t->mem, buf, 0x700fc, 4));
	assert_memory_equal(buf, "\xab\xab\xab\xab", 4);
	expect_fault(t, 0x700fe, 4, 0x70100, "memory not saved in core file");
	assert_null(hw_target_mapping_at(t, 0x70000));
	assert_ptr_equal(hw_target_mapping_at(t, 0x10fff), mapping_starting(t, 0x10000));
	assert_null(hw_target_mapping_at(t, 0x11000));
	hw_target_destroy(t);

	/* Under a sysroot, no ".." may climb out of it. */
	files[0].path = "/../../../../../../../../etc/passwd";
	files[1].path = "/usr/../../../../../../../../bin/sh";
	files[2].path = "/lib/..";
	fake_core_nt_file(core, files, 3, 0, 0);
	t = open_core(core, NULL, tmpdir);
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(t->mappings[i].status, "path escapes the sysroot");
		assert_null(t->mappings[i].opened_path);
	}
	hw_target_destroy(t);
	unlink(fifo);
	unlink(core);
}

static void test_bad_cores(void **state)
{
	char path[PATH_MAX];
	struct fake_file files[] = {{0x10000, 0x11000, 0, "/x"}};
	static const uint8_t be[64] = {0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2MSB, EV_CURRENT};
	struct hw_target *t;
	size_t len;
	uint8_t *img;
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	(void)state;
	expect_open_error("/etc/passwd", NULL, HW_ERR_BAD_DATA, "/etc/passwd: not an ELF file");
	expect_open_error(helper_path, NULL, HW_ERR_BAD_DATA, "not a core file (ELF type ET_DYN)");
	expect_open_error("/", NULL, HW_ERR_BAD_DATA, "not a regular file");
	expect_open_error("/nonexistent/core", NULL, HW_ERR_OS, "/nonexistent/core");
	tmp_path(path, sizeof(path), "bad.core");
	tu_spit(path, "", 0);
	expect_open_error(path, NULL, HW_ERR_BAD_DATA, "not an ELF file");
	tu_spit(path, be, sizeof(be));
	expect_open_error(path, NULL, HW_ERR_UNSUPPORTED, "big-endian");

	/* Program headers outside the file. */
	fake_core_nt_file(path, files, 1, 0, 0);
	img = tu_slurp(path, &len);
	memcpy(&eh, img, sizeof(eh));
	eh.e_phoff = len - 8;
	memcpy(img, &eh, sizeof(eh));
	tu_spit(path, img, len);
	expect_open_error(path, NULL, HW_ERR_BAD_DATA, "outside the file");

	/* Two PT_LOADs over the same addresses. */
	fake_core_nt_file(path, files, 1, 0, 0);
	img = (free(img), tu_slurp(path, &len));
	ph = get_phdr(img, 1);
	put_phdr(img, 0, &ph);
	tu_spit(path, img, len);
	expect_open_error(path, NULL, HW_ERR_BAD_DATA, "overlap");

	/* A PT_LOAD wrapping around the address space. */
	ph.p_vaddr = UINT64_MAX - 100;
	put_phdr(img, 1, &ph);
	ph.p_type = PT_NULL;
	put_phdr(img, 0, &ph);
	tu_spit(path, img, len);
	expect_open_error(path, NULL, HW_ERR_BAD_DATA, "wraps");
	free(img);

	/* Contents beyond the end of the file: opens, the bytes are "truncated". */
	fake_core_nt_file(path, files, 1, 0, 1u << 30);
	t = open_core(path, NULL, NULL);
	expect_fault(t, 0x70000, 4, 0x70000, "core file truncated");
	expect_fault(t, 0x70100, 4, 0x70100, "memory not saved in core file");
	hw_target_destroy(t);

	/* An absurd NT_FILE count is bounded by the note. */
	fake_core_nt_file(path, files, 1, UINT64_MAX, 0);
	t = open_core(path, NULL, NULL);
	assert_true(t->nmappings <= 1);
	hw_target_destroy(t);
	unlink(path);
}

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rng(void)
{
	return tu_rng(&rng_state);
}

/* Byte ranges worth damaging in a core image: headers, notes, the notes heapwalk parses. */
struct targets {
	size_t hdr_end;
	size_t note_off, note_len;
	size_t desc_off[16], desc_len[16];
	size_t ndesc;
};

static uint64_t rd(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	memcpy(&v, p, n); /* little-endian host */
	return v;
}

static void find_targets(const uint8_t *img, size_t len, struct targets *tg)
{
	bool is64 = img[EI_CLASS] == ELFCLASS64;
	uint64_t phoff = is64 ? rd(img + 32, 8) : rd(img + 28, 4);
	size_t phentsize = is64 ? 56 : 32, phn = rd(img + (is64 ? 56 : 44), 2);

	memset(tg, 0, sizeof(*tg));
	tg->hdr_end = phoff + phn * phentsize;
	assert_true(tg->hdr_end <= len);
	for (size_t i = 0; i < phn; i++) {
		const uint8_t *ph = img + phoff + i * phentsize;
		if (rd(ph, 4) != PT_NOTE)
			continue;
		tg->note_off = is64 ? rd(ph + 8, 8) : rd(ph + 4, 4);
		tg->note_len = is64 ? rd(ph + 32, 8) : rd(ph + 16, 4);
	}
	assert_true(tg->note_len > 0 && tg->note_off + tg->note_len <= len);
	for (size_t o = tg->note_off; o + 12 <= tg->note_off + tg->note_len && tg->ndesc < 16;) {
		size_t namesz = rd(img + o, 4), descsz = rd(img + o + 4, 4);
		uint32_t type = (uint32_t)rd(img + o + 8, 4);
		size_t d = o + 12 + ((namesz + 3) & ~(size_t)3);
		if (type == NT_PRSTATUS || type == NT_PRPSINFO || type == NT_AUXV ||
		    type == 0x46494c45) {
			tg->desc_off[tg->ndesc] = o; /* the note header too */
			tg->desc_len[tg->ndesc++] = d - o + descsz;
		}
		o = d + ((descsz + 3) & ~(size_t)3);
	}
	assert_true(tg->ndesc >= 4);
}

/*
 * @n copies of a real core with random bytes of its headers and notes
 * overwritten: opening must fail cleanly or work, never crash (run under ASan).
 */
static void corrupt_core(const struct run *r, int n)
{
	size_t len;
	uint8_t *img = tu_slurp(r->core, &len), *copy = malloc(len);
	char path[PATH_MAX], s[64];
	struct targets tg;
	int opened = 0;

	assert_non_null(copy);
	find_targets(img, len, &tg);
	tmp_path(path, sizeof(path), "corrupt.core");
	for (int iter = 0; iter < n; iter++) {
		struct hw_target_opts opts = {.core_path = path};
		struct hw_target *t = NULL;
		struct hw_error *err;
		int flips = 1 + (int)(rng() % 8);
		uint64_t addr, v;

		memcpy(copy, img, len);
		for (int k = 0; k < flips; k++) {
			size_t pos, which = rng() % 10, d;
			if (which < 3) {
				pos = rng() % tg.hdr_end;
			} else if (which < 5) {
				pos = tg.note_off + rng() % tg.note_len;
			} else {
				d = rng() % tg.ndesc;
				pos = tg.desc_off[d] + rng() % tg.desc_len[d];
			}
			copy[pos] = (uint8_t)rng();
		}
		tu_spit(path, copy, len);
		err = hw_target_open_core(&opts, &t);
		if (err) {
			assert_null(t);
			assert_non_null(err->message);
			hw_error_destroy(err);
			continue;
		}
		opened++;
		if (!(err = hw_target_symbol(t, "hw_helper_heap", &addr, NULL)))
			err = hw_target_read_word(t, addr, &v);
		hw_error_destroy(err);
		hw_error_destroy(hw_target_read_string(t, r->str, s, sizeof(s)));
		(void)hw_target_mapping_at(t, r->str);
		for (size_t i = 0; i < t->nmappings; i++)
			assert_non_null(t->mappings[i].status);
		hw_target_destroy(t);
	}
	/* Most copies still open: the parser was exercised, not just the header check. */
	assert_true(opened > n / 4);
	unlink(path);
	free(copy);
	free(img);
}

static void test_corruption_smoke(void **state)
{
	(void)state;
	corrupt_core(&h64, 200);
}

static void test_corruption_smoke32(void **state)
{
	(void)state;
	corrupt_core(&h32, 100);
}

static void cleanup(void)
{
	reap(&h64);
	reap(&h32);
	if (tmpdir[0])
		nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * How the 32-bit helper runs here: "native", "qemu" or "none", as
 * fixtures/run-i386.in decides (HW_I386 forces a way).
 */
static void i386_mode(const char *run32, char *out, size_t cap)
{
	char cmd[PATH_MAX + 16];
	FILE *p;

	fmt(out, cap, "none");
	if (!run32)
		return;
	fmt(cmd, sizeof(cmd), "'%s' --mode", run32);
	p = popen(cmd, "r");
	if (!p)
		return;
	if (!fgets(out, (int)cap, p))
		fmt(out, cap, "none");
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

/*
 * The 32-bit helper's core: gcore where the kernel runs it; under qemu-i386
 * (no ia32 emulation) the helper writes its own core (fx_selfcore.c) before
 * it describes itself. Returns 77 when neither can run it.
 */
static int core32(const char *run32)
{
	char mode[32], path[PATH_MAX];

	i386_mode(run32, mode, sizeof(mode));
	printf("# 32-bit helper runs: %s\n", mode);
	if (strcmp(mode, "native") == 0) {
		if (!find_gcore()) {
			fprintf(stderr, "SKIP: gcore not found in PATH\n");
			return 77;
		}
		if (!spawn_helper(helper32_path, NULL, NULL, &h32) || !run_gcore(&h32, "g32"))
			return 1;
	} else if (strcmp(mode, "qemu") == 0) {
		tmp_path(path, sizeof(path), "self32");
		if (!spawn_helper_via("qemu-i386", helper32_path, "selfcore", path, NULL, &h32))
			return 1;
		fmt(h32.core, sizeof(h32.core), "%s", path);
		h32.have_core = access(path, R_OK) == 0;
		if (!h32.have_core)
			return 1;
	} else {
		fprintf(stderr,
			"SKIP: this machine runs no i386 program (no ia32, no qemu-i386)\n");
		return 77;
	}
	reap(&h32);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gcore_basics), cmocka_unit_test(test_gcore_without_files),
	    cmocka_unit_test(test_not_saved),	 cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_explicit_exe), cmocka_unit_test(test_sysroot),
	    cmocka_unit_test(test_kernel_core),	 cmocka_unit_test(test_hostile_nt_file),
	    cmocka_unit_test(test_bad_cores),	 cmocka_unit_test(test_corruption_smoke),
	};
	const struct CMUnitTest tests32[] = {
	    cmocka_unit_test(test_gcore32),
	    cmocka_unit_test(test_corruption_smoke32),
	};
	const char *base = getenv("TMPDIR"), *run32 = NULL;
	bool only32 = false;
	int rc;

	static char abs[4][PATH_MAX];

	/* Absolute paths: helpers are started in other directories. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--only32") == 0)
			only32 = true;
		else if (i + 1 >= argc)
			break;
		else if (strcmp(argv[i], "--helper") == 0)
			helper_path = realpath(argv[++i], abs[0]);
		else if (strcmp(argv[i], "--helper32") == 0)
			helper32_path = realpath(argv[++i], abs[1]);
		else if (strcmp(argv[i], "--fixture") == 0)
			fixture_path = realpath(argv[++i], abs[2]);
		else if (strcmp(argv[i], "--run32") == 0)
			run32 = realpath(argv[++i], abs[3]);
	}
	if (!helper_path || !fixture_path || (only32 && !helper32_path)) {
		fprintf(stderr,
			"usage: %s --helper PATH --fixture PATH [--helper32 PATH]\n"
			"       %s --only32 --helper PATH --fixture PATH --helper32 PATH --run32 "
			"PATH\n",
			argv[0], argv[0]);
		return 2;
	}
	fmt(tmpdir, sizeof(tmpdir), "%s/hw-test-core-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	if (only32) {
		rc = core32(run32);
		if (rc == 0)
			rc = cmocka_run_group_tests(tests32, NULL, NULL);
		else if (rc == 1)
			fprintf(stderr, "cannot take a core of %s\n", helper32_path);
		cleanup();
		return rc;
	}
	if (!find_gcore()) {
		fprintf(stderr, "SKIP: gcore not found in PATH\n");
		cleanup();
		return 77;
	}
	if (!spawn_helper(helper_path, NULL, NULL, &h64)) {
		fprintf(stderr, "cannot start %s\n", helper_path);
		cleanup();
		return 1;
	}
	if (!ptrace_permitted(h64.pid)) {
		fprintf(stderr, "SKIP: ptrace is not permitted here\n");
		cleanup();
		return 77;
	}
	if (!run_gcore(&h64, "g64")) {
		cleanup();
		return 1;
	}
	reap(&h64);
	kernel_core();

	rc = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup();
	return rc;
}
