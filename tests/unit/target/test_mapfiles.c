/*
 * test_mapfiles.c - the files a core's NT_FILE list names: every spelling
 * of one file shares one opened file, the number of files opened is
 * capped, and under a sysroot no symlink leads out of it; a table shared by
 * several targets (and filled from a live process) opens each file once
 * and still resolves every target's paths beneath its own sysroot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/elfsym.h"
#include "heapwalk/error.h"
#include "heapwalk/snapshot.h"
#include "heapwalk/target.h"
#include "fake_core.h"
#include "testutil.h"

static char tmpdir[PATH_MAX / 2], self[PATH_MAX / 2];

static void tmp_path(char *out, size_t cap, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", tmpdir, name);

	assert_true(n > 0 && (size_t)n < cap);
}

static struct hw_target *open_core_with(const char *core, const char *sysroot,
					struct hw_target_files *shared)
{
	struct hw_target_opts opts = {.core_path = core, .sysroot = sysroot, .files = shared};
	struct hw_target *t = NULL;
	struct hw_error *err = hw_target_open_core(&opts, &t);

	if (err)
		fail_msg("opening %s: %s", core, err->message);
	return t;
}

static struct hw_target *open_core(const char *core, const char *sysroot)
{
	return open_core_with(core, sysroot, NULL);
}

/* @n mappings of 4 KiB from 0x10000000, naming @paths[i]. */
static struct fake_file *mappings_of(char **paths, size_t n)
{
	struct fake_file *f = calloc(n, sizeof(*f));

	assert_non_null(f);
	for (size_t i = 0; i < n; i++) {
		f[i].start = 0x10000000 + (uint64_t)i * 0x1000;
		f[i].end = f[i].start + 0x1000;
		f[i].path = paths[i];
	}
	return f;
}

/* Spelling @k of @path: each slash one of "/", "//", "/./", "/.//", "/././". */
static char *spelling(const char *path, unsigned k)
{
	static const char *const slash[] = {"/", "//", "/./", "/.//", "/././"};
	char *out = malloc(strlen(path) * 6 + 1), *o = out;

	assert_non_null(out);
	for (const char *p = path; *p; p++) {
		if (*p != '/') {
			*o++ = *p;
			continue;
		}
		strcpy(o, slash[k % 5]);
		o += strlen(o);
		k /= 5;
	}
	*o = '\0';
	assert_int_equal(k, 0); /* enough slashes for distinct spellings */
	return out;
}

/* 4,096 spellings of one ELF file: opened once, one handle for all. */
static void test_aliases(void **state)
{
	enum { N = 4096 };
	char core[PATH_MAX], *paths[N];
	struct fake_file *files;
	struct hw_target *t;
	struct rusage ru;

	(void)state;
	for (unsigned i = 0; i < N; i++)
		paths[i] = spelling(self, i);
	files = mappings_of(paths, N);
	tmp_path(core, sizeof(core), "aliases.core");
	fake_core_nt_file(core, files, N, 0, 0);
	t = open_core(core, NULL);
	assert_int_equal(t->nmappings, N);
	for (size_t i = 0; i < N; i++) {
		if (strcmp(t->mappings[i].status, "ok") != 0)
			fail_msg("%s: %s", t->mappings[i].path, t->mappings[i].status);
		assert_ptr_equal(t->mappings[i].elf, t->mappings[0].elf);
	}
	hw_target_destroy(t);
	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	print_message("peak RSS with %d aliases: %ld KiB\n", N, ru.ru_maxrss);
	for (unsigned i = 0; i < N; i++)
		free(paths[i]);
	free(files);
	unlink(core);
}

/* More distinct files than the cap: the rest are not opened. */
static void test_cap(void **state)
{
	enum { N = 600 };
	char core[PATH_MAX], *paths[N];
	struct fake_file *files;
	struct hw_target *t;
	size_t opened = 0, capped = 0;

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		char name[32];
		paths[i] = malloc(PATH_MAX);
		assert_non_null(paths[i]);
		snprintf(name, sizeof(name), "f%03u", i);
		tmp_path(paths[i], PATH_MAX, name);
		tu_spit(paths[i], "not ELF", 7);
	}
	files = mappings_of(paths, N);
	tmp_path(core, sizeof(core), "many.core");
	fake_core_nt_file(core, files, N, 0, 0);
	t = open_core(core, NULL);
	for (size_t i = 0; i < t->nmappings; i++) {
		if (!strcmp(t->mappings[i].status, "too many mapped files"))
			capped++;
		else if (!strcmp(t->mappings[i].status, "not an ELF file"))
			opened++;
	}
	assert_int_equal(opened, 512);
	assert_int_equal(capped, N - 512);
	hw_target_destroy(t);
	for (unsigned i = 0; i < N; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	free(files);
	unlink(core);
}

static void link_at(const char *target, const char *root, const char *at)
{
	char path[PATH_MAX];

	assert_true(snprintf(path, sizeof(path), "%s%s", root, at) < (int)sizeof(path));
	assert_int_equal(symlink(target, path), 0);
}

/*
 * Symlinks in the sysroot resolve beneath it, never to the host's files;
 * a path going on after a file is not found, as without a sysroot.
 */
static void test_sysroot_links(void **state)
{
	char root[PATH_MAX], lib[PATH_MAX], copy[PATH_MAX], core[PATH_MAX], up[PATH_MAX];
	char *paths[] = {"/lib/abs.so",	  "/lib/rel.so",    "/lib/inside.so", "/lib/chain.so",
			 "/lib/real.so/", "/lib/real.so/.", "/lib/inside.so/"};
	struct fake_file *files;
	struct hw_target *t;
	size_t len;
	uint8_t *data;

	(void)state;
	tmp_path(root, sizeof(root), "root");
	tmp_path(lib, sizeof(lib), "root/lib");
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(lib, 0700), 0);
	/* an ELF file inside the root */
	data = tu_slurp(self, &len);
	tmp_path(copy, sizeof(copy), "root/lib/real.so");
	tu_spit(copy, data, len);
	free(data);
	/* the host's copy of this program, by an absolute and by a climbing link */
	link_at(self, root, "/lib/abs.so");
	strcpy(up, "..");
	for (int i = 0; i < 30; i++)
		strcat(up, "/..");
	strcat(up, self);
	link_at(up, root, "/lib/rel.so");
	/* links that stay inside resolve as they would with the root as / */
	link_at("/lib/real.so", root, "/lib/inside.so");
	link_at("../lib/./inside.so", root, "/lib/chain.so");

	files = mappings_of(paths, 7);
	tmp_path(core, sizeof(core), "links.core");
	fake_core_nt_file(core, files, 7, 0, 0);
	t = open_core(core, root);
	for (size_t i = 0; i < t->nmappings; i++) {
		const struct hw_mapping *m = &t->mappings[i];
		/* out of the root, or a file taken for a directory (ENOTDIR, as without one) */
		bool out = !strcmp(m->path, "/lib/abs.so") || !strcmp(m->path, "/lib/rel.so") ||
			   strchr(m->path + 5, '/');
		print_message("%s: %s\n", m->path, m->status);
		if (out) {
			assert_null(m->elf);
			assert_string_equal(m->status, "not found");
		} else {
			assert_non_null(m->elf);
			assert_string_equal(m->status, "ok");
		}
	}
	hw_target_destroy(t);
	free(files);
	for (size_t i = 0; i < 4; i++) {
		char p[PATH_MAX];
		assert_true(snprintf(p, sizeof(p), "%s%s", root, paths[i]) < (int)sizeof(p));
		unlink(p);
	}
	unlink(copy);
	rmdir(lib);
	rmdir(root);
	unlink(core);
}

/* How many mappings of this process name @path (/proc/self/maps). */
static int mapped(const char *path)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[PATH_MAX + 256];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *p = strchr(line, '/');
		size_t len = strcspn(line, "\n");
		line[len] = '\0';
		n += p && !strcmp(p, path);
	}
	fclose(f);
	return n;
}

/*
 * A table shared by targets: filled from this live process, which maps an
 * ELF file; each target opened with it finds the file open (no mapping of
 * it is added) and gets the same handle, which outlives any one target; a
 * target with its own table opens its own. The table holding a file does
 * not let a target under a sysroot reach it by a link out of that root.
 */
static void test_shared(void **state)
{
	char elf[PATH_MAX], core[PATH_MAX], root[PATH_MAX], lib[PATH_MAX], link[PATH_MAX];
	char *paths[] = {elf}, *rooted[] = {"/lib/out.so"}, *selfs[] = {self};
	const struct hw_elf *exe = NULL;
	struct hw_target *t1, *t2, *own, *under;
	struct hw_target_files *shared = hw_target_files_create();
	struct fake_file *files;
	struct hw_error *err;
	uint8_t *data;
	void *map;
	size_t len;

	(void)state;
	assert_non_null(shared);
	data = tu_slurp(self, &len);
	tmp_path(elf, sizeof(elf), "shared.elf");
	tu_spit(elf, data, len);
	free(data);
	{
		FILE *f = fopen(elf, "r");
		assert_non_null(f);
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fileno(f), 0);
		fclose(f);
		assert_true(map != MAP_FAILED);
	}
	assert_int_equal(mapped(elf), 1);
	err = hw_snapshot_preopen(getpid(), NULL, shared, &exe);
	assert_null(err);
	assert_int_equal(mapped(elf), 2); /* opened by the table */
	assert_non_null(exe);		  /* this program, which a core naming it gets */
	files = mappings_of(selfs, 1);
	tmp_path(core, sizeof(core), "self.core");
	fake_core_nt_file(core, files, 1, 0, 0);
	t1 = open_core_with(core, NULL, shared);
	assert_ptr_equal(t1->mappings[0].elf, exe);
	hw_target_destroy(t1);
	unlink(core);
	free(files);

	files = mappings_of(paths, 1);
	tmp_path(core, sizeof(core), "shared.core");
	fake_core_nt_file(core, files, 1, 0, 0);
	t1 = open_core_with(core, NULL, shared);
	t2 = open_core_with(core, NULL, shared);
	assert_string_equal(t1->mappings[0].status, "ok");
	assert_non_null(t1->mappings[0].elf);
	assert_ptr_equal(t1->mappings[0].elf, t2->mappings[0].elf);
	assert_int_equal(mapped(elf), 2); /* found open */
	own = open_core(core, NULL);
	assert_string_equal(own->mappings[0].status, "ok");
	assert_ptr_not_equal(own->mappings[0].elf, t1->mappings[0].elf);
	assert_int_equal(mapped(elf), 3);
	hw_target_destroy(own);
	hw_target_destroy(t1);
	assert_int_equal(mapped(elf), 2); /* the table's copy stays for t2 */
	{				  /* and reads as the file itself does */
		struct hw_elf *fresh = NULL;
		const uint8_t *a, *b;
		size_t la, lb;
		assert_null(hw_elf_open(self, &fresh));
		a = hw_elf_build_id(t2->mappings[0].elf, &la);
		b = hw_elf_build_id(fresh, &lb);
		assert_non_null(b);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, lb);
		hw_elf_close(fresh);
	}
	hw_target_destroy(t2);

	/* beneath a sysroot, a link to the file the table holds is still out of it */
	tmp_path(root, sizeof(root), "shroot");
	tmp_path(lib, sizeof(lib), "shroot/lib");
	assert_int_equal(mkdir(root, 0700), 0);
	assert_int_equal(mkdir(lib, 0700), 0);
	link_at(elf, root, "/lib/out.so");
	free(files);
	files = mappings_of(rooted, 1);
	fake_core_nt_file(core, files, 1, 0, 0);
	under = open_core_with(core, root, shared);
	assert_null(under->mappings[0].elf);
	assert_string_equal(under->mappings[0].status, "not found");
	hw_target_destroy(under);

	hw_target_files_destroy(shared);
	assert_int_equal(mapped(elf), 1);
	munmap(map, len);
	assert_true(snprintf(link, sizeof(link), "%s/lib/out.so", root) < (int)sizeof(link));
	unlink(link);
	rmdir(lib);
	rmdir(root);
	unlink(elf);
	unlink(core);
	free(files);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_sysroot_links),
	    cmocka_unit_test(test_shared),
	};
	const char *t = getenv("TMPDIR");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int rc;

	if (n <= 0)
		return 1;
	self[n] = '\0';
	snprintf(tmpdir, sizeof(tmpdir), "%s/hw-mapfiles-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(tmpdir);
	return rc;
}
