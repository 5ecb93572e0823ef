/*
 * test_mapfiles.c - the files a core's NT_FILE list names: every spelling
 * of one file shares one opened file, the number of files opened is
 * capped, and under a sysroot no symlink leads out of it.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "heapwalk/error.h"
#include "heapwalk/target.h"
#include "fake_core.h"
#include "testutil.h"

static char tmpdir[PATH_MAX / 2], self[PATH_MAX / 2];

static void tmp_path(char *out, size_t cap, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", tmpdir, name);

	assert_true(n > 0 && (size_t)n < cap);
}

static struct hw_target *open_core(const char *core, const char *sysroot)
{
	struct hw_target_opts opts = {.core_path = core, .sysroot = sysroot};
	struct hw_target *t = NULL;
	struct hw_error *err = hw_target_open_core(&opts, &t);

	if (err)
		fail_msg("opening %s: %s", core, err->message);
	return t;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_aliases),
	    cmocka_unit_test(test_cap),
	    cmocka_unit_test(test_sysroot_links),
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
