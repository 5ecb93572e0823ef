/*
 * test_snapfile.c - snapshot files: hostile ones are refused before their
 * hidden processes cost memory, and writing one leaves no temporary file
 * behind when heapwalk is interrupted or killed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include "heapwalk/error.h"
#include "heapwalk/snapshot.h"
#include "fake_core.h"

/* As walker/target/live.h: the other processes of a snapshot file. */
#define PT_HW_NOTE 0x68770001u
#define PT_HW_LOAD 0x68770002u

#define DATA_OFF 4096u
#define MIB (1u << 20)

static char tmpdir[PATH_MAX];

static void tmp_path(char *out, size_t cap, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", tmpdir, name);

	assert_true(n > 0 && (size_t)n < cap);
}

static Elf64_Phdr seg(uint32_t type, uint64_t proc, uint64_t off, uint64_t filesz)
{
	Elf64_Phdr ph = {0};

	ph.p_type = type;
	ph.p_paddr = proc;
	ph.p_offset = off;
	ph.p_filesz = filesz;
	ph.p_memsz = type == PT_LOAD || type == PT_HW_LOAD ? filesz : 0;
	ph.p_vaddr = type == PT_LOAD || type == PT_HW_LOAD ? 0x100000 : 0;
	ph.p_align = 4096;
	return ph;
}

/* A snapshot file of @size bytes (data 0x5a from DATA_OFF) with the segments @ph. */
static void write_snapfile(const char *path, const Elf64_Phdr *ph, size_t nph, size_t size)
{
	uint8_t *img = calloc(1, size);

	assert_non_null(img);
	memset(img + DATA_OFF, 0x5a, size - DATA_OFF);
	fake_core_put(path, img, size, ph, nph);
	free(img);
}

static void expect_refused(const char *path, const char *why)
{
	struct hw_snapshot *s = NULL;
	struct hw_error *err = hw_snapshot_load(path, &s);

	assert_non_null(err);
	assert_int_equal(err->code, HW_ERR_BAD_DATA);
	assert_non_null(strstr(err->message, why));
	assert_null(strchr(err->message, '\n'));
	hw_error_destroy(err);
}

/* 200 hidden processes all showing the same MiB: 200 MiB of images from a 1 MiB file. */
static void test_shared_bytes(void **state)
{
	enum { NPROC = 200 };
	static Elf64_Phdr ph[1 + 2 * NPROC];
	char path[PATH_MAX];

	(void)state;
	ph[0] = seg(PT_LOAD, 0, DATA_OFF, MIB);
	for (size_t k = 1; k <= NPROC; k++) {
		ph[2 * k - 1] = seg(PT_HW_NOTE, k, 0, 0);
		ph[2 * k] = seg(PT_HW_LOAD, k, DATA_OFF, MIB);
	}
	tmp_path(path, sizeof(path), "shared.snap");
	write_snapfile(path, ph, sizeof(ph) / sizeof(ph[0]), DATA_OFF + MIB);
	expect_refused(path, "share the file bytes");
	unlink(path);
}

/* A hidden segment that claims far more than the file holds. */
static void test_beyond_file(void **state)
{
	Elf64_Phdr ph[3];
	char path[PATH_MAX];

	(void)state;
	ph[0] = seg(PT_LOAD, 0, DATA_OFF, 4096);
	ph[1] = seg(PT_HW_NOTE, 1, 0, 0);
	ph[2] = seg(PT_HW_LOAD, 1, DATA_OFF + 4096, 1ull << 40);
	tmp_path(path, sizeof(path), "beyond.snap");
	write_snapfile(path, ph, 3, DATA_OFF + 8192);
	expect_refused(path, "beyond the end of the file");
	unlink(path);
}

/* Disjoint segments, as heapwalk writes them, load. */
static void test_disjoint_loads(void **state)
{
	Elf64_Phdr ph[3];
	struct hw_snapshot *s = NULL;
	char path[PATH_MAX];

	(void)state;
	ph[0] = seg(PT_LOAD, 0, DATA_OFF, 4096);
	ph[1] = seg(PT_HW_NOTE, 1, 0, 0);
	ph[2] = seg(PT_HW_LOAD, 1, DATA_OFF + 4096, 4096);
	tmp_path(path, sizeof(path), "fine.snap");
	write_snapfile(path, ph, 3, DATA_OFF + 8192);
	assert_null(hw_snapshot_load(path, &s));
	assert_int_equal(s->nprocs, 2);
	assert_true(s->procs[1].fd >= 0);
	hw_snapshot_destroy(s);
	unlink(path);
}

/* Does process @pid hold an open file in @dir? */
static bool holds_file_in(pid_t pid, const char *dir)
{
	char fds[64], link[PATH_MAX + 32], target[PATH_MAX];
	size_t dl = strlen(dir);
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(fds, sizeof(fds), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(fds)))
		return false;
	while (!found && (e = readdir(d))) {
		ssize_t n;
		snprintf(link, sizeof(link), "%s/%s", fds, e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		found = !strncmp(target, dir, dl) && target[dl] == '/';
	}
	closedir(d);
	return found;
}

/* Names in @dir other than "snap" (the finished file may be there). */
static size_t leftovers(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "snap")) {
			print_message("left behind: %s/%s\n", dir, e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

/*
 * From now on open(O_TMPFILE) fails as on a file system without it
 * (EOPNOTSUPP), through a seccomp filter on openat; false if there is none.
 */
static bool refuse_tmpfile(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_openat, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_TMPFILE & ~O_DIRECTORY, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOPNOTSUPP),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};

	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
	       prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
}

/*
 * Kill a process writing a snapshot file with @sig while its output is
 * open; nothing but a complete file may stay. false: it finished first.
 * @no_tmpfile: the writer has no O_TMPFILE and falls back to a named file.
 */
static bool killed_while_writing(const char *image, const char *outdir, int sig, bool no_tmpfile)
{
	char out[PATH_MAX];
	pid_t pid;
	int st;

	assert_true(snprintf(out, sizeof(out), "%s/snap", outdir) < (int)sizeof(out));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct hw_snapshot_proc p = {.fd = -1, .path = (char *)image};
		struct hw_snapshot s = {.procs = &p, .nprocs = 1};
		struct hw_error *err;
		if (no_tmpfile && !refuse_tmpfile())
			_exit(77);
		err = hw_snapshot_write(&s, out, NULL);
		_exit(err ? 1 : 0);
	}
	while (!holds_file_in(pid, outdir) && waitpid(pid, &st, WNOHANG) == 0)
		;
	kill(pid, sig);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(leftovers(outdir), 0);
	unlink(out);
	if (WIFEXITED(st)) {
		if (WEXITSTATUS(st) == 77)
			skip(); /* no seccomp here */
		assert_int_equal(WEXITSTATUS(st), 0);
		return false;
	}
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), sig);
	return true;
}

/* Kill the writer with each of @sigs (@n) while it writes; @no_tmpfile: see killed_while_writing.
 */
static void kill_writers(const int *sigs, size_t n, bool no_tmpfile)
{
	char image[PATH_MAX], outdir[PATH_MAX];
	Elf64_Phdr ph[1];

	/* 48 MiB of non-zero pages: long enough to be caught writing */
	ph[0] = seg(PT_LOAD, 0, DATA_OFF, 48 * MIB);
	tmp_path(image, sizeof(image), "image.core");
	write_snapfile(image, ph, 1, DATA_OFF + 48 * MIB);
	tmp_path(outdir, sizeof(outdir), "out");
	assert_int_equal(mkdir(outdir, 0700), 0);
	for (size_t i = 0; i < n; i++) {
		bool caught = false;
		for (int tries = 0; tries < 5 && !caught; tries++)
			caught = killed_while_writing(image, outdir, sigs[i], no_tmpfile);
		print_message("signal %d: %s\n", sigs[i],
			      caught ? "caught writing" : "the writer always finished first");
	}
	rmdir(outdir);
	unlink(image);
}

/* O_TMPFILE: not even SIGKILL leaves a name behind. */
static void test_killed_writer(void **state)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGKILL};

	(void)state;
	kill_writers(sigs, sizeof(sigs) / sizeof(sigs[0]), false);
}

/* Without O_TMPFILE: the named temporary file is removed on SIGINT and SIGTERM. */
static void test_interrupted_named_writer(void **state)
{
	static const int sigs[] = {SIGINT, SIGTERM};

	(void)state;
	kill_writers(sigs, sizeof(sigs) / sizeof(sigs[0]), true);
}

/* Writing over an existing file replaces it whole, through no name left behind. */
static void test_overwrite(void **state)
{
	char image[PATH_MAX], outdir[PATH_MAX], out[PATH_MAX];
	struct hw_snapshot_proc p = {.fd = -1, .path = image};
	struct hw_snapshot s = {.procs = &p, .nprocs = 1};
	struct hw_snapshot *back = NULL;
	Elf64_Phdr ph[1];
	uint64_t bytes = 0;
	struct stat st;

	(void)state;
	ph[0] = seg(PT_LOAD, 0, DATA_OFF, 4096);
	tmp_path(image, sizeof(image), "small.core");
	write_snapfile(image, ph, 1, DATA_OFF + 4096);
	tmp_path(outdir, sizeof(outdir), "over");
	assert_int_equal(mkdir(outdir, 0700), 0);
	assert_true(snprintf(out, sizeof(out), "%s/snap", outdir) < (int)sizeof(out));
	for (int i = 0; i < 2; i++) {
		assert_null(hw_snapshot_write(&s, out, &bytes));
		assert_int_equal(stat(out, &st), 0);
		assert_int_equal(st.st_size, bytes);
		assert_int_equal(st.st_mode & 0777, 0600);
		assert_int_equal(leftovers(outdir), 0);
	}
	assert_null(hw_snapshot_load(out, &back));
	assert_int_equal(back->nprocs, 1);
	hw_snapshot_destroy(back);
	unlink(out);
	rmdir(outdir);
	unlink(image);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shared_bytes),
	    cmocka_unit_test(test_beyond_file),
	    cmocka_unit_test(test_disjoint_loads),
	    cmocka_unit_test(test_killed_writer),
	    cmocka_unit_test(test_interrupted_named_writer),
	    cmocka_unit_test(test_overwrite),
	};
	const char *t = getenv("TMPDIR");
	int rc;

	snprintf(tmpdir, sizeof(tmpdir), "%s/hw-snapfile-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
